//! CreateCustomKeyStore: a new (emulated) AWS CloudHSM key store, `DISCONNECTED`.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

use crate::custom_key_store::{self as cks, ConnectionState, CustomKeyStore, CustomKeyStoreType};

/// CreateCustomKeyStore request. The external key store members are accepted
/// only to refuse them with a clear error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_name: Option<String>,
    pub cloud_hsm_cluster_id: Option<String>,
    pub trust_anchor_certificate: Option<String>,
    pub key_store_password: Option<cks::KeyStorePassword>,
    pub custom_key_store_type: Option<String>,
    #[serde(flatten)]
    pub xks: cks::XksMembers,
}

/// CreateCustomKeyStore response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub custom_key_store_id: String,
}

/// Runs CreateCustomKeyStore.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.required("customKeyStoreName", &req.custom_key_store_name)
        .str_len("customKeyStoreName", req.custom_key_store_name.as_deref(), 1, 256)
        .str_len("trustAnchorCertificate", req.trust_anchor_certificate.as_deref(), 1, 5000);
    crate::custom_key_store::validation::validate_cloudhsm_members(
        &mut v,
        req.cloud_hsm_cluster_id.as_deref(),
        req.key_store_password.as_ref().map(cks::KeyStorePassword::as_str),
    );
    let store_type = v.enum_member::<CustomKeyStoreType>("customKeyStoreType", req.custom_key_store_type.as_deref());
    v.finish()?;
    kms.admit(caller, Operation::CreateCustomKeyStore).await?;
    if store_type == Some(CustomKeyStoreType::ExternalKeyStore) || req.xks.any() {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            "Trent supports only AWS_CLOUDHSM custom key stores; external key stores (EXTERNAL_KEY_STORE) are not supported.",
        ));
    }
    let (Some(name), Some(cluster), Some(anchor), Some(_password)) =
        (req.custom_key_store_name, req.cloud_hsm_cluster_id, req.trust_anchor_certificate, req.key_store_password)
    else {
        return Err(KmsError::validation(
            "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are required to create a custom key store of type AWS_CLOUDHSM.",
        ));
    };
    crate::custom_key_store::validation::require_cluster(&cluster)?;
    if !anchor.trim_start().starts_with("-----BEGIN CERTIFICATE-----") {
        return Err(KmsError::new(
            ErrorKind::IncorrectTrustAnchor,
            format!(
                "The trust anchor certificate does not match the trust anchor certificate of CloudHSM cluster {cluster}."
            ),
        ));
    }
    let id = cks::new_id()?;
    if !cks::claim(kms, caller, cks::NAME_KIND, &name, &id).await? {
        return Err(cks::name_in_use(&name));
    }
    if !cks::claim(kms, caller, cks::CLUSTER_KIND, &cluster, &id).await? {
        cks::release(kms, caller, cks::NAME_KIND, &name, &id).await?;
        return Err(cks::cluster_in_use(&cluster));
    }
    let now = kms.now();
    let store = CustomKeyStore {
        id: id.clone(),
        name,
        account_id: caller.account_id.clone(),
        region: caller.region.clone(),
        cloud_hsm_cluster_id: cluster,
        trust_anchor_certificate: anchor,
        connection_state: ConnectionState::Disconnected,
        connection_error_code: None,
        creation_date: now,
        state_changed: now,
    };
    // The resource quota is checked (atomically) last, so a refused create
    // gives its claims back.
    if let Err(e) = cks::insert_new(kms, &store).await {
        cks::release(kms, caller, cks::CLUSTER_KIND, &store.cloud_hsm_cluster_id, &id).await?;
        cks::release(kms, caller, cks::NAME_KIND, &store.name, &id).await?;
        return Err(e);
    }
    Ok(Response { custom_key_store_id: id })
}
