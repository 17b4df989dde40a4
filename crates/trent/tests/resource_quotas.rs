//! Resource quotas end to end, through the real API (aws-sdk-kms, the AWS CLI):
//! each quota lowered by a `[[quotas.overrides]]` entry is reached, answered
//! with AWS's LimitExceededException and message, leaves no side effect, and
//! frees up when a resource is deleted; parallel creates never overshoot; and
//! RequestServiceQuotaIncrease raises a limit for the very next create,
//! durably. The two quotas AWS dropped in 2021 (aliases per Region, grants
//! for a given principal per key) are enforced under `profile = "2020"` only.

mod common;

use std::fmt::Debug;
use std::process::Command;
use std::sync::Arc;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer, venv_bin};
use trent_core::kms::wall_clock::ManualWallClock;
use trent_server::config::Config;
use trent_server::server::{ServeOptions, start_with_clock};

const DAY: f64 = 86_400.0;

/// Request throttling off (this file makes management calls faster than 5/s),
/// plus one `[[quotas.overrides]]` entry per `(code, value)`. Resource quotas
/// are enforced whether throttling is on or not.
fn config(overrides: &[(&str, u64)]) -> String {
    config_in("current", overrides)
}

/// [`config`] under the quota profile `profile` (`"current"` or `"2020"`).
fn config_in(profile: &str, overrides: &[(&str, u64)]) -> String {
    let mut c =
        format!("maintenance_interval_seconds = 3600.0\n\n[quotas]\nenabled = false\nprofile = \"{profile}\"\n");
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
        ..ServeOptions::default()
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

/// The customer-created aliases of the account and region `c` calls in.
async fn region_alias_names(c: &aws_sdk_kms::Client) -> Vec<String> {
    let out = c.list_aliases().limit(100).send().await.expect("list aliases");
    out.aliases()
        .iter()
        .filter_map(|a| a.alias_name())
        .filter(|n| !n.starts_with("alias/aws/"))
        .map(str::to_owned)
        .collect()
}

/// A server in this process on a hand-moved wall clock (so a key's waiting
/// period can end), with `config`; the temporary directory must outlive it.
async fn in_process(config: &str) -> (tempfile::TempDir, Arc<ManualWallClock>, trent_server::server::RunningServer) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64();
    let clock = Arc::new(ManualWallClock::new(now));
    let opts = ServeOptions {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        data_dir: Some(tmp.path().join("data")),
        config: Config::from_toml(config).expect("config"),
        ..ServeOptions::default()
    };
    let server = start_with_clock(opts, clock.clone()).await.expect("start");
    (tmp, clock, server)
}

const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const CAROL: &str = "arn:aws:iam::111122223333:user/carol";

/// CreateGrant of Encrypt on `key` for `grantee`, optionally named: the grant
/// id, or the error code and message.
async fn grant(
    c: &aws_sdk_kms::Client,
    key: &str,
    grantee: &str,
    name: Option<&str>,
) -> Result<String, (String, String)> {
    c.create_grant()
        .key_id(key)
        .grantee_principal(grantee)
        .operations(aws_sdk_kms::types::GrantOperation::Encrypt)
        .set_name(name.map(str::to_owned))
        .send()
        .await
        .map(|o| o.grant_id().unwrap_or_default().to_owned())
        .map_err(|e| err_of::<(), _>(Err(e)))
}

/// The grantees of the grants on `key`, sorted.
async fn grantees(c: &aws_sdk_kms::Client, key: &str) -> Vec<String> {
    let out = c.list_grants().key_id(key).limit(100).send().await.expect("list grants");
    let mut g: Vec<String> = out.grants().iter().filter_map(|g| g.grantee_principal().map(str::to_owned)).collect();
    g.sort();
    g
}

fn limit_error(name: &str, limit: u64, usage: u64) -> (String, String) {
    (
        "LimitExceededException".to_owned(),
        format!("{name} quota for this account in this region is {limit}, current usage is {usage}."),
    )
}

