//! Resolution of the key for Sign/Verify and GenerateMac/VerifyMac, with the
//! checks each pair shares: state, usage, algorithm and message type.

use std::sync::Arc;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::asymmetric::{algorithms, require_usage, wrong_algorithm};
use crate::key::cache::LoadedKey;
use crate::key::model::{KeyUsage, MacAlgorithm, MessageType, SigningAlgorithm};
use crate::key::signing::{Checked, Common};
use crate::key::state::require_usable;
use crate::operation::Operation;

use super::Kms;

impl Kms {
    /// Resolves and charges the key, then checks state, usage, algorithm and message type.
    pub async fn signing_key(&self, caller: &Caller, op: Operation, c: &Common<'_>) -> KmsResult<Checked> {
        let (Some(key_id), Some(message), Some(algorithm)) =
            (c.key_id, c.message, c.signing_algorithm.and_then(SigningAlgorithm::parse))
        else {
            return Err(KmsError::internal("validated"));
        };
        let access =
            Access::new(op.name()).tokens(c.grant_tokens).algorithm("kms:SigningAlgorithm", Some(algorithm.as_str()));
        let key = self.resolve(caller, key_id, &access).await?;
        self.admit_key(caller, op, &key.record).await?;
        require_usable(&key.record)?;
        require_usage(&key.record, KeyUsage::SignVerify, op)?;
        let offered = algorithms(key.record.key_spec, key.record.key_usage).signing.unwrap_or_default();
        if !offered.contains(&algorithm.as_str()) {
            return Err(wrong_algorithm(algorithm.as_str(), key.record.key_spec));
        }
        let message_type = c.message_type.and_then(MessageType::parse).unwrap_or(MessageType::Raw);
        let is_digest = match message_type {
            MessageType::Raw => false,
            MessageType::Digest => true,
            MessageType::ExternalMu => {
                return Err(KmsError::validation(format!(
                    "Message type EXTERNAL_MU is incompatible with key spec {}.",
                    key.record.key_spec
                )));
            }
        };
        if is_digest && crate::key::material::digest_len(algorithm) != Some(message.len()) {
            return Err(KmsError::validation(format!("Digest is invalid length for algorithm {algorithm}.")));
        }
        Ok(Checked { key, algorithm, is_digest })
    }

    /// Resolves and charges the key, then checks state, usage and algorithm.
    pub async fn mac_key(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: Option<&str>,
        alg: Option<&str>,
        grant_tokens: Option<&[String]>,
    ) -> KmsResult<(Arc<LoadedKey>, MacAlgorithm)> {
        let (Some(key_id), Some(alg)) = (key_id, alg.and_then(MacAlgorithm::parse)) else {
            return Err(KmsError::internal("validated"));
        };
        let access = Access::new(op.name()).tokens(grant_tokens).algorithm("kms:MacAlgorithm", Some(alg.as_str()));
        let key = self.resolve(caller, key_id, &access).await?;
        self.admit_key(caller, op, &key.record).await?;
        require_usable(&key.record)?;
        require_usage(&key.record, KeyUsage::GenerateVerifyMac, op)?;
        if crate::key::material::mac_algorithm(key.record.key_spec) != Some(alg) {
            return Err(wrong_algorithm(alg.as_str(), key.record.key_spec));
        }
        Ok((key, alg))
    }
}
