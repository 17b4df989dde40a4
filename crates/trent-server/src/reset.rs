//! `POST /_trent/reset`: empties the server between test runs.
//!
//! A user's test suite that points at one long-running Trent wants each run
//! to start from nothing: no keys, aliases or grants left by the last run, no
//! quota half spent, no increase request pending. With `trent serve
//! --allow-reset`, this route deletes every key, alias, grant, custom key
//! store and quota increase request, forgets approved increases and empties
//! every quota bucket (in Redis too, when the limiter is shared). Without the
//! flag it answers 404, so a server nobody opted in cannot be wiped by
//! mistake; like every `/_trent/` route it answers loopback peers only.
//!
//! Metrics counters are not reset: they count what this process served, and
//! Prometheus takes counters that go back to zero for a restart.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::routing::post;

use trent_core::Kms;
use trent_core::quota::QuotaEngine;

use crate::admin_answer::{admin_error, admin_response};

/// What a reset empties.
pub struct Reset {
    kms: Arc<Kms>,
    quotas: Arc<QuotaEngine>,
}

impl Reset {
    /// A reset of `kms`'s store and cache and `quotas`' buckets and increases.
    pub fn new(kms: Arc<Kms>, quotas: Arc<QuotaEngine>) -> Self {
        Self { kms, quotas }
    }
}

/// The route; `reset` is `None` unless `--allow-reset` was given.
pub fn routes<S: Clone + Send + Sync + 'static>(reset: Option<Arc<Reset>>) -> Router<S> {
    Router::new().route("/_trent/reset", post(run)).with_state(reset)
}

async fn run(State(reset): State<Option<Arc<Reset>>>, extensions: Extensions) -> Response {
    let Some(reset) = reset else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "POST /_trent/reset is off: start the server with `trent serve --allow-reset` to enable it",
        );
    };
    if !crate::loopback::from_loopback(&extensions) {
        return crate::admin_answer::loopback_only("");
    }
    if let Err(e) = reset.kms.wipe().await {
        tracing::error!(error = %e, "reset: wiping the store failed");
        return admin_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "wiping the store failed; see the log");
    }
    if let Err(e) = reset.quotas.reset_all().await {
        tracing::error!(error = %e, "reset: emptying the quota buckets failed");
        return admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "the store was wiped but emptying the quota buckets failed; see the log",
        );
    }
    tracing::warn!("reset: every key, alias, grant, quota increase request and quota bucket was deleted");
    admin_response(StatusCode::OK, &serde_json::json!({ "Reset": true }))
}
