//! Resource quotas end to end, through the real API (aws-sdk-kms, the AWS CLI):
//! each quota lowered by a `[[quotas.overrides]]` entry is reached, answered
//! with AWS's LimitExceededException and message, leaves no side effect, and
//! frees up when a resource is deleted; parallel creates never overshoot; and
//! RequestServiceQuotaIncrease raises a limit for the very next create,
//! durably.

mod common;

use std::fmt::Debug;
use std::process::Command;
use std::sync::Arc;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer, venv_bin};
use trent_core::clock::ManualWallClock;
use trent_server::config::Config;
use trent_server::server::{ServeOptions, start_with_clock};

const DAY: f64 = 86_400.0;

/// Request throttling off (this file makes management calls faster than 5/s),
/// plus one `[[quotas.overrides]]` entry per `(code, value)`. Resource quotas
/// are enforced whether throttling is on or not.
fn config(overrides: &[(&str, u64)]) -> String {
    let mut c = String::from("maintenance_interval_seconds = 3600.0\n\n[quotas]\nenabled = false\n");
    for (code, value) in overrides {
        c.push_str(&format!(
            "\n[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"{code}\"\nvalue = {value}.0\n"
        ));
    }
    c
}

/// The error code and message of a failed call; panics if it succeeded or
/// was not an HTTP 400 client error.
fn err_of<T: Debug, E>(r: Result<T, SdkError<E>>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    };
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400), "{e:?}");
    (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
}

/// Asserts a LimitExceededException with exactly AWS's message form.
fn assert_limit<T: Debug, E>(r: Result<T, SdkError<E>>, name: &str, limit: u64, usage: u64)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (code, message) = err_of(r);
    assert_eq!(code, "LimitExceededException", "{message}");
    assert_eq!(
        message,
        format!("{name} quota for this account in this region is {limit}, current usage is {usage}."),
        "message"
    );
}

async fn create_key(c: &aws_sdk_kms::Client) -> String {
    c.create_key().send().await.expect("create key").key_metadata().expect("metadata").key_id().to_owned()
}

async fn key_count(c: &aws_sdk_kms::Client) -> usize {
    c.list_keys().limit(1000).send().await.expect("list keys").keys().len()
}

async fn alias_names(c: &aws_sdk_kms::Client, key: &str) -> Vec<String> {
    let out = c.list_aliases().key_id(key).send().await.expect("list aliases");
    out.aliases().iter().filter_map(|a| a.alias_name().map(str::to_owned)).collect()
}

/// The AWS CLI against `server`: its JSON output, or its stderr on failure.
fn aws(server: &TestServer, args: &[&str]) -> Result<serde_json::Value, String> {
    let out =
        Command::new(venv_bin("aws")).args(args).args(["--output", "json"]).envs(server.envs()).output().expect("aws");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null))
}

/// An aws-sdk-kms client (development principal, no retries) for `endpoint`.
fn client(endpoint: &str, region: &str) -> aws_sdk_kms::Client {
    let creds = aws_credential_types::Credentials::new(DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, None, None, "test");
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(region.to_owned()))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// A key slot is freed by the key's deletion at the end of its waiting period,
/// not by ScheduleKeyDeletion: the server runs in-process on a hand-moved wall
/// clock (the HTTP API, SigV4 and all, is the real one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_quota_counts_pending_deletion_and_frees_on_deletion() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64();
    let clock = Arc::new(ManualWallClock::new(now));
    let opts = ServeOptions {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        data_dir: Some(tmp.path().join("data")),
        config: Config::from_toml(&config(&[("L-C2F1777E", 3)])).expect("config"),
    };
    let server = start_with_clock(opts, clock.clone()).await.expect("start");
    let endpoint = format!("http://{}", server.addr);
    let c = client(&endpoint, REGION);

    let mut keys = Vec::new();
    for _ in 0..3 {
        keys.push(create_key(&c).await);
    }
    assert_limit(c.create_key().send().await, "Key", 3, 3);
    assert_eq!(key_count(&c).await, 3, "a refused CreateKey must not create a key");

    // Pending deletion still counts, as in AWS ("regardless of key state").
    c.schedule_key_deletion().key_id(&keys[0]).pending_window_in_days(7).send().await.expect("schedule");
    assert_limit(c.create_key().send().await, "Key", 3, 3);

    // Another region of the same account has its own count.
    let west = client(&endpoint, "us-west-2");
    create_key(&west).await;

    // The waiting period ends: the key is deleted and its slot is free.
    clock.advance(7.0 * DAY + 1.0);
    let done = server.kms.run_due_work().await.expect("due work");
    assert_eq!(done.deleted, 1);
    assert_eq!(key_count(&c).await, 2);
    create_key(&c).await;
    assert_limit(c.create_key().send().await, "Key", 3, 3);
}

