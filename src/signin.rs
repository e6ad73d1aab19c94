//! Account names from AWS's SAML sign-in page. Posting the assertion to
//! `https://signin.aws.amazon.com/saml` (the partition's sign-in host) returns the role picker,
//! whose `div.saml-account-name` elements read `Account: <alias> (<id>)` (or `Account: <id>`
//! for an account without an alias). The assertion is a bearer secret for minutes, so it goes
//! to that host only: the URL is built from the partition, never from the config or the
//! environment (only builds with the `test-hooks` feature read
//! `AWS_OKTA_SAML_SIGNIN_ENDPOINT`), over https, and no redirect is followed.
//!
//! The names are not secret: they are kept in `<state dir>/aws-account-names.json` (0600,
//! written atomically), so the next `roles` asks AWS nothing.
use crate::saml::SamlAssertion;
use crate::{Error, Result};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::path::PathBuf;
use url::Url;

/// Account names by account id; an empty name: AWS shows the account without an alias.
pub type AccountNames = BTreeMap<String, String>;

/// The `/saml` URL of the sign-in host of `partition` (`aws`, `aws-us-gov`, `aws-cn`); `None`
/// for a partition whose sign-in host we do not know (nothing is sent anywhere then).
pub fn saml_endpoint(partition: &str) -> Result<Option<Url>> {
    #[cfg(feature = "test-hooks")]
    let hook = std::env::var("AWS_OKTA_SAML_SIGNIN_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty());
    #[cfg(not(feature = "test-hooks"))]
    let hook = None;
    endpoint(partition, hook)
}

/// [`saml_endpoint`] with the test hook's value, if any, in place of the real host.
fn endpoint(partition: &str, hook: Option<String>) -> Result<Option<Url>> {
    let host = match partition {
        "aws" => "signin.aws.amazon.com",
        "aws-us-gov" => "signin.amazonaws-us-gov.com",
        "aws-cn" => "signin.amazonaws.cn",
        _ => return Ok(None),
    };
    let text = hook.unwrap_or_else(|| format!("https://{host}/saml"));
    crate::config::urls::hooked_endpoint(
        "AWS_OKTA_SAML_SIGNIN_ENDPOINT",
        "SAML sign-in endpoint",
        &text,
    )
    .map(Some)
}

/// The partition of every role in the assertion, when they agree (`None` otherwise: the
/// assertion is not sent).
pub fn partition_of(assertion: &SamlAssertion) -> Option<&str> {
    let mut partitions = assertion
        .roles
        .iter()
        .map(|r| r.role_arn.split(':').nth(1).unwrap_or(""));
    let first = partitions.next()?;
    partitions.all(|p| p == first).then_some(first)
}

/// Posts the assertion to `endpoint` and reads the account names of the role picker. Any
/// answer but the page (a redirect, an error) gives no names; it is never followed.
pub fn fetch_account_names(endpoint: &Url, assertion: &SamlAssertion) -> Result<AccountNames> {
    let host = endpoint.host_str().unwrap_or("?").to_string();
    let runtime = crate::runtime::current_thread()?;
    runtime.block_on(async {
        let client = crate::federation::signin_client(endpoint)?;
        tracing::debug!(endpoint = %endpoint, "posting the SAML assertion for the role picker");
        let form = [
            ("SAMLResponse", assertion.encoded.expose_secret()),
            ("RelayState", ""),
        ];
        let response = client
            .post(endpoint.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| match crate::tls::certificate_problem(&e) {
                Some(problem) => problem.error("AWS sign-in page", &host),
                None => Error::network(format!(
                    "cannot reach the AWS sign-in page ({host}): {}",
                    e.without_url()
                )),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Federation(format!(
                "the AWS sign-in page ({host}) answered HTTP {status} instead of the role picker"
            )));
        }
        // Read with the same size cap as every answer from Okta.
        let html = crate::okta::http::read_text("the AWS sign-in page", response).await?;
        Ok(parse_role_picker(&html))
    })
}

/// The `Account: <alias> (<id>)` / `Account: <id>` texts of the role picker, by account id.
pub fn parse_role_picker(html: &str) -> AccountNames {
    use crate::html::Piece;
    let mut names = AccountNames::new();
    // Depth of `div`s inside the current `div.saml-account-name`, and its text so far.
    let mut inside: Option<(usize, String)> = None;
    for piece in crate::html::pieces(html) {
        match (piece, &mut inside) {
            (Piece::Start(tag), None) if tag.name == "div" => {
                let class = tag.attr("class").unwrap_or_default();
                if class.split_whitespace().any(|c| c == "saml-account-name") {
                    inside = Some((0, String::new()));
                }
            }
            (Piece::Start(tag), Some((depth, _))) if tag.name == "div" => *depth += 1,
            (Piece::Text(text), Some((_, label))) => label.push_str(&text),
            (Piece::End(name), Some((depth, label))) if name == "div" => {
                if *depth > 0 {
                    *depth -= 1;
                    continue;
                }
                if let Some((id, name)) = account_label(label) {
                    names.insert(id, name);
                }
                inside = None;
            }
            _ => {}
        }
    }
    names
}

/// `Account: prod main (123456789012)` → (`123456789012`, `prod main`); `Account: 123456789012`
/// → (`123456789012`, ``).
fn account_label(text: &str) -> Option<(String, String)> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = text.strip_prefix("Account:")?.trim();
    let is_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_id(rest) {
        return Some((rest.to_string(), String::new()));
    }
    let (name, id) = rest.strip_suffix(')')?.rsplit_once('(')?;
    let (name, id) = (name.trim(), id.trim());
    is_id(id).then(|| (id.to_string(), name.to_string()))
}

