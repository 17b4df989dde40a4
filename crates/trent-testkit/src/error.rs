//! What can go wrong starting or using a test server, and how long it may take.

use std::time::Duration;

/// How long a server may take to start (or stop) before the testkit gives up.
/// Generous because CI machines are shared and slow, and an initdb under load
/// takes seconds.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a test server could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// A program the server needs is not installed.
    #[error("{program} not found ({hint})")]
    NotInstalled {
        /// The missing program.
        program: String,
        /// How to install it.
        hint: String,
    },
    /// An operating system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A helper program ran but failed.
    #[error("{what} failed: {detail}")]
    Failed {
        /// What was being done.
        what: String,
        /// Exit status and output (or the server's log tail).
        detail: String,
    },
    /// A server did not become ready in time.
    #[error("{what} not ready after {waited:?}; log tail:\n{log}")]
    Timeout {
        /// Which server.
        what: String,
        /// How long the testkit waited.
        waited: Duration,
        /// The last lines of the server's log.
        log: String,
    },
}

/// Result of a testkit call.
pub type Result<T> = std::result::Result<T, TestkitError>;
