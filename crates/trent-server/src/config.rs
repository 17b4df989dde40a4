//! The server's configuration: the TOML file given to `trent serve --config`.
//!
//! ```toml
//! listen = "127.0.0.1:4599"
//! data_dir = "./trent-data"
//!
//! [[principals]]
//! access_key_id = "AKIAEXAMPLEEXAMPLE01"
//! secret_access_key = "..."
//! account_id = "111122223333"
//! arn = "arn:aws:iam::111122223333:user/alice"   # optional
//!
//! [store]   # optional; default: SQLite in data_dir
//! url = "postgres://trent@db.internal:5432/trent"
//!
//! [quotas]  # besides trent_core's QuotaConfig fields:
//! limiter = "redis://cache.internal:6379"  # optional; default: in-memory, per node
//!
//! [[faults]]  # optional, repeatable: fault injection (docs/faults.md)
//! operations = ["Encrypt"]
//! error = "KMSInternalException"
//! probability = 0.1
//! ```
//!
//! With no principals configured, one development principal
//! ([`DEV_ACCESS_KEY_ID`]) is used, and only while listening on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4599";
/// Access key id of the development principal.
pub const DEV_ACCESS_KEY_ID: &str = "AKIATRENTDEV00000000";
/// Secret key of the development principal (public on purpose: loopback only).
pub const DEV_SECRET_ACCESS_KEY: &str = "trent-development-secret-key-loopback-only";
/// Account of the development principal (AWS's documentation example account).
pub const DEV_ACCOUNT_ID: &str = "111122223333";

/// One principal allowed to call Trent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalConfig {
    /// The access key id clients sign with.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The 12-digit account the principal belongs to.
    pub account_id: String,
    /// The principal's ARN; defaults to `arn:aws:iam::ACCOUNT:user/ACCESS_KEY_ID`.
    pub arn: Option<String>,
}

/// `[store]`: where keys, aliases and documents are kept.
///
/// Exists so several Trent nodes can share one PostgreSQL database; without
/// it each node keeps its own SQLite file in its data directory.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (`trent serve --store` wins);
    /// unset: SQLite in the data directory. All nodes on one database must
    /// share the root key (`root_key_file` or `TRENT_ROOT_KEY`).
    pub url: Option<String>,
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`--listen` wins).
    pub listen: Option<SocketAddr>,
    /// Data directory (`--data-dir` wins).
    pub data_dir: Option<PathBuf>,
    /// File holding the 32-byte root key (raw, hex or base64); default `DATA_DIR/root.key`.
    pub root_key_file: Option<PathBuf>,
    /// Seconds between passes of scheduled work (deletions, rotations).
    pub maintenance_interval_seconds: Option<f64>,
    /// Maximum allowed request clock skew in seconds (AWS: 300).
    pub max_clock_skew_seconds: Option<u64>,
    /// Seconds a client has to send a request's headers, counted from when
    /// the connection waits for them (also the idle keep-alive time; default 10).
    pub header_read_timeout_seconds: Option<f64>,
    /// Seconds a client has to send a request body (default 20).
    pub body_read_timeout_seconds: Option<f64>,
    /// Connections served at once (default 1,000); more wait in the backlog.
    pub max_connections: Option<usize>,
    /// HTTPS (`[tls]`; the `--tls*` flags of `trent serve` win).
    #[serde(default)]
    pub tls: crate::tls::TlsConfig,
    /// Principals allowed to call.
    #[serde(default)]
    pub principals: Vec<PrincipalConfig>,
    /// Request quota settings (`[quotas]`, see `trent_core::quota::config`).
    #[serde(default)]
    pub quotas: trent_core::quota::QuotaConfig,
    /// How quota increase requests are approved (`[service_quotas]`: `approval`,
    /// `approval_delay`; see `trent_core::service_quotas::policy`). Checked at start.
    #[serde(default)]
    pub service_quotas: trent_core::service_quotas::ServiceQuotasConfig,
    /// Where keys are kept (`[store]`).
    #[serde(default)]
    pub store: StoreConfig,
    /// Fault injection rules (`[[faults]]`, see `crate::faults::rule`). Checked at start.
    #[serde(default)]
    pub faults: Vec<crate::faults::FaultRule>,
    /// `[quotas] limiter`: where request-quota buckets live. `redis://HOST:PORT`
    /// shares every account's quota among all nodes using that Redis
    /// (`trent serve --limiter` wins); unset: in memory, per node. Read by
    /// [`Config::from_toml`] rather than serde, because `[quotas]` is
    /// trent-core's `QuotaConfig`, which knows nothing of deployments.
    #[serde(skip)]
    pub limiter: Option<String>,
}

impl Config {
    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        let mut table: toml::Table = toml::from_str(text)?;
        let limiter = table.get_mut("quotas").and_then(toml::Value::as_table_mut).and_then(|q| q.remove("limiter"));
        let Some(limiter) = limiter else {
            // The common case keeps the parser's line numbers in errors.
            return toml::from_str(text);
        };
        let toml::Value::String(url) = limiter else {
            return Err(serde::de::Error::custom(format!(
                "quotas.limiter must be a string such as \"redis://127.0.0.1:6379\", got a {}",
                limiter.type_str()
            )));
        };
        let mut config: Config = toml::Value::Table(table).try_into()?;
        config.limiter = Some(url);
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_limiter_is_read_beside_the_quota_settings() {
        let c = Config::from_toml("[quotas]\nlimiter = \"redis://127.0.0.1:6379\"\nalgorithm = \"token-bucket\"\n")
            .expect("parses");
        assert_eq!(c.limiter.as_deref(), Some("redis://127.0.0.1:6379"));
        assert_eq!(c.quotas.algorithm, trent_core::quota::Algorithm::TokenBucket);
        assert_eq!(Config::from_toml("[quotas]\nenabled = false\n").expect("parses").limiter, None);
        let err = Config::from_toml("[quotas]\nlimiter = 6379\n").expect_err("not a URL").to_string();
        assert!(err.contains("quotas.limiter must be a string"), "{err}");
        assert!(
            Config::from_toml("[quotas]\nlimiter = \"redis://x\"\nbogus = 1\n").is_err(),
            "unknown fields still refused"
        );
    }
}
