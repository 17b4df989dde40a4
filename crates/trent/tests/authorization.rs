//! Authorization: key policies, grants and cross-account use, driven through
//! aws-sdk-kms against a real server with three principals in two accounts:
//! alice and bob in account A (111122223333), carol in account B (444455556666).

mod common;

use std::collections::HashMap;

use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation};
use common::TestServer;

const A: &str = "111122223333";
const B: &str = "444455556666";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const CAROL: &str = "arn:aws:iam::444455556666:user/carol";

fn config(extra: &str) -> String {
    format!(
        r#"
[[principals]]
access_key_id = "AKIAALICE00000000000"
secret_access_key = "alice-secret"
account_id = "{A}"
arn = "{ALICE}"

[[principals]]
access_key_id = "AKIABOB0000000000000"
secret_access_key = "bob-secret"
account_id = "{A}"
arn = "{BOB}"

[[principals]]
access_key_id = "AKIACAROL00000000000"
secret_access_key = "carol-secret"
account_id = "{B}"
arn = "{CAROL}"

{extra}
"#
    )
}

struct World {
    _server: TestServer,
    alice: Client,
    bob: Client,
    carol: Client,
}

async fn world(extra: &str) -> World {
    let server = TestServer::start_with_config(Some(&config(extra)));
    let alice = server.kms_client_as("AKIAALICE00000000000", "alice-secret", "us-east-1", 1).await;
    let bob = server.kms_client_as("AKIABOB0000000000000", "bob-secret", "us-east-1", 1).await;
    let carol = server.kms_client_as("AKIACAROL00000000000", "carol-secret", "us-east-1", 1).await;
    World { _server: server, alice, bob, carol }
}

const UNTHROTTLED: &str = "[quotas]\nenabled = false\n";

/// A key made by alice with `policy` (or the default policy), returning (key id, key ARN).
async fn key(alice: &Client, policy: Option<String>) -> (String, String) {
    let mut req = alice.create_key();
    if let Some(p) = policy {
        req = req.policy(p);
    }
    let md = req.send().await.expect("create key").key_metadata().expect("metadata").clone();
    (md.key_id().to_owned(), md.arn().expect("arn").to_owned())
}

fn policy(statements: &[serde_json::Value]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn allow(principal: &str, actions: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": "*"})
}

/// The admin statement that keeps alice able to manage the key.
fn alice_admin() -> serde_json::Value {
    allow(ALICE, serde_json::json!("kms:*"))
}

async fn encrypt(c: &Client, key: &str, ctx: &[(&str, &str)]) -> Result<Blob, (String, String)> {
    let mut req = c.encrypt().key_id(key).plaintext(Blob::new("secret"));
    for (k, v) in ctx {
        req = req.encryption_context(*k, *v);
    }
    req.send().await.map(|o| o.ciphertext_blob().expect("ct").clone()).map_err(|e| {
        let e = e.into_service_error();
        (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
    })
}

fn denied(result: Result<Blob, (String, String)>, who: &str, action: &str, arn: &str, explicit: bool) {
    let (code, msg) = result.expect_err("must be denied");
    assert_eq!(code, "AccessDeniedException", "{msg}");
    let why = if explicit {
        "with an explicit deny in a resource-based policy".to_owned()
    } else {
        format!("because no resource-based policy allows the kms:{action} action")
    };
    assert_eq!(msg, format!("User: {who} is not authorized to perform: kms:{action} on resource: {arn} {why}"));
}

fn code<E: ProvideErrorMetadata>(e: E) -> String {
    e.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn default_policy_admits_the_account_and_nobody_else() {
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, None).await;
    // The default policy names account A's root: every principal of A may use the key.
    encrypt(&w.alice, &id, &[]).await.expect("alice");
    encrypt(&w.bob, &id, &[]).await.expect("bob, same account");
    // Carol (account B) reaches the key only by ARN, and the policy does not allow her.
    denied(encrypt(&w.carol, &arn, &[]).await, CAROL, "Encrypt", &arn, false);
    let e = w.carol.describe_key().key_id(&id).send().await.expect_err("bare key id is looked up in B");
    assert_eq!(code(e.into_service_error()), "NotFoundException");
    // Carol's ciphertext lookup by blob: the key is A's, so Decrypt is an access question too.
    let ct = encrypt(&w.alice, &id, &[]).await.expect("ct");
    let e = w.carol.decrypt().ciphertext_blob(ct).send().await.expect_err("carol decrypt");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
}

#[tokio::test]
async fn cross_account_use_by_arn_follows_the_key_policy() {
    let statements = [
        alice_admin(),
        allow(&format!("arn:aws:iam::{B}:root"), serde_json::json!(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])),
    ];
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&statements))).await;
    // Carol may encrypt and decrypt with A's key by ARN ...
    let ct = encrypt(&w.carol, &arn, &[]).await.expect("carol encrypts by ARN");
    let out = w.carol.decrypt().ciphertext_blob(ct.clone()).send().await.expect("carol decrypts");
    assert_eq!(out.key_id(), Some(arn.as_str()));
    let md = w.carol.describe_key().key_id(&arn).send().await.expect("describe");
    assert_eq!(md.key_metadata().expect("md").aws_account_id(), Some(A));
    // ... but not by alias: aliases stay in their own account.
    w.alice.create_alias().alias_name("alias/shared").target_key_id(&id).send().await.expect("alias");
    let e = encrypt(&w.carol, "alias/shared", &[]).await.expect_err("alias name is looked up in B");
    assert_eq!(e.0, "NotFoundException");
    // Management operations never cross accounts.
    let e = w.carol.schedule_key_deletion().key_id(&arn).send().await.expect_err("no cross-account management");
    assert_eq!(code(e.into_service_error()), "NotFoundException");
    // Actions the statement does not list stay denied, and bob (not alice, not B) has nothing.
    let e = w.carol.generate_data_key().key_id(&arn).number_of_bytes(32).send().await.expect_err("gdk not allowed");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    denied(encrypt(&w.bob, &id, &[]).await, BOB, "Encrypt", &arn, false);
    // Denial happened before any side effect: the key is still enabled.
    let state = w.alice.describe_key().key_id(&id).send().await.expect("describe");
    assert_eq!(state.key_metadata().expect("md").key_state().map(|s| s.as_str()), Some("Enabled"));
}

