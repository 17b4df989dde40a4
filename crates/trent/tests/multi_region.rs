//! Multi-Region keys through the KMS API of a real `trent serve`, in two
//! regions of one account, driven by aws-sdk-kms and boto3: a ciphertext made
//! in one region decrypts with the related key in the other (both ways),
//! DescribeKey's multi-Region shapes field by field, ReplicateKey's own
//! policy, tags and description, UpdatePrimaryRegion, shared rotation,
//! AWS's refusals, and all of it durable across kill -9.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, MultiRegionKeyType, OriginType};
use common::api::{err_of, expect_err, tag};
use common::{DEV_ACCOUNT_ID, TestServer};

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";

fn arn_in(region: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{DEV_ACCOUNT_ID}:key/{id}")
}

async fn client_in(s: &TestServer, region: &str) -> Client {
    s.kms_client_as(common::DEV_ACCESS_KEY_ID, common::DEV_SECRET_ACCESS_KEY, region, 1).await
}

/// A primary in EAST with a replica in WEST: its key id.
async fn primary_with_replica(east: &Client) -> String {
    let md = east.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
    let id = md.key_id().to_owned();
    east.replicate_key().key_id(&id).replica_region(WEST).send().await.unwrap();
    id
}

async fn encrypt(c: &Client, key: &str, pt: &[u8]) -> Blob {
    c.encrypt().key_id(key).plaintext(Blob::new(pt)).send().await.unwrap().ciphertext_blob.unwrap()
}

async fn decrypt(c: &Client, blob: &Blob) -> Vec<u8> {
    c.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap().plaintext.unwrap().into_inner()
}

