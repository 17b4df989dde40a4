//! Every AWS KMS quota Trent enforces, with its Service Quotas code,
//! name, adjustability and default value in each [`Profile`]: the request
//! quotas (requests per second) and, at the end, the resource quotas
//! (counts, see [`crate::quota::resource`]).
//!
//! The facts are AWS's published quotas (current and 2020 tables, region
//! tiers, resource quotas), as `docs/quotas.md` lists them with their sources.
//! Quotas whose Service Quotas code was never
//! found publicly carry a code of our own, visibly different from AWS's
//! `L-XXXXXXXX` form: `T-` followed by a readable, stable name
//! (see [`QuotaDef::is_trent_code`] and `docs/quotas.md`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::key::model::{DataKeyPairSpec, KeyFamily};
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;

/// Which era of AWS defaults Trent enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// Today's documented defaults (symmetric 10,000 / 20,000 / 100,000 by region).
    #[default]
    #[serde(rename = "current")]
    Current,
    /// The CMK-era defaults of the AWS KMS Developer Guide as of 2020-09-04, with
    /// the four 2020-10-29 values the seed documents show (ListAliases, ListKeys,
    /// ListRetirableGrants, grants per key) (symmetric 5,500 / 10,000 / 30,000 by region).
    #[serde(rename = "2020")]
    Y2020,
}

impl Profile {
    /// The spelling used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Current => "current",
            Profile::Y2020 => "2020",
        }
    }
}

/// Regions with the highest symmetric quota (100,000 now, 30,000 in 2020).
pub const TOP_TIER_REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1"];

/// Regions with the middle symmetric quota (20,000 now, 10,000 in 2020).
pub const MIDDLE_TIER_REGIONS: &[&str] =
    &["us-east-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-central-1", "eu-west-2"];

/// The AWS China regions, where some GenerateDataKeyPair quotas keep their old values.
pub const CHINA_REGIONS: &[&str] = &["cn-north-1", "cn-northwest-1"];

/// Whether `region` is one of the AWS China regions.
pub fn is_china(region: &str) -> bool {
    CHINA_REGIONS.contains(&region)
}

/// The symmetric-quota tier of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionTier {
    /// us-east-1, us-west-2, eu-west-1.
    Top,
    /// us-east-2, ap-southeast-1, ap-southeast-2, ap-northeast-1, eu-central-1, eu-west-2.
    Middle,
    /// Every other region.
    Default,
}

/// The tier `region` belongs to (same lists in both profiles).
pub fn region_tier(region: &str) -> RegionTier {
    if TOP_TIER_REGIONS.contains(&region) {
        RegionTier::Top
    } else if MIDDLE_TIER_REGIONS.contains(&region) {
        RegionTier::Middle
    } else {
        RegionTier::Default
    }
}

/// How a quota's default value depends on the region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// The same value everywhere.
    Flat(f64),
    /// Region-tiered (the symmetric quota).
    Tiered {
        /// Every region not listed in a tier.
        default: f64,
        /// [`MIDDLE_TIER_REGIONS`].
        middle: f64,
        /// [`TOP_TIER_REGIONS`].
        top: f64,
    },
    /// One value in the China regions, another elsewhere.
    ChinaDiffers {
        /// Outside China.
        global: f64,
        /// In [`CHINA_REGIONS`].
        china: f64,
    },
}

impl DefaultValue {
    /// The value in `region`.
    pub fn in_region(self, region: &str) -> f64 {
        match self {
            DefaultValue::Flat(v) => v,
            DefaultValue::Tiered { default, middle, top } => match region_tier(region) {
                RegionTier::Top => top,
                RegionTier::Middle => middle,
                RegionTier::Default => default,
            },
            DefaultValue::ChinaDiffers { global, china } => {
                if is_china(region) {
                    china
                } else {
                    global
                }
            }
        }
    }
}

/// What a quota limits, which decides which requests draw on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// A shared pool of cryptographic operations on keys of one family.
    SharedPool(KeyFamily),
    /// The request rate of one operation.
    Operation(Operation),
    /// GenerateDataKeyPair + GenerateDataKeyPairWithoutPlaintext with one KeyPairSpec.
    DataKeyPair(DataKeyPairSpec),
    /// The per-custom-key-store pool (not an account quota).
    CustomKeyStore,
    /// A resource quota: a count of resources, not a rate; no request draws on it.
    Resource(ResourceQuota),
}

