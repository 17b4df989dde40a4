//! Cryptographic materials: what a materials manager hands to the encryptor and decryptor.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::commitment::CommitmentPolicy;
use crate::context::EncryptionContext;
use crate::crypto::signature::SigningKey;
use crate::format::header::EncryptedDataKey;
use crate::suite::AlgorithmSuite;

/// Everything needed to write one message: the plaintext data key, its encrypted copies, the
/// full encryption context (including the public key for signing suites) and the signing key.
pub struct EncryptionMaterials {
    /// Suite the message will use.
    pub suite: AlgorithmSuite,
    /// Context to store in the header (user pairs plus `aws-crypto-public-key` when signed).
    pub encryption_context: EncryptionContext,
    /// Plaintext data key; zeroed on drop.
    pub data_key: Zeroizing<Vec<u8>>,
    /// One entry per wrapping key.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Present for signing suites.
    pub signing_key: Option<Arc<SigningKey>>,
}

impl fmt::Debug for EncryptionMaterials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionMaterials")
            .field("suite", &self.suite)
            .field("encryption_context", &self.encryption_context)
            .field("encrypted_data_keys", &self.encrypted_data_keys.len())
            .finish_non_exhaustive()
    }
}

/// Everything needed to read one message: the plaintext data key and, for signing suites, the
/// verification key from the context.
pub struct DecryptionMaterials {
    /// Suite of the message.
    pub suite: AlgorithmSuite,
    /// Context from the header.
    pub encryption_context: EncryptionContext,
    /// Plaintext data key; zeroed on drop.
    pub data_key: Zeroizing<Vec<u8>>,
    /// Base64 compressed public key, for signing suites.
    pub verification_key: Option<String>,
}

impl fmt::Debug for DecryptionMaterials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionMaterials")
            .field("suite", &self.suite)
            .field("encryption_context", &self.encryption_context)
            .finish_non_exhaustive()
    }
}

/// A request for encryption materials.
#[derive(Debug, Clone)]
pub struct EncryptionRequest {
    /// The caller's context (no reserved keys).
    pub encryption_context: EncryptionContext,
    /// Suite to use, or `None` for the policy's default.
    pub suite: Option<AlgorithmSuite>,
    /// The client's commitment policy.
    pub commitment_policy: CommitmentPolicy,
    /// Plaintext size if known up front (the caching manager needs it for its byte limit).
    pub plaintext_length: Option<u64>,
}

/// A request for decryption materials, built from a parsed header.
#[derive(Debug, Clone)]
pub struct DecryptionRequest {
    /// Suite of the message.
    pub suite: AlgorithmSuite,
    /// The client's commitment policy.
    pub commitment_policy: CommitmentPolicy,
    /// Encrypted data keys from the header.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Context from the header.
    pub encryption_context: EncryptionContext,
}
