//! The admin routes of fault injection, loopback peers only (as the
//! `/_trent/quota-requests` routes of `crates/trent-server/src/http.rs`):
//!
//! - `GET /_trent/faults` → `{"Faults": [{"Id", "Label", "Rule", "Matches", "Injected"}]}`;
//! - `POST /_trent/faults` with a rule (JSON, the `[[faults]]` fields) →
//!   `{"Fault": {...}}`; 400 `BadRule` naming the field;
//! - `DELETE /_trent/faults` → `{"Cleared": N}`;
//! - `DELETE /_trent/faults/{id}` → `{"Cleared": 1}`; 404 unknown id.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get};

use super::{FaultRule, Faults};

/// The routes, with their own state (merged into the server's router).
pub fn routes<S: Clone + Send + Sync + 'static>(faults: Arc<Faults>) -> Router<S> {
    Router::new()
        .route("/_trent/faults", get(list).post(add).delete(clear))
        .route("/_trent/faults/{id}", delete(remove))
        .with_state(faults)
}

use crate::admin_answer::{admin_error as error, admin_response as json};

/// Loopback peers only; without a known peer, no.
fn refused(extensions: &Extensions) -> Option<Response> {
    (!crate::loopback::from_loopback(extensions))
        .then(|| crate::admin_answer::loopback_only("run `trent faults` on the server's host"))
}

async fn list(State(faults): State<Arc<Faults>>, extensions: Extensions) -> Response {
    if let Some(r) = refused(&extensions) {
        return r;
    }
    json(StatusCode::OK, &serde_json::json!({ "Faults": faults.list() }))
}

async fn add(State(faults): State<Arc<Faults>>, extensions: Extensions, body: Bytes) -> Response {
    if let Some(r) = refused(&extensions) {
        return r;
    }
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "BadRule", e),
    };
    match faults.add(rule) {
        Ok(view) => {
            tracing::info!(fault = %view.label, id = view.id, "fault rule added");
            json(StatusCode::OK, &serde_json::json!({ "Fault": view }))
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "BadRule", e),
    }
}

async fn clear(State(faults): State<Arc<Faults>>, extensions: Extensions) -> Response {
    if let Some(r) = refused(&extensions) {
        return r;
    }
    let n = faults.clear();
    tracing::info!(cleared = n, "fault rules cleared");
    json(StatusCode::OK, &serde_json::json!({ "Cleared": n }))
}

async fn remove(State(faults): State<Arc<Faults>>, extensions: Extensions, Path(id): Path<String>) -> Response {
    if let Some(r) = refused(&extensions) {
        return r;
    }
    match id.parse::<u64>() {
        Ok(id) if faults.remove(id) => json(StatusCode::OK, &serde_json::json!({ "Cleared": 1 })),
        _ => error(StatusCode::NOT_FOUND, "NotFound", format!("no fault rule has id {id:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(addr: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(axum::extract::ConnectInfo::<std::net::SocketAddr>(addr.parse().expect("socket address")));
        e
    }

    #[test]
    fn only_loopback_peers_manage_faults() {
        assert!(refused(&peer("127.0.0.1:5000")).is_none());
        assert!(refused(&peer("[::ffff:127.0.0.1]:5000")).is_none());
        assert!(refused(&peer("[::1]:5000")).is_none());
        let r = refused(&peer("192.0.2.7:5000")).expect("refused");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(refused(&Extensions::new()).is_some(), "unknown peer");
    }
}
