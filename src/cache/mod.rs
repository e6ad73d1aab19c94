//! What makes the second command free: credentials of each hop and the Okta session, kept in
//! the keychain, and a lock per Okta account so parallel invocations share one login.
mod index;

pub use index::{CredentialEntry, Index, SessionEntry};

use crate::config::{AssumeRoleHop, Chain};
use crate::credentials::Credentials;
use crate::keychain::Keychain;
use crate::okta::identity::Identity;
use crate::{Error, Result};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;
use zeroize::Zeroizing;

/// Identifies one hop's credentials: the hop's profile plus a digest of everything that
/// shaped them (the Okta identity, upstream hops, role, durations, external id), so a config
/// edit or another Okta org or user misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub profile: String,
    /// The Okta account label the chain logs in with (for `add` to find its credentials).
    pub account: String,
    digest: String,
}

impl CacheKey {
    pub fn item(&self) -> String {
        crate::keychain::items::aws_credentials(&self.profile, &self.digest)
    }

    /// Keys of every hop of a chain: the SAML hop first, the target profile last. `identity`
    /// is the Okta user and org the account label stands for: credentials a label obtained
    /// from one org are never served after it points at another (every later hop's digest
    /// covers the SAML hop's).
    pub fn for_chain(chain: &Chain, identity: &Identity) -> Vec<CacheKey> {
        let saml = &chain.saml;
        let account = chain.okta.account_label().to_string();
        let mut keys = vec![CacheKey {
            profile: saml.profile.clone(),
            account: account.clone(),
            digest: digest(&[
                "saml",
                chain.okta.account_label(),
                &identity.domain,
                &identity.username,
                &chain.okta.aws_saml_url,
                saml.role_arn.as_deref().unwrap_or("*"),
                &saml.session_ttl.as_secs().to_string(),
            ]),
        }];
        for hop in &chain.hops {
            let parent = keys.last().map(|k| k.digest.clone()).unwrap_or_default();
            keys.push(CacheKey::hop(&parent, &account, hop));
        }
        keys
    }

    fn hop(parent: &str, account: &str, hop: &AssumeRoleHop) -> CacheKey {
        CacheKey {
            profile: hop.profile.clone(),
            account: account.to_string(),
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

/// `okta-session-<account>`: the `sid` and the identity it was issued for.
#[derive(Deserialize)]
struct StoredSession {
    sid: SecretString,
    #[serde(default)]
    identity: Option<Identity>,
    /// When Okta said the session ends (`expiresAt` of the Sessions API), when known.
    #[serde(default)]
    expires_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Serialize)]
struct SessionOut<'a> {
    sid: &'a str,
    identity: &'a Identity,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<chrono::DateTime<Utc>>,
}

/// A cached Okta session: the `sid` and, when Okta said, when it ends.
pub struct CachedSession {
    pub sid: SecretString,
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

impl<'a> Cache<'a> {
    /// The cache with the default expiry window (enough for the commands that only store
    /// or clear); a login takes the user's with [`Cache::expiring_within`].
    pub fn new(keychain: &'a dyn Keychain) -> Cache<'a> {
        Cache {
            keychain,
            sealed: crate::keychain::credential_cache(keychain.backend()),
            window: chrono::Duration::minutes(5),
        }
    }

    /// Credentials closer than `window` to expiry count as expiring (`AWS_OKTA_EXPIRY_WINDOW`).
    pub fn expiring_within(self, window: Duration) -> Cache<'a> {
        Cache {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(5)),
            ..self
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
            crate::warning!(
                "STS says the credentials of profile '{}' expire at {}, but this machine's clock reads {}: check the system clock (e.g. `timedatectl`); they are used but not cached",
                key.profile,
                crate::credentials::rfc3339(&creds.expiration),
                crate::credentials::rfc3339(&now),
            );
            return;
        }
        if let Err(e) = self.store_credentials(key, creds) {
            crate::warning!(
                "cannot cache the credentials of profile '{}' ({e}); they are used, but the next command logs in again",
                key.profile
            );
        }
    }