#[tokio::test]
async fn cross_account_requests_are_charged_to_the_callers_account() {
    // Account B's symmetric crypto pool is 5/s; account A keeps AWS's default.
    let extra = format!(
        "[[quotas.overrides]]\naccount_id = \"{B}\"\nregion = \"*\"\nquota_code = \"L-6E3AF000\"\nvalue = 5.0\n"
    );
    let statements = [alice_admin(), allow(&format!("arn:aws:iam::{B}:root"), serde_json::json!("kms:Encrypt"))];
    let w = world(&extra).await;
    let (_, arn) = key(&w.alice, Some(policy(&statements))).await;
    let mut ok = 0;
    let mut throttled = 0;
    for _ in 0..20 {
        match encrypt(&w.carol, &arn, &[]).await {
            Ok(_) => ok += 1,
            Err((c, _)) if c == "ThrottlingException" => throttled += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok >= 5 && throttled > 0, "carol: {ok} served, {throttled} throttled");
    // The key's owner is unaffected: the requests were charged to B, not to A.
    for _ in 0..10 {
        encrypt(&w.alice, &arn, &[]).await.expect("alice is not throttled by carol's use");
    }
}

#[tokio::test]
async fn explicit_deny_wins_over_allows_and_grants() {
    let statements = [
        allow(&format!("arn:aws:iam::{A}:root"), serde_json::json!("kms:*")),
        serde_json::json!({"Effect": "Deny", "Principal": {"AWS": BOB}, "Action": "kms:Decrypt", "Resource": "*"}),
    ];
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&statements))).await;
    let ct = encrypt(&w.bob, &id, &[]).await.expect("bob may encrypt");
    w.alice.decrypt().ciphertext_blob(ct.clone()).send().await.expect("alice may decrypt");
    w.alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .expect("grant");
    let e = w.bob.decrypt().ciphertext_blob(ct).send().await.expect_err("deny beats the grant");
    let e = e.into_service_error();
    assert_eq!(e.code().unwrap_or_default(), "AccessDeniedException");
    assert_eq!(
        e.message(),
        Some(format!("User: {BOB} is not authorized to perform: kms:Decrypt on resource: {arn} with an explicit deny in a resource-based policy").as_str())
    );
}

