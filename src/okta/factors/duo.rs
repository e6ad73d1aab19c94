//! Duo Security (`web`/`push` with provider DUO). Okta's verify answer carries
//! `_embedded.factor._embedded.verification` (`host`, `signature` = `TX|…:APP|…`, and the
//! `complete` link). The client drives the Duo prompt API on `host` (open the frame, push or
//! passcode, poll the status, fetch the signed cookie), posts
//! `sig_response=<cookie>:<APP part>` to `complete`, then polls Okta until the factor is done.
use super::push;
use super::{MfaFactor, Step, Verified, VerifyFuture};
use crate::okta::http::Retry;
use crate::okta::wire::Factor;
use crate::okta::wire::{AuthnResponse, DuoVerification};
use crate::okta::OktaClient;
use crate::terminal::{self, Spinner};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};
use url::Url;

/// Duo times a push out after 60 s; allow for slow networks.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(90);

#[derive(Deserialize)]
struct DuoAnswer<T> {
    stat: String,
    #[serde(default)]
    message: Option<String>,
    response: Option<T>,
}

#[derive(Deserialize)]
struct PromptResponse {
    txid: String,
}

#[derive(Deserialize, Default)]
struct StatusResponse {
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    result_url: Option<String>,
}

#[derive(Deserialize)]
struct ResultResponse {
    cookie: SecretString,
}

/// The Duo method: a push to a device (`phone1` by default), or a passcode when the device is
/// `passcode`/`token` (from `AWS_OKTA_MFA_DUO_DEVICE`).
enum Method {
    Push(String),
    Passcode,
}

pub async fn verify(
    client: &OktaClient,
    factor_id: &str,
    href: Url,
    state_token: &SecretString,
    duo_device: Option<&str>,
) -> Result<AuthnResponse> {
    let body = json!({"stateToken": state_token.expose_secret()});
    let started: AuthnResponse = client.post_json(href.clone(), &body).await??;
    if started.status != "MFA_CHALLENGE" {
        return Ok(started);
    }
    let verification = started
        .factor_embedded()
        .and_then(|e| e.verification.clone())
        .ok_or_else(|| {
            Error::OktaResponse("Okta's Duo challenge has no _embedded.verification".into())
        })?;
    let method = match duo_device.map(str::trim) {
        Some(d) if d.eq_ignore_ascii_case("passcode") || d.eq_ignore_ascii_case("token") => {
            Method::Passcode
        }
        Some(d) if !d.is_empty() => Method::Push(d.to_string()),
        _ => Method::Push("phone1".into()),
    };
    let cookie = duo_prompt(client, &verification, &method).await?;
    let app = verification
        .signature
        .expose_secret()
        .split_once(':')
        .map(|(_, app)| app.to_string())
        .ok_or_else(|| Error::OktaResponse("Okta's Duo signature has no APP part".into()))?;
    let sig_response = zeroize::Zeroizing::new(format!("{}:{app}", cookie.expose_secret()));
    let complete = client.link(&verification.links.complete.href)?;
    let (status, _) = client
        .post_form(
            complete,
            &[
                ("id", factor_id),
                ("stateToken", state_token.expose_secret()),
                ("sig_response", sig_response.as_str()),
            ],
            Retry::Once,
        )
        .await?;
    if !status.is_success() {
        return Err(Error::Mfa(format!(
            "Okta did not accept Duo's answer (HTTP {status}): retry"
        )));
    }
    // Okta now finishes the factor: poll like a push.
    let next = started.next_or(client, &href)?;
    let polled: AuthnResponse = client.poll_json(next, &body).await??;
    push::wait(client, polled, &body, "Finishing Duo verification…").await
}

