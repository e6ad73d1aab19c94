//! Reading the operating system's certificate store on Linux and the BSDs, where it is PEM
//! files: the same files, in the same order, with the same rules as `rustls-native-certs`
//! (`SSL_CERT_FILE` and `SSL_CERT_DIR` when either is set, else the OpenSSL locations
//! `openssl-probe` finds; a directory's regular files, symlinks followed, each file once),
//! and the same certificates out (a differential test holds it to that).
//!
//! Why not that crate's reader: every cold login reads the store, and on Debian the bundle
//! and the directory it is made from hold the same ~146 certificates, so ~290 PEM blocks
//! are decoded, each with a constant-time base64 decoder (made for private keys, ~12% of a
//! cold run's CPU in `perf`). Here a block whose text was already seen is skipped before
//! decoding, and public certificates are decoded with the ordinary `base64` decoder.
//! macOS and Windows keep `rustls-native-certs`, which asks their certificate stores.
use base64::Engine;
use rustls::pki_types::CertificateDer;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// The certificates of the store (each once), and what could not be read (for the debug log:
/// an unreadable store is not fatal, the built-in roots remain).
pub struct Loaded {
    pub certs: Vec<CertificateDer<'static>>,
    pub errors: Vec<String>,
}

/// The store's locations, as `rustls-native-certs` chooses them.
pub fn locations() -> (Option<PathBuf>, Vec<PathBuf>) {
    let file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let dirs: Vec<PathBuf> = match std::env::var_os("SSL_CERT_DIR") {
        Some(dirs) => std::env::split_paths(&dirs)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => Vec::new(),
    };
    if file.is_some() || !dirs.is_empty() {
        return (file, dirs);
    }
    let probed = openssl_probe::probe();
    (probed.cert_file, probed.cert_dir)
}

/// Reads `file`, then every directory of `dirs`.
pub fn load(file: Option<&Path>, dirs: &[PathBuf]) -> Loaded {
    let mut reader = Reader::default();
    if let Some(file) = file {
        if let Ok(meta) = std::fs::metadata(file) {
            reader.first_visit(&meta);
        }
        reader.file(file);
    }
    for dir in dirs {
        reader.dir(dir);
    }
    Loaded {
        certs: reader.certs,
        errors: reader.errors,
    }
}

#[derive(Default)]
struct Reader {
    certs: Vec<CertificateDer<'static>>,
    errors: Vec<String>,
    /// (device, inode) of files read: a directory's hash links name the same files.
    files: HashSet<(u64, u64)>,
    /// Base64 text of the blocks decoded (the bundle repeats the directory's files). Ordered
    /// sets: two certificates' texts differ within a few dozen bytes, so a comparison is
    /// cheaper than hashing ~1.8 KB with SipHash.
    blocks: BTreeSet<Vec<u8>>,
    ders: BTreeSet<Vec<u8>>,
}

impl Reader {
    fn first_visit(&mut self, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.files.insert((meta.dev(), meta.ino()))
    }

