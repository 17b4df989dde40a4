//! The encryption context: a string map bound to a ciphertext as additional
//! authenticated data. Serialized canonically (sorted by key) so the same map
//! always gives the same bytes, whatever order the JSON had.

use std::collections::BTreeMap;

/// An encryption context as KMS takes it.
pub type EncryptionContext = BTreeMap<String, String>;

/// Canonical bytes: for each pair in key order, `u16 len || key || u16 len || value`,
/// preceded by a `u16` pair count. Lengths are capped by validation, so `u16` never truncates.
pub fn canonical_bytes(ctx: Option<&EncryptionContext>, out: &mut Vec<u8>) {
    let Some(ctx) = ctx else {
        out.extend_from_slice(&0u16.to_be_bytes());
        return;
    };
    out.extend_from_slice(&(ctx.len() as u16).to_be_bytes());
    for (k, v) in ctx {
        out.extend_from_slice(&(k.len() as u16).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
}
