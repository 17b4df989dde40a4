//! The storage contract. Operations in this crate talk only to [`KeyStore`];
//! `trent-store` implements it (SQLite now, PostgreSQL next) and carries one
//! conformance suite every backend must pass.
//!
//! The trait lives here rather than in `trent-store` because the operations
//! that call it live here, and `trent-core` must not depend on a database crate.
//!
//! Keys are addressed by their store id (`KeyRecord::store_id`): the key id,
//! except for multi-Region keys, whose related keys in several regions share
//! one key id and are stored as `mrk-…@REGION`. A backend keeps that handle in
//! its key column and treats it as opaque, except that deleting a key deletes
//! only the aliases of its own region (`split_store_id`).
//!
//! Contract for every backend:
//! - a method returns only after its write is durable (a crash right after
//!   the return loses nothing);
//! - `update_key` is a compare-and-swap on [`KeyRecord::version`], so several
//!   Trent processes sharing one database never lose an update;
//! - key material arrives already sealed under the root key: a backend never
//!   sees plaintext material;
//! - the `*_capped` writes count and write in one atomic step (one
//!   transaction), so concurrent creates, even from several processes sharing
//!   one database, never take a resource count past its cap. Uniqueness is
//!   checked first: a duplicate is `AlreadyExists` whatever the count. A write
//!   with two caps checks both in that one step, the first cap first.
//! - a backend shared by several processes reports the changes other
//!   processes commit through [`KeyStore::changes`], so every node's caches
//!   follow within a bounded delay (see `docs/propagation.md`).

use crate::key::model::{AliasRecord, KeyRecord};

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint was hit (duplicate key id, alias or document id).
    #[error("already exists")]
    AlreadyExists,
    /// The record to update or delete is not there.
    #[error("not found")]
    NotFound,
    /// A compare-and-swap lost to a concurrent writer; re-read and retry.
    #[error("concurrent update")]
    Conflict,
    /// A capped insert (`insert_key_capped`, `insert_alias_capped`,
    /// `update_alias_capped`, `insert_doc_capped`) found the cap already
    /// reached and wrote nothing. Carries what was counted, so the caller can
    /// put AWS's "current usage is N" in its LimitExceededException.
    #[error("resource limit reached (current usage {usage})")]
    LimitReached {
        /// How many resources were counted against the cap (at least the cap).
        usage: u64,
    },
    /// A write with two caps ([`KeyStore::insert_alias_capped`]'s per-region
    /// cap, [`KeyStore::insert_doc_capped_in_group`]'s group cap) found the
    /// first cap free but the second one reached, and wrote nothing. Separate
    /// from `LimitReached` so the caller can name the quota that was hit.
    #[error("second resource limit reached (current usage {usage})")]
    SecondLimitReached {
        /// How many resources were counted against the second cap (at least that cap).
        usage: u64,
    },
    /// The backend failed (I/O, corruption, connection); the text is for logs only.
    #[error("storage backend: {0}")]
    Backend(String),
}

/// Name prefix of aliases AWS creates for AWS managed keys; such aliases do
/// not count toward the "Aliases per key" quota.
pub const AWS_ALIAS_PREFIX: &str = "alias/aws/";

/// The two caps on a new alias ([`KeyStore::insert_alias_capped`]): exists
/// because an alias counts toward two resource quotas at once, and both must
/// be checked in the one step that inserts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AliasCaps {
    /// Most customer-created aliases targeting one key (AWS "Aliases per key").
    pub per_key: u64,
    /// Most customer-created aliases in the alias's account and region (AWS
    /// "Aliases per Region", 2020 profile only); `u64::MAX` for no limit.
    pub per_region: u64,
}

impl AliasCaps {
    /// Only the per-key cap (no per-region limit).
    pub fn per_key(cap: u64) -> AliasCaps {
        AliasCaps { per_key: cap, per_region: u64::MAX }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a listing plus whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in the backend's stable listing order.
    pub items: Vec<T>,
    /// Whether another page follows after the last item.
    pub truncated: bool,
}

/// A small JSON document owned by a subsystem (quota overrides and requests,
/// custom key stores, grants ...), addressed by `(kind, scope, id)`.
/// Subsystems that need no query beyond "by id" and "all in a scope" use these
/// instead of widening the trait.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Which subsystem owns it, e.g. `"quota-request"`.
    pub kind: String,
    /// A namespace within the kind, e.g. `"111122223333/us-east-1"`.
    pub scope: String,
    /// Identifier unique within (kind, scope).
    pub id: String,
    /// The document, JSON text.
    pub body: String,
}

