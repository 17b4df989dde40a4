//! Durable quota increase requests and their status changes, kept as
//! `KeyStore` documents.
//!
//! Two kinds of document, both scoped `ACCOUNT/REGION`:
//! - [`DOC_KIND`], id the request id: the request as it was made (its
//!   `Status` then: `PENDING`, or `APPROVED` under the instant policy).
//!   Written once, never replaced.
//! - [`STATUS_KIND`], id `REQUEST_ID.N`: the request's N-th status change
//!   (`Status`, `LastUpdated`, `CaseId`).
//!
//! A request's current state is its first document with its changes 1, 2, …
//! applied in order. A change is written with `insert_doc`, which refuses an
//! id that exists: that is the compare-and-swap. Two writers (two tasks, or
//! two processes sharing the store) that both saw change N can both try to
//! write change N+1, and exactly one succeeds; the other re-reads. The store
//! has no compare-and-swap on a document body, and `put_doc` would let the
//! later of two writers silently win. Every write is durable before the call
//! returns, so a change is never reported before it would survive `kill -9`.
//!
//! Approved values are not stored separately: at startup the highest approved
//! `DesiredValue` per (account, region, quota) is re-applied, so a request and
//! the value it sets can never disagree after a crash (one write, not two).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{KmsError, KmsResult};
use crate::quota::QuotaId;
use crate::store::{Doc, KeyStore, StoreError};
use crate::wire::aws_enum::{AwsEnum, wire_enum};

use super::messages::RequestedServiceQuotaChange;
use super::messages::SERVICE_CODE;

/// The document kind of a quota increase request (as it was made).
pub const DOC_KIND: &str = "quota-request";

/// The document kind of one status change of a quota increase request.
pub const STATUS_KIND: &str = "quota-request-status";

/// Most status changes read for one request: the life cycle has two
/// (`CASE_OPENED`, then a decision), so anything near this is corruption.
const MAX_CHANGES: u32 = 16;

wire_enum!(
    /// The `RequestStatus` values of the Service Quotas model. Exists so the
    /// life cycle is checked by the compiler rather than by string comparisons;
    /// the wire and the store keep the AWS strings.
    RequestStatus {
        /// Received, not yet looked at.
        Pending = "PENDING",
        /// A (simulated) support case is open; waiting for a decision.
        CaseOpened = "CASE_OPENED",
        /// Approved: the desired value applies.
        Approved = "APPROVED",
        /// Refused; the value never applies.
        Denied = "DENIED",
        /// The case was closed without approval (withdrawn); the value never applies.
        CaseClosed = "CASE_CLOSED",
        /// AWS's other refusal; Trent never sets it but reads and filters it.
        NotApproved = "NOT_APPROVED",
        /// AWS's answer to a bad resource-level request; Trent never sets it.
        InvalidRequest = "INVALID_REQUEST",
    }
);

impl RequestStatus {
    /// Whether the request still waits for a decision (AWS allows one such
    /// request per quota).
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::Pending | RequestStatus::CaseOpened)
    }

    /// The life cycle: `PENDING` → `CASE_OPENED` → `APPROVED`, `DENIED` or
    /// `CASE_CLOSED`. Every other move is refused.
    pub fn can_become(self, to: RequestStatus) -> bool {
        matches!(
            (self, to),
            (RequestStatus::Pending, RequestStatus::CaseOpened)
                | (
                    RequestStatus::CaseOpened,
                    RequestStatus::Approved | RequestStatus::Denied | RequestStatus::CaseClosed
                )
        )
    }
}

/// One status change as stored (kind [`STATUS_KIND`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StatusChange {
    /// 1 for the first change after the request was made.
    seq: u32,
    /// The new status (AWS string).
    status: String,
    /// When it changed, epoch seconds.
    last_updated: f64,
    /// The case opened by this change, if it opened one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case_id: Option<String>,
}

/// A request with where it lives and how many changes it has had; what a
/// status change must start from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    /// The requesting account.
    pub account_id: String,
    /// The region the request was made in.
    pub region: String,
    /// The request as it is now (every change applied).
    pub change: RequestedServiceQuotaChange,
    /// How many status changes it has had (0: as made).
    seq: u32,
}