/// Aliases per Region (2020 profile): reached across keys, refused with no
/// side effect (the per-key quota is reported first when both are full), not
/// checked by a move within the region, per region, and freed by DeleteAlias
/// and by the target key's deletion at the end of its waiting period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_per_region_in_the_2020_profile_reached_refused_and_freed() {
    let (_tmp, clock, server) = in_process(&config_in("2020", &[("T-AliasesPerRegion", 3), ("L-340F62FB", 2)])).await;
    let endpoint = format!("http://{}", server.addr);
    let c = client(&endpoint, REGION);
    let (a, b) = (create_key(&c).await, create_key(&c).await);
    for (name, key) in [("alias/r1", &a), ("alias/r2", &b), ("alias/r3", &a)] {
        c.create_alias().alias_name(name).target_key_id(key).send().await.expect("create alias");
    }
    // Key b has room, the region has not.
    assert_limit(c.create_alias().alias_name("alias/r4").target_key_id(&b).send().await, "Aliases per region", 3, 3);
    // Key a and the region are both full: the per-key quota answers.
    assert_limit(c.create_alias().alias_name("alias/r4").target_key_id(&a).send().await, "Aliases per key", 2, 2);
    assert_eq!(region_alias_names(&c).await, ["alias/r1", "alias/r2", "alias/r3"], "a refused alias must not exist");
    // Moving an alias keeps it in the region: allowed while the region is full.
    c.update_alias().alias_name("alias/r3").target_key_id(&b).send().await.expect("move within a full region");
    // Another region of the account has its own count.
    let west = client(&endpoint, "us-west-2");
    let w = create_key(&west).await;
    west.create_alias().alias_name("alias/r4").target_key_id(&w).send().await.expect("other region");

    // DeleteAlias frees a place.
    c.delete_alias().alias_name("alias/r1").send().await.expect("delete alias");
    c.create_alias().alias_name("alias/r4").target_key_id(&a).send().await.expect("create after a delete");
    assert_limit(c.create_alias().alias_name("alias/r5").target_key_id(&a).send().await, "Aliases per region", 3, 3);

    // So does the deletion of a key with aliases (b holds r2 and r3).
    c.schedule_key_deletion().key_id(&b).pending_window_in_days(7).send().await.expect("schedule");
    assert_limit(c.create_alias().alias_name("alias/r5").target_key_id(&a).send().await, "Aliases per region", 3, 3);
    clock.advance(7.0 * DAY + 1.0);
    assert_eq!(server.kms.run_due_work().await.expect("due work").deleted, 1);
    assert_eq!(region_alias_names(&c).await, ["alias/r4"]);
    c.create_alias().alias_name("alias/r5").target_key_id(&a).send().await.expect("after the key's deletion");
    let c2 = create_key(&c).await;
    c.create_alias().alias_name("alias/r6").target_key_id(&c2).send().await.expect("third place");
    assert_limit(c.create_alias().alias_name("alias/r7").target_key_id(&c2).send().await, "Aliases per region", 3, 3);
}

