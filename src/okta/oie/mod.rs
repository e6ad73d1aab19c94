//! Okta Identity Engine: the org's pipeline (`detect`), the OAuth logins that replace the
//! classic `/api/v1/authn` there (`direct`: password + push/TOTP, `device`: the browser), and
//! the token steps that end in the same `SamlAssertion` (or an OIDC id token) the hub hop
//! consumes (`token`). Refresh token and device secret are kept per Okta account in the
//! keychain, so the user step happens once per Okta session, not per command.
pub mod detect;
pub mod device;
pub mod direct;
pub mod token;

use super::identity::Identity;
use crate::keychain::Keychain;
use crate::redact;
use crate::{Error, Result};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;
use zeroize::Zeroizing;

pub const GRANT_PASSWORD: &str = "password";
pub const GRANT_MFA_OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
pub const GRANT_MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const GRANT_REFRESH: &str = "refresh_token";

pub use crate::config::{FlowSetting, HubTrust};

/// The login actually used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Classic,
    Direct,
    Device,
}

impl Flow {
    pub fn name(self) -> &'static str {
        match self {
            Flow::Classic => "classic",
            Flow::Direct => "direct",
            Flow::Device => "device",
        }
    }
}

/// The flows that end with OAuth tokens (what `token::hub_proof` runs): the classic flow
/// cannot be asked for tokens, so it is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFlow {
    /// Password and MFA through Okta's direct authentication API.
    Direct,
    /// The device authorization grant: the user signs in in a browser.
    Device,
}

impl OAuthFlow {
    pub fn name(self) -> &'static str {
        match self {
            OAuthFlow::Direct => Flow::Direct.name(),
            OAuthFlow::Device => Flow::Device.name(),
        }
    }
}

/// Chooses the flow and says why (for `--debug` and `list`). `pipeline` is `None` when unknown.
pub fn choose(
    setting: FlowSetting,
    pipeline: Option<detect::Pipeline>,
    client_id: bool,
    password: bool,
) -> (Flow, &'static str) {
    match setting {
        FlowSetting::Classic => (Flow::Classic, "okta_auth_flow = classic"),
        FlowSetting::Direct => (Flow::Direct, "okta_auth_flow = direct"),
        FlowSetting::Device => (Flow::Device, "okta_auth_flow = device"),
        FlowSetting::Auto => match pipeline {
            Some(detect::Pipeline::Idx) if client_id && password => (
                Flow::Direct,
                "auto: Identity Engine org, okta_oidc_client_id set and a password stored",
            ),
            Some(detect::Pipeline::Idx) if client_id => (
                Flow::Device,
                "auto: Identity Engine org, okta_oidc_client_id set, no password stored",
            ),
            Some(detect::Pipeline::Idx) => (
                Flow::Classic,
                "auto: Identity Engine org but no okta_oidc_client_id (classic may be refused)",
            ),
            Some(detect::Pipeline::Classic) => (Flow::Classic, "auto: Classic Engine org"),
            None if !client_id => (Flow::Classic, "auto: no okta_oidc_client_id"),
            None => (Flow::Classic, "auto: pipeline unknown"),
        },
    }
}

/// The login a profile uses and why, without network or keychain (for `list`); `None` for
/// the plain default (auto without an OIDC client: classic).
pub fn describe_flow(okta: &crate::config::OktaSettings) -> Option<String> {
    let client = okta
        .oidc_client_id
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let trust = okta.hub_trust.name();
    match okta.auth_flow {
        Some(FlowSetting::Classic) => Some("classic (okta_auth_flow)".to_string()),
        Some(FlowSetting::Direct) => {
            Some(format!("direct (okta_auth_flow), hub trust {trust}"))
        }
        Some(FlowSetting::Device) => {
            Some(format!("device (okta_auth_flow), hub trust {trust}"))
        }
        None | Some(FlowSetting::Auto) if client => Some(format!(
            "auto: classic on Classic orgs, direct (device without a password) on Identity Engine, hub trust {trust}"
        )),
        None | Some(FlowSetting::Auto) => None,
    }
}

