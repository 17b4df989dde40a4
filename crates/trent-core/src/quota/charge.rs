//! The charging rules: which buckets one request draws on, and how much.
//!
//! Kept apart from the limiter and the engine so the rules read like the AWS
//! documentation they restate (docs/quotas.md, "The quota model"):
//!
//! * shared crypto operations draw on the pool of the key's family
//!   (symmetric incl. HMAC, RSA, ECC incl. SM2, ML-DSA, ML-KEM);
//!   GenerateRandom draws on the symmetric pool;
//! * GenerateDataKeyPair* draw only on the quota of the requested KeyPairSpec;
//! * every other operation draws on its own per-operation quota;
//! * keys in a custom key store also draw on that store's pool (3 units for
//!   GenerateDataKey, GenerateDataKeyWithoutPlaintext and GenerateRandom in the
//!   2020 profile, 1 otherwise) *in addition to* the account's symmetric pool;
//! * the caller's account and region pay, never the key owner's;
//! * requests on AWS managed keys count unless configured otherwise;
//! * when `hot_key_per_second` is set, the state-changing management
//!   operations the catalog marks ([`super::catalog::QuotaDef::hot_key`]) also
//!   draw on a bucket of the key itself, whoever calls (Trent's model of
//!   AWS's unpublished hot-key throttling).

use std::fmt;

use crate::key::model::KeyManager;
use crate::operation::Operation;
use crate::quota::admission::Charge;

use super::catalog::{HOT_KEY_CODE, Profile, QuotaId};

/// Whose bucket: an (account, region) pair, or one custom key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketScope<'a> {
    /// Account quotas: per calling account, per region.
    Account {
        /// The calling account (never the key owner).
        account_id: &'a str,
        /// The region the call was made in.
        region: &'a str,
    },
    /// The pool of one custom key store, shared by every account using it.
    CustomKeyStore {
        /// The custom key store id.
        id: &'a str,
    },
    /// One key, whoever calls it: the hot-key limit on state changes.
    Key {
        /// The region the key lives in (a request on a key is always made there).
        region: &'a str,
        /// The key id.
        key_id: &'a str,
    },
}

/// The prefix that keeps custom key store scopes apart from account ids.
const CKS_SCOPE: &str = "custom-key-store";

/// Which kind of scope, so scopes whose [`BucketScope::parts`] happen to be
/// equal are still told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// [`BucketScope::Account`].
    Account,
    /// [`BucketScope::CustomKeyStore`].
    CustomKeyStore,
    /// [`BucketScope::Key`].
    Key,
}

impl<'a> BucketScope<'a> {
    /// The scope as two strings, for map keys and storage keys (with
    /// [`BucketScope::kind`] they identify it).
    pub fn parts(&self) -> (&'a str, &'a str) {
        match *self {
            BucketScope::Account { account_id, region } => (account_id, region),
            BucketScope::CustomKeyStore { id } => (CKS_SCOPE, id),
            BucketScope::Key { region, key_id } => (key_id, region),
        }
    }

    /// The kind of scope.
    pub fn kind(&self) -> ScopeKind {
        match self {
            BucketScope::Account { .. } => ScopeKind::Account,
            BucketScope::CustomKeyStore { .. } => ScopeKind::CustomKeyStore,
            BucketScope::Key { .. } => ScopeKind::Key,
        }
    }
}

/// What a bucket limits: a catalog request quota, or the per-key hot-key
/// limit (which has no catalog entry: AWS publishes no such quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketLimit {
    /// A request quota of the catalog.
    Quota(QuotaId),
    /// State-changing requests on one key (`[quotas] hot_key_per_second`).
    HotKey,
}

impl BucketLimit {
    /// The code naming the limit: the quota code, or [`HOT_KEY_CODE`].
    pub fn code(self) -> &'static str {
        match self {
            BucketLimit::Quota(q) => q.def().code,
            BucketLimit::HotKey => HOT_KEY_CODE,
        }
    }
}

/// One bucket: a scope and what it limits. A shared limiter (Redis) names it
/// by its `Display` form, `account/region/code`, `custom-key-store/id/code`
/// or `key/region/key-id/code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketKey<'a> {
    /// Whose bucket.
    pub scope: BucketScope<'a>,
    /// What it limits.
    pub limit: BucketLimit,
}

impl<'a> BucketKey<'a> {
    /// The bucket of a catalog quota.
    pub fn quota(scope: BucketScope<'a>, quota: QuotaId) -> Self {
        Self { scope, limit: BucketLimit::Quota(quota) }
    }
}

