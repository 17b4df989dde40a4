//! ListKeyRotations: the rotations a key has had (and optionally its original
//! material); for imported keys also each material's import state,
//! description and expiry, and material pending rotation.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::{AwsEnum, wire_enum};
use crate::wire::pagination::{self, Tokens};
use crate::wire::validate::Validator;

use crate::key::imported_materials;
use crate::key::model::ExpirationModel;
use crate::key::rotation::require_rotatable_on_demand;

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

/// One material of the key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    pub key_id: String,
    pub key_material_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<&'static str>,
    pub key_material_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    /// Absent for the first material and for material pending rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<&'static str>,
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
    require_rotatable_on_demand(&key.record)?;
    let all = include == Some(IncludeKeyMaterial::AllKeyMaterial);
    let arn = key.arn();
    let record = &key.record;
    let imported = imported_materials::applies(record);
    let imports = if imported { imported_materials::read(record) } else { Default::default() };
    let current = imported_materials::current(record).map(|m| m.id.as_str());
    let entries: Vec<RotationsListEntry> = record
        .materials
        .iter()
        .filter(|m| all || m.rotation_type.is_some())
        .map(|m| {
            let facts = imports.get(&m.id);
            let pending = facts.is_some_and(|f| f.pending_rotation);
            let expiration_model = facts.and_then(|f| f.expiration_model).filter(|_| imported);
            RotationsListEntry {
                key_id: arn.clone(),
                key_material_id: m.id.clone(),
                key_material_description: facts.and_then(|f| f.description.clone()),
                import_state: facts.map(|f| if f.deleted { "PENDING_IMPORT" } else { "IMPORTED" }),
                key_material_state: if pending {
                    "PENDING_ROTATION"
                } else if Some(m.id.as_str()) == current {
                    "CURRENT"
                } else {
                    "NON_CURRENT"
                },
                expiration_model: expiration_model.map(|e| e.as_str()),
                valid_to: facts
                    .and_then(|f| f.valid_to)
                    .filter(|_| expiration_model == Some(ExpirationModel::KeyMaterialExpires)),
                rotation_date: m.rotation_type.and(facts.and_then(|f| f.rotation_date).or(Some(m.created))),
                rotation_type: m.rotation_type.map(|t| t.as_str()),
            }
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
