//! The one rule for every URL the Okta side builds or follows: it is on the stored Okta org's
//! origin (same scheme, host and port as the domain given to `aws-okta add`), which is https,
//! or plain http only when the org itself is a loopback test server.
//!
//! A `sessionToken`, the `sid` cookie, a `stateToken`, the device token and every OAuth secret
//! are bearer secrets for the whole org. A URL that comes from a shared config file
//! (`aws_saml_url`) or from a server answer (`_links.*.href`, a `Location`, a form `action`,
//! the device flow's `verification_uri`) decides where they are sent, so each such URL passes
//! through [`OktaOrigin`] before anything is sent to it. A URL from a config file that leaves
//! the org is a config error; one from a server is an Okta protocol error. Both name the value.
use crate::config::urls::{config_url_problem, has_scheme};
use crate::redact;
use crate::{Error, Result};
use url::Url;

/// The Okta org every request of a login goes to.
#[derive(Clone, Debug)]
pub struct OktaOrigin {
    base: Url,
}

impl OktaOrigin {
    /// `base` comes from `okta::parse_domain` (https, or http to loopback).
    pub fn new(base: Url) -> OktaOrigin {
        OktaOrigin { base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Whether `url` is on the org: same scheme, host and port, and no user info (which some
    /// parsers read as the host).
    pub fn contains(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host() == self.base.host()
            && url.port_or_known_default() == self.base.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
    }

    /// A fixed API path of ours (`api/v1/authn`).
    pub fn api(&self, path: &str) -> Result<Url> {
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad Okta path '{path}': {e}")))?;
        if !self.contains(&url) {
            return Err(Error::Config(format!(
                "bad Okta path '{path}': it leaves the Okta org"
            )));
        }
        Ok(url)
    }

    /// A URL taken from the config file (`key` names it): a path on the org, or an absolute URL
    /// that is on the org.
    pub fn config_url(&self, key: &str, value: &str) -> Result<Url> {
        if let Some(why) = config_url_problem(value) {
            return Err(Error::Config(format!("{key} '{}' {why}", printable(value))));
        }
        let url = if has_scheme(value) {
            Url::parse(value.trim())
        } else {
            self.base.join(value.trim().trim_start_matches('/'))
        }
        .map_err(|e| {
            Error::Config(format!(
                "{key} '{}' is not a URL path ({e})",
                printable(value)
            ))
        })?;
        if !self.contains(&url) {
            return Err(Error::Config(format!(
                "{key} '{}' points to {}, not to your Okta org {}: it must be a path on the org such as home/amazon_aws/<app id>/<n>",
                printable(value),
                origin_of(&url),
                origin_of(&self.base)
            )));
        }
        Ok(url)
    }

    /// A URL an Okta answer gave (`what` says which: "a _links.next href", "a redirect"),
    /// absolute or relative to `from`.
    pub fn server_url(&self, what: &str, value: &str, from: &Url) -> Result<Url> {
        let url = from.join(value).map_err(|e| {
            Error::OktaResponse(format!(
                "Okta sent {what} that is not a URL ('{}': {e})",
                redact::url(&printable(value))
            ))
        })?;
        if !self.contains(&url) {
            return Err(Error::OktaResponse(format!(
                "Okta sent {what} to {}, outside the Okta org {}: refused, nothing was sent there",
                redact::url(url.as_str()),
                origin_of(&self.base)
            )));
        }
        Ok(url)
    }
}

fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A value as it may be printed in one line of an error (control characters escaped).
fn printable(value: &str) -> String {
    value
        .chars()
        .flat_map(char::escape_default)
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OktaOrigin {
        OktaOrigin::new(Url::parse("https://example.okta.com/").unwrap())
    }

    #[test]
    fn config_paths_stay_on_the_org() {
        let o = org();
        assert_eq!(
            o.config_url("aws_saml_url", "home/amazon_aws/0oa1/272")
                .unwrap()
                .as_str(),
            "https://example.okta.com/home/amazon_aws/0oa1/272"
        );
        assert_eq!(
            o.config_url("aws_saml_url", "/home/amazon_aws/0oa1/272?fromHome=true")
                .unwrap()
                .as_str(),
            "https://example.okta.com/home/amazon_aws/0oa1/272?fromHome=true"
        );
        assert!(o
            .config_url("aws_saml_url", "https://example.okta.com/home/x/1")
            .is_ok());
        for evil in [
            "https://evil.example/home/amazon_aws/x/1",
            "http://example.okta.com/home/x/1",
            "https://example.okta.com:8443/home/x/1",
            "https://user@example.okta.com/home/x/1",
            "//evil.example/x",
            "\\\\evil.example/x",
            "/\\evil.example/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "evil.example:443/x",
            "home/x\n/1",
        ] {
            let err = o.config_url("aws_saml_url", evil).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{evil}: {err}");
            assert!(err.to_string().contains("aws_saml_url"), "{err}");
        }
    }

    #[test]
    fn server_links_stay_on_the_org() {
        let o = org();
        let from = Url::parse("https://example.okta.com/api/v1/authn").unwrap();
        assert!(o
            .server_url(
                "a link",
                "https://example.okta.com/api/v1/authn/factors/x/verify",
                &from
            )
            .is_ok());
        assert_eq!(
            o.server_url("a redirect", "/app/x/sso/saml", &from)
                .unwrap()
                .as_str(),
            "https://example.okta.com/app/x/sso/saml"
        );
        for evil in [
            "https://evil.example/api/v1/authn",
            "//evil.example/x",
            "http://example.okta.com/x",
            "https://example.okta.com.evil.example/x",
        ] {
            let err = o.server_url("a redirect", evil, &from).unwrap_err();
            assert!(matches!(err, Error::OktaResponse(_)), "{evil}: {err}");
            assert!(err.to_string().contains("outside the Okta org"), "{err}");
        }
    }

    #[test]
    fn loopback_orgs_keep_their_port() {
        let o = OktaOrigin::new(Url::parse("http://127.0.0.1:8080/").unwrap());
        assert!(o.config_url("aws_saml_url", "home/a/b/1").is_ok());
        let from = o.base().clone();
        assert!(o.server_url("x", "http://127.0.0.1:8081/", &from).is_err());
        assert!(o.server_url("x", "http://localhost:8080/", &from).is_err());
    }
}