/// The AWS app id: `okta_aws_app_id`, else from `aws_saml_url` (`home/amazon_aws/<id>/<n>`).
pub fn aws_app_id(configured: Option<&str>, saml_url: &str) -> Option<String> {
    if let Some(id) = configured.filter(|s| !s.trim().is_empty()) {
        return Some(id.trim().to_string());
    }
    let path = saml_url.split(['?', '#']).next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    parts
        .windows(3)
        .find(|w| w[0] == "home" && !w[2].is_empty())
        .map(|w| w[2].to_string())
        .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub fn setup_error(message: impl Into<String>) -> Error {
    Error::OktaSetup(message.into())
}

/// Okta's OAuth error body `{"error","error_description"}` (plus `mfa_token` on `mfa_required`).
#[derive(Debug, Deserialize, Default)]
pub struct OAuthError {
    #[serde(skip)]
    pub status: u16,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
    #[serde(default)]
    pub mfa_token: Option<SecretString>,
}

impl OAuthError {
    /// The error as an admin-actionable message where the code says what to change.
    pub fn into_error(self, client_id: &str, grant: &str) -> Error {
        let detail = if self.error_description.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.error_description)
        };
        match self.error.as_str() {
            "invalid_client" => setup_error(format!(
                "Okta does not know OIDC client '{client_id}'{detail}: ask your Okta admin for the client id of the aws-okta native app and set okta_oidc_client_id"
            )),
            "unauthorized_client" => setup_error(format!(
                "the Okta OIDC app '{client_id}' may not use the grant {grant}{detail}: ask your Okta admin to enable it under the app's Grant types"
            )),
            "invalid_scope" => setup_error(format!(
                "the Okta OIDC app '{client_id}' may not request these scopes{detail}: ask your Okta admin to grant okta.apps.sso and allow offline_access/device_sso"
            )),
            "access_denied" => Error::AccessDenied(
                format!("Okta denied the sign-in (access_denied){detail}: the request was declined or a policy does not allow it; retry, or ask your Okta admin about the app's sign-on policy")
            ),
            "" => Error::OktaResponse(format!(
                "Okta answered HTTP {} without an OAuth error: is the domain an Okta org?",
                self.status
            )),
            other => Error::OktaResponse(
                format!("Okta OAuth error {other} (HTTP {}){detail}", self.status)
            ),
        }
    }
}

/// Tokens from `/v1/token`. Secrets never reach `Debug`.
#[derive(Deserialize, Default)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub id_token: Option<SecretString>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub device_secret: Option<SecretString>,
    #[serde(default)]
    pub issued_token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("id_token", &self.id_token.is_some())
            .field("refresh_token", &self.refresh_token.is_some())
            .field("device_secret", &self.device_secret.is_some())
            .finish_non_exhaustive()
    }
}

/// OAuth requests to the org (or a custom authorization server): form posts, JSON answers,
/// retries only where Okta cannot have acted (429, 502-504, refused connections).
pub struct OAuthClient {
    http: reqwest::Client,
    pub base: Url,
    origin: super::origin::OktaOrigin,
    pub client_id: String,
    server: Option<String>,
    poll_override: Option<Duration>,
}