fn duo_base(host: &str) -> Result<Url> {
    let with_scheme = if host.contains("://") {
        host.to_string()
    } else {
        format!("https://{host}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| Error::OktaResponse(format!("Okta sent a bad Duo host '{host}': {e}")))?;
    if crate::config::urls::is_loopback(&url) {
        let _ = url.set_scheme("http");
    } else if url.scheme() != "https" {
        return Err(Error::OktaResponse(format!("Duo host {host} is not HTTPS")));
    } else if !is_duo_host(&url) {
        // Okta names the Duo host; only Duo's own hosts get the Duo transaction.
        return Err(Error::OktaResponse(format!(
            "Okta named the Duo host {host}, which is not a Duo Security host (*.duosecurity.com, *.duofederal.com): refused"
        )));
    }
    Ok(url)
}

pub(crate) fn is_duo_host(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    url.username().is_empty()
        && url.password().is_none()
        && [".duosecurity.com", ".duofederal.com"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
}

async fn duo_prompt(
    client: &OktaClient,
    verification: &DuoVerification,
    method: &Method,
) -> Result<SecretString> {
    let base = duo_base(&verification.host)?;
    let tx = verification
        .signature
        .expose_secret()
        .split_once(':')
        .map(|(tx, _)| tx.to_string())
        .ok_or_else(|| Error::OktaResponse("Okta's Duo signature has no TX part".into()))?;
    let parent = client.base.as_str().to_string();
    let mut auth = base
        .join("frame/web/v1/auth")
        .map_err(|e| Error::OktaResponse(format!("a bad Duo address: {e}")))?;
    auth.query_pairs_mut()
        .append_pair("tx", &tx)
        .append_pair("parent", &parent)
        .append_pair("v", "2.6");
    let (status, page) = client
        .post_form(
            auth,
            &[
                ("parent", parent.as_str()),
                ("java_version", ""),
                ("flash_version", ""),
                ("screen_resolution_width", "1440"),
                ("screen_resolution_height", "900"),
                ("color_depth", "24"),
            ],
            Retry::Idempotent,
        )
        .await?;
    let sid = crate::html::input_value(&page, "sid").ok_or_else(|| {
        Error::Mfa(format!(
            "Duo's prompt (HTTP {status}) did not start a session: retry, or use another factor"
        ))
    })?;
    let url = |path: &str| {
        base.join(path)
            .map_err(|e| Error::OktaResponse(format!("a bad Duo address: {e}")))
    };

    let mut attempts = 0;
    loop {
        attempts += 1;
        let passcode;
        let form: Vec<(&str, &str)> = match method {
            Method::Push(device) => vec![
                ("sid", sid.as_str()),
                ("device", device.as_str()),
                ("factor", "Duo Push"),
                ("out_of_date", "False"),
            ],
            Method::Passcode => {
                passcode = read_passcode()?;
                vec![
                    ("sid", sid.as_str()),
                    ("device", "null"),
                    ("factor", "Passcode"),
                    ("passcode", passcode.as_str()),
                    ("out_of_date", "False"),
                ]
            }
        };
        let (_, text) = client
            .post_form(url("frame/prompt")?, &form, Retry::Once)
            .await?;
        let prompt: DuoAnswer<PromptResponse> = parse(&text)?;
        let txid = match (prompt.stat.as_str(), prompt.response) {
            ("OK", Some(r)) => r.txid,
            _ => {
                return Err(Error::Mfa(format!(
                    "Duo refused the request: {}{}",
                    prompt.message.unwrap_or_else(|| "no reason given".into()),
                    match method {
                        Method::Push(d) =>
                            format!(" (device '{d}'; choose another with AWS_OKTA_MFA_DUO_DEVICE)"),
                        Method::Passcode => String::new(),
                    }
                )))
            }
        };
        match poll_status(client, &url("frame/status")?, &sid, &txid, method).await? {
            Some(result_url) => {
                let (_, text) = client
                    .post_form(
                        url(&result_url)?,
                        &[("sid", sid.as_str())],
                        Retry::Idempotent,
                    )
                    .await?;
                let result: DuoAnswer<ResultResponse> = parse(&text)?;
                return match (result.stat.as_str(), result.response) {
                    ("OK", Some(r)) => Ok(r.cookie),
                    _ => Err(Error::Mfa(format!(
                        "Duo did not sign the approval: {}",
                        result.message.unwrap_or_default()
                    ))),
                };
            }
            None if matches!(method, Method::Passcode) && attempts < super::code::ATTEMPTS => {
                crate::notice!(
                    "Duo did not accept that passcode; try again ({} left).",
                    super::code::ATTEMPTS - attempts
                );
            }
            None => {
                return Err(match method {
                    Method::Passcode => Error::Mfa(format!(
                        "Duo rejected the passcode {attempts} times: retry with a fresh one"
                    )),
                    Method::Push(_) => Error::MfaRejected {
                        result: "Duo push denied".into(),
                    },
                })
            }
        }
    }
}

/// Polls `/frame/status`: `Some(result_url)` on success, `None` when denied/rejected.
async fn poll_status(
    client: &OktaClient,
    url: &Url,
    sid: &str,
    txid: &str,
    method: &Method,
) -> Result<Option<String>> {
    let spinner = matches!(method, Method::Push(_))
        .then(|| Spinner::start("Waiting for Duo push approval on your phone…"));
    let started = Instant::now();
    loop {
        let (_, text) = client
            .post_form(
                url.clone(),
                &[("sid", sid), ("txid", txid)],
                Retry::Idempotent,
            )
            .await?;
        let answer: DuoAnswer<StatusResponse> = parse(&text)?;
        let status = answer.response.unwrap_or_default();
        tracing::debug!(status_code = ?status.status_code, "duo status");
        match (status.result.as_deref(), status.status_code.as_deref()) {
            (Some("SUCCESS"), _) => {
                return status.result_url.map(Some).ok_or_else(|| {
                    Error::OktaResponse("Duo answered SUCCESS without result_url".into())
                })
            }
            (Some("FAILURE"), _) | (_, Some("deny")) => {
                if let (Some(s), Some(msg)) = (&spinner, &status.status) {
                    s.println(&format!("Duo: {msg}"));
                }
                return Ok(None);
            }
            (_, Some("timeout")) => return Err(Error::MfaTimeout),
            _ => {}
        }
        if started.elapsed() > GIVE_UP_AFTER {
            return Err(Error::MfaTimeout);
        }
        tokio::time::sleep(client.poll_interval()).await;
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| {
        Error::OktaResponse("Duo answered with something that is not its JSON API".into())
    })
}

pub(crate) fn read_passcode() -> Result<zeroize::Zeroizing<String>> {
    terminal::may_ask("a Duo passcode")?;
    let code = if terminal::interactive() {
        terminal::input("Enter a Duo passcode").map(zeroize::Zeroizing::new)
    } else {
        terminal::read_stdin_line()
    }
    .map_err(Error::Mfa)?;
    if code.trim().is_empty() {
        return Err(Error::Mfa("no Duo passcode given".into()));
    }
    Ok(code)
}

/// Duo Security's traditional prompt (`web` or `push`, provider DUO).
pub struct Duo;

impl MfaFactor for Duo {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        matches!(factor_type, "web" | "push") && provider == "DUO"
    }
    fn name(&self, _: &Factor) -> String {
        "Duo Security".into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            verify(
                step.client,
                &step.factor.id,
                step.href,
                step.state_token,
                step.context.duo_device.as_deref(),
            )
            .await
            .map(Verified::next)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_hidden_inputs() {
        let html = r#"<form><input type="hidden" name="sid" value="a&amp;b"><input name="x" value="y"></form>"#;
        assert_eq!(
            crate::html::input_value(html, "sid").as_deref(),
            Some("a&b")
        );
        assert_eq!(crate::html::input_value(html, "nope"), None);
    }

    #[test]
    fn loopback_duo_hosts_use_http() {
        assert_eq!(
            super::duo_base("127.0.0.1:9").unwrap().as_str(),
            "http://127.0.0.1:9/"
        );
        assert_eq!(
            super::duo_base("api-1234.duosecurity.com")
                .unwrap()
                .as_str(),
            "https://api-1234.duosecurity.com/"
        );
    }

    #[test]
    fn only_duo_hosts_get_the_duo_transaction() {
        for evil in [
            "evil.example",
            "https://duosecurity.com.evil.example",
            "https://user@api-1.duosecurity.com.evil.example",
            "http://api-1.duosecurity.com",
        ] {
            assert!(super::duo_base(evil).is_err(), "{evil}");
        }
        assert!(super::duo_base("api-1.duofederal.com").is_ok());
    }
}
