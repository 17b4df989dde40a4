//! Multi-Region keys: related keys in several regions of one account that
//! share their key id, key material, key spec, usage, origin and automatic
//! rotation, each with its own policy, tags, description, aliases, grants
//! and key state.
//!
//! Every related key carries the whole set's configuration (the primary's
//! region and the replicas' regions) in its record's `ext`, so DescribeKey on
//! any of them answers from one record. The operations that change the set
//! (ReplicateKey, UpdatePrimaryRegion, a replica's deletion) or a shared
//! property (rotation) write every related key (`Kms::update_related_keys`).
//! In the store each related key has its own handle (`model::store_id`).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::arn::key_arn;
use crate::key::model::{KeyRecord, MULTI_REGION_PREFIX};
use crate::wire::validate::Validator;

/// Where a related key's record keeps the set's configuration.
const EXT_FIELD: &str = "multiRegion";

/// The set of related multi-Region keys, as each of them records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiRegionSet {
    /// The region of the primary key.
    pub primary_region: String,
    /// The regions of the replica keys, in the order they were created.
    pub replica_regions: Vec<String>,
}

impl MultiRegionSet {
    /// Every region of the set, the primary's first.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary_region.as_str()).chain(self.replica_regions.iter().map(String::as_str))
    }

    /// Whether the set has a key in `region`.
    pub fn has_region(&self, region: &str) -> bool {
        self.regions().any(|r| r == region)
    }
}

/// A new multi-Region key id: `mrk-` and 32 lowercase hex digits, as AWS makes them.
pub fn new_key_id() -> String {
    format!("{MULTI_REGION_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

/// The set `key` belongs to; `None` for a single-Region key.
pub fn set_of(key: &KeyRecord) -> Option<MultiRegionSet> {
    if !key.multi_region {
        return None;
    }
    let stored = key.ext.get(EXT_FIELD).and_then(|v| serde_json::from_value(v.clone()).ok());
    // A multi-Region key written without its set is its own primary.
    Some(stored.unwrap_or_else(|| MultiRegionSet { primary_region: key.region.clone(), replica_regions: Vec::new() }))
}

/// Records `set` in `key`.
pub fn set_set(key: &mut KeyRecord, set: &MultiRegionSet) -> KmsResult<()> {
    let value = serde_json::to_value(set).map_err(KmsError::internal)?;
    key.ext.insert(EXT_FIELD.to_owned(), value);
    Ok(())
}

/// Whether `key` is a multi-Region replica key.
pub fn is_replica(key: &KeyRecord) -> bool {
    set_of(key).is_some_and(|s| s.primary_region != key.region)
}

/// Whether `key` is a multi-Region primary key.
pub fn is_primary(key: &KeyRecord) -> bool {
    set_of(key).is_some_and(|s| s.primary_region == key.region)
}

/// Copies what related keys share from `from` (the primary) into `to`: the
/// key material and the automatic rotation settings (spec, usage and origin
/// never change after creation). The material's AAD is the key id, which
/// related keys share, so the same sealed bytes open in every region.
pub fn copy_shared(from: &KeyRecord, to: &mut KeyRecord) {
    to.materials = from.materials.clone();
    to.rotation = from.rotation.clone();
}

/// The refusal of a change only a primary key may make (ReplicateKey,
/// EnableKeyRotation, ... on a replica, or on a single-Region key).
pub fn not_primary(key: &KeyRecord) -> KmsError {
    KmsError::new(ErrorKind::UnsupportedOperation, format!("{} is not a multi-region primary key.", key.arn()))
}

/// AWS's `RegionType` constraints (ReplicateKey's `ReplicaRegion`,
/// UpdatePrimaryRegion's `PrimaryRegion`): 1–32 characters, `^([a-z]+-){2,3}\d+$`.
pub fn validate_region(v: &mut Validator, path: &str, region: Option<&str>) {
    v.str_len(path, region, 1, 32).pattern(path, region, r"^([a-z]+-){2,3}\d+$", is_region_name);
}

/// Whether `s` matches `^([a-z]+-){2,3}\d+$`.
fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (Some(last), words) = (parts.last(), &parts[..parts.len().saturating_sub(1)]) else { return false };
    (2..=3).contains(&words.len())
        && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// `MultiRegionKey` of the wire: one related key.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// The related key's ARN.
    pub arn: String,
    /// Its region.
    pub region: String,
}

/// `MultiRegionConfiguration` of the wire (DescribeKey, CreateKey, ReplicateKey).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// `PRIMARY` or `REPLICA`.
    pub multi_region_key_type: &'static str,
    /// The primary key.
    pub primary_key: MultiRegionKey,
    /// Every replica key (the key itself included when it is one).
    pub replica_keys: Vec<MultiRegionKey>,
}

/// The wire configuration of `key`; `None` for a single-Region key.
pub fn configuration(key: &KeyRecord) -> Option<MultiRegionConfiguration> {
    let set = set_of(key)?;
    let related =
        |region: &str| MultiRegionKey { arn: key_arn(region, &key.account_id, &key.key_id), region: region.to_owned() };
    Some(MultiRegionConfiguration {
        multi_region_key_type: if set.primary_region == key.region { "PRIMARY" } else { "REPLICA" },
        primary_key: related(&set.primary_region),
        replica_keys: set.replica_regions.iter().map(|r| related(r)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_look_like_aws_ones() {
        let id = new_key_id();
        assert_eq!(id.len(), 36);
        assert!(id.starts_with("mrk-"));
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(id, new_key_id());
    }

    #[test]
    fn region_names_follow_aws_pattern() {
        for ok in ["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-12"] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in ["", "us-east", "US-east-1", "useast1", "a-b-c-d-1", "us--1", "us-east-1a", "-us-east-1"] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn regions_list_the_primary_first() {
        let set = MultiRegionSet { primary_region: "us-east-1".into(), replica_regions: vec!["eu-west-1".into()] };
        assert_eq!(set.regions().collect::<Vec<_>>(), ["us-east-1", "eu-west-1"]);
        assert!(set.has_region("eu-west-1"));
        assert!(!set.has_region("ap-south-1"));
    }
}
