//! One-line error messages that say what to do, and the exit code for each kind of failure.

use std::fmt;

use trent_client::{Error, KmsFailure};

/// Exit code: bad arguments or a refused-by-policy message (fix the command line).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the input is not an authentic message for these keys.
pub const EXIT_INTEGRITY: i32 = 3;
/// Exit code: KMS refused or could not be reached, or no wrapping key could unwrap the data key.
pub const EXIT_KMS: i32 = 4;
/// Exit code: anything else (I/O).
pub const EXIT_OTHER: i32 = 1;

/// An error already phrased for the user, with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Exit code for an error returned by `encrypt`/`decrypt` (1 if it is not one of ours).
/// For main.rs to call; until it does every failure exits with 1.
#[allow(dead_code)]
pub fn exit_code(err: &anyhow::Error) -> i32 {
    err.downcast_ref::<CliError>().map(|e| e.code).unwrap_or(EXIT_OTHER)
}

/// Phrases a library error about `what` (a file name or `<stdin>`).
pub fn describe(what: &str, err: &Error, decrypting: bool) -> CliError {
    let (code, hint) = match err {
        e if e.is_integrity_failure() => (
            EXIT_INTEGRITY,
            if decrypting {
                "the input is not an intact message for these keys (tampered, truncated or not an \
                 ESDK message); no plaintext was released"
            } else {
                "check the input"
            },
        ),
        Error::Kms { kind, .. } => (
            EXIT_KMS,
            match kind {
                KmsFailure::AccessDenied => {
                    "check the credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID) and the key policy"
                }
                KmsFailure::KeyUnavailable => "check the key ARN and that the key is enabled",
                KmsFailure::InvalidCiphertext => "the encrypted data key does not match this key or encryption context",
                KmsFailure::Throttled => {
                    "KMS kept throttling: use --caching, or --retry-mode adaptive / a higher --max-attempts"
                }
                KmsFailure::Unreachable => {
                    "is KMS reachable? check --endpoint-url / AWS_ENDPOINT_URL_KMS and the region"
                }
                KmsFailure::BadResponse | KmsFailure::Other => "check the KMS endpoint and key",
            },
        ),
        Error::NoDecryptableKey(_) => {
            (EXIT_KMS, "pass the wrapping key ARN used at encryption with -w key=ARN, or -w discovery=true")
        }
        Error::SuiteNotAllowed { .. } => (
            EXIT_USAGE,
            if decrypting {
                "to read messages without key commitment use --commitment-policy require-encrypt-allow-decrypt"
            } else {
                "pick a suite allowed by --commitment-policy (v1 suites need forbid-encrypt-allow-decrypt)"
            },
        ),
        Error::SignedMessageRefused(_) => {
            (EXIT_USAGE, "drop --decrypt-unsigned to accept signed messages (to stdout, add --buffer)")
        }
        Error::FrameTooLarge { .. } => (EXIT_USAGE, "raise --max-length if you trust this input"),
        Error::TooManyEncryptedDataKeys { .. } => (EXIT_USAGE, "raise --max-encrypted-data-keys if this is expected"),
        Error::EncryptionContext(_) => (EXIT_USAGE, "check -c/--encryption-context"),
        Error::PlaintextLengthExceeded(_) => (EXIT_OTHER, "the input grew while it was being encrypted"),
        Error::Config(_) => (EXIT_USAGE, "check the options"),
        Error::Io(_) | Error::Crypto(_) => (EXIT_OTHER, "check the paths and free space"),
        _ => (EXIT_OTHER, "see the message above"),
    };
    CliError { code, message: format!("{what}: {err} — {hint}") }
}

/// A usage error.
pub fn usage(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(CliError { code: EXIT_USAGE, message: e.to_string() })
}
