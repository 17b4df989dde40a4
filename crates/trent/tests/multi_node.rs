//! Several `trent serve` processes on one PostgreSQL database: a change made
//! through one node (grant, key state, alias, key policy, approved quota
//! increase) holds on the others within 1 s; `kill -9` of a node under write
//! load loses no acknowledged write and leaves the others serving; a
//! PostgreSQL restart gives AWS-style errors, never a crash, and the nodes
//! recover by themselves. Every wait polls with a deadline.
//!
//! Unless a test says otherwise the nodes run with a 30 s cache maximum age
//! (`TRENT_CACHE_MAX_AGE_SECONDS`), so a change seen within 1 s was carried
//! by PostgreSQL's LISTEN/NOTIFY, not by the periodic fallback.

mod common;

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantOperation, Tag};
use common::api::assert_no_internals;
use common::{DEV_ACCOUNT_ID, REGION};
use serde_json::{Value, json};
use trent_testkit::PgServer;

/// The bound the issue sets for a change to reach every node.
const PROPAGATION: Duration = Duration::from_secs(1);
/// Patience for anything that is not a propagation bound (starts, recovery).
const PATIENCE: Duration = Duration::from_secs(30);
/// A root key every node of a test shares (hex).
const ROOT_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const ALICE_KEY: (&str, &str) = ("AKIAALICE00000000000", "alice-secret");
const BOB_KEY: (&str, &str) = ("AKIABOB0000000000000", "bob-secret");

/// `extra` TOML (top-level keys first), then principals alice and bob
/// (account 111122223333).
fn config(extra: &str) -> String {
    format!(
        r#"
{extra}

[[principals]]
access_key_id = "{}"
secret_access_key = "{}"
account_id = "{DEV_ACCOUNT_ID}"
arn = "{ALICE}"

[[principals]]
access_key_id = "{}"
secret_access_key = "{}"
account_id = "{DEV_ACCOUNT_ID}"
arn = "{BOB}"
"#,
        ALICE_KEY.0, ALICE_KEY.1, BOB_KEY.0, BOB_KEY.1
    )
}

const UNTHROTTLED: &str = "[quotas]\nenabled = false\n";

/// One `trent serve` process on the shared store.
struct Node {
    endpoint: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    /// Starts a node on `store` with `config` and, if given, a cache max age.
    fn start(store: &str, config: &str, max_age: Option<&str>) -> Node {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("trent.toml");
        std::fs::write(&config_path, config).expect("write config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--store", store, "--config"])
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("TRENT_ROOT_KEY", ROOT_KEY)
            .env_remove("TRENT_CACHE_MAX_AGE_SECONDS")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(m) = max_age {
            cmd.env("TRENT_CACHE_MAX_AGE_SECONDS", m);
        }
        let mut child = cmd.spawn().expect("spawn trent serve");
        let (endpoint, lines) = common::serve_endpoint(&mut child);
        common::drain(lines);
        Node { endpoint, child, _dir: dir }
    }

    /// A client signing as `(access key, secret)`, SDK retries off, bounded.
    fn client(&self, creds: (&str, &str)) -> Client {
        self.client_in(creds, REGION)
    }

    /// [`Node::client`] in another region.
    fn client_in(&self, creds: (&str, &str), region: &str) -> Client {
        let creds = aws_credential_types::Credentials::new(creds.0, creds.1, None, None, "multi-node");
        let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
            .operation_timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(2))
            .build();
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(region.to_owned()))
            .credentials_provider(creds)
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(1))
            .timeout_config(timeouts)
            .build();
        Client::from_conf(conf)
    }

    /// SIGKILL, no chance to flush anything.
    fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// Whether the process is still running (it did not panic or exit).
    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database on the PostgreSQL server this test binary shares.
fn fresh_db() -> String {
    PgServer::shared().and_then(PgServer::create_database).expect("a PostgreSQL database")
}

/// Three nodes on one fresh database.
fn three_nodes(config: &str, max_age: Option<&str>) -> [Node; 3] {
    let db = fresh_db();
    [Node::start(&db, config, max_age), Node::start(&db, config, max_age), Node::start(&db, config, max_age)]
}