    pub fn store_credentials(&self, key: &CacheKey, creds: &Credentials) -> Result<()> {
        let data =
            Zeroizing::new(serde_json::to_vec(creds).map_err(Error::encode("AWS credentials"))?);
        let item = key.item();
        self.credential_store().set(&item, &data)?;
        let entry = CredentialEntry {
            backend: self.keychain.backend().name().to_string(),
            profile: key.profile.clone(),
            account: Some(key.account.clone()),
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
        let removed = self.clear_credentials_where(|e| profile.is_none_or(|p| p == e.profile))?;
        if profile.is_none() && self.sealed.is_some() {
            crate::keychain::forget_credential_cache_key(self.keychain.backend());
        }
        Ok(removed)
    }

    /// Deletes the cached AWS credentials an Okta account's logins produced (for `add` when the
    /// account's identity changes); returns how many. Entries from before the index recorded
    /// the account go too: their keys lack the identity, so no run can hit them any more.
    pub fn clear_account_credentials(&self, account: &str) -> Result<usize> {
        self.clear_credentials_where(|e| e.account.as_deref().is_none_or(|a| a == account))
    }

    fn clear_credentials_where(&self, doomed: impl Fn(&CredentialEntry) -> bool) -> Result<usize> {
        let backend = self.keychain.backend().name();
        let doomed: Vec<String> = Index::load()
            .credentials
            .into_iter()
            .filter(|(_, e)| e.backend == backend && doomed(e))
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
        Index::update(|index| {
            for key in &doomed {
                index.credentials.remove(key);
            }
        })?;
        Ok(doomed.len())
    }

    /// The accounts with a cached Okta session in this backend (by the index), for `logout`.
    pub fn okta_session_accounts(&self) -> Vec<String> {
        let backend = self.keychain.backend().name();
        let mut accounts: Vec<String> = Index::load()
            .sessions
            .into_values()
            .filter(|e| e.backend == backend)
            .map(|e| e.account)
            .collect();
        accounts.sort();
        accounts.dedup();
        accounts
    }

    pub fn keychain(&self) -> &'a dyn Keychain {
        self.keychain
    }

    /// The account's cached `sid`, if it was issued for `identity`; one issued for another
    /// identity (or for none: written before items recorded it) is deleted and not returned.
    pub fn okta_session(
        &self,
        account: &str,
        identity: &Identity,
    ) -> Result<Option<CachedSession>> {
        let Some(data) = self.keychain.get(&session_item(account))? else {
            return Ok(None);
        };
        let Ok(stored) = serde_json::from_slice::<StoredSession>(&data) else {
            return Ok(None);
        };
        let (sid, issued_for, expires_at) = (stored.sid, stored.identity, stored.expires_at);
        if !identity.admits(issued_for.as_ref()) {
            tracing::debug!(
                account,
                "the cached Okta session was issued for another identity (or predates identities); forgetting it"
            );
            self.forget_okta_session(account)?;
            return Ok(None);
        }
        Ok(Some(CachedSession { sid, expires_at }))
    }

    /// The account's cached `sid` and the identity it was issued for, whatever that is (for
    /// `logout`, which ends the session at the org that issued it).
    pub fn stored_okta_session(
        &self,
        account: &str,
    ) -> Result<Option<(SecretString, Option<Identity>)>> {
        let Some(data) = self.keychain.get(&session_item(account))? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice::<StoredSession>(&data)
            .ok()
            .map(|s| (s.sid, s.identity)))
    }

