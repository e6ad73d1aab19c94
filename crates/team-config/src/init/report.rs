//! What `config init` did: the report and its summary of the team's profile changes.

use std::path::PathBuf;

use super::blocks::RemovedTeam;
use super::conflicts::{profile_of, section_header};
use crate::scan::DangerousKey;

/// What [`init`] did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The file written: `config_path` with symlinks resolved.
    pub config_path: PathBuf,
    /// Where the team config came from, for messages (`<source>: teams/<team>.config`).
    pub team_file: String,
    /// The config file did not exist before.
    pub created: bool,
    /// The config file's contents change (false: the block was already up to date).
    pub changed: bool,
    /// The copy of the old file, when one was made (an existing file that changed, not a dry run).
    pub backup_path: Option<PathBuf>,
    /// Unified diff from the old file to the new one; empty when unchanged.
    pub diff: String,
    pub dry_run: bool,
    /// The team config's dangerous keys (line numbers in the team file, see
    /// [`crate::dangerous_keys`]). Only a dry run or a run with `allow_executable_keys` gets
    /// this far with findings; the caller should print them as warnings.
    pub findings: Vec<DangerousKey>,
    /// The team's profiles before (its old block, if any) and after this run.
    pub profiles: ProfileChanges,
    /// Other teams' blocks this run removes (none with `keep_other_teams`), in file order.
    pub removed_teams: Vec<RemovedTeam>,
}

impl InitReport {
    /// What this run did (or would do) to the profiles, for people: at most a few short lines,
    /// each list of names cut after [`SUMMARY_NAMES`] (`a, b, ... and 5 more`), however many
    /// profiles the file has. Lines without anything to say are left out.
    pub fn summary(&self) -> Vec<String> {
        let p = &self.profiles;
        let mut lines: Vec<String> = self
            .removed_teams
            .iter()
            .map(|t| {
                format!(
                    "removed team {} ({})",
                    t.team,
                    count(t.profiles.len(), "profile")
                )
            })
            .collect();
        for (verb, list) in [
            ("added", &p.added),
            ("changed", &p.changed),
            ("removed", &p.removed),
        ] {
            if !list.is_empty() {
                lines.push(format!(
                    "{verb} {}: {}",
                    count(list.len(), "profile"),
                    name_list(list)
                ));
            }
        }
        if !p.unchanged.is_empty() {
            lines.push(format!("unchanged: {}", p.unchanged.len()));
        }
        lines
    }
}

/// How many names [`InitReport::summary`] lists before `and N more`.
pub const SUMMARY_NAMES: usize = 10;

/// `1 profile`, `7 profiles`.
pub(super) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `a, b, c`, or the first [`SUMMARY_NAMES`] names and `and N more`.
pub(super) fn name_list(names: &[String]) -> String {
    let shown = names[..names.len().min(SUMMARY_NAMES)].join(", ");
    if names.len() > SUMMARY_NAMES {
        format!("{shown} and {} more", names.len() - SUMMARY_NAMES)
    } else {
        shown
    }
}

/// A team's profiles before and after `config init`: `[profile NAME]` (and `[default]`)
/// sections of the old and the new managed block. Other sections (`[okta]`, ...) and comments
/// are not counted. Names are in block order (`removed`: the old block's order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    /// In the new block only.
    pub added: Vec<String>,
    /// In both, with different keys or values (or the same ones in another order).
    pub changed: Vec<String>,
    /// In the old block only.
    pub removed: Vec<String>,
    /// In both, with the same keys and values.
    pub unchanged: Vec<String>,
}

impl ProfileChanges {
    /// Compares the profiles of `old` and `new` (config text: a managed block, markers and
    /// comments allowed). Two profiles are the same when they have the same `key = value`
    /// lines in the same order; spaces around keys and values, blank lines and comments do
    /// not count.
    pub fn between(old: &str, new: &str) -> ProfileChanges {
        let old = profile_bodies(old);
        let new = profile_bodies(new);
        let mut c = ProfileChanges::default();
        for (name, body) in &new {
            match old.iter().find(|(n, _)| n == name) {
                None => c.added.push(name.clone()),
                Some((_, b)) if b != body => c.changed.push(name.clone()),
                Some(_) => c.unchanged.push(name.clone()),
            }
        }
        for (name, _) in &old {
            if !new.iter().any(|(n, _)| n == name) {
                c.removed.push(name.clone());
            }
        }
        c
    }
}

/// One line of a profile, normalised: (indented, key, value); a line without `=` is all key.
type Setting = (bool, String, String);

/// Each profile of `text` with its settings in order, blank lines and comments left out. A
/// profile defined twice gets both bodies.
pub(super) fn profile_bodies(text: &str) -> Vec<(String, Vec<Setting>)> {
    let mut out: Vec<(String, Vec<Setting>)> = Vec::new();
    // Index into `out` of the profile whose lines these are; None in other sections.
    let mut current: Option<usize> = None;
    for raw in text.lines() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = section_header(t) {
            current = profile_of(&name).map(|p| {
                out.iter().position(|(n, _)| n == p).unwrap_or_else(|| {
                    out.push((p.to_string(), Vec::new()));
                    out.len() - 1
                })
            });
            continue;
        }
        if let Some(i) = current {
            let indented = raw.starts_with(|c: char| c.is_whitespace());
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            out[i]
                .1
                .push((indented, k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}
