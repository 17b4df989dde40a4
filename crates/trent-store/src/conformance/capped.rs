//! Capped inserts, the atomic count-and-insert steps behind resource quotas:
//! keys per region, aliases per key and per region, documents per scope and
//! per group within a scope.

use trent_core::key::model::{KeyManager, KeyRecord, KeyState};
use trent_core::store::{AliasCaps, Doc, KeyStore, StoreError};

use super::fixtures::{expect_err, fresh_account, ok, put_key, sample_alias, sample_key, uid};

/// `insert_key_capped`: counts customer managed keys of one account and
/// region in any key state, never AWS managed keys; refuses at the cap with
/// the usage and writes nothing; a duplicate id is `AlreadyExists` first; a
/// deleted key frees its slot.
pub async fn capped_keys(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "ap-south-1";
    let cap = 3;
    let mut keys = Vec::new();
    for state in [KeyState::Enabled, KeyState::PendingDeletion, KeyState::Disabled] {
        let mut k = sample_key(&uid(), &account, region);
        k.key_state = state;
        ok(store.insert_key_capped(&k, cap).await, "insert_key_capped under the cap");
        keys.push(k);
    }
    let over = sample_key(&uid(), &account, region);
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped at the cap (a key pending deletion counts)",
    );
    assert!(
        ok(store.get_key(&over.key_id).await, "get refused key").is_none(),
        "conformance: a key refused by insert_key_capped must not be stored"
    );
    expect_err(
        store.insert_key_capped(&keys[0], cap).await,
        &StoreError::AlreadyExists,
        "insert_key_capped duplicate id at the cap",
    );
    // AWS managed keys neither count nor are refused.
    let mut aws = sample_key(&uid(), &account, region);
    aws.key_manager = KeyManager::Aws;
    ok(store.insert_key_capped(&aws, cap).await, "insert_key_capped AWS managed key at the cap");
    let mut aws2 = sample_key(&uid(), &account, region);
    aws2.key_manager = KeyManager::Aws;
    ok(store.insert_key_capped(&aws2, 0).await, "insert_key_capped AWS managed key, cap 0");
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped: AWS managed keys must not count",
    );
    // Other regions and accounts have their own count.
    ok(store.insert_key_capped(&sample_key(&uid(), &account, "eu-north-1"), 1).await, "capped key, other region");
    ok(store.insert_key_capped(&sample_key(&uid(), &fresh_account(), region), 1).await, "capped key, other account");
    expect_err(
        store.insert_key_capped(&sample_key(&uid(), &fresh_account(), region), 0).await,
        &StoreError::LimitReached { usage: 0 },
        "insert_key_capped with cap 0",
    );
    // Deleting frees a slot; a state change does not.
    let mut pending = keys[0].clone();
    pending.key_state = KeyState::PendingDeletion;
    pending.version += 1;
    ok(store.update_key(&pending).await, "schedule deletion");
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped after a state change",
    );
    ok(store.delete_key(&keys[1].key_id).await, "delete for a free slot");
    ok(store.insert_key_capped(&over, cap).await, "insert_key_capped after a delete");
    assert_eq!(ok(store.get_key(&over.key_id).await, "get capped key").as_ref(), Some(&over));
}

