//! `aws-okta config init`: install a team's config into `~/.aws/config` inside a managed block.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::check;
use crate::diff::unified_diff;
use crate::error::{Diagnostic, Error};
use crate::files::atomic_write;
use crate::scan::{dangerous_keys, DangerousKey};
use crate::TEAMS_DIR;

/// What `aws-okta config init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The team (`--team` or `AWS_OKTA_TEAM`).
    pub team: String,
    /// A local directory or a git URL (`https://`, `ssh://`, `file://`, `user@host:path`, or a
    /// path ending in `.git` / a bare repository). It must hold `teams/<team>.config` or
    /// `team-configs/teams/<team>.config`. `git://` and `http://` URLs are recognised but
    /// refused (unauthenticated, unencrypted); git is only allowed the https, ssh and file
    /// transports, so `ext::` and other remote helpers are refused too.
    pub source: String,
    /// The config file to update (`$AWS_CONFIG_FILE` or `~/.aws/config`).
    pub config_path: PathBuf,
    /// Compute and report the diff, write nothing.
    pub dry_run: bool,
    /// Keep the managed blocks of other teams (`--add`, for people in several teams); then a
    /// profile the new block shares with another team's block is refused. Without it, every
    /// other team's block is removed: one team per engineer, so changing team replaces the old
    /// team's profiles (see [`OtherTeams`]).
    pub keep_other_teams: bool,
    /// Install the team config even if it has keys that make AWS tools run programs or send
    /// requests or credentials elsewhere (`--allow-executable-keys`; see
    /// [`crate::dangerous_keys`]). Without it a real run refuses with
    /// [`Error::DangerousKeys`]; a dry run reports them in [`InitReport::findings`] either way.
    pub allow_executable_keys: bool,
    /// How long `git clone` may take before it is killed: [`DEFAULT_GIT_TIMEOUT`] unless the
    /// caller reads another value (the CLI: [`GIT_TIMEOUT_ENV`], in seconds).
    pub git_timeout: Duration,
}

