//! One HTTP client per process for Okta, with Okta's conventions built in: JSON error bodies,
//! 429 with `X-Rate-Limit-Reset`, retries with capped, jittered backoff for 5xx and connection
//! errors (only where repeating the request is harmless), configurable timeouts, proxies from
//! the environment, and a clear error when something other than Okta's API answers.
use super::cookies::CookieJar;
use super::origin::OktaOrigin;
use crate::redact;
use crate::{Error, Result};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Each Okta request's limit (`AWS_OKTA_HTTP_TIMEOUT`).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting's limit (`AWS_OKTA_CONNECT_TIMEOUT`), never more than the request's.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How the Okta clients (classic and Identity Engine) talk to the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OktaHttp {
    /// `AWS_OKTA_HTTP_TIMEOUT`: each request.
    pub timeout: Duration,
    /// `AWS_OKTA_CONNECT_TIMEOUT`: connecting.
    pub connect_timeout: Duration,
    /// `AWS_OKTA_POLL_INTERVAL`: the push poll interval; `None` leaves it to the flow (1 s
    /// classic, Okta's `interval` on Identity Engine).
    pub poll_interval: Option<Duration>,
}

impl Default for OktaHttp {
    fn default() -> OktaHttp {
        OktaHttp {
            timeout: DEFAULT_HTTP_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            poll_interval: None,
        }
    }
}

const MAX_ATTEMPTS: u32 = 4;
/// The largest answer read from Okta (or Duo): Okta's biggest pages, the AWS app's auto-post
/// page with many roles, are tens of KiB. A larger body is an error, not an allocation.
pub const MAX_BODY: usize = 4 << 20;
/// Backoff between retries: 250 ms doubling, capped, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(4);

/// Whether a request may be sent again after a failure whose effect is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads and polls: retried on 5xx, timeouts and connection resets.
    Idempotent,
    /// Password, passcodes, sending a push/SMS: retried only when Okta cannot have acted on it
    /// (429, 502/503/504, connection refused). Never after an answer such as 401.
    Once,
}
/// Longest we wait for a rate-limit window to reset before giving up.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Okta's error body: `{errorCode, errorSummary, errorCauses:[{errorSummary}]}`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OktaError {
    #[serde(default)]
    pub error_code: String,
    #[serde(default)]
    pub error_summary: String,
    #[serde(default)]
    pub error_causes: Vec<OktaErrorCause>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorCause {
    #[serde(default)]
    pub error_summary: String,
}

impl OktaError {
    pub fn message(&self) -> String {
        let causes: Vec<&str> = self
            .error_causes
            .iter()
            .map(|c| c.error_summary.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        if causes.is_empty() {
            self.error_summary.clone()
        } else {
            format!("{} ({})", self.error_summary, causes.join("; "))
        }
    }
}

/// An Okta answer that is not 2xx/3xx, with its parsed body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: OktaError,
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        Error::OktaApi {
            status: e.status.as_u16(),
            code: if e.body.error_code.is_empty() {
                "-".into()
            } else {
                e.body.error_code.clone()
            },
            summary: if e.body.error_summary.is_empty() {
                "no details from Okta".into()
            } else {
                e.body.message()
            },
        }
    }
}

#[derive(Clone)]
pub struct OktaClient {
    http: reqwest::Client,
    pub base: Url,
    origin: OktaOrigin,
    poll_interval: Duration,
    /// The login's cookies, per origin (`sid`, the `DT` device token, ...).
    jar: Arc<CookieJar>,
}

/// The HTTP client every Okta request uses (classic and Identity Engine): no automatic
/// redirects (each one is checked by [`OktaOrigin`] and followed by the caller, and a POST
/// never follows one), timeouts from `settings` (`AWS_OKTA_CONNECT_TIMEOUT`/`AWS_OKTA_HTTP_TIMEOUT`,
/// read once by `cli`),
/// proxies from the environment, https only unless the org is a loopback test server, and the
/// trust of [`crate::tls`] (system store, `AWS_CA_BUNDLE`, `SSL_CERT_FILE`).
pub fn build_http(base: &Url, settings: &OktaHttp) -> Result<reqwest::Client> {
    // Connecting never takes longer than the whole request may.
    let timeout = settings.timeout;
    let connect = settings.connect_timeout;
    reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config()?)
        .user_agent(crate::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect.min(timeout))
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .https_only(!crate::config::urls::is_loopback(base))
        .build()
        .map_err(|e| Error::network(format!("cannot build the HTTP client: {}", e.without_url())))
}

