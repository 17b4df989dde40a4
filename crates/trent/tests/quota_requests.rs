//! The quota increase life cycle against the real `trent serve`: boto3's
//! Service Quotas client makes and follows requests, `trent quotas` decides
//! them, the server's maintenance pass moves them on, and every state survives
//! SIGKILL. Bad `[service_quotas]` settings stop the start, naming the key.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kms::error::ProvideErrorMetadata;
use common::{TestServer, venv_bin};
use serde_json::{Value, json};

/// ListKeys: a request quota that needs no key, set to 1/s here so that the
/// approved value visibly changes what is throttled.
const LIST_KEYS: &str = "T-ListKeys";
/// Patience for anything the maintenance pass (every 0.1 s here) must do.
const DEADLINE: Duration = Duration::from_secs(30);

fn config(approval: &str, interval_seconds: f64) -> String {
    format!(
        r#"
maintenance_interval_seconds = {interval_seconds}

[service_quotas]
{approval}

[[quotas.overrides]]
account_id = "111122223333"
region = "us-east-1"
quota_code = "{LIST_KEYS}"
value = 1.0
"#
    )
}

/// Runs one boto3 `service-quotas` call; `Err((code, message))` for an AWS error.
fn sq(server: &TestServer, op: &str, params: Value) -> Result<Value, (String, String)> {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            r#"
import boto3, botocore, json, sys
sq = boto3.client("service-quotas", config=botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"}))
try:
    out = getattr(sq, sys.argv[1])(**json.loads(sys.argv[2]))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"Error": e.response["Error"]}))
    sys.exit(0)
out.pop("ResponseMetadata", None)
print(json.dumps(out, default=lambda d: d.timestamp()))
"#,
            op,
            &params.to_string(),
        ])
        .envs(server.envs())
        .output()
        .expect("python");
    assert!(out.status.success(), "boto3 {op}: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json from boto3");
    match v.get("Error") {
        Some(e) => {
            Err((e["Code"].as_str().unwrap_or_default().into(), e["Message"].as_str().unwrap_or_default().into()))
        }
        None => Ok(v),
    }
}

fn request_increase(server: &TestServer, code: &str, value: f64) -> Value {
    let out = sq(
        server,
        "request_service_quota_increase",
        json!({"ServiceCode": "kms", "QuotaCode": code, "DesiredValue": value}),
    )
    .expect("request_service_quota_increase");
    out["RequestedQuota"].clone()
}

fn requested(server: &TestServer, id: &str) -> Value {
    sq(server, "get_requested_service_quota_change", json!({"RequestId": id})).expect("get_requested")["RequestedQuota"]
        .clone()
}

fn quota_value(server: &TestServer, code: &str) -> f64 {
    let q =
        sq(server, "get_service_quota", json!({"ServiceCode": "kms", "QuotaCode": code})).expect("get_service_quota");
    q["Quota"]["Value"].as_f64().expect("value")
}

/// Polls until request `id` is in `status`; panics with its last state at the deadline.
fn wait_for_status(server: &TestServer, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let r = requested(server, id);
        if r["Status"] == status {
            return r;
        }
        assert!(Instant::now() < deadline, "request {id} never reached {status}: {r}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn trent_quotas(server: &TestServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trent"))
        .arg("quotas")
        .args(args)
        .args(["--endpoint", &server.endpoint])
        .output()
        .expect("trent quotas")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// ListKeys calls admitted out of `n` sent back to back (no SDK retries).
