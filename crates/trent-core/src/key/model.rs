//! The key model: specs, usages, states and the durable records a [`crate::store::KeyStore`] keeps.

use serde::{Deserialize, Serialize};

use crate::wire::aws_enum::wire_enum;

wire_enum!(
    /// The type of key material (`KeySpec`).
    KeySpec {
        Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096",
        EccNistP256 = "ECC_NIST_P256", EccNistP384 = "ECC_NIST_P384", EccNistP521 = "ECC_NIST_P521",
        EccSecgP256k1 = "ECC_SECG_P256K1", SymmetricDefault = "SYMMETRIC_DEFAULT",
        Hmac224 = "HMAC_224", Hmac256 = "HMAC_256", Hmac384 = "HMAC_384", Hmac512 = "HMAC_512",
        Sm2 = "SM2", MlDsa44 = "ML_DSA_44", MlDsa65 = "ML_DSA_65", MlDsa87 = "ML_DSA_87",
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        MlKem512 = "ML_KEM_512", MlKem768 = "ML_KEM_768", MlKem1024 = "ML_KEM_1024",
    }
);

/// Which shared crypto request pool a key's operations draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// AES-256-GCM and HMAC keys: the symmetric pool.
    Symmetric,
    /// RSA keys: the RSA pool.
    Rsa,
    /// ECC and SM2 keys: the ECC pool.
    Ecc,
    /// ML-DSA keys.
    MlDsa,
    /// ML-KEM keys.
    MlKem,
}

impl KeySpec {
    /// The request-quota family this spec belongs to.
    pub fn family(self) -> KeyFamily {
        use KeySpec::*;
        match self {
            SymmetricDefault | Hmac224 | Hmac256 | Hmac384 | Hmac512 => KeyFamily::Symmetric,
            Rsa2048 | Rsa3072 | Rsa4096 => KeyFamily::Rsa,
            EccNistP256 | EccNistP384 | EccNistP521 | EccSecgP256k1 | Sm2 | EccNistEdwards25519 => KeyFamily::Ecc,
            MlDsa44 | MlDsa65 | MlDsa87 => KeyFamily::MlDsa,
            MlKem512 | MlKem768 | MlKem1024 => KeyFamily::MlKem,
        }
    }
}