fn cache_path() -> PathBuf {
    crate::paths::state_dir().join("aws-account-names.json")
}

/// The names learnt before (none when the file is missing or unreadable: it is only a cache).
pub fn cached_names() -> AccountNames {
    std::fs::read(cache_path())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Adds `learnt` to the cached names (best effort: a failure costs a request next time).
pub fn remember_names(learnt: &AccountNames) {
    let mut all = cached_names();
    all.extend(learnt.iter().map(|(k, v)| (k.clone(), v.clone())));
    let write = || -> std::io::Result<()> {
        let path = cache_path();
        crate::fsutil::private_state_dir(&crate::paths::state_dir())?;
        let json = serde_json::to_vec_pretty(&all).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&path, &json, 0o600)
    };
    if let Err(e) = write() {
        tracing::debug!(error = %e, "cannot cache the AWS account names");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<form id="saml_form" action="/saml" method="post"><fieldset>
<div class="saml-account"> <div onClick="expandCollapse(0);"><img id="image0" src="/d.png"></img>
<div class="saml-account-name">Account: prod&#x20;main (123456789012)</div> </div>
<div id="0" class="saml-account"><div class="saml-role"><input type="radio" name="roleIndex" value="arn:aws:iam::123456789012:role/Admin" class="saml-radio" id="arn:aws:iam::123456789012:role/Admin" />
<label for="arn:aws:iam::123456789012:role/Admin" class="saml-role-description">Admin</label></div></div></div>
<div class="saml-account"><div><div class="saml-account-name">Account: 210987654321</div></div></div>
<div class="saml-account"><div><div class="saml-account-name">Account: <b>odd</b> (x)</div></div></div>
</fieldset></form>"#;

    #[test]
    fn reads_aliases_and_bare_ids_from_the_role_picker() {
        let names = parse_role_picker(PAGE);
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(names["123456789012"], "prod main");
        assert_eq!(names["210987654321"], "");
        assert!(parse_role_picker("<html>sign in</html>").is_empty());
    }

    #[test]
    fn only_the_partition_sign_in_hosts_exist() {
        for (partition, host) in [
            ("aws", "signin.aws.amazon.com"),
            ("aws-us-gov", "signin.amazonaws-us-gov.com"),
            ("aws-cn", "signin.amazonaws.cn"),
        ] {
            let url = endpoint(partition, None).unwrap().unwrap();
            assert_eq!(url.as_str(), format!("https://{host}/saml"));
        }
        assert!(endpoint("aws-iso", None).unwrap().is_none());
        assert!(endpoint("", None).unwrap().is_none());
        // Even the test hook cannot send it in clear text off this machine.
        let e = endpoint("aws", Some("http://attacker.example/saml".into())).unwrap_err();
        assert!(e.to_string().contains("must use https"), "{e}");
        let local = endpoint("aws", Some("http://127.0.0.1:9/saml".into())).unwrap();
        assert_eq!(local.unwrap().as_str(), "http://127.0.0.1:9/saml");
    }
}
