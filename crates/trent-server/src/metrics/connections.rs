//! Counting connections: `trent_connections_accepted_total` and the
//! `trent_connections_open` gauge, moved by the accept loop
//! (`crate::listener`) through a guard that lowers the gauge when the
//! connection's task ends, however it ends.

use std::sync::Arc;

use super::Metrics;

/// Held for as long as one connection is served.
#[derive(Debug)]
pub struct OpenConnection {
    metrics: Arc<Metrics>,
}

impl OpenConnection {
    /// Counts a connection just accepted.
    pub fn accepted(metrics: &Arc<Metrics>) -> Self {
        if metrics.enabled {
            metrics.connections_accepted.inc();
            metrics.connections_open.inc();
        }
        Self { metrics: metrics.clone() }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if self.metrics.enabled {
            self.metrics.connections_open.dec();
        }
    }
}
