//! Test harness: the real `trent serve` process on 127.0.0.1:0 with its own
//! data directory, and AWS clients pointed at it.
//!
//! [`api`] holds the aws-sdk-kms helpers (ARNs, AWS's error checks, common
//! calls) and [`asymmetric`] the openssl-backed helpers of the asymmetric-key
//! tests, so test files split by topic share one copy of each.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

pub mod api;
pub mod asymmetric;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Access key of the development principal.
pub const DEV_ACCESS_KEY_ID: &str = "AKIATRENTDEV00000000";
/// Secret of the development principal.
pub const DEV_SECRET_ACCESS_KEY: &str = "trent-development-secret-key-loopback-only";
/// Account of the development principal.
pub const DEV_ACCOUNT_ID: &str = "111122223333";
/// Region the default clients use.
pub const REGION: &str = "us-east-1";

/// A running `trent serve` child process.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// Region clients use.
    pub region: String,
    /// Access key clients sign with.
    pub access_key_id: String,
    /// Secret clients sign with.
    pub secret_access_key: String,
    data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    config: Option<PathBuf>,
    args: Vec<String>,
    child: Child,
}

impl TestServer {
    /// Starts a server with the development principal and a fresh data directory.
    pub fn start() -> TestServer {
        Self::start_with_config(None)
    }

    /// Starts a server with request quotas off, for tests of API semantics that
    /// make management calls faster than AWS's 5-per-second quotas allow.
    /// Quotas are on by default, as in AWS; their own tests use [`Self::start_with_config`].
    pub fn start_unthrottled() -> TestServer {
        Self::start_with_config(Some("[quotas]\nenabled = false\n"))
    }

    /// Starts a server with `config` (TOML text) and a fresh data directory.
    pub fn start_with_config(config: Option<&str>) -> TestServer {
        Self::start_with_args(config, &[])
    }

