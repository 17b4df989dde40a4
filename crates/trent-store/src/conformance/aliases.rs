//! Aliases: insert / get / update / delete, and listing by name with
//! pagination, a target filter and scope isolation.

use trent_core::store::{KeyStore, StoreError};

use super::fixtures::{alias_names, expect_err, fresh_account, ok, put_key, sample_alias, uid};

/// Alias insert / get / update / delete and their error cases.
pub async fn alias_crud(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "us-east-2";
    let k1 = put_key(store, &account, region).await;
    let k2 = put_key(store, &account, region).await;
    let alias = sample_alias(&account, region, "alias/app/Prod_key-1", &k1.key_id);

    ok(store.insert_alias(&alias).await, "insert_alias");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias").as_ref(),
        Some(&alias),
        "conformance: get_alias must return the inserted alias"
    );
    let mut dup = alias.clone();
    dup.target_key_id = k2.key_id.clone();
    expect_err(store.insert_alias(&dup).await, &StoreError::AlreadyExists, "insert_alias with a taken name");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after duplicate")
            .map(|a| a.target_key_id),
        Some(k1.key_id.clone()),
        "conformance: a rejected duplicate alias must not retarget the alias"
    );

    // The same name is free in another region and another account.
    let other_region = sample_alias(&account, "eu-west-3", &alias.alias_name, &k2.key_id);
    ok(store.insert_alias(&other_region).await, "insert_alias same name, other region");
    let other_account = sample_alias(&fresh_account(), region, &alias.alias_name, &k2.key_id);
    ok(store.insert_alias(&other_account).await, "insert_alias same name, other account");
    // Names are case-sensitive.
    let upper = sample_alias(&account, region, "alias/APP/prod_key-1", &k2.key_id);
    ok(store.insert_alias(&upper).await, "insert_alias differing only in case");

    // Retarget.
    let mut moved = alias.clone();
    moved.target_key_id = k2.key_id.clone();
    moved.last_updated_date = alias.last_updated_date + 60.0;
    ok(store.update_alias(&moved).await, "update_alias");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after update").as_ref(),
        Some(&moved),
        "conformance: update_alias must store the new target and dates"
    );
    assert_eq!(
        ok(store.get_alias(&account, "eu-west-3", &alias.alias_name).await, "get other-region alias").as_ref(),
        Some(&other_region),
        "conformance: update_alias must touch only its own (account, region)"
    );
    let ghost = sample_alias(&account, region, "alias/ghost", &k1.key_id);
    expect_err(store.update_alias(&ghost).await, &StoreError::NotFound, "update_alias of an unknown alias");
    assert!(
        ok(store.get_alias(&account, region, "alias/ghost").await, "get_alias after update of unknown").is_none(),
        "conformance: update_alias must not create an alias"
    );

    // Delete.
    ok(store.delete_alias(&account, region, &alias.alias_name).await, "delete_alias");
    assert!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after delete").is_none(),
        "conformance: deleted alias still readable"
    );
    expect_err(
        store.delete_alias(&account, region, &alias.alias_name).await,
        &StoreError::NotFound,
        "delete_alias twice",
    );
    assert!(
        ok(store.get_alias(&account, "eu-west-3", &alias.alias_name).await, "other-region alias after delete")
            .is_some(),
        "conformance: delete_alias must delete only its own (account, region)"
    );
    assert!(
        ok(store.get_key(&k1.key_id).await, "key after alias delete").is_some(),
        "conformance: delete_alias must not delete the key"
    );
    assert!(ok(store.get_alias(&account, region, "alias/never").await, "get_alias missing").is_none());
}

/// `list_aliases`: name order, pagination, target filter and scope isolation.
pub async fn alias_list(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "ca-central-1";
    let k1 = put_key(store, &account, region).await;
    let k2 = put_key(store, &account, region).await;
    // Inserted out of order; byte order puts upper case before lower case.
    let names_k1 = ["alias/c", "alias/A", "alias/e"];
    let names_k2 = ["alias/b", "alias/d"];
    for n in names_k1 {
        ok(store.insert_alias(&sample_alias(&account, region, n, &k1.key_id)).await, "insert_alias for listing");
    }
    for n in names_k2 {
        ok(store.insert_alias(&sample_alias(&account, region, n, &k2.key_id)).await, "insert_alias for listing");
    }
    // Noise in neighbouring scopes.
    ok(
        store.insert_alias(&sample_alias(&account, "us-east-1", "alias/b2", &k1.key_id)).await,
        "insert_alias other region",
    );
    ok(
        store.insert_alias(&sample_alias(&fresh_account(), region, "alias/b3", &k1.key_id)).await,
        "insert_alias other account",
    );

    let mut all: Vec<String> = names_k1.iter().chain(names_k2.iter()).map(|s| s.to_string()).collect();
    all.sort();
    let mut only_k1: Vec<String> = names_k1.iter().map(|s| s.to_string()).collect();
    only_k1.sort();

    let page = ok(store.list_aliases(&account, region, None, None, 100).await, "list_aliases all");
    assert_eq!(
        (alias_names(&page), page.truncated),
        (all.clone(), false),
        "conformance: list_aliases of one scope, by name"
    );
    let first = page.items.first().cloned();
    assert_eq!(
        first.map(|a| a.target_key_id),
        Some(k1.key_id.clone()),
        "conformance: list_aliases must return full records"
    );

    // Pages of 2 across the whole scope.
    let mut seen = Vec::new();
    let mut flags = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ok(store.list_aliases(&account, region, None, after.as_deref(), 2).await, "list_aliases page");
        flags.push((page.items.len(), page.truncated));
        seen.extend(alias_names(&page));
        if !page.truncated {
            break;
        }
        after = page.items.last().map(|a| a.alias_name.clone());
        assert!(flags.len() <= 5, "conformance: list_aliases pagination does not terminate");
    }
    assert_eq!(flags, vec![(2, true), (2, true), (1, false)], "conformance: list_aliases page sizes / truncated flags");
    assert_eq!(seen, all, "conformance: list_aliases pages must cover every alias once");

    // Target filter, alone and with pagination.
    let page = ok(store.list_aliases(&account, region, Some(&k1.key_id), None, 100).await, "list_aliases by target");
    assert_eq!(
        (alias_names(&page), page.truncated),
        (only_k1.clone(), false),
        "conformance: list_aliases filtered by target"
    );
    let page =
        ok(store.list_aliases(&account, region, Some(&k1.key_id), None, 2).await, "list_aliases by target, page 1");
    assert_eq!((alias_names(&page), page.truncated), (only_k1[..2].to_vec(), true), "conformance: filtered page 1");
    let page = ok(
        store.list_aliases(&account, region, Some(&k1.key_id), Some(&only_k1[1]), 2).await,
        "list_aliases by target, page 2",
    );
    assert_eq!((alias_names(&page), page.truncated), (only_k1[2..].to_vec(), false), "conformance: filtered page 2");
    let page = ok(store.list_aliases(&account, region, Some(&uid()), None, 10).await, "list_aliases unknown target");
    assert!(page.items.is_empty() && !page.truncated, "conformance: list_aliases for a key without aliases");
    let page = ok(store.list_aliases(&account, region, None, Some("alias/c"), 10).await, "list_aliases after a name");
    assert_eq!(
        alias_names(&page),
        vec!["alias/d".to_string(), "alias/e".to_string()],
        "conformance: list_aliases after a name"
    );
}
