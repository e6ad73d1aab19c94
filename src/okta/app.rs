//! The AWS app's embed link (`aws_saml_url`): with a one-time session token or an existing
//! `sid` cookie, Okta answers (after redirects) with the auto-post page carrying `SAMLResponse`.
use super::OktaClient;
use crate::redact;
use crate::{Error, Result};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;

const MAX_REDIRECTS: usize = 10;

pub enum SessionProof<'a> {
    /// The `sessionToken` from `/api/v1/authn` (single use, establishes a session).
    Token(&'a SecretString),
    /// The `sid` cookie of an existing Okta session.
    Cookie(&'a SecretString),
}

pub struct AppPage {
    pub html: String,
    /// The session cookie Okta set (or the one we sent), to reuse next time.
    pub sid: Option<SecretString>,
}

pub async fn open(client: &OktaClient, app_path: &str, proof: SessionProof<'_>) -> Result<AppPage> {
    let mut url = client.url(app_path)?;
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    if let SessionProof::Cookie(sid) = &proof {
        if super::session::validate(client, sid).await? == super::session::SessionState::Gone {
            return Ok(AppPage {
                html: String::new(),
                sid: None,
            });
        }
    }
    match proof {
        SessionProof::Token(token) => {
            url.query_pairs_mut()
                .append_pair("sessionToken", token.expose_secret());
        }
        SessionProof::Cookie(sid) => {
            cookies.insert("sid".into(), sid.expose_secret().to_string());
        }
    }
    for _ in 0..=MAX_REDIRECTS {
        let cookie_header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = client
            .send(|| {
                let req = client.get(url.clone()).header("Accept", "text/html");
                if cookie_header.is_empty() {
                    req
                } else {
                    req.header(COOKIE, cookie_header.as_str())
                }
            })
            .await?;
        for value in response.headers().get_all(SET_COOKIE) {
            if let Some((name, value)) = value.to_str().ok().and_then(parse_set_cookie) {
                if value.is_empty() {
                    cookies.remove(&name);
                } else {
                    cookies.insert(name, value);
                }
            }
        }
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| Error::Network("Okta redirected without a Location".into()))?;
            let next = url
                .join(location)
                .map_err(|e| Error::Network(format!("Okta redirected to a bad URL: {e}")))?;
            url = client.link(next.as_str())?;
            tracing::debug!(to = %redact::url(url.as_str()), "okta app link redirect");
            continue;
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::Config(format!(
                "Okta has no app at {} (HTTP 404): check aws_saml_url in your config",
                redact::url(url.as_str())
            )));
        }
        if !status.is_success() {
            return Err(Error::Saml(format!(
                "Okta answered HTTP {status} for the AWS app link {}",
                redact::url(url.as_str())
            )));
        }
        let html = response
            .text()
            .await
            .map_err(|e| Error::Network(format!("reading the Okta app page failed: {e}")))?;
        if is_step_up_page(&html) {
            return Err(Error::Saml(format!(
                "Okta asks for extra verification (step-up MFA) before it releases the AWS app's SAML assertion ({}): \
                 the app's sign-on policy wants a fresh second factor on Okta's own page, which only a browser can answer. \
                 Ask your Okta admin to let the AWS app rely on the sign-in MFA, or sign in to the app once in the browser",
                redact::url(url.as_str())
            )));
        }
        return Ok(AppPage {
            html,
            sid: cookies.remove("sid").map(SecretString::from),
        });
    }
    Err(Error::Saml(
        "Okta redirected too many times for the AWS app link".into(),
    ))
}

/// Okta's step-up page: the app wants another factor; it carries a `stateToken` for the
/// sign-in widget and no `SAMLResponse`.
fn is_step_up_page(html: &str) -> bool {
    !html.contains("SAMLResponse")
        && (html.contains("/login/step-up/")
            || html.contains("var stateToken")
            || html.contains("stateToken:"))
}

/// `name=value` of a `Set-Cookie` header (attributes ignored).
pub(crate) fn parse_set_cookie(header: &str) -> Option<(String, String)> {
    let pair = header.split(';').next()?;
    let (name, value) = pair.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then(|| (name.to_string(), value.trim().trim_matches('"').to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_cookie_name_and_value_only() {
        assert_eq!(
            super::parse_set_cookie("sid=abc123; Path=/; Secure; HttpOnly"),
            Some(("sid".into(), "abc123".into()))
        );
        assert_eq!(
            super::parse_set_cookie("DT=\"x=y\";Path=/"),
            Some(("DT".into(), "x=y".into()))
        );
        assert_eq!(super::parse_set_cookie("garbage"), None);
    }

    #[test]
    fn recognises_the_step_up_page_but_not_sign_in_or_saml_pages() {
        assert!(super::is_step_up_page(
            "<script>var stateToken = '00abc'; redirect('/login/step-up/redirect')</script>"
        ));
        assert!(!super::is_step_up_page(
            "<form><input name=\"SAMLResponse\" value=\"x\"/></form>"
        ));
        assert!(!super::is_step_up_page(
            "<script>var okta = { baseUrl: 'x' };</script>"
        ));
    }
}
