//! Key lifecycle through the KMS API of a real `trent serve`, driven by
//! `aws-sdk-kms`: CreateKey and DescribeKey metadata, enabling, disabling,
//! descriptions and key policies, scheduling and cancelling deletion, ListKeys
//! paging, and rotation (on demand and automatic settings), with AWS's error
//! codes and messages.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, EncryptionAlgorithmSpec, IncludeKeyMaterial, KeyManagerType, KeyMaterialState, KeySpec, KeyState,
    KeyUsageType, OriginType, RotationType,
};
use common::api::{decrypt, encrypt, err_of, expect_err, key_arn, new_key, now, state_of, tag, validation};
use common::{DEV_ACCOUNT_ID, TestServer};

const DAY: f64 = 86_400.0;

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

    // MultiRegion makes a multi-Region primary key (tests/multi_region.rs covers the rest); it is listed.
    let keys_before = c.list_keys().send().await.unwrap().keys().len();
    let mrk = c.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
    assert!(mrk.key_id().starts_with("mrk-"), "{}", mrk.key_id());
    assert_eq!(c.list_keys().send().await.unwrap().keys().len(), keys_before + 1);

    // Specs Trent does not serve yet (SM2) are refused clearly; enum values are checked.
    err_of(
        c.create_key().key_spec(KeySpec::Sm2).key_usage(KeyUsageType::SignVerify).send().await,
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
