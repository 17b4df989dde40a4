//! Why a crypto primitive refused its input. Its own file so the per-spec
//! modules (`ed25519.rs`, `ml_dsa.rs`, `ml_kem.rs`) and `material.rs`, which
//! routes to them, share it without importing each other.

/// Why a primitive refused its input (mapped to AWS errors by the operations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoRefusal {
    /// A DIGEST message whose length is not the algorithm's digest length.
    DigestLength,
    /// The signature or MAC does not verify, or the ciphertext does not decrypt.
    Invalid,
    /// The algorithm does not belong to this key.
    WrongAlgorithm,
}
