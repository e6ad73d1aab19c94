//! Okta Verify push: send it, then poll `_links.next` until Okta reports the user's answer.
use super::{MfaFactor, Step, Verified, VerifyFuture};
use crate::okta::wire::AuthnResponse;
use crate::okta::wire::Factor;
use crate::okta::OktaClient;
use crate::terminal::Spinner;
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::time::{Duration, Instant};
use url::Url;

/// Okta itself times a push out after five minutes; stop a little after that.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(330);

pub async fn verify(
    client: &OktaClient,
    href: Url,
    state_token: &SecretString,
) -> Result<AuthnResponse> {
    let body = json!({"stateToken": state_token.expose_secret()});
    let response: AuthnResponse = client.post_json(href, &body).await??;
    wait(
        client,
        response,
        &body,
        "Waiting for Okta Verify push approval on your phone…",
    )
    .await
}

/// Polls `_links.next` while Okta answers `MFA_CHALLENGE`/`WAITING`, showing a number
/// challenge when there is one; terminal `factorResult`s become errors.
pub async fn wait(
    client: &OktaClient,
    mut response: AuthnResponse,
    body: &serde_json::Value,
    message: &str,
) -> Result<AuthnResponse> {
    let spinner = Spinner::start(message);
    let started = Instant::now();
    let mut shown_number = None;
    loop {
        if response.status != "MFA_CHALLENGE" {
            return Ok(response);
        }
        match response.factor_result.as_deref() {
            Some("WAITING") | None => {}
            Some("TIMEOUT") => return Err(Error::MfaTimeout),
            Some(other) => {
                return Err(Error::MfaRejected {
                    result: other.to_string(),
                })
            }
        }
        if let Some(number) = response.correct_answer() {
            if shown_number != Some(number) {
                spinner.println(&format!(
                    "\n    >>> Okta Verify: tap {number} on your phone <<<\n"
                ));
                shown_number = Some(number);
            }
        }
        if started.elapsed() > GIVE_UP_AFTER {
            return Err(Error::MfaTimeout);
        }
        let next = response
            .links
            .next
            .as_ref()
            .ok_or_else(|| Error::OktaResponse("Okta's challenge has no poll link".into()))?;
        let next = client.link(&next.href)?;
        tokio::time::sleep(client.poll_interval()).await;
        response = client.poll_json(next, body).await??;
    }
}

/// Okta Verify's push (`push`, provider OKTA).
pub struct OktaVerifyPush;

impl MfaFactor for OktaVerifyPush {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        factor_type == "push" && provider == "OKTA"
    }
    fn name(&self, _: &Factor) -> String {
        "Okta Verify (push)".into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            verify(step.client, step.href, step.state_token)
                .await
                .map(Verified::next)
        })
    }
}
