//! The extended `~/.aws/config` (segmentio/aws-okta compatible): plain AWS profiles plus an
//! `[okta]` section. This module only models the file; `chain` turns a profile into the
//! ordered list of role hops to take, with every value it names already parsed (`login`:
//! the flow and hub trust enums).
mod chain;
mod classify;
mod duration;
pub mod keys;
mod login;
pub mod migrate;
#[cfg(test)]
mod prop_tests;
mod select;
pub mod urls;

pub use chain::{is_role_arn, role_of, source_of, AssumeRoleHop, Chain, OktaSettings, SamlHop};
pub use classify::{sdk_problem, served_by_aws_okta};
pub use duration::parse_duration;
pub use login::{FlowSetting, HubTrust};
pub use select::{glob_match, select_profiles};

use crate::{Error, Result};
use ini::{Ini, ParseOption};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Keys aws-okta reads; anything else in a profile is left to the AWS SDKs.
pub use keys::KNOWN as KNOWN_KEYS;

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

/// A config file, read lazily: loading finds the section headers (one pass over the text, no
/// per-section allocation) and reads `[okta]`; a profile's keys are parsed only when asked for,
/// so a warm run costs the same with 5 profiles or 2,000. Commands that read every profile
/// (`list`, `config validate`/`init`) parse them all once ([`ConfigFile::profile_map`]); later
/// lookups are answered from that map, so resolving every profile stays linear in the file.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    text: String,
    spans: Vec<Span>,
    pub okta: Section,
    /// Every profile, once [`ConfigFile::profile_map`] has parsed them.
    all: std::sync::OnceLock<BTreeMap<String, Section>>,
}

/// One `[...]` section of the file: which profile it belongs to and where its text is.
#[derive(Debug, Clone)]
struct Span {
    kind: SpanKind,
    /// Bytes of the whole section, header line included.
    bytes: std::ops::Range<usize>,
    /// 1-based line of the header.
    line: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum SpanKind {
    /// `[profile NAME]` or `[default]`: the byte range of NAME.
    Profile(std::ops::Range<usize>),
    /// `[okta]` or `[profile okta]`.
    Okta,
    /// `[sso-session ...]`, `[services ...]`, ...: not ours.
    Other,
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
        Self::from_text(path, text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
        Self::from_text(path, text.to_string())
    }

    fn from_text(path: &Path, text: String) -> Result<ConfigFile> {
        let spans = scan_sections(path, &text)?;
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            text,
            spans,
            okta: Section::default(),
            all: std::sync::OnceLock::new(),
        };
        file.okta = file
            .merge(|kind| *kind == SpanKind::Okta)?
            .unwrap_or_default();
        Ok(file)
    }

    /// One profile's keys (all its sections merged, later values winning), or `None`.
    pub fn profile(&self, name: &str) -> Result<Option<Section>> {
        if let Some(all) = self.all.get() {
            return Ok(all.get(name).cloned());
        }
        self.merge(|kind| matches!(kind, SpanKind::Profile(r) if &self.text[r.clone()] == name))
    }

    /// Every profile name, sorted.
    pub fn profile_names(&self) -> Vec<&str> {
        let names: std::collections::BTreeSet<&str> = self
            .spans
            .iter()
            .filter_map(|s| match &s.kind {
                SpanKind::Profile(r) => Some(&self.text[r.clone()]),
                _ => None,
            })
            .collect();
        names.into_iter().collect()
    }

    /// Every Okta account the file names (`okta_account_name` in `[okta]` and in profiles),
    /// plus `default`: what `logout` forgets the Identity Engine tokens of.
    pub fn okta_account_names(&self) -> std::collections::BTreeSet<String> {
        let mut names: std::collections::BTreeSet<String> = self
            .profile_map()
            .into_iter()
            .flat_map(BTreeMap::values)
            .chain(std::iter::once(&self.okta))
            .filter_map(|section| section.get(keys::OKTA_ACCOUNT_NAME))
            .map(str::to_string)
            .collect();
        names.insert("default".to_string());
        names
    }

