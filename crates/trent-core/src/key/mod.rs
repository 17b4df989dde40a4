//! Keys: their durable model, their material and how it is sealed, the
//! ciphertext format, the crypto primitives, and the cache of decrypted keys.

pub mod arn;
pub mod cache;
pub mod ciphertext;
pub mod crypto;
pub mod crypto_pool;
pub mod encryption_context;
pub mod material;
pub mod model;
pub mod root_key;
pub mod asymmetric;
pub mod symmetric;
pub mod rsa_encryption;
pub mod signing;
pub mod mac;
pub mod import;
pub mod rotation;
pub mod tags;
pub mod sealing;
pub mod alias;
pub mod state;
pub mod metadata;