/// `insert_alias_capped` / `update_alias_capped`: aliases per target key,
/// `alias/aws/` names excluded, nothing written when refused, deletes free.
pub async fn capped_aliases(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "sa-east-1";
    let k = put_key(store, &account, region).await;
    let other = put_key(store, &account, region).await;
    let cap = 2;
    let caps = AliasCaps::per_key(cap);
    let a1 = sample_alias(&account, region, "alias/c1", &k.key_id);
    let a2 = sample_alias(&account, region, "alias/c2", &k.key_id);
    let a3 = sample_alias(&account, region, "alias/c3", &k.key_id);
    ok(store.insert_alias_capped(&a1, caps).await, "insert_alias_capped 1");
    ok(store.insert_alias_capped(&a2, caps).await, "insert_alias_capped 2");
    expect_err(store.insert_alias_capped(&a3, caps).await, &StoreError::LimitReached { usage: 2 }, "alias at the cap");
    assert!(
        ok(store.get_alias(&account, region, "alias/c3").await, "get refused alias").is_none(),
        "conformance: an alias refused by insert_alias_capped must not be stored"
    );
    expect_err(store.insert_alias_capped(&a1, caps).await, &StoreError::AlreadyExists, "duplicate alias at the cap");
    // AWS-created aliases neither count nor are refused.
    let aws = sample_alias(&account, region, "alias/aws/conformance", &k.key_id);
    ok(store.insert_alias_capped(&aws, caps).await, "insert_alias_capped alias/aws/ at the cap");
    expect_err(
        store.insert_alias_capped(&a3, caps).await,
        &StoreError::LimitReached { usage: 2 },
        "alias/aws/ names must not count",
    );
    // Lookalikes of the AWS prefix do count.
    ok(
        store
            .insert_alias_capped(&sample_alias(&account, region, "alias/AWS/x", &other.key_id), AliasCaps::per_key(1))
            .await,
        "AWS/",
    );
    expect_err(
        store
            .insert_alias_capped(&sample_alias(&account, region, "alias/awsx", &other.key_id), AliasCaps::per_key(1))
            .await,
        &StoreError::LimitReached { usage: 1 },
        "alias/AWS/ is not alias/aws/",
    );
    ok(store.delete_alias(&account, region, "alias/AWS/x").await, "delete lookalike");

    // Moving an alias onto a full key is refused and leaves it where it was.
    let b = sample_alias(&account, region, "alias/c-moving", &other.key_id);
    ok(store.insert_alias_capped(&b, caps).await, "insert alias on the other key");
    let mut moved = b.clone();
    moved.target_key_id = k.key_id.clone();
    moved.last_updated_date += 1.0;
    expect_err(
        store.update_alias_capped(&moved, cap).await,
        &StoreError::LimitReached { usage: 2 },
        "update_alias_capped onto a full key",
    );
    assert_eq!(
        ok(store.get_alias(&account, region, &b.alias_name).await, "get unmoved alias").as_ref(),
        Some(&b),
        "conformance: a refused update_alias_capped must not change the alias"
    );
    // Re-pointing at the key it already targets is not a move.
    let mut same = a1.clone();
    same.last_updated_date += 5.0;
    ok(store.update_alias_capped(&same, cap).await, "update_alias_capped to its own target at the cap");
    expect_err(
        store.update_alias_capped(&sample_alias(&account, region, "alias/none", &k.key_id), cap).await,
        &StoreError::NotFound,
        "update_alias_capped missing alias",
    );
    // A delete frees a slot, for a move and for a create.
    ok(store.delete_alias(&account, region, "alias/c2").await, "delete alias");
    ok(store.update_alias_capped(&moved, cap).await, "update_alias_capped after a delete");
    assert_eq!(ok(store.get_alias(&account, region, &b.alias_name).await, "get moved").as_ref(), Some(&moved));
    expect_err(store.insert_alias_capped(&a3, caps).await, &StoreError::LimitReached { usage: 2 }, "full again");
    ok(store.delete_alias(&account, region, "alias/c1").await, "delete alias c1");
    ok(store.insert_alias_capped(&a3, caps).await, "insert_alias_capped after a delete");
}

