//! Starting a Trent server: configuration → store → root key → KMS service →
//! HTTP listener, plus the background pass of scheduled work and, on a store
//! shared with other nodes, the task following their changes.

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::broadcast;
use trent_core::Kms;
use trent_core::kms::wall_clock::{SystemWallClock, WallClock};
use trent_core::quota::{QuotaEngine, SystemMonotonicClock};
use trent_core::service_quotas::{ServiceQuotas, history};
use trent_core::store::KeyStore;
use trent_core::store::{StoreChange, StoreError};
use trent_store::{PostgresStore, SqliteStore};
use zeroize::Zeroizing;

use crate::config::{Config, DEFAULT_LISTEN, DEV_ACCESS_KEY_ID, DEV_ACCOUNT_ID, DEV_SECRET_ACCESS_KEY};
use crate::http::{AppState, router};
use crate::metrics::Metrics;
use crate::root_key_canary::CanaryError;
use crate::sigv4::{Principal, Verifier};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
    /// The data directory or listener could not be set up.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The store could not be opened.
    #[error("opening the key store: {0}")]
    Store(trent_core::store::StoreError),
    /// The root key could not be loaded.
    #[error(transparent)]
    RootKey(#[from] crate::root_key_file::RootKeyError),
    /// The shared quota limiter (`--limiter`, `[quotas] limiter`) could not be used.
    #[error("quota limiter: {0}")]
    Limiter(String),
    /// The store holds material sealed under another root key: this node
    /// would fail every cryptographic operation on the keys it shares.
    #[error(
        "the key store {store} holds key material sealed under a different root key than this node's; \
         every node sharing a store needs the same root key (root_key_file or TRENT_ROOT_KEY)"
    )]
    RootKeyMismatch {
        /// The store, without credentials.
        store: String,
    },
}

/// The SQLite store's file in the data directory (the default store).
pub const STORE_FILE: &str = "trent.sqlite3";

/// `url` without its password, for messages and logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "(unparsable store URL)".into() };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split_once(':').map_or(user, |(u, _)| u)),
        None => authority.to_owned(),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    format!("{scheme}://{authority}/{path}")
}

/// Opens the store the configuration names: PostgreSQL for a `postgres://`
/// URL, else SQLite in the data directory. Returns it with a name for
/// messages (no credentials).
pub(crate) async fn open_store(
    url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<(Arc<dyn KeyStore>, String), StartError> {
    match url {
        None => {
            let path = data_dir.join(STORE_FILE);
            let store = SqliteStore::open(&path).await.map_err(StartError::Store)?;
            Ok((Arc::new(store), path.display().to_string()))
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let name = redact(url);
            let store = PostgresStore::connect(url).await.map_err(|e| match e {
                StoreError::Backend(msg) => StartError::Store(StoreError::Backend(format!("{name}: {msg}"))),
                e => StartError::Store(e),
            })?;
            tracing::info!(store = %name, "using the PostgreSQL key store");
            Ok((Arc::new(store), name))
        }
        Some(url) => Err(StartError::Config(format!(
            "store URL {}: only postgres:// URLs are supported (leave it unset for SQLite in the data directory)",
            redact(url)
        ))),
    }
}

/// Environment variable overriding how old a cached key, alias target or
/// grant list may get before it is read again from the store (seconds, > 0).
/// Exists because a change report from another node can be lost: on a shared
/// store this bounds how long a node can miss a change. Default: 1 s on a
/// shared (PostgreSQL) store, no limit on SQLite (only this process writes it).
pub const CACHE_MAX_AGE_ENV: &str = "TRENT_CACHE_MAX_AGE_SECONDS";

/// Default maximum cache age on a store shared by several nodes.
const SHARED_CACHE_MAX_AGE: Duration = Duration::from_secs(1);

/// The cache's maximum age: [`CACHE_MAX_AGE_ENV`] if set, else
/// [`SHARED_CACHE_MAX_AGE`] when `shared`, else none.
fn cache_max_age(shared: bool) -> Result<Option<Duration>, StartError> {
    match std::env::var(CACHE_MAX_AGE_ENV) {
        Ok(text) => parse_cache_max_age(shared, Some(&text)),
        Err(std::env::VarError::NotPresent) => parse_cache_max_age(shared, None),
        Err(e) => Err(StartError::Config(format!("{CACHE_MAX_AGE_ENV}: {e}"))),
    }
}

/// [`cache_max_age`] given the variable's value (`None`: unset).
fn parse_cache_max_age(shared: bool, value: Option<&str>) -> Result<Option<Duration>, StartError> {
    let Some(text) = value else { return Ok(shared.then_some(SHARED_CACHE_MAX_AGE)) };
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Some(Duration::from_secs_f64(s))),
        _ => Err(StartError::Config(format!("{CACHE_MAX_AGE_ENV}={text:?}: expected a number of seconds above 0"))),
    }
}

