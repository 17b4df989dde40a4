//! The KMS API of a real `trent serve` process, driven by `aws-sdk-kms`:
//! every operation Trent serves, every error case with AWS's code, status and
//! (where AWS's wording is known) message, and every model limit at its boundary.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, DryRunModifierType, EncryptionAlgorithmSpec, IncludeKeyMaterial, KeyManagerType, KeyMaterialState,
    KeySpec, KeyState, KeyUsageType, OriginType, RotationType, Tag,
};
use common::{DEV_ACCESS_KEY_ID, DEV_ACCOUNT_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer};

const DRY_RUN: &str = "The request would have succeeded, but the DryRun option is set.";
const DAY: f64 = 86_400.0;

// ---------------------------------------------------------------- helpers

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{DEV_ACCOUNT_ID}:key/{id}")
}

fn alias_arn(name: &str) -> String {
    format!("arn:aws:kms:{REGION}:{DEV_ACCOUNT_ID}:{name}")
}

fn validation(violation: &str) -> String {
    format!("1 validation error detected: {violation}")
}

/// Text that must never reach a client: storage and implementation detail.
fn assert_no_internals(body: &str) {
    let lower = body.to_ascii_lowercase();
    for needle in
        ["sqlite", "sqlx", "storage backend", "database", "panicked", "src/", ".rs:", "serde", "trent_core", "unwrap"]
    {
        assert!(!lower.contains(needle), "error body leaks {needle:?}: {body}");
    }
}

/// Asserts that `r` failed with HTTP 400 and the AWS error `code`, that the raw
/// body is `{"__type": code, ...}` without internal detail, and returns the message.
fn err_of<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str) -> Option<String>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = match r {
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        Err(e) => e,
    };
    let raw = e.raw_response().unwrap_or_else(|| panic!("no HTTP response for expected {code}: {e:?}"));
    let status = raw.status().as_u16();
    let body = String::from_utf8(raw.body().bytes().expect("error body in memory").to_vec()).unwrap();
    assert_eq!(e.code(), Some(code), "body: {body}");
    assert_eq!(status, 400, "{code} must be a client error; body: {body}");
    assert_no_internals(&body);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], code, "body: {body}");
    assert_eq!(json.get("message").and_then(|m| m.as_str()), e.message(), "body: {body}");
    e.message().map(str::to_owned)
}

/// Asserts that `r` failed with `code` and exactly `message`.
fn expect_err<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str, message: &str)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    assert_eq!(err_of(r, code).as_deref(), Some(message));
}

/// A new symmetric key: (key id, key ARN).
async fn new_key(c: &Client) -> (String, String) {
    let md = c.create_key().send().await.unwrap().key_metadata.unwrap();
    let id = md.key_id().to_owned();
    assert_eq!(md.arn(), Some(key_arn(&id).as_str()));
    (id.clone(), key_arn(&id))
}

async fn encrypt(c: &Client, key: &str, plaintext: &[u8]) -> Vec<u8> {
    let out = c.encrypt().key_id(key).plaintext(Blob::new(plaintext)).send().await.unwrap();
    out.ciphertext_blob.unwrap().into_inner()
}

async fn decrypt(c: &Client, blob: &[u8]) -> Vec<u8> {
    c.decrypt().ciphertext_blob(Blob::new(blob)).send().await.unwrap().plaintext.unwrap().into_inner()
}

async fn state_of(c: &Client, key: &str) -> KeyState {
    c.describe_key().key_id(key).send().await.unwrap().key_metadata.unwrap().key_state().unwrap().clone()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

/// One HTTP/1.1 request on a fresh connection: (status, headers, body).
fn raw_http(endpoint: &str, request_head: &str, body: &[u8]) -> (u16, String, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "{request_head}Host: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

// ---------------------------------------------------------------- key lifecycle

#[tokio::test]
#[allow(deprecated)] // CustomerMasterKeySpec: deprecated, but AWS still fills it.
async fn create_key_and_describe_key_fill_key_metadata_as_aws_does() {
    use aws_sdk_kms::types::CustomerMasterKeySpec;
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let policy = r#"{"Version":"2012-10-17","Id":"custom","Statement":[{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let before = now();
    let created = c
        .create_key()
        .description("orders database")
        .policy(policy)
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .tags(tag("team", "payments"))
        .tags(tag("env", ""))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let id = created.key_id().to_owned();
    assert_eq!(id.len(), 36, "key ids are UUIDs: {id}");

    // DescribeKey by key id gives the same metadata CreateKey returned.
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md, created);
    assert_eq!(md.aws_account_id(), Some(DEV_ACCOUNT_ID));
    assert_eq!(md.arn(), Some(key_arn(&id).as_str()));
    let created_at = md.creation_date().unwrap().as_secs_f64();
    assert!(
        created_at >= before.floor() - 1.0 && created_at <= now() + 1.0,
        "CreationDate is epoch seconds: {created_at}"
    );
    assert!(md.enabled());
    assert_eq!(md.description(), Some("orders database"));
    assert_eq!(md.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.deletion_date(), None);
    assert_eq!(md.valid_to(), None);
    assert_eq!(md.origin(), Some(&OriginType::AwsKms));
    assert_eq!(md.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(md.customer_master_key_spec(), Some(&CustomerMasterKeySpec::SymmetricDefault));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(md.encryption_algorithms(), &[EncryptionAlgorithmSpec::SymmetricDefault]);
    assert!(md.signing_algorithms().is_empty() && md.mac_algorithms().is_empty());
    assert_eq!(md.multi_region(), Some(false));
    assert_eq!(md.pending_deletion_window_in_days(), None);
    let material = md.current_key_material_id().unwrap();
    assert!(material.len() == 64 && material.bytes().all(|b| b.is_ascii_hexdigit()), "{material}");

    // The policy is kept verbatim, the tags as given.
    let got = c.get_key_policy().key_id(&id).send().await.unwrap();
    assert_eq!(got.policy(), Some(policy));
    assert_eq!(got.policy_name(), Some("default"));
    let tags = c.list_resource_tags().key_id(&id).send().await.unwrap();
    let mut pairs: Vec<(String, String)> =
        tags.tags().iter().map(|t| (t.tag_key().into(), t.tag_value().into())).collect();
    pairs.sort();
    assert_eq!(pairs, [("env".to_owned(), String::new()), ("team".to_owned(), "payments".to_owned())]);

    // Defaults: no description, the default key policy naming the account root.
    let (plain, _) = new_key(&c).await;
    let md = c.describe_key().key_id(&plain).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.description(), Some(""));
    let default_policy = c.get_key_policy().key_id(&plain).policy_name("default").send().await.unwrap().policy.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&default_policy).unwrap();
    assert_eq!(doc["Statement"][0]["Principal"]["AWS"], format!("arn:aws:iam::{DEV_ACCOUNT_ID}:root"));
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");

    // MultiRegion is refused clearly, and creates nothing.
    let keys_before = c.list_keys().send().await.unwrap().keys().len();
    let msg = err_of(c.create_key().multi_region(true).send().await, "UnsupportedOperationException").unwrap();
    assert!(msg.contains("multi-Region"), "{msg}");
    assert_eq!(c.list_keys().send().await.unwrap().keys().len(), keys_before);

    // Specs Trent does not serve yet (ML-DSA) are refused clearly; enum values are checked.
    err_of(
        c.create_key().key_spec(KeySpec::MlDsa44).key_usage(KeyUsageType::SignVerify).send().await,
        "UnsupportedOperationException",
    );
    let msg =
        err_of(c.create_key().key_usage(KeyUsageType::from("ENCRYPT")).send().await, "ValidationException").unwrap();
    assert_eq!(
        msg,
        validation(
            "Value 'ENCRYPT' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]"
        )
    );
    let msg = err_of(
        c.create_key()
            .key_spec(KeySpec::SymmetricDefault)
            .customer_master_key_spec(CustomerMasterKeySpec::SymmetricDefault)
            .send()
            .await,
        "ValidationException",
    )
    .unwrap();
    assert!(msg.contains("KeySpec and CustomerMasterKeySpec"), "{msg}");

    // A malformed policy is refused at creation.
    err_of(c.create_key().policy("not json").send().await, "MalformedPolicyDocumentException");
}

