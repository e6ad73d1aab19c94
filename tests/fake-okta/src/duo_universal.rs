//! Duo's Universal Prompt behind Okta Classic's custom IdP factor (`claims_provider`), as the
//! public clients that complete it without a browser (gimme-aws-creds' `duo_universal.py`,
//! aws-adfs' Universal Prompt authenticator) see it.
//!
//! Okta side (the org's listener):
//! * verify → `MFA_CHALLENGE`, `factorResult: CHALLENGE`, `_links.next` (`redirect`, GET)
//!   `/sso/idps/{idp}?stateToken=..` (in `server.rs`);
//! * `GET /sso/idps/{idp}?stateToken=..` → 302 to the Duo host's `/oauth/v1/authorize` with
//!   an OIDC `state` (never the state token) and `redirect_uri` = Okta's callback;
//! * `GET /oauth2/v1/authorize/callback?state=..&code=..` → the factor is verified, the
//!   transaction ends, a session starts: 302 with `Set-Cookie: sid=..`.
//!
//! Duo side (a listener of its own: another origin):
//! * `GET /oauth/v1/authorize` → 303 to `/frame/frameless/v4/auth?sid=frameless-..&tx=..`,
//!   setting Duo's session cookie (required on every later Duo request);
//! * `GET` that → the `plugin_form` page (`tx`, `parent`, `_xsrf`, browser fields);
//! * `POST` it → 302 to `/frame/prompt?sid=..` (or, for a remembered device, straight to
//!   the OIDC exit's redirect);
//! * `GET /frame/prompt?sid=..` → the `login-form` page (devices, each device's factors);
//! * `POST /frame/prompt` (`sid`, `_xsrf`, `factor`, `device`, `passcode`,
//!   `postAuthDestination=OIDC_EXIT`) → `{"stat":"OK","response":{"txid"}}`;
//! * `POST /frame/v4/status` (`sid`, `txid`) → `pushed` / `calling` / `answered`, then
//!   `allow`, or `deny` / `timeout`;
//! * `POST /frame/v4/oidc/exit` (`sid`, `txid`, `factor`, `_xsrf`, ...) → 303 to Okta's
//!   callback with `state` and `code`.
use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde_json::json;

use crate::duo::{duo_fail, ok};
use crate::http::{
    base_url, cookie_value, html_page, now, query_param, random_token, whole_request,
};
use crate::server::{
    live_transaction, next_step, redirect_with_session, remember_device, start_session, Step,
};
use crate::{DuoRedirect, DuoUniversalBehavior, Factor, ServerState};

/// The custom IdP of the factor, in `/sso/idps/{IDP_ID}`.
pub(crate) const IDP_ID: &str = "0oa1duouniversal0idp";
/// The client id Okta's redirect presents to Duo.
const CLIENT_ID: &str = "DIFAKEOKTAIDPCLIENT0";
/// Duo's session cookie on its own host.
const DUO_COOKIE: &str = "duo_session";

/// What an OIDC `state` Okta sent to Duo stands for.
pub(crate) struct OidcState {
    state_token: String,
    factor_id: String,
    redirect_uri: String,
}

/// One Duo prompt, by its `sid`.
pub(crate) struct DuoTx {
    state: String,
    factor_id: String,
    tx: String,
    xsrf: String,
    cookie: String,
    plugin_done: bool,
    txid: Option<String>,
    /// `Duo Push`, `Phone Call` or `Passcode`.
    method: String,
    polls: u32,
    passcode_ok: Option<bool>,
    allowed: bool,
}

struct FactorConfig {
    behavior: DuoUniversalBehavior,
    devices: Vec<String>,
    passcode: String,
    redirect: Option<DuoRedirect>,
}

fn factor(state: &ServerState, factor_id: &str) -> Option<FactorConfig> {
    state.config().factors.iter().find_map(|f| match f {
        Factor::DuoUniversal {
            id,
            behavior,
            devices,
            passcode,
            redirect,
        } if id == factor_id => Some(FactorConfig {
            behavior: behavior.clone(),
            devices: devices.clone(),
            passcode: passcode.clone(),
            redirect: redirect.clone(),
        }),
        _ => None,
    })
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn redirect(status: StatusCode, location: &str, cookie: Option<String>) -> Response {
    let mut builder = Response::builder()
        .status(status)
        .header(LOCATION, location)
        .header(CACHE_CONTROL, "no-cache, no-store");
    if let Some(cookie) = cookie {
        builder = builder.header(SET_COOKIE, cookie);
    }
    builder
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let mut response = html_page(format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>{message}</h1></body></html>"
    ));
    *response.status_mut() = status;
    response
}

