//! Profiles and `[okta]` sections of a team block that clash with the user's own lines or
//! with a kept team's block.

use std::collections::BTreeMap;
use std::path::Path;

use super::blocks::{Block, OtherTeams};
use crate::error::{Diagnostic, Error};

/// A section header of an ini-style file.
pub(super) struct Section {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) keys: BTreeMap<String, String>,
}

/// The name of a trimmed `[ ... ]` header line, inner whitespace collapsed (`[profile  a]` is
/// `profile a`); `None` for any other line.
pub(super) fn section_header(t: &str) -> Option<String> {
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

pub(super) fn sections<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for (line_no, raw) in lines {
        let t = raw.trim();
        if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
            continue;
        }
        if let Some(name) = section_header(t) {
            out.push(Section {
                name,
                line: line_no,
                keys: BTreeMap::new(),
            });
        } else if let (Some(s), Some((k, v))) = (out.last_mut(), t.split_once('=')) {
            s.keys.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

pub(super) fn profile_of(section: &str) -> Option<&str> {
    if section == "default" {
        return Some("default");
    }
    section
        .strip_prefix("profile ")
        .map(str::trim)
        .filter(|p| *p != "okta")
}

/// Refuses profiles of the new block that the file already defines outside the managed
/// blocks, or in another team's block that is kept ([`OtherTeams::Keep`]), and an `[okta]`
/// section there with a different `aws_saml_url`.
pub(super) fn conflicts(
    existing: &str,
    blocks: &[Block],
    team: &str,
    others: OtherTeams,
    content: &str,
    config_path: &Path,
) -> Result<(), Error> {
    // The block a line is in, if any.
    let block_of = |n: usize| {
        blocks
            .iter()
            .find(|b| b.first_line <= n && n <= b.last_line)
    };
    let outside = existing
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(n, _)| match block_of(*n) {
            None => true,
            Some(b) => b.team != team && others == OtherTeams::Keep,
        });
    let outside = sections(outside);
    let new = sections(content.lines().enumerate().map(|(i, l)| (i + 1, l)));
    let mut diags = Vec::new();
    for s in &new {
        if let Some(p) = profile_of(&s.name) {
            if let Some(o) = outside.iter().find(|o| profile_of(&o.name) == Some(p)) {
                let message = match block_of(o.line) {
                    None => format!(
                        "profile `{p}` is already defined here; the team config defines it too: rename or remove this one first"
                    ),
                    Some(b) => format!(
                        "profile `{p}` is already defined here by team {0}; team {team} defines it too: a profile can come from one team only (without --add, team {team} replaces team {0})",
                        b.team
                    ),
                };
                diags.push(Diagnostic {
                    path: config_path.to_path_buf(),
                    line: o.line,
                    message,
                });
            }
        } else if s.name == "okta" {
            let url = s.keys.get("aws_saml_url");
            // The CLI reads `[profile okta]` as the [okta] section too.
            for o in outside
                .iter()
                .filter(|o| o.name == "okta" || o.name == "profile okta")
            {
                let theirs = o.keys.get("aws_saml_url");
                if theirs.is_some() && theirs != url {
                    let whose = match block_of(o.line) {
                        None => String::new(),
                        Some(b) => format!(" of team {}", b.team),
                    };
                    diags.push(Diagnostic {
                        path: config_path.to_path_buf(),
                        line: o.line,
                        message: format!(
                            "this [okta] section{whose} has aws_saml_url = {}, the team config has {}: make them agree first",
                            theirs.map(String::as_str).unwrap_or(""),
                            url.map(String::as_str).unwrap_or("(none)")
                        ),
                    });
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(diags))
    }
}
