//! The operating system's credential stores: the Secret Service through our own connection
//! (`secret_service.rs`: one per process), the others through the `keyring` crate.
use super::{error, Backend, Keychain, SERVICE};
use crate::Result;
use keyring::{Entry, Error as KeyringError};
use zeroize::Zeroizing;

pub struct OsKeychain {
    backend: Backend,
}

impl OsKeychain {
    pub fn new(backend: Backend) -> Result<OsKeychain> {
        let supported = match backend {
            Backend::SecretService => cfg!(any(target_os = "linux", target_os = "freebsd")),
            Backend::Keyutils => cfg!(target_os = "linux"),
            Backend::MacosKeychain => cfg!(target_os = "macos"),
            Backend::WinCred => cfg!(windows),
            Backend::File => false,
        };
        if !supported {
            return Err(error(
                backend,
                "this backend is not available on this operating system",
            ));
        }
        Ok(OsKeychain { backend })
    }

    fn entry(&self, item: &str) -> Result<Entry> {
        let credential: Box<keyring::Credential> = match self.backend {
            #[cfg(any(target_os = "linux", target_os = "freebsd"))]
            Backend::SecretService => Box::new(
                keyring::secret_service::SsCredential::new_with_target(None, SERVICE, item)
                    .map_err(|e| error(self.backend, e))?,
            ),
            #[cfg(target_os = "linux")]
            Backend::Keyutils => Box::new(
                keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, item)
                    .map_err(|e| error(self.backend, e))?,
            ),
            #[cfg(target_os = "macos")]
            Backend::MacosKeychain => Box::new(
                keyring::macos::MacCredential::new_with_target(None, SERVICE, item)
                    .map_err(|e| error(self.backend, e))?,
            ),
            #[cfg(windows)]
            Backend::WinCred => Box::new(
                keyring::windows::WinCredential::new_with_target(None, SERVICE, item)
                    .map_err(|e| error(self.backend, e))?,
            ),
            other => {
                return Err(error(
                    other,
                    "this backend is not available on this operating system",
                ))
            }
        };
        Ok(Entry::new_with_credential(credential))
    }
}

impl Keychain for OsKeychain {
    fn backend(&self) -> Backend {
        self.backend
    }

    fn get(&self, item: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        if self.backend == Backend::SecretService {
            return super::secret_service::get(item)
                .map(|secret| secret.map(Zeroizing::new))
                .map_err(|e| ss_error(self.backend, "read", item, e));
        }
        match self.entry(item)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(describe(self.backend, "read", item, e)),
        }
    }

    fn set(&self, item: &str, secret: &[u8]) -> Result<()> {
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        if self.backend == Backend::SecretService {
            return super::secret_service::set(item, secret)
                .map_err(|e| ss_error(self.backend, "store", item, e));
        }
        self.entry(item)?
            .set_secret(secret)
            .map_err(|e| describe(self.backend, "store", item, e))
    }

    fn set_beside(&self, item: &str, secret: &[u8]) -> super::Stored {
        // gnome-keyring writes its whole file for each new item (~2 ms): the login's STS call
        // goes on meanwhile. The thread uses the process's one connection.
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        if self.backend == Backend::SecretService {
            let (backend, item, secret) = (
                self.backend,
                item.to_string(),
                Zeroizing::new(secret.to_vec()),
            );
            return super::Stored::on_a_thread(backend, move || {
                super::secret_service::set(&item, &secret)
                    .map_err(|e| ss_error(backend, "store", &item, e))
            });
        }
        super::Stored::Done(self.set(item, secret))
    }

    fn prefetch(&self, items: &[String]) -> super::Prefetched {
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        if self.backend == Backend::SecretService {
            let items: Vec<&str> = items.iter().map(String::as_str).collect();
            if let Err(e) = super::secret_service::prefetch(&items) {
                tracing::debug!(error = %e, "secret service read-ahead (each item is read on its own)");
            }
            return super::Prefetched(Some(super::secret_service::forget_prefetched));
        }
        let _ = items;
        super::Prefetched(None)
    }

    fn delete(&self, item: &str) -> Result<bool> {
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        if self.backend == Backend::SecretService {
            return super::secret_service::delete(item)
                .map_err(|e| ss_error(self.backend, "delete", item, e));
        }
        match self.entry(item)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(describe(self.backend, "delete", item, e)),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
fn ss_error(
    backend: Backend,
    action: &str,
    item: &str,
    err: super::secret_service::SsError,
) -> crate::Error {
    error(backend, format!("cannot {action} item '{item}': {err}"))
}

fn describe(backend: Backend, action: &str, item: &str, err: KeyringError) -> crate::Error {
    let reason = match &err {
        KeyringError::NoStorageAccess(e) => format!("the store is locked or unreachable ({e})"),
        KeyringError::PlatformFailure(e) => format!("the store failed ({e})"),
        other => other.to_string(),
    };
    error(backend, format!("cannot {action} item '{item}': {reason}"))
}
