//! The SQLite backend of [`KeyStore`].
//!
//! Layout: one writer pool holding a single connection (SQLite serializes
//! writers anyway; doing it in-process avoids `SQLITE_BUSY` storms) and a
//! reader pool of several connections, which WAL lets run concurrently with
//! the writer. Every connection runs with `synchronous = FULL`, so a commit
//! has reached stable storage before the call returns.
//!
//! Keys are stored as one JSON document per key plus the columns the queries
//! need (account, region, version, state, deletion date); aliases and
//! subsystem documents get their own tables.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use trent_core::model::{AliasRecord, KeyRecord, KeyState};
use trent_core::store::{Doc, KeyStore, Page, StoreError, StoreResult};

/// Schema version written to `PRAGMA user_version` once [`SCHEMA_V1`] is applied.
const SCHEMA_VERSION: i64 = 1;

/// Version 1 of the schema. Each statement is idempotent so a half-finished
/// first start (impossible inside the transaction, but cheap to allow) heals.
const SCHEMA_V1: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS keys (
        key_id        TEXT    NOT NULL PRIMARY KEY,
        account_id    TEXT    NOT NULL,
        region        TEXT    NOT NULL,
        version       INTEGER NOT NULL,
        key_state     TEXT    NOT NULL,
        deletion_date REAL,
        doc           TEXT    NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS keys_by_scope ON keys (account_id, region, key_id)",
    "CREATE INDEX IF NOT EXISTS keys_by_deletion ON keys (key_state, deletion_date)",
    "CREATE TABLE IF NOT EXISTS aliases (
        account_id        TEXT NOT NULL,
        region            TEXT NOT NULL,
        alias_name        TEXT NOT NULL,
        target_key_id     TEXT NOT NULL,
        creation_date     REAL NOT NULL,
        last_updated_date REAL NOT NULL,
        PRIMARY KEY (account_id, region, alias_name)
    )",
    "CREATE INDEX IF NOT EXISTS aliases_by_target ON aliases (target_key_id, alias_name)",
    "CREATE TABLE IF NOT EXISTS docs (
        kind  TEXT NOT NULL,
        scope TEXT NOT NULL,
        id    TEXT NOT NULL,
        body  TEXT NOT NULL,
        PRIMARY KEY (kind, scope, id)
    )",
];

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections per store: enough for the reactor threads of a small
/// host to read in parallel without keeping many idle SQLite handles.
const READERS: u32 = 4;

/// Distinguishes the shared-cache names of in-memory stores within one process.
static MEMORY_SEQ: AtomicU64 = AtomicU64::new(0);

