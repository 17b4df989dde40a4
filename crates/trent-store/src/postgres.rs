//! The PostgreSQL backend of [`KeyStore`], for several Trent nodes sharing
//! one database.
//!
//! Layout mirrors the SQLite backend: one row per key holding the record as
//! JSON text plus the columns queries need, and tables for aliases and
//! subsystem documents. The schema is applied by sqlx's migrator from
//! `migrations/postgres/` (embedded at compile time).
//!
//! What makes it safe with several nodes:
//!
//! - Durability: every connection runs with `synchronous_commit = on`, set by
//!   the store itself, so a server, database or role default of `off` cannot
//!   make an acknowledged write losable.
//! - Compare-and-swap: `update_key` is one `UPDATE ... WHERE version = N - 1`.
//! - Capped inserts (resource quotas): each counted scope has a row in
//!   `cap_locks`; a capped insert locks its scopes' rows with
//!   `SELECT ... FOR UPDATE` (in one global order, so two caps cannot
//!   deadlock), then inserts and counts, and commits only within the caps.
//!   The lock serializes capped inserts into one scope across every node, and
//!   under READ COMMITTED the count, run after the lock is granted, sees
//!   every row the previous holder committed.
//! - Due work: `keys_due_for_deletion` / `keys_due_for_rotation` do not just
//!   read, they claim. Each store is a node with its own id; a call hands out
//!   the due keys that are unclaimed, claimed by this node, or whose claim
//!   lapsed, and marks them claimed by this node for the claim lease, in one
//!   `UPDATE` whose candidate rows are locked `FOR UPDATE SKIP LOCKED` (so
//!   two nodes claiming at once skip each other's rows instead of waiting).
//!   A key is therefore never handed to two nodes at once, and a node that
//!   dies mid-work releases its keys when the lease (database clock) ends.
//! - Changes reach the other nodes: every update or delete of a key or alias
//!   and every document write runs `pg_notify` in its own transaction, so
//!   the notification is delivered exactly when the write commits; a
//!   listener task per store turns them into [`KeyStore::changes`] (see
//!   [`changes`]).

mod changes;

use crate::records::{WIPE_DOCS, backend, decode_key, encode_key, fetch_limit, into_page, is_aws_alias, map_err};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use trent_core::wire::aws_enum::AwsEnum;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use tokio::sync::broadcast;
use trent_core::key::model::{AliasRecord, KeyManager, KeyRecord, split_store_id};
use trent_core::store::{AliasCaps, Doc, KeyStore, Page, StoreChange, StoreError, StoreResult};

/// The migrations in `migrations/postgres/`, embedded at compile time
/// (`build.rs` makes cargo notice new files).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How a [`PostgresStore`] connects and claims work.
///
/// Exists so deployments (and the load lab) can size the pool and the
/// due-work lease without new constructors; [`Default`] suits one Trent node.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Most connections the store's pool opens for requests; the pool opens
    /// one more, held by the listener for other nodes' changes.
    pub max_connections: u32,
    /// How long acquiring a connection may wait before the call fails. While
    /// PostgreSQL is unreachable every request waits this long and then gets
    /// a retryable KMSInternalException, so it is kept below common client
    /// timeouts.
    pub acquire_timeout: Duration,
    /// How long a key handed out as due work stays reserved for this node:
    /// another node is handed it only after the lease ends (a node that
    /// crashed mid-work). Should exceed the time one pass of due work takes.
    pub claim_lease: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            claim_lease: Duration::from_secs(60),
        }
    }
}

