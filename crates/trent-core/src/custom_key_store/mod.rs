//! The custom key store model shared by the six custom key store operations,
//! CreateKey (keys in a store) and GenerateRandom (`CustomKeyStoreId`).
//!
//! Trent emulates **AWS CloudHSM key stores**: there is no HSM and no
//! CloudHSM API. A syntactically valid `CloudHsmClusterId` names an active
//! cluster with enough HSMs, related to every other cluster; the key material of
//! keys "in the cluster" is ordinary Trent material sealed under the root key.
//! External key stores (`EXTERNAL_KEY_STORE`) are refused with
//! UnsupportedOperationException.
//!
//! Connection states follow AWS (`DISCONNECTED` → `CONNECTING` → `CONNECTED`,
//! `FAILED`, `DISCONNECTING`), with one simplification: the emulated connection
//! completes inside ConnectCustomKeyStore, so a store is reported `CONNECTED`
//! as soon as the call returns (AWS takes up to 20 minutes and reports
//! `CONNECTING` meanwhile). A cluster id whose name starts with
//! [`NO_HSM_CLUSTER_PREFIX`] stands for a cluster without active HSMs: connecting
//! it ends in `FAILED` with `ConnectionErrorCode` `INSUFFICIENT_CLOUDHSM_HSMS`.
//!
//! While a store is not connected its keys are `Unavailable` (unless pending
//! deletion), as AWS reports them: Disconnect records each key's own state and
//! sets `Unavailable`; Connect restores it. Cryptographic operations on an
//! `Unavailable` key fail with KMSInvalidStateException through the ordinary
//! key-state check.
//!
//! Stores are [`Doc`]s of kind [`DOC_KIND`] in scope `ACCOUNT/REGION`, id the
//! store id. Names (unique per account and Region) and clusters (one store per
//! cluster per account and Region) are claimed atomically with their own
//! documents ([`NAME_KIND`], [`CLUSTER_KIND`]) so two concurrent requests,
//! even in two processes sharing a database, cannot both win. The store
//! document itself is inserted under the "Custom key stores" resource quota
//! (`L-F33DCFEB`) with [`crate::store::KeyStore::insert_doc_capped`], so
//! concurrent creates cannot pass the limit either.

pub mod validation;

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{KeyRecord, KeySpec, KeyState, KeyUsage, Origin};
use crate::kms::{Kms, store_err};
use crate::quota::resource::ResourceQuota;
use crate::store::{Doc, StoreError};
use crate::wire::aws_enum::{AwsEnum, wire_enum};

/// Document kind of a custom key store.
pub const DOC_KIND: &str = "custom-key-store";
/// Document kind claiming a store name within an account and Region.
pub const NAME_KIND: &str = "custom-key-store-name";
/// Document kind claiming a CloudHSM cluster within an account and Region.
pub const CLUSTER_KIND: &str = "custom-key-store-cluster";
/// Cluster ids starting with this stand for clusters without active HSMs.
pub const NO_HSM_CLUSTER_PREFIX: &str = "cluster-nohsm";
/// `KeyRecord.ext` member holding the cluster id of a key in a CloudHSM key store.
pub const EXT_CLUSTER_ID: &str = "CloudHsmClusterId";
/// `KeyRecord.ext` member holding a key's own state while its store is disconnected.
pub const EXT_STATE_BEFORE_DISCONNECT: &str = "CustomKeyStoreStateBeforeDisconnect";

/// The external key store members of CreateCustomKeyStore and
/// UpdateCustomKeyStore. Trent emulates CloudHSM key stores only; these are
/// read only to refuse a request that sets any of them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct XksMembers {
    pub xks_proxy_uri_endpoint: Option<serde_json::Value>,
    pub xks_proxy_uri_path: Option<serde_json::Value>,
    pub xks_proxy_vpc_endpoint_service_name: Option<serde_json::Value>,
    pub xks_proxy_vpc_endpoint_service_owner: Option<serde_json::Value>,
    pub xks_proxy_authentication_credential: Option<serde_json::Value>,
    pub xks_proxy_connectivity: Option<serde_json::Value>,
}

