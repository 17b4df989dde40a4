//! What Sign and Verify share: request checks in AWS's order, the key and
//! algorithm checks, and the MessageType rules (RAW up to 4096 bytes, DIGEST
//! exactly the algorithm's digest length).

use std::sync::Arc;

use crate::authz::Access;
use crate::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::keyring::LoadedKey;
use crate::model::{KeyUsage, MessageType, SigningAlgorithm};
use crate::operation::Operation;
use crate::service::{Kms, require_usable};
use crate::validate::Validator;

use super::asymmetric::{algorithms, require_usage, wrong_algorithm};

/// The members Sign and Verify have in common.
#[derive(Debug)]
pub struct Common<'a> {
    /// `KeyId`.
    pub key_id: Option<&'a str>,
    /// `Message`.
    pub message: Option<&'a [u8]>,
    /// `MessageType`.
    pub message_type: Option<&'a str>,
    /// `SigningAlgorithm`.
    pub signing_algorithm: Option<&'a str>,
    /// `GrantTokens`.
    pub grant_tokens: Option<&'a [String]>,
}

/// A checked Sign or Verify request.
#[derive(Debug)]
pub struct Checked {
    /// The key, usable and SIGN_VERIFY.
    pub key: Arc<LoadedKey>,
    /// The algorithm, one the key offers.
    pub algorithm: SigningAlgorithm,
    /// Whether `Message` is a digest.
    pub is_digest: bool,
}

/// Validates the common members into `v` (the caller adds its own, then finishes).
pub fn validate(v: &mut Validator, c: &Common<'_>) {
    v.key_id("keyId", c.key_id, true)
        .required("message", &c.message)
        .blob_len("message", c.message, 1, 4096)
        .enum_value(
            "messageType",
            c.message_type,
            c.message_type.and_then(MessageType::parse).is_some(),
            MessageType::wire_list(),
        )
        .grant_tokens(c.grant_tokens)
        .required("signingAlgorithm", &c.signing_algorithm)
        .enum_value(
            "signingAlgorithm",
            c.signing_algorithm,
            c.signing_algorithm.and_then(SigningAlgorithm::parse).is_some(),
            SigningAlgorithm::wire_list(),
        );
}

/// Resolves and charges the key, then checks state, usage, algorithm and message type.
pub async fn check(kms: &Kms, caller: &Caller, op: Operation, c: &Common<'_>) -> KmsResult<Checked> {
    let (Some(key_id), Some(message), Some(algorithm)) =
        (c.key_id, c.message, c.signing_algorithm.and_then(SigningAlgorithm::parse))
    else {
        return Err(KmsError::internal("validated"));
    };
    let access =
        Access::new(op.name()).tokens(c.grant_tokens).algorithm("kms:SigningAlgorithm", Some(algorithm.as_str()));
    let key = kms.resolve(caller, key_id, &access).await?;
    kms.admit_key(caller, op, &key.record).await?;
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
    if is_digest && crate::key_material::digest_len(algorithm) != Some(message.len()) {
        return Err(KmsError::validation(format!("Digest is invalid length for algorithm {algorithm}.")));
    }
    Ok(Checked { key, algorithm, is_digest })
}
