//! Okta Identity Engine's OAuth side, as documented by Okta: Direct Authentication
//! (`grant_type=password` → 403 `mfa_required` → `/v1/challenge` → `mfa-oob` polls, or
//! `mfa-otp`), the device authorization grant, refresh tokens, the Device SSO token exchange
//! for a Web SSO token, `/login/token/sso`, revocation and the JWKS of the signing key.
//! Org (`/oauth2/v1/...`) and custom authorization servers (`/oauth2/<id>/v1/...`).
//!
//! Every answer carries `Cache-Control: no-store`; errors are `{"error","error_description"}`
//! with Okta's status codes (400, 401 `invalid_client`, 403 `mfa_required`/`access_denied`).

#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::http::{base_url, parse_form, query_param};
use crate::{FakeOkta, ServerState};

pub const DEFAULT_CLIENT_ID: &str = "0oa1awsoktacli";
pub const DEFAULT_AUTH_SERVER: &str = "aus1awshub";
pub const GRANT_MFA_OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
pub const GRANT_MFA_OOB_OKTA: &str = "urn:okta:params:oauth:grant-type:mfa-oob";
pub const GRANT_MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
pub const GRANT_MFA_OTP_OKTA: &str = "urn:okta:params:oauth:grant-type:otp";
pub const GRANT_DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const GRANT_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const WEB_SSO: &str = "urn:okta:oauth:token-type:web_sso_token";
const KID: &str = "fake-okta-es256";
const USER_SUB: &str = "00u1fakeuser0alice0g7";

/// What the user (or the Okta admin) does in the OAuth flows. Every field has a default.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct OAuthConfig {
    /// The OIDC native app's client id.
    pub client_id: String,
    /// Grants enabled for the app (short names: password, mfa-oob, mfa-otp, device_code,
    /// token-exchange, refresh_token).
    pub grants: Vec<String>,
    /// The password grant answers `mfa_required` (else tokens at once).
    pub mfa_required: bool,
    /// What happens to an Okta Verify push sent through `/v1/challenge`.
    pub push: OobBehavior,
    /// A number challenge: `binding_method: transfer` with this `binding_code`.
    pub binding_code: Option<String>,
    /// The TOTP code accepted by the `mfa-otp` grant.
    pub totp_code: String,
    /// What the "browser" does with a device code.
    pub device: DeviceBehavior,
    /// The app may get a `device_secret` (Device SSO).
    pub device_sso: bool,
    /// Clients the AWS app accepts as Web SSO clients; `None`: just `client_id`.
    pub web_sso_clients: Option<Vec<String>>,
    /// The user is assigned to the AWS app.
    pub user_assigned: bool,
    /// Custom authorization server ids.
    pub authorization_servers: Vec<String>,
    /// `interval` in challenge and device answers (seconds).
    pub interval: u64,
    pub expires_in: u64,
    /// `/v1/token` answers `307 Temporary Redirect` to this URL (which keeps method and body)
    /// instead of serving the grant: a hostile or broken proxy, for tests that check no
    /// secret in the body follows it.
    pub token_redirect: Option<String>,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            grants: [
                "password",
                "mfa-oob",
                "mfa-otp",
                "device_code",
                "token-exchange",
                "refresh_token",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            mfa_required: true,
            push: OobBehavior::ApproveAfter(1),
            binding_code: None,
            totp_code: "123456".to_string(),
            device: DeviceBehavior::ApproveAfter(1),
            device_sso: true,
            web_sso_clients: None,
            user_assigned: true,
            authorization_servers: vec![DEFAULT_AUTH_SERVER.to_string()],
            interval: 5,
            expires_in: 300,
            token_redirect: None,
        }
    }
}

/// The user's answer to a Direct Authentication push.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum OobBehavior {
    /// `authorization_pending` for N polls, then tokens.
    ApproveAfter(u32),
    /// `slow_down` on the first poll, then like `ApproveAfter(N)`.
    SlowDownThenApproveAfter(u32),
    /// `invalid_grant` (the push was rejected) on the first poll.
    Reject,
    /// `expired_token` on the first poll.
    Expire,
    /// `access_denied` on the first poll.
    Deny,
}

