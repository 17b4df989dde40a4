//! The KMS operations the load generator can send, their weights in a mix, the request
//! bodies, and which request quota each one draws on. Operation names, `X-Amz-Target`s and
//! quota codes all come from trent-core (`trent_core::Operation` and the quota catalog,
//! `crates/trent-core/src/quota/catalog.rs`), so the load lab groups requests exactly as the
//! server charges them (`crates/trent-core/src/quota/charge.rs`) and cannot drift from it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
pub use trent_core::Operation;
use trent_core::key::model::{KeyFamily, KeySpec};
use trent_core::quota::QuotaId;
use trent_core::wire::aws_enum::AwsEnum;

/// The operations `trent load` can send, in help-text order: those whose request bodies it
/// knows how to build from the keys, ciphertexts, signatures and MACs of setup.
pub const SUPPORTED: [Operation; 16] = [
    Operation::Encrypt,
    Operation::Decrypt,
    Operation::GenerateDataKey,
    Operation::GenerateDataKeyWithoutPlaintext,
    Operation::ReEncrypt,
    Operation::GenerateRandom,
    Operation::Sign,
    Operation::Verify,
    Operation::GenerateMac,
    Operation::VerifyMac,
    Operation::DescribeKey,
    Operation::GetPublicKey,
    Operation::ListKeys,
    Operation::ListAliases,
    Operation::Encapsulate,
    Operation::Decapsulate,
];

/// Which key an operation is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// No key (GenerateRandom, List*).
    None,
    /// A symmetric encryption key.
    Symmetric,
    /// An asymmetric signing key.
    Signing,
    /// An HMAC key.
    Mac,
    /// An ML-KEM key.
    Kem,
}

/// Case-insensitive lookup of a supported operation by its API name.
pub fn parse(name: &str) -> Option<Operation> {
    SUPPORTED.into_iter().find(|op| op.name().eq_ignore_ascii_case(name.trim()))
}

/// The `X-Amz-Target` value of `op` (`TrentService.Encrypt`, …).
pub fn target(op: Operation) -> String {
    format!("{}{}", Operation::TARGET_PREFIX, op.name())
}

/// The key `op` needs (operations outside [`SUPPORTED`] need none here).
pub fn key_role(op: Operation) -> KeyRole {
    use Operation::*;
    match op {
        Encrypt | Decrypt | GenerateDataKey | GenerateDataKeyWithoutPlaintext | ReEncrypt | DescribeKey => {
            KeyRole::Symmetric
        }
        Sign | Verify | GetPublicKey => KeyRole::Signing,
        GenerateMac | VerifyMac => KeyRole::Mac,
        Encapsulate | Decapsulate => KeyRole::Kem,
        _ => KeyRole::None,
    }
}

/// The request quota `op` draws on with a key of `key_spec` (a KMS `KeySpec` name; unknown
/// specs count as symmetric): GenerateRandom the symmetric pool, the other shared
/// cryptographic operations the pool of the key's family, every other operation its own
/// quota. `None` for operations charged otherwise (GenerateDataKeyPair*, by pair spec).
pub fn quota(op: Operation, key_spec: &str) -> Option<QuotaId> {
    if op == Operation::GenerateRandom {
        return Some(QuotaId::SYMMETRIC);
    }
    if op.is_shared_crypto() {
        let family = KeySpec::parse(key_spec).map_or(KeyFamily::Symmetric, KeySpec::family);
        return Some(QuotaId::for_family(family));
    }
    QuotaId::for_operation(op)
}

/// The quota code `op` draws on with a key of `key_spec` (see [`quota`]), as Service Quotas
/// names it.
pub fn quota_code(op: Operation, key_spec: &str) -> Option<&'static str> {
    quota(op, key_spec).map(|q| q.def().code)
}

/// A weighted operation mix, e.g. `Encrypt=3,Decrypt=1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// Operations with their weights (> 0), in the order given.
    pub entries: Vec<(Operation, f64)>,
    cumulative: Vec<f64>,
}

