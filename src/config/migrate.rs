//! `config migrate`: rewrites segmentio-style aws-okta profiles (`role_arn`, `source_profile`,
//! which AWS SDKs misread) into the SDK-native form (`okta_role_arn`, `okta_source_profile`
//! and `credential_process = aws-okta cred-process <profile>`). Text in, text out, no I/O:
//! only the keys of migrated profiles change; every other byte stays as it was.
use super::{keys, served_by_aws_okta, Chain, ConfigFile};
use crate::{Error, Result};
use std::path::Path;

/// The rewritten text and what changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Migration {
    pub text: String,
    /// Profiles rewritten, in file order.
    pub migrated: Vec<String>,
    /// Profiles left as they are, with why.
    pub skipped: Vec<(String, String)>,
}

/// `[profile NAME]` or `[default]` → `NAME`; other sections → `None`.
fn profile_header(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?.split(']').next()?.trim();
    if inner == "default" {
        return Some("default".into());
    }
    let name = inner.strip_prefix("profile")?;
    name.starts_with(char::is_whitespace)
        .then(|| name.trim().to_string())
        .filter(|n| n != "okta")
}

/// The key of a `key = value` line (not a comment, header or continuation line).
fn key_of(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) {
        return None; // a continuation or nested key
    }
    let t = line.trim();
    if t.is_empty() || t.starts_with(['#', ';', '[']) {
        return None;
    }
    let end = t.find(['=', ':'])?;
    Some(t[..end].trim())
}

pub fn migrate(path: &Path, text: &str) -> Result<Migration> {
    let cfg = ConfigFile::parse(path, text)?;
    let profiles = cfg.profiles()?;
    let mut out = Migration::default();
    let wanted = |name: &str| -> bool {
        served_by_aws_okta(&profiles, name)
            && profiles
                .get(name)
                .is_some_and(|s| super::sdk_problem(s, name).is_some())
    };

    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Sections as (profile, first line index, end index exclusive).
    let mut sections: Vec<(Option<String>, usize, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with('[') {
            if let Some(last) = sections.last_mut() {
                last.2 = i;
            }
            sections.push((profile_header(line), i, lines.len()));
        }
    }
    let mut result = String::with_capacity(text.len() + 64 * profiles.len());
    let mut cursor = 0;
    for (name, start, end) in &sections {
        result.extend(lines[cursor..*start].iter().copied());
        cursor = *end;
        let section_lines = &lines[*start..*end];
        let Some(name) = name.as_ref().filter(|n| wanted(n)) else {
            result.extend(section_lines.iter().copied());
            continue;
        };
        if name.chars().any(char::is_whitespace) {
            out.skipped.push((
                name.clone(),
                "its name has a space, which credential_process cannot pass".into(),
            ));
            result.extend(section_lines.iter().copied());
            continue;
        }
        let mut rewritten: Vec<String> = section_lines.iter().map(|l| l.to_string()).collect();
        let mut has_process = false;
        let mut last_key_line = 0;
        for (i, line) in rewritten.iter_mut().enumerate().skip(1) {
            match key_of(line) {
                Some(k) if k == keys::ROLE_ARN || k == keys::SOURCE_PROFILE => {
                    let at = line.find(k).unwrap_or(0);
                    line.replace_range(at..at + k.len(), &format!("okta_{k}"));
                    last_key_line = i;
                }
                Some(k) => {
                    has_process |= k == keys::CREDENTIAL_PROCESS;
                    last_key_line = i;
                }
                None if line.starts_with(char::is_whitespace) && !line.trim().is_empty() => {
                    last_key_line = i; // a continuation belongs to the key above
                }
                None => {}
            }
        }
        if !has_process {
            let at = last_key_line;
            if !rewritten[at].ends_with('\n') {
                rewritten[at].push('\n');
            }
            rewritten.insert(
                at + 1,
                format!(
                    "{} = {}\n",
                    keys::CREDENTIAL_PROCESS,
                    keys::credential_process_for(name)
                ),
            );
        }
        result.extend(rewritten);
        out.migrated.push(name.clone());
    }
    let first = sections.first().map_or(lines.len(), |s| s.1);
    if sections.is_empty() {
        result.extend(lines[..first].iter().copied());
    }
    out.text = result;

    // The rewrite must mean exactly the same chains to aws-okta.
    let after = ConfigFile::parse(path, &out.text)?;
    for name in &out.migrated {
        let (old, new) = (Chain::resolve(&cfg, name), Chain::resolve(&after, name));
        match (old, new) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), Err(_)) => {}
            _ => {
                return Err(Error::Config(format!(
                    "migrating profile '{name}' would change what it means to aws-okta: nothing written; please report this"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEGMENTIO: &str = "# my config\r\n[okta]\naws_saml_url = home/amazon_aws/0oa1/272\n\n\
        [profile hub]\nrole_arn = arn:aws:iam::111111111111:role/hub ; team role\nregion=us-east-1\n\n\
        [profile prod]\n  # the spoke\nsource_profile = hub\nrole_arn    =  arn:aws:iam::222222222222:role/admin\n\n\
        [profile sso]\nsso_session = corp\n\n[sso-session corp]\nsso_region = us-east-1\n\
        [profile last]\nsource_profile = prod\nrole_arn = arn:aws:iam::333333333333:role/x";

    #[test]
    fn rewrites_only_the_chain_keys_and_adds_credential_process() {
        let m = migrate(Path::new("c"), SEGMENTIO).unwrap();
        assert_eq!(m.migrated, ["hub", "prod", "last"]);
        assert_eq!(
            m.text,
            "# my config\r\n[okta]\naws_saml_url = home/amazon_aws/0oa1/272\n\n\
        [profile hub]\nokta_role_arn = arn:aws:iam::111111111111:role/hub ; team role\nregion=us-east-1\ncredential_process = aws-okta cred-process hub\n\n\
        [profile prod]\n  # the spoke\nokta_source_profile = hub\nokta_role_arn    =  arn:aws:iam::222222222222:role/admin\ncredential_process = aws-okta cred-process prod\n\n\
        [profile sso]\nsso_session = corp\n\n[sso-session corp]\nsso_region = us-east-1\n\
        [profile last]\nokta_source_profile = prod\nokta_role_arn = arn:aws:iam::333333333333:role/x\ncredential_process = aws-okta cred-process last\n"
        );
        // Migrating again changes nothing.
        let again = migrate(Path::new("c"), &m.text).unwrap();
        assert!(again.migrated.is_empty());
        assert_eq!(again.text, m.text);
    }
}
