//! A fake of AWS's sign-in host, on a listener of its own (another origin than the Okta org):
//!
//! * `POST /saml` (`SAMLResponse`, `RelayState`): what `https://signin.aws.amazon.com/saml`
//!   answers to Okta's auto-post form. With several roles in the assertion, AWS's role picker:
//!   a `<fieldset>` with one `div.saml-account` per account, its `div.saml-account-name`
//!   reading `Account: <alias> (<id>)` (or `Account: <id>` without an alias) and one
//!   `div.saml-role` per role (`input.saml-radio` named `roleIndex` with the role ARN as value,
//!   `label.saml-role-description` with the role name). With one role, AWS signs the browser in
//!   at once: a 302 to the console.
//! * `GET /federation?Action=getSigninToken&Session=..`: `{"SigninToken": ..}`;
//!   `?Action=login&SigninToken=..&Destination=..`: a 302 to the destination when the token
//!   is one it issued (AWS's console federation endpoint).
//! * any other `GET` on a console host (`<region>.console.aws.amazon.com/<service>/home`,
//!   reached through a browser's host mapping): a page saying which console this is, so a
//!   test can see where a browser landed.
//!
//! Everything received is recorded (request line, headers, body), for "never sent here"
//! assertions, and [`SigninConfig::redirect`] makes `/saml` answer with a 307 elsewhere (a
//! hostile or broken sign-in host: a client that follows it posts the assertion again).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;

use crate::http::{html_page, json_response, parse_form, query_param, random_token, whole_request};
use crate::saml::html_attr_encode;

/// How the fake sign-in host behaves.
#[derive(Clone, Debug, Default)]
pub struct SigninConfig {
    /// Account aliases by account id, as the role picker shows them.
    pub account_names: BTreeMap<String, String>,
    /// `POST /saml` answers `307 Location: <this>` instead of the page.
    pub redirect: Option<String>,
}

#[derive(Default)]
struct Data {
    received: Vec<String>,
    saml_posts: u32,
    signin_tokens: HashSet<String>,
    federation_requests: u32,
}

