//! MFA factors of the classic authentication API. Each factor is one file implementing
//! [`MfaFactor`]: which enrolled factors it serves (Okta's `factorType` and `provider`), how the
//! sign-in page names them, and the verify step that drives Okta until the transaction leaves
//! MFA. [`FACTORS`] lists them; adding a factor is its file and one line there.
mod code;
pub(crate) mod duo;
mod duo_universal;
mod otp;
pub(crate) mod push;
mod question;
mod token;
mod totp;
pub mod webauthn;
mod yubikey;

use super::wire::{AuthnResponse, Factor};
use super::OktaClient;
use crate::{Error, Result};
use secrecy::SecretString;
use std::future::Future;
use std::pin::Pin;
use url::Url;

/// One MFA factor the classic authentication API can verify.
pub trait MfaFactor: Sync {
    /// Whether this verifies an enrolled factor of Okta's `factorType` and `provider` (given
    /// in upper case).
    fn serves(&self, factor_type: &str, provider: &str) -> bool;
    /// The factor's name as Okta's sign-in page shows it.
    fn name(&self, factor: &Factor) -> String;
    /// Drives Okta (and the factor's own service) until the transaction leaves MFA.
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a>;
}

/// What [`MfaFactor::verify`] returns. Boxed so the factors can sit in one list.
pub type VerifyFuture<'a> = Pin<Box<dyn Future<Output = Result<Verified>> + 'a>>;

/// Everything a factor's verify step gets.
pub struct Step<'a> {
    pub client: &'a OktaClient,
    pub factor: &'a Factor,
    /// The factor's verify link, with `rememberDevice=true` when that was allowed and wanted.
    pub href: Url,
    pub state_token: &'a SecretString,
    pub context: &'a Context,
}

/// Every factor aws-okta verifies, in the order they are matched.
pub static FACTORS: &[&dyn MfaFactor] = &[
    &push::OktaVerifyPush,
    &totp::Totp,
    &otp::SentCode,
    &yubikey::YubiKey,
    &token::HardToken,
    &question::SecurityQuestion,
    &duo::Duo,
    &duo_universal::DuoUniversal,
    &webauthn::WebAuthn,
];

/// The implementation that verifies `factor`, if aws-okta supports it.
fn implementation(factor: &Factor) -> Option<&'static dyn MfaFactor> {
    let provider = factor.provider.to_ascii_uppercase();
    FACTORS
        .iter()
        .copied()
        .find(|f| f.serves(&factor.factor_type, &provider))
}

/// The user's preference: `--mfa-provider`/`--mfa-factor-type`, env, or config.
#[derive(Debug, Clone, Default)]
pub struct FactorChoice {
    pub provider: Option<String>,
    pub factor_type: Option<String>,
    /// Duo device (`phone1`, ... or `passcode`): `--mfa-duo-device`, env, or `mfa_duo_device`.
    /// For the Duo Universal Prompt also a Duo factor (`Phone Call`), or `DEVICE:FACTOR`.
    pub duo_device: Option<String>,
    /// `AWS_OKTA_REMEMBER_DEVICE=false`: never ask Okta to remember this device.
    pub forget_device: bool,
}

/// What a factor's verification ended with.
pub enum Verified {
    /// Okta's next answer of the authentication transaction.
    Authn(Box<AuthnResponse>),
    /// The `sid` of the Okta session the factor started (the Duo Universal Prompt ends with a
    /// redirect back to Okta, not with a `sessionToken`).
    Session(SecretString),
}

impl Verified {
    /// The transaction goes on with Okta's answer.
    pub fn next(answer: AuthnResponse) -> Verified {
        Verified::Authn(Box::new(answer))
    }
}

/// What a factor's verification needs besides the factor itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The MFA policy allows remembering this device: send `rememberDevice=true`.
    pub remember_device: bool,
    /// Duo device (`phone1`, ... or `passcode`): the merged [`FactorChoice::duo_device`].
    pub duo_device: Option<String>,
}

