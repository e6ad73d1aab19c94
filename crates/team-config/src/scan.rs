//! Finds the keys of a team config that would make the user's AWS tools run a program, send
//! requests (and so credentials) to another endpoint, trust another CA, or send the Okta
//! sign-in to another host.
//!
//! A team-config repository is shared and may be compromised, and what `config init` installs
//! is read by every AWS SDK and CLI on the machine, not only by aws-okta. So the scan reads the
//! text the way the most permissive of those readers would (Python's `configparser`, which
//! botocore and the AWS CLI use), and errs on the side of reporting:
//!
//! * keys are compared case-insensitively (`configparser` lowercases them) and end at the
//!   first `=` **or `:`** (both are `configparser` delimiters);
//! * a lone `\r` ends a line (Python opens the file with universal newlines), as do the other
//!   vertical separators some readers split on; the pieces keep the physical line's number;
//! * indented lines are read both as nested keys (botocore's `s3 =` / `[services]` syntax)
//!   and as a continuation of the previous key's value (`configparser`'s multi-line values),
//!   so a harmless-looking first line cannot hide the rest of a value;
//! * a `[...]` header is recognised up to its last `]`, even with text after it.

use std::fmt;

/// A key (or section) of a team config that can make AWS tools run a program or send requests
/// or credentials somewhere else. `config init` refuses to install a team config with any of
/// these unless `allow_executable_keys` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DangerousKey {
    /// 1-based line number in the team config file.
    pub line: usize,
    /// The section it is in (`profile prod`, `okta`, `services evil`), whitespace collapsed;
    /// empty before the first section header.
    pub section: String,
    /// The key as written (trimmed); empty when the finding is the section itself
    /// (a `[services ...]` header).
    pub key: String,
    /// The value as written (trimmed), continuation lines joined with `\n`; empty for a
    /// section.
    pub value: String,
}

impl fmt::Display for DangerousKey {
    /// `[section] key = value`, or `[section]` for a section finding. Control and
    /// bidirectional-override characters are escaped: the text comes from the possibly hostile
    /// team file and is printed to a terminal for a human to review.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", printable(&self.section))?;
        if !self.key.is_empty() {
            write!(f, " {} = {}", printable(&self.key), printable(&self.value))?;
        }
        Ok(())
    }
}

/// Every dangerous key and `[services ...]` section of `content` (a team config), in file
/// order:
///
/// * `credential_process`, unless its value is exactly `aws-okta cred-process <profile>` (see
///   [`is_aws_okta_cred_process`]);
/// * any other key ending in `_process`: AWS tools run such values as programs;
/// * `endpoint_url` (also nested under `s3 =` and the like) and `ca_bundle`: requests, signed
///   with the user's credentials, go to another endpoint or over a TLS the team file chooses;
/// * any `[services ...]` section: it sets endpoints for the profiles that name it;
/// * an `aws_saml_url` that is not a plain path on the user's Okta org (see
///   [`saml_url_leaves_org`]): aws-okta would send the Okta session there.
pub fn dangerous_keys(content: &str) -> Vec<DangerousKey> {
    let mut found = Vec::new();
    let mut section = String::new();
    // The key whose value indented lines continue: (index in `entries`, its indentation).
    let mut owner: Option<(usize, usize)> = None;
    let mut entries: Vec<DangerousKey> = Vec::new();

    for (idx, physical) in content.lines().enumerate() {
        let line = idx + 1;
        for raw in physical.split(is_line_break) {
            // In characters, as Python counts it.
            let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
            let t = raw.trim_matches(is_blank);
            // Blank lines and full-line comments neither end nor extend a value.
            if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            let continues = owner.filter(|&(_, owner_indent)| indent > owner_indent);
            if let Some((i, _)) = continues {
                entries[i].value.push('\n');
                entries[i].value.push_str(t);
            }
            if let Some(name) = section_header(t) {
                section = name;
                owner = None;
                if section.to_lowercase().starts_with("services") {
                    found.push(DangerousKey {
                        line,
                        section: section.clone(),
                        key: String::new(),
                        value: String::new(),
                    });
                }
                continue;
            }
            let Some(at) = t.find(['=', ':']) else {
                continue;
            };
            entries.push(DangerousKey {
                line,
                section: section.clone(),
                key: t[..at].trim_matches(is_blank).to_string(),
                value: t[at + 1..].trim_matches(is_blank).to_string(),
            });
            if continues.is_none() {
                owner = Some((entries.len() - 1, indent));
            }
        }
    }

    found.extend(entries.into_iter().filter(is_dangerous));
    // Section findings and key findings were collected apart; report them in file order.
    found.sort_by_key(|f| f.line);
    found
}