/// The default [`InitOptions::git_timeout`]: long enough for a slow network and a passphrase
/// typed at ssh's prompt, short enough that a hung server does not hang `config init`.
pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable the CLI reads [`InitOptions::git_timeout`] from (whole seconds);
/// named in the timeout error so the user knows what to set.
pub const GIT_TIMEOUT_ENV: &str = "AWS_OKTA_GIT_TIMEOUT";

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
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `a, b, c`, or the first [`SUMMARY_NAMES`] names and `and N more`.
fn name_list(names: &[String]) -> String {
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
fn profile_bodies(text: &str) -> Vec<(String, Vec<Setting>)> {
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

/// Backups are named `<config file name><BACKUP_INFIX><UTC time>`, e.g.
/// `config.aws-okta-backup-20250102T030405Z`, beside the config file.
pub const BACKUP_INFIX: &str = ".aws-okta-backup-";

/// The first and last line of a team's managed block.
pub fn block_markers(team: &str) -> (String, String) {
    (
        format!("# BEGIN aws-okta team {team}"),
        format!("# END aws-okta team {team}"),
    )
}

const BEGIN_PREFIX: &str = "# BEGIN aws-okta team ";
const END_PREFIX: &str = "# END aws-okta team ";

/// A team's managed block in a file.
struct Block {
    team: String,
    /// Byte range of the block, END line (and its newline) included.
    start: usize,
    end: usize,
    /// 1-based line numbers of the BEGIN and END lines.
    first_line: usize,
    last_line: usize,
}

/// `(true, team)` for a BEGIN marker line, `(false, team)` for an END one (`line` trimmed).
fn marker(line: &str) -> Option<(bool, &str)> {
    if let Some(team) = line.strip_prefix(BEGIN_PREFIX) {
        Some((true, team.trim()))
    } else {
        line.strip_prefix(END_PREFIX)
            .map(|team| (false, team.trim()))
    }
}

/// Every team's managed block in `existing`, in file order. Malformed markers of any team are
/// refused: a BEGIN without its END, an END without its BEGIN, a marker inside another block,
/// two blocks of one team.
fn locate_blocks(existing: &str) -> Result<Vec<Block>, Error> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Option<(String, usize, usize)> = None; // (team, byte start, line)
    let mut offset = 0;
    for (idx, raw) in existing.split_inclusive('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        let start = offset;
        offset += raw.len();
        let Some((is_begin, team)) = marker(line) else {
            continue;
        };
        match open.take() {
            Some((open_team, s, l)) if !is_begin && team == open_team => blocks.push(Block {
                team: open_team,
                start: s,
                end: offset,
                first_line: l,
                last_line: line_no,
            }),
            Some((open_team, _, l)) => {
                return Err(Error::ManagedBlock {
                    line: line_no,
                    message: format!(
                        "`{line}` inside the managed block of team {open_team} that starts at line {l}: fix the markers by hand"
                    ),
                })
            }
            None if is_begin => {
                if let Some(prev) = blocks.iter().find(|b| b.team == team) {
                    return Err(Error::ManagedBlock {
                        line: line_no,
                        message: format!(
                            "a second managed block for team {team} (the first is at line {}): remove one by hand",
                            prev.first_line
                        ),
                    });
                }
                open = Some((team.to_string(), start, line_no));
            }
            None => {
                let (begin, _) = block_markers(team);
                return Err(Error::ManagedBlock {
                    line: line_no,
                    message: format!(
                        "`{line}` without a `{begin}` before it: fix the markers by hand"
                    ),
                });
            }
        }
    }
    if let Some((team, _, line)) = open {
        let (begin, end) = block_markers(&team);
        return Err(Error::ManagedBlock {
            line,
            message: format!("`{begin}` has no `{end}` after it: fix the markers by hand"),
        });
    }
    Ok(blocks)
}

/// The teams with a managed block in `text`, in file order, each with the profiles its block
/// defines (in block order): what `aws-okta each --team NAME` runs over. Malformed markers are
/// refused as [`merge_managed_block`] refuses them.
pub fn team_blocks(text: &str) -> Result<Vec<(String, Vec<String>)>, Error> {
    let blocks = locate_blocks(text)?;
    Ok(blocks
        .iter()
        .map(|b| {
            let profiles = profile_bodies(&text[b.start..b.end])
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            (b.team.clone(), profiles)
        })
        .collect())
}

/// What [`merge_managed_block`] does with the managed blocks of teams other than the one it
/// installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherTeams {
    /// Remove them: one team per engineer, so changing team replaces the old team's profiles
    /// (`config init`).
    Replace,
    /// Keep them, for people in several teams (`config init --add`).
    Keep,
}

/// A managed block of another team that [`merge_managed_block`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedTeam {
    pub team: String,
    /// The profiles its block defined, in block order.
    pub profiles: Vec<String>,
}

/// The result of [`merge_managed_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new file.
    pub text: String,
    /// Other teams' blocks removed ([`OtherTeams::Replace`]), in file order.
    pub removed_teams: Vec<RemovedTeam>,
}

/// Puts `block` (a team config, without markers) into `existing` between
/// `# BEGIN aws-okta team <team>` and `# END aws-okta team <team>`, and with
/// [`OtherTeams::Replace`] removes every other team's managed block. The new block goes where
/// the team's earlier block was; without one, where the other team's block was if it replaces
/// exactly one; else at the end (after a blank line). Every byte outside the managed blocks is
/// kept as it was (so the blank line written before an appended block stays when that block is
/// removed later). The block uses the file's line ending (`\r\n` if the file has any).
/// Fails on malformed markers of any team (a BEGIN without END, two blocks for a team, ...)
/// rather than guess which lines are the user's.
pub fn merge_managed_block(
    existing: &str,
    team: &str,
    block: &str,
    others: OtherTeams,
) -> Result<Merged, Error> {
    let blocks = locate_blocks(existing)?;
    Ok(merge_blocks(existing, &blocks, team, block, others))
}

