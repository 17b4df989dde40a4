//! Keys: their durable model, their material and how it is sealed, the
//! ciphertext format, the crypto primitives, and the cache of decrypted keys.

pub mod alias;
pub mod arn;
pub mod asymmetric;
pub mod aws_lc_ffi;
pub mod cache;
pub mod ciphertext;
pub mod crypto;
pub mod crypto_pool;
pub mod crypto_refusal;
pub mod ed25519;
pub mod encryption_context;
pub mod import;
pub mod imported_materials;
pub mod last_usage;
pub mod mac;
pub mod material;
pub mod metadata;
pub mod ml_dsa;
pub mod ml_kem;
pub mod model;
pub mod multi_region;
pub mod root_key;
pub mod rotation;
pub mod rsa_encryption;
pub mod sealing;
pub mod signing;
pub mod state;
pub mod symmetric;
pub mod tags;
