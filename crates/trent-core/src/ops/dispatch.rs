//! JSON body → typed request → operation → JSON body.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;

fn parse<T: DeserializeOwned>(body: &[u8]) -> KmsResult<T> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| {
        // serde's messages name our types only in type mismatches; keep them generic.
        let msg = if e.is_syntax() || e.is_eof() {
            "The request body is not valid JSON.".to_owned()
        } else {
            format!("The request could not be deserialized: {}", strip_position(&e.to_string()))
        };
        KmsError::new(ErrorKind::Serialization, msg)
    })
}

fn strip_position(s: &str) -> &str {
    s.split(" at line ").next().unwrap_or(s)
}

fn to_json<T: Serialize>(v: &T) -> KmsResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(KmsError::internal)
}

macro_rules! route {
    ($kms:expr, $caller:expr, $op:expr, $body:expr, { $($variant:ident => $module:ident),+ $(,)? }) => {
        match $op {
            $(Operation::$variant => {
                let req = parse::<super::$module::Request>($body)?;
                to_json(&super::$module::run($kms, $caller, req).await?)
            })+
        }
    };
}

/// Runs one KMS operation on a JSON request body and returns the JSON response body.
pub async fn dispatch(kms: &Kms, caller: &Caller, op: Operation, body: &[u8]) -> KmsResult<Vec<u8>> {
    route!(kms, caller, op, body, {
        CancelKeyDeletion => cancel_key_deletion,
        ConnectCustomKeyStore => connect_custom_key_store,
        CreateAlias => create_alias,
        CreateCustomKeyStore => create_custom_key_store,
        CreateGrant => create_grant,
        CreateKey => create_key,
        Decapsulate => decapsulate,
        Decrypt => decrypt,
        DeleteAlias => delete_alias,
        DeleteCustomKeyStore => delete_custom_key_store,
        DeleteImportedKeyMaterial => delete_imported_key_material,
        DeriveSharedSecret => derive_shared_secret,
        DescribeCustomKeyStores => describe_custom_key_stores,
        DescribeKey => describe_key,
        DisableKey => disable_key,
        DisableKeyRotation => disable_key_rotation,
        DisconnectCustomKeyStore => disconnect_custom_key_store,
        EnableKey => enable_key,
        EnableKeyRotation => enable_key_rotation,
        Encapsulate => encapsulate,
        Encrypt => encrypt,
        GenerateDataKey => generate_data_key,
        GenerateDataKeyPair => generate_data_key_pair,
        GenerateDataKeyPairWithoutPlaintext => generate_data_key_pair_without_plaintext,
        GenerateDataKeyWithoutPlaintext => generate_data_key_without_plaintext,
        GenerateMac => generate_mac,
        GenerateRandom => generate_random,
        GetKeyLastUsage => get_key_last_usage,
        GetKeyPolicy => get_key_policy,
        GetKeyRotationStatus => get_key_rotation_status,
        GetParametersForImport => get_parameters_for_import,
        GetPublicKey => get_public_key,
        ImportKeyMaterial => import_key_material,
        ListAliases => list_aliases,
        ListGrants => list_grants,
        ListKeyPolicies => list_key_policies,
        ListKeyRotations => list_key_rotations,
        ListKeys => list_keys,
        ListResourceTags => list_resource_tags,
        ListRetirableGrants => list_retirable_grants,
        PutKeyPolicy => put_key_policy,
        ReEncrypt => re_encrypt,
        ReplicateKey => replicate_key,
        RetireGrant => retire_grant,
        RevokeGrant => revoke_grant,
        RotateKeyOnDemand => rotate_key_on_demand,
        ScheduleKeyDeletion => schedule_key_deletion,
        Sign => sign,
        TagResource => tag_resource,
        UntagResource => untag_resource,
        UpdateAlias => update_alias,
        UpdateCustomKeyStore => update_custom_key_store,
        UpdateKeyDescription => update_key_description,
        UpdatePrimaryRegion => update_primary_region,
        Verify => verify,
        VerifyMac => verify_mac,
    })
}