#[tokio::test]
async fn enable_disable_update_description_and_key_policies() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    let ct = encrypt(&c, &id, b"secret").await;

    // DisableKey: crypto refused with DisabledException, metadata follows.
    c.disable_key().key_id(&id).send().await.unwrap();
    c.disable_key().key_id(&arn).send().await.unwrap(); // idempotent, and by ARN
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));
    assert!(!md.enabled());
    let disabled = format!("{arn} is disabled.");
    expect_err(c.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await, "DisabledException", &disabled);
    expect_err(c.decrypt().ciphertext_blob(Blob::new(ct.clone())).send().await, "DisabledException", &disabled);
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).send().await,
        "DisabledException",
        &disabled,
    );
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(16).send().await,
        "DisabledException",
        &disabled,
    );
    let (other, _) = new_key(&c).await;
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id(&other).send().await,
        "DisabledException",
        &disabled,
    );
    let other_ct = encrypt(&c, &other, b"y").await;
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(other_ct)).destination_key_id(&id).send().await,
        "DisabledException",
        &disabled,
    );
    // Management still works on a disabled key.
    c.update_key_description().key_id(&id).description("retired for now").send().await.unwrap();
    c.tag_resource().key_id(&id).tags(tag("k", "v")).send().await.unwrap();

    // EnableKey brings it back, and old ciphertexts decrypt.
    c.enable_key().key_id(&arn).send().await.unwrap();
    c.enable_key().key_id(&id).send().await.unwrap();
    assert_eq!(state_of(&c, &id).await, KeyState::Enabled);
    assert_eq!(decrypt(&c, &ct).await, b"secret");
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.description(), Some("retired for now"));
    c.update_key_description().key_id(&arn).description("").send().await.unwrap();
    assert_eq!(c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap().description(), Some(""));

    // Key policies: one policy named "default", stored verbatim (not evaluated).
    let lp = c.list_key_policies().key_id(&id).send().await.unwrap();
    assert_eq!(lp.policy_names(), ["default"]);
    assert!(!lp.truncated());
    let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Nothing\", \"Resource\": \"*\"},\n  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"111122223333\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]\n}";
    c.put_key_policy().key_id(&arn).policy_name("default").policy(policy).send().await.unwrap();
    assert_eq!(c.get_key_policy().key_id(&id).send().await.unwrap().policy(), Some(policy));
    c.put_key_policy().key_id(&id).policy(policy.replace("Nothing", "Other")).send().await.unwrap();
    assert!(c.get_key_policy().key_id(&id).send().await.unwrap().policy().unwrap().contains("kms:Other"));
    err_of(
        c.put_key_policy().key_id(&id).policy("{\"Version\": \"2012-10-17\"").send().await,
        "MalformedPolicyDocumentException",
    );
    err_of(
        c.put_key_policy().key_id(&id).policy("{\"Version\": \"2012-10-17\"}").send().await,
        "MalformedPolicyDocumentException",
    );
    err_of(c.get_key_policy().key_id(&id).policy_name("other").send().await, "NotFoundException");
    err_of(c.put_key_policy().key_id(&id).policy_name("other").policy(policy).send().await, "NotFoundException");
    // The 32 KB service limit.
    let big = format!("{{\"Statement\": [], \"Pad\": \"{}\"}}", "x".repeat(32 * 1024));
    err_of(c.put_key_policy().key_id(&id).policy(big).send().await, "LimitExceededException");
    assert!(c.get_key_policy().key_id(&id).send().await.unwrap().policy().unwrap().contains("kms:Other"));
}

#[tokio::test]
async fn schedule_and_cancel_key_deletion() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    c.create_alias().alias_name("alias/doomed").target_key_id(&id).send().await.unwrap();
    let ct = encrypt(&c, &id, b"keep me").await;

    // Only 7–30 days.
    expect_err(
        c.schedule_key_deletion().key_id(&id).pending_window_in_days(6).send().await,
        "ValidationException",
        &validation(
            "Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
        ),
    );
    expect_err(
        c.schedule_key_deletion().key_id(&id).pending_window_in_days(31).send().await,
        "ValidationException",
        &validation(
            "Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
        ),
    );
    assert_eq!(state_of(&c, &id).await, KeyState::Enabled);

    // 7 days: the response echoes the ARN, the date is epoch seconds a week out.
    let t0 = now();
    let out = c.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(out.pending_window_in_days(), Some(7));
    let due = out.deletion_date().unwrap().as_secs_f64();
    assert!((due - (t0 + 7.0 * DAY)).abs() < 60.0, "DeletionDate {due} is not 7 days after {t0}");
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::PendingDeletion));
    assert!(!md.enabled());
    assert_eq!(md.deletion_date().map(|d| d.as_secs_f64()), Some(due));
    assert_eq!(md.pending_deletion_window_in_days(), Some(7));

    // While pending deletion: crypto and most management give KMSInvalidStateException.
    let pending = format!("{arn} is pending deletion.");
    expect_err(c.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await, "KMSInvalidStateException", &pending);
    expect_err(
        c.encrypt().key_id("alias/doomed").plaintext(Blob::new("x")).send().await,
        "KMSInvalidStateException",
        &pending,
    );
    expect_err(c.decrypt().ciphertext_blob(Blob::new(ct.clone())).send().await, "KMSInvalidStateException", &pending);
    expect_err(
        c.generate_data_key().key_id(&id).number_of_bytes(32).send().await,
        "KMSInvalidStateException",
        &pending,
    );
    expect_err(c.enable_key().key_id(&id).send().await, "KMSInvalidStateException", &pending);
    expect_err(c.disable_key().key_id(&id).send().await, "KMSInvalidStateException", &pending);
    expect_err(c.schedule_key_deletion().key_id(&id).send().await, "KMSInvalidStateException", &pending);
    expect_err(
        c.update_key_description().key_id(&id).description("d").send().await,
        "KMSInvalidStateException",
        &pending,
    );
    expect_err(c.tag_resource().key_id(&id).tags(tag("a", "b")).send().await, "KMSInvalidStateException", &pending);
    expect_err(c.enable_key_rotation().key_id(&id).send().await, "KMSInvalidStateException", &pending);
    expect_err(c.rotate_key_on_demand().key_id(&id).send().await, "KMSInvalidStateException", &pending);
    expect_err(
        c.create_alias().alias_name("alias/late").target_key_id(&id).send().await,
        "KMSInvalidStateException",
        &pending,
    );
    // ... but reading it still works.
    c.get_key_policy().key_id(&id).send().await.unwrap();
    c.list_resource_tags().key_id(&id).send().await.unwrap();
    let aliases = c.list_aliases().key_id(&id).send().await.unwrap();
    assert_eq!(aliases.aliases().len(), 1);

    // CancelKeyDeletion brings the key back Disabled, echoing the ARN.
    let out = c.cancel_key_deletion().key_id(&arn).send().await.unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));
    assert_eq!(md.deletion_date(), None);
    assert_eq!(md.pending_deletion_window_in_days(), None);
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await,
        "DisabledException",
        &format!("{arn} is disabled."),
    );
    expect_err(
        c.cancel_key_deletion().key_id(&id).send().await,
        "KMSInvalidStateException",
        &format!("{arn} is not pending deletion."),
    );
    c.enable_key().key_id(&id).send().await.unwrap();
    assert_eq!(decrypt(&c, &ct).await, b"keep me");

    // The default waiting period is 30 days, and a disabled key may be scheduled too.
    c.disable_key().key_id(&id).send().await.unwrap();
    let t0 = now();
    let out = c.schedule_key_deletion().key_id(&id).send().await.unwrap();
    assert_eq!(out.pending_window_in_days(), Some(30));
    assert!((out.deletion_date().unwrap().as_secs_f64() - (t0 + 30.0 * DAY)).abs() < 60.0);
    // 30 days is accepted at the upper boundary too.
    let (other, _) = new_key(&c).await;
    assert_eq!(
        c.schedule_key_deletion()
            .key_id(&other)
            .pending_window_in_days(30)
            .send()
            .await
            .unwrap()
            .pending_window_in_days(),
        Some(30)
    );
}