/// Follows the changes other nodes commit to a shared store: every report
/// makes the KMS service forget what it names at once, and a report about
/// quota requests applies approved increases (in a task of its own, so a
/// slow read never delays the forgetting). A receiver that fell behind
/// forgets everything. Also re-checks approved increases every `max_age`,
/// in case a report was lost (cached keys expire by themselves).
fn spawn_change_watcher(
    kms: Arc<Kms>,
    service_quotas: Arc<ServiceQuotas>,
    mut changes: broadcast::Receiver<StoreChange>,
    max_age: Option<Duration>,
) {
    let quotas = service_quotas.clone();
    let follow_quotas = move |change: StoreChange| {
        let quotas = quotas.clone();
        tokio::spawn(async move {
            if let Err(e) = quotas.follow_change(&change).await {
                tracing::warn!(error = %e, "applying quota increases approved on another node failed");
            }
        });
    };
    tokio::spawn(async move {
        loop {
            let change = match changes.recv().await {
                Ok(change) => change,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "fell behind the changes of other nodes; forgetting every cached key");
                    StoreChange::Everything
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            tracing::trace!(?change, "change reported by the store");
            kms.apply_store_change(&change);
            let quota_doc = [history::DOC_KIND, history::STATUS_KIND];
            if matches!(&change, StoreChange::Doc { kind, .. } if quota_doc.contains(&kind.as_str()))
                || change == StoreChange::Everything
            {
                follow_quotas(change);
            }
        }
    });
    if let Some(max_age) = max_age {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(max_age);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = service_quotas.follow_change(&StoreChange::Everything).await {
                    tracing::debug!(error = %e, "re-checking approved quota increases failed");
                }
            }
        });
    }
}

/// The quota engine with the limiter the configuration names: in memory
/// (the default, per node) or Redis for a `redis://` URL (shared by every
/// node using that Redis).
async fn open_limiter(
    url: Option<&str>,
    quotas: &trent_core::quota::QuotaConfig,
) -> Result<Result<QuotaEngine, trent_core::quota::QuotaConfigError>, StartError> {
    let clock = Arc::new(SystemMonotonicClock::new());
    match url {
        None => Ok(QuotaEngine::new(quotas, clock)),
        Some(url) if url.starts_with("redis://") => {
            let limiter =
                trent_redis::RedisLimiter::connect(url).await.map_err(|e| StartError::Limiter(e.to_string()))?;
            tracing::info!(limiter = %trent_redis::redact(url), "request quotas are shared through Redis");
            Ok(QuotaEngine::with_limiter(quotas, clock, Arc::new(limiter)))
        }
        Some(url) => Err(StartError::Config(format!(
            "limiter URL {}: only redis:// URLs are supported (leave it unset for the in-memory limiter)",
            trent_redis::redact(url)
        ))),
    }
}

