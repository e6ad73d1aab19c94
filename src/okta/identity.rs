//! Which Okta user at which org an account label stands for, and the secrets bound to that.
//!
//! Keychain items are named by the account label (`okta-session-<label>`, `okta-device-<label>`,
//! `okta-oauth-<label>`, `okta-org-<label>`), but what they hold belongs to one user of one
//! org: a `sid`, a `DT` and a refresh token are bearer secrets of the org that issued them.
//! `aws-okta add` may point a label at another org or user, so
//!
//! * `add` forgets the items of the label when the identity changes (see `cli::add`), and
//! * every such item records the [`Identity`] it was issued for, and an item whose identity is
//!   not the account's current one is treated as absent (and deleted) when loaded. So nothing
//!   of one org is ever sent to another, even when the forgetting was skipped (an interrupted
//!   `add`, a keychain copied from elsewhere). Items written before they recorded an identity
//!   count as absent too: one extra login, once.
//!
//! The cache keys of AWS credentials include the identity as well (`cache::CacheKey`).
use super::OktaAccount;
use crate::keychain::Keychain;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use url::Url;

/// One Okta user at one org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The org's base URL as `okta::parse_domain` normalises it (`https://example.okta.com/`).
    pub domain: String,
    /// The Okta username, lower-cased: Okta compares logins case-insensitively, so `Alice@` and
    /// `alice@` are one user (and one session).
    pub username: String,
}

impl Identity {
    pub fn new(base: &Url, username: &str) -> Identity {
        Identity {
            domain: base.as_str().to_string(),
            username: username.trim().to_lowercase(),
        }
    }

    pub fn of(account: &OktaAccount) -> Identity {
        Identity::new(&account.base_url, &account.username)
    }

    /// Whether an item stored for `stored` may be used by this identity: only one issued for
    /// exactly this identity (an item without one predates identities and is not trusted).
    pub fn admits(&self, stored: Option<&Identity>) -> bool {
        stored == Some(self)
    }

    /// The org that issued items of this identity, where they may be sent back (to end a
    /// session or revoke a token); `None` if the recorded domain no longer parses.
    pub fn base_url(&self) -> Option<Url> {
        super::parse_domain(&self.domain).ok()
    }

    /// `alice@example.com at https://example.okta.com`, for messages.
    pub fn describe(&self) -> String {
        format!("{} at {}", self.username, self.domain.trim_end_matches('/'))
    }
}

/// Deletes an item that was issued for another identity (or for none); for the loaders of
/// identity-bound items. Best effort: an item that cannot be deleted is still not used.
/// Keychain `item` decoded as `T`, if it was issued for `identity` (`issued_for` reads that
/// from the decoded item): one issued for another identity, or for none (written before items
/// recorded it), is deleted and not returned; one that does not decode counts as absent.
pub fn load_for<T: serde::de::DeserializeOwned>(
    keychain: &dyn Keychain,
    item: &str,
    identity: &Identity,
    issued_for: impl Fn(&T) -> Option<&Identity>,
) -> Result<Option<T>> {
    let Some(data) = keychain.get(item)? else {
        return Ok(None);
    };
    let Ok(stored) = serde_json::from_slice::<T>(&data) else {
        return Ok(None);
    };
    if !identity.admits(issued_for(&stored)) {
        discard(keychain, item);
        return Ok(None);
    }
    Ok(Some(stored))
}

pub fn discard(keychain: &dyn Keychain, item: &str) {
    tracing::debug!(
        item,
        "keychain item was issued for another Okta identity (or predates identities); ignoring and deleting it"
    );
    if let Err(e) = keychain.delete(item) {
        tracing::debug!(item, error = %e, "cannot delete the item");
    }
}

