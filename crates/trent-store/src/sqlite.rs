//! The SQLite backend of [`KeyStore`].
//!
//! Layout: one writer pool holding a single connection (SQLite serializes
//! writers anyway; doing it in-process avoids `SQLITE_BUSY` storms) and a
//! reader pool of several connections, which WAL lets run concurrently with
//! the writer. Every connection runs with `synchronous = FULL`, so a commit
//! has reached stable storage before the call returns.
//!
//! Keys are stored as one JSON document per key plus the columns the queries
//! need (account, region, version, state, deletion date, key manager); aliases
//! and subsystem documents get their own tables.
//!
//! Capped writes (resource quotas) insert and then count inside one
//! `BEGIN IMMEDIATE` transaction, rolling back when a count passes its cap:
//! the single writer connection serialises this process, the immediate lock
//! any other process sharing the file. A document's group (the second cap of
//! `insert_doc_capped_in_group`) is the `grp` column of its row.
//!
//! Due work is claimed, not just read: each opened store is a node, and
//! `keys_due_for_deletion` / `keys_due_for_rotation` mark the keys they hand
//! out as claimed by it for a lease (one `UPDATE ... RETURNING`), so two
//! processes sharing the file never both get the same due key.

use crate::records::{WIPE_DOCS, backend, decode_key, encode_key, fetch_limit, into_page, is_aws_alias, map_err};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use trent_core::key::model::{AliasRecord, KeyManager, KeyRecord, split_store_id};
use trent_core::store::{AliasCaps, Doc, KeyStore, Page, StoreError, StoreResult};
use trent_core::wire::aws_enum::AwsEnum;

/// Schema version written to `PRAGMA user_version` once every migration is
/// applied (the statement setting it is [`SET_SCHEMA_VERSION`]).
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// Records [`SCHEMA_VERSION`] (a literal: PRAGMA takes no parameters; a test
/// checks that the two agree).
const SET_SCHEMA_VERSION: &str = "PRAGMA user_version = 4";

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

/// Version 2: who manages each key, as a column, so the "KMS keys" resource
/// quota (customer managed keys per account and region) is an index count.
/// Existing rows are filled from their JSON document.
const SCHEMA_V2: &[&str] = &[
    "ALTER TABLE keys ADD COLUMN key_manager TEXT NOT NULL DEFAULT 'CUSTOMER'",
    "UPDATE keys SET key_manager = COALESCE(json_extract(doc, '$.key_manager'), 'CUSTOMER')",
    "CREATE INDEX IF NOT EXISTS keys_by_manager ON keys (account_id, region, key_manager)",
];

/// Version 3: the group of a document (`insert_doc_capped_in_group`: the
/// grantee of a grant, for "Grants for a given principal per key"), counted
/// through a partial index. Existing grants get theirs in [`backfill_grant_groups`].
const SCHEMA_V3: &[&str] = &[
    "ALTER TABLE docs ADD COLUMN grp TEXT",
    "CREATE INDEX IF NOT EXISTS docs_by_group ON docs (kind, scope, grp) WHERE grp IS NOT NULL",
];

/// Version 4: due-work claims, so two processes sharing the file are never
/// handed the same due key (see [`SqliteStore::with_claim_lease`]). Each kind
/// of work has the claiming store's node id and the claim's end (Unix seconds).
const SCHEMA_V4: &[&str] = &[
    "ALTER TABLE keys ADD COLUMN deletion_claim TEXT",
    "ALTER TABLE keys ADD COLUMN deletion_claim_until REAL",
    "ALTER TABLE keys ADD COLUMN rotation_claim TEXT",
    "ALTER TABLE keys ADD COLUMN rotation_claim_until REAL",
];