    /// Stores the account's Okta session. The keychain's write runs beside the caller's
    /// other work where the store is slow ([`Keychain::set_beside`]); done when the future is.
    pub async fn store_okta_session(
        &self,
        account: &str,
        identity: &Identity,
        sid: &SecretString,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<()> {
        let data = Zeroizing::new(
            serde_json::to_vec(&SessionOut {
                sid: sid.expose_secret(),
                identity,
                expires_at,
            })
            .map_err(Error::encode("the Okta session"))?,
        );
        let item = session_item(account);
        self.keychain.set_beside(&item, &data).finished().await?;
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

    /// Forgets the account's cached `sid`; `Ok(true)` when there was one.
    pub fn forget_okta_session(&self, account: &str) -> Result<bool> {
        let item = session_item(account);
        let existed = self.keychain.delete(&item)?;
        let backend = self.keychain.backend().name();
        Index::update(|index| {
            index.sessions.remove(&Index::key(backend, &item));
            index.sessions.remove(&item); // as written before keys named the backend
        })?;
        Ok(existed)
    }
}

fn session_item(account: &str) -> String {
    crate::keychain::items::okta_session(account)
}

/// After this long, a waiting login says whom it waits for.
const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(2);

/// An exclusive lock on `<state dir>/locks/<account>.lock`, held while one process logs in;
/// the others wait, then find the cache filled. Released when dropped (or the process dies).
/// The holder writes its pid into the file, so a waiter can say whom it waits for.
pub struct LoginLock {
    file: File,
}

impl LoginLock {
    /// Waits at most `limit` (`AWS_OKTA_LOCK_TIMEOUT`) for another process's login.
    pub fn acquire(account: &str, limit: Duration) -> Result<LoginLock> {
        LoginLock::acquire_in(&crate::paths::state_dir().join("locks"), account, limit)
    }

    fn acquire_in(dir: &std::path::Path, account: &str, limit: Duration) -> Result<LoginLock> {
        crate::fsutil::private_state_dir(dir)
            .map_err(|e| Error::io(format!("cannot use {}", dir.display()), e))?;
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
        let mut file = File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open lock file {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::debug!(lock = %path.display(), "waiting for another aws-okta login");
                wait_for(&mut file, &path, account, limit)?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
        // Ours now: say who holds it. Written over the old content, then cut to length, so a
        // waiter reading meanwhile sees a whole first line.
        let pid = format!("{}\n", std::process::id());
        let written = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .and_then(|_| file.set_len(pid.len() as u64));
        if let Err(e) = written {
            tracing::debug!(error = %e, "cannot write the pid into the lock file");
        }
        Ok(LoginLock { file })
    }
}

impl Drop for LoginLock {
    fn drop(&mut self) {
        // Still locked here (the lock goes with the file, after this): a waiter that takes it
        // next never reads our pid as its holder's.
        let _ = self.file.set_len(0);
    }
}

/// A login lock file as `doctor` sees it.
#[derive(Debug, Clone)]
pub struct LockFile {
    pub path: std::path::PathBuf,
    /// A process holds the lock now (a login is in progress).
    pub held: bool,
    /// The pid written into the file (the last holder's, when it died holding it).
    pub pid: Option<u32>,
    /// Whether that pid runs; `None` when it cannot be told (not Unix) or there is no pid.
    pub pid_runs: Option<bool>,
}

/// The login lock files of the state directory. A file that is not held but names a pid was
/// left by a login that was killed (a holder that ends normally empties it).
pub fn inspect_locks() -> Vec<LockFile> {
    let dir = crate::paths::state_dir().join("locks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("lock") {
            continue;
        }
        let Ok(mut file) = File::options().read(true).write(true).open(&path) else {
            continue;
        };
        let held = match file.try_lock() {
            // Taken only to look: released at once (closing the file), content untouched.
            Ok(()) => false,
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(std::fs::TryLockError::Error(_)) => continue,
        };
        let pid = holder_pid(&mut file);
        drop(file);
        let pid_runs = pid.and_then(process_runs);
        found.push(LockFile {
            path,
            held,
            pid,
            pid_runs,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Whether a process with this pid exists (`kill(pid, 0)`: EPERM means it does, as another
/// user's).
fn process_runs(pid: u32) -> Option<bool> {
    #[cfg(unix)]
    {
        let pid = libc::pid_t::try_from(pid).ok()?;
        if pid <= 0 {
            return Some(false);
        }
        // SAFETY: kill(2) with signal 0 only checks for the process.
        let result = unsafe { libc::kill(pid, 0) };
        Some(result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        None
    }
}

/// Polls the lock until it is ours; after [`LOCK_NOTICE_AFTER`] says once on stderr who holds
/// it, and gives up after `limit` with an error naming the holder.
fn wait_for(file: &mut File, path: &std::path::Path, account: &str, limit: Duration) -> Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    let mut told = false;
    loop {
        std::thread::sleep(pause.min(limit.saturating_sub(started.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(100));
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
        let waited = started.elapsed();
        if waited >= limit {
            return Err(Error::LoginLockTimeout {
                account: account.to_string(),
                pid: holder_pid(file),
                waited_secs: waited.as_secs(),
            });
        }
        if !told && waited >= LOCK_NOTICE_AFTER {
            told = true;
            let holder = match holder_pid(file) {
                Some(pid) => format!("Another aws-okta process (pid {pid})"),
                None => "Another aws-okta process".to_string(),
            };
            crate::notice!(
                "{holder} is logging in to Okta account '{account}'; waiting for it to finish (giving up after {}).",
                crate::error::short_duration(limit)
            );
        }
    }
}

/// The pid the holder wrote into the lock file, if it did (older versions wrote none; on
/// Windows the holder's lock also keeps others from reading the file).
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    Read::by_ref(file).take(64).read_to_string(&mut text).ok()?;
    text.lines().next()?.trim().parse().ok()
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

    fn alice() -> Identity {
        Identity::new(
            &crate::okta::parse_domain("example.okta.com").unwrap(),
            "alice@example.com",
        )
    }

    #[test]
    fn keys_follow_the_chain_and_change_with_the_config() {
        let id = alice();
        let keys = CacheKey::for_chain(&chain(CFG, "spoke"), &id);
        assert_eq!(keys.len(), 2);
        assert!(keys[0].item().starts_with("aws-creds-hub-"));
        assert!(keys[1].item().starts_with("aws-creds-spoke-"));
        assert_eq!(
            keys[0],
            CacheKey::for_chain(&chain(CFG, "hub"), &id)[0],
            "hub key shared"
        );
        let edited = CFG.replace("role/s", "role/t");
        assert_ne!(
            keys[1],
            CacheKey::for_chain(&chain(&edited, "spoke"), &id)[1]
        );
        let longer = format!("{CFG}assume_role_ttl=30m\n");
        assert_ne!(
            keys[1],
            CacheKey::for_chain(&chain(&longer, "spoke"), &id)[1]
        );
        assert!(keys.iter().all(|k| k.account == "default"));
    }

    #[test]
    fn keys_of_every_hop_change_with_the_okta_org_or_user() {
        let spoke = chain(CFG, "spoke");
        let keys = CacheKey::for_chain(&spoke, &alice());
        let other_org = Identity::new(
            &crate::okta::parse_domain("other.okta.com").unwrap(),
            "alice@example.com",
        );
        let other_user = Identity::new(
            &crate::okta::parse_domain("example.okta.com").unwrap(),
            "bob@example.com",
        );
        for other in [other_org, other_user] {
            let moved = CacheKey::for_chain(&spoke, &other);
            for (a, b) in keys.iter().zip(&moved) {
                assert_ne!(a.item(), b.item(), "{other:?}");
            }
        }
    }

    #[test]
    fn a_waiting_login_gives_up_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = LoginLock::acquire_in(dir.path(), "acct", Duration::from_secs(1)).unwrap();
        let text = std::fs::read_to_string(dir.path().join("acct.lock")).unwrap();
        assert_eq!(
            text,
            format!("{}\n", std::process::id()),
            "holder's pid written"
        );
        // A second open file description contends like another process would.
        let started = std::time::Instant::now();
        let err = LoginLock::acquire_in(dir.path(), "acct", Duration::from_millis(300))
            .err()
            .expect("the lock is held");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(err.exit_code(), crate::error::exit::MFA_TIMEOUT);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())) && msg.contains("kill"),
            "{msg}"
        );
        drop(held);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("acct.lock")).unwrap(),
            "",
            "released: no stale pid"
        );
        LoginLock::acquire_in(dir.path(), "acct", Duration::from_millis(300)).unwrap();
    }
}