/// One quota (request or resource): identity, naming and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaDef {
    /// Service Quotas quota code (`L-…` from AWS, `T-…` invented by Trent).
    pub code: &'static str,
    /// Service Quotas quota name today.
    pub name: &'static str,
    /// The name in 2020 where it differed.
    pub name_2020: Option<&'static str>,
    /// What the quota limits.
    pub kind: QuotaKind,
    /// Whether RequestServiceQuotaIncrease may raise it.
    pub adjustable: bool,
    /// Whether Service Quotas lists it (the custom key store pool is not).
    pub in_service_quotas: bool,
    /// Only exists in the China regions (SM2 data key pairs).
    pub china_only: bool,
    /// Whether the default value is documented by AWS (false: chosen by Trent).
    pub documented: bool,
    /// Default in the current profile.
    pub current: DefaultValue,
    /// Default in the 2020 profile; `None` when the quota (or its operation)
    /// did not exist in 2020, in which case today's value applies.
    pub y2020: Option<DefaultValue>,
    /// A quota AWS dropped in 2021 (aliases per Region, grants for a given
    /// principal per key): it exists only in the 2020 profile. In the current
    /// profile it has no limit (`current` is infinite), Service Quotas does not
    /// list it and the config may not override it.
    pub only_2020: bool,
    /// A state-changing management operation on one key: with
    /// `[quotas] hot_key_per_second` set, its requests also count against the
    /// key's own hot-key bucket ([`HOT_KEY_CODE`]). AWS throttles bursts of
    /// such requests on one key without publishing a number.
    pub hot_key: bool,
}

/// The code naming the per-key hot-key limit in logs and shared-limiter keys.
/// Not a quota: Service Quotas does not know it and the config sets it with
/// `hot_key_per_second`, not an override.
pub const HOT_KEY_CODE: &str = "T-HotKey";

impl QuotaDef {
    /// Whether this is a resource quota (a count) rather than a request rate.
    pub fn is_resource(&self) -> bool {
        matches!(self.kind, QuotaKind::Resource(_))
    }

    /// Whether the code was invented by Trent (AWS's code was not found).
    pub fn is_trent_code(&self) -> bool {
        self.code.starts_with("T-")
    }

    /// The quota name in `profile`.
    pub fn name_in(&self, profile: Profile) -> &'static str {
        match (profile, self.name_2020) {
            (Profile::Y2020, Some(n)) => n,
            _ => self.name,
        }
    }

    /// The AWS default value in `profile` and `region`.
    pub fn default_in(&self, profile: Profile, region: &str) -> f64 {
        let d = match profile {
            Profile::Current => self.current,
            Profile::Y2020 => self.y2020.unwrap_or(self.current),
        };
        d.in_region(region)
    }

    /// Whether the quota existed in 2020 (false: the 2020 profile uses today's value).
    pub fn existed_in_2020(&self) -> bool {
        self.y2020.is_some()
    }

    /// Whether the quota exists in `profile` (all but the [`QuotaDef::only_2020`]
    /// ones in the current profile).
    pub fn exists_in(&self, profile: Profile) -> bool {
        !(self.only_2020 && profile == Profile::Current)
    }

    /// Whether Service Quotas shows this quota, under `profile`, to a caller in `region`.
    pub fn listed_in(&self, profile: Profile, region: &str) -> bool {
        self.in_service_quotas && self.exists_in(profile) && (!self.china_only || is_china(region))
    }

    /// The `Resource` dimension of the CloudWatch `AWS/Usage` metric for this
    /// quota (documented for the pools, the GenerateDataKeyPair specs and some
    /// operations; assumed to be the operation name for the others).
    pub fn usage_resource(&self) -> Option<String> {
        match self.kind {
            QuotaKind::SharedPool(f) => Some(
                match f {
                    KeyFamily::Symmetric => "CryptographicOperationsSymmetric",
                    KeyFamily::Rsa => "CryptographicOperationsRsa",
                    KeyFamily::Ecc => "CryptographicOperationsEcc",
                    KeyFamily::MlDsa => "CryptographicOperationsMlDsa",
                    KeyFamily::MlKem => "CryptographicOperationsMlKem",
                }
                .to_owned(),
            ),
            QuotaKind::Operation(op) => Some(op.name().to_owned()),
            QuotaKind::DataKeyPair(spec) => Some(format!("GenerateDataKeyPair-{}", spec.as_str())),
            QuotaKind::CustomKeyStore => None,
            // Only the key count's metric is known (ResourceCount, KeysPerAccount).
            QuotaKind::Resource(ResourceQuota::Keys) => Some("KeysPerAccount".to_owned()),
            QuotaKind::Resource(_) => None,
        }
    }
}

/// Index of a quota in [`QUOTAS`]: cheap to copy, hash and use as a slot number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuotaId(u16);

impl QuotaId {
    /// Cryptographic operations (symmetric) request rate, L-6E3AF000.
    pub const SYMMETRIC: QuotaId = QuotaId(0);
    /// Cryptographic operations (RSA) request rate, L-2AC98190.
    pub const RSA: QuotaId = QuotaId(1);
    /// Cryptographic operations (ECC and SM2) request rate, L-DC14942D.
    pub const ECC: QuotaId = QuotaId(2);
    /// Cryptographic operations (ML-DSA) request rate.
    pub const ML_DSA: QuotaId = QuotaId(3);
    /// Cryptographic operations (ML-KEM) request rate (invented by Trent).
    pub const ML_KEM: QuotaId = QuotaId(4);
    /// The per-custom-key-store pool.
    pub const CUSTOM_KEY_STORE: QuotaId = QuotaId(5);

