//! `trent serve`: starts the server and tells the user how to point AWS clients at it.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use trent_server::audit::{AuditOptions, DEFAULT_MAX_BYTES, FsyncPolicy};
use trent_server::config::Config;
use trent_server::server::{ObserveOptions, ServeOptions, StartError, start};

/// `trent serve`'s metrics and audit log options.
#[derive(Debug, Clone, clap::Args)]
pub struct ObserveArgs {
    /// Write a CloudTrail-format audit log here: one JSON record per line for
    /// every KMS and Service Quotas request (docs/audit-log.md).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Rotate the audit log past this many bytes (the old file becomes a
    /// CloudTrail {"Records":[...]} file beside it).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    pub audit_log_max_bytes: u64,
    /// When the audit log is fsync'd: always (before each answer), interval
    /// (once a second) or never.
    #[arg(long, value_name = "POLICY", default_value = "interval")]
    pub audit_log_fsync: FsyncPolicy,
    /// Record no metrics (and serve empty ones): only to measure what they cost.
    #[arg(long)]
    pub no_metrics: bool,
}

impl ObserveArgs {
    fn options(self) -> ObserveOptions {
        ObserveOptions {
            metrics: !self.no_metrics,
            audit: self.audit_log.map(|path| AuditOptions {
                path,
                max_bytes: self.audit_log_max_bytes,
                fsync: self.audit_log_fsync,
            }),
        }
    }
}

/// Exit code: the configuration is unusable (`--config` unreadable or not valid, or a value
/// the server refuses, such as a principal's account id).
pub const EXIT_CONFIG: u8 = 10;
/// Exit code: the server could not start (data directory, listen address, key store, root key).
pub const EXIT_START: u8 = 11;
/// Exit code: the server stopped with an error after it had started.
pub const EXIT_SERVING: u8 = 12;

/// The codes as `trent serve --help` lists them; apart from the envelope commands' 1–4 and
/// `trent load`'s 20–23.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (the server serves until a signal ends it; on SIGINT or SIGTERM it first writes
the key usage it keeps in memory, then exits 128 + the signal's number, e.g. 130 for Ctrl-C):
   2  the command line does not parse
  10  the configuration is unusable: --config unreadable or invalid, or a value the server refuses
  11  the server could not start: data directory, listen address, key store, root key,
      quota limiter (Redis)
  12  the server stopped with an error while serving";

/// Why `trent serve` stopped, each kind with its own exit code; shown as the message of the
/// error inside, so the words are what they were.
#[derive(Debug)]
pub enum ServeError {
    /// See [`EXIT_CONFIG`].
    Config(anyhow::Error),
    /// See [`EXIT_START`].
    Start(anyhow::Error),
    /// See [`EXIT_SERVING`].
    Serving(anyhow::Error),
}

impl ServeError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Config(_) => EXIT_CONFIG,
            ServeError::Start(_) => EXIT_START,
            ServeError::Serving(_) => EXIT_SERVING,
        }
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ServeError::Config(e) | ServeError::Start(e) | ServeError::Serving(e)) = self;
        write!(f, "{e:#}")
    }
}

impl std::error::Error for ServeError {}

/// The configuration file at `path`, or the defaults without one.
pub fn read_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    let Some(path) = path else { return Ok(Config::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
    Config::from_toml(&text).with_context(|| format!("parsing config {}", path.display()))
}

/// The `--tls`, `--tls-cert` and `--tls-key` flags (they replace `[tls]`).
#[derive(Debug, Default)]
pub struct TlsFlags {
    /// `--tls self-signed`.
    pub self_signed: bool,
    /// `--tls-cert FILE`.
    pub cert: Option<PathBuf>,
    /// `--tls-key FILE`.
    pub key: Option<PathBuf>,
}

/// `trent serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:4599].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Directory for the key database and root key [default: ./trent-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// TOML configuration file (principals, quotas).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Keep keys in this PostgreSQL database (postgres://USER@HOST:PORT/DB),
    /// shared by several Trent nodes with one root key; overrides [store] url.
    /// Default: SQLite in DATA_DIR.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Keep request-quota buckets in this Redis (redis://HOST:PORT), so every
    /// node using it shares each account's quota; overrides [quotas] limiter.
    /// Default: in memory, per node.
    #[arg(long, value_name = "URL")]
    pub limiter: Option<String>,
    /// Serve HTTPS with a certificate made for this server and kept in
    /// DATA_DIR/tls/ (its CA file is printed, for AWS_CA_BUNDLE).
    #[arg(long, value_name = "self-signed", value_parser = ["self-signed"], conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls: Option<String>,
    /// Serve HTTPS with this certificate (PEM, with its chain); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve POST /_trent/reset (loopback only), which deletes every key,
    /// alias, grant, quota increase request and quota bucket: for test
    /// suites that start each run from an empty server.
    #[arg(long)]
    pub allow_reset: bool,
    #[command(flatten)]
    pub observe: ObserveArgs,
}