#[derive(Clone)]
struct Shared {
    config: Arc<SigninConfig>,
    data: Arc<Mutex<Data>>,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake sign-in host on `127.0.0.1:<random port>`, served from a background thread.
/// Dropping it stops it.
pub struct FakeAwsSignin {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeAwsSignin {
    /// Panics if it cannot bind or start (test-only code).
    pub fn start(config: SigninConfig) -> FakeAwsSignin {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("fake sign-in: cannot bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fake sign-in: non-blocking listener");
        let addr = listener.local_addr().expect("fake sign-in: address");
        let shared = Shared {
            config: Arc::new(config),
            data: Arc::default(),
        };
        let app = router(shared.clone());
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("fake-signin-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake sign-in: runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("fake sign-in: listener");
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = shutdown_rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("fake sign-in: thread");
        FakeAwsSignin {
            addr,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `POST /saml` requests so far.
    pub fn saml_posts(&self) -> u32 {
        self.shared.data().saml_posts
    }

    /// `/federation` requests so far.
    pub fn federation_requests(&self) -> u32 {
        self.shared.data().federation_requests
    }

    /// Every request received (request line, headers, body), in order.
    pub fn received(&self) -> Vec<String> {
        self.shared.data().received.clone()
    }
}

impl Drop for FakeAwsSignin {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/saml", post(saml))
        .route("/federation", get(federation))
        .fallback(console)
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

async fn record(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (whole, request) = whole_request(request).await;
    shared.data().received.push(whole);
    next.run(request).await
}

/// The role ARNs of a base64 SAML Response (the values of its Role attribute that name a role).
fn assertion_roles(encoded: &str) -> Option<Vec<String>> {
    let xml = B64.decode(encoded.trim()).ok()?;
    let xml = String::from_utf8(xml).ok()?;
    let roles = xml
        .split(['>', '<', ','])
        .map(str::trim)
        .filter(|s| s.starts_with("arn:") && s.contains(":role/"))
        .map(str::to_string)
        .collect();
    Some(roles)
}

async fn saml(State(shared): State<Shared>, body: Bytes) -> Response {
    shared.data().saml_posts += 1;
    if let Some(to) = &shared.config.redirect {
        return (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, to.clone())]).into_response();
    }
    let form = parse_form(&body);
    let Some(roles) = form.get("SAMLResponse").and_then(|s| assertion_roles(s)) else {
        return (
            StatusCode::BAD_REQUEST,
            "<html><body><h1>Your request included an invalid SAML response.</h1></body></html>",
        )
            .into_response();
    };
    if let [only] = roles.as_slice() {
        // One role: AWS signs the browser in without asking.
        let partition = only.split(':').nth(1).unwrap_or("aws");
        let console = match partition {
            "aws-us-gov" => "https://console.amazonaws-us-gov.com/console/home",
            "aws-cn" => "https://console.amazonaws.cn/console/home",
            _ => "https://console.aws.amazon.com/console/home",
        };
        return (StatusCode::FOUND, [(LOCATION, console)]).into_response();
    }
    html_page(role_picker(&shared.config.account_names, &roles))
}

/// AWS's role picker for `roles`, grouped by account in the order they came.
fn role_picker(names: &BTreeMap<String, String>, roles: &[String]) -> String {
    let mut accounts: Vec<(String, Vec<&str>)> = Vec::new();
    for arn in roles {
        let id = arn.split(':').nth(4).unwrap_or("").to_string();
        match accounts.iter_mut().find(|(a, _)| *a == id) {
            Some((_, list)) => list.push(arn),
            None => accounts.push((id, vec![arn])),
        }
    }
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><title>Amazon Web Services Sign-In</title></head><body>\n\
         <div id=\"container\"><form id=\"saml_form\" name=\"saml_form\" action=\"/saml\" method=\"post\">\n\
         <input type=\"hidden\" name=\"RelayState\" value=\"\" />\n\
         <p style=\"font-size: 16px; padding-left: 20px;\">Select a role:</p>\n<fieldset>\n",
    );
    for (index, (id, arns)) in accounts.iter().enumerate() {
        let label = match names.get(id) {
            Some(alias) => format!("Account: {} ({id})", html_attr_encode(alias)),
            None => format!("Account: {id}"),
        };
        html.push_str(&format!(
            "<div class=\"saml-account\"> <div onClick=\"expandCollapse({index});\">\
             <img id=\"image{index}\" src=\"/static/image/down.png\" valign=\"middle\"></img>\n\
             <div class=\"saml-account-name\">{label}</div> </div>\n\
             <hr style=\"border: 1px solid #ddd;\">\n<div id=\"{index}\" class=\"saml-account\" >\n"
        ));
        for arn in arns {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            let arn = html_attr_encode(arn);
            html.push_str(&format!(
                "<div class=\"saml-role\" onClick=\"checkRadio(this);\">\
                 <input type=\"radio\" name=\"roleIndex\" value=\"{arn}\" class=\"saml-radio\" id=\"{arn}\" />\n\
                 <label for=\"{arn}\" class=\"saml-role-description\">{}</label>\
                 <span style=\"clear: both;\"></span></div>\n",
                html_attr_encode(name)
            ));
        }
        html.push_str("</div></div>\n");
    }
    html.push_str(
        "</fieldset><br><div class=\"buttoninput\" id=\"input_signin_button\">\
         <a id=\"signin_button\" class=\"css3button\" href=\"#\" alt=\"Continue\" value=\"Continue\">Sign In</a>\
         </div></form></div></body></html>\n",
    );
    html
}

/// `GET /federation`: `getSigninToken` and `login`, as AWS's console federation endpoint.
async fn federation(State(shared): State<Shared>, uri: Uri) -> Response {
    shared.data().federation_requests += 1;
    match query_param(&uri, "Action").as_deref() {
        Some("getSigninToken") if query_param(&uri, "Session").is_some() => {
            let token = random_token("", 64);
            shared.data().signin_tokens.insert(token.clone());
            json_response(StatusCode::OK, json!({ "SigninToken": token }))
        }
        Some("login") => {
            let token = query_param(&uri, "SigninToken").unwrap_or_default();
            let destination = query_param(&uri, "Destination").unwrap_or_default();
            let known = shared.data().signin_tokens.contains(&token);
            if !known || !destination.starts_with("https://") {
                return (StatusCode::BAD_REQUEST, "invalid sign-in request").into_response();
            }
            (StatusCode::FOUND, [(LOCATION, destination)]).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}

/// A console page: which host, path and region a browser landed on.
async fn console(headers: HeaderMap, uri: Uri) -> Response {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let region = query_param(&uri, "region").unwrap_or_default();
    let service = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    html_page(format!(
        "<!DOCTYPE html>\n<html><head><title>AWS console</title></head><body>\
         <p id=\"landed\">host={} service={} region={} path={}</p></body></html>\n",
        html_attr_encode(&host),
        html_attr_encode(&service),
        html_attr_encode(&region),
        html_attr_encode(uri.path()),
    ))
}
