//! The ciphertext blob of symmetric Encrypt / GenerateDataKey.
//!
//! Layout (all fixed-size fields, so parsing cannot be confused):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, `0x01` (key id is a UUID) or `0x02` (a multi-Region key id) |
//! | 16 | key id (UUID bytes, or the 32 hex digits after `mrk-` as bytes) |
//! | 32 | key material id (the material version that encrypted) |
//! | 12 | AES-GCM IV |
//! | n | ciphertext |
//! | 16 | AES-GCM tag |
//!
//! The AAD is the 49-byte header followed by the canonical encryption context,
//! so changing the key reference, the material id or the context makes
//! decryption fail. A blob carries its key, so Decrypt needs no KeyId.

use crate::key::crypto::{IV_LEN, TAG_LEN};

/// Format version byte of symmetric blobs.
pub const VERSION_SYMMETRIC: u8 = 0x01;
/// Format version byte of symmetric blobs of multi-Region keys (`mrk-` ids).
pub const VERSION_SYMMETRIC_MULTI_REGION: u8 = 0x02;

/// Header length: version + key id + material id.
pub const HEADER_LEN: usize = 1 + 16 + 32;
/// Blob overhead beyond the plaintext length.
pub const OVERHEAD: usize = HEADER_LEN + IV_LEN + TAG_LEN;

/// A parsed symmetric blob, borrowing from the request.
#[derive(Debug, Clone, Copy)]
pub struct SymmetricBlob<'a> {
    /// The key id, as a UUID string's 16 bytes.
    pub key_uuid: [u8; 16],
    /// Whether the key id is a multi-Region one (`mrk-` and the bytes in hex).
    pub multi_region: bool,
    /// Which material version encrypted it.
    pub material_id: [u8; 32],
    /// The 49 header bytes (part of the AAD).
    pub header: &'a [u8],
    /// IV || ciphertext || tag.
    pub sealed: &'a [u8],
}

impl<'a> SymmetricBlob<'a> {
    /// Parses a blob; `None` if it is not one of ours.
    pub fn parse(blob: &'a [u8]) -> Option<Self> {
        if blob.len() < OVERHEAD || !matches!(blob[0], VERSION_SYMMETRIC | VERSION_SYMMETRIC_MULTI_REGION) {
            return None;
        }
        let multi_region = blob[0] == VERSION_SYMMETRIC_MULTI_REGION;
        let key_uuid: [u8; 16] = blob[1..17].try_into().ok()?;
        let material_id: [u8; 32] = blob[17..49].try_into().ok()?;
        Some(Self { key_uuid, multi_region, material_id, header: &blob[..HEADER_LEN], sealed: &blob[HEADER_LEN..] })
    }

    /// The key id as the hyphenated UUID string KMS uses.
    pub fn key_id(&self) -> String {
        if self.multi_region {
            return format!("{}{}", crate::key::model::MULTI_REGION_PREFIX, hex::encode(self.key_uuid));
        }
        uuid::Uuid::from_bytes(self.key_uuid).to_string()
    }
}

/// Writes the 49-byte header for `key_id` (a UUID string) and a material id.
pub fn write_header(key_id: &str, material_id: &[u8; 32], out: &mut Vec<u8>) -> Option<()> {
    if let Some(hex_id) = key_id.strip_prefix(crate::key::model::MULTI_REGION_PREFIX) {
        let mut id = [0u8; 16];
        hex::decode_to_slice(hex_id, &mut id).ok()?;
        out.push(VERSION_SYMMETRIC_MULTI_REGION);
        out.extend_from_slice(&id);
        out.extend_from_slice(material_id);
        return Some(());
    }
    let uuid = uuid::Uuid::parse_str(key_id).ok()?;
    out.push(VERSION_SYMMETRIC);
    out.extend_from_slice(uuid.as_bytes());
    out.extend_from_slice(material_id);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_rejects() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut out = Vec::new();
        write_header(id, &[9u8; 32], &mut out).unwrap();
        out.extend_from_slice(&[0u8; IV_LEN + TAG_LEN + 3]);
        let b = SymmetricBlob::parse(&out).unwrap();
        assert_eq!(b.key_id(), id);
        assert_eq!(b.material_id, [9u8; 32]);
        let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
        let mut out = Vec::new();
        write_header(mrk, &[9u8; 32], &mut out).unwrap();
        out.extend_from_slice(&[0u8; IV_LEN + TAG_LEN + 3]);
        assert_eq!(SymmetricBlob::parse(&out).unwrap().key_id(), mrk);
        assert!(SymmetricBlob::parse(&out[..OVERHEAD - 1]).is_none());
        out[0] = 3;
        assert!(SymmetricBlob::parse(&out).is_none());
    }
}
