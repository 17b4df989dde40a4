//! Custom key stores end to end through aws-sdk-kms against `trent serve`:
//! the six operations on an emulated CloudHSM key store, the connection state
//! machine, every error with its code, keys in a store (Unavailable while the
//! store is disconnected, usable again after reconnecting), GenerateRandom
//! with a CustomKeyStoreId, and durability across SIGKILL.

mod common;

use std::fmt::Debug;

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{ConnectionStateType, CustomKeyStoreType, KeySpec, KeyState, KeyUsageType, OriginType};
use common::TestServer;

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBtrentTEST\n-----END CERTIFICATE-----\n";
const PASSWORD: &str = "kmsuser-password";

/// Per-operation quotas raised so the test is never throttled (5/s by default).
const CONFIG: &str = r#"
[quotas]
profile = "current"

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-08932E37"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-705B9E79"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-9F1FCF6D"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-E20AA94C"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-E99520CB"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-UpdateCustomKeyStore"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-32B67F4A"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-ScheduleKeyDeletion"
value = 1000.0
"#;

/// Asserts that `r` failed with HTTP 400 and `code`; returns the message.
fn err_of<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = match r {
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        Err(e) => e,
    };
    let status = e.raw_response().map(|r| r.status().as_u16());
    assert_eq!(e.code(), Some(code), "{e:?}");
    assert_eq!(status, Some(400), "{code} must be a client error");
    e.message().unwrap_or_default().to_owned()
}

async fn create_store(c: &Client, name: &str, cluster: &str) -> String {
    c.create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(cluster)
        .trust_anchor_certificate(CERT)
        .key_store_password(PASSWORD)
        .send()
        .await
        .expect("create custom key store")
        .custom_key_store_id()
        .expect("id")
        .to_owned()
}

async fn state(c: &Client, id: &str) -> ConnectionStateType {
    let out = c.describe_custom_key_stores().custom_key_store_id(id).send().await.expect("describe");
    assert_eq!(out.custom_key_stores().len(), 1);
    out.custom_key_stores()[0].connection_state().expect("state").clone()
}

async fn key_in(c: &Client, store: &str) -> String {
    let md = c
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id(store)
        .send()
        .await
        .expect("create key in store")
        .key_metadata
        .expect("metadata");
    md.key_id().to_owned()
}

async fn key_state(c: &Client, key: &str) -> KeyState {
    c.describe_key().key_id(key).send().await.expect("describe key").key_metadata.expect("md").key_state.expect("state")
}