/// [`merge_managed_block`] with the blocks already located.
fn merge_blocks(
    existing: &str,
    blocks: &[Block],
    team: &str,
    block: &str,
    others: OtherTeams,
) -> Merged {
    let nl = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let (begin, end) = block_markers(team);
    let mut text = String::with_capacity(block.len() + 80);
    text.push_str(&begin);
    text.push_str(nl);
    for line in block.lines() {
        text.push_str(line);
        text.push_str(nl);
    }
    text.push_str(&end);
    text.push_str(nl);

    let replace = others == OtherTeams::Replace;
    // Index in `blocks` of the block whose place the new one takes, if any.
    let slot = blocks
        .iter()
        .position(|b| b.team == team)
        .or_else(|| (replace && blocks.len() == 1).then_some(0));
    let mut out = String::with_capacity(existing.len() + text.len());
    let mut removed_teams = Vec::new();
    let mut copied = 0;
    for (i, b) in blocks.iter().enumerate() {
        let ours = b.team == team;
        if !ours && !replace {
            continue; // copied with the bytes around it
        }
        out.push_str(&existing[copied..b.start]);
        copied = b.end;
        if !ours {
            removed_teams.push(RemovedTeam {
                team: b.team.clone(),
                profiles: profile_bodies(&existing[b.start..b.end])
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect(),
            });
        }
        if slot == Some(i) {
            out.push_str(&text);
        }
    }
    out.push_str(&existing[copied..]);
    if slot.is_none() {
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(nl);
            }
            if !out.ends_with(&format!("{nl}{nl}")) && out != nl {
                out.push_str(nl);
            }
        }
        out.push_str(&text);
    }
    Merged {
        text: out,
        removed_teams,
    }
}

/// Installs `teams/<team>.config` from `opts.source` into `opts.config_path`:
///
/// 1. a git URL source is cloned with the user's own `git` into a temporary directory (removed
///    afterwards);
/// 2. the team config is scanned with [`crate::dangerous_keys`]: with findings and without
///    `allow_executable_keys`, a real run stops here with [`Error::DangerousKeys`], before the
///    config file is even read; a dry run goes on and returns them in the report, so the user
///    sees both the diff and what it would let run;
/// 3. the team config is merged with [`merge_managed_block`], which removes the other teams'
///    blocks unless `keep_other_teams` (profiles or an `[okta]` section that clash with the
///    user's own lines, or with a kept team's block, are refused);
/// 4. `validate` (the CLI's own config parser) must accept the merged file;
/// 5. unless `dry_run`: a timestamped backup of the old file, then an atomic write (mode
///    0600 when the file is created, otherwise the old mode is kept).
///
/// Nothing is written when the file would not change or for a dry run.
pub fn init(
    opts: &InitOptions,
    validate: &dyn Fn(&str) -> Result<(), String>,
) -> Result<InitReport, Error> {
    if check::name(&opts.team).is_err() {
        return Err(Error::InvalidTeamName(opts.team.clone()));
    }
    let (team_file, content) = read_team_config(&opts.team, &opts.source, opts.git_timeout)?;

    // The team repository is shared and may be compromised, and the block is read by every AWS
    // tool on the machine: refuse, before touching anything, to install what would make them
    // run a program or send requests elsewhere, unless the user has reviewed it and said so.
    let findings = dangerous_keys(&content);
    if !findings.is_empty() && !opts.allow_executable_keys && !opts.dry_run {
        return Err(Error::DangerousKeys {
            team_file,
            findings,
        });
    }

    let config_path = resolve_symlink(&opts.config_path);
    let (existing, created) = match fs::read(&config_path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => (s, false),
            Err(_) => {
                return Err(Error::io(
                    &config_path,
                    io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"),
                ))
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => (String::new(), true),
        Err(e) => return Err(Error::io(&config_path, e)),
    };

    // A local directory is named by its absolute path, so running init from elsewhere does not
    // change the block.
    let origin = match classify(&opts.source) {
        Source::Dir(p) => fs::canonicalize(&p)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| opts.source.clone()),
        Source::Git(url) => redact(&url),
    };
    let block = format!(
        "# Managed by `aws-okta config init --team {}` from {}.\n# Edits inside this block are overwritten; add your own profiles outside it.\n{}",
        opts.team,
        check::one_line(&origin),
        content
    );
    let at = |e: Error| match e {
        Error::ManagedBlock { line, message } => Error::Invalid(vec![Diagnostic {
            path: config_path.clone(),
            line,
            message,
        }]),
        e => e,
    };
    let blocks = locate_blocks(&existing).map_err(at)?;
    let others = if opts.keep_other_teams {
        OtherTeams::Keep
    } else {
        OtherTeams::Replace
    };
    let profiles = ProfileChanges::between(
        blocks
            .iter()
            .find(|b| b.team == opts.team)
            .map(|b| &existing[b.start..b.end])
            .unwrap_or(""),
        &block,
    );
    conflicts(
        &existing,
        &blocks,
        &opts.team,
        others,
        &content,
        &config_path,
    )?;
    let Merged {
        text: merged,
        removed_teams,
    } = merge_blocks(&existing, &blocks, &opts.team, &block, others);
    validate(&merged).map_err(|mut message| {
        // Profiles of the user's may have used the removed teams' profiles.
        if !removed_teams.is_empty() {
            let names: Vec<&str> = removed_teams.iter().map(|t| t.team.as_str()).collect();
            message.push_str(&format!(
                "\n(this would remove the managed block of team {}; --add keeps it)",
                names.join(", team ")
            ));
        }
        Error::Validation {
            path: config_path.clone(),
            message,
        }
    })?;

    let label = config_path.display().to_string();
    let diff = unified_diff(
        &existing,
        &merged,
        if created { "/dev/null" } else { &label },
        &label,
    );
    let mut report = InitReport {
        config_path: config_path.clone(),
        team_file,
        created,
        changed: merged != existing || created,
        backup_path: None,
        diff,
        dry_run: opts.dry_run,
        findings,
        profiles,
        removed_teams,
    };
    if opts.dry_run || !report.changed {
        return Ok(report);
    }

    if let Some(dir) = config_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            create_private_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    if !created {
        report.backup_path = Some(backup(&config_path, existing.as_bytes())?);
    }
    atomic_write(&config_path, merged.as_bytes(), created.then_some(0o600))
        .map_err(|e| Error::io(&config_path, e))?;
    Ok(report)
}

