//! The Secret Service (gnome-keyring, KWallet) over one D-Bus connection per process.
//!
//! `keyring`'s `SsCredential` connects to the bus and opens a new encrypted session (a DH
//! exchange with the daemon) for every get, set and delete: about 7 ms each, and a cold login
//! makes several (bench/NOTES.md). Here the connection and its encrypted session are opened on
//! the first use and kept for the process. Items are the ones `keyring` reads and writes (the
//! same attributes, label and collection), so items stored by either are found by both.
//! Secrets always cross the bus encrypted (DH session); a plain session is never used.
use super::SERVICE;
use dbus_secret_service::{
    Collection, EncryptionType, Error, Item, Path, SearchItemsResult, SecretService,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use zeroize::Zeroizing;

/// The `keyring` release whose item schema (attributes and label) this module follows.
const KEYRING_SCHEMA: &str = "3.6.3";
/// `keyring`'s target for items in the default collection.
const TARGET: &str = "default";

/// The process's connection, opened on first use; dropped after a D-Bus failure so that the
/// next call connects again.
static CONNECTION: Mutex<Option<Connected>> = Mutex::new(None);

/// A connection and what it learnt about the default collection (one round trip each, asked
/// once per process: a cold login stores and looks up several items there).
struct Connected {
    ss: SecretService,
    /// The default collection's object path, once read (`ReadAlias`).
    default: Option<Path<'static>>,
    /// Whether it was found unlocked (or unlocked by us) in this process.
    unlocked: bool,
    /// Items this connection looked up and found none of (a cold login looks up the Okta
    /// session, finds none, and stores one): storing them needs no second search.
    absent: HashSet<String>,
    /// What [`prefetch`] read ahead, each handed out once by [`get`] (`None`: not stored);
    /// dropped, and zeroized, by [`forget_prefetched`] or when the item is set or deleted.
    prefetched: HashMap<String, Option<Zeroizing<Vec<u8>>>>,
}

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
fn with_service<T>(f: impl FnOnce(&mut Connected) -> Result<T, SsError>) -> Result<T, SsError> {
    let mut guard = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let mut connected = match guard.take() {
        Some(connected) => connected,
        None => Connected {
            ss: SecretService::connect(EncryptionType::Dh).map_err(SsError::Failed)?,
            default: None,
            unlocked: false,
            absent: HashSet::new(),
            prefetched: HashMap::new(),
        },
    };
    let result = f(&mut connected);
    let broken = matches!(
        &result,
        Err(SsError::Failed(Error::Dbus(_)) | SsError::NoAccess(Error::Dbus(_)))
    );
    if !broken {
        *guard = Some(connected);
    }
    result
}

impl Connected {
    /// The default collection, where `keyring` creates items and keeps legacy ones.
    fn default_collection(&mut self) -> Result<Collection<'_>, SsError> {
        let path = default_path(&self.ss, &mut self.default)?;
        Ok(Collection::new(&self.ss, path))
    }

    /// The items stored for `item`: `keyring`'s (service, user and target, in any
    /// collection), else items written without a target (keyring v1, other tools) in the
    /// default collection, which `keyring` reads too. Locked ones are unlocked.
    fn items(&mut self, item: &str) -> Result<Vec<Item<'_>>, SsError> {
        let mut found = self.ss.search_items(targeted(item))?;
        if nothing(&found) {
            found = self.ss.search_items(legacy(item))?;
            in_default_collection(&self.ss, &mut self.default, &mut found)?;
        }
        if nothing(&found) {
            self.absent.insert(item.to_string());
        } else {
            self.absent.remove(item);
        }
        if !found.locked.is_empty() {
            self.ss
                .unlock_all(&found.locked.iter().collect::<Vec<_>>())?;
        }
        Ok(found.unlocked.into_iter().chain(found.locked).collect())
    }
}

/// The attributes of `keyring`'s item for `item`.
fn targeted(item: &str) -> HashMap<&str, &str> {
    HashMap::from([("target", TARGET), ("service", SERVICE), ("username", item)])
}

/// The attributes of an item for `item` written without a target (keyring v1, other tools).
fn legacy(item: &str) -> HashMap<&str, &str> {
    HashMap::from([("service", SERVICE), ("username", item)])
}

fn nothing(found: &SearchItemsResult<Item<'_>>) -> bool {
    found.unlocked.is_empty() && found.locked.is_empty()
}

/// Keeps the legacy items of the default collection only (an item's path is below its
/// collection's), as `keyring` does. The collection's path is asked for only when there is an
/// item to check, so a plain miss costs two round trips.
fn in_default_collection(
    ss: &SecretService,
    default: &mut Option<Path<'static>>,
    legacy: &mut SearchItemsResult<Item<'_>>,
) -> Result<(), SsError> {
    if nothing(legacy) {
        return Ok(());
    }
    let prefix = format!("{}/", &*default_path(ss, default)?);
    legacy.unlocked.retain(|i| i.path.starts_with(&prefix));
    legacy.locked.retain(|i| i.path.starts_with(&prefix));
    Ok(())
}