impl Mix {
    /// Parses `--operation` values: each is `NAME` or `NAME=WEIGHT`, several may be joined
    /// with commas. An empty list means `Encrypt`.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut entries: Vec<(Operation, f64)> = Vec::new();
        for item in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            let (name, weight) = match item.split_once(['=', ':']) {
                Some((n, w)) => (n, w.trim().parse::<f64>().map_err(|_| format!("bad weight in {item:?}"))?),
                None => (item, 1.0),
            };
            let op = parse(name).ok_or_else(|| {
                let known: Vec<&str> = SUPPORTED.iter().map(|o| o.name()).collect();
                format!("unknown operation {name:?}; known: {}", known.join(", "))
            })?;
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("weight of {name} must be > 0"));
            }
            match entries.iter_mut().find(|(o, _)| *o == op) {
                Some(e) => e.1 += weight,
                None => entries.push((op, weight)),
            }
        }
        if entries.is_empty() {
            entries.push((Operation::Encrypt, 1.0));
        }
        Ok(Self::new(entries))
    }

    /// A mix from (operation, weight) pairs.
    pub fn new(entries: Vec<(Operation, f64)>) -> Self {
        let total: f64 = entries.iter().map(|e| e.1).sum();
        let mut acc = 0.0;
        let cumulative = entries
            .iter()
            .map(|e| {
                acc += e.1 / total;
                acc
            })
            .collect();
        Self { entries, cumulative }
    }

    /// Index into `entries` for a uniform draw `u` in [0, 1).
    pub fn pick(&self, u: f64) -> usize {
        self.cumulative.iter().position(|c| u < *c).unwrap_or(self.entries.len().saturating_sub(1))
    }

    /// Whether any entry uses `op`.
    pub fn contains(&self, op: Operation) -> bool {
        self.entries.iter().any(|e| e.0 == op)
    }

    /// Whether any entry needs a key of `role`.
    pub fn needs(&self, role: KeyRole) -> bool {
        self.entries.iter().any(|e| key_role(e.0) == role)
    }

    /// `Encrypt=3,Decrypt=1`.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|(op, w)| if *w == 1.0 { op.name().to_owned() } else { format!("{}={w}", op.name()) })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Everything a request body can be built from (per key), filled in by setup.
#[derive(Debug, Clone, Default)]
pub struct Material {
    /// Key id or ARN.
    pub key_id: String,
    /// Plaintext for Encrypt.
    pub plaintext: Vec<u8>,
    /// Ciphertext for Decrypt / ReEncrypt.
    pub ciphertext: Vec<u8>,
    /// Message for Sign / Verify / GenerateMac / VerifyMac.
    pub message: Vec<u8>,
    /// Signature for Verify.
    pub signature: Vec<u8>,
    /// MAC for VerifyMac.
    pub mac: Vec<u8>,
    /// Signing algorithm for Sign / Verify.
    pub signing_algorithm: String,
    /// MAC algorithm for GenerateMac / VerifyMac.
    pub mac_algorithm: String,
    /// Encapsulated shared secret for Decapsulate.
    pub shared_secret_ciphertext: Vec<u8>,
}

