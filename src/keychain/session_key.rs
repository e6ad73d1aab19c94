//! A random key that seals the short-lived AWS credential cache of the `file` backend, held only
//! in the kernel's session keyring (Linux keyutils), never on disk.
//!
//! Why: the file keychain's Argon2id derivation (19 MiB, 2 passes) costs ~30 ms and 19 MiB on
//! every process. Cached AWS credentials (one hour, at most twelve) do not need a
//! passphrase-derived key: sealing them under a random key that only processes possessing the
//! user's session keyring can read is the ssh-agent / unlocked-keyring model. The Okta
//! password, session and tokens stay under the Argon2id key. After a reboot, a new login
//! session or the key's timeout, the sealed files cannot be opened and count as cache misses.
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;

/// The key lives at most as long as the longest STS session (12 h), counted from creation.
#[cfg(target_os = "linux")]
const KEY_TIMEOUT_SECS: usize = 12 * 3600;

/// The kernel keyring could not be used (no keyutils, or blocked by a seccomp profile): the
/// caller falls back to the passphrase-derived key.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// Names one key per state directory, so two `AWS_OKTA_HOME`s never share a key.
pub fn description(state_dir: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(state_dir.as_os_str().as_encoded_bytes());
    format!("aws-okta:credential-cache:{}", &hex::encode(digest)[..16])
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use rand::RngCore;

    fn session() -> Result<KeyRing, Unavailable> {
        // Without `create`, a process that has no session keyring (cron, containers, a shell
        // without pam_keyinit) gets the user-session keyring; with it, the kernel would give
        // this process a new session keyring of its own, which dies with it.
        KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .map_err(|e| Unavailable(format!("kernel session keyring: {e:?}")))
    }

    /// Our key among the keys linked directly into the session keyring, owned by us. A search
    /// alone is not enough: the session keyring links the user keyring, which every session of
    /// the user can write to, so a search could return a key another session planted (and
    /// whose bytes it knows). The search's answer is used only when it is one of the session
    /// keyring's own links (one read of the link list, no per-key lookups: a warm run stays
    /// cheap however many keys the session holds); otherwise the direct links are examined.
    fn ours(ring: &KeyRing, description: &str) -> Result<Option<linux_keyutils::Key>, Unavailable> {
        let direct = direct_links()?;
        let acceptable = |key: &linux_keyutils::Key| {
            // SAFETY: geteuid has no preconditions.
            let uid = unsafe { libc::geteuid() };
            key.metadata().is_ok_and(|m| {
                m.get_description() == description
                    && m.get_uid() == uid
                    && m.get_perms().bits() & WIDE_PERMS == 0
            })
        };
        if let Ok(found) = ring.search(description) {
            if direct.contains(&found.get_id().as_raw_id()) && acceptable(&found) {
                return Ok(Some(found));
            }
        }
        Ok(direct
            .iter()
            .map(|id| linux_keyutils::Key::from_id(linux_keyutils::KeySerialId::new(*id)))
            .find(|key| acceptable(key)))
    }

    /// Serial numbers linked directly into the session keyring (`KEYCTL_READ` on it).
    fn direct_links() -> Result<Vec<i32>, Unavailable> {
        const KEYCTL_READ: libc::c_long = 11;
        const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
        let id = KEY_SPEC_SESSION_KEYRING;
        let mut buf = vec![0i32; 512];
        loop {
            // SAFETY: KEYCTL_READ writes at most `len` bytes into `buf`, which has that many.
            let len = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    KEYCTL_READ,
                    id,
                    buf.as_mut_ptr(),
                    (buf.len() * 4) as libc::c_long,
                )
            };
            if len < 0 {
                return Err(Unavailable(format!(
                    "kernel session keyring read: {}",
                    std::io::Error::last_os_error()
                )));
            }
            let count = len as usize / 4;
            if count <= buf.len() {
                buf.truncate(count);
                return Ok(buf);
            }
            buf.resize(count, 0);
        }
    }

    /// Permissions our key never has: anything for group and others, read for the user.
    const WIDE_PERMS: u32 = 0x0000_FFFF | (0x02 << 16);

    /// The current key, or `None` when there is none (never created, expired, revoked).
    pub fn find(description: &str) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, Unavailable> {
        let ring = session()?;
        let Some(key) = ours(&ring, description)? else {
            return Ok(None);
        };
        let mut buf = Zeroizing::new([0u8; KEY_LEN]);
        match key.read(&mut *buf) {
            Ok(KEY_LEN) => Ok(Some(buf)),
            // Anything else is not our key (or it vanished meanwhile): treat as absent.
            Ok(_) | Err(_) => Ok(None),
        }
    }

    /// The current key, or a new random one added to the session keyring.
    pub fn find_or_create(description: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, Unavailable> {
        if let Some(key) = find(description)? {
            return Ok(key);
        }
        let mut fresh = Zeroizing::new([0u8; KEY_LEN]);
        rand::thread_rng().fill_bytes(&mut *fresh);
        let ring = session()?;
        let key = ring
            .add_key(description, &*fresh)
            .map_err(|e| Unavailable(format!("kernel keyring add: {e:?}")))?;
        // Possessor-only: another user, or a process outside this login session, cannot read it.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(
                Permission::VIEW
                    | Permission::READ
                    | Permission::WRITE
                    | Permission::SEARCH
                    | Permission::SETATTR,
            )
            .user(Permission::VIEW)
            .build();
        // A key that would outlive its timeout or be readable more widely is not used.
        if let Err(e) = key
            .set_perms(perms)
            .and_then(|()| key.set_timeout(KEY_TIMEOUT_SECS))
        {
            let _ = key.invalidate();
            return Err(Unavailable(format!(
                "kernel keyring key permissions/timeout: {e:?}"
            )));
        }
        // Two processes may have raced to create it; the keyring keeps the last one written,
        // so read back what is there and seal with that.
        find(description)?.ok_or_else(|| Unavailable("kernel keyring key vanished".into()))
    }

    pub fn forget(description: &str) {
        if let Ok(ring) = session() {
            if let Ok(Some(key)) = ours(&ring, description) {
                let _ = key.invalidate();
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;
    const NO: &str = "the kernel keyring exists on Linux only";
    pub fn find(_: &str) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, Unavailable> {
        Err(Unavailable(NO.into()))
    }
    pub fn find_or_create(_: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, Unavailable> {
        Err(Unavailable(NO.into()))
    }
    pub fn forget(_: &str) {}
}

pub use imp::{find, find_or_create, forget};