/// Grants for a given principal per key (2020 profile): reached per grantee,
/// refused with no side effect (the per-key quota is reported first when both
/// are full), per key and per grantee, not charged by an idempotent retry,
/// freed by RetireGrant and RevokeGrant; listed, adjustable and raised at once
/// through Service Quotas (AWS CLI).
#[tokio::test]
async fn grants_per_principal_per_key_in_the_2020_profile_reached_refused_and_freed() {
    let server = TestServer::start_with_config(Some(&config_in(
        "2020",
        &[("T-GrantsPerPrincipalPerKey", 2), ("L-D594A657", 4)],
    )));
    let c = server.kms_client().await;
    let (key, other) = (create_key(&c).await, create_key(&c).await);
    let g1 = grant(&c, &key, BOB, None).await.expect("bob 1");
    let g2 = grant(&c, &key, BOB, Some("second")).await.expect("bob 2");
    assert_eq!(grant(&c, &key, BOB, None).await, Err(limit_error("Grants per principal per key", 2, 2)));
    assert_eq!(grantees(&c, &key).await, [BOB, BOB], "a refused CreateGrant must not create a grant");
    // A retried CreateGrant with the same name returns the existing grant: nothing new counted.
    assert_eq!(grant(&c, &key, BOB, Some("second")).await.as_deref(), Ok(g2.as_str()));
    // Per grantee and per key.
    grant(&c, &key, CAROL, None).await.expect("carol on the same key");
    grant(&c, &other, BOB, None).await.expect("bob on another key");

    // RetireGrant frees a place.
    c.retire_grant().key_id(&key).grant_id(&g1).send().await.expect("retire");
    let g3 = grant(&c, &key, BOB, None).await.expect("bob after a retire");
    assert_eq!(grant(&c, &key, BOB, None).await, Err(limit_error("Grants per principal per key", 2, 2)));
    // Carol's second grant fills the key (4); then carol is full too, and the per-key quota answers.
    grant(&c, &key, CAROL, None).await.expect("carol 2");
    assert_eq!(grant(&c, &key, CAROL, None).await, Err(limit_error("Grants per key", 4, 4)));
    // RevokeGrant frees a place too (in both counts).
    c.revoke_grant().key_id(&key).grant_id(&g3).send().await.expect("revoke");
    grant(&c, &key, BOB, None).await.expect("bob after a revoke");
    assert_eq!(grantees(&c, &key).await, [BOB, BOB, CAROL, CAROL]);

    // Service Quotas lists both 2020-only quotas under this profile; this one is adjustable.
    let listed = aws(&server, &["service-quotas", "list-service-quotas", "--service-code", "kms"]).expect("list");
    let codes: Vec<&str> =
        listed["Quotas"].as_array().expect("quotas").iter().filter_map(|q| q["QuotaCode"].as_str()).collect();
    for code in ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"] {
        assert!(codes.contains(&code), "{code} not listed under the 2020 profile: {codes:?}");
    }
    let get =
        ["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "T-GrantsPerPrincipalPerKey"];
    let q = aws(&server, &get).expect("get");
    let q = &q["Quota"];
    assert_eq!(
        (q["QuotaName"].as_str(), q["Value"].as_f64(), q["Adjustable"].as_bool()),
        (Some("Grants for a given principal per CMK"), Some(2.0), Some(true)),
        "{q}"
    );
    let d = aws(
        &server,
        &[
            "service-quotas",
            "get-aws-default-service-quota",
            "--service-code",
            "kms",
            "--quota-code",
            "T-AliasesPerRegion",
        ],
    )
    .expect("default");
    assert_eq!(d["Quota"]["Value"], 10000.0);
    let other_grantee = "arn:aws:iam::111122223333:role/worker";
    let other = create_key(&c).await;
    grant(&c, &other, other_grantee, None).await.expect("worker 1");
    grant(&c, &other, other_grantee, None).await.expect("worker 2");
    assert_eq!(grant(&c, &other, other_grantee, None).await, Err(limit_error("Grants per principal per key", 2, 2)));
    let req = aws(
        &server,
        &[
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "kms",
            "--quota-code",
            "T-GrantsPerPrincipalPerKey",
            "--desired-value",
            "3",
        ],
    )
    .expect("increase");
    assert_eq!(req["RequestedQuota"]["Status"], "APPROVED");
    // The very next CreateGrant sees the new limit.
    grant(&c, &other, other_grantee, None).await.expect("worker 3 after the increase");
    assert_eq!(grant(&c, &other, other_grantee, None).await, Err(limit_error("Grants per principal per key", 3, 3)));
}