/// The "browser" side of the device flow.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum DeviceBehavior {
    /// Approved after N `authorization_pending` polls.
    ApproveAfter(u32),
    /// `slow_down` on the first poll, then like `ApproveAfter(N)`.
    SlowDownThenApproveAfter(u32),
    /// Pending until `POST /__fake/device/approve` (or [`FakeOkta::approve_devices`]).
    Manual,
    /// `access_denied` on the first poll.
    Deny,
    /// `expired_token` on the first poll.
    Expire,
}

/// What the OAuth endpoints were asked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OAuthCounters {
    pub password_grants: u32,
    pub challenges: u32,
    pub oob_polls: u32,
    pub otp_grants: u32,
    pub device_authorizations: u32,
    pub device_polls: u32,
    pub slow_downs: u32,
    pub refresh_grants: u32,
    pub token_exchanges: u32,
    /// `/login/token/sso` calls that returned the SAML page.
    pub web_sso_logins: u32,
    pub revocations: u32,
    pub jwks: u32,
    /// Token answers (200) of `/v1/token` of any grant.
    pub tokens_issued: u32,
    /// Every OAuth request.
    pub requests: u32,
}

#[derive(Default)]
pub(crate) struct OAuthData {
    pub(crate) counters: OAuthCounters,
    mfa: HashMap<String, MfaTx>,
    devices: HashMap<String, DeviceTx>,
    refresh: HashMap<String, String>,
    id_tokens: HashSet<String>,
    device_secrets: HashSet<String>,
    web_sso: HashSet<String>,
    /// Grant types of the `mfa-oob` polls, as sent.
    pub(crate) oob_grant_types: Vec<String>,
    /// Every form field name and value received, for leak checks.
    pub(crate) seen_values: Vec<String>,
}

struct MfaTx {
    scope: String,
    oob_code: Option<String>,
    polls: u32,
}

struct DeviceTx {
    scope: String,
    polls: u32,
    approved: bool,
}

pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/oauth2/v1/token", post(token_org))
        .route("/oauth2/{server}/v1/token", post(token_custom))
        .route("/oauth2/v1/challenge", post(challenge_org))
        .route("/oauth2/{server}/v1/challenge", post(challenge_custom))
        .route("/oauth2/v1/device/authorize", post(device_org))
        .route("/oauth2/{server}/v1/device/authorize", post(device_custom))
        .route("/oauth2/v1/revoke", post(revoke_org))
        .route("/oauth2/{server}/v1/revoke", post(revoke_custom))
        .route("/oauth2/v1/keys", get(keys_org))
        .route("/oauth2/{server}/v1/keys", get(keys_custom))
        .route("/login/token/sso", get(token_sso))
        .route("/__fake/device/approve", post(approve_devices))
}

impl FakeOkta {
    pub fn oauth_counters(&self) -> OAuthCounters {
        self.state().data().oauth.counters.clone()
    }

    /// The "browser" approves every pending device code.
    pub fn approve_devices(&self) {
        for tx in self.state().data().oauth.devices.values_mut() {
            tx.approved = true;
        }
    }

    /// Grant types the client used to poll a push.
    pub fn oob_grant_types(&self) -> Vec<String> {
        self.state().data().oauth.oob_grant_types.clone()
    }

    /// The PEM-free public key as a JWK (what `/v1/keys` serves).
    pub fn jwk(&self) -> Value {
        jwk()
    }
}

// ---------------------------------------------------------------------------------------------

fn random(prefix: &str, len: usize) -> String {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{body}")
}

