//! Durable quota increase requests, kept as `KeyStore` documents.
//!
//! One document per request: kind [`DOC_KIND`], scope `ACCOUNT/REGION`, id the
//! request id, body the [`RequestedServiceQuotaChange`] JSON. Approved values
//! are not stored separately: at startup the highest approved `DesiredValue`
//! per (account, region, quota) is re-applied, so a request and the value it
//! sets can never disagree after a crash (one write, not two).

use std::sync::Arc;

use crate::error::{KmsError, KmsResult};
use crate::quota::QuotaId;
use crate::store::{Doc, KeyStore, StoreError};

use super::messages::RequestedServiceQuotaChange;
use super::messages::SERVICE_CODE;

/// The document kind of a quota increase request.
pub const DOC_KIND: &str = "quota-request";

/// Status of every request Trent accepts (the value applies at once).
pub const APPROVED: &str = "APPROVED";

fn scope(account_id: &str, region: &str) -> String {
    format!("{account_id}/{region}")
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

/// One request of the caller's account and region.
pub(crate) async fn get(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
    id: &str,
) -> KmsResult<Option<RequestedServiceQuotaChange>> {
    let doc = store.get_doc(DOC_KIND, &scope(account_id, region), id).await.map_err(store_err)?;
    Ok(doc.as_ref().and_then(parse))
}

/// Every request of one account and region, newest first.
pub(crate) async fn list(
    store: &Arc<dyn KeyStore>,
    account_id: &str,
    region: &str,
) -> KmsResult<Vec<RequestedServiceQuotaChange>> {
    let docs = store.list_docs(DOC_KIND, Some(&scope(account_id, region))).await.map_err(store_err)?;
    let mut out: Vec<_> = docs.iter().filter_map(parse).collect();
    out.sort_by(|a, b| b.created.total_cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    Ok(out)
}

/// An approved value to re-apply at startup.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Approved {
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) quota: QuotaId,
    pub(crate) value: f64,
}

/// Every approved request in the store, across accounts and regions.
pub(crate) async fn approved(store: &Arc<dyn KeyStore>) -> KmsResult<Vec<Approved>> {
    let docs = store.list_docs(DOC_KIND, None).await.map_err(store_err)?;
    let mut out = Vec::new();
    for doc in &docs {
        let Some(change) = parse(doc) else { continue };
        let Some((account_id, region)) = doc.scope.split_once('/') else {
            tracing::warn!(scope = %doc.scope, "quota request document with a malformed scope; skipped");
            continue;
        };
        if change.status != APPROVED || change.service_code != SERVICE_CODE {
            continue;
        }
        let Some(quota) = QuotaId::from_code(&change.quota_code) else {
            tracing::warn!(code = %change.quota_code, "approved request for a quota no longer in the catalog; skipped");
            continue;
        };
        out.push(Approved {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            quota,
            value: change.desired_value,
        });
    }
    Ok(out)
}