impl fmt::Display for BucketKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.limit.code();
        match self.scope {
            BucketScope::Key { region, key_id } => write!(f, "key/{region}/{key_id}/{code}"),
            _ => {
                let (a, b) = self.scope.parts();
                write!(f, "{a}/{b}/{code}")
            }
        }
    }
}

/// One bucket and the number of units to take from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaCharge<'a> {
    /// The bucket.
    pub bucket: BucketKey<'a>,
    /// Units (requests) to take; 3 for the heavy custom-key-store calls in 2020.
    pub cost: u32,
}

/// The most buckets one request draws on: the account's quota, a custom key
/// store's pool, the key's hot-key bucket (no operation draws on all three today).
pub const MAX_CHARGES: usize = 3;

const EMPTY: QuotaCharge<'static> = QuotaCharge {
    bucket: BucketKey {
        scope: BucketScope::CustomKeyStore { id: "" },
        limit: BucketLimit::Quota(QuotaId::CUSTOM_KEY_STORE),
    },
    cost: 0,
};

/// Every bucket one request draws on; all must admit it or none is charged.
/// A fixed-size list so planning a charge never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargePlan<'a> {
    items: [QuotaCharge<'a>; MAX_CHARGES],
    len: usize,
}

impl<'a> ChargePlan<'a> {
    /// A plan charging nothing.
    pub fn none() -> Self {
        Self { items: [EMPTY; MAX_CHARGES], len: 0 }
    }

