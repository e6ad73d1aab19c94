//! Okta sessions: the Sessions API (`/api/v1/sessions/me`), session tokens redeemed for a
//! `sid`, the redirect that sets it, and devices remembered for "MFA once per device".

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::okta_json::{link, not_found, okta_time};
use super::{IDP_ID, USER_ID};
use crate::http::{base_url, cookie_value, json_response, now, random_token};
use crate::{Data, ServerState, Session, Transaction};

pub(super) fn live_session(state: &ServerState, headers: &HeaderMap) -> Option<(String, Session)> {
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

pub(super) fn session_json(state: &ServerState, base: &str, s: &Session) -> Value {
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

pub(super) fn session_not_found() -> Response {
    not_found("Not found: Resource not found: me (Session)")
}

pub(super) async fn session_me_get(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Response {
    state.data().counters.sessions_me += 1;
    let base = base_url(&headers);
    match live_session(&state, &headers) {
        Some((_, s)) => json_response(StatusCode::OK, session_json(&state, &base, &s)),
        None => session_not_found(),
    }
}

pub(super) async fn session_me_delete(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Response {
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

pub(super) async fn session_me_refresh(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Response {
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
pub(super) fn redeem_session_token(state: &ServerState, token: &str) -> Option<String> {
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