/// The JSON body of `op` with `m` (`{}` for operations outside [`SUPPORTED`], which a
/// [`Mix`] never holds).
pub fn body(op: Operation, m: &Material) -> Vec<u8> {
    let b = |v: &[u8]| B64.encode(v);
    let v = match op {
        Operation::Encrypt => json!({"KeyId": m.key_id, "Plaintext": b(&m.plaintext)}),
        Operation::Decrypt => json!({"KeyId": m.key_id, "CiphertextBlob": b(&m.ciphertext)}),
        Operation::GenerateDataKey | Operation::GenerateDataKeyWithoutPlaintext => {
            json!({"KeyId": m.key_id, "KeySpec": "AES_256"})
        }
        Operation::ReEncrypt => json!({
            "CiphertextBlob": b(&m.ciphertext),
            "SourceKeyId": m.key_id,
            "DestinationKeyId": m.key_id
        }),
        Operation::GenerateRandom => json!({"NumberOfBytes": 32}),
        Operation::Sign => json!({
            "KeyId": m.key_id, "Message": b(&m.message), "MessageType": "RAW", "SigningAlgorithm": m.signing_algorithm
        }),
        Operation::Verify => json!({
            "KeyId": m.key_id, "Message": b(&m.message), "MessageType": "RAW",
            "Signature": b(&m.signature), "SigningAlgorithm": m.signing_algorithm
        }),
        Operation::GenerateMac => json!({"KeyId": m.key_id, "Message": b(&m.message), "MacAlgorithm": m.mac_algorithm}),
        Operation::VerifyMac => json!({
            "KeyId": m.key_id, "Message": b(&m.message), "MacAlgorithm": m.mac_algorithm, "Mac": b(&m.mac)
        }),
        Operation::DescribeKey | Operation::GetPublicKey => json!({"KeyId": m.key_id}),
        Operation::Encapsulate => json!({"KeyId": m.key_id, "EncapsulationAlgorithm": "ML_KEM"}),
        Operation::Decapsulate => json!({
            "KeyId": m.key_id, "SharedSecretCiphertextBlob": b(&m.shared_secret_ciphertext),
            "EncapsulationAlgorithm": "ML_KEM"
        }),
        _ => json!({}),
    };
    v.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weighted_mixes() {
        let m = Mix::parse(&["Encrypt=3,decrypt".into(), "GenerateRandom:0.5".into()]).unwrap();
        assert_eq!(m.describe(), "Encrypt=3,Decrypt,GenerateRandom=0.5");
        assert_eq!(m.pick(0.0), 0);
        assert_eq!(m.pick(0.70), 1);
        assert_eq!(m.pick(0.99), 2);
        assert!(Mix::parse(&["Nope".into()]).is_err());
        assert!(Mix::parse(&["Encrypt=0".into()]).is_err());
        assert_eq!(Mix::parse(&[]).unwrap().entries, vec![(Operation::Encrypt, 1.0)]);
    }

    #[test]
    fn pools_follow_the_quota_model() {
        assert_eq!(quota_code(Operation::Encrypt, "SYMMETRIC_DEFAULT"), Some("L-6E3AF000"));
        assert_eq!(quota_code(Operation::GenerateMac, "HMAC_256"), Some("L-6E3AF000"));
        assert_eq!(quota_code(Operation::Sign, "ECC_NIST_P256"), Some("L-DC14942D"));
        assert_eq!(quota_code(Operation::Sign, "RSA_2048"), Some("L-2AC98190"));
        assert_eq!(quota_code(Operation::DescribeKey, "SYMMETRIC_DEFAULT"), Some("L-FAE8F084"));
        assert_eq!(quota_code(Operation::Decapsulate, "ML_KEM_768"), Some(QuotaId::ML_KEM.def().code));
        assert_eq!(quota_code(Operation::Sign, "ECC_NIST_EDWARDS25519"), Some("L-DC14942D"));
    }

    #[test]
    fn decapsulate_sends_the_encapsulated_secret() {
        let m = Material { key_id: "k".into(), shared_secret_ciphertext: vec![1, 2, 3], ..Material::default() };
        let v: serde_json::Value = serde_json::from_slice(&body(Operation::Decapsulate, &m)).unwrap();
        assert_eq!(v["SharedSecretCiphertextBlob"], "AQID");
        assert_eq!(v["EncapsulationAlgorithm"], "ML_KEM");
        assert_eq!(key_role(Operation::Encapsulate), KeyRole::Kem);
    }

    #[test]
    fn every_supported_operation_has_a_quota_and_a_target() {
        for op in SUPPORTED {
            for spec in ["SYMMETRIC_DEFAULT", "HMAC_256", "ECC_NIST_P256", "RSA_2048", "ML_DSA_44", "UNKNOWN"] {
                assert!(quota(op, spec).is_some(), "{op:?} with {spec}");
            }
            assert_eq!(parse(&op.name().to_ascii_lowercase()), Some(op));
            assert_eq!(target(op), format!("TrentService.{}", op.name()));
        }
        // The codes the server's catalog gives, not a table of ours.
        assert_eq!(quota_code(Operation::GenerateRandom, "RSA_2048"), Some("L-6E3AF000"));
        assert_eq!(quota_code(Operation::Sign, "ML_DSA_65"), Some(QuotaId::ML_DSA.def().code));
        assert_eq!(quota_code(Operation::GetPublicKey, "ECC_NIST_P256"), Some("T-GetPublicKey"));
        assert_eq!(quota_code(Operation::ListKeys, ""), Some("T-ListKeys"));
        assert_eq!(quota_code(Operation::ListAliases, ""), Some("T-ListAliases"));
        assert_eq!(quota_code(Operation::GenerateDataKeyPair, "SYMMETRIC_DEFAULT"), None);
        assert_eq!(parse("GenerateDataKeyPair"), None, "not offered: no body for it");
    }
}