#[tokio::test]
async fn conditions_on_encryption_context_alias_and_caller_account() {
    let statements = [
        alice_admin(),
        serde_json::json!({
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")},
            "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "backup", "kms:CallerAccount": B}}
        }),
        serde_json::json!({
            "Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:RequestAlias": "alias/app"}}
        }),
        serde_json::json!({
            "Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "kms:GenerateDataKey", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "purpose"]}}
        }),
    ];
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&statements))).await;
    encrypt(&w.carol, &arn, &[("purpose", "backup")]).await.expect("matching context");
    denied(encrypt(&w.carol, &arn, &[("purpose", "other")]).await, CAROL, "Encrypt", &arn, false);
    denied(encrypt(&w.carol, &arn, &[]).await, CAROL, "Encrypt", &arn, false);
    // kms:RequestAlias: bob may encrypt only when he names the key by that alias.
    w.alice.create_alias().alias_name("alias/app").target_key_id(&id).send().await.expect("alias");
    encrypt(&w.bob, "alias/app", &[]).await.expect("by alias");
    denied(encrypt(&w.bob, &id, &[]).await, BOB, "Encrypt", &arn, false);
    // ForAllValues over the context keys.
    let gdk = |ctx: &[(&str, &str)]| {
        let mut r = w.bob.generate_data_key().key_id(&id).number_of_bytes(16);
        for (k, v) in ctx {
            r = r.encryption_context(*k, *v);
        }
        r.send()
    };
    gdk(&[("tenant", "t1")]).await.expect("subset of allowed keys");
    let e = gdk(&[("tenant", "t1"), ("extra", "x")]).await.expect_err("extra key");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
}

#[tokio::test]
async fn grants_allow_their_operations_under_their_constraints() {
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&[alice_admin()]))).await;
    denied(encrypt(&w.bob, &id, &[]).await, BOB, "Encrypt", &arn, false);
    let grant = w
        .alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .retiring_principal(ALICE)
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::Decrypt)
        .constraints(GrantConstraints::builder().encryption_context_subset("dept", "it").build())
        .name("bob-it")
        .send()
        .await
        .expect("create grant");
    let token = grant.grant_token().expect("token").to_owned();
    let grant_id = grant.grant_id().expect("id").to_owned();
    assert_eq!(grant_id.len(), 64);
    // The grant works at once, with or without its token, only under the constraint.
    let ct = w
        .bob
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .encryption_context("Dept", "it")
        .encryption_context("x", "y")
        .grant_tokens(&token)
        .send()
        .await
        .expect("grant token use")
        .ciphertext_blob()
        .expect("ct")
        .clone();
    encrypt(&w.bob, &id, &[("dept", "it")]).await.expect("without token");
    denied(encrypt(&w.bob, &id, &[]).await, BOB, "Encrypt", &arn, false);
    denied(encrypt(&w.bob, &id, &[("dept", "IT")]).await, BOB, "Encrypt", &arn, false);
    w.bob
        .decrypt()
        .ciphertext_blob(ct)
        .encryption_context("Dept", "it")
        .encryption_context("x", "y")
        .send()
        .await
        .expect("decrypt via grant");
    let e = w.bob.describe_key().key_id(&id).send().await.expect_err("not in the grant");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    // A malformed grant token is its own error.
    let e =
        w.bob.encrypt().key_id(&id).plaintext(Blob::new("x")).grant_tokens("bogus").send().await.expect_err("token");
    assert_eq!(code(e.into_service_error()), "InvalidGrantTokenException");
    // Same name and parameters: the same grant comes back, with a new token.
    let again = w
        .alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .retiring_principal(ALICE)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::Encrypt)
        .constraints(GrantConstraints::builder().encryption_context_subset("dept", "it").build())
        .name("bob-it")
        .send()
        .await
        .expect("idempotent create");
    assert_eq!(again.grant_id(), Some(grant_id.as_str()));
    assert_ne!(again.grant_token(), Some(token.as_str()));
    // ListGrants shows it to alice; bob may not list.
    let listed = w.alice.list_grants().key_id(&id).send().await.expect("list");
    assert_eq!(listed.grants().len(), 1);
    let g = &listed.grants()[0];
    assert_eq!(g.grantee_principal(), Some(BOB));
    assert_eq!(g.issuing_account(), Some(format!("arn:aws:iam::{A}:root").as_str()));
    assert_eq!(g.key_id(), Some(arn.as_str()));
    assert_eq!(g.constraints().and_then(|c| c.encryption_context_subset()).map(HashMap::len), Some(1));
    let e = w.bob.list_grants().key_id(&id).send().await.expect_err("bob lists");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    // Carol cannot retire it (not its retiring principal or grantee, not of the issuing
    // account), and bob cannot revoke it (the key policy does not give him kms:RevokeGrant).
    let e = w.carol.retire_grant().grant_token(&token).send().await.expect_err("carol retires");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    let e = w.bob.revoke_grant().key_id(&id).grant_id(&grant_id).send().await.expect_err("bob revokes");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    // Alice revokes: bob's access ends.
    w.alice.revoke_grant().key_id(&id).grant_id(&grant_id).send().await.expect("revoke");
    denied(encrypt(&w.bob, &id, &[("dept", "it")]).await, BOB, "Encrypt", &arn, false);
    let e = w.alice.revoke_grant().key_id(&id).grant_id(&grant_id).send().await.expect_err("gone");
    assert_eq!(code(e.into_service_error()), "NotFoundException");
    let e = w.alice.revoke_grant().key_id(&id).grant_id("not-a-grant").send().await.expect_err("malformed");
    assert_eq!(code(e.into_service_error()), "InvalidGrantIdException");
}

