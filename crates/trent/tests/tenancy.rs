//! Authentication and tenancy: configured principals, one namespace per
//! account and region, and the development principal only on loopback.

mod common;

use std::process::Command;

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use common::TestServer;

const CONFIG: &str = r#"
[[principals]]
access_key_id = "AKIAALICE00000000000"
secret_access_key = "alice-secret"
account_id = "111111111111"
arn = "arn:aws:iam::111111111111:user/alice"

[[principals]]
access_key_id = "AKIABOB0000000000000"
secret_access_key = "bob-secret"
account_id = "222222222222"
"#;

#[tokio::test]
async fn accounts_and_regions_are_separate_namespaces() {
    let server = TestServer::start_with_config(Some(CONFIG));
    let alice = server.kms_client_as("AKIAALICE00000000000", "alice-secret", "us-east-1", 1).await;
    let alice_west = server.kms_client_as("AKIAALICE00000000000", "alice-secret", "eu-west-1", 1).await;
    let bob = server.kms_client_as("AKIABOB0000000000000", "bob-secret", "us-east-1", 1).await;

    let key = alice.create_key().send().await.expect("create").key_metadata().expect("md").clone();
    assert_eq!(key.arn(), Some(format!("arn:aws:kms:us-east-1:111111111111:key/{}", key.key_id()).as_str()));
    assert_eq!(key.aws_account_id(), Some("111111111111"));
    alice.create_alias().alias_name("alias/shared-name").target_key_id(key.key_id()).send().await.expect("alias");

    // Bob's account sees none of it: by id or alias it is not there, by ARN the
    // key policy (the default one: alice's account only) refuses him.
    assert_eq!(bob.list_keys().send().await.expect("list").keys().len(), 0);
    for id in [key.key_id(), "alias/shared-name"] {
        let e = bob.describe_key().key_id(id).send().await.expect_err("bob must not see alice's key");
        assert_eq!(e.into_service_error().code(), Some("NotFoundException"), "{id}");
    }
    let e = bob.describe_key().key_id(key.arn().expect("arn")).send().await.expect_err("bob by ARN");
    assert_eq!(e.into_service_error().code(), Some("AccessDeniedException"));
    let bob_key = bob.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
    bob.create_alias()
        .alias_name("alias/shared-name")
        .target_key_id(&bob_key)
        .send()
        .await
        .expect("same alias name, other account");

    // Alice's ciphertext does not decrypt for Bob: the key it names refuses him.
    let ct = alice.encrypt().key_id(key.key_id()).plaintext(Blob::new("a")).send().await.expect("enc");
    let e =
        bob.decrypt().ciphertext_blob(ct.ciphertext_blob().expect("ct").clone()).send().await.expect_err("bob decrypt");
    assert_eq!(e.into_service_error().code(), Some("AccessDeniedException"));

    // Another region of the same account is another namespace too.
    assert_eq!(alice_west.list_keys().send().await.expect("list").keys().len(), 0);
    let e = alice_west.describe_key().key_id(key.key_id()).send().await.expect_err("other region");
    assert_eq!(e.into_service_error().code(), Some("NotFoundException"));

    // The development principal is not accepted once principals are configured.
    let dev = server.kms_client_as(common::DEV_ACCESS_KEY_ID, common::DEV_SECRET_ACCESS_KEY, "us-east-1", 1).await;
    let e = dev.list_keys().send().await.expect_err("dev principal");
    assert_eq!(e.into_service_error().code(), Some("UnrecognizedClientException"));
}

#[test]
fn development_principal_refuses_a_non_loopback_listener() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run trent");
    assert!(!out.status.success(), "trent must refuse to expose the development principal");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");
}
