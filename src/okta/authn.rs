//! Okta's classic authentication API (`/api/v1/authn`) as a small state machine: primary
//! authentication, then whatever `status` asks for, until `SUCCESS` yields a session token.
use super::factors::{self, FactorChoice};
use super::wire::AuthnResponse;
use super::{account_flag, OktaAccount, OktaClient};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

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
                    Error::OktaResponse("Okta answered SUCCESS without a sessionToken".into())
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
                crate::warning!(
                    "your Okta password expires in {} day(s); change it on the Okta sign-in page, then run `aws-okta add{}`",
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
