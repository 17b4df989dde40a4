//! The ESDK algorithm suites and their properties.

use std::fmt;

use aws_lc_rs::{aead, digest, hkdf, signature};

use crate::error::{Error, Result};

/// Key derivation a suite uses to turn the data key into the message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// The data key is the message key (00xx suites).
    Identity,
    /// HKDF without salt, info = suite id ‖ message id (01xx–03xx).
    Hkdf(hkdf::Algorithm),
    /// HKDF-SHA512 with the message id as salt plus a commitment key (04xx/05xx).
    CommittingHkdfSha512,
}

/// ECDSA curve used for the footer signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCurve {
    /// P-256 with SHA-256.
    P256,
    /// P-384 with SHA-384.
    P384,
}

impl SignatureCurve {
    /// The hash the signature is computed over.
    pub fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::P256 => &digest::SHA256,
            Self::P384 => &digest::SHA384,
        }
    }

    pub(crate) fn signing_algorithm(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        }
    }

    pub(crate) fn verification_algorithm(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        }
    }

    /// Group order n, big-endian, used to normalise signatures to low-s.
    pub(crate) fn order(self) -> &'static [u8] {
        match self {
            Self::P256 => &P256_ORDER,
            Self::P384 => &P384_ORDER,
        }
    }

    /// Scalar size in bytes.
    pub(crate) fn scalar_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// DER signature length the other SDKs always emit (r with a leading zero, s low and full width).
    pub(crate) fn fixed_signature_len(self) -> usize {
        match self {
            Self::P256 => 71,
            Self::P384 => 103,
        }
    }
}

const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0,
    0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

/// One of the eleven ESDK algorithm suites.
///
/// Exists so that every property the format depends on (header version, key length, KDF,
/// commitment, signature) is looked up in one table instead of scattered `match`es on ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgorithmSuite {
    /// 0x0014 AES-128-GCM, no KDF.
    Aes128GcmIv12Tag16NoKdf,
    /// 0x0046 AES-192-GCM, no KDF.
    Aes192GcmIv12Tag16NoKdf,
    /// 0x0078 AES-256-GCM, no KDF.
    Aes256GcmIv12Tag16NoKdf,
    /// 0x0114 AES-128-GCM, HKDF-SHA256.
    Aes128GcmIv12Tag16HkdfSha256,
    /// 0x0146 AES-192-GCM, HKDF-SHA256.
    Aes192GcmIv12Tag16HkdfSha256,
    /// 0x0178 AES-256-GCM, HKDF-SHA256.
    Aes256GcmIv12Tag16HkdfSha256,
    /// 0x0214 AES-128-GCM, HKDF-SHA256, ECDSA P-256.
    Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
    /// 0x0346 AES-192-GCM, HKDF-SHA384, ECDSA P-384.
    Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
    /// 0x0378 AES-256-GCM, HKDF-SHA384, ECDSA P-384.
    Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
    /// 0x0478 AES-256-GCM, HKDF-SHA512 with key commitment.
    Aes256GcmHkdfSha512CommitKey,
    /// 0x0578 AES-256-GCM, HKDF-SHA512 with key commitment, ECDSA P-384 (the default).
    Aes256GcmHkdfSha512CommitKeyEcdsaP384,
}

impl AlgorithmSuite {
    /// All suites, in id order.
    pub const ALL: [AlgorithmSuite; 11] = [
        Self::Aes128GcmIv12Tag16NoKdf,
        Self::Aes192GcmIv12Tag16NoKdf,
        Self::Aes256GcmIv12Tag16NoKdf,
        Self::Aes128GcmIv12Tag16HkdfSha256,
        Self::Aes192GcmIv12Tag16HkdfSha256,
        Self::Aes256GcmIv12Tag16HkdfSha256,
        Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
        Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
        Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
        Self::Aes256GcmHkdfSha512CommitKey,
        Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ];

    /// The default suite under a requiring commitment policy.
    pub const DEFAULT_COMMITTING: AlgorithmSuite = Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
    /// The default suite under `forbid-encrypt-allow-decrypt` (what the Python SDK/CLI pick).
    pub const DEFAULT_NON_COMMITTING: AlgorithmSuite = Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384;

