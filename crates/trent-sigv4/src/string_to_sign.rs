//! The SigV4 string to sign: algorithm, request time, credential scope and the
//! hash of the canonical request, one per line.

use crate::scheme::{ALGORITHM, hex_into};

/// Appends the string to sign to `out`: `creq_hash` is the SHA-256 of the
/// canonical request, `scope` is `YYYYMMDD/region/service/aws4_request`.
pub fn write(out: &mut Vec<u8>, amz_date: &str, scope: &str, creq_hash: &[u8]) {
    out.extend_from_slice(ALGORITHM.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(amz_date.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(scope.as_bytes());
    out.push(b'\n');
    let mut hex = [0u8; 64];
    hex_into(creq_hash, &mut hex);
    out.extend_from_slice(&hex);
}
