//! The AWS app: its embed link (a session token or `sid` in, a redirect to the SSO page out),
//! the auto-post SAML page, and `/login/sessionCookieRedirect`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::okta_json::okta_error;
use super::sessions::{live_session, redeem_session_token, redirect_with_session};
use crate::http::{base_url, html_page, now, query_param, random_token};
use crate::saml::{saml_post_page, sign_in_page};
use crate::{ServerState, APP_SSO_PATH};

/// `GET /{saml_path}[?sessionToken=T|onetimetoken=T]`: the AWS app's embed link.
pub(super) fn app_link(state: &ServerState, headers: &HeaderMap, uri: &Uri) -> Response {
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
pub(super) async fn app_sso(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
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
pub(super) async fn session_cookie_redirect(
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