impl StoredRequest {
    /// The current status; `None` for a string no Trent writes (corruption).
    pub fn status(&self) -> Option<RequestStatus> {
        RequestStatus::parse(&self.change.status)
    }
}

fn scope(account_id: &str, region: &str) -> String {
    format!("{account_id}/{region}")
}

fn change_id(request_id: &str, seq: u32) -> String {
    format!("{request_id}.{seq}")
}

fn store_err(e: StoreError) -> KmsError {
    KmsError::internal(format!("quota request store: {e}"))
}

/// Records a new request.
pub(crate) async fn insert(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
    change: &RequestedServiceQuotaChange,
) -> KmsResult<()> {
    let body = serde_json::to_string(change).map_err(KmsError::internal)?;
    let doc = Doc { kind: DOC_KIND.to_owned(), scope: scope(account_id, region), id: change.id.clone(), body };
    store.insert_doc(&doc).await.map_err(store_err)
}

fn parse(doc: &Doc) -> Option<RequestedServiceQuotaChange> {
    match serde_json::from_str(&doc.body) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(scope = %doc.scope, id = %doc.id, error = %e, "unreadable quota request document; skipped");
            None
        }
    }
}

fn parse_change(doc: &Doc) -> Option<StatusChange> {
    match serde_json::from_str(&doc.body) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(scope = %doc.scope, id = %doc.id, error = %e, "unreadable quota request status change; skipped");
            None
        }
    }
}

/// Applies `changes` (any order) to `change`: 1, 2, … until the first gap.
fn fold(change: &mut RequestedServiceQuotaChange, mut changes: Vec<StatusChange>) -> u32 {
    changes.sort_by_key(|c| c.seq);
    let mut seq = 0;
    for c in changes {
        if c.seq != seq + 1 {
            tracing::warn!(request = %change.id, expected = seq + 1, found = c.seq, "gap in quota request status changes; later ones ignored");
            break;
        }
        change.status = c.status;
        change.last_updated = c.last_updated;
        if c.case_id.is_some() {
            change.case_id = c.case_id;
        }
        seq = c.seq;
    }
    seq
}

/// One request with its changes, read with one `get_doc` per document.
pub(crate) async fn get_stored(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
    id: &str,
) -> KmsResult<Option<StoredRequest>> {
    let scope = scope(account_id, region);
    let Some(doc) = store.get_doc(DOC_KIND, &scope, id).await.map_err(store_err)? else { return Ok(None) };
    let Some(mut change) = parse(&doc) else { return Ok(None) };
    let mut changes = Vec::new();
    for seq in 1..=MAX_CHANGES {
        let Some(d) = store.get_doc(STATUS_KIND, &scope, &change_id(id, seq)).await.map_err(store_err)? else {
            break;
        };
        let Some(c) = parse_change(&d) else { break };
        changes.push(c);
    }
    let seq = fold(&mut change, changes);
    Ok(Some(StoredRequest { account_id: account_id.to_owned(), region: region.to_owned(), change, seq }))
}

/// One request of the caller's account and region, as it is now.
pub(crate) async fn get(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
    id: &str,
) -> KmsResult<Option<RequestedServiceQuotaChange>> {
    Ok(get_stored(store, account_id, region, id).await?.map(|s| s.change))
}