/// The default collection's path: read once per connection (`ReadAlias`), then remembered.
fn default_path(
    ss: &SecretService,
    known: &mut Option<Path<'static>>,
) -> Result<Path<'static>, SsError> {
    if let Some(path) = known {
        return Ok(path.clone());
    }
    let path = ss.get_default_collection()?.path;
    *known = Some(path.clone());
    Ok(path)
}

/// Whether `e` says the object no longer exists: an item found by a search and deleted by
/// another process before our next call (gnome-keyring answers `UnknownMethod`, "No such
/// interface … on object", for a removed item's path; other services `UnknownObject`).
fn vanished(e: &Error) -> bool {
    matches!(e, Error::Dbus(d) if matches!(
        d.name(),
        Some("org.freedesktop.DBus.Error.UnknownObject" | "org.freedesktop.DBus.Error.UnknownMethod")
    ))
}

/// The one item stored for `item`; more than one is an error `keyring` would give too.
fn one<'a>(items: &'a [Item<'a>]) -> Result<Option<&'a Item<'a>>, SsError> {
    match items {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        more => Err(SsError::Ambiguous(more.len())),
    }
}

pub fn get(item: &str) -> Result<Option<Vec<u8>>, SsError> {
    with_service(|c| {
        if let Some(ahead) = c.prefetched.remove(item) {
            return Ok(ahead.map(|mut secret| std::mem::take(&mut *secret)));
        }
        // A listed item that cannot be read was deleted by another process since the search
        // (a parallel logout), or the daemon's answer lagged: asked once more, it is gone
        // (none) or read. Failing twice is an error, never "not stored": that would send the
        // user to `aws-okta add` for a password that is there.
        let mut asked_again = false;
        loop {
            let items = c.items(item)?;
            let Some(found) = one(&items)? else {
                return Ok(None);
            };
            match found.get_secret() {
                Ok(secret) => return Ok(Some(secret)),
                Err(e) if vanished(&e) && !asked_again => asked_again = true,
                Err(e) => return Err(e.into()),
            }
        }
    })
}

