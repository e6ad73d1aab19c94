//! Encrypted-file keychain for headless machines: one file per item under `~/.aws-okta/keyring/`,
//! XChaCha20-Poly1305 with a key derived once per process by Argon2id from a passphrase
//! (`AWS_OKTA_FILE_PASSPHRASE` or a prompt). The item name is bound as associated data so
//! files cannot be swapped between items.
use super::{error, Backend, Keychain};
use crate::Result;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"AOK1";
const NONCE_LEN: usize = 24;
const SALT_FILE: &str = "salt";
const CHECK_ITEM: &str = ".passphrase-check";
const CHECK_PLAINTEXT: &[u8] = b"aws-okta file keychain";
/// OWASP's Argon2id baseline (19 MiB, 2 passes); see the README before changing it.
pub(super) const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;

pub struct FileKeychain {
    dir: PathBuf,
    source: KeySource,
    key: OnceLock<Zeroizing<[u8; 32]>>,
}

/// Where the sealing key comes from.
enum KeySource {
    /// Argon2id from the passphrase: the Okta password, session and tokens.
    Passphrase,
    /// A random key in the kernel session keyring (`session_key`): the AWS credential cache.
    KernelSession { description: String },
}

impl FileKeychain {
    pub fn new(dir: PathBuf) -> FileKeychain {
        FileKeychain {
            dir,
            source: KeySource::Passphrase,
            key: OnceLock::new(),
        }
    }

    /// The credential cache sealed by the kernel session key, or `None` when this machine has
    /// no usable kernel keyring (the caller then keeps the cache under the passphrase key).
    pub fn sealed_by_session_key(dir: PathBuf, description: String) -> Option<FileKeychain> {
        let found = match super::session_key::find(&description) {
            Ok(found) => found,
            Err(unavailable) => {
                tracing::debug!(reason = %unavailable.0, "no kernel keyring; credential cache stays under the passphrase key");
                return None;
            }
        };
        let key = OnceLock::new();
        if let Some(found) = found {
            let _ = key.set(found);
        }
        Some(FileKeychain {
            dir,
            source: KeySource::KernelSession { description },
            key,
        })
    }

    /// The sealing key for reading: `None` when a kernel session key is gone (expired, new
    /// login session), so whatever it sealed is unreadable.
    fn read_key(&self) -> Result<Option<&[u8; 32]>> {
        match &self.source {
            KeySource::Passphrase => self.key().map(Some),
            KeySource::KernelSession { description } => {
                if let Some(key) = self.key.get() {
                    return Ok(Some(key));
                }
                // Another process may have created the key since we looked (parallel logins
                // waiting on the login lock read what the first one stored).
                match super::session_key::find(description) {
                    Ok(Some(found)) => Ok(Some(self.key.get_or_init(|| found))),
                    Ok(None) | Err(_) => Ok(None),
                }
            }
        }
    }

    fn path(&self, item: &str) -> PathBuf {
        // Item names are ours, but keep file names safe whatever a profile is called.
        let safe: String = item
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        self.dir.join(format!("{safe}.enc"))
    }

    /// The sealing key for writing. A passphrase key is derived once per process (creating the
    /// salt and a passphrase check on first use); a kernel session key is created when missing.
    fn key(&self) -> Result<&[u8; 32]> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        create_private_dir(&self.dir)?;
        if let KeySource::KernelSession { description } = &self.source {
            let key = super::session_key::find_or_create(description)
                .map_err(|e| error(Backend::File, e.0))?;
            return Ok(self.key.get_or_init(|| key));
        }
        let salt = read_or_create_salt(&self.dir.join(SALT_FILE))?;
        // A stored check item tells a wrong passphrase apart from a corrupt item. It must be
        // readable: a check that exists but cannot be read must not be replaced by one for
        // whatever passphrase this run was given (fail closed).
        let check_path = self.path(CHECK_ITEM);
        let check = match std::fs::read(&check_path) {
            Ok(data) => Some(data),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(error(
                    Backend::File,
                    format!(
                        "cannot read the passphrase check {}: {e}",
                        check_path.display()
                    ),
                ))
            }
        };
        let passphrase = passphrase(check.is_none())?;
        let mut key = Zeroizing::new([0u8; 32]);
        let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, Some(32))
            .map_err(|e| error(Backend::File, e))?;
        // In memory of our own (huge pages on Linux: the same key, ~40% sooner; see
        // `kdf_memory`), returned to the kernel right after.
        let mut memory = super::kdf_memory::KdfMemory::new(params.block_count());
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(
                passphrase.as_bytes(),
                &salt,
                key.as_mut(),
                memory.blocks(),
            )
            .map_err(|e| error(Backend::File, e))?;
        drop(memory);

        match check {
            Some(data) => {
                if decrypt(&key, CHECK_ITEM, &data)
                    .as_deref()
                    .map(|p| p.as_slice())
                    != Some(CHECK_PLAINTEXT)
                {
                    return Err(error(
                        Backend::File,
                        "wrong passphrase for the file keychain",
                    ));
                }
            }
            None => {
                let _ = crate::fsutil::write_atomic(
                    &check_path,
                    &encrypt(&key, CHECK_ITEM, CHECK_PLAINTEXT)?,
                    0o600,
                );
            }
        }
        Ok(self.key.get_or_init(|| key))
    }
}

