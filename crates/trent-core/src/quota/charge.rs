//! The charging rules: which buckets one request draws on, and how much.
//!
//! Kept apart from the limiter and the engine so the rules read like the AWS
//! documentation they restate (kms-quotas.md §4, §5):
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
//! * requests on AWS managed keys count unless configured otherwise.

use std::fmt;

use crate::key::model::KeyManager;
use crate::operation::Operation;
use crate::quota::admission::Charge;

use super::catalog::{Profile, QuotaId};

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
}

/// The prefix that keeps custom key store scopes apart from account ids.
const CKS_SCOPE: &str = "custom-key-store";

impl<'a> BucketScope<'a> {
    /// The scope as two strings, for map keys and storage keys.
    pub fn parts(&self) -> (&'a str, &'a str) {
        match *self {
            BucketScope::Account { account_id, region } => (account_id, region),
            BucketScope::CustomKeyStore { id } => (CKS_SCOPE, id),
        }
    }
}

/// One bucket: a scope and a quota. A shared limiter (Redis) names it by its
/// `Display` form, `account/region/code` or `custom-key-store/id/code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketKey<'a> {
    /// Whose bucket.
    pub scope: BucketScope<'a>,
    /// Which quota.
    pub quota: QuotaId,
}

impl fmt::Display for BucketKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.scope.parts();
        write!(f, "{a}/{b}/{}", self.quota.def().code)
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

/// The most buckets one request draws on (account pool + custom key store).
pub const MAX_CHARGES: usize = 2;

const EMPTY: QuotaCharge<'static> = QuotaCharge {
    bucket: BucketKey { scope: BucketScope::CustomKeyStore { id: "" }, quota: QuotaId::CUSTOM_KEY_STORE },
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
}

impl Default for ChargeRules {
    fn default() -> Self {
        Self { profile: Profile::Current, charge_aws_managed_keys: true }
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
    plan.push(QuotaCharge { bucket: BucketKey { scope: account, quota }, cost: 1 });

    let store = charge.key.as_ref().and_then(|k| k.custom_key_store_id).or(charge.custom_key_store_id);
    if let (Some(id), Some(cost)) = (store, custom_key_store_cost(rules.profile, op)) {
        plan.push(QuotaCharge {
            bucket: BucketKey { scope: BucketScope::CustomKeyStore { id }, quota: QuotaId::CUSTOM_KEY_STORE },
            cost,
        });
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
        KeyClass { spec, manager: KeyManager::Customer, custom_key_store_id: None }
    }

    fn charge<'a>(caller: &'a Caller, op: Operation, key: Option<KeyClass<'a>>) -> Charge<'a> {
        Charge { caller, operation: op, key, key_pair_spec: None, custom_key_store_id: None }
    }

    fn quotas(rules: ChargeRules, c: &Charge<'_>) -> Vec<(String, u32)> {
        plan(rules, c).as_slice().iter().map(|q| (q.bucket.to_string(), q.cost)).collect()
    }

    const R: ChargeRules = ChargeRules { profile: Profile::Current, charge_aws_managed_keys: true };

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
        let k = KeyClass { spec: KeySpec::SymmetricDefault, manager: KeyManager::Aws, custom_key_store_id: None };
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
}
