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

mod error;
mod pg;
mod process;
mod redis;

pub use pg::{BINDIR_ENV, PgServer, pg_bindir};
pub use redis::RedisServer;

pub use error::{Result, START_TIMEOUT, TestkitError};