/// [`KeyStore`] on a PostgreSQL database shared by several Trent nodes.
///
/// Exists so Trent can scale out: every node opens a `PostgresStore` on the
/// same database and sees the same keys, aliases and documents, with
/// quotas, compare-and-swap updates and scheduled work correct across nodes
/// (see the module docs). Cheap to clone; clones share the pool and count
/// as one node for due work.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// This store's node id in due-work claims.
    node: Arc<str>,
    claim_lease: Duration,
    /// Feeds [`KeyStore::changes`]: what the listener task hears.
    changes: broadcast::Sender<StoreChange>,
    /// Stops the listener task when the last clone of this store is dropped.
    _listener: Arc<changes::ListenerTask>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DB`) with
    /// [`PostgresOptions::default`] and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// [`PostgresStore::connect`] with explicit options. Fails if the
    /// database holds migrations this Trent does not know (a newer Trent
    /// wrote it).
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?
            .application_name("trent")
            // Durability does not depend on how the server or database is configured.
            .options([("synchronous_commit", "on")]);
        // A connection broken by a PostgreSQL restart is found by the ping
        // before it is handed out and replaced, so the node recovers by itself.
        // One more connection than asked for: the change listener holds one.
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1).saturating_add(1))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(true)
            .connect_with(connect)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::Backend(format!(
                "database schema has migration {v}, newer than this Trent understands (upgrade Trent)"
            )),
            e => StoreError::Backend(format!("migrating the PostgreSQL schema: {e}")),
        })?;
        let (changes, listener) = changes::spawn_listener(pool.clone())
            .await
            .map_err(|e| StoreError::Backend(format!("listening for changes: {e}")))?;
        let node: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        tracing::debug!(%node, "connected PostgreSQL key store");
        Ok(PostgresStore { pool, node, claim_lease: options.claim_lease, changes, _listener: Arc::new(listener) })
    }

    /// This store's id in due-work claims (one per connected store).
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// Closes the pool, waiting for in-flight statements. Exists so callers
    /// and tests can release connections deterministically.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction holding the lock rows of `scopes` (each a
    /// `cap_locks` key), locked in sorted order so two capped inserts never
    /// wait on each other in a cycle.
    async fn begin_capped(&self, scopes: &mut [String]) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        scopes.sort();
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for scope in scopes.iter() {
            lock_scope(&mut tx, scope).await?;
        }
        Ok(tx)
    }

    /// Claims for this node the due keys `claim_sql` ([`CLAIM_DELETIONS_SQL`]
    /// or [`CLAIM_ROTATIONS_SQL`]) selects and returns their ids, sorted.
    async fn claim(&self, claim_sql: &'static str, now: f64) -> StoreResult<Vec<String>> {
        let mut ids: Vec<String> = sqlx::query_scalar(claim_sql)
            .bind(now)
            .bind(&*self.node)
            .bind(self.claim_lease.as_secs_f64())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        ids.sort();
        Ok(ids)
    }
}

/// Locks the `cap_locks` row `scope`, creating it on first use. A row
/// inserted by a concurrent transaction makes our insert wait for it and do
/// nothing; the `FOR UPDATE` then waits for its holder.
async fn lock_scope(conn: &mut PgConnection, scope: &str) -> StoreResult<()> {
    const LOCK: &str = "SELECT 1 FROM cap_locks WHERE scope = $1 FOR UPDATE";
    let locked: Option<i32> = sqlx::query_scalar(LOCK).bind(scope).fetch_optional(&mut *conn).await.map_err(map_err)?;
    if locked.is_some() {
        return Ok(());
    }
    sqlx::query("INSERT INTO cap_locks (scope) VALUES ($1) ON CONFLICT (scope) DO NOTHING")
        .bind(scope)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    let locked: Option<i32> = sqlx::query_scalar(LOCK).bind(scope).fetch_optional(&mut *conn).await.map_err(map_err)?;
    match locked {
        Some(_) => Ok(()),
        None => Err(StoreError::Backend(format!("cap lock row {scope} vanished"))),
    }
}

/// The `cap_locks` key of a counted scope: a JSON array, so no separator can
/// make two scopes collide.
fn scope_key(parts: &[&str]) -> String {
    serde_json::Value::from(parts.iter().map(|p| serde_json::Value::from(*p)).collect::<Vec<_>>()).to_string()
}

/// `u64` → BIGINT, refusing values PostgreSQL cannot hold.
fn to_i64(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("value {v} exceeds PostgreSQL's BIGINT range")))
}

/// The `rotation_due` column: when automatic rotation is next due, if enabled.
fn rotation_due(key: &KeyRecord) -> Option<f64> {
    key.rotation.next_rotation.filter(|_| key.rotation.enabled)
}

fn alias_from_row(row: &PgRow) -> StoreResult<AliasRecord> {
    Ok(AliasRecord {
        account_id: row.try_get("account_id").map_err(backend)?,
        region: row.try_get("region").map_err(backend)?,
        alias_name: row.try_get("alias_name").map_err(backend)?,
        target_key_id: row.try_get("target_key_id").map_err(backend)?,
        creation_date: row.try_get("creation_date").map_err(backend)?,
        last_updated_date: row.try_get("last_updated_date").map_err(backend)?,
    })
}

fn doc_from_row(row: &PgRow) -> StoreResult<Doc> {
    Ok(Doc {
        kind: row.try_get("kind").map_err(backend)?,
        scope: row.try_get("scope").map_err(backend)?,
        id: row.try_get("id").map_err(backend)?,
        body: row.try_get("body").map_err(backend)?,
    })
}

/// `NotFound` unless a statement touched a row (updates and deletes of one record).
fn one_row(done: &sqlx::postgres::PgQueryResult) -> StoreResult<()> {
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Announces `change` to every node (see [`changes`]). Must run inside the
/// transaction of the write: PostgreSQL delivers it when that commits, and
/// never if it rolls back.
async fn notify(conn: &mut PgConnection, change: &StoreChange) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(changes::CHANNEL)
        .bind(changes::encode(change))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// The change notification of an alias.
fn alias_change(alias: &AliasRecord) -> StoreChange {
    StoreChange::Alias {
        account_id: alias.account_id.clone(),
        region: alias.region.clone(),
        alias_name: alias.alias_name.clone(),
    }
}

/// The change notification of a document.
fn doc_change(kind: &str, scope: &str, id: &str) -> StoreChange {
    StoreChange::Doc { kind: kind.to_owned(), scope: scope.to_owned(), id: id.to_owned() }
}

/// The INSERT of one key row (shared by the plain and the capped insert).
async fn insert_key_row(conn: &mut PgConnection, key: &KeyRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO keys (key_id, account_id, region, version, key_state, key_manager, deletion_date, \
         rotation_due, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.store_id())
    .bind(&key.account_id)
    .bind(&key.region)
    .bind(to_i64(key.version)?)
    .bind(key.key_state.as_str())
    .bind(key.key_manager.as_str())
    .bind(key.deletion_date)
    .bind(rotation_due(key))
    .bind(encode_key(key)?)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The INSERT of one alias row (shared by the plain and the capped insert).
async fn insert_alias_row(conn: &mut PgConnection, alias: &AliasRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO aliases (account_id, region, alias_name, target_key_id, creation_date, last_updated_date) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&alias.account_id)
    .bind(&alias.region)
    .bind(&alias.alias_name)
    .bind(&alias.target_key_id)
    .bind(alias.creation_date)
    .bind(alias.last_updated_date)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The UPDATE moving one alias, with its change notification (the caller
/// commits both or neither); `NotFound` if it is absent.
async fn update_alias_row(conn: &mut PgConnection, alias: &AliasRecord) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE aliases SET target_key_id = $4, creation_date = $5, last_updated_date = $6 \
         WHERE account_id = $1 AND region = $2 AND alias_name = $3",
    )
    .bind(&alias.account_id)
    .bind(&alias.region)
    .bind(&alias.alias_name)
    .bind(&alias.target_key_id)
    .bind(alias.creation_date)
    .bind(alias.last_updated_date)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    one_row(&done)?;
    notify(conn, &alias_change(alias)).await
}

/// The INSERT of one document row (shared by the plain and the capped
/// inserts), with its group if it has one, and its change notification
/// (the caller commits both or neither).
async fn insert_doc_row(conn: &mut PgConnection, doc: &Doc, group: Option<&str>) -> StoreResult<()> {
    sqlx::query("INSERT INTO docs (kind, scope, id, body, grp) VALUES ($1, $2, $3, $4, $5)")
        .bind(&doc.kind)
        .bind(&doc.scope)
        .bind(&doc.id)
        .bind(&doc.body)
        .bind(group)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    notify(conn, &doc_change(&doc.kind, &doc.scope, &doc.id)).await
}

/// Counts customer managed keys of one account and region (via `keys_customer`).
const COUNT_CUSTOMER_KEYS_SQL: &str =
    "SELECT COUNT(*) FROM keys WHERE account_id = $1 AND region = $2 AND key_manager = 'CUSTOMER'";

/// Counts the customer-created aliases targeting a key (by key id, account
/// and region: related multi-Region keys share their id; `starts_with`, not
/// `LIKE`, which would treat `_` as a wildcard).
const COUNT_ALIASES_SQL: &str = "SELECT COUNT(*) FROM aliases WHERE target_key_id = $1 AND account_id = $2 \
     AND region = $3 AND NOT starts_with(alias_name, 'alias/aws/')";

/// Counts the customer-created aliases of one account and region.
const COUNT_REGION_ALIASES_SQL: &str = "SELECT COUNT(*) FROM aliases WHERE account_id = $1 AND region = $2 \
     AND NOT starts_with(alias_name, 'alias/aws/')";

/// Counts documents of one kind and scope.
const COUNT_DOCS_SQL: &str = "SELECT COUNT(*) FROM docs WHERE kind = $1 AND scope = $2";

/// Counts documents of one kind and scope in one group (via `docs_by_group`).
const COUNT_GROUP_DOCS_SQL: &str = "SELECT COUNT(*) FROM docs WHERE kind = $1 AND scope = $2 AND grp = $3";

/// Claims due deletions (see [`PostgresStore::claim`]): `$1` now, `$2` this
/// node, `$3` the lease in seconds; lease times are the database's clock.
const CLAIM_DELETIONS_SQL: &str = "UPDATE keys SET deletion_claim = $2, \
     deletion_claim_until = now() + $3 * interval '1 second' \
     WHERE key_id IN (SELECT key_id FROM keys \
       WHERE key_state = 'PendingDeletion' AND deletion_date <= $1 \
       AND (deletion_claim IS NULL OR deletion_claim = $2 OR deletion_claim_until <= now()) \
       FOR UPDATE SKIP LOCKED) \
     RETURNING key_id";

/// Claims due rotations, as [`CLAIM_DELETIONS_SQL`] does deletions.
const CLAIM_ROTATIONS_SQL: &str = "UPDATE keys SET rotation_claim = $2, \
     rotation_claim_until = now() + $3 * interval '1 second' \
     WHERE key_id IN (SELECT key_id FROM keys \
       WHERE rotation_due <= $1 \
       AND (rotation_claim IS NULL OR rotation_claim = $2 OR rotation_claim_until <= now()) \
       FOR UPDATE SKIP LOCKED) \
     RETURNING key_id";

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

    /// Whether the cap can be passed at all (`u64::MAX` cannot, and is neither
    /// locked nor counted).
    fn limits(&self) -> bool {
        self.cap != u64::MAX
    }
}

/// After a row was inserted inside `tx` (whose caps' scopes are locked):
/// counts each cap in order (the count now includes the new row) and commits
/// if every count is within its cap, else rolls back and reports the first
/// cap passed with the usage before the insert.
async fn commit_within_caps(mut tx: sqlx::Transaction<'_, sqlx::Postgres>, caps: &[Cap<'_>]) -> StoreResult<()> {
    for c in caps.iter().filter(|c| c.limits()) {
        let mut q = sqlx::query_scalar::<_, i64>(c.sql);
        for a in c.args {
            q = q.bind(*a);
        }
        let with_new = u64::try_from(q.fetch_one(&mut *tx).await.map_err(map_err)?).map_err(backend)?;
        if with_new > c.cap {
            tx.rollback().await.map_err(map_err)?;
            return Err((c.over)(with_new.saturating_sub(1)));
        }
    }
    tx.commit().await.map_err(map_err)
}

#[async_trait::async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        insert_key_row(&mut conn, key).await
    }

    async fn insert_key_capped(&self, key: &KeyRecord, cap: u64) -> StoreResult<()> {
        if key.key_manager != KeyManager::Customer || cap == u64::MAX {
            return self.insert_key(key).await;
        }
        let mut tx = self.begin_capped(&mut [scope_key(&["keys", &key.account_id, &key.region])]).await?;
        // Insert first: a duplicate id is AlreadyExists whatever the count.
        insert_key_row(&mut tx, key).await?;
        commit_within_caps(tx, &[Cap::first(COUNT_CUSTOMER_KEYS_SQL, &[&key.account_id, &key.region], cap)]).await
    }

    async fn get_key(&self, key_id: &str) -> StoreResult<Option<KeyRecord>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode_key).transpose()
    }

    async fn update_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let new_version = to_i64(key.version)?;
        // Version 0 cannot be the successor of anything: nothing matches `-1`.
        let expected = new_version - 1;
        // One statement, one round trip, one (implicit) transaction: the
        // notification ($11, $12) is sent once per row the UPDATE matched, so
        // only for a write that happened, and delivered when it commits.
        let updated: i64 = sqlx::query_scalar(
            "WITH done AS (UPDATE keys SET account_id = $2, region = $3, version = $4, key_state = $5, \
             key_manager = $6, deletion_date = $7, rotation_due = $8, doc = $9 \
             WHERE key_id = $1 AND version = $10 RETURNING 1) \
             SELECT count(pg_notify($11, $12)) FROM done",
        )
        .bind(key.store_id())
        .bind(&key.account_id)
        .bind(&key.region)
        .bind(new_version)
        .bind(key.key_state.as_str())
        .bind(key.key_manager.as_str())
        .bind(key.deletion_date)
        .bind(rotation_due(key))
        .bind(encode_key(key)?)
        .bind(expected)
        .bind(changes::CHANNEL)
        .bind(changes::encode(&StoreChange::Key { key_id: key.store_id() }))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        if updated > 0 {
            return Ok(());
        }
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM keys WHERE key_id = $1")
            .bind(key.store_id())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound })
    }

    async fn delete_key(&self, key_id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let gone =
            sqlx::query("DELETE FROM keys WHERE key_id = $1").bind(key_id).execute(&mut *tx).await.map_err(map_err)?;
        if gone.rows_affected() == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Err(StoreError::NotFound);
        }
        // A multi-Region key shares its id with related keys in other regions:
        // only its own region's aliases go with it.
        let (target, region) = split_store_id(key_id);
        let aliases = sqlx::query(
            "DELETE FROM aliases WHERE target_key_id = $1 AND ($2::text IS NULL OR region = $2) \
             RETURNING account_id, region, alias_name",
        )
        .bind(target)
        .bind(region)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        notify(&mut tx, &StoreChange::Key { key_id: key_id.to_owned() }).await?;
        for row in &aliases {
            let change = StoreChange::Alias {
                account_id: row.try_get("account_id").map_err(backend)?,
                region: row.try_get("region").map_err(backend)?,
                alias_name: row.try_get("alias_name").map_err(backend)?,
            };
            notify(&mut tx, &change).await?;
        }
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
                "SELECT doc FROM keys WHERE account_id = $1 AND region = $2 ORDER BY key_id LIMIT $3",
            )
            .bind(account_id)
            .bind(region)
            .bind(fetch_limit(limit)),
            Some(after) => sqlx::query_scalar(
                "SELECT doc FROM keys WHERE account_id = $1 AND region = $2 AND key_id > $4 ORDER BY key_id LIMIT $3",
            )
            .bind(account_id)
            .bind(region)
            .bind(fetch_limit(limit))
            .bind(after),
        };
        let docs: Vec<String> = query.fetch_all(&self.pool).await.map_err(map_err)?;
        let keys = docs.iter().map(|d| decode_key(d)).collect::<StoreResult<Vec<_>>>()?;
        Ok(into_page(keys, limit))
    }

    async fn list_all_keys(&self, after: Option<&str>, limit: usize) -> StoreResult<Page<KeyRecord>> {
        let query = match after {
            None => sqlx::query_scalar("SELECT doc FROM keys ORDER BY key_id LIMIT $1").bind(fetch_limit(limit)),
            Some(after) => sqlx::query_scalar("SELECT doc FROM keys WHERE key_id > $2 ORDER BY key_id LIMIT $1")
                .bind(fetch_limit(limit))
                .bind(after),
        };
        let docs: Vec<String> = query.fetch_all(&self.pool).await.map_err(map_err)?;
        let keys = docs.iter().map(|d| decode_key(d)).collect::<StoreResult<Vec<_>>>()?;
        Ok(into_page(keys, limit))
    }

    async fn count_keys(&self, account_id: &str, region: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keys WHERE account_id = $1 AND region = $2")
            .bind(account_id)
            .bind(region)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        u64::try_from(n).map_err(backend)
    }

    /// Claims the due deletions for this node (see the module docs): keys
    /// another node holds a live claim on are left out.
    async fn keys_due_for_deletion(&self, now: f64) -> StoreResult<Vec<String>> {
        self.claim(CLAIM_DELETIONS_SQL, now).await
    }

    /// Claims the due rotations for this node, as deletions are claimed.
    async fn keys_due_for_rotation(&self, now: f64) -> StoreResult<Vec<String>> {
        self.claim(CLAIM_ROTATIONS_SQL, now).await
    }

    async fn insert_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        insert_alias_row(&mut conn, alias).await
    }

    async fn insert_alias_capped(&self, alias: &AliasRecord, caps: AliasCaps) -> StoreResult<()> {
        if is_aws_alias(&alias.alias_name) {
            return self.insert_alias(alias).await;
        }
        let key_args = [alias.target_key_id.as_str(), &alias.account_id, &alias.region];
        let region_args = [alias.account_id.as_str(), &alias.region];
        let caps = [
            Cap::first(COUNT_ALIASES_SQL, &key_args, caps.per_key),
            Cap::second(COUNT_REGION_ALIASES_SQL, &region_args, caps.per_region),
        ];
        let mut scopes = Vec::new();
        if caps[0].limits() {
            scopes.push(scope_key(&["alias-key", &alias.target_key_id]));
        }
        if caps[1].limits() {
            scopes.push(scope_key(&["alias-region", &alias.account_id, &alias.region]));
        }
        let mut tx = self.begin_capped(&mut scopes).await?;
        insert_alias_row(&mut tx, alias).await?;
        commit_within_caps(tx, &caps).await
    }

    async fn update_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        update_alias_row(&mut tx, alias).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn update_alias_capped(&self, alias: &AliasRecord, cap: u64) -> StoreResult<()> {
        if is_aws_alias(&alias.alias_name) || cap == u64::MAX {
            return self.update_alias(alias).await;
        }
        let mut tx = self.begin_capped(&mut [scope_key(&["alias-key", &alias.target_key_id])]).await?;
        // Locks the alias row too, so a concurrent move of the same alias waits.
        let current: Option<String> = sqlx::query_scalar(
            "SELECT target_key_id FROM aliases WHERE account_id = $1 AND region = $2 AND alias_name = $3 FOR UPDATE",
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
        let change = StoreChange::Alias {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            alias_name: alias_name.to_owned(),
        };
        // Notifies only if a row went (one statement, as in `update_key`).
        let deleted: i64 = sqlx::query_scalar(
            "WITH done AS (DELETE FROM aliases WHERE account_id = $1 AND region = $2 AND alias_name = $3 \
             RETURNING 1) SELECT count(pg_notify($4, $5)) FROM done",
        )
        .bind(account_id)
        .bind(region)
        .bind(alias_name)
        .bind(changes::CHANNEL)
        .bind(changes::encode(&change))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        if deleted == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn get_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<Option<AliasRecord>> {
        let row = sqlx::query(
            "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
             WHERE account_id = $1 AND region = $2 AND alias_name = $3",
        )
        .bind(account_id)
        .bind(region)
        .bind(alias_name)
        .fetch_optional(&self.pool)
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
        // PostgreSQL wants exactly the parameters a statement uses, so each
        // filter combination is its own static statement ($1 account, $2
        // region, $3 limit, then the filters in order).
        let q = match (target_key_id, after) {
            (None, None) => sqlx::query(
                "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
                 WHERE account_id = $1 AND region = $2 ORDER BY alias_name LIMIT $3",
            ),
            (None, Some(_)) => sqlx::query(
                "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
                 WHERE account_id = $1 AND region = $2 AND alias_name > $4 ORDER BY alias_name LIMIT $3",
            ),
            (Some(_), None) => sqlx::query(
                "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
                 WHERE account_id = $1 AND region = $2 AND target_key_id = $4 ORDER BY alias_name LIMIT $3",
            ),
            (Some(_), Some(_)) => sqlx::query(
                "SELECT account_id, region, alias_name, target_key_id, creation_date, last_updated_date FROM aliases \
                 WHERE account_id = $1 AND region = $2 AND target_key_id = $4 AND alias_name > $5 \
                 ORDER BY alias_name LIMIT $3",
            ),
        };
        let mut q = q.bind(account_id).bind(region).bind(fetch_limit(limit));
        for filter in [target_key_id, after].into_iter().flatten() {
            q = q.bind(filter);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        let aliases = rows.iter().map(alias_from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(into_page(aliases, limit))
    }

    async fn insert_doc(&self, doc: &Doc) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        insert_doc_row(&mut tx, doc, None).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn insert_doc_capped(&self, doc: &Doc, cap: u64) -> StoreResult<()> {
        if cap == u64::MAX {
            return self.insert_doc(doc).await;
        }
        let mut tx = self.begin_capped(&mut [scope_key(&["docs", &doc.kind, &doc.scope])]).await?;
        insert_doc_row(&mut tx, doc, None).await?;
        commit_within_caps(tx, &[Cap::first(COUNT_DOCS_SQL, &[&doc.kind, &doc.scope], cap)]).await
    }

    async fn insert_doc_capped_in_group(&self, doc: &Doc, cap: u64, group: &str, group_cap: u64) -> StoreResult<()> {
        let (scope_args, group_args) = ([doc.kind.as_str(), &doc.scope], [doc.kind.as_str(), &doc.scope, group]);
        let caps =
            [Cap::first(COUNT_DOCS_SQL, &scope_args, cap), Cap::second(COUNT_GROUP_DOCS_SQL, &group_args, group_cap)];
        let mut scopes = Vec::new();
        if caps[0].limits() {
            scopes.push(scope_key(&["docs", &doc.kind, &doc.scope]));
        }
        if caps[1].limits() {
            scopes.push(scope_key(&["docs-group", &doc.kind, &doc.scope, group]));
        }
        let mut tx = self.begin_capped(&mut scopes).await?;
        insert_doc_row(&mut tx, doc, Some(group)).await?;
        commit_within_caps(tx, &caps).await
    }

    async fn put_doc(&self, doc: &Doc) -> StoreResult<()> {
        // Write and notification in one statement, as in `update_key`.
        let _written: i64 = sqlx::query_scalar(
            "WITH done AS (INSERT INTO docs (kind, scope, id, body) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, scope, id) DO UPDATE SET body = excluded.body RETURNING 1) \
             SELECT count(pg_notify($5, $6)) FROM done",
        )
        .bind(&doc.kind)
        .bind(&doc.scope)
        .bind(&doc.id)
        .bind(&doc.body)
        .bind(changes::CHANNEL)
        .bind(changes::encode(&doc_change(&doc.kind, &doc.scope, &doc.id)))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<Option<Doc>> {
        let row = sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = $1 AND scope = $2 AND id = $3")
            .bind(kind)
            .bind(scope)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(doc_from_row).transpose()
    }

    async fn delete_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<()> {
        // Notifies only if a row went (one statement, as in `update_key`).
        let deleted: i64 = sqlx::query_scalar(
            "WITH done AS (DELETE FROM docs WHERE kind = $1 AND scope = $2 AND id = $3 RETURNING 1) \
             SELECT count(pg_notify($4, $5)) FROM done",
        )
        .bind(kind)
        .bind(scope)
        .bind(id)
        .bind(changes::CHANNEL)
        .bind(changes::encode(&doc_change(kind, scope, id)))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        if deleted == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn wipe(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for table in ["DELETE FROM keys", "DELETE FROM aliases", WIPE_DOCS] {
            sqlx::query(table).execute(&mut *tx).await.map_err(map_err)?;
        }
        // Delivered at commit, to every node (this one included).
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(changes::CHANNEL)
            .bind(changes::encode(&StoreChange::Everything))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    /// Every change committed by any node on this database (see [`changes`]).
    fn changes(&self) -> Option<broadcast::Receiver<StoreChange>> {
        Some(self.changes.subscribe())
    }

    async fn list_docs(&self, kind: &str, scope: Option<&str>) -> StoreResult<Vec<Doc>> {
        let query = match scope {
            Some(scope) => {
                sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = $1 AND scope = $2 ORDER BY scope, id")
                    .bind(kind)
                    .bind(scope)
            }
            None => sqlx::query("SELECT kind, scope, id, body FROM docs WHERE kind = $1 ORDER BY scope, id").bind(kind),
        };
        let rows = query.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter().map(doc_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use trent_core::key::model::KeyState;
    use trent_testkit::PgServer;

    use super::*;

    /// A fresh database on this test binary's PostgreSQL server.
    async fn fresh_db() -> String {
        tokio::task::spawn_blocking(|| PgServer::shared().and_then(PgServer::create_database))
            .await
            .expect("join")
            .expect("fresh database")
    }

    #[test]
    fn claim_statements_name_the_pending_deletion_state() {
        // A literal, so the partial index keys_due_deletion applies; it must
        // stay the state's stored name.
        let state = format!("key_state = '{}'", KeyState::PendingDeletion.as_str());
        assert!(CLAIM_DELETIONS_SQL.contains(&state));
        assert!(MIGRATOR.iter().any(|m| m.sql.as_str().contains(&format!("WHERE {state}"))));
    }

    #[test]
    fn scope_keys_cannot_collide() {
        assert_ne!(scope_key(&["docs", "a/b", "c"]), scope_key(&["docs", "a", "b/c"]));
        assert_ne!(scope_key(&["docs", "a\",\"b", "c"]), scope_key(&["docs", "a", "b\",\"c"]));
    }

    #[tokio::test]
    async fn synchronous_commit_is_on_whatever_the_database_default() {
        let url = fresh_db().await;
        let admin = PgPool::connect(&url).await.expect("admin");
        let db: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&admin).await.expect("db");
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {db} SET synchronous_commit = off")))
            .execute(&admin)
            .await
            .expect("weaken the database default");
        let plain = PgPool::connect(&url).await.expect("plain");
        let setting: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&plain).await.expect("show");
        assert_eq!(setting, "off", "the database default must be off for this test to mean anything");
        let store = PostgresStore::connect(&url).await.expect("connect");
        for _ in 0..3 {
            let setting: String =
                sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&store.pool).await.expect("show");
            assert_eq!(setting, "on");
        }
    }

    #[tokio::test]
    async fn newer_schema_is_refused() {
        let url = fresh_db().await;
        let store = PostgresStore::connect(&url).await.expect("connect");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', true, '\\x00', 0)",
        )
        .execute(&store.pool)
        .await
        .expect("add a future migration");
        store.close().await;
        match PostgresStore::connect(&url).await {
            Err(StoreError::Backend(msg)) => assert!(msg.contains("newer than this Trent"), "{msg}"),
            other => panic!("expected a Backend error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn bad_urls_are_errors_not_panics() {
        let options = PostgresOptions { acquire_timeout: Duration::from_secs(2), ..PostgresOptions::default() };
        // Malformed, another scheme, and nothing listening on port 1: errors within the timeout.
        for url in
            ["postgres://x@127.0.0.1:notaport/db", "mysql://x@127.0.0.1/db", "postgres://postgres@127.0.0.1:1/db"]
        {
            let started = std::time::Instant::now();
            let r = PostgresStore::connect_with(url, options.clone()).await;
            assert!(matches!(r, Err(StoreError::Backend(_))), "{url}: {r:?}");
            assert!(started.elapsed() < Duration::from_secs(10), "{url}: took {:?}", started.elapsed());
        }
    }

    #[test]
    fn page_cut() {
        let p = into_page(vec![1, 2, 3], 2);
        assert_eq!((p.items, p.truncated), (vec![1, 2], true));
        assert_eq!(fetch_limit(usize::MAX), i64::MAX);
    }
}
