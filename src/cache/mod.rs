//! What makes the second command free: credentials of each hop and the Okta session, kept in
//! the keychain, and a lock per Okta account so parallel invocations share one login.
mod index;

pub use index::{CredentialEntry, Index, SessionEntry};

use crate::config::{AssumeRoleHop, Chain};
use crate::keychain::Keychain;
use crate::provider::Credentials;
use crate::{Error, Result};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::time::Duration;
use zeroize::Zeroizing;

/// Credentials closer than this to expiry are refreshed (`AWS_OKTA_EXPIRY_WINDOW`).
pub const DEFAULT_EXPIRY_WINDOW: Duration = Duration::from_secs(300);

/// `AWS_OKTA_EXPIRY_WINDOW`, else [`DEFAULT_EXPIRY_WINDOW`]: how close to expiry credentials
/// count as expiring (in the cache and in the `exec --server` memory alike).
pub fn expiry_window() -> Duration {
    std::env::var("AWS_OKTA_EXPIRY_WINDOW")
        .ok()
        .and_then(|v| crate::config::parse_duration(&v).ok())
        .unwrap_or(DEFAULT_EXPIRY_WINDOW)
}

/// Identifies one hop's credentials: the hop's profile plus a digest of everything that
/// shaped them (upstream hops, role, durations, external id), so a config edit misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub profile: String,
    digest: String,
}

impl CacheKey {
    pub fn item(&self) -> String {
        format!("aws-creds-{}-{}", self.profile, &self.digest[..16])
    }

    /// Keys of every hop of a chain: the SAML hop first, the target profile last.
    pub fn for_chain(chain: &Chain) -> Vec<CacheKey> {
        let saml = &chain.saml;
        let mut keys = vec![CacheKey {
            profile: saml.profile.clone(),
            digest: digest(&[
                "saml",
                chain.okta.account_label(),
                &chain.okta.aws_saml_url,
                saml.role_arn.as_deref().unwrap_or("*"),
                &saml.session_ttl.as_secs().to_string(),
            ]),
        }];
        for hop in &chain.hops {
            let parent = keys.last().map(|k| k.digest.clone()).unwrap_or_default();
            keys.push(CacheKey::hop(&parent, hop));
        }
        keys
    }

    fn hop(parent: &str, hop: &AssumeRoleHop) -> CacheKey {
        CacheKey {
            profile: hop.profile.clone(),
            digest: digest(&[
                "assume",
                parent,
                &hop.role_arn,
                hop.external_id.as_deref().unwrap_or(""),
                hop.role_session_name.as_deref().unwrap_or(""),
                &hop.ttl.as_secs().to_string(),
            ]),
        }
    }
}

fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

pub struct Cache<'a> {
    keychain: &'a dyn Keychain,
    /// Where AWS credentials go when not in `keychain` (`keychain::credential_cache`).
    sealed: Option<Box<dyn Keychain>>,
    window: chrono::Duration,
}

#[derive(Deserialize)]
struct StoredSession {
    sid: SecretString,
}

#[derive(Serialize)]
struct SessionOut<'a> {
    sid: &'a str,
}

impl<'a> Cache<'a> {
    pub fn new(keychain: &'a dyn Keychain) -> Cache<'a> {
        let window = expiry_window();
        Cache {
            keychain,
            sealed: crate::keychain::credential_cache(keychain.backend()),
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(5)),
        }
    }

    /// The store that holds AWS credentials.
    fn credential_store(&self) -> &dyn Keychain {
        self.sealed.as_deref().unwrap_or(self.keychain)
    }

    /// Fresh cached credentials for the hop, or `None` (missing, expiring, or unreadable:
    /// a corrupt entry is treated as a miss and overwritten by the next store).
    pub fn credentials(&self, key: &CacheKey) -> Result<Option<Credentials>> {
        let item = key.item();
        // An entry the store cannot hand back (corrupt, truncated, sealed with another key) is
        // a miss like any other and is overwritten by the next store. A store that is locked
        // or unreachable fails again, with its own message, when the login reads the Okta
        // credentials from it.
        let data = match self.credential_store().get(&item) {
            Ok(Some(data)) => data,
            Ok(None) => {
                tracing::debug!(item, "cache miss");
                return Ok(None);
            }
            Err(e) => {
                tracing::debug!(item, error = %e, "cache entry unreadable; ignoring it");
                return Ok(None);
            }
        };
        let creds: Credentials = match serde_json::from_slice(&data) {
            Ok(c) => c,
            Err(_) => {
                tracing::debug!(item, "cache entry unreadable; ignoring it");
                return Ok(None);
            }
        };
        if creds.expiration - Utc::now() <= self.window {
            tracing::debug!(item, expiration = %creds.expiration, "cached credentials expire soon");
            return Ok(None);
        }
        tracing::debug!(item, expiration = %creds.expiration, "cache hit");
        Ok(Some(creds))
    }

