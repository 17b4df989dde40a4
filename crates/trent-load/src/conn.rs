//! A small HTTP/1.1 client with a connection pool, written for the generator's hot path: at
//! most N keep-alive connections per simulated client, plain TCP (`TCP_NODELAY`) or TLS for
//! real AWS endpoints. The task that sends a request also reads its answer on the same
//! connection (one write, usually one read), with no connection task and no channel hop in
//! between; that halved the client's CPU per request compared with hyper's connection API
//! (BENCHMARKS.md). Answers are framed by `Content-Length`, chunked encoding, or EOF.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Uri;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use super::error::{Error, Result};

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
    pub fn parse(url: &str) -> Result<Self> {
        let uri: Uri = url.parse().map_err(|e| Error::usage(format!("bad endpoint URL {url:?}: {e}")))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(Error::usage(format!("endpoint {url:?} must start with http:// or https://"))),
        };
        let authority = uri.authority().ok_or_else(|| Error::usage(format!("endpoint {url:?} has no host")))?;
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

/// What went wrong on the wire (no complete HTTP answer).
#[derive(Debug, Clone)]
pub struct TransportError(pub String);

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One keep-alive connection with its buffers.
struct Conn {
    io: Box<dyn Io>,
    out: Vec<u8>,
    buf: Vec<u8>,
    reused: bool,
}

/// Keep-alive connections to one endpoint.
pub struct Pool {
    endpoint: Endpoint,
    idle: Mutex<Vec<Conn>>,
    permits: Semaphore,
    tls: Option<TlsConnector>,
}

/// How an answer's body is delimited.
enum Framing {
    Length(usize),
    Chunked,
    Eof,
}

/// Status and body of an answer, and whether the connection can be reused.
struct Answer {
    status: u16,
    body: Bytes,
    keep_alive: bool,
}

impl Pool {
    /// A pool of at most `max_connections` connections.
    pub fn new(endpoint: Endpoint, max_connections: usize) -> Result<Arc<Self>> {
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

    /// Sends the request `write` puts into the buffer (head and body) on a pooled connection
    /// and reads the whole answer. Also returns when the request went on the wire (after
    /// waiting for a free connection). A reused connection the server had closed is replaced
    /// once, transparently.
    pub async fn send(&self, write: impl Fn(&mut Vec<u8>)) -> (Instant, Result<(u16, Bytes), TransportError>) {
        let Ok(_permit) = self.permits.acquire().await else {
            return (Instant::now(), Err(TransportError("pool closed".into())));
        };
        let mut retried = false;
        loop {
            let idle = self.idle.lock().pop();
            let mut conn = match idle {
                Some(c) => c,
                None => match self.connect().await {
                    Ok(c) => c,
                    Err(e) => return (Instant::now(), Err(e)),
                },
            };
            conn.out.clear();
            write(&mut conn.out);
            let sent = Instant::now();
            match roundtrip(&mut conn).await {
                Ok(answer) => {
                    if answer.keep_alive {
                        conn.reused = true;
                        self.idle.lock().push(conn);
                    }
                    return (sent, Ok((answer.status, answer.body)));
                }
                Err((e, nothing_read)) => {
                    if conn.reused && nothing_read && !retried {
                        retried = true;
                        continue;
                    }
                    return (sent, Err(e));
                }
            }
        }
    }

    async fn connect(&self) -> Result<Conn, TransportError> {
        let e = &self.endpoint;
        let tcp = TcpStream::connect((e.host.as_str(), e.port))
            .await
            .map_err(|err| TransportError(format!("connecting to {}: {err}", e.authority)))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let name = ServerName::try_from(e.host.clone())
                    .map_err(|err| TransportError(format!("TLS name {}: {err}", e.host)))?;
                Box::new(tls.connect(name, tcp).await.map_err(|err| TransportError(format!("TLS: {err}")))?)
            }
        };
        Ok(Conn { io, out: Vec::with_capacity(1024), buf: Vec::with_capacity(4096), reused: false })
    }
}

