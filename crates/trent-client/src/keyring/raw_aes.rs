//! A raw AES-GCM keyring, wire-compatible with the ESDK raw AES keyring / Python
//! `RawMasterKey` (AES_*_GCM_IV12_TAG16_NO_PADDING). Used for offline tests and test vectors.

use async_trait::async_trait;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{aead, rand};
use zeroize::Zeroizing;

use crate::context::EncryptionContext;
use crate::error::{Error, Result};
use crate::format::header::{EncryptedDataKey, IV_LEN, TAG_LEN};
use crate::keyring::Keyring;
use crate::suite::AlgorithmSuite;

/// Wraps data keys with a locally held AES key; the serialized encryption context is the AAD.
pub struct RawAesKeyring {
    namespace: String,
    name: String,
    key: LessSafeKey,
}

impl RawAesKeyring {
    /// A keyring with provider id `namespace`, key name `name` and a 16/24/32-byte key.
    pub fn new(namespace: &str, name: &str, wrapping_key: &[u8]) -> Result<Self> {
        let alg = match wrapping_key.len() {
            16 => &aead::AES_128_GCM,
            24 => &aead::AES_192_GCM,
            32 => &aead::AES_256_GCM,
            n => return Err(Error::Config(format!("raw AES wrapping key of {n} bytes"))),
        };
        let key = UnboundKey::new(alg, wrapping_key).map_err(|_| Error::Crypto("AES key setup"))?;
        Ok(Self { namespace: namespace.to_string(), name: name.to_string(), key: LessSafeKey::new(key) })
    }

    fn provider_info(&self, iv: &[u8; IV_LEN]) -> Vec<u8> {
        let mut info = self.name.as_bytes().to_vec();
        info.extend_from_slice(&((TAG_LEN * 8) as u32).to_be_bytes());
        info.extend_from_slice(&(IV_LEN as u32).to_be_bytes());
        info.extend_from_slice(iv);
        info
    }

    fn try_unwrap(&self, edk: &EncryptedDataKey, aad: &[u8], key_len: usize) -> Option<Zeroizing<Vec<u8>>> {
        if edk.provider_id != self.namespace {
            return None;
        }
        let name = self.name.as_bytes();
        let rest = edk.provider_info.strip_prefix(name)?;
        if rest.len() != 8 + IV_LEN || rest[..8] != self.provider_info(&[0; IV_LEN])[name.len()..name.len() + 8] {
            return None;
        }
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&rest[8..]);
        if edk.ciphertext.len() != key_len + TAG_LEN {
            return None;
        }
        let mut buf = Zeroizing::new(edk.ciphertext.clone());
        let plain = self.key.open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf).ok()?;
        Some(Zeroizing::new(plain.to_vec()))
    }
}

#[async_trait]
impl Keyring for RawAesKeyring {
    async fn generate_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<EncryptedDataKey>)> {
        let mut data_key = Zeroizing::new(vec![0u8; suite.key_len()]);
        rand::fill(&mut data_key).map_err(|_| Error::Crypto("random"))?;
        let mut iv = [0u8; IV_LEN];
        rand::fill(&mut iv).map_err(|_| Error::Crypto("random"))?;
        let aad = context.serialize()?;
        let mut ct = data_key.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut ct)
            .map_err(|_| Error::Crypto("AES-GCM seal"))?;
        let edk = EncryptedDataKey {
            provider_id: self.namespace.clone(),
            provider_info: self.provider_info(&iv),
            ciphertext: ct,
        };
        Ok((data_key, vec![edk]))
    }

    async fn decrypt_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let aad = context.serialize()?;
        encrypted_data_keys.iter().find_map(|edk| self.try_unwrap(edk, &aad, suite.key_len())).ok_or_else(|| {
            Error::NoDecryptableKey(format!("no entry for raw AES key {}/{} decrypts", self.namespace, self.name))
        })
    }
}
