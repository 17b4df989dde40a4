//! The conformance suite every [`KeyStore`] backend must pass.
//!
//! It exists so the contract written in `trent_core::store` is checked the
//! same way for SQLite, PostgreSQL and whatever comes next. It is ordinary
//! (non-`cfg(test)`) code so another crate's tests can call it; it panics with
//! a descriptive message on the first deviation.
//!
//! Every check generates fresh key ids, account ids and document kinds, so the
//! suite can run against a store that already holds data (a shared database,
//! or the same store twice) and only ever asserts about what it wrote itself.
//!
//! Listing order is byte order of the id / name (SQLite's `BINARY` collation;
//! a PostgreSQL backend needs `COLLATE "C"` on those columns).
//!
//! # Running it against a backend
//!
//! One line in the backend's test file stamps out the whole suite, one
//! `#[tokio::test]` per case (so a failure report names the case):
//!
//! ```ignore
//! // crates/trent-store/tests/postgres.rs
//! use trent_store::PostgresStore;
//!
//! trent_store::conformance_tests!(postgres, PostgresStore::connect(&database_url()).await.expect("connect"));
//! ```
//!
//! This generates `mod postgres { ... }` with a test for every case below
//! (`postgres::key_crud`, `postgres::alias_list`, ...) plus the two races
//! (`postgres::concurrent_updates`, `postgres::concurrent_capped_inserts`,
//! on a multi-threaded runtime). The store expression:
//!
//! - is evaluated afresh in every test, inside an `async` test body, so it may
//!   `.await`;
//! - must produce a value of a type that implements [`KeyStore`] (the races
//!   wrap it in an `Arc`);
//! - may use anything in scope where the macro is invoked (the generated
//!   module starts with `use super::*`).
//!
//! The calling crate needs `tokio` with the `macros` and `rt-multi-thread`
//! features (as trent-store's own tests have). `tests/sqlite.rs` is the
//! compiled example.
//!
//! To run every case one after another against a single store (for example
//! to check a database that is reopened, or that already holds data), call
//! [`run_all`]. The races are also public ([`races`]) for runs with other
//! sizes or several stores on one database (several "processes").
//!
//! # Cases, by topic
//!
//! - [`keys`]: key CRUD, compare-and-swap updates, deletion, listing, counts.
//! - [`scheduled`]: the deletion and rotation work queries.
//! - [`aliases`]: alias CRUD and listing.
//! - [`documents`]: the generic document store.
//! - [`capped`]: the atomic capped inserts behind resource quotas.
//! - [`races`]: the same contracts under concurrency.
//! - [`due_claims`]: two stores on one database ("two nodes") are never
//!   handed the same due key at once. Needs two stores on one database, so
//!   not stamped out by the macro: each backend's tests call
//!   [`due_claims::due_work_is_handed_out_once`] (and
//!   [`due_claims::claims_lapse_after_the_lease`]) with a pair it opened.

use std::sync::Arc;

use trent_core::store::KeyStore;

pub mod aliases;
pub mod capped;
pub mod documents;
pub mod due_claims;
mod fixtures;
pub mod keys;
pub mod races;
pub mod scheduled;
pub mod wipe;

pub use fixtures::sample_key;

/// Runs every conformance case, in the order [`conformance_tests!`](crate::conformance_tests)
/// lists them, against the one `store`.
///
/// Exists beside the macro for checks about the store's lifetime rather than
/// about one case: running the suite twice on one store proves it does not
/// depend on an empty database, and running it again after a reopen proves
/// the schema survives. See the module docs for why it is safe on a non-empty
/// store.
pub async fn run_all(store: &dyn KeyStore) {
    crate::conformance_tests!(@run store);
}

/// `store` as the shared handle [`races`] hand to their tasks; used by
/// [`conformance_tests!`](crate::conformance_tests) so the store expression
/// may be any [`KeyStore`] value.
pub fn shared(store: impl KeyStore) -> Arc<dyn KeyStore> {
    Arc::new(store)
}

/// Stamps out the conformance suite for one backend: a module `$name` with
/// one `#[tokio::test]` per case, each on a fresh store made by `$store`.
///
/// Exists so every backend (SQLite, PostgreSQL) runs exactly the checks SQLite
/// runs with one line, and a failure names the case that failed. See the
/// [`conformance`](crate::conformance) module docs for the requirements on
/// `$store` and an example.
///
/// The `@`-prefixed arms are internal: `@cases` holds the one list of cases,
/// which both the test module and [`run_all`](crate::conformance::run_all)
/// are generated from, so the two cannot drift apart.
#[macro_export]
macro_rules! conformance_tests {
    // The one list of cases, in run order; passed to the arm named by `$then`.
    (@cases $($then:tt)*) => {
        $crate::conformance_tests! { $($then)*
            keys::key_crud,
            keys::key_update_cas,
            keys::key_delete_cascades_aliases,
            keys::key_list_pagination,
            keys::key_list_isolation_and_count,
            keys::key_list_all,
            keys::multi_region_keys_share_an_id,
            scheduled::key_due_for_deletion,
            scheduled::key_due_for_rotation,
            aliases::alias_crud,
            aliases::alias_list,
            documents::docs,
            capped::capped_keys,
            capped::capped_aliases,
            capped::capped_aliases_per_region,
            capped::capped_docs,
            capped::capped_docs_in_group,
            wipe::wipe_everything,
        }
    };
    // Body of `run_all`: every case in turn on one store.
    (@run [$store:expr] $($module:ident :: $case:ident,)+) => {
        $( $crate::conformance::$module::$case($store).await; )+
    };
    (@run $store:expr) => {
        $crate::conformance_tests! { @cases @run [$store] }
    };
    // One test per case, plus the two races, in `mod $name`.
    (@tests [$name:ident, $store:expr] $($module:ident :: $case:ident,)+) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test]
                async fn $case() {
                    let store = $store;
                    $crate::conformance::$module::$case(&store).await;
                }
            )+

            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_updates() {
                let store = $crate::conformance::shared($store);
                let outcome = $crate::conformance::races::concurrent_updates(store, 16, 10).await;
                assert_eq!(outcome.updates, 160);
                eprintln!("{} race: {outcome:?}", stringify!($name));
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_capped_inserts() {
                let store = $crate::conformance::shared($store);
                let race = $crate::conformance::races::concurrent_capped_inserts(&[store], 24, 7).await;
                assert_eq!(race.keys, 7);
            }
        }
    };
    ($name:ident, $store:expr $(,)?) => {
        $crate::conformance_tests! { @cases @tests [$name, $store] }
    };
}