impl Keychain for FileKeychain {
    fn backend(&self) -> Backend {
        Backend::File
    }

    fn get(&self, item: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let path = self.path(item);
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(error(
                    Backend::File,
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        let Some(key) = self.read_key()? else {
            return Err(error(
                Backend::File,
                format!(
                    "{} was sealed by a session key that is gone (new login session or expired)",
                    path.display()
                ),
            ));
        };
        match decrypt(key, item, &data) {
            Some(plain) => Ok(Some(plain)),
            None => Err(error(
                Backend::File,
                format!(
                    "{} cannot be decrypted (corrupt or written with another passphrase)",
                    path.display()
                ),
            )),
        }
    }

    fn set(&self, item: &str, secret: &[u8]) -> Result<()> {
        // Also when the key is already known (read earlier in this process from the session
        // keyring): the directory may not exist yet, or may have been removed.
        create_private_dir(&self.dir)?;
        let key = self.key()?;
        let data = encrypt(key, item, secret)?;
        let path = self.path(item);
        crate::fsutil::write_atomic(&path, &data, 0o600).map_err(|e| {
            error(
                Backend::File,
                format!("cannot write {}: {e}", path.display()),
            )
        })
    }

    fn delete(&self, item: &str) -> Result<bool> {
        match std::fs::remove_file(self.path(item)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(error(
                Backend::File,
                format!("cannot delete item '{item}': {e}"),
            )),
        }
    }
}

/// The per-keychain random salt; if parallel processes race to create it, one wins and the
/// others read its salt.
fn read_or_create_salt(path: &Path) -> Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| {
        error(
            Backend::File,
            format!("cannot read {}: {e}", path.display()),
        )
    };
    match std::fs::read(path) {
        Ok(salt) if salt.len() >= 16 => Ok(salt),
        Ok(_) => Err(error(
            Backend::File,
            format!(
                "{} is corrupt: delete that directory and run `aws-okta add` again",
                path.display()
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut salt = vec![0u8; 16];
            rand::thread_rng().fill_bytes(&mut salt);
            match write_new(path, &salt) {
                Ok(()) => Ok(salt),
                Err(_) => std::fs::read(path).map_err(unreadable),
            }
        }
        Err(e) => Err(unreadable(e)),
    }
}

/// Environment variables that give the file backend its passphrase. None of them reaches a
/// command run by `exec` (see `cli::exec`).
pub const PASSPHRASE_FILE_ENV: &str = "AWS_OKTA_FILE_PASSPHRASE_FILE";
pub const PASSPHRASE_COMMAND_ENV: &str = "AWS_OKTA_FILE_PASSPHRASE_COMMAND";
pub const PASSPHRASE_ENV: &str = "AWS_OKTA_FILE_PASSPHRASE";

/// The passphrase, from the first of: `AWS_OKTA_FILE_PASSPHRASE_FILE` (a file, or a file
/// descriptor as `/dev/fd/N` or `fd:N`, first line), `AWS_OKTA_FILE_PASSPHRASE_COMMAND` (a
/// command whose first line of stdout is the passphrase, e.g. `pass show aws-okta`),
/// `AWS_OKTA_FILE_PASSPHRASE`, or the terminal (asked twice when `new`). Never empty.
fn passphrase(new: bool) -> Result<Zeroizing<String>> {
    let nonempty = |p: Zeroizing<String>, from: &str| {
        if p.is_empty() {
            Err(error(
                Backend::File,
                format!(
                    "the passphrase from {from} is empty: the file keychain needs a passphrase"
                ),
            ))
        } else {
            Ok(p)
        }
    };
    if let Some(source) = std::env::var_os(PASSPHRASE_FILE_ENV).filter(|v| !v.is_empty()) {
        let p = read_passphrase_file(&source)?;
        return nonempty(p, PASSPHRASE_FILE_ENV);
    }
    if let Some(command) = std::env::var_os(PASSPHRASE_COMMAND_ENV).filter(|v| !v.is_empty()) {
        let p = run_passphrase_command(&command)?;
        return nonempty(p, PASSPHRASE_COMMAND_ENV);
    }
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if !p.is_empty() {
            return Ok(Zeroizing::new(p));
        }
    }
    // After `exec --server` handed the terminal over: `NeedsInput`, which says where to
    // unlock the keychain instead.
    crate::terminal::may_ask("the file keychain passphrase")?;
    if !crate::terminal::interactive() {
        return Err(error(
            Backend::File,
            format!("no passphrase: set {PASSPHRASE_FILE_ENV} or {PASSPHRASE_COMMAND_ENV}, or run in a terminal"),
        ));
    }
    let ask = |prompt: &str| crate::terminal::password(prompt).map_err(|e| error(Backend::File, e));
    if !new {
        let p = ask("Passphrase for the aws-okta file keychain")?;
        return nonempty(p, "the terminal");
    }
    let first = nonempty(
        ask("New passphrase for the aws-okta file keychain")?,
        "the terminal",
    )?;
    let again = ask("Repeat the new passphrase")?;
    if first.as_str() != again.as_str() {
        return Err(error(
            Backend::File,
            "the two passphrases differ: nothing was stored, run the command again",
        ));
    }
    Ok(first)
}

/// The first line of a file or an inherited file descriptor (`/dev/fd/N`, `fd:N`); a file
/// descriptor is closed afterwards so no child inherits it.
fn read_passphrase_file(source: &std::ffi::OsStr) -> Result<Zeroizing<String>> {
    use std::io::Read;
    let text = source.to_string_lossy();
    let fd = text
        .strip_prefix("fd:")
        .or_else(|| text.strip_prefix("/dev/fd/"))
        .and_then(|n| n.parse::<i32>().ok());
    let mut raw = Zeroizing::new(Vec::new());
    let read = match fd {
        #[cfg(unix)]
        Some(fd) if fd > 2 => {
            use std::os::fd::FromRawFd;
            // SAFETY: the user handed us this descriptor to read; we own it from here on and
            // close it when `file` drops.
            let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
            file.read_to_end(&mut raw)
        }
        _ => std::fs::File::open(source).and_then(|mut f| f.read_to_end(&mut raw)),
    };
    read.map_err(|e| {
        error(
            Backend::File,
            format!("cannot read the passphrase from {PASSPHRASE_FILE_ENV}={text}: {e}"),
        )
    })?;
    first_line(&raw, PASSPHRASE_FILE_ENV)
}

/// Runs the passphrase command (`sh -c` on Unix, `cmd /C` on Windows) with stdin and stderr
/// left to the user (so `pass`/gpg can ask), and takes the first line of its stdout.
fn run_passphrase_command(command: &std::ffi::OsStr) -> Result<Zeroizing<String>> {
    let mut cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.arg("/C");
        c
    } else {
        let mut c = std::process::Command::new("/bin/sh");
        c.arg("-c");
        c
    };
    cmd.arg(command)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .env_remove(PASSPHRASE_ENV);
    let output = cmd.output().map_err(|e| {
        error(
            Backend::File,
            format!("cannot run {PASSPHRASE_COMMAND_ENV}: {e}"),
        )
    })?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(error(
            Backend::File,
            format!(
                "{PASSPHRASE_COMMAND_ENV} failed ({}): no passphrase",
                output.status
            ),
        ));
    }
    first_line(&stdout, PASSPHRASE_COMMAND_ENV)
}

