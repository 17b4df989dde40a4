//! Records and assertions the conformance cases share: fresh ids (so a case
//! only ever sees its own data), fully populated sample records, and the
//! `ok` / `expect_err` checks that name the failing step.

use trent_core::key::model::{
    AliasRecord, KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, Origin, RotationConfig, RotationType,
    StoredMaterial, Tag,
};
use trent_core::store::{KeyStore, Page, StoreError, StoreResult};

/// A fresh UUID, for key ids and anything else that must not collide.
pub(super) fn uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh 12-digit account id, so listings in it contain only this run's data.
pub(super) fn fresh_account() -> String {
    format!("{:012}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000)
}

/// Unwraps a store result, panicking with `what` and the error.
pub(super) fn ok<T>(r: StoreResult<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("conformance: {what}: unexpected error {e:?}"),
    }
}

/// Asserts that `r` failed with exactly `want`.
pub(super) fn expect_err<T: std::fmt::Debug>(r: StoreResult<T>, want: &StoreError, what: &str) {
    let matches = matches!(
        (&r, want),
        (Err(StoreError::AlreadyExists), StoreError::AlreadyExists)
            | (Err(StoreError::NotFound), StoreError::NotFound)
            | (Err(StoreError::Conflict), StoreError::Conflict)
    ) || matches!(
        (&r, want),
        (Err(StoreError::LimitReached { usage: got }), StoreError::LimitReached { usage: wanted })
            | (Err(StoreError::SecondLimitReached { usage: got }), StoreError::SecondLimitReached { usage: wanted })
            if got == wanted
    );
    assert!(matches, "conformance: {what}: expected Err({want:?}), got {r:?}");
}

/// A fully populated key record (every optional field set, awkward floats,
/// binary material, tags and extension fields) so a round trip that drops or
/// rounds anything is caught.
///
/// Public so backend-specific tests can build records the same way.
pub fn sample_key(key_id: &str, account_id: &str, region: &str) -> KeyRecord {
    let mut ext = serde_json::Map::new();
    ext.insert("public_key".into(), serde_json::Value::String("MFkwEwYHKoZIzj0CAQ==".into()));
    ext.insert("counter".into(), serde_json::Value::from(0u64));
    KeyRecord {
        key_id: key_id.to_string(),
        account_id: account_id.to_string(),
        region: region.to_string(),
        version: 1,
        // Not exactly representable in binary: must still read back bit-exact.
        creation_date: 1_718_900_000.123_456_7,
        description: "conformance key \u{e9}\u{1f511} \"quoted\"".into(),
        key_spec: KeySpec::SymmetricDefault,
        key_usage: KeyUsage::EncryptDecrypt,
        key_state: KeyState::Enabled,
        origin: Origin::AwsKms,
        key_manager: KeyManager::Customer,
        deletion_date: None,
        pending_deletion_window_days: None,
        custom_key_store_id: Some("cks-0123456789abcdef0".into()),
        multi_region: false,
        valid_to: Some(0.1 + 0.2),
        expiration_model: None,
        policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
        tags: vec![
            Tag { tag_key: "b".into(), tag_value: "2".into() },
            Tag { tag_key: "a".into(), tag_value: String::new() },
        ],
        rotation: RotationConfig {
            enabled: true,
            period_days: Some(365),
            next_rotation: Some(1_750_436_000.987_654_3),
            on_demand_started: None,
        },
        materials: vec![
            StoredMaterial {
                id: "0".repeat(64),
                created: 1_718_900_000.5,
                rotation_type: None,
                wrapped: (0u8..=255).collect(),
            },
            StoredMaterial {
                id: "f".repeat(64),
                created: 1_718_900_001.25,
                rotation_type: Some(RotationType::OnDemand),
                wrapped: vec![0, 1, 2, 0xff],
            },
        ],
        ext,
    }
}

/// An alias record for `target` named `name` in (`account`, `region`).
pub(super) fn sample_alias(account: &str, region: &str, name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        account_id: account.to_string(),
        region: region.to_string(),
        alias_name: name.to_string(),
        target_key_id: target.to_string(),
        creation_date: 1_718_900_000.333_333_3,
        last_updated_date: 1_718_900_000.333_333_3,
    }
}

/// Inserts one [`sample_key`] and returns it.
pub(super) async fn put_key(store: &dyn KeyStore, account: &str, region: &str) -> KeyRecord {
    let key = sample_key(&uid(), account, region);
    ok(store.insert_key(&key).await, "insert_key");
    key
}

/// The key ids of a page, in order.
pub(super) fn ids(page: &Page<KeyRecord>) -> Vec<String> {
    page.items.iter().map(|k| k.key_id.clone()).collect()
}

/// The alias names of a page, in order.
pub(super) fn alias_names(page: &Page<AliasRecord>) -> Vec<String> {
    page.items.iter().map(|a| a.alias_name.clone()).collect()
}