fn is_dangerous(e: &DangerousKey) -> bool {
    let key = e.key.to_lowercase();
    match key.as_str() {
        "credential_process" => !is_aws_okta_cred_process(&e.value),
        "endpoint_url" | "ca_bundle" => true,
        "aws_saml_url" => saml_url_leaves_org(&e.value),
        k => k.ends_with("_process"),
    }
}

/// Whether a `credential_process` value is the one aws-okta writes itself:
/// `aws-okta cred-process <profile>`, exactly three words, the program found on `PATH` by its
/// plain name. The profile name may hold only ASCII letters, digits and `._-@+=,/` and may not
/// start with `-` (it would be read as an option): no quotes, `$`, backticks, `;|&<>()`,
/// backslashes or non-ASCII characters, so no reader (shlex, a shell, another SDK's splitter)
/// can see anything but those three words.
pub fn is_aws_okta_cred_process(value: &str) -> bool {
    let profile_char = |c: char| c.is_ascii_alphanumeric() || "._-@+=,/".contains(c);
    if !value
        .chars()
        .all(|c| c == ' ' || c == '\t' || profile_char(c))
    {
        return false;
    }
    let words: Vec<&str> = value.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    matches!(words.as_slice(), ["aws-okta", "cred-process", profile] if !profile.starts_with('-'))
}

