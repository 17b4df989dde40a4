//! `trent backup` and `trent restore` for the default SQLite store.
//!
//! A backup is a consistent copy of `trent.sqlite3` taken while the server
//! runs (see `trent_store::sqlite_backup`). It holds key material sealed
//! under the root key and not the root key itself: it is useless without
//! `root.key`, which is kept apart on purpose.

use std::path::Path;

use trent_store::sqlite_backup::{self, BackupInfo};

use super::MaintenanceError;
use super::data_lock::DataDirLock;
use crate::config::Config;
use crate::server::STORE_FILE;

fn sqlite_only(config: &Config, what: &str) -> Result<(), MaintenanceError> {
    match config.store.url {
        None => Ok(()),
        Some(_) => Err(MaintenanceError::Unsupported(format!(
            "{what} covers the SQLite store in the data directory; back up a PostgreSQL store with pg_dump"
        ))),
    }
}

/// Writes a consistent copy of the data directory's store to `out`.
pub async fn backup(data_dir: &Path, config: &Config, out: &Path) -> Result<BackupInfo, MaintenanceError> {
    sqlite_only(config, "trent backup")?;
    Ok(sqlite_backup::backup(&data_dir.join(STORE_FILE), out).await?)
}

/// Replaces (with `force`) or creates the data directory's store from the
/// backup `from`, with no server running on the directory.
pub async fn restore(
    data_dir: &Path,
    config: &Config,
    from: &Path,
    force: bool,
) -> Result<BackupInfo, MaintenanceError> {
    sqlite_only(config, "trent restore")?;
    let info = sqlite_backup::check(from).await?;
    let io = |what: &Path, e| MaintenanceError::Io(what.display().to_string(), e);
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir).map_err(|e| io(data_dir, e))?;
    }
    let _lock = DataDirLock::exclusive(data_dir)?;
    let db = data_dir.join(STORE_FILE);
    if db.exists() && !force {
        return Err(MaintenanceError::Unsupported(format!(
            "{} exists; `--force` replaces it with the backup",
            db.display()
        )));
    }
    let tmp = data_dir.join(format!("{STORE_FILE}.restoring"));
    std::fs::copy(from, &tmp).map_err(|e| io(&tmp, e))?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io(&tmp, e))?;
    // The old store's log must go before the new file takes its name: SQLite
    // would replay it onto the restored database.
    for suffix in ["-wal", "-shm"] {
        let p = data_dir.join(format!("{STORE_FILE}{suffix}"));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&p, e)),
        }
    }
    std::fs::rename(&tmp, &db).map_err(|e| io(&db, e))?;
    std::fs::File::open(data_dir).and_then(|d| d.sync_all()).map_err(|e| io(data_dir, e))?;
    Ok(info)
}