    /// Looks a suite up by its two-byte id.
    pub fn from_id(id: u16) -> Result<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id).ok_or(Error::UnknownSuite(id))
    }

    /// Looks a suite up by its ESDK enum name (as the official CLI's `--algorithm` takes it) or by
    /// its hex id (`0x0478`).
    pub fn from_name(name: &str) -> Option<Self> {
        let trimmed = name.trim();
        if let Some(hex) = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")) {
            return u16::from_str_radix(hex, 16).ok().and_then(|id| Self::from_id(id).ok());
        }
        Self::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(trimmed))
    }

    /// The two-byte id written in the header.
    pub fn id(self) -> u16 {
        match self {
            Self::Aes128GcmIv12Tag16NoKdf => 0x0014,
            Self::Aes192GcmIv12Tag16NoKdf => 0x0046,
            Self::Aes256GcmIv12Tag16NoKdf => 0x0078,
            Self::Aes128GcmIv12Tag16HkdfSha256 => 0x0114,
            Self::Aes192GcmIv12Tag16HkdfSha256 => 0x0146,
            Self::Aes256GcmIv12Tag16HkdfSha256 => 0x0178,
            Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => 0x0214,
            Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => 0x0346,
            Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => 0x0378,
            Self::Aes256GcmHkdfSha512CommitKey => 0x0478,
            Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => 0x0578,
        }
    }

    /// The ESDK enum name (e.g. `AES_256_GCM_HKDF_SHA512_COMMIT_KEY`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128GcmIv12Tag16NoKdf => "AES_128_GCM_IV12_TAG16",
            Self::Aes192GcmIv12Tag16NoKdf => "AES_192_GCM_IV12_TAG16",
            Self::Aes256GcmIv12Tag16NoKdf => "AES_256_GCM_IV12_TAG16",
            Self::Aes128GcmIv12Tag16HkdfSha256 => "AES_128_GCM_IV12_TAG16_HKDF_SHA256",
            Self::Aes192GcmIv12Tag16HkdfSha256 => "AES_192_GCM_IV12_TAG16_HKDF_SHA256",
            Self::Aes256GcmIv12Tag16HkdfSha256 => "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
            Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256",
            Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
            Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
            Self::Aes256GcmHkdfSha512CommitKey => "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
            Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
        }
    }

    /// Message format version (1 or 2) this suite is written with.
    pub fn message_version(self) -> u8 {
        if self.is_committing() { 2 } else { 1 }
    }

    /// Data key (and message key) length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128GcmIv12Tag16NoKdf
            | Self::Aes128GcmIv12Tag16HkdfSha256
            | Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => 16,
            Self::Aes192GcmIv12Tag16NoKdf
            | Self::Aes192GcmIv12Tag16HkdfSha256
            | Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => 24,
            _ => 32,
        }
    }

    /// The AES-GCM variant.
    pub(crate) fn aead(self) -> &'static aead::Algorithm {
        match self.key_len() {
            16 => &aead::AES_128_GCM,
            24 => &aead::AES_192_GCM,
            _ => &aead::AES_256_GCM,
        }
    }

    /// Key derivation.
    pub fn kdf(self) -> Kdf {
        match self {
            Self::Aes128GcmIv12Tag16NoKdf | Self::Aes192GcmIv12Tag16NoKdf | Self::Aes256GcmIv12Tag16NoKdf => {
                Kdf::Identity
            }
            Self::Aes128GcmIv12Tag16HkdfSha256
            | Self::Aes192GcmIv12Tag16HkdfSha256
            | Self::Aes256GcmIv12Tag16HkdfSha256
            | Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => Kdf::Hkdf(hkdf::HKDF_SHA256),
            Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 | Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => {
                Kdf::Hkdf(hkdf::HKDF_SHA384)
            }
            Self::Aes256GcmHkdfSha512CommitKey | Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => {
                Kdf::CommittingHkdfSha512
            }
        }
    }

    /// Whether the suite carries a key commitment (04xx/05xx).
    pub fn is_committing(self) -> bool {
        matches!(self.kdf(), Kdf::CommittingHkdfSha512)
    }

    /// Whether messages end with an ECDSA signature, and over which curve.
    pub fn signature(self) -> Option<SignatureCurve> {
        match self {
            Self::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => Some(SignatureCurve::P256),
            Self::Aes192GcmIv12Tag16HkdfSha384EcdsaP384
            | Self::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
            | Self::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => Some(SignatureCurve::P384),
            _ => None,
        }
    }

    /// Whether messages are signed.
    pub fn is_signed(self) -> bool {
        self.signature().is_some()
    }

    /// Message id length in bytes (16 for v1, 32 for v2).
    pub fn message_id_len(self) -> usize {
        if self.message_version() == 2 { 32 } else { 16 }
    }
}

impl fmt::Display for AlgorithmSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#06x})", self.name(), self.id())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_names_parse() {
        for s in AlgorithmSuite::ALL {
            assert_eq!(AlgorithmSuite::from_id(s.id()).ok(), Some(s));
            assert_eq!(AlgorithmSuite::from_name(s.name()), Some(s));
            assert_eq!(AlgorithmSuite::from_name(&format!("0x{:04x}", s.id())), Some(s));
        }
        assert!(AlgorithmSuite::from_id(0x0070).is_err());
        assert!(AlgorithmSuite::from_id(0x0000).is_err());
        assert!(AlgorithmSuite::from_name("AES_256_GCM_BOGUS").is_none());
    }

    #[test]
    fn properties_match_table() {
        let s = AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
        assert_eq!((s.message_version(), s.key_len(), s.is_committing()), (2, 32, true));
        assert_eq!(s.signature(), Some(SignatureCurve::P384));
        let s = AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256;
        assert_eq!((s.message_version(), s.key_len(), s.signature()), (1, 16, Some(SignatureCurve::P256)));
        assert_eq!(AlgorithmSuite::Aes192GcmIv12Tag16NoKdf.kdf(), Kdf::Identity);
    }
}
