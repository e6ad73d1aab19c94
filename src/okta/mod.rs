//! The Okta side: stored account credentials, one HTTP client that knows Okta's error and
//! rate-limit conventions (`http`), the org boundary every URL is checked against (`origin`),
//! the classic authentication wire types (`wire`) and state machine (`authn`) with its MFA
//! factors (`factors`, one file each), Identity Engine (`oie`), and the AWS app link (`app`)
//! that turns a session into a SAML assertion. Nothing here reads `~/.aws/config` or the
//! environment's settings: the caller passes what it resolved.
pub mod app;
pub mod authn;
pub mod cookies;
pub mod factors;
pub mod http;
pub mod identity;
pub mod oie;
pub mod origin;
pub mod session;
pub mod wire;

pub use http::OktaClient;

use crate::keychain::Keychain;
use crate::{Error, Result};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;
use zeroize::Zeroizing;

/// How long a login waits for another process's login of the same Okta account before giving
/// up: as long as the longest user step that process can be waiting on, plus a minute for the
/// requests around it. That step is the device flow's browser sign-in (Okta's device codes
/// live 10 minutes unless Okta says otherwise), then a push (330 s, classic or direct); so
/// 11 min 10 s. `AWS_OKTA_LOCK_TIMEOUT` overrides it (tests).
pub const LOGIN_LOCK_TIMEOUT: Duration = Duration::from_secs(
    longest(
        longest(factors::push::GIVE_UP_AFTER, oie::direct::GIVE_UP_AFTER),
        longest(
            factors::duo::GIVE_UP_AFTER,
            oie::device::DEFAULT_GIVE_UP_AFTER,
        ),
    )
    .as_secs()
        + 60,
);

const fn longest(a: Duration, b: Duration) -> Duration {
    if a.as_secs() >= b.as_secs() {
        a
    } else {
        b
    }
}

/// What `aws-okta add` stores: keychain item `okta-creds` or `okta-creds-<account>`.
#[derive(Deserialize)]
pub struct StoredCredentials {
    pub domain: String,
    pub username: String,
    pub password: SecretString,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("domain", &self.domain)
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// An Okta account as the rest of the tool uses it.
#[derive(Debug)]
pub struct OktaAccount {
    /// `okta_account_name`, `None` for the default account.
    pub name: Option<String>,
    pub base_url: Url,
    pub username: String,
    pub password: SecretString,
}

pub fn credentials_item(account: Option<&str>) -> String {
    crate::keychain::items::okta_credentials(account)
}

/// `--account NAME` as the user would type it again, for hints in error messages.
pub fn account_flag(account: Option<&str>) -> String {
    account
        .map(|a| format!(" --account {a}"))
        .unwrap_or_default()
}

impl OktaAccount {
    pub fn load(keychain: &dyn Keychain, name: Option<&str>) -> Result<OktaAccount> {
        let item = credentials_item(name);
        let data = keychain
            .get(&item)?
            .ok_or_else(|| Error::NoStoredCredentials {
                account: name.unwrap_or("default").to_string(),
                item: item.clone(),
                flag: account_flag(name),
            })?;
        let stored: StoredCredentials = serde_json::from_slice(&data).map_err(|_| {
            crate::keychain::error(
                keychain.backend(),
                format!(
                    "item '{item}' is not valid aws-okta data: run `aws-okta add{}` again",
                    account_flag(name)
                ),
            )
        })?;
        Ok(OktaAccount {
            name: name.map(str::to_string),
            base_url: parse_domain(&stored.domain)?,
            username: stored.username,
            password: stored.password,
        })
    }

    pub fn store(
        keychain: &dyn Keychain,
        name: Option<&str>,
        creds: &StoredCredentials,
    ) -> Result<()> {
        let json = Zeroizing::new(
            serde_json::to_vec(&SerializableCreds {
                domain: &creds.domain,
                username: &creds.username,
                password: secrecy::ExposeSecret::expose_secret(&creds.password),
            })
            .map_err(Error::encode("the Okta credentials"))?,
        );
        keychain.set(&credentials_item(name), &json)
    }
}

#[derive(Serialize)]
struct SerializableCreds<'a> {
    domain: &'a str,
    username: &'a str,
    password: &'a str,
}

/// Accepts `example.okta.com`, a custom domain, or a full URL. Only HTTPS, except plain HTTP
/// to a loopback host (for tests and local fakes).
pub fn parse_domain(input: &str) -> Result<Url> {
    let input = input.trim().trim_end_matches('/');
    if input.is_empty() {
        return Err(Error::Usage(
            "the Okta domain is empty: use e.g. example.okta.com".into(),
        ));
    }
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::Usage(format!("'{input}' is not a valid Okta domain or URL ({e})")))?;
    if url.host_str().is_none() {
        return Err(Error::Usage(format!("'{input}' has no host name")));
    }
    match url.scheme() {
        "https" => {}
        "http" if crate::config::urls::is_loopback(&url) => {}
        "http" => {
            return Err(Error::Usage(format!(
                "'{input}' uses plain http: Okta must be reached over https (http is allowed only for loopback test servers)"
            )))
        }
        other => return Err(Error::Usage(format!("'{input}': unsupported scheme {other}, use https"))),
    }
    let mut base = url;
    base.set_path("/");
    base.set_query(None);
    base.set_fragment(None);
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_outlasts_every_user_step_a_login_waits_for() {
        for wait in [
            factors::push::GIVE_UP_AFTER,
            oie::direct::GIVE_UP_AFTER,
            factors::duo::GIVE_UP_AFTER,
            oie::device::DEFAULT_GIVE_UP_AFTER,
        ] {
            assert!(LOGIN_LOCK_TIMEOUT > wait, "{wait:?}");
        }
        assert_eq!(LOGIN_LOCK_TIMEOUT, Duration::from_secs(670));
    }

    #[test]
    fn domains_normalise_to_https_base_urls() {
        assert_eq!(
            parse_domain("example.okta.com").unwrap().as_str(),
            "https://example.okta.com/"
        );
        assert_eq!(
            parse_domain("example.oktapreview.com/").unwrap().as_str(),
            "https://example.oktapreview.com/"
        );
        assert_eq!(
            parse_domain("https://login.corp.example/")
                .unwrap()
                .as_str(),
            "https://login.corp.example/"
        );
        assert_eq!(
            parse_domain("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            parse_domain("http://localhost:1").unwrap().as_str(),
            "http://localhost:1/"
        );
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let err = parse_domain("http://example.okta.com").unwrap_err();
        assert!(err.to_string().contains("https"), "{err}");
        assert!(parse_domain("ftp://x").is_err());
        assert!(parse_domain("").is_err());
    }
}