    fn push(&mut self, c: QuotaCharge<'a>) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }

    /// The charges, in order.
    pub fn as_slice(&self) -> &[QuotaCharge<'a>] {
        &self.items[..self.len]
    }

    /// Whether the request is free.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The switches that change how requests are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeRules {
    /// Which era's rules (custom key store weights differ).
    pub profile: Profile,
    /// Whether requests on AWS managed keys (`KeyManager::Aws`) count. AWS
    /// documents that they do (only AWS *owned* keys are free); Trent has no
    /// AWS owned keys.
    pub charge_aws_managed_keys: bool,
    /// Whether state-changing requests on a key also draw on that key's
    /// hot-key bucket (`hot_key_per_second` is set).
    pub hot_key: bool,
}

impl Default for ChargeRules {
    fn default() -> Self {
        Self { profile: Profile::Current, charge_aws_managed_keys: true, hot_key: false }
    }
}

/// Units a request takes from a custom key store's pool; `None` if the
/// operation does not draw on it.
pub fn custom_key_store_cost(profile: Profile, op: Operation) -> Option<u32> {
    use Operation::*;
    match op {
        GenerateDataKey | GenerateDataKeyWithoutPlaintext | GenerateRandom => match profile {
            Profile::Y2020 => Some(3),
            Profile::Current => Some(1),
        },
        Encrypt | Decrypt | ReEncrypt | DeriveSharedSecret => Some(1),
        _ => None,
    }
}

/// The buckets `charge` draws on under `rules`.
pub fn plan<'a>(rules: ChargeRules, charge: &Charge<'a>) -> ChargePlan<'a> {
    let mut plan = ChargePlan::none();
    if let Some(key) = &charge.key
        && key.manager == KeyManager::Aws
        && !rules.charge_aws_managed_keys
    {
        return plan;
    }
    let account = BucketScope::Account { account_id: &charge.caller.account_id, region: &charge.caller.region };
    let op = charge.operation;
    let quota = match op {
        Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext => {
            match charge.key_pair_spec {
                Some(spec) => QuotaId::for_key_pair_spec(spec),
                // Without a spec the request fails validation; nothing to charge.
                None => return plan,
            }
        }
        Operation::GenerateRandom => QuotaId::SYMMETRIC,
        _ if op.is_shared_crypto() => match &charge.key {
            Some(key) => QuotaId::for_family(key.spec.family()),
            // Decrypt resolves its key from the ciphertext; symmetric is the only family without a KeyId.
            None => QuotaId::SYMMETRIC,
        },
        _ => match QuotaId::for_operation(op) {
            Some(q) => q,
            None => return plan,
        },
    };
    plan.push(QuotaCharge { bucket: BucketKey::quota(account, quota), cost: 1 });

    let store = charge.key.as_ref().and_then(|k| k.custom_key_store_id).or(charge.custom_key_store_id);
    if let (Some(id), Some(cost)) = (store, custom_key_store_cost(rules.profile, op)) {
        plan.push(QuotaCharge {
            bucket: BucketKey::quota(BucketScope::CustomKeyStore { id }, QuotaId::CUSTOM_KEY_STORE),
            cost,
        });
    }

    if rules.hot_key
        && quota.def().hot_key
        && let Some(key) = &charge.key
    {
        let scope = BucketScope::Key { region: &charge.caller.region, key_id: key.key_id };
        plan.push(QuotaCharge { bucket: BucketKey { scope, limit: BucketLimit::HotKey }, cost: 1 });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::caller::Caller;
    use crate::key::model::{DataKeyPairSpec, KeySpec};
    use crate::quota::admission::KeyClass;

    fn key(spec: KeySpec) -> KeyClass<'static> {
        KeyClass { spec, manager: KeyManager::Customer, custom_key_store_id: None, key_id: KEY_ID }
    }

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn charge<'a>(caller: &'a Caller, op: Operation, key: Option<KeyClass<'a>>) -> Charge<'a> {
        Charge { caller, operation: op, key, key_pair_spec: None, custom_key_store_id: None }
    }

    fn quotas(rules: ChargeRules, c: &Charge<'_>) -> Vec<(String, u32)> {
        plan(rules, c).as_slice().iter().map(|q| (q.bucket.to_string(), q.cost)).collect()
    }

    const R: ChargeRules = ChargeRules { profile: Profile::Current, charge_aws_managed_keys: true, hot_key: false };

    #[test]
    fn crypto_ops_draw_on_their_key_family_pool() {
        let c = Caller::new("111122223333", "us-east-1");
        let cases = [
            (Operation::Encrypt, KeySpec::SymmetricDefault, "L-6E3AF000"),
            (Operation::GenerateMac, KeySpec::Hmac256, "L-6E3AF000"),
            (Operation::VerifyMac, KeySpec::Hmac512, "L-6E3AF000"),
            (Operation::Decrypt, KeySpec::Rsa2048, "L-2AC98190"),
            (Operation::Sign, KeySpec::Rsa4096, "L-2AC98190"),
            (Operation::Verify, KeySpec::EccNistP256, "L-DC14942D"),
            (Operation::DeriveSharedSecret, KeySpec::EccNistP384, "L-DC14942D"),
            (Operation::Encrypt, KeySpec::Sm2, "L-DC14942D"),
            (Operation::Sign, KeySpec::MlDsa65, "T-Crypto-MLDSA"),
            (Operation::Decapsulate, KeySpec::MlKem768, "T-Crypto-MLKEM"),
        ];
        for (op, spec, code) in cases {
            let got = quotas(R, &charge(&c, op, Some(key(spec))));
            assert_eq!(got, vec![(format!("111122223333/us-east-1/{code}"), 1)], "{op:?} {spec:?}");
        }
        let got = quotas(R, &charge(&c, Operation::GenerateRandom, None));
        assert_eq!(got, vec![("111122223333/us-east-1/L-6E3AF000".to_owned(), 1)]);
        let got = quotas(R, &charge(&c, Operation::Decrypt, None));
        assert_eq!(got, vec![("111122223333/us-east-1/L-6E3AF000".to_owned(), 1)]);
    }

    #[test]
    fn data_key_pairs_draw_only_on_their_spec_quota() {
        let c = Caller::new("111122223333", "eu-west-2");
        for op in [Operation::GenerateDataKeyPair, Operation::GenerateDataKeyPairWithoutPlaintext] {
            let mut ch = charge(&c, op, Some(key(KeySpec::SymmetricDefault)));
            ch.key_pair_spec = Some(DataKeyPairSpec::Rsa3072);
            assert_eq!(quotas(R, &ch), vec![("111122223333/eu-west-2/T-GDKP-RSA-3072".to_owned(), 1)]);
            ch.key_pair_spec = Some(DataKeyPairSpec::EccNistP256);
            assert_eq!(quotas(R, &ch), vec![("111122223333/eu-west-2/L-D2EEB5E0".to_owned(), 1)]);
            ch.key_pair_spec = None;
            assert!(plan(R, &ch).is_empty());
        }
    }

    #[test]
    fn other_ops_draw_on_their_own_quota() {
        let c = Caller::new("111122223333", "eu-west-2");
        let got = quotas(R, &charge(&c, Operation::CreateKey, None));
        assert_eq!(got, vec![("111122223333/eu-west-2/L-32B67F4A".to_owned(), 1)]);
        let got = quotas(R, &charge(&c, Operation::GetPublicKey, Some(key(KeySpec::Rsa2048))));
        assert_eq!(got, vec![("111122223333/eu-west-2/T-GetPublicKey".to_owned(), 1)]);
    }

    #[test]
    fn aws_managed_keys_count_unless_switched_off() {
        let c = Caller::new("111122223333", "eu-west-2");
        let k = KeyClass {
            spec: KeySpec::SymmetricDefault,
            manager: KeyManager::Aws,
            custom_key_store_id: None,
            key_id: KEY_ID,
        };
        assert_eq!(plan(R, &charge(&c, Operation::Encrypt, Some(k))).as_slice().len(), 1);
        let off = ChargeRules { charge_aws_managed_keys: false, ..R };
        assert!(plan(off, &charge(&c, Operation::Encrypt, Some(k))).is_empty());
        assert!(plan(off, &charge(&c, Operation::DescribeKey, Some(k))).is_empty());
        // Customer keys are charged either way.
        assert!(!plan(off, &charge(&c, Operation::Encrypt, Some(key(KeySpec::SymmetricDefault)))).is_empty());
    }

    #[test]
    fn custom_key_store_keys_also_draw_on_the_store_pool() {
        let c = Caller::new("111122223333", "eu-west-2");
        let k = KeyClass {
            spec: KeySpec::SymmetricDefault,
            manager: KeyManager::Customer,
            custom_key_store_id: Some("cks-1234567890abcdef0"),
            key_id: KEY_ID,
        };
        let y2020 = ChargeRules { profile: Profile::Y2020, ..R };
        let store = "custom-key-store/cks-1234567890abcdef0/T-CustomKeyStore".to_owned();
        let sym = "111122223333/eu-west-2/L-6E3AF000".to_owned();
        assert_eq!(
            quotas(y2020, &charge(&c, Operation::GenerateDataKey, Some(k))),
            vec![(sym.clone(), 1), (store.clone(), 3)]
        );
        assert_eq!(
            quotas(y2020, &charge(&c, Operation::GenerateDataKeyWithoutPlaintext, Some(k))),
            vec![(sym.clone(), 1), (store.clone(), 3)]
        );
        assert_eq!(quotas(y2020, &charge(&c, Operation::Decrypt, Some(k))), vec![(sym.clone(), 1), (store.clone(), 1)]);
        assert_eq!(
            quotas(R, &charge(&c, Operation::GenerateDataKey, Some(k))),
            vec![(sym.clone(), 1), (store.clone(), 1)]
        );
        let mut random = charge(&c, Operation::GenerateRandom, None);
        random.custom_key_store_id = Some("cks-1234567890abcdef0");
        assert_eq!(quotas(y2020, &random), vec![(sym, 1), (store, 3)]);
        // Management operations on such keys use only the account's per-operation quota.
        assert_eq!(
            quotas(y2020, &charge(&c, Operation::DescribeKey, Some(k))),
            vec![("111122223333/eu-west-2/L-FAE8F084".to_owned(), 1)]
        );
    }

    #[test]
    fn the_caller_pays_not_the_key_owner() {
        // The key's owner is not even part of a Charge: only the caller is.
        let a = Caller::new("444455556666", "ap-northeast-1");
        let got = quotas(R, &charge(&a, Operation::Decrypt, Some(key(KeySpec::SymmetricDefault))));
        assert_eq!(got, vec![("444455556666/ap-northeast-1/L-6E3AF000".to_owned(), 1)]);
    }

    #[test]
    fn state_changes_also_draw_on_the_key_when_hot_keys_are_limited() {
        let c = Caller::new("444455556666", "eu-west-2");
        let hot = ChargeRules { hot_key: true, ..R };
        let on_key = format!("key/eu-west-2/{KEY_ID}/{HOT_KEY_CODE}");
        for op in [Operation::EnableKey, Operation::DisableKey, Operation::PutKeyPolicy, Operation::TagResource] {
            let ch = charge(&c, op, Some(key(KeySpec::SymmetricDefault)));
            let own = QuotaId::for_operation(op).expect("own quota").def().code;
            let got = quotas(hot, &ch);
            assert_eq!(got, vec![(format!("444455556666/eu-west-2/{own}"), 1), (on_key.clone(), 1)], "{op:?}");
            // Off unless configured.
            assert_eq!(quotas(R, &ch).len(), 1, "{op:?}");
        }
        // Reads, crypto, grants and aliases never draw on the key's bucket.
        for op in [Operation::DescribeKey, Operation::Encrypt, Operation::CreateGrant, Operation::CreateAlias] {
            assert_eq!(quotas(hot, &charge(&c, op, Some(key(KeySpec::SymmetricDefault)))).len(), 1, "{op:?}");
        }
    }
}
