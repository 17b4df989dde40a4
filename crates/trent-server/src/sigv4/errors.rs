//! The errors SigV4 verification answers with, worded as AWS words them so
//! SDKs and humans see what they would see against the real service.

use trent_core::{ErrorKind, KmsError};

/// `SignatureDoesNotMatch` text AWS sends for a wrong signature.
pub(crate) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Text AWS sends for an access key it does not know.
pub(crate) const UNRECOGNIZED_CLIENT: &str = "The security token included in the request is invalid.";

pub(crate) fn missing_authentication_token() -> KmsError {
    KmsError::new(ErrorKind::MissingAuthenticationToken, "Missing Authentication Token")
}

pub(crate) fn presigned_query_unsupported() -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        "Query-string (presigned URL) authentication is not supported; sign the request with an Authorization header.",
    )
}

pub(crate) fn missing_equal_sign(piece: &str, header: &str) -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        format!("'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."),
    )
}

/// What the Authorization header lacks, in the order AWS reports it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Missing {
    pub credential: bool,
    pub signature: bool,
    pub signed_headers: bool,
    pub date: bool,
}

impl Missing {
    pub(crate) fn any(self) -> bool {
        self.credential || self.signature || self.signed_headers || self.date
    }
}

pub(crate) fn missing_parts(missing: Missing, header: &str) -> KmsError {
    let mut msg = String::with_capacity(256 + header.len());
    if missing.credential {
        msg.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if missing.signature {
        msg.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if missing.signed_headers {
        msg.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if missing.date {
        msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    msg.push_str("Authorization=");
    msg.push_str(header);
    KmsError::new(ErrorKind::IncompleteSignature, msg)
}

pub(crate) fn unsupported_algorithm(algorithm: &str) -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        format!("Unsupported AWS 'algorithm': '{algorithm}'. Only 'AWS4-HMAC-SHA256' is supported."),
    )
}

pub(crate) fn bad_date_format(value: &str) -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        format!("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"),
    )
}

pub(crate) fn credential_shape(credential: &str) -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ),
    )
}

pub(crate) fn host_not_signed() -> KmsError {
    KmsError::new(ErrorKind::IncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
}

pub(crate) fn date_not_signed(header: &str) -> KmsError {
    KmsError::new(
        ErrorKind::IncompleteSignature,
        format!("'{header}' must be a 'SignedHeader' in the AWS Authorization."),
    )
}

pub(crate) fn bad_terminator(terminator: &str) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "),
    )
}

pub(crate) fn wrong_service(expected: &str) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!("Credential should be scoped to correct service: '{expected}'. "),
    )
}

pub(crate) fn bad_region(region: &str) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!("Credential should be scoped to a valid region, not '{region}'. "),
    )
}

pub(crate) fn scope_date_mismatch(scope_date: &str, amz_date: &str) -> KmsError {
    let day = amz_date.get(..8).unwrap_or(amz_date);
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{day}', from '{amz_date}'."
        ),
    )
}

pub(crate) fn expired(request: &str, limit: &str, now: &str, skew: &str) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!("Signature expired: {request} is now earlier than {limit} ({now} - {skew})"),
    )
}

pub(crate) fn not_yet_current(request: &str, limit: &str, now: &str, skew: &str) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        format!("Signature not yet current: {request} is still later than {limit} ({now} + {skew})"),
    )
}

pub(crate) fn unrecognized_client() -> KmsError {
    KmsError::new(ErrorKind::UnrecognizedClient, UNRECOGNIZED_CLIENT)
}

pub(crate) fn signature_mismatch() -> KmsError {
    KmsError::new(ErrorKind::InvalidSignature, SIGNATURE_MISMATCH)
}

pub(crate) fn content_sha256_mismatch() -> KmsError {
    KmsError::new(
        ErrorKind::InvalidSignature,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )
}