#[tokio::test]
async fn lifecycle_state_machine_and_keys_in_a_store() {
    let server = TestServer::start_with_config(Some(CONFIG));
    let c = server.kms_client().await;

    // Create: DISCONNECTED, described as AWS lists it.
    let id = create_store(&c, "trent-store", "cluster-abcdefghijk").await;
    assert!(id.starts_with("cks-") && id.len() == 21, "{id}");
    let out = c.describe_custom_key_stores().custom_key_store_id(&id).send().await.unwrap();
    let e = &out.custom_key_stores()[0];
    assert_eq!(e.custom_key_store_name(), Some("trent-store"));
    assert_eq!(e.cloud_hsm_cluster_id(), Some("cluster-abcdefghijk"));
    assert_eq!(e.trust_anchor_certificate(), Some(CERT));
    assert_eq!(e.connection_state(), Some(&ConnectionStateType::Disconnected));
    assert_eq!(e.connection_error_code(), None);
    assert_eq!(e.custom_key_store_type(), Some(&CustomKeyStoreType::AwsCloudhsm));
    assert!(e.creation_date().is_some());
    assert!(!out.truncated());

    // No keys (nor random bytes) while disconnected.
    let m = err_of(
        c.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&id).send().await,
        "CustomKeyStoreInvalidStateException",
    );
    assert!(m.contains("DISCONNECTED"), "{m}");
    err_of(
        c.generate_random().number_of_bytes(16).custom_key_store_id(&id).send().await,
        "CustomKeyStoreInvalidStateException",
    );
    err_of(
        c.disconnect_custom_key_store().custom_key_store_id(&id).send().await,
        "CustomKeyStoreInvalidStateException",
    );

    // Connect: CONNECTED when the call returns (Trent's emulated cluster answers at once).
    c.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state(&c, &id).await, ConnectionStateType::Connected);
    // Connecting a connected store succeeds and changes nothing.
    c.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state(&c, &id).await, ConnectionStateType::Connected);

    // A key in the store.
    let md = c
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id(&id)
        .description("in the HSM")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let key = md.key_id().to_owned();
    assert_eq!(md.origin(), Some(&OriginType::AwsCloudhsm));
    assert_eq!(md.custom_key_store_id(), Some(id.as_str()));
    assert_eq!(md.cloud_hsm_cluster_id(), Some("cluster-abcdefghijk"));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.custom_key_store_id(), Some(id.as_str()));
    assert_eq!(md.cloud_hsm_cluster_id(), Some("cluster-abcdefghijk"));
    let blob = c.encrypt().key_id(&key).plaintext(Blob::new("secret")).send().await.unwrap().ciphertext_blob.unwrap();
    let dk = c.generate_data_key().key_id(&key).number_of_bytes(32).send().await.unwrap();
    assert_eq!(dk.plaintext().unwrap().as_ref().len(), 32);
    let random = c.generate_random().number_of_bytes(24).custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(random.plaintext().unwrap().as_ref().len(), 24);
    // Four requests drew on the store's pool (these three, and the GenerateRandom refused
    // while disconnected: quotas are charged before the store's state is checked), which
    // /metrics shows beside the account quotas.
    let metrics = server.metrics();
    let pool = |family: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(family) && l.contains(r#"quota_code="T-CustomKeyStore""#))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_owned)
    };
    assert_eq!(pool("trent_quota_admitted_total").as_deref(), Some("4"), "{metrics}");
    assert_eq!(pool("trent_quota_limit_per_second").as_deref(), Some("1800.0"), "{metrics}");

    // A disabled key keeps its own state across a disconnection.
    let disabled = key_in(&c, &id).await;
    c.disable_key().key_id(&disabled).send().await.unwrap();

    // Update and Delete need a disconnected store; a rename alone is allowed while connected.
    let m = err_of(
        c.update_custom_key_store().custom_key_store_id(&id).key_store_password("another-password").send().await,
        "CustomKeyStoreInvalidStateException",
    );
    assert!(m.contains("CONNECTED"), "{m}");
    c.update_custom_key_store().custom_key_store_id(&id).new_custom_key_store_name("renamed").send().await.unwrap();
    err_of(c.delete_custom_key_store().custom_key_store_id(&id).send().await, "CustomKeyStoreInvalidStateException");

    // Disconnect: the store's keys become Unavailable and refuse crypto.
    c.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state(&c, &id).await, ConnectionStateType::Disconnected);
    assert_eq!(key_state(&c, &key).await, KeyState::Unavailable);
    assert_eq!(key_state(&c, &disabled).await, KeyState::Unavailable);
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert!(!md.enabled());
    let m = err_of(c.encrypt().key_id(&key).plaintext(Blob::new("x")).send().await, "KMSInvalidStateException");
    assert!(m.contains("unavailable"), "{m}");
    err_of(c.decrypt().ciphertext_blob(blob.clone()).send().await, "KMSInvalidStateException");
    err_of(c.generate_data_key().key_id(&key).number_of_bytes(16).send().await, "KMSInvalidStateException");
    err_of(
        c.generate_data_key_without_plaintext().key_id(&key).number_of_bytes(16).send().await,
        "KMSInvalidStateException",
    );
    err_of(
        c.re_encrypt().ciphertext_blob(blob.clone()).destination_key_id(&key).send().await,
        "KMSInvalidStateException",
    );

    // Keys still exist: the store cannot be deleted.
    let m = err_of(c.delete_custom_key_store().custom_key_store_id(&id).send().await, "CustomKeyStoreHasCMKsException");
    assert!(m.contains(&id), "{m}");

    // Update while disconnected: password and a related cluster.
    c.update_custom_key_store()
        .custom_key_store_id(&id)
        .key_store_password("another-password")
        .cloud_hsm_cluster_id("cluster-zyxwvutsrqp")
        .send()
        .await
        .unwrap();
    let e = c.describe_custom_key_stores().custom_key_store_name("renamed").send().await.unwrap();
    assert_eq!(e.custom_key_stores()[0].custom_key_store_id(), Some(id.as_str()));
    assert_eq!(e.custom_key_stores()[0].cloud_hsm_cluster_id(), Some("cluster-zyxwvutsrqp"));
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(md.cloud_hsm_cluster_id(), Some("cluster-zyxwvutsrqp"));

    // Reconnect: usable again, old ciphertexts decrypt; the disabled key is Disabled again.
    c.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(key_state(&c, &key).await, KeyState::Enabled);
    assert_eq!(key_state(&c, &disabled).await, KeyState::Disabled);
    let pt = c.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap();
    assert_eq!(pt.as_ref(), b"secret");
    c.encrypt().key_id(&key).plaintext(Blob::new("again")).send().await.unwrap();
    err_of(c.encrypt().key_id(&disabled).plaintext(Blob::new("x")).send().await, "DisabledException");

    // Durable: the store and its keys survive SIGKILL.
    let server = server.kill9_and_restart();
    let c = server.kms_client().await;
    assert_eq!(state(&c, &id).await, ConnectionStateType::Connected);
    c.encrypt().key_id(&key).plaintext(Blob::new("after restart")).send().await.unwrap();

    // A store whose keys are pending deletion still cannot be deleted.
    c.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    for k in [&key, &disabled] {
        let out = c.schedule_key_deletion().key_id(k).pending_window_in_days(7).send().await.unwrap();
        assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    }
    err_of(c.delete_custom_key_store().custom_key_store_id(&id).send().await, "CustomKeyStoreHasCMKsException");
}