    /// Number of quotas in the catalog (slots per limiter scope).
    pub const COUNT: usize = N_QUOTAS;

    /// The slot number, `0..COUNT`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The quota at slot `index` (the inverse of [`QuotaId::index`]).
    pub fn from_index(index: usize) -> Option<QuotaId> {
        if index < N_QUOTAS { u16::try_from(index).ok().map(QuotaId) } else { None }
    }

    /// The quota's definition.
    pub fn def(self) -> &'static QuotaDef {
        &QUOTAS[self.index()]
    }

    /// Looks a quota up by its code (case-sensitive, as Service Quotas is).
    pub fn from_code(code: &str) -> Option<QuotaId> {
        QUOTAS.iter().position(|q| q.code == code).and_then(|i| u16::try_from(i).ok()).map(QuotaId)
    }

    /// The shared pool of a key family.
    pub fn for_family(family: KeyFamily) -> QuotaId {
        match family {
            KeyFamily::Symmetric => QuotaId::SYMMETRIC,
            KeyFamily::Rsa => QuotaId::RSA,
            KeyFamily::Ecc => QuotaId::ECC,
            KeyFamily::MlDsa => QuotaId::ML_DSA,
            KeyFamily::MlKem => QuotaId::ML_KEM,
        }
    }

    /// The per-operation quota of `op`; `None` for operations that draw on a
    /// shared pool or a GenerateDataKeyPair spec quota instead.
    pub fn for_operation(op: Operation) -> Option<QuotaId> {
        tables().by_op[op as usize]
    }

    /// The quota of a GenerateDataKeyPair key pair spec.
    pub fn for_key_pair_spec(spec: DataKeyPairSpec) -> QuotaId {
        tables().by_spec[spec as usize]
    }

    /// The catalog entry of a resource quota.
    pub fn for_resource(quota: ResourceQuota) -> QuotaId {
        tables().by_resource[quota as usize]
    }

    /// Every quota, in catalog order.
    pub fn all() -> impl Iterator<Item = QuotaId> {
        (0..QUOTAS.len()).filter_map(|i| u16::try_from(i).ok()).map(QuotaId)
    }
}

const N_OPS: usize = Operation::ALL.len();
const N_SPECS: usize = DataKeyPairSpec::ALL.len();
const N_RESOURCES: usize = ResourceQuota::ALL.len();

struct Tables {
    by_op: [Option<QuotaId>; N_OPS],
    by_spec: [QuotaId; N_SPECS],
    by_resource: [QuotaId; N_RESOURCES],
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut by_op = [None; N_OPS];
        // Every spec has an entry (checked by a test); the symmetric pool is only a placeholder.
        let mut by_spec = [QuotaId::SYMMETRIC; N_SPECS];
        // Likewise every resource quota (checked by a test).
        let mut by_resource = [QuotaId::SYMMETRIC; N_RESOURCES];
        for id in QuotaId::all() {
            match id.def().kind {
                QuotaKind::Operation(op) => by_op[op as usize] = Some(id),
                QuotaKind::DataKeyPair(spec) => by_spec[spec as usize] = id,
                QuotaKind::Resource(r) => by_resource[r as usize] = id,
                QuotaKind::SharedPool(_) | QuotaKind::CustomKeyStore => {}
            }
        }
        Tables { by_op, by_spec, by_resource }
    })
}

const fn base(code: &'static str, name: &'static str, kind: QuotaKind, current: f64, y2020: Option<f64>) -> QuotaDef {
    QuotaDef {
        code,
        name,
        name_2020: None,
        kind,
        adjustable: true,
        in_service_quotas: true,
        china_only: false,
        documented: true,
        current: DefaultValue::Flat(current),
        y2020: match y2020 {
            Some(v) => Some(DefaultValue::Flat(v)),
            None => None,
        },
        only_2020: false,
        hot_key: false,
    }
}

const fn op(op: Operation, code: &'static str, name: &'static str, current: f64, y2020: Option<f64>) -> QuotaDef {
    base(code, name, QuotaKind::Operation(op), current, y2020)
}

/// A per-operation quota whose operation changes the state of one key (see
/// [`QuotaDef::hot_key`]).
const fn state_op(op: Operation, code: &'static str, name: &'static str, current: f64, y2020: Option<f64>) -> QuotaDef {
    QuotaDef { hot_key: true, ..base(code, name, QuotaKind::Operation(op), current, y2020) }
}

const fn gdkp(
    spec: DataKeyPairSpec,
    code: &'static str,
    name: &'static str,
    current: f64,
    y2020: Option<f64>,
) -> QuotaDef {
    base(code, name, QuotaKind::DataKeyPair(spec), current, y2020)
}

const fn gdkp_china(
    spec: DataKeyPairSpec,
    code: &'static str,
    name: &'static str,
    global: f64,
    china: f64,
) -> QuotaDef {
    QuotaDef {
        current: DefaultValue::ChinaDiffers { global, china },
        // Unchanged since 2019, in China and elsewhere.
        y2020: Some(DefaultValue::Flat(china)),
        ..base(code, name, QuotaKind::DataKeyPair(spec), global, None)
    }
}