// ---------------------------------------------------------------- naming keys

#[tokio::test]
async fn keys_are_named_by_id_arn_alias_name_and_alias_arn_and_responses_echo_the_arn() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    c.create_alias().alias_name("alias/named").target_key_id(&id).send().await.unwrap();
    let names = [id.clone(), arn.clone(), "alias/named".to_owned(), alias_arn("alias/named")];

    for name in &names {
        let md = c.describe_key().key_id(name).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(md.key_id(), id, "DescribeKey({name})");
        let enc = c.encrypt().key_id(name).plaintext(Blob::new("hello")).send().await.unwrap();
        assert_eq!(enc.key_id(), Some(arn.as_str()), "Encrypt({name}) echoes the key ARN");
        assert_eq!(enc.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
        let blob = enc.ciphertext_blob.unwrap();
        let dec = c.decrypt().ciphertext_blob(blob.clone()).key_id(name).send().await.unwrap();
        assert_eq!(dec.key_id(), Some(arn.as_str()), "Decrypt(KeyId={name})");
        assert_eq!(dec.plaintext().unwrap().as_ref(), b"hello");
        let gdk = c.generate_data_key().key_id(name).key_spec(DataKeySpec::Aes256).send().await.unwrap();
        assert_eq!(gdk.key_id(), Some(arn.as_str()), "GenerateDataKey({name})");
        let gdkwp =
            c.generate_data_key_without_plaintext().key_id(name).key_spec(DataKeySpec::Aes128).send().await.unwrap();
        assert_eq!(gdkwp.key_id(), Some(arn.as_str()), "GenerateDataKeyWithoutPlaintext({name})");
        let re =
            c.re_encrypt().ciphertext_blob(blob).source_key_id(name).destination_key_id(name).send().await.unwrap();
        assert_eq!(re.key_id(), Some(arn.as_str()), "ReEncrypt({name})");
        assert_eq!(re.source_key_id(), Some(arn.as_str()));
    }

    // Management operations take a key id or key ARN, not an alias.
    for name in [&id, &arn] {
        c.enable_key().key_id(name).send().await.unwrap();
        c.get_key_rotation_status().key_id(name).send().await.unwrap();
        c.list_resource_tags().key_id(name).send().await.unwrap();
        c.get_key_policy().key_id(name).send().await.unwrap();
        c.list_key_policies().key_id(name).send().await.unwrap();
    }
    expect_err(c.enable_key().key_id("alias/named").send().await, "NotFoundException", "Invalid keyId alias/named");
    err_of(c.disable_key().key_id(alias_arn("alias/named")).send().await, "NotFoundException");
    err_of(c.list_aliases().key_id("alias/named").send().await, "NotFoundException");
    assert_eq!(state_of(&c, &id).await, KeyState::Enabled);

    // Unknown keys and aliases, with AWS's wording.
    let missing = "0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f";
    let not_found = format!("Key '{}' does not exist", key_arn(missing));
    expect_err(c.describe_key().key_id(missing).send().await, "NotFoundException", &not_found);
    expect_err(c.describe_key().key_id(key_arn(missing)).send().await, "NotFoundException", &not_found);
    expect_err(c.encrypt().key_id(missing).plaintext(Blob::new("x")).send().await, "NotFoundException", &not_found);
    expect_err(c.enable_key().key_id(missing).send().await, "NotFoundException", &not_found);
    expect_err(c.schedule_key_deletion().key_id(missing).send().await, "NotFoundException", &not_found);
    let no_alias = format!("Alias {} is not found.", alias_arn("alias/nope"));
    expect_err(c.encrypt().key_id("alias/nope").plaintext(Blob::new("x")).send().await, "NotFoundException", &no_alias);
    expect_err(c.describe_key().key_id(alias_arn("alias/nope")).send().await, "NotFoundException", &no_alias);

    // Another region's ARN names nothing here.
    let elsewhere = arn.replace(REGION, "eu-west-1");
    err_of(c.describe_key().key_id(&elsewhere).send().await, "NotFoundException");
    // And a client in another region sees neither the key nor the alias.
    let eu = s.kms_client_as(DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, "eu-west-1", 1).await;
    err_of(eu.describe_key().key_id(&id).send().await, "NotFoundException");
    err_of(eu.describe_key().key_id("alias/named").send().await, "NotFoundException");
    assert!(eu.list_keys().send().await.unwrap().keys().is_empty());
}

// ---------------------------------------------------------------- cryptography

