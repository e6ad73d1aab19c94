//! MFA factors of the classic authentication API. Each factor kind is a small module with a
//! `verify` that drives Okta until the transaction leaves MFA; adding a factor is adding a module.
mod code;
pub(crate) mod duo;
mod duo_universal;
mod otp;
pub(crate) mod push;
pub mod webauthn;

use super::wire::{AuthnResponse, Factor};
use super::OktaClient;
use crate::{Error, Result};
use secrecy::SecretString;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Push,
    Totp,
    Sms,
    Call,
    Email,
    YubiKey,
    Token,
    Question,
    Duo,
    DuoUniversal,
    WebAuthn,
}

fn kind(factor: &Factor) -> Option<Kind> {
    match (
        factor.factor_type.as_str(),
        factor.provider.to_ascii_uppercase().as_str(),
    ) {
        ("push", "OKTA") => Some(Kind::Push),
        ("token:software:totp", "OKTA" | "GOOGLE") => Some(Kind::Totp),
        ("sms", _) => Some(Kind::Sms),
        ("call", _) => Some(Kind::Call),
        ("email", _) => Some(Kind::Email),
        ("token:hardware", "YUBICO") => Some(Kind::YubiKey),
        ("token", "RSA" | "SYMANTEC") => Some(Kind::Token),
        ("question", _) => Some(Kind::Question),
        ("web" | "push", "DUO") => Some(Kind::Duo),
        // Okta Classic's custom IdP factor: Duo's Universal Prompt (another IdP behind it is
        // refused at its first redirect).
        ("claims_provider", _) => Some(Kind::DuoUniversal),
        ("webauthn", _) => Some(Kind::WebAuthn),
        _ => None,
    }
}

/// How the Okta sign-in page names a factor, with what identifies it and the flags to pick it.
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
        ("token", "RSA") => "RSA SecurID",
        ("token", "SYMANTEC") => "Symantec VIP",
        ("question", _) => "Security Question",
        ("webauthn", _) => "Security Key or Biometric Authenticator",
        // The admin names the IdP (e.g. "Duo Universal Prompt"); the sign-in page shows that.
        ("claims_provider", _) => factor
            .vendor_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("Duo Universal Prompt"),
        _ => "",
    };
    let detail = factor
        .profile
        .phone_number
        .as_deref()
        .or(factor.profile.email.as_deref())
        .or(factor.profile.authenticator_name.as_deref())
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    format!(
        "{}{detail} [--mfa-provider {} --mfa-factor-type {}]",
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
            .is_none_or(|p| p.trim().eq_ignore_ascii_case(&f.provider))
            && choice
                .factor_type
                .as_ref()
                .is_none_or(|t| t.trim().eq_ignore_ascii_case(&f.factor_type))
    };
    let candidates: Vec<&Factor> = factors
        .iter()
        .filter(|f| kind(f).is_some())
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
    let typed = |text: String, field: &'static str, hidden: bool| code::Prompt {
        text,
        field,
        hidden,
        resend: None,
    };
    let response = match kind(factor) {
        Some(Kind::Push) => push::verify(client, href, state_token).await?,
        Some(Kind::Totp) => {
            let prompt = typed(
                "Enter the 6-digit code from your authenticator app".into(),
                "passCode",
                false,
            );
            code::submit(client, href, state_token, &prompt).await?
        }
        Some(Kind::Sms | Kind::Call | Kind::Email) => {
            otp::verify(client, factor, href, state_token).await?
        }
        Some(Kind::YubiKey) => {
            let prompt = typed(
                "Touch your YubiKey (or type its one-time password)".into(),
                "passCode",
                true,
            );
            code::submit(client, href, state_token, &prompt).await?
        }
        Some(Kind::Token) => {
            let name = if factor.provider.eq_ignore_ascii_case("RSA") {
                "RSA SecurID"
            } else {
                "Symantec VIP"
            };
            let prompt = typed(
                format!("Enter the code from your {name} token"),
                "passCode",
                false,
            );
            code::submit(client, href, state_token, &prompt).await?
        }
        Some(Kind::Question) => {
            let question = factor
                .profile
                .question_text
                .clone()
                .unwrap_or_else(|| "Answer your Okta security question".into());
            code::submit(client, href, state_token, &typed(question, "answer", true)).await?
        }
        Some(Kind::Duo) => {
            duo::verify(
                client,
                &factor.id,
                href,
                state_token,
                context.duo_device.as_deref(),
            )
            .await?
        }
        Some(Kind::DuoUniversal) => {
            return duo_universal::verify(client, href, state_token, context.duo_device.as_deref())
                .await
        }
        Some(Kind::WebAuthn) => webauthn::verify(client, factor, href, state_token).await?,
        None => {
            return Err(Error::Mfa(format!(
                "MFA factor {} is not supported",
                label(factor)
            )))
        }
    };
    Ok(Verified::Authn(Box::new(response)))
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
            assert!(kind(&f).is_some(), "{t}/{p}");
            assert!(label(&f).starts_with(name), "{t}/{p}: {}", label(&f));
        }
        let sms = factor(
            serde_json::json!({"id": "x", "factorType": "sms", "provider": "OKTA",
            "profile": {"phoneNumber": "+1 XXX-XXX-2345"}}),
        );
        assert!(label(&sms).contains("+1 XXX-XXX-2345"), "{}", label(&sms));
    }
}