const fn resource(
    quota: ResourceQuota,
    code: &'static str,
    name: &'static str,
    current: f64,
    y2020: Option<f64>,
) -> QuotaDef {
    base(code, name, QuotaKind::Resource(quota), current, y2020)
}

/// A resource quota of the 2020 documentation that AWS removed in 2021: its
/// 2020 value in the 2020 profile, no limit (infinity) in the current one.
const fn resource_2020_only(quota: ResourceQuota, code: &'static str, name: &'static str, y2020: f64) -> QuotaDef {
    QuotaDef { only_2020: true, ..resource(quota, code, name, f64::INFINITY, Some(y2020)) }
}

use DataKeyPairSpec as K;
use Operation as O;
use ResourceQuota as R;

/// Number of quotas in [`QUOTAS`].
pub const N_QUOTAS: usize = 66;

/// The catalog. The first six entries are fixed (see the `QuotaId` constants).
pub static QUOTAS: [QuotaDef; N_QUOTAS] = [
    // --- shared crypto pools -------------------------------------------------
    QuotaDef {
        current: DefaultValue::Tiered { default: 10_000.0, middle: 20_000.0, top: 100_000.0 },
        y2020: Some(DefaultValue::Tiered { default: 5_500.0, middle: 10_000.0, top: 30_000.0 }),
        ..base(
            "L-6E3AF000",
            "Cryptographic operations (symmetric) request rate",
            QuotaKind::SharedPool(KeyFamily::Symmetric),
            10_000.0,
            None,
        )
    },
    base(
        "L-2AC98190",
        "Cryptographic operations (RSA) request rate",
        QuotaKind::SharedPool(KeyFamily::Rsa),
        1_000.0,
        Some(500.0),
    ),
    QuotaDef {
        name_2020: Some("Cryptographic operations (ECC) request rate"),
        ..base(
            "L-DC14942D",
            "Cryptographic operations (ECC and SM2) request rate",
            QuotaKind::SharedPool(KeyFamily::Ecc),
            1_000.0,
            Some(300.0),
        )
    },
    base(
        "T-Crypto-MLDSA",
        "Cryptographic operations (ML-DSA) request rate",
        QuotaKind::SharedPool(KeyFamily::MlDsa),
        1_000.0,
        None,
    ),
    QuotaDef {
        documented: false,
        ..base(
            "T-Crypto-MLKEM",
            "Cryptographic operations (ML-KEM) request rate",
            QuotaKind::SharedPool(KeyFamily::MlKem),
            1_000.0,
            None,
        )
    },
    QuotaDef {
        adjustable: false,
        in_service_quotas: false,
        ..base("T-CustomKeyStore", "Custom key store request rate", QuotaKind::CustomKeyStore, 1_800.0, Some(1_800.0))
    },
    // --- per-operation quotas -------------------------------------------------
    state_op(O::CancelKeyDeletion, "L-635264CC", "CancelKeyDeletion request rate", 5.0, Some(5.0)),
    op(O::ConnectCustomKeyStore, "L-705B9E79", "ConnectCustomKeyStore request rate", 5.0, Some(5.0)),
    op(O::CreateAlias, "L-F7504F73", "CreateAlias request rate", 5.0, Some(5.0)),
    op(O::CreateCustomKeyStore, "L-08932E37", "CreateCustomKeyStore request rate", 5.0, Some(5.0)),
    op(O::CreateGrant, "L-0428A42E", "CreateGrant request rate", 50.0, Some(50.0)),
    op(O::CreateKey, "L-32B67F4A", "CreateKey request rate", 5.0, Some(5.0)),
    op(O::DeleteAlias, "L-1F75ADD1", "DeleteAlias request rate", 15.0, Some(5.0)),
    op(O::DeleteCustomKeyStore, "L-E99520CB", "DeleteCustomKeyStore request rate", 5.0, Some(5.0)),
    state_op(O::DeleteImportedKeyMaterial, "L-1233BF9B", "DeleteImportedKeyMaterial request rate", 15.0, Some(5.0)),
    op(O::DescribeCustomKeyStores, "L-E20AA94C", "DescribeCustomKeyStores request rate", 5.0, Some(5.0)),
    op(O::DescribeKey, "L-FAE8F084", "DescribeKey request rate", 2_000.0, Some(1_000.0)),
    state_op(O::DisableKey, "L-6B8C93BD", "DisableKey request rate", 5.0, Some(5.0)),
    state_op(O::DisableKeyRotation, "L-CE1DB614", "DisableKeyRotation request rate", 5.0, Some(5.0)),
    op(O::DisconnectCustomKeyStore, "L-9F1FCF6D", "DisconnectCustomKeyStore request rate", 5.0, Some(5.0)),
    state_op(O::EnableKey, "L-BD96F100", "EnableKey request rate", 5.0, Some(5.0)),
    state_op(O::EnableKeyRotation, "L-BE799B67", "EnableKeyRotation request rate", 15.0, Some(5.0)),
    op(O::GetKeyLastUsage, "T-GetKeyLastUsage", "GetKeyLastUsage request rate", 5.0, None),
    op(O::GetKeyPolicy, "T-GetKeyPolicy", "GetKeyPolicy request rate", 1_000.0, Some(1_000.0)),
    op(O::GetKeyRotationStatus, "T-GetKeyRotationStatus", "GetKeyRotationStatus request rate", 1_000.0, Some(1_000.0)),
    op(O::GetParametersForImport, "T-GetParametersForImport", "GetParametersForImport request rate", 1.0, Some(0.25)),
    op(O::GetPublicKey, "T-GetPublicKey", "GetPublicKey request rate", 2_000.0, Some(5.0)),
    state_op(O::ImportKeyMaterial, "T-ImportKeyMaterial", "ImportKeyMaterial request rate", 15.0, Some(5.0)),
    op(O::ListAliases, "T-ListAliases", "ListAliases request rate", 500.0, Some(500.0)),
    op(O::ListGrants, "T-ListGrants", "ListGrants request rate", 100.0, Some(100.0)),
    op(O::ListKeyPolicies, "T-ListKeyPolicies", "ListKeyPolicies request rate", 100.0, Some(100.0)),
    op(O::ListKeyRotations, "T-ListKeyRotations", "ListKeyRotations request rate", 100.0, None),
    op(O::ListKeys, "T-ListKeys", "ListKeys request rate", 500.0, Some(500.0)),
    op(O::ListResourceTags, "T-ListResourceTags", "ListResourceTags request rate", 2_000.0, Some(100.0)),
    op(O::ListRetirableGrants, "T-ListRetirableGrants", "ListRetirableGrants request rate", 100.0, Some(100.0)),
    state_op(O::PutKeyPolicy, "T-PutKeyPolicy", "PutKeyPolicy request rate", 15.0, Some(5.0)),
    op(O::ReplicateKey, "T-ReplicateKey", "ReplicateKey request rate", 5.0, None),
    op(O::RetireGrant, "T-RetireGrant", "RetireGrant request rate", 50.0, Some(15.0)),
    op(O::RevokeGrant, "T-RevokeGrant", "RevokeGrant request rate", 50.0, Some(15.0)),
    state_op(O::RotateKeyOnDemand, "T-RotateKeyOnDemand", "RotateKeyOnDemand request rate", 5.0, None),
    state_op(O::ScheduleKeyDeletion, "T-ScheduleKeyDeletion", "ScheduleKeyDeletion request rate", 15.0, Some(5.0)),
    state_op(O::TagResource, "T-TagResource", "TagResource request rate", 10.0, Some(5.0)),
    state_op(O::UntagResource, "T-UntagResource", "UntagResource request rate", 5.0, Some(5.0)),
    op(O::UpdateAlias, "T-UpdateAlias", "UpdateAlias request rate", 5.0, Some(5.0)),
    op(O::UpdateCustomKeyStore, "T-UpdateCustomKeyStore", "UpdateCustomKeyStore request rate", 5.0, Some(5.0)),
    state_op(O::UpdateKeyDescription, "T-UpdateKeyDescription", "UpdateKeyDescription request rate", 5.0, Some(5.0)),
    state_op(O::UpdatePrimaryRegion, "T-UpdatePrimaryRegion", "UpdatePrimaryRegion request rate", 5.0, None),
    // --- GenerateDataKeyPair, one quota per KeyPairSpec -------------------------
    gdkp(K::EccNistP256, "L-D2EEB5E0", "GenerateDataKeyPair (ECC_NIST_P256) request rate", 100.0, Some(25.0)),
    gdkp(K::EccNistP384, "L-16B46EF0", "GenerateDataKeyPair (ECC_NIST_P384) request rate", 100.0, Some(10.0)),
    gdkp(K::EccNistP521, "L-1D966DA0", "GenerateDataKeyPair (ECC_NIST_P521) request rate", 100.0, Some(5.0)),
    gdkp(
        K::EccSecgP256k1,
        "T-GDKP-ECC-SECG-P256K1",
        "GenerateDataKeyPair (ECC_SECG_P256K1) request rate",
        100.0,
        Some(25.0),
    ),
    gdkp(
        K::EccNistEdwards25519,
        "T-GDKP-ECC-NIST-EDWARDS25519",
        "GenerateDataKeyPair (ECC_NIST_EDWARDS25519) request rate",
        100.0,
        None,
    ),
    gdkp_china(K::Rsa2048, "T-GDKP-RSA-2048", "GenerateDataKeyPair (RSA_2048) request rate", 20.0, 1.0),
    gdkp_china(K::Rsa3072, "T-GDKP-RSA-3072", "GenerateDataKeyPair (RSA_3072) request rate", 4.0, 0.5),
    gdkp_china(K::Rsa4096, "T-GDKP-RSA-4096", "GenerateDataKeyPair (RSA_4096) request rate", 1.0, 0.1),
    QuotaDef {
        china_only: true,
        ..gdkp(K::Sm2, "T-GDKP-SM2", "GenerateDataKeyPair (SM2 \u{2014} China Regions only) request rate", 25.0, None)
    },
    QuotaDef {
        documented: false,
        ..gdkp(K::MlKem512, "T-GDKP-ML-KEM-512", "GenerateDataKeyPair (ML_KEM_512) request rate", 100.0, None)
    },
    QuotaDef {
        documented: false,
        ..gdkp(K::MlKem768, "T-GDKP-ML-KEM-768", "GenerateDataKeyPair (ML_KEM_768) request rate", 100.0, None)
    },
    QuotaDef {
        documented: false,
        ..gdkp(K::MlKem1024, "T-GDKP-ML-KEM-1024", "GenerateDataKeyPair (ML_KEM_1024) request rate", 100.0, None)
    },
    // --- resource quotas (counts; names as Service Quotas still shows them) ---
    resource(R::Keys, "L-C2F1777E", "Customer Master Keys (CMKs)", 100_000.0, Some(10_000.0)),
    resource(R::AliasesPerKey, "L-340F62FB", "Aliases per CMK", 50.0, Some(50.0)),
    resource(R::GrantsPerKey, "L-D594A657", "Grants per CMK", 50_000.0, Some(50_000.0)),
    // Not in the 2020 resource table: today's value in the 2020 profile.
    resource(R::CustomKeyStores, "L-F33DCFEB", "Custom Key Stores", 10.0, None),
    QuotaDef {
        adjustable: false,
        ..resource(R::OnDemandRotationsPerKey, "L-0E66C9C0", "On-demand rotations per CMK", 25.0, None)
    },
    // Removed from the AWS documentation in 2021-04; AWS's codes were never
    // found, so the codes are Trent's.
    resource_2020_only(R::AliasesPerRegion, "T-AliasesPerRegion", "Aliases per Region", 10_000.0),
    resource_2020_only(
        R::GrantsPerPrincipalPerKey,
        "T-GrantsPerPrincipalPerKey",
        "Grants for a given principal per CMK",
        500.0,
    ),
];

