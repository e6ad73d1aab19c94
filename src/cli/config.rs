//! `aws-okta config generate|init|validate`: thin wrappers over the `aws-okta-team-config` crate.
//!
//! * `generate` renders `team-configs/teams/<team>.config` and the Terraform JSON from
//!   `team-configs/org.toml`; `--check` writes nothing and fails (exit 3) listing stale files.
//! * `init` installs one team's config into `~/.aws/config` inside a managed block, replacing
//!   other teams' blocks unless `--add`; the merged file must pass the same checks as
//!   `validate` (the parser `exec` uses, and every profile's chain) before it is written.
//! * `validate` reports every problem of a config file, one per line, and warns about each
//!   aws-okta profile AWS SDKs would misread.
//! * `migrate` rewrites segmentio-style profiles into the SDK-native form.
use super::Global;
use crate::config::{Chain, ConfigFile};
use crate::{Error, Result};
use aws_okta_team_config as team_config;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Generate every team's config and the Terraform input from the source of truth.
    Generate(GenerateArgs),
    /// Install a team's config into ~/.aws/config ($AWS_CONFIG_FILE) inside a managed block.
    Init(InitArgs),
    /// Check a config file and report every problem found, one per line.
    Validate(ValidateArgs),
    /// Rewrite segmentio-style profiles (role_arn, source_profile) into the SDK-native form
    /// (okta_role_arn, okta_source_profile, credential_process), so AWS_PROFILE works in
    /// every AWS tool; every other line is kept byte for byte, the old file backed up.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The config file to rewrite [default: $AWS_CONFIG_FILE, else ~/.aws/config].
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Print the diff (on stdout) and write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The source of truth; files are generated next to it (teams/, generated/).
    #[arg(long, value_name = "FILE", default_value = team_config::DEFAULT_SOURCE)]
    source: PathBuf,
    /// Write nothing; fail (exit 3) listing the files that are out of date.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The team whose config to install [default: $AWS_OKTA_TEAM].
    #[arg(long, value_name = "NAME")]
    team: Option<String>,
    /// A directory holding teams/<team>.config (or team-configs/teams/<team>.config), or a git
    /// URL cloned with your own git [default: $AWS_OKTA_TEAM_CONFIGS, else the current directory].
    #[arg(long, value_name = "DIR|GIT_URL")]
    source: Option<String>,
    /// Print the diff (on stdout) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep the other teams' managed blocks (for people in several teams). Without it, the
    /// blocks of every other team are removed: changing team replaces the old team's profiles.
    #[arg(long)]
    add: bool,
    /// Install a team config even though it sets keys that make AWS tools run a program or
    /// send requests elsewhere (credential_process, *_process, endpoint_url, ca_bundle,
    /// [services], an aws_saml_url off the Okta org). Review them first: `--dry-run` lists them.
    #[arg(long)]
    allow_executable_keys: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The config file to check [default: $AWS_CONFIG_FILE, else ~/.aws/config].
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

pub fn run(_global: &Global, command: Command) -> Result<i32> {
    match command {
        Command::Generate(args) => generate(args),
        Command::Init(args) => init(args),
        Command::Validate(args) => validate(args),
        Command::Migrate(args) => migrate(args),
    }
}

fn generate(args: GenerateArgs) -> Result<i32> {
    let files = team_config::generate(&args.source).map_err(from_team_config)?;
    let base = team_config::output_dir(&args.source);
    if args.check {
        let stale = team_config::stale_files(&base, &files);
        if stale.is_empty() {
            crate::notice!(
                "generated files are up to date with {}",
                args.source.display()
            );
            return Ok(0);
        }
        let list: Vec<String> = stale
            .iter()
            .map(|p| format!("  {}", base.join(p).display()))
            .collect();
        return Err(Error::Config(format!(
            "generated files are out of date with {} (run `aws-okta config generate --source {}` and commit them):\n{}",
            args.source.display(),
            args.source.display(),
            list.join("\n")
        )));
    }
    let changed = team_config::write_files(&base, &files).map_err(from_team_config)?;
    if changed.is_empty() {
        crate::notice!(
            "generated files are up to date with {}",
            args.source.display()
        );
    }
    for rel in &changed {
        let path = base.join(rel);
        let what = if path.exists() { "wrote" } else { "removed" };
        crate::notice!("{what} {}", path.display());
    }
    Ok(0)
}