#[tokio::test]
async fn create_describe_update_delete_errors() {
    let server = TestServer::start_with_config(Some(CONFIG));
    let c = server.kms_client().await;
    let a = create_store(&c, "store-a", "cluster-aaaaaaaaaaa").await;

    // Names are unique per account and Region; clusters serve one store.
    err_of(
        c.create_custom_key_store()
            .custom_key_store_name("store-a")
            .cloud_hsm_cluster_id("cluster-bbbbbbbbbbb")
            .trust_anchor_certificate(CERT)
            .key_store_password(PASSWORD)
            .send()
            .await,
        "CustomKeyStoreNameInUseException",
    );
    err_of(
        c.create_custom_key_store()
            .custom_key_store_name("store-b")
            .cloud_hsm_cluster_id("cluster-aaaaaaaaaaa")
            .trust_anchor_certificate(CERT)
            .key_store_password(PASSWORD)
            .send()
            .await,
        "CloudHsmClusterInUseException",
    );
    // The failed attempts claimed nothing: store-b can be created now.
    let b = create_store(&c, "store-b", "cluster-bbbbbbbbbbb").await;
    // The same name in another Region is another namespace.
    let west = server.kms_client_as(&server.access_key_id, &server.secret_access_key, "us-west-2", 1).await;
    let w = create_store(&west, "store-a", "cluster-aaaaaaaaaaa").await;
    assert_eq!(west.describe_custom_key_stores().send().await.unwrap().custom_key_stores().len(), 1);
    err_of(c.describe_custom_key_stores().custom_key_store_id(&w).send().await, "CustomKeyStoreNotFoundException");

    // CloudHSM members are required; the cluster must exist; the anchor must match.
    let m = err_of(c.create_custom_key_store().custom_key_store_name("store-c").send().await, "ValidationException");
    assert!(m.contains("CloudHsmClusterId"), "{m}");
    err_of(
        c.create_custom_key_store()
            .custom_key_store_name("store-c")
            .cloud_hsm_cluster_id("not-a-cluster-id-at-all")
            .trust_anchor_certificate(CERT)
            .key_store_password(PASSWORD)
            .send()
            .await,
        "CloudHsmClusterNotFoundException",
    );
    err_of(
        c.create_custom_key_store()
            .custom_key_store_name("store-c")
            .cloud_hsm_cluster_id("cluster-ccccccccccc")
            .trust_anchor_certificate("not a certificate")
            .key_store_password(PASSWORD)
            .send()
            .await,
        "IncorrectTrustAnchorException",
    );
    let m = err_of(
        c.create_custom_key_store()
            .custom_key_store_name("store-c")
            .cloud_hsm_cluster_id("cluster-ccccccccccc")
            .trust_anchor_certificate(CERT)
            .key_store_password("short")
            .send()
            .await,
        "ValidationException",
    );
    assert!(m.contains("keyStorePassword") && !m.contains("short"), "the password is never echoed: {m}");
    let m = err_of(
        c.create_custom_key_store()
            .custom_key_store_name("xks")
            .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    assert!(m.contains("EXTERNAL_KEY_STORE"), "{m}");
    // An external key store member alone is refused too, on create and on update.
    err_of(
        c.create_custom_key_store().custom_key_store_name("xks2").xks_proxy_uri_path("/kms/xks/v1").send().await,
        "UnsupportedOperationException",
    );
    err_of(
        c.update_custom_key_store()
            .custom_key_store_id(&a)
            .xks_proxy_uri_endpoint("https://xks.example.com")
            .send()
            .await,
        "UnsupportedOperationException",
    );

    // Describe: unknown id / name, pagination with Limit and Marker, bad marker.
    err_of(
        c.describe_custom_key_stores().custom_key_store_id("cks-00000000000000000").send().await,
        "CustomKeyStoreNotFoundException",
    );
    err_of(
        c.describe_custom_key_stores().custom_key_store_name("nope").send().await,
        "CustomKeyStoreNotFoundException",
    );
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out =
            c.describe_custom_key_stores().limit(1).set_marker(marker.clone()).send().await.expect("describe page");
        assert_eq!(out.custom_key_stores().len(), 1);
        seen.push(out.custom_key_stores()[0].custom_key_store_id().unwrap().to_owned());
        if !out.truncated() {
            assert!(out.next_marker().is_none());
            break;
        }
        marker = out.next_marker().map(str::to_owned);
    }
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    err_of(c.describe_custom_key_stores().marker("garbage").send().await, "InvalidMarkerException");
    err_of(c.describe_custom_key_stores().limit(0).send().await, "ValidationException");

    // Unknown store for every operation that names one.
    let ghost = "cks-0123456789abcdef0";
    err_of(c.connect_custom_key_store().custom_key_store_id(ghost).send().await, "CustomKeyStoreNotFoundException");
    err_of(c.disconnect_custom_key_store().custom_key_store_id(ghost).send().await, "CustomKeyStoreNotFoundException");
    err_of(c.update_custom_key_store().custom_key_store_id(ghost).send().await, "CustomKeyStoreNotFoundException");
    err_of(c.delete_custom_key_store().custom_key_store_id(ghost).send().await, "CustomKeyStoreNotFoundException");
    err_of(
        c.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(ghost).send().await,
        "CustomKeyStoreNotFoundException",
    );
    err_of(
        c.generate_random().number_of_bytes(8).custom_key_store_id(ghost).send().await,
        "CustomKeyStoreNotFoundException",
    );

    // Update: a rename onto a used name; a cluster used by another store; a bad cluster.
    err_of(
        c.update_custom_key_store().custom_key_store_id(&b).new_custom_key_store_name("store-a").send().await,
        "CustomKeyStoreNameInUseException",
    );
    err_of(
        c.update_custom_key_store().custom_key_store_id(&b).cloud_hsm_cluster_id("cluster-aaaaaaaaaaa").send().await,
        "CloudHsmClusterInUseException",
    );
    err_of(
        c.update_custom_key_store().custom_key_store_id(&b).cloud_hsm_cluster_id("cluster-!!!!!!!!!!!").send().await,
        "CloudHsmClusterNotFoundException",
    );
    // Renamed, the old name is free again.
    c.update_custom_key_store().custom_key_store_id(&a).new_custom_key_store_name("store-a2").send().await.unwrap();
    let again = create_store(&c, "store-a", "cluster-ddddddddddd").await;

    // CreateKey: Origin and CustomKeyStoreId go together; only symmetric encryption keys.
    c.connect_custom_key_store().custom_key_store_id(&b).send().await.unwrap();
    err_of(c.create_key().origin(OriginType::AwsCloudhsm).send().await, "ValidationException");
    err_of(c.create_key().custom_key_store_id(&b).send().await, "ValidationException");
    err_of(
        c.create_key()
            .origin(OriginType::AwsCloudhsm)
            .custom_key_store_id(&b)
            .key_spec(KeySpec::Hmac256)
            .key_usage(KeyUsageType::GenerateVerifyMac)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    err_of(
        c.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&b).multi_region(true).send().await,
        "UnsupportedOperationException",
    );

    // Delete: a disconnected empty store goes, and with it its name and cluster.
    c.delete_custom_key_store().custom_key_store_id(&a).send().await.unwrap();
    err_of(c.describe_custom_key_stores().custom_key_store_id(&a).send().await, "CustomKeyStoreNotFoundException");
    create_store(&c, "store-a2", "cluster-aaaaaaaaaaa").await;
    c.delete_custom_key_store().custom_key_store_id(&again).send().await.unwrap();

    // At most 10 custom key stores per account and Region.
    let existing = c.describe_custom_key_stores().send().await.unwrap().custom_key_stores().len();
    for i in existing..10 {
        create_store(&c, &format!("filler-{i}"), &format!("cluster-fill{}aaaaaaa", (b'a' + i as u8) as char)).await;
    }
    err_of(
        c.create_custom_key_store()
            .custom_key_store_name("one-too-many")
            .cloud_hsm_cluster_id("cluster-zzzzzzzzzzz")
            .trust_anchor_certificate(CERT)
            .key_store_password(PASSWORD)
            .send()
            .await,
        "LimitExceededException",
    );
}