fn no_store(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body.to_string(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    no_store(
        status,
        json!({ "error": error, "error_description": description }),
    )
}

fn bad_request(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

/// The AWS app id from the embed link path (`home/amazon_aws/<id>/<n>`).
fn aws_app_id(state: &ServerState) -> String {
    state
        .config()
        .saml_path
        .trim_matches('/')
        .split('/')
        .nth(2)
        .unwrap_or("")
        .to_string()
}

/// Checks the custom server id and the client; returns the issuer.
fn begin(
    state: &ServerState,
    headers: &HeaderMap,
    server: Option<&str>,
    form: &HashMap<String, String>,
) -> Result<String, Response> {
    {
        let mut data = state.data();
        data.oauth.counters.requests += 1;
        let values: Vec<String> = form.values().cloned().collect();
        data.oauth.seen_values.extend(values);
    }
    let config = &state.config().oauth;
    let base = base_url(headers);
    let issuer = match server {
        None => base,
        Some(id) if config.authorization_servers.iter().any(|s| s == id) => {
            format!("{base}/oauth2/{id}")
        }
        Some(_) => {
            return Err((
                StatusCode::NOT_FOUND,
                [(CONTENT_TYPE, "application/json")],
                json!({
                    "errorCode": "E0000007",
                    "errorSummary": "Not found: Resource not found: authorization server (AuthorizationServer)",
                    "errorLink": "E0000007",
                    "errorId": random("oae", 22),
                    "errorCauses": [],
                })
                .to_string(),
            )
                .into_response())
        }
    };
    match form.get("client_id") {
        Some(id) if *id == config.client_id => Ok(issuer),
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client_id provided is invalid or not found.",
        )),
    }
}

fn grant_enabled(state: &ServerState, short: &str) -> Result<(), Response> {
    if state.config().oauth.grants.iter().any(|g| g == short) {
        Ok(())
    } else {
        Err(bad_request(
            "unauthorized_client",
            &format!("The client is not authorized to use the provided grant type. Configured grant types: {:?}.", state.config().oauth.grants),
        ))
    }
}

fn signing_key() -> SigningKey {
    // A fixed test key: tokens verify against the JWKS across restarts.
    let mut seed = [0x42u8; 32];
    seed[0] = 0x1f;
    SigningKey::from_slice(&seed).expect("fixed P-256 test key")
}

fn jwk() -> Value {
    let point = signing_key().verifying_key().to_sec1_bytes();
    json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": KID,
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    })
}

