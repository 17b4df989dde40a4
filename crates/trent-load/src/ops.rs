//! The KMS operations the load generator can send, their weights in a mix, the request
//! bodies, and which request quota each one draws on (docs/quotas.md).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;

/// An operation `trent load` can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `Encrypt` of `--payload-size` bytes.
    Encrypt,
    /// `Decrypt` of a ciphertext made during setup.
    Decrypt,
    /// `GenerateDataKey` (AES_256).
    GenerateDataKey,
    /// `GenerateDataKeyWithoutPlaintext` (AES_256).
    GenerateDataKeyWithoutPlaintext,
    /// `ReEncrypt` of the setup ciphertext to the same key.
    ReEncrypt,
    /// `GenerateRandom` of 32 bytes.
    GenerateRandom,
    /// `Sign` of a short message with the signing key.
    Sign,
    /// `Verify` of a signature made during setup.
    Verify,
    /// `GenerateMac` with the HMAC key.
    GenerateMac,
    /// `VerifyMac` of a MAC made during setup.
    VerifyMac,
    /// `DescribeKey`.
    DescribeKey,
    /// `GetPublicKey` of the signing key.
    GetPublicKey,
    /// `ListKeys`.
    ListKeys,
    /// `ListAliases`.
    ListAliases,
}

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
}

impl Operation {
    /// Every operation, in help-text order.
    pub const ALL: [Operation; 14] = [
        Self::Encrypt,
        Self::Decrypt,
        Self::GenerateDataKey,
        Self::GenerateDataKeyWithoutPlaintext,
        Self::ReEncrypt,
        Self::GenerateRandom,
        Self::Sign,
        Self::Verify,
        Self::GenerateMac,
        Self::VerifyMac,
        Self::DescribeKey,
        Self::GetPublicKey,
        Self::ListKeys,
        Self::ListAliases,
    ];

    /// The API name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Encrypt => "Encrypt",
            Self::Decrypt => "Decrypt",
            Self::GenerateDataKey => "GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
            Self::ReEncrypt => "ReEncrypt",
            Self::GenerateRandom => "GenerateRandom",
            Self::Sign => "Sign",
            Self::Verify => "Verify",
            Self::GenerateMac => "GenerateMac",
            Self::VerifyMac => "VerifyMac",
            Self::DescribeKey => "DescribeKey",
            Self::GetPublicKey => "GetPublicKey",
            Self::ListKeys => "ListKeys",
            Self::ListAliases => "ListAliases",
        }
    }

    /// `X-Amz-Target` value.
    pub fn target(self) -> &'static str {
        match self {
            Self::Encrypt => "TrentService.Encrypt",
            Self::Decrypt => "TrentService.Decrypt",
            Self::GenerateDataKey => "TrentService.GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext => "TrentService.GenerateDataKeyWithoutPlaintext",
            Self::ReEncrypt => "TrentService.ReEncrypt",
            Self::GenerateRandom => "TrentService.GenerateRandom",
            Self::Sign => "TrentService.Sign",
            Self::Verify => "TrentService.Verify",
            Self::GenerateMac => "TrentService.GenerateMac",
            Self::VerifyMac => "TrentService.VerifyMac",
            Self::DescribeKey => "TrentService.DescribeKey",
            Self::GetPublicKey => "TrentService.GetPublicKey",
            Self::ListKeys => "TrentService.ListKeys",
            Self::ListAliases => "TrentService.ListAliases",
        }
    }

    /// Case-insensitive lookup by API name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The key this operation needs.
    pub fn key_role(self) -> KeyRole {
        match self {
            Self::Encrypt
            | Self::Decrypt
            | Self::GenerateDataKey
            | Self::GenerateDataKeyWithoutPlaintext
            | Self::ReEncrypt
            | Self::DescribeKey => KeyRole::Symmetric,
            Self::Sign | Self::Verify | Self::GetPublicKey => KeyRole::Signing,
            Self::GenerateMac | Self::VerifyMac => KeyRole::Mac,
            Self::GenerateRandom | Self::ListKeys | Self::ListAliases => KeyRole::None,
        }
    }

    /// The quota code this operation draws on with a key of `key_spec` (docs/quotas.md).
    pub fn quota_code(self, key_spec: &str) -> &'static str {
        let crypto_pool = || {
            if key_spec.starts_with("RSA_") {
                "L-2AC98190"
            } else if key_spec.starts_with("ECC_") || key_spec == "SM2" {
                "L-DC14942D"
            } else if key_spec.starts_with("ML_DSA_") {
                "T-Crypto-MLDSA"
            } else {
                "L-6E3AF000"
            }
        };
        match self {
            Self::GenerateRandom => "L-6E3AF000",
            Self::DescribeKey => "L-FAE8F084",
            Self::GetPublicKey => "T-GetPublicKey",
            Self::ListKeys => "T-ListKeys",
            Self::ListAliases => "T-ListAliases",
            _ => crypto_pool(),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
            let op = Operation::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
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
        self.entries.iter().any(|e| e.0.key_role() == role)
    }

    /// `Encrypt=3,Decrypt=1`.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|(op, w)| if *w == 1.0 { op.name().to_owned() } else { format!("{op}={w}") })
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
}

/// The JSON body of `op` with `m`.
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
        Operation::ListKeys | Operation::ListAliases => json!({}),
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
        assert_eq!(Operation::Encrypt.quota_code("SYMMETRIC_DEFAULT"), "L-6E3AF000");
        assert_eq!(Operation::GenerateMac.quota_code("HMAC_256"), "L-6E3AF000");
        assert_eq!(Operation::Sign.quota_code("ECC_NIST_P256"), "L-DC14942D");
        assert_eq!(Operation::Sign.quota_code("RSA_2048"), "L-2AC98190");
        assert_eq!(Operation::DescribeKey.quota_code("SYMMETRIC_DEFAULT"), "L-FAE8F084");
    }
}