/// `insert_alias_capped` with a per-region cap: customer-created aliases of
/// one account and region, `alias/aws/` names excluded; the per-key cap is
/// checked first; nothing written when refused; moves within the region are
/// not limited by it; deletes free.
pub async fn capped_aliases_per_region(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "af-south-1";
    let (k, other) = (put_key(store, &account, region).await, put_key(store, &account, region).await);
    let caps = AliasCaps { per_key: 2, per_region: 3 };
    let alias = |name: &str, target: &KeyRecord| sample_alias(&account, region, name, &target.key_id);
    ok(store.insert_alias_capped(&alias("alias/r1", &k), caps).await, "per-region 1");
    ok(store.insert_alias_capped(&alias("alias/r2", &other), caps).await, "per-region 2");
    ok(store.insert_alias_capped(&alias("alias/r3", &other), caps).await, "per-region 3 (the other key is now full)");
    // The region is full while key k still has room: SecondLimitReached.
    let r4 = alias("alias/r4", &k);
    expect_err(
        store.insert_alias_capped(&r4, caps).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "insert_alias_capped at the per-region cap",
    );
    assert!(
        ok(store.get_alias(&account, region, "alias/r4").await, "get refused alias").is_none(),
        "conformance: an alias refused by the per-region cap must not be stored"
    );
    // Key and region both full: the per-key cap is reported.
    expect_err(
        store.insert_alias_capped(&alias("alias/r5", &other), caps).await,
        &StoreError::LimitReached { usage: 2 },
        "insert_alias_capped: the per-key cap is checked first",
    );
    expect_err(
        store.insert_alias_capped(&alias("alias/r1", &k), caps).await,
        &StoreError::AlreadyExists,
        "duplicate alias at the per-region cap",
    );
    // AWS-created aliases neither count nor are refused; lookalikes count.
    ok(store.insert_alias_capped(&alias("alias/aws/region", &k), caps).await, "alias/aws/ at the per-region cap");
    expect_err(
        store.insert_alias_capped(&alias("alias/AWS/r", &k), caps).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "alias/AWS/ is not alias/aws/ (and alias/aws/ names must not count)",
    );
    // Other regions and accounts have their own count; no region cap means none.
    let elsewhere = sample_alias(&account, "eu-south-1", "alias/r4", &uid());
    ok(store.insert_alias_capped(&elsewhere, AliasCaps { per_key: 10, per_region: 1 }).await, "other region");
    let stranger = sample_alias(&fresh_account(), region, "alias/r4", &uid());
    ok(store.insert_alias_capped(&stranger, AliasCaps { per_key: 10, per_region: 1 }).await, "other account");
    // Moving an alias within the region is not a new alias in the region.
    let mut moved = alias("alias/r2", &k);
    moved.last_updated_date += 1.0;
    ok(store.update_alias_capped(&moved, caps.per_key).await, "move within a full region");
    // A delete frees a place in the region.
    ok(store.delete_alias(&account, region, "alias/r3").await, "delete for a free place");
    ok(store.insert_alias_capped(&r4, AliasCaps { per_key: 10, per_region: 3 }).await, "after a delete");
    assert_eq!(ok(store.get_alias(&account, region, "alias/r4").await, "get r4").as_ref(), Some(&r4));
    expect_err(
        store.insert_alias_capped(&alias("alias/r6", &other), AliasCaps { per_key: 10, per_region: 3 }).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "full region again",
    );
    // A cap of 0 refuses every new alias.
    expect_err(
        store
            .insert_alias_capped(
                &sample_alias(&fresh_account(), region, "alias/z", &uid()),
                AliasCaps { per_key: 5, per_region: 0 },
            )
            .await,
        &StoreError::SecondLimitReached { usage: 0 },
        "per-region cap 0",
    );
}

/// `insert_doc_capped`: documents per (kind, scope), nothing written when
/// refused, duplicates `AlreadyExists`, deletes free.
pub async fn capped_docs(store: &dyn KeyStore) {
    let kind = format!("conformance-capped-{}", uid());
    let doc = |scope: &str, id: &str| Doc { kind: kind.clone(), scope: scope.into(), id: id.into(), body: "{}".into() };
    let (s, t) = ("key-1", "key-2");
    ok(store.insert_doc_capped(&doc(s, "a"), 2).await, "insert_doc_capped 1");
    ok(store.insert_doc_capped(&doc(s, "b"), 2).await, "insert_doc_capped 2");
    expect_err(store.insert_doc_capped(&doc(s, "c"), 2).await, &StoreError::LimitReached { usage: 2 }, "doc cap");
    assert!(
        ok(store.get_doc(&kind, s, "c").await, "get refused doc").is_none(),
        "conformance: a document refused by insert_doc_capped must not be stored"
    );
    expect_err(store.insert_doc_capped(&doc(s, "a"), 2).await, &StoreError::AlreadyExists, "duplicate doc at cap");
    // Other scopes and kinds have their own count.
    ok(store.insert_doc_capped(&doc(t, "c"), 1).await, "insert_doc_capped other scope");
    let foreign = Doc { kind: format!("{kind}-other"), ..doc(s, "c") };
    ok(store.insert_doc_capped(&foreign, 1).await, "insert_doc_capped other kind");
    ok(store.delete_doc(&kind, s, "a").await, "delete doc");
    ok(store.insert_doc_capped(&doc(s, "c"), 2).await, "insert_doc_capped after a delete");
    assert_eq!(ok(store.list_docs(&kind, Some(s)).await, "list capped docs").len(), 2);
}

