//! Resolution of the key for Sign/Verify and GenerateMac/VerifyMac, with the
//! checks each pair shares: state, usage, algorithm and message type.

use std::sync::Arc;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::asymmetric::{algorithms, require_usage, wrong_algorithm};
use crate::key::cache::LoadedKey;
use crate::key::model::{KeyFamily, KeySpec, KeyUsage, MacAlgorithm, MessageType, SigningAlgorithm};
use crate::key::signing::{Checked, Valid};
use crate::key::state::require_usable;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;

use super::Kms;

impl Kms {
    /// Resolves and charges the key, then checks state, usage, algorithm and message type.
    pub async fn signing_key(&self, caller: &Caller, op: Operation, s: &Valid<'_>) -> KmsResult<Checked> {
        let algorithm = s.algorithm;
        let access =
            Access::new(op.name()).tokens(s.grant_tokens).algorithm("kms:SigningAlgorithm", Some(algorithm.as_str()));
        let key = self.resolve(caller, s.key_id, &access).await?;
        self.admit_key(caller, op, &key.record).await?;
        require_usable(&key.record)?;
        require_usage(&key.record, KeyUsage::SignVerify, op)?;
        let offered = algorithms(key.record.key_spec, key.record.key_usage).signing.unwrap_or_default();
        if !offered.contains(&algorithm.as_str()) {
            return Err(wrong_algorithm(algorithm.as_str(), key.record.key_spec));
        }
        let message_type = s.message_type.unwrap_or(MessageType::Raw);
        let is_digest = message_type_rules(key.record.key_spec, algorithm, message_type, s.message.len())?;
        Ok(Checked { key, algorithm, is_digest })
    }

    /// Resolves and charges an ENCAPSULATE_DECAPSULATE key and checks its state and usage.
    pub async fn encapsulation_key(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: &str,
        grant_tokens: Option<&[String]>,
    ) -> KmsResult<Arc<LoadedKey>> {
        let key = self.resolve(caller, key_id, &Access::new(op.name()).tokens(grant_tokens)).await?;
        self.admit_key(caller, op, &key.record).await?;
        require_usable(&key.record)?;
        require_usage(&key.record, KeyUsage::EncapsulateDecapsulate, op)?;
        Ok(key)
    }

    /// Resolves and charges the key, then checks state, usage and algorithm.
    pub async fn mac_key(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: &str,
        alg: MacAlgorithm,
        grant_tokens: Option<&[String]>,
    ) -> KmsResult<Arc<LoadedKey>> {
        let access = Access::new(op.name()).tokens(grant_tokens).algorithm("kms:MacAlgorithm", Some(alg.as_str()));
        let key = self.resolve(caller, key_id, &access).await?;
        self.admit_key(caller, op, &key.record).await?;
        require_usable(&key.record)?;
        require_usage(&key.record, KeyUsage::GenerateVerifyMac, op)?;
        if crate::key::material::mac_algorithm(key.record.key_spec) != Some(alg) {
            return Err(wrong_algorithm(alg.as_str(), key.record.key_spec));
        }
        Ok(key)
    }
}

/// AWS's MessageType rules for a key spec and algorithm; returns whether the
/// message is pre-processed (a DIGEST, or an ML-DSA EXTERNAL_MU):
/// - ECC_NIST_EDWARDS25519: ED25519_SHA_512 takes only RAW, ED25519_PH_SHA_512
///   only DIGEST (a 64-byte SHA-512 digest);
/// - ML-DSA: RAW or EXTERNAL_MU (exactly 64 bytes), never DIGEST;
/// - RSA and ECDSA: RAW or DIGEST of the algorithm's digest length.
fn message_type_rules(
    spec: KeySpec,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message_len: usize,
) -> KmsResult<bool> {
    let invalid_length = || KmsError::validation(format!("Digest is invalid length for algorithm {algorithm}."));
    let incompatible_with_spec =
        || KmsError::validation(format!("Message type {message_type} is incompatible with key spec {spec}."));
    if spec == KeySpec::EccNistEdwards25519 {
        let required = match algorithm {
            SigningAlgorithm::Ed25519PhSha512 => MessageType::Digest,
            _ => MessageType::Raw,
        };
        if message_type != required {
            return Err(KmsError::validation(format!(
                "Message type {message_type} is incompatible with algorithm {algorithm}."
            )));
        }
        if required == MessageType::Digest && message_len != crate::key::ed25519::PH_DIGEST_LEN {
            return Err(invalid_length());
        }
        return Ok(required == MessageType::Digest);
    }
    if spec.family() == KeyFamily::MlDsa {
        return match message_type {
            MessageType::Raw => Ok(false),
            MessageType::ExternalMu if message_len == crate::key::ml_dsa::MU_LEN => Ok(true),
            MessageType::ExternalMu => Err(invalid_length()),
            MessageType::Digest => Err(incompatible_with_spec()),
        };
    }
    match message_type {
        MessageType::Raw => Ok(false),
        MessageType::Digest if crate::key::material::digest_len(algorithm) == Some(message_len) => Ok(true),
        MessageType::Digest => Err(invalid_length()),
        MessageType::ExternalMu => Err(incompatible_with_spec()),
    }
}
