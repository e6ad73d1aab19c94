//! HTTP handlers: Okta's classic authentication API, sessions and the AWS app pages.

// Handlers return ready-made error `Response`s through `Result`; their size does not matter here.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::saml::{saml_post_page, sign_in_page};
use crate::{
    AccountState, Data, Factor, PushBehavior, ServerState, Session, SessionToken, Transaction,
    APP_SSO_PATH,
};

const RATE_LIMIT: u32 = 600;
const STATE_TOKEN_LIFETIME_MIN: i64 = 5;
const SESSION_TOKEN_LIFETIME_MIN: i64 = 5;
const USER_ID: &str = "00u1fakeuser0alice0g7";
const ORG_ID: &str = "00o1fakeorg";
const IDP_ID: &str = "00o1fakeorg";

/// The fake's routes. Unknown paths answer 404 `E0000007`, wrong methods 405 `E0000022`.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/.well-known/okta-organization", get(well_known))
        .route("/api/v1/authn", post(authn))
        .route("/api/v1/authn/factors/{factor_id}/verify", post(verify))
        .route(
            "/api/v1/authn/factors/{factor_id}/verify/resend",
            post(verify_resend),
        )
        .route("/api/v1/authn/skip", post(skip))
        .route("/api/v1/authn/cancel", post(cancel))
        .route("/api/v1/authn/previous", post(previous))
        .route(
            "/api/v1/authn/credentials/change_password",
            post(change_password),
        )
        .route(
            "/api/v1/sessions/me",
            get(session_me_get).delete(session_me_delete),
        )
        .route(
            "/api/v1/sessions/me/lifecycle/refresh",
            post(session_me_refresh),
        )
        .route(APP_SSO_PATH, get(app_sso))
        .route("/login/sessionCookieRedirect", get(session_cookie_redirect))
        .route(
            "/api/v1/authn/factors/{factor_id}/lifecycle/duoCallback",
            post(crate::duo::complete),
        )
        .route("/frame/web/v1/auth", post(crate::duo::auth))
        .route("/frame/prompt", post(crate::duo::prompt))
        .route("/frame/status", post(crate::duo::status))
        .route("/frame/status/{txid}", post(crate::duo::result))
        .route(
            "/sso/idps/{idp_id}",
            get(crate::duo_universal::okta_idp_redirect),
        )
        .route(
            "/oauth2/v1/authorize/callback",
            get(crate::duo_universal::okta_callback),
        )
        .route("/__fake/counters", get(fake_counters))
        .route("/__fake/reset", post(fake_reset))
        .route("/__fake/invalidate-sessions", post(fake_invalidate))
        .merge(crate::oauth::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_and_rate_headers,
        ))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Helpers

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

fn okta_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn random_token(prefix: &str, len: usize) -> String {
    let mut rng = rand::thread_rng();
    let body: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{body}")
}

/// `http(s)://<Host header>`: hrefs must work on whatever port the fake was bound to.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1");
    // TLS mode marks every request (see `serve_tls`).
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

pub(crate) fn link(href: String, methods: &[&str]) -> Value {
    json!({ "href": href, "hints": { "allow": methods } })
}

pub(crate) fn named_link(name: &str, href: String, methods: &[&str]) -> Value {
    json!({ "name": name, "href": href, "hints": { "allow": methods } })
}

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn error_body(code: &str, summary: &str, causes: &[&str]) -> Value {
    let causes: Vec<Value> = causes
        .iter()
        .map(|c| json!({ "errorSummary": c }))
        .collect();
    json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": random_token("oae", 22),
        "errorCauses": causes,
    })
}

pub(crate) fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    json_response(status, error_body(code, summary, &[]))
}

fn malformed() -> Response {
    okta_error(
        StatusCode::BAD_REQUEST,
        "E0000003",
        "The request body was not well-formed.",
    )
}

pub(crate) fn invalid_token() -> Response {
    okta_error(StatusCode::FORBIDDEN, "E0000011", "Invalid token provided")
}

fn not_found(summary: &str) -> Response {
    okta_error(StatusCode::NOT_FOUND, "E0000007", summary)
}

fn wrong_state() -> Response {
    okta_error(
        StatusCode::FORBIDDEN,
        "E0000079",
        "This operation is not allowed in the current authentication state.",
    )
}

fn auth_failed() -> Response {
    okta_error(
        StatusCode::UNAUTHORIZED,
        "E0000004",
        "Authentication failed",
    )
}

/// Parses a JSON object body. Anything else (empty, not JSON, not an object) is Okta's 400
/// `E0000003`.
fn parse_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed()),
    }
}

/// An optional string field; a present non-string, non-null value is a malformed body.
fn opt_str<'a>(map: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Response> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(malformed()),
    }
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
        })
        .find(|v| !v.is_empty())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
        .find(|v| !v.is_empty())
}

fn user_json(state: &ServerState) -> Value {
    let config = state.config();
    let local = config
        .username
        .split('@')
        .next()
        .unwrap_or(&config.username);
    let first = {
        let mut chars = local.split(['.', '_']).next().unwrap_or(local).chars();
        match chars.next() {
            Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
            None => "Fake".to_string(),
        }
    };
    json!({
        "id": USER_ID,
        "passwordChanged": okta_time(state.inner.started_at - Duration::days(60)),
        "profile": {
            "login": config.username,
            "firstName": first,
            "lastName": "Example",
            "locale": "en_US",
            "timeZone": "America/Los_Angeles",
        }
    })
}

fn verify_href(base: &str, factor_id: &str) -> String {
    format!("{base}/api/v1/authn/factors/{factor_id}/verify")
}

