//! `KeyMetadata`: a key as CreateKey and DescribeKey show it.

use serde::Serialize;

use crate::key::model::{KeyRecord, KeySpec, KeyState};
use crate::wire::aws_enum::AwsEnum;

/// KeyMetadata as AWS fills it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    pub key_id: String,
    pub arn: String,
    pub creation_date: f64,
    pub enabled: bool,
    pub description: String,
    pub key_usage: &'static str,
    pub key_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_hsm_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    pub key_manager: &'static str,
    pub customer_master_key_spec: &'static str,
    pub key_spec: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<&'static str>>,
    pub multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<crate::key::multi_region::MultiRegionConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

impl KeyMetadata {
    /// Builds the metadata of `key`.
    pub fn of(key: &KeyRecord) -> Self {
        let algs = crate::key::asymmetric::algorithms(key.key_spec, key.key_usage);
        Self {
            aws_account_id: key.account_id.clone(),
            key_id: key.key_id.clone(),
            arn: key.arn(),
            creation_date: key.creation_date,
            enabled: key.enabled(),
            description: key.description.clone(),
            key_usage: key.key_usage.as_str(),
            key_state: key.key_state.as_str(),
            deletion_date: key.deletion_date.filter(|_| key.key_state == KeyState::PendingDeletion),
            valid_to: key.valid_to,
            origin: key.origin.as_str(),
            custom_key_store_id: key.custom_key_store_id.clone(),
            cloud_hsm_cluster_id: crate::custom_key_store::cluster_of(key),
            expiration_model: key.expiration_model.map(|m| m.as_str()),
            key_manager: key.key_manager.as_str(),
            customer_master_key_spec: key.key_spec.as_str(),
            key_spec: key.key_spec.as_str(),
            encryption_algorithms: algs.encryption,
            signing_algorithms: algs.signing,
            mac_algorithms: algs.mac,
            key_agreement_algorithms: algs.key_agreement,
            encapsulation_algorithms: algs.encapsulation,
            multi_region: key.multi_region,
            multi_region_configuration: crate::key::multi_region::configuration(key),
            pending_deletion_window_in_days: key
                .pending_deletion_window_days
                .filter(|_| matches!(key.key_state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)),
            // AWS reports a current material id only for symmetric encryption keys.
            current_key_material_id: crate::key::imported_materials::current(key)
                .filter(|_| key.key_spec == KeySpec::SymmetricDefault)
                .map(|m| m.id.clone()),
        }
    }
}