    /// [`Self::start_with_config`] with more `trent serve` arguments; a
    /// `{dir}` in one is replaced by the server's temporary directory.
    pub fn start_with_args(config: Option<&str>, args: &[&str]) -> TestServer {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data_dir = tmp.path().join("data");
        let config_path = config.map(|c| {
            let p = tmp.path().join("trent.toml");
            std::fs::write(&p, c).expect("write config");
            p
        });
        let dir = tmp.path().display().to_string();
        let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &dir)).collect();
        let mut s = Self::spawn(&data_dir, config_path.as_deref(), &args);
        s._tmp = Some(tmp);
        s
    }

    fn spawn(data_dir: &Path, config: Option<&Path>, args: &[String]) -> TestServer {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).args(args);
        if let Some(c) = config {
            cmd.arg("--config").arg(c);
        }
        cmd.env_remove("TRENT_ROOT_KEY");
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn trent serve");
        let (endpoint, lines) = serve_endpoint(&mut child);
        drain(lines);
        TestServer {
            endpoint,
            region: REGION.into(),
            access_key_id: DEV_ACCESS_KEY_ID.into(),
            secret_access_key: DEV_SECRET_ACCESS_KEY.into(),
            data_dir: data_dir.to_owned(),
            _tmp: None,
            config: config.map(Path::to_owned),
            args: args.to_vec(),
            child,
        }
    }

    /// Starts a server on a data directory the caller owns (existing or not).
    pub fn start_on(data_dir: &Path, config: Option<&Path>) -> TestServer {
        Self::spawn(data_dir, config, &[])
    }

    /// Stops the server with SIGKILL; hands back the temporary directory
    /// holding its data, if this server owned one.
    pub fn kill9(mut self) -> Option<tempfile::TempDir> {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
        self._tmp.take()
    }

    /// Stops the server with SIGTERM (it flushes its audit log first) and
    /// waits for it; hands back the temporary directory holding its data and
    /// how it exited.
    pub fn terminate(mut self) -> (Option<tempfile::TempDir>, std::process::ExitStatus) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let status = self.child.wait().expect("reap");
        (self._tmp.take(), status)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and starts a
    /// new one on the same data directory and config.
    pub fn kill9_and_restart(mut self) -> TestServer {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
        let mut next = Self::spawn(&self.data_dir, self.config.as_deref(), &self.args);
        next._tmp = self._tmp.take();
        next
    }

    /// Stops the server with SIGTERM (it writes what it keeps in memory and
    /// exits 143) and starts a new one on the same data directory and config.
    pub fn terminate_and_restart(mut self) -> TestServer {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = self.child.wait().expect("reap");
        assert_eq!(status.code(), Some(143), "trent serve after SIGTERM: {status:?}");
        let mut next = Self::spawn(&self.data_dir, self.config.as_deref(), &self.args);
        next._tmp = self._tmp.take();
        next
    }

    /// An aws-sdk-kms client for the development principal, with SDK retries off
    /// so tests see every error as the server sent it.
    pub async fn kms_client(&self) -> aws_sdk_kms::Client {
        self.kms_client_as(&self.access_key_id, &self.secret_access_key, &self.region, 1).await
    }

    /// A client for any credentials, region and max attempts (1 = no retries).
    pub async fn kms_client_as(
        &self,
        access_key_id: &str,
        secret: &str,
        region: &str,
        max_attempts: u32,
    ) -> aws_sdk_kms::Client {
        let creds = aws_credential_types::Credentials::new(access_key_id, secret, None, None, "trent-tests");
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(region.to_owned()))
            .credentials_provider(creds)
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(max_attempts))
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }

    /// Environment for child processes (AWS CLI, boto3, aws-encryption-cli, trent).
    pub fn envs(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL_KMS".into(), self.endpoint.clone()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret_access_key.clone()),
            ("AWS_REGION".into(), self.region.clone()),
            ("AWS_DEFAULT_REGION".into(), self.region.clone()),
            ("AWS_CONFIG_FILE".into(), "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    /// The server's `/metrics` text.
    pub fn metrics(&self) -> String {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect for metrics");
        write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read metrics");
        out
    }

    /// Successful calls of one KMS operation, as counted by the server.
    pub fn op_count(&self, operation: &str) -> u64 {
        self.count(operation, "ok")
    }

    /// Calls of one KMS operation with one outcome (`ok`, `throttled`, `error`).
    pub fn count(&self, operation: &str, outcome: &str) -> u64 {
        // One series per AWS error type: add them up.
        let needle = format!("trent_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\",");
        self.metrics()
            .lines()
            .filter(|l| l.starts_with(&needle))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.trim().parse::<u64>().ok()))
            .sum()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The rest of a `trent serve` child's stdout.
pub type ServeLines = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// The endpoint a `trent serve` child (stdout piped) printed on its first
/// line, and the lines after it.
pub fn serve_endpoint(child: &mut Child) -> (String, ServeLines) {
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
    let first = lines.next().expect("trent serve printed nothing (did it start?)").expect("read stdout");
    let endpoint = first
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no endpoint in {first:?}"))
        .to_owned();
    (endpoint, lines)
}

/// Keeps reading a child's stdout so it never blocks on a full pipe.
pub fn drain(lines: ServeLines) {
    std::thread::spawn(move || for _ in lines {});
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The Python venv with awscli, boto3 and aws-encryption-sdk-cli (`scripts/setup-python.sh`).
pub fn venv() -> PathBuf {
    std::env::var_os("TRENT_VENV").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".venv"))
}

/// A program from the venv; panics with a clear message if it is missing.
pub fn venv_bin(name: &str) -> PathBuf {
    let p = venv().join("bin").join(name);
    assert!(p.exists(), "{} is missing: run scripts/setup-python.sh first", p.display());
    p
}

/// Runs a boto3 `script` against `server`; it must exit 0 and print `done`
/// (its last statement's proof that every assertion before it ran).
pub fn run_boto3(server: &TestServer, script: &str, done: &str) {
    let out = Command::new(venv_bin("python")).args(["-c", script]).envs(server.envs()).output().expect("run python");
    assert!(
        out.status.success(),
        "boto3 script failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(done), "{done:?} not printed");
}
