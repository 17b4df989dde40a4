//! The default materials manager: suite selection, signing keys and one keyring call per message.

use std::sync::Arc;

use async_trait::async_trait;

use crate::cmm::MaterialsManager;
use crate::context::PUBLIC_KEY_FIELD;
use crate::crypto::signature::SigningKey;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::materials::{DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest};

/// Picks the suite (default per commitment policy), creates the signing key for signed suites
/// and records its public key in the context, then asks the keyring for the data key.
pub struct DefaultMaterialsManager {
    keyring: Arc<dyn Keyring>,
    max_encrypted_data_keys: Option<usize>,
}

impl DefaultMaterialsManager {
    /// A manager over `keyring`.
    pub fn new(keyring: Arc<dyn Keyring>) -> Self {
        Self { keyring, max_encrypted_data_keys: None }
    }

    /// Refuses to produce (or consume) more encrypted data keys than `max`.
    pub fn with_max_encrypted_data_keys(mut self, max: Option<usize>) -> Self {
        self.max_encrypted_data_keys = max;
        self
    }
}

#[async_trait]
impl MaterialsManager for DefaultMaterialsManager {
    async fn encryption_materials(&self, request: &EncryptionRequest) -> Result<Arc<EncryptionMaterials>> {
        let suite = request.suite.unwrap_or_else(|| request.commitment_policy.default_suite());
        request.commitment_policy.check_encrypt(suite)?;
        request.encryption_context.check_no_reserved_keys()?;
        let mut context = request.encryption_context.clone();
        let signing_key = match suite.signature() {
            Some(curve) => {
                let key = SigningKey::generate(curve)?;
                context.insert(PUBLIC_KEY_FIELD, key.public_key_field());
                Some(Arc::new(key))
            }
            None => None,
        };
        // Fail before the KMS call if the context cannot be serialized.
        context.serialize()?;
        let (data_key, encrypted_data_keys) = self.keyring.generate_data_key(suite, &context).await?;
        if let Some(max) = self.max_encrypted_data_keys
            && encrypted_data_keys.len() > max
        {
            return Err(Error::TooManyEncryptedDataKeys { count: encrypted_data_keys.len(), max });
        }
        Ok(Arc::new(EncryptionMaterials {
            suite,
            encryption_context: context,
            data_key,
            encrypted_data_keys,
            signing_key,
        }))
    }

    async fn decryption_materials(&self, request: &DecryptionRequest) -> Result<Arc<DecryptionMaterials>> {
        request.commitment_policy.check_decrypt(request.suite)?;
        if let Some(max) = self.max_encrypted_data_keys
            && request.encrypted_data_keys.len() > max
        {
            return Err(Error::TooManyEncryptedDataKeys { count: request.encrypted_data_keys.len(), max });
        }
        let verification_key = match (request.suite.is_signed(), request.encryption_context.get(PUBLIC_KEY_FIELD)) {
            (true, Some(k)) => Some(k.to_string()),
            (true, None) => {
                return Err(Error::malformed("signed message without aws-crypto-public-key in its encryption context"));
            }
            (false, Some(_)) => {
                return Err(Error::malformed(
                    "unsigned message carries aws-crypto-public-key in its encryption context",
                ));
            }
            (false, None) => None,
        };
        let data_key = self
            .keyring
            .decrypt_data_key(request.suite, &request.encryption_context, &request.encrypted_data_keys)
            .await?;
        Ok(Arc::new(DecryptionMaterials {
            suite: request.suite,
            encryption_context: request.encryption_context.clone(),
            data_key,
            verification_key,
        }))
    }
}