#[tokio::test]
async fn encrypt_decrypt_reencrypt_and_data_keys() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    let (id2, arn2) = new_key(&c).await;

    // Round trip without KeyId on Decrypt; the blob names its key.
    let ct = encrypt(&c, &id, b"attack at dawn").await;
    let dec = c.decrypt().ciphertext_blob(Blob::new(ct.clone())).send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"attack at dawn");
    assert_eq!(dec.key_id(), Some(arn.as_str()));
    assert_eq!(dec.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(dec.key_material_id(), md.current_key_material_id());
    // Encryption is randomized.
    assert_ne!(encrypt(&c, &id, b"attack at dawn").await, ct);
    // Explicit algorithm.
    c.encrypt()
        .key_id(&id)
        .plaintext(Blob::new("a"))
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await
        .unwrap();
    err_of(
        c.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("a"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );

    // Decrypt with the wrong KeyId: IncorrectKeyException.
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&id2).send().await,
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    );

    // The encryption context is bound as AAD.
    let ctx = c
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("with context"))
        .encryption_context("purpose", "test")
        .encryption_context("tenant", "a")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    // Same pairs in any order decrypt.
    let ok = c
        .decrypt()
        .ciphertext_blob(ctx.clone())
        .encryption_context("tenant", "a")
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.plaintext().unwrap().as_ref(), b"with context");
    for wrong in [
        vec![],
        vec![("purpose", "test")],
        vec![("purpose", "test"), ("tenant", "b")],
        vec![("purpose", "test"), ("Tenant", "a")],
        vec![("purpose", "test"), ("tenant", "a"), ("extra", "")],
    ] {
        let mut req = c.decrypt().ciphertext_blob(ctx.clone());
        for (k, v) in &wrong {
            req = req.encryption_context(*k, *v);
        }
        assert_eq!(err_of(req.send().await, "InvalidCiphertextException"), None, "context {wrong:?}");
    }
    // A blob made without context needs none.
    assert_eq!(
        err_of(
            c.decrypt().ciphertext_blob(Blob::new(ct.clone())).encryption_context("a", "b").send().await,
            "InvalidCiphertextException"
        ),
        None
    );
    // A context too large for the AAD encoding is refused rather than truncated.
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("e")).encryption_context("k".repeat(65_536), "v").send().await,
        "ValidationException",
        "Invalid EncryptionContext",
    );

    // Tampering anywhere in the blob: InvalidCiphertextException with no message.
    for i in [0, 1, 16, 17, 48, 49, 60, 61, ct.len() - 17, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            err_of(c.decrypt().ciphertext_blob(Blob::new(bad)).send().await, "InvalidCiphertextException"),
            None,
            "byte {i}"
        );
    }
    for len in [1, 48, 76, ct.len() - 1] {
        let cut = &ct[..len];
        assert_eq!(
            err_of(c.decrypt().ciphertext_blob(Blob::new(cut)).send().await, "InvalidCiphertextException"),
            None,
            "{len} bytes"
        );
    }
    let mut longer = ct.clone();
    longer.push(0);
    assert_eq!(err_of(c.decrypt().ciphertext_blob(Blob::new(longer)).send().await, "InvalidCiphertextException"), None);
    // A blob naming a key that does not exist.
    let mut foreign = ct.clone();
    foreign[1..17].copy_from_slice(&[0x42; 16]);
    assert_eq!(
        err_of(c.decrypt().ciphertext_blob(Blob::new(foreign)).send().await, "InvalidCiphertextException"),
        None
    );

    // ReEncrypt moves a ciphertext to another key and context without revealing it.
    let re = c
        .re_encrypt()
        .ciphertext_blob(ctx.clone())
        .source_encryption_context("purpose", "test")
        .source_encryption_context("tenant", "a")
        .destination_key_id(&id2)
        .destination_encryption_context("moved", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(re.source_key_id(), Some(arn.as_str()));
    assert_eq!(re.key_id(), Some(arn2.as_str()));
    assert_eq!(re.source_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    assert_eq!(re.destination_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    assert_eq!(re.source_key_material_id(), md.current_key_material_id());
    let moved = re.ciphertext_blob.unwrap();
    let dec = c.decrypt().ciphertext_blob(moved.clone()).encryption_context("moved", "yes").send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"with context");
    assert_eq!(dec.key_id(), Some(arn2.as_str()));
    err_of(c.decrypt().ciphertext_blob(moved).send().await, "InvalidCiphertextException");
    // Wrong source context, wrong source key, tampered input.
    err_of(
        c.re_encrypt().ciphertext_blob(ctx.clone()).destination_key_id(&id2).send().await,
        "InvalidCiphertextException",
    );
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).source_key_id(&id2).destination_key_id(&id).send().await,
        "IncorrectKeyException",
    );
    let mut bad = ct.clone();
    bad[70] ^= 0x80;
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(bad)).destination_key_id(&id).send().await,
        "InvalidCiphertextException",
    );
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id("alias/none").send().await,
        "NotFoundException",
    );

    // GenerateDataKey: KeySpec or NumberOfBytes; the blob decrypts to the plaintext.
    for (spec, n) in
        [(Some(DataKeySpec::Aes256), 32), (Some(DataKeySpec::Aes128), 16), (None, 1), (None, 64), (None, 1024)]
    {
        let mut req = c.generate_data_key().key_id(&id).encryption_context("dk", "1");
        req = match spec {
            Some(s) => req.key_spec(s),
            None => req.number_of_bytes(n),
        };
        let out = req.send().await.unwrap();
        assert_eq!(out.key_id(), Some(arn.as_str()));
        let plain = out.plaintext().unwrap().as_ref().to_vec();
        assert_eq!(plain.len(), n as usize);
        assert_eq!(out.key_material_id(), md.current_key_material_id());
        let back = c
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .encryption_context("dk", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), plain);
    }
    let a = c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    let b = c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    assert_ne!(a.plaintext(), b.plaintext(), "data keys are random");
    let either = "Please specify either number of bytes or key spec.";
    expect_err(c.generate_data_key().key_id(&id).send().await, "ValidationException", either);
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).number_of_bytes(32).send().await,
        "ValidationException",
        either,
    );
    expect_err(c.generate_data_key_without_plaintext().key_id(&id).send().await, "ValidationException", either);

    // GenerateDataKeyWithoutPlaintext: only the blob, which decrypts to a key of the asked size.
    for (spec, n) in [(Some(DataKeySpec::Aes256), 32), (Some(DataKeySpec::Aes128), 16), (None, 7)] {
        let mut req = c.generate_data_key_without_plaintext().key_id(&arn);
        req = match spec {
            Some(s) => req.key_spec(s),
            None => req.number_of_bytes(n),
        };
        let out = req.send().await.unwrap();
        assert_eq!(out.key_id(), Some(arn.as_str()));
        assert_eq!(out.key_material_id(), md.current_key_material_id());
        assert_eq!(decrypt(&c, out.ciphertext_blob().unwrap().as_ref()).await.len(), n as usize);
    }

    // GenerateRandom.
    for n in [1, 32, 1024] {
        let out = c.generate_random().number_of_bytes(n).send().await.unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref().len(), n as usize);
    }
    let r1 = c.generate_random().number_of_bytes(32).send().await.unwrap();
    let r2 = c.generate_random().number_of_bytes(32).send().await.unwrap();
    assert_ne!(r1.plaintext(), r2.plaintext());
}

#[tokio::test]
async fn dry_run_is_honoured() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;
    let (id2, _) = new_key(&c).await;
    let ct = encrypt(&c, &id, b"dry").await;

    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.decrypt().key_id(&id).dry_run(true).dry_run_modifiers(DryRunModifierType::IgnoreCiphertext).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id(&id2).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(8).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    // DryRun=false is an ordinary call.
    c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(false).send().await.unwrap();

    // A dry run still reports what the real call would fail with.
    err_of(c.encrypt().key_id("alias/none").plaintext(Blob::new("x")).dry_run(true).send().await, "NotFoundException");
    let mut bad = ct.clone();
    bad[60] ^= 1;
    err_of(c.decrypt().ciphertext_blob(Blob::new(bad)).dry_run(true).send().await, "InvalidCiphertextException");
    err_of(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&id2).dry_run(true).send().await,
        "IncorrectKeyException",
    );
    c.disable_key().key_id(&id).send().await.unwrap();
    err_of(c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(true).send().await, "DisabledException");
    err_of(
        c.decrypt().key_id(&id).dry_run(true).dry_run_modifiers(DryRunModifierType::IgnoreCiphertext).send().await,
        "DisabledException",
    );
    err_of(c.generate_data_key().key_id(&id).number_of_bytes(8).dry_run(true).send().await, "DisabledException");
    // Nothing counted a dry run as a success.
    assert_eq!(s.op_count("GenerateDataKey"), 0);
    assert_eq!(s.op_count("ReEncrypt"), 0);
}

// ---------------------------------------------------------------- validation limits

