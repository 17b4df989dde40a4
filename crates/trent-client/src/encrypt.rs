//! Streaming encryption: an `io::Write` adapter that emits the header, frames and footer.

use std::io::{self, Write};

use aws_lc_rs::rand;

use crate::crypto::kdf::{self, MessageKey};
use crate::crypto::signature::Signer;
use crate::error::{Error, Result};
use crate::format::body::{FINAL_FRAME_MARKER, LABEL_FINAL, LABEL_FRAME, frame_aad};
use crate::format::header::{MAX_FRAME_LENGTH, MessageHeader, NewHeader, TAG_LEN};
use crate::materials::EncryptionMaterials;

/// Default frame length, as in every ESDK.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;
/// Largest frame length this library writes: one frame is held in memory, so frames are capped
/// to keep memory flat; other SDKs accept up to 2^31 − 1.
pub const MAX_WRITE_FRAME_LENGTH: u32 = 16 * 1024 * 1024;
/// Ciphertext is handed to the inner writer in chunks of about this size.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Checks a frame length for writing: 16..=16 MiB and a multiple of 16 (the Python SDK rejects
/// other values).
pub fn validate_frame_length(frame_length: u32) -> Result<()> {
    if frame_length == 0
        || !frame_length.is_multiple_of(16)
        || frame_length > MAX_WRITE_FRAME_LENGTH.min(MAX_FRAME_LENGTH)
    {
        return Err(Error::Config(format!(
            "frame length {frame_length} must be a multiple of 16 between 16 and {MAX_WRITE_FRAME_LENGTH}"
        )));
    }
    Ok(())
}

/// What was written.
#[derive(Debug, Clone)]
pub struct EncryptSummary {
    /// The header of the message.
    pub header: MessageHeader,
    /// Plaintext bytes consumed.
    pub plaintext_len: u64,
    /// Message bytes produced.
    pub message_len: u64,
}

/// Encrypts a plaintext stream into an ESDK message.
///
/// Write plaintext with [`Write`]; call [`Encryptor::finish`] to emit the final frame and the
/// footer. A full frame is emitted as soon as it is complete, so a plaintext that is an exact
/// multiple of the frame length ends with an empty final frame (as the Python SDK writes it).
/// Memory use is one frame plus a 64 KiB output buffer, whatever the input size.
pub struct Encryptor<W: Write> {
    out: W,
    key: MessageKey,
    message_id: Vec<u8>,
    frame_length: usize,
    seq: u32,
    pending: Vec<u8>,
    staged: Vec<u8>,
    aad: Vec<u8>,
    signer: Option<Signer>,
    declared_len: Option<u64>,
    plaintext_len: u64,
    message_len: u64,
    header: MessageHeader,
}

impl<W: Write> Encryptor<W> {
    /// Writes the header for a new message to `out` and returns the encryptor.
    pub fn new(out: W, materials: &EncryptionMaterials, frame_length: u32) -> Result<Self> {
        validate_frame_length(frame_length)?;
        let suite = materials.suite;
        let mut message_id = vec![0u8; suite.message_id_len()];
        rand::fill(&mut message_id).map_err(|_| Error::Crypto("random"))?;
        let (key, commitment) = kdf::derive(suite, &materials.data_key, &message_id)?;
        let new = NewHeader {
            suite,
            message_id: &message_id,
            encryption_context: &materials.encryption_context,
            encrypted_data_keys: &materials.encrypted_data_keys,
            frame_length,
            commitment,
        };
        let body = new.serialize_body()?;
        let tag = key.header_tag(&[0; 12], &body)?;
        let header = MessageHeader::from_parts(&new, body, tag);
        let signer = match (&materials.signing_key, suite.signature()) {
            (Some(k), Some(curve)) if k.curve() == curve => Some(Signer::new(k.clone())),
            (None, None) => None,
            _ => return Err(Error::Config("signing key does not match the suite".into())),
        };
        let mut enc = Self {
            out,
            key,
            message_id,
            frame_length: frame_length as usize,
            seq: 0,
            pending: Vec::with_capacity(frame_length as usize),
            staged: Vec::with_capacity(FLUSH_THRESHOLD + frame_length as usize + 64),
            aad: Vec::with_capacity(128),
            signer,
            declared_len: None,
            plaintext_len: 0,
            message_len: 0,
            header,
        };
        enc.staged.extend_from_slice(enc.header.body_bytes());
        let auth = enc.header.auth_bytes();
        enc.staged.extend_from_slice(&auth);
        Ok(enc)
    }