/// The `--source` of `config init` when none is given: `$AWS_OKTA_TEAM_CONFIGS`, else the
/// current directory (a checkout of the team-configs repository, or its `team-configs/`).
fn default_source() -> String {
    non_empty_env("AWS_OKTA_TEAM_CONFIGS").unwrap_or_else(|| ".".to_string())
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn init(args: InitArgs) -> Result<i32> {
    let team = args
        .team
        .filter(|t| !t.is_empty())
        .or_else(|| non_empty_env("AWS_OKTA_TEAM"))
        .ok_or_else(|| {
            Error::Usage(
                "no team given: pass --team NAME or set AWS_OKTA_TEAM (teams are the names of teams/<team>.config in the source)"
                    .into(),
            )
        })?;
    let source = args
        .source
        .filter(|s| !s.is_empty())
        .unwrap_or_else(default_source);
    let config_path = crate::paths::config_file();

    // Profiles already broken before this change are not the team config's fault: they are
    // reported as warnings, and only problems the merge introduces refuse the write.
    let before: Option<Vec<Problem>> = std::fs::read_to_string(&config_path)
        .ok()
        .map(|text| problems(&config_path, &text).1);
    let warnings = std::cell::RefCell::new(Vec::new());
    let validator = |merged: &str| -> std::result::Result<(), String> {
        let (_, found) = problems(&config_path, merged);
        let mut refused = Vec::new();
        for p in found {
            let known = match (&p.profile, &before) {
                (Some(name), Some(before)) => {
                    before.iter().any(|b| b.profile.as_deref() == Some(name))
                }
                _ => false,
            };
            if known {
                warnings.borrow_mut().push(p.message);
            } else {
                refused.push(p.message);
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(format!("\n{}", refused.join("\n")))
        }
    };
    let git_timeout = match non_empty_env(team_config::GIT_TIMEOUT_ENV) {
        None => team_config::DEFAULT_GIT_TIMEOUT,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_secs)
            .map_err(|_| {
                Error::Usage(format!(
                    "{}='{v}' is not a number of seconds",
                    team_config::GIT_TIMEOUT_ENV
                ))
            })?,
    };
    let opts = team_config::InitOptions {
        team: team.clone(),
        source,
        config_path: config_path.clone(),
        dry_run: args.dry_run,
        keep_other_teams: args.add,
        allow_executable_keys: args.allow_executable_keys,
        git_timeout,
    };
    let report = team_config::init(&opts, &validator).map_err(from_team_config)?;
    for finding in &report.findings {
        crate::warning!(
            "{}:{}: {finding} (lets AWS tools run a program or send requests elsewhere)",
            report.team_file,
            finding.line
        );
    }
    if report.dry_run && !report.findings.is_empty() && !args.allow_executable_keys {
        crate::notice!(
            "dry run: a real run refuses these keys unless you pass --allow-executable-keys"
        );
    }
    for w in warnings.borrow().iter() {
        crate::notice!("warning (already in the file, not changed by this team config): {w}");
    }

    let file = report.config_path.display();
    if report.dry_run {
        print!("{}", report.diff);
        if report.changed {
            crate::notice!(
                "dry run: would {} {file} with team {team} from {} (nothing written)",
                if report.created { "create" } else { "update" },
                report.team_file
            );
            for line in report.summary() {
                crate::notice!("{line}");
            }
        } else {
            crate::notice!(
                "dry run: {file} already has the current config of team {team} (nothing to write)"
            );
        }
        return Ok(0);
    }
    if !report.changed {
        crate::notice!(
            "{file} already has the current config of team {team} from {}: nothing written",
            report.team_file
        );
        return Ok(0);
    }
    if report.created {
        crate::notice!("created {file} with team {team} from {}", report.team_file);
    } else {
        crate::notice!("updated {file} with team {team} from {}", report.team_file);
    }
    if let Some(backup) = &report.backup_path {
        crate::notice!("backup of the old file: {}", backup.display());
    }
    // What this run did to the team's profiles, not every profile of the file: a config can
    // hold thousands.
    for line in report.summary() {
        crate::notice!("{line}");
    }
    Ok(0)
}

fn validate(args: ValidateArgs) -> Result<i32> {
    let path = args.file.unwrap_or_else(crate::paths::config_file);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Config(format!("config file {} does not exist", path.display()))
        } else {
            Error::Config(format!("cannot read config file {}: {e}", path.display()))
        }
    })?;
    let (summary, found) = problems(&path, &text);
    if !found.is_empty() {
        let lines: Vec<String> = found.into_iter().map(|p| p.message).collect();
        let n = lines.len();
        return Err(Error::Config(format!(
            "{}\n{}: {n} problem{}",
            lines.join("\n"),
            path.display(),
            if n == 1 { "" } else { "s" }
        )));
    }
    for warning in &summary.sdk_warnings {
        crate::warning!("{warning}");
    }
    let mut line = format!(
        "OK: {} profile{} in {}",
        summary.checked,
        if summary.checked == 1 { "" } else { "s" },
        path.display()
    );
    if !summary.skipped.is_empty() {
        line.push_str(&format!(
            " ({} not for aws-okta, not checked: {})",
            summary.skipped.len(),
            summary.skipped.join(", ")
        ));
    }
    println!("{line}");
    Ok(0)
}

