//! A lock file in the data directory: every `trent serve` on the directory
//! holds it shared (several processes may share one SQLite file), and
//! maintenance holds it exclusive, so a root key rotation or a restore never
//! runs under a live server that caches keys and writes the store.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "trent.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone holds it in a way that excludes us.
    #[error("{path} is locked: {holder}")]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Who is probably holding it.
        holder: &'static str,
    },
    /// The lock file could not be opened or locked.
    #[error("{path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A held lock on a data directory; released when dropped (or when the
/// process dies, however it dies).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// The lock a server holds while it runs.
    pub fn shared(data_dir: &Path) -> Result<Self, LockError> {
        Self::take(data_dir, false)
    }

    /// The lock maintenance holds: no server runs on the directory meanwhile.
    pub fn exclusive(data_dir: &Path) -> Result<Self, LockError> {
        Self::take(data_dir, true)
    }

    fn take(data_dir: &Path, exclusive: bool) -> Result<Self, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io { path: path.clone(), source };
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
        let taken = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match taken {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy {
                holder: if exclusive {
                    "a trent serve (or a maintenance command) is using this data directory; stop it first"
                } else {
                    "a maintenance command (rotate-root-key, restore) is running on this data directory"
                },
                path,
            }),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_share_the_directory_and_maintenance_excludes_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = DataDirLock::shared(dir.path()).expect("first server");
        let b = DataDirLock::shared(dir.path()).expect("second server on the same file");
        let refused = DataDirLock::exclusive(dir.path()).expect_err("maintenance under servers");
        assert!(refused.to_string().contains("stop it first"), "{refused}");
        drop((a, b));
        let m = DataDirLock::exclusive(dir.path()).expect("maintenance alone");
        let refused = DataDirLock::shared(dir.path()).expect_err("a server under maintenance");
        assert!(refused.to_string().contains("maintenance command"), "{refused}");
        drop(m);
        DataDirLock::shared(dir.path()).expect("released on drop");
    }
}