impl OAuthClient {
    pub fn new(
        base: Url,
        client_id: &str,
        server: Option<&str>,
        settings: &crate::okta::http::OktaHttp,
    ) -> Result<OAuthClient> {
        // The same client as the classic API: no automatic redirects, so the password grant,
        // refresh token, device secret and id token in these POST bodies never follow one.
        let http = super::http::build_http(&base, settings)?;
        let poll_override = settings.poll_interval;
        Ok(OAuthClient {
            http,
            origin: super::origin::OktaOrigin::new(base.clone()),
            base,
            client_id: client_id.to_string(),
            server: server
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "default-org")
                .map(str::to_string),
            poll_override,
        })
    }

    /// `/oauth2/v1/<name>` or `/oauth2/<server>/v1/<name>`.
    pub fn endpoint(&self, name: &str) -> Result<Url> {
        let path = match &self.server {
            Some(id) => format!("oauth2/{id}/v1/{name}"),
            None => format!("oauth2/v1/{name}"),
        };
        self.url(&path)
    }

    /// Endpoints that exist on the org authorization server only (device SSO web token).
    pub fn org_endpoint(&self, name: &str) -> Result<Url> {
        self.url(&format!("oauth2/v1/{name}"))
    }

    pub fn url(&self, path: &str) -> Result<Url> {
        self.origin.api(path)
    }

    pub fn origin(&self) -> &super::origin::OktaOrigin {
        &self.origin
    }

    /// The wait between polls: the server's `interval`, unless `AWS_OKTA_POLL_INTERVAL` is set.
    pub fn poll_wait(&self, interval: Option<u64>) -> Duration {
        self.poll_override
            .unwrap_or_else(|| Duration::from_secs(interval.unwrap_or(5).clamp(1, 60)))
    }

    /// What `slow_down` adds: 5 s (RFC 8628), or the override again in tests.
    pub fn slow_down_step(&self) -> Duration {
        self.poll_override.unwrap_or(Duration::from_secs(5))
    }

    /// POSTs a form with `client_id`; `Ok(Ok(json))` on 2xx, `Ok(Err(oauth error))` on 4xx.
    pub async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        form: &[(&str, &str)],
    ) -> Result<std::result::Result<T, OAuthError>> {
        let mut fields: Vec<(&str, &str)> = vec![("client_id", self.client_id.as_str())];
        fields.extend_from_slice(form);
        let target = redact::url(url.as_str());
        let mut attempt: u64 = 0;
        let response = loop {
            attempt += 1;
            tracing::debug!(url = %target, attempt, "okta oauth request");
            match self
                .http
                .post(url.clone())
                .header("Accept", "application/json")
                .form(&fields)
                .send()
                .await
            {
                Ok(r) if attempt < 4 && matches!(r.status().as_u16(), 429 | 502..=504) => {
                    tracing::debug!(url = %target, status = %r.status(), "okta busy; retrying");
                    tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
                }
                Ok(r) => break r,
                // A refused certificate fails the same way every time: never retried.
                Err(e) if crate::tls::certificate_problem(&e).is_some() => {
                    return Err(certificate_error(&url, e))
                }
                Err(e) if attempt < 4 && e.is_connect() && !e.is_timeout() => {
                    tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
                }
                Err(e) => {
                    return Err(Error::network(format!(
                        "connection to Okta ({}) failed: check your network or VPN ({})",
                        self.base.host_str().unwrap_or("?"),
                        e.without_url()
                    )))
                }
            }
        };
        let status = response.status();
        tracing::debug!(url = %target, %status, "okta oauth response");
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Error::RateLimited { service: "Okta" });
        }
        if status.is_redirection() {
            // Never re-sent elsewhere: the body holds a password, code, token or secret.
            return Err(Error::OktaResponse(format!(
                "Okta answered the OAuth request {target} with a redirect (HTTP {status}): refused, the request is not sent again; check the Okta domain"
            )));
        }
        let bytes = super::http::read_body("Okta", response).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map(Ok).map_err(|_| {
                Error::OktaResponse(format!(
                    "Okta answered {target} with something other than OAuth JSON: is the domain an Okta org?"
                ))
            });
        }
        if status.is_server_error() {
            return Err(Error::network(format!(
                "Okta failed (HTTP {status}) at {target}: retry later"
            )));
        }
        let mut error: OAuthError = serde_json::from_slice(&bytes).unwrap_or_default();
        error.status = status.as_u16();
        tracing::debug!(url = %target, error = %error.error, "okta oauth error");
        Ok(Err(error))
    }

    /// A GET returning the body text (for `/login/token/sso` and the org document), following
    /// redirects only on the org.
    pub async fn get_text(&self, mut url: Url) -> Result<(StatusCode, String)> {
        for _ in 0..=10 {
            let target = redact::url(url.as_str());
            tracing::debug!(url = %target, "okta request");
            let response = self.http.get(url.clone()).send().await.map_err(|e| {
                if crate::tls::certificate_problem(&e).is_some() {
                    return certificate_error(&url, e);
                }
                let e = e.without_url();
                Error::network_caused(format!("connection to Okta failed ({e})"), e)
            })?;
            let status = response.status();
            tracing::debug!(url = %target, %status, "okta response");
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        Error::OktaResponse(format!("Okta redirected {target} without a Location"))
                    })?;
                url = self.origin.server_url("a redirect", location, &url)?;
                continue;
            }
            return Ok((status, super::http::read_text("Okta", response).await?));
        }
        Err(Error::OktaResponse("Okta redirected too many times".into()))
    }
}