impl XksMembers {
    /// Whether the request set any of them.
    pub fn any(&self) -> bool {
        [
            &self.xks_proxy_uri_endpoint,
            &self.xks_proxy_uri_path,
            &self.xks_proxy_vpc_endpoint_service_name,
            &self.xks_proxy_vpc_endpoint_service_owner,
            &self.xks_proxy_authentication_credential,
            &self.xks_proxy_connectivity,
        ]
        .iter()
        .any(|m| m.is_some())
    }
}

/// A `KeyStorePassword` member: never printed, wiped from memory on drop.
/// Trent checks its length and otherwise does not keep it (there is no HSM to log in to).
#[derive(Deserialize)]
#[serde(transparent)]
pub struct KeyStorePassword(pub String);

impl KeyStorePassword {
    /// The password text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for KeyStorePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyStorePassword(***)")
    }
}

impl Drop for KeyStorePassword {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

wire_enum!(
    /// A custom key store's type (`CustomKeyStoreType`).
    CustomKeyStoreType {
        /// An AWS CloudHSM key store: the only type Trent emulates.
        AwsCloudHsm = "AWS_CLOUDHSM",
        /// An external key store: refused.
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
);

wire_enum!(
    /// A custom key store's `ConnectionState`.
    ConnectionState {
        /// Connected: keys can be created and used.
        Connected = "CONNECTED",
        /// A connection attempt is under way.
        Connecting = "CONNECTING",
        /// The last connection attempt failed (see `ConnectionErrorCode`).
        Failed = "FAILED",
        /// Never connected, or disconnected on request.
        Disconnected = "DISCONNECTED",
        /// A disconnection is under way.
        Disconnecting = "DISCONNECTING",
    }
);

/// One custom key store, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomKeyStore {
    /// `cks-` and 17 hex digits.
    pub id: String,
    /// Friendly name, unique in the account and Region.
    pub name: String,
    /// Owning account.
    pub account_id: String,
    /// Owning Region.
    pub region: String,
    /// The associated (emulated) CloudHSM cluster.
    pub cloud_hsm_cluster_id: String,
    /// The trust anchor certificate given at creation (PEM).
    pub trust_anchor_certificate: String,
    /// Connection state.
    pub connection_state: ConnectionState,
    /// Why the last connection failed; only while `FAILED`.
    pub connection_error_code: Option<String>,
    /// Creation time, epoch seconds.
    pub creation_date: f64,
    /// When the connection state last changed, epoch seconds.
    pub state_changed: f64,
}

/// The `ACCOUNT/REGION` scope of the caller's stores.
pub fn scope(caller: &Caller) -> String {
    format!("{}/{}", caller.account_id, caller.region)
}

/// A fresh store id: `cks-` and 17 lowercase hex digits, as AWS shapes them.
pub fn new_id() -> KmsResult<String> {
    let bytes = crate::key::crypto::random_bytes(9)?;
    let hex = hex::encode(&bytes[..]);
    Ok(format!("cks-{}", &hex[..17]))
}

/// Whether `id` looks like a CloudHSM cluster id (`cluster-` and 11–16 base32 characters).
pub fn valid_cluster_id(id: &str) -> bool {
    id.strip_prefix("cluster-").is_some_and(|rest| {
        (11..=16).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c))
    })
}

/// The CustomKeyStoreNotFoundException for `id`.
pub fn not_found(id: &str) -> KmsError {
    KmsError::new(
        ErrorKind::CustomKeyStoreNotFound,
        format!("Custom key store {id} does not exist in this account and Region."),
    )
}

/// The CustomKeyStoreInvalidStateException for `store` in an operation that needs `required`.
pub fn invalid_state(store: &CustomKeyStore, operation: &str, required: &str) -> KmsError {
    KmsError::new(
        ErrorKind::CustomKeyStoreInvalidState,
        format!(
            "Custom key store {} has ConnectionState {}. {operation} is valid only when {required}.",
            store.id,
            store.connection_state.as_str()
        ),
    )
}

/// The CustomKeyStoreNameInUseException for `name`.
pub fn name_in_use(name: &str) -> KmsError {
    KmsError::new(
        ErrorKind::CustomKeyStoreNameInUse,
        format!(
            "The custom key store name '{name}' is already used by another custom key store in this account and Region."
        ),
    )
}

