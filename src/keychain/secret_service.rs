//! The Secret Service (gnome-keyring, KWallet) over one D-Bus connection per process.
//!
//! `keyring`'s `SsCredential` connects to the bus and opens a new encrypted session (a DH
//! exchange with the daemon) for every get, set and delete: about 7 ms each, and a cold login
//! makes several (bench/NOTES.md). Here the connection and its encrypted session are opened on
//! the first use and kept for the process. Items are the ones `keyring` reads and writes (the
//! same attributes, label and collection), so items stored by either are found by both.
//! Secrets always cross the bus encrypted (DH session); a plain session is never used.
use super::SERVICE;
use dbus_secret_service::{EncryptionType, Error, Item, SecretService};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The `keyring` release whose item schema (attributes and label) this module follows.
const KEYRING_SCHEMA: &str = "3.6.3";
/// `keyring`'s target for items in the default collection.
const TARGET: &str = "default";

/// The process's connection, opened on first use; dropped after a D-Bus failure so that the
/// next call connects again.
static CONNECTION: Mutex<Option<SecretService>> = Mutex::new(None);

/// Why an operation failed, in the words `keyring` would use (the caller adds the item).
#[derive(Debug, thiserror::Error)]
pub enum SsError {
    #[error("the store is locked or unreachable ({0})")]
    NoAccess(#[source] Error),
    #[error("the store failed ({0})")]
    Failed(#[source] Error),
    #[error("{0} items match; remove the extra ones with your keyring manager (e.g. seahorse)")]
    Ambiguous(usize),
}

impl From<Error> for SsError {
    fn from(e: Error) -> Self {
        match e {
            Error::Locked | Error::NoResult | Error::Prompt => SsError::NoAccess(e),
            other => SsError::Failed(other),
        }
    }
}

/// Runs `f` with the process's connection, opening it first if needed.
fn with_service<T>(f: impl FnOnce(&SecretService) -> Result<T, SsError>) -> Result<T, SsError> {
    let mut guard = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let service = match guard.take() {
        Some(service) => service,
        None => SecretService::connect(EncryptionType::Dh).map_err(SsError::Failed)?,
    };
    let result = f(&service);
    let broken = matches!(
        &result,
        Err(SsError::Failed(Error::Dbus(_)) | SsError::NoAccess(Error::Dbus(_)))
    );
    if !broken {
        *guard = Some(service);
    }
    result
}

/// Runs `f` on the one item stored for `item`, unlocked; `None` when there is none.
fn with_item<T>(
    ss: &SecretService,
    item: &str,
    f: impl FnOnce(&Item<'_>) -> Result<T, Error>,
) -> Result<Option<T>, SsError> {
    let attributes = HashMap::from([("target", TARGET), ("service", SERVICE), ("username", item)]);
    let found = ss.search_items(attributes)?;
    let count = found.unlocked.len() + found.locked.len();
    if count == 0 {
        // Items written without a target (keyring v1, other tools) live in the default
        // collection: `keyring` looks there too.
        let legacy = HashMap::from([("service", SERVICE), ("username", item)]);
        let collection = ss.get_default_collection()?;
        let items = collection.search_items(legacy)?;
        return match items.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(f(one)?)),
            more => Err(SsError::Ambiguous(more.len())),
        };
    }
    if count > 1 {
        return Err(SsError::Ambiguous(count));
    }
    match (found.unlocked.first(), found.locked.first()) {
        (Some(one), _) => Ok(Some(f(one)?)),
        (None, Some(one)) => {
            one.unlock()?;
            Ok(Some(f(one)?))
        }
        (None, None) => Ok(None),
    }
}

pub fn get(item: &str) -> Result<Option<Vec<u8>>, SsError> {
    with_service(|ss| with_item(ss, item, |i| i.get_secret()))
}

pub fn set(item: &str, secret: &[u8]) -> Result<(), SsError> {
    with_service(|ss| {
        if with_item(ss, item, |i| i.set_secret(secret, "text/plain"))?.is_some() {
            return Ok(());
        }
        let collection = ss.get_default_collection()?;
        if collection.is_locked()? {
            collection.unlock()?;
        }
        let attributes = HashMap::from([
            ("service", SERVICE),
            ("username", item),
            ("target", TARGET),
            ("application", "rust-keyring"),
        ]);
        let label = format!("{item}@{SERVICE}:{TARGET} (keyring v{KEYRING_SCHEMA})");
        collection.create_item(&label, attributes, secret, true, "text/plain")?;
        Ok(())
    })
}

/// Whether there was an item to delete.
pub fn delete(item: &str) -> Result<bool, SsError> {
    with_service(|ss| Ok(with_item(ss, item, |i| i.delete())?.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring::secret_service::SsCredential;
    use keyring::Entry;

    /// What earlier releases stored through `keyring` is found here, and the reverse.
    #[test]
    fn items_are_the_ones_the_keyring_crate_reads_and_writes() {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no D-Bus session: run the suite under dbus-run-session scripts/lib/with-keyrings"
        );
        let name = format!("compat-test-{}", std::process::id());
        let theirs = || {
            Entry::new_with_credential(Box::new(
                SsCredential::new_with_target(None, SERVICE, &name).unwrap(),
            ))
        };

        theirs().set_secret(b"written by keyring").unwrap();
        assert_eq!(get(&name).unwrap().unwrap(), b"written by keyring");
        set(&name, b"updated here").unwrap();
        assert_eq!(theirs().get_secret().unwrap(), b"updated here");
        assert!(delete(&name).unwrap());
        assert!(matches!(
            theirs().get_secret(),
            Err(keyring::Error::NoEntry)
        ));
        assert!(!delete(&name).unwrap());
        assert!(get(&name).unwrap().is_none());

        set(&name, b"created here").unwrap();
        assert_eq!(theirs().get_secret().unwrap(), b"created here");
        theirs().delete_credential().unwrap();
        assert!(get(&name).unwrap().is_none());
    }
}