#[tokio::test]
async fn failed_connection_and_recovery() {
    let server = TestServer::start_with_config(Some(CONFIG));
    let c = server.kms_client().await;
    // A cluster without active HSMs (Trent's convention: the id starts with cluster-nohsm).
    let id = create_store(&c, "no-hsms", "cluster-nohsmaaaaaa").await;
    c.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let out = c.describe_custom_key_stores().custom_key_store_id(&id).send().await.unwrap();
    let e = &out.custom_key_stores()[0];
    assert_eq!(e.connection_state(), Some(&ConnectionStateType::Failed));
    assert_eq!(e.connection_error_code().map(|c| c.as_str()), Some("INSUFFICIENT_CLOUDHSM_HSMS"));
    // FAILED cannot be connected again directly, nor used, updated or deleted.
    let m = err_of(
        c.connect_custom_key_store().custom_key_store_id(&id).send().await,
        "CustomKeyStoreInvalidStateException",
    );
    assert!(m.contains("FAILED"), "{m}");
    err_of(
        c.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&id).send().await,
        "CustomKeyStoreInvalidStateException",
    );
    err_of(c.delete_custom_key_store().custom_key_store_id(&id).send().await, "CustomKeyStoreInvalidStateException");
    // Disconnect, then repair with a cluster that has HSMs, then connect.
    c.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let out = c.describe_custom_key_stores().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(out.custom_key_stores()[0].connection_state(), Some(&ConnectionStateType::Disconnected));
    assert_eq!(out.custom_key_stores()[0].connection_error_code(), None);
    c.update_custom_key_store()
        .custom_key_store_id(&id)
        .cloud_hsm_cluster_id("cluster-withhsmsaaa")
        .send()
        .await
        .unwrap();
    c.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state(&c, &id).await, ConnectionStateType::Connected);
    key_in(&c, &id).await;
}