/// One KMS resource quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceQuota {
    /// Customer managed keys per account and region, in any key state
    /// (AWS managed keys do not count). `L-C2F1777E`.
    Keys,
    /// Customer-created aliases per key (`alias/aws/…` do not count). `L-340F62FB`.
    AliasesPerKey,
    /// Grants per customer managed key. `L-D594A657`.
    GrantsPerKey,
    /// Custom key stores per account and region. `L-F33DCFEB`.
    CustomKeyStores,
    /// On-demand rotations per key, over its lifetime; not adjustable. `L-0E66C9C0`.
    OnDemandRotationsPerKey,
    /// Customer-created aliases per account and region (`alias/aws/…` do not
    /// count). Only in the 2020 profile (AWS dropped it in 2021); Trent's code
    /// `T-AliasesPerRegion`.
    AliasesPerRegion,
    /// Grants on one key naming the same grantee principal, on customer and
    /// AWS managed keys alike. Only in the 2020 profile (AWS dropped it in
    /// 2021); Trent's code `T-GrantsPerPrincipalPerKey`.
    GrantsPerPrincipalPerKey,
}

impl ResourceQuota {
    /// Every resource quota, in catalog order.
    pub const ALL: &'static [ResourceQuota] = &[
        ResourceQuota::Keys,
        ResourceQuota::AliasesPerKey,
        ResourceQuota::GrantsPerKey,
        ResourceQuota::CustomKeyStores,
        ResourceQuota::OnDemandRotationsPerKey,
        ResourceQuota::AliasesPerRegion,
        ResourceQuota::GrantsPerPrincipalPerKey,
    ];
}