/// `insert_doc_capped_in_group`: documents per (kind, scope) and, within the
/// scope, per group; the scope cap is checked first; nothing written when
/// refused; the group survives `put_doc`, is not part of the document read
/// back, and leaves with `delete_doc`; ungrouped documents count only per scope.
pub async fn capped_docs_in_group(store: &dyn KeyStore) {
    let kind = format!("conformance-grouped-{}", uid());
    let doc = |scope: &str, id: &str| Doc { kind: kind.clone(), scope: scope.into(), id: id.into(), body: "{}".into() };
    let (s, t) = ("key-1", "key-2");
    let (bob, carol) = ("arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/carol");
    ok(store.insert_doc_capped_in_group(&doc(s, "a"), 4, bob, 2).await, "grouped 1");
    ok(store.insert_doc_capped_in_group(&doc(s, "b"), 4, bob, 2).await, "grouped 2");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "c"), 4, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "insert_doc_capped_in_group at the group cap",
    );
    assert!(
        ok(store.get_doc(&kind, s, "c").await, "get refused doc").is_none(),
        "conformance: a document refused by the group cap must not be stored"
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "a"), 4, bob, 2).await,
        &StoreError::AlreadyExists,
        "duplicate grouped doc at the group cap",
    );
    // Another group, scope or kind has its own group count.
    ok(store.insert_doc_capped_in_group(&doc(s, "c"), 4, carol, 2).await, "other group");
    ok(store.insert_doc_capped_in_group(&doc(t, "a"), 4, bob, 1).await, "same group, other scope");
    let foreign = Doc { kind: format!("{kind}-other"), ..doc(s, "z") };
    ok(store.insert_doc_capped_in_group(&foreign, 4, bob, 1).await, "same group, other kind");
    // The group is kept beside the document, not in it.
    assert_eq!(ok(store.get_doc(&kind, s, "a").await, "get grouped doc"), Some(doc(s, "a")));
    // Replacing the body keeps the group.
    ok(store.put_doc(&Doc { body: r#"{"v":2}"#.into(), ..doc(s, "a") }).await, "put_doc over a grouped doc");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "put_doc must keep the group",
    );
    // Ungrouped documents count toward the scope cap only; the scope cap is checked first.
    ok(store.insert_doc_capped(&doc(s, "u"), 4).await, "ungrouped doc in the scope");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, "nobody-yet", 2).await,
        &StoreError::LimitReached { usage: 4 },
        "insert_doc_capped_in_group at the scope cap",
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, bob, 2).await,
        &StoreError::LimitReached { usage: 4 },
        "scope and group both full: the scope cap is reported",
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 10, carol, 0).await,
        &StoreError::SecondLimitReached { usage: 1 },
        "group cap 0",
    );
    // No group limit means none.
    ok(store.insert_doc_capped_in_group(&doc(s, "d"), 10, bob, u64::MAX).await, "group cap u64::MAX");
    // A delete frees its place in the group.
    ok(store.delete_doc(&kind, s, "d").await, "delete grouped doc d");
    ok(store.delete_doc(&kind, s, "a").await, "delete grouped doc a");
    ok(store.insert_doc_capped_in_group(&doc(s, "e"), 10, bob, 2).await, "after a delete");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "f"), 10, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "full group again",
    );
    assert_eq!(ok(store.list_docs(&kind, Some(s)).await, "list grouped docs").len(), 4);
}
