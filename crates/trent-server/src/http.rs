//! The HTTP surface: `POST /` carrying AWS JSON 1.1 requests, routed by
//! `X-Amz-Target` to the KMS or Service Quotas API, plus `GET /metrics` and
//! the operator's admin routes under `/_trent/` (loopback peers only):
//!
//! - `GET /_trent/quota-requests[?status=STATUS]`: every quota increase
//!   request, all accounts and regions, newest first → `{"Requests": [...]}`;
//! - `POST /_trent/quota-requests/{id}/approve|deny|close`: decide one →
//!   `{"Request": {...}}`; 404 unknown id, 409 already decided.
//!
//! - `/_trent/faults`: fault injection rules (`crate::faults::admin`).
//!
//! Errors of the admin routes are `{"Code": ..., "Message": ...}`.
//!
//! Order of work for every API request: parse the target (unknown →
//! UnknownOperationException), verify SigV4, then hand the body to the
//! operation, which charges its quota before any side effect.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{any, get, post};

use trent_core::key::last_usage::{RequestIds, with_request_ids};
use trent_core::service_quotas::{Decision, DecisionError, OperatorRequest};
use trent_core::{ErrorKind, Kms, KmsError, Operation};

use crate::admin_answer::{admin_error, admin_response};
use crate::audit::AuditLog;
use crate::metrics::{Metrics, Outcome};
use crate::sigv4::Verifier;

/// `X-Amz-Target` prefix of the Service Quotas API.
pub const SERVICE_QUOTAS_PREFIX: &str = "ServiceQuotasV20190624.";

/// Largest request body accepted (bodies are hashed whole by SigV4; the
/// largest KMS request, a 6 KiB ciphertext in base64 plus members, is far smaller).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How long a client may take to send its request body unless configured
/// (`body_read_timeout_seconds`): a client that trickles bytes must not hold
/// a connection and a buffer forever.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The Service Quotas API as the HTTP layer sees it.
#[async_trait::async_trait]
pub trait ServiceQuotasApi: Send + Sync + 'static {
    /// Runs one Service Quotas operation on a JSON body.
    async fn dispatch(&self, caller: &trent_core::Caller, operation: &str, body: &[u8]) -> Result<Vec<u8>, KmsError>;

    /// Every quota increase request, optionally in one status (admin route).
    async fn operator_requests(&self, status: Option<&str>) -> Result<Vec<OperatorRequest>, DecisionError>;

    /// The operator's decision on one request (admin route).
    async fn decide(&self, request_id: &str, decision: Decision) -> Result<OperatorRequest, DecisionError>;
}

#[async_trait::async_trait]
impl ServiceQuotasApi for trent_core::service_quotas::ServiceQuotas {
    async fn dispatch(&self, caller: &trent_core::Caller, operation: &str, body: &[u8]) -> Result<Vec<u8>, KmsError> {
        trent_core::service_quotas::ServiceQuotas::dispatch(self, caller, operation, body).await
    }

    async fn operator_requests(&self, status: Option<&str>) -> Result<Vec<OperatorRequest>, DecisionError> {
        trent_core::service_quotas::ServiceQuotas::operator_requests(self, status).await
    }

