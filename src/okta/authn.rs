//! Okta's classic authentication API (`/api/v1/authn`) as a small state machine: primary
//! authentication, then whatever `status` asks for, until `SUCCESS` yields a session token.
use super::factors::{self, FactorChoice};
use super::{account_flag, OktaAccount, OktaClient};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthnResponse {
    pub status: String,
    #[serde(default)]
    pub state_token: Option<SecretString>,
    #[serde(default)]
    pub session_token: Option<SecretString>,
    #[serde(default)]
    pub factor_result: Option<String>,
    #[serde(rename = "_embedded", default)]
    pub embedded: Embedded,
    #[serde(rename = "_links", default)]
    pub links: Links,
}

#[derive(Debug, Deserialize, Default)]
pub struct Embedded {
    /// MFA_REQUIRED lists factors as an array; newer examples show a single `factor`.
    #[serde(default)]
    pub factors: Option<Vec<Factor>>,
    #[serde(default)]
    pub factor: Option<Factor>,
    #[serde(default)]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, Default)]
pub struct Links {
    #[serde(default)]
    pub next: Option<Link>,
    #[serde(default)]
    pub skip: Option<Link>,
    /// `resend` is an array of named links (older examples show a single object).
    #[serde(default)]
    pub resend: Option<OneOrMany<Link>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn first(&self) -> Option<&T> {
        match self {
            OneOrMany::One(one) => Some(one),
            OneOrMany::Many(many) => many.first(),
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct Link {
    pub href: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    /// Absent on factors offered for enrollment (`MFA_ENROLL`).
    #[serde(default)]
    pub id: String,
    pub factor_type: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub vendor_name: Option<String>,
    #[serde(default)]
    pub profile: FactorProfile,
    #[serde(rename = "_links", default)]
    pub links: FactorLinks,
    #[serde(rename = "_embedded", default)]
    pub embedded: Option<FactorEmbedded>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct FactorLinks {
    #[serde(default)]
    pub verify: Option<Link>,
}

/// The parts of a factor's `profile` shown to the user or needed to verify it.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct FactorProfile {
    #[serde(default)]
    pub credential_id: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub question_text: Option<String>,
    #[serde(default)]
    pub authenticator_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct FactorEmbedded {
    #[serde(default)]
    pub challenge: Option<Challenge>,
    /// Duo: where the Duo prompt is and where its answer goes.
    #[serde(default)]
    pub verification: Option<DuoVerification>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Okta Verify number challenge.
    #[serde(default)]
    pub correct_answer: Option<u32>,
    /// WebAuthn challenge (base64url).
    #[serde(default)]
    pub challenge: Option<String>,
}

#[derive(Deserialize, Clone)]
pub struct DuoVerification {
    pub host: String,
    pub signature: SecretString,
    #[serde(rename = "_links")]
    pub links: DuoLinks,
}

impl std::fmt::Debug for DuoVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuoVerification")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct DuoLinks {
    pub complete: Link,
}

impl AuthnResponse {
    pub fn factors(&self) -> Vec<Factor> {
        match (&self.embedded.factors, &self.embedded.factor) {
            (Some(list), _) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => Vec::new(),
        }
    }

    pub fn state_token(&self) -> Result<&SecretString> {
        self.state_token.as_ref().ok_or_else(|| {
            Error::Network(format!(
                "Okta answered {} without a stateToken",
                self.status
            ))
        })
    }

    /// The number Okta Verify asks the user to tap, when it is a number challenge.
    pub fn correct_answer(&self) -> Option<u32> {
        self.factor_embedded()?.challenge.as_ref()?.correct_answer
    }

    /// `_embedded.factor._embedded` of a challenge answer.
    pub fn factor_embedded(&self) -> Option<&FactorEmbedded> {
        self.embedded.factor.as_ref()?.embedded.as_ref()
    }

    /// The MFA policy lets this device be remembered (`allowRememberDevice`).
    pub fn allows_remember_device(&self) -> bool {
        self.embedded
            .policy
            .as_ref()
            .and_then(|p| p.get("allowRememberDevice"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// The `next` link, or the given fallback.
    pub fn next_or(&self, client: &OktaClient, fallback: &url::Url) -> Result<url::Url> {
        match &self.links.next {
            Some(link) => client.link(&link.href),
            None => Ok(fallback.clone()),
        }
    }
}

/// What a finished login gives to open the AWS app link with.
pub enum Login {
    /// Okta's one-time `sessionToken` (`SUCCESS`).
    Token(SecretString),
    /// The `sid` of the session a factor started itself (the Duo Universal Prompt's redirect
    /// back to Okta).
    Session(SecretString),
}

impl Login {
    pub fn proof(&self) -> super::app::SessionProof<'_> {
        match self {
            Login::Token(token) => super::app::SessionProof::Token(token),
            Login::Session(sid) => super::app::SessionProof::NewSession(sid),
        }
    }
}

/// Runs primary authentication and MFA; returns Okta's one-time `sessionToken`, or the `sid`
/// of the session a factor started.
pub async fn authenticate(
    client: &OktaClient,
    account: &OktaAccount,
    choice: &FactorChoice,
) -> Result<Login> {
    let body = json!({
        "username": account.username,
        "password": account.password.expose_secret(),
        "options": {"multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": true},
    });
    tracing::debug!(username = %account.username, "okta primary authentication");
    let mut response = match client
        .post_json::<AuthnResponse>(client.url("api/v1/authn")?, &body)
        .await?
    {
        Ok(r) => r,
        Err(e) if e.status.as_u16() == 401 || e.body.error_code == "E0000004" => {
            return Err(Error::WrongPassword {
                username: account.username.clone(),
                flag: account_flag(account.name.as_deref()),
            })
        }
        Err(e) => return Err(e.into()),
    };
    drop(body); // the JSON copy of the password (serde_json::Value cannot zeroize)

    // Each answer moves the login on (password warning, factor, success); an org that keeps
    // answering the same states would otherwise hold us in this loop forever.
    for _ in 0..MAX_STATES {
        tracing::debug!(status = %response.status, "okta authn state");
        response = match response.status.as_str() {
            "SUCCESS" => {
                return response.session_token.map(Login::Token).ok_or_else(|| {
                    Error::Network("Okta answered SUCCESS without a sessionToken".into())
                })
            }
            "MFA_REQUIRED" | "MFA_CHALLENGE" => {
                let factors = response.factors();
                let factor = factors::choose(&factors, choice)?;
                let context = factors::Context::new(response.allows_remember_device(), choice);
                match factors::verify(client, &factor, response.state_token()?, &context).await? {
                    factors::Verified::Authn(next) => *next,
                    factors::Verified::Session(sid) => return Ok(Login::Session(sid)),
                }
            }
            "PASSWORD_WARN" => {
                let days = response
                    .embedded
                    .policy
                    .as_ref()
                    .and_then(|p| p.pointer("/expiration/passwordExpireDays"))
                    .and_then(|d| d.as_u64());
                eprintln!(
                    "warning: your Okta password expires in {} day(s); change it on the Okta sign-in page, then run `aws-okta add{}`",
                    days.map_or("a few".to_string(), |d| d.to_string()),
                    account_flag(account.name.as_deref())
                );
                let skip =
                    response
                        .links
                        .skip
                        .clone()
                        .ok_or_else(|| Error::UnsupportedAuthState {
                            status: response.status.clone(),
                            url: client.base.to_string(),
                        })?;
                let body = json!({"stateToken": response.state_token()?.expose_secret()});
                client
                    .post_json::<AuthnResponse>(client.link(&skip.href)?, &body)
                    .await??
            }
            "LOCKED_OUT" => {
                return Err(Error::LockedOut {
                    username: account.username.clone(),
                })
            }
            "PASSWORD_EXPIRED" => {
                return Err(Error::PasswordExpired {
                    username: account.username.clone(),
                    flag: account_flag(account.name.as_deref()),
                })
            }
            "MFA_ENROLL" | "MFA_ENROLL_ACTIVATE" => {
                return Err(Error::MfaEnroll {
                    username: account.username.clone(),
                    url: client.url("enduser/settings")?.to_string(),
                })
            }

            other => {
                return Err(Error::UnsupportedAuthState {
                    status: other.to_string(),
                    url: client.base.to_string(),
                })
            }
        };
    }
    Err(Error::OktaResponse(format!(
        "Okta did not finish the login after {MAX_STATES} steps (last status {}): retry, or sign in once in the browser",
        response.status
    )))
}

/// The most authn answers one login goes through (a real one takes two to four).
const MAX_STATES: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_factor_array_and_single_factor_object() {
        let array: AuthnResponse = serde_json::from_str(
            r#"{"status":"MFA_REQUIRED","stateToken":"s","_embedded":{"factors":[
                {"id":"f1","factorType":"push","provider":"OKTA","_links":{"verify":{"href":"https://o/v"}}},
                {"id":"f2","factorType":"token:software:totp","provider":"GOOGLE"}]},"_links":{"cancel":{"href":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(array.factors().len(), 2);
        let single: AuthnResponse = serde_json::from_str(
            r#"{"status":"MFA_REQUIRED","stateToken":"s","_embedded":{"factor":{"id":"f1","factorType":"push","provider":"OKTA"}}}"#,
        )
        .unwrap();
        assert_eq!(single.factors()[0].id, "f1");
    }

    #[test]
    fn reads_the_number_challenge() {
        let r: AuthnResponse = serde_json::from_str(
            r#"{"status":"MFA_CHALLENGE","factorResult":"WAITING","stateToken":"s",
                "_links":{"next":{"name":"poll","href":"https://o/p"},"resend":[{"name":"push","href":"x"}]},
                "_embedded":{"factor":{"id":"f","factorType":"push","provider":"OKTA","_embedded":{"challenge":{"correctAnswer":42}}}}}"#,
        )
        .unwrap();
        assert_eq!(r.correct_answer(), Some(42));
        assert_eq!(r.links.next.unwrap().name.as_deref(), Some("poll"));
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let r: AuthnResponse =
            serde_json::from_str(r#"{"status":"SUCCESS","sessionToken":"20111secret"}"#).unwrap();
        assert!(!format!("{r:?}").contains("20111secret"));
    }
}