/// Reads a body of at most [`MAX_BODY`] bytes; `service` names the server in errors.
pub async fn read_body(service: &str, mut response: Response) -> Result<Vec<u8>> {
    let url = redact::url(response.url().as_str());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(Error::OktaResponse(format!(
                        "{service}'s answer ({url}) is larger than {} MiB: refused",
                        MAX_BODY >> 20
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                let e = e.without_url();
                return Err(Error::network_caused(
                    format!("reading {service}'s answer ({url}) failed: {e}"),
                    e,
                ));
            }
        }
    }
}

/// [`read_body`] as text (lossy UTF-8: pages are HTML).
pub async fn read_text(service: &str, response: Response) -> Result<String> {
    Ok(String::from_utf8_lossy(&read_body(service, response).await?).into_owned())
}

impl OktaClient {
    /// Builds the process's Okta client. Timeouts and the poll interval come from `settings`;
    /// proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`.
    pub fn new(base: Url, settings: &OktaHttp) -> Result<OktaClient> {
        let http = build_http(&base, settings)?;
        let poll_interval = settings.poll_interval.unwrap_or(Duration::from_secs(1));
        Ok(OktaClient {
            http,
            origin: OktaOrigin::new(base.clone()),
            base,
            poll_interval,
            jar: Arc::new(CookieJar::default()),
        })
    }

    /// Puts a cookie for the org in the jar (the remembered `DT`, a cached `sid`).
    pub fn set_cookie(&self, name: &str, value: SecretString) {
        self.jar.set(&self.base, name, value);
    }

    /// A cookie the org set (or that was put in the jar).
    pub fn cookie(&self, name: &str) -> Option<SecretString> {
        self.jar.get(&self.base, name)
    }

    /// The `Cookie` header the jar holds for `url` (only cookies of `url`'s origin).
    pub fn cookie_header(&self, url: &Url) -> Option<SecretString> {
        self.jar.header_for(url)
    }

    /// Keeps the cookies an answer from `url` set.
    pub fn remember_cookies(&self, url: &Url, response: &Response) {
        self.jar.store_from(
            url,
            response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
    }

    pub fn origin(&self) -> &OktaOrigin {
        &self.origin
    }

    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// One of our fixed API paths on the org.
    pub fn url(&self, path: &str) -> Result<Url> {
        self.origin.api(path)
    }

    /// A URL from an Okta `_links` href: must be on the org (see [`OktaOrigin`]).
    pub fn link(&self, href: &str) -> Result<Url> {
        self.origin.server_url("a link", href, &self.base)
    }

    /// Where a redirect from `from` goes: must be on the org.
    pub fn redirect(&self, from: &Url, location: &str) -> Result<Url> {
        self.origin.server_url("a redirect", location, from)
    }

    pub fn get(&self, url: Url) -> RequestBuilder {
        self.http.request(Method::GET, url)
    }

    /// A request of any method, for [`OktaClient::send_with`] (e.g. `DELETE` of a session).
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// POSTs JSON (not repeated where Okta may have acted on it) and decodes a JSON answer;
    /// error statuses become `ApiError`.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<std::result::Result<T, ApiError>> {
        self.json_request(Method::POST, url, Some(body), None, Retry::Once)
            .await
    }

    /// Like `post_json` for requests that are safe to repeat (polls, state reads).
    pub async fn poll_json<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<std::result::Result<T, ApiError>> {
        self.json_request(Method::POST, url, Some(body), None, Retry::Idempotent)
            .await
    }

