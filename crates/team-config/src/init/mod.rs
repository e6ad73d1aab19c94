//! `aws-okta config init`: install a team's config into `~/.aws/config` inside a managed block.
//!
//! One file a job: [`blocks`] finds and merges the managed blocks, [`conflicts`] refuses
//! profiles that clash with the user's own, [`source`] finds the team config (a directory or a
//! git URL, cloned by [`git`]), [`backup`] keeps the old file, [`report`] says what changed;
//! this file runs them in order ([`init`]).

mod backup;
mod blocks;
mod conflicts;
mod git;
mod report;
mod source;

pub use backup::{backup, BACKUP_INFIX};
pub use blocks::{
    block_markers, merge_managed_block, team_blocks, Merged, OtherTeams, RemovedTeam,
};
pub use report::{InitReport, ProfileChanges, SUMMARY_NAMES};

use std::fs::{self};
use std::io::{self};
use std::path::PathBuf;
use std::time::Duration;

use crate::check;
use crate::diff::unified_diff;
use crate::error::{Diagnostic, Error};
use crate::files::atomic_write;
use crate::scan::dangerous_keys;
use backup::{create_private_dir, resolve_symlink};
use blocks::{locate_blocks, merge_blocks};
use conflicts::conflicts;
use source::{classify, read_team_config, redact, Source};

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
