//! The dashboard in a real browser: `trent serve` under `trent load`, the
//! page opened in headless Chromium (`scripts/setup-system.sh` installs it),
//! and the numbers it shows compared with `/metrics` and the load's own counts.
//!
//! The page is opened with `?events=N`: it follows N server-sent snapshots and
//! closes the stream, so Chromium's `--virtual-time-budget` sees the network
//! go idle and dumps the DOM as the live updates left it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::TestServer;

const POOL: &str = "L-6E3AF000";
const QUOTA: u64 = 20;

fn chromium() -> PathBuf {
    let name = std::env::var("TRENT_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(&name)).find(|p| p.exists()))
        .unwrap_or_else(|| panic!("{name} is missing: run scripts/setup-system.sh (Debian package chromium)"))
}

/// Runs headless Chromium on `url` with `extra` arguments; its stdout.
fn run_chromium(profile: &Path, url: &str, extra: &[String]) -> String {
    let mut child = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--virtual-time-budget=10000")
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).expect("read chromium output");
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().expect("wait chromium").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

/// The value of attribute `name` in the first tag holding `marker`.
fn attr(dom: &str, marker: &str, name: &str) -> Option<String> {
    let at = dom.find(marker)?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let tag = &dom[start..end];
    let key = format!("{name}=\"");
    let v = tag.find(&key)? + key.len();
    Some(tag[v..].split('"').next()?.to_owned())
}

fn num(dom: &str, marker: &str, name: &str) -> u64 {
    attr(dom, marker, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} on {marker} in the page:\n{dom}"))
}

/// A counter of `/metrics` for the pool, by family name.
fn pool_metric(server: &TestServer, family: &str) -> u64 {
    let prefix = format!("trent_quota_{family}{{");
    server
        .metrics()
        .lines()
        .filter(|l| l.starts_with(&prefix) && l.contains(&format!("quota_code=\"{POOL}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// A count from `trent load`'s report line starting with `label`.
fn report_count(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label)?.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} line in the load report:\n{report}"))
}

#[test]
fn the_dashboard_shows_what_metrics_and_the_load_count() {
    let config = format!(
        "[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"{POOL}\"\nvalue = {QUOTA}.0\n"
    );
    let server = TestServer::start_with_config(Some(&config));
    let profile = tempfile::tempdir().expect("profile dir");
    let url = |events: u32| format!("{}/_trent/ui?events={events}", server.endpoint);

    // Twice the quota for 5 s: about half the Encrypts are throttled.
    let load = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["load", "--endpoint", &server.endpoint, "--rate", "40", "--duration", "5s", "-o", "Encrypt"])
        .envs(server.envs())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trent load");

    // Under load: wait (polling /metrics) until a second's worth was admitted.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pool_metric(&server, "admitted_total") < QUOTA {
        assert!(Instant::now() < deadline, "the load never got going:\n{}", server.metrics());
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = run_chromium(profile.path(), &url(2), &["--dump-dom".into()]);
    let metrics_admitted = pool_metric(&server, "admitted_total");
    let read_at_ms = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as u64;
    let marker = format!("data-code=\"{POOL}\"");
    assert_eq!(attr(&dom, "<body", "data-events").as_deref(), Some("2"), "two live updates arrived:\n{dom}");
    let shown = num(&dom, &marker, "data-admitted");
    let snapshot_ms = num(&dom, "<body", "data-snapshot-time");
    assert!(shown >= QUOTA && shown <= metrics_admitted, "shown {shown}, /metrics {metrics_admitted}");
    // Within a second: what /metrics counted since the page's snapshot is at
    // most what the quota admits in that time plus one second.
    let since = read_at_ms.saturating_sub(snapshot_ms) as f64 / 1000.0;
    let allowed = (QUOTA as f64 * (since + 1.0)).ceil() as u64;
    assert!(
        metrics_admitted - shown <= allowed,
        "page {shown} vs /metrics {metrics_admitted}, {since:.2} s apart: more than a second behind"
    );
    assert_eq!(num(&dom, &marker, "data-limit"), QUOTA, "the limit in force");

    // After the load: the page, /metrics and the load's report agree exactly.
    let out = load.wait_with_output().expect("trent load");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "trent load: {report}{}", String::from_utf8_lossy(&out.stderr));
    let succeeded = report_count(&report, "succeeded");
    let throttled = report_count(&report, "throttled");
    assert!(throttled > 0, "twice the quota throttled nothing:\n{report}");

    let dom = run_chromium(profile.path(), &url(1), &["--dump-dom".into()]);
    let (shown_admitted, shown_throttled) = (num(&dom, &marker, "data-admitted"), num(&dom, &marker, "data-throttled"));
    assert_eq!(shown_admitted, pool_metric(&server, "admitted_total"), "page vs /metrics (admitted)");
    assert_eq!(shown_throttled, pool_metric(&server, "throttled_total"), "page vs /metrics (throttled)");
    assert_eq!(shown_admitted, succeeded, "page vs the load's succeeded:\n{report}");
    assert_eq!(shown_throttled, throttled, "page vs the load's throttled:\n{report}");
    assert_eq!(server.count("Encrypt", "ok"), succeeded, "trent_requests_total vs the load");
    assert_eq!(server.count("Encrypt", "throttled"), throttled);
    // The caller the page names is the principal that signed the load.
    assert!(dom.contains("arn:aws:iam::111122223333:user/trent-dev"), "top caller missing");
    // The throttles feed lists the pool.
    let feed = &dom[dom.find("id=\"throttles\"").expect("feed")..];
    assert!(feed.contains("throttled</span> on Cryptographic operations (symmetric)"), "{feed}");

    // A screenshot of the page, kept when asked (docs/dashboard.png is made so).
    if let Ok(path) = std::env::var("TRENT_DASHBOARD_SCREENSHOT") {
        run_chromium(profile.path(), &url(1), &[format!("--screenshot={path}")]);
        assert!(std::fs::metadata(&path).is_ok_and(|m| m.len() > 10_000), "screenshot {path}");
    }
}

#[test]
fn the_dashboard_answers_loopback_only_and_embeds_its_assets() {
    let server = TestServer::start_with_config(None);
    let html = common::api::raw_http(&server.endpoint, "GET /_trent/ui HTTP/1.1\r\n", b"");
    assert_eq!(html.0, 200, "{html:?}");
    // Self-contained: every script and stylesheet comes from this server.
    for needle in ["src=\"http", "href=\"http", "//cdn", "@import"] {
        assert!(!html.2.contains(needle), "external resource {needle:?} in the page");
    }
    let js = common::api::raw_http(&server.endpoint, "GET /_trent/ui/app.js HTTP/1.1\r\n", b"");
    assert_eq!(js.0, 200);
    assert!(js.2.contains("EventSource") && !js.2.contains("http://") && !js.2.contains("https://"));
}