    /// Every profile, parsed. The whole file is checked, sections that are not ours included.
    pub fn profiles(&self) -> Result<BTreeMap<String, Section>> {
        self.profile_map().cloned()
    }

    /// [`ConfigFile::profiles`] without a copy; parsed on the first call (one pass over the
    /// sections, not one search per profile) and kept for later calls and for
    /// [`ConfigFile::profile`].
    pub fn profile_map(&self) -> Result<&BTreeMap<String, Section>> {
        if let Some(all) = self.all.get() {
            return Ok(all);
        }
        Ini::load_from_str_opt(&self.text, parse_option()).map_err(|e| self.syntax_error(0, &e))?;
        let mut all: BTreeMap<String, Section> = BTreeMap::new();
        for span in &self.spans {
            let SpanKind::Profile(name) = &span.kind else {
                continue;
            };
            let name = &self.text[name.clone()];
            let target = all.entry(name.to_string()).or_insert_with(|| Section {
                line: span.line,
                values: BTreeMap::new(),
            });
            self.parse_into(span, target)?;
        }
        Ok(self.all.get_or_init(|| all))
    }

    /// `path:line` of a profile's header, for error messages.
    pub fn location(&self, profile: &str) -> String {
        match self.profile_line(profile) {
            Some(line) => format!("{}:{line}", self.path.display()),
            None => self.path.display().to_string(),
        }
    }

    fn profile_line(&self, name: &str) -> Option<usize> {
        if let Some(all) = self.all.get() {
            return all.get(name).map(|s| s.line);
        }
        self.spans.iter().find_map(|s| match &s.kind {
            SpanKind::Profile(r) if &self.text[r.clone()] == name => Some(s.line),
            _ => None,
        })
    }

    /// Parses the sections `wanted` picks with rust-ini and merges them in file order.
    fn merge(&self, wanted: impl Fn(&SpanKind) -> bool) -> Result<Option<Section>> {
        let mut merged: Option<Section> = None;
        for span in self.spans.iter().filter(|s| wanted(&s.kind)) {
            let target = merged.get_or_insert_with(|| Section {
                line: span.line,
                values: BTreeMap::new(),
            });
            self.parse_into(span, target)?;
        }
        Ok(merged)
    }

    /// Parses one section with rust-ini into `target`, its values winning over earlier ones.
    fn parse_into(&self, span: &Span, target: &mut Section) -> Result<()> {
        let ini = Ini::load_from_str_opt(&self.text[span.bytes.clone()], parse_option())
            .map_err(|e| self.syntax_error(span.line - 1, &e))?;
        for (_, props) in ini.iter() {
            target.values.extend(
                props
                    .iter()
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())),
            );
        }
        Ok(())
    }

    fn syntax_error(&self, line_offset: usize, e: &ini::ParseError) -> Error {
        Error::ConfigSyntax {
            file: self.path.clone(),
            line: line_offset + e.line,
            message: e.msg.to_string(),
        }
    }
}

/// Quotes and backslashes are kept verbatim, as the AWS CLI does (`C:\bin\x.exe "a b"`).
fn parse_option() -> ParseOption {
    ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..ParseOption::default()
    }
}