#[tokio::test]
async fn cross_account_grants_retiring_and_regranting() {
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&[alice_admin()]))).await;
    let ct = encrypt(&w.alice, &id, &[]).await.expect("ct");
    // A grant to carol in account B: she decrypts A's ciphertext without naming the key.
    let g = w
        .alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(CAROL)
        .retiring_principal(CAROL)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::CreateGrant)
        .send()
        .await
        .expect("grant to carol");
    w.carol.decrypt().ciphertext_blob(ct.clone()).send().await.expect("cross-account decrypt by grant");
    // Carol may pass on what she has (Decrypt) to bob, but not more (Encrypt).
    let e = w
        .carol
        .create_grant()
        .key_id(&arn)
        .grantee_principal(BOB)
        .operations(GrantOperation::Encrypt)
        .send()
        .await
        .expect_err("more than carol has");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    let sub = w
        .carol
        .create_grant()
        .key_id(&arn)
        .grantee_principal(BOB)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .expect("sub-grant");
    w.bob.decrypt().ciphertext_blob(ct.clone()).send().await.expect("bob via carol's grant");
    assert_eq!(w.alice.list_grants().key_id(&id).send().await.expect("list").grants().len(), 2);
    // ListRetirableGrants: carol sees the grant naming her as retiring principal.
    let retirable = w.carol.list_retirable_grants().retiring_principal(CAROL).send().await.expect("retirable");
    assert_eq!(retirable.grants().len(), 1);
    assert_eq!(retirable.grants()[0].grant_id(), g.grant_id());
    let e = w.carol.list_retirable_grants().retiring_principal(BOB).send().await.expect_err("other account");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    // Carol retires her grant by token; her access ends, bob's sub-grant stays.
    w.carol.retire_grant().grant_token(g.grant_token().expect("token")).send().await.expect("retire");
    let e = w.carol.decrypt().ciphertext_blob(ct.clone()).send().await.expect_err("retired");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    w.bob.decrypt().ciphertext_blob(ct.clone()).send().await.expect("bob's grant is separate");
    // The issuing account (alice's) may retire bob's grant by key id and grant id? It was issued by B.
    let e = w
        .alice
        .retire_grant()
        .key_id(&id)
        .grant_id(sub.grant_id().expect("id"))
        .send()
        .await
        .expect_err("alice is neither retiring principal nor issuer");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    w.alice.revoke_grant().key_id(&id).grant_id(sub.grant_id().expect("id")).send().await.expect("revoke");
    let e = w.bob.decrypt().ciphertext_blob(ct).send().await.expect_err("revoked");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    // A grant for an operation the key type does not support is a validation error.
    let e = w
        .alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .operations(GrantOperation::Sign)
        .send()
        .await
        .expect_err("Sign on a symmetric key");
    assert_eq!(code(e.into_service_error()), "ValidationException");
}