#[tokio::test]
async fn replicas_share_material_and_describe_their_set() {
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);

    let md = east.create_key().multi_region(true).description("primary").send().await.unwrap().key_metadata.unwrap();
    let id = md.key_id().to_owned();
    assert!(id.starts_with("mrk-") && id.len() == 36 && id[4..].chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(md.multi_region(), Some(true));
    let conf = md.multi_region_configuration().unwrap();
    assert_eq!(conf.multi_region_key_type(), Some(&MultiRegionKeyType::Primary));
    assert_eq!(conf.primary_key().unwrap().arn(), Some(arn_in(EAST, &id).as_str()));
    assert_eq!(conf.primary_key().unwrap().region(), Some(EAST));
    assert!(conf.replica_keys().is_empty());

    // ReplicateKey with its own description, tags and policy.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{DEV_ACCOUNT_ID}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let out = east
        .replicate_key()
        .key_id(&id)
        .replica_region(WEST)
        .description("replica")
        .tags(tag("side", "west"))
        .policy(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(out.replica_policy(), Some(policy.as_str()));
    assert_eq!(out.replica_tags(), [tag("side", "west")]);
    let rmd = out.replica_key_metadata().unwrap();
    assert_eq!(rmd.key_id(), id);
    assert_eq!(rmd.arn(), Some(arn_in(WEST, &id).as_str()));
    assert_eq!(rmd.description(), Some("replica"));
    assert_eq!(rmd.key_state(), Some(&KeyState::Enabled));
    assert_eq!(rmd.origin(), Some(&OriginType::AwsKms));
    assert_eq!(rmd.multi_region(), Some(true));
    assert_eq!(rmd.current_key_material_id(), md.current_key_material_id());
    let rconf = rmd.multi_region_configuration().unwrap();
    assert_eq!(rconf.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(rconf.primary_key().unwrap().region(), Some(EAST));
    assert_eq!(rconf.replica_keys().len(), 1);
    assert_eq!(rconf.replica_keys()[0].arn(), Some(arn_in(WEST, &id).as_str()));
    assert_eq!(rconf.replica_keys()[0].region(), Some(WEST));

    // Per-region properties stay per region.
    let pmd = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(pmd.description(), Some("primary"));
    let pconf = pmd.multi_region_configuration().unwrap();
    assert_eq!(pconf.multi_region_key_type(), Some(&MultiRegionKeyType::Primary));
    assert_eq!(pconf.replica_keys()[0].region(), Some(WEST));
    assert!(east.list_resource_tags().key_id(&id).send().await.unwrap().tags().is_empty());
    let west_tags = west.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(west_tags.tags(), [tag("side", "west")]);
    west.create_alias().alias_name("alias/west-only").target_key_id(&id).send().await.unwrap();
    err_of(east.describe_key().key_id("alias/west-only").send().await, "NotFoundException");

    // Ciphertexts cross regions, both ways, without KeyId and with it.
    let from_east = encrypt(&east, &id, b"made in us-east-1").await;
    assert_eq!(decrypt(&west, &from_east).await, b"made in us-east-1");
    let from_west = encrypt(&west, "alias/west-only", b"made in eu-west-1").await;
    assert_eq!(decrypt(&east, &from_west).await, b"made in eu-west-1");
    let dec = west.decrypt().ciphertext_blob(from_east.clone()).key_id(arn_in(WEST, &id)).send().await.unwrap();
    assert_eq!(dec.key_id(), Some(arn_in(WEST, &id).as_str()));

    // A replica disabled in its region does not disable its primary.
    west.disable_key().key_id(&id).send().await.unwrap();
    err_of(west.decrypt().ciphertext_blob(from_east.clone()).send().await, "DisabledException");
    assert_eq!(decrypt(&east, &from_west).await, b"made in eu-west-1");
    west.enable_key().key_id(&id).send().await.unwrap();

    // On-demand rotation of the primary reaches the replica; rotation is the primary's to change.
    east.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let rotated = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_ne!(rotated.current_key_material_id(), md.current_key_material_id());
    let wmd = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(wmd.current_key_material_id(), rotated.current_key_material_id());
    let not_primary = format!("{} is not a multi-region primary key.", arn_in(WEST, &id));
    expect_err(west.enable_key_rotation().key_id(&id).send().await, "UnsupportedOperationException", &not_primary);
    expect_err(west.rotate_key_on_demand().key_id(&id).send().await, "UnsupportedOperationException", &not_primary);
    east.enable_key_rotation().key_id(&id).send().await.unwrap();
    assert!(west.get_key_rotation_status().key_id(&id).send().await.unwrap().key_rotation_enabled());
    assert_eq!(decrypt(&west, &from_east).await, b"made in us-east-1", "old material still decrypts");

    // Grants and last usage are each related key's own.
    let grant = east
        .create_grant()
        .key_id(&id)
        .grantee_principal(format!("arn:aws:iam::{DEV_ACCOUNT_ID}:user/east-only"))
        .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    assert_eq!(east.list_grants().key_id(&id).send().await.unwrap().grants().len(), 1);
    assert!(west.list_grants().key_id(&id).send().await.unwrap().grants().is_empty());
    err_of(west.revoke_grant().key_id(&id).grant_id(grant.grant_id().unwrap()).send().await, "NotFoundException");
    encrypt(&east, &id, b"last use in us-east-1").await;
    let used = |c: &Client| {
        let c = c.clone();
        let id = id.clone();
        async move {
            let out = c.get_key_last_usage().key_id(&id).send().await.unwrap();
            out.key_last_usage().unwrap().operation().unwrap().as_str().to_owned()
        }
    };
    assert_eq!(used(&east).await, "Encrypt");
    assert_eq!(used(&west).await, "Decrypt");
}

#[tokio::test]
async fn refusals_as_aws_makes_them() {
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let id = primary_with_replica(&east).await;

    // Replicating a replica, or a single-Region key.
    expect_err(
        west.replicate_key().key_id(&id).replica_region("ap-south-1").send().await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", arn_in(WEST, &id)),
    );
    let single = east.create_key().send().await.unwrap().key_metadata.unwrap();
    expect_err(
        east.replicate_key().key_id(single.key_id()).replica_region(WEST).send().await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", single.arn().unwrap()),
    );
    // A region that already has the key (a replica, or the primary's own).
    for region in [WEST, EAST] {
        expect_err(
            east.replicate_key().key_id(&id).replica_region(region).send().await,
            "AlreadyExistsException",
            &format!("Replica key {} already exists.", arn_in(region, &id)),
        );
    }
    // A malformed region name.
    let msg = err_of(east.replicate_key().key_id(&id).replica_region("Mars").send().await, "ValidationException");
    assert!(msg.unwrap().contains("Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"));
    // A multi-Region key cannot live in a custom key store.
    expect_err(
        east.create_key()
            .multi_region(true)
            .origin(OriginType::AwsCloudhsm)
            .custom_key_store_id("cks-1234567890abcdef0")
            .send()
            .await,
        "UnsupportedOperationException",
        "Multi-Region keys cannot be created in a custom key store.",
    );
    // UpdatePrimaryRegion to a region without a replica, from a replica, to itself.
    expect_err(
        east.update_primary_region().key_id(&id).primary_region("ap-south-1").send().await,
        "NotFoundException",
        &format!("Key '{}' does not exist", arn_in("ap-south-1", &id)),
    );
    expect_err(
        west.update_primary_region().key_id(&id).primary_region(EAST).send().await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", arn_in(WEST, &id)),
    );
    err_of(east.update_primary_region().key_id(&id).primary_region(EAST).send().await, "ValidationException");
    // A disabled primary cannot be replicated.
    east.disable_key().key_id(&id).send().await.unwrap();
    expect_err(
        east.replicate_key().key_id(&id).replica_region("ap-south-1").send().await,
        "DisabledException",
        &format!("{} is disabled.", arn_in(EAST, &id)),
    );
}

#[tokio::test]
async fn update_primary_region_swaps_roles_and_everything_survives_kill_9() {
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let id = primary_with_replica(&east).await;
    let ct = encrypt(&east, &id, b"before the swap").await;

    east.update_primary_region().key_id(&id).primary_region(WEST).send().await.unwrap();
    let check = |md: aws_sdk_kms::types::KeyMetadata, kind: MultiRegionKeyType| {
        let conf = md.multi_region_configuration().unwrap().clone();
        assert_eq!(conf.multi_region_key_type(), Some(&kind));
        assert_eq!(conf.primary_key().unwrap().region(), Some(WEST));
        assert_eq!(conf.primary_key().unwrap().arn(), Some(arn_in(WEST, &id).as_str()));
        let replicas: Vec<_> = conf.replica_keys().iter().map(|r| r.region().unwrap().to_owned()).collect();
        assert_eq!(replicas, [EAST]);
    };
    check(west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap(), MultiRegionKeyType::Primary);
    check(east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap(), MultiRegionKeyType::Replica);
    // Now the new primary replicates and the old one cannot.
    west.replicate_key().key_id(&id).replica_region("ap-south-1").send().await.unwrap();
    err_of(
        east.replicate_key().key_id(&id).replica_region("ca-central-1").send().await,
        "UnsupportedOperationException",
    );

    // Deleting the primary waits for its replicas.
    let out = west.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(out.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert_eq!(out.deletion_date(), None);
    assert_eq!(out.pending_window_in_days(), Some(7));

    let s = s.kill9_and_restart();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let south = client_in(&s, "ap-south-1").await;
    assert_eq!(decrypt(&east, &ct).await, b"before the swap");
    assert_eq!(decrypt(&south, &ct).await, b"before the swap");
    let wmd = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(wmd.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert_eq!(wmd.pending_deletion_window_in_days(), Some(7));
    let regions: Vec<_> = wmd
        .multi_region_configuration()
        .unwrap()
        .replica_keys()
        .iter()
        .map(|r| r.region().unwrap().to_owned())
        .collect();
    assert_eq!(regions, [EAST, "ap-south-1"]);
    let emd = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(emd.multi_region_configuration().unwrap().multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    // The replica's own deletion is an ordinary one.
    let out = east.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    assert!(out.deletion_date().is_some());
}

#[test]
fn boto3_replicates_and_decrypts_across_regions() {
    let server = TestServer::start_unthrottled();
    let script = r#"
import boto3, botocore
east = boto3.client("kms", region_name="us-east-1")
west = boto3.client("kms", region_name="eu-west-1")
md = east.create_key(MultiRegion=True, Description="boto3 primary")["KeyMetadata"]
kid = md["KeyId"]
assert kid.startswith("mrk-") and md["MultiRegion"] is True, md
assert md["MultiRegionConfiguration"] == {"MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": md["Arn"], "Region": "us-east-1"}, "ReplicaKeys": []}, md
out = east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1", Description="boto3 replica", Tags=[{"TagKey": "k", "TagValue": "v"}])
rmd = out["ReplicaKeyMetadata"]
west_arn = md["Arn"].replace("us-east-1", "eu-west-1")
assert rmd["Arn"] == west_arn and rmd["Description"] == "boto3 replica", rmd
assert out["ReplicaTags"] == [{"TagKey": "k", "TagValue": "v"}], out
assert '"Version":"2012-10-17"' in out["ReplicaPolicy"].replace(" ", ""), out["ReplicaPolicy"]
assert rmd["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
assert rmd["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": west_arn, "Region": "eu-west-1"}]
ct = east.encrypt(KeyId=kid, Plaintext=b"east to west")["CiphertextBlob"]
back = west.decrypt(CiphertextBlob=ct)
assert back["Plaintext"] == b"east to west" and back["KeyId"] == west_arn, back
ct = west.encrypt(KeyId=kid, Plaintext=b"west to east")["CiphertextBlob"]
assert east.decrypt(CiphertextBlob=ct)["Plaintext"] == b"west to east"
try:
    west.replicate_key(KeyId=kid, ReplicaRegion="ap-south-1")
    raise SystemExit("replicating a replica succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "UnsupportedOperationException", e.response
    assert e.response["Error"]["Message"] == west_arn + " is not a multi-region primary key.", e.response
try:
    east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1")
    raise SystemExit("a second replica in one region succeeded")
except east.exceptions.AlreadyExistsException as e:
    assert e.response["Error"]["Message"] == "Replica key " + west_arn + " already exists.", e.response
east.update_primary_region(KeyId=kid, PrimaryRegion="eu-west-1")
assert west.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
print("boto3 multi-region ok")
"#;
    common::run_boto3(&server, script, "boto3 multi-region ok");
}

#[tokio::test]
async fn replicate_key_charges_two_create_key_requests_in_the_replica_region() {
    // CreateKey at 1 request per second in eu-west-1 only: ReplicateKey needs two there.
    let config = format!(
        "[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"{WEST}\"\nquota_code = \"L-32B67F4A\"\nvalue = 1.0\n"
    );
    let s = TestServer::start_with_config(Some(&config));
    let east = client_in(&s, EAST).await;
    let id = east.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    err_of(east.replicate_key().key_id(&id).replica_region(WEST).send().await, "ThrottlingException");
    // Refused before anything was written: no replica exists.
    let md = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert!(md.multi_region_configuration().unwrap().replica_keys().is_empty());
    // Another region, at AWS's default CreateKey rate, takes it.
    east.replicate_key().key_id(&id).replica_region("ap-south-1").send().await.unwrap();
}

/// GetParametersForImport in the client's region, then wraps `material` with openssl (RSAES_OAEP_SHA_256).
async fn import(c: &Client, key: &str, material: &[u8], dir: &common::asymmetric::Dir) -> Result<(), String> {
    use aws_sdk_kms::types::{AlgorithmSpec, ExpirationModelType, WrappingKeySpec};
    let p = c
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    let der = dir.write("wrap.der", p.public_key().unwrap().as_ref());
    let pem = dir.path("wrap.pem");
    common::asymmetric::openssl(&["pkey", "-pubin", "-inform", "DER", "-in", &der, "-out", &pem]);
    let mat = dir.write("material.bin", material);
    let out = dir.path("wrapped.bin");
    common::asymmetric::openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        &pem,
        "-in",
        &mat,
        "-out",
        &out,
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    c.import_key_material()
        .key_id(key)
        .import_token(p.import_token().unwrap().clone())
        .encrypted_key_material(Blob::new(dir.read("wrapped.bin")))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("{}", aws_sdk_kms::error::DisplayErrorContext(e)))
}

#[tokio::test]
async fn an_imported_primary_s_replica_takes_only_the_same_material() {
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let dir = common::asymmetric::Dir::new();
    let md = east.create_key().multi_region(true).origin(OriginType::External).send().await.unwrap();
    let id = md.key_metadata().unwrap().key_id().to_owned();
    let material: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(29).wrapping_add(3)).collect();
    import(&east, &id, &material, &dir).await.unwrap();

    // The replica has no material until the same material is imported into it.
    let out = east.replicate_key().key_id(&id).replica_region(WEST).send().await.unwrap();
    let rmd = out.replica_key_metadata().unwrap();
    assert_eq!(rmd.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(rmd.origin(), Some(&OriginType::External));
    let ct = encrypt(&east, &id, b"imported in both").await;
    err_of(west.decrypt().ciphertext_blob(ct.clone()).send().await, "KMSInvalidStateException");
    let other: Vec<u8> = material.iter().map(|b| b ^ 0xff).collect();
    let refused = import(&west, &id, &other, &dir).await.unwrap_err();
    assert!(refused.contains("IncorrectKeyMaterialException"), "{refused}");
    import(&west, &id, &material, &dir).await.unwrap();
    assert_eq!(decrypt(&west, &ct).await, b"imported in both");
}

#[tokio::test]
async fn key_policies_see_the_multi_region_condition_keys() {
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let root = format!("arn:aws:iam::{DEV_ACCOUNT_ID}:root");
    let policy = |deny: serde_json::Value| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            deny,
        ]})
        .to_string()
    };
    let no_south =
        policy(serde_json::json!({"Effect": "Deny", "Principal": {"AWS": root}, "Action": "kms:ReplicateKey",
        "Resource": "*", "Condition": {"StringEquals": {"kms:ReplicaRegion": "ap-south-1"}}}));
    let md = east.create_key().multi_region(true).policy(no_south).send().await.unwrap().key_metadata.unwrap();
    let id = md.key_id().to_owned();
    let denied =
        err_of(east.replicate_key().key_id(&id).replica_region("ap-south-1").send().await, "AccessDeniedException");
    assert!(denied.unwrap().contains("kms:ReplicateKey"));
    let no_replica_encrypt = policy(serde_json::json!({"Effect": "Deny", "Principal": {"AWS": root},
        "Action": "kms:Encrypt", "Resource": "*",
        "Condition": {"StringEquals": {"kms:MultiRegionKeyType": "REPLICA"}, "Bool": {"kms:MultiRegion": "true"}}}));
    east.replicate_key().key_id(&id).replica_region(WEST).policy(&no_replica_encrypt).send().await.unwrap();
    err_of(west.encrypt().key_id(&id).plaintext(Blob::new("x")).send().await, "AccessDeniedException");
    // The same policy on the primary does not stop it.
    east.put_key_policy().key_id(&id).policy(&no_replica_encrypt).send().await.unwrap();
    encrypt(&east, &id, b"primary").await;
}