    /// A JSON API call with an optional explicit `Cookie` header (e.g. the session `sid`);
    /// without one, the jar's cookies are sent.
    pub async fn json_request<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        cookie: Option<&SecretString>,
        retry: Retry,
    ) -> Result<std::result::Result<T, ApiError>> {
        let jar = self.jar.header_for(&url);
        let response = self
            .send_with(
                || {
                    let mut req = self
                        .http
                        .request(method.clone(), url.clone())
                        .header("Accept", "application/json");
                    if let Some(body) = body {
                        req = req.json(body);
                    }
                    match cookie.or(jar.as_ref()) {
                        Some(c) => req.header(COOKIE, c.expose_secret()),
                        None => req,
                    }
                },
                retry,
            )
            .await?;
        self.remember_cookies(&url, &response);
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes = read_body("Okta", response).await?;
        decode(status, &content_type, &bytes, &url)
    }

    /// POSTs a form (Duo's prompt API, Okta's Duo callback) and returns status and body.
    pub async fn post_form(
        &self,
        url: Url,
        form: &[(&str, &str)],
        retry: Retry,
    ) -> Result<(StatusCode, String)> {
        let response = self
            .send_with(|| self.http.post(url.clone()).form(form), retry)
            .await?;
        let status = response.status();
        Ok((
            status,
            read_text(service_of(&self.origin, &url), response).await?,
        ))
    }

    /// Sends an idempotent request (GET) with retries.
    pub async fn send(&self, request: impl Fn() -> RequestBuilder) -> Result<Response> {
        self.send_with(request, Retry::Idempotent).await
    }

    /// Sends with retries: 429 waits for `X-Rate-Limit-Reset` (bounded); 5xx and connection
    /// errors back off (capped exponential with jitter) when `retry` allows it. 4xx other than
    /// 429 come back to the caller at once, so a rejected password is never sent twice.
    pub async fn send_with(
        &self,
        request: impl Fn() -> RequestBuilder,
        retry: Retry,
    ) -> Result<Response> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= MAX_ATTEMPTS;
            let req = request().build().map_err(|e| {
                let e = e.without_url();
                Error::network_caused(format!("bad request: {e}"), e)
            })?;
            let target = redact::url(req.url().as_str());
            let url = req.url().clone();
            let host = url.host_str().unwrap_or("?").to_string();
            tracing::debug!(method = %req.method(), url = %target, attempt, "okta request");
            match self.http.execute(req).await {
                Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = rate_limit_wait(&resp);
                    tracing::debug!(url = %target, wait_ms = wait.as_millis() as u64, "okta rate limited (429)");
                    if last || wait > MAX_RATE_LIMIT_WAIT {
                        return Err(Error::RateLimited { service: "Okta" });
                    }
                    crate::notice!(
                        "Okta is rate limiting; retrying in {}s",
                        wait.as_secs().max(1)
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) if resp.status().is_server_error() => {
                    let status = resp.status();
                    tracing::debug!(url = %target, %status, "okta server error");
                    let not_processed = matches!(status.as_u16(), 502..=504);
                    if retry == Retry::Once && !not_processed {
                        return Err(Error::network(format!(
                            "Okta failed (HTTP {status}) on a step that is not repeated automatically: retry the command"
                        )));
                    }
                    if last {
                        let body: OktaError = read_body("Okta", resp)
                            .await
                            .ok()
                            .and_then(|b| serde_json::from_slice(&b).ok())
                            .unwrap_or_default();
                        let detail = if body.error_summary.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", body.message())
                        };
                        return Err(Error::network(format!(
                            "Okta is unavailable (HTTP {status}) after {MAX_ATTEMPTS} attempts{detail}: retry later"
                        )));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Ok(resp) => {
                    tracing::debug!(url = %target, status = %resp.status(), "okta response");
                    return Ok(resp);
                }
                Err(e) => {
                    // reqwest's Display includes the URL, and with it a `sessionToken`.
                    let e = e.without_url();
                    tracing::debug!(url = %target, error = %e, "okta connection error");
                    // A refused certificate is refused again on every attempt: say so at once.
                    if let Some(problem) = crate::tls::certificate_problem(&e) {
                        return Err(problem.error(service_of(&self.origin, &url), &host));
                    }
                    // A refused connection never reached Okta; a reset or timeout may have.
                    let unsent = e.is_connect() && !e.is_timeout();
                    if last || (retry == Retry::Once && !unsent) {
                        let what = if e.is_timeout() {
                            "timed out"
                        } else {
                            "failed"
                        };
                        let e = e.without_url();
                        return Err(Error::network_caused(
                            format!(
                                "connection to Okta ({}) {what}: check your network or VPN ({})",
                                self.base.host_str().unwrap_or("?"),
                                std::error::Error::source(&e)
                                    .map(|s| s.to_string())
                                    .unwrap_or_else(|| e.to_string())
                            ),
                            e,
                        ));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    }
}

/// Who answers at `url`, for messages: the org, or Duo (the only other host the client talks to).
fn service_of(origin: &OktaOrigin, url: &Url) -> &'static str {
    if origin.contains(url) {
        "Okta"
    } else {
        "Duo"
    }
}

/// Capped exponential backoff with "equal jitter": half fixed, half random.
fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let exp = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(BACKOFF_CAP);
    let half = exp / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter)
}

