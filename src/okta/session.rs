//! The Okta browser session behind a cached `sid`. Reusing it costs one request: the AWS app
//! link with the cookie (an ended session answers with the sign-in page, and the user logs in
//! again). Its end (`expiresAt`) is learnt once with `GET /api/v1/sessions/me` right after the
//! login that created it and kept with the `sid`; a session known to end within the refresh
//! window is extended first with `POST /api/v1/sessions/me/lifecycle/refresh`.
//!
//! Also the remembered-device token (`DT` cookie), kept per Okta account in the keychain so
//! "MFA once per device" policies do not ask for MFA on every login.
use super::http::Retry;
use super::identity::Identity;
use super::OktaClient;
use crate::keychain::Keychain;
use crate::Result;
use chrono::{DateTime, Utc};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Okta knows the session; it ends at `expires_at`.
    Active { expires_at: Option<DateTime<Utc>> },
    /// 404 `E0000007`: the session ended; log in again.
    Gone,
    /// The Sessions API did not say (blocked, odd answer): try the session anyway.
    Unknown,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionInfo {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

fn cookie(sid: &SecretString) -> SecretString {
    SecretString::from(format!("sid={}", sid.expose_secret()))
}

/// Whether a session Okta said ends at `expires_at` should be extended before use: it ends
/// within `window` (`AWS_OKTA_SESSION_REFRESH_WINDOW`).
pub fn due_for_refresh(expires_at: Option<DateTime<Utc>>, window: std::time::Duration) -> bool {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(15));
    expires_at.is_some_and(|end| end - Utc::now() <= window)
}

/// Extends the session (`POST /api/v1/sessions/me/lifecycle/refresh`).
pub async fn refresh(client: &OktaClient, sid: &SecretString) -> Result<SessionState> {
    let refresh = client.url("api/v1/sessions/me/lifecycle/refresh")?;
    call(client, Method::POST, refresh, &cookie(sid)).await
}

/// Checks the session, refreshing it when it ends within the refresh window.
pub async fn validate(
    client: &OktaClient,
    sid: &SecretString,
    refresh_window: std::time::Duration,
) -> Result<SessionState> {
    let cookie = cookie(sid);
    let me = client.url("api/v1/sessions/me")?;
    let state = call(client, Method::GET, me, &cookie).await?;
    let SessionState::Active {
        expires_at: Some(expires_at),
    } = state
    else {
        return Ok(state);
    };
    let left = expires_at - Utc::now();
    if !due_for_refresh(Some(expires_at), refresh_window) {
        tracing::debug!(minutes_left = left.num_minutes(), "okta session is valid");
        return Ok(state);
    }
    tracing::debug!(
        minutes_left = left.num_minutes(),
        "okta session expires soon; refreshing it"
    );
    let refresh = client.url("api/v1/sessions/me/lifecycle/refresh")?;
    match call(client, Method::POST, refresh, &cookie).await? {
        SessionState::Unknown => Ok(state),
        refreshed => Ok(refreshed),
    }
}

async fn call(
    client: &OktaClient,
    method: Method,
    url: url::Url,
    cookie: &SecretString,
) -> Result<SessionState> {
    let retry = if method == Method::GET {
        Retry::Idempotent
    } else {
        Retry::Once
    };
    let answer = match client
        .json_request::<SessionInfo>(method, url, None, Some(cookie), retry)
        .await
    {
        Ok(answer) => answer,
        Err(e) => {
            tracing::debug!(error = %e, "okta sessions API unusable");
            return Ok(SessionState::Unknown);
        }
    };
    Ok(match answer {
        Ok(info) if info.status.as_deref().is_none_or(|s| s == "ACTIVE") => SessionState::Active {
            expires_at: info.expires_at,
        },
        Ok(_) => SessionState::Gone,
        Err(e) if e.status.as_u16() == 404 || e.body.error_code == "E0000007" => {
            tracing::debug!("okta session is gone (E0000007)");
            SessionState::Gone
        }
        Err(e) => {
            tracing::debug!(status = %e.status, code = %e.body.error_code, "okta sessions API error");
            SessionState::Unknown
        }
    })
}

fn device_item(account: &str) -> String {
    crate::keychain::items::device_token(account)
}

/// `okta-device-<account>`: the `DT` and the identity it was issued for.
#[derive(Deserialize)]
struct StoredDevice {
    dt: SecretString,
    #[serde(default)]
    identity: Option<Identity>,
}

#[derive(Serialize)]
struct DeviceOut<'a> {
    dt: &'a str,
    identity: &'a Identity,
}

/// The account's remembered device token, if it was issued for `identity` (one issued for
/// another identity, or for none, is deleted).
fn stored_device_token(
    keychain: &dyn Keychain,
    account: &str,
    identity: &Identity,
) -> Result<Option<SecretString>> {
    let stored = super::identity::load_for(
        keychain,
        &device_item(account),
        identity,
        |s: &StoredDevice| s.identity.as_ref(),
    )?;
    Ok(stored.map(|s| s.dt))
}

