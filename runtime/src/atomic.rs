//! Replacing a file atomically: write a temporary file in the same
//! directory, flush it to disk, give it the old file's permissions, rename
//! it over the target. A reader (or a crash) sees the old file or the new
//! one, never half of one. Used by every command that writes files and by
//! the agents' checkpoints.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, bytes, false)
}

/// Writes `bytes` to `path` atomically, readable and writable by the owner
/// only (mode 0600 on Unix) from the moment the temporary file is created:
/// for secrets such as the cluster's key file.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, bytes, true)
}

fn write_with(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    // A target that exists and is not a regular file (`/dev/null`, a FIFO,
    // a terminal) is written to, never replaced: renaming over it would
    // turn `/dev/null` into a file for the whole machine.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            return OpenOptions::new().write(true).open(path)?.write_all(bytes);
        }
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    if private {
        // A temporary file left by a crash would keep its old mode.
        let _ = std::fs::remove_file(&temp);
    }
    let result = (|| {
        let mut file = create(&temp, private)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if !private {
            if let Ok(meta) = std::fs::metadata(path) {
                std::fs::set_permissions(&temp, meta.permissions())?;
            }
        }
        std::fs::rename(&temp, path)?;
        // The rename itself is durable only once the directory is synced.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Creates (truncating) the temporary file, owner-only if `private`.
fn create(path: &Path, private: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `balletc simulate --gantt /dev/null` once replaced the machine's
    /// `/dev/null` with a file; a device is written to, not replaced.
    #[cfg(unix)]
    #[test]
    fn devices_are_written_to_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        write_atomically(null, b"discarded").expect("write");
        let meta = std::fs::metadata(null).expect("stat");
        assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
    }

    #[test]
    fn replaces_files_and_keeps_secrets_private() {
        let dir = std::env::temp_dir().join(format!("ballet-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f");
        write_atomically(&path, b"one").expect("write");
        write_atomically(&path, b"two").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let secret = dir.join("s");
        write_private(&secret, b"k").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