/// The certificate error of a request to the org (see [`crate::tls`]).
fn certificate_error(url: &Url, e: reqwest::Error) -> Error {
    match crate::tls::certificate_problem(&e) {
        Some(problem) => problem.error("Okta", url.host_str().unwrap_or("?")),
        None => {
            let e = e.without_url();
            Error::network_caused(format!("connection to Okta failed ({e})"), e)
        }
    }
}

/// What the keychain keeps per Okta account (`okta-oauth-<account>`): enough to get a new
/// id token and web SSO token without any user step, and the identity it was issued for.
#[derive(Deserialize)]
pub struct StoredTokens {
    pub client_id: String,
    pub server: Option<String>,
    pub refresh_token: SecretString,
    pub device_secret: Option<SecretString>,
    /// `None` in items written before they recorded it: such tokens are not used.
    #[serde(default)]
    pub identity: Option<Identity>,
}

#[derive(Serialize)]
struct StoredTokensOut<'a> {
    client_id: &'a str,
    server: Option<&'a str>,
    refresh_token: &'a str,
    device_secret: Option<&'a str>,
    identity: Option<&'a Identity>,
}

pub fn tokens_item(account: &str) -> String {
    crate::keychain::items::oauth_tokens(account)
}

impl StoredTokens {
    /// The account's tokens, if they were issued for `identity`: tokens of another org or
    /// user (or of none recorded) are deleted, and never sent to this org.
    pub fn load(
        keychain: &dyn Keychain,
        account: &str,
        identity: &Identity,
    ) -> Result<Option<StoredTokens>> {
        super::identity::load_for(
            keychain,
            &tokens_item(account),
            identity,
            |s: &StoredTokens| s.identity.as_ref(),
        )
    }

    /// The account's tokens whatever identity they were issued for (for `logout`).
    pub fn load_any(keychain: &dyn Keychain, account: &str) -> Result<Option<StoredTokens>> {
        Ok(keychain
            .get(&tokens_item(account))?
            .and_then(|data| serde_json::from_slice(&data).ok()))
    }

    pub fn store(&self, keychain: &dyn Keychain, account: &str) -> Result<()> {
        let data = Zeroizing::new(
            serde_json::to_vec(&StoredTokensOut {
                client_id: &self.client_id,
                server: self.server.as_deref(),
                refresh_token: self.refresh_token.expose_secret(),
                device_secret: self.device_secret.as_ref().map(|s| s.expose_secret()),
                identity: self.identity.as_ref(),
            })
            .map_err(Error::encode("the OAuth tokens"))?,
        );
        keychain.set(&tokens_item(account), &data)
    }
}

/// Forgets an account's OAuth tokens (and its cached pipeline); first revokes the refresh
/// token (`POST /oauth2/v1/revoke`) at the org that issued it, when the tokens say which and
/// it can be reached. Tokens that do not say (written before they recorded their identity)
/// are only forgotten: the account's current org may not be theirs. For `logout`.
pub async fn forget(
    keychain: &dyn Keychain,
    account: &str,
    settings: &crate::okta::http::OktaHttp,
) -> Result<()> {
    let stored = StoredTokens::load_any(keychain, account)?;
    let base = stored
        .as_ref()
        .and_then(|s| s.identity.as_ref())
        .and_then(Identity::base_url);
    if let (Some(base), Some(stored)) = (base, stored) {
        if let Ok(client) =
            OAuthClient::new(base, &stored.client_id, stored.server.as_deref(), settings)
        {
            if let Ok(url) = client.endpoint("revoke") {
                let token = stored.refresh_token.expose_secret();
                let answer = client
                    .post::<serde_json::Value>(
                        url,
                        &[("token", token), ("token_type_hint", "refresh_token")],
                    )
                    .await;
                tracing::debug!(
                    ok = matches!(answer, Ok(Ok(_))),
                    "revoked the refresh token"
                );
            }
        }
    }
    keychain.delete(&tokens_item(account))?;
    keychain.delete(&detect::pipeline_item(account))?;
    Ok(())
}

