//! The JSON answers of the operator's `/_trent/` routes (quota decisions,
//! fault rules, reset): `{"Code": ..., "Message": ...}` on errors. One
//! module the routes share, below all of them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// `body` as JSON with `status`.
pub fn admin_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// An error of an operator's route: `{"Code": code, "Message": message}`.
pub fn admin_error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    admin_response(status, &serde_json::json!({ "Code": code, "Message": message.to_string() }))
}

/// The refusal of an operator route to a peer that is not on this host
/// (`crate::loopback::from_loopback`); `hint` says what to run there instead.
pub fn loopback_only(hint: &str) -> Response {
    const REFUSAL: &str = "the /_trent/ admin routes answer only connections from loopback (127.0.0.1 or ::1)";
    let message = if hint.is_empty() { REFUSAL.to_owned() } else { format!("{REFUSAL}: {hint}") };
    admin_error(StatusCode::FORBIDDEN, "AccessDenied", message)
}
