//! Writing files the user owns without ever leaving them half-written.
use std::io::Write;
use std::path::{Path, PathBuf};

/// Temp file in the same directory + fsync + rename + fsync of the directory. `mode` applies
/// to the new content on Unix. A symlink at `path` is kept: its target is replaced (so a
/// `~/.aws/credentials` linked into a dotfiles repository stays a link).
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let path = &resolve_symlink(path);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = create_temp_beside(path, &file_name, mode)?;
    let result = (|| {
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new temp file `.<name>.tmp<pid>.<random>` beside `path`, created with `O_EXCL` (never an
/// existing file or a symlink planted there) and `mode`.
fn create_temp_beside(
    path: &Path,
    file_name: &str,
    mode: u32,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    use rand::Rng;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let suffix: u32 = rand::thread_rng().gen();
        let tmp = path.with_file_name(format!(
            ".{file_name}.tmp{}.{suffix:08x}",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 16 => {}
            Err(e) => return Err(e),
        }
    }
}

/// The file a symlink finally points to (relative targets resolved against the link's
/// directory); `path` itself when it is not a symlink or cannot be read.
pub fn resolve_symlink(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&current) {
                Ok(target) => {
                    current = match current.parent() {
                        Some(dir) if target.is_relative() => dir.join(target),
                        _ => target,
                    }
                }
                Err(_) => return current,
            },
            _ => return current,
        }
    }
    current
}

/// Makes a rename durable: fsync of the directory that holds `path` (Unix; elsewhere a no-op).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `dir` (and missing parents) as a private directory and checks it: a real
/// directory (not a symlink), owned by us, mode 0700 (group or other bits are removed). One
/// owned by another user is refused: they could read or replace what we put there.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::symlink_metadata(dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory (a symlink or a file): refusing to keep secrets there",
                dir.display()
            )));
        }
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(std::io::Error::other(format!(
                "{} belongs to user id {}, not to you ({me}): refusing to use it; remove it or set AWS_OKTA_HOME",
                dir.display(),
                meta.uid()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// `dir`, a directory under aws-okta's state directory, created private after the state
/// directory itself is checked ([`ensure_private_dir`]).
pub fn private_state_dir(dir: &Path) -> std::io::Result<()> {
    let state = crate::paths::state_dir();
    if dir.starts_with(&state) && dir != state {
        ensure_private_dir(&state)?;
    }
    ensure_private_dir(dir)
}

/// Takes an exclusive lock on `path` (created when missing), held until the file is dropped;
/// errors name the file.
pub fn exclusive_lock(path: &Path) -> crate::Result<std::fs::File> {
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| crate::Error::io(format!("cannot open {}", path.display()), e))?;
    lock.lock()
        .map_err(|e| crate::Error::io(format!("cannot lock {}", path.display()), e))?;
    Ok(lock)
}

/// Copies an existing file to `<file>.aws-okta.bak` (mode 0600) before we change it.
pub fn backup(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let backup = path.with_file_name(format!("{file_name}.aws-okta.bak"));
    write_atomic(&backup, &data, 0o600)?;
    Ok(Some(backup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_with_mode_and_backs_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        assert_eq!(backup(&path).unwrap(), None);
        write_atomic(&path, b"one", 0o600).unwrap();
        let saved = backup(&path).unwrap().unwrap();
        write_atomic(&path, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read(&saved).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 2, "no temp files left");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_file_stays_a_symlink_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-credentials");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink("dotfiles-credentials", &link).unwrap();
        write_atomic(&link, b"new", 0o600).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_temp_file_or_symlink_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        // The old fixed temp name, planted as a symlink to another file.
        let planted = dir
            .path()
            .join(format!(".config.tmp{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&path, b"data", 0o600).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&path).unwrap(), b"data");
    }

    #[cfg(unix)]
    #[test]
    fn private_dirs_are_0700_and_must_be_ours() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&state).unwrap();
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&state, &link).unwrap();
        assert!(ensure_private_dir(&link).is_err(), "a symlink is refused");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let theirs = dir.path().join("theirs");
            std::fs::create_dir(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
            let err = ensure_private_dir(&theirs).unwrap_err();
            assert!(
                err.to_string().contains("belongs to user id 65534"),
                "{err}"
            );
        }
    }
}