/// Updates the item stored for `item` where it is, or creates it in the default collection
/// (`CreateItem` with `replace`: parallel logins storing the same item leave one). An item
/// this connection just found absent is created without searching again. An item written
/// without a target (legacy) is shadowed by the new one, as `keyring` reads the targeted one
/// first, and [`delete`] removes both.
pub fn set(item: &str, secret: &[u8]) -> Result<(), SsError> {
    with_service(|c| {
        c.prefetched.remove(item);
        if !c.absent.contains(item) {
            let found = c.ss.search_items(targeted(item))?;
            let count = found.unlocked.len() + found.locked.len();
            if count > 1 {
                return Err(SsError::Ambiguous(count));
            }
            if let Some(one) = found.unlocked.first() {
                match one.set_secret(secret, "text/plain") {
                    Ok(()) => return Ok(()),
                    // Deleted since the search: created below.
                    Err(e) if vanished(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            } else if let Some(one) = found.locked.first() {
                one.unlock()?;
                one.set_secret(secret, "text/plain")?;
                return Ok(());
            }
        }
        if !c.unlocked {
            let collection = c.default_collection()?;
            if collection.is_locked()? {
                collection.unlock()?;
            }
            c.unlocked = true;
        }
        let attributes = HashMap::from([
            ("service", SERVICE),
            ("username", item),
            ("target", TARGET),
            ("application", "rust-keyring"),
        ]);
        let label = format!("{item}@{SERVICE}:{TARGET} (keyring v{KEYRING_SCHEMA})");
        c.default_collection()?
            .create_item(&label, attributes, secret, true, "text/plain")?;
        c.absent.remove(item);
        Ok(())
    })
}

/// Whether there was an item to delete. Every item `get` could return goes, the targeted one
/// and a legacy one it shadowed, so that no older secret reappears after a logout.
pub fn delete(item: &str) -> Result<bool, SsError> {
    with_service(|c| {
        c.prefetched.remove(item);
        let mut deleted = false;
        // At most two rounds: the targeted items, then the legacy ones they shadowed.
        for _ in 0..2 {
            let items = c.items(item)?;
            if items.is_empty() {
                break;
            }
            for found in &items {
                match found.delete() {
                    // Gone already (another process deleted it since the search): as wanted.
                    Err(e) if vanished(&e) => {}
                    other => other?,
                }
            }
            deleted = true;
        }
        Ok(deleted)
    })
}

/// Reads `items` ahead in two round trips instead of two per item: every search (each
/// item's targeted and legacy one) is sent before the first answer is awaited, then the
/// secrets of the items found come in one `GetSecrets`. A cold login reads four or five
/// items one after the other (password, Okta org pipeline, session, device token, OAuth
/// tokens), and each round trip to the daemon is a fraction of a millisecond. The rules are
/// those of [`get`]: an item that is locked or stored more than once is left to [`get`],
/// which unlocks it or reports it. Secrets read ahead are handed out once and zeroized when
/// dropped ([`forget_prefetched`]).
pub fn prefetch(items: &[&str]) -> Result<(), SsError> {
    with_service(|c| {
        let queries: Vec<_> = items
            .iter()
            .flat_map(|item| [targeted(item), legacy(item)])
            .collect();
        let mut answers = c.ss.search_items_pipelined(&queries)?.into_iter();
        let mut wanted = Vec::new();
        for item in items {
            let (Some(targeted), Some(mut legacy)) = (answers.next(), answers.next()) else {
                break;
            };
            let found = if nothing(&targeted) {
                in_default_collection(&c.ss, &mut c.default, &mut legacy)?;
                legacy
            } else {
                targeted
            };
            match (found.unlocked.as_slice(), found.locked.as_slice()) {
                ([], []) => {
                    c.absent.insert(item.to_string());
                    c.prefetched.insert(item.to_string(), None);
                }
                ([one], []) => wanted.push((item.to_string(), one.path.clone())),
                _ => {}
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let handles: Vec<Item<'_>> = wanted
            .iter()
            .map(|(_, path)| Item::new(&c.ss, path.clone()))
            .collect();
        let mut secrets = c.ss.get_secrets(&handles.iter().collect::<Vec<_>>())?;
        drop(handles);
        for (item, path) in wanted {
            // An item the answer leaves out (deleted or locked since the search) is left to
            // `get`, which asks again and reports what it finds.
            if let Some(secret) = secrets.remove(&path) {
                c.prefetched.insert(item, Some(Zeroizing::new(secret)));
            }
        }
        // What no item asked for (none, in practice) is zeroized here.
        secrets.into_values().for_each(|v| drop(Zeroizing::new(v)));
        Ok(())
    })
}

/// Drops (and zeroizes) whatever [`prefetch`] read that nobody asked for.
pub fn forget_prefetched() {
    let mut guard = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(c) = guard.as_mut() {
        c.prefetched.clear();
    }
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

    /// An item written without a target (keyring v1, other tools) is read; a new secret
    /// shadows it, and a delete (logout) removes both, so the older secret never comes back.
    #[test]
    fn a_legacy_item_is_read_shadowed_and_deleted_with_the_new_one() {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no D-Bus session: run the suite under dbus-run-session scripts/lib/with-keyrings"
        );
        let name = format!("legacy-test-{}", std::process::id());
        {
            let ss = SecretService::connect(EncryptionType::Dh).unwrap();
            let collection = ss.get_default_collection().unwrap();
            let attributes = HashMap::from([("service", SERVICE), ("username", name.as_str())]);
            collection
                .create_item("legacy", attributes, b"old secret", true, "text/plain")
                .unwrap();
        }
        assert_eq!(get(&name).unwrap().unwrap(), b"old secret");
        set(&name, b"new secret").unwrap();
        assert_eq!(get(&name).unwrap().unwrap(), b"new secret");
        assert!(delete(&name).unwrap());
        assert!(
            get(&name).unwrap().is_none(),
            "the legacy secret came back after a delete"
        );
    }

    fn read_ahead(item: &str) -> bool {
        let guard = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()
            .is_some_and(|c| c.prefetched.contains_key(item))
    }

    /// Items read ahead are what `get` would read (targeted, legacy or absent), each handed
    /// out once, and never stale after this process sets or deletes them.
    #[test]
    fn read_ahead_gives_what_get_would_and_never_a_stale_secret() {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no D-Bus session: run the suite under dbus-run-session scripts/lib/with-keyrings"
        );
        let pid = std::process::id();
        let stored = format!("ahead-stored-{pid}");
        let old = format!("ahead-legacy-{pid}");
        let missing = format!("ahead-missing-{pid}");
        let changed = format!("ahead-changed-{pid}");
        set(&stored, b"one").unwrap();
        set(&changed, b"before").unwrap();
        {
            let ss = SecretService::connect(EncryptionType::Dh).unwrap();
            let attributes = HashMap::from([("service", SERVICE), ("username", old.as_str())]);
            ss.get_default_collection()
                .unwrap()
                .create_item("legacy", attributes, b"old secret", true, "text/plain")
                .unwrap();
        }

        prefetch(&[&stored, &old, &missing, &changed]).unwrap();
        for item in [&stored, &old, &missing, &changed] {
            assert!(read_ahead(item), "{item} was not read ahead");
        }
        set(&changed, b"after").unwrap();
        assert!(!read_ahead(&changed), "a set must drop what was read ahead");
        assert_eq!(get(&stored).unwrap().unwrap(), b"one");
        assert_eq!(get(&old).unwrap().unwrap(), b"old secret");
        assert!(get(&missing).unwrap().is_none());
        assert_eq!(get(&changed).unwrap().unwrap(), b"after");
        assert!(!read_ahead(&stored), "handed out once");
        assert_eq!(get(&stored).unwrap().unwrap(), b"one");

        prefetch(&[&stored]).unwrap();
        assert!(delete(&stored).unwrap());
        assert!(
            get(&stored).unwrap().is_none(),
            "a deleted secret came back"
        );

        prefetch(&[&old]).unwrap();
        forget_prefetched();
        assert!(!read_ahead(&old));

        assert!(delete(&old).unwrap());
        assert!(delete(&changed).unwrap());
    }
}
