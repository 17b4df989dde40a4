//! Authorization state as the store holds it, seen by more than one process.
//!
//! Grants: each process caches a key's grants for a few seconds, forgets them
//! when it changes them itself, and a request presenting a grant token sees
//! the grant at once — AWS's eventual consistency for grants, with the token
//! as the way around it. Two `Kms` instances on one SQLite database stand for
//! two Trent processes; the clock is moved by hand.
//!
//! Policies: a stored policy an older Trent accepted but the policy grammar
//! refuses acts as AWS's default policy instead of locking the key away.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{T0, call};
use serde_json::json;
use trent_core::access::authorize::GRANT_CACHE_SECONDS;
use trent_core::kms::wall_clock::ManualWallClock;
use trent_core::key::root_key::RootKey;
use trent_core::{Caller, ErrorKind, Kms, Operation};
use trent_store::SqliteStore;

fn user(name: &str) -> Caller {
    Caller {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        principal_arn: format!("arn:aws:iam::111122223333:user/{name}"),
        access_key_id: String::new(),
    }
}

#[tokio::test]
async fn another_process_sees_a_grant_by_token_at_once_and_without_it_within_the_cache_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trent.db");
    let (_, root_bytes) = RootKey::generate().unwrap();
    let clock = Arc::new(ManualWallClock::new(T0));
    let store_a = Arc::new(SqliteStore::open(&path).await.unwrap());
    let store_b = Arc::new(SqliteStore::open(&path).await.unwrap());
    let a = Kms::new(store_a, RootKey::from_bytes(&root_bytes).unwrap()).with_clock(clock.clone());
    let b = Kms::new(store_b, RootKey::from_bytes(&root_bytes).unwrap()).with_clock(clock.clone());
    let admin = Caller::new("111122223333", "us-east-1");
    let app = user("app");

    // Only the admin may use the key by policy.
    let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/admin"},
        "Action": "kms:*", "Resource": "*"}]});
    let admin = Caller { principal_arn: "arn:aws:iam::111122223333:user/admin".into(), ..admin };
    let md = call(&a, &admin, Operation::CreateKey, json!({"Policy": policy.to_string()})).await.unwrap();
    let key_id = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let encrypt = json!({"KeyId": key_id, "Plaintext": "aGVsbG8="});

    // Process B looks once (no grants yet) and caches that.
    let e = call(&b, &app, Operation::Encrypt, encrypt.clone()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);

    // Process A creates a grant; A itself honours it at once.
    let g = call(
        &a,
        &admin,
        Operation::CreateGrant,
        json!({"KeyId": key_id, "GranteePrincipal": app.principal_arn, "Operations": ["Encrypt"]}),
    )
    .await
    .unwrap();
    let token = g["GrantToken"].as_str().unwrap().to_owned();
    call(&a, &app, Operation::Encrypt, encrypt.clone()).await.unwrap();

    // B has not seen it yet, unless the request carries the grant token.
    let e = call(&b, &app, Operation::Encrypt, encrypt.clone()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    let mut with_token = encrypt.clone();
    with_token["GrantTokens"] = json!([token]);
    call(&b, &app, Operation::Encrypt, with_token).await.unwrap();

    // Once its copy is older than the cache time, B reads the grants again.
    let e2 = call(&b, &app, Operation::Encrypt, encrypt.clone()).await;
    assert!(e2.is_ok(), "the token reload refreshed B's copy: {e2:?}");
    let revoke = json!({"KeyId": key_id, "GrantId": g["GrantId"]});
    call(&a, &admin, Operation::RevokeGrant, revoke).await.unwrap();
    assert_eq!(call(&a, &app, Operation::Encrypt, encrypt.clone()).await.unwrap_err().kind, ErrorKind::AccessDenied);
    call(&b, &app, Operation::Encrypt, encrypt.clone()).await.expect("B still trusts its fresh copy");
    clock.advance(GRANT_CACHE_SECONDS + 0.001);
    assert_eq!(call(&b, &app, Operation::Encrypt, encrypt).await.unwrap_err().kind, ErrorKind::AccessDenied);
}

#[tokio::test]
async fn a_stored_policy_that_no_longer_parses_acts_as_the_default_policy() {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let (_, root_bytes) = RootKey::generate().unwrap();
    let kms = Kms::new(store.clone(), RootKey::from_bytes(&root_bytes).unwrap());
    let owner = user("owner");
    let md = call(&kms, &owner, Operation::CreateKey, json!({})).await.unwrap();
    let key_id = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    // What an older Trent accepted: JSON with a Statement, but no valid statement.
    let mut record = trent_core::store::KeyStore::get_key(&*store, &key_id).await.unwrap().unwrap();
    record.policy = r#"{"Statement": []}"#.into();
    record.version += 1;
    trent_core::store::KeyStore::update_key(&*store, &record).await.unwrap();
    // A fresh process (no cached key) reads it: the account's principals keep access, others don't.
    let fresh = Kms::new(store, RootKey::from_bytes(&root_bytes).unwrap());
    call(&fresh, &owner, Operation::Encrypt, json!({"KeyId": key_id, "Plaintext": "aGVsbG8="})).await.unwrap();
    let stranger = Caller {
        account_id: "444455556666".into(),
        region: "us-east-1".into(),
        principal_arn: "arn:aws:iam::444455556666:user/x".into(),
        access_key_id: String::new(),
    };
    let arn = md["KeyMetadata"]["Arn"].as_str().unwrap();
    let e = call(&fresh, &stranger, Operation::DescribeKey, json!({"KeyId": arn})).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    let got = call(&fresh, &owner, Operation::GetKeyPolicy, json!({"KeyId": key_id})).await.unwrap();
    assert_eq!(got["Policy"], r#"{"Statement": []}"#, "the stored text is returned as it is");
}
