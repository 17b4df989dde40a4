//! Wiping the whole store (`POST /_trent/reset`): every key, alias and
//! document goes but the server's own bookkeeping, and the store takes
//! writes again afterwards.

use trent_core::store::{Doc, KeyStore};

use super::fixtures::{fresh_account, ok, put_key, sample_alias, uid};

/// After `wipe`, nothing written before is readable or listed; new writes work.
pub async fn wipe_everything(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "us-west-2";
    let key = put_key(store, &account, region).await;
    ok(store.insert_alias(&sample_alias(&account, region, "alias/wiped", &key.key_id)).await, "insert_alias");
    let doc = Doc { kind: format!("conformance-{}", uid()), scope: account.clone(), id: "d".into(), body: "{}".into() };
    ok(store.insert_doc(&doc).await, "insert_doc");
    let bookkeeping =
        Doc { kind: format!("trent-conformance-{}", uid()), scope: "s".into(), id: "i".into(), body: "1".into() };
    ok(store.insert_doc(&bookkeeping).await, "insert_doc trent-");

    ok(store.wipe().await, "wipe");

    assert!(ok(store.get_key(&key.key_id).await, "get_key after wipe").is_none(), "conformance: wipe left a key");
    assert!(
        ok(store.get_alias(&account, region, "alias/wiped").await, "get_alias after wipe").is_none(),
        "conformance: wipe left an alias"
    );
    assert!(
        ok(store.get_doc(&doc.kind, &doc.scope, &doc.id).await, "get_doc after wipe").is_none(),
        "conformance: wipe left a document"
    );
    assert_eq!(
        ok(store.get_doc(&bookkeeping.kind, "s", "i").await, "get_doc trent- after wipe").as_ref(),
        Some(&bookkeeping),
        "conformance: wipe must keep the server's own bookkeeping (kinds named trent-…)"
    );
    assert!(
        ok(store.list_all_keys(None, 100).await, "list_all_keys after wipe").items.is_empty(),
        "conformance: wipe left keys in listings"
    );
    assert_eq!(ok(store.count_keys(&account, region).await, "count_keys after wipe"), 0);

    // The store is usable again, the same names included.
    let again = put_key(store, &account, region).await;
    ok(store.insert_alias(&sample_alias(&account, region, "alias/wiped", &again.key_id)).await, "alias after wipe");
    ok(store.insert_doc(&doc).await, "insert_doc after wipe");
}
