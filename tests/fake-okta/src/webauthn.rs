//! WebAuthn for the fake: a P-256 software key for tests, and the relying-party check Okta
//! does on `POST .../verify` with `clientData`, `authenticatorData` and `signatureData`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A software security key: what a test writes to the soft-token file the client reads, and
/// what the fake's factor is configured with.
pub struct SoftKey {
    /// base64url credential id.
    pub credential_id: String,
    /// base64url 32-byte private scalar.
    pub private_key: String,
    /// base64url SEC1 (uncompressed) public key.
    pub public_key: String,
}

/// Generates a fresh P-256 key pair and credential id.
pub fn new_soft_key() -> SoftKey {
    let mut rng = rand::thread_rng();
    let signing = loop {
        let scalar: [u8; 32] = rng.gen();
        if let Ok(key) = SigningKey::from_slice(&scalar) {
            break key;
        }
    };
    let credential: [u8; 32] = rng.gen();
    SoftKey {
        credential_id: URL_SAFE_NO_PAD.encode(credential),
        private_key: URL_SAFE_NO_PAD.encode(signing.to_bytes()),
        public_key: URL_SAFE_NO_PAD.encode(signing.verifying_key().to_sec1_bytes()),
    }
}

fn decode_any(value: &str) -> Option<Vec<u8>> {
    let trimmed = value.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD.decode(value).ok())
}

/// Checks an assertion the way a relying party does: client data type, challenge and origin,
/// the RP id hash and user-presence flag of the authenticator data, and the signature over
/// `authenticatorData || SHA-256(clientData)`.
pub fn verify_assertion(
    public_key: &str,
    expected_challenge: &str,
    origin: &str,
    rp_id: &str,
    client_data: &str,
    authenticator_data: &str,
    signature: &str,
) -> Result<(), String> {
    let client_data = decode_any(client_data).ok_or("clientData is not base64")?;
    let auth_data = decode_any(authenticator_data).ok_or("authenticatorData is not base64")?;
    let signature = decode_any(signature).ok_or("signatureData is not base64")?;
    let parsed: serde_json::Value =
        serde_json::from_slice(&client_data).map_err(|_| "clientData is not JSON")?;
    if parsed["type"] != "webauthn.get" {
        return Err("clientData.type is not webauthn.get".into());
    }
    if parsed["challenge"] != expected_challenge {
        return Err("clientData.challenge does not match".into());
    }
    if parsed["origin"] != origin {
        return Err(format!("clientData.origin is not {origin}"));
    }
    if auth_data.len() < 37 {
        return Err("authenticatorData is too short".into());
    }
    if auth_data[..32] != Sha256::digest(rp_id.as_bytes())[..] {
        return Err("authenticatorData has the wrong RP id hash".into());
    }
    if auth_data[32] & 0x01 == 0 {
        return Err("user presence flag not set".into());
    }
    let key_bytes = decode_any(public_key).ok_or("bad configured public key")?;
    let key = VerifyingKey::from_sec1_bytes(&key_bytes).map_err(|_| "bad configured key")?;
    let signature = Signature::from_der(&signature).map_err(|_| "signature is not DER ECDSA")?;
    let mut message = auth_data.clone();
    message.extend_from_slice(&Sha256::digest(&client_data));
    key.verify(&message, &signature)
        .map_err(|_| "signature does not verify".to_string())
}