wire_enum!(
    /// What a key may be used for (`KeyUsageType`).
    KeyUsage {
        SignVerify = "SIGN_VERIFY", EncryptDecrypt = "ENCRYPT_DECRYPT",
        GenerateVerifyMac = "GENERATE_VERIFY_MAC", KeyAgreement = "KEY_AGREEMENT",
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
);

wire_enum!(
    /// A key's lifecycle state (`KeyState`).
    KeyState {
        Creating = "Creating", Enabled = "Enabled", Disabled = "Disabled",
        PendingDeletion = "PendingDeletion", PendingImport = "PendingImport",
        PendingReplicaDeletion = "PendingReplicaDeletion", Unavailable = "Unavailable",
        Updating = "Updating",
    }
);

wire_enum!(
    /// Where key material came from (`OriginType`).
    Origin { AwsKms = "AWS_KMS", External = "EXTERNAL", AwsCloudHsm = "AWS_CLOUDHSM", ExternalKeyStore = "EXTERNAL_KEY_STORE" }
);

wire_enum!(
    /// Who manages a key (`KeyManagerType`).
    KeyManager { Aws = "AWS", Customer = "CUSTOMER" }
);

wire_enum!(
    /// Encryption algorithms (`EncryptionAlgorithmSpec`).
    EncryptionAlgorithm {
        SymmetricDefault = "SYMMETRIC_DEFAULT", RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256", Sm2Pke = "SM2PKE",
    }
);

wire_enum!(
    /// Signing algorithms (`SigningAlgorithmSpec`).
    SigningAlgorithm {
        RsassaPssSha256 = "RSASSA_PSS_SHA_256", RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        RsassaPssSha512 = "RSASSA_PSS_SHA_512", RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384", RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        EcdsaSha256 = "ECDSA_SHA_256", EcdsaSha384 = "ECDSA_SHA_384", EcdsaSha512 = "ECDSA_SHA_512",
        Sm2Dsa = "SM2DSA", MlDsaShake256 = "ML_DSA_SHAKE_256", Ed25519Sha512 = "ED25519_SHA_512",
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
);

wire_enum!(
    /// MAC algorithms (`MacAlgorithmSpec`), in the order AWS lists them in
    /// its "enum value set" message (recorded from AWS; not the model's).
    MacAlgorithm {
        HmacSha384 = "HMAC_SHA_384", HmacSha256 = "HMAC_SHA_256", HmacSha224 = "HMAC_SHA_224", HmacSha512 = "HMAC_SHA_512",
    }
);

wire_enum!(
    /// Key agreement algorithms (`KeyAgreementAlgorithmSpec`).
    KeyAgreementAlgorithm { Ecdh = "ECDH" }
);

wire_enum!(
    /// Key encapsulation algorithms (`EncapsulationAlgorithmSpec`).
    EncapsulationAlgorithm { MlKem = "ML_KEM" }
);

wire_enum!(
    /// How Sign and Verify read `Message` (`MessageType`).
    MessageType { Raw = "RAW", Digest = "DIGEST", ExternalMu = "EXTERNAL_MU" }
);

wire_enum!(
    /// Algorithms that wrap key material for import (`AlgorithmSpec`).
    WrappingAlgorithm {
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5", RsaesOaepSha1 = "RSAES_OAEP_SHA_1", RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1", RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256", Sm2Pke = "SM2PKE",
    }
);

wire_enum!(
    /// Wrapping key specs for import (`WrappingKeySpec`).
    WrappingKeySpec { Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096", Sm2 = "SM2" }
);

wire_enum!(
    /// Data key sizes (`DataKeySpec`).
    DataKeySpec { Aes256 = "AES_256", Aes128 = "AES_128" }
);

wire_enum!(
    /// How a key was rotated (`RotationType`).
    RotationType { Automatic = "AUTOMATIC", OnDemand = "ON_DEMAND" }
);

wire_enum!(
    /// Whether imported key material expires (`ExpirationModelType`).
    ExpirationModel { KeyMaterialExpires = "KEY_MATERIAL_EXPIRES", KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE" }
);

wire_enum!(
    /// Data key pair specs (`DataKeyPairSpec`); each has its own request quota.
    DataKeyPairSpec {
        Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096",
        EccNistP256 = "ECC_NIST_P256", EccNistP384 = "ECC_NIST_P384", EccNistP521 = "ECC_NIST_P521",
        EccSecgP256k1 = "ECC_SECG_P256K1", Sm2 = "SM2", EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        MlKem512 = "ML_KEM_512", MlKem768 = "ML_KEM_768", MlKem1024 = "ML_KEM_1024",
    }
);

/// One tag on a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key (1–128 characters).
    pub tag_key: String,
    /// Tag value (0–256 characters).
    pub tag_value: String,
}

/// One version of a key's material, wrapped under the root key.
///
/// The store only ever sees `wrapped`; the plaintext exists only in memory,
/// inside [`crate::key::cache`], zeroized on drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMaterial {
    /// 64 lowercase hex characters (AWS's `KeyMaterialId`), also written into ciphertexts.
    pub id: String,
    /// When this material was created, epoch seconds.
    pub created: f64,
    /// How it came to be: `None` for the original material.
    pub rotation_type: Option<RotationType>,
    /// The material sealed by the root key (AES-256-GCM, AAD = key id + material id).
    #[serde(with = "crate::wire::b64")]
    pub wrapped: Vec<u8>,
}

/// Automatic-rotation settings of a symmetric key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RotationConfig {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// Rotation period in days (90–2560; AWS's default is 365).
    pub period_days: Option<u32>,
    /// When automatic rotation next happens, epoch seconds.
    pub next_rotation: Option<f64>,
    /// When the most recent on-demand rotation started, epoch seconds.
    pub on_demand_started: Option<f64>,
}

/// Everything durable about one KMS key. The store keeps it as one document
/// plus the indexed columns it needs (id, account, region, state, deletion date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key id, a UUID.
    pub key_id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning region.
    pub region: String,
    /// Optimistic-concurrency version; the store bumps it on every update.
    pub version: u64,
    /// Creation time, epoch seconds.
    pub creation_date: f64,
    /// Description (0–8192 characters).
    pub description: String,
    /// Key spec.
    pub key_spec: KeySpec,
    /// Key usage.
    pub key_usage: KeyUsage,
    /// Lifecycle state.
    pub key_state: KeyState,
    /// Origin of the material.
    pub origin: Origin,
    /// Who manages the key; AWS-managed keys are never charged to a quota.
    pub key_manager: KeyManager,
    /// When a key pending deletion is deleted, epoch seconds.
    pub deletion_date: Option<f64>,
    /// The waiting period given to ScheduleKeyDeletion.
    pub pending_deletion_window_days: Option<u32>,
    /// The custom key store holding the key, if any.
    pub custom_key_store_id: Option<String>,
    /// Whether the key is a multi-Region key (its id starts with `mrk-`; see
    /// `key::multi_region` for its related keys).
    pub multi_region: bool,
    /// When imported material expires, epoch seconds.
    pub valid_to: Option<f64>,
    /// Imported material expiration model.
    pub expiration_model: Option<ExpirationModel>,
    /// The key policy document, kept verbatim.
    pub policy: String,
    /// Tags, in insertion order.
    pub tags: Vec<Tag>,
    /// Automatic rotation settings.
    pub rotation: RotationConfig,
    /// Material versions, oldest first; the last one encrypts.
    pub materials: Vec<StoredMaterial>,
    /// Free-form extension fields for later capabilities (asymmetric public keys,
    /// import state, ...), so adding one needs no schema change.
    #[serde(default)]
    pub ext: serde_json::Map<String, serde_json::Value>,
}