/// Finds and reads the team's config in `source`; returns (description, contents).
fn read_team_config(
    team: &str,
    source: &str,
    git_timeout: Duration,
) -> Result<(String, String), Error> {
    // Keeps a clone alive until the team config is read.
    let _clone: Option<TempDir>;
    let base: PathBuf = match classify(source) {
        Source::Dir(p) => {
            if !p.is_dir() {
                return Err(Error::io(
                    &p,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        "no such directory (and not a git URL)",
                    ),
                ));
            }
            _clone = None;
            p
        }
        Source::Git(url) => {
            let (guard, repo) = git_clone(&url, git_timeout)?;
            _clone = Some(guard);
            repo
        }
    };
    let rel_candidates = [
        Path::new(TEAMS_DIR).join(format!("{team}.config")),
        Path::new("team-configs")
            .join(TEAMS_DIR)
            .join(format!("{team}.config")),
    ];
    let Some(rel) = rel_candidates.iter().find(|r| base.join(r).is_file()) else {
        let mut available = Vec::new();
        for dir in [
            base.join(TEAMS_DIR),
            base.join("team-configs").join(TEAMS_DIR),
        ] {
            if let Ok(entries) = fs::read_dir(dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.extension().and_then(|x| x.to_str()) == Some("config") {
                        if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                            available.push(stem.to_string());
                        }
                    }
                }
            }
        }
        available.sort();
        available.dedup();
        return Err(Error::TeamNotFound {
            team: team.to_string(),
            origin: redact(source),
            available,
        });
    };
    let path = base.join(rel);
    let content = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let desc = format!("{}: {}", redact(source), rel.display());
    let mut diags = Vec::new();
    let mut has_profile = false;
    for (i, line) in content.lines().enumerate() {
        let t = line.trim();
        if t.starts_with(BEGIN_PREFIX) || t.starts_with(END_PREFIX) {
            diags.push(Diagnostic {
                path: PathBuf::from(&desc),
                line: i + 1,
                message: "a team config may not contain managed-block markers".into(),
            });
        }
        has_profile |= t.starts_with("[profile ");
    }
    if !has_profile {
        diags.push(Diagnostic {
            path: PathBuf::from(&desc),
            line: 1,
            message: "no [profile ...] section: this is not a team config".into(),
        });
    }
    if !diags.is_empty() {
        return Err(Error::Invalid(diags));
    }
    let content = content.lines().collect::<Vec<_>>().join("\n");
    Ok((desc, content.trim_end().to_string()))
}

