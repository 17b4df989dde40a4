//! The accept loop: each connection served by hyper with limits that keep a
//! hostile or broken client from holding the server.
//!
//! `axum::serve` has no timer, so a client that opens a connection and
//! sends nothing (or a header a byte a minute) would hold it forever, and it
//! accepts every connection the kernel hands it. Here:
//! - a request's headers must arrive within [`ConnectionLimits::header_read_timeout`]
//!   of the connection starting to wait for them, which also closes idle
//!   keep-alive connections after that long (bodies have their own timeout
//!   in `crate::http`);
//! - at most [`ConnectionLimits::max_connections`] are served at once; more
//!   wait in the kernel's backlog, and the first time the cap is reached a
//!   warning says so.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one server allows each client.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time allowed for a request's headers, counted from when the
    /// connection starts waiting for them (so also the idle keep-alive time).
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    /// 10 s for headers (an SDK sends them at once) and 1,000 connections
    /// (below the usual 1,024 open files per process, with room for the
    /// store and the limiter).
    fn default() -> Self {
        Self { header_read_timeout: Duration::from_secs(10), max_connections: 1_000 }
    }
}

/// Serves `app` on `listener` until the process ends, over TLS when `tls`
/// is given (the handshake counts against the header timeout).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    metrics: Arc<crate::metrics::Metrics>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let warned = AtomicBool::new(false);
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection cap reached: new connections wait until one closes"
                    );
                }
                permits.clone().acquire_owned().await.map_err(std::io::Error::other)?
            }
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let open = crate::metrics::connections::OpenConnection::accepted(&metrics);
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _held = (permit, open);
            match tls {
                None => serve_connection(tcp, peer, None, app, limits).await,
                Some(acceptor) => match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let details = crate::tls::TlsDetails::of(stream.get_ref().1);
                        serve_connection(stream, peer, Some(details), app, limits).await
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
        });
    }
}

/// One connection, plain or TLS, until the client or a timeout ends it.
async fn serve_connection<IO>(
    io: IO,
    peer: SocketAddr,
    tls: Option<crate::tls::TlsDetails>,
    app: Router,
    limits: ConnectionLimits,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        // The admin routes answer loopback peers only; the audit log
        // records the peer and the TLS connection.
        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        if let Some(details) = tls {
            req.extensions_mut().insert(details);
        }
        app.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let io = crate::parse_errors::TypedParseErrors::new(io);
    if let Err(e) = builder.serve_connection(TokioIo::new(io), service).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
