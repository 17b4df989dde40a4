//! What both SQL backends do the same way: key records as JSON documents,
//! keyset pages (one extra row says whether more follow), AWS managed alias
//! names, and driver errors mapped to `StoreError`.

use trent_core::key::model::KeyRecord;
use trent_core::store::{AWS_ALIAS_PREFIX, Page, StoreError, StoreResult};

/// Maps a driver error: unique/primary-key violations become `AlreadyExists`,
/// everything else `Backend`.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::AlreadyExists;
    }
    backend(e)
}

/// Whether `alias` is one AWS creates (`alias/aws/…`): never counted, never capped.
pub(crate) fn is_aws_alias(name: &str) -> bool {
    name.starts_with(AWS_ALIAS_PREFIX)
}

/// Cuts the extra row fetched by [`fetch_limit`] and reports it as `truncated`.
pub(crate) fn into_page<T>(mut items: Vec<T>, limit: usize) -> Page<T> {
    let truncated = items.len() > limit;
    items.truncate(limit);
    Page { items, truncated }
}

/// `LIMIT` for a page of `limit` items: one extra row tells whether more follow.
pub(crate) fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

pub(crate) fn encode_key(key: &KeyRecord) -> StoreResult<String> {
    serde_json::to_string(key).map_err(|e| StoreError::Backend(format!("encoding key {}: {e}", key.key_id)))
}

pub(crate) fn decode_key(doc: &str) -> StoreResult<KeyRecord> {
    serde_json::from_str(doc).map_err(|e| StoreError::Backend(format!("corrupt key document: {e}")))
}

/// Wraps any displayable failure as `Backend`.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// The documents [`KeyStore::wipe`](trent_core::store::KeyStore::wipe)
/// deletes: all but the server's own bookkeeping (kinds named `trent-…`,
/// such as the root key canary, which must outlive a reset of the data).
pub(crate) const WIPE_DOCS: &str = "DELETE FROM docs WHERE kind NOT LIKE 'trent-%'";
