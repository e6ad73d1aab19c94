//! The AWS app's embed link (`aws_saml_url`): with a one-time session token or a `sid`
//! cookie (of a cached session, or of the one a Duo Universal Prompt login started), Okta answers (after redirects) with the auto-post page carrying `SAMLResponse`.
use super::OktaClient;
use crate::redact;
use crate::{Error, Result};
use reqwest::header::{COOKIE, LOCATION};
use secrecy::{ExposeSecret, SecretString};

const MAX_REDIRECTS: usize = 10;

pub enum SessionProof<'a> {
    /// The `sessionToken` from `/api/v1/authn` (single use, establishes a session).
    Token(&'a SecretString),
    /// The `sid` cookie of an existing Okta session.
    Cookie(&'a SecretString),
    /// The `sid` of the session this login has just started (Duo Universal Prompt): used
    /// as it is, without asking the Sessions API first.
    NewSession(&'a SecretString),
}

pub struct AppPage {
    pub html: String,
    /// The session cookie Okta set (or the one we sent), to reuse next time.
    pub sid: Option<SecretString>,
}

/// Opens the AWS app link `app_path` (from `aws_saml_url`) with the session proof and follows
/// Okta's redirects to the auto-post page. The link and every redirect must stay on the org
/// ([`super::origin::OktaOrigin`]); cookies go only to the origin that set them.
pub async fn open(client: &OktaClient, app_path: &str, proof: SessionProof<'_>) -> Result<AppPage> {
    // With a cached `sid` the app link itself is the check: a live session answers with the
    // SAML page (one request), an ended one with Okta's sign-in page (no SAMLResponse), and the
    // caller logs in. No separate Sessions API call first.
    let mut url = client.origin().config_url("aws_saml_url", app_path)?;
    match proof {
        SessionProof::Token(token) => {
            url.query_pairs_mut()
                .append_pair("sessionToken", token.expose_secret());
        }
        SessionProof::Cookie(sid) | SessionProof::NewSession(sid) => {
            client.set_cookie("sid", sid.clone())
        }
    }
    for _ in 0..=MAX_REDIRECTS {
        let cookie_header = client.cookie_header(&url);
        let response = client
            .send(|| {
                let req = client.get(url.clone()).header("Accept", "text/html");
                match &cookie_header {
                    Some(c) => req.header(COOKIE, c.expose_secret()),
                    None => req,
                }
            })
            .await?;
        client.remember_cookies(&url, &response);
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| Error::OktaResponse("Okta redirected without a Location".into()))?;
            url = client.redirect(&url, location)?;
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
        let html = super::http::read_text("Okta", response).await?;
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
            sid: client.cookie("sid"),
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

#[cfg(test)]
mod tests {
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
