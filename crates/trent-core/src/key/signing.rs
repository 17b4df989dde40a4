//! What Sign and Verify share: request checks in AWS's order, the key and
//! algorithm checks, and the MessageType rules (RAW up to 4096 bytes, DIGEST
//! exactly the algorithm's digest length).

use std::sync::Arc;

use crate::key::cache::LoadedKey;
use crate::key::model::{MessageType, SigningAlgorithm};
use crate::wire::validate::Validator;

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

/// The members Sign and Verify have in common, once validated: required
/// members present, enum members parsed.
#[derive(Debug)]
pub struct Valid<'a> {
    /// `KeyId`.
    pub key_id: &'a str,
    /// `Message`.
    pub message: &'a [u8],
    /// `MessageType` (RAW when absent).
    pub message_type: Option<MessageType>,
    /// `SigningAlgorithm`.
    pub algorithm: SigningAlgorithm,
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

/// Validates the common members into `v` (the caller adds its own, then
/// finishes) and returns the enum members parsed: `MessageType` and
/// `SigningAlgorithm`, `None` when absent or invalid.
pub fn validate(v: &mut Validator, c: &Common<'_>) -> (Option<MessageType>, Option<SigningAlgorithm>) {
    v.key_id("keyId", c.key_id, true).required("message", &c.message).blob_len("message", c.message, 1, 4096);
    let message_type = v.enum_member("messageType", c.message_type);
    v.grant_tokens(c.grant_tokens).required("signingAlgorithm", &c.signing_algorithm);
    let algorithm = v.enum_member("signingAlgorithm", c.signing_algorithm);
    (message_type, algorithm)
}
