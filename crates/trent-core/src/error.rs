//! The one error type every KMS operation returns.
//!
//! Each [`ErrorKind`] knows its AWS wire name (`__type`) and HTTP status, so the
//! HTTP layer never has to guess a status from a message. Internal errors keep
//! their detail for the log but never send it to the client.

use std::fmt;

/// Every error Trent can answer with, named as AWS names it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // Modeled KMS errors.
    AlreadyExists,
    CloudHsmClusterInUse,
    CloudHsmClusterInvalidConfiguration,
    CloudHsmClusterNotActive,
    CloudHsmClusterNotFound,
    CloudHsmClusterNotRelated,
    Conflict,
    CustomKeyStoreHasCmks,
    CustomKeyStoreInvalidState,
    CustomKeyStoreNameInUse,
    CustomKeyStoreNotFound,
    Disabled,
    DryRunOperation,
    ExpiredImportToken,
    IncorrectKey,
    IncorrectKeyMaterial,
    IncorrectTrustAnchor,
    InvalidAliasName,
    InvalidArn,
    InvalidCiphertext,
    InvalidGrantId,
    InvalidGrantToken,
    InvalidImportToken,
    InvalidKeyUsage,
    InvalidMarker,
    KmsInvalidMac,
    KmsInvalidSignature,
    KmsInvalidState,
    LimitExceeded,
    MalformedPolicyDocument,
    NotFound,
    Tag,
    UnsupportedOperation,
    AccessDenied,
    // Server faults.
    DependencyTimeout,
    KmsInternal,
    KeyUnavailable,
    // Errors common to every AWS JSON service.
    Throttling,
    Validation,
    Serialization,
    UnknownOperation,
    UnrecognizedClient,
    InvalidSignature,
    IncompleteSignature,
    MissingAuthenticationToken,
    InvalidClientTokenId,
    // Service Quotas errors.
    NoSuchResource,
    IllegalArgument,
    QuotaExceeded,
    ResourceAlreadyExists,
    ServiceQuotasInvalidPaginationToken,
}

impl ErrorKind {
    /// The `__type` value AWS puts in the JSON error body.
    pub fn aws_type(self) -> &'static str {
        use ErrorKind::*;
        match self {
            AlreadyExists => "AlreadyExistsException",
            CloudHsmClusterInUse => "CloudHsmClusterInUseException",
            CloudHsmClusterInvalidConfiguration => "CloudHsmClusterInvalidConfigurationException",
            CloudHsmClusterNotActive => "CloudHsmClusterNotActiveException",
            CloudHsmClusterNotFound => "CloudHsmClusterNotFoundException",
            CloudHsmClusterNotRelated => "CloudHsmClusterNotRelatedException",
            Conflict => "ConflictException",
            CustomKeyStoreHasCmks => "CustomKeyStoreHasCMKsException",
            CustomKeyStoreInvalidState => "CustomKeyStoreInvalidStateException",
            CustomKeyStoreNameInUse => "CustomKeyStoreNameInUseException",
            CustomKeyStoreNotFound => "CustomKeyStoreNotFoundException",
            Disabled => "DisabledException",
            DryRunOperation => "DryRunOperationException",
            ExpiredImportToken => "ExpiredImportTokenException",
            IncorrectKey => "IncorrectKeyException",
            IncorrectKeyMaterial => "IncorrectKeyMaterialException",
            IncorrectTrustAnchor => "IncorrectTrustAnchorException",
            InvalidAliasName => "InvalidAliasNameException",
            InvalidArn => "InvalidArnException",
            InvalidCiphertext => "InvalidCiphertextException",
            InvalidGrantId => "InvalidGrantIdException",
            InvalidGrantToken => "InvalidGrantTokenException",
            InvalidImportToken => "InvalidImportTokenException",
            InvalidKeyUsage => "InvalidKeyUsageException",
            InvalidMarker => "InvalidMarkerException",
            KmsInvalidMac => "KMSInvalidMacException",
            KmsInvalidSignature => "KMSInvalidSignatureException",
            KmsInvalidState => "KMSInvalidStateException",
            LimitExceeded => "LimitExceededException",
            MalformedPolicyDocument => "MalformedPolicyDocumentException",
            NotFound => "NotFoundException",
            Tag => "TagException",
            UnsupportedOperation => "UnsupportedOperationException",
            AccessDenied => "AccessDeniedException",
            DependencyTimeout => "DependencyTimeoutException",
            KmsInternal => "KMSInternalException",
            KeyUnavailable => "KeyUnavailableException",
            Throttling => "ThrottlingException",
            Validation => "ValidationException",
            Serialization => "SerializationException",
            UnknownOperation => "UnknownOperationException",
            UnrecognizedClient => "UnrecognizedClientException",
            InvalidSignature => "InvalidSignatureException",
            IncompleteSignature => "IncompleteSignatureException",
            MissingAuthenticationToken => "MissingAuthenticationTokenException",
            InvalidClientTokenId => "InvalidClientTokenId",
            NoSuchResource => "NoSuchResourceException",
            IllegalArgument => "IllegalArgumentException",
            QuotaExceeded => "QuotaExceededException",
            ResourceAlreadyExists => "ResourceAlreadyExistsException",
            ServiceQuotasInvalidPaginationToken => "InvalidPaginationTokenException",
        }
    }

    /// The HTTP status AWS answers with: 400 for client errors, 500 for faults.
    pub fn http_status(self) -> u16 {
        use ErrorKind::*;
        match self {
            // AWS's KMS model (the Smithy `httpError` trait, which botocore
            // reduces to `fault: true`): DependencyTimeout 503, KMSInternal and
            // KeyUnavailable 500.
            DependencyTimeout => 503,
            KmsInternal | KeyUnavailable => 500,
            MissingAuthenticationToken | AccessDenied => 400,
            _ => 400,
        }
    }

    /// Whether this is a server-side fault whose detail must not reach the client.
    pub fn is_fault(self) -> bool {
        self.http_status() >= 500
    }

    /// Service Quotas error shapes spell their message member `Message`.
    pub fn message_member(self) -> &'static str {
        use ErrorKind::*;
        match self {
            NoSuchResource
            | IllegalArgument
            | QuotaExceeded
            | ResourceAlreadyExists
            | ServiceQuotasInvalidPaginationToken => "Message",
            _ => "message",
        }
    }
}