/// How long a key handed out as due work stays reserved for the store it was
/// handed to, unless [`SqliteStore::with_claim_lease`] says otherwise.
const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(60);

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
/// survives restarts and crashes. Cheap to clone; clones share the pools and
/// count as one node for due work.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single connection every write goes through.
    writer: SqlitePool,
    /// Connections for reads, concurrent with the writer thanks to WAL.
    reader: SqlitePool,
    /// This store's id in due-work claims (one per opened store).
    node: Arc<str>,
    /// How long a claim on due work lasts.
    claim_lease: Duration,
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
        let node = uuid::Uuid::new_v4().to_string().into();
        Ok(SqliteStore { writer, reader, node, claim_lease: DEFAULT_CLAIM_LEASE })
    }

    /// Sets how long a key handed out by `keys_due_for_deletion` or
    /// `keys_due_for_rotation` stays reserved for this store: other stores on
    /// the same file (other processes) are handed it only after the lease,
    /// so a process that died mid-work does not hold it forever. Default 60 s.
    pub fn with_claim_lease(mut self, lease: Duration) -> SqliteStore {
        self.claim_lease = lease;
        self
    }

    /// Claims the due work `claim_sql` selects for this store (node) and
    /// returns the key ids, sorted. One `UPDATE ... RETURNING` on the writer:
    /// atomic against every other writer of the file. `?1` now (the caller's
    /// clock, for due dates), `?2` this node, `?3` the wall clock, `?4` the
    /// claim's end.
    async fn claim(&self, claim_sql: &'static str, now: f64) -> StoreResult<Vec<String>> {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| StoreError::Backend(format!("system clock before 1970: {e}")))?
            .as_secs_f64();
        let mut ids: Vec<String> = sqlx::query_scalar(claim_sql)
            .bind(now)
            .bind(&*self.node)
            .bind(wall)
            .bind(wall + self.claim_lease.as_secs_f64())
            .fetch_all(&self.writer)
            .await
            .map_err(map_err)?;
        ids.sort();
        Ok(ids)
    }

    /// Closes both pools, waiting for in-flight statements. Exists so callers
    /// (and tests) can release the file deterministically before reopening it.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Applies the missing migrations inside one `BEGIN IMMEDIATE` transaction,