#[tokio::test]
async fn alias_quota_per_key_on_create_and_update_and_delete_frees() {
    let server = TestServer::start_with_config(Some(&config(&[("L-340F62FB", 2)])));
    let c = server.kms_client().await;
    let a = create_key(&c).await;
    let b = create_key(&c).await;
    for name in ["alias/a1", "alias/a2"] {
        c.create_alias().alias_name(name).target_key_id(&a).send().await.expect("create alias");
    }
    assert_limit(c.create_alias().alias_name("alias/a3").target_key_id(&a).send().await, "Aliases per key", 2, 2);
    assert_eq!(alias_names(&c, &a).await, ["alias/a1", "alias/a2"], "a refused CreateAlias must not create one");
    // The quota is per key: another key has room.
    c.create_alias().alias_name("alias/b1").target_key_id(&b).send().await.expect("other key");

    // Moving an alias onto a full key is refused and leaves it where it was.
    assert_limit(c.update_alias().alias_name("alias/b1").target_key_id(&a).send().await, "Aliases per key", 2, 2);
    assert_eq!(alias_names(&c, &b).await, ["alias/b1"]);
    // Re-pointing an alias at the key it already names is not a new alias.
    c.update_alias().alias_name("alias/a1").target_key_id(&a).send().await.expect("same target");

    // DeleteAlias frees a slot.
    c.delete_alias().alias_name("alias/a2").send().await.expect("delete alias");
    c.create_alias().alias_name("alias/a3").target_key_id(&a).send().await.expect("create after delete");
    assert_eq!(alias_names(&c, &a).await, ["alias/a1", "alias/a3"]);
    // And moving one away frees one too.
    c.update_alias().alias_name("alias/a3").target_key_id(&b).send().await.expect("move away");
    c.update_alias().alias_name("alias/b1").target_key_id(&a).send().await.expect("move onto the freed slot");
}

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBtrentTEST\n-----END CERTIFICATE-----\n";

async fn create_store(c: &aws_sdk_kms::Client, name: &str, cluster: &str) -> Result<String, (String, String)> {
    c.create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(cluster)
        .trust_anchor_certificate(CERT)
        .key_store_password("kmsuser-password")
        .send()
        .await
        .map(|o| o.custom_key_store_id().unwrap_or_default().to_owned())
        .map_err(|e| {
            let e = e.into_service_error();
            (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
        })
}

#[tokio::test]
async fn custom_key_store_quota_and_delete_frees() {
    let server = TestServer::start_with_config(Some(&config(&[("L-F33DCFEB", 2)])));
    let c = server.kms_client().await;
    let first = create_store(&c, "store-1", "cluster-aaaaaaaaaaa").await.expect("store 1");
    create_store(&c, "store-2", "cluster-bbbbbbbbbbb").await.expect("store 2");
    let refused = create_store(&c, "store-3", "cluster-ccccccccccc").await.expect_err("over the quota");
    assert_eq!(
        refused,
        (
            "LimitExceededException".to_owned(),
            "Custom key store quota for this account in this region is 2, current usage is 2.".to_owned()
        )
    );
    let listed = c.describe_custom_key_stores().send().await.expect("describe").custom_key_stores().len();
    assert_eq!(listed, 2, "a refused CreateCustomKeyStore must not create a store");

    // DeleteCustomKeyStore frees a slot, and the refused create left its name
    // and cluster free.
    c.delete_custom_key_store().custom_key_store_id(&first).send().await.expect("delete store");
    create_store(&c, "store-3", "cluster-ccccccccccc").await.expect("store 3 after a delete");
    assert_eq!(c.describe_custom_key_stores().send().await.expect("describe").custom_key_stores().len(), 2);
}

#[tokio::test]
async fn on_demand_rotation_quota_is_per_key_and_not_adjustable() {
    let server = TestServer::start_with_config(Some(&config(&[("L-0E66C9C0", 2)])));
    let c = server.kms_client().await;
    let key = create_key(&c).await;
    for _ in 0..2 {
        c.rotate_key_on_demand().key_id(&key).send().await.expect("rotate");
    }
    assert_limit(c.rotate_key_on_demand().key_id(&key).send().await, "On-demand rotations per key", 2, 2);
    let rotations = c.list_key_rotations().key_id(&key).send().await.expect("rotations").rotations().len();
    assert_eq!(rotations, 2, "a refused rotation must not rotate");
    // Per key: another key still rotates.
    let other = create_key(&c).await;
    c.rotate_key_on_demand().key_id(&other).send().await.expect("other key rotates");

    // Service Quotas shows it as fixed and refuses to raise it.
    let q =
        aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "L-0E66C9C0"])
            .expect("get");
    assert_eq!((q["Quota"]["Value"].clone(), q["Quota"]["Adjustable"].clone()), (2.0.into(), false.into()), "{q}");
    let err = aws(
        &server,
        &[
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "kms",
            "--quota-code",
            "L-0E66C9C0",
            "--desired-value",
            "50",
        ],
    )
    .expect_err("not adjustable");
    assert!(err.contains("IllegalArgumentException") && err.contains("not adjustable"), "{err}");
}