/// What `trent serve` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// `--listen`, overriding the config file.
    pub listen: Option<SocketAddr>,
    /// `--data-dir`, overriding the config file.
    pub data_dir: Option<PathBuf>,
    /// The parsed config file (default if none).
    pub config: Config,
    /// Metrics on or off, and the audit log (`--no-metrics`, `--audit-log`).
    pub observe: ObserveOptions,
    /// `--allow-reset`: serve `POST /_trent/reset` (see [`crate::reset`]).
    pub allow_reset: bool,
}

/// What the server records about its requests.
#[derive(Debug, Clone)]
pub struct ObserveOptions {
    /// Record metrics (Prometheus, the dashboard's numbers); off only to
    /// measure what they cost.
    pub metrics: bool,
    /// Write the CloudTrail-format audit log here.
    pub audit: Option<crate::audit::AuditOptions>,
}

impl Default for ObserveOptions {
    fn default() -> Self {
        Self { metrics: true, audit: None }
    }
}

/// A server that is listening.
pub struct RunningServer {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// The data directory in use.
    pub data_dir: PathBuf,
    /// The principals accepted; `dev_principal` tells whether it is the built-in one.
    pub principals: Vec<Principal>,
    /// Whether the development principal is in use.
    pub dev_principal: bool,
    /// The KMS service (tests use it to run scheduled work).
    pub kms: Arc<Kms>,
    /// Request counters.
    pub metrics: Arc<Metrics>,
    /// The live dashboard (`/_trent/ui`).
    pub dashboard: Arc<crate::dashboard::Dashboard>,
    /// The quota engine (profile, effective values).
    pub quotas: Arc<QuotaEngine>,
    serve: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Whether it speaks HTTPS.
    pub https: bool,
    /// With `--tls self-signed`: the CA certificate clients should trust.
    pub ca_bundle: Option<PathBuf>,
    /// The audit log, flushed before the process exits on a signal.
    audit: Option<Arc<crate::audit::AuditLog>>,
    /// Held for as long as the server runs.
    _data_lock: crate::maintenance::data_lock::DataDirLock,
}

impl RunningServer {
    /// `http://ADDR` or `https://ADDR`.
    pub fn endpoint(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.addr)
    }
}

impl RunningServer {
    /// Runs until the HTTP server stops (`Ok(None)`) or SIGINT or SIGTERM
    /// arrives: then writes what is still only in memory — the key usage
    /// GetKeyLastUsage reports (bounded to 5 s: an unreachable store must not
    /// keep the process from exiting) and the audit log's last records — and
    /// returns the exit status a shell shows for the signal (130, 143), for
    /// the caller to exit with.
    pub async fn wait(self) -> std::io::Result<Option<u8>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let status = tokio::select! {
            served = self.serve => return served.map_err(std::io::Error::other)?.map(|()| None),
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        };
        match tokio::time::timeout(Duration::from_secs(5), self.kms.flush_key_usage()).await {
            Ok(Ok(n)) => tracing::info!(keys = n, "key usage written before exit"),
            Ok(Err(e)) => tracing::error!(error = %e, "writing key usage before exit failed"),
            Err(_) => tracing::error!("writing key usage before exit timed out after 5 s"),
        }
        if let Some(audit) = &self.audit
            && let Err(e) = audit.flush().await
        {
            tracing::error!(error = %e, "flushing the audit log at exit failed");
        }
        Ok(Some(status))
    }
}

fn principals(config: &Config, listen: SocketAddr) -> Result<(Vec<Principal>, bool), StartError> {
    if config.principals.is_empty() {
        if !listen.ip().is_loopback() {
            return Err(StartError::Config(format!(
                "no [[principals]] configured: the development principal is accepted only on loopback, but --listen is {listen}"
            )));
        }
        return Ok((
            vec![Principal {
                access_key_id: DEV_ACCESS_KEY_ID.into(),
                secret_access_key: Zeroizing::new(DEV_SECRET_ACCESS_KEY.into()),
                account_id: DEV_ACCOUNT_ID.into(),
                arn: format!("arn:aws:iam::{DEV_ACCOUNT_ID}:user/trent-dev"),
            }],
            true,
        ));
    }
    let mut out = Vec::new();
    for p in &config.principals {
        if p.account_id.len() != 12 || !p.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StartError::Config(format!("principal {}: account_id must be 12 digits", p.access_key_id)));
        }
        out.push(Principal {
            access_key_id: p.access_key_id.clone(),
            secret_access_key: Zeroizing::new(p.secret_access_key.clone()),
            account_id: p.account_id.clone(),
            arn: p.arn.clone().unwrap_or_else(|| format!("arn:aws:iam::{}:user/{}", p.account_id, p.access_key_id)),
        });
    }
    Ok((out, false))
}

