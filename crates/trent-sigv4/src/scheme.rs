//! The constants and hex/hash helpers of the AWS4-HMAC-SHA256 scheme that
//! the signer and the verifier share.

use aws_lc_rs::digest;

/// The only algorithm Trent signs and verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The terminator every SigV4 credential scope ends with.
pub const TERMINATOR: &str = "aws4_request";

/// Lowercase hex of a 32-byte digest into a fixed buffer, so hashing a body or
/// a canonical request allocates nothing.
#[inline]
pub fn hex_into(bytes: &[u8], out: &mut [u8; 64]) {
    // Both lengths are fixed (SHA-256 output); a mismatch leaves zeros, which never verify.
    let _ = hex::encode_to_slice(bytes, out);
}

/// Lowercase hex SHA-256 of a body, the payload hash of the canonical request;
/// a signer computes it once per prepared body and reuses it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, body))
}