fn factor_json(base: &str, factor: &Factor, username: &str, with_links: bool) -> Value {
    let mut v = match factor {
        Factor::Push { id, .. } => json!({
            "id": id,
            "factorType": "push",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": {
                "credentialId": username,
                "deviceType": "SmartPhone_IPhone",
                "keys": [{ "kty": "PKIX", "use": "sig", "kid": "default", "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAfake"] }],
                "name": "Alice's iPhone",
                "platform": "IOS",
                "version": "17.4.1",
            },
        }),
        Factor::Totp { id, provider, .. } => json!({
            "id": id,
            "factorType": "token:software:totp",
            "provider": provider,
            "vendorName": provider,
            "profile": { "credentialId": username },
        }),
        Factor::Sms { id, phone, .. } | Factor::Call { id, phone, .. } => json!({
            "id": id,
            "factorType": if matches!(factor, Factor::Sms { .. }) { "sms" } else { "call" },
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "phoneNumber": mask_phone(phone) },
        }),
        Factor::Email { id, email, .. } => json!({
            "id": id,
            "factorType": "email",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "email": mask_email(email) },
        }),
        Factor::YubiKey { id, .. } => json!({
            "id": id,
            "factorType": "token:hardware",
            "provider": "YUBICO",
            "vendorName": "YUBICO",
            "profile": { "credentialId": "000004102994" },
        }),
        Factor::Token { id, provider, .. } => json!({
            "id": id,
            "factorType": "token",
            "provider": provider,
            "vendorName": provider,
            "profile": { "credentialId": if provider == "SYMANTEC" { "VSMT14393584" } else { username } },
        }),
        Factor::Question {
            id,
            question,
            question_text,
            ..
        } => json!({
            "id": id,
            "factorType": "question",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "question": question, "questionText": question_text },
        }),
        Factor::Duo { id, .. } => json!({
            "id": id,
            "factorType": "web",
            "provider": "DUO",
            "vendorName": "DUO",
            "profile": { "credentialId": username },
        }),
        Factor::DuoUniversal { id, .. } => json!({
            "id": id,
            "factorType": "claims_provider",
            "provider": "CUSTOM",
            "vendorName": "Duo Universal Prompt",
            "profile": {},
        }),
        Factor::WebAuthn {
            id, credential_id, ..
        } => json!({
            "id": id,
            "factorType": "webauthn",
            "provider": "FIDO",
            "vendorName": "FIDO",
            "profile": { "credentialId": credential_id, "authenticatorName": "Security Key by Yubico" },
        }),
    };
    if with_links {
        v["_links"] = json!({ "verify": link(verify_href(base, factor.id()), &["POST"]) });
    }
    v
}

/// `+1 XXX-XXX-2345`, as Okta shows phone numbers.
fn mask_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let last = &digits[digits.len().saturating_sub(4)..];
    format!("+1 XXX-XXX-{last}")
}

/// `a...e@example.com`, as Okta shows email addresses.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if local.len() > 1 => {
            let first = &local[..1];
            let last = &local[local.len() - 1..];
            format!("{first}...{last}@{domain}")
        }
        _ => email.to_string(),
    }
}

fn policy_json(state: &ServerState) -> Value {
    let allow = state.config().allow_remember_device;
    json!({
        "allowRememberDevice": allow,
        "rememberDeviceLifetimeInMinutes": if allow { 1440 } else { 0 },
        "rememberDeviceByDefault": false,
        "factorsPolicyInfo": {},
    })
}

pub(crate) fn cancel_link(base: &str) -> Value {
    link(format!("{base}/api/v1/authn/cancel"), &["POST"])
}

pub(crate) fn prev_link(base: &str) -> Value {
    link(format!("{base}/api/v1/authn/previous"), &["POST"])
}

fn password_policy(state: &ServerState, warn: bool) -> Value {
    let mut policy = json!({
        "complexity": {
            "minLength": 8, "minLowerCase": 1, "minUpperCase": 1,
            "minNumber": 1, "minSymbol": 0, "excludeUsername": true,
        },
        "age": { "minAgeMinutes": 0, "historyCount": 4 },
    });
    if warn {
        policy["expiration"] = json!({ "passwordExpireDays": state.config().password_warn_days });
    }
    policy
}

// ---------------------------------------------------------------------------------------------
// The transaction state machine

pub(crate) enum Step {
    MfaEnroll,
    MfaRequired,
    PasswordExpired,
    PasswordWarn,
    Success,
}

/// Where a transaction stands. As Okta documents, MFA comes before `PASSWORD_EXPIRED` when a
/// factor is enrolled, and `PASSWORD_WARN` is the last step before `SUCCESS`.
pub(crate) fn next_step(state: &ServerState, txn: &Transaction) -> Step {
    let config = state.config();
    if config.account == AccountState::MfaEnroll {
        return Step::MfaEnroll;
    }
    if !config.factors.is_empty() && !txn.mfa_done {
        return Step::MfaRequired;
    }
    if config.account == AccountState::PasswordExpired && !txn.password_changed {
        return Step::PasswordExpired;
    }
    if config.account == AccountState::PasswordWarn && txn.warn_requested && !txn.warn_skipped {
        return Step::PasswordWarn;
    }
    Step::Success
}

