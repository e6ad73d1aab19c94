//! The extended `~/.aws/config` (segmentio/aws-okta compatible): plain AWS profiles plus an
//! `[okta]` section. This module only models the file; `chain` turns a profile into the
//! ordered list of role hops to take.
mod chain;
mod duration;

pub use chain::{AssumeRoleHop, Chain, OktaSettings, SamlHop};
pub use duration::parse_duration;

use crate::{Error, Result};
use ini::{Ini, ParseOption};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Keys aws-okta reads; anything else in a profile is left to the AWS SDKs.
pub const KNOWN_KEYS: &[&str] = &[
    "aws_saml_url",
    "okta_account_name",
    "role_arn",
    "source_profile",
    "region",
    "role_session_name",
    "external_id",
    "mfa_provider",
    "mfa_factor_type",
    "session_ttl",
    "assume_role_ttl",
];

#[derive(Debug, Clone, Default)]
pub struct Section {
    /// 1-based line of the `[...]` header, for error messages.
    pub line: usize,
    pub values: BTreeMap<String, String>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// A parsed config file: profiles by name and the `[okta]` defaults.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Section>,
    pub okta: Section,
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub fn default_path() -> PathBuf {
    match std::env::var_os("AWS_CONFIG_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => home_dir().join(".aws").join("config"),
    }
}

/// Where aws-okta keeps its own state (locks, the `file` keychain): `$AWS_OKTA_HOME` or `~/.aws-okta`.
pub fn state_dir() -> PathBuf {
    match std::env::var_os("AWS_OKTA_HOME") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => home_dir().join(".aws-okta"),
    }
}

pub fn home_dir() -> PathBuf {
    #[allow(deprecated)]
    std::env::home_dir().unwrap_or_else(|| PathBuf::from("."))
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Config(format!(
                    "config file {} does not exist: create it (see README) or set AWS_CONFIG_FILE",
                    path.display()
                ))
            } else {
                Error::Config(format!("cannot read config file {}: {e}", path.display()))
            }
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
        // rust-ini reports an unclosed header at end of file; name its own line instead.
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') && !line.contains(']') {
                return Err(Error::Config(format!(
                    "{}:{}: malformed config: section header '{line}' is missing ']'",
                    path.display(),
                    i + 1
                )));
            }
        }
        let opt = ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..ParseOption::default()
        };
        let ini = Ini::load_from_str_opt(text, opt).map_err(|e| {
            Error::Config(format!(
                "{}:{}: malformed config: {}",
                path.display(),
                e.line,
                e.msg
            ))
        })?;
        let header_lines = section_header_lines(text);
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            ..ConfigFile::default()
        };
        for (name, props) in ini.iter() {
            let Some(raw) = name else { continue };
            let line = header_lines.get(raw.trim()).copied().unwrap_or(0);
            let values: BTreeMap<String, String> = props
                .iter()
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let raw = raw.trim();
            let target = if raw == "okta" || raw == "profile okta" {
                &mut file.okta
            } else if let Some(profile) = raw.strip_prefix("profile ") {
                file.profiles.entry(profile.trim().to_string()).or_default()
            } else if raw == "default" {
                file.profiles.entry("default".to_string()).or_default()
            } else {
                continue; // sso-session, services, ... are not ours
            };
            if target.line == 0 {
                target.line = line;
            }
            target.values.extend(values);
        }
        Ok(file)
    }

    /// `path:line` of a profile's header, for error messages.
    pub fn location(&self, profile: &str) -> String {
        match self.profiles.get(profile) {
            Some(s) if s.line > 0 => format!("{}:{}", self.path.display(), s.line),
            _ => self.path.display().to_string(),
        }
    }
}

/// Maps each section header (`profile x`, `okta`) to its 1-based line number.
fn section_header_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            lines.entry(inner.trim().to_string()).or_insert(i + 1);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile> {
        ConfigFile::parse(Path::new("cfg"), text)
    }

    #[test]
    fn reads_profiles_okta_and_default_sections() {
        let cfg = parse(
            "[okta]\naws_saml_url = home/amazon_aws/x/1\n\n[default]\nregion=eu-west-1\n\n\
             [profile hub]\nrole_arn = arn:aws:iam::1:role/a\n[sso-session s]\nx=1\n",
        )
        .unwrap();
        assert_eq!(cfg.okta.get("aws_saml_url"), Some("home/amazon_aws/x/1"));
        assert_eq!(cfg.profiles["default"].get("region"), Some("eu-west-1"));
        assert_eq!(
            cfg.profiles["hub"].get("role_arn"),
            Some("arn:aws:iam::1:role/a")
        );
        assert_eq!(cfg.profiles["hub"].line, 7);
        assert_eq!(cfg.profiles.len(), 2);
    }

    #[test]
    fn profile_okta_is_the_okta_section() {
        let cfg = parse("[profile okta]\naws_saml_url = a/b\n").unwrap();
        assert_eq!(cfg.okta.get("aws_saml_url"), Some("a/b"));
        assert!(cfg.profiles.is_empty());
    }

    #[test]
    fn keeps_backslashes_and_quotes_verbatim() {
        let cfg = parse("[profile p]\ncredential_process = C:\\bin\\x.exe \"a b\"\n").unwrap();
        assert_eq!(
            cfg.profiles["p"].get("credential_process"),
            Some("C:\\bin\\x.exe \"a b\"")
        );
    }

    #[test]
    fn malformed_file_names_the_line() {
        let err = parse("[profile a]\nrole_arn = x\n[profile b\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cfg:3"), "{msg}");
        assert!(matches!(err, Error::Config(_)));
    }
}
