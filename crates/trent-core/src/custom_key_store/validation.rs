//! Request checks the custom key store operations share, with AWS's wording.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::wire::validate::Validator;

use super::valid_cluster_id;

/// The model constraints shared with UpdateCustomKeyStore: cluster id 19–24
/// characters, password 7–32 (never echoed: it is sensitive).
pub fn validate_cloudhsm_members(v: &mut Validator, cluster: Option<&str>, password: Option<&str>) {
    v.str_len("cloudHsmClusterId", cluster, 19, 24);
    v.blob_len("keyStorePassword", password.map(str::as_bytes), 7, 32);
}

/// CloudHsmClusterNotFoundException unless `cluster` looks like a cluster id.
pub fn require_cluster(cluster: &str) -> KmsResult<()> {
    if valid_cluster_id(cluster) {
        Ok(())
    } else {
        Err(KmsError::new(
            ErrorKind::CloudHsmClusterNotFound,
            format!("KMS cannot find the CloudHSM cluster with the specified cluster ID {cluster}."),
        ))
    }
}

/// Validates a request whose only member is a required CustomKeyStoreId.
pub fn require_id(id: Option<String>) -> KmsResult<String> {
    Validator::new().required("customKeyStoreId", &id).str_len("customKeyStoreId", id.as_deref(), 1, 64).finish_with(id)
}