#[tokio::test]
async fn every_model_limit_is_enforced_at_its_boundary() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;

    // Plaintext 1–4096 bytes.
    let ct = encrypt(&c, &id, &[7u8; 4096]).await;
    assert_eq!(decrypt(&c, &ct).await, vec![7u8; 4096]);
    encrypt(&c, &id, &[1u8]).await;
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new(vec![0u8; 4097])).send().await,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new(Vec::new())).send().await,
        "ValidationException",
        &validation(
            "Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.encrypt().key_id(&id).send().await,
        "ValidationException",
        &validation("Value null at 'plaintext' failed to satisfy constraint: Member must not be null"),
    );

    // CiphertextBlob 1–6144 bytes (a 6144-byte blob passes validation and fails as a ciphertext).
    err_of(c.decrypt().ciphertext_blob(Blob::new(vec![1u8; 6144])).send().await, "InvalidCiphertextException");
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(vec![1u8; 6145])).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
        ),
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(Vec::new())).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.decrypt().send().await,
        "ValidationException",
        &validation("Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null"),
    );
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(vec![1u8; 6145])).destination_key_id(&id).send().await,
        "ValidationException",
        &validation(
            "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
        ),
    );

    // NumberOfBytes 1–1024.
    let nob_low = validation(
        "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    let nob_high = validation(
        "Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    expect_err(c.generate_data_key().key_id(&id).number_of_bytes(0).send().await, "ValidationException", &nob_low);
    expect_err(c.generate_data_key().key_id(&id).number_of_bytes(1025).send().await, "ValidationException", &nob_high);
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(0).send().await,
        "ValidationException",
        &nob_low,
    );
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(1025).send().await,
        "ValidationException",
        &nob_high,
    );
    c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(1024).send().await.unwrap();
    expect_err(c.generate_random().number_of_bytes(0).send().await, "ValidationException", &nob_low);
    expect_err(c.generate_random().number_of_bytes(1025).send().await, "ValidationException", &nob_high);
    expect_err(
        c.generate_random().number_of_bytes(-1).send().await,
        "ValidationException",
        &nob_low.replace("'0'", "'-1'"),
    );

    // Several violations are reported together, as AWS does.
    expect_err(
        c.generate_data_key().number_of_bytes(0).send().await,
        "ValidationException",
        "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );

    // KeyId 1–2048 characters.
    let long_id = "k".repeat(2049);
    expect_err(
        c.describe_key().key_id(&long_id).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{long_id}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"
        )),
    );
    err_of(c.describe_key().key_id("k".repeat(2048)).send().await, "NotFoundException");
    expect_err(
        c.describe_key().key_id("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    expect_err(
        c.describe_key().send().await,
        "ValidationException",
        &validation("Value null at 'keyId' failed to satisfy constraint: Member must not be null"),
    );
    err_of(c.encrypt().key_id(&long_id).plaintext(Blob::new("x")).send().await, "ValidationException");
    err_of(c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&long_id).send().await, "ValidationException");
    err_of(c.enable_key().key_id(&long_id).send().await, "ValidationException");
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id(&long_id).send().await,
        "ValidationException",
    );

    // Description 0–8192 characters.
    let d8192 = "d".repeat(8192);
    let md = c.create_key().description(&d8192).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.description(), Some(d8192.as_str()));
    let d8193 = "d".repeat(8193);
    let too_long = validation(&format!(
        "Value '{d8193}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192"
    ));
    expect_err(c.create_key().description(&d8193).send().await, "ValidationException", &too_long);
    expect_err(
        c.update_key_description().key_id(&id).description(&d8193).send().await,
        "ValidationException",
        &too_long,
    );
    c.update_key_description().key_id(&id).description(&d8192).send().await.unwrap();

    // Policy: 1–131072 characters of tab, LF, CR and U+0020–U+00FF.
    let pattern_violation = |v: &str| {
        validation(&format!(
            "Value '{v}' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
        ))
    };
    let emoji = "{\"Statement\": [], \"Sid\": \"\u{1F600}\"}";
    expect_err(
        c.put_key_policy().key_id(&id).policy(emoji).send().await,
        "ValidationException",
        &pattern_violation(emoji),
    );
    expect_err(c.create_key().policy(emoji).send().await, "ValidationException", &pattern_violation(emoji));
    let latin1 = "{\"Statement\": {\"Sid\": \"caf\u{e9} \u{ff}\",\t\r\n \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"111122223333\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}}";
    c.put_key_policy().key_id(&id).policy(latin1).send().await.unwrap();
    assert_eq!(c.get_key_policy().key_id(&id).send().await.unwrap().policy(), Some(latin1));
    expect_err(
        c.put_key_policy().key_id(&id).policy("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.put_key_policy().key_id(&id).policy("p".repeat(131_073)).send().await, "ValidationException");
    // PolicyName: 1–128 word characters.
    err_of(c.get_key_policy().key_id(&id).policy_name("de fault").send().await, "ValidationException");
    err_of(c.get_key_policy().key_id(&id).policy_name("d".repeat(129)).send().await, "ValidationException");

    // Grant tokens: 0–10 tokens of 1–8192 characters.
    let tokens = |n: usize, len: usize| (0..n).map(|i| format!("{i}{}", "t".repeat(len - 1))).collect::<Vec<_>>();
    // Ten tokens of 8,192 characters pass the model's checks; made-up tokens then fail as tokens.
    err_of(
        c.encrypt().key_id(&id).plaintext(Blob::new("g")).set_grant_tokens(Some(tokens(10, 8192))).send().await,
        "InvalidGrantTokenException",
    );
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("g")).set_grant_tokens(Some(tokens(11, 5))).send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
        ),
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).set_grant_tokens(Some(tokens(1, 8193))).send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens.1.member' failed to satisfy constraint: Member must have length less than or equal to 8192",
        ),
    );
    expect_err(
        c.generate_data_key().key_id(&id).number_of_bytes(1).grant_tokens("").send().await,
        "ValidationException",
        &validation(
            "Value at 'grantTokens.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.describe_key().key_id(&id).set_grant_tokens(Some(tokens(11, 1))).send().await, "ValidationException");

    // Limit 1–1000 and Marker 1–1024 characters of U+0020–U+00FF on every List operation.
    let limit0 = validation(
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    let limit1001 = validation(
        "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    expect_err(c.list_keys().limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_keys().limit(1001).send().await, "ValidationException", &limit1001);
    c.list_keys().limit(1000).send().await.unwrap();
    expect_err(c.list_aliases().limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_aliases().limit(1001).send().await, "ValidationException", &limit1001);
    expect_err(c.list_resource_tags().key_id(&id).limit(0).send().await, "ValidationException", &limit0);
    expect_err(c.list_key_policies().key_id(&id).limit(1001).send().await, "ValidationException", &limit1001);
    expect_err(c.list_key_rotations().key_id(&id).limit(0).send().await, "ValidationException", &limit0);
    expect_err(
        c.list_keys().marker("").send().await,
        "ValidationException",
        &validation(
            "Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    let m1025 = "m".repeat(1025);
    expect_err(
        c.list_keys().marker(&m1025).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{m1025}' at 'marker' failed to satisfy constraint: Member must have length less than or equal to 1024"
        )),
    );
    expect_err(
        c.list_aliases().marker("snow\u{2603}").send().await,
        "ValidationException",
        &validation(
            "Value 'snow\u{2603}' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
        ),
    );

    // RotationPeriodInDays 90–2560.
    expect_err(
        c.enable_key_rotation().key_id(&id).rotation_period_in_days(89).send().await,
        "ValidationException",
        &validation(
            "Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
        ),
    );
    expect_err(
        c.enable_key_rotation().key_id(&id).rotation_period_in_days(2561).send().await,
        "ValidationException",
        &validation(
            "Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
        ),
    );
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(2560).send().await.unwrap();
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(90).send().await.unwrap();

    // Enumerations.
    expect_err(
        c.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::from("AES"))
            .send()
            .await,
        "ValidationException",
        &validation(
            "Value 'AES' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
        ),
    );
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::from("AES_512")).send().await,
        "ValidationException",
        &validation(
            "Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
        ),
    );
}

// ---------------------------------------------------------------- listing