#[tokio::test]
async fn asymmetric_and_hmac_replicas_share_their_key_pair_and_secret() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec, SigningAlgorithmSpec};
    let s = TestServer::start_unthrottled();
    let (east, west) = (client_in(&s, EAST).await, client_in(&s, WEST).await);
    let dir = common::asymmetric::Dir::new();
    let ecc = common::asymmetric::create_multi_region(&east, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    east.replicate_key().key_id(&ecc).replica_region(WEST).send().await.unwrap();
    let east_pem = common::asymmetric::public_pem(&east, &ecc, &dir, "east").await;
    let west_pem = common::asymmetric::public_pem(&west, &ecc, &dir, "west").await;
    assert_eq!(std::fs::read(&east_pem).unwrap(), std::fs::read(&west_pem).unwrap());
    // Signed in us-east-1, verified by openssl with the eu-west-1 replica's public key.
    common::asymmetric::sign_and_prove(&east, &ecc, SigningAlgorithmSpec::EcdsaSha256, &west_pem, &dir).await;

    let hmac = common::asymmetric::create_multi_region(&east, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    east.replicate_key().key_id(&hmac).replica_region(WEST).send().await.unwrap();
    let mac = east
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    let ok = west
        .verify_mac()
        .key_id(&hmac)
        .message(Blob::new("m"))
        .mac(mac.mac().unwrap().clone())
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    assert!(ok.mac_valid());
}
