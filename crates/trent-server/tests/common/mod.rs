//! The in-process harness shared by trent-server's integration tests.
//!
//! Each test file used to build its own `Kms` on an in-memory SQLite store and
//! carry its own copies of `call` / `ok` / `err`; this module is the one copy.
//! A [`Service`] is a `Kms` on a fresh in-memory store with a hand-moved wall
//! clock (so time-dependent behaviour is proved without sleeping), called
//! through the real JSON dispatcher exactly as the HTTP layer calls it.
//!
//! Helpers only one file needs stay in that file, as inherent `impl Service`
//! blocks (allowed anywhere in the test crate), so this module holds only what
//! is shared.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use serde_json::{Value, json};
use trent_core::kms::wall_clock::ManualWallClock;
use trent_core::key::root_key::RootKey;
use trent_core::kms::DueWork;
use trent_core::{Caller, ErrorKind, Kms, KmsError, Operation};
use trent_store::SqliteStore;

/// The account every [`Service`] calls as.
pub const ACCOUNT: &str = "111122223333";
/// The region [`Service::new`] calls in.
pub const REGION: &str = "us-east-1";
/// 2025-06-15T15:06:40Z: an arbitrary, whole-second start for the wall clock.
pub const T0: f64 = 1_750_000_000.0;
/// One day in seconds, for moving the wall clock.
pub const DAY: f64 = 86_400.0;
/// A trust anchor certificate CreateCustomKeyStore accepts (Trent checks the PEM framing only).
pub const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/// Runs `op` with the JSON `body` as `caller` through the real dispatcher and
/// parses the JSON answer; for tests that drive more than one `Kms` (two
/// processes on one database) or call as several principals.
pub async fn call(kms: &Kms, caller: &Caller, op: Operation, body: Value) -> Result<Value, KmsError> {
    let out = trent_core::ops::dispatch(kms, caller, op, body.to_string().as_bytes()).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

/// One in-process KMS: a fresh in-memory SQLite store, a wall clock that only
/// moves when a test moves it, and the caller every request is made as.
pub struct Service {
    /// The service under test.
    pub kms: Kms,
    /// Its store, for tests that break or inspect it directly.
    pub store: Arc<SqliteStore>,
    /// Its wall clock, starting at [`T0`].
    pub clock: Arc<ManualWallClock>,
    /// The account root of [`ACCOUNT`] in the service's region.
    pub caller: Caller,
}

impl Service {
    /// A service in [`REGION`] that admits every request (no request quotas).
    pub async fn new() -> Service {
        Self::build(REGION, |kms| kms).await
    }

    /// A service whose caller is in `region`.
    pub async fn in_region(region: &str) -> Service {
        Self::build(region, |kms| kms).await
    }

    /// A service in `region` with `configure` applied to the `Kms` (for
    /// example a quota engine as its admission hook).
    pub async fn build(region: &str, configure: impl FnOnce(Kms) -> Kms) -> Service {
        let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let clock = Arc::new(ManualWallClock::new(T0));
        let kms = Kms::new(store.clone(), RootKey::generate().unwrap().0).with_clock(clock.clone());
        Service { kms: configure(kms), store, clock, caller: Caller::new(ACCOUNT, region) }
    }

    /// Runs `op` as [`Service::caller`].
    pub async fn call(&self, op: Operation, body: Value) -> Result<Value, KmsError> {
        call(&self.kms, &self.caller, op, body).await
    }

    /// Runs `op`, which must succeed, and returns its answer.
    pub async fn ok(&self, op: Operation, body: Value) -> Value {
        match self.call(op, body).await {
            Ok(v) => v,
            Err(e) => panic!("{op:?} failed: {e}"),
        }
    }

    /// Runs `op`, which must fail, and returns its error.
    pub async fn err(&self, op: Operation, body: Value) -> KmsError {
        match self.call(op, body).await {
            Ok(v) => panic!("{op:?} succeeded: {v}"),
            Err(e) => e,
        }
    }

    /// The error kind of `op`, which must fail.
    pub async fn err_kind(&self, op: Operation, body: Value) -> ErrorKind {
        self.err(op, body).await.kind
    }

    /// A new symmetric key: (key id, key ARN).
    pub async fn create_key(&self) -> (String, String) {
        let md = self.ok(Operation::CreateKey, json!({})).await["KeyMetadata"].clone();
        (md["KeyId"].as_str().unwrap().to_owned(), md["Arn"].as_str().unwrap().to_owned())
    }

    /// DescribeKey's `KeyMetadata` for `key`.
    pub async fn describe(&self, key: &str) -> Value {
        self.ok(Operation::DescribeKey, json!({ "KeyId": key })).await["KeyMetadata"].clone()
    }

    /// The `KeyState` DescribeKey reports for `key`.
    pub async fn key_state(&self, key: &str) -> String {
        self.describe(key).await["KeyState"].as_str().unwrap().to_owned()
    }

    /// Runs the work that is due at the clock's current time (deletions, rotations).
    pub async fn due_work(&self) -> DueWork {
        self.kms.run_due_work().await.unwrap_or_else(|e| panic!("run_due_work failed: {e}"))
    }

    /// A new (disconnected) CloudHSM key store; returns its id.
    pub async fn create_custom_key_store(&self, name: &str, cluster: &str) -> String {
        let out = self
            .ok(
                Operation::CreateCustomKeyStore,
                json!({
                    "CustomKeyStoreName": name,
                    "CloudHsmClusterId": cluster,
                    "TrustAnchorCertificate": CERT,
                    "KeyStorePassword": "kmsuser-password",
                }),
            )
            .await;
        out["CustomKeyStoreId"].as_str().unwrap().to_owned()
    }
}
