//! Trent's KMS domain, free of HTTP and database types: the key model, the
//! crypto, the ciphertext format, one module per KMS operation, the quota
//! catalog and GCRA maths, and the error type that knows its AWS wire form.

pub mod admission;
pub mod arn;
pub mod authz;
pub mod b64;
pub mod caller;
pub mod clock;
pub mod error;
pub mod model;
pub mod operation;
pub mod policy;
pub mod store;

pub use caller::Caller;
pub use error::{ErrorKind, KmsError, KmsResult};
pub use operation::Operation;
pub mod ciphertext;
pub mod crypto;
pub mod crypto_pool;
pub mod encryption_context;
pub mod grants;
pub mod key_material;
pub mod keyring;
pub mod ops;
pub mod quota;
pub mod resource_quota;
pub mod root_key;
pub mod service;
pub mod service_quotas;
pub mod validate;
pub mod wire;

pub use service::Kms;
