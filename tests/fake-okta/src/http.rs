//! The fake's HTTP plumbing, shared by every module that answers requests (Okta's APIs, the
//! OAuth side, Duo, the AWS sign-in page): where a request came from (`base_url`), its cookies,
//! query and form fields, ready-made JSON and HTML answers, and the request as text.
//!
//! Query strings and form bodies are decoded as `application/x-www-form-urlencoded` (WHATWG
//! URL standard, which Okta's and AWS's servers follow): `+` is a space, `%XX` a byte (two hex
//! digits, nothing else), anything malformed is kept as it is.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::Value;

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
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

/// `http(s)://<Host header>`: hrefs must work on whatever port the fake was bound to. A
/// request without a usable `Host` (HTTP/1.0, an empty header) gets the loopback address.
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

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response()
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

/// The first non-empty value of query parameter `name`.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// An `application/x-www-form-urlencoded` body as a map (a repeated name: the last value).
pub(crate) fn parse_form(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_form_fields_decode_as_urlencoded_forms() {
        let uri: Uri = "/x?a=1&redirectUrl=https%3A%2F%2Fh%2Fp%3Fq%3D1&s=a+b%2Bc&e=&e=2"
            .parse()
            .unwrap();
        assert_eq!(
            query_param(&uri, "redirectUrl").as_deref(),
            Some("https://h/p?q=1")
        );
        assert_eq!(query_param(&uri, "s").as_deref(), Some("a b+c"));
        // The first non-empty value.
        assert_eq!(query_param(&uri, "e").as_deref(), Some("2"));
        assert_eq!(query_param(&uri, "missing"), None);
        // `%` needs two hex digits: a sign or a lone `%` is kept (the two hand-rolled decoders
        // this replaces read `%+4` as byte 4).
        let uri: Uri = "/x?t=%+4%zz%4".parse().unwrap();
        assert_eq!(query_param(&uri, "t").as_deref(), Some("% 4%zz%4"));
        let form = parse_form(&Bytes::from_static(
            b"client_id=abc&scope=openid+okta.apps.sso&&x=%C3%A9",
        ));
        assert_eq!(form["scope"], "openid okta.apps.sso");
        assert_eq!(form["x"], "é");
        assert_eq!(form.len(), 3);
    }

    #[test]
    fn base_url_follows_the_host_header_and_tls_mark() {
        let mut headers = HeaderMap::new();
        assert_eq!(base_url(&headers), "http://127.0.0.1");
        headers.insert(HOST, HeaderValue::from_static(""));
        assert_eq!(base_url(&headers), "http://127.0.0.1");
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:4567"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&headers), "https://127.0.0.1:4567");
    }
}
