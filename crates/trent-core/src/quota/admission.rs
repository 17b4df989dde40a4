//! The one place a request is charged against its request quota.
//!
//! Every operation calls [`Admission::admit`] exactly once, after it has
//! resolved the key it acts on (the pool depends on the key's spec) and
//! before it does anything else, so a throttled request has no side effect.
//! The quota subsystem implements this trait; [`AdmitAll`] admits everything.

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::{DataKeyPairSpec, KeyManager, KeySpec};
use crate::operation::Operation;

/// What the quota subsystem needs to know about the key a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyClass<'a> {
    /// The key's spec (decides the shared pool: symmetric, RSA, ECC).
    pub spec: KeySpec,
    /// Who manages the key: AWS managed keys are charged like customer keys (as
    /// AWS documents) unless `charge_aws_managed_keys = false`; only AWS owned keys are free.
    pub manager: KeyManager,
    /// Keys in a custom key store also draw on the store's own pool.
    pub custom_key_store_id: Option<&'a str>,
    /// The key's id: state changes on one key can be limited per key (hot keys).
    pub key_id: &'a str,
}

/// One request to charge.
#[derive(Debug, Clone, Copy)]
pub struct Charge<'a> {
    /// Who pays: quotas are per (caller's account, caller's region).
    pub caller: &'a Caller,
    /// The operation called.
    pub operation: Operation,
    /// The key the operation uses, if any.
    pub key: Option<KeyClass<'a>>,
    /// For GenerateDataKeyPair*: the requested pair spec (charged to its own quota).
    pub key_pair_spec: Option<DataKeyPairSpec>,
    /// For GenerateRandom with a CustomKeyStoreId.
    pub custom_key_store_id: Option<&'a str>,
}

/// Decides whether a request may proceed now.
#[async_trait::async_trait]
pub trait Admission: Send + Sync + 'static {
    /// `Ok(())` to proceed, or the ThrottlingException to send.
    async fn admit(&self, charge: &Charge<'_>) -> KmsResult<()>;
}

/// Admits every request (quotas off).
#[derive(Debug, Default, Clone, Copy)]
pub struct AdmitAll;

#[async_trait::async_trait]
impl Admission for AdmitAll {
    async fn admit(&self, _charge: &Charge<'_>) -> KmsResult<()> {
        Ok(())
    }
}
