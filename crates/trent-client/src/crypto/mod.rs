//! Cryptographic building blocks of the format, all on aws-lc-rs.

pub(crate) mod background;
pub(crate) mod kdf;
pub mod signature;