/// Renders the response for the transaction's current step. `SUCCESS` consumes the
/// transaction and issues a session token.
fn step_response(state: &ServerState, base: &str, state_token: &str) -> Response {
    let mut data = state.data();
    let Some(txn) = data.transactions.get(state_token) else {
        return invalid_token();
    };
    let expires_at = okta_time(txn.expires_at);
    let step = next_step(state, txn);
    let mfa_done = txn.mfa_done && !state.config().factors.is_empty();
    let user = user_json(state);
    let config = state.config();
    let body = match step {
        Step::MfaEnroll => {
            let enroll =
                json!({ "enroll": link(format!("{base}/api/v1/authn/factors"), &["POST"]) });
            let factors = json!([
                { "factorType": "push", "provider": "OKTA", "vendorName": "OKTA",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "REQUIRED" },
                { "factorType": "token:software:totp", "provider": "OKTA", "vendorName": "OKTA",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "OPTIONAL" },
                { "factorType": "token:software:totp", "provider": "GOOGLE", "vendorName": "GOOGLE",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "OPTIONAL" },
            ]);
            json!({
                "stateToken": state_token,
                "expiresAt": expires_at,
                "status": "MFA_ENROLL",
                "_embedded": { "user": user, "factors": factors },
                "_links": { "cancel": cancel_link(base) },
            })
        }
        Step::MfaRequired => {
            let mut embedded = json!({ "user": user });
            if config.single_factor_object {
                embedded["factor"] = factor_json(base, &config.factors[0], &config.username, true);
            } else {
                embedded["factors"] = Value::Array(
                    config
                        .factors
                        .iter()
                        .map(|f| factor_json(base, f, &config.username, true))
                        .collect(),
                );
            }
            embedded["policy"] = policy_json(state);
            json!({
                "stateToken": state_token,
                "expiresAt": expires_at,
                "status": "MFA_REQUIRED",
                "_embedded": embedded,
                "_links": { "cancel": cancel_link(base) },
            })
        }
        Step::PasswordExpired => json!({
            "stateToken": state_token,
            "expiresAt": expires_at,
            "status": "PASSWORD_EXPIRED",
            "_embedded": { "user": user, "policy": password_policy(state, false) },
            "_links": {
                "next": named_link("changePassword",
                    format!("{base}/api/v1/authn/credentials/change_password"), &["POST"]),
                "cancel": cancel_link(base),
            },
        }),
        Step::PasswordWarn => json!({
            "stateToken": state_token,
            "expiresAt": expires_at,
            "status": "PASSWORD_WARN",
            "_embedded": { "user": user, "policy": password_policy(state, true) },
            "_links": {
                "next": named_link("changePassword",
                    format!("{base}/api/v1/authn/credentials/change_password"), &["POST"]),
                "skip": named_link("skip", format!("{base}/api/v1/authn/skip"), &["POST"]),
                "cancel": cancel_link(base),
            },
        }),
        Step::Success => {
            if let Some(txn) = data.transactions.remove(state_token) {
                if mfa_done {
                    remember_device(state, &mut data, &txn);
                }
            }
            let t = now();
            let token = random_token("20111", 52);
            data.issued.push(token.clone());
            data.session_tokens.insert(
                token.clone(),
                SessionToken {
                    expires_at: t + Duration::minutes(SESSION_TOKEN_LIFETIME_MIN),
                    used: false,
                    mfa: mfa_done,
                    password_verified: t,
                    factor_verified: mfa_done.then_some(t),
                },
            );
            json!({
                "expiresAt": okta_time(t + Duration::minutes(SESSION_TOKEN_LIFETIME_MIN)),
                "status": "SUCCESS",
                "sessionToken": token,
                "_embedded": { "user": user },
            })
        }
    };
    drop(data);
    json_response(StatusCode::OK, body)
}

fn new_transaction(
    state: &ServerState,
    warn_requested: bool,
    device_token: String,
    mfa_done: bool,
) -> String {
    let token = random_token("00", 40);
    let mut data = state.data();
    data.issued.push(token.clone());
    data.issued.push(device_token.clone());
    let t = now();
    data.transactions
        .retain(|_, txn| txn.expires_at > t - Duration::minutes(1));
    data.transactions.insert(
        token.clone(),
        Transaction {
            expires_at: t + Duration::minutes(STATE_TOKEN_LIFETIME_MIN),
            warn_requested,
            mfa_done,
            password_changed: false,
            warn_skipped: false,
            verified_once: HashSet::new(),
            pending_push: HashMap::new(),
            device_token,
            remember_device: false,
            challenged: HashSet::new(),
            webauthn_challenges: HashMap::new(),
            duo_pending: HashMap::new(),
        },
    );
    token
}

/// Looks the state token up; expired ones are dropped. Returns whether it is live.
pub(crate) fn live_transaction(state: &ServerState, token: &str) -> bool {
    let mut data = state.data();
    match data.transactions.get(token) {
        Some(txn) if txn.expires_at > now() => true,
        Some(_) => {
            data.transactions.remove(token);
            false
        }
        None => false,
    }
}

/// The `stateToken` of a body, or the 403 `E0000011` Okta answers without a live one.
fn state_token_of(state: &ServerState, body: &Map<String, Value>) -> Result<String, Response> {
    let token = opt_str(body, "stateToken")?.ok_or_else(invalid_token)?;
    if live_transaction(state, token) {
        Ok(token.to_string())
    } else {
        Err(invalid_token())
    }
}