/// so two processes opening the same file cannot interleave.
async fn migrate(writer: &SqlitePool) -> StoreResult<()> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
    let current: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *tx).await.map_err(backend)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this Trent understands ({SCHEMA_VERSION})"
        )));
    }
    for (version, statements) in [(1, SCHEMA_V1), (2, SCHEMA_V2), (3, SCHEMA_V3), (4, SCHEMA_V4)] {
        if current < version {
            for stmt in statements {
                sqlx::query(*stmt).execute(&mut *tx).await.map_err(backend)?;
            }
        }
    }
    if current < 3 {
        backfill_grant_groups(&mut tx).await?;
    }
    if current < SCHEMA_VERSION {
        sqlx::query(SET_SCHEMA_VERSION).execute(&mut *tx).await.map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// Gives every grant stored before version 3 the group CreateGrant would have
/// given it (its grantee, [`trent_core::access::grants::Grant::grantee`]), so grants
/// made before the upgrade count toward "Grants for a given principal per
/// key" too. A body that does not parse keeps no group (and is not counted
/// per grantee); it was unusable as a grant anyway.
async fn backfill_grant_groups(tx: &mut sqlx::SqliteConnection) -> StoreResult<()> {
    use trent_core::access::grants::{DOC_KIND, Grant};
    let rows = sqlx::query("SELECT scope, id, body FROM docs WHERE kind = ?1")
        .bind(DOC_KIND)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
    for row in rows {
        let body: String = row.try_get("body").map_err(backend)?;
        let Some(grantee) = Grant::from_json(&body).ok().and_then(|g| g.grantee().map(str::to_owned)) else {
            continue;
        };
        let scope: String = row.try_get("scope").map_err(backend)?;
        let id: String = row.try_get("id").map_err(backend)?;
        sqlx::query("UPDATE docs SET grp = ?4 WHERE kind = ?1 AND scope = ?2 AND id = ?3")
            .bind(DOC_KIND)
            .bind(&scope)
            .bind(&id)
            .bind(&grantee)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// `u64` → SQLite INTEGER, refusing values SQLite cannot hold.
fn to_i64(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("value {v} exceeds SQLite's integer range")))
}

/// `COUNT(*)` result → `u64`.
fn to_u64(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(backend)
}

/// Counts the customer-created aliases targeting a key (by key id, account
/// and region: related multi-Region keys share their id). `substr` rather
/// than `LIKE`, which would ignore case and treat `_` as a wildcard.
const COUNT_ALIASES_SQL: &str = "SELECT COUNT(*) FROM aliases WHERE target_key_id = ?1 AND account_id = ?2 \
     AND region = ?3 AND substr(alias_name, 1, 10) <> 'alias/aws/'";

/// Counts the customer-created aliases of one account and region (a range of
/// the primary key).
const COUNT_REGION_ALIASES_SQL: &str =
    "SELECT COUNT(*) FROM aliases WHERE account_id = ?1 AND region = ?2 AND substr(alias_name, 1, 10) <> 'alias/aws/'";

fn key_state_str(key: &KeyRecord) -> &'static str {
    key.key_state.as_str()
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

/// The INSERT of one key row (shared by the plain and the capped insert).
async fn insert_key_row(conn: &mut sqlx::SqliteConnection, key: &KeyRecord) -> StoreResult<()> {
    let doc = encode_key(key)?;
    sqlx::query(
        "INSERT INTO keys (key_id, account_id, region, version, key_state, deletion_date, doc, key_manager) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(key.store_id())
    .bind(&key.account_id)
    .bind(&key.region)
    .bind(to_i64(key.version)?)
    .bind(key_state_str(key))
    .bind(key.deletion_date)
    .bind(doc)
    .bind(key.key_manager.as_str())
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Binds an alias's columns as ?1–?6 (account, region, name, target, created,
/// updated), the numbering both alias statements use.
fn bind_alias<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    alias: &'q AliasRecord,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    q.bind(&alias.account_id)
        .bind(&alias.region)
        .bind(&alias.alias_name)
        .bind(&alias.target_key_id)
        .bind(alias.creation_date)
        .bind(alias.last_updated_date)
}

/// The INSERT of one alias row (shared by the plain and the capped insert).
async fn insert_alias_row(conn: &mut sqlx::SqliteConnection, alias: &AliasRecord) -> StoreResult<()> {
    bind_alias(
        sqlx::query(
            "INSERT INTO aliases (account_id, region, alias_name, target_key_id, creation_date, last_updated_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        ),
        alias,
    )
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The UPDATE moving one alias; `NotFound` if it is absent.
async fn update_alias_row(conn: &mut sqlx::SqliteConnection, alias: &AliasRecord) -> StoreResult<()> {
    let done = bind_alias(
        sqlx::query(
            "UPDATE aliases SET target_key_id = ?4, creation_date = ?5, last_updated_date = ?6 \
             WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3",
        ),
        alias,
    )
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    one_row(&done)
}

/// The INSERT of one document row (shared by the plain and the capped
/// inserts), with its group if it has one.
async fn insert_doc_row(conn: &mut sqlx::SqliteConnection, doc: &Doc, group: Option<&str>) -> StoreResult<()> {
    sqlx::query("INSERT INTO docs (kind, scope, id, body, grp) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&doc.kind)
        .bind(&doc.scope)
        .bind(&doc.id)
        .bind(&doc.body)
        .bind(group)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Runs one `COUNT(*)` statement `sql` on `conn`, binding `?1`, `?2`, … to `args`.
async fn count(conn: &mut sqlx::SqliteConnection, sql: &'static str, args: &[&str]) -> StoreResult<u64> {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for a in args {
        q = q.bind(*a);
    }
    to_u64(q.fetch_one(&mut *conn).await.map_err(map_err)?)
}

/// Counts customer managed keys of one account and region.
const COUNT_CUSTOMER_KEYS_SQL: &str =
    "SELECT COUNT(*) FROM keys WHERE account_id = ?1 AND region = ?2 AND key_manager = 'CUSTOMER'";

/// Counts documents of one kind and scope.
const COUNT_DOCS_SQL: &str = "SELECT COUNT(*) FROM docs WHERE kind = ?1 AND scope = ?2";

/// Counts documents of one kind and scope in one group (via `docs_by_group`).
const COUNT_GROUP_DOCS_SQL: &str = "SELECT COUNT(*) FROM docs WHERE kind = ?1 AND scope = ?2 AND grp = ?3";

/// Claims due deletions (see [`SqliteStore::claim`] for the parameters): keys
/// unclaimed, claimed by this store, or whose claim ended.
const CLAIM_DELETIONS_SQL: &str = "UPDATE keys SET deletion_claim = ?2, deletion_claim_until = ?4 \
     WHERE key_state = 'PendingDeletion' AND deletion_date IS NOT NULL AND deletion_date <= ?1 \
     AND (deletion_claim IS NULL OR deletion_claim = ?2 OR deletion_claim_until <= ?3) RETURNING key_id";

/// Claims due rotations, as [`CLAIM_DELETIONS_SQL`] does deletions.
const CLAIM_ROTATIONS_SQL: &str = "UPDATE keys SET rotation_claim = ?2, rotation_claim_until = ?4 \
     WHERE json_extract(doc, '$.rotation.enabled') = 1 AND json_extract(doc, '$.rotation.next_rotation') <= ?1 \
     AND (rotation_claim IS NULL OR rotation_claim = ?2 OR rotation_claim_until <= ?3) RETURNING key_id";

/// One cap on a capped write: a `COUNT(*)` statement, its arguments, the cap,
/// and the error for going over it (`LimitReached` or `SecondLimitReached`).
struct Cap<'a> {
    sql: &'static str,
    args: &'a [&'a str],
    cap: u64,
    over: fn(u64) -> StoreError,
}

impl<'a> Cap<'a> {
    /// The first (or only) cap of a write: `LimitReached` when passed.
    fn first(sql: &'static str, args: &'a [&'a str], cap: u64) -> Self {
        Cap { sql, args, cap, over: |usage| StoreError::LimitReached { usage } }
    }

    /// The second cap of a write: `SecondLimitReached` when passed.
    fn second(sql: &'static str, args: &'a [&'a str], cap: u64) -> Self {
        Cap { sql, args, cap, over: |usage| StoreError::SecondLimitReached { usage } }
    }
}

/// After a row was inserted inside `tx`: counts each cap in order (the count
/// now includes the new row) and commits if every count is within its cap,
/// else rolls back and reports the first cap passed with the usage before the
/// insert. A cap of `u64::MAX` cannot be passed and is not counted.
async fn commit_within_caps(mut tx: sqlx::Transaction<'_, sqlx::Sqlite>, caps: &[Cap<'_>]) -> StoreResult<()> {
    for c in caps.iter().filter(|c| c.cap != u64::MAX) {
        let with_new = count(&mut tx, c.sql, c.args).await?;
        if with_new > c.cap {
            tx.rollback().await.map_err(map_err)?;
            return Err((c.over)(with_new.saturating_sub(1)));
        }
    }
    tx.commit().await.map_err(map_err)
}

#[async_trait::async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await.map_err(map_err)?;
        insert_key_row(&mut conn, key).await
    }

    async fn insert_key_capped(&self, key: &KeyRecord, cap: u64) -> StoreResult<()> {
        if key.key_manager != KeyManager::Customer {
            return self.insert_key(key).await;
        }
        // Insert first (a duplicate id is AlreadyExists whatever the count),
        // then count including the new row; one IMMEDIATE transaction, so no
        // other writer, in this process or another, can interleave.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        insert_key_row(&mut tx, key).await?;
        commit_within_caps(tx, &[Cap::first(COUNT_CUSTOMER_KEYS_SQL, &[&key.account_id, &key.region], cap)]).await
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
            "UPDATE keys SET account_id = ?2, region = ?3, version = ?4, key_state = ?5, deletion_date = ?6, doc = ?7, \
             key_manager = ?9 WHERE key_id = ?1 AND version = ?8",
        )
        .bind(key.store_id())
        .bind(&key.account_id)
        .bind(&key.region)
        .bind(new_version)
        .bind(key_state_str(key))
        .bind(key.deletion_date)
        .bind(doc)
        .bind(expected)
        .bind(key.key_manager.as_str())
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        // Ask the writer, not a reader: it has certainly seen its own commits.
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM keys WHERE key_id = ?1")
            .bind(key.store_id())
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
        // A multi-Region key shares its id with related keys in other regions:
        // only its own region's aliases go with it.
        let (target, region) = split_store_id(key_id);
        sqlx::query("DELETE FROM aliases WHERE target_key_id = ?1 AND (?2 IS NULL OR region = ?2)")
            .bind(target)
            .bind(region)
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

    async fn list_all_keys(&self, after: Option<&str>, limit: usize) -> StoreResult<Page<KeyRecord>> {
        let query = match after {
            None => sqlx::query_scalar("SELECT doc FROM keys ORDER BY key_id LIMIT ?1").bind(fetch_limit(limit)),
            Some(after) => sqlx::query_scalar("SELECT doc FROM keys WHERE key_id > ?2 ORDER BY key_id LIMIT ?1")
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
        to_u64(n)
    }

    /// Claims the due deletions for this store (see [`SqliteStore::with_claim_lease`]).
    async fn keys_due_for_deletion(&self, now: f64) -> StoreResult<Vec<String>> {
        self.claim(CLAIM_DELETIONS_SQL, now).await
    }

    /// Claims the due rotations for this store. Rotation settings live in the
    /// JSON document; a full scan is fine for a local store (rotation is rare)
    /// and keeps the schema small.
    async fn keys_due_for_rotation(&self, now: f64) -> StoreResult<Vec<String>> {
        self.claim(CLAIM_ROTATIONS_SQL, now).await
    }

    async fn insert_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await.map_err(map_err)?;
        insert_alias_row(&mut conn, alias).await
    }

    async fn insert_alias_capped(&self, alias: &AliasRecord, caps: AliasCaps) -> StoreResult<()> {
        if is_aws_alias(&alias.alias_name) {
            return self.insert_alias(alias).await;
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        insert_alias_row(&mut tx, alias).await?;
        let key_args = [alias.target_key_id.as_str(), &alias.account_id, &alias.region];
        let region_args = [alias.account_id.as_str(), &alias.region];
        let caps = [
            Cap::first(COUNT_ALIASES_SQL, &key_args, caps.per_key),
            Cap::second(COUNT_REGION_ALIASES_SQL, &region_args, caps.per_region),
        ];
        commit_within_caps(tx, &caps).await
    }

    async fn update_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await.map_err(map_err)?;
        update_alias_row(&mut conn, alias).await
    }

    async fn update_alias_capped(&self, alias: &AliasRecord, cap: u64) -> StoreResult<()> {
        if is_aws_alias(&alias.alias_name) {
            return self.update_alias(alias).await;
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let current: Option<String> = sqlx::query_scalar(
            "SELECT target_key_id FROM aliases WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3",
        )
        .bind(&alias.account_id)
        .bind(&alias.region)
        .bind(&alias.alias_name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(current) = current else {
            tx.rollback().await.map_err(map_err)?;
            return Err(StoreError::NotFound);
        };
        update_alias_row(&mut tx, alias).await?;
        if current == alias.target_key_id {
            // Not a move: the target's count does not change.
            return tx.commit().await.map_err(map_err);
        }
        commit_within_caps(
            tx,
            &[Cap::first(COUNT_ALIASES_SQL, &[&alias.target_key_id, &alias.account_id, &alias.region], cap)],
        )
        .await
    }

    async fn delete_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM aliases WHERE account_id = ?1 AND region = ?2 AND alias_name = ?3")
            .bind(account_id)
            .bind(region)
            .bind(alias_name)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        one_row(&done)
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
        let mut conn = self.writer.acquire().await.map_err(map_err)?;
        insert_doc_row(&mut conn, doc, None).await
    }

    async fn insert_doc_capped(&self, doc: &Doc, cap: u64) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        insert_doc_row(&mut tx, doc, None).await?;
        commit_within_caps(tx, &[Cap::first(COUNT_DOCS_SQL, &[&doc.kind, &doc.scope], cap)]).await
    }

    async fn insert_doc_capped_in_group(&self, doc: &Doc, cap: u64, group: &str, group_cap: u64) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        insert_doc_row(&mut tx, doc, Some(group)).await?;
        let (scope_args, group_args) = ([doc.kind.as_str(), &doc.scope], [doc.kind.as_str(), &doc.scope, group]);
        let caps =
            [Cap::first(COUNT_DOCS_SQL, &scope_args, cap), Cap::second(COUNT_GROUP_DOCS_SQL, &group_args, group_cap)];
        commit_within_caps(tx, &caps).await
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
        one_row(&done)
    }

    async fn wipe(&self) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        for table in ["DELETE FROM keys", "DELETE FROM aliases", WIPE_DOCS] {
            sqlx::query(table).execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
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

/// `NotFound` unless a statement touched a row (updates and deletes of one record).
fn one_row(done: &sqlx::sqlite::SqliteQueryResult) -> StoreResult<()> {
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
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
            "user_version" => "PRAGMA user_version",
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

    #[tokio::test]
    async fn version_1_databases_gain_the_key_manager_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1.db");
        let customer =
            crate::conformance::sample_key("00000000-0000-4000-8000-00000000000c", "111122223333", "us-east-1");
        let mut aws = customer.clone();
        aws.key_id = "00000000-0000-4000-8000-00000000000a".into();
        aws.key_manager = KeyManager::Aws;
        {
            // A database as Trent wrote it before version 2.
            let opts = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("v1 open");
            for stmt in SCHEMA_V1 {
                sqlx::query(*stmt).execute(&pool).await.expect("v1 schema");
            }
            sqlx::query("PRAGMA user_version = 1").execute(&pool).await.expect("v1 version");
            for k in [&customer, &aws] {
                sqlx::query(
                    "INSERT INTO keys (key_id, account_id, region, version, key_state, deletion_date, doc) \
                     VALUES (?1, ?2, ?3, 1, 'Enabled', NULL, ?4)",
                )
                .bind(&k.key_id)
                .bind(&k.account_id)
                .bind(&k.region)
                .bind(encode_key(k).expect("encode"))
                .execute(&pool)
                .await
                .expect("v1 insert");
            }
            pool.close().await;
        }
        let store = SqliteStore::open(&path).await.expect("migrate");
        assert_eq!(pragma(&store.writer, "user_version").await, SCHEMA_VERSION.to_string());
        let mut next =
            crate::conformance::sample_key("00000000-0000-4000-8000-000000000001", "111122223333", "us-east-1");
        // Only the customer managed key counts: cap 1 is full, cap 2 is not.
        assert!(matches!(store.insert_key_capped(&next, 1).await, Err(StoreError::LimitReached { usage: 1 })));
        store.insert_key_capped(&next, 2).await.expect("second customer key");
        next.key_id = "00000000-0000-4000-8000-000000000002".into();
        assert!(matches!(store.insert_key_capped(&next, 2).await, Err(StoreError::LimitReached { usage: 2 })));
        assert_eq!(store.get_key(&aws.key_id).await.expect("get").map(|k| k.key_manager), Some(KeyManager::Aws));
    }

    #[test]
    fn claim_statement_names_the_pending_deletion_state() {
        let state = trent_core::key::model::KeyState::PendingDeletion.as_str();
        assert!(CLAIM_DELETIONS_SQL.contains(&format!("key_state = '{state}'")));
    }

    #[test]
    fn schema_version_statement_matches_the_constant() {
        assert_eq!(SET_SCHEMA_VERSION, format!("PRAGMA user_version = {SCHEMA_VERSION}"));
    }

    #[tokio::test]
    async fn version_2_grants_gain_their_grantee_group() {
        use trent_core::access::grants::{DOC_KIND, Grant};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v2.db");
        let key_id = "00000000-0000-4000-8000-0000000000aa";
        let grant = |id: char, grantee: Option<&str>, service: Option<&str>| Grant {
            grant_id: id.to_string().repeat(64),
            key_id: key_id.into(),
            key_arn: format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}"),
            name: None,
            creation_date: 1.0,
            grantee_principal: grantee.map(str::to_owned),
            retiring_principal: None,
            grantee_service_principal: service.map(str::to_owned),
            retiring_service_principal: None,
            issuing_account: "arn:aws:iam::111122223333:root".into(),
            operations: vec!["Encrypt".into()],
            constraints: None,
        };
        let bob = "arn:aws:iam::111122223333:user/bob";
        let bodies = [
            ('a', grant('a', Some(bob), None).to_json().expect("json")),
            ('b', grant('b', Some(bob), None).to_json().expect("json")),
            ('c', grant('c', None, Some("dynamodb.amazonaws.com")).to_json().expect("json")),
            ('d', "not json".to_owned()),
        ];
        {
            // A database as Trent wrote it before version 3, holding grants.
            let opts = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("v2 open");
            for stmt in SCHEMA_V1.iter().chain(SCHEMA_V2) {
                sqlx::query(*stmt).execute(&pool).await.expect("v2 schema");
            }
            sqlx::query("PRAGMA user_version = 2").execute(&pool).await.expect("v2 version");
            for (id, body) in &bodies {
                sqlx::query("INSERT INTO docs (kind, scope, id, body) VALUES (?1, ?2, ?3, ?4)")
                    .bind(DOC_KIND)
                    .bind(key_id)
                    .bind(id.to_string().repeat(64))
                    .bind(body)
                    .execute(&pool)
                    .await
                    .expect("v2 insert");
            }
            pool.close().await;
        }
        let store = SqliteStore::open(&path).await.expect("migrate");
        assert_eq!(pragma(&store.writer, "user_version").await, SCHEMA_VERSION.to_string());
        let doc = |id: char| Doc {
            kind: DOC_KIND.into(),
            scope: key_id.into(),
            id: id.to_string().repeat(64),
            body: grant(id, Some(bob), None).to_json().expect("json"),
        };
        // Bob's two old grants count toward his group; the service principal's one toward its own.
        assert!(matches!(
            store.insert_doc_capped_in_group(&doc('e'), 100, bob, 2).await,
            Err(StoreError::SecondLimitReached { usage: 2 })
        ));
        assert!(matches!(
            store.insert_doc_capped_in_group(&doc('e'), 100, "dynamodb.amazonaws.com", 1).await,
            Err(StoreError::SecondLimitReached { usage: 1 })
        ));
        store.insert_doc_capped_in_group(&doc('e'), 100, bob, 3).await.expect("room at 3");
        // The unreadable body kept no group but still counts per key.
        assert!(matches!(
            store.insert_doc_capped_in_group(&doc('f'), 5, "someone", 1).await,
            Err(StoreError::LimitReached { usage: 5 })
        ));
        assert_eq!(
            store.get_doc(DOC_KIND, key_id, &"d".repeat(64)).await.expect("get").map(|d| d.body),
            Some("not json".into())
        );
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
