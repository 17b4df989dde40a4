//! Durable storage backends for [`trent_core::store::KeyStore`].
//!
//! [`SqliteStore`] is the zero-setup default (one file, WAL, fsync on every
//! commit). [`conformance`] is the backend-independent test suite that every
//! backend (SQLite now, PostgreSQL next) must pass; it lives outside
//! `cfg(test)` so other backends' tests can run it, with one
//! [`conformance_tests!`] line.

#![warn(missing_docs)]

pub mod conformance;
mod sqlite;

pub use sqlite::SqliteStore;
