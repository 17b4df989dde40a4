//! AWS Signature Version 4, written once for the whole workspace: the
//! server's verifier (`trent-server`, `src/sigv4/`) and the load lab's signer
//! (`trent-load`) both build their canonical requests, strings to sign and
//! signing keys here, so a request the load lab signs is checked by the very
//! code that signed it.
//!
//! What lives here is the maths and the formats; what each side adds lives
//! with it: the verifier's header parsing, clock check, key cache and AWS
//! error wording in trent-server, the signer's per-day key cache in
//! [`Signer`].
//!
//! The `aws-sigv4` crate signs too; it was measured against [`Signer`] for
//! the load lab's per-request cost (`benches/signing.rs`, numbers in
//! `docs/load.md`), and the workspace keeps it as the test oracle both sides
//! are checked against.

#![warn(missing_docs)]

pub mod amz_date;
pub mod canonical;
mod signer;
pub mod signing_key;
pub mod split;
pub mod string_to_sign;

pub use signer::{Credentials, Signer, SignerError};

mod scheme;
pub use scheme::{ALGORITHM, TERMINATOR, hex_into, payload_hash};