/// For `logout`: revokes and forgets the Identity Engine tokens (and cached pipeline) of each
/// of `accounts` (the command names them: it has read the config). Returns how many accounts
/// had tokens. Works without a network (then only forgets).
pub fn logout_accounts(
    keychain: &dyn Keychain,
    accounts: &[String],
    settings: &crate::okta::http::OktaHttp,
) -> Result<usize> {
    let runtime = crate::runtime::current_thread()?;
    let mut forgotten = 0;
    for label in accounts {
        let had = StoredTokens::load_any(keychain, label)?.is_some();
        runtime.block_on(forget(keychain, label, settings))?;
        forgotten += usize::from(had);
    }
    Ok(forgotten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_comes_from_the_saml_url_when_not_configured() {
        assert_eq!(
            aws_app_id(None, "home/amazon_aws/0oa1abcdEFGH/272").as_deref(),
            Some("0oa1abcdEFGH")
        );
        assert_eq!(
            aws_app_id(None, "/home/amazon_aws/0oaX/272?x=1").as_deref(),
            Some("0oaX")
        );
        assert_eq!(
            aws_app_id(Some("0oaY"), "home/amazon_aws/0oaX/1").as_deref(),
            Some("0oaY")
        );
        assert_eq!(aws_app_id(None, "app/foo"), None);
    }

    #[test]
    fn auto_picks_the_flow_from_the_pipeline_and_config() {
        use detect::Pipeline::*;
        let auto = FlowSetting::Auto;
        assert_eq!(choose(auto, Some(Classic), true, true).0, Flow::Classic);
        assert_eq!(choose(auto, Some(Idx), true, true).0, Flow::Direct);
        assert_eq!(choose(auto, Some(Idx), true, false).0, Flow::Device);
        assert_eq!(choose(auto, Some(Idx), false, true).0, Flow::Classic);
        assert_eq!(
            choose(FlowSetting::Device, Some(Classic), true, true).0,
            Flow::Device
        );
        assert!("bogus".parse::<FlowSetting>().is_err());
        assert_eq!(
            "DIRECT".parse::<FlowSetting>().unwrap(),
            FlowSetting::Direct
        );
    }

    #[test]
    fn stored_tokens_are_used_only_for_the_identity_they_were_issued_for() {
        use crate::keychain::MemoryKeychain;
        let keychain = MemoryKeychain::default();
        let a = Identity::new(
            &crate::okta::parse_domain("a.okta.com").unwrap(),
            "alice@example.com",
        );
        let b = Identity::new(
            &crate::okta::parse_domain("b.okta.com").unwrap(),
            "alice@example.com",
        );
        StoredTokens {
            client_id: "0oa1".into(),
            server: None,
            refresh_token: SecretString::from("rt-of-a"),
            device_secret: None,
            identity: Some(a.clone()),
        }
        .store(&keychain, "acct")
        .unwrap();
        let loaded = StoredTokens::load(&keychain, "acct", &a).unwrap().unwrap();
        assert_eq!(loaded.refresh_token.expose_secret(), "rt-of-a");
        let any = StoredTokens::load_any(&keychain, "acct").unwrap().unwrap();
        assert_eq!(any.identity.as_ref(), Some(&a), "logout revokes at a's org");
        assert!(StoredTokens::load(&keychain, "acct", &b).unwrap().is_none());
        assert!(
            StoredTokens::load_any(&keychain, "acct").unwrap().is_none(),
            "deleted once seen for another identity"
        );
        let old =
            br#"{"client_id":"0oa1","server":null,"refresh_token":"rt","device_secret":null}"#;
        keychain.set(&tokens_item("acct"), old).unwrap();
        assert!(StoredTokens::load(&keychain, "acct", &a).unwrap().is_none());
    }

    #[test]
    fn oauth_errors_name_what_the_admin_changes() {
        let e = OAuthError {
            error: "unauthorized_client".into(),
            ..Default::default()
        }
        .into_error("0oa1", GRANT_MFA_OOB);
        assert_eq!(e.exit_code(), crate::error::exit::OKTA_SETUP);
        assert!(e.to_string().contains(GRANT_MFA_OOB), "{e}");
        let e = OAuthError {
            error: "invalid_client".into(),
            ..Default::default()
        }
        .into_error("0oa1", GRANT_PASSWORD);
        assert!(e.to_string().contains("okta_oidc_client_id"), "{e}");
    }
}
