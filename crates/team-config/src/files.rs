//! Writing generated files atomically, and finding stale ones.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::render::GENERATED_MARKER;
use crate::{GeneratedFile, TEAMS_DIR};

/// Writes every file under `base` whose contents differ (creating directories), each
/// atomically (temporary file in the same directory, then rename), and deletes generated team
/// configs of teams that no longer exist (`teams/*.config` files starting with the generated
/// header; other files are never touched). Returns the relative paths written or deleted,
/// sorted; empty when everything was up to date.
pub fn write_files(base: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, Error> {
    let mut changed = Vec::new();
    for f in files {
        let path = base.join(&f.path);
        if fs::read(&path).ok().as_deref() == Some(f.contents.as_bytes()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        atomic_write(&path, f.contents.as_bytes(), None).map_err(|e| Error::io(&path, e))?;
        changed.push(f.path.clone());
    }
    for rel in orphans(base, files) {
        let path = base.join(&rel);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        changed.push(rel);
    }
    changed.sort();
    Ok(changed)
}

/// The relative paths that [`write_files`] would change: files missing or different under
/// `base`, and orphaned generated team configs. Empty means up to date (`--check` passes).
pub fn stale_files(base: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    let mut stale: Vec<PathBuf> = files
        .iter()
        .filter(|f| fs::read(base.join(&f.path)).ok().as_deref() != Some(f.contents.as_bytes()))
        .map(|f| f.path.clone())
        .collect();
    stale.extend(orphans(base, files));
    stale.sort();
    stale
}

/// Generated team configs under `base/teams/` that `files` no longer contains.
fn orphans(base: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    let wanted: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let Ok(entries) = fs::read_dir(base.join(TEAMS_DIR)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let rel = Path::new(TEAMS_DIR).join(&name);
        if rel.extension().and_then(|e| e.to_str()) != Some("config")
            || wanted.contains(rel.as_path())
        {
            continue;
        }
        let generated = fs::read_to_string(entry.path())
            .map(|s| s.starts_with(GENERATED_MARKER))
            .unwrap_or(false);
        if generated {
            out.push(rel);
        }
    }
    out.sort();
    out
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old or the new file, never a torn one. `mode` (Unix permission bits) is
/// applied to the new file; `None` keeps the mode of an existing file, else the umask default.
pub(crate) fn atomic_write(path: &Path, contents: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".{name}.tmp-");
    builder.prefix(&prefix);
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode.or_else(|| {
            fs::metadata(path)
                .ok()
                .map(|m| m.permissions().mode() & 0o7777)
        });
        builder.permissions(fs::Permissions::from_mode(mode.unwrap_or(0o666)));
        mode
    };
    // Removed on drop unless persisted: a failed write leaves no temporary file behind.
    let mut file = builder.tempfile_in(&dir)?;
    file.write_all(contents)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        // The umask may have narrowed the mode at creation: set it exactly.
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // Make the rename durable; not all platforms can open a directory, so best effort.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
