//! Helpers shared by the fake's own tests.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use fake_okta::{decode_html_entities, FakeOkta};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const USER: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A client that does not follow redirects (so 302s can be asserted).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

fn answer(resp: Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub fn post_json(fake: &FakeOkta, path_or_url: &str, body: Value) -> Answer {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_string()
    } else {
        format!("{}{}", fake.url(), path_or_url)
    };
    answer(
        client()
            .post(url)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .expect("request"),
    )
}

pub fn post_raw(fake: &FakeOkta, path: &str, body: &'static str) -> Answer {
    answer(
        client()
            .post(format!("{}{}", fake.url(), path))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .expect("request"),
    )
}

pub fn get_json(fake: &FakeOkta, path: &str, sid: Option<&str>) -> Answer {
    let mut req = client().get(format!("{}{}", fake.url(), path));
    if let Some(sid) = sid {
        req = req.header(COOKIE, format!("sid={sid}"));
    }
    answer(req.send().expect("request"))
}

pub fn authn(fake: &FakeOkta) -> Answer {
    post_json(
        fake,
        "/api/v1/authn",
        json!({
            "username": USER,
            "password": PASSWORD,
            "options": { "multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": true },
        }),
    )
}

pub fn state_token(a: &Answer) -> String {
    a.body["stateToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no stateToken in {}", a.body))
        .to_string()
}

pub fn verify_url(fake: &FakeOkta, factor_id: &str) -> String {
    format!("{}/api/v1/authn/factors/{factor_id}/verify", fake.url())
}

/// authn, then push-verify and poll until SUCCESS; returns the session token.
pub fn login_with_push(fake: &FakeOkta) -> String {
    let a = authn(fake);
    assert_eq!(a.body["status"], "MFA_REQUIRED", "{}", a.body);
    let st = state_token(&a);
    let href = a.body["_embedded"]["factors"][0]["_links"]["verify"]["href"]
        .as_str()
        .expect("verify href")
        .to_string();
    let mut next = href;
    for _ in 0..20 {
        let r = post_json(fake, &next, json!({ "stateToken": st }));
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        match r.body["status"].as_str() {
            Some("SUCCESS") => {
                return r.body["sessionToken"]
                    .as_str()
                    .expect("sessionToken")
                    .to_string()
            }
            Some("MFA_CHALLENGE") => {
                assert_eq!(r.body["factorResult"], "WAITING", "{}", r.body);
                next = r.body["_links"]["next"]["href"]
                    .as_str()
                    .expect("poll href")
                    .to_string();
            }
            other => panic!("unexpected status {other:?}: {}", r.body),
        }
    }
    panic!("push never approved");
}

/// The `sid` from a response's Set-Cookie headers, checking Okta's attributes.
pub fn sid_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sid="))
        .map(|v| {
            let attrs: Vec<&str> = v.split(';').map(str::trim).collect();
            assert!(attrs.contains(&"Path=/"), "{v}");
            assert!(attrs.contains(&"Secure"), "{v}");
            assert!(attrs.contains(&"HttpOnly"), "{v}");
            attrs[0].trim_start_matches("sid=").to_string()
        })
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

pub fn get_page(url: &str, sid: Option<&str>) -> Page {
    let mut req = client().get(url);
    if let Some(sid) = sid {
        req = req.header(COOKIE, format!("JSESSIONID=abc; sid={sid}"));
    }
    let resp = req.send().expect("request");
    Page {
        status: resp.status(),
        headers: resp.headers().clone(),
        html: resp.text().expect("body"),
    }
}

/// The raw (still entity-encoded) `value` of the SAMLResponse input, if the page has one.
pub fn raw_saml_value(html: &str) -> Option<String> {
    let at = html.find("name=\"SAMLResponse\"")?;
    let rest = &html[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// The SAMLResponse of a page: entities decoded, still base64.
pub fn saml_b64(html: &str) -> Option<String> {
    raw_saml_value(html).map(|v| decode_html_entities(&v))
}

pub fn saml_xml(html: &str) -> Option<String> {
    let b64 = saml_b64(html)?;
    let bytes = B64.decode(b64.as_bytes()).expect("SAMLResponse is base64");
    Some(String::from_utf8(bytes).expect("SAML is UTF-8"))
}

/// Full flow to the SAML page; returns (sid, html).
pub fn saml_page(fake: &FakeOkta, session_token: &str) -> (String, String) {
    let link = format!(
        "{}/{}?sessionToken={session_token}",
        fake.url(),
        fake_okta::DEFAULT_SAML_PATH
    );
    let p = get_page(&link, None);
    assert_eq!(p.status, StatusCode::FOUND, "{}", p.html);
    let sid = sid_cookie(&p.headers).expect("sid cookie");
    let location = p.headers["location"]
        .to_str()
        .expect("location")
        .to_string();
    let page = get_page(&location, Some(&sid));
    assert_eq!(page.status, StatusCode::OK);
    (sid, page.html)
}