impl KeyRecord {
    /// `arn:aws:kms:REGION:ACCOUNT:key/UUID`.
    pub fn arn(&self) -> String {
        crate::key::arn::key_arn(&self.region, &self.account_id, &self.key_id)
    }

    /// The key's handle in the store and in the caches ([`store_id`]).
    pub fn store_id(&self) -> String {
        store_id(&self.key_id, &self.region)
    }

    /// [`KeyRecord::store_id`] without an allocation for a single-Region key
    /// (for paths every cryptographic request takes).
    pub fn store_id_ref(&self) -> std::borrow::Cow<'_, str> {
        if self.key_id.starts_with(MULTI_REGION_PREFIX) {
            std::borrow::Cow::Owned(self.store_id())
        } else {
            std::borrow::Cow::Borrowed(&self.key_id)
        }
    }

    /// Whether the key is enabled (the `Enabled` flag of KeyMetadata).
    pub fn enabled(&self) -> bool {
        self.key_state == KeyState::Enabled
    }
}

/// Prefix of multi-Region key ids (`mrk-` and 32 hex digits, as AWS makes them).
pub const MULTI_REGION_PREFIX: &str = "mrk-";

/// Separates a multi-Region key id from its region in a [`store_id`].
const STORE_ID_REGION_SEPARATOR: char = '@';

/// The handle under which the store, the key cache, the change feed and the
/// grant documents know a key: its key id, except for a multi-Region key,
/// whose related keys in other regions share its id, so its handle is
/// `mrk-…@REGION`. A UUID never starts with `mrk-`, so handles of other keys
/// are unchanged and no stored key needs rewriting.
pub fn store_id(key_id: &str, region: &str) -> String {
    if key_id.starts_with(MULTI_REGION_PREFIX) {
        format!("{key_id}{STORE_ID_REGION_SEPARATOR}{region}")
    } else {
        key_id.to_owned()
    }
}

/// The key id and, for a multi-Region key, the region of a [`store_id`].
/// Exists for the stores, which delete a deleted key's aliases by key id and region.
pub fn split_store_id(store_id: &str) -> (&str, Option<&str>) {
    match store_id.split_once(STORE_ID_REGION_SEPARATOR) {
        Some((id, region)) if id.starts_with(MULTI_REGION_PREFIX) => (id, Some(region)),
        _ => (store_id, None),
    }
}

/// An alias: a friendly name for a key within one account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// Owning account.
    pub account_id: String,
    /// Owning region.
    pub region: String,
    /// Full name including the `alias/` prefix.
    pub alias_name: String,
    /// The key id (UUID) the alias points to.
    pub target_key_id: String,
    /// Creation time, epoch seconds.
    pub creation_date: f64,
    /// Last update time, epoch seconds.
    pub last_updated_date: f64,
}

impl AliasRecord {
    /// `arn:aws:kms:REGION:ACCOUNT:alias/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:kms:{}:{}:{}", self.region, self.account_id, self.alias_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::aws_enum::{AwsEnum, assert_consistent};

    #[test]
    fn every_model_enum_is_consistent() {
        assert_consistent::<KeySpec>();
        assert_consistent::<KeyUsage>();
        assert_consistent::<KeyState>();
        assert_consistent::<Origin>();
        assert_consistent::<KeyManager>();
        assert_consistent::<EncryptionAlgorithm>();
        assert_consistent::<SigningAlgorithm>();
        assert_consistent::<MacAlgorithm>();
        assert_consistent::<KeyAgreementAlgorithm>();
        assert_consistent::<MessageType>();
        assert_consistent::<EncapsulationAlgorithm>();
        assert_consistent::<WrappingAlgorithm>();
        assert_consistent::<WrappingKeySpec>();
        assert_consistent::<DataKeySpec>();
        assert_consistent::<RotationType>();
        assert_consistent::<ExpirationModel>();
        assert_consistent::<DataKeyPairSpec>();
    }

    #[test]
    fn multi_region_keys_have_one_handle_per_region() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(store_id(id, "us-east-1"), id);
        assert_eq!(split_store_id(id), (id, None));
        let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
        assert_eq!(store_id(mrk, "eu-west-1"), format!("{mrk}@eu-west-1"));
        assert_ne!(store_id(mrk, "eu-west-1"), store_id(mrk, "us-east-1"));
        assert_eq!(split_store_id(&store_id(mrk, "eu-west-1")), (mrk, Some("eu-west-1")));
    }

    #[test]
    fn lists_keep_aws_order() {
        // AWS's messages list the set in the model's order; tests of the API assert them verbatim.
        assert_eq!(DataKeySpec::wire_list(), "[AES_256, AES_128]");
        assert_eq!(MessageType::wire_list(), "[RAW, DIGEST, EXTERNAL_MU]");
        assert_eq!(KeySpec::ALL.len(), 20);
        assert_eq!(KeySpec::parse("ECC_NIST_EDWARDS25519"), Some(KeySpec::EccNistEdwards25519));
        assert_eq!(KeyState::PendingImport.to_string(), "PendingImport");
    }
}