/// An ES256 id token signed with the key served at `/v1/keys`.
fn id_token(issuer: &str, client_id: &str, username: &str) -> String {
    let now = Utc::now().timestamp();
    let header = json!({ "alg": "ES256", "kid": KID, "typ": "JWT" });
    let claims = json!({
        "iss": issuer, "aud": client_id, "sub": USER_SUB, "email": username,
        "preferred_username": username, "iat": now, "exp": now + 3600,
        "jti": random("ID.", 20), "amr": ["pwd", "mfa"],
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = signing_key().sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

fn issue(state: &ServerState, issuer: &str, scope: &str) -> Response {
    let config = state.config();
    let scopes: HashSet<&str> = scope.split_whitespace().collect();
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": random("eyJraWQiOiJhY2Nlc3Mi.", 40),
        "scope": scope,
    });
    let mut data = state.data();
    data.oauth.counters.tokens_issued += 1;
    if scopes.contains("openid") {
        let token = id_token(issuer, &config.oauth.client_id, &config.username);
        data.oauth.id_tokens.insert(token.clone());
        body["id_token"] = json!(token);
    }
    if scopes.contains("offline_access") {
        let refresh = random("rt.", 32);
        data.issued.push(refresh.clone());
        data.oauth
            .refresh
            .insert(refresh.clone(), scope.to_string());
        body["refresh_token"] = json!(refresh);
    }
    if scopes.contains("device_sso") && config.oauth.device_sso {
        let secret = random("ds.", 32);
        data.issued.push(secret.clone());
        data.oauth.device_secrets.insert(secret.clone());
        body["device_secret"] = json!(secret);
    }
    no_store(StatusCode::OK, body)
}

fn scope_allowed(state: &ServerState, scope: &str) -> Result<(), Response> {
    if scope.split_whitespace().any(|s| s == "device_sso") && !state.config().oauth.device_sso {
        return Err(bad_request(
            "invalid_scope",
            "The following scopes are not allowed: [device_sso]",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// /v1/token

async fn token_org(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    token(state, headers, None, body)
}

async fn token_custom(
    State(state): State<ServerState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token(state, headers, Some(server), body)
}

fn token(state: ServerState, headers: HeaderMap, server: Option<String>, body: Bytes) -> Response {
    if let Some(to) = state.config().oauth.token_redirect.clone() {
        return (
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, to)],
        )
            .into_response();
    }
    let form = parse_form(&body);
    let issuer = match begin(&state, &headers, server.as_deref(), &form) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let result = match field("grant_type") {
        "password" => password(&state, &issuer, &form),
        GRANT_MFA_OOB | GRANT_MFA_OOB_OKTA => mfa_oob(&state, &issuer, &form),
        GRANT_MFA_OTP | GRANT_MFA_OTP_OKTA => mfa_otp(&state, &issuer, &form),
        GRANT_DEVICE => device_code(&state, &issuer, &form),
        "refresh_token" => refresh(&state, &issuer, &form),
        GRANT_EXCHANGE if server.is_none() => exchange(&state, &form),
        "" => Err(bad_request(
            "invalid_request",
            "The token request must specify a 'grant_type'.",
        )),
        _ => Err(bad_request(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )),
    };
    result.unwrap_or_else(|r| r)
}

fn password(
    state: &ServerState,
    issuer: &str,
    form: &HashMap<String, String>,
) -> Result<Response, Response> {
    state.data().oauth.counters.password_grants += 1;
    grant_enabled(state, "password")?;
    let config = state.config();
    let scope = form.get("scope").cloned().unwrap_or_default();
    scope_allowed(state, &scope)?;
    let user_ok = form
        .get("username")
        .is_some_and(|u| u.eq_ignore_ascii_case(&config.username));
    if !user_ok || form.get("password") != Some(&config.password) {
        return Err(bad_request(
            "invalid_grant",
            "The credentials provided were invalid.",
        ));
    }
    if !config.oauth.mfa_required {
        return Ok(issue(state, issuer, &scope));
    }
    let mfa_token = random("mfa.", 40);
    state.data().oauth.mfa.insert(
        mfa_token.clone(),
        MfaTx {
            scope,
            oob_code: None,
            polls: 0,
        },
    );
    Err(no_store(
        StatusCode::FORBIDDEN,
        json!({
            "error": "mfa_required",
            "error_description": "MFA is required for this transaction.",
            "mfa_token": mfa_token,
        }),
    ))
}

fn mfa_oob(
    state: &ServerState,
    issuer: &str,
    form: &HashMap<String, String>,
) -> Result<Response, Response> {
    grant_enabled(state, "mfa-oob")?;
    let behavior = state.config().oauth.push.clone();
    let scope = {
        let mut data = state.data();
        data.oauth.counters.oob_polls += 1;
        let grant = form.get("grant_type").cloned().unwrap_or_default();
        data.oauth.oob_grant_types.push(grant);
        let mfa_token = form.get("mfa_token").cloned().unwrap_or_default();
        let oob = form.get("oob_code").cloned();
        let Some(tx) = data.oauth.mfa.get_mut(&mfa_token) else {
            return Err(bad_request(
                "invalid_grant",
                "The mfa_token is invalid or has expired.",
            ));
        };
        if tx.oob_code.is_none() || tx.oob_code != oob {
            return Err(bad_request("invalid_grant", "The oob_code is invalid."));
        }
        tx.polls += 1;
        let polls = tx.polls;
        let pending = || {
            bad_request(
                "authorization_pending",
                "The authorization request is still pending.",
            )
        };
        match behavior {
            OobBehavior::ApproveAfter(n) if polls <= n => return Err(pending()),
            OobBehavior::SlowDownThenApproveAfter(_) if polls == 1 => {
                data.oauth.counters.slow_downs += 1;
                return Err(bad_request(
                    "slow_down",
                    "The client is polling too frequently.",
                ));
            }
            OobBehavior::SlowDownThenApproveAfter(n) if polls <= n + 1 => return Err(pending()),
            OobBehavior::Reject => {
                return Err(bad_request("invalid_grant", "User rejected the push."))
            }
            OobBehavior::Expire => {
                return Err(bad_request("expired_token", "The oob_code has expired."))
            }
            OobBehavior::Deny => {
                return Err(oauth_error(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                ))
            }
            _ => {}
        }
        let Some(tx) = data.oauth.mfa.remove(&mfa_token) else {
            return Err(bad_request("invalid_grant", "The mfa_token is invalid."));
        };
        tx.scope
    };
    Ok(issue(state, issuer, &scope))
}

fn mfa_otp(
    state: &ServerState,
    issuer: &str,
    form: &HashMap<String, String>,
) -> Result<Response, Response> {
    grant_enabled(state, "mfa-otp")?;
    let scope = {
        let mut data = state.data();
        data.oauth.counters.otp_grants += 1;
        let mfa_token = form.get("mfa_token").cloned().unwrap_or_default();
        if !data.oauth.mfa.contains_key(&mfa_token) {
            return Err(bad_request(
                "invalid_grant",
                "The mfa_token is invalid or has expired.",
            ));
        }
        if form.get("otp") != Some(&state.config().oauth.totp_code) {
            return Err(bad_request("invalid_grant", "Invalid OTP code."));
        }
        match data.oauth.mfa.remove(&mfa_token) {
            Some(tx) => tx.scope,
            None => return Err(bad_request("invalid_grant", "The mfa_token is invalid.")),
        }
    };
    Ok(issue(state, issuer, &scope))
}

fn device_code(
    state: &ServerState,
    issuer: &str,
    form: &HashMap<String, String>,
) -> Result<Response, Response> {
    grant_enabled(state, "device_code")?;
    let behavior = state.config().oauth.device.clone();
    let scope = {
        let mut data = state.data();
        data.oauth.counters.device_polls += 1;
        let code = form.get("device_code").cloned().unwrap_or_default();
        let Some(tx) = data.oauth.devices.get_mut(&code) else {
            return Err(bad_request("invalid_grant", "The device code is invalid."));
        };
        tx.polls += 1;
        let (polls, approved) = (tx.polls, tx.approved);
        let pending = || {
            bad_request(
                "authorization_pending",
                "The device authorization is pending. Please try again later.",
            )
        };
        match behavior {
            _ if approved => {}
            DeviceBehavior::ApproveAfter(n) if polls <= n => return Err(pending()),
            DeviceBehavior::SlowDownThenApproveAfter(_) if polls == 1 => {
                data.oauth.counters.slow_downs += 1;
                return Err(bad_request(
                    "slow_down",
                    "The client is polling too frequently.",
                ));
            }
            DeviceBehavior::SlowDownThenApproveAfter(n) if polls <= n + 1 => return Err(pending()),
            DeviceBehavior::Manual => return Err(pending()),
            DeviceBehavior::Deny => {
                return Err(bad_request(
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                ))
            }
            DeviceBehavior::Expire => {
                return Err(bad_request("expired_token", "The device code has expired."))
            }
            _ => {}
        }
        match data.oauth.devices.remove(&code) {
            Some(tx) => tx.scope,
            None => return Err(bad_request("invalid_grant", "The device code is invalid.")),
        }
    };
    Ok(issue(state, issuer, &scope))
}

fn refresh(
    state: &ServerState,
    issuer: &str,
    form: &HashMap<String, String>,
) -> Result<Response, Response> {
    grant_enabled(state, "refresh_token")?;
    let scope = {
        let mut data = state.data();
        data.oauth.counters.refresh_grants += 1;
        let token = form.get("refresh_token").cloned().unwrap_or_default();
        match data.oauth.refresh.get(&token) {
            Some(scope) => scope.clone(),
            None => {
                return Err(bad_request(
                    "invalid_grant",
                    "The refresh token is invalid or expired.",
                ))
            }
        }
    };
    Ok(issue(state, issuer, &scope))
}

fn exchange(state: &ServerState, form: &HashMap<String, String>) -> Result<Response, Response> {
    state.data().oauth.counters.token_exchanges += 1;
    grant_enabled(state, "token-exchange")?;
    let config = state.config();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token"
        || field("actor_token_type") != "urn:x-oath:params:oauth:token-type:device-secret"
    {
        return Err(bad_request(
            "invalid_request",
            "The token types are not supported.",
        ));
    }
    if field("requested_token_type") != WEB_SSO {
        return Err(bad_request(
            "invalid_request",
            "The requested_token_type is not supported.",
        ));
    }
    {
        let data = state.data();
        if !data.oauth.id_tokens.contains(field("subject_token"))
            || !data.oauth.device_secrets.contains(field("actor_token"))
        {
            return Err(bad_request(
                "invalid_grant",
                "The subject_token or actor_token is invalid.",
            ));
        }
    }
    if field("audience") != format!("urn:okta:apps:{}", aws_app_id(state)) {
        return Err(bad_request(
            "invalid_target",
            "The audience is not a valid app for this client.",
        ));
    }
    let allowed = config
        .oauth
        .web_sso_clients
        .clone()
        .unwrap_or_else(|| vec![config.oauth.client_id.clone()]);
    if !allowed.contains(&config.oauth.client_id) {
        return Err(bad_request(
            "invalid_target",
            "The target app does not allow this client to request web SSO tokens.",
        ));
    }
    if !config.oauth.user_assigned {
        return Err(oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "User is not assigned to the client application.",
        ));
    }
    let token = random("wst.", 40);
    state.data().oauth.web_sso.insert(token.clone());
    Ok(no_store(
        StatusCode::OK,
        json!({
            "access_token": token,
            "issued_token_type": WEB_SSO,
            "token_type": "N_A",
            "expires_in": 300,
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// /v1/challenge, /v1/device/authorize, /v1/revoke, /v1/keys, /login/token/sso

async fn challenge_org(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    challenge(state, headers, None, body)
}

async fn challenge_custom(
    State(state): State<ServerState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    challenge(state, headers, Some(server), body)
}

fn challenge(
    state: ServerState,
    headers: HeaderMap,
    server: Option<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    if let Err(r) = begin(&state, &headers, server.as_deref(), &form) {
        return r;
    }
    state.data().oauth.counters.challenges += 1;
    if let Err(r) = grant_enabled(&state, "mfa-oob") {
        return r;
    }
    let supported = form.get("challenge_types_supported").is_some_and(|t| {
        t.split_whitespace()
            .any(|t| t == GRANT_MFA_OOB || t == GRANT_MFA_OOB_OKTA)
    });
    if !supported {
        return bad_request(
            "invalid_request",
            "challenge_types_supported must include the mfa-oob grant.",
        );
    }
    let config = &state.config().oauth;
    let oob = random("oob.", 32);
    {
        let mut data = state.data();
        let token = form.get("mfa_token").cloned().unwrap_or_default();
        let Some(tx) = data.oauth.mfa.get_mut(&token) else {
            return bad_request("invalid_grant", "The mfa_token is invalid or has expired.");
        };
        tx.oob_code = Some(oob.clone());
        tx.polls = 0;
    }
    let mut body = json!({
        "challenge_type": GRANT_MFA_OOB,
        "oob_code": oob,
        "channel": "push",
        "binding_method": "none",
        "interval": config.interval,
        "expires_in": config.expires_in,
    });
    if let Some(code) = &config.binding_code {
        body["binding_method"] = json!("transfer");
        body["binding_code"] = json!(code);
    }
    no_store(StatusCode::OK, body)
}

async fn device_org(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    device_authorize(state, headers, None, body)
}

async fn device_custom(
    State(state): State<ServerState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    device_authorize(state, headers, Some(server), body)
}

fn device_authorize(
    state: ServerState,
    headers: HeaderMap,
    server: Option<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    if let Err(r) = begin(&state, &headers, server.as_deref(), &form) {
        return r;
    }
    state.data().oauth.counters.device_authorizations += 1;
    if let Err(r) = grant_enabled(&state, "device_code") {
        return r;
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    if let Err(r) = scope_allowed(&state, &scope) {
        return r;
    }
    let device_code = random("dc.", 36);
    let user_code = format!("{}-{}", random("", 4), random("", 4)).to_uppercase();
    state.data().oauth.devices.insert(
        device_code.clone(),
        DeviceTx {
            scope,
            polls: 0,
            approved: false,
        },
    );
    let base = base_url(&headers);
    let config = &state.config().oauth;
    no_store(
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{base}/activate"),
            "verification_uri_complete": format!("{base}/activate?user_code={user_code}"),
            "expires_in": config.expires_in.min(600),
            "interval": config.interval,
        }),
    )
}

async fn revoke_org(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    revoke(state, headers, None, body)
}

async fn revoke_custom(
    State(state): State<ServerState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    revoke(state, headers, Some(server), body)
}

fn revoke(state: ServerState, headers: HeaderMap, server: Option<String>, body: Bytes) -> Response {
    let form = parse_form(&body);
    if let Err(r) = begin(&state, &headers, server.as_deref(), &form) {
        return r;
    }
    let mut data = state.data();
    data.oauth.counters.revocations += 1;
    if let Some(token) = form.get("token") {
        data.oauth.refresh.remove(token);
    }
    (StatusCode::OK, [(CACHE_CONTROL, "no-store")]).into_response()
}

async fn keys_org(State(state): State<ServerState>) -> Response {
    state.data().oauth.counters.jwks += 1;
    no_store(StatusCode::OK, json!({ "keys": [jwk()] }))
}

async fn keys_custom(State(state): State<ServerState>, Path(_server): Path<String>) -> Response {
    keys_org(State(state)).await
}

/// `GET /login/token/sso?token=<web SSO token>`: the AWS app's auto-post SAML page.
async fn token_sso(State(state): State<ServerState>, headers: HeaderMap, uri: Uri) -> Response {
    let token = query_param(&uri, "token").unwrap_or_default();
    let valid = state.data().oauth.web_sso.remove(&token);
    if !valid {
        return (
            StatusCode::FORBIDDEN,
            [(CONTENT_TYPE, "text/html;charset=utf-8")],
            "<html><body><h1>403 - The token is invalid or expired</h1></body></html>",
        )
            .into_response();
    }
    let base = base_url(&headers);
    {
        let mut data = state.data();
        data.oauth.counters.web_sso_logins += 1;
        data.counters.saml_issued += 1;
    }
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/html;charset=utf-8"),
            (CACHE_CONTROL, "no-cache, no-store"),
        ],
        crate::saml::saml_post_page(state.config(), Utc::now(), &base),
    )
        .into_response()
}

async fn approve_devices(State(state): State<ServerState>) -> Response {
    for tx in state.data().oauth.devices.values_mut() {
        tx.approved = true;
    }
    StatusCode::NO_CONTENT.into_response()
}

impl ServerState {
    /// Every form value the OAuth endpoints received (for leak checks in tests).
    pub fn oauth_values_seen(&self) -> Vec<String> {
        self.data().oauth.seen_values.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::VerifyingKey;

    #[test]
    fn id_tokens_verify_against_the_served_jwk() {
        let token = id_token("http://127.0.0.1/oauth2/aus1", DEFAULT_CLIENT_ID, "a@b.c");
        let (input, signature) = token.rsplit_once('.').unwrap();
        let key = jwk();
        let mut point = vec![4u8];
        for c in ["x", "y"] {
            point.extend(URL_SAFE_NO_PAD.decode(key[c].as_str().unwrap()).unwrap());
        }
        let verifying = VerifyingKey::from_sec1_bytes(&point).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        assert!(verifying.verify(input.as_bytes(), &signature).is_ok());
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], DEFAULT_CLIENT_ID);
        assert_eq!(claims["iss"], "http://127.0.0.1/oauth2/aus1");
    }

    #[test]
    fn forms_decode_percent_and_plus() {
        let form = parse_form(&Bytes::from_static(b"a=x%3Ay+z&b=%E2%9C%93&c"));
        assert_eq!(form["a"], "x:y z");
        assert_eq!(form["b"], "\u{2713}");
        assert_eq!(form["c"], "");
    }
}
