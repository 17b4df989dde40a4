//! ListKeyRotations: the rotations a key has had (and optionally its original material).

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::{AwsEnum, wire_enum};
use crate::wire::pagination::{self, Tokens};
use crate::wire::validate::Validator;

use crate::key::rotation::require_rotatable;

/// ListKeyRotations request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub include_key_material: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

wire_enum!(
    /// Which material ListKeyRotations lists (`IncludeKeyMaterial`).
    IncludeKeyMaterial {
        /// The original material too.
        AllKeyMaterial = "ALL_KEY_MATERIAL",
        /// Only material that came from a rotation (the default).
        RotationsOnly = "ROTATIONS_ONLY",
    }
);

/// One rotation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    pub key_id: String,
    pub key_material_id: String,
    pub rotation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<&'static str>,
    pub key_material_state: &'static str,
}

/// ListKeyRotations response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub rotations: Vec<RotationsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Runs ListKeyRotations.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    let include = v.enum_member::<IncludeKeyMaterial>("includeKeyMaterial", req.include_key_material.as_deref());
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    let key = kms.key_only(caller, Operation::ListKeyRotations, req.key_id.as_deref()).await?;
    require_rotatable(&key.record)?;
    let all = include == Some(IncludeKeyMaterial::AllKeyMaterial);
    let arn = key.arn();
    let current = key.record.materials.len().saturating_sub(1);
    let entries: Vec<RotationsListEntry> = key
        .record
        .materials
        .iter()
        .enumerate()
        .filter(|(_, m)| all || m.rotation_type.is_some())
        .map(|(i, m)| RotationsListEntry {
            key_id: arn.clone(),
            key_material_id: m.id.clone(),
            rotation_date: m.created,
            rotation_type: m.rotation_type.map(|t| t.as_str()),
            key_material_state: if i == current { "CURRENT" } else { "NON_CURRENT" },
        })
        .collect();
    let limit = pagination::page_size(req.limit, 100, 1000);
    let page = pagination::offset_page(entries, req.marker.as_deref(), limit, Tokens::KmsMarker)?;
    Ok(Response { rotations: page.items, next_marker: page.next_marker, truncated: page.truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_key_material_lists_aws_set() {
        assert_eq!(IncludeKeyMaterial::wire_list(), "[ALL_KEY_MATERIAL, ROTATIONS_ONLY]");
        crate::wire::aws_enum::assert_consistent::<IncludeKeyMaterial>();
    }
}
