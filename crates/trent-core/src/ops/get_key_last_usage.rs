//! GetKeyLastUsage: the last successful cryptographic operation of a key, when
//! it happened and the request and CloudTrail event ids it had, and since
//! when that is tracked.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;

/// GetKeyLastUsage request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// `KeyLastUsageData`: every member absent when the key was not used since tracking began.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct KeyLastUsage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_trail_event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_request_id: Option<String>,
}

/// GetKeyLastUsage response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub key_last_usage: KeyLastUsage,
    pub tracking_start_date: f64,
    pub key_creation_date: f64,
}

/// Runs GetKeyLastUsage (not across accounts: [`Kms::resolve`] refuses other accounts' keys for it).
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key = kms.key_only(caller, Operation::GetKeyLastUsage, req.key_id.as_deref()).await?;
    let record = &key.record;
    let last = kms.key_last_usage(record).await?;
    let tracking_start = kms.usage_tracking_start().await?;
    Ok(Response {
        key_id: record.key_id.clone(),
        key_last_usage: last
            .map(|u| KeyLastUsage {
                operation: Some(u.operation.name()),
                timestamp: Some(u.timestamp),
                cloud_trail_event_id: u.ids.map(|i| i.event_id()),
                kms_request_id: u.ids.map(|i| i.request_id()),
            })
            .unwrap_or_default(),
        // "the date KMS began recording ... or the date the key was created, whichever is later"
        tracking_start_date: tracking_start.max(record.creation_date),
        key_creation_date: record.creation_date,
    })
}
