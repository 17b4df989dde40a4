//! Cryptographic materials managers: turn requests into materials, optionally via a cache.

pub mod caching;
pub mod default;

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::materials::{DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest};

/// The interface the encryptor/decryptor use to obtain keys. Implementations may generate
/// fresh materials per message (default) or reuse them (caching).
#[async_trait]
pub trait MaterialsManager: Send + Sync {
    /// Materials for writing one message.
    async fn encryption_materials(&self, request: &EncryptionRequest) -> Result<Arc<EncryptionMaterials>>;
    /// Materials for reading one message.
    async fn decryption_materials(&self, request: &DecryptionRequest) -> Result<Arc<DecryptionMaterials>>;
}
