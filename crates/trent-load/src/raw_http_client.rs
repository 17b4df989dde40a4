//! The raw-HTTP KMS client of the high-rate paths: a pooled HTTP/1.1 connection, a SigV4
//! signature by trent-sigv4 (the code the server verifies with) over a prepared body, and a
//! classification of the answer. No retries here: strategies live in `retry.rs`.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};
use parking_lot::Mutex;
use trent_sigv4::{Credentials, Signer, SignerError, payload_hash};

use super::conn::{Endpoint, Pool};

/// The content type of the AWS JSON 1.1 protocol KMS and Service Quotas speak.
const JSON_1_1: &str = "application/x-amz-json-1.1";

/// Error codes every AWS SDK treats as throttling (aws-runtime `THROTTLING_ERRORS`,
/// botocore `ThrottledRetryableChecker`; docs/load.md, `--retry backoff`).
pub const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Why one attempt did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A throttling error code (KMS: `ThrottlingException`).
    Throttled,
    /// Any other error the service answered with (4xx).
    Service,
    /// HTTP 5xx.
    Server,
    /// No answer: connection refused or dropped.
    Transport,
    /// The request's time ran out.
    Timeout,
}

/// A failed attempt or request, with the service's error code where there is one.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Classification.
    pub kind: FailureKind,
    /// Error code (`ThrottlingException`, `NotFoundException`, `Transport`, `Timeout`, ...).
    pub code: String,
    /// Message, if any.
    pub message: String,
}

impl Failure {
    /// A failure without a service answer.
    pub fn local(kind: FailureKind, code: &str, message: impl Into<String>) -> Self {
        Self { kind, code: code.to_owned(), message: message.into() }
    }

    /// Whether the retry strategies of `retry.rs` try again (throttling, 5xx, transport, timeout;
    /// the SDK's transient classes).
    pub fn retryable(&self) -> bool {
        !matches!(self.kind, FailureKind::Service)
    }
}

impl std::error::Error for Failure {}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() { f.write_str(&self.code) } else { write!(f, "{}: {}", self.code, self.message) }
    }
}

/// Turns an HTTP answer into success (the body) or a classified failure.
pub fn classify(status: StatusCode, body: Bytes) -> Result<Bytes, Failure> {
    if status.is_success() {
        return Ok(body);
    }
    let (code, message) = error_code(&body);
    let code = if code.is_empty() { format!("HTTP{}", status.as_u16()) } else { code };
    let kind = if THROTTLING_CODES.contains(&code.as_str()) || status == StatusCode::TOO_MANY_REQUESTS {
        FailureKind::Throttled
    } else if status.is_server_error() {
        FailureKind::Server
    } else {
        FailureKind::Service
    };
    Err(Failure { kind, code, message })
}

/// `__type` (namespace and `:` suffix dropped, as botocore does) and `message` of an
/// AWS JSON error body.
pub fn error_code(body: &[u8]) -> (String, String) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (String::new(), String::from_utf8_lossy(body).chars().take(200).collect());
    };
    let raw = v.get("__type").and_then(|t| t.as_str()).unwrap_or_default();
    let code = raw.rsplit('#').next().unwrap_or(raw).split(':').next().unwrap_or_default().to_owned();
    let message = v.get("message").or_else(|| v.get("Message")).and_then(|m| m.as_str()).unwrap_or_default().to_owned();
    (code, message)
}

/// The signature headers of a body for one second and one signer.
#[derive(Debug)]
struct CachedSignature {
    second: u64,
    signer: u64,
    headers: Arc<str>,
}

/// A prepared request body with its payload hash (computed once, reused for every send) and
/// its latest signature.
#[derive(Debug, Clone)]
pub struct Body {
    /// The JSON bytes.
    pub bytes: Bytes,
    /// Hex SHA-256 of `bytes`.
    pub hash: String,
    signature: Arc<Mutex<Option<CachedSignature>>>,
}

impl Body {
    /// Hashes `bytes`.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let hash = payload_hash(&bytes);
        Self { bytes, hash, signature: Arc::new(Mutex::new(None)) }
    }
}

/// One simulated client's connection to KMS (and to Service Quotas, for quota discovery).
pub struct RawHttpKms {
    pool: Arc<Pool>,
    signer: Signer,
    quotas_pool: Arc<Pool>,
    quotas_signer: Signer,
}

impl RawHttpKms {
    /// A client of `endpoint` in `region` with at most `connections` connections.
    pub fn new(
        endpoint: &Endpoint,
        region: &str,
        creds: Credentials,
        connections: usize,
    ) -> crate::error::Result<Self> {
        let pool = Pool::new(endpoint.clone(), connections)?;
        // Trent serves Service Quotas on its KMS endpoint; AWS has a separate one.
        let quotas_pool = if endpoint.is_aws() {
            Pool::new(Endpoint::parse(&format!("https://servicequotas.{region}.amazonaws.com"))?, 2)?
        } else {
            pool.clone()
        };
        Ok(Self {
            pool,
            signer: Signer::new(creds.clone(), region, "kms"),
            quotas_pool,
            quotas_signer: Signer::new(creds, region, "servicequotas"),
        })
    }