/// Parallel creates against the two 2020-only quotas: exactly the limit
/// succeeds, every other call is LimitExceededException with the quota's
/// message, and exactly the limit exists afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_never_overshoot_the_2020_only_quotas() {
    const ALIASES: u64 = 4;
    const GRANTS: u64 = 3;
    let server = TestServer::start_with_config(Some(&config_in(
        "2020",
        &[("T-AliasesPerRegion", ALIASES), ("T-GrantsPerPrincipalPerKey", GRANTS)],
    )));
    let c = server.kms_client().await;
    let keys = [create_key(&c).await, create_key(&c).await, create_key(&c).await];

    // 30 CreateAlias calls spread over three keys: the region is the binding limit.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (c, target) = (c.clone(), keys[i % keys.len()].clone());
        tasks.spawn(async move {
            c.create_alias().alias_name(format!("alias/race-{i}")).target_key_id(target).send().await.map(|_| ())
        });
    }
    let mut ok = 0u64;
    for r in tasks.join_all().await {
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                let (code, message) = err_of::<(), _>(Err(e));
                assert_eq!(code, "LimitExceededException", "{message}");
                assert!(
                    message.starts_with(
                        "Aliases per region quota for this account in this region is 4, current usage is "
                    ),
                    "{message}"
                );
            }
        }
    }
    assert_eq!(ok, ALIASES, "parallel CreateAlias");
    assert_eq!(region_alias_names(&c).await.len() as u64, ALIASES);

    // 20 CreateGrant calls for one grantee on one key.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (c, key) = (c.clone(), keys[0].clone());
        tasks.spawn(async move { grant(&c, &key, BOB, None).await });
    }
    let mut ok = 0u64;
    for r in tasks.join_all().await {
        match r {
            Ok(_) => ok += 1,
            Err((code, message)) => {
                assert_eq!(code, "LimitExceededException", "{message}");
                assert!(
                    message.starts_with(
                        "Grants per principal per key quota for this account in this region is 3, current usage is "
                    ),
                    "{message}"
                );
            }
        }
    }
    assert_eq!(ok, GRANTS, "parallel CreateGrant");
    assert_eq!(grantees(&c, &keys[0]).await.len() as u64, GRANTS);
}

/// Under the current profile the two quotas AWS dropped in 2021 do not exist:
/// more grants than the 2020 limit of 500 for one grantee on one key succeed,
/// Service Quotas does not know their codes, and overriding them in the
/// config is refused at startup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_profile_has_no_aliases_per_region_or_grants_per_principal_quota() {
    let server = TestServer::start_with_config(Some(&config(&[])));
    let c = server.kms_client().await;
    let key = create_key(&c).await;
    // 501 grants for bob, 25 at a time.
    for batch in 0..21 {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..(if batch < 20 { 25 } else { 1 }) {
            let (c, key) = (c.clone(), key.clone());
            tasks.spawn(async move { grant(&c, &key, BOB, None).await });
        }
        for r in tasks.join_all().await {
            r.expect("no per-principal limit under the current profile");
        }
    }
    let mut count = 0;
    let mut marker = None;
    loop {
        let out = c.list_grants().key_id(&key).limit(100).set_marker(marker).send().await.expect("list grants");
        count += out.grants().iter().filter(|g| g.grantee_principal() == Some(BOB)).count();
        marker = out.next_marker().map(str::to_owned);
        if !out.truncated() {
            break;
        }
    }
    assert_eq!(count, 501);

    for code in ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"] {
        let err = aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", code])
            .expect_err(code);
        assert!(err.contains("NoSuchResourceException"), "{code}: {err}");
    }

    for code in ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let opts = ServeOptions {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            data_dir: Some(tmp.path().join("data")),
            config: Config::from_toml(&config(&[(code, 3)])).expect("config parses"),
            ..ServeOptions::default()
        };
        match start_with_clock(opts, Arc::new(ManualWallClock::new(1.7e9))).await {
            Ok(_) => panic!("an override of {code} must be refused under the current profile"),
            Err(e) => assert_eq!(
                e.to_string(),
                format!(
                    "[quotas]: quotas.overrides: {code} exists only in profile \"2020\" (AWS dropped it in 2021), not in \"current\""
                )
            ),
        }
    }
}