    async fn decide(&self, request_id: &str, decision: Decision) -> Result<OperatorRequest, DecisionError> {
        trent_core::service_quotas::ServiceQuotas::decide(self, request_id, decision).await
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
    /// Time allowed for a request body ([`BODY_READ_TIMEOUT`] unless configured).
    pub body_read_timeout: std::time::Duration,
    /// Fault injection rules (`[[faults]]`, `/_trent/faults`).
    pub faults: Arc<crate::faults::Faults>,
    /// The CloudTrail-format audit log (`--audit-log`), when on.
    pub audit: Option<Arc<AuditLog>>,
}

/// The router for the whole server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/_trent/quota-requests", get(list_quota_requests))
        .route("/_trent/quota-requests/{id}/{action}", post(decide_quota_request))
        .merge(crate::faults::admin::routes(state.faults.clone()))
        .route("/", any(api))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut r = Response::new(Body::from(state.metrics.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

fn decision_error(e: &DecisionError) -> Response {
    let (status, code) = match e {
        DecisionError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
        DecisionError::AlreadyDecided { .. } => (StatusCode::CONFLICT, "AlreadyDecided"),
        DecisionError::BadStatus(_) => (StatusCode::BAD_REQUEST, "BadStatus"),
        DecisionError::Busy(_) => (StatusCode::CONFLICT, "Busy"),
        DecisionError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal"),
    };
    admin_error(status, code, e)
}

/// Why an admin call is not served.
enum AdminRefusal {
    /// The peer is not on loopback.
    NotLoopback,
    /// This server has no Service Quotas API.
    NotServed,
}

impl AdminRefusal {
    fn response(self) -> Response {
        match self {
            AdminRefusal::NotLoopback => crate::admin_answer::loopback_only("run `trent quotas` on the server's host"),
            AdminRefusal::NotServed => {
                admin_error(StatusCode::NOT_FOUND, "NotServed", "this server does not serve Service Quotas")
            }
        }
    }
}

/// Refuses admin calls from other hosts, and when Service Quotas is not served.
fn operator_api<'a>(state: &'a AppState, extensions: &Extensions) -> Result<&'a dyn ServiceQuotasApi, AdminRefusal> {
    if !crate::loopback::from_loopback(extensions) {
        return Err(AdminRefusal::NotLoopback);
    }
    state.service_quotas.as_deref().ok_or(AdminRefusal::NotServed)
}

/// `GET /_trent/quota-requests[?status=STATUS]`.
async fn list_quota_requests(State(state): State<Arc<AppState>>, extensions: Extensions, uri: Uri) -> Response {
    let api = match operator_api(&state, &extensions) {
        Ok(api) => api,
        Err(refusal) => return refusal.response(),
    };
    let status = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("status=")))
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned());
    match api.operator_requests(status.as_deref()).await {
        Ok(requests) => admin_response(StatusCode::OK, &serde_json::json!({ "Requests": requests })),
        Err(e) => decision_error(&e),
    }
}

/// `POST /_trent/quota-requests/{id}/approve|deny|close`.
async fn decide_quota_request(
    State(state): State<Arc<AppState>>,
    extensions: Extensions,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let api = match operator_api(&state, &extensions) {
        Ok(api) => api,
        Err(refusal) => return refusal.response(),
    };
    let Some(decision) = Decision::from_verb(&action) else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "UnknownAction",
            format!("unknown action {action:?}: use approve, deny or close"),
        );
    };
    match api.decide(&id, decision).await {
        Ok(request) => {
            tracing::info!(request = %id, action = decision.verb(), status = %request.request.status, "operator decided a quota increase request");
            admin_response(StatusCode::OK, &serde_json::json!({ "Request": request }))
        }
        Err(e) => decision_error(&e),
    }
}

const JSON_11: HeaderValue = HeaderValue::from_static("application/x-amz-json-1.1");

fn respond_with_id(status: StatusCode, body: Vec<u8>, id: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON_11);
    if let Ok(v) = HeaderValue::from_str(id) {
        h.insert("x-amzn-RequestId", v);
    }
    r
}

/// A unique id in UUID form (as 128 bits): a random per-process prefix and a
/// counter, so answering a request costs no system call for randomness.
fn unique_id() -> u128 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u128> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u128());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (prefix & !u128::from(u64::MAX)) | u128::from(n)
}

/// A unique request id (`x-amzn-RequestId`).
fn request_id() -> String {
    uuid::Uuid::from_u128(unique_id()).to_string()
}

/// Serializes an error as `{"__type": ..., "message": ...}` with its HTTP status.
pub fn error_response(e: &KmsError) -> Response {
    error_response_with_id(e, &request_id())
}

fn error_response_with_id(e: &KmsError, id: &str) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), e.kind.aws_type().into());
    if let Some(m) = &e.message {
        body.insert(e.kind.message_member().into(), m.clone().into());
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond_with_id(status, bytes, id)
}

enum Target<'a> {
    Kms(Operation),
    ServiceQuotas(&'a str),
}

fn parse_target(headers: &HeaderMap) -> Result<Target<'_>, KmsError> {
    let unknown = || KmsError::bare(ErrorKind::UnknownOperation);
    let mut targets = headers.get_all("x-amz-target").iter();
    let (Some(t), None) = (targets.next(), targets.next()) else {
        // None, or several: no one operation is named.
        return Err(unknown());
    };
    let t = t.to_str().map_err(|_| unknown())?;
    if let Some(op) = t.strip_prefix(Operation::TARGET_PREFIX) {
        return Operation::from_name(op).map(Target::Kms).ok_or_else(unknown);
    }
    if let Some(op) = t.strip_prefix(SERVICE_QUOTAS_PREFIX) {
        return Ok(Target::ServiceQuotas(op));
    }
    Err(unknown())
}