/// Runs the server until it stops.
///
/// `--store URL` overrides the config file's `[store] url`, and
/// `--limiter URL` its `[quotas] limiter`.
pub async fn run(args: ServeArgs) -> Result<(), ServeError> {
    let ServeArgs { listen, data_dir, config, store, limiter, tls, tls_cert, tls_key, allow_reset, observe } = args;
    let tls = TlsFlags { self_signed: tls.is_some(), cert: tls_cert, key: tls_key };
    let mut config = read_config(config.as_deref()).map_err(ServeError::Config)?;
    if store.is_some() {
        config.store.url = store;
    }
    if limiter.is_some() {
        config.limiter = limiter;
    }
    if tls.self_signed || tls.cert.is_some() {
        config.tls =
            trent_server::tls::TlsConfig { cert_file: tls.cert, key_file: tls.key, self_signed: tls.self_signed };
    }
    let server = start(ServeOptions { listen, data_dir, config, observe: observe.options(), allow_reset })
        .await
        .map_err(|e| match e {
            StartError::Config(_) => ServeError::Config(e.into()),
            _ => ServeError::Start(e.into()),
        })?;
    let endpoint = server.endpoint();
    println!("Trent is listening on {endpoint} (data in {})", server.data_dir.display());
    println!("Quota dashboard: {endpoint}/_trent/ui  (Prometheus metrics: {endpoint}/metrics)");
    if allow_reset {
        println!("Reset (deletes everything): curl -X POST {endpoint}/_trent/reset");
    }
    if server.dev_principal {
        if let Some(p) = server.principals.first() {
            println!("Development principal (loopback only): account {}", p.account_id);
            println!();
            print_endpoint_exports(&endpoint);
            if let Some(ca) = &server.ca_bundle {
                println!("export AWS_CA_BUNDLE={}", ca.display());
            }
            println!("export AWS_ACCESS_KEY_ID={}", p.access_key_id);
            println!("export AWS_SECRET_ACCESS_KEY={}", &*p.secret_access_key);
            println!("export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1");
        }
    } else {
        println!("{} configured principal(s)", server.principals.len());
        println!();
        print_endpoint_exports(&endpoint);
        if let Some(ca) = &server.ca_bundle {
            println!("export AWS_CA_BUNDLE={}", ca.display());
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    match server.wait().await.context("serving").map_err(ServeError::Serving)? {
        // Stopped by SIGINT/SIGTERM after flushing: the status a shell shows for it.
        Some(status) => std::process::exit(i32::from(status)),
        None => Ok(()),
    }
}

/// The `export` lines that send the AWS CLI and SDKs to Trent for every API it
/// serves: KMS, Service Quotas and STS (`GetCallerIdentity`). Service-specific
/// variables rather than `AWS_ENDPOINT_URL`, so other services still reach AWS.
fn print_endpoint_exports(endpoint: &str) {
    println!("export AWS_ENDPOINT_URL_KMS={endpoint}");
    println!("export AWS_ENDPOINT_URL_SERVICE_QUOTAS={endpoint}");
    println!("export AWS_ENDPOINT_URL_STS={endpoint}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code_and_keeps_its_message() {
        let e = ServeError::Config(anyhow::anyhow!("bad toml").context("parsing config t.toml"));
        assert_eq!((e.exit_code(), e.to_string()), (EXIT_CONFIG, "parsing config t.toml: bad toml".to_owned()));
        assert_eq!(ServeError::Start(anyhow::anyhow!("x")).exit_code(), EXIT_START);
        assert_eq!(ServeError::Serving(anyhow::anyhow!("x")).exit_code(), EXIT_SERVING);
    }
}