/// [`KeyStore`] on one SQLite database file (or a private in-memory database).
///
/// Exists as Trent's default, zero-setup persistence: a single file that
/// survives restarts and crashes. Cheap to clone; clones share the pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single connection every write goes through.
    writer: SqlitePool,
    /// Connections for reads, concurrent with the writer thanks to WAL.
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path` and brings its
    /// schema up to date. The file runs in WAL mode with `synchronous = FULL`,
    /// foreign keys on and a busy timeout, so several processes may share it.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let store = Self::connect(base.clone(), base.pragma("query_only", "ON")).await?;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&store.writer).await.map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), journal_mode = %mode, "SQLite refused WAL mode; readers will block on writes");
        }
        tracing::debug!(path = %path.display(), "opened SQLite key store");
        Ok(store)
    }

    /// Opens a fresh, empty database that lives in memory only and vanishes
    /// with the store. Exists for tests and throwaway emulator runs.
    pub async fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let seq = MEMORY_SEQ.fetch_add(1, Ordering::Relaxed);
        let name = format!("file:trent-store-mem-{}-{seq}", std::process::id());
        // A shared cache lets the writer and the readers see one database.
        let base = SqliteConnectOptions::new()
            .filename(name)
            .in_memory(true)
            .shared_cache(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        Self::connect(base.clone(), base.pragma("query_only", "ON")).await
    }

    /// Builds both pools and applies the schema. Connections are never retired
    /// (no idle timeout, no max lifetime), which also keeps an in-memory
    /// database alive for as long as the store.
    async fn connect(
        writer_opts: SqliteConnectOptions,
        reader_opts: SqliteConnectOptions,
    ) -> Result<SqliteStore, StoreError> {
        let writer = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(writer_opts)
            .await
            .map_err(backend)?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(READERS)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(reader_opts)
            .await
            .map_err(backend)?;
        Ok(SqliteStore { writer, reader })
    }

    /// Closes both pools, waiting for in-flight statements. Exists so callers
    /// (and tests) can release the file deterministically before reopening it.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Applies the schema inside one `BEGIN IMMEDIATE` transaction, so two
/// processes opening the same new file cannot interleave.
async fn migrate(writer: &SqlitePool) -> StoreResult<()> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
    let current: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *tx).await.map_err(backend)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this Trent understands ({SCHEMA_VERSION})"
        )));
    }
    if current < SCHEMA_VERSION {
        for stmt in SCHEMA_V1 {
            sqlx::query(*stmt).execute(&mut *tx).await.map_err(backend)?;
        }
        sqlx::query("PRAGMA user_version = 1").execute(&mut *tx).await.map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// Maps a driver error: unique/primary-key violations become `AlreadyExists`,
/// everything else `Backend`.
fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::AlreadyExists;
    }
    backend(e)
}

/// Wraps any displayable failure as `Backend`.
fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// `u64` → SQLite INTEGER, refusing values SQLite cannot hold.
fn to_i64(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("value {v} exceeds SQLite's integer range")))
}

/// `LIMIT` for a page of `limit` items: one extra row tells whether more follow.
fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Cuts the extra row fetched by [`fetch_limit`] and reports it as `truncated`.
fn into_page<T>(mut items: Vec<T>, limit: usize) -> Page<T> {
    let truncated = items.len() > limit;
    items.truncate(limit);
    Page { items, truncated }
}

fn key_state_str(key: &KeyRecord) -> &'static str {
    key.key_state.as_str()
}

fn encode_key(key: &KeyRecord) -> StoreResult<String> {
    serde_json::to_string(key).map_err(|e| StoreError::Backend(format!("encoding key {}: {e}", key.key_id)))
}

fn decode_key(doc: &str) -> StoreResult<KeyRecord> {
    serde_json::from_str(doc).map_err(|e| StoreError::Backend(format!("corrupt key document: {e}")))
}

fn alias_from_row(row: &SqliteRow) -> StoreResult<AliasRecord> {
    Ok(AliasRecord {
        account_id: row.try_get("account_id").map_err(backend)?,
        region: row.try_get("region").map_err(backend)?,
        alias_name: row.try_get("alias_name").map_err(backend)?,
        target_key_id: row.try_get("target_key_id").map_err(backend)?,
        creation_date: row.try_get("creation_date").map_err(backend)?,
        last_updated_date: row.try_get("last_updated_date").map_err(backend)?,
    })
}

fn doc_from_row(row: &SqliteRow) -> StoreResult<Doc> {
    Ok(Doc {
        kind: row.try_get("kind").map_err(backend)?,
        scope: row.try_get("scope").map_err(backend)?,
        id: row.try_get("id").map_err(backend)?,
        body: row.try_get("body").map_err(backend)?,
    })
}

/// Picks the alias listing statement for the filters present (static SQL,
/// so each variant keeps its own cached prepared statement and index plan).
fn list_aliases_sql(by_target: bool, after: bool) -> &'static str {
    match (by_target, after) {
        (false, false) => {
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = ?1 AND region = ?2 ORDER BY alias_name LIMIT ?5"
        }
        (false, true) => {
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = ?1 AND region = ?2 AND alias_name > ?4 ORDER BY alias_name LIMIT ?5"
        }
        (true, false) => {
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = ?1 AND region = ?2 AND target_key_id = ?3 ORDER BY alias_name LIMIT ?5"
        }
        (true, true) => {
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = ?1 AND region = ?2 AND target_key_id = ?3 AND alias_name > ?4 ORDER BY alias_name LIMIT ?5"
        }
    }
}

#[async_trait::async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let doc = encode_key(key)?;
        sqlx::query(
            "INSERT INTO keys (key_id, account_id, region, version, key_state, deletion_date, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&key.key_id)
        .bind(&key.account_id)
        .bind(&key.region)
        .bind(to_i64(key.version)?)
        .bind(key_state_str(key))
        .bind(key.deletion_date)
        .bind(doc)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_key(&self, key_id: &str) -> StoreResult<Option<KeyRecord>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM keys WHERE key_id = ?1")
            .bind(key_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode_key).transpose()
    }

    async fn update_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let doc = encode_key(key)?;
        let new_version = to_i64(key.version)?;
        // Version 0 cannot be the successor of anything: nothing matches `-1`.
        let expected = new_version - 1;
        let done = sqlx::query(
            "UPDATE keys SET account_id = ?2, region = ?3, version = ?4, key_state = ?5, deletion_date = ?6, doc = ?7 \
             WHERE key_id = ?1 AND version = ?8",
        )
        .bind(&key.key_id)
        .bind(&key.account_id)
        .bind(&key.region)
        .bind(new_version)
        .bind(key_state_str(key))
        .bind(key.deletion_date)
        .bind(doc)
        .bind(expected)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        // Ask the writer, not a reader: it has certainly seen its own commits.
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM keys WHERE key_id = ?1")
            .bind(&key.key_id)
            .fetch_optional(&self.writer)
            .await
            .map_err(map_err)?;
        Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound })
    }

    async fn delete_key(&self, key_id: &str) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let gone =
            sqlx::query("DELETE FROM keys WHERE key_id = ?1").bind(key_id).execute(&mut *tx).await.map_err(map_err)?;
        if gone.rows_affected() == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM aliases WHERE target_key_id = ?1")
            .bind(key_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn list_keys(
        &self,
        account_id: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>> {
        let query = match after {
            None => sqlx::query_scalar(
                "SELECT doc FROM keys WHERE account_id = ?1 AND region = ?2 ORDER BY key_id LIMIT ?3",
            )
            .bind(account_id)
            .bind(region)
            .bind(fetch_limit(limit)),
            Some(after) => sqlx::query_scalar(
                "SELECT doc FROM keys WHERE account_id = ?1 AND region = ?2 AND key_id > ?4 ORDER BY key_id LIMIT ?3",
            )
            .bind(account_id)
            .bind(region)
            .bind(fetch_limit(limit))
            .bind(after),
        };
        let docs: Vec<String> = query.fetch_all(&self.reader).await.map_err(map_err)?;
        let keys = docs.iter().map(|d| decode_key(d)).collect::<StoreResult<Vec<_>>>()?;
        Ok(into_page(keys, limit))
    }

    async fn count_keys(&self, account_id: &str, region: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keys WHERE account_id = ?1 AND region = ?2")
            .bind(account_id)
            .bind(region)
            .fetch_one(&self.reader)
            .await
            .map_err(map_err)?;
        u64::try_from(n).map_err(backend)
    }

    async fn keys_due_for_deletion(&self, now: f64) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT key_id FROM keys WHERE key_state = ?1 AND deletion_date IS NOT NULL AND deletion_date <= ?2 \
             ORDER BY deletion_date, key_id",
        )
        .bind(KeyState::PendingDeletion.as_str())
        .bind(now)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)
    }

    async fn keys_due_for_rotation(&self, now: f64) -> StoreResult<Vec<String>> {
        // Rotation settings live in the JSON document; a full scan is fine for
        // a local store (rotation is rare) and keeps the schema unchanged.
        sqlx::query_scalar(
            "SELECT key_id FROM keys WHERE json_extract(doc, '$.rotation.enabled') = 1 \
             AND json_extract(doc, '$.rotation.next_rotation') <= ?1 ORDER BY key_id",
        )
        .bind(now)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)
    }

    async fn insert_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO aliases (account_id, region, alias_name, target_key_id, creation_date, last_updated_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&alias.account_id)
        .bind(&alias.region)
        .bind(&alias.alias_name)
        .bind(&alias.target_key_id)
        .bind(alias.creation_date)
        .bind(alias.last_updated_date)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE aliases SET target_key_id = ?4, creation_date = ?5, last_updated_date = ?6 \
             WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3",
        )
        .bind(&alias.account_id)
        .bind(&alias.region)
        .bind(&alias.alias_name)
        .bind(&alias.target_key_id)
        .bind(alias.creation_date)
        .bind(alias.last_updated_date)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM aliases WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3")
            .bind(account_id)
            .bind(region)
            .bind(alias_name)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<Option<AliasRecord>> {
        let row = sqlx::query(
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3",
        )
        .bind(account_id)
        .bind(region)
        .bind(alias_name)
        .fetch_optional(&self.reader)
        .await
        .map_err(map_err)?;
        row.as_ref().map(alias_from_row).transpose()
    }

    async fn list_aliases(
        &self,
        account_id: &str,
        region: &str,
        target_key_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>> {
        // SQLite allows gaps in numbered parameters (`?3`/`?4` unused by some
        // variants), so binding all five keeps one code path for all four.
        let rows = sqlx::query(list_aliases_sql(target_key_id.is_some(), after.is_some()))
            .bind(account_id)
            .bind(region)
            .bind(target_key_id.unwrap_or_default())
            .bind(after.unwrap_or_default())
            .bind(fetch_limit(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?;
        let aliases = rows.iter().map(alias_from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(into_page(aliases, limit))
    }

    async fn insert_doc(&self, doc: &Doc) -> StoreResult<()> {
        sqlx::query("INSERT INTO docs (kind, scope, id, body) VALUES (?1, ?2, ?3, ?4)")
            .bind(&doc.kind)
            .bind(&doc.scope)
            .bind(&doc.id)
            .bind(&doc.body)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn put_doc(&self, doc: &Doc) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO docs (kind, scope, id, body) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (kind, scope, id) DO UPDATE SET body = excluded.body",
        )
        .bind(&doc.kind)
        .bind(&doc.scope)
        .bind(&doc.id)
        .bind(&doc.body)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<Option<Doc>> {
        let row = sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = ?1 AND scope = ?2 AND id = ?3")
            .bind(kind)
            .bind(scope)
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        row.as_ref().map(doc_from_row).transpose()
    }

    async fn delete_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM docs WHERE kind = ?1 AND scope = ?2 AND id = ?3")
            .bind(kind)
            .bind(scope)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_docs(&self, kind: &str, scope: Option<&str>) -> StoreResult<Vec<Doc>> {
        let query = match scope {
            Some(scope) => {
                sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = ?1 AND scope = ?2 ORDER BY scope, id")
                    .bind(kind)
                    .bind(scope)
            }
            None => sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = ?1 ORDER BY scope, id").bind(kind),
        };
        let rows = query.fetch_all(&self.reader).await.map_err(map_err)?;
        rows.iter().map(doc_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `PRAGMA name` on one connection of `pool`.
    async fn pragma(pool: &SqlitePool, name: &'static str) -> String {
        let sql = match name {
            "journal_mode" => "PRAGMA journal_mode",
            "synchronous" => "PRAGMA synchronous",
            "foreign_keys" => "PRAGMA foreign_keys",
            "busy_timeout" => "PRAGMA busy_timeout",
            "query_only" => "PRAGMA query_only",
            _ => panic!("unknown pragma {name}"),
        };
        let row = sqlx::query(sql).fetch_one(pool).await.expect("pragma");
        row.try_get::<String, _>(0).or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string())).expect("pragma value")
    }

    #[tokio::test]
    async fn file_connections_are_durable_and_guarded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("p.db")).await.expect("open");
        for (pool, query_only) in [(&store.writer, "0"), (&store.reader, "1")] {
            assert_eq!(pragma(pool, "journal_mode").await, "wal");
            assert_eq!(pragma(pool, "synchronous").await, "2", "synchronous must be FULL");
            assert_eq!(pragma(pool, "foreign_keys").await, "1");
            assert_eq!(pragma(pool, "busy_timeout").await, BUSY_TIMEOUT.as_millis().to_string());
            assert_eq!(pragma(pool, "query_only").await, query_only);
        }
        let err = sqlx::query("DELETE FROM keys").execute(&store.reader).await;
        assert!(err.is_err(), "reader connections must refuse writes");
    }

    #[tokio::test]
    async fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("future.db");
        let store = SqliteStore::open(&path).await.expect("open");
        sqlx::query("PRAGMA user_version = 99").execute(&store.writer).await.expect("bump version");
        store.close().await;
        match SqliteStore::open(&path).await {
            Err(StoreError::Backend(msg)) => assert!(msg.contains("newer"), "{msg}"),
            other => panic!("expected Backend error, got {other:?}"),
        }
    }

    #[test]
    fn page_cut() {
        let p = into_page(vec![1, 2, 3], 2);
        assert_eq!((p.items, p.truncated), (vec![1, 2], true));
        let p = into_page(vec![1, 2], 2);
        assert_eq!((p.items, p.truncated), (vec![1, 2], false));
        assert_eq!(fetch_limit(usize::MAX), i64::MAX);
    }
}