/// A duration in seconds from the config, refused unless positive and finite.
fn seconds(key: &str, value: Option<f64>) -> Result<Option<Duration>, StartError> {
    match value {
        None => Ok(None),
        Some(v) => match Duration::try_from_secs_f64(v) {
            Ok(d) if !d.is_zero() => Ok(Some(d)),
            _ => Err(StartError::Config(format!("{key} = {v}: must be a positive number of seconds"))),
        },
    }
}

/// Opens everything and starts listening; the returned server is already serving.
/// Holds a shared lock on the data directory while it runs, so maintenance
/// (`trent rotate-root-key`, `trent restore`) cannot run under it.
pub async fn start(opts: ServeOptions) -> Result<RunningServer, StartError> {
    start_with_clock(opts, Arc::new(SystemWallClock)).await
}

/// [`start`] with the wall clock the KMS service and the Service Quotas API
/// read. Exists for tests that move time by hand (a key's deletion after its
/// waiting period, automatic rotation) while talking to the real HTTP API.
pub async fn start_with_clock(opts: ServeOptions, clock: Arc<dyn WallClock>) -> Result<RunningServer, StartError> {
    let config = opts.config;
    let observe = opts.observe;
    let allow_reset = opts.allow_reset;
    let default_listen: SocketAddr =
        DEFAULT_LISTEN.parse().map_err(|_| StartError::Config("bad default listen address".into()))?;
    let listen = opts.listen.or(config.listen).unwrap_or(default_listen);
    let data_dir = opts.data_dir.or(config.data_dir.clone()).unwrap_or_else(|| PathBuf::from("trent-data"));
    let (principals, dev_principal) = principals(&config, listen)?;
    let approval = config.service_quotas.policy().map_err(|e| StartError::Config(e.to_string()))?;

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&data_dir)
        .map_err(|e| StartError::Io(format!("creating data directory {}", data_dir.display()), e))?;
    let data_lock =
        crate::maintenance::data_lock::DataDirLock::shared(&data_dir).map_err(|e| StartError::Config(e.to_string()))?;
    let root = crate::root_key_file::load_or_create(config.root_key_file.as_deref(), &data_dir)?;
    let (store, store_name) = open_store(config.store.url.as_deref(), &data_dir).await?;
    crate::root_key_canary::check(store.as_ref(), &root).await.map_err(|e| match e {
        CanaryError::Mismatch => StartError::RootKeyMismatch { store: store_name.clone() },
        CanaryError::Store(e) => StartError::Store(e),
        CanaryError::Other(m) => StartError::Config(m),
    })?;
    let engine = Arc::new(
        open_limiter(config.limiter.as_deref(), &config.quotas)
            .await?
            .map_err(|e| StartError::Config(format!("[quotas]: {e}")))?,
    );
    let metrics = Arc::new(Metrics::new(Some(engine.clone()), observe.metrics));
    let store: Arc<dyn KeyStore> = Arc::new(crate::metrics::timed::TimedStore::new(store, metrics.clone()));
    let admission = Arc::new(crate::metrics::timed::TimedAdmission::new(engine.clone(), metrics.clone()));
    let audit = match observe.audit {
        Some(a) => Some(crate::audit::AuditLog::open(a).map_err(|e| StartError::Config(e.to_string()))?),
        None => None,
    };
    let service_quotas = Arc::new(
        ServiceQuotas::load(engine.clone(), store.clone(), clock.clone())
            .await
            .map_err(|e| StartError::Config(format!("loading approved quota increases: {e}")))?
            .with_approval(approval),
    );
    tracing::info!(approval = ?approval, "quota increase requests are decided by this policy");
    // The engine is both the admission hook (request quotas) and the source of
    // resource limits, so a Service Quotas increase applies to both at once.
    let changes = store.changes();
    let max_age = cache_max_age(changes.is_some())?;
    let kms = Arc::new(
        Kms::new(store, root)
            .with_admission(admission)
            .with_resource_limits(engine.clone())
            .with_clock(clock)
            .with_cache_max_age(max_age),
    );
    if let Some(changes) = changes {
        tracing::info!(cache_max_age = ?max_age, "following the changes of other nodes sharing the store");
        spawn_change_watcher(kms.clone(), service_quotas.clone(), changes, max_age);
    }

    let skew = Duration::from_secs(config.max_clock_skew_seconds.unwrap_or(300));
    let audit_log = audit.clone();
    let state = Arc::new(AppState {
        kms: kms.clone(),
        verifier: Verifier::new(principals.clone(), skew),
        metrics: metrics.clone(),
        service_quotas: Some(service_quotas.clone()),
        body_read_timeout: seconds("body_read_timeout_seconds", config.body_read_timeout_seconds)?
            .unwrap_or(crate::http::BODY_READ_TIMEOUT),
        faults: Arc::new(
            crate::faults::Faults::from_config(&config.faults).map_err(|e| StartError::Config(e.to_string()))?,
        ),
        audit,
    });
    let dashboard = crate::dashboard::Dashboard::new(engine.clone(), Some(service_quotas.clone()));

    // GetKeyLastUsage's TrackingStartDate: fixed by the first server on this store.
    if let Err(e) = kms.usage_tracking_start().await {
        tracing::warn!(error = %e, "reading when key usage tracking began failed");
    }
    let interval = Duration::from_secs_f64(config.maintenance_interval_seconds.unwrap_or(10.0).max(0.05));
    let maintenance_kms = kms.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            if let Err(e) = maintenance_kms.run_due_work().await {
                tracing::warn!(error = %e, "scheduled work failed");
            }
            // Key usage is kept in memory and written here, at most once per key per pass.
            if let Err(e) = maintenance_kms.flush_key_usage().await {
                tracing::warn!(error = %e, "writing key usage failed");
            }
            // Opens cases, approves per policy, applies approvals stored by others.
            if let Err(e) = service_quotas.advance().await {
                tracing::warn!(error = %e, "advancing quota increase requests failed");
            }
        }
    });

    let defaults = crate::listener::ConnectionLimits::default();
    let limits = crate::listener::ConnectionLimits {
        header_read_timeout: seconds("header_read_timeout_seconds", config.header_read_timeout_seconds)?
            .unwrap_or(defaults.header_read_timeout),
        max_connections: match config.max_connections {
            Some(0) => return Err(StartError::Config("max_connections must be at least 1".into())),
            Some(n) => n,
            None => defaults.max_connections,
        },
    };
    let tls = if config.tls.enabled() {
        Some(crate::tls::setup(&config.tls, listen, &data_dir).map_err(|e| StartError::Config(format!("[tls]: {e}")))?)
    } else {
        None
    };
    let ca_bundle = tls.as_ref().and_then(|t| t.ca_bundle.clone());
    let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Io(format!("binding {listen}"), e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Io("reading bound address".into(), e))?;
    let reset = allow_reset.then(|| Arc::new(crate::reset::Reset::new(kms.clone(), engine.clone())));
    let app = router(state).merge(crate::dashboard::routes(dashboard.clone())).merge(crate::reset::routes(reset));
    let https = tls.is_some();
    let serve = tokio::spawn(crate::listener::serve(listener, app, limits, tls.map(|t| t.acceptor), metrics.clone()));
    Ok(RunningServer {
        addr,
        data_dir,
        principals,
        dev_principal,
        kms,
        metrics,
        dashboard,
        quotas: engine,
        serve,
        https,
        ca_bundle,
        audit: audit_log,
        _data_lock: data_lock,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    use super::*;

    /// Writes a root key file (hex, owner-only) whose 32 bytes are all `byte`.
    fn key_file(dir: &Path, byte: u8) -> PathBuf {
        let path = dir.join(format!("root-{byte}.key"));
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).expect("key file");
        f.write_all(hex::encode([byte; 32]).as_bytes()).expect("write key");
        path
    }

    fn options(data_dir: &Path, root_key_file: PathBuf, store_url: Option<&str>) -> ServeOptions {
        let mut config = Config { root_key_file: Some(root_key_file), ..Config::default() };
        config.store.url = store_url.map(str::to_owned);
        ServeOptions {
            listen: Some(([127, 0, 0, 1], 0).into()),
            data_dir: Some(data_dir.to_owned()),
            config,
            ..ServeOptions::default()
        }
    }

    #[tokio::test]
    async fn a_node_with_another_root_key_refuses_the_store() {
        assert!(
            std::env::var_os(crate::root_key_file::ROOT_KEY_ENV).is_none(),
            "TRENT_ROOT_KEY overrides root_key_file; unset it to run this test"
        );
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let (a, b) = (key_file(tmp.path(), 1), key_file(tmp.path(), 2));
        // The first node writes the canary with its key ...
        let first = start(options(&data, a.clone(), None)).await.expect("first node");
        // ... a node with another key sharing the store refuses to start ...
        let refused = start(options(&data, b, None)).await;
        match &refused {
            Err(StartError::RootKeyMismatch { store }) => assert!(store.ends_with("trent.sqlite3"), "{store}"),
            Err(e) => panic!("expected RootKeyMismatch, got {e}"),
            Ok(_) => panic!("a node with another root key started"),
        }
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("different root key") && message.contains("TRENT_ROOT_KEY"), "{message}");
        // ... and one with the same key starts.
        let again = start(options(&data, a, None)).await.expect("same root key starts");
        assert_ne!(first.addr, again.addr);
    }

    #[tokio::test]
    async fn only_postgres_urls_select_another_store() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let key = key_file(tmp.path(), 3);
        let r = start(options(&tmp.path().join("data"), key, Some("mysql://u:hunter2@db/x"))).await;
        match r {
            Err(StartError::Config(msg)) => {
                assert!(msg.contains("only postgres://") && !msg.contains("hunter2"), "{msg}")
            }
            Err(e) => panic!("expected a Config error, got {e}"),
            Ok(_) => panic!("started on a mysql:// store"),
        }
    }

    #[test]
    fn the_cache_max_age_is_1_s_on_a_shared_store_and_none_on_sqlite_unless_set() {
        assert_eq!(parse_cache_max_age(true, None).ok(), Some(Some(Duration::from_secs(1))));
        assert_eq!(parse_cache_max_age(false, None).ok(), Some(None));
        assert_eq!(parse_cache_max_age(false, Some(" 0.25 ")).ok(), Some(Some(Duration::from_millis(250))));
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            match parse_cache_max_age(true, Some(bad)) {
                Err(StartError::Config(msg)) => assert!(msg.contains(CACHE_MAX_AGE_ENV), "{msg}"),
                other => panic!("{bad}: expected a Config error, got {other:?}"),
            }
        }
    }

    #[test]
    fn store_urls_are_shown_without_passwords() {
        assert_eq!(redact("postgres://trent:s3cret@db:5432/trent"), "postgres://trent@db:5432/trent");
        assert_eq!(redact("postgres://trent@db/trent?password=x"), "postgres://trent@db/trent");
        assert_eq!(redact("postgresql://db"), "postgresql://db/");
        assert_eq!(redact("nonsense"), "(unparsable store URL)");
    }
}