/// The CloudHsmClusterInUseException for `cluster`.
pub fn cluster_in_use(cluster: &str) -> KmsError {
    KmsError::new(
        ErrorKind::CloudHsmClusterInUse,
        format!("CloudHSM cluster {cluster} is already associated with a custom key store in this account and Region."),
    )
}

/// Reads one of the caller's stores, or `None`.
pub async fn find(kms: &Kms, caller: &Caller, id: &str) -> KmsResult<Option<CustomKeyStore>> {
    let Some(doc) = kms.store.get_doc(DOC_KIND, &scope(caller), id).await.map_err(store_err)? else {
        return Ok(None);
    };
    serde_json::from_str(&doc.body).map(Some).map_err(KmsError::internal)
}

/// Reads one of the caller's stores, or CustomKeyStoreNotFoundException.
pub async fn load(kms: &Kms, caller: &Caller, id: &str) -> KmsResult<CustomKeyStore> {
    find(kms, caller, id).await?.ok_or_else(|| not_found(id))
}

/// Every store of the caller's account and Region, ordered by id.
pub async fn list(kms: &Kms, caller: &Caller) -> KmsResult<Vec<CustomKeyStore>> {
    let docs = kms.store.list_docs(DOC_KIND, Some(&scope(caller))).await.map_err(store_err)?;
    docs.iter().map(|d| serde_json::from_str(&d.body).map_err(KmsError::internal)).collect()
}

fn doc(kind: &str, scope: String, id: &str, body: String) -> Doc {
    Doc { kind: kind.to_owned(), scope, id: id.to_owned(), body }
}

/// Writes `store` (insert or replace).
pub async fn save(kms: &Kms, store: &CustomKeyStore) -> KmsResult<()> {
    let body = serde_json::to_string(store).map_err(KmsError::internal)?;
    let scope = format!("{}/{}", store.account_id, store.region);
    kms.store.put_doc(&doc(DOC_KIND, scope, &store.id, body)).await.map_err(store_err)
}

/// Inserts a new `store` unless the account and Region already hold the
/// limit of the "Custom key stores" resource quota (count and insert are one
/// atomic step); LimitExceededException with AWS's message otherwise.
pub async fn insert_new(kms: &Kms, store: &CustomKeyStore) -> KmsResult<()> {
    let quota = ResourceQuota::CustomKeyStores;
    let limit = kms.resource_limit(&store.account_id, &store.region, quota);
    let body = serde_json::to_string(store).map_err(KmsError::internal)?;
    let scope = format!("{}/{}", store.account_id, store.region);
    match kms.store.insert_doc_capped(&doc(DOC_KIND, scope, &store.id, body), limit).await {
        Ok(()) => Ok(()),
        Err(StoreError::LimitReached { usage }) => Err(quota.exceeded(limit, usage)),
        Err(e) => Err(store_err(e)),
    }
}

/// Moves `store` to `state` (clearing the error code unless `FAILED`) and saves it.
pub async fn set_state(
    kms: &Kms,
    store: &mut CustomKeyStore,
    state: ConnectionState,
    error: Option<&str>,
) -> KmsResult<()> {
    store.connection_state = state;
    store.connection_error_code = error.map(str::to_owned);
    store.state_changed = kms.now();
    save(kms, store).await
}

/// Claims `value` (a name or a cluster id) of `kind` for store `owner`.
/// `Ok(false)` if another existing store holds it. A claim left behind by a
/// store that no longer exists (a crash between claim and use) is taken over.
pub async fn claim(kms: &Kms, caller: &Caller, kind: &str, value: &str, owner: &str) -> KmsResult<bool> {
    let scope = scope(caller);
    let claim = doc(kind, scope.clone(), value, owner.to_owned());
    match kms.store.insert_doc(&claim).await {
        Ok(()) => return Ok(true),
        Err(StoreError::AlreadyExists) => {}
        Err(e) => return Err(store_err(e)),
    }
    let holder = kms.store.get_doc(kind, &scope, value).await.map_err(store_err)?.map(|d| d.body);
    match holder {
        Some(h) if h == owner => Ok(true),
        Some(h) if find(kms, caller, &h).await?.is_some() => Ok(false),
        _ => {
            kms.store.put_doc(&claim).await.map_err(store_err)?;
            Ok(true)
        }
    }
}

