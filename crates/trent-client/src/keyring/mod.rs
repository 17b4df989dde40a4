//! Keyrings: where data keys come from and how they are wrapped and unwrapped.

pub mod kms;
pub mod raw_aes;

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::context::EncryptionContext;
use crate::error::Result;
use crate::format::header::EncryptedDataKey;
use crate::suite::AlgorithmSuite;

/// Produces a data key with its encrypted copies, and recovers a data key from them.
///
/// The seam between the format code and key management: KMS in production, a raw AES key
/// for offline tests and interop with the other SDKs' raw keyrings.
#[async_trait]
pub trait Keyring: Send + Sync {
    /// Creates a data key of `suite.key_len()` bytes and encrypts it under every wrapping key.
    /// `context` is the full materials context (it becomes the wrapping AAD).
    async fn generate_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<EncryptedDataKey>)>;

    /// Decrypts the first entry this keyring can and returns the plaintext data key.
    async fn decrypt_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<Zeroizing<Vec<u8>>>;
}
