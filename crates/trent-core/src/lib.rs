//! Trent's KMS domain, free of HTTP and database types. One folder per subject:

pub mod access; // who may do what: callers, key policies, grants, authorization
pub mod custom_key_store; // custom key stores: their model, connection state and key placement
pub mod error; // the error type that knows its AWS wire form
pub mod key; // keys: model, material, root key, ciphertext format, crypto, decrypted-key cache
pub mod kms; // the `Kms` service: key resolution, updates, work that comes due with time
pub mod operation; // the KMS operations Trent serves, by wire name
pub mod ops; // one module per KMS operation, and the dispatch table
pub mod quota; // request quotas (catalog, limiter, admission) and resource quotas
pub mod service_quotas; // the Service Quotas API over the quota catalog
pub mod store; // the `KeyStore` trait every storage backend implements
pub mod wire; // request shapes: validation, AWS enums, blobs, pagination

pub use access::caller::Caller;
pub use error::{ErrorKind, KmsError, KmsResult};
pub use kms::Kms;
pub use operation::Operation;