/// Requests in `scope` (or every scope), each with its changes applied, newest first.
async fn read_all(store: &Arc<dyn KeyStore>, scope: Option<&str>) -> KmsResult<Vec<StoredRequest>> {
    let docs = store.list_docs(DOC_KIND, scope).await.map_err(store_err)?;
    let mut changes: BTreeMap<(String, String), Vec<StatusChange>> = BTreeMap::new();
    for d in store.list_docs(STATUS_KIND, scope).await.map_err(store_err)? {
        let Some((request_id, _)) = d.id.rsplit_once('.') else { continue };
        if let Some(c) = parse_change(&d) {
            changes.entry((d.scope.clone(), request_id.to_owned())).or_default().push(c);
        }
    }
    let mut out = Vec::with_capacity(docs.len());
    for doc in &docs {
        let Some(mut change) = parse(doc) else { continue };
        let Some((account_id, region)) = doc.scope.split_once('/') else {
            tracing::warn!(scope = %doc.scope, "quota request document with a malformed scope; skipped");
            continue;
        };
        let seq = fold(&mut change, changes.remove(&(doc.scope.clone(), doc.id.clone())).unwrap_or_default());
        out.push(StoredRequest { account_id: account_id.to_owned(), region: region.to_owned(), change, seq });
    }
    out.sort_by(|a, b| b.change.created.total_cmp(&a.change.created).then_with(|| b.change.id.cmp(&a.change.id)));
    Ok(out)
}

/// Every request of one account and region, newest first.
pub(crate) async fn list(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
) -> KmsResult<Vec<RequestedServiceQuotaChange>> {
    Ok(read_all(store, Some(&scope(account_id, region))).await?.into_iter().map(|s| s.change).collect())
}

/// Every request in one document scope (`ACCOUNT/REGION`, as a change
/// report names it), or in every scope, newest first.
pub(crate) async fn in_scope(store: &Arc<dyn KeyStore>, scope: Option<&str>) -> KmsResult<Vec<StoredRequest>> {
    read_all(store, scope).await
}

/// Every request in the store, across accounts and regions, newest first.
pub(crate) async fn all(store: &Arc<dyn KeyStore>) -> KmsResult<Vec<StoredRequest>> {
    read_all(store, None).await
}

/// Writes the next status change of `current` (compare-and-swap: see the
/// module doc). `Ok(None)` when another writer changed the request first:
/// re-read it and decide again. The move must be one [`RequestStatus::can_become`] allows.
pub(crate) async fn change_status(
    store: &Arc<dyn KeyStore>,
    current: &StoredRequest,
    to: RequestStatus,
    now: f64,
    case_id: Option<String>,
) -> KmsResult<Option<StoredRequest>> {
    let from = current.status();
    if !from.is_some_and(|f| f.can_become(to)) {
        return Err(KmsError::internal(format!(
            "quota request {}: no move from {} to {to}",
            current.change.id, current.change.status
        )));
    }
    let seq = current.seq + 1;
    let record = StatusChange { seq, status: to.as_str().to_owned(), last_updated: now, case_id };
    let doc = Doc {
        kind: STATUS_KIND.to_owned(),
        scope: scope(&current.account_id, &current.region),
        id: change_id(&current.change.id, seq),
        body: serde_json::to_string(&record).map_err(KmsError::internal)?,
    };
    match store.insert_doc(&doc).await {
        Ok(()) => {
            let mut next = current.clone();
            next.change.status = record.status;
            next.change.last_updated = now;
            if record.case_id.is_some() {
                next.change.case_id = record.case_id;
            }
            next.seq = seq;
            Ok(Some(next))
        }
        Err(StoreError::AlreadyExists) => Ok(None),
        Err(e) => Err(store_err(e)),
    }
}

/// An approved value to re-apply at startup.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Approved {
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) quota: QuotaId,
    pub(crate) value: f64,
}

impl Approved {
    /// The value `request` sets, if it is an approved request for a quota
    /// still in the catalog.
    pub(crate) fn of(request: &StoredRequest) -> Option<Approved> {
        let change = &request.change;
        if request.status() != Some(RequestStatus::Approved) || change.service_code != SERVICE_CODE {
            return None;
        }
        let Some(quota) = QuotaId::from_code(&change.quota_code) else {
            tracing::warn!(code = %change.quota_code, "approved request for a quota no longer in the catalog; skipped");
            return None;
        };
        Some(Approved {
            account_id: request.account_id.clone(),
            region: request.region.clone(),
            quota,
            value: change.desired_value,
        })
    }
}

/// Every approved request in the store, across accounts and regions.
pub(crate) async fn approved(store: &Arc<dyn KeyStore>) -> KmsResult<Vec<Approved>> {
    Ok(all(store).await?.iter().filter_map(Approved::of).collect())
}