async fn list_keys_admitted(server: &TestServer, n: usize) -> usize {
    let kms = server.kms_client().await;
    let mut ok = 0;
    for _ in 0..n {
        match kms.list_keys().send().await {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.into_service_error().code(), Some("ThrottlingException")),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_requests_wait_for_the_operator_and_survive_kill_9() {
    let server = TestServer::start_with_config(Some(&config("approval = \"manual\"", 0.1)));
    assert_eq!(quota_value(&server, LIST_KEYS), 1.0);

    let made = request_increase(&server, LIST_KEYS, 100.0);
    assert_eq!(made["Status"], "PENDING", "{made}");
    assert!(made.get("CaseId").is_none(), "{made}");
    let id = made["Id"].as_str().expect("Id").to_owned();

    let opened = wait_for_status(&server, &id, "CASE_OPENED");
    let case = opened["CaseId"].as_str().expect("a case is opened").to_owned();
    assert!(opened["LastUpdated"].as_f64().expect("LastUpdated") >= opened["Created"].as_f64().expect("Created"));
    // Not applied: reported and enforced values are unchanged.
    assert_eq!(quota_value(&server, LIST_KEYS), 1.0);
    let started = Instant::now();
    let ok = list_keys_admitted(&server, 20).await;
    let most = 1 + started.elapsed().as_secs_f64().ceil() as usize;
    assert!(ok <= most && ok < 20, "{ok} ListKeys admitted at 1/s in {:?}", started.elapsed());
    // One open request per quota, as on AWS.
    let again = sq(
        &server,
        "request_service_quota_increase",
        json!({"ServiceCode": "kms", "QuotaCode": LIST_KEYS, "DesiredValue": 200.0}),
    );
    assert_eq!(
        again.expect_err("second open request"),
        (
            "ResourceAlreadyExistsException".into(),
            "Only one open service quota increase request is allowed per quota.".into()
        )
    );
    let history =
        sq(&server, "list_requested_service_quota_change_history", json!({"Status": "CASE_OPENED"})).expect("history");
    assert_eq!(history["RequestedQuotas"][0]["Id"], json!(id));

    let listed = trent_quotas(&server, &["list", "--status", "CASE_OPENED", "--json"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("json listing");
    assert_eq!(listed[0]["Id"], json!(id));
    assert_eq!(listed[0]["AccountId"], "111122223333");
    assert_eq!(listed[0]["Region"], "us-east-1");
    let table = trent_quotas(&server, &["list"]);
    assert!(table.status.success());
    let table = text(&table.stdout);
    assert!(table.starts_with("REQUEST ID"), "{table}");
    assert!(table.lines().any(|l| l.contains(&id) && l.contains("CASE_OPENED") && l.contains(&case)), "{table}");

    // SIGKILL while CASE_OPENED: still CASE_OPENED, same case, not applied.
    let server = server.kill9_and_restart();
    // A request made after the restart reaching CASE_OPENED proves passes ran.
    let witness = request_increase(&server, "T-ListAliases", 600.0);
    wait_for_status(&server, witness["Id"].as_str().expect("Id"), "CASE_OPENED");
    assert_eq!(requested(&server, &id), opened, "CASE_OPENED survives SIGKILL and manual never approves by itself");
    assert_eq!(quota_value(&server, LIST_KEYS), 1.0);

    let approved = trent_quotas(&server, &["approve", &id]);
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    let said = text(&approved.stdout);
    assert!(said.starts_with(&format!("approved request {id}: kms {LIST_KEYS}")), "{said}");
    assert!(said.contains("status APPROVED") && said.contains("the new value applies now"), "{said}");
    let now = requested(&server, &id);
    assert_eq!(now["Status"], "APPROVED");
    assert_eq!(now["CaseId"], json!(case));
    assert_eq!(quota_value(&server, LIST_KEYS), 100.0);
    assert_eq!(list_keys_admitted(&server, 20).await, 20, "the approved value is enforced");

    // Decisions are final; unknown ids are named.
    let twice = trent_quotas(&server, &["deny", &id]);
    assert_eq!(twice.status.code(), Some(4), "{}", text(&twice.stderr));
    assert!(text(&twice.stderr).contains(&format!("request {id} is already APPROVED")), "{}", text(&twice.stderr));
    let unknown = trent_quotas(&server, &["approve", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(
        text(&unknown.stderr).contains("no quota increase request has id 0123456789abcdef0123456789abcdef"),
        "{}",
        text(&unknown.stderr)
    );

    // SIGKILL after the approval: still APPROVED, still enforced.
    let server = server.kill9_and_restart();
    assert_eq!(requested(&server, &id), now);
    assert_eq!(quota_value(&server, LIST_KEYS), 100.0);
    assert_eq!(list_keys_admitted(&server, 20).await, 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_requests_never_apply_and_a_pending_request_survives_kill_9() {
    // The first pass runs at start, the next an hour later: requests made now stay PENDING.
    let server = TestServer::start_with_config(Some(&config("approval = \"manual\"", 3600.0)));
    let made = request_increase(&server, LIST_KEYS, 100.0);
    let id = made["Id"].as_str().expect("Id").to_owned();
    assert_eq!(requested(&server, &id)["Status"], "PENDING");

    // SIGKILL while PENDING: the restarted server's first pass opens the case.
    let server = server.kill9_and_restart();
    let opened = wait_for_status(&server, &id, "CASE_OPENED");
    assert_eq!(opened["Created"], made["Created"]);

    let denied = trent_quotas(&server, &["deny", &id]);
    assert!(denied.status.success(), "{}", text(&denied.stderr));
    assert!(text(&denied.stdout).contains("status DENIED"), "{}", text(&denied.stdout));
    assert!(text(&denied.stdout).contains("the value will not apply"), "{}", text(&denied.stdout));
    assert_eq!(requested(&server, &id)["Status"], "DENIED");
    assert_eq!(quota_value(&server, LIST_KEYS), 1.0);
    let approve_denied = trent_quotas(&server, &["approve", &id]);
    assert_eq!(approve_denied.status.code(), Some(4));
    assert!(text(&approve_denied.stderr).contains("is already DENIED"), "{}", text(&approve_denied.stderr));

    // A denied request is closed: another may be made, and closed by the operator.
    let second = request_increase(&server, LIST_KEYS, 50.0);
    let second_id = second["Id"].as_str().expect("Id").to_owned();
    let closed = trent_quotas(&server, &["close", &second_id]);
    assert!(closed.status.success(), "{}", text(&closed.stderr));
    let closed = requested(&server, &second_id);
    assert_eq!(closed["Status"], "CASE_CLOSED");
    assert!(closed.get("CaseId").is_some(), "closing a PENDING request opens its case first: {closed}");

    let server = server.kill9_and_restart();
    assert_eq!(requested(&server, &id)["Status"], "DENIED");
    assert_eq!(requested(&server, &second_id), closed);
    assert_eq!(quota_value(&server, LIST_KEYS), 1.0);
    let by_quota = sq(
        &server,
        "list_requested_service_quota_change_history_by_quota",
        json!({"ServiceCode": "kms", "QuotaCode": LIST_KEYS}),
    )
    .expect("history by quota");
    let statuses: Vec<&str> = by_quota["RequestedQuotas"]
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["Status"].as_str().expect("s"))
        .collect();
    assert_eq!(statuses, ["CASE_CLOSED", "DENIED"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_approves_by_itself_once_the_delay_has_passed() {
    let server = TestServer::start_with_config(Some(&config("approval = \"after\"\napproval_delay = \"1500ms\"", 0.1)));
    let made = request_increase(&server, LIST_KEYS, 100.0);
    assert_eq!(made["Status"], "PENDING");
    let id = made["Id"].as_str().expect("Id").to_owned();
    let approved = wait_for_status(&server, &id, "APPROVED");
    assert!(approved.get("CaseId").is_some(), "went through CASE_OPENED: {approved}");
    let waited = approved["LastUpdated"].as_f64().expect("t") - approved["Created"].as_f64().expect("t");
    assert!(waited >= 1.5, "approved {waited} s after the request, before the delay");
    assert_eq!(quota_value(&server, LIST_KEYS), 100.0);
    assert_eq!(list_keys_admitted(&server, 20).await, 20);
}

/// Starts `trent serve` with `config` and expects it to refuse to start;
/// returns its exit code and stderr.
fn refused_start(config: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trent.toml");
    std::fs::write(&path, config).expect("write config");
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trent serve");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("trent serve started with {config:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("read stderr");
    assert!(!Path::new(&data).join("trent.sqlite3").exists(), "refused before opening the store");
    (status.code(), stderr)
}

#[test]
fn bad_service_quotas_settings_are_refused_at_start_naming_the_key() {
    for (settings, expected) in [
        (
            "approval = \"after\"\napproval_delay = \"soon\"",
            "[service_quotas] approval_delay = \"soon\" is not a duration",
        ),
        ("approval = \"after\"\napproval_delay = \"30\"", "approval_delay = \"30\" is not a duration: 30 has no unit"),
        ("approval = \"after\"", "[service_quotas] approval_delay is required with approval = \"after\""),
        ("approval = \"sometimes\"", "[service_quotas] approval = \"sometimes\" is not an approval policy"),
        ("approval = \"manual\"\napproval_delay = \"5s\"", "approval_delay applies only with approval = \"after\""),
        ("aproval = \"manual\"", "unknown field `aproval`"),
    ] {
        let (code, stderr) = refused_start(&format!("[service_quotas]\n{settings}\n"));
        // 10: `trent serve`'s exit code for an unusable configuration.
        assert_eq!(code, Some(10), "{settings}: {stderr}");
        assert!(stderr.contains(expected), "{settings}: expected {expected:?} in {stderr:?}");
    }
}

#[test]
fn trent_quotas_says_when_no_server_answers() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["quotas", "list", "--endpoint", &endpoint])
        .output()
        .expect("trent quotas");
    assert_eq!(out.status.code(), Some(5));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("could not reach Trent at {endpoint}")), "{stderr}");
    let bad =
        Command::new(env!("CARGO_BIN_EXE_trent")).args(["quotas", "list", "--status", "OPEN"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2), "clap refuses an unknown status");
}
