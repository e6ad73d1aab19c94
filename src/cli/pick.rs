//! Choosing a profile without typing its name: `exec`, `env` and `login` without a PROFILE on
//! a terminal show the profiles aws-okta serves, most recently used first, filtered as you
//! type. The recent list is a small plain file (profile names only, no secret) in aws-okta's
//! state directory, written only when the most recent profile changes.
use crate::config::ConfigFile;
use crate::{Error, Result};
use std::path::PathBuf;

/// How many profile names the recent list keeps.
const KEEP: usize = 50;

fn recent_path() -> PathBuf {
    crate::paths::state_dir().join("recent-profiles")
}

fn recent() -> Vec<String> {
    std::fs::read_to_string(recent_path())
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Records that `profile` was just used (best effort: a failure only loses the ordering).
pub fn touch(profile: &str) {
    let mut names = recent();
    if names.first().map(String::as_str) == Some(profile) {
        return;
    }
    names.retain(|n| n != profile);
    names.insert(0, profile.to_string());
    names.truncate(KEEP);
    let dir = crate::paths::state_dir();
    if crate::fsutil::ensure_private_dir(&dir).is_ok() {
        let _ = crate::fsutil::write_atomic(&recent_path(), names.join("\n").as_bytes(), 0o600);
    }
}

/// `profiles` reordered: recently used ones first (most recent first), then the rest in order.
pub fn by_recency(profiles: Vec<String>, recent: &[String]) -> Vec<String> {
    let mut ordered: Vec<String> = recent
        .iter()
        .filter(|r| profiles.contains(r))
        .cloned()
        .collect();
    ordered.extend(profiles.into_iter().filter(|p| !recent.contains(p)));
    ordered
}

/// The profile given, or one the user picks on a terminal; without a terminal, the usage
/// error a missing argument always was (exit 2).
pub fn profile(given: Option<String>, command: &str) -> Result<String> {
    if let Some(name) = given {
        return Ok(name);
    }
    if !crate::terminal::interactive() {
        return Err(Error::Usage(format!(
            "the following required arguments were not provided: <PROFILE>\\n\\nUsage: aws-okta {command} <PROFILE>"
        )));
    }
    let cfg = ConfigFile::load(&crate::paths::config_file())?;
    let all = cfg.profiles()?;
    let served: Vec<String> = all
        .keys()
        .filter(|name| crate::config::served_by_aws_okta(&all, name))
        .cloned()
        .collect();
    if served.is_empty() {
        return Err(Error::Config(format!(
            "no aws-okta profile in {}: see `aws-okta config init` or the README's Set up",
            cfg.path.display()
        )));
    }
    let choices = by_recency(served, &recent());
    let index = crate::terminal::fuzzy_select("Profile (type to filter)", &choices)
        .map_err(Error::Usage)?;
    Ok(choices[index].clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn recent_profiles_come_first_and_unknown_ones_are_dropped() {
        let profiles = ["a", "b", "c", "d"].map(String::from).to_vec();
        let recent = ["c", "gone", "a"].map(String::from);
        assert_eq!(super::by_recency(profiles, &recent), ["c", "a", "b", "d"]);
    }
}
