//! Where a team config comes from: a directory, or a git URL (cloned by `git.rs`).

use std::fs::{self};
use std::io::{self};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::blocks::{BEGIN_PREFIX, END_PREFIX};
use super::git::{git_clone, TempDir};
use crate::error::{Diagnostic, Error};
use crate::TEAMS_DIR;

/// Finds and reads the team's config in `source`; returns (description, contents).
pub(super) fn read_team_config(
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

pub(super) enum Source {
    Dir(PathBuf),
    Git(String),
}

pub(super) fn classify(source: &str) -> Source {
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
pub(super) fn scp_like(s: &str) -> bool {
    match s.split_once(':') {
        Some((host, path)) => {
            host.contains('@') && !host.contains('/') && !path.is_empty() && !path.starts_with("//")
        }
        None => false,
    }
}

/// Drops a password or token from `scheme://user:secret@host/...` for messages.
pub(super) fn redact(source: &str) -> String {
    if let Some((scheme, rest)) = source.split_once("://") {
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            return format!("{scheme}://{}", &rest[at + 1..]);
        }
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn redacts_userinfo() {
        assert_eq!(
            redact("https://me:tok@git.example.com/a.git"),
            "https://git.example.com/a.git"
        );
        assert_eq!(redact("git@host:a.git"), "git@host:a.git");
        assert_eq!(redact("/srv/x"), "/srv/x");
    }
}