fn migrate(args: MigrateArgs) -> Result<i32> {
    let path = args.file.unwrap_or_else(crate::paths::config_file);
    let path = crate::fsutil::resolve_symlink(&path);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Config(format!("cannot read config file {}: {e}", path.display())))?;
    let m = crate::config::migrate::migrate(&path, &text)?;
    for (name, why) in &m.skipped {
        crate::warning!("profile '{name}' not migrated: {why}");
    }
    if m.migrated.is_empty() {
        crate::notice!(
            "{}: nothing to migrate (every aws-okta profile already works with AWS SDKs)",
            path.display()
        );
        return Ok(0);
    }
    let label = path.display().to_string();
    if args.dry_run {
        print!(
            "{}",
            team_config::unified_diff(&text, &m.text, &label, &label)
        );
        crate::notice!(
            "dry run: would migrate {} profile{} in {label}: {} (nothing written)",
            m.migrated.len(),
            if m.migrated.len() == 1 { "" } else { "s" },
            m.migrated.join(", ")
        );
        return Ok(0);
    }
    let backup = team_config::backup(&path, text.as_bytes()).map_err(from_team_config)?;
    // The file keeps its mode (the rewrite adds no secret).
    #[cfg(unix)]
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&path)
            .map_err(|e| Error::io(format!("cannot read {label}"), e))?
            .permissions(),
    ) & 0o7777;
    #[cfg(not(unix))]
    let mode = 0o600;
    crate::fsutil::write_atomic(&path, m.text.as_bytes(), mode)
        .map_err(|e| Error::io(format!("cannot write {label}"), e))?;
    crate::notice!(
        "migrated {} profile{} in {label}: {}\nbackup of the old file: {}",
        m.migrated.len(),
        if m.migrated.len() == 1 { "" } else { "s" },
        m.migrated.join(", "),
        backup.display()
    );
    Ok(0)
}

/// One problem of a config file; `profile` is `None` for a malformed file.
#[derive(Debug)]
pub(super) struct Problem {
    pub(super) profile: Option<String>,
    /// The line a syntax problem is on (problems are listed in file order).
    pub(super) line: Option<usize>,
    pub(super) message: String,
}

#[derive(Debug, Default)]
pub(super) struct Summary {
    /// aws-okta profiles whose chain was resolved.
    pub(super) checked: usize,
    /// Profiles left to other tools (SSO, static keys, `credential_process`, plain settings).
    pub(super) skipped: Vec<String>,
    /// aws-okta profiles that AWS SDKs would misread, each with why and how to fix it.
    pub(super) sdk_warnings: Vec<String>,
}