/// Whether rust-ini reads the line's final newline as escaped: `\` takes the next character
/// with it, so an odd run of backslashes right before `\n` continues the line.
fn ends_in_continuation(raw: &str) -> bool {
    let Some(body) = raw.strip_suffix('\n') else {
        return false;
    };
    body.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Finds every section header (a line whose first non-blank character is `[`, as rust-ini
/// reads it) and the bytes each section spans. Text before the first header is not ours.
fn scan_sections(path: &Path, text: &str) -> Result<Vec<Span>> {
    let mut scan = SectionScan {
        path,
        text,
        spans: Vec::new(),
        line: 1,
        counted_to: 0,
    };
    if has_continuation(text.as_bytes()) {
        // Rare: a value continued by a trailing backslash. Read line by line, since rust-ini
        // joins such a line with the next one, which is then no header.
        let mut offset = 0;
        let mut continued = false;
        for raw in text.split_inclusive('\n') {
            let start = offset;
            offset += raw.len();
            let line = raw.trim();
            let header = !continued && line.starts_with('[');
            let comment = !continued && (line.starts_with('#') || line.starts_with(';'));
            continued = ends_in_continuation(raw) && !header && !comment;
            if header {
                scan.header(start, line)?;
            }
        }
    } else {
        // One SIMD pass over the newlines and brackets (memchr): a header is a `[` with only
        // blanks since the last newline. A 2,000-profile file costs tens of microseconds.
        let bytes = text.as_bytes();
        let mut line_start = 0;
        let mut from = 0;
        while let Some(pos) = search::find2(b'\n', b'[', &bytes[from..]).map(|i| from + i) {
            from = pos + 1;
            if bytes[pos] == b'\n' {
                line_start = pos + 1;
                continue;
            }
            if line_start <= pos && text[line_start..pos].trim().is_empty() {
                let end = search::find1(b'\n', &bytes[pos..]).map_or(text.len(), |i| pos + i);
                scan.header(line_start, text[line_start..end].trim())?;
            }
            line_start = usize::MAX; // no later bracket on this line starts a header
        }
    }
    Ok(scan.spans)
}

/// Whether a line ends in a backslash (a value continued on the next line).
fn has_continuation(bytes: &[u8]) -> bool {
    let mut from = 0;
    while let Some(pos) = search::find1(b'\\', &bytes[from..]).map(|i| from + i) {
        if bytes.get(pos + 1) == Some(&b'\n') {
            return true;
        }
        from = pos + 1;
    }
    false
}

/// Byte searches over a config's text with SIMD. On x86-64 through SSE2, which every such CPU
/// has, rather than `memchr`'s top-level functions: those first detect AVX2 at run time, and
/// that detection (a dozen CPUID instructions, each a trap to the hypervisor in a VM, ~4.5 µs
/// apiece on the bench machine) cost every warm run ~40 µs, more than scanning a
/// 2,000-profile config takes.
mod search {
    #[cfg(target_arch = "x86_64")]
    use memchr::arch::x86_64::sse2::memchr::{One, Two};

    /// The first `a` or `b` in `haystack`.
    pub fn find2(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(two) = Two::new(a, b) {
            return two.find(haystack);
        }
        memchr::memchr2(a, b, haystack)
    }

    /// The first `a` in `haystack`.
    pub fn find1(a: u8, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(one) = One::new(a) {
            return one.find(haystack);
        }
        memchr::memchr(a, haystack)
    }

    /// How many `a` there are in `haystack`.
    pub fn count1(a: u8, haystack: &[u8]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if let Some(one) = One::new(a) {
            return one.count(haystack);
        }
        memchr::memchr_iter(a, haystack).count()
    }
}

struct SectionScan<'a> {
    path: &'a Path,
    text: &'a str,
    spans: Vec<Span>,
    /// 1-based line number at byte `counted_to`.
    line: usize,
    counted_to: usize,
}

impl SectionScan<'_> {
    /// Records the header `line` (trimmed) that starts at byte `start`.
    fn header(&mut self, start: usize, line: &str) -> Result<()> {
        let text = self.text;
        self.line += search::count1(b'\n', &text.as_bytes()[self.counted_to..start]);
        self.counted_to = start;
        let Some(close) = line.find(']') else {
            return Err(Error::ConfigSyntax {
                file: self.path.to_path_buf(),
                line: self.line,
                message: format!("section header '{line}' is missing ']'"),
            });
        };
        if let Some(last) = self.spans.last_mut() {
            last.bytes.end = start;
        }
        // Byte range of a trimmed piece of `line`, within `text`.
        let range = |piece: &str| {
            let at = piece.as_ptr() as usize - text.as_ptr() as usize;
            at..at + piece.len()
        };
        let inner = line[1..close].trim();
        let kind = match inner {
            "okta" | "profile okta" => SpanKind::Okta,
            "default" => SpanKind::Profile(range(inner)),
            _ => match inner.strip_prefix("profile ") {
                Some(name) => SpanKind::Profile(range(name.trim())),
                None => SpanKind::Other,
            },
        };
        self.spans.push(Span {
            kind,
            bytes: start..text.len(),
            line: self.line,
        });
        Ok(())
    }
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
        let profiles = cfg.profiles().unwrap();
        assert_eq!(profiles["default"].get("region"), Some("eu-west-1"));
        assert_eq!(
            profiles["hub"].get("role_arn"),
            Some("arn:aws:iam::1:role/a")
        );
        assert_eq!(profiles["hub"].line, 7);
        assert_eq!(profiles.len(), 2);
        assert_eq!(cfg.profile_names(), ["default", "hub"]);
    }

    #[test]
    fn profile_okta_is_the_okta_section() {
        let cfg = parse("[profile okta]\naws_saml_url = a/b\n").unwrap();
        assert_eq!(cfg.okta.get("aws_saml_url"), Some("a/b"));
        assert!(cfg.profile_names().is_empty());
    }

    #[test]
    fn keeps_backslashes_and_quotes_verbatim() {
        let cfg = parse("[profile p]\ncredential_process = C:\\bin\\x.exe \"a b\"\n").unwrap();
        assert_eq!(
            cfg.profile("p").unwrap().unwrap().get("credential_process"),
            Some("C:\\bin\\x.exe \"a b\"")
        );
    }

    #[test]
    fn malformed_file_names_the_line() {
        let err = parse("[profile a]\nrole_arn = x\n[profile b\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cfg:3"), "{msg}");
        assert!(
            matches!(&err, Error::ConfigSyntax { line: 3, file, .. } if file == Path::new("cfg")),
            "{err:?}"
        );
    }

    #[test]
    fn sections_are_parsed_only_when_asked_for_and_errors_keep_file_lines() {
        // The broken line sits in a profile nobody asks for: resolving others still works.
        let cfg = parse(
            "[okta]\naws_saml_url = a/b\n[profile good]\nregion = x\n\n[profile bad]\n= oops\n",
        )
        .unwrap();
        assert_eq!(
            cfg.profile("good").unwrap().unwrap().get("region"),
            Some("x")
        );
        let err = cfg.profile("bad").unwrap_err();
        assert!(
            matches!(err, Error::ConfigSyntax { line: 7, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("cfg:7: malformed config"), "{msg}");
        let msg = cfg.profiles().unwrap_err().to_string();
        assert!(msg.starts_with("cfg:7: malformed config"), "{msg}");
        assert!(cfg.profile("missing").unwrap().is_none());
    }

    #[test]
    fn only_brackets_that_open_a_line_are_headers() {
        let cfg = parse(
            "[profile a]\nnote = [profile fake] x [y]\n# [profile commented]\n  \t[profile b]\nk = v\n",
        )
        .unwrap();
        assert_eq!(cfg.profile_names(), ["a", "b"]);
        assert_eq!(
            cfg.profile("a").unwrap().unwrap().get("note"),
            Some("[profile fake] x [y]")
        );
        assert_eq!(
            (
                cfg.location("b"),
                cfg.profile("b").unwrap().unwrap().get("k")
            ),
            ("cfg:4".into(), Some("v"))
        );
        // A value continued by a trailing backslash swallows the next line, as rust-ini reads it.
        let cfg =
            parse("[profile a]\ncmd = run \\\n[profile not-a-header]\n[profile c]\n").unwrap();
        assert_eq!(cfg.profile_names(), ["a", "c"]);
    }

    #[test]
    fn repeated_sections_merge_with_later_values_winning_and_the_first_line() {
        let cfg = parse("[profile a]\nx = 1\ny = 1\n[profile b]\n[profile a]\ny = 2\n").unwrap();
        let a = cfg.profile("a").unwrap().unwrap();
        assert_eq!((a.get("x"), a.get("y"), a.line), (Some("1"), Some("2"), 1));
        assert_eq!(cfg.location("a"), "cfg:1");
        assert_eq!(cfg.location("b"), "cfg:4");
    }
}
