//! The last successful cryptographic use of each key (GetKeyLastUsage), kept
//! in memory and written to the store lazily.
//!
//! Recording a use must cost a cryptographic request next to nothing (Encrypt
//! throughput is what Trent is measured by), so a use only updates an entry
//! in one of a few locked maps; `Kms::flush_key_usage` writes the entries
//! changed since the last flush, one document per key, when the server's
//! maintenance pass runs and when it is stopped by a signal. A kill -9 loses
//! at most the uses since the last flush (AWS too documents the value as
//! eventually consistent).

use std::collections::HashMap;
use std::future::Future;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::operation::Operation;

/// Document kind of a key's persisted last use (scope: the key's store id, id [`DOC_ID`]).
pub const DOC_KIND: &str = "key-last-usage";
/// The one document id within a key's scope.
pub const DOC_ID: &str = "last";
/// Document kind of the date tracking began (scope and id [`DOC_ID`]).
pub const TRACKING_DOC_KIND: &str = "key-last-usage-tracking";

/// The ids one request is answered and audited with: the `x-amzn-RequestId`
/// and the CloudTrail `eventID` of its audit record, so the last use of a key
/// names the same ids as the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestIds {
    /// The request id, as a UUID's 128 bits.
    pub request_id: u128,
    /// The audit record's event id, as a UUID's 128 bits.
    pub event_id: u128,
}

impl RequestIds {
    /// The request id as KMS writes it.
    pub fn request_id(&self) -> String {
        uuid::Uuid::from_u128(self.request_id).to_string()
    }

    /// The event id as CloudTrail writes it.
    pub fn event_id(&self) -> String {
        uuid::Uuid::from_u128(self.event_id).to_string()
    }
}

tokio::task_local! {
    static CURRENT: RequestIds;
}

/// Runs `request` (one dispatched KMS request) with `ids` as its ids, so the
/// uses it records carry them. Exists because the ids are made by the HTTP
/// layer and the uses recorded deep inside the operations.
pub async fn with_request_ids<F: Future>(ids: RequestIds, request: F) -> F::Output {
    CURRENT.scope(ids, request).await
}

/// The ids of the request being served, if the HTTP layer set them.
pub fn current_request_ids() -> Option<RequestIds> {
    CURRENT.try_with(|ids| *ids).ok()
}

/// One use of a key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastUse {
    /// The operation (one of AWS's `KeyLastUsageTrackingOperation`s).
    pub operation: Operation,
    /// When, epoch seconds.
    pub timestamp: f64,
    /// The request's ids (absent for uses outside an HTTP request).
    pub ids: Option<RequestIds>,
}

/// A [`LastUse`] as its document stores it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredUse {
    operation: String,
    timestamp: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
}

impl LastUse {
    /// The document body.
    pub fn to_json(&self) -> String {
        let stored = StoredUse {
            operation: self.operation.name().to_owned(),
            timestamp: self.timestamp,
            request_id: self.ids.map(|i| i.request_id()),
            event_id: self.ids.map(|i| i.event_id()),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// Reads a document body; `None` if it is not one.
    pub fn from_json(body: &str) -> Option<LastUse> {
        let s: StoredUse = serde_json::from_str(body).ok()?;
        let id = |v: &Option<String>| v.as_deref().and_then(|t| uuid::Uuid::parse_str(t).ok()).map(|u| u.as_u128());
        let ids = match (id(&s.request_id), id(&s.event_id)) {
            (Some(request_id), Some(event_id)) => Some(RequestIds { request_id, event_id }),
            _ => None,
        };
        Some(LastUse { operation: Operation::from_name(&s.operation)?, timestamp: s.timestamp, ids })
    }

    /// The later of two uses.
    pub fn latest(a: Option<LastUse>, b: Option<LastUse>) -> Option<LastUse> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.timestamp > a.timestamp { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

const SHARDS: usize = 16;

/// A key's entry: its last use, and whether it changed since the last flush.
type Entry = (LastUse, bool);

/// Last uses by key store id, in shards so concurrent requests on different
/// keys rarely wait for one another.
#[derive(Debug, Default)]
pub struct KeyUsageLog {
    shards: [Mutex<HashMap<String, Entry>>; SHARDS],
}

impl KeyUsageLog {
    fn shard(&self, store_id: &str) -> &Mutex<HashMap<String, Entry>> {
        // FNV-1a: cheap, and good enough to spread key ids over a few shards.
        let h =
            store_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        &self.shards[(h % SHARDS as u64) as usize]
    }

    /// Records a use of the key `store_id` (a use older than the one
    /// recorded is ignored). Allocates only the first time a key is used.
    pub fn record(&self, store_id: &str, used: LastUse) {
        let mut shard = self.shard(store_id).lock();
        match shard.get_mut(store_id) {
            Some(entry) if entry.0.timestamp > used.timestamp => {}
            Some(entry) => *entry = (used, true),
            None => {
                shard.insert(store_id.to_owned(), (used, true));
            }
        }
    }

    /// The last use of `store_id` this process recorded.
    pub fn get(&self, store_id: &str) -> Option<LastUse> {
        self.shard(store_id).lock().get(store_id).map(|e| e.0)
    }

    /// The uses recorded since the last call, marked as written.
    pub fn take_changed(&self) -> Vec<(String, LastUse)> {
        let mut out = Vec::new();
        for shard in &self.shards {
            for (id, entry) in shard.lock().iter_mut().filter(|(_, e)| e.1) {
                entry.1 = false;
                out.push((id.clone(), entry.0));
            }
        }
        out
    }

    /// Marks a use taken by [`KeyUsageLog::take_changed`] as not written after all.
    pub fn unwritten(&self, store_id: &str, used: LastUse) {
        if let Some(entry) = self.shard(store_id).lock().get_mut(store_id)
            && entry.0 == used
        {
            entry.1 = true;
        }
    }

    /// Forgets a deleted key.
    pub fn forget(&self, store_id: &str) {
        self.shard(store_id).lock().remove(store_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(op: Operation, at: f64) -> LastUse {
        LastUse { operation: op, timestamp: at, ids: Some(RequestIds { request_id: 1, event_id: 2 }) }
    }

    #[test]
    fn newer_uses_win_and_each_change_is_taken_once() {
        let log = KeyUsageLog::default();
        log.record("k", used(Operation::Encrypt, 10.0));
        log.record("k", used(Operation::Decrypt, 9.0));
        assert_eq!(log.get("k").map(|u| u.operation), Some(Operation::Encrypt));
        assert_eq!(log.take_changed().len(), 1);
        assert!(log.take_changed().is_empty());
        log.record("k", used(Operation::Sign, 11.0));
        let taken = log.take_changed();
        assert_eq!(taken[0].1.operation, Operation::Sign);
        log.unwritten("k", taken[0].1);
        assert_eq!(log.take_changed().len(), 1);
        log.forget("k");
        assert_eq!(log.get("k"), None);
    }

    #[test]
    fn documents_round_trip() {
        let u = used(Operation::GenerateDataKey, 1_750_000_000.5);
        assert_eq!(LastUse::from_json(&u.to_json()), Some(u));
        assert_eq!(u.ids.map(|i| i.request_id()).as_deref(), Some("00000000-0000-0000-0000-000000000001"));
        assert_eq!(LastUse::latest(Some(u), Some(used(Operation::Sign, 1.0))), Some(u));
    }
}