/// The account's remembered device token (if any, and issued for `identity`); read before the
/// client exists, so that the read overlaps the TLS roots being built. A keychain that cannot
/// be read only costs the remembered device (Okta asks for MFA as on a new device).
pub fn remembered_device_token(
    keychain: &dyn Keychain,
    account: &str,
    identity: &Identity,
) -> Option<SecretString> {
    match stored_device_token(keychain, account, identity) {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the remembered device token");
            None
        }
    }
}

/// Puts `remembered` (from [`remembered_device_token`]) into the client's cookie jar;
/// [`save_device_token`] then compares with it instead of reading the keychain again.
pub fn send_device_token(client: &OktaClient, remembered: Option<&SecretString>) {
    if let Some(dt) = remembered {
        tracing::debug!("sending the remembered Okta device token");
        client.set_cookie("DT", dt.clone());
    }
}

/// Stores the device token Okta set (or confirmed), when it differs from `sent`, what
/// [`remembered_device_token`] found stored.
pub fn save_device_token(
    client: &OktaClient,
    keychain: &dyn Keychain,
    account: &str,
    identity: &Identity,
    sent: Option<&SecretString>,
) -> Result<()> {
    let Some(dt) = client.cookie("DT") else {
        return Ok(());
    };
    if sent.is_some_and(|s| s.expose_secret() == dt.expose_secret()) {
        return Ok(());
    }
    let data = Zeroizing::new(
        serde_json::to_vec(&DeviceOut {
            dt: dt.expose_secret(),
            identity,
        })
        .map_err(crate::Error::encode("the device token"))?,
    );
    keychain.set(&device_item(account), &data)
}

/// Forgets the account's remembered device token; `Ok(true)` when there was one. The next
/// login of the account asks for MFA again.
pub fn forget_device_token(keychain: &dyn Keychain, account: &str) -> Result<bool> {
    keychain.delete(&device_item(account))
}

/// What `DELETE /api/v1/sessions/me` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Okta ended the session.
    Ended,
    /// Okta no longer knew it (404).
    AlreadyGone,
}

/// How long `logout` waits for Okta to end one session: it forgets the session either way.
const END_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Ends the Okta session of `sid` at the org `base` that issued it (`DELETE
/// /api/v1/sessions/me` with the `sid` cookie), so a copy of the cookie is worthless too. For
/// `logout`, which forgets the `sid` whatever this answers.
pub async fn end(
    base: url::Url,
    sid: &SecretString,
    settings: &crate::okta::http::OktaHttp,
) -> Result<Ended> {
    let client = OktaClient::new(base, settings)?;
    let url = client.url("api/v1/sessions/me")?;
    let cookie = cookie(sid);
    let request = client.send_with(
        || {
            client
                .request(Method::DELETE, url.clone())
                .header("Accept", "application/json")
                .header(reqwest::header::COOKIE, cookie.expose_secret())
        },
        Retry::Once,
    );
    let response = tokio::time::timeout(END_TIMEOUT, request)
        .await
        .map_err(|_| {
            crate::Error::network(format!(
                "Okta did not answer within {}s",
                END_TIMEOUT.as_secs()
            ))
        })??;
    match response.status().as_u16() {
        200..=299 => Ok(Ended::Ended),
        404 => Ok(Ended::AlreadyGone),
        status => Err(crate::Error::OktaResponse(format!(
            "Okta answered HTTP {status}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;

    fn identity(domain: &str) -> Identity {
        Identity::new(
            &crate::okta::parse_domain(domain).unwrap(),
            "alice@example.com",
        )
    }

    #[test]
    fn a_device_token_serves_only_the_identity_it_was_issued_for() {
        let keychain = MemoryKeychain::default();
        let a = identity("a.okta.com");
        let client = OktaClient::new(a.base_url().unwrap(), &Default::default()).unwrap();
        client.set_cookie("DT", SecretString::from("dt-of-a"));
        save_device_token(&client, &keychain, "acct", &a, None).unwrap();
        let found = stored_device_token(&keychain, "acct", &a).unwrap();
        assert_eq!(found.unwrap().expose_secret(), "dt-of-a");

        let b = identity("b.okta.com");
        assert!(stored_device_token(&keychain, "acct", &b)
            .unwrap()
            .is_none());
        assert!(
            keychain.get(&device_item("acct")).unwrap().is_none(),
            "deleted once seen for another identity"
        );

        // Written before items recorded an identity: not trusted either.
        keychain
            .set(&device_item("acct"), br#"{"dt":"old"}"#)
            .unwrap();
        assert!(stored_device_token(&keychain, "acct", &a)
            .unwrap()
            .is_none());
        assert!(!forget_device_token(&keychain, "acct").unwrap());
    }
}
