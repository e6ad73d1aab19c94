//! Where things live on disk: the AWS config file and aws-okta's own state directory. A leaf
//! (nothing of the crate below it), so config, keychains, caches and file helpers can all ask
//! without depending on each other. The two variables are the user's choice of place, read
//! where the place is needed (tests and `AWS_OKTA_HOME` per process rely on that).
use std::path::PathBuf;

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub fn config_file() -> PathBuf {
    match std::env::var_os("AWS_CONFIG_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => home_dir().join(".aws").join("config"),
    }
}

/// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` (`write-to-credentials`).
pub fn credentials_file() -> PathBuf {
    match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => home_dir().join(".aws").join("credentials"),
    }
}

/// Where aws-okta keeps its own state (locks, the `file` keychain, the sealed cache, account
/// records): `$AWS_OKTA_HOME` or `~/.aws-okta`.
pub fn state_dir() -> PathBuf {
    match std::env::var_os("AWS_OKTA_HOME") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => home_dir().join(".aws-okta"),
    }
}

pub fn home_dir() -> PathBuf {
    #[allow(deprecated)]
    std::env::home_dir().unwrap_or_else(|| PathBuf::from("."))
}
