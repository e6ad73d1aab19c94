use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::scan::DangerousKey;

/// One problem in an input file, reported as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Every error this crate returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source of truth (or a config file) is invalid; one diagnostic per problem, sorted by
    /// line. Displayed one `path:line: message` per line.
    #[error("{}", join_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),

    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A managed block in a config file is malformed (see [`crate::merge_managed_block`]).
    /// `line` is 1-based; the caller knows which file it is.
    #[error("line {line}: {message}")]
    ManagedBlock { line: usize, message: String },

    /// `--team` is not a valid team name.
    #[error("invalid team name `{0}`: use lowercase letters, digits and `-`")]
    InvalidTeamName(String),

    /// The source has no `teams/<team>.config`.
    #[error("{}", team_not_found(.team, .origin, .available))]
    TeamNotFound {
        team: String,
        /// The `--source` as given.
        origin: String,
        /// Teams the source does have.
        available: Vec<String>,
    },

    /// `git clone` of a `--source` URL failed.
    #[error("cannot clone {url}: {message}")]
    Git { url: String, message: String },

    /// The team config has keys that would make AWS tools run programs or send requests or
    /// credentials elsewhere (see [`crate::dangerous_keys`]), and `allow_executable_keys` was
    /// not set. Nothing was written. Like [`Error::Invalid`], this is a problem with the input
    /// (the CLI's configuration-error exit code). Displayed as one
    /// `<team file>:<line>: [<section>] <key> = <value>` line per finding between a heading and
    /// a closing line that names `--allow-executable-keys`.
    #[error("{}", dangerous_keys(.team_file, .findings))]
    DangerousKeys {
        /// Where the team config came from, as in [`crate::InitReport::team_file`].
        team_file: String,
        findings: Vec<DangerousKey>,
    },

    /// The merged config was rejected by the caller's validator (the parser `exec` uses).
    #[error("refusing to write {}: the result would not be valid: {message}", .path.display())]
    Validation { path: PathBuf, message: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The diagnostics of an [`Error::Invalid`], empty for other errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn join_diagnostics(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn dangerous_keys(team_file: &str, findings: &[DangerousKey]) -> String {
    let mut s = String::from(
        "refusing to install this team config: these keys would make AWS tools run programs or send requests or credentials elsewhere:",
    );
    for f in findings {
        s.push_str(&format!("\n{team_file}:{}: {f}", f.line));
    }
    s.push_str(
        "\nreview them, and re-run with --allow-executable-keys if you trust the team repository",
    );
    s
}

fn team_not_found(team: &str, origin: &str, available: &[String]) -> String {
    let mut s = format!("team `{team}` not found in {origin}: no teams/{team}.config");
    if available.is_empty() {
        s.push_str(" (and no teams/*.config at all)");
    } else {
        s.push_str(&format!(" (available: {})", available.join(", ")));
    }
    s
}