    /// Sends one signed KMS request (`TrentService.*` target).
    pub async fn call(&self, target: &str, body: &Body) -> Result<Bytes, Failure> {
        send(&self.pool, &self.signer, target, body).await.1
    }

    /// Like [`Self::call`], also returning when the request went on the wire.
    pub async fn call_timed(&self, target: &str, body: &Body) -> (Instant, Result<Bytes, Failure>) {
        send(&self.pool, &self.signer, target, body).await
    }

    /// Sends one signed Service Quotas request (`ServiceQuotasV20190624.*` target).
    pub async fn call_quotas(&self, target: &str, body: &Body) -> Result<Bytes, Failure> {
        send(&self.quotas_pool, &self.quotas_signer, target, body).await.1
    }
}

async fn send(pool: &Pool, signer: &Signer, target: &str, body: &Body) -> (Instant, Result<Bytes, Failure>) {
    let authority = pool.endpoint().authority.as_str();
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Within one second, the same body signed by the same signer gets the same signature (the
    // date has second resolution): sign once, reuse it.
    let signed = {
        let mut cache = body.signature.lock();
        match &*cache {
            Some(c) if c.second == second && c.signer == signer.id() => c.headers.clone(),
            _ => match sign(signer, now, authority, target, body) {
                Ok(headers) => {
                    *cache = Some(CachedSignature { second, signer: signer.id(), headers: headers.clone() });
                    headers
                }
                Err(e) => {
                    return (Instant::now(), Err(Failure::local(FailureKind::Service, "SigningFailed", e.to_string())));
                }
            },
        }
    };
    let token = signer.session_token();
    let (sent, r) = pool
        .send(|out| {
            let _ = write!(
                out,
                "POST / HTTP/1.1\r\nhost: {authority}\r\ncontent-type: {JSON_1_1}\r\ncontent-length: {}\r\nx-amz-target: {target}\r\n",
                body.bytes.len()
            );
            out.extend_from_slice(signed.as_bytes());
            if let Some(t) = token {
                let _ = write!(out, "x-amz-security-token: {}\r\n", t.trim());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&body.bytes);
        })
        .await;
    let r = match r {
        Ok((status, bytes)) => classify(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), bytes),
        Err(e) => Err(Failure::local(FailureKind::Transport, "Transport", e.0)),
    };
    (sent, r)
}

/// Why the head of a request could not be signed.
#[derive(Debug, thiserror::Error)]
enum SignError {
    /// The endpoint's authority or the target is not a header value.
    #[error("cannot sign: {0:?} is not a valid HTTP header value")]
    Header(String),
    /// The signer refused (credentials that no header can carry).
    #[error(transparent)]
    Signer(#[from] SignerError),
}

/// Signs `POST /` of `body` to `target` with the headers Trent and AWS expect from an AWS JSON
/// 1.1 client (`content-length;content-type;host;x-amz-date;x-amz-target`, plus the session
/// token), and returns the signature's header lines, `x-amz-date` and `authorization`.
fn sign(signer: &Signer, now: SystemTime, authority: &str, target: &str, body: &Body) -> Result<Arc<str>, SignError> {
    let value = |v: &str| HeaderValue::from_str(v).map_err(|_| SignError::Header(v.to_owned()));
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.bytes.len()));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    headers.insert(HOST, value(authority)?);
    headers.insert("x-amz-target", value(target)?);
    signer.sign(&Method::POST, &Uri::from_static("/"), &mut headers, &body.hash, now)?;
    let line = |name: &str| headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes())).unwrap_or_default();
    Ok(format!("x-amz-date: {}\r\nauthorization: {}\r\n", line("x-amz-date"), line(AUTHORIZATION.as_str())).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_json_post_head() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: zeroize::Zeroizing::new("secret".into()),
            session_token: Some("token".into()),
        };
        let signer = Signer::new(creds, "us-east-1", "kms");
        let now = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let lines = sign(&signer, now, "127.0.0.1:4599", "TrentService.Encrypt", &Body::new(&b"{}"[..])).unwrap();
        assert!(lines.starts_with("x-amz-date: 20231114T221320Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/kms/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="), "{lines}");
        assert!(lines.ends_with("\r\n") && lines.matches("\r\n").count() == 2, "{lines}");
        assert!(sign(&signer, now, "bad\nhost", "TrentService.Encrypt", &Body::new(&b"{}"[..])).is_err());
    }

    #[test]
    fn classifies_answers() {
        let t = br#"{"__type":"ThrottlingException","message":"You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."}"#;
        let f = classify(StatusCode::BAD_REQUEST, Bytes::from_static(t)).unwrap_err();
        assert_eq!((f.kind, f.code.as_str()), (FailureKind::Throttled, "ThrottlingException"));
        let f = classify(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(br#"{"__type":"com.amazonaws.kms#NotFoundException","message":"x"}"#),
        )
        .unwrap_err();
        assert_eq!((f.kind, f.code.as_str(), f.retryable()), (FailureKind::Service, "NotFoundException", false));
        let f = classify(StatusCode::SERVICE_UNAVAILABLE, Bytes::new()).unwrap_err();
        assert_eq!((f.kind, f.code.as_str(), f.retryable()), (FailureKind::Server, "HTTP503", true));
        assert!(classify(StatusCode::OK, Bytes::from_static(b"{}")).is_ok());
    }
}