/// Whether an `aws_saml_url` could take aws-okta (which joins it onto the user's Okta org URL,
/// WHATWG rules) off the org: a scheme (`https:`, `file:`, `javascript:`, `host:443/...`), a
/// scheme-relative start (`//host`, `/\host`), a backslash anywhere (read as `/`), `://`
/// anywhere, or whitespace and control characters (which URL parsers drop, so `\t//host`
/// becomes `//host`). A plain path such as `home/amazon_aws/0oa1abcd/272` passes.
pub fn saml_url_leaves_org(value: &str) -> bool {
    let scheme = match value.find(':') {
        // A colon before any `/`, `?` or `#` makes the part before it a scheme.
        Some(i) => !value[..i].contains(['/', '?', '#']),
        None => false,
    };
    scheme
        || value.contains('\\')
        || value.contains("://")
        || value.starts_with("//")
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `[name]` (text after the last `]` ignored, as `configparser` does), whitespace collapsed.
fn section_header(t: &str) -> Option<String> {
    let rest = t.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    Some(rest[..end].split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Line separators besides `\n` (which `lines()` already split on): a lone `\r` (Python's
/// universal newlines) and the vertical separators `str.splitlines` also honours.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\r' | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Whitespace as Python's `str.strip` sees it, plus a byte-order mark (some readers drop it).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// `s` with control characters and the invisible/bidirectional formatting characters escaped,
/// so a value cannot rewrite the terminal or hide text from the person reviewing it.
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(content: &str) -> Vec<(usize, String, String, String)> {
        dangerous_keys(content)
            .into_iter()
            .map(|f| (f.line, f.section, f.key, f.value))
            .collect()
    }

    fn k(line: usize, section: &str, key: &str, value: &str) -> (usize, String, String, String) {
        (line, section.into(), key.into(), value.into())
    }

    #[test]
    fn the_generated_configs_are_clean() {
        let org =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../team-configs/org.toml");
        for f in crate::generate(&org).unwrap() {
            if f.path.extension().is_some_and(|e| e == "config") {
                assert_eq!(keys(&f.contents), vec![], "{}", f.path.display());
            }
        }
    }

    #[test]
    fn programs_endpoints_and_bundles() {
        let text = "# comment\n[profile a]\nregion = us-east-1\ncredential_process = /tmp/evil\n\n\
                    [profile b]\n  Credential_Process:/tmp/colon\nsso_process = x\nMy_Process = y\n\
                    endpoint_url = https://evil.example\nca_bundle = /tmp/ca.pem\n\
                    s3 =\n  ENDPOINT_URL = https://s3.evil.example\n\
                    ; credential_process = /commented/out\n";
        assert_eq!(
            keys(text),
            vec![
                k(4, "profile a", "credential_process", "/tmp/evil"),
                k(7, "profile b", "Credential_Process", "/tmp/colon"),
                k(8, "profile b", "sso_process", "x"),
                k(9, "profile b", "My_Process", "y"),
                k(10, "profile b", "endpoint_url", "https://evil.example"),
                k(11, "profile b", "ca_bundle", "/tmp/ca.pem"),
                k(13, "profile b", "ENDPOINT_URL", "https://s3.evil.example"),
            ]
        );
        // Harmless look-alikes.
        assert_eq!(
            keys("[profile a]\nprocess = x\nprocessing = y\nendpoint_url_x = z\n[sso-session s]\nsso_start_url = https://x.awsapps.com/start\n"),
            vec![]
        );
    }

    #[test]
    fn services_sections() {
        assert_eq!(
            keys("[profile a]\nservices = x\n\n[services x]\ns3 =\n  endpoint_url = http://evil\n[ Services  ]\n"),
            vec![
                k(4, "services x", "", ""),
                k(6, "services x", "endpoint_url", "http://evil"),
                k(7, "Services", "", ""),
            ]
        );
        assert_eq!(
            dangerous_keys("[services x] trailing\n")[0].to_string(),
            "[services x]"
        );
    }

    #[test]
    fn aws_okta_cred_process_is_allowed_and_nothing_else() {
        for ok in [
            "aws-okta cred-process prod",
            "aws-okta  cred-process\tteam.prod_admin-1",
            "aws-okta cred-process a@b+c=d,e/f",
        ] {
            assert!(is_aws_okta_cred_process(ok), "{ok}");
            assert_eq!(
                keys(&format!("[profile p]\ncredential_process = {ok}\n")),
                vec![]
            );
        }
        for bad in [
            "",
            "aws-okta",
            "aws-okta cred-process",
            "aws-okta cred-process prod extra",
            "aws-okta cred-process prod;touch /tmp/x",
            "aws-okta cred-process $(evil)",
            "aws-okta cred-process `evil`",
            "aws-okta cred-process 'prod'",
            "aws-okta cred-process \"prod\"",
            "aws-okta cred-process prod|sh",
            "aws-okta cred-process prod&",
            "aws-okta cred-process <x",
            "aws-okta cred-process a\\b",
            "aws-okta cred-process --config=/tmp/x",
            "aws-okta exec prod",
            "/usr/bin/aws-okta cred-process prod",
            "./aws-okta cred-process prod",
            "AWS-OKTA cred-process prod",
            "aws-okta\u{a0}cred-process prod",
            "sh -c aws-okta",
        ] {
            assert!(!is_aws_okta_cred_process(bad), "{bad}");
        }
        // Only credential_process is exempt, not other *_process keys.
        assert_eq!(
            keys("[profile p]\nsso_process = aws-okta cred-process prod\n").len(),
            1
        );
    }

    #[test]
    fn a_value_cannot_hide_behind_continuation_lines_or_carriage_returns() {
        // configparser joins the indented line onto the value: the program gets more arguments.
        assert_eq!(
            keys("[profile p]\ncredential_process = aws-okta cred-process prod\n\n    /tmp/evil\n"),
            vec![k(
                2,
                "profile p",
                "credential_process",
                "aws-okta cred-process prod\n/tmp/evil"
            )]
        );
        // A lone \r is a line break to Python: the second key is real.
        assert_eq!(
            keys("[profile p]\nregion = us-east-1\rcredential_process = /tmp/evil\n"),
            vec![k(2, "profile p", "credential_process", "/tmp/evil")]
        );
        assert_eq!(
            keys("[profile p]\rcredential_process = /tmp/evil\n"),
            vec![k(1, "profile p", "credential_process", "/tmp/evil")]
        );
        // A byte-order mark does not hide a key either.
        assert_eq!(
            keys("\u{feff}credential_process = /tmp/evil\n"),
            vec![k(1, "", "credential_process", "/tmp/evil")]
        );
        // A less indented line ends the continuation.
        assert_eq!(
            keys("[profile p]\n  credential_process = aws-okta cred-process prod\nregion = x\n"),
            vec![]
        );
    }

    #[test]
    fn saml_urls_that_leave_the_org() {
        for ok in [
            "home/amazon_aws/0oa1abcdEFGH/272",
            "/home/amazon_aws/0oa1abcdEFGH/272",
            "home/amazon_aws/0oa1/272?fromHome=true",
            "app/x/y:z",
            "",
        ] {
            assert!(!saml_url_leaves_org(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/x",
            "HTTP://evil.example",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "evil.example:443/x",
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil.example\\x",
            "home\\amazon_aws",
            "home/x?next=https://evil.example",
            "home/amazon aws",
            "\t//evil.example",
            "home/\u{7}x",
        ] {
            assert!(saml_url_leaves_org(bad), "{bad:?}");
        }
        assert_eq!(
            keys("[okta]\naws_saml_url = https://evil.example/x\n[profile p]\nAWS_SAML_URL = \\\\evil.example\\x\naws_saml_url = home/amazon_aws/0oa/1\n"),
            vec![
                k(2, "okta", "aws_saml_url", "https://evil.example/x"),
                k(4, "profile p", "AWS_SAML_URL", "\\\\evil.example\\x"),
            ]
        );
    }

    #[test]
    fn display_escapes_what_could_fool_a_terminal() {
        let f = DangerousKey {
            line: 1,
            section: "profile p".into(),
            key: "credential_process".into(),
            value: "/tmp/evil\u{1b}[2K\u{202e}txt.exe\nx".into(),
        };
        assert_eq!(
            f.to_string(),
            "[profile p] credential_process = /tmp/evil\\u{1b}[2K\\u{202e}txt.exe\\nx"
        );
    }
}
