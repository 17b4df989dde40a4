//! Body layout constants and the per-frame AAD.

/// Marker that precedes the final frame's sequence number.
pub(crate) const FINAL_FRAME_MARKER: u32 = u32::MAX;
/// AAD label of regular frames.
pub(crate) const LABEL_FRAME: &[u8] = b"AWSKMSEncryptionClient Frame";
/// AAD label of the final frame.
pub(crate) const LABEL_FINAL: &[u8] = b"AWSKMSEncryptionClient Final Frame";
/// AAD label of a non-framed body.
pub(crate) const LABEL_SINGLE: &[u8] = b"AWSKMSEncryptionClient Single Block";
/// Largest non-framed body GCM allows (2^36 − 32).
pub(crate) const MAX_NON_FRAMED_LEN: u64 = (1 << 36) - 32;

/// Builds the frame AAD: message id ‖ label ‖ u32 sequence number ‖ u64 plaintext length.
/// Reuses `buf` to avoid an allocation per frame.
pub(crate) fn frame_aad<'b>(buf: &'b mut Vec<u8>, message_id: &[u8], label: &[u8], seq: u32, len: u64) -> &'b [u8] {
    buf.clear();
    buf.extend_from_slice(message_id);
    buf.extend_from_slice(label);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&len.to_be_bytes());
    buf
}
