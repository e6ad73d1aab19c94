use super::{Global, ProfileArgs};
use crate::credentials::rfc3339;
use crate::{fsutil, Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: ProfileArgs,
    /// Credentials file (default $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).
    file: Option<PathBuf>,
    /// Write the credentials under this section name instead of the profile's own (for a
    /// profile whose ~/.aws/config entry AWS SDKs would use first).
    #[arg(long = "as", value_name = "NAME")]
    as_name: Option<String>,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

/// Config keys that make AWS SDKs get a profile's credentials before they look at the shared
/// credentials file (botocore's and the other SDKs' order: assume-role, web identity, SSO, then
/// the credentials file). A `[NAME]` written there for such a profile would never be used.
const SHADOWING_KEYS: &[&str] = &[
    crate::config::keys::ROLE_ARN,
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
];

const KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
];

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let path = args.file.unwrap_or_else(crate::paths::credentials_file);
    let section = args.as_name.as_deref().unwrap_or(&args.target.profile);
    refuse_shadowed(global, section, args.as_name.is_some())?;
    // Read (and fail on a bad file) before logging in, so nothing is lost either way.
    read_existing(&path)?;
    let (_, creds) = global.credentials(&args.target)?;
    // From the read to the write, no other aws-okta writes this file (a parallel
    // write-to-credentials of another profile would otherwise lose one of the two updates).
    // The login above runs outside the lock.
    let _lock = lock_file_for(&path)?;
    let existing = read_existing(&path)?;
    let values = [
        creds.access_key_id.as_str(),
        creds.secret_access_key.as_str(),
        creds.session_token.as_str(),
        &rfc3339(&creds.expiration),
    ];
    let pairs: Vec<(&str, &str)> = KEYS.into_iter().zip(values).collect();
    let updated = set_section(&existing, section, &pairs);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let backup = fsutil::backup(&path)
        .map_err(|e| Error::io(format!("cannot back up {}", path.display()), e))?;
    fsutil::write_atomic(&path, updated.as_bytes(), 0o600)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    crate::notice!(
        "Wrote credentials of profile {} as [{section}] (until {}) to {}{}",
        args.target.profile,
        rfc3339(&creds.expiration),
        path.display(),
        backup
            .map(|b| format!(" (previous file kept as {})", b.display()))
            .unwrap_or_default()
    );
    Ok(0)
}

/// Refuses a section the AWS CLI and SDKs would not read because `~/.aws/config` gives that
/// profile its credentials first.
fn refuse_shadowed(global: &Global, section: &str, chosen: bool) -> Result<()> {
    let cfg = global.load_config()?;
    let Some(profile) = cfg.profile(section)? else {
        return Ok(());
    };
    let Some(key) = SHADOWING_KEYS.iter().find(|k| profile.get(k).is_some()) else {
        return Ok(());
    };
    let fix = if chosen {
        "choose another --as NAME".to_string()
    } else {
        format!(
            "write it under another name with `--as {section}-creds` (then AWS_PROFILE={section}-creds), or run `aws-okta config migrate` so AWS_PROFILE={section} works without writing credentials at all"
        )
    };
    Err(Error::Config(format!(
        "AWS SDKs and the AWS CLI would ignore [{section}] in the credentials file: profile '{section}' ({}) sets {key}, which they use first; {fix}",
        cfg.location(section)
    )))
}

fn read_existing(path: &std::path::Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

/// An exclusive lock for writing `path`, kept in aws-okta's private state directory (named by
/// a digest of the file's resolved path), released when dropped.
fn lock_file_for(path: &std::path::Path) -> Result<std::fs::File> {
    use sha2::{Digest, Sha256};
    let target = fsutil::resolve_symlink(path);
    let absolute = std::path::absolute(&target).unwrap_or(target);
    let digest = hex::encode(Sha256::digest(absolute.as_os_str().as_encoded_bytes()));
    let dir = crate::paths::state_dir().join("locks");
    fsutil::private_state_dir(&dir)
        .map_err(|e| Error::io(format!("cannot use {}", dir.display()), e))?;
    fsutil::exclusive_lock(&dir.join(format!("credentials-file-{}.lock", &digest[..16])))
}

/// Sets `keys` in `[section]`, keeping every other line (other sections, comments, other keys
/// of the section) byte for byte; appends the section when it is missing.
fn set_section(text: &str, section: &str, keys: &[(&str, &str)]) -> String {
    let is_header = |line: &str| line.trim_start().starts_with('[');
    let header_name = |line: &str| {
        line.trim()
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let key_of = |line: &str| {
        line.split('=')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let ours: Vec<String> = keys.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();

    let mut out = String::with_capacity(text.len() + 512);
    let mut found = false;
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if is_header(line) {
            inside = header_name(line) == section;
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push('\n');
            }
            if inside && !found {
                found = true;
                ours.iter().for_each(|l| out.push_str(l));
            }
            continue;
        }
        if inside && keys.iter().any(|(k, _)| key_of(line) == *k) {
            continue; // replaced above
        }
        out.push_str(line);
    }
    if !found {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&format!("[{section}]\n"));
        ours.iter().for_each(|l| out.push_str(l));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::set_section;

    const KEYS: &[(&str, &str)] = &[("aws_access_key_id", "NEW"), ("aws_session_token", "TOK")];

    #[test]
    fn replaces_only_our_keys_in_our_section() {
        let text = "# top comment\n[default]\naws_access_key_id = KEEP\n\n[spoke]\n; note\naws_access_key_id = OLD\nregion = x\n[other]\na=1";
        let out = set_section(text, "spoke", KEYS);
        assert_eq!(
            out,
            "# top comment\n[default]\naws_access_key_id = KEEP\n\n[spoke]\naws_access_key_id = NEW\naws_session_token = TOK\n; note\nregion = x\n[other]\na=1"
        );
    }

    #[test]
    fn appends_a_missing_section_and_creates_from_nothing() {
        assert_eq!(
            set_section("", "p", KEYS),
            "[p]\naws_access_key_id = NEW\naws_session_token = TOK\n"
        );
        assert_eq!(
            set_section("[a]\nx=1", "p", KEYS),
            "[a]\nx=1\n\n[p]\naws_access_key_id = NEW\naws_session_token = TOK\n"
        );
    }

    #[test]
    fn is_idempotent() {
        let once = set_section("[a]\nx=1\n", "p", KEYS);
        assert_eq!(set_section(&once, "p", KEYS), once);
    }
}
