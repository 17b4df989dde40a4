//! Durable storage backends for [`trent_core::store::KeyStore`].
//!
//! [`SqliteStore`] is the zero-setup default (one file, WAL, fsync on every
//! commit). [`PostgresStore`] is for several Trent nodes sharing one
//! database (`trent serve --store postgres://...`). [`conformance`] is the backend-independent test suite that every
//! backend (SQLite and PostgreSQL) must pass; it lives outside
//! `cfg(test)` so other backends' tests can run it, with one
//! [`conformance_tests!`] line.

#![warn(missing_docs)]

pub mod conformance;
mod postgres;
mod records;
mod sqlite;
pub mod sqlite_backup;

pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::SqliteStore;