#[tokio::test]
async fn policy_grammar_and_lockout_safety_check() {
    let w = world(UNTHROTTLED).await;
    let (id, _) = key(&w.alice, None).await;
    let put = |p: String, bypass: bool| {
        w.alice.put_key_policy().key_id(&id).policy(p).bypass_policy_lockout_safety_check(bypass).send()
    };
    for bad in [
        "not json".to_owned(),
        r#"{"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}"#.to_owned(),
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}]}"#.to_owned(),
    ] {
        let e = put(bad.clone(), false).await.expect_err("malformed");
        assert_eq!(code(e.into_service_error()), "MalformedPolicyDocumentException", "{bad}");
    }
    // A policy that would lock alice out is refused unless she bypasses the check.
    let lockout = policy(&[allow(BOB, serde_json::json!("kms:Encrypt"))]);
    let e = put(lockout.clone(), false).await.expect_err("lockout");
    let e = e.into_service_error();
    assert_eq!(e.code().unwrap_or_default(), "MalformedPolicyDocumentException");
    assert_eq!(e.message(), Some("The new key policy will not allow you to update the key policy in the future."));
    let e = w.alice.create_key().policy(lockout.clone()).send().await.expect_err("create with lockout");
    assert_eq!(code(e.into_service_error()), "MalformedPolicyDocumentException");
    put(lockout.clone(), true).await.expect("bypass");
    let got = w.alice.get_key_policy().key_id(&id).send().await.expect_err("alice is locked out now");
    assert_eq!(code(got.into_service_error()), "AccessDeniedException");
    let e = put(policy(&[alice_admin()]), false).await.expect_err("no way back");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    encrypt(&w.bob, &id, &[]).await.expect("bob keeps what the new policy gives him");
}

#[tokio::test]
async fn grants_per_key_quota_is_enforced_atomically_and_frees_up() {
    let extra = format!(
        "[quotas]\nenabled = false\n[[quotas.overrides]]\naccount_id = \"{A}\"\nregion = \"*\"\nquota_code = \"L-D594A657\"\nvalue = 3.0\n"
    );
    let w = world(&extra).await;
    let (id, _) = key(&w.alice, None).await;
    // Ten concurrent CreateGrant calls against a limit of three: exactly three win.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let req = w.alice.create_grant().key_id(&id).grantee_principal(BOB).operations(GrantOperation::Encrypt);
        calls.spawn(req.send());
    }
    let results = calls.join_all().await;
    let won: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().ok()).map(|o| o.grant_id().expect("id").to_owned()).collect();
    assert_eq!(won.len(), 3);
    for r in results.into_iter().filter_map(Result::err) {
        let e = r.into_service_error();
        assert_eq!(e.code(), Some("LimitExceededException"));
        assert_eq!(e.message(), Some("Grants per key quota for this account in this region is 3, current usage is 3."));
    }
    assert_eq!(w.alice.list_grants().key_id(&id).send().await.expect("list").grants().len(), 3);
    // Revoking one frees a slot.
    w.alice.revoke_grant().key_id(&id).grant_id(&won[0]).send().await.expect("revoke");
    w.alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .operations(GrantOperation::Encrypt)
        .send()
        .await
        .expect("room again");
}

#[tokio::test]
async fn denials_leave_no_side_effect() {
    let w = world(UNTHROTTLED).await;
    let (id, arn) =
        key(&w.alice, Some(policy(&[alice_admin(), allow(BOB, serde_json::json!("kms:DescribeKey"))]))).await;
    let before = w.alice.get_key_policy().key_id(&id).send().await.expect("policy").policy().map(str::to_owned);
    let e = w.bob.schedule_key_deletion().key_id(&id).send().await.expect_err("bob deletes");
    let e = e.into_service_error();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert_eq!(
        e.message(),
        Some(format!("User: {BOB} is not authorized to perform: kms:ScheduleKeyDeletion on resource: {arn} because no resource-based policy allows the kms:ScheduleKeyDeletion action").as_str())
    );
    let e = w.bob.disable_key().key_id(&id).send().await.expect_err("bob disables");
    assert_eq!(code(e.into_service_error()), "AccessDeniedException");
    let e = w.bob.put_key_policy().key_id(&id).policy(policy(&[allow(BOB, serde_json::json!("kms:*"))])).send().await;
    assert_eq!(code(e.expect_err("bob rewrites the policy").into_service_error()), "AccessDeniedException");
    let e = w.bob.create_grant().key_id(&id).grantee_principal(BOB).operations(GrantOperation::Encrypt).send().await;
    assert_eq!(code(e.expect_err("bob grants himself").into_service_error()), "AccessDeniedException");
    let e = w.bob.create_alias().alias_name("alias/bobs").target_key_id(&id).send().await;
    assert_eq!(code(e.expect_err("bob aliases").into_service_error()), "AccessDeniedException");
    // Bob may describe (the policy says so); nothing he was refused happened.
    let md = w.bob.describe_key().key_id(&id).send().await.expect("describe").key_metadata().expect("md").clone();
    assert_eq!(md.key_state().map(|s| s.as_str()), Some("Enabled"));
    assert!(md.deletion_date().is_none());
    let after = w.alice.get_key_policy().key_id(&id).send().await.expect("policy").policy().map(str::to_owned);
    assert_eq!(after, before);
    assert!(w.alice.list_grants().key_id(&id).send().await.expect("grants").grants().is_empty());
    assert!(w.alice.list_aliases().key_id(&id).send().await.expect("aliases").aliases().is_empty());
}