/// An answer after which the connection is closed: the rest of the request
/// was not read, so the connection cannot carry another one.
fn closing(mut r: Response) -> Response {
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Reads a request body of at most [`MAX_BODY_BYTES`] within `timeout`;
/// anything else is answered in AWS's JSON error shape, and the connection
/// closed.
async fn read_body(headers: &HeaderMap, body: Body, timeout: std::time::Duration) -> Result<Bytes, Response> {
    let too_large = || {
        let e = KmsError::new(
            ErrorKind::Validation,
            format!("The request body is larger than the {MAX_BODY_BYTES} bytes this endpoint accepts."),
        );
        let mut r = error_response(&e);
        *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        closing(r)
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        // Over the limit without a Content-Length saying so (chunked), or cut off.
        Ok(Err(_)) => Err(too_large()),
        Err(_) => {
            let body = serde_json::json!({
                "__type": "RequestTimeoutException",
                "message": format!("The request body did not arrive within {:?}.", timeout),
            });
            Err(closing(respond_with_id(StatusCode::REQUEST_TIMEOUT, body.to_string().into_bytes(), &request_id())))
        }
    }
}

/// `POST /`: one KMS or Service Quotas request (or an STS Query request).
/// Takes the request whole: axum's `HeaderMap` and `Extensions` extractors
/// would each clone their part.
async fn api(State(state): State<Arc<AppState>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let axum::http::request::Parts { method, uri, headers, extensions, .. } = parts;
    if crate::sts::is_query_request(&method, &uri, &headers) {
        return caller_identity(&state, &method, &uri, &headers, body).await;
    }
    if method != Method::POST {
        return error_response(&KmsError::new(ErrorKind::UnknownOperation, "Only POST / is served here."));
    }
    let body = match read_body(&headers, body, state.body_read_timeout).await {
        Ok(b) => b,
        Err(r) => return r,
    };
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
    let started = Instant::now();
    // The request id and the audit record's event id, made here so the key
    // usage a request records (GetKeyLastUsage) names the same ids.
    let ids = RequestIds { request_id: unique_id(), event_id: unique_id() };
    let id = ids.request_id();
    let (result, event_source, event_name) = match target {
        Target::Kms(op) => {
            let mut injected = None;
            if let Some(fault) = state.faults.inject(op, &caller, &body).await {
                state.metrics.record_injected_fault(op, &fault.label);
                tracing::warn!(injected_fault = %fault.label, operation = op.name(), account = %caller.account_id, "fault injected");
                injected = fault.error;
            }
            let result = match injected {
                // Answered and audited like a real failure (CloudTrail records
                // AWS's failures too); counted apart, not as a request outcome.
                Some(e) => Err(e),
                None => {
                    let result = with_request_ids(ids, trent_core::ops::dispatch(&state.kms, &caller, op, &body)).await;
                    let (outcome, error_type) = match &result {
                        Ok(_) => (Outcome::Ok, ""),
                        Err(e) if e.kind == ErrorKind::Throttling => (Outcome::Throttled, e.kind.aws_type()),
                        Err(e) => (Outcome::Error, e.kind.aws_type()),
                    };
                    state.metrics.record_request(op, outcome, error_type, started.elapsed().as_secs_f64());
                    result
                }
            };
            (result, crate::audit::record::KMS_SOURCE, op.name())
        }
        Target::ServiceQuotas(op) => {
            let Some(sq) = &state.service_quotas else {
                return error_response(&KmsError::bare(ErrorKind::UnknownOperation));
            };
            (sq.dispatch(&caller, op, &body).await, crate::audit::record::SERVICE_QUOTAS_SOURCE, op)
        }
    };
    if let Some(audit) = &state.audit {
        let event_id = ids.event_id();
        let request = crate::audit::RequestRef { event_source, event_name, request_id: &id, event_id: &event_id };
        crate::audit::write(audit, &extensions, &headers, &caller, &body, &result, request).await;
    }
    match result {
        Ok(out) => respond_with_id(StatusCode::OK, out, &id),
        Err(e) => error_response_with_id(&e, &id),
    }
}

/// An STS Query request (`sts:GetCallerIdentity`), verified for the service `sts`.
async fn caller_identity(state: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: Body) -> Response {
    let body = match read_body(headers, body, state.body_read_timeout).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let id = request_id();
    match state.verifier.verify(method, uri, headers, &body, "sts", SystemTime::now()) {
        Ok(caller) => crate::sts::answer(&caller, method, uri, &body, &id),
        Err(e) => {
            state.metrics.record_auth_failure();
            crate::sts::refusal(&e, &id)
        }
    }
}
