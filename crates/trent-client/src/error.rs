//! The one error type of the library.

use std::fmt;

/// Why a KMS call failed, coarse enough to pick a remedy (fix credentials, fix the key, back off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmsFailure {
    /// The caller lacks permission, or the credentials are missing/invalid.
    AccessDenied,
    /// The key does not exist, is disabled, or is pending deletion.
    KeyUnavailable,
    /// KMS rejected the ciphertext or encryption context (wrong key, tampered EDK, EC mismatch).
    InvalidCiphertext,
    /// KMS kept throttling after the configured retries.
    Throttled,
    /// KMS could not be reached (DNS, connection refused, timeout).
    Unreachable,
    /// KMS answered with something the keyring cannot use (e.g. a key id that is not an ARN).
    BadResponse,
    /// Anything else.
    Other,
}

impl fmt::Display for KmsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::AccessDenied => "access denied",
            Self::KeyUnavailable => "key unavailable",
            Self::InvalidCiphertext => "invalid ciphertext",
            Self::Throttled => "throttled",
            Self::Unreachable => "unreachable",
            Self::BadResponse => "bad response",
            Self::Other => "error",
        };
        f.write_str(s)
    }
}

/// Everything that can go wrong while building, parsing, encrypting or decrypting ESDK messages.
///
/// Variants are grouped so callers (the CLI) can map them to exit codes and advice: integrity
/// failures (the input is not a valid message for these keys), policy refusals, KMS failures,
/// configuration mistakes and I/O.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input ended before the message did.
    #[error("truncated message: input ended inside the {0}")]
    Truncated(&'static str),
    /// The bytes are not a well-formed ESDK message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Bytes follow the end of the message.
    #[error("malformed message: unexpected data after the end of the message")]
    TrailingData,
    /// Header version byte other than 1 or 2.
    #[error("unsupported message format version {0:#04x} (is this an AWS Encryption SDK message?)")]
    UnsupportedVersion(u8),
    /// Suite id not in the ESDK table (or reserved for another product).
    #[error("unknown or unsupported algorithm suite {0:#06x}")]
    UnknownSuite(u16),
    /// The commitment policy forbids this suite.
    #[error("algorithm suite {suite} is not allowed under commitment policy {policy}")]
    SuiteNotAllowed {
        /// Suite name.
        suite: String,
        /// Policy name.
        policy: String,
    },
    /// The caller asked to reject signed messages and this one is signed.
    #[error("message uses signed suite {0}, but only unsigned messages were allowed")]
    SignedMessageRefused(String),
    /// A v2 header's commitment key does not match the data key.
    #[error("key commitment check failed: the message was not produced with this data key (tampered or wrong key)")]
    CommitmentMismatch,
    /// The header authentication tag does not verify.
    #[error("header authentication failed: the header was tampered with or the data key is wrong")]
    HeaderAuthFailed,
    /// A body frame (or the non-framed body) does not verify.
    #[error("authentication failed for frame {0}: the message body was tampered with or truncated")]
    FrameAuthFailed(u32),
    /// The footer signature does not verify.
    #[error("signature verification failed: the message was tampered with")]
    SignatureInvalid,
    /// A frame or body is larger than the configured maximum.
    #[error("frame of {len} bytes exceeds the maximum of {max} bytes (raise the maximum length to accept it)")]
    FrameTooLarge {
        /// Announced length.
        len: u64,
        /// Allowed maximum.
        max: u64,
    },
    /// More encrypted data keys than allowed.
    #[error("message has {count} encrypted data keys, more than the maximum of {max}")]
    TooManyEncryptedDataKeys {
        /// Count seen (or that would be produced).
        count: usize,
        /// Allowed maximum.
        max: usize,
    },
    /// A problem with the encryption context (reserved key, too large, duplicate, mismatch).
    #[error("encryption context: {0}")]
    EncryptionContext(String),
    /// More plaintext was written than was declared up front.
    #[error("plaintext is longer than the declared length of {0} bytes")]
    PlaintextLengthExceeded(u64),
    /// None of the encrypted data keys could be decrypted with the configured keys.
    #[error("no encrypted data key could be decrypted: {0}")]
    NoDecryptableKey(String),
    /// A KMS call failed.
    #[error("KMS {operation} with key {key_id} failed ({kind}): {message}")]
    Kms {
        /// Operation name, e.g. `GenerateDataKey`.
        operation: &'static str,
        /// Key the call was made with.
        key_id: String,
        /// Classification.
        kind: KmsFailure,
        /// Detail from the SDK.
        message: String,
    },
    /// Invalid configuration or arguments.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A cryptographic primitive failed unexpectedly.
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// True when the input is not an authentic message for these keys (tampering, truncation,
    /// garbage), as opposed to a configuration, KMS or I/O problem.
    pub fn is_integrity_failure(&self) -> bool {
        matches!(
            self,
            Self::Truncated(_)
                | Self::Malformed(_)
                | Self::TrailingData
                | Self::UnsupportedVersion(_)
                | Self::UnknownSuite(_)
                | Self::CommitmentMismatch
                | Self::HeaderAuthFailed
                | Self::FrameAuthFailed(_)
                | Self::SignatureInvalid
        )
    }

    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        Self::Malformed(msg.into())
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
