//! Throwaway database servers for Trent's tests.
//!
//! Exists because the multi-node backends (PostgreSQL for keys, Redis for
//! request quotas) must be tested against the real servers, and tests must
//! not depend on a system service being set up: each [`PgServer`] and
//! [`RedisServer`] runs from Debian's packaged binaries, as a child process
//! listening on a free loopback port, with its files in a temporary
//! directory. Dropping the handle stops the process and removes the
//! directory.
//!
//! Every wait is bounded: a server that is not ready within
//! [`START_TIMEOUT`] is an error carrying the tail of its log, not a hang.
//!
//! Used only as a dev-dependency.

#![warn(missing_docs)]

mod pg;
mod process;
mod redis;

use std::time::Duration;

pub use pg::{BINDIR_ENV, PgServer, pg_bindir};
pub use redis::RedisServer;

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
