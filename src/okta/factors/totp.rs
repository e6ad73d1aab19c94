//! Time-based codes (Okta Verify or Google Authenticator): prompt, verify, re-ask on a typo.
use crate::okta::authn::AuthnResponse;
use crate::okta::OktaClient;
use crate::terminal;
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

const ATTEMPTS: u32 = 3;

pub async fn verify(
    client: &OktaClient,
    href: Url,
    state_token: &SecretString,
) -> Result<AuthnResponse> {
    let interactive = terminal::interactive();
    for attempt in 1..=ATTEMPTS {
        let code = read_code(interactive)?;
        let body = json!({"stateToken": state_token.expose_secret(), "passCode": code.trim()});
        match client
            .post_json::<AuthnResponse>(href.clone(), &body)
            .await?
        {
            Ok(response) => return Ok(response),
            Err(e) if e.body.error_code == "E0000068" => {
                if !interactive || attempt == ATTEMPTS {
                    return Err(Error::Mfa(format!(
                        "Okta rejected the MFA code ({}): retry with a fresh code",
                        e.body.message()
                    )));
                }
                eprintln!(
                    "That code was not accepted; try again ({} left).",
                    ATTEMPTS - attempt
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Mfa("Okta rejected the MFA code".into()))
}

/// Prompts on a terminal; otherwise reads one line from stdin (for scripts).
fn read_code(interactive: bool) -> Result<zeroize::Zeroizing<String>> {
    let code = if interactive {
        terminal::input("Enter the 6-digit code from your authenticator app")
            .map(zeroize::Zeroizing::new)
    } else {
        terminal::read_stdin_line()
    }
    .map_err(Error::Mfa)?;
    if code.trim().is_empty() {
        return Err(Error::Mfa(
            "no MFA code given: run in a terminal, or pipe the code on stdin".into(),
        ));
    }
    Ok(code)
}
