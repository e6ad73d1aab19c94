//! The OAuth device authorization flow, for sign-on policies that demand FastPass or WebAuthn:
//! show the user code, open the verification page in the browser, poll until approved.
use super::{OAuthClient, TokenResponse, GRANT_DEVICE_CODE};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Okta's device codes live 10 minutes, unless its answer says otherwise (`expires_in`).
const DEFAULT_EXPIRES_IN: u64 = 600;
/// How long the browser step is waited for when Okta gives no `expires_in`.
pub(crate) const DEFAULT_GIVE_UP_AFTER: Duration = Duration::from_secs(DEFAULT_EXPIRES_IN + 10);

#[derive(Deserialize)]
struct Authorization {
    device_code: SecretString,
    user_code: String,
    #[serde(default)]
    verification_uri: Option<String>,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
}

pub async fn login(client: &OAuthClient, scope: &str, no_browser: bool) -> Result<TokenResponse> {
    let auth = client
        .post::<Authorization>(client.endpoint("device/authorize")?, &[("scope", scope)])
        .await?
        .map_err(|e| e.into_error(&client.client_id, GRANT_DEVICE_CODE))?;
    let page = auth
        .verification_uri_complete
        .clone()
        .or_else(|| auth.verification_uri.clone())
        .ok_or_else(|| {
            Error::OktaResponse("Okta's device authorization has no verification URI".into())
        })?;
    // The page is opened in the browser with the user's Okta cookies: it must be the org's.
    let page_url =
        client
            .origin()
            .server_url("a device-flow verification_uri", &page, &client.base)?;
    crate::notice!(
        "To sign in to Okta, open {} and confirm the code {}",
        page_url,
        auth.user_code
    );
    // `no_browser` already covers `AWS_OKTA_NO_BROWSER`, SSH and a missing display
    // (`Settings::browser`).
    if !no_browser {
        if let Err(e) = open::that_detached(page_url.as_str()) {
            crate::notice!("(could not open a browser: {e}; open the address above yourself)");
        }
    }
    let give_up = Duration::from_secs(auth.expires_in.unwrap_or(DEFAULT_EXPIRES_IN).min(1800) + 10);
    let started = Instant::now();
    let mut wait = client.poll_wait(auth.interval);
    let url = client.endpoint("token")?;
    loop {
        tokio::time::sleep(wait).await;
        let answer = client
            .post::<TokenResponse>(
                url.clone(),
                &[
                    ("grant_type", GRANT_DEVICE_CODE),
                    ("device_code", auth.device_code.expose_secret()),
                ],
            )
            .await?;
        match answer {
            Ok(tokens) => return Ok(tokens),
            Err(e) if e.error == "authorization_pending" => {}
            Err(e) if e.error == "slow_down" => {
                wait = (wait + client.slow_down_step()).min(Duration::from_secs(60));
                tracing::debug!(wait_ms = wait.as_millis() as u64, "okta asked to slow down");
            }
            Err(e) if e.error == "expired_token" => {
                return Err(Error::MfaExpired(
                    format!(
                        "the Okta sign-in code {} expired before it was confirmed in the browser: run the command again and confirm it sooner",
                        auth.user_code
                    )
                ))
            }
            Err(e) if e.error == "access_denied" => {
                return Err(Error::AccessDenied(
                    "the Okta sign-in was denied in the browser (access_denied): run the command again and allow it, or ask your Okta admin about the sign-on policy".into()
                ))
            }
            Err(e) => return Err(e.into_error(&client.client_id, GRANT_DEVICE_CODE)),
        }
        if started.elapsed() > give_up {
            return Err(Error::MfaExpired(
                "the browser sign-in was not confirmed in time: run the command again".into(),
            ));
        }
    }
}
