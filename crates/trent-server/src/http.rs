//! The HTTP surface: `POST /` carrying AWS JSON 1.1 requests, routed by
//! `X-Amz-Target` to the KMS or Service Quotas API, plus `GET /metrics`.
//!
//! Order of work for every API request: parse the target (unknown →
//! UnknownOperationException), verify SigV4, then hand the body to the
//! operation, which charges its quota before any side effect.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{any, get};

use trent_core::{ErrorKind, Kms, KmsError, Operation};

use crate::metrics::{Metrics, Outcome};
use crate::sigv4::Verifier;

/// `X-Amz-Target` prefix of the Service Quotas API.
pub const SERVICE_QUOTAS_PREFIX: &str = "ServiceQuotasV20190624.";

/// Largest request body accepted (bodies are hashed whole by SigV4; the
/// largest KMS request, a 6 KiB ciphertext in base64 plus members, is far smaller).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The Service Quotas API as the HTTP layer sees it.
#[async_trait::async_trait]
pub trait ServiceQuotasApi: Send + Sync + 'static {
    /// Runs one Service Quotas operation on a JSON body.
    async fn dispatch(&self, caller: &trent_core::Caller, operation: &str, body: &[u8]) -> Result<Vec<u8>, KmsError>;
}

#[async_trait::async_trait]
impl ServiceQuotasApi for trent_core::service_quotas::ServiceQuotas {
    async fn dispatch(&self, caller: &trent_core::Caller, operation: &str, body: &[u8]) -> Result<Vec<u8>, KmsError> {
        trent_core::service_quotas::ServiceQuotas::dispatch(self, caller, operation, body).await
    }
}

/// Everything a request handler needs.
pub struct AppState {
    /// The KMS service.
    pub kms: Arc<Kms>,
    /// SigV4 verification against the configured principals.
    pub verifier: Verifier,
    /// Request counters.
    pub metrics: Arc<Metrics>,
    /// The Service Quotas API, when quotas are on.
    pub service_quotas: Option<Arc<dyn ServiceQuotasApi>>,
}

/// The router for the whole server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/", any(api))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut r = Response::new(Body::from(state.metrics.render()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

const JSON_11: HeaderValue = HeaderValue::from_static("application/x-amz-json-1.1");

fn respond(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON_11);
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        h.insert("x-amzn-RequestId", v);
    }
    r
}

/// A unique request id in UUID form: a random per-process prefix and a
/// counter, so answering a request costs no system call for randomness.
fn request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u128> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u128());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    uuid::Uuid::from_u128((prefix & !u128::from(u64::MAX)) | u128::from(n)).to_string()
}

/// Serializes an error as `{"__type": ..., "message": ...}` with its HTTP status.
pub fn error_response(e: &KmsError) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), e.kind.aws_type().into());
    if let Some(m) = &e.message {
        body.insert(e.kind.message_member().into(), m.clone().into());
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond(status, bytes)
}

enum Target<'a> {
    Kms(Operation),
    ServiceQuotas(&'a str),
}

fn parse_target(headers: &HeaderMap) -> Result<Target<'_>, KmsError> {
    let unknown = || KmsError::bare(ErrorKind::UnknownOperation);
    let t = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).ok_or_else(unknown)?;
    if let Some(op) = t.strip_prefix(Operation::TARGET_PREFIX) {
        return Operation::from_name(op).map(Target::Kms).ok_or_else(unknown);
    }
    if let Some(op) = t.strip_prefix(SERVICE_QUOTAS_PREFIX) {
        return Ok(Target::ServiceQuotas(op));
    }
    Err(unknown())
}

async fn api(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return error_response(&KmsError::new(ErrorKind::UnknownOperation, "Only POST / is served here."));
    }
    let target = match parse_target(&headers) {
        Ok(t) => t,
        Err(e) => return error_response(&e),
    };
    let service = match target {
        Target::Kms(_) => "kms",
        Target::ServiceQuotas(_) => "servicequotas",
    };
    let caller = match state.verifier.verify(&method, &uri, &headers, &body, service, SystemTime::now()) {
        Ok(c) => c,
        Err(e) => {
            state.metrics.record_auth_failure();
            return error_response(&e);
        }
    };
    match target {
        Target::Kms(op) => {
            let result = trent_core::ops::dispatch(&state.kms, &caller, op, &body).await;
            match result {
                Ok(out) => {
                    state.metrics.record(op, Outcome::Ok);
                    respond(StatusCode::OK, out)
                }
                Err(e) => {
                    let outcome = if e.kind == ErrorKind::Throttling { Outcome::Throttled } else { Outcome::Error };
                    state.metrics.record(op, outcome);
                    error_response(&e)
                }
            }
        }
        Target::ServiceQuotas(op) => {
            let Some(sq) = &state.service_quotas else {
                return error_response(&KmsError::bare(ErrorKind::UnknownOperation));
            };
            match sq.dispatch(&caller, op, &body).await {
                Ok(out) => respond(StatusCode::OK, out),
                Err(e) => error_response(&e),
            }
        }
    }
}