/// Renders the catalog as the markdown rows of `docs/quotas.md`, so a test
/// can keep the documentation and the code in step.
#[cfg(test)]
pub(crate) mod doc_rows {
    use super::*;

    fn num(v: f64) -> String {
        if v.fract() != 0.0 {
            return format!("{v}");
        }
        let digits = format!("{}", v as u64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn value(d: DefaultValue) -> String {
        match d {
            DefaultValue::Flat(v) => num(v),
            DefaultValue::Tiered { default, middle, top } => {
                format!("{} / {} / {}", num(default), num(middle), num(top))
            }
            DefaultValue::ChinaDiffers { global, china } => format!("{} (China: {})", num(global), num(china)),
        }
    }

    /// `| name | code | source | current | 2020 |` for one quota; a quota
    /// that does not exist today shows `—` as its current value.
    pub(crate) fn row(id: QuotaId) -> String {
        let q = id.def();
        let source = if q.is_trent_code() { "**Trent**" } else { "AWS" };
        let current = if q.exists_in(Profile::Current) { value(q.current) } else { "—".to_owned() };
        let y2020 = match q.y2020 {
            Some(d) => value(d),
            None => format!("({})", value(q.current)),
        };
        format!("| {} | `{}` | {} | {} | {} |", q.name, q.code, source, current, y2020)
    }

    #[test]
    #[ignore = "prints the rows to paste into docs/quotas.md"]
    fn print_rows() {
        for id in QuotaId::all() {
            println!("{}", row(id));
        }
    }

    #[test]
    fn docs_list_every_quota_with_its_values() {
        let doc = include_str!("../../../../docs/quotas.md");
        for id in QuotaId::all() {
            let r = row(id);
            assert!(doc.contains(&r), "docs/quotas.md lacks the row:\n{r}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_ok(c: &str) -> bool {
        let mut chars = c.chars();
        chars.next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.len() >= 2
            && c.len() <= 128
            && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    }

    #[test]
    fn fixed_ids_point_at_their_pools() {
        assert_eq!(QuotaId::SYMMETRIC.def().code, "L-6E3AF000");
        assert_eq!(QuotaId::RSA.def().code, "L-2AC98190");
        assert_eq!(QuotaId::ECC.def().code, "L-DC14942D");
        assert_eq!(QuotaId::ML_DSA.def().kind, QuotaKind::SharedPool(KeyFamily::MlDsa));
        assert_eq!(QuotaId::ML_KEM.def().kind, QuotaKind::SharedPool(KeyFamily::MlKem));
        assert_eq!(QuotaId::CUSTOM_KEY_STORE.def().kind, QuotaKind::CustomKeyStore);
    }

    #[test]
    fn codes_are_unique_well_formed_and_names_are_request_rates() {
        for (i, q) in QUOTAS.iter().enumerate() {
            assert!(code_ok(q.code), "{}", q.code);
            assert!(q.code.starts_with("L-") || q.code.starts_with("T-"), "{}", q.code);
            assert_eq!(q.name.ends_with("request rate"), !q.is_resource(), "{}", q.name);
            assert_eq!(QuotaId::from_code(q.code).map(QuotaId::index), Some(i));
        }
        assert_eq!(QuotaId::from_code("l-6e3af000"), None);
    }

    #[test]
    fn every_operation_has_exactly_one_home() {
        for &op in Operation::ALL {
            let gdkp = matches!(op, Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext);
            let own = QuotaId::for_operation(op).is_some();
            let homes = [op.is_shared_crypto(), gdkp, own].iter().filter(|&&b| b).count();
            assert_eq!(homes, 1, "{op:?}");
        }
        for &spec in DataKeyPairSpec::ALL {
            assert_eq!(QuotaId::for_key_pair_spec(spec).def().kind, QuotaKind::DataKeyPair(spec));
        }
        for &r in ResourceQuota::ALL {
            let q = QuotaId::for_resource(r).def();
            assert_eq!(q.kind, QuotaKind::Resource(r));
            // Only the quotas AWS dropped before Service Quotas had codes for them use Trent's.
            assert_eq!(q.is_trent_code(), q.only_2020, "{}", q.code);
        }
        let resources = QuotaId::all().filter(|q| q.def().is_resource()).count();
        assert_eq!(resources, ResourceQuota::ALL.len());
    }

    #[test]
    fn symmetric_tiers_by_profile_and_region() {
        let s = QuotaId::SYMMETRIC.def();
        let cur = |r| s.default_in(Profile::Current, r);
        let old = |r| s.default_in(Profile::Y2020, r);
        for r in TOP_TIER_REGIONS {
            assert_eq!(cur(r), 100_000.0);
            assert_eq!(old(r), 30_000.0);
        }
        for r in MIDDLE_TIER_REGIONS {
            assert_eq!(cur(r), 20_000.0);
            assert_eq!(old(r), 10_000.0);
        }
        for r in ["sa-east-1", "ap-south-1", "cn-north-1", "eu-north-1"] {
            assert_eq!(cur(r), 10_000.0);
            assert_eq!(old(r), 5_500.0);
        }
    }

    #[test]
    fn profile_values_match_the_reference() {
        let v = |code: &str, p, r| QuotaId::from_code(code).expect(code).def().default_in(p, r);
        use Profile::*;
        assert_eq!(v("L-2AC98190", Current, "eu-west-3"), 1_000.0);
        assert_eq!(v("L-2AC98190", Y2020, "eu-west-3"), 500.0);
        assert_eq!(v("L-DC14942D", Y2020, "eu-west-3"), 300.0);
        assert_eq!(v("T-Crypto-MLDSA", Current, "eu-west-3"), 1_000.0);
        assert_eq!(v("T-GDKP-RSA-2048", Current, "eu-west-3"), 20.0);
        assert_eq!(v("T-GDKP-RSA-2048", Current, "cn-north-1"), 1.0);
        assert_eq!(v("T-GDKP-RSA-3072", Current, "cn-northwest-1"), 0.5);
        assert_eq!(v("T-GDKP-RSA-4096", Current, "cn-north-1"), 0.1);
        assert_eq!(v("T-GDKP-RSA-2048", Y2020, "us-east-1"), 1.0);
        assert_eq!(v("T-GDKP-RSA-3072", Y2020, "us-east-1"), 0.5);
        assert_eq!(v("T-GDKP-RSA-4096", Y2020, "us-east-1"), 0.1);
        assert_eq!(v("L-D2EEB5E0", Y2020, "us-east-1"), 25.0);
        assert_eq!(v("L-16B46EF0", Y2020, "us-east-1"), 10.0);
        assert_eq!(v("L-1D966DA0", Y2020, "us-east-1"), 5.0);
        assert_eq!(v("T-GDKP-ECC-SECG-P256K1", Y2020, "us-east-1"), 25.0);
        assert_eq!(v("T-GetParametersForImport", Y2020, "us-east-1"), 0.25);
        assert_eq!(v("T-GetParametersForImport", Current, "us-east-1"), 1.0);
        assert_eq!(v("L-FAE8F084", Y2020, "us-east-1"), 1_000.0);
        // The seed documents show the 2020-10-29 revision for these three.
        assert_eq!(v("T-ListKeys", Y2020, "us-east-1"), 500.0);
        assert_eq!(v("T-ListAliases", Y2020, "us-east-1"), 500.0);
        assert_eq!(v("T-ListRetirableGrants", Y2020, "us-east-1"), 100.0);
        // ...and grants per key, raised from 10,000 in the same revision.
        assert_eq!(v("L-D594A657", Y2020, "us-east-1"), 50_000.0);
        // Did not exist in 2020: today's value.
        assert_eq!(v("T-RotateKeyOnDemand", Y2020, "us-east-1"), 5.0);
        assert_eq!(v("T-CustomKeyStore", Y2020, "us-east-1"), 1_800.0);
        let ecc = QuotaId::ECC.def();
        assert_eq!(ecc.name_in(Profile::Y2020), "Cryptographic operations (ECC) request rate");
        assert_eq!(ecc.name_in(Profile::Current), "Cryptographic operations (ECC and SM2) request rate");
    }

    #[test]
    fn quotas_dropped_in_2021_exist_only_in_the_2020_profile() {
        let dropped: Vec<&str> = QUOTAS.iter().filter(|q| q.only_2020).map(|q| q.code).collect();
        assert_eq!(dropped, ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"]);
        for code in dropped {
            let q = QuotaId::from_code(code).expect(code).def();
            assert!(q.is_resource() && q.adjustable, "{code}");
            assert!(q.exists_in(Profile::Y2020) && !q.exists_in(Profile::Current), "{code}");
            assert!(q.listed_in(Profile::Y2020, "us-east-1") && !q.listed_in(Profile::Current, "us-east-1"));
            assert_eq!(q.default_in(Profile::Current, "us-east-1"), f64::INFINITY, "no limit today: {code}");
        }
        let v = |code: &str| QuotaId::from_code(code).expect(code).def().default_in(Profile::Y2020, "eu-west-3");
        assert_eq!((v("T-AliasesPerRegion"), v("T-GrantsPerPrincipalPerKey")), (10_000.0, 500.0));
        // Every other quota exists in both profiles.
        assert!(QUOTAS.iter().filter(|q| !q.only_2020).all(|q| q.exists_in(Profile::Current)));
    }

    #[test]
    fn hot_key_operations_are_the_state_changing_management_operations_on_one_key() {
        let hot: Vec<&str> = QUOTAS
            .iter()
            .filter(|q| q.hot_key)
            .map(|q| match q.kind {
                QuotaKind::Operation(op) => op.name(),
                _ => q.code,
            })
            .collect();
        assert_eq!(
            hot,
            [
                "CancelKeyDeletion",
                "DeleteImportedKeyMaterial",
                "DisableKey",
                "DisableKeyRotation",
                "EnableKey",
                "EnableKeyRotation",
                "ImportKeyMaterial",
                "PutKeyPolicy",
                "RotateKeyOnDemand",
                "ScheduleKeyDeletion",
                "TagResource",
                "UntagResource",
                "UpdateKeyDescription",
                "UpdatePrimaryRegion",
            ]
        );
        assert!(QuotaId::from_code(HOT_KEY_CODE).is_none(), "the hot-key limit is not a quota");
    }

    #[test]
    fn only_the_custom_key_store_pool_is_hidden_and_fixed() {
        for id in QuotaId::all() {
            let q = id.def();
            let cks = id == QuotaId::CUSTOM_KEY_STORE;
            let rotations = q.kind == QuotaKind::Resource(ResourceQuota::OnDemandRotationsPerKey);
            assert_eq!(q.in_service_quotas, !cks, "{}", q.code);
            assert_eq!(q.adjustable, !cks && !rotations, "{}", q.code);
        }
        let sm2 = QuotaId::for_key_pair_spec(DataKeyPairSpec::Sm2).def();
        assert!(sm2.listed_in(Profile::Current, "cn-north-1"));
        assert!(!sm2.listed_in(Profile::Current, "us-east-1"));
    }
}