/// Many parallel creates against a small limit: exactly `limit` succeed,
/// every other one is LimitExceededException, and exactly `limit` exist after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_never_overshoot() {
    const KEYS: u64 = 5;
    const ALIASES: u64 = 4;
    let server = TestServer::start_with_config(Some(&config(&[("L-C2F1777E", KEYS), ("L-340F62FB", ALIASES)])));
    let c = server.kms_client().await;

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let c = c.clone();
        tasks.spawn(async move { c.create_key().send().await.map(|_| ()).map_err(|e| err_of::<(), _>(Err(e))) });
    }
    let (mut ok, mut limited) = (0u64, 0u64);
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(()) => ok += 1,
            Err((code, message)) => {
                assert_eq!(code, "LimitExceededException", "{message}");
                assert!(message.starts_with("Key quota for this account in this region is 5, current usage is "));
                limited += 1;
            }
        }
    }
    assert_eq!((ok, limited), (KEYS, 40 - KEYS), "parallel CreateKey");
    assert_eq!(key_count(&c).await as u64, KEYS);

    let keys = c.list_keys().send().await.expect("list").keys().to_vec();
    let target = keys[0].key_id().expect("id").to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (c, target) = (c.clone(), target.clone());
        tasks.spawn(async move {
            c.create_alias().alias_name(format!("alias/race-{i}")).target_key_id(target).send().await.map(|_| ())
        });
    }
    let mut ok = 0u64;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(()) => ok += 1,
            Err(e) => assert_eq!(e.into_service_error().code(), Some("LimitExceededException")),
        }
    }
    assert_eq!(ok, ALIASES, "parallel CreateAlias");
    assert_eq!(alias_names(&c, &target).await.len() as u64, ALIASES);
}

#[tokio::test]
async fn service_quotas_shows_and_raises_the_key_quota_through_the_aws_cli() {
    let server = TestServer::start_with_config(Some(&config(&[("L-C2F1777E", 2)])));
    let c = server.kms_client().await;
    create_key(&c).await;
    create_key(&c).await;
    assert_limit(c.create_key().send().await, "Key", 2, 2);

    let q =
        aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "L-C2F1777E"])
            .expect("get");
    let q = &q["Quota"];
    assert_eq!(q["Value"], 2.0, "{q}");
    assert_eq!(q["QuotaName"], "Customer Master Keys (CMKs)");
    assert_eq!(q["Unit"], "None");
    assert_eq!(q["Adjustable"], true);
    assert_eq!(q["GlobalQuota"], false);
    assert!(q.get("Period").is_none(), "a resource quota is a count, not a rate: {q}");
    let d = aws(
        &server,
        &["service-quotas", "get-aws-default-service-quota", "--service-code", "kms", "--quota-code", "L-C2F1777E"],
    )
    .expect("default");
    assert_eq!(d["Quota"]["Value"], 100000.0);

    // Listed beside the request quotas.
    let listed = aws(&server, &["service-quotas", "list-service-quotas", "--service-code", "kms"]).expect("list");
    let codes: Vec<&str> =
        listed["Quotas"].as_array().expect("quotas").iter().filter_map(|q| q["QuotaCode"].as_str()).collect();
    for code in ["L-C2F1777E", "L-340F62FB", "L-D594A657", "L-F33DCFEB", "L-0E66C9C0", "L-32B67F4A"] {
        assert!(codes.contains(&code), "{code} not listed: {codes:?}");
    }

    let req = aws(
        &server,
        &[
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "kms",
            "--quota-code",
            "L-C2F1777E",
            "--desired-value",
            "3",
        ],
    )
    .expect("increase");
    assert_eq!(req["RequestedQuota"]["Status"], "APPROVED");
    // The very next CreateKey sees the new limit.
    create_key(&c).await;
    assert_limit(c.create_key().send().await, "Key", 3, 3);

    // Durable: after SIGKILL the increase still applies.
    let server = server.kill9_and_restart();
    let c = server.kms_client().await;
    assert_limit(c.create_key().send().await, "Key", 3, 3);
    let q =
        aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "L-C2F1777E"])
            .expect("get after restart");
    assert_eq!(q["Quota"]["Value"], 3.0);
}
