//! Resolution of the key for Sign/Verify and GenerateMac/VerifyMac, with the
//! checks each pair shares: state, usage, algorithm and message type.

use std::sync::Arc;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::asymmetric::{algorithms, require_usage, wrong_algorithm};
use crate::key::cache::LoadedKey;
use crate::key::model::{KeyUsage, MacAlgorithm, MessageType};
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
        if is_digest && crate::key::material::digest_len(algorithm) != Some(s.message.len()) {
            return Err(KmsError::validation(format!("Digest is invalid length for algorithm {algorithm}.")));
        }
        Ok(Checked { key, algorithm, is_digest })
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
