//! The timestamped backup of `~/.aws/config` taken before `config init` writes it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[allow(unused_imports)]
use super::*;
use crate::error::Error;

/// Backups are named `<config file name><BACKUP_INFIX><UTC time>`, e.g.
/// `config.aws-okta-backup-20250102T030405Z`, beside the config file.
pub const BACKUP_INFIX: &str = ".aws-okta-backup-";

pub(super) fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// Copies the old contents to `<config><BACKUP_INFIX><UTC time>` (mode 0600), never
/// overwriting an earlier backup.
pub fn backup(config_path: &Path, old: &[u8]) -> Result<PathBuf, Error> {
    let name = config_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let stamp = utc_stamp(SystemTime::now());
    for i in 0..1000u32 {
        let file = if i == 0 {
            format!("{name}{BACKUP_INFIX}{stamp}")
        } else {
            format!("{name}{BACKUP_INFIX}{stamp}-{i}")
        };
        let path = config_path.with_file_name(file);
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                f.write_all(old)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| Error::io(&path, e))?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Err(Error::io(
        config_path,
        io::Error::new(io::ErrorKind::AlreadyExists, "too many backups this second"),
    ))
}

/// `YYYYMMDDTHHMMSSZ`.
pub(super) fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "20240229T235959Z"
        );
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(4_102_444_800)),
            "21000101T000000Z"
        );
    }
}