/// Gives up `owner`'s claim on `value`, if it still holds it.
pub async fn release(kms: &Kms, caller: &Caller, kind: &str, value: &str, owner: &str) -> KmsResult<()> {
    let scope = scope(caller);
    let Some(d) = kms.store.get_doc(kind, &scope, value).await.map_err(store_err)? else { return Ok(()) };
    if d.body != owner {
        return Ok(());
    }
    match kms.store.delete_doc(kind, &scope, value).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(store_err(e)),
    }
}

/// Ids of the keys in `store`, in any key state.
pub async fn key_ids(kms: &Kms, store: &CustomKeyStore) -> KmsResult<Vec<String>> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page =
            kms.store.list_keys(&store.account_id, &store.region, after.as_deref(), 1000).await.map_err(store_err)?;
        ids.extend(
            page.items
                .iter()
                .filter(|k| k.custom_key_store_id.as_deref() == Some(store.id.as_str()))
                .map(|k| k.key_id.clone()),
        );
        match (page.truncated, page.items.last()) {
            (true, Some(last)) => after = Some(last.key_id.clone()),
            _ => return Ok(ids),
        }
    }
}

/// Applies `change` to every key in `store` (compare-and-swap per key).
pub async fn update_keys<F>(kms: &Kms, store: &CustomKeyStore, change: F) -> KmsResult<()>
where
    F: Fn(&mut KeyRecord) + Copy,
{
    for id in key_ids(kms, store).await? {
        match kms
            .update_key(&id, |k| {
                change(k);
                Ok(())
            })
            .await
        {
            // Deleted meanwhile: nothing to change.
            Err(e) if e.kind == ErrorKind::NotFound => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// What disconnecting does to one key: `Enabled` and `Disabled` keys become
/// `Unavailable`, remembering their own state; other states are kept.
pub fn make_unavailable(key: &mut KeyRecord) {
    if matches!(key.key_state, KeyState::Enabled | KeyState::Disabled) {
        key.ext.insert(EXT_STATE_BEFORE_DISCONNECT.into(), key.key_state.as_str().into());
        key.key_state = KeyState::Unavailable;
    }
}

/// What connecting does to one key: an `Unavailable` key gets its own state back.
pub fn make_available(key: &mut KeyRecord) {
    let before = key.ext.remove(EXT_STATE_BEFORE_DISCONNECT);
    if key.key_state == KeyState::Unavailable {
        key.key_state = before.as_ref().and_then(|v| v.as_str()).and_then(KeyState::parse).unwrap_or(KeyState::Enabled);
    }
}

/// For CreateKey: checks `Origin`, `CustomKeyStoreId` and the key type
/// together and returns the store a new key goes into (`None`: an ordinary key).
pub async fn placement(
    kms: &Kms,
    caller: &Caller,
    origin: Origin,
    spec: KeySpec,
    usage: KeyUsage,
    multi_region: bool,
    store_id: Option<&str>,
) -> KmsResult<Option<CustomKeyStore>> {
    let id = match (origin, store_id) {
        (Origin::ExternalKeyStore, _) => {
            return Err(KmsError::new(
                ErrorKind::UnsupportedOperation,
                "Trent does not support external key stores (Origin EXTERNAL_KEY_STORE).",
            ));
        }
        (Origin::AwsCloudHsm, Some(id)) => id,
        (Origin::AwsCloudHsm, None) => {
            return Err(KmsError::validation("You must specify a CustomKeyStoreId when the Origin is AWS_CLOUDHSM."));
        }
        (_, Some(_)) => {
            return Err(KmsError::validation(format!(
                "CustomKeyStoreId is valid only with Origin AWS_CLOUDHSM, not {origin}."
            )));
        }
        (_, None) => return Ok(None),
    };
    if spec != KeySpec::SymmetricDefault || usage != KeyUsage::EncryptDecrypt {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!(
                "A custom key store holds only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT), not {spec} for {usage}."
            ),
        ));
    }
    if multi_region {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            "Multi-Region keys cannot be created in a custom key store.",
        ));
    }
    let store = load(kms, caller, id).await?;
    if store.connection_state != ConnectionState::Connected {
        return Err(invalid_state(&store, "CreateKey", "the custom key store is CONNECTED"));
    }
    Ok(Some(store))
}