    fn dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.errors.push(format!("{}: {e}", dir.display())),
        };
        for entry in entries {
            let path = match entry {
                Ok(entry) => entry.path(),
                Err(e) => {
                    self.errors.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            // Symlinks followed (`openssl rehash` makes them); dangling ones skipped.
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    self.errors.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            if meta.is_file() && self.first_visit(&meta) {
                self.file(&path);
            }
        }
    }

    fn file(&mut self, path: &Path) {
        match std::fs::read(path) {
            Ok(bytes) => self.pem(&bytes, path),
            Err(e) => self.errors.push(format!("{}: {e}", path.display())),
        }
    }

    /// The `CERTIFICATE` blocks of a PEM file (other kinds, and text between blocks, are
    /// ignored as `rustls-pki-types` ignores them).
    fn pem(&mut self, bytes: &[u8], path: &Path) {
        let mut lines = bytes.split(|&b| b == b'\n').map(<[u8]>::trim_ascii);
        while let Some(line) = lines.next() {
            if line != BEGIN.as_bytes() {
                continue;
            }
            let mut body = Vec::with_capacity(2048);
            let mut ended = false;
            for line in lines.by_ref() {
                if line == END.as_bytes() {
                    ended = true;
                    break;
                }
                if line.iter().any(u8::is_ascii_whitespace) {
                    body.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
                } else {
                    body.extend_from_slice(line);
                }
            }
            if !ended {
                self.errors.push(format!(
                    "{}: a certificate without its END line",
                    path.display()
                ));
                return;
            }
            if self.blocks.contains(&body) {
                continue;
            }
            match base64::engine::general_purpose::STANDARD.decode(&body) {
                Ok(der) => {
                    if !self.ders.contains(&der) {
                        self.ders.insert(der.clone());
                        self.certs.push(CertificateDer::from(der));
                    }
                }
                Err(e) => self.errors.push(format!("{}: {e}", path.display())),
            }
            self.blocks.insert(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut certs: Vec<CertificateDer<'static>>) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = certs.drain(..).map(|c| c.as_ref().to_vec()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The same certificates as `rustls-native-certs` reads from the same paths.
    fn same_as_the_crate(file: Option<&Path>, dir: Option<&Path>) -> usize {
        let dirs: Vec<PathBuf> = dir.map(Path::to_path_buf).into_iter().collect();
        let ours = load(file, &dirs);
        let theirs = rustls_native_certs::load_certs_from_paths(file, dir);
        let ours_sorted = sorted(ours.certs.clone());
        assert_eq!(ours_sorted.len(), ours.certs.len(), "each certificate once");
        assert_eq!(ours_sorted, sorted(theirs.certs));
        ours.certs.len()
    }

    #[test]
    fn reads_the_certificates_rustls_native_certs_reads_from_this_machines_store() {
        let (file, dirs) = (
            Path::new("/etc/ssl/certs/ca-certificates.crt"),
            Path::new("/etc/ssl/certs"),
        );
        if !file.exists() {
            return; // not a Debian-like layout; the crafted store below still runs
        }
        let n = same_as_the_crate(Some(file), Some(dirs));
        assert!(n > 100, "{n} certificates in the system store");
    }

    #[test]
    fn reads_the_certificates_rustls_native_certs_reads_from_a_crafted_store() {
        let system =
            std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
        let blocks: Vec<&str> = system
            .split_inclusive(END)
            .filter(|b| b.contains(BEGIN))
            .take(4)
            .collect();
        if blocks.len() < 4 {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A bundle with CRLF line ends, text around the blocks and a private-key block.
        let bundle = format!(
            "# comment\r\n{}\r\n-----BEGIN PRIVATE KEY-----\r\nAAAA\r\n-----END PRIVATE KEY-----\r\n{}\r\n",
            blocks[0].trim().replace('\n', "\r\n"),
            blocks[1].trim().replace('\n', "\r\n")
        );
        std::fs::write(d.join("bundle.crt"), bundle).unwrap();
        // The same certificate wrapped at another width: one certificate.
        let body: String = blocks[0]
            .lines()
            .filter(|l| !l.starts_with("-----") && !l.starts_with('#'))
            .collect();
        let rewrapped: Vec<String> = body
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        std::fs::write(
            d.join("rewrapped.pem"),
            format!("{BEGIN}\n{}\n{END}\n", rewrapped.join("\n")),
        )
        .unwrap();
        std::fs::write(d.join("two.pem"), blocks[2..].join("\n")).unwrap();
        std::os::unix::fs::symlink(d.join("two.pem"), d.join("abcdef01.0")).unwrap();
        std::os::unix::fs::symlink(d.join("missing.pem"), d.join("dangling.0")).unwrap();
        std::fs::write(d.join("notes.txt"), "no certificate here\n").unwrap();
        assert_eq!(same_as_the_crate(Some(&d.join("bundle.crt")), Some(d)), 4);
        assert_eq!(same_as_the_crate(None, Some(d)), 4);
        assert_eq!(same_as_the_crate(Some(&d.join("two.pem")), None), 2);
    }
}