// The account record: `$AWS_OKTA_HOME/accounts/<label>.json`, `{"account","domain","username"}`.
//
// Why a plain file next to the keychain item that already holds domain and username: the warm
// path (cached credentials still valid) needs the identity to compute the cache key, and the
// keychain item also holds the password. With the `file` backend, reading it means deriving
// the passphrase key with Argon2id (about 30 ms and 19 MiB); today a warm run reads only the
// sealed credential cache, and this keeps it so. The record holds nothing secret (the user's
// own org and login, as in `~/.aws/config`), is written by `add` (mode 0600, atomically), and
// by the cold path when it is missing (installs from before records) or disagrees with the
// keychain item, which stays the truth: every secret is checked against the identity of the
// keychain item, never against the record. A wrong record can only pick cache entries (AWS
// credentials this user obtained) or miss them; it never sends anything anywhere.

#[derive(Serialize, Deserialize)]
struct AccountRecord {
    /// The label itself, so a file that ended up under another name is not believed.
    account: String,
    domain: String,
    username: String,
}

fn records_dir() -> PathBuf {
    crate::paths::state_dir().join("accounts")
}

/// The file name of a label: letters, digits, `-` and `_` as they are, every other byte as
/// `%XX` (reversible, so two labels never share a record).
fn record_path(label: &str) -> PathBuf {
    let safe: String = label
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    records_dir().join(format!("{safe}.json"))
}

/// The identity `add` recorded for the label; `None` when there is no readable record.
pub fn recorded(label: &str) -> Option<Identity> {
    let data = std::fs::read(record_path(label)).ok()?;
    let record: AccountRecord = serde_json::from_slice(&data).ok()?;
    (record.account == label).then_some(Identity {
        domain: record.domain,
        username: record.username,
    })
}

/// Records the label's identity (mode 0600, atomic).
pub fn record(label: &str, identity: &Identity) -> Result<()> {
    let dir = records_dir();
    create_private_dir(&dir)?;
    let data = serde_json::to_vec_pretty(&AccountRecord {
        account: label.to_string(),
        domain: identity.domain.clone(),
        username: identity.username.clone(),
    })
    .map_err(Error::encode("the account record"))?;
    let path = record_path(label);
    crate::fsutil::write_atomic(&path, &data, 0o600)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Records the identity unless the record already says so; a record that cannot be written
/// costs later warm runs a read of the keychain item, nothing else.
pub fn ensure_recorded(label: &str, identity: &Identity) {
    if recorded(label).as_ref() == Some(identity) {
        return;
    }
    if let Err(e) = record(label, identity) {
        tracing::debug!(error = %e, "cannot record the Okta account's identity");
    }
}

/// Deletes the label's record; `Ok(false)` when there was none.
pub fn forget_record(label: &str) -> Result<bool> {
    let path = record_path(label);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("cannot delete {}", path.display()), e)),
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    crate::fsutil::private_state_dir(dir)
        .map_err(|e| Error::io(format!("cannot use {}", dir.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(domain: &str, user: &str) -> Identity {
        Identity::new(&super::super::parse_domain(domain).unwrap(), user)
    }

    #[test]
    fn identities_normalise_domain_and_username_case() {
        assert_eq!(
            id("example.okta.com", "Alice@Example.com"),
            id("https://example.okta.com/", "alice@example.com")
        );
        assert_ne!(
            id("example.okta.com", "alice@example.com"),
            id("other.okta.com", "alice@example.com")
        );
        assert_ne!(
            id("example.okta.com", "alice@example.com"),
            id("example.okta.com", "bob@example.com")
        );
        let a = id("example.okta.com", "alice@example.com");
        let same = id("https://example.okta.com", "alice@example.com");
        assert!(a.admits(Some(&same)));
        assert!(!a.admits(None), "items without an identity are not trusted");
        assert!(!a.admits(Some(&id("other.okta.com", "alice@example.com"))));
        assert_eq!(
            a.describe(),
            "alice@example.com at https://example.okta.com"
        );
        assert_eq!(a.base_url().unwrap().as_str(), "https://example.okta.com/");
    }

    #[test]
    fn record_file_names_are_reversible() {
        let a = record_path("a.b");
        let b = record_path("a_b");
        assert_ne!(a, b);
        assert!(record_path("../x").file_name().unwrap().to_string_lossy() == "%2E%2E%2Fx.json");
    }
}