// ---------------------------------------------------------------------------------------------
// Okta side

/// `GET /sso/idps/{idp}?stateToken=..`: Okta hands the sign-in to Duo.
pub(crate) async fn okta_idp_redirect(
    State(state): State<ServerState>,
    Path(idp_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let base = base_url(&headers);
    if idp_id != IDP_ID {
        return error_page(StatusCode::NOT_FOUND, "Unknown identity provider");
    }
    let Some(token) = query_param(&uri, "stateToken") else {
        return error_page(StatusCode::BAD_REQUEST, "Missing stateToken");
    };
    if !live_transaction(&state, &token) {
        return error_page(StatusCode::FORBIDDEN, "The sign-in has expired");
    }
    let factor_id = {
        let data = state.data();
        let Some(txn) = data.transactions.get(&token) else {
            return error_page(StatusCode::FORBIDDEN, "The sign-in has expired");
        };
        if !matches!(next_step(&state, txn), Step::MfaRequired) {
            return error_page(StatusCode::FORBIDDEN, "Nothing to verify");
        }
        state.config().factors.iter().find_map(|f| match f {
            Factor::DuoUniversal { id, .. } if txn.verified_once.contains(id) => Some(id.clone()),
            _ => None,
        })
    };
    let Some(factor_id) = factor_id else {
        return error_page(StatusCode::FORBIDDEN, "The factor was not verified");
    };
    let config = factor(&state, &factor_id);
    if let Some(DuoRedirect::Prompt(elsewhere)) = config.and_then(|c| c.redirect) {
        return redirect(StatusCode::FOUND, &elsewhere, None);
    }
    let Some(duo) = state.duo_url() else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "No Duo host");
    };
    let oidc_state = random_token("", 32);
    let redirect_uri = format!("{base}/oauth2/v1/authorize/callback");
    state.data().duo_states.insert(
        oidc_state.clone(),
        OidcState {
            state_token: token,
            factor_id,
            redirect_uri: redirect_uri.clone(),
        },
    );
    // Okta's signed request object (opaque here).
    let request = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        random_token("", 120),
        random_token("", 43)
    );
    let location = format!(
        "{duo}/oauth/v1/authorize?response_type=code&client_id={CLIENT_ID}&scope=openid&redirect_uri={}&state={oidc_state}&request={request}",
        encode(&redirect_uri)
    );
    redirect(StatusCode::FOUND, &location, None)
}

/// `GET /oauth2/v1/authorize/callback?state=..&code=..`: Duo's answer; Okta verifies the
/// factor, ends the transaction and starts the session.
pub(crate) async fn okta_callback(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let base = base_url(&headers);
    let (Some(oidc_state), Some(code)) = (query_param(&uri, "state"), query_param(&uri, "code"))
    else {
        return error_page(StatusCode::BAD_REQUEST, "Missing state or code");
    };
    let mut data = state.data();
    if data.duo_codes.remove(&code).as_deref() != Some(oidc_state.as_str()) {
        return error_page(StatusCode::BAD_REQUEST, "Invalid authorization code");
    }
    let Some(pending) = data.duo_states.remove(&oidc_state) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid state");
    };
    let Some(txn) = data.transactions.remove(&pending.state_token) else {
        return error_page(StatusCode::FORBIDDEN, "The sign-in has expired");
    };
    if txn.expires_at <= now() || !txn.verified_once.contains(&pending.factor_id) {
        return error_page(StatusCode::FORBIDDEN, "The sign-in has expired");
    }
    remember_device(&state, &mut data, &txn);
    let t = now();
    let sid = start_session(&state, &mut data, true, t, Some(t));
    data.counters.duo_sessions += 1;
    drop(data);
    redirect_with_session(&format!("{base}/app/UserHome"), Some(&sid))
}

// ---------------------------------------------------------------------------------------------
// Duo side