impl Context {
    /// `allowed`: the MFA policy allows remembering the device; the user may still opt out.
    pub fn new(allowed: bool, choice: &FactorChoice) -> Context {
        Context {
            remember_device: allowed && !choice.forget_device,
            duo_device: choice.duo_device.clone(),
        }
    }
}

/// How the Okta sign-in page names a factor, with what identifies it and the flags to pick it.
pub fn label(factor: &Factor) -> String {
    let name = implementation(factor)
        .map(|f| f.name(factor))
        .unwrap_or_else(|| factor.factor_type.clone());
    let detail = factor
        .profile
        .phone_number
        .as_deref()
        .or(factor.profile.email.as_deref())
        .or(factor.profile.authenticator_name.as_deref())
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    format!(
        "{name}{detail} [--mfa-provider {} --mfa-factor-type {}]",
        factor.provider, factor.factor_type
    )
}

/// Picks the factor: the one matching the choice, else the only supported one, else ask.
pub fn choose(factors: &[Factor], choice: &FactorChoice) -> Result<Factor> {
    let matches = |f: &&Factor| {
        choice
            .provider
            .as_ref()
            .is_none_or(|p| p.trim().eq_ignore_ascii_case(&f.provider))
            && choice
                .factor_type
                .as_ref()
                .is_none_or(|t| t.trim().eq_ignore_ascii_case(&f.factor_type))
    };
    let candidates: Vec<&Factor> = factors
        .iter()
        .filter(|f| implementation(f).is_some())
        .filter(matches)
        .collect();
    let listing = || factors.iter().map(label).collect::<Vec<_>>().join("; ");
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] if factors.is_empty() => Err(Error::Mfa(
            "Okta asked for MFA but listed no factors".into(),
        )),
        [] => Err(Error::Mfa(format!(
            "no usable MFA factor matches your choice (provider {:?}, type {:?}); enrolled: {}",
            choice.provider.as_deref().unwrap_or("any"),
            choice.factor_type.as_deref().unwrap_or("any"),
            listing()
        ))),
        several => {
            // Checked first: once `exec --server` has handed the terminal over, the user can
            // still choose, just not here (`NeedsInput`, not "there is no terminal").
            crate::terminal::may_ask(
                "a choice of MFA factor, or --mfa-provider/--mfa-factor-type",
            )?;
            if !crate::terminal::interactive() {
                return Err(Error::Mfa(format!(
                    "several MFA factors are enrolled and there is no terminal to choose: pick one with --mfa-provider/--mfa-factor-type (or mfa_provider/mfa_factor_type in the config); enrolled: {}",
                    listing()
                )));
            }
            let labels: Vec<String> = several.iter().map(|f| label(f)).collect();
            let index =
                crate::terminal::select("Choose an MFA factor", &labels).map_err(Error::Mfa)?;
            Ok(several[index].clone())
        }
    }
}

