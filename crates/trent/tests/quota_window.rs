//! The one-second window end to end, through the real `trent serve` process:
//! from idle, a burst gets exactly the quota under `algorithm = "window"` (the
//! default) and more under `algorithm = "token-bucket"`; a hot key is
//! throttled below its per-operation quotas when `hot_key_per_second` is set;
//! bad `[quotas]` settings stop the server at start with a message naming the key.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kms::error::ProvideErrorMetadata;
use common::TestServer;

/// The symmetric pool, small enough that a burst of GenerateRandom overruns it many times.
const QUOTA: u64 = 40;

fn config(algorithm: &str) -> String {
    format!(
        r#"
[quotas]
algorithm = "{algorithm}"

[[quotas.overrides]]
account_id = "111122223333"
region = "us-east-1"
quota_code = "L-6E3AF000"
value = {QUOTA}.0
"#
    )
}

/// GenerateRandom (symmetric pool) from four concurrent clients, as fast as
/// they go, for `span` from `started`; returns (admitted, throttled).
async fn burst(server: &TestServer, started: Instant, span: Duration) -> (u64, u64) {
    let kms = server.kms_client().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let kms = kms.clone();
        tasks.spawn(async move {
            let (mut ok, mut throttled) = (0u64, 0u64);
            while started.elapsed() < span {
                match kms.generate_random().number_of_bytes(16).send().await {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        assert_eq!(e.code(), Some("ThrottlingException"), "{e:?}");
                        throttled += 1;
                    }
                }
            }
            (ok, throttled)
        });
    }
    let mut total = (0, 0);
    for r in tasks.join_all().await {
        total.0 += r.0;
        total.1 += r.1;
    }
    total
}

#[tokio::test]
async fn from_idle_a_burst_gets_exactly_the_quota_under_the_window_and_more_under_the_token_bucket() {
    // 0.8 s of back-to-back calls: all inside the first second of the burst.
    let span = Duration::from_millis(800);

    let window = TestServer::start_with_config(Some(&config("window")));
    let started = Instant::now();
    let (ok, throttled) = burst(&window, started, span).await;
    assert!(throttled > QUOTA, "the burst must overrun the quota many times: {ok} ok, {throttled} throttled");
    assert_eq!(ok, QUOTA, "window: exactly the quota in the first second");
    assert_eq!(window.count("GenerateRandom", "ok"), QUOTA, "as the server counted it");

    // The quota comes back one second after the burst's admissions, not before:
    // every admission happened after `started`.
    let kms = window.kms_client().await;
    loop {
        match kms.generate_random().number_of_bytes(16).send().await {
            Ok(_) => break,
            Err(e) => assert_eq!(e.code(), Some("ThrottlingException")),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the window never reopened");
    }
    let reopened = started.elapsed();
    assert!(reopened >= Duration::from_secs(1), "window reopened {reopened:?} after the burst began");

    // The same burst against the token bucket: its burst (one second's worth)
    // plus the refill while the burst lasts.
    let bucket = TestServer::start_with_config(Some(&config("token-bucket")));
    let (ok, throttled) = burst(&bucket, Instant::now(), span).await;
    assert!(throttled > 0);
    assert!(ok > QUOTA + QUOTA / 4, "token bucket: more than the quota in the first second, got {ok}");
    assert_eq!(bucket.count("GenerateRandom", "ok"), ok);
}

#[tokio::test]
async fn a_hot_key_is_throttled_below_its_per_operation_quotas() {
    let server = TestServer::start_with_config(Some("[quotas]\nhot_key_per_second = 2.0\n"));
    let kms = server.kms_client().await;
    let key = kms.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
    let other = kms.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
    let mut outcomes = vec![];
    for i in 0..4 {
        let r = if i % 2 == 0 {
            kms.disable_key()
                .key_id(&key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into_service_error().code().map(str::to_owned))
        } else {
            kms.enable_key()
                .key_id(&key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into_service_error().code().map(str::to_owned))
        };
        outcomes.push(r);
    }
    // DisableKey and EnableKey each allow 5/s; the key allows 2 state changes a second.
    assert_eq!(outcomes[..2], [Ok(()), Ok(())]);
    assert_eq!(
        outcomes[2..],
        [Err(Some("ThrottlingException".to_owned())), Err(Some("ThrottlingException".to_owned()))]
    );
    // Another key is not hot, and reads of the hot one are not limited by it.
    kms.disable_key().key_id(&other).send().await.expect("another key");
    kms.describe_key().key_id(&key).send().await.expect("a read");
    assert_eq!(server.count("DisableKey", "throttled") + server.count("EnableKey", "throttled"), 2);
}

/// Starts `trent serve` with `config` and waits for it to exit; returns its
/// stderr. Fails if it is still running after a few seconds (it accepted the config).
fn refused_at_start(config: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trent.toml");
    std::fs::write(&path, config).expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&path)
        .env_remove("TRENT_ROOT_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trent serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("trent serve accepted {config:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("read stderr");
    assert!(!status.success(), "{config:?}: {stderr}");
    stderr
}

#[test]
fn bad_quota_settings_stop_the_server_with_a_message_naming_the_key() {
    let cases = [
        ("algorithm = \"fixed\"", "quotas.algorithm must be \"window\" or \"token-bucket\", got \"fixed\""),
        ("window_seconds = 0.0", "quotas.window_seconds must be a finite number greater than 0, got 0"),
        ("window_seconds = -1.0", "quotas.window_seconds must be a finite number greater than 0, got -1"),
        ("burst_seconds = 0.0", "quotas.burst_seconds must be a finite number greater than 0, got 0"),
        (
            "algorithm = \"token-bucket\"\nburst_seconds = -2.5",
            "quotas.burst_seconds must be a finite number greater than 0, got -2.5",
        ),
        ("hot_key_per_second = 0.0", "quotas.hot_key_per_second must be a finite number greater than 0"),
        ("hot_key_per_second = -5.0", "quotas.hot_key_per_second must be a finite number greater than 0"),
    ];
    for (setting, message) in cases {
        let stderr = refused_at_start(&format!("[quotas]\n{setting}\n"));
        assert!(stderr.contains(message), "{setting}: {stderr}");
    }
}
