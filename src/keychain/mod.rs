//! Secrets (Okta password, Okta session, cached AWS credentials) live behind one small trait,
//! with the OS stores (through the `keyring` crate) and an encrypted file as backends.
pub mod file;
pub mod items;
mod kdf_memory;
mod os;
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
mod secret_service;
mod session_key;

pub use file::FileKeychain;

use crate::{Error, Result};
use std::str::FromStr;
use zeroize::Zeroizing;

/// The keyring "service" every item is stored under.
pub const SERVICE: &str = "aws-okta";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    SecretService,
    Keyutils,
    MacosKeychain,
    WinCred,
    File,
}

impl Backend {
    pub const ALL: [Backend; 5] = [
        Backend::SecretService,
        Backend::Keyutils,
        Backend::MacosKeychain,
        Backend::WinCred,
        Backend::File,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Backend::SecretService => "secret-service",
            Backend::Keyutils => "keyutils",
            Backend::MacosKeychain => "keychain",
            Backend::WinCred => "wincred",
            Backend::File => "file",
        }
    }

    pub fn platform_default() -> Backend {
        if cfg!(target_os = "macos") {
            Backend::MacosKeychain
        } else if cfg!(windows) {
            Backend::WinCred
        } else {
            Backend::SecretService
        }
    }
}

impl FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Backend> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
                Error::Usage(format!(
                    "unknown keychain backend '{s}': use one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// `Send + Sync` so the credential server can use one keychain from its thread.
pub trait Keychain: Send + Sync {
    fn backend(&self) -> Backend;
    /// `Ok(None)` when the item does not exist.
    fn get(&self, item: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    fn set(&self, item: &str, secret: &[u8]) -> Result<()>;
    /// `Ok(false)` when there was nothing to delete.
    fn delete(&self, item: &str) -> Result<bool>;
    /// Stores like [`Keychain::set`], on another thread where the store is a daemon that takes
    /// milliseconds (the Secret Service: gnome-keyring writes its file), so that the caller's
    /// network requests go on meanwhile. Await the result before relying on the item.
    fn set_beside(&self, item: &str, secret: &[u8]) -> Stored {
        Stored::Done(self.set(item, secret))
    }
    /// Reads `items` ahead where one batch costs less than a read each (the Secret Service:
    /// two D-Bus round trips for all instead of two per item); [`Keychain::get`] then answers
    /// from what was read. What nobody asked for is forgotten (zeroized) when the returned
    /// guard is dropped. Never fails: on an error, `get` reads as it would have.
    fn prefetch(&self, _items: &[String]) -> Prefetched {
        Prefetched(None)
    }
}

/// Forgets what [`Keychain::prefetch`] read and nobody asked for, when dropped.
#[must_use = "dropping it forgets what was read ahead"]
pub struct Prefetched(pub(crate) Option<fn()>);

impl Drop for Prefetched {
    fn drop(&mut self) {
        if let Some(forget) = self.0 {
            forget();
        }
    }
}

/// A store under way ([`Keychain::set_beside`]).
pub enum Stored {
    Done(Result<()>),
    Beside {
        backend: Backend,
        result: tokio::sync::oneshot::Receiver<Result<()>>,
    },
}

impl Stored {
    /// Runs `store` on a thread of its own; its result is awaited with [`Stored::finished`].
    pub fn on_a_thread(
        backend: Backend,
        store: impl FnOnce() -> Result<()> + Send + 'static,
    ) -> Stored {
        let (done, result) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("keychain-store".into())
            .spawn(move || {
                let _ = done.send(store());
            });
        match spawned {
            Ok(_) => Stored::Beside { backend, result },
            Err(e) => Stored::Done(Err(Error::io("starting a thread for the keychain", e))),
        }
    }

    pub async fn finished(self) -> Result<()> {
        match self {
            Stored::Done(result) => result,
            Stored::Beside { backend, result } => result
                .await
                .unwrap_or_else(|_| Err(error(backend, "the store stopped before it finished"))),
        }
    }
}

/// Opens the chosen backend. Opening is cheap: nothing talks to the store until `get`/`set`.
pub fn open(backend: Backend) -> Result<Box<dyn Keychain>> {
    match backend {
        Backend::File => Ok(Box::new(FileKeychain::new(
            crate::paths::state_dir().join("keyring"),
        ))),
        other => Ok(Box::new(os::OsKeychain::new(other)?)),
    }
}

/// A separate store for cached AWS credentials, or `None` to keep them in the keychain itself.
///
/// Decision (every backend, where the machine has a kernel session keyring, i.e. Linux): the
/// short-lived AWS credentials a warm run reads (at most 12 h) are sealed under a random key
/// held only in the session keyring (see `session_key`), in files under `~/.aws-okta/`. A
/// warm run then costs no D-Bus session with the Secret Service (11-16 ms per process), no
/// Argon2id derivation (`file`), no keychain prompt. The Okta password, session, device token
/// and OAuth tokens stay in the backend the user chose. Trade-off, the ssh-agent one: a
/// process of the same login session can read these credentials while the key lives (the AWS
/// CLI keeps the same credentials in plain files under `~/.aws/cli/cache`). Without a session
/// keyring (macOS, Windows, a seccomp-filtered container) the chosen backend keeps the cache.
pub fn credential_cache(backend: Backend) -> Option<Box<dyn Keychain>> {
    let state = crate::paths::state_dir();
    // One directory and one key per backend, so two backends' items of the same name never
    // meet and `cache clear`/`logout` on one backend leaves the other's cache alone.
    let dir = match backend {
        Backend::File => state.join("cache"),
        other => state.join(format!("cache-{}", other.name())),
    };
    FileKeychain::sealed_by_session_key(dir, cache_key_description(backend))
        .map(|k| Box::new(k) as Box<dyn Keychain>)
}

/// The kernel key's name for `backend`'s credential cache (the `file` backend's as it always
/// was, so its cache survives the upgrade).
fn cache_key_description(backend: Backend) -> String {
    let base = session_key::description(&crate::paths::state_dir());
    match backend {
        Backend::File => base,
        other => format!("{base}:{}", other.name()),
    }
}

/// Invalidates the kernel key of the file backend's credential cache: whatever it sealed can
/// no longer be opened by anyone (logout, `cache clear`).
pub fn forget_credential_cache_key(backend: Backend) {
    session_key::forget(&cache_key_description(backend));
}

pub(crate) fn error(backend: Backend, message: impl std::fmt::Display) -> Error {
    let hint = if backend == Backend::File {
        String::new()
    } else {
        " (on a headless machine use --backend file or AWS_OKTA_BACKEND=file)".to_string()
    };
    Error::Keychain {
        backend: backend.name(),
        message: format!("{message}{hint}"),
    }
}

/// An in-memory keychain for unit tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryKeychain(std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>);

#[cfg(test)]
impl Keychain for MemoryKeychain {
    fn backend(&self) -> Backend {
        Backend::File
    }
    fn get(&self, item: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(item)
            .cloned()
            .map(Zeroizing::new))
    }
    fn set(&self, item: &str, secret: &[u8]) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .insert(item.to_string(), secret.to_vec());
        Ok(())
    }
    fn delete(&self, item: &str) -> Result<bool> {
        Ok(self.0.lock().unwrap().remove(item).is_some())
    }
}