/// Every problem `exec` would hit in `text`: each malformed line (parsed with `exec`'s own
/// parser; a malformed line is blanked and the file parsed again to find the next one), then
/// each aws-okta profile resolved with `Chain::resolve` (cycles, missing source profiles, bad
/// ARNs, bad durations, no `aws_saml_url`), deduplicated, in file order.
pub(super) fn problems(path: &Path, text: &str) -> (Summary, Vec<Problem>) {
    let mut found = Vec::new();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut blanked = BTreeSet::new();
    // The ini parser silently folds a line without `=` into the next key (and so can swallow
    // the section headers after it): report such lines and leave them out.
    for (i, raw) in lines.iter_mut().enumerate() {
        let t = raw.trim();
        let stray = !t.is_empty()
            && !t.starts_with('#')
            && !t.starts_with(';')
            && !t.starts_with('[')
            && !t.contains('=')
            && !t.contains(':');
        if stray {
            found.push(Problem {
                profile: None,
                line: Some(i + 1),
                message: format!(
                    "{}:{}: malformed config: '{t}' is not a `key = value` line",
                    path.display(),
                    i + 1
                ),
            });
            blanked.insert(i + 1);
            let nl = if raw.ends_with('\n') { "\n" } else { "" };
            *raw = format!("#{nl}");
        }
    }
    let cfg = loop {
        // `profile_map()` parses every section, so each malformed line is found (and keeps
        // the parse for the checks below: no second parse, no copy).
        let parsed = ConfigFile::parse(path, &lines.concat()).and_then(|cfg| {
            cfg.profile_map()?;
            Ok(cfg)
        });
        match parsed {
            Ok(cfg) => break Some(cfg),
            Err(e) => {
                let line = match &e {
                    Error::ConfigSyntax { line, .. } => Some(*line),
                    _ => None,
                };
                found.push(Problem {
                    profile: None,
                    line,
                    message: e.to_string(),
                });
                match line {
                    Some(n) if n >= 1 && n <= lines.len() && blanked.insert(n) => {
                        let nl = if lines[n - 1].ends_with('\n') {
                            "\n"
                        } else {
                            ""
                        };
                        lines[n - 1] = format!("#{nl}");
                    }
                    _ => break None,
                }
            }
        }
    };
    found.sort_by_key(|p| p.line);
    let mut summary = Summary::default();
    let Some((cfg, Ok(profiles))) = cfg.as_ref().map(|cfg| (cfg, cfg.profile_map())) else {
        return (summary, found);
    };

    let mut chain_problems: Vec<(usize, String, String)> = Vec::new();
    for name in profiles.keys() {
        if !crate::config::served_by_aws_okta(profiles, name) {
            summary.skipped.push(name.clone());
            continue;
        }
        summary.checked += 1;
        if let Some(why) = profiles
            .get(name)
            .and_then(|section| crate::config::sdk_problem(section, name))
        {
            summary.sdk_warnings.push(format!(
                "profile '{name}' ({}): {why}; aws-okta commands work, but for AWS_PROFILE={name} with the AWS CLI, SDKs, IDEs and Terraform run `aws-okta config migrate`",
                cfg.location(name)
            ));
        }
        if let Err(e) = Chain::resolve(cfg, name) {
            let line = profiles.get(name).map(|s| s.line).unwrap_or(0);
            chain_problems.push((line, name.clone(), e.to_string()));
        }
    }
    chain_problems.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut seen = BTreeSet::new();
    for (_, profile, message) in chain_problems {
        if seen.insert(message.clone()) {
            found.push(Problem {
                profile: Some(profile),
                line: None,
                message,
            });
        }
    }
    (summary, found)
}

/// Maps the team-config crate's errors onto the CLI's exit codes at the edge.
fn from_team_config(e: team_config::Error) -> Error {
    use team_config::Error as E;
    match e {
        E::InvalidTeamName(_) => Error::Usage(e.to_string()),
        E::Io { path, source } => Error::io(path.display(), source),
        E::Invalid(_)
        | E::ManagedBlock { .. }
        | E::TeamNotFound { .. }
        | E::Git { .. }
        | E::Validation { .. }
        | E::DangerousKeys { .. } => Error::Config(e.to_string()),
    }
}
