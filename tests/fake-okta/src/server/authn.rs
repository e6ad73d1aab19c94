//! Primary authentication (`POST /api/v1/authn`) and the transaction's own links: skip,
//! cancel, previous and change password.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Value};

use super::okta_json::{
    auth_failed, cancel_link, error_body, invalid_token, malformed, named_link, okta_error,
    okta_time, opt_str, parse_object, wrong_state,
};
use super::transaction::{
    live_transaction, new_transaction, next_step, state_token_of, step_response, transaction_token,
    username_matches, Step,
};
use super::{RATE_LIMIT, STATE_TOKEN_LIFETIME_MIN};
use crate::http::{base_url, cookie_value, html_page, json_response, now, random_token};
use crate::{AccountState, ServerState};

pub(super) async fn authn(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn skip(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let token = match transaction_token(&state, &body) {
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

pub(super) async fn cancel(State(state): State<ServerState>, body: Bytes) -> Response {
    let token = match transaction_token(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    state.data().transactions.remove(&token);
    json_response(StatusCode::OK, json!({ "status": "UNAUTHENTICATED" }))
}

/// `POST /api/v1/authn/previous`: back from a challenge to factor selection.
pub(super) async fn previous(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let token = match transaction_token(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(txn) = state.data().transactions.get_mut(&token) {
        txn.pending_push.clear();
    }
    step_response(&state, &base, &token)
}

pub(super) async fn change_password(
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