/// Writes the request and reads one answer. On error, also says whether no answer byte had
/// arrived (a stale keep-alive connection).
async fn roundtrip(conn: &mut Conn) -> Result<Answer, (TransportError, bool)> {
    let io_err = |what: &str, e: std::io::Error, nothing: bool| (TransportError(format!("{what}: {e}")), nothing);
    conn.io.write_all(&conn.out).await.map_err(|e| io_err("writing the request", e, true))?;
    conn.io.flush().await.map_err(|e| io_err("writing the request", e, true))?;
    conn.buf.clear();
    // Head.
    let (status, head_len, framing, mut keep_alive) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&conn.buf) {
            Ok(httparse::Status::Complete(n)) => {
                let status = response.code.unwrap_or(0);
                let mut framing = Framing::Eof;
                let mut keep_alive = response.version == Some(1);
                for h in response.headers.iter() {
                    if h.name.eq_ignore_ascii_case("content-length") {
                        let len = std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse().ok());
                        framing = Framing::Length(len.ok_or((TransportError("bad Content-Length".into()), false))?);
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                        && h.value.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
                    {
                        framing = Framing::Chunked;
                    } else if h.name.eq_ignore_ascii_case("connection") {
                        if h.value.eq_ignore_ascii_case(b"close") {
                            keep_alive = false;
                        } else if h.value.eq_ignore_ascii_case(b"keep-alive") {
                            keep_alive = true;
                        }
                    }
                }
                break (status, n, framing, keep_alive);
            }
            Ok(httparse::Status::Partial) => {
                let nothing = conn.buf.is_empty();
                if read_more(conn).await.map_err(|e| io_err("reading the answer", e, nothing))? == 0 {
                    return Err((TransportError("connection closed before an answer".into()), nothing));
                }
            }
            Err(e) => return Err((TransportError(format!("bad HTTP answer: {e}")), false)),
        }
    };
    // Body.
    let body = match framing {
        Framing::Length(len) => {
            while conn.buf.len() < head_len + len {
                if read_more(conn).await.map_err(|e| io_err("reading the body", e, false))? == 0 {
                    return Err((TransportError("connection closed inside the body".into()), false));
                }
            }
            Bytes::copy_from_slice(&conn.buf[head_len..head_len + len])
        }
        Framing::Eof => {
            keep_alive = false;
            while read_more(conn).await.map_err(|e| io_err("reading the body", e, false))? > 0 {}
            Bytes::copy_from_slice(&conn.buf[head_len..])
        }
        Framing::Chunked => {
            let mut body = Vec::new();
            let mut pos = head_len;
            loop {
                // Need a complete size line.
                let Some(eol) = find_crlf(&conn.buf[pos..]) else {
                    if read_more(conn).await.map_err(|e| io_err("reading the body", e, false))? == 0 {
                        return Err((TransportError("connection closed inside a chunk".into()), false));
                    }
                    continue;
                };
                let line = std::str::from_utf8(&conn.buf[pos..pos + eol]).unwrap_or("");
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| (TransportError("bad chunk size".into()), false))?;
                let need = pos + eol + 2 + size + 2;
                while conn.buf.len() < need {
                    if read_more(conn).await.map_err(|e| io_err("reading the body", e, false))? == 0 {
                        return Err((TransportError("connection closed inside a chunk".into()), false));
                    }
                }
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&conn.buf[pos + eol + 2..pos + eol + 2 + size]);
                pos = need;
            }
            Bytes::from(body)
        }
    };
    Ok(Answer { status, body, keep_alive })
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

async fn read_more(conn: &mut Conn) -> std::io::Result<usize> {
    if conn.buf.capacity() - conn.buf.len() < 2048 {
        conn.buf.reserve(8192);
    }
    conn.io.read_buf(&mut conn.buf).await
}

fn tls_connector() -> Result<TlsConnector> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(Error::Environment { context: "no trusted root certificates found for TLS".into(), source: None });
    }
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::environment("TLS protocol versions", e))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt;
    use tokio::net::TcpListener;

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

    /// A server answering each request with a canned answer, closing after the last one.
    async fn canned(answers: Vec<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut stream = tokio::io::BufReader::new(stream);
            for answer in answers {
                // Read one request: head, then Content-Length bytes.
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    stream.read_line(&mut line).await.unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                stream.read_exact(&mut body).await.unwrap();
                stream.get_mut().write_all(answer.as_bytes()).await.unwrap();
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn reads_length_chunked_and_eof_framed_answers_on_one_connection() {
        let url = canned(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
            "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil eof",
        ])
        .await;
        let pool = Pool::new(Endpoint::parse(&url).unwrap(), 1).unwrap();
        let req =
            |out: &mut Vec<u8>| out.extend_from_slice(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}");
        let (_, r) = pool.send(req).await;
        assert_eq!(r.unwrap(), (200, Bytes::from_static(b"{}")));
        let (_, r) = pool.send(req).await;
        assert_eq!(r.unwrap(), (400, Bytes::from_static(b"abcde")));
        let (_, r) = pool.send(req).await;
        assert_eq!(r.unwrap(), (200, Bytes::from_static(b"until eof")));
        assert!(pool.idle.lock().is_empty(), "a closed connection is not pooled");
    }
}
