//! MFA factors of the classic authentication API. Each factor kind is a small module with a
//! `verify` that drives Okta until the transaction leaves MFA; adding a factor is adding a module.
mod push;
mod totp;

use super::authn::{AuthnResponse, Factor};
use super::OktaClient;
use crate::{Error, Result};
use secrecy::SecretString;

/// The user's preference: `--mfa-provider`/`--mfa-factor-type`, env, or config.
#[derive(Debug, Clone, Default)]
pub struct FactorChoice {
    pub provider: Option<String>,
    pub factor_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Push,
    Totp,
}

fn kind(factor: &Factor) -> Option<Kind> {
    match (
        factor.factor_type.as_str(),
        factor.provider.to_ascii_uppercase().as_str(),
    ) {
        ("push", "OKTA") => Some(Kind::Push),
        ("token:software:totp", "OKTA" | "GOOGLE") => Some(Kind::Totp),
        _ => None,
    }
}

/// How the Okta sign-in page names a factor.
pub fn label(factor: &Factor) -> String {
    let name = match (
        factor.factor_type.as_str(),
        factor.provider.to_ascii_uppercase().as_str(),
    ) {
        ("push", "OKTA") => "Okta Verify (push)",
        ("token:software:totp", "OKTA") => "Okta Verify (code)",
        ("token:software:totp", "GOOGLE") => "Google Authenticator",
        ("push", "DUO") | ("web", "DUO") => "Duo Security",
        ("sms", _) => "SMS Authentication",
        ("call", _) => "Voice Call Authentication",
        ("email", _) => "Email Authentication",
        ("token:hardware", _) => "YubiKey",
        ("question", _) => "Security Question",
        ("webauthn", _) => "Security Key or Biometric",
        _ => "",
    };
    format!(
        "{} [--mfa-provider {} --mfa-factor-type {}]",
        if name.is_empty() {
            &factor.factor_type
        } else {
            name
        },
        factor.provider,
        factor.factor_type
    )
}

/// Picks the factor: the one matching the choice, else the only supported one, else ask.
pub fn choose(factors: &[Factor], choice: &FactorChoice) -> Result<Factor> {
    let matches = |f: &&Factor| {
        choice
            .provider
            .as_ref()
            .is_none_or(|p| p.eq_ignore_ascii_case(&f.provider))
            && choice
                .factor_type
                .as_ref()
                .is_none_or(|t| t.eq_ignore_ascii_case(&f.factor_type))
    };
    let candidates: Vec<&Factor> = factors
        .iter()
        .filter(|f| kind(f).is_some())
        .filter(matches)
        .collect();
    let listing = || factors.iter().map(label).collect::<Vec<_>>().join("; ");
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] if factors.is_empty() => Err(Error::Mfa("Okta asked for MFA but listed no factors".into())),
        [] => Err(Error::Mfa(format!(
            "no usable MFA factor matches your choice (provider {:?}, type {:?}); enrolled: {}",
            choice.provider.as_deref().unwrap_or("any"),
            choice.factor_type.as_deref().unwrap_or("any"),
            listing()
        ))),
        several if crate::terminal::interactive() => {
            let labels: Vec<String> = several.iter().map(|f| label(f)).collect();
            let index = crate::terminal::select("Choose an MFA factor", &labels).map_err(Error::Mfa)?;
            Ok(several[index].clone())
        }
        _ => Err(Error::Mfa(format!(
            "several MFA factors are enrolled and there is no terminal to choose: pick one with --mfa-provider/--mfa-factor-type (or mfa_provider/mfa_factor_type in the config); enrolled: {}",
            listing()
        ))),
    }
}

pub async fn verify(
    client: &OktaClient,
    factor: &Factor,
    state_token: &SecretString,
) -> Result<AuthnResponse> {
    let href = match &factor.links.verify {
        Some(link) => client.link(&link.href)?,
        None => client.url(&format!("api/v1/authn/factors/{}/verify", factor.id))?,
    };
    tracing::debug!(factor_type = %factor.factor_type, provider = %factor.provider, "okta verify factor");
    match kind(factor) {
        Some(Kind::Push) => push::verify(client, href, state_token).await,
        Some(Kind::Totp) => totp::verify(client, href, state_token).await,
        None => Err(Error::Mfa(format!(
            "MFA factor {} is not supported yet",
            label(factor)
        ))),
    }
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
        let factors = [factor("a", "sms", "OKTA"), factor("b", "push", "OKTA")];
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
        };
        assert_eq!(choose(&factors, &choice).unwrap().id, "g");
        let choice = FactorChoice {
            provider: None,
            factor_type: Some("PUSH".into()),
        };
        assert_eq!(choose(&factors, &choice).unwrap().id, "p");
    }

    #[test]
    fn no_match_lists_what_is_enrolled() {
        let factors = [factor("p", "push", "OKTA")];
        let choice = FactorChoice {
            provider: Some("DUO".into()),
            factor_type: None,
        };
        let msg = choose(&factors, &choice).unwrap_err().to_string();
        assert!(
            msg.contains("Okta Verify (push)") && msg.contains("--mfa-provider OKTA"),
            "{msg}"
        );
    }
}