/// Decodes an Okta API answer. Anything that is not JSON (a captive portal, a proxy's or web
/// server's HTML error page, a non-Okta domain) becomes a clear error, never a parse panic.
fn decode<T: DeserializeOwned>(
    status: StatusCode,
    content_type: &str,
    bytes: &[u8],
    url: &Url,
) -> Result<std::result::Result<T, ApiError>> {
    let looks_html = content_type.contains("html")
        || bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<');
    let not_api = |what: &str| {
        Error::network(format!(
            "{} answered HTTP {} with an unexpected body ({what}) instead of Okta's JSON API: check the Okta domain \
             (`aws-okta add`), and whether a proxy, VPN or captive portal is in the way",
            redact::url(url.as_str()),
            status.as_u16()
        ))
    };
    if status.is_success() {
        if looks_html {
            return Err(not_api("an HTML page"));
        }
        return serde_json::from_slice(bytes)
            .map(Ok)
            .map_err(|_| not_api("a body that is not the expected JSON"));
    }
    match serde_json::from_slice::<OktaError>(bytes) {
        Ok(body) => Ok(Err(ApiError { status, body })),
        Err(_) if looks_html => Err(not_api("an HTML page")),
        Err(_) => Ok(Err(ApiError {
            status,
            body: OktaError::default(),
        })),
    }
}

/// Time until `X-Rate-Limit-Reset` (epoch seconds), at least one second.
fn rate_limit_wait(resp: &Response) -> Duration {
    let reset = resp
        .headers()
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let now = chrono::Utc::now().timestamp();
    match reset {
        Some(reset) if reset > now => Duration::from_secs((reset - now) as u64),
        _ => Duration::from_secs(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection failure keeps its transport error as the source, with the request's URL
    /// (and so any token in its query) removed from both.
    #[test]
    fn a_network_error_carries_its_cause_without_the_url() {
        // A port nothing listens on: bind, read the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let client = OktaClient::new(base.clone(), &OktaHttp::default()).unwrap();
        let url = base.join("api/v1/x?sessionToken=SECRET-TOKEN").unwrap();
        let runtime = crate::runtime::current_thread().unwrap();
        let err = runtime
            .block_on(client.send_with(|| client.http.get(url.clone()), Retry::Once))
            .unwrap_err();
        assert!(matches!(err, Error::Network { .. }), "{err:?}");
        let source = std::error::Error::source(&err).expect("the transport error is kept");
        for shown in [err.to_string(), format!("{err:?}"), format!("{source:?}")] {
            assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        }
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        for attempt in 1..10 {
            let d = backoff(attempt);
            assert!(d <= BACKOFF_CAP, "{attempt}: {d:?}");
        }
        assert!(backoff(1) <= BACKOFF_BASE && backoff(1) >= BACKOFF_BASE / 2);
        let samples: std::collections::BTreeSet<_> = (0..20).map(|_| backoff(5)).collect();
        assert!(samples.len() > 1, "jitter varies the wait");
    }

    #[test]
    fn html_and_garbage_bodies_are_clear_errors() {
        let url = Url::parse("https://example.okta.com/api/v1/authn").unwrap();
        let html = decode::<serde_json::Value>(StatusCode::OK, "text/html", b"<html>", &url);
        let msg = html.unwrap_err().to_string();
        assert!(msg.contains("HTML page") && msg.contains("proxy"), "{msg}");
        let garbage = decode::<serde_json::Value>(StatusCode::OK, "", b"\xff\x00", &url);
        assert!(matches!(garbage, Err(Error::Network { .. })));
        let html_error =
            decode::<serde_json::Value>(StatusCode::FORBIDDEN, "text/html", b"<h1>no</h1>", &url);
        assert!(matches!(html_error, Err(Error::Network { .. })));
        let api = decode::<serde_json::Value>(
            StatusCode::FORBIDDEN,
            "application/json",
            br#"{"errorCode":"E0000068","errorSummary":"Invalid Passcode/Answer"}"#,
            &url,
        );
        assert_eq!(api.unwrap().unwrap_err().body.error_code, "E0000068");
    }
}
