//! A plain-file index of what the keychain caches (`~/.aws-okta/cache-index.json`): profile,
//! role, expiry and item name, never a secret. Keychains cannot be listed portably, so this is
//! how `cache list`, `cache clear` and `logout` find the items to show or delete.
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialEntry {
    pub backend: String,
    pub profile: String,
    /// The Okta account label whose login produced them (absent in entries written before
    /// cache keys covered the Okta identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub role_arn: String,
    pub expiration: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry {
    pub backend: String,
    pub account: String,
    pub stored_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    /// By `Index::key` (backend and keychain item: each backend has its own items of one name).
    #[serde(default)]
    pub credentials: BTreeMap<String, CredentialEntry>,
    #[serde(default)]
    pub sessions: BTreeMap<String, SessionEntry>,
}

fn path() -> PathBuf {
    crate::paths::state_dir().join("cache-index.json")
}

impl Index {
    /// The index key of a keychain item of a backend.
    pub fn key(backend: &str, item: &str) -> String {
        format!("{backend}/{item}")
    }

    /// The keychain item an index key names (keys written before the backend was part of
    /// them are the item alone).
    pub fn item(key: &str) -> &str {
        match key.split_once('/') {
            Some((backend, item)) if backend.parse::<crate::keychain::Backend>().is_ok() => item,
            _ => key,
        }
    }

    /// The index as stored; a missing or unreadable file is an empty index (it is only a hint).
    pub fn load() -> Index {
        std::fs::read(path())
            .ok()
            .and_then(|data| serde_json::from_slice(&data).ok())
            .unwrap_or_default()
    }

    /// The credential sets cached in `backend`, by profile and then expiry.
    pub fn credentials_of(&self, backend: &str) -> Vec<&CredentialEntry> {
        let mut entries: Vec<_> = self
            .credentials
            .values()
            .filter(|e| e.backend == backend)
            .collect();
        entries.sort_by(|a, b| (&a.profile, a.expiration).cmp(&(&b.profile, b.expiration)));
        entries
    }

    /// Read-modify-write under a lock of its own, so parallel writers do not drop entries.
    pub fn update(change: impl FnOnce(&mut Index)) -> Result<()> {
        let path = path();
        let dir = crate::paths::state_dir();
        crate::fsutil::ensure_private_dir(&dir)
            .map_err(|e| Error::io(format!("cannot use {}", dir.display()), e))?;
        let _lock = crate::fsutil::exclusive_lock(&dir.join("cache-index.lock"))?;
        let mut index = Index::load();
        change(&mut index);
        let data = serde_json::to_vec_pretty(&index).map_err(Error::encode("the cache index"))?;
        crate::fsutil::write_atomic(&path, &data, 0o600)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }
}