/// The Duo host's routes, recording every request it gets.
pub(crate) fn router(state: ServerState) -> Router {
    Router::new()
        .route("/oauth/v1/authorize", get(authorize))
        .route(
            "/frame/frameless/v4/auth",
            get(frameless_page).post(frameless_post),
        )
        .route("/frame/prompt", get(prompt_page).post(prompt_post))
        .route("/frame/v4/status", post(status))
        .route("/frame/v4/oidc/exit", post(exit))
        .fallback(|| async { error_page(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

async fn record(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let (whole, request) = whole_request(request).await;
    state.data().duo_received.push(whole);
    next.run(request).await
}

/// `GET /oauth/v1/authorize`: Okta's OIDC request; starts a prompt.
async fn authorize(
    State(state): State<ServerState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| query.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID || get("response_type") != "code" || get("request").is_empty()
    {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request");
    }
    let oidc_state = get("state").to_string();
    let mut data = state.data();
    let Some(pending) = data.duo_states.get(&oidc_state) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid state");
    };
    if pending.redirect_uri != get("redirect_uri") {
        return error_page(StatusCode::BAD_REQUEST, "Invalid redirect_uri");
    }
    let factor_id = pending.factor_id.clone();
    let sid = format!(
        "frameless-{}-{}",
        random_token("", 8).to_ascii_lowercase(),
        random_token("", 24).to_ascii_lowercase()
    );
    let tx = format!(
        "{}.{}.{}",
        random_token("", 36),
        random_token("", 200),
        random_token("", 43)
    );
    let xsrf = random_token("", 38);
    let cookie = random_token("", 44);
    for secret in [&sid, &tx, &xsrf, &cookie] {
        data.duo_issued.push(secret.clone());
    }
    data.duo_universal.insert(
        sid.clone(),
        DuoTx {
            state: oidc_state,
            factor_id: factor_id.clone(),
            tx: tx.clone(),
            xsrf,
            cookie: cookie.clone(),
            plugin_done: false,
            txid: None,
            method: String::new(),
            polls: 0,
            passcode_ok: None,
            allowed: false,
        },
    );
    drop(data);
    let query = format!("sid={sid}&tx={tx}");
    let location = match factor(&state, &factor_id).and_then(|c| c.redirect) {
        Some(DuoRedirect::Frameless(elsewhere)) => format!("{elsewhere}?{query}"),
        _ => format!("/frame/frameless/v4/auth?{query}"),
    };
    redirect(
        StatusCode::SEE_OTHER,
        &location,
        Some(format!(
            "{DUO_COOKIE}={cookie}; Path=/; Secure; HttpOnly; SameSite=None"
        )),
    )
}

/// The prompt of `sid`, when the request carries Duo's cookie for it.
fn with_tx<T>(
    state: &ServerState,
    headers: &HeaderMap,
    sid: &str,
    f: impl FnOnce(&mut DuoTx, &mut crate::Counters) -> T,
) -> Option<T> {
    let cookie = cookie_value(headers, DUO_COOKIE)?;
    let mut guard = state.data();
    let data = &mut *guard;
    let tx = data.duo_universal.get_mut(sid)?;
    (tx.cookie == cookie).then(|| f(tx, &mut data.counters))
}

/// `GET /frame/frameless/v4/auth?sid=..&tx=..`: the plugin form.
async fn frameless_page(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let sid = query.get("sid").cloned().unwrap_or_default();
    let given_tx = query.get("tx").cloned().unwrap_or_default();
    let page = with_tx(&state, &headers, &sid, |tx, _| {
        (tx.tx == given_tx).then(|| plugin_form(&tx.tx, &tx.xsrf))
    });
    match page.flatten() {
        Some(html) => html_page(html),
        None => error_page(StatusCode::BAD_REQUEST, "Invalid session"),
    }
}

fn plugin_form(tx: &str, xsrf: &str) -> String {
    let browser: String = [
        "java_version",
        "flash_version",
        "screen_resolution_width",
        "screen_resolution_height",
        "color_depth",
        "ch_ua_error",
        "client_hints",
        "is_cef_browser",
        "is_ipad_os",
        "is_ie_compatibility_mode",
        "is_user_verifying_platform_authenticator_available",
        "user_verifying_platform_authenticator_available_error",
        "acting_ie_version",
        "react_support",
        "react_support_error_message",
    ]
    .iter()
    .map(|n| format!("<input type=\"hidden\" name=\"{n}\" value=\"\" />\n"))
    .collect();
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html>\n<head>\n\
         <title>Duo Security - Two-Factor Authentication</title>\n\
         <link rel=\"stylesheet\" href=\"&#x2f;frame&#x2f;static&#x2f;css&#x2f;v3&#x2f;base.css\">\n\
         </head>\n<body>\n<div id=\"wrapper\">\n<form method=\"post\" id=\"plugin_form\">\n\
         <input type=\"hidden\" name=\"tx\" value=\"{tx}\" />\n\
         <input type=\"hidden\" name=\"parent\" value=\"None\" />\n\
         <input type=\"hidden\" name=\"_xsrf\" value=\"{xsrf}\" />\n{browser}\
         <div id='react-test-container'></div>\n</form>\n</div>\n\
         <script src=\"&#x2f;frame&#x2f;static&#x2f;js&#x2f;page&#x2f;preauth.js\"></script>\n\
         </body>\n</html>\n"
    )
}

/// `POST /frame/frameless/v4/auth?sid=..`: the plugin form; on to the prompt (or, for a
/// remembered device, straight out to Okta).
async fn frameless_post(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sid = query.get("sid").cloned().unwrap_or_default();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let checked = with_tx(&state, &headers, &sid, |tx, _| {
        let good = tx.tx == field("tx") && tx.xsrf == field("_xsrf") && form.contains_key("parent");
        if good {
            tx.plugin_done = true;
        }
        good.then(|| tx.factor_id.clone())
    });
    let Some(factor_id) = checked.flatten() else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request");
    };
    if matches!(
        factor(&state, &factor_id).map(|c| c.behavior),
        Some(DuoUniversalBehavior::Remembered)
    ) {
        return exit_redirect(&state, &sid);
    }
    redirect(StatusCode::FOUND, &format!("/frame/prompt?sid={sid}"), None)
}

/// `GET /frame/prompt?sid=..`: the login form (or what Duo's policy shows instead).
async fn prompt_page(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let sid = query.get("sid").cloned().unwrap_or_default();
    let found = with_tx(&state, &headers, &sid, |tx, _| {
        tx.plugin_done
            .then(|| (tx.factor_id.clone(), tx.xsrf.clone()))
    });
    let Some((factor_id, xsrf)) = found.flatten() else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid session");
    };
    let Some(config) = factor(&state, &factor_id) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid session");
    };
    let devices: Vec<(String, String, Vec<&str>)> = match config.behavior {
        DuoUniversalBehavior::DeviceDenied => {
            return html_page(
                "<!DOCTYPE html><html><head><title>Two-Factor Authentication</title></head><body>\
                 <div class=\"base-body\"><h1>Access denied</h1>\
                 <p class=\"message\">Your device does not meet the requirements of your organization. Contact your help desk.</p>\
                 </div></body></html>"
                    .to_string(),
            )
        }
        DuoUniversalBehavior::WebAuthnOnly => vec![(
            "WA7F3QXK2M".to_string(),
            "Security key".to_string(),
            vec!["WebAuthn Credential"],
        )],
        _ => config
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let n = (i + 1) % 10;
                (
                    d.clone(),
                    format!("{d} &#x28;XXX-XXX-{n}{n}{n}{n}&#x29;"),
                    vec!["Duo Push", "Phone Call", "Passcode"],
                )
            })
            .collect(),
    };
    html_page(login_form(&sid, &xsrf, &devices))
}