#[tokio::test]
async fn a_source_arn_grant_never_applies_to_direct_calls() {
    let w = world(UNTHROTTLED).await;
    let (id, arn) = key(&w.alice, Some(policy(&[alice_admin()]))).await;
    let source = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap";
    w.alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .operations(GrantOperation::Encrypt)
        .constraints(GrantConstraints::builder().source_arn(source).build())
        .send()
        .await
        .expect("grant with SourceArn");
    // Bob's own calls are not made on behalf of that resource.
    denied(encrypt(&w.bob, &id, &[]).await, BOB, "Encrypt", &arn, false);
    let listed = w.alice.list_grants().key_id(&id).send().await.expect("list");
    assert_eq!(listed.grants()[0].constraints().and_then(|c| c.source_arn()), Some(source));
    let e = w
        .alice
        .create_grant()
        .key_id(&id)
        .grantee_principal(BOB)
        .operations(GrantOperation::Encrypt)
        .constraints(GrantConstraints::builder().source_arn("not-an-arn-at-all-really").build())
        .send()
        .await
        .expect_err("malformed SourceArn");
    assert_eq!(code(e.into_service_error()), "ValidationException");
}

/// Encapsulate and Decapsulate are their own actions: a grant can give one
/// principal Decapsulate alone, and another account encapsulates by key ARN
/// when the key policy lets it.
#[tokio::test]
async fn ml_kem_grants_and_cross_account_encapsulation() {
    use aws_sdk_kms::types::{EncapsulationAlgorithmSpec, KeySpec, KeyUsageType};
    let statements = [alice_admin(), allow(&format!("arn:aws:iam::{B}:root"), serde_json::json!("kms:Encapsulate"))];
    let w = world(UNTHROTTLED).await;
    let md = w
        .alice
        .create_key()
        .key_spec(KeySpec::MlKem768)
        .key_usage(KeyUsageType::EncapsulateDecapsulate)
        .policy(policy(&statements))
        .send()
        .await
        .unwrap();
    let arn = md.key_metadata().unwrap().arn().unwrap().to_owned();
    let e = w.carol.encapsulate().key_id(&arn).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await;
    let e = e.expect("carol encapsulates by key ARN");
    let ct = e.shared_secret_ciphertext_blob().unwrap().clone();
    let decapsulate = |c: &Client| {
        c.decapsulate()
            .key_id(&arn)
            .shared_secret_ciphertext_blob(ct.clone())
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
    };
    let err = decapsulate(&w.carol).await.expect_err("the policy does not give carol Decapsulate");
    assert_eq!(code(err.into_service_error()), "AccessDeniedException");
    let err = decapsulate(&w.bob).await.expect_err("bob has no grant yet");
    assert_eq!(code(err.into_service_error()), "AccessDeniedException");
    let grant = w
        .alice
        .create_grant()
        .key_id(&arn)
        .grantee_principal(BOB)
        .operations(GrantOperation::Decapsulate)
        .send()
        .await
        .expect("Decapsulate is a grant operation of ML-KEM keys");
    let d = decapsulate(&w.bob).await.expect("the grant lets bob decapsulate");
    assert_eq!(d.shared_secret().unwrap().as_ref(), e.shared_secret().unwrap().as_ref());
    let err = w.bob.encapsulate().key_id(&arn).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await;
    assert_eq!(code(err.expect_err("the grant gives Decapsulate only").into_service_error()), "AccessDeniedException");
    assert!(grant.grant_id().is_some());
    // A grant for Sign on an ML-KEM key is refused: not an operation this key supports.
    let err = w.alice.create_grant().key_id(&arn).grantee_principal(BOB).operations(GrantOperation::Sign).send().await;
    assert_eq!(code(err.expect_err("Sign is not an ML-KEM operation").into_service_error()), "ValidationException");
}