/// A section header of an ini-style file.
struct Section {
    name: String,
    line: usize,
    keys: BTreeMap<String, String>,
}

/// The name of a trimmed `[ ... ]` header line, inner whitespace collapsed (`[profile  a]` is
/// `profile a`); `None` for any other line.
fn section_header(t: &str) -> Option<String> {
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn sections<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<Section> {
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

fn profile_of(section: &str) -> Option<&str> {
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
fn conflicts(
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

enum Source {
    Dir(PathBuf),
    Git(String),
}

fn classify(source: &str) -> Source {
    let p = Path::new(source);
    if p.is_dir() {
        let bare = p.join("HEAD").is_file() && p.join("objects").is_dir();
        let has_teams =
            p.join(TEAMS_DIR).is_dir() || p.join("team-configs").join(TEAMS_DIR).is_dir();
        return if bare && !has_teams {
            Source::Git(source.to_string())
        } else {
            Source::Dir(p.to_path_buf())
        };
    }
    if source.contains("://") || scp_like(source) || source.ends_with(".git") {
        Source::Git(source.to_string())
    } else {
        Source::Dir(p.to_path_buf())
    }
}

/// `user@host:path`, git's scp-like syntax.
fn scp_like(s: &str) -> bool {
    match s.split_once(':') {
        Some((host, path)) => {
            host.contains('@') && !host.contains('/') && !path.is_empty() && !path.starts_with("//")
        }
        None => false,
    }
}

/// Drops a password or token from `scheme://user:secret@host/...` for messages.
fn redact(source: &str) -> String {
    if let Some((scheme, rest)) = source.split_once("://") {
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            return format!("{scheme}://{}", &rest[at + 1..]);
        }
    }
    source.to_string()
}

/// A directory removed on drop.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn temp_dir() -> io::Result<TempDir> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for i in 0..100u32 {
        let path =
            std::env::temp_dir().join(format!("aws-okta-init-{}-{nanos}-{i}", std::process::id()));
        match create_private_dir_single(&path) {
            Ok(()) => return Ok(TempDir { path }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "cannot create a temporary directory",
    ))
}

/// The transports `git clone` may use, as `-c` options (which beat every config file and
/// `GIT_CONFIG_*` variable). A team source names a URL, and git turns some URLs into programs:
/// `ext::<command>` runs the command, other `<helper>::` forms run `git-remote-<helper>`.
/// `protocol.allow=never` refuses every transport not named here; ext, git and http are named
/// as well so that a permissive `protocol.<name>.allow` in the user's own config cannot
/// re-enable them (git:// and http:// are unauthenticated and unencrypted: anyone on the path
/// can change the team config). A helper the user trusts (say `codecommit`) can still be
/// allowed in their git config with `protocol.<name>.allow=always`.
const GIT_PROTOCOL_POLICY: &[&str] = &[
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.ssh.allow=always",
    "protocol.file.allow=always",
    "protocol.ext.allow=never",
    "protocol.git.allow=never",
    "protocol.http.allow=never",
];

/// Clones `url` into a fresh temporary directory with the user's `git`; returns its guard and
/// the clone's path.
fn git_clone(url: &str, timeout: Duration) -> Result<(TempDir, PathBuf), Error> {
    git_clone_with(Path::new("git"), url, timeout)
}

/// [`git_clone`] with another `git` program (tests use a fake one).
fn git_clone_with(
    program: &Path,
    url: &str,
    timeout: Duration,
) -> Result<(TempDir, PathBuf), Error> {
    refuse_plaintext(url)?;
    let tmp = temp_dir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let dest = tmp.path.join("repo");
    run_git(clone_command(program, url, &dest), url, timeout)?;
    Ok((tmp, dest))
}

/// `git://` and `http://` are refused with a clear message before git runs (git would refuse
/// them too, through [`GIT_PROTOCOL_POLICY`], but with a terse "transport not allowed").
fn refuse_plaintext(url: &str) -> Result<(), Error> {
    let lower = url.to_ascii_lowercase();
    let scheme = if lower.starts_with("git://") {
        "git://"
    } else if lower.starts_with("http://") {
        "http://"
    } else {
        return Ok(());
    };
    Err(Error::Git {
        url: redact(url),
        message: format!(
            "{scheme} is unauthenticated and unencrypted, so anyone on the network path could change the team config: use an https:// or ssh:// URL"
        ),
    })
}

/// `git clone` of `url` into `dest`, hardened: only the transports of [`GIT_PROTOCOL_POLICY`],
/// no prompts (stdin is empty, `GIT_TERMINAL_PROMPT=0`, no Git Credential Manager dialog, no
/// `SSH_ASKPASS` window): credentials must come from a credential helper or an ssh agent/key.
/// ssh itself may still ask on the terminal (host key, passphrase), which the timeout allows
/// for. `GIT_SSH_COMMAND` and the rest of the user's setup are left alone.
fn clone_command(program: &Path, url: &str, dest: &Path) -> Command {
    let mut cmd = Command::new(program);
    for policy in GIT_PROTOCOL_POLICY {
        cmd.arg("-c").arg(policy);
    }
    cmd.args(["clone", "--quiet", "--depth", "1", "--"])
        .arg(url)
        .arg(dest)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env_remove("SSH_ASKPASS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// At most this much of git's stderr is kept for the error message.
const STDERR_LIMIT: usize = 64 * 1024;
/// How often a running git is checked on.
const POLL: Duration = Duration::from_millis(20);
/// How long to wait, once git has failed, for the rest of its stderr.
const STDERR_GRACE: Duration = Duration::from_secs(2);

/// Runs `cmd` (from [`clone_command`]), killing it after `timeout`.
///
/// Only std: spawn, then `try_wait` with short sleeps until the deadline. stderr is drained by
/// a thread so a chatty server cannot fill the pipe and stall git. On timeout only git itself
/// is killed, not a process group: putting git in a group of its own would take it out of the
/// terminal's foreground group, and ssh's passphrase or host-key prompt would then stop it
/// (SIGTTIN). git's children (ssh, git-remote-https, index-pack) see their pipes to git close
/// and exit on their own; as they may hold the stderr pipe a while longer, the reader thread
/// is never waited for without a bound.
fn run_git(mut cmd: Command, url: &str, timeout: Duration) -> Result<(), Error> {
    let git_error = |message: String| Error::Git {
        url: redact(url),
        message,
    };
    let mut child = cmd.spawn().map_err(|e| {
        git_error(format!(
            "cannot run `{}`: {e}",
            Path::new(cmd.get_program()).display()
        ))
    })?;

    let stderr_buf = Arc::new(Mutex::new(Vec::new()));
    // Dropped (so `done` disconnects) when the reader reaches the end of stderr.
    let (done_tx, done) = mpsc::channel::<()>();
    if let Some(mut stderr) = child.stderr.take() {
        let buf = Arc::clone(&stderr_buf);
        thread::spawn(move || {
            let _done = done_tx;
            let mut chunk = [0u8; 4096];
            loop {
                match stderr.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Ok(mut b) = buf.lock() {
                            let room = STDERR_LIMIT.saturating_sub(b.len());
                            b.extend_from_slice(&chunk[..n.min(room)]);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
    }

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(git_error(format!("cannot wait for git: {e}")));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(git_error(format!(
                "timed out after {}: git was stopped (it cannot prompt for a password here: use an ssh key or agent or a credential helper; {GIT_TIMEOUT_ENV} sets the limit in seconds)",
                seconds(timeout)
            )));
        }
        thread::sleep(POLL.min(deadline - now));
    };
    if status.success() {
        return Ok(());
    }

    let _ = done.recv_timeout(STDERR_GRACE);
    let stderr = stderr_buf.lock().map(|b| b.clone()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);
    let mut message = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("--depth is ignored"))
        .collect::<Vec<_>>()
        .join("; ");
    if message.is_empty() {
        message = format!("git exited with {status}");
    }
    if message.contains("transport '") && message.contains("not allowed") {
        message.push_str(" (config init clones over https, ssh and file only)");
    }
    Err(git_error(message))
}

/// `120 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn create_private_dir_single(path: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// Copies the old contents to `<config><BACKUP_INFIX><UTC time>` (mode 0600), never
/// overwriting an earlier backup.
pub fn backup(config_path: &Path, old: &[u8]) -> Result<PathBuf, Error> {
    let name = config_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let stamp = utc_stamp(SystemTime::now());
    for i in 0..1000u32 {
        let file = if i == 0 {
            format!("{name}{BACKUP_INFIX}{stamp}")
        } else {
            format!("{name}{BACKUP_INFIX}{stamp}-{i}")
        };
        let path = config_path.with_file_name(file);
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                f.write_all(old)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| Error::io(&path, e))?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Err(Error::io(
        config_path,
        io::Error::new(io::ErrorKind::AlreadyExists, "too many backups this second"),
    ))
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_blocks_list_each_teams_profiles() {
        let text = "[profile mine]\nregion = a\n# BEGIN aws-okta team payments\n[okta]\naws_saml_url = x\n\
                    [profile pay-prod]\nokta_role_arn = r\n[profile pay-dev]\nokta_role_arn = r\n\
                    # END aws-okta team payments\n# BEGIN aws-okta team data\n[default]\nregion = b\n\
                    # END aws-okta team data\n";
        assert_eq!(
            team_blocks(text).unwrap(),
            vec![
                (
                    "payments".to_string(),
                    vec!["pay-prod".to_string(), "pay-dev".to_string()]
                ),
                ("data".to_string(), vec!["default".to_string()]),
            ]
        );
        assert!(team_blocks("# BEGIN aws-okta team x\n").is_err());
        assert!(team_blocks("[profile a]\n").unwrap().is_empty());
    }
    use std::time::Duration;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "20240229T235959Z"
        );
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(4_102_444_800)),
            "21000101T000000Z"
        );
    }

    #[test]
    fn source_kinds() {
        assert!(matches!(
            classify("https://git.example.com/org/aws.git"),
            Source::Git(_)
        ));
        assert!(matches!(
            classify("git@github.com:org/aws.git"),
            Source::Git(_)
        ));
        assert!(matches!(classify("git@github.com:org/aws"), Source::Git(_)));
        assert!(matches!(classify("file:///srv/aws"), Source::Git(_)));
        // Recognised as git, so that cloning can refuse it with a reason.
        assert!(matches!(
            classify("git://git.example.com/org/aws.git"),
            Source::Git(_)
        ));
        assert!(matches!(classify("/nonexistent/dir"), Source::Dir(_)));
        assert!(matches!(classify("C:/x"), Source::Dir(_)));
    }

    #[test]
    fn plaintext_transports_are_refused_before_git_runs() {
        for url in [
            "git://git.example.com/aws.git",
            "HTTP://me:tok@git.example.com/aws",
        ] {
            // A program that does not exist: had git been run, the error would say so.
            match git_clone_with(Path::new("/nonexistent/git"), url, DEFAULT_GIT_TIMEOUT) {
                Err(Error::Git { url: u, message }) => {
                    assert!(!u.contains("tok"), "{u}");
                    assert!(
                        message.contains("is unauthenticated and unencrypted")
                            && message.contains("use an https:// or ssh:// URL"),
                        "{message}"
                    );
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    /// Writes an executable shell script standing in for `git`.
    #[cfg(unix)]
    fn fake_git(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("git");
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    /// `f`, again while it fails with ETXTBSY: a thread of the test harness that forks while
    /// the script is open for writing keeps it busy until that child execs.
    fn unless_busy<T>(f: impl Fn() -> Result<T, Error>) -> Result<T, Error> {
        for _ in 0..50 {
            match f() {
                Err(Error::Git { message, .. }) if message.contains("Text file busy") => {
                    thread::sleep(Duration::from_millis(20))
                }
                r => return r,
            }
        }
        f()
    }

    #[cfg(unix)]
    #[test]
    fn a_hung_git_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        // `sleep` is a child of the script: it keeps the stderr pipe open after the script is
        // killed, which must not keep init waiting either.
        let git = fake_git(dir.path(), "sleep 30");
        let start = Instant::now();
        let r = unless_busy(|| {
            git_clone_with(
                &git,
                "https://git.example.com/aws.git",
                Duration::from_secs(1),
            )
        });
        let took = start.elapsed();
        match r {
            Err(Error::Git { message, .. }) => {
                assert!(message.starts_with("timed out after 1 s: "), "{message}");
                assert!(message.contains(GIT_TIMEOUT_ENV), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn git_runs_with_the_protocol_policy_and_no_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        let git = fake_git(
            dir.path(),
            &format!(
                "{{ echo \"args=$*\"; echo \"prompt=$GIT_TERMINAL_PROMPT gcm=$GCM_INTERACTIVE askpass=${{SSH_ASKPASS-unset}}\"; \
                 if read line; then echo stdin=data; else echo stdin=empty; fi; }} > '{}'\n\
                 echo 'fatal: repository not found' >&2\nexit 128",
                seen.display()
            ),
        );
        let url = "https://me:tok@git.example.com/aws.git";
        match unless_busy(|| git_clone_with(&git, url, DEFAULT_GIT_TIMEOUT)) {
            Err(Error::Git { url, message }) => {
                assert_eq!(url, "https://git.example.com/aws.git");
                assert_eq!(message, "fatal: repository not found");
            }
            other => panic!("{other:?}"),
        }
        let seen = fs::read_to_string(&seen).unwrap();
        let mut lines = seen.lines();
        let args = lines.next().unwrap();
        assert!(
            args.starts_with(
                "args=-c protocol.allow=never -c protocol.https.allow=always -c protocol.ssh.allow=always \
                 -c protocol.file.allow=always -c protocol.ext.allow=never -c protocol.git.allow=never \
                 -c protocol.http.allow=never clone --quiet --depth 1 -- https://me:tok@git.example.com/aws.git "
            ),
            "{args}"
        );
        assert_eq!(lines.next(), Some("prompt=0 gcm=never askpass=unset"));
        assert_eq!(lines.next(), Some("stdin=empty"));
    }

    /// The attack: a team source URL that makes git run a command. A user config that allows
    /// `ext` (here through `GIT_CONFIG_*`, which beats the config files) does not let it
    /// through, while a plain `git clone` with the same config runs the command.
    #[cfg(unix)]
    #[test]
    fn ext_urls_cannot_run_commands_even_if_the_users_config_allows_them() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("pwned");
        let url = format!("ext::sh -c touch% {}", pwned.display());
        let permissive = |cmd: &mut Command| {
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "protocol.ext.allow")
                .env("GIT_CONFIG_VALUE_0", "always");
        };

        let mut cmd = clone_command(Path::new("git"), &url, &dir.path().join("a"));
        permissive(&mut cmd);
        match run_git(cmd, &url, DEFAULT_GIT_TIMEOUT) {
            Err(Error::Git { message, .. }) => assert!(
                message.contains("transport 'ext' not allowed")
                    && message.contains("https, ssh and file only"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(!pwned.exists(), "the ext:: command ran");

        // The control: without the policy, the same URL and config run the command.
        let mut plain = Command::new("git");
        plain
            .args(["clone", "--quiet", "--"])
            .arg(&url)
            .arg(dir.path().join("b"))
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        permissive(&mut plain);
        let _ = plain.status().unwrap();
        assert!(pwned.exists(), "the control should have run the command");
    }

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact("https://me:tok@git.example.com/a.git"),
            "https://git.example.com/a.git"
        );
        assert_eq!(redact("git@host:a.git"), "git@host:a.git");
        assert_eq!(redact("/srv/x"), "/srv/x");
    }
}
