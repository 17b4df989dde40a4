//! An in-process stand-in for KMS, for tests of code built on this library (and of the
//! library itself) that must run without a KMS server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand;
use zeroize::Zeroizing;

use crate::context::EncryptionContext;
use crate::error::{Error, KmsFailure, Result};
use crate::kms::{GeneratedKey, KmsApi};

/// Holds AES-256 keys by ARN and implements `GenerateDataKey`, `Encrypt` and `Decrypt` with
/// the encryption context as AAD, counting calls. Ciphertext blobs are
/// `u16 arn length ‖ arn ‖ iv ‖ ciphertext ‖ tag`.
pub struct InMemoryKms {
    keys: HashMap<String, LessSafeKey>,
    generate_calls: AtomicU64,
    encrypt_calls: AtomicU64,
    decrypt_calls: AtomicU64,
}

impl InMemoryKms {
    /// A KMS holding one random key per ARN given.
    pub fn new<S: AsRef<str>>(arns: &[S]) -> Result<Self> {
        let mut keys = HashMap::new();
        for arn in arns {
            let mut k = Zeroizing::new([0u8; 32]);
            rand::fill(&mut *k).map_err(|_| Error::Crypto("random"))?;
            let key = UnboundKey::new(&AES_256_GCM, &*k).map_err(|_| Error::Crypto("AES key setup"))?;
            keys.insert(arn.as_ref().to_string(), LessSafeKey::new(key));
        }
        Ok(Self {
            keys,
            generate_calls: AtomicU64::new(0),
            encrypt_calls: AtomicU64::new(0),
            decrypt_calls: AtomicU64::new(0),
        })
    }

    /// (GenerateDataKey, Encrypt, Decrypt) calls served so far.
    pub fn calls(&self) -> (u64, u64, u64) {
        (
            self.generate_calls.load(Ordering::SeqCst),
            self.encrypt_calls.load(Ordering::SeqCst),
            self.decrypt_calls.load(Ordering::SeqCst),
        )
    }

    fn key(&self, op: &'static str, key_id: &str) -> Result<&LessSafeKey> {
        self.keys.get(key_id).ok_or_else(|| Error::Kms {
            operation: op,
            key_id: key_id.to_string(),
            kind: KmsFailure::KeyUnavailable,
            message: "NotFoundException: no such key".into(),
        })
    }

    fn wrap(&self, op: &'static str, key_id: &str, plaintext: &[u8], ec: &EncryptionContext) -> Result<Vec<u8>> {
        let key = self.key(op, key_id)?;
        let mut iv = [0u8; 12];
        rand::fill(&mut iv).map_err(|_| Error::Crypto("random"))?;
        let mut body = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(ec.serialize()?), &mut body)
            .map_err(|_| Error::Crypto("AES-GCM seal"))?;
        let mut blob = (key_id.len() as u16).to_be_bytes().to_vec();
        blob.extend_from_slice(key_id.as_bytes());
        blob.extend_from_slice(&iv);
        blob.extend_from_slice(&body);
        Ok(blob)
    }
}

fn invalid(key_id: &str) -> Error {
    Error::Kms {
        operation: "Decrypt",
        key_id: key_id.to_string(),
        kind: KmsFailure::InvalidCiphertext,
        message: "InvalidCiphertextException".into(),
    }
}

#[async_trait]
impl KmsApi for InMemoryKms {
    async fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> Result<GeneratedKey> {
        self.generate_calls.fetch_add(1, Ordering::SeqCst);
        let mut plaintext = Zeroizing::new(vec![0u8; number_of_bytes]);
        rand::fill(&mut plaintext).map_err(|_| Error::Crypto("random"))?;
        let ciphertext = self.wrap("GenerateDataKey", key_id, &plaintext, context)?;
        Ok(GeneratedKey { key_id: key_id.to_string(), plaintext, ciphertext })
    }

    async fn encrypt(&self, key_id: &str, plaintext: &[u8], context: &EncryptionContext) -> Result<(String, Vec<u8>)> {
        self.encrypt_calls.fetch_add(1, Ordering::SeqCst);
        Ok((key_id.to_string(), self.wrap("Encrypt", key_id, plaintext, context)?))
    }

    async fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(String, Zeroizing<Vec<u8>>)> {
        self.decrypt_calls.fetch_add(1, Ordering::SeqCst);
        let (len, rest) = ciphertext.split_at_checked(2).ok_or_else(|| invalid(key_id))?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (arn, rest) = rest.split_at_checked(len).ok_or_else(|| invalid(key_id))?;
        if arn != key_id.as_bytes() {
            return Err(Error::Kms {
                operation: "Decrypt",
                key_id: key_id.to_string(),
                kind: KmsFailure::InvalidCiphertext,
                message: "IncorrectKeyException".into(),
            });
        }
        let (iv, body) = rest.split_at_checked(12).ok_or_else(|| invalid(key_id))?;
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(iv);
        let mut body = Zeroizing::new(body.to_vec());
        let key = self.key("Decrypt", key_id)?;
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(context.serialize()?), &mut body)
            .map_err(|_| invalid(key_id))?;
        Ok((key_id.to_string(), Zeroizing::new(plain.to_vec())))
    }
}