fn first_line(raw: &[u8], from: &str) -> Result<Zeroizing<String>> {
    let line = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line)
        .map(|s| Zeroizing::new(s.to_string()))
        .map_err(|_| {
            error(
                Backend::File,
                format!("the passphrase from {from} is not UTF-8"),
            )
        })
}

fn encrypt(key: &[u8; 32], item: &str, plain: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: item.as_bytes(),
            },
        )
        .map_err(|_| error(Backend::File, "encryption failed"))?;
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn decrypt(key: &[u8; 32], item: &str, data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let rest = data.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: item.as_bytes(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

fn create_private_dir(dir: &Path) -> Result<()> {
    crate::fsutil::private_state_dir(dir)
        .map_err(|e| error(Backend::File, format!("cannot use {}: {e}", dir.display())))
}

fn open_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    open_options().create_new(true).open(path)?.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keychain(dir: &Path) -> FileKeychain {
        std::env::set_var("AWS_OKTA_FILE_PASSPHRASE", "test passphrase");
        FileKeychain::new(dir.join("keyring"))
    }

    #[test]
    fn round_trips_and_encrypts_items() {
        let dir = tempfile::tempdir().unwrap();
        let kc = keychain(dir.path());
        assert!(kc.get("okta-creds").unwrap().is_none());
        kc.set("okta-creds", b"super secret value").unwrap();
        assert_eq!(
            kc.get("okta-creds").unwrap().unwrap().as_slice(),
            b"super secret value"
        );
        let raw = std::fs::read(kc.path("okta-creds")).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"secret"), "stored in clear");
        assert!(kc.delete("okta-creds").unwrap());
        assert!(!kc.delete("okta-creds").unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            kc.set("x", b"y").unwrap();
            let mode = std::fs::metadata(kc.path("x"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn item_files_cannot_be_swapped_and_corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let kc = keychain(dir.path());
        kc.set("a", b"alpha").unwrap();
        std::fs::copy(kc.path("a"), kc.path("b")).unwrap();
        assert!(kc.get("b").is_err(), "item bound to its name");
        std::fs::write(kc.path("a"), b"AOK1garbage").unwrap();
        let err = kc.get("a").unwrap_err().to_string();
        assert!(err.contains("cannot be decrypted"), "{err}");
    }

    #[test]
    fn wrong_passphrase_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let kc = keychain(dir.path());
        kc.set("a", b"alpha").unwrap();
        let other = FileKeychain::new(dir.path().join("keyring"));
        other.key.set(Zeroizing::new([7u8; 32])).ok();
        assert!(other.get("a").is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn session_sealed_items_need_the_kernel_key_and_no_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let description = super::super::session_key::description(dir.path());
        let store =
            FileKeychain::sealed_by_session_key(dir.path().join("cache"), description.clone())
                .expect("the tests run with a kernel session keyring (scripts/lib/with-keyrings)");
        store.set("aws-creds-x", b"short-lived").unwrap();
        let raw = std::fs::read(store.path("aws-creds-x")).unwrap();
        assert!(!raw.windows(11).any(|w| w == b"short-lived"), "sealed");

        // Another process of the same session finds the key (no passphrase is involved: the
        // black-box test `warm_file_backend_runs_need_no_passphrase...` runs without one).
        let other =
            FileKeychain::sealed_by_session_key(dir.path().join("cache"), description.clone())
                .unwrap();
        assert_eq!(
            other.get("aws-creds-x").unwrap().unwrap().as_slice(),
            b"short-lived"
        );

        // Once the key is gone the item is unreadable (an error the cache treats as a miss).
        super::super::session_key::forget(&description);
        let after =
            FileKeychain::sealed_by_session_key(dir.path().join("cache"), description.clone())
                .unwrap();
        let err = after.get("aws-creds-x").unwrap_err().to_string();
        assert!(err.contains("session key that is gone"), "{err}");
        // A new store creates a new key and works again.
        after.set("aws-creds-x", b"fresh").unwrap();
        assert_eq!(
            after.get("aws-creds-x").unwrap().unwrap().as_slice(),
            b"fresh"
        );
        super::super::session_key::forget(&description);
    }

    #[test]
    fn unsafe_item_names_stay_inside_the_directory() {
        let kc = FileKeychain::new(PathBuf::from("/k"));
        assert_eq!(kc.path("../x y"), PathBuf::from("/k/..%2Fx%20y.enc"));
    }
}
