//! A small HTTP/1.1 connection pool over hyper's connection API: at most N keep-alive
//! connections per simulated client, plain TCP (`TCP_NODELAY`) or TLS for real AWS
//! endpoints. hyper-util's legacy client opens a new connection whenever none is idle,
//! which under overload means thousands of sockets; this pool waits instead.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

/// Where requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL as given.
    pub url: String,
    /// `host[:port]`, sent as the Host header and signed.
    pub authority: String,
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether TLS is used.
    pub tls: bool,
}

impl Endpoint {
    /// Parses `http://host:port` or `https://host[:port]`.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("bad endpoint URL {url:?}"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => anyhow::bail!("endpoint {url:?} must start with http:// or https://"),
        };
        let authority = uri.authority().with_context(|| format!("endpoint {url:?} has no host"))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            authority: authority.as_str().to_owned(),
            host,
            port,
            tls,
        })
    }

    /// Whether this is a real AWS endpoint (where the generator never creates keys).
    pub fn is_aws(&self) -> bool {
        self.host.ends_with(".amazonaws.com") || self.host.ends_with(".amazonaws.com.cn")
    }
}

/// What went wrong on the wire (no HTTP answer).
#[derive(Debug, Clone)]
pub struct TransportError(pub String);

/// Keep-alive connections to one endpoint.
pub struct Pool {
    endpoint: Endpoint,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    permits: Semaphore,
    tls: Option<TlsConnector>,
}

impl Pool {
    /// A pool of at most `max_connections` connections.
    pub fn new(endpoint: Endpoint, max_connections: usize) -> anyhow::Result<Arc<Self>> {
        let tls = if endpoint.tls { Some(tls_connector()?) } else { None };
        Ok(Arc::new(Self {
            endpoint,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_connections.max(1)),
            tls,
        }))
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends one request on a pooled connection and reads the whole answer. Also returns
    /// when the request went on the wire (after waiting for a free connection).
    pub async fn send(&self, request: Request<Full<Bytes>>) -> (Instant, Result<(StatusCode, Bytes), TransportError>) {
        let mut sent = Instant::now();
        let r = self.send_inner(request, &mut sent).await;
        (sent, r)
    }

    async fn send_inner(
        &self,
        request: Request<Full<Bytes>>,
        sent: &mut Instant,
    ) -> Result<(StatusCode, Bytes), TransportError> {
        let _permit = self.permits.acquire().await.map_err(|_| TransportError("pool closed".into()))?;
        let mut conn = loop {
            let idle = self.idle.lock().pop();
            match idle {
                Some(c) if !c.is_closed() => break c,
                Some(_) => continue,
                None => break self.connect().await?,
            }
        };
        conn.ready().await.map_err(|e| TransportError(format!("connection: {e}")))?;
        *sent = Instant::now();
        let response = conn.send_request(request).await.map_err(|e| TransportError(format!("request: {e}")))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| TransportError(format!("reading the answer: {e}")))?
            .to_bytes();
        if !conn.is_closed() {
            self.idle.lock().push(conn);
        }
        Ok((status, body))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let e = &self.endpoint;
        let tcp = TcpStream::connect((e.host.as_str(), e.port))
            .await
            .map_err(|err| TransportError(format!("connecting to {}: {err}", e.authority)))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => handshake(tcp).await,
            Some(tls) => {
                let name = ServerName::try_from(e.host.clone())
                    .map_err(|err| TransportError(format!("TLS name {}: {err}", e.host)))?;
                let stream = tls.connect(name, tcp).await.map_err(|err| TransportError(format!("TLS: {err}")))?;
                handshake(stream).await
            }
        }
    }
}

async fn handshake<S>(io: S) -> Result<SendRequest<Full<Bytes>>, TransportError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) =
        http1::handshake(TokioIo::new(io)).await.map_err(|e| TransportError(format!("HTTP handshake: {e}")))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn tls_connector() -> anyhow::Result<TlsConnector> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    anyhow::ensure!(!roots.is_empty(), "no trusted root certificates found for TLS");
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let e = Endpoint::parse("http://127.0.0.1:4599/").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.host.as_str(), e.port, e.tls),
            ("127.0.0.1:4599", "127.0.0.1", 4599, false)
        );
        let e = Endpoint::parse("https://kms.us-east-1.amazonaws.com").unwrap();
        assert_eq!((e.port, e.tls, e.is_aws()), (443, true, true));
        assert!(Endpoint::parse("ftp://x").is_err());
    }
}
