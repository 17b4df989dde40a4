//! DescribeCustomKeyStores: the caller's custom key stores in its Region, all
//! or one (by id or by name), paginated with `Limit` and `Marker`.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::pagination;
use crate::wire::validate::Validator;

use crate::custom_key_store::{self as cks, CustomKeyStore, CustomKeyStoreType};

/// DescribeCustomKeyStores request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_id: Option<String>,
    pub custom_key_store_name: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

/// One `CustomKeyStoresListEntry`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    pub custom_key_store_id: String,
    pub custom_key_store_name: String,
    pub cloud_hsm_cluster_id: String,
    pub trust_anchor_certificate: String,
    pub connection_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_error_code: Option<String>,
    pub creation_date: f64,
    pub custom_key_store_type: &'static str,
}

impl Entry {
    /// The entry describing `store`.
    pub fn of(store: &CustomKeyStore) -> Self {
        Self {
            custom_key_store_id: store.id.clone(),
            custom_key_store_name: store.name.clone(),
            cloud_hsm_cluster_id: store.cloud_hsm_cluster_id.clone(),
            trust_anchor_certificate: store.trust_anchor_certificate.clone(),
            connection_state: store.connection_state.as_str(),
            connection_error_code: store.connection_error_code.clone(),
            creation_date: store.creation_date,
            custom_key_store_type: CustomKeyStoreType::AwsCloudHsm.as_str(),
        }
    }
}

/// DescribeCustomKeyStores response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub custom_key_stores: Vec<Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Runs DescribeCustomKeyStores.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.str_len("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, 64).str_len(
        "customKeyStoreName",
        req.custom_key_store_name.as_deref(),
        1,
        256,
    );
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    pagination::decode(req.marker.as_deref())?;
    kms.admit(caller, Operation::DescribeCustomKeyStores).await?;
    let mut stores = cks::list(kms, caller).await?;
    if let Some(id) = req.custom_key_store_id.as_deref() {
        stores.retain(|s| s.id == id);
        if stores.is_empty() {
            return Err(cks::not_found(id));
        }
    }
    if let Some(name) = req.custom_key_store_name.as_deref() {
        stores.retain(|s| s.name == name);
        if stores.is_empty() {
            return Err(KmsError::new(
                ErrorKind::CustomKeyStoreNotFound,
                format!("No custom key store named '{name}' exists in this account and Region."),
            ));
        }
    }
    let limit = pagination::page_size(req.limit, 100, 1000);
    let page = pagination::keyed_page(stores, req.marker.as_deref(), limit, |s| &s.id)?;
    Ok(Response {
        custom_key_stores: page.items.iter().map(Entry::of).collect(),
        next_marker: page.next_marker,
        truncated: page.truncated,
    })
}
