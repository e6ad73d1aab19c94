//! Picking many profiles at once (`aws-okta each`): shell-style globs on profile names, and
//! the profiles of a team's block that `config init` installed.
use super::{served_by_aws_okta, ConfigFile};
use crate::{Error, Result};

/// Whether `name` matches the shell-style `pattern`: `*` any run of characters, `?` one
/// character, `[abc]`, `[a-z]` and `[!abc]` one character of (not of) a set; anything else
/// matches itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*` (linear for the usual
    // patterns, never exponential).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        // An unclosed `[` is a literal.
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A `[...]` set at `p[start]`: whether `c` is in it and the index after it; `None` when the
/// `[` is not closed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}

/// The aws-okta profiles of `cfg` that `patterns` pick (each pattern must pick at least one),
/// within the profiles of `teams` when teams are given; sorted by name, each once. Profiles
/// that other tools serve (SSO, static keys) are never picked.
pub fn select_profiles(
    cfg: &ConfigFile,
    patterns: &[String],
    teams: &[String],
) -> Result<Vec<String>> {
    let profiles = cfg.profiles()?;
    let served: Vec<&String> = profiles
        .keys()
        .filter(|name| served_by_aws_okta(&profiles, name))
        .collect();
    let mut pool: Vec<&String> = served.clone();
    if !teams.is_empty() {
        let text = std::fs::read_to_string(&cfg.path).map_err(|e| {
            Error::Config(format!(
                "cannot read config file {}: {e}",
                cfg.path.display()
            ))
        })?;
        let blocks = aws_okta_team_config::team_blocks(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", cfg.path.display())))?;
        let mut members: Vec<&String> = Vec::new();
        for team in teams {
            let Some((_, names)) = blocks.iter().find(|(t, _)| t == team) else {
                let known: Vec<&str> = blocks.iter().map(|(t, _)| t.as_str()).collect();
                return Err(Error::Config(format!(
                    "{} has no block of team '{team}' (`# BEGIN aws-okta team {team}`; {}): install it with `aws-okta config init --team {team} --add`",
                    cfg.path.display(),
                    if known.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("it has {}", known.join(", "))
                    }
                )));
            };
            members.extend(served.iter().copied().filter(|p| names.contains(p)));
        }
        pool = members;
    }
    let mut picked: Vec<String> = Vec::new();
    if patterns.is_empty() {
        picked.extend(pool.iter().map(|p| p.to_string()));
    }
    for pattern in patterns {
        let before = picked.len();
        picked.extend(
            pool.iter()
                .filter(|p| glob_match(pattern, p))
                .map(|p| p.to_string()),
        );
        if picked.len() == before {
            let within = if teams.is_empty() {
                String::new()
            } else {
                format!(" of team {}", teams.join(", "))
            };
            return Err(Error::Usage(format!(
                "no aws-okta profile{within} matches '{pattern}' (`aws-okta list` shows them)"
            )));
        }
    }
    picked.sort();
    picked.dedup();
    if picked.is_empty() {
        return Err(Error::Usage(format!(
            "team {} has no aws-okta profile",
            teams.join(", ")
        )));
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (pattern, name) in [
            ("prod-*", "prod-readonly"),
            ("*", "x"),
            ("*-readonly", "prod-readonly"),
            ("p?od", "prod"),
            ("acct-[0-4]", "acct-3"),
            ("acct-[!0-4]", "acct-7"),
            ("a*b*c", "aXXbYYc"),
            ("exact", "exact"),
            ("[x", "[x"),
        ] {
            assert!(glob_match(pattern, name), "{pattern} ~ {name}");
        }
        for (pattern, name) in [
            ("prod-*", "dev-prod"),
            ("p?od", "pod"),
            ("acct-[0-4]", "acct-7"),
            ("acct-[!0-4]", "acct-3"),
            ("a*b*c", "aXXbYY"),
            ("exact", "exact2"),
        ] {
            assert!(!glob_match(pattern, name), "{pattern} !~ {name}");
        }
    }

    const CONFIG: &str = "[okta]\naws_saml_url = home/amazon_aws/x/1\n\
        [profile hub]\nokta_role_arn = arn:aws:iam::111111111111:role/hub\n\
        # BEGIN aws-okta team pay\n\
        [profile pay-prod]\nokta_source_profile = hub\nokta_role_arn = arn:aws:iam::222222222222:role/r\n\
        [profile pay-dev]\nokta_source_profile = hub\nokta_role_arn = arn:aws:iam::333333333333:role/r\n\
        # END aws-okta team pay\n\
        [profile data-prod]\nokta_source_profile = hub\nokta_role_arn = arn:aws:iam::444444444444:role/r\n\
        [profile sso]\nsso_session = corp\n";

    fn cfg(dir: &tempfile::TempDir) -> ConfigFile {
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).unwrap();
        ConfigFile::load(&path).unwrap()
    }

    #[test]
    fn patterns_and_teams_pick_aws_okta_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = cfg(&dir);
        let pick = |p: &[&str], t: &[&str]| {
            select_profiles(
                &cfg,
                &p.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &t.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(pick(&["*-prod"], &[]).unwrap(), ["data-prod", "pay-prod"]);
        assert_eq!(pick(&["*"], &[]).unwrap().len(), 4, "not the SSO profile");
        assert_eq!(pick(&[], &["pay"]).unwrap(), ["pay-dev", "pay-prod"]);
        assert_eq!(pick(&["*-prod"], &["pay"]).unwrap(), ["pay-prod"]);
        assert_eq!(
            pick(&["pay-*", "*-prod"], &[]).unwrap(),
            ["data-prod", "pay-dev", "pay-prod"]
        );
        let err = pick(&["nothing-*"], &[]).unwrap_err();
        assert!(err.to_string().contains("nothing-*"), "{err}");
        assert!(pick(&["sso"], &[]).is_err());
        let err = pick(&[], &["ops"]).unwrap_err();
        assert!(err.to_string().contains("it has pay"), "{err}");
    }
}
