//! Consistent copies of a SQLite store file while a server writes it, and
//! the checks a copy passes before it replaces a store.
//!
//! A copy is made with `VACUUM INTO` on a read-only connection: SQLite
//! writes one transaction's snapshot of the whole database to a new file,
//! while writers in other processes go on (WAL mode), so the copy holds
//! exactly the transactions committed before it started.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use trent_core::store::{StoreError, StoreResult};

use crate::records::backend;
use crate::sqlite::SCHEMA_VERSION;

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// Keys in the copy.
    pub keys: u64,
    /// Its schema version.
    pub schema_version: i64,
}

async fn read_only(path: &Path) -> StoreResult<sqlx::SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
        .map_err(backend)
}

/// Copies the store file `db` to `out` (which must not exist), consistent
/// as of one transaction, and makes the copy durable.
pub async fn backup(db: &Path, out: &Path) -> StoreResult<BackupInfo> {
    if !db.exists() {
        return Err(StoreError::Backend(format!("{} does not exist", db.display())));
    }
    if out.exists() {
        return Err(StoreError::Backend(format!("{} already exists; choose a new file", out.display())));
    }
    let target = out.to_str().ok_or_else(|| StoreError::Backend(format!("{} is not UTF-8", out.display())))?;
    let mut conn = read_only(db).await?;
    sqlx::query("VACUUM INTO ?1").bind(target).execute(&mut conn).await.map_err(backend)?;
    conn.close().await.map_err(backend)?;
    let sync = |p: &Path| std::fs::File::open(p).and_then(|f| f.sync_all());
    sync(out).map_err(|e| StoreError::Backend(format!("syncing {}: {e}", out.display())))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync(dir).map_err(|e| StoreError::Backend(format!("syncing {}: {e}", dir.display())))?;
    }
    check(out).await
}

/// Checks that `path` is a whole Trent store this version can open: SQLite's
/// integrity check passes, the schema is not newer than this build's, and
/// it has Trent's tables.
pub async fn check(path: &Path) -> StoreResult<BackupInfo> {
    let bad = |why: String| StoreError::Backend(format!("{} is not a usable Trent backup: {why}", path.display()));
    let mut conn = read_only(path).await.map_err(|e| bad(e.to_string()))?;
    let integrity: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.map_err(|e| bad(e.to_string()))?;
    if integrity != "ok" {
        return Err(bad(format!("integrity check: {integrity}")));
    }
    let schema_version: i64 =
        sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut conn).await.map_err(|e| bad(e.to_string()))?;
    if !(1..=SCHEMA_VERSION).contains(&schema_version) {
        return Err(bad(format!("schema version {schema_version}, this build reads 1 to {SCHEMA_VERSION}")));
    }
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keys")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| bad(format!("no keys table ({e})")))?;
    conn.close().await.map_err(backend)?;
    Ok(BackupInfo { keys: u64::try_from(keys).unwrap_or(0), schema_version })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use trent_core::store::{Doc, KeyStore};

    #[tokio::test]
    async fn a_copy_is_checked_and_a_non_store_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("trent.sqlite3");
        let store = SqliteStore::open(&db).await.expect("open");
        let doc = Doc { kind: "k".into(), scope: "s".into(), id: "1".into(), body: "{}".into() };
        store.insert_doc(&doc).await.expect("write");
        // Taken while the store is open and writing.
        let out = dir.path().join("copy.sqlite3");
        let info = backup(&db, &out).await.expect("backup");
        assert_eq!(info, BackupInfo { keys: 0, schema_version: SCHEMA_VERSION });
        store.insert_doc(&Doc { id: "2".into(), ..doc.clone() }).await.expect("write after");
        let copy = SqliteStore::open(&out).await.expect("open the copy");
        assert_eq!(copy.get_doc("k", "s", "1").await.expect("get"), Some(doc), "before the copy: in it");
        assert_eq!(copy.get_doc("k", "s", "2").await.expect("get"), None, "after the copy: not in it");
        // Never over an existing file.
        let again = backup(&db, &out).await.expect_err("existing target");
        assert!(again.to_string().contains("already exists"), "{again}");
        // Not a store.
        let junk = dir.path().join("junk");
        std::fs::write(&junk, b"not a database at all, just some bytes that go on for a while").expect("write");
        let refused = check(&junk).await.expect_err("junk");
        assert!(refused.to_string().contains("not a usable Trent backup"), "{refused}");
    }
}
