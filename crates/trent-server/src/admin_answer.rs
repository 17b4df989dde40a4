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
