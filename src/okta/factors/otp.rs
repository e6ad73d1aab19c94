//! Codes Okta sends (SMS, voice call, email): a verify without `passCode` sends the code
//! (`factorResult: CHALLENGE`, with a `resend` link), then the code goes to `_links.next`.
use super::code::{self, Prompt};
use super::{MfaFactor, Step, Verified, VerifyFuture};
use crate::okta::wire::{AuthnResponse, Factor};
use crate::okta::OktaClient;
use crate::Result;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

pub async fn verify(
    client: &OktaClient,
    factor: &Factor,
    href: Url,
    state_token: &SecretString,
) -> Result<AuthnResponse> {
    // Nobody could type the code in: do not have one sent.
    crate::terminal::may_ask(&format!("a code Okta would send by {}", factor.factor_type))?;
    let body = json!({"stateToken": state_token.expose_secret()});
    let sent: AuthnResponse = client.post_json(href.clone(), &body).await??;
    if sent.status != "MFA_CHALLENGE" {
        return Ok(sent);
    }
    let (how, to) = match factor.factor_type.as_str() {
        "sms" => ("by SMS", factor.profile.phone_number.clone()),
        "call" => ("by a voice call", factor.profile.phone_number.clone()),
        _ => ("by email", factor.profile.email.clone()),
    };
    let to = to.map(|t| format!(" to {t}")).unwrap_or_default();
    crate::notice!("Okta sent a verification code {how}{to}.");
    let next = sent.next_or(client, &href)?;
    let resend = match sent.links.resend.as_ref().and_then(|r| r.first()) {
        Some(link) => Some(client.link(&link.href)?),
        None => None,
    };
    let prompt = Prompt {
        text: format!("Enter the code sent {how}{to}"),
        field: "passCode",
        hidden: false,
        resend,
    };
    code::submit(client, next, state_token, &prompt).await
}

/// A code Okta sends by SMS (`sms`), voice call (`call`) or email (`email`).
pub struct SentCode;

impl MfaFactor for SentCode {
    fn serves(&self, factor_type: &str, _provider: &str) -> bool {
        matches!(factor_type, "sms" | "call" | "email")
    }
    fn name(&self, factor: &Factor) -> String {
        match factor.factor_type.as_str() {
            "sms" => "SMS Authentication",
            "call" => "Voice Call Authentication",
            _ => "Email Authentication",
        }
        .into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            verify(step.client, step.factor, step.href, step.state_token)
                .await
                .map(Verified::next)
        })
    }
}
