//! The source of truth of aws-okta's hub-and-spoke layout, and the team configs built from it.
//!
//! * [`generate`] reads `team-configs/org.toml` (format: `docs/hub-and-spoke.md`) and returns
//!   one `teams/<team>.config` per team plus `generated/terraform.json`, the input of
//!   `terraform/examples/hub-and-spoke`; [`write_files`] writes them and [`stale_files`] says
//!   which are out of date (`aws-okta config generate --check`).
//! * [`init`] installs one team's config into `~/.aws/config` inside a managed block
//!   (`aws-okta config init --team NAME`), replacing other teams' blocks unless asked to keep
//!   them (`--add`); [`merge_managed_block`] is its pure core, and
//!   [`dangerous_keys`] the check that keeps a compromised team repository from making the
//!   user's AWS tools run programs or send credentials elsewhere.
//!
//! The CLI subcommands are thin wrappers around these functions.

mod check;
mod diff;
mod error;
mod files;
mod init;
mod org;
mod render;
mod scan;

use std::fs;
use std::path::{Path, PathBuf};

pub use diff::unified_diff;
pub use error::{Diagnostic, Error};
pub use files::{stale_files, write_files};
pub use init::{
    backup, block_markers, init, merge_managed_block, team_blocks, InitOptions, InitReport, Merged,
    OtherTeams, ProfileChanges, RemovedTeam, BACKUP_INFIX, DEFAULT_GIT_TIMEOUT, GIT_TIMEOUT_ENV,
    SUMMARY_NAMES,
};
pub use scan::{dangerous_keys, is_aws_okta_cred_process, saml_url_leaves_org, DangerousKey};

/// The default `--source` of `aws-okta config generate`, relative to the repository root.
pub const DEFAULT_SOURCE: &str = "team-configs/org.toml";

/// Where the Terraform input goes, relative to the source's directory.
pub const TERRAFORM_JSON: &str = "generated/terraform.json";

/// Where team configs go, relative to the source's directory (`teams/<team>.config`).
pub const TEAMS_DIR: &str = "teams";

/// A file [`generate`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative to the directory of the source file (e.g. `teams/oncall.config`).
    pub path: PathBuf,
    pub contents: String,
}

/// Reads and validates `source` (an `org.toml`) and renders every generated file, in a fixed
/// order (teams by name, then the Terraform JSON). The output depends only on the contents of
/// `source` and its file name. Every problem found is reported as one
/// [`Diagnostic`] (`path:line: message`) in [`Error::Invalid`].
pub fn generate(source: &Path) -> Result<Vec<GeneratedFile>, Error> {
    let src = fs::read_to_string(source).map_err(|e| Error::io(source, e))?;
    generate_from_str(source, &src)
}

/// [`generate`] on contents already read; `source` is used for messages and the header only.
pub fn generate_from_str(source: &Path, src: &str) -> Result<Vec<GeneratedFile>, Error> {
    let org = org::parse(source, src)?;
    let mut order: Vec<usize> = (0..org.teams.len()).collect();
    order.sort_by(|a, b| org.teams[*a].name.cmp(&org.teams[*b].name));
    let mut files: Vec<GeneratedFile> = order
        .into_iter()
        .map(|i| GeneratedFile {
            path: Path::new(TEAMS_DIR).join(format!("{}.config", org.teams[i].name)),
            contents: render::team_config(&org, i),
        })
        .collect();
    files.push(GeneratedFile {
        path: PathBuf::from(TERRAFORM_JSON),
        contents: render::terraform_json(&org),
    });
    Ok(files)
}

/// The directory generated paths are relative to: the source file's directory.
pub fn output_dir(source: &Path) -> PathBuf {
    match source.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
