//! URL rules every part shares, checked where a URL enters (the config file, the user's
//! environment) so that nothing later has to: which Okta paths a config may name, and the one
//! exception to "https only" (a loopback host: tests, emulators, local fakes).
use url::Url;

/// What is wrong with `aws_saml_url` (or another Okta path from a config file) before the org
/// is known, for `config validate` and `config init`: `None` when it is a plain path on the
/// org or an absolute http(s) URL (whose host is checked against the stored org when used).
pub fn config_url_problem(value: &str) -> Option<&'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Some("is empty");
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("contains whitespace or control characters");
    }
    if value.contains('\\') {
        return Some("contains a backslash, which URL parsers read as a slash to another host");
    }
    if value.starts_with("//") {
        return Some("starts with //, which names another host");
    }
    if has_scheme(value) {
        let lower = value.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Some("is a URL that is not https: it must be a path on your Okta org");
        }
        return None;
    }
    // A relative path: it must stay on whatever org it is joined to.
    let probe = Url::parse("https://okta.invalid/").ok()?;
    match probe.join(value.trim_start_matches('/')) {
        Ok(u) if u.host_str() == Some("okta.invalid") && u.scheme() == "https" => None,
        _ => Some("is not a path on your Okta org"),
    }
}

/// Whether `value` is an absolute URL (`scheme:` before any `/`, `?` or `#`).
pub fn has_scheme(value: &str) -> bool {
    let value = value.trim();
    match value.find(':') {
        Some(i) => {
            let scheme = &value[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Plain http is accepted only to this machine: `localhost`, `127.0.0.0/8`, `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An endpoint URL that a test hook (`var`) may replace: https, or plain http to loopback;
/// `what` names it in the error.
pub fn hooked_endpoint(var: &str, what: &str, text: &str) -> crate::Result<Url> {
    let url = Url::parse(text)
        .map_err(|e| crate::Error::Usage(format!("{var} '{text}' is not a URL: {e}")))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
        return Err(crate::Error::Usage(format!(
            "{what} {text} must use https (http only for loopback test servers)"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_check_without_an_org() {
        assert_eq!(config_url_problem("home/amazon_aws/0oa1/272"), None);
        assert_eq!(
            config_url_problem("https://example.okta.com/home/x/1"),
            None
        );
        assert!(config_url_problem("\\\\evil/x").is_some());
        assert!(config_url_problem("//evil/x").is_some());
        assert!(config_url_problem("file:///x").is_some());
        assert!(config_url_problem("").is_some());
    }
}
