//! SigV4 signing keys: the four-step HMAC derivation from a secret, shared by
//! the verifier (which caches keys per credential scope) and the signer (which
//! caches the key of the current day).

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::scheme::TERMINATOR;

/// Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
/// the key both sides sign the string to sign with.
pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let mut key = hmac::Key::new(hmac::HMAC_SHA256, &seed);
    for part in [date, region, service, TERMINATOR] {
        let tag = hmac::sign(&key, part.as_bytes());
        key = hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_example_key() {
        // From the AWS "Examples of how to derive a signing key" page.
        let key = derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        // The documented kSigning is f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d;
        // HMAC under it of the empty string must equal HMAC under the raw bytes.
        let raw = hex::decode("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d").expect("hex");
        let expected = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &raw), b"probe");
        assert_eq!(hmac::sign(&key, b"probe").as_ref(), expected.as_ref());
    }
}