/// An AWS-style error: a kind plus the message AWS would send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct KmsError {
    /// What went wrong, as AWS names it.
    pub kind: ErrorKind,
    /// The client-visible message; `None` sends no message member (as AWS does
    /// for some errors, e.g. InvalidCiphertextException).
    pub message: Option<String>,
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {}", self.kind.aws_type(), m),
            None => f.write_str(self.kind.aws_type()),
        }
    }
}

/// The exact throttling message AWS KMS sends.
pub const THROTTLING_MESSAGE: &str =
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

impl KmsError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: Some(message.into()) }
    }

    /// An error of `kind` with no message member.
    pub fn bare(kind: ErrorKind) -> Self {
        Self { kind, message: None }
    }

    /// An internal fault: the detail is logged here and the client sees only a generic message.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(ErrorKind::KmsInternal, "An internal error occurred. Try the request again.")
    }

    /// A dependency (e.g. the shared quota limiter) did not answer in time;
    /// AWS's wording, and the client may retry.
    pub fn dependency_timeout() -> Self {
        Self::new(
            ErrorKind::DependencyTimeout,
            "The system timed out while trying to fulfill the request. You can retry the request.",
        )
    }

    /// The answer to a request over its quota.
    pub fn throttled() -> Self {
        Self::new(ErrorKind::Throttling, THROTTLING_MESSAGE)
    }

    /// A ValidationException with a complete AWS-style message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// The key named `arn` does not exist (AWS's wording).
    pub fn key_not_found(arn: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("Key '{arn}' does not exist"))
    }

    /// The alias `alias_arn` does not exist (AWS's wording).
    pub fn alias_not_found(alias_arn: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("Alias {alias_arn} is not found."))
    }

    /// The key is disabled (AWS's wording).
    pub fn disabled(arn: &str) -> Self {
        Self::new(ErrorKind::Disabled, format!("{arn} is disabled."))
    }

    /// The ciphertext cannot be decrypted; AWS sends no detail.
    pub fn invalid_ciphertext() -> Self {
        Self::bare(ErrorKind::InvalidCiphertext)
    }

    /// The request would have succeeded but DryRun was set (AWS's wording).
    pub fn dry_run() -> Self {
        Self::new(ErrorKind::DryRunOperation, "The request would have succeeded, but the DryRun option is set.")
    }
}

/// Shorthand for results of KMS operations.
pub type KmsResult<T> = Result<T, KmsError>;
