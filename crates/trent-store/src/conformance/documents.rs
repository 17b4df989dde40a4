//! Documents (the generic store for grants, custom key stores, quota
//! overrides and the like): insert / put / get / delete and listing.

use trent_core::store::{Doc, KeyStore, StoreError};

use super::fixtures::{expect_err, ok, uid};

/// Documents: insert / put / get / delete and listing by scope and across scopes.
pub async fn docs(store: &dyn KeyStore) {
    let kind = format!("conformance-{}", uid());
    let other_kind = format!("conformance-other-{}", uid());
    let doc = |scope: &str, id: &str, body: &str| Doc {
        kind: kind.clone(),
        scope: scope.into(),
        id: id.into(),
        body: body.into(),
    };

    let s1b = doc("111122223333/us-east-1", "b", r#"{"n":1}"#);
    let s1a = doc("111122223333/us-east-1", "a", r#"{"n":2,"s":"\u00e9"}"#);
    let s2a = doc("111122223333/eu-west-1", "a", "{}");
    for d in [&s1b, &s1a, &s2a] {
        ok(store.insert_doc(d).await, "insert_doc");
    }
    assert_eq!(
        ok(store.get_doc(&kind, &s1a.scope, "a").await, "get_doc").as_ref(),
        Some(&s1a),
        "conformance: get_doc round trip"
    );
    expect_err(
        store.insert_doc(&doc(&s1b.scope, "b", "{\"n\":99}")).await,
        &StoreError::AlreadyExists,
        "insert_doc duplicate",
    );
    assert_eq!(
        ok(store.get_doc(&kind, &s1b.scope, "b").await, "get_doc after duplicate").as_ref(),
        Some(&s1b),
        "conformance: a rejected duplicate insert_doc must not change the body"
    );
    // Same (scope, id) under another kind is a different document.
    let foreign = Doc { kind: other_kind.clone(), ..s1b.clone() };
    ok(store.insert_doc(&foreign).await, "insert_doc same scope/id, other kind");

    // put replaces ...
    let s1b2 = doc(&s1b.scope, "b", r#"{"n":3}"#);
    ok(store.put_doc(&s1b2).await, "put_doc replace");
    assert_eq!(
        ok(store.get_doc(&kind, &s1b.scope, "b").await, "get_doc after put").as_ref(),
        Some(&s1b2),
        "conformance: put_doc must replace"
    );
    assert_eq!(
        ok(store.get_doc(&other_kind, &s1b.scope, "b").await, "get other kind").as_ref(),
        Some(&foreign),
        "conformance: put_doc must not touch another kind"
    );
    // ... and inserts.
    let s1c = doc(&s1b.scope, "c", "[]");
    ok(store.put_doc(&s1c).await, "put_doc insert");
    assert_eq!(ok(store.get_doc(&kind, &s1c.scope, "c").await, "get_doc after put insert").as_ref(), Some(&s1c));

    // Listing.
    let in_s1 = ok(store.list_docs(&kind, Some(&s1a.scope)).await, "list_docs by scope");
    assert_eq!(in_s1, vec![s1a.clone(), s1b2.clone(), s1c.clone()], "conformance: list_docs in one scope, by id");
    let every = ok(store.list_docs(&kind, None).await, "list_docs all scopes");
    // "…/eu-west-1" < "…/us-east-1".
    assert_eq!(
        every,
        vec![s2a.clone(), s1a.clone(), s1b2.clone(), s1c.clone()],
        "conformance: list_docs across scopes, by (scope, id), one kind only"
    );
    assert!(ok(store.list_docs(&kind, Some("nowhere")).await, "list_docs empty scope").is_empty());

    // Delete.
    ok(store.delete_doc(&kind, &s1a.scope, "a").await, "delete_doc");
    assert!(
        ok(store.get_doc(&kind, &s1a.scope, "a").await, "get_doc after delete").is_none(),
        "conformance: deleted doc still readable"
    );
    expect_err(store.delete_doc(&kind, &s1a.scope, "a").await, &StoreError::NotFound, "delete_doc twice");
    expect_err(store.delete_doc(&kind, "nowhere", "zz").await, &StoreError::NotFound, "delete_doc unknown");
    assert!(
        ok(store.get_doc(&kind, &s2a.scope, "a").await, "same id other scope after delete").is_some(),
        "conformance: delete_doc must delete only its own scope"
    );
    let every = ok(store.list_docs(&kind, None).await, "list_docs after delete");
    assert_eq!(every, vec![s2a, s1b2, s1c], "conformance: list_docs after delete_doc");
    assert!(ok(store.get_doc(&kind, "nowhere", "a").await, "get_doc missing").is_none());
}
