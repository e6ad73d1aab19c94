//! One HTTP client per process for Okta, with Okta's conventions built in: JSON error bodies,
//! 429 with `X-Rate-Limit-Reset`, retries with backoff for 5xx and connection errors.
use crate::redact;
use crate::{Error, Result};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

const MAX_ATTEMPTS: u32 = 4;
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
    poll_interval: Duration,
}

impl OktaClient {
    pub fn new(base: Url) -> Result<OktaClient> {
        // `AWS_OKTA_HTTP_TIMEOUT` bounds each request (default 30s; connecting at most 10s).
        let timeout = std::env::var("AWS_OKTA_HTTP_TIMEOUT")
            .ok()
            .and_then(|v| crate::config::parse_duration(&v).ok())
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(30));
        let http = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none()) // app::fetch follows redirects itself, keeping cookies
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .https_only(!super::is_loopback(&base))
            .build()
            .map_err(|e| Error::Network(format!("cannot build the HTTP client: {e}")))?;
        let poll_interval = std::env::var("AWS_OKTA_POLL_INTERVAL")
            .ok()
            .and_then(|v| crate::config::parse_duration(&v).ok())
            .unwrap_or(Duration::from_secs(1));
        Ok(OktaClient {
            http,
            base,
            poll_interval,
        })
    }

    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    pub fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad Okta path '{path}': {e}")))
    }

    /// A URL from an Okta `_links` href: must stay on HTTPS (or loopback HTTP).
    pub fn link(&self, href: &str) -> Result<Url> {
        let url = Url::parse(href)
            .map_err(|e| Error::Network(format!("Okta sent a bad link '{href}': {e}")))?;
        if url.scheme() != "https" && !super::is_loopback(&url) {
            return Err(Error::Network(format!(
                "Okta sent a non-HTTPS link {}",
                redact::url(href)
            )));
        }
        Ok(url)
    }

    pub fn get(&self, url: Url) -> RequestBuilder {
        self.http.request(Method::GET, url)
    }

    /// POSTs JSON and decodes a JSON answer; error statuses become `ApiError`.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<std::result::Result<T, ApiError>> {
        let response = self
            .send(|| {
                self.http
                    .post(url.clone())
                    .header("Accept", "application/json")
                    .json(body)
            })
            .await?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Error::Network(format!("reading Okta's answer failed: {e}")))?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map(Ok).map_err(|e| {
                Error::Network(format!(
                    "Okta answered {} with an unexpected body ({e}); is the domain an Okta org?",
                    redact::url(url.as_str())
                ))
            })
        } else {
            Ok(Err(ApiError {
                status,
                body: serde_json::from_slice(&bytes).unwrap_or_default(),
            }))
        }
    }

    /// Sends with retries: 429 waits for `X-Rate-Limit-Reset` (bounded), 5xx and connection
    /// errors back off. 4xx other than 429 come back to the caller at once.
    pub async fn send(&self, request: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= MAX_ATTEMPTS;
            let req = request()
                .build()
                .map_err(|e| Error::Network(format!("bad request: {e}")))?;
            let target = redact::url(req.url().as_str());
            tracing::debug!(method = %req.method(), url = %target, attempt, "okta request");
            match self.http.execute(req).await {
                Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = rate_limit_wait(&resp);
                    tracing::debug!(url = %target, wait_ms = wait.as_millis() as u64, "okta rate limited (429)");
                    if last || wait > MAX_RATE_LIMIT_WAIT {
                        return Err(Error::RateLimited { service: "Okta" });
                    }
                    eprintln!(
                        "Okta is rate limiting; retrying in {}s",
                        wait.as_secs().max(1)
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) if resp.status().is_server_error() => {
                    let status = resp.status();
                    tracing::debug!(url = %target, %status, "okta server error");
                    if last {
                        let body: OktaError = resp.json().await.unwrap_or_default();
                        let detail = if body.error_summary.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", body.message())
                        };
                        return Err(Error::Network(format!(
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
                    tracing::debug!(url = %target, error = %e, "okta connection error");
                    if last {
                        let what = if e.is_timeout() {
                            "timed out"
                        } else {
                            "failed"
                        };
                        return Err(Error::Network(format!(
                            "connection to Okta ({}) {what}: check your network or VPN ({})",
                            self.base.host_str().unwrap_or("?"),
                            std::error::Error::source(&e)
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| e.to_string())
                        )));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1)))
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