fn login_form(sid: &str, xsrf: &str, devices: &[(String, String, Vec<&str>)]) -> String {
    let preferred = devices.first().map(|d| d.0.as_str()).unwrap_or("");
    let options: String = devices
        .iter()
        .map(|(value, label, factors)| {
            let webauthn = if factors.contains(&"WebAuthn Credential") {
                " name=\"webauthn\""
            } else {
                ""
            };
            format!("<option value=\"{value}\"{webauthn}>{label}</option>\n")
        })
        .collect();
    let fieldsets: String = devices
        .iter()
        .map(|(value, _, factors)| {
            let rows: String = factors
                .iter()
                .map(|f| {
                    format!(
                        "<div class=\"row-label\">\n<input type=\"hidden\" name=\"factor\" value=\"{}\">\n\
                         <span class=\"label factor-label\">{f}</span>\n\
                         <button tabindex=\"2\" type=\"submit\" class=\"positive&#x20;auth-button\">{f}</button>\n{}</div>\n",
                        f.replace(' ', "&#x20;"),
                        if *f == "Passcode" {
                            format!("<input type=\"text\" name=\"passcode\" autocomplete=\"off\" data-index=\"{value}\" class=\"hidden passcode-input\">\n\
                                     <input name=\"next-passcode\" type=\"hidden\" value=\"None\" />\n")
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            format!("<fieldset data-device-index=\"{value}\" class=\"hidden\">\n<h2>Choose an authentication method</h2>\n{rows}</fieldset>\n")
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>\nTwo-Factor Authentication\n</title>\n</head>\n<body>\n\
         <div class=\"base-main\"><div role=\"main\" class=\"base-body\">\n\
         <form action=\"/frame/prompt\" method=\"post\" id=\"login-form\" class=\"inline login-form hidden\">\n\
         <input type=\"hidden\" name=\"sid\" value=\"{sid}\">\n\
         <input type=\"hidden\" name=\"url\" value=\"/frame/prompt\">\n\
         <input type=\"hidden\" name=\"enrollment_message\" value=\"\">\n\
         <input type=\"hidden\" name=\"itype\" value=\"okta\">\n\
         <input type=\"hidden\" name=\"_xsrf\" value=\"{xsrf}\" />\n\
         <input type=\"hidden\" name=\"out_of_date\" value=\"False\">\n\
         <input type=\"hidden\" name=\"days_out_of_date\" value=\"0\">\n\
         <input type=\"hidden\" name=\"preferred_factor\" value=\"Duo&#x20;Push\">\n\
         <input type=\"hidden\" name=\"preferred_device\" value=\"{preferred}\">\n\
         <fieldset class=\"device-selector \">\n<h1 class=\"cramped-frame-view\">Device&#x3a;</h1>\n\
         <select name=\"device\" aria-label=\"Device\" tabindex=2>\n{options}</select>\n</fieldset>\n\
         <div id=\"auth_methods\">\n{fieldsets}<input type=\"hidden\" name=\"has-token\" value=\"false\">\n</div>\n</form>\n\
         <form class=\"oidc-exit-form\" action=\"/frame/prompt/oidc/exit\" method=\"POST\">\n\
         <input type=\"hidden\" name=\"txid\" value=\"\" />\n\
         <input type=\"hidden\" name=\"sid\" value=\"{sid}\" />\n\
         <input type=\"hidden\" name=\"_xsrf\" value=\"{xsrf}\" />\n</form>\n</div></div>\n\
         <script>if (window.innerWidth < 400) {{ document.body.className = \"<small>\"; }}</script>\n\
         <script src=\"&#x2f;frame&#x2f;static&#x2f;js&#x2f;page&#x2f;v3&#x2f;prompt.js\"></script>\n\
         </body>\n</html>\n"
    )
}

/// `POST /frame/prompt`: starts a push or call to a device, or checks a passcode.
async fn prompt_post(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sid = field("sid");
    let factor_id = with_tx(&state, &headers, &sid, |tx, _| {
        (tx.plugin_done && tx.xsrf == field("_xsrf")).then(|| tx.factor_id.clone())
    });
    let Some(factor_id) = factor_id.flatten() else {
        return duo_fail("Invalid session");
    };
    let Some(config) = factor(&state, &factor_id) else {
        return duo_fail("Invalid session");
    };
    if field("postAuthDestination") != "OIDC_EXIT" {
        return duo_fail("Unsupported post-auth destination");
    }
    let method = field("factor");
    let usable_devices = match config.behavior {
        DuoUniversalBehavior::WebAuthnOnly | DuoUniversalBehavior::DeviceDenied => Vec::new(),
        _ => config.devices.clone(),
    };
    let passcode_ok = match method.as_str() {
        "Duo Push" | "Phone Call" => {
            if !usable_devices.contains(&field("device")) {
                return duo_fail("Unknown device");
            }
            None
        }
        "Passcode" => Some(field("passcode") == config.passcode),
        _ => return duo_fail("Unknown factor"),
    };
    let txid = format!(
        "{}-{}-{}",
        random_token("", 8).to_ascii_lowercase(),
        random_token("", 4).to_ascii_lowercase(),
        random_token("", 12).to_ascii_lowercase()
    );
    let started = with_tx(&state, &headers, &sid, |tx, counters| {
        match method.as_str() {
            "Duo Push" => counters.duo_pushes += 1,
            "Phone Call" => counters.duo_calls += 1,
            _ if passcode_ok == Some(false) => counters.bad_codes += 1,
            _ => {}
        }
        tx.txid = Some(txid.clone());
        tx.method = method.clone();
        tx.polls = 0;
        tx.passcode_ok = passcode_ok;
        tx.allowed = false;
    });
    if started.is_none() {
        return duo_fail("Invalid session");
    }
    state.data().duo_issued.push(txid.clone());
    ok(json!({ "txid": txid }))
}

/// `POST /frame/v4/status`: the state of the push, call or passcode.
async fn status(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sid = field("sid");
    let found = with_tx(&state, &headers, &sid, |tx, counters| {
        counters.duo_status_polls += 1;
        if tx.txid.as_deref() != Some(field("txid").as_str()) {
            return None;
        }
        tx.polls += 1;
        Some((
            tx.factor_id.clone(),
            tx.method.clone(),
            tx.polls,
            tx.passcode_ok,
        ))
    });
    let Some((factor_id, method, polls, passcode_ok)) = found.flatten() else {
        return duo_fail("Invalid session");
    };
    let Some(config) = factor(&state, &factor_id) else {
        return duo_fail("Invalid session");
    };
    let allow = json!({
        "status_enum": 5,
        "status_code": "allow",
        "result": "SUCCESS",
        "reason": "User approved",
        "status": "Success. Logging you in...",
        "post_auth_action": "oidc_exit",
    });
    let answer = match (passcode_ok, &config.behavior) {
        (Some(true), _) => allow,
        (Some(false), _) => json!({
            "status_enum": 6,
            "status_code": "deny",
            "result": "FAILURE",
            "reason": "Incorrect passcode",
            "status": "Incorrect passcode. Please try again.",
        }),
        (None, DuoUniversalBehavior::Deny) => json!({
            "status_enum": 6,
            "status_code": "deny",
            "result": "FAILURE",
            "reason": "User declined",
            "status": "Login request denied.",
        }),
        (None, DuoUniversalBehavior::Timeout) => json!({
            "status_enum": 15,
            "status_code": "timeout",
            "result": "FAILURE",
            "reason": "User did not respond",
            "status": "Login timed out.",
        }),
        (None, DuoUniversalBehavior::ApproveAfter(n)) if polls < *n => {
            if method == "Phone Call" {
                if polls == 1 {
                    json!({ "status_enum": 11, "status_code": "calling", "status": "Calling your phone..." })
                } else {
                    json!({ "status_enum": 12, "status_code": "answered", "status": "Answered. Press any key on your phone to log in." })
                }
            } else {
                json!({ "status_enum": 13, "status_code": "pushed", "status": "Pushed a login request to your device..." })
            }
        }
        (None, _) => allow,
    };
    if answer["status_code"] == "allow" {
        with_tx(&state, &headers, &sid, |tx, _| tx.allowed = true);
    }
    ok(answer)
}

/// `POST /frame/v4/oidc/exit`: back to Okta with the OIDC code.
async fn exit(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sid = field("sid");
    let good = with_tx(&state, &headers, &sid, |tx, _| {
        tx.allowed
            && tx.txid.as_deref() == Some(field("txid").as_str())
            && tx.xsrf == field("_xsrf")
            && tx.method == field("factor")
    });
    if good != Some(true) {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request");
    }
    exit_redirect(&state, &sid)
}

/// 303 to Okta's callback (or where the test sends it) with a new code; the prompt is used up.
fn exit_redirect(state: &ServerState, sid: &str) -> Response {
    let code = random_token("", 40);
    let (oidc_state, factor_id) = {
        let mut data = state.data();
        let Some(tx) = data.duo_universal.get_mut(sid) else {
            return error_page(StatusCode::BAD_REQUEST, "Invalid session");
        };
        tx.allowed = false;
        tx.txid = None;
        let found = (tx.state.clone(), tx.factor_id.clone());
        data.duo_codes.insert(code.clone(), found.0.clone());
        data.issued.push(code.clone());
        found
    };
    let Some(redirect_uri) = state
        .data()
        .duo_states
        .get(&oidc_state)
        .map(|s| s.redirect_uri.clone())
    else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid state");
    };
    let target = match factor(state, &factor_id).and_then(|c| c.redirect) {
        Some(DuoRedirect::Exit(elsewhere)) => elsewhere,
        _ => redirect_uri,
    };
    redirect(
        StatusCode::SEE_OTHER,
        &format!("{target}?state={oidc_state}&code={code}"),
        None,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode("http://127.0.0.1:1/a b"),
            "http%3A%2F%2F127.0.0.1%3A1%2Fa%20b"
        );
    }
}
