//! WebAuthn / FIDO2 security keys (`webauthn`, provider FIDO). A verify without an assertion
//! returns a challenge (`_embedded.factor._embedded.challenge.challenge`); the client builds
//! the client data (`webauthn.get`, the challenge, the Okta origin), asks an authenticator to
//! sign `authenticatorData || SHA-256(clientData)` for the factor's credential id, and posts
//! `clientData`, `authenticatorData` and `signatureData` (base64) back.
//!
//! Authenticators: a USB security key through `ctap-hid-fido2` (cargo feature `fido2`), or a
//! software key file named by `AWS_OKTA_WEBAUTHN_SOFT_TOKEN` (for tests and CI machines).
use super::code::ATTEMPTS;
use super::{MfaFactor, Step, Verified, VerifyFuture};
use crate::okta::wire::{AuthnResponse, Factor};
use crate::okta::OktaClient;
use crate::{Error, Result};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

/// What an authenticator returns for `authenticatorGetAssertion`.
pub struct Assertion {
    pub authenticator_data: Vec<u8>,
    /// DER-encoded ECDSA signature.
    pub signature: Vec<u8>,
}

pub async fn verify(
    client: &OktaClient,
    factor: &Factor,
    href: Url,
    state_token: &SecretString,
) -> Result<AuthnResponse> {
    let body = json!({"stateToken": state_token.expose_secret()});
    let mut rejected = 0;
    loop {
        let challenged: AuthnResponse = client.post_json(href.clone(), &body).await??;
        if challenged.status != "MFA_CHALLENGE" {
            return Ok(challenged);
        }
        let challenge = challenged
            .factor_embedded()
            .and_then(|e| e.challenge.as_ref())
            .and_then(|c| c.challenge.clone())
            .ok_or_else(|| {
                Error::OktaResponse("Okta's WebAuthn challenge has no challenge".into())
            })?;
        let credential_id = factor
            .profile
            .credential_id
            .as_deref()
            .and_then(|c| URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok())
            .ok_or_else(|| Error::Mfa("the WebAuthn factor has no credential id".into()))?;
        let rp_id = client
            .base
            .host_str()
            .ok_or_else(|| Error::Config("the Okta URL has no host".into()))?
            .to_string();
        let origin = client.base.origin().ascii_serialization();
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        crate::notice!(
            "Touch your security key{}…",
            factor
                .profile
                .authenticator_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
        let assertion = get_assertion(&rp_id, client_data.as_bytes(), &credential_id)?;
        let answer = json!({
            "stateToken": state_token.expose_secret(),
            "clientData": STANDARD.encode(client_data.as_bytes()),
            "authenticatorData": STANDARD.encode(&assertion.authenticator_data),
            "signatureData": STANDARD.encode(&assertion.signature),
        });
        let next = challenged.next_or(client, &href)?;
        match client.post_json::<AuthnResponse>(next, &answer).await? {
            Ok(done) => return Ok(done),
            Err(e) if e.body.error_code == "E0000068" && rejected + 1 < ATTEMPTS => {
                rejected += 1;
                crate::notice!("Okta did not accept the security key's answer; try again.");
            }
            Err(e) if e.body.error_code == "E0000068" => {
                return Err(Error::Mfa(
                    "Okta rejected the security key's signature: is it the key enrolled in Okta?"
                        .into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn get_assertion(rp_id: &str, client_data: &[u8], credential_id: &[u8]) -> Result<Assertion> {
    // A key file that signs any challenge is a test fixture, not an authenticator: only
    // builds with the `test-hooks` feature (the test suite's) read it.
    #[cfg(feature = "test-hooks")]
    if let Some(path) = std::env::var_os("AWS_OKTA_WEBAUTHN_SOFT_TOKEN") {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(client_data).into();
        return soft::SoftToken::load(std::path::Path::new(&path))?.get_assertion(
            rp_id,
            &hash,
            credential_id,
        );
    }
    usb_assertion(rp_id, client_data, credential_id)
}

#[cfg(feature = "fido2")]
fn usb_assertion(rp_id: &str, client_data: &[u8], credential_id: &[u8]) -> Result<Assertion> {
    use ctap_hid_fido2::{Cfg, FidoKeyHidFactory};
    let device = FidoKeyHidFactory::create(&Cfg::init()).map_err(|e| {
        Error::Mfa(format!(
            "no FIDO2 security key found ({e}): plug your key in and retry, or pick another factor with --mfa-factor-type"
        ))
    })?;
    // The crate's "challenge" is the client data: it sends SHA-256 of it as clientDataHash.
    let assertion = device
        .get_assertion(rp_id, client_data, &[credential_id.to_vec()], None)
        .map_err(|e| Error::Mfa(format!("the security key did not sign: {e}")))?;
    Ok(Assertion {
        authenticator_data: assertion.auth_data,
        signature: assertion.signature,
    })
}

#[cfg(not(feature = "fido2"))]
fn usb_assertion(_: &str, _: &[u8], _: &[u8]) -> Result<Assertion> {
    Err(Error::Mfa(
        "no security key available: this aws-okta was built without USB security-key support \
         (rebuild with `--features fido2`), and AWS_OKTA_WEBAUTHN_SOFT_TOKEN is not set; \
         pick another factor with --mfa-factor-type"
            .into(),
    ))
}

/// A software authenticator: a P-256 key in a JSON file
/// `{"credential_id": b64url, "private_key": b64url scalar, "sign_count": n}`.
pub mod soft {
    use super::Assertion;
    use crate::{Error, Result};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};
    use zeroize::Zeroizing;

    #[derive(Serialize, Deserialize)]
    struct File {
        credential_id: String,
        private_key: String,
        #[serde(default)]
        sign_count: u32,
    }

    pub struct SoftToken {
        path: PathBuf,
        credential_id: Vec<u8>,
        key: SigningKey,
        sign_count: u32,
        file: File,
    }

    impl SoftToken {
        pub fn load(path: &Path) -> Result<SoftToken> {
            let bad = |why: &str| {
                Error::Mfa(format!(
                    "software security key {} is unusable: {why}",
                    path.display()
                ))
            };
            let text =
                Zeroizing::new(std::fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?);
            let file: File = serde_json::from_str(&text).map_err(|_| bad("not valid JSON"))?;
            let credential_id = URL_SAFE_NO_PAD
                .decode(file.credential_id.trim_end_matches('='))
                .map_err(|_| bad("bad credential_id"))?;
            let scalar = Zeroizing::new(
                URL_SAFE_NO_PAD
                    .decode(file.private_key.trim_end_matches('='))
                    .map_err(|_| bad("bad private_key"))?,
            );
            let key = SigningKey::from_slice(&scalar).map_err(|_| bad("bad private_key"))?;
            Ok(SoftToken {
                path: path.to_path_buf(),
                credential_id,
                key,
                sign_count: file.sign_count,
                file,
            })
        }

        pub fn get_assertion(
            mut self,
            rp_id: &str,
            client_data_hash: &[u8; 32],
            allowed: &[u8],
        ) -> Result<Assertion> {
            if allowed != self.credential_id.as_slice() {
                return Err(Error::Mfa(
                    "the software security key is not the one enrolled in Okta for this factor"
                        .into(),
                ));
            }
            self.sign_count = self.sign_count.wrapping_add(1);
            let mut authenticator_data = Sha256::digest(rp_id.as_bytes()).to_vec();
            authenticator_data.push(0x01 | 0x04); // user present, user verified
            authenticator_data.extend_from_slice(&self.sign_count.to_be_bytes());
            let mut message = authenticator_data.clone();
            message.extend_from_slice(client_data_hash);
            let signature: Signature = self.key.sign(&message);
            self.file.sign_count = self.sign_count;
            if let Ok(json) = serde_json::to_vec(&self.file) {
                let _ = std::fs::write(&self.path, json);
            }
            Ok(Assertion {
                authenticator_data,
                signature: signature.to_der().as_bytes().to_vec(),
            })
        }
    }
}

/// A security key or platform authenticator (`webauthn`).
pub struct WebAuthn;

impl MfaFactor for WebAuthn {
    fn serves(&self, factor_type: &str, _provider: &str) -> bool {
        factor_type == "webauthn"
    }
    fn name(&self, _: &Factor) -> String {
        "Security Key or Biometric Authenticator".into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            verify(step.client, step.factor, step.href, step.state_token)
                .await
                .map(Verified::next)
        })
    }
}