/// The `KeyRecord.ext` members of a new key in `store`.
pub fn key_ext(store: &CustomKeyStore) -> serde_json::Map<String, serde_json::Value> {
    let mut ext = serde_json::Map::new();
    ext.insert(EXT_CLUSTER_ID.into(), store.cloud_hsm_cluster_id.clone().into());
    ext
}

/// `KeyMetadata.CloudHsmClusterId` of `key`: its store's cluster, if it is in one.
pub fn cluster_of(key: &KeyRecord) -> Option<String> {
    key.ext.get(EXT_CLUSTER_ID).and_then(|v| v.as_str()).map(str::to_owned)
}

/// For CreateKey, after the key is stored: if its store stopped being
/// connected meanwhile (a concurrent Disconnect whose sweep may have missed the
/// new key), the key becomes `Unavailable` like its siblings.
pub async fn settle_new_key(kms: &Kms, caller: &Caller, key: KeyRecord) -> KmsResult<KeyRecord> {
    let Some(id) = key.custom_key_store_id.as_deref() else { return Ok(key) };
    match find(kms, caller, id).await? {
        Some(s) if s.connection_state == ConnectionState::Connected => Ok(key),
        _ => {
            let updated = kms
                .update_key(&key.store_id(), |k| {
                    make_unavailable(k);
                    Ok(())
                })
                .await?;
            Ok(updated.record.clone())
        }
    }
}

/// For GenerateRandom with a CustomKeyStoreId: the store must exist (checked
/// before charging) ...
pub async fn random_source(kms: &Kms, caller: &Caller, id: Option<&str>) -> KmsResult<Option<CustomKeyStore>> {
    match id {
        Some(id) => load(kms, caller, id).await.map(Some),
        None => Ok(None),
    }
}

/// ... and be connected (checked after charging, like a key's state).
pub fn require_random_source_connected(store: Option<&CustomKeyStore>) -> KmsResult<()> {
    match store {
        Some(s) if s.connection_state != ConnectionState::Connected => {
            Err(invalid_state(s, "GenerateRandom", "the CloudHSM key store is CONNECTED"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_cluster_ids() {
        let id = new_id().expect("random");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("cks-") && id[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(valid_cluster_id("cluster-1a23b4cdefg".replace('1', "a").as_str()));
        assert!(valid_cluster_id("cluster-abcdefghijk"));
        assert!(!valid_cluster_id("cluster-abc"));
        assert!(!valid_cluster_id("cluster-abcdefghij1"));
        assert!(!valid_cluster_id("klaster-abcdefghijk"));
    }

    #[test]
    fn states_round_trip_through_disconnect() {
        let json = serde_json::json!({
            "key_id": "k", "account_id": "a", "region": "r", "version": 1, "creation_date": 0.0,
            "description": "", "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT",
            "key_state": "Disabled", "origin": "AWS_CLOUDHSM", "key_manager": "CUSTOMER",
            "deletion_date": null, "pending_deletion_window_days": null, "custom_key_store_id": "cks-1",
            "multi_region": false, "valid_to": null, "expiration_model": null, "policy": "",
            "tags": [], "rotation": {"enabled": false, "period_days": null, "next_rotation": null, "on_demand_started": null},
            "materials": []
        });
        let mut key: KeyRecord = serde_json::from_value(json).expect("record");
        make_unavailable(&mut key);
        assert_eq!(key.key_state, KeyState::Unavailable);
        make_available(&mut key);
        assert_eq!(key.key_state, KeyState::Disabled);
        assert!(!key.ext.contains_key(EXT_STATE_BEFORE_DISCONNECT));
        key.key_state = KeyState::PendingDeletion;
        make_unavailable(&mut key);
        assert_eq!(key.key_state, KeyState::PendingDeletion);
        assert_eq!(ConnectionState::Disconnecting.as_str(), "DISCONNECTING");
        assert_eq!(serde_json::to_string(&ConnectionState::Failed).expect("json"), "\"FAILED\"");
        crate::wire::aws_enum::assert_consistent::<ConnectionState>();
        crate::wire::aws_enum::assert_consistent::<CustomKeyStoreType>();
        assert_eq!(CustomKeyStoreType::wire_list(), "[AWS_CLOUDHSM, EXTERNAL_KEY_STORE]");
    }
}
