//! Helpers that keep secrets out of `--debug` logs. Secrets themselves are `SecretString`
//! (whose Debug prints `[REDACTED]`); these cover URLs and identifiers we do want to log.

/// A URL with its query string and fragment replaced: Okta puts `sessionToken` in the query.
pub fn url(url: &str) -> String {
    match url.split_once(['?', '#']) {
        Some((base, _)) => format!("{base}?[REDACTED]"),
        None => url.to_string(),
    }
}

/// Shows only the first four characters of an identifier (access key ids, state tokens).
pub fn prefix(value: &str) -> String {
    let shown: String = value.chars().take(4).collect();
    format!("{shown}…")
}

#[cfg(test)]
mod tests {
    #[test]
    fn hides_queries_and_long_identifiers() {
        assert_eq!(
            super::url("https://o/x?sessionToken=abc"),
            "https://o/x?[REDACTED]"
        );
        assert_eq!(super::url("https://o/x"), "https://o/x");
        assert_eq!(super::prefix("ASIAABCDEFG"), "ASIA…");
    }
}