/// A committed change to a store, as [`KeyStore::changes`] reports it.
///
/// Exists so a node sharing its store with other nodes can forget exactly
/// what another node changed (a cached key, alias target or grant list) and
/// apply approved quota increases at once, instead of waiting for its caches
/// to expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A key record was updated or deleted (its state, policy, rotation ...).
    Key {
        /// The key's store id (`KeyRecord::store_id`).
        key_id: String,
    },
    /// An alias was re-pointed or deleted.
    Alias {
        /// The alias's account.
        account_id: String,
        /// The alias's region.
        region: String,
        /// The alias name (`alias/...`).
        alias_name: String,
    },
    /// A document was inserted, replaced or deleted (a grant, a quota request ...).
    Doc {
        /// The document's kind.
        kind: String,
        /// The document's scope.
        scope: String,
        /// The document's id.
        id: String,
    },
    /// Changes may have been missed (the notification connection was lost
    /// and re-established, or a receiver fell behind): anything cached may
    /// be stale.
    Everything,
}

/// Durable storage for keys, aliases and subsystem documents.
#[async_trait::async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Inserts a new key. `AlreadyExists` if its store id is taken.
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()>;

    /// Inserts a new key unless its account and region already hold `cap`
    /// customer managed keys (`key_manager` CUSTOMER, in any key state), the
    /// AWS "KMS keys" resource quota. Count and insert are one atomic step.
    /// An AWS managed key is inserted without counting: it never uses the quota.
    /// `AlreadyExists` if the key id is taken; `LimitReached { usage }` (nothing
    /// written) if `usage >= cap` customer managed keys exist.
    async fn insert_key_capped(&self, key: &KeyRecord, cap: u64) -> StoreResult<()>;

    /// Reads a key by store id, whatever its account or region.
    async fn get_key(&self, key_id: &str) -> StoreResult<Option<KeyRecord>>;

    /// Replaces a key if its stored version is `key.version - 1`
    /// (callers bump `version` before calling). `Conflict` otherwise,
    /// `NotFound` if the key is gone.
    async fn update_key(&self, key: &KeyRecord) -> StoreResult<()>;

    /// Deletes a key (by store id) and every alias pointing at it in its
    /// region. `NotFound` if absent.
    async fn delete_key(&self, key_id: &str) -> StoreResult<()>;

    /// Keys of one account and region ordered by store id, starting after the store id `after`.
    async fn list_keys(
        &self,
        account_id: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>>;

    /// Every key of every account and region ordered by store id, starting
    /// after the store id `after`. Exists for whole-store maintenance (re-sealing all key
    /// material under a new root key), never for a request.
    async fn list_all_keys(&self, after: Option<&str>, limit: usize) -> StoreResult<Page<KeyRecord>>;

    /// Number of keys in one account and region (for resource quotas).
    async fn count_keys(&self, account_id: &str, region: &str) -> StoreResult<u64>;

    /// Store ids of keys in `PendingDeletion` whose deletion date is at or before `now`.
    async fn keys_due_for_deletion(&self, now: f64) -> StoreResult<Vec<String>>;

    /// Store ids of keys whose automatic rotation is enabled and due at or before `now`.
    async fn keys_due_for_rotation(&self, now: f64) -> StoreResult<Vec<String>> {
        let _ = now;
        Err(StoreError::Backend("this backend cannot find keys due for rotation".into()))
    }

    /// Creates an alias. `AlreadyExists` if (account, region, name) is taken.
    async fn insert_alias(&self, alias: &AliasRecord) -> StoreResult<()>;

    /// Points an existing alias at another key. `NotFound` if the alias is absent.
    async fn update_alias(&self, alias: &AliasRecord) -> StoreResult<()>;

    /// Creates an alias unless `caps.per_key` aliases already target
    /// `alias.target_key_id` (the "Aliases per key" resource quota) or
    /// `caps.per_region` aliases already exist in `alias.account_id` and
    /// `alias.region` ("Aliases per Region"). Aliases whose name starts with
    /// `alias/aws/` (created by AWS) neither count nor are capped. Counts and
    /// insert are one atomic step. `AlreadyExists` if (account, region, name)
    /// is taken; otherwise, with nothing written, `LimitReached { usage }`
    /// when the key is full (checked first), `SecondLimitReached { usage }`
    /// when the region is. A `per_region` of `u64::MAX` need not be counted.
    async fn insert_alias_capped(&self, alias: &AliasRecord, caps: AliasCaps) -> StoreResult<()>;

    /// [`KeyStore::update_alias`] under the same per-key cap as
    /// [`KeyStore::insert_alias_capped`], counted on the new target (not
    /// counting the alias being moved). An alias already pointing at
    /// `alias.target_key_id` is updated without a check. `NotFound` if the
    /// alias is absent; `LimitReached { usage }` with nothing written. (A move
    /// keeps the alias in its account and region, so no per-region cap.)
    async fn update_alias_capped(&self, alias: &AliasRecord, cap: u64) -> StoreResult<()>;

    /// Deletes an alias. `NotFound` if absent.
    async fn delete_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<()>;

    /// Reads one alias.
    async fn get_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<Option<AliasRecord>>;

    /// Aliases of one account and region ordered by name, optionally only those
    /// targeting `target_key_id`, starting after the name `after`.
    async fn list_aliases(
        &self,
        account_id: &str,
        region: &str,
        target_key_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>>;

    /// Inserts a document. `AlreadyExists` if (kind, scope, id) is taken.
    async fn insert_doc(&self, doc: &Doc) -> StoreResult<()>;

    /// Inserts a document unless `cap` documents of (`doc.kind`, `doc.scope`)
    /// already exist; for resource quotas kept as documents (grants per key,
    /// custom key stores per account and region). Count and insert are one
    /// atomic step. `AlreadyExists` if (kind, scope, id) is taken;
    /// `LimitReached { usage }` otherwise when over the cap, with nothing written.
    async fn insert_doc_capped(&self, doc: &Doc, cap: u64) -> StoreResult<()>;

    /// [`KeyStore::insert_doc_capped`] with a second cap inside the scope:
    /// the document is stored with the label `group`, and refused unless
    /// fewer than `cap` documents of (`doc.kind`, `doc.scope`) exist
    /// (`LimitReached { usage }`, checked first) and fewer than `group_cap`
    /// of them carry the same `group` (`SecondLimitReached { usage }`).
    /// For "Grants for a given principal per key": grants scoped by key,
    /// grouped by grantee. Counts and insert are one atomic step;
    /// `AlreadyExists` if (kind, scope, id) is taken; nothing written on refusal.
    ///
    /// The group is kept by the store beside the document, not in [`Doc`]:
    /// fixed at insert, kept when `put_doc` replaces the body, and gone with the
    /// document, so `delete_doc` frees its place in both counts. Documents
    /// written by the other methods have no group and count only toward `cap`.
    /// A `group_cap` of `u64::MAX` need not be counted.
    async fn insert_doc_capped_in_group(&self, doc: &Doc, cap: u64, group: &str, group_cap: u64) -> StoreResult<()>;

    /// Inserts or replaces a document.
    async fn put_doc(&self, doc: &Doc) -> StoreResult<()>;

    /// Reads a document.
    async fn get_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<Option<Doc>>;

    /// Deletes a document. `NotFound` if absent.
    async fn delete_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<()>;

    /// Documents of one kind, in one scope (or all scopes if `scope` is `None`), ordered by (scope, id).
    async fn list_docs(&self, kind: &str, scope: Option<&str>) -> StoreResult<Vec<Doc>>;

    /// Deletes every key, alias and document (but the server's own
    /// bookkeeping, kinds named `trent-…`) in one transaction: what
    /// `POST /_trent/reset` (`trent serve --allow-reset`) does, so a test
    /// suite can start each run from an empty server. Other nodes sharing the
    /// store are told that everything they cached is stale.
    async fn wipe(&self) -> StoreResult<()>;

    /// A feed of the changes committed to this store by any process sharing
    /// it (including this one), for a backend several nodes share; `None` for
    /// a backend only one process uses (SQLite), where this process's own
    /// caches already follow every write.
    ///
    /// Inserts of keys and aliases need not be reported (nothing caches their
    /// absence); every update and delete of a key or alias and every write of
    /// a document must be, and only once committed. A backend that may have
    /// missed changes (a lost connection) reports [`StoreChange::Everything`];
    /// a receiver that lags behind gets `RecvError::Lagged` and must treat it
    /// the same way.
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<StoreChange>> {
        None
    }
}