fn username_matches(configured: &str, given: &str) -> bool {
    let given = given.trim();
    configured.eq_ignore_ascii_case(given)
        || configured
            .split_once('@')
            .is_some_and(|(short, _)| short.eq_ignore_ascii_case(given))
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// The whole request as text (request line, headers, body), as a server that should not have
/// got it would have learnt it; and the request again, to pass on.
pub(crate) async fn whole_request(request: Request) -> (String, Request) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .unwrap_or_default();
    let mut whole = format!("{} {}\n", parts.method, parts.uri);
    for (name, value) in &parts.headers {
        whole.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    whole.push('\n');
    whole.push_str(&String::from_utf8_lossy(&body));
    (whole, Request::from_parts(parts, Body::from(body)))
}

async fn count_and_rate_headers(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let is_control = path.starts_with("/__fake/");
    let is_api = path.starts_with("/api/v1/");
    let (whole, request) = whole_request(request).await;
    let (remaining, reset) = {
        let mut data = state.data();
        if !is_control {
            data.received.push(whole);
            data.counters.total += 1;
            let agent = request
                .headers()
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            data.user_agents.push(agent);
        }
        if is_api {
            let t = now().timestamp();
            if t >= data.rate_window_start + 60 {
                data.rate_window_start = t;
                data.rate_window_count = 0;
            }
            data.rate_window_count += 1;
            (
                RATE_LIMIT.saturating_sub(data.rate_window_count),
                data.rate_window_start + 60,
            )
        } else {
            (0, 0)
        }
    };
    let mut response = next.run(request).await;
    let skew = state.config().clock_skew_secs;
    if skew != 0 {
        // What the org's clock says; without it the server writes the real time.
        let theirs = now() + Duration::seconds(skew);
        if let Ok(value) =
            HeaderValue::from_str(&theirs.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    if is_api {
        let headers = response.headers_mut();
        if !headers.contains_key("x-rate-limit-limit") {
            headers.insert("x-rate-limit-limit", HeaderValue::from(RATE_LIMIT));
            headers.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
            headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
        }
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        );
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Authentication API

async fn authn(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let base = base_url(&headers);
    let (rate_limited, unavailable, html) = {
        let mut data = state.data();
        data.counters.authn += 1;
        data.authn_seen += 1;
        let names = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect();
        data.authn_cookies.push(names);
        let seen = data.authn_seen;
        let config = state.config();
        let limited = seen <= config.rate_limit_first;
        let unavailable = !limited && seen <= config.rate_limit_first + config.unavailable_first;
        let html = !limited
            && !unavailable
            && seen <= config.rate_limit_first + config.unavailable_first + config.html_first;
        (limited, unavailable, html)
    };
    if html {
        return html_page(
            "<!DOCTYPE html><html><head><title>Network login</title></head>\
             <body><h1>Please sign in to the guest network</h1></body></html>"
                .to_string(),
        );
    }
    if rate_limited {
        let mut response = okta_error(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        );
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from(RATE_LIMIT));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(0u32));
        headers.insert(
            "x-rate-limit-reset",
            HeaderValue::from(now().timestamp() + 1),
        );
        return response;
    }
    if unavailable {
        return okta_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "E0000009",
            "Internal Server Error",
        );
    }

    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (username, password, state_token) = match (
        opt_str(&body, "username"),
        opt_str(&body, "password"),
        opt_str(&body, "stateToken"),
    ) {
        (Ok(u), Ok(p), Ok(s)) => (u, p, s),
        _ => return malformed(),
    };
    let warn_requested = match body.get("options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(options)) => match options.get("warnBeforePasswordExpired") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return malformed(),
        },
        Some(_) => return malformed(),
    };

    // Get transaction state: `{stateToken}` alone.
    if username.is_none() && password.is_none() {
        if let Some(token) = state_token {
            if !live_transaction(&state, token) {
                return invalid_token();
            }
            return step_response(&state, &base, token);
        }
    }

    let config = state.config();
    let credentials_ok = match (username, password) {
        (Some(u), Some(p)) => username_matches(&config.username, u) && p == config.password,
        _ => false,
    };
    if !credentials_ok {
        return auth_failed();
    }
    if config.account == AccountState::LockedOut {
        return json_response(
            StatusCode::OK,
            json!({
                "status": "LOCKED_OUT",
                "_links": {
                    "next": named_link("unlock",
                        format!("{base}/api/v1/authn/recovery/unlock"), &["POST"]),
                },
            }),
        );
    }
    if config.account == AccountState::Unauthenticated {
        return json_response(
            StatusCode::OK,
            json!({
                "stateToken": random_token("00", 40),
                "expiresAt": okta_time(now() + Duration::minutes(STATE_TOKEN_LIFETIME_MIN)),
                "status": "UNAUTHENTICATED",
                "_links": {
                    "next": named_link("authenticate", format!("{base}/api/v1/authn"), &["POST"]),
                    "cancel": cancel_link(&base),
                },
            }),
        );
    }
    // The device token: the client's `DT` cookie, else a new one set on this answer.
    let sent_dt = cookie_value(&headers, "DT");
    let device_token = sent_dt.clone().unwrap_or_else(|| random_token("DI0", 40));
    let remembered = config.allow_remember_device
        && !config.factors.is_empty()
        && state.data().trusted_devices.contains(&device_token);
    if remembered {
        state.data().counters.remembered_device_logins += 1;
    }
    let token = new_transaction(&state, warn_requested, device_token.clone(), remembered);
    let mut response = step_response(&state, &base, &token);
    if sent_dt.is_none() {
        if let Ok(value) = HeaderValue::from_str(&format!(
            "DT={device_token};Version=1;Path=/;Max-Age=63072000;Secure;HttpOnly"
        )) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

enum Outcome {
    Waiting {
        challenge: Option<u32>,
    },
    Terminal(&'static str),
    Approved,
    BadPasscode,
    /// A code was sent (SMS, call, email) or a WebAuthn challenge issued:
    /// `factorResult: CHALLENGE`, `_links.next` named `verify`.
    Challenge {
        embedded: Option<Value>,
        resend: Option<&'static str>,
    },
    /// Duo: `factorResult: WAITING` with `_embedded.verification`.
    DuoWaiting {
        signature: String,
    },
    /// Custom IdP (Duo Universal): `factorResult: CHALLENGE`, `_links.next` a GET that
    /// redirects to the IdP.
    IdpRedirect,
}

async fn verify(
    State(state): State<ServerState>,
    Path(factor_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut fields = HashMap::new();
    for key in [
        "passCode",
        "answer",
        "clientData",
        "authenticatorData",
        "signatureData",
    ] {
        match opt_str(&body, key) {
            Ok(Some(v)) => {
                fields.insert(key, v.to_string());
            }
            Ok(None) => {}
            Err(r) => return r,
        }
    }
    let pass_code = fields.get("passCode").cloned();
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let config = state.config();
    let Some(factor) = config.factors.iter().find(|f| f.id() == factor_id) else {
        return not_found(&format!(
            "Not found: Resource not found: {factor_id} (Factor)"
        ));
    };
    let remember = query_param(&uri, "rememberDevice").as_deref() == Some("true");
    let host = base.trim_start_matches("http://").to_string();
    let rp_id = host
        .rsplit_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or_else(|| host.clone());

    let outcome = {
        let mut guard = state.data();
        let data = &mut *guard;
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(next_step(&state, txn), Step::MfaRequired) {
            return wrong_state();
        }
        if remember {
            txn.remember_device = true;
        }
        let first_call = txn.verified_once.insert(factor_id.clone());
        let mut sent = false;
        let mut polled = false;
        let mut codes_sent = 0;
        let mut webauthn_ok = false;
        let outcome = match factor {
            Factor::Totp { code, .. }
            | Factor::YubiKey { code, .. }
            | Factor::Token { code, .. } => match pass_code.as_deref() {
                Some(p) if p == code => {
                    txn.mfa_done = true;
                    Outcome::Approved
                }
                Some(_) => Outcome::BadPasscode,
                // Okta answers a missing passcode like a wrong one.
                None => Outcome::BadPasscode,
            },
            Factor::Sms { code, .. } | Factor::Call { code, .. } | Factor::Email { code, .. } => {
                match pass_code.as_deref() {
                    None => {
                        txn.challenged.insert(factor_id.clone());
                        codes_sent += 1;
                        Outcome::Challenge {
                            embedded: None,
                            resend: Some(match factor {
                                Factor::Sms { .. } => "sms",
                                Factor::Call { .. } => "call",
                                _ => "email",
                            }),
                        }
                    }
                    Some(p) if txn.challenged.contains(&factor_id) && p == code => {
                        txn.mfa_done = true;
                        Outcome::Approved
                    }
                    Some(_) => Outcome::BadPasscode,
                }
            }
            Factor::Question { answer, .. } => match fields.get("answer") {
                Some(a) if a.trim().eq_ignore_ascii_case(answer.trim()) => {
                    txn.mfa_done = true;
                    Outcome::Approved
                }
                Some(_) => Outcome::BadPasscode,
                None => Outcome::BadPasscode,
            },
            Factor::WebAuthn { public_key, .. } => {
                match (
                    fields.get("clientData"),
                    fields.get("authenticatorData"),
                    fields.get("signatureData"),
                    txn.webauthn_challenges.get(&factor_id),
                ) {
                    (Some(cd), Some(ad), Some(sig), Some(challenge)) => {
                        match crate::webauthn::verify_assertion(
                            public_key, challenge, &base, &rp_id, cd, ad, sig,
                        ) {
                            Ok(()) => {
                                txn.webauthn_challenges.remove(&factor_id);
                                txn.mfa_done = true;
                                webauthn_ok = true;
                                Outcome::Approved
                            }
                            Err(_) => Outcome::BadPasscode,
                        }
                    }
                    _ => {
                        let mut bytes = [0u8; 32];
                        rand::thread_rng().fill(&mut bytes);
                        let challenge = base64::Engine::encode(
                            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                            bytes,
                        );
                        txn.webauthn_challenges
                            .insert(factor_id.clone(), challenge.clone());
                        Outcome::Challenge {
                            embedded: Some(json!({
                                "challenge": {
                                    "challenge": challenge,
                                    "extensions": { "appid": base },
                                }
                            })),
                            resend: None,
                        }
                    }
                }
            }
            Factor::Duo { .. } => match txn.duo_pending.get(&factor_id).cloned() {
                Some(tx) => {
                    polled = true;
                    match data.duo.get(&tx) {
                        Some(d) if d.completed => {
                            txn.duo_pending.remove(&factor_id);
                            txn.mfa_done = true;
                            Outcome::Approved
                        }
                        Some(d) => Outcome::DuoWaiting {
                            signature: format!("{tx}:{}", d.app),
                        },
                        None => Outcome::Terminal("ERROR"),
                    }
                }
                None => {
                    let tx = format!("TX|{}|{}", random_token("", 40), random_token("", 40));
                    let app = format!("APP|{}|{}", random_token("", 40), random_token("", 40));
                    data.duo.insert(
                        tx.clone(),
                        crate::DuoTx {
                            state_token: token.clone(),
                            factor_id: factor_id.clone(),
                            app: app.clone(),
                            sid: None,
                            txid: None,
                            polls: 0,
                            passcode_ok: None,
                            cookie: None,
                            completed: false,
                        },
                    );
                    txn.duo_pending.insert(factor_id.clone(), tx.clone());
                    data.issued.push(tx.clone());
                    data.issued.push(app.clone());
                    Outcome::DuoWaiting {
                        signature: format!("{tx}:{app}"),
                    }
                }
            },
            Factor::DuoUniversal { .. } => Outcome::IdpRedirect,
            Factor::Push {
                behavior,
                number_challenge,
                ..
            } => match txn.pending_push.get(&factor_id).copied() {
                // No push pending: this call sends one.
                None => {
                    sent = true;
                    if matches!(behavior, PushBehavior::ApproveAfter(0)) {
                        txn.mfa_done = true;
                        Outcome::Approved
                    } else {
                        txn.pending_push.insert(factor_id.clone(), 0);
                        Outcome::Waiting { challenge: None }
                    }
                }
                // A push is pending: this call is a poll.
                Some(polls) => {
                    polled = true;
                    let polls = polls + 1;
                    match behavior {
                        PushBehavior::ApproveAfter(n) if polls >= *n => {
                            txn.pending_push.remove(&factor_id);
                            txn.mfa_done = true;
                            Outcome::Approved
                        }
                        PushBehavior::ApproveAfter(_) => {
                            txn.pending_push.insert(factor_id.clone(), polls);
                            Outcome::Waiting {
                                challenge: *number_challenge,
                            }
                        }
                        PushBehavior::Reject => {
                            txn.pending_push.remove(&factor_id);
                            Outcome::Terminal("REJECTED")
                        }
                        PushBehavior::Timeout => {
                            txn.pending_push.remove(&factor_id);
                            Outcome::Terminal("TIMEOUT")
                        }
                    }
                }
            },
        };
        if first_call {
            data.counters.verify += 1;
        }
        if sent {
            data.counters.pushes += 1;
        }
        if polled && matches!(factor, Factor::Push { .. }) {
            data.counters.polls += 1;
        }
        if webauthn_ok {
            data.counters.webauthn_verified += 1;
        }
        data.counters.codes_sent += codes_sent;
        if matches!(outcome, Outcome::BadPasscode) {
            data.counters.bad_codes += 1;
        }
        outcome
    };

    let href = verify_href(&base, &factor_id);
    match outcome {
        Outcome::BadPasscode => json_response(
            StatusCode::FORBIDDEN,
            error_body(
                "E0000068",
                "Invalid Passcode/Answer",
                &["Your passcode doesn't match our records. Please try again."],
            ),
        ),
        Outcome::Approved => step_response(&state, &base, &token),
        Outcome::Waiting { challenge } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            if let Some(n) = challenge {
                factor_v["_embedded"] = json!({ "challenge": { "correctAnswer": n } });
            }
            challenge_response(
                &state,
                &token,
                "WAITING",
                factor_v,
                json!({
                    "next": named_link("poll", href.clone(), &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                    "resend": [named_link("push", format!("{href}/resend"), &["POST"])],
                }),
            )
        }
        Outcome::Challenge { embedded, resend } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            if let Some(e) = embedded {
                factor_v["_embedded"] = e;
            }
            let mut links = json!({
                "next": named_link("verify", href.clone(), &["POST"]),
                "cancel": cancel_link(&base),
                "prev": prev_link(&base),
            });
            if let Some(kind) = resend {
                links["resend"] = json!([named_link(kind, format!("{href}/resend"), &["POST"])]);
            }
            challenge_response(&state, &token, "CHALLENGE", factor_v, links)
        }
        Outcome::DuoWaiting { signature } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            factor_v["_embedded"] = json!({
                "verification": {
                    "host": host,
                    "signature": signature,
                    "factorResult": "WAITING",
                    "_links": {
                        "complete": {
                            "href": format!("{base}/api/v1/authn/factors/{factor_id}/lifecycle/duoCallback"),
                        },
                        "script": {
                            "href": format!("{base}/js/sdk/duo/Duo-Web-v2.6.js"),
                        },
                    },
                }
            });
            challenge_response(
                &state,
                &token,
                "WAITING",
                factor_v,
                json!({
                    "next": named_link("poll", href.clone(), &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                }),
            )
        }
        Outcome::IdpRedirect => challenge_response(
            &state,
            &token,
            "CHALLENGE",
            factor_json(&base, factor, &config.username, false),
            json!({
                "next": named_link(
                    "redirect",
                    format!(
                        "{base}/sso/idps/{}?stateToken={token}",
                        crate::duo_universal::IDP_ID
                    ),
                    &["GET"],
                ),
                "cancel": cancel_link(&base),
                "prev": prev_link(&base),
            }),
        ),
        Outcome::Terminal(result) => {
            let factor_v = factor_json(&base, factor, &config.username, false);
            challenge_response(
                &state,
                &token,
                result,
                factor_v,
                json!({
                    "next": named_link("verify", href, &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                }),
            )
        }
    }
}

fn challenge_response(
    state: &ServerState,
    token: &str,
    factor_result: &str,
    factor: Value,
    links: Value,
) -> Response {
    let expires_at = state
        .data()
        .transactions
        .get(token)
        .map(|t| okta_time(t.expires_at))
        .unwrap_or_else(|| okta_time(now()));
    json_response(
        StatusCode::OK,
        json!({
            "stateToken": token,
            "expiresAt": expires_at,
            "status": "MFA_CHALLENGE",
            "factorResult": factor_result,
            "_embedded": {
                "user": user_json(state),
                "factor": factor,
                "policy": policy_json(state),
            },
            "_links": links,
        }),
    )
}

/// `POST .../verify/resend`: sends the push, text, call or email again.
async fn verify_resend(
    State(state): State<ServerState>,
    Path(factor_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let config = state.config();
    let Some(factor) = config.factors.iter().find(|f| {
        f.id() == factor_id
            && matches!(
                f,
                Factor::Push { .. }
                    | Factor::Sms { .. }
                    | Factor::Call { .. }
                    | Factor::Email { .. }
            )
    }) else {
        return not_found(&format!(
            "Not found: Resource not found: {factor_id} (Factor)"
        ));
    };
    let is_push = matches!(factor, Factor::Push { .. });
    {
        let mut data = state.data();
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(next_step(&state, txn), Step::MfaRequired) {
            return wrong_state();
        }
        if is_push {
            txn.pending_push.insert(factor_id.clone(), 0);
            data.counters.pushes += 1;
        } else {
            txn.challenged.insert(factor_id.clone());
            data.counters.codes_sent += 1;
        }
    }
    let href = verify_href(&base, &factor_id);
    let kind = match factor {
        Factor::Push { .. } => "push",
        Factor::Sms { .. } => "sms",
        Factor::Call { .. } => "call",
        _ => "email",
    };
    challenge_response(
        &state,
        &token,
        if is_push { "WAITING" } else { "CHALLENGE" },
        factor_json(&base, factor, &config.username, false),
        json!({
            "next": named_link(if is_push { "poll" } else { "verify" }, href.clone(), &["POST"]),
            "cancel": cancel_link(&base),
            "prev": prev_link(&base),
            "resend": [named_link(kind, format!("{href}/resend"), &["POST"])],
        }),
    )
}

async fn skip(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    {
        let mut data = state.data();
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(next_step(&state, txn), Step::PasswordWarn) {
            return wrong_state();
        }
        txn.warn_skipped = true;
    }
    step_response(&state, &base, &token)
}

async fn cancel(State(state): State<ServerState>, body: Bytes) -> Response {
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    state.data().transactions.remove(&token);
    json_response(StatusCode::OK, json!({ "status": "UNAUTHENTICATED" }))
}

/// `POST /api/v1/authn/previous`: back from a challenge to factor selection.
async fn previous(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(txn) = state.data().transactions.get_mut(&token) {
        txn.pending_push.clear();
    }
    step_response(&state, &base, &token)
}

async fn change_password(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (old, new) = match (opt_str(&body, "oldPassword"), opt_str(&body, "newPassword")) {
        (Ok(o), Ok(n)) => (o.map(str::to_string), n.map(str::to_string)),
        _ => return malformed(),
    };
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    {
        let mut data = state.data();
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(
            next_step(&state, txn),
            Step::PasswordExpired | Step::PasswordWarn
        ) {
            return wrong_state();
        }
        if old.as_deref() != Some(state.config().password.as_str()) {
            return json_response(
                StatusCode::FORBIDDEN,
                error_body(
                    "E0000014",
                    "Update of credentials failed",
                    &["oldPassword: The credentials provided were incorrect."],
                ),
            );
        }
        match new.as_deref() {
            Some(n) if n.len() >= 8 && n != state.config().password => {}
            _ => {
                return json_response(
                    StatusCode::FORBIDDEN,
                    error_body(
                        "E0000080",
                        "The password does not meet the complexity requirements of the current password policy.",
                        &["Password requirements were not met."],
                    ),
                )
            }
        }
        txn.password_changed = true;
        txn.warn_skipped = true;
    }
    step_response(&state, &base, &token)
}

// ---------------------------------------------------------------------------------------------
// Sessions

fn live_session(state: &ServerState, headers: &HeaderMap) -> Option<(String, Session)> {
    let sid = cookie_value(headers, "sid").or_else(|| cookie_value(headers, "idx"))?;
    let mut data = state.data();
    match data.sessions.get(&sid) {
        Some(s) if s.expires_at > now() => Some((sid, s.clone())),
        Some(_) => {
            data.sessions.remove(&sid);
            None
        }
        None => None,
    }
}

fn session_json(state: &ServerState, base: &str, s: &Session) -> Value {
    let config = state.config();
    json!({
        "id": s.id,
        "userId": USER_ID,
        "login": config.username,
        "createdAt": okta_time(s.created_at),
        "expiresAt": okta_time(s.expires_at),
        "status": "ACTIVE",
        "lastPasswordVerification": okta_time(s.password_verified),
        "lastFactorVerification": s.factor_verified.map(okta_time),
        "amr": if s.mfa { json!(["pwd", "mfa"]) } else { json!(["pwd"]) },
        "idp": { "id": IDP_ID, "type": "OKTA" },
        "mfaActive": s.mfa,
        "_links": {
            "self": link(format!("{base}/api/v1/sessions/me"), &["GET", "DELETE"]),
            "refresh": link(format!("{base}/api/v1/sessions/me/lifecycle/refresh"), &["POST"]),
            "user": {
                "name": config.username,
                "href": format!("{base}/api/v1/users/me"),
                "hints": { "allow": ["GET"] },
            },
        },
    })
}

fn session_not_found() -> Response {
    not_found("Not found: Resource not found: me (Session)")
}

async fn session_me_get(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    state.data().counters.sessions_me += 1;
    let base = base_url(&headers);
    match live_session(&state, &headers) {
        Some((_, s)) => json_response(StatusCode::OK, session_json(&state, &base, &s)),
        None => session_not_found(),
    }
}

async fn session_me_delete(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    state.data().counters.sessions_me += 1;
    match live_session(&state, &headers) {
        Some((sid, _)) => {
            state.data().sessions.remove(&sid);
            (
                StatusCode::NO_CONTENT,
                [(
                    SET_COOKIE,
                    HeaderValue::from_static(
                        "sid=\"\"; Expires=Thu, 01 Jan 1970 00:00:10 GMT; Path=/; Secure; HttpOnly",
                    ),
                )],
            )
                .into_response()
        }
        None => session_not_found(),
    }
}

async fn session_me_refresh(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    state.data().counters.sessions_me += 1;
    let base = base_url(&headers);
    let Some((sid, _)) = live_session(&state, &headers) else {
        return session_not_found();
    };
    let lifetime = Duration::seconds(state.config().session_lifetime_secs);
    let session = {
        let mut data = state.data();
        data.counters.session_refreshes += 1;
        match data.sessions.get_mut(&sid) {
            Some(s) => {
                s.expires_at = now() + lifetime;
                s.clone()
            }
            None => return session_not_found(),
        }
    };
    json_response(StatusCode::OK, session_json(&state, &base, &session))
}

/// Redeems a session token for a new session; `None` if unknown, used or expired.
fn redeem_session_token(state: &ServerState, token: &str) -> Option<String> {
    let mut data = state.data();
    let t = now();
    let st = data.session_tokens.get_mut(token)?;
    if st.used || st.expires_at <= t {
        return None;
    }
    st.used = true;
    let (mfa, pw, factor) = (st.mfa, st.password_verified, st.factor_verified);
    Some(start_session(state, &mut data, mfa, pw, factor))
}

/// A new session (`sid`) of the configured lifetime.
pub(crate) fn start_session(
    state: &ServerState,
    data: &mut Data,
    mfa: bool,
    password_verified: DateTime<Utc>,
    factor_verified: Option<DateTime<Utc>>,
) -> String {
    let t = now();
    let sid = random_token("102", 23);
    data.issued.push(sid.clone());
    data.sessions.insert(
        sid.clone(),
        Session {
            id: sid.clone(),
            created_at: t,
            expires_at: t + Duration::seconds(state.config().session_lifetime_secs),
            mfa,
            password_verified,
            factor_verified,
        },
    );
    sid
}

/// Remembers the device of a transaction that ends with MFA done and `rememberDevice=true`,
/// when the policy allows it.
pub(crate) fn remember_device(state: &ServerState, data: &mut Data, txn: &Transaction) {
    if txn.remember_device && state.config().allow_remember_device {
        data.trusted_devices.insert(txn.device_token.clone());
        data.counters.devices_remembered += 1;
    }
}

pub(crate) fn redirect_with_session(location: &str, sid: Option<&str>) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::FOUND)
        .header(LOCATION, location)
        .header(CACHE_CONTROL, "no-cache, no-store")
        .header(CONTENT_TYPE, "text/html;charset=UTF-8");
    if let Some(sid) = sid {
        builder = builder
            .header(SET_COOKIE, format!("sid={sid}; Path=/; Secure; HttpOnly"))
            .header(
                SET_COOKIE,
                format!(
                    "JSESSIONID={}; Path=/; Secure; HttpOnly",
                    random_token("", 32)
                ),
            );
    }
    builder
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

pub(crate) fn html_page(html: String) -> Response {
    (
        StatusCode::OK,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html;charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("no-cache, no-store"),
            ),
        ],
        html,
    )
        .into_response()
}

/// `GET /{saml_path}[?sessionToken=T|onetimetoken=T]`: the AWS app's embed link.
fn app_link(state: &ServerState, headers: &HeaderMap, uri: &Uri) -> Response {
    state.data().counters.app_link += 1;
    let base = base_url(headers);
    let sso = format!("{base}{APP_SSO_PATH}");
    let token = query_param(uri, "sessionToken").or_else(|| query_param(uri, "onetimetoken"));
    // On Identity Engine the app link no longer turns a session token into a session.
    if let Some(token) = token.filter(|_| state.config().pipeline != "idx") {
        if let Some(sid) = redeem_session_token(state, &token) {
            let to = state.config().app_redirect.clone().unwrap_or(sso);
            return redirect_with_session(&to, Some(&sid));
        }
    }
    if live_session(state, headers).is_some() {
        return redirect_with_session(&sso, None);
    }
    html_page(sign_in_page(&base, uri.path()))
}

/// `GET /app/amazon_aws/<id>/sso/saml`: the auto-post SAML page with a session, else sign-in.
async fn app_sso(State(state): State<ServerState>, headers: HeaderMap, uri: Uri) -> Response {
    let base = base_url(&headers);
    if live_session(&state, &headers).is_none() {
        return html_page(sign_in_page(&base, uri.path()));
    }
    if state.config().app_step_up {
        return html_page(crate::saml::step_up_page(&base, &random_token("00", 40)));
    }
    state.data().counters.saml_issued += 1;
    html_page(saml_post_page(state.config(), now(), &base))
}

/// `GET /login/sessionCookieRedirect?token=T&redirectUrl=U`.
async fn session_cookie_redirect(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let base = base_url(&headers);
    let token = query_param(&uri, "token");
    let redirect = query_param(&uri, "redirectUrl").unwrap_or_else(|| format!("{base}/"));
    // Only same-origin (trusted) redirects.
    let trusted = redirect.starts_with('/') && !redirect.starts_with("//")
        || redirect == base
        || redirect.starts_with(&format!("{base}/"));
    if !trusted {
        return okta_error(
            StatusCode::FORBIDDEN,
            "E0000015",
            "You do not have permission to access the feature you are requesting",
        );
    }
    match token.and_then(|t| redeem_session_token(&state, &t)) {
        Some(sid) => redirect_with_session(&redirect, Some(&sid)),
        None => html_page(sign_in_page(&base, "/")),
    }
}

// ---------------------------------------------------------------------------------------------
// Org, control endpoints, fallbacks

async fn well_known(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    json_response(
        StatusCode::OK,
        json!({
            "id": ORG_ID,
            "pipeline": state.config().pipeline,
            "_links": { "organization": { "href": base } },
        }),
    )
}

async fn fake_counters(State(state): State<ServerState>) -> Response {
    json_response(StatusCode::OK, json!(state.counters()))
}

async fn fake_reset(State(state): State<ServerState>) -> Response {
    state.reset_counters();
    StatusCode::NO_CONTENT.into_response()
}

async fn fake_invalidate(State(state): State<ServerState>) -> Response {
    state.invalidate_sessions();
    StatusCode::NO_CONTENT.into_response()
}

async fn fallback(
    State(state): State<ServerState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let saml_path = format!("/{}", state.config().saml_path.trim_start_matches('/'));
    if uri.path() == saml_path {
        return if method == Method::GET || method == Method::HEAD {
            app_link(&state, &headers, &uri)
        } else {
            method_not_allowed().await
        };
    }
    not_found(&format!(
        "Not found: Resource not found: {} (Resource)",
        uri.path()
    ))
}

async fn method_not_allowed() -> Response {
    okta_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    )
}