/// Polls `probe` until it returns true; returns how long that took. Panics
/// naming `what` at `deadline`. The probes are back to back: each is a
/// loopback request, so the measured delay is the real one plus one request.
async fn until<F, Fut>(what: &str, deadline: Duration, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if probe().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < deadline, "{what}: not seen within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The AWS error code of a failed call, `None` on success.
fn code<T, E: ProvideErrorMetadata>(r: &Result<T, SdkError<E>>) -> Option<String> {
    r.as_ref().err().map(|e| e.code().unwrap_or("(no code)").to_owned())
}

/// Encrypts one byte with `key` through `c`: `None` on success, else the error code.
async fn encrypt_code(c: &Client, key: &str) -> Option<String> {
    code(&c.encrypt().key_id(key).plaintext(Blob::new("x")).send().await)
}

fn policy(principals: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "kms:Encrypt", "Resource": "*"},
    ]})
    .to_string()
}

/// A key made by alice whose policy lets only alice use it; its id.
async fn alice_only_key(alice: &Client) -> String {
    let md = alice.create_key().policy(policy(&[ALICE])).send().await.expect("create key");
    md.key_metadata().expect("metadata").key_id().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_created_and_revoked_on_one_node_hold_on_another_within_a_second() {
    let [a, _b, c] = three_nodes(&config(UNTHROTTLED), Some("30"));
    let (alice_a, bob_c) = (a.client(ALICE_KEY), c.client(BOB_KEY));
    let key = alice_only_key(&alice_a).await;
    // C has read the key and its (empty) grant list.
    assert_eq!(encrypt_code(&bob_c, &key).await.as_deref(), Some("AccessDeniedException"));

    let grant = alice_a
        .create_grant()
        .key_id(&key)
        .grantee_principal(BOB)
        .operations(GrantOperation::Encrypt)
        .send()
        .await
        .expect("create grant on A");
    let token = grant.grant_token().expect("token").to_owned();
    // With its token the grant works on C at once ...
    let with_token = bob_c.encrypt().key_id(&key).plaintext(Blob::new("x")).grant_tokens(&token).send().await;
    assert!(with_token.is_ok(), "grant token refused on C: {:?}", code(&with_token));
    // ... and without it within the bound.
    let created =
        until("grant created on A used on C", PROPAGATION, || async { encrypt_code(&bob_c, &key).await.is_none() })
            .await;

    alice_a.revoke_grant().key_id(&key).grant_id(grant.grant_id().expect("id")).send().await.expect("revoke on A");
    let revoked = until("grant revoked on A refused on C", PROPAGATION, || async {
        encrypt_code(&bob_c, &key).await.as_deref() == Some("AccessDeniedException")
    })
    .await;
    println!("grant created → usable on C after {created:?}; revoked → refused on C after {revoked:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn key_state_alias_and_policy_changes_on_one_node_hold_on_another_within_a_second() {
    let [a, _b, c] = three_nodes(&config(UNTHROTTLED), Some("30"));
    let (alice_a, alice_c, bob_c) = (a.client(ALICE_KEY), c.client(ALICE_KEY), c.client(BOB_KEY));
    let key = alice_only_key(&alice_a).await;
    let other = alice_only_key(&alice_a).await;

    // Disable, enable.
    assert_eq!(encrypt_code(&alice_c, &key).await, None);
    alice_a.disable_key().key_id(&key).send().await.expect("disable on A");
    until("key disabled on A refused on C", PROPAGATION, || async {
        encrypt_code(&alice_c, &key).await.as_deref() == Some("DisabledException")
    })
    .await;
    alice_a.enable_key().key_id(&key).send().await.expect("enable on A");
    until("key enabled on A usable on C", PROPAGATION, || async { encrypt_code(&alice_c, &key).await.is_none() }).await;

    // Rotation: C encrypts under the new material (the blob's header names it).
    let header = |blob: &[u8]| blob.get(1..49).map(<[u8]>::to_vec);
    let encrypt_header = |client: Client, key: String| async move {
        let out = client.encrypt().key_id(key).plaintext(Blob::new("x")).send().await.expect("encrypt");
        header(out.ciphertext_blob().expect("blob").as_ref())
    };
    let before = encrypt_header(alice_c.clone(), key.clone()).await;
    alice_a.rotate_key_on_demand().key_id(&key).send().await.expect("rotate on A");
    let after_on_a = encrypt_header(alice_a.clone(), key.clone()).await;
    assert_ne!(before, after_on_a, "rotation on A did not change A's material");
    until("rotation on A used by C", PROPAGATION, || async {
        encrypt_header(alice_c.clone(), key.clone()).await == after_on_a
    })
    .await;

    // An alias re-pointed on A.
    let alias = "alias/multi-node";
    alice_a.create_alias().alias_name(alias).target_key_id(&key).send().await.expect("alias on A");
    let key_of = |client: Client| async move {
        let out = client.encrypt().key_id(alias).plaintext(Blob::new("x")).send().await.expect("encrypt by alias");
        out.key_id().expect("key id").to_owned()
    };
    assert!(key_of(alice_c.clone()).await.ends_with(&key), "C resolves the new alias");
    alice_a.update_alias().alias_name(alias).target_key_id(&other).send().await.expect("update alias on A");
    until("alias re-pointed on A followed by C", PROPAGATION, || async {
        key_of(alice_c.clone()).await.ends_with(&other)
    })
    .await;

    // A key policy change: bob allowed, then not.
    assert_eq!(encrypt_code(&bob_c, &key).await.as_deref(), Some("AccessDeniedException"));
    let put = |principals: &'static [&'static str]| {
        let (alice_a, key) = (alice_a.clone(), key.clone());
        async move { alice_a.put_key_policy().key_id(key).policy_name("default").policy(policy(principals)).send().await }
    };
    put(&[ALICE, BOB]).await.expect("put policy on A");
    until("policy allowing bob on A applied on C", PROPAGATION, || async {
        encrypt_code(&bob_c, &key).await.is_none()
    })
    .await;
    put(&[ALICE]).await.expect("put policy on A");
    until("policy refusing bob on A applied on C", PROPAGATION, || async {
        encrypt_code(&bob_c, &key).await.as_deref() == Some("AccessDeniedException")
    })
    .await;

    // Deletion scheduled on A.
    alice_a.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await.expect("schedule on A");
    until("deletion scheduled on A refused on C", PROPAGATION, || async {
        encrypt_code(&alice_c, &key).await.as_deref() == Some("KMSInvalidStateException")
    })
    .await;
}

/// Sends one signed Service Quotas call (`op`, JSON `body`) to `endpoint`;
/// returns the HTTP status and the JSON answer.
fn service_quotas(endpoint: &str, creds: (&str, &str), op: &str, body: &Value) -> (u16, Value) {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let host = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    let target = format!("ServiceQuotasV20190624.{op}");
    let headers = [
        ("host", host.to_owned()),
        ("content-type", "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target", target),
    ];
    let identity = aws_credential_types::Credentials::new(creds.0, creds.1, None, None, "multi-node").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("servicequotas")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("{endpoint}/"),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut request = String::from("POST / HTTP/1.1\r\nconnection: close\r\n");
    for (k, v) in &headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    for (k, v) in instructions.headers() {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    let mut s = TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    s.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("HTTP answer");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    // The body may be chunked: take the JSON object inside.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(from), Some(to)) => serde_json::from_str(&body[from..=to]).expect("JSON answer"),
        _ => Value::Null,
    };
    (status, json)
}

/// ListKeys calls admitted out of `n` sent back to back.
async fn list_keys_admitted(c: &Client, n: usize) -> usize {
    let mut ok = 0;
    for _ in 0..n {
        match code(&c.list_keys().send().await) {
            None => ok += 1,
            Some(code) => assert_eq!(code, "ThrottlingException"),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quota_increase_approved_on_one_node_applies_on_another_within_a_second() {
    // ListKeys at 1/s for the account; increases approved at once. The
    // maintenance pass (which would also apply it) runs only every hour here.
    let extra = format!(
        r#"
maintenance_interval_seconds = 3600.0

[[quotas.overrides]]
account_id = "{DEV_ACCOUNT_ID}"
region = "{REGION}"
quota_code = "T-ListKeys"
value = 1.0
"#
    );
    let [a, _b, c] = three_nodes(&config(&extra), Some("30"));
    let alice_c = c.client(ALICE_KEY);
    assert_eq!(list_keys_admitted(&alice_c, 3).await, 1, "ListKeys should be held to 1/s on C before the increase");

    let (status, answer) = service_quotas(
        &a.endpoint,
        ALICE_KEY,
        "RequestServiceQuotaIncrease",
        &json!({"ServiceCode": "kms", "QuotaCode": "T-ListKeys", "DesiredValue": 1000.0}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["RequestedQuota"]["Status"], "APPROVED", "{answer}");
    // Three back to back admitted: impossible at 1/s.
    let applied = until("increase approved on A applied on C", PROPAGATION, || async {
        list_keys_admitted(&alice_c, 3).await == 3
    })
    .await;
    println!("quota increase approved on A → applied on C after {applied:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn propagation_delay_is_measured() {
    let [a, b, c] = three_nodes(&config(UNTHROTTLED), Some("30"));
    let (alice_a, alice_c) = (a.client(ALICE_KEY), c.client(ALICE_KEY));
    let key = alice_only_key(&alice_a).await;
    assert_eq!(encrypt_code(&alice_c, &key).await, None);

    // Idle, then while four clients write through B (CreateKey + TagResource:
    // every tag is a key update, so a notification every few milliseconds).
    let (p50, max) = measure(&alice_a, &alice_c, &key).await;
    println!("propagation delay A → C over 20 key state changes, idle: p50 {p50:?}, max {max:?}");
    assert!(max < PROPAGATION, "max delay {max:?}");

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (client, stop) = (b.client(ALICE_KEY), stop.clone());
            tokio::spawn(async move {
                let mut writes = 0u32;
                while !stop.load(Ordering::Acquire) {
                    let md = client.create_key().send().await.expect("CreateKey on B");
                    let id = md.key_metadata().expect("metadata").key_id().to_owned();
                    let tag = Tag::builder().tag_key("t").tag_value("v").build().expect("tag");
                    client.tag_resource().key_id(id).tags(tag).send().await.expect("TagResource on B");
                    writes += 2;
                }
                writes
            })
        })
        .collect();
    let started = Instant::now();
    let (p50, max) = measure(&alice_a, &alice_c, &key).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Release);
    let mut writes = 0;
    for w in writers {
        writes += w.await.expect("writer");
    }
    let rate = f64::from(writes) / elapsed.as_secs_f64();
    println!(
        "propagation delay A → C over 20 key state changes, under {rate:.0} writes/s through B: p50 {p50:?}, max {max:?}"
    );
    assert!(max < PROPAGATION, "max delay under load {max:?}");
    assert!(writes > 0, "the write load did not run");
}

/// Disables and enables `key` through `a` 20 times, measuring each time how
/// long until `c` answers accordingly; returns (p50, max).
async fn measure(a: &Client, c: &Client, key: &str) -> (Duration, Duration) {
    let mut delays = Vec::new();
    for i in 0..20 {
        let disable = i % 2 == 0;
        let want = if disable { Some("DisabledException".to_owned()) } else { None };
        if disable {
            a.disable_key().key_id(key).send().await.expect("disable on A");
        } else {
            a.enable_key().key_id(key).send().await.expect("enable on A");
        }
        let delay =
            until("key state change on A seen on C", PROPAGATION, || async { encrypt_code(c, key).await == want })
                .await;
        delays.push(delay);
    }
    delays.sort();
    (delays[delays.len() / 2], delays[delays.len() - 1])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_max_age_alone_bounds_staleness() {
    // Two nodes on one database, B with a 0.2 s max age. The test changes a
    // key both cached directly in the database, where no notification is
    // sent (as if it were lost): B reads it again within its max age, A
    // (30 s) keeps its cached copy, so the bound comes from the max age.
    let db = fresh_db();
    let a = Node::start(&db, &config(UNTHROTTLED), Some("30"));
    let b = Node::start(&db, &config(UNTHROTTLED), Some("0.2"));
    let (alice_a, alice_b) = (a.client(ALICE_KEY), b.client(ALICE_KEY));
    let key = alice_only_key(&alice_a).await;
    // Both have the key cached.
    assert_eq!(encrypt_code(&alice_a, &key).await, None);
    assert_eq!(encrypt_code(&alice_b, &key).await, None);
    disable_behind_trents_back(&db, &key);
    let healed = until("a change without notification seen on B", Duration::from_secs(2), || async {
        encrypt_code(&alice_b, &key).await.as_deref() == Some("DisabledException")
    })
    .await;
    // A (30 s) has the key cached from the create and keeps serving it.
    assert_eq!(encrypt_code(&alice_a, &key).await, None, "A's 30 s max age should keep its cached key");
    println!("change without notification seen on B (max age 0.2 s) after {healed:?}");
}

/// Disables `key` by editing its row with `psql`, which sends no
/// notification (as if one were lost).
fn disable_behind_trents_back(db: &str, key: &str) {
    let psql = trent_testkit::pg_bindir().expect("bindir").join("psql");
    let sql = format!(
        "UPDATE keys SET key_state = 'Disabled', doc = jsonb_set(doc::jsonb, '{{key_state}}', '\"Disabled\"')::text \
         WHERE key_id = '{key}'"
    );
    let out = Command::new(psql).arg(db).args(["-v", "ON_ERROR_STOP=1", "-c", &sql]).output().expect("psql");
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
}

/// What the write load got acknowledged.
#[derive(Default)]
struct Acked {
    keys: Vec<String>,
    aliases: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    /// Writes acknowledged after the kill, by node index.
    after_kill: [usize; 3],
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_a_node_under_write_load_loses_no_acknowledged_write() {
    let [a, mut b, c] = three_nodes(&config(UNTHROTTLED), None);
    let clients = [a.client(ALICE_KEY), b.client(ALICE_KEY), c.client(ALICE_KEY)];
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(unpoisoned::Mutex::<Acked>::default());
    let mut workers = Vec::new();
    for w in 0..6usize {
        let node = w % 3;
        let client = clients[node].clone();
        let (stop, killed, acked) = (stop.clone(), killed.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            let mut errors_on_survivors = Vec::new();
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let after = killed.load(Ordering::Acquire);
                let ok = async {
                    let md = client.create_key().send().await.map_err(|e| format!("CreateKey: {e:?}"))?;
                    let key = md.key_metadata().ok_or("no metadata")?.key_id().to_owned();
                    acked.lock().keys.push(key.clone());
                    let alias = format!("alias/load-{w}-{n}");
                    client
                        .create_alias()
                        .alias_name(&alias)
                        .target_key_id(&key)
                        .send()
                        .await
                        .map_err(|e| format!("CreateAlias: {e:?}"))?;
                    acked.lock().aliases.push((alias, key.clone()));
                    let tag =
                        Tag::builder().tag_key("n").tag_value(format!("{w}-{n}")).build().map_err(|e| e.to_string())?;
                    client
                        .tag_resource()
                        .key_id(&key)
                        .tags(tag)
                        .send()
                        .await
                        .map_err(|e| format!("TagResource: {e:?}"))?;
                    acked.lock().tags.push((key, format!("{w}-{n}")));
                    Ok::<(), String>(())
                }
                .await;
                match ok {
                    Ok(()) if after => acked.lock().after_kill[node] += 1,
                    Ok(()) => {}
                    Err(e) if node != 1 => errors_on_survivors.push(e),
                    // The killed node's clients fail from now on; keep offering load.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
            errors_on_survivors
        }));
    }
    // Load on all three, then kill B in the middle of it, then more load.
    until("writes acknowledged by every node", PATIENCE, || async { acked.lock().keys.len() >= 30 }).await;
    b.kill9();
    killed.store(true, Ordering::Release);
    until("writes acknowledged by A and C after the kill", PATIENCE, || async {
        let after = acked.lock().after_kill;
        after[0] >= 10 && after[2] >= 10
    })
    .await;
    stop.store(true, Ordering::Release);
    for w in workers {
        let errors = w.await.expect("worker");
        assert!(errors.is_empty(), "a surviving node refused writes: {errors:?}");
    }

    let acked = std::mem::take(&mut *acked.lock());
    println!(
        "acknowledged: {} keys, {} aliases, {} tags; after the kill A {} C {}",
        acked.keys.len(),
        acked.aliases.len(),
        acked.tags.len(),
        acked.after_kill[0],
        acked.after_kill[2]
    );
    // Everything acknowledged, by any node, is there, read through both survivors.
    for (i, reader) in [&clients[0], &clients[2]].into_iter().enumerate() {
        for key in &acked.keys {
            reader.describe_key().key_id(key).send().await.unwrap_or_else(|e| panic!("reader {i}: key {key}: {e:?}"));
        }
        let mut aliases = std::collections::HashMap::new();
        let mut marker = None;
        loop {
            let page = reader.list_aliases().set_marker(marker.clone()).limit(100).send().await.expect("list aliases");
            for a in page.aliases() {
                aliases.insert(a.alias_name().unwrap_or_default().to_owned(), a.target_key_id().map(str::to_owned));
            }
            marker = page.next_marker().map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        for (alias, key) in &acked.aliases {
            assert_eq!(aliases.get(alias), Some(&Some(key.clone())), "reader {i}: alias {alias}");
        }
        for (key, value) in &acked.tags {
            let tags = reader.list_resource_tags().key_id(key).send().await.expect("list tags");
            assert!(
                tags.tags().iter().any(|t| t.tag_key() == "n" && t.tag_value() == value),
                "reader {i}: tag {value} of {key}"
            );
        }
    }
    assert!(!b.alive());
}

/// A tiny mutex over `std::sync::Mutex` that never reports poisoning (a
/// panicking worker already fails the test).
mod unpoisoned {
    /// See the module docs.
    #[derive(Default)]
    pub struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        /// Locks, ignoring poisoning.
        pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_restart_gives_aws_errors_and_the_nodes_recover_by_themselves() {
    let mut pg = tokio::task::spawn_blocking(|| PgServer::start().expect("a private PostgreSQL")).await.expect("join");
    let db = pg.url();
    let mut a = Node::start(&db, &config(UNTHROTTLED), Some("30"));
    let mut c = Node::start(&db, &config(UNTHROTTLED), Some("30"));
    let (alice_a, alice_c) = (a.client(ALICE_KEY), c.client(ALICE_KEY));
    let key = alice_only_key(&alice_a).await;
    assert_eq!(encrypt_code(&alice_c, &key).await, None);

    // Restart PostgreSQL (immediate shutdown, crash recovery) while C is
    // asked for something that needs the store on every call.
    let restart = tokio::task::spawn_blocking(move || {
        pg.restart().expect("restart PostgreSQL");
        pg
    });
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    while !restart.is_finished() {
        let started = Instant::now();
        let r = alice_c.list_aliases().send().await;
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "a call took {:?} while the store was down",
            started.elapsed()
        );
        let outcome = match &r {
            Ok(_) => "ok".to_owned(),
            Err(e) => {
                let raw = e.raw_response().unwrap_or_else(|| panic!("no HTTP answer: {e:?}"));
                let status = raw.status().as_u16();
                let code = e.code().unwrap_or("(none)").to_owned();
                let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
                assert_no_internals(&body);
                assert!(
                    (code == "KMSInternalException" && status == 500)
                        || (code == "DependencyTimeoutException" && (status == 500 || status == 503)),
                    "not an AWS-style store error: {status} {code} {body}"
                );
                format!("{status} {code}")
            }
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    let pg = restart.await.expect("join restart");
    println!("ListAliases on C during the PostgreSQL restart: {outcomes:?}");
    assert!(a.alive() && c.alive(), "a node exited while PostgreSQL restarted");

    // Both serve again without a restart, reads and writes ...
    let recovered = until("C serves again after the restart", PATIENCE, || async {
        alice_c.list_aliases().send().await.is_ok() && alice_c.create_key().send().await.is_ok()
    })
    .await;
    until("A serves again after the restart", PATIENCE, || async { alice_a.create_key().send().await.is_ok() }).await;
    // ... and follow each other's changes again (the listeners reconnected).
    alice_a.disable_key().key_id(&key).send().await.expect("disable on A");
    let followed = until("change on A seen on C after the restart", PROPAGATION, || async {
        encrypt_code(&alice_c, &key).await.as_deref() == Some("DisabledException")
    })
    .await;
    println!("C recovered {recovered:?} after the restart; followed A's change after {followed:?}");
    drop(pg);
}

/// A loopback TCP proxy in front of PostgreSQL that the test can cut: every
/// connection through it is dropped and new ones are refused until it is
/// restored. Exists because a restart of PostgreSQL is over faster than the
/// pool's acquire timeout, so only a cut shows what requests get while the
/// store stays unreachable.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<unpoisoned::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    /// Listens on a free loopback port, forwarding to `127.0.0.1:target`.
    async fn start(target: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(unpoisoned::Mutex::<Vec<tokio::task::AbortHandle>>::default());
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::Acquire) {
                    continue; // dropped: the client sees the connection closed
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().push(link.abort_handle());
            }
        });
        Proxy { port, up, links }
    }

    /// Drops every connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::Release);
        for link in self.links.lock().drain(..) {
            link.abort();
        }
    }

    /// Accepts connections again.
    fn restore(&self) {
        self.up.store(true, Ordering::Release);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_gives_aws_errors_and_the_node_recovers_by_itself() {
    let db = fresh_db();
    let pg_port = PgServer::shared().expect("shared PostgreSQL").port();
    let proxy = Proxy::start(pg_port).await;
    let (_, name) = db.rsplit_once('/').expect("database name");
    let through_proxy = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let mut a = Node::start(&through_proxy, &config(UNTHROTTLED), Some("30"));
    let c = Node::start(&db, &config(UNTHROTTLED), Some("30"));
    let (alice_a, alice_c) = (a.client(ALICE_KEY), c.client(ALICE_KEY));
    let key = alice_only_key(&alice_a).await;
    assert_eq!(encrypt_code(&alice_a, &key).await, None);

    proxy.cut();
    // What needs the store fails, AWS-style and bounded (the pool's acquire
    // timeout is 5 s) ...
    for _ in 0..2 {
        let started = Instant::now();
        let e = alice_a.list_aliases().send().await.expect_err("ListAliases with the store unreachable");
        let took = started.elapsed();
        let raw = e.raw_response().unwrap_or_else(|| panic!("no HTTP answer: {e:?}"));
        let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
        assert_eq!((raw.status().as_u16(), e.code()), (500, Some("KMSInternalException")), "{body}");
        assert_no_internals(&body);
        assert!(took < Duration::from_secs(10), "the error took {took:?}");
        println!("ListAliases with the store unreachable: 500 KMSInternalException after {took:?}");
    }
    // ... including a key A had cached: having lost its change feed, A
    // cannot know whether another node changed it, so it forgot its caches
    // (consistency over availability) ...
    until("A forgets its cached key once its change feed is lost", PROPAGATION, || async {
        encrypt_code(&alice_a, &key).await.as_deref() == Some("KMSInternalException")
    })
    .await;
    // ... and a change made meanwhile through another node is not heard.
    alice_c.disable_key().key_id(&key).send().await.expect("disable on C");
    assert!(a.alive(), "the node exited while its store was unreachable");

    proxy.restore();
    let recovered = until("A serves again once its store is back", PATIENCE, || async {
        alice_a.list_aliases().send().await.is_ok()
    })
    .await;
    // Its listener reconnected and, having missed notifications, forgot
    // everything: the change made during the outage holds on A.
    let caught_up = until("A sees the change it missed", PROPAGATION * 3, || async {
        encrypt_code(&alice_a, &key).await.as_deref() == Some("DisabledException")
    })
    .await;
    println!("A served again {recovered:?} after the store came back; saw the missed change after {caught_up:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_and_its_primary_are_separate_entries_in_every_node_s_cache() {
    let [a, _b, c] = three_nodes(&config(UNTHROTTLED), Some("30"));
    let (east_a, west_a) = (a.client(ALICE_KEY), a.client_in(ALICE_KEY, "eu-west-1"));
    let (east_c, west_c) = (c.client(ALICE_KEY), c.client_in(ALICE_KEY, "eu-west-1"));
    let md = east_a.create_key().multi_region(true).send().await.expect("create on A");
    let key = md.key_metadata().expect("metadata").key_id().to_owned();
    east_a.replicate_key().key_id(&key).replica_region("eu-west-1").send().await.expect("replicate on A");
    // C has both related keys cached.
    assert_eq!(encrypt_code(&east_c, &key).await, None);
    assert_eq!(encrypt_code(&west_c, &key).await, None);

    // Disabling the replica on A reaches C's replica, and only it.
    west_a.disable_key().key_id(&key).send().await.expect("disable replica on A");
    let seen = until("replica disabled on A refused on C", PROPAGATION, || async {
        encrypt_code(&west_c, &key).await.as_deref() == Some("DisabledException")
    })
    .await;
    assert_eq!(encrypt_code(&east_c, &key).await, None, "the primary stays enabled on C");
    west_a.enable_key().key_id(&key).send().await.expect("enable replica on A");

    // A rotation of the primary on A reaches the replica C serves.
    east_a.rotate_key_on_demand().key_id(&key).send().await.expect("rotate on A");
    let current = east_a.describe_key().key_id(&key).send().await.expect("describe").key_metadata.expect("md");
    let current = current.current_key_material_id().expect("material id").to_owned();
    until("rotated material used by the replica on C", PROPAGATION, || async {
        let out = west_c.encrypt().key_id(&key).plaintext(Blob::new("x")).send().await;
        match out {
            Ok(o) => {
                let dec = east_a.decrypt().ciphertext_blob(o.ciphertext_blob.expect("blob")).send().await;
                dec.ok().and_then(|d| d.key_material_id).as_deref() == Some(current.as_str())
            }
            Err(_) => false,
        }
    })
    .await;
    println!("replica disabled on A → refused on C after {seen:?}");
}