#[tokio::test]
async fn list_keys_paginates_with_limit_and_marker() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let mut created = BTreeSet::new();
    for _ in 0..5 {
        created.insert(new_key(&c).await.0);
    }

    let all = c.list_keys().send().await.unwrap();
    assert!(!all.truncated());
    assert_eq!(all.next_marker(), None);
    let listed: BTreeSet<String> = all.keys().iter().map(|k| k.key_id().unwrap().to_owned()).collect();
    assert_eq!(listed, created);
    for k in all.keys() {
        assert_eq!(k.key_arn(), Some(key_arn(k.key_id().unwrap()).as_str()));
    }

    // Pages of 2: 2, 2, 1, no repeats, same set.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = c.list_keys().limit(2).set_marker(marker.clone()).send().await.unwrap();
        sizes.push(page.keys().len());
        seen.extend(page.keys().iter().map(|k| k.key_id().unwrap().to_owned()));
        if !page.truncated() {
            assert_eq!(page.next_marker(), None);
            break;
        }
        marker = Some(page.next_marker().expect("a truncated page has a NextMarker").to_owned());
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);

    // A marker Trent never issued is InvalidMarkerException.
    for garbage in ["garbage", "AAAA", "bm90LWEtbWFya2Vy", "!!!"] {
        err_of(c.list_keys().marker(garbage).send().await, "InvalidMarkerException");
    }

    // Keys pending deletion are still listed.
    let victim = created.iter().next().unwrap().clone();
    c.schedule_key_deletion().key_id(&victim).send().await.unwrap();
    assert_eq!(c.list_keys().send().await.unwrap().keys().len(), 5);
}

// ---------------------------------------------------------------- aliases

#[tokio::test]
async fn aliases_create_update_delete_list_and_rules() {
    // Paging below puts 101 aliases on one key: above AWS's 50 aliases per key
    // (quota L-340F62FB), so this test raises it.
    let s = TestServer::start_with_config(Some(
        "[quotas]\nenabled = false\n\n[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"L-340F62FB\"\nvalue = 200.0\n",
    ));
    let c = s.kms_client().await;
    let (k1, _) = new_key(&c).await;
    let (k2, arn2) = new_key(&c).await;

    let t0 = now();
    for n in ["alias/a1", "alias/a2", "alias/a3", "alias/a4"] {
        c.create_alias().alias_name(n).target_key_id(&k1).send().await.unwrap();
    }
    // TargetKeyId may be a key ARN.
    c.create_alias().alias_name("alias/b").target_key_id(&arn2).send().await.unwrap();

    let all = c.list_aliases().send().await.unwrap();
    assert!(!all.truncated());
    let names: Vec<&str> = all.aliases().iter().map(|a| a.alias_name().unwrap()).collect();
    assert_eq!(names, ["alias/a1", "alias/a2", "alias/a3", "alias/a4", "alias/b"]);
    let b = &all.aliases()[4];
    assert_eq!(b.alias_arn(), Some(alias_arn("alias/b").as_str()));
    assert_eq!(b.target_key_id(), Some(k2.as_str()));
    let created = b.creation_date().unwrap().as_secs_f64();
    assert!(created >= t0.floor() - 1.0 && created <= now() + 1.0);
    assert!(b.last_updated_date().is_some());

    // KeyId filter, by id and by ARN.
    let only = c.list_aliases().key_id(&k2).send().await.unwrap();
    assert_eq!(only.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/b"]);
    assert_eq!(c.list_aliases().key_id(&arn2).send().await.unwrap().aliases().len(), 1);
    let (k3, _) = new_key(&c).await;
    assert!(c.list_aliases().key_id(&k3).send().await.unwrap().aliases().is_empty());
    err_of(c.list_aliases().key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").send().await, "NotFoundException");

    // Pagination with Limit and Marker.
    let p1 = c.list_aliases().limit(2).send().await.unwrap();
    assert!(p1.truncated());
    let p2 = c.list_aliases().limit(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert!(p2.truncated());
    let p3 = c.list_aliases().limit(2).marker(p2.next_marker().unwrap()).send().await.unwrap();
    assert!(!p3.truncated());
    assert_eq!(p3.next_marker(), None);
    let paged: Vec<&str> =
        [&p1, &p2, &p3].iter().flat_map(|p| p.aliases().iter().map(|a| a.alias_name().unwrap())).collect();
    assert_eq!(paged, names);
    let f1 = c.list_aliases().key_id(&k1).limit(3).send().await.unwrap();
    assert_eq!(f1.aliases().len(), 3);
    let f2 = c.list_aliases().key_id(&k1).limit(3).marker(f1.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(f2.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/a4"]);
    err_of(c.list_aliases().marker("garbage").send().await, "InvalidMarkerException");

    // Duplicate name.
    expect_err(
        c.create_alias().alias_name("alias/b").target_key_id(&k1).send().await,
        "AlreadyExistsException",
        &format!("An alias with the name {} already exists", alias_arn("alias/b")),
    );
    // The alias/ prefix is required; alias/aws/ is reserved.
    let prefix = "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";
    expect_err(c.create_alias().alias_name("noprefix").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.create_alias().alias_name("alias/").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.update_alias().alias_name("noprefix").target_key_id(&k1).send().await, "ValidationException", prefix);
    expect_err(c.delete_alias().alias_name("noprefix").send().await, "ValidationException", prefix);
    let reserved = [
        err_of(
            c.create_alias().alias_name("alias/aws/s3").target_key_id(&k1).send().await,
            "InvalidAliasNameException",
        ),
        err_of(
            c.update_alias().alias_name("alias/aws/s3").target_key_id(&k1).send().await,
            "InvalidAliasNameException",
        ),
        err_of(c.delete_alias().alias_name("alias/aws/s3").send().await, "InvalidAliasNameException"),
    ];
    for msg in reserved {
        let msg = msg.unwrap();
        assert!(msg.contains("alias/aws/"), "{msg}");
    }
    // Model constraints: 1–256 characters of [a-zA-Z0-9:/_-].
    let a256 = format!("alias/{}", "x".repeat(250));
    c.create_alias().alias_name(&a256).target_key_id(&k1).send().await.unwrap();
    let a257 = format!("alias/{}", "x".repeat(251));
    expect_err(
        c.create_alias().alias_name(&a257).target_key_id(&k1).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{a257}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256"
        )),
    );
    expect_err(
        c.create_alias().alias_name("alias/has space").target_key_id(&k1).send().await,
        "ValidationException",
        &validation(
            "Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ),
    );
    err_of(c.create_alias().alias_name("alias/with:colon").target_key_id(&k1).send().await, "ValidationException");
    expect_err(
        c.create_alias().alias_name("alias/x").send().await,
        "ValidationException",
        &validation("Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null"),
    );
    // The target must be a key, named by id or ARN.
    err_of(c.create_alias().alias_name("alias/x").target_key_id("alias/b").send().await, "NotFoundException");
    err_of(
        c.create_alias().alias_name("alias/x").target_key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").send().await,
        "NotFoundException",
    );

    // UpdateAlias moves the alias; encryption by alias follows it.
    let before = encrypt(&c, "alias/a1", b"v1").await;
    c.update_alias().alias_name("alias/a1").target_key_id(&k2).send().await.unwrap();
    let out = c.encrypt().key_id("alias/a1").plaintext(Blob::new("v2")).send().await.unwrap();
    assert_eq!(out.key_id(), Some(arn2.as_str()));
    assert_eq!(decrypt(&c, &before).await, b"v1", "old ciphertexts keep their key");
    let moved = c.list_aliases().key_id(&k2).send().await.unwrap();
    assert_eq!(moved.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/a1", "alias/b"]);
    expect_err(
        c.update_alias().alias_name("alias/none").target_key_id(&k2).send().await,
        "NotFoundException",
        &format!("Alias {} is not found.", alias_arn("alias/none")),
    );

    // DeleteAlias removes the name, not the key.
    c.delete_alias().alias_name("alias/b").send().await.unwrap();
    expect_err(
        c.delete_alias().alias_name("alias/b").send().await,
        "NotFoundException",
        &format!("Alias {} is not found.", alias_arn("alias/b")),
    );
    err_of(c.describe_key().key_id("alias/b").send().await, "NotFoundException");
    assert_eq!(state_of(&c, &k2).await, KeyState::Enabled);
    // The name is free again.
    c.create_alias().alias_name("alias/b").target_key_id(&k3).send().await.unwrap();
    assert_eq!(c.describe_key().key_id("alias/b").send().await.unwrap().key_metadata.unwrap().key_id(), k3);

    // Pages hold 50 aliases by default and never more than 100, whatever Limit says.
    for i in 0..100 {
        c.create_alias().alias_name(format!("alias/many-{i:03}")).target_key_id(&k3).send().await.unwrap();
    }
    let page = c.list_aliases().key_id(&k3).send().await.unwrap();
    assert_eq!((page.aliases().len(), page.truncated()), (50, true));
    let page = c.list_aliases().key_id(&k3).limit(1000).send().await.unwrap();
    assert_eq!((page.aliases().len(), page.truncated()), (100, true));
    let rest = c.list_aliases().key_id(&k3).limit(1000).marker(page.next_marker().unwrap()).send().await.unwrap();
    assert_eq!((rest.aliases().len(), rest.truncated()), (1, false));
}

// ---------------------------------------------------------------- tags

#[tokio::test]
async fn tag_untag_and_list_resource_tags() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;

    c.tag_resource().key_id(&id).tags(tag("b", "2")).tags(tag("a", "1")).send().await.unwrap();
    c.tag_resource().key_id(&arn).tags(tag("c", "3")).tags(tag("a", "one")).send().await.unwrap();
    let tags = c.list_resource_tags().key_id(&id).send().await.unwrap();
    assert!(!tags.truncated());
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.tag_key(), t.tag_value())).collect();
    assert_eq!(pairs, [("a", "one"), ("b", "2"), ("c", "3")]);

    // Pagination.
    let p1 = c.list_resource_tags().key_id(&id).limit(2).send().await.unwrap();
    assert!(p1.truncated());
    assert_eq!(p1.tags().len(), 2);
    let p2 = c.list_resource_tags().key_id(&id).limit(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert!(!p2.truncated());
    assert_eq!(p2.tags().iter().map(|t| t.tag_key()).collect::<Vec<_>>(), ["c"]);
    err_of(c.list_resource_tags().key_id(&id).marker("garbage").send().await, "InvalidMarkerException");

    // UntagResource; unknown keys are ignored.
    c.untag_resource().key_id(&id).tag_keys("b").tag_keys("zzz").send().await.unwrap();
    let keys: Vec<String> = c
        .list_resource_tags()
        .key_id(&arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| t.tag_key().to_owned())
        .collect();
    assert_eq!(keys, ["a", "c"]);

    // aws: is reserved.
    let msg = err_of(c.tag_resource().key_id(&id).tags(tag("aws:owner", "me")).send().await, "TagException").unwrap();
    assert!(msg.contains("aws:"), "{msg}");
    err_of(c.create_key().tags(tag("aws:x", "y")).send().await, "TagException");
    assert_eq!(c.list_resource_tags().key_id(&id).send().await.unwrap().tags().len(), 2);

    // Lengths: key 1–128, value 0–256.
    c.tag_resource()
        .key_id(&id)
        .tags(tag(&"k".repeat(128), &"v".repeat(256)))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    let k129 = "k".repeat(129);
    expect_err(
        c.tag_resource().key_id(&id).tags(tag(&k129, "v")).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{k129}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"
        )),
    );
    let v257 = "v".repeat(257);
    expect_err(
        c.tag_resource().key_id(&id).tags(tag("ok", "ok")).tags(tag("k", &v257)).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{v257}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"
        )),
    );
    expect_err(
        c.tag_resource().key_id(&id).tags(tag("", "v")).send().await,
        "ValidationException",
        &validation(
            "Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    );
    err_of(c.create_key().tags(tag(&k129, "v")).send().await, "ValidationException");
    expect_err(
        c.untag_resource().key_id(&id).tag_keys(&k129).send().await,
        "ValidationException",
        &validation(&format!(
            "Value '{k129}' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length less than or equal to 128"
        )),
    );

    // At most 50 tags per key.
    let (full, _) = new_key(&c).await;
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("t{i:02}"), "x")).collect();
    c.tag_resource().key_id(&full).set_tags(Some(fifty)).send().await.unwrap();
    c.tag_resource().key_id(&full).tags(tag("t00", "replaced")).send().await.unwrap();
    err_of(c.tag_resource().key_id(&full).tags(tag("one-more", "x")).send().await, "TagException");
    let p = c.list_resource_tags().key_id(&full).send().await.unwrap();
    assert_eq!(p.tags().len(), 50);
    assert!(!p.truncated());
    // ListResourceTags returns at most 50 a page, whatever Limit says.
    assert_eq!(c.list_resource_tags().key_id(&full).limit(1000).send().await.unwrap().tags().len(), 50);
    err_of(
        c.tag_resource().key_id("0b7a7f4c-6a0e-4e8a-9c0d-2f5b0c1d2e3f").tags(tag("a", "b")).send().await,
        "NotFoundException",
    );
}