    /// Declares the plaintext length up front; writing more fails. Use this when materials were
    /// obtained for a known length (e.g. from a caching manager counting bytes).
    pub fn with_declared_length(mut self, len: u64) -> Self {
        self.declared_len = Some(len);
        self
    }

    /// The header written.
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// Encrypts plaintext; same as [`Write::write_all`] but with the library error type.
    pub fn update(&mut self, mut data: &[u8]) -> Result<()> {
        self.plaintext_len += data.len() as u64;
        if let Some(max) = self.declared_len
            && self.plaintext_len > max
        {
            return Err(Error::PlaintextLengthExceeded(max));
        }
        while !data.is_empty() {
            if self.pending.is_empty() && data.len() >= self.frame_length {
                let (frame, rest) = data.split_at(self.frame_length);
                self.seal_frame(frame, false)?;
                data = rest;
                continue;
            }
            let take = (self.frame_length - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == self.frame_length {
                let frame = std::mem::take(&mut self.pending);
                let r = self.seal_frame(&frame, false);
                self.pending = frame;
                self.pending.clear();
                r?;
            }
        }
        Ok(())
    }

    fn seal_frame(&mut self, plaintext: &[u8], last: bool) -> Result<()> {
        self.seq = self
            .seq
            .checked_add(1)
            .filter(|s| *s != FINAL_FRAME_MARKER || last)
            .ok_or_else(|| Error::Config("message would need more than 2^32 - 1 frames".into()))?;
        let iv = kdf::frame_iv(self.seq);
        if last {
            self.staged.extend_from_slice(&FINAL_FRAME_MARKER.to_be_bytes());
        }
        self.staged.extend_from_slice(&self.seq.to_be_bytes());
        self.staged.extend_from_slice(&iv);
        if last {
            self.staged.extend_from_slice(&(plaintext.len() as u32).to_be_bytes());
        }
        let start = self.staged.len();
        self.staged.extend_from_slice(plaintext);
        let label = if last { LABEL_FINAL } else { LABEL_FRAME };
        let aad = frame_aad(&mut self.aad, &self.message_id, label, self.seq, plaintext.len() as u64);
        let tag = self.key.seal(&iv, aad, &mut self.staged[start..])?;
        self.staged.extend_from_slice(&tag);
        if self.staged.len() >= FLUSH_THRESHOLD {
            self.flush_staged()?;
        }
        Ok(())
    }

    fn flush_staged(&mut self) -> Result<()> {
        self.out.write_all(&self.staged)?;
        self.message_len += self.staged.len() as u64;
        match &mut self.signer {
            Some(s) => {
                // Hash what was just written (on a helper thread for large messages).
                let block = std::mem::take(&mut self.staged);
                self.staged = s.consume(block)?;
                self.staged.reserve(FLUSH_THRESHOLD + self.frame_length + 64);
            }
            None => self.staged.clear(),
        }
        Ok(())
    }

    /// Emits the final frame and the footer, flushes, and returns the inner writer.
    pub fn finish(mut self) -> Result<(W, EncryptSummary)> {
        let rest = std::mem::take(&mut self.pending);
        self.seal_frame(&rest, true)?;
        self.flush_staged()?;
        if let Some(signer) = self.signer.take() {
            let sig = signer.finish()?;
            let mut footer = Vec::with_capacity(2 + sig.len());
            footer.extend_from_slice(&(sig.len() as u16).to_be_bytes());
            footer.extend_from_slice(&sig);
            self.out.write_all(&footer)?;
            self.message_len += footer.len() as u64;
        }
        self.out.flush()?;
        let summary =
            EncryptSummary { header: self.header, plaintext_len: self.plaintext_len, message_len: self.message_len };
        Ok((self.out, summary))
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf).map_err(to_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) fn to_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// Size of the final frame overhead, exposed for size arithmetic in tests.
pub const FINAL_FRAME_OVERHEAD: usize = 4 + 4 + 12 + 4 + TAG_LEN;