pub async fn verify(
    client: &OktaClient,
    factor: &Factor,
    state_token: &SecretString,
    context: &Context,
) -> Result<Verified> {
    let mut href = match &factor.links.verify {
        Some(link) => client.link(&link.href)?,
        None => client.url(&format!("api/v1/authn/factors/{}/verify", factor.id))?,
    };
    if context.remember_device {
        href.query_pairs_mut().append_pair("rememberDevice", "true");
    }
    tracing::debug!(factor_type = %factor.factor_type, provider = %factor.provider, remember_device = context.remember_device, "okta verify factor");
    let Some(implementation) = implementation(factor) else {
        return Err(Error::Mfa(format!(
            "MFA factor {} is not supported",
            label(factor)
        )));
    };
    let step = Step {
        client,
        factor,
        href,
        state_token,
        context,
    };
    implementation.verify(step).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(id: &str, factor_type: &str, provider: &str) -> Factor {
        serde_json::from_value(
            serde_json::json!({"id": id, "factorType": factor_type, "provider": provider}),
        )
        .unwrap()
    }

    #[test]
    fn the_only_supported_factor_is_chosen() {
        let factors = [factor("a", "u2f", "FIDO"), factor("b", "push", "OKTA")];
        assert_eq!(choose(&factors, &FactorChoice::default()).unwrap().id, "b");
    }

    #[test]
    fn choice_matches_case_insensitively() {
        let factors = [
            factor("p", "push", "OKTA"),
            factor("g", "token:software:totp", "GOOGLE"),
        ];
        let choice = FactorChoice {
            provider: Some("google".into()),
            factor_type: None,
            duo_device: None,
            forget_device: false,
        };
        assert_eq!(choose(&factors, &choice).unwrap().id, "g");
        let choice = FactorChoice {
            provider: None,
            factor_type: Some("PUSH".into()),
            duo_device: None,
            forget_device: false,
        };
        assert_eq!(choose(&factors, &choice).unwrap().id, "p");
    }

    #[test]
    fn no_match_lists_what_is_enrolled() {
        let factors = [factor("p", "push", "OKTA")];
        let choice = FactorChoice {
            provider: Some("DUO".into()),
            factor_type: None,
            duo_device: None,
            forget_device: false,
        };
        let msg = choose(&factors, &choice).unwrap_err().to_string();
        assert!(
            msg.contains("Okta Verify (push)") && msg.contains("--mfa-provider OKTA"),
            "{msg}"
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    fn factor(v: serde_json::Value) -> Factor {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_documented_factor_has_a_kind_and_a_sign_in_page_name() {
        for (t, p, name) in [
            ("sms", "OKTA", "SMS Authentication"),
            ("call", "OKTA", "Voice Call Authentication"),
            ("email", "OKTA", "Email Authentication"),
            ("token:hardware", "YUBICO", "YubiKey"),
            ("token", "RSA", "RSA SecurID"),
            ("token", "SYMANTEC", "Symantec VIP"),
            ("question", "OKTA", "Security Question"),
            ("web", "DUO", "Duo Security"),
            ("webauthn", "FIDO", "Security Key or Biometric"),
            ("claims_provider", "CUSTOM", "Duo Universal Prompt"),
        ] {
            let f = factor(serde_json::json!({"id": "x", "factorType": t, "provider": p}));
            assert!(implementation(&f).is_some(), "{t}/{p}");
            assert!(label(&f).starts_with(name), "{t}/{p}: {}", label(&f));
        }
        let sms = factor(
            serde_json::json!({"id": "x", "factorType": "sms", "provider": "OKTA",
            "profile": {"phoneNumber": "+1 XXX-XXX-2345"}}),
        );
        assert!(label(&sms).contains("+1 XXX-XXX-2345"), "{}", label(&sms));
    }

    /// The list decides by the first match: no two files may claim the same factor, or which
    /// one runs would depend on their order.
    #[test]
    fn each_documented_factor_is_served_by_exactly_one_file() {
        for (t, p) in [
            ("push", "OKTA"),
            ("token:software:totp", "OKTA"),
            ("token:software:totp", "GOOGLE"),
            ("sms", "OKTA"),
            ("call", "OKTA"),
            ("email", "OKTA"),
            ("token:hardware", "YUBICO"),
            ("token", "RSA"),
            ("token", "SYMANTEC"),
            ("question", "OKTA"),
            ("web", "DUO"),
            ("push", "DUO"),
            ("claims_provider", "CUSTOM"),
            ("webauthn", "FIDO"),
        ] {
            let serving = FACTORS.iter().filter(|f| f.serves(t, p)).count();
            assert_eq!(serving, 1, "{t}/{p}");
        }
        for (t, p) in [
            ("u2f", "FIDO"),
            ("token:hotp", "CUSTOM"),
            ("push", "GOOGLE"),
        ] {
            assert!(!FACTORS.iter().any(|f| f.serves(t, p)), "{t}/{p}");
        }
    }
}
