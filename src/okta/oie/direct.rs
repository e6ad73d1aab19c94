//! OAuth Direct Authentication: the stored password (`grant_type=password`), then the second
//! factor Okta asks for with `mfa_required`: an Okta Verify push through `/v1/challenge` and
//! `mfa-oob` polls (showing the number to tap), or a TOTP code with the `mfa-otp` grant.
use super::{OAuthClient, OAuthError, TokenResponse, GRANT_MFA_OOB, GRANT_MFA_OTP, GRANT_PASSWORD};
use crate::okta::OktaAccount;
use crate::terminal::{self, Spinner};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Push answers stop after this long even if Okta keeps saying `authorization_pending`.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(330);

#[derive(Deserialize)]
struct Challenge {
    #[serde(default)]
    oob_code: Option<SecretString>,
    #[serde(default)]
    binding_method: Option<String>,
    #[serde(default)]
    binding_code: Option<String>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Whether the user asked for a code instead of a push (`--mfa-factor-type`/`mfa_factor_type`).
pub fn wants_otp(factor_type: Option<&str>) -> bool {
    factor_type.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.contains("totp") || t == "otp" || t.contains("token:software")
    })
}

pub async fn login(
    client: &OAuthClient,
    account: &OktaAccount,
    scope: &str,
    factor_type: Option<&str>,
) -> Result<TokenResponse> {
    let url = client.endpoint("token")?;
    let answer = client
        .post::<TokenResponse>(
            url.clone(),
            &[
                ("grant_type", GRANT_PASSWORD),
                ("username", account.username.as_str()),
                ("password", account.password.expose_secret()),
                ("scope", scope),
            ],
        )
        .await?;
    let mfa_token = match answer {
        Ok(tokens) => return Ok(tokens),
        Err(OAuthError {
            error, mfa_token, ..
        }) if error == "mfa_required" => mfa_token
            .ok_or_else(|| Error::OktaResponse("Okta asked for MFA without an mfa_token".into()))?,
        Err(e) if e.error == "invalid_grant" => {
            return Err(Error::WrongPassword {
                username: account.username.clone(),
                flag: crate::okta::account_flag(account.name.as_deref()),
            })
        }
        Err(e) => return Err(e.into_error(&client.client_id, GRANT_PASSWORD)),
    };
    if wants_otp(factor_type) {
        otp(client, &mfa_token, scope).await
    } else {
        push(client, &mfa_token, scope).await
    }
}

async fn otp(client: &OAuthClient, mfa_token: &SecretString, scope: &str) -> Result<TokenResponse> {
    terminal::may_ask("the 6-digit code from your authenticator app")?;
    let code = if terminal::interactive() {
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
    let answer = client
        .post::<TokenResponse>(
            client.endpoint("token")?,
            &[
                ("grant_type", GRANT_MFA_OTP),
                ("mfa_token", mfa_token.expose_secret()),
                ("otp", code.trim()),
                ("scope", scope),
            ],
        )
        .await?;
    match answer {
        Ok(tokens) => Ok(tokens),
        Err(e) if e.error == "invalid_grant" => Err(Error::Mfa(format!(
            "Okta rejected the MFA code{}: retry with a fresh code",
            describe(&e)
        ))),
        Err(e) => Err(e.into_error(&client.client_id, GRANT_MFA_OTP)),
    }
}

fn describe(e: &OAuthError) -> String {
    if e.error_description.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.error_description)
    }
}

async fn push(
    client: &OAuthClient,
    mfa_token: &SecretString,
    scope: &str,
) -> Result<TokenResponse> {
    let challenge = client
        .post::<Challenge>(
            client.endpoint("challenge")?,
            &[
                ("mfa_token", mfa_token.expose_secret()),
                ("challenge_types_supported", GRANT_MFA_OOB),
                ("channel_hint", "push"),
            ],
        )
        .await?
        .map_err(|e| e.into_error(&client.client_id, GRANT_MFA_OOB))?;
    let oob_code = challenge
        .oob_code
        .ok_or_else(|| Error::OktaResponse("Okta's MFA challenge has no oob_code".into()))?;
    let spinner = Spinner::start("Waiting for Okta Verify push approval on your phone…");
    if challenge.binding_method.as_deref() == Some("transfer") {
        if let Some(code) = &challenge.binding_code {
            spinner.println(&format!(
                "\n    >>> Okta Verify: tap {code} on your phone <<<\n"
            ));
        }
    }
    let give_up = challenge
        .expires_in
        .map(|s| Duration::from_secs(s + 30))
        .unwrap_or(GIVE_UP_AFTER)
        .min(GIVE_UP_AFTER);
    let started = Instant::now();
    let mut wait = client.poll_wait(challenge.interval);
    let url = client.endpoint("token")?;
    loop {
        tokio::time::sleep(wait).await;
        let answer = client
            .post::<TokenResponse>(
                url.clone(),
                &[
                    ("grant_type", GRANT_MFA_OOB),
                    ("mfa_token", mfa_token.expose_secret()),
                    ("oob_code", oob_code.expose_secret()),
                    ("scope", scope),
                ],
            )
            .await?;
        match answer {
            Ok(tokens) => return Ok(tokens),
            Err(e) if e.error == "authorization_pending" => {}
            Err(e) if e.error == "slow_down" => {
                wait = (wait + client.slow_down_step()).min(std::time::Duration::from_secs(60))
            }
            Err(e) if e.error == "invalid_grant" => {
                return Err(Error::MfaDenied(
                    format!("the Okta Verify push was rejected{}: approve it on your phone when you retry, or use a code with --mfa-factor-type token:software:totp", describe(&e))
                ))
            }
            Err(e) if e.error == "expired_token" => {
                return Err(Error::MfaExpired(
                    format!("the Okta Verify push expired before it was answered{}: retry and approve it on your phone", describe(&e))
                ))
            }
            Err(e) => return Err(e.into_error(&client.client_id, GRANT_MFA_OOB)),
        }
        if started.elapsed() > give_up {
            return Err(Error::MfaExpired(
                "no answer to the Okta Verify push: retry and approve it on your phone".into(),
            ));
        }
    }
}