    /// Caches fresh credentials, best effort: credentials the local clock already sees as
    /// expiring are not kept (the clock is ahead of AWS's: say so), and a store that cannot be
    /// written costs the next command a login, never this one its credentials.
    pub fn keep(&self, key: &CacheKey, creds: &Credentials) {
        let now = Utc::now();
        if creds.expiration - now <= self.window {
            eprintln!(
                "warning: STS says the credentials of profile '{}' expire at {}, but this machine's clock reads {}: check the system clock (e.g. `timedatectl`); they are used but not cached",
                key.profile,
                creds.expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
            return;
        }
        if let Err(e) = self.store_credentials(key, creds) {
            eprintln!(
                "warning: cannot cache the credentials of profile '{}' ({e}); they are used, but the next command logs in again",
                key.profile
            );
        }
    }

    pub fn store_credentials(&self, key: &CacheKey, creds: &Credentials) -> Result<()> {
        let data = Zeroizing::new(serde_json::to_vec(creds).map_err(|e| Error::Io(e.to_string()))?);
        let item = key.item();
        self.credential_store().set(&item, &data)?;
        let entry = CredentialEntry {
            backend: self.keychain.backend().name().to_string(),
            profile: key.profile.clone(),
            role_arn: creds.assumed_role_arn.clone(),
            expiration: creds.expiration,
        };
        Index::update(|index| {
            index
                .credentials
                .insert(Index::key(&entry.backend, &item), entry);
        })
    }

    /// Deletes cached AWS credentials of this backend (of one profile, or all); returns how many.
    pub fn clear_credentials(&self, profile: Option<&str>) -> Result<usize> {
        let backend = self.keychain.backend().name();
        let doomed: Vec<String> = Index::load()
            .credentials
            .into_iter()
            .filter(|(_, e)| e.backend == backend && profile.is_none_or(|p| p == e.profile))
            .map(|(key, _)| key)
            .collect();
        for key in &doomed {
            let item = Index::item(key);
            self.credential_store().delete(item)?;
            if self.sealed.is_some() {
                // Written under the passphrase key before the kernel key existed (or while the
                // kernel keyring was unavailable).
                self.keychain.delete(item)?;
            }
        }
        if profile.is_none() && self.sealed.is_some() {
            crate::keychain::forget_credential_cache_key();
        }
        Index::update(|index| {
            for key in &doomed {
                index.credentials.remove(key);
            }
        })?;
        Ok(doomed.len())
    }

    /// Forgets every Okta session of this backend; returns the accounts.
    pub fn clear_okta_sessions(&self) -> Result<Vec<String>> {
        let backend = self.keychain.backend().name();
        let accounts: Vec<String> = Index::load()
            .sessions
            .into_values()
            .filter(|e| e.backend == backend)
            .map(|e| e.account)
            .collect();
        for account in &accounts {
            self.forget_okta_session(account)?;
        }
        Ok(accounts)
    }

    pub fn keychain(&self) -> &'a dyn Keychain {
        self.keychain
    }

    pub fn okta_session(&self, account: &str) -> Result<Option<SecretString>> {
        let Some(data) = self.keychain.get(&session_item(account))? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice::<StoredSession>(&data)
            .ok()
            .map(|s| s.sid))
    }

    pub fn store_okta_session(&self, account: &str, sid: &SecretString) -> Result<()> {
        let data = Zeroizing::new(
            serde_json::to_vec(&SessionOut {
                sid: sid.expose_secret(),
            })
            .map_err(|e| Error::Io(e.to_string()))?,
        );
        let item = session_item(account);
        self.keychain.set(&item, &data)?;
        let entry = SessionEntry {
            backend: self.keychain.backend().name().to_string(),
            account: account.to_string(),
            stored_at: Utc::now(),
        };
        Index::update(|index| {
            index
                .sessions
                .insert(Index::key(&entry.backend, &item), entry);
        })
    }

    pub fn forget_okta_session(&self, account: &str) -> Result<()> {
        let item = session_item(account);
        self.keychain.delete(&item)?;
        let backend = self.keychain.backend().name();
        Index::update(|index| {
            index.sessions.remove(&Index::key(backend, &item));
            index.sessions.remove(&item); // as written before keys named the backend
        })
    }
}

fn session_item(account: &str) -> String {
    format!("okta-session-{account}")
}

/// An exclusive lock on `<state dir>/locks/<account>.lock`, held while one process logs in;
/// the others wait, then find the cache filled. Released when dropped (or the process dies).
pub struct LoginLock {
    _file: File,
}

impl LoginLock {
    pub fn acquire(account: &str) -> Result<LoginLock> {
        let dir = crate::config::state_dir().join("locks");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let safe: String = account
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{safe}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open lock file {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::debug!(lock = %path.display(), "waiting for another aws-okta login");
                file.lock()
                    .map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
        Ok(LoginLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigFile;
    use std::path::Path;

    fn chain(text: &str, profile: &str) -> Chain {
        Chain::resolve(&ConfigFile::parse(Path::new("c"), text).unwrap(), profile).unwrap()
    }

    const CFG: &str = "[okta]\naws_saml_url=a/b\n[profile hub]\nrole_arn=arn:aws:iam::111111111111:role/h\n\
                       [profile spoke]\nsource_profile=hub\nrole_arn=arn:aws:iam::222222222222:role/s\n";

    #[test]
    fn keys_follow_the_chain_and_change_with_the_config() {
        let keys = CacheKey::for_chain(&chain(CFG, "spoke"));
        assert_eq!(keys.len(), 2);
        assert!(keys[0].item().starts_with("aws-creds-hub-"));
        assert!(keys[1].item().starts_with("aws-creds-spoke-"));
        assert_eq!(
            keys[0],
            CacheKey::for_chain(&chain(CFG, "hub"))[0],
            "hub key shared"
        );
        let edited = CFG.replace("role/s", "role/t");
        assert_ne!(keys[1], CacheKey::for_chain(&chain(&edited, "spoke"))[1]);
        let longer = format!("{CFG}assume_role_ttl=30m\n");
        assert_ne!(keys[1], CacheKey::for_chain(&chain(&longer, "spoke"))[1]);
    }
}
