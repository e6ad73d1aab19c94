//! The fake Okta org's HTTP side: the router and one module per part of Okta's API.
//!
//! * `okta_json`: the objects and error bodies Okta's answers are made of,
//! * `transaction`: the authentication transaction's state machine (`stateToken`, steps),
//! * `authn`: primary authentication and the transaction's own links (skip, cancel, ...),
//! * `verify`: factor verification (push polling, codes, Duo, WebAuthn) and resends,
//! * `sessions`: the Sessions API, session tokens turned into `sid`s, remembered devices,
//! * `app`: the AWS app's embed link and SAML page, `sessionCookieRedirect`,
//! * `middleware`: request counting and recording, rate-limit and `Date` headers.
//!
//! This file: the routes, the org's public endpoints, the fake's control endpoints and the
//! fallbacks. The HTTP plumbing every module shares is in `crate::http`.

// Handlers return ready-made error `Response`s through `Result`; their size does not matter here.
#![allow(clippy::result_large_err)]

mod app;
mod authn;
mod middleware;
mod okta_json;
mod sessions;
mod transaction;
mod verify;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware as axum_middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::http::{base_url, json_response};
use crate::{ServerState, APP_SSO_PATH};

pub(crate) use okta_json::{error_body, invalid_token};
pub(crate) use sessions::{redirect_with_session, remember_device, start_session};
pub(crate) use transaction::{live_transaction, next_step, Step};

pub(super) const RATE_LIMIT: u32 = 600;
pub(super) const STATE_TOKEN_LIFETIME_MIN: i64 = 5;
pub(super) const SESSION_TOKEN_LIFETIME_MIN: i64 = 5;
pub(super) const USER_ID: &str = "00u1fakeuser0alice0g7";
pub(super) const ORG_ID: &str = "00o1fakeorg";
pub(super) const IDP_ID: &str = "00o1fakeorg";

/// The fake's routes. Unknown paths answer 404 `E0000007`, wrong methods 405 `E0000022`.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/.well-known/okta-organization", get(well_known))
        .route("/api/v1/authn", post(authn::authn))
        .route(
            "/api/v1/authn/factors/{factor_id}/verify",
            post(verify::verify),
        )
        .route(
            "/api/v1/authn/factors/{factor_id}/verify/resend",
            post(verify::verify_resend),
        )
        .route("/api/v1/authn/skip", post(authn::skip))
        .route("/api/v1/authn/cancel", post(authn::cancel))
        .route("/api/v1/authn/previous", post(authn::previous))
        .route(
            "/api/v1/authn/credentials/change_password",
            post(authn::change_password),
        )
        .route(
            "/api/v1/sessions/me",
            get(sessions::session_me_get).delete(sessions::session_me_delete),
        )
        .route(
            "/api/v1/sessions/me/lifecycle/refresh",
            post(sessions::session_me_refresh),
        )
        .route(APP_SSO_PATH, get(app::app_sso))
        .route(
            "/login/sessionCookieRedirect",
            get(app::session_cookie_redirect),
        )
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
        .layer(axum_middleware::from_fn_with_state(
            state.clone(),
            middleware::count_and_rate_headers,
        ))
        .with_state(state)
}

pub(super) async fn well_known(State(state): State<ServerState>, headers: HeaderMap) -> Response {
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

pub(super) async fn fake_counters(State(state): State<ServerState>) -> Response {
    json_response(StatusCode::OK, json!(state.counters()))
}

pub(super) async fn fake_reset(State(state): State<ServerState>) -> Response {
    state.reset_counters();
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn fake_invalidate(State(state): State<ServerState>) -> Response {
    state.invalidate_sessions();
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn fallback(
    State(state): State<ServerState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let saml_path = format!("/{}", state.config().saml_path.trim_start_matches('/'));
    if uri.path() == saml_path {
        return if method == Method::GET || method == Method::HEAD {
            app::app_link(&state, &headers, &uri)
        } else {
            method_not_allowed().await
        };
    }
    okta_json::not_found(&format!(
        "Not found: Resource not found: {} (Resource)",
        uri.path()
    ))
}

pub(super) async fn method_not_allowed() -> Response {
    okta_json::okta_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    )
}
