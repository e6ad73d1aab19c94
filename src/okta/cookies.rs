//! The cookies of one login, kept per origin. Okta's cookies (`sid`, `DT`, `JSESSIONID`) are
//! bearer secrets for the org, so this jar is stricter than a browser's:
//!
//! * every cookie is host-only: it goes back only to the scheme, host and port that set it. A
//!   `Domain` attribute never widens it to sibling or parent hosts (aws-okta never needs a
//!   cookie on another host, and host-only needs no public-suffix list to be safe);
//! * a `Secure` cookie is sent only over https (or to the loopback test servers the client
//!   accepts plain http for);
//! * an empty value, `Max-Age=0` (or negative) or an `Expires` in the past deletes it;
//! * values are `SecretString`s, zeroized when dropped.
//!
//! `Path` is not kept: Okta sets `Path=/` on all of them.
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::sync::Mutex;
use url::Url;

#[derive(Default)]
pub struct CookieJar {
    by_origin: Mutex<BTreeMap<String, BTreeMap<String, Cookie>>>,
}

struct Cookie {
    value: SecretString,
    secure: bool,
}

/// `scheme://host:port`, or `None` for URLs without a host (never sent cookies).
fn origin_key(url: &Url) -> Option<String> {
    url.host_str()?;
    Some(url.origin().ascii_serialization())
}

fn secure_transport(url: &Url) -> bool {
    url.scheme() == "https" || crate::config::urls::is_loopback(url)
}

impl CookieJar {
    /// Puts a cookie for `url`'s origin (e.g. a cached `sid` or the remembered `DT`).
    pub fn set(&self, url: &Url, name: &str, value: SecretString) {
        let (Some(key), Ok(mut jar)) = (origin_key(url), self.by_origin.lock()) else {
            return;
        };
        jar.entry(key).or_default().insert(
            name.to_string(),
            Cookie {
                value,
                secure: true,
            },
        );
    }

    /// The value of cookie `name` that `url` would be sent.
    pub fn get(&self, url: &Url, name: &str) -> Option<SecretString> {
        let key = origin_key(url)?;
        let jar = self.by_origin.lock().ok()?;
        let cookie = jar.get(&key)?.get(name)?;
        (!cookie.secure || secure_transport(url)).then(|| cookie.value.clone())
    }

    /// The `Cookie` header for a request to `url`, if any cookie belongs there.
    pub fn header_for(&self, url: &Url) -> Option<SecretString> {
        let key = origin_key(url)?;
        let jar = self.by_origin.lock().ok()?;
        let cookies = jar.get(&key)?;
        let header = cookies
            .iter()
            .filter(|(_, c)| !c.secure || secure_transport(url))
            .map(|(name, c)| format!("{name}={}", c.value.expose_secret()))
            .collect::<Vec<_>>()
            .join("; ");
        (!header.is_empty()).then(|| SecretString::from(header))
    }

    /// Keeps (or deletes) the cookies of `Set-Cookie` headers of an answer from `url`.
    pub fn store_from<'a>(&self, url: &Url, set_cookies: impl Iterator<Item = &'a str>) {
        let (Some(key), Ok(mut jar)) = (origin_key(url), self.by_origin.lock()) else {
            return;
        };
        let cookies = jar.entry(key).or_default();
        for header in set_cookies {
            let Some(parsed) = parse_set_cookie(header) else {
                continue;
            };
            if parsed.deleted {
                cookies.remove(&parsed.name);
            } else {
                cookies.insert(
                    parsed.name,
                    Cookie {
                        value: SecretString::from(parsed.value),
                        secure: parsed.secure,
                    },
                );
            }
        }
    }
}

/// One `Set-Cookie` header, as far as the jar needs it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SetCookie {
    pub name: String,
    pub value: String,
    pub secure: bool,
    /// Empty value, `Max-Age` ≤ 0 or `Expires` in the past.
    pub deleted: bool,
}

pub(crate) fn parse_set_cookie(header: &str) -> Option<SetCookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let value = value.trim().trim_matches('"').to_string();
    let mut secure = false;
    let mut deleted = value.is_empty();
    for attribute in parts {
        let (key, val) = attribute
            .split_once('=')
            .map_or((attribute.trim(), ""), |(k, v)| (k.trim(), v.trim()));
        if key.eq_ignore_ascii_case("secure") {
            secure = true;
        } else if key.eq_ignore_ascii_case("max-age") {
            if val.parse::<i64>().is_ok_and(|s| s <= 0) {
                deleted = true;
            }
        } else if key.eq_ignore_ascii_case("expires") {
            if let Ok(when) = chrono::DateTime::parse_from_rfc2822(&val.replace('-', " ")) {
                deleted |= when < chrono::Utc::now();
            }
        }
    }
    Some(SetCookie {
        name: name.to_string(),
        value,
        secure,
        deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn cookies_go_back_only_to_their_origin() {
        let jar = CookieJar::default();
        let org = url("https://example.okta.com/app/x");
        jar.store_from(
            &org,
            [
                "sid=s3cret; Path=/; Secure; HttpOnly",
                "DT=dev; Domain=okta.com; Path=/",
            ]
            .into_iter(),
        );
        let header = jar.header_for(&url("https://example.okta.com/api/v1/authn"));
        assert_eq!(header.unwrap().expose_secret(), "DT=dev; sid=s3cret");
        for other in [
            "https://evil.example/",
            "https://other.okta.com/",
            "https://okta.com/",
            "https://example.okta.com:8443/",
            "http://example.okta.com/",
        ] {
            assert!(jar.header_for(&url(other)).is_none(), "{other}");
        }
    }

    #[test]
    fn secure_cookies_need_https_or_loopback() {
        let jar = CookieJar::default();
        let local = url("http://127.0.0.1:9/");
        jar.store_from(&local, ["sid=x; Secure"].into_iter());
        assert_eq!(jar.get(&local, "sid").unwrap().expose_secret(), "x");
    }

    #[test]
    fn deletions_remove_the_cookie() {
        let jar = CookieJar::default();
        let org = url("https://example.okta.com/");
        jar.store_from(&org, ["sid=a", "JSESSIONID=b"].into_iter());
        jar.store_from(
            &org,
            [
                "sid=\"\"; Expires=Thu, 01 Jan 1970 00:00:10 GMT; Path=/",
                "JSESSIONID=b; Max-Age=0",
            ]
            .into_iter(),
        );
        assert!(jar.header_for(&org).is_none());
    }

    #[test]
    fn parses_name_value_and_attributes() {
        let c = parse_set_cookie("DT=\"x=y\";Path=/; Secure").unwrap();
        assert_eq!(
            (c.name.as_str(), c.value.as_str(), c.secure),
            ("DT", "x=y", true)
        );
        assert!(parse_set_cookie("garbage").is_none());
        assert!(parse_set_cookie("=v").is_none());
    }
}
