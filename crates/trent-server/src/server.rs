//! Starting a Trent server: configuration → store → root key → KMS service →
//! HTTP listener, plus the background pass of scheduled work.

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use trent_core::Kms;
use trent_core::kms::wall_clock::{SystemWallClock, WallClock};
use trent_core::quota::{QuotaEngine, SystemMonotonicClock};
use trent_core::service_quotas::ServiceQuotas;
use trent_core::store::KeyStore;
use trent_store::SqliteStore;
use zeroize::Zeroizing;

use crate::config::{Config, DEFAULT_LISTEN, DEV_ACCESS_KEY_ID, DEV_ACCOUNT_ID, DEV_SECRET_ACCESS_KEY};
use crate::http::{AppState, router};
use crate::metrics::Metrics;
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
    /// The quota engine (profile, effective values).
    pub quotas: Arc<QuotaEngine>,
    serve: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Runs until the HTTP server stops.
    pub async fn wait(self) -> std::io::Result<()> {
        self.serve.await.map_err(std::io::Error::other)?
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

/// Opens everything and starts listening; the returned server is already serving.
pub async fn start(opts: ServeOptions) -> Result<RunningServer, StartError> {
    start_with_clock(opts, Arc::new(SystemWallClock)).await
}

/// [`start`] with the wall clock the KMS service and the Service Quotas API
/// read. Exists for tests that move time by hand (a key's deletion after its
/// waiting period, automatic rotation) while talking to the real HTTP API.
pub async fn start_with_clock(opts: ServeOptions, clock: Arc<dyn WallClock>) -> Result<RunningServer, StartError> {
    let config = opts.config;
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
    let root = crate::root_key_file::load_or_create(config.root_key_file.as_deref(), &data_dir)?;
    let store: Arc<dyn KeyStore> =
        Arc::new(SqliteStore::open(&data_dir.join("trent.sqlite3")).await.map_err(StartError::Store)?);
    let engine = Arc::new(
        QuotaEngine::new(&config.quotas, Arc::new(SystemMonotonicClock::new()))
            .map_err(|e| StartError::Config(format!("[quotas]: {e}")))?,
    );
    let service_quotas = Arc::new(
        ServiceQuotas::load(engine.clone(), store.clone(), clock.clone())
            .await
            .map_err(|e| StartError::Config(format!("loading approved quota increases: {e}")))?
            .with_approval(approval),
    );
    tracing::info!(approval = ?approval, "quota increase requests are decided by this policy");
    // The engine is both the admission hook (request quotas) and the source of
    // resource limits, so a Service Quotas increase applies to both at once.
    let kms = Arc::new(
        Kms::new(store, root).with_admission(engine.clone()).with_resource_limits(engine.clone()).with_clock(clock),
    );

    let skew = Duration::from_secs(config.max_clock_skew_seconds.unwrap_or(300));
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(AppState {
        kms: kms.clone(),
        verifier: Verifier::new(principals.clone(), skew),
        metrics: metrics.clone(),
        service_quotas: Some(service_quotas.clone()),
    });

    let interval = Duration::from_secs_f64(config.maintenance_interval_seconds.unwrap_or(10.0).max(0.05));
    let maintenance_kms = kms.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            if let Err(e) = maintenance_kms.run_due_work().await {
                tracing::warn!(error = %e, "scheduled work failed");
            }
            // Opens cases, approves per policy, applies approvals stored by others.
            if let Err(e) = service_quotas.advance().await {
                tracing::warn!(error = %e, "advancing quota increase requests failed");
            }
        }
    });

    let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Io(format!("binding {listen}"), e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Io("reading bound address".into(), e))?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = router(state);
    // The peer address lets the /_trent/ admin routes answer loopback only.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(RunningServer { addr, data_dir, principals, dev_principal, kms, metrics, quotas: engine, serve })
}