// ---------------------------------------------------------------- rotation

#[tokio::test]
async fn rotation_on_demand_and_automatic_settings() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;

    let st = c.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(!st.key_rotation_enabled());
    assert_eq!(st.key_id(), Some(arn.as_str()));
    assert_eq!(st.rotation_period_in_days(), None);
    assert_eq!(st.next_rotation_date(), None);
    assert!(c.list_key_rotations().key_id(&id).send().await.unwrap().rotations().is_empty());

    // EnableKeyRotation with a period; the default is 365 days.
    let t0 = now();
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(90).send().await.unwrap();
    let st = c.get_key_rotation_status().key_id(&arn).send().await.unwrap();
    assert!(st.key_rotation_enabled());
    assert_eq!(st.rotation_period_in_days(), Some(90));
    let next = st.next_rotation_date().unwrap().as_secs_f64();
    assert!((next - (t0 + 90.0 * DAY)).abs() < 60.0, "NextRotationDate {next}");
    c.enable_key_rotation().key_id(&arn).send().await.unwrap();
    assert_eq!(c.get_key_rotation_status().key_id(&id).send().await.unwrap().rotation_period_in_days(), Some(365));
    c.disable_key_rotation().key_id(&id).send().await.unwrap();
    let st = c.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(!st.key_rotation_enabled());
    assert_eq!(st.next_rotation_date(), None);
    c.enable_key_rotation().key_id(&id).rotation_period_in_days(180).send().await.unwrap();

    // On-demand rotation makes new material; old ciphertexts still decrypt.
    let md0 = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    let m0 = md0.current_key_material_id().unwrap().to_owned();
    let old = encrypt(&c, &id, b"before rotation").await;
    let t1 = now();
    let out = c.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    let m1 = c
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id()
        .unwrap()
        .to_owned();
    assert_ne!(m0, m1);
    let new = encrypt(&c, &id, b"after rotation").await;
    let dec_old = c.decrypt().ciphertext_blob(Blob::new(old.clone())).send().await.unwrap();
    assert_eq!(dec_old.plaintext().unwrap().as_ref(), b"before rotation");
    assert_eq!(dec_old.key_material_id(), Some(m0.as_str()));
    let dec_new = c.decrypt().ciphertext_blob(Blob::new(new.clone())).send().await.unwrap();
    assert_eq!(dec_new.plaintext().unwrap().as_ref(), b"after rotation");
    assert_eq!(dec_new.key_material_id(), Some(m1.as_str()));
    let gdk = c.generate_data_key().key_id(&id).number_of_bytes(16).send().await.unwrap();
    assert_eq!(gdk.key_material_id(), Some(m1.as_str()));
    // ReEncrypt moves an old ciphertext to the new material of the same key.
    let re = c.re_encrypt().ciphertext_blob(Blob::new(old.clone())).destination_key_id(&id).send().await.unwrap();
    assert_eq!(re.source_key_material_id(), Some(m0.as_str()));
    assert_eq!(re.destination_key_material_id(), Some(m1.as_str()));
    // The automatic schedule is untouched.
    assert_eq!(c.get_key_rotation_status().key_id(&id).send().await.unwrap().rotation_period_in_days(), Some(180));

    // ListKeyRotations shows the on-demand rotation.
    let rots = c.list_key_rotations().key_id(&id).send().await.unwrap();
    assert!(!rots.truncated());
    assert_eq!(rots.rotations().len(), 1);
    let r = &rots.rotations()[0];
    assert_eq!(r.key_id(), Some(arn.as_str()));
    assert_eq!(r.key_material_id(), Some(m1.as_str()));
    assert_eq!(r.rotation_type(), Some(&RotationType::OnDemand));
    assert_eq!(r.key_material_state(), Some(&KeyMaterialState::Current));
    let when = r.rotation_date().unwrap().as_secs_f64();
    assert!(when >= t1.floor() - 1.0 && when <= now() + 1.0, "RotationDate {when}");

    // A second rotation, then ALL_KEY_MATERIAL lists the original material too, paginated.
    c.rotate_key_on_demand().key_id(&arn).send().await.unwrap();
    assert_eq!(decrypt(&c, &old).await, b"before rotation");
    assert_eq!(decrypt(&c, &new).await, b"after rotation");
    let all = c
        .list_key_rotations()
        .key_id(&id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    let states: Vec<(Option<&RotationType>, Option<&KeyMaterialState>)> =
        all.rotations().iter().map(|r| (r.rotation_type(), r.key_material_state())).collect();
    assert_eq!(
        states,
        [
            (None, Some(&KeyMaterialState::NonCurrent)),
            (Some(&RotationType::OnDemand), Some(&KeyMaterialState::NonCurrent)),
            (Some(&RotationType::OnDemand), Some(&KeyMaterialState::Current)),
        ]
    );
    assert_eq!(all.rotations()[0].key_material_id(), Some(m0.as_str()));
    let p1 = c
        .list_key_rotations()
        .key_id(&id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert!(p1.truncated());
    let p2 = c
        .list_key_rotations()
        .key_id(&id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .limit(2)
        .marker(p1.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!p2.truncated());
    assert_eq!(p1.rotations().len() + p2.rotations().len(), 3);
    assert_eq!(p2.rotations()[0].key_material_state(), Some(&KeyMaterialState::Current));
    err_of(c.list_key_rotations().key_id(&id).marker("garbage").send().await, "InvalidMarkerException");
    let rotations_only = c
        .list_key_rotations()
        .key_id(&id)
        .include_key_material(IncludeKeyMaterial::RotationsOnly)
        .send()
        .await
        .unwrap();
    assert_eq!(rotations_only.rotations().len(), 2);

    // Disabled keys cannot be rotated or have rotation changed, but keep their status.
    c.disable_key().key_id(&id).send().await.unwrap();
    let disabled = format!("{arn} is disabled.");
    expect_err(c.rotate_key_on_demand().key_id(&id).send().await, "DisabledException", &disabled);
    expect_err(c.enable_key_rotation().key_id(&id).send().await, "DisabledException", &disabled);
    expect_err(c.disable_key_rotation().key_id(&id).send().await, "DisabledException", &disabled);
    assert!(c.get_key_rotation_status().key_id(&id).send().await.unwrap().key_rotation_enabled());
    c.list_key_rotations().key_id(&id).send().await.unwrap();

    // Pending deletion: rotation status reads false; cancelling restores it.
    c.schedule_key_deletion().key_id(&id).send().await.unwrap();
    let st = c.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(!st.key_rotation_enabled());
    assert_eq!(st.next_rotation_date(), None);
    c.cancel_key_deletion().key_id(&id).send().await.unwrap();
    let st = c.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(st.key_rotation_enabled());
    assert_eq!(st.rotation_period_in_days(), Some(180));

    // Rotation operations take a key id or ARN only.
    c.create_alias().alias_name("alias/rot").target_key_id(&id).send().await.unwrap();
    err_of(c.rotate_key_on_demand().key_id("alias/rot").send().await, "NotFoundException");
    err_of(c.get_key_rotation_status().key_id("alias/rot").send().await, "NotFoundException");
}

// ---------------------------------------------------------------- protocol and authentication

#[tokio::test]
async fn bad_signatures_and_unknown_access_keys_are_refused() {
    let s = TestServer::start_unthrottled();
    let good = s.kms_client().await;
    let (id, _) = new_key(&good).await;

    let wrong_secret = s.kms_client_as(DEV_ACCESS_KEY_ID, "not-the-secret", REGION, 1).await;
    expect_err(
        wrong_secret.describe_key().key_id(&id).send().await,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
    err_of(wrong_secret.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await, "InvalidSignatureException");
    err_of(wrong_secret.list_keys().send().await, "InvalidSignatureException");

    let stranger = s.kms_client_as("AKIAUNKNOWN000000000", DEV_SECRET_ACCESS_KEY, REGION, 1).await;
    expect_err(
        stranger.list_keys().send().await,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    err_of(stranger.create_key().send().await, "UnrecognizedClientException");

    // Nothing was created or counted by the refused requests.
    assert_eq!(good.list_keys().send().await.unwrap().keys().len(), 1);
    assert_eq!(s.op_count("CreateKey"), 1);
}

#[tokio::test]
async fn raw_protocol_unknown_operation_and_missing_authentication() {
    let s = TestServer::start_unthrottled();

    // An unknown operation: 400 and UnknownOperationException, before any signature check.
    let (status, head, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.NoSuchOp\r\nContent-Type: application/x-amz-json-1.1\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{head}\n{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/x-amz-json-1.1"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], "UnknownOperationException", "{body}");
    assert_no_internals(&body);

    // No target at all, and another service's prefix.
    for target in ["", "X-Amz-Target: DynamoDB_20120810.ListTables\r\n"] {
        let (status, _, body) = raw_http(
            &s.endpoint,
            &format!("POST / HTTP/1.1\r\n{target}Content-Type: application/x-amz-json-1.1\r\n"),
            b"{}",
        );
        assert_eq!(status, 400);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["__type"], "UnknownOperationException");
    }

    // A real operation without a signature.
    let (status, _, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], "MissingAuthenticationTokenException");
    assert_eq!(json["message"], "Missing Authentication Token");

    // A garbage Authorization header is refused without detail about internals.
    let (status, _, body) = raw_http(
        &s.endpoint,
        "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 nonsense\r\nX-Amz-Date: 20240101T000000Z\r\n",
        b"{}",
    );
    assert_eq!(status, 400, "{body}");
    assert_no_internals(&body);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["__type"].is_string());
}

#[tokio::test]
async fn malformed_request_bodies_are_client_errors_without_internals() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;
    // A ciphertext of every length up to the header, and random junk, never crash or leak.
    for len in [1usize, 2, 17, 49, 61, 77, 100, 6144] {
        let junk: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        err_of(c.decrypt().ciphertext_blob(Blob::new(junk.clone())).send().await, "InvalidCiphertextException");
        err_of(
            c.decrypt().ciphertext_blob(Blob::new(junk.clone())).key_id(&id).send().await,
            "InvalidCiphertextException",
        );
        err_of(
            c.re_encrypt().ciphertext_blob(Blob::new(junk)).destination_key_id(&id).send().await,
            "InvalidCiphertextException",
        );
    }
    // Every error so far was counted as an error, never as a success.
    assert_eq!(s.op_count("Decrypt"), 0);
    assert!(s.count("Decrypt", "error") >= 16);
}
