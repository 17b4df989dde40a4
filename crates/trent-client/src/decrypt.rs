//! Streaming decryption: checks the commitment and header tag, then authenticates each frame,
//! the final-frame marker, the footer signature and the end of input.

use std::io::{Read, Write};

use crate::crypto::kdf::{self, MessageKey};
use crate::crypto::signature::Verifier;
use crate::error::{Error, Result};
use crate::format::body::{FINAL_FRAME_MARKER, LABEL_FINAL, LABEL_FRAME, LABEL_SINGLE, MAX_NON_FRAMED_LEN, frame_aad};
use crate::format::header::{ContentType, IV_LEN, MessageHeader, TAG_LEN};
use crate::format::reader::{read_full, read_up_to};
use crate::materials::DecryptionMaterials;

/// Default cap on the frame (or non-framed body) size accepted when decrypting. One frame is
/// held in memory at a time, so this bounds memory use; raise it for messages written with
/// larger frames.
pub const DEFAULT_MAX_FRAME_LENGTH: u64 = 16 * 1024 * 1024;

/// What was read.
#[derive(Debug, Clone)]
pub struct DecryptSummary {
    /// The message header.
    pub header: MessageHeader,
    /// Plaintext bytes produced.
    pub plaintext_len: u64,
    /// Whether a footer signature was verified.
    pub signature_verified: bool,
}

/// Callback receiving the number of message bytes consumed so far (for progress bars).
pub type ProgressFn<'a> = &'a mut dyn FnMut(u64);

/// Decrypts the body of a message whose header has already been read.
///
/// Every frame is authenticated before its plaintext is written, but the message as a whole
/// (final frame present, signature valid, nothing trailing) is only known to be authentic when
/// [`Decryptor::decrypt_to`] returns `Ok`. For signed suites, treat what was written as
/// unverified until then and discard it on error; [`crate::EnvelopeClient`] does that for you
/// (temporary file + rename, or a spool file before releasing to a stream).
pub struct Decryptor<R: Read> {
    input: R,
    header: MessageHeader,
    key: MessageKey,
    verifier: Option<Verifier>,
    max_frame_length: u64,
    consumed: u64,
}

impl<R: Read> Decryptor<R> {
    /// Verifies the key commitment (v2) and the header tag with `materials`, and prepares to
    /// read the body from `input` (positioned right after the header).
    pub fn new(
        input: R,
        header: MessageHeader,
        materials: &DecryptionMaterials,
        max_frame_length: u64,
    ) -> Result<Self> {
        if materials.suite != header.suite {
            return Err(Error::Config("materials are for another suite".into()));
        }
        let body_len = match header.content_type {
            ContentType::Framed => u64::from(header.frame_length),
            ContentType::NonFramed => 0,
        };
        if body_len > max_frame_length {
            return Err(Error::FrameTooLarge { len: body_len, max: max_frame_length });
        }
        let (key, commitment) = kdf::derive(header.suite, &materials.data_key, &header.message_id)?;
        if let (Some(stored), Some(computed)) = (&header.commitment, &commitment) {
            kdf::check_commitment(stored, computed)?;
        }
        key.verify_header(&header.header_iv, header.body_bytes(), &header.header_tag)?;
        let verifier = match (header.suite.signature(), &materials.verification_key) {
            (Some(curve), Some(k)) => {
                let mut v = Verifier::new(curve, k)?;
                v.update(header.body_bytes());
                v.update(&header.auth_bytes());
                Some(v)
            }
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::malformed("signed message without aws-crypto-public-key in its encryption context"));
            }
        };
        let consumed = header.len() as u64;
        Ok(Self { input, header, key, verifier, max_frame_length, consumed })
    }

    /// The header.
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    fn read(&mut self, buf: &mut [u8], part: &'static str) -> Result<()> {
        read_full(&mut self.input, buf, part)?;
        if let Some(v) = &mut self.verifier {
            v.update(buf);
        }
        self.consumed += buf.len() as u64;
        Ok(())
    }

    /// Decrypts the whole body into `out`, then checks the footer and the end of input.
    pub fn decrypt_to<W: Write + ?Sized>(
        mut self,
        out: &mut W,
        mut progress: Option<ProgressFn<'_>>,
    ) -> Result<DecryptSummary> {
        let mut buf = Vec::new();
        let mut aad = Vec::with_capacity(128);
        let message_id = self.header.message_id.clone();
        let mut plaintext_len = 0u64;
        match self.header.content_type {
            ContentType::Framed => {
                let frame_length = self.header.frame_length as usize;
                buf.reserve_exact(frame_length + TAG_LEN);
                let mut expected: u32 = 1;
                loop {
                    let mut word = [0u8; 4];
                    self.read(&mut word, "body")?;
                    let mut seq = u32::from_be_bytes(word);
                    let last = seq == FINAL_FRAME_MARKER;
                    if last {
                        self.read(&mut word, "body")?;
                        seq = u32::from_be_bytes(word);
                    }
                    if seq != expected {
                        return Err(Error::malformed(format!("frame {seq} found where frame {expected} was expected")));
                    }
                    let mut iv = [0u8; IV_LEN];
                    self.read(&mut iv, "body")?;
                    let len = if last {
                        self.read(&mut word, "body")?;
                        let len = u32::from_be_bytes(word) as usize;
                        if len > frame_length {
                            return Err(Error::malformed(format!(
                                "final frame of {len} bytes is longer than the frame length {frame_length}"
                            )));
                        }
                        len
                    } else {
                        frame_length
                    };
                    buf.resize(len + TAG_LEN, 0);
                    self.read(&mut buf, "body")?;
                    let (ct, tag) = buf.split_at_mut(len);
                    let label = if last { LABEL_FINAL } else { LABEL_FRAME };
                    let aad = frame_aad(&mut aad, &message_id, label, seq, len as u64);
                    self.key.open(&iv, aad, ct, tag, seq)?;
                    out.write_all(ct)?;
                    plaintext_len += len as u64;
                    if let Some(p) = progress.as_mut() {
                        p(self.consumed);
                    }
                    if last {
                        break;
                    }
                    expected = expected
                        .checked_add(1)
                        .filter(|s| *s != FINAL_FRAME_MARKER)
                        .ok_or_else(|| Error::malformed("too many frames"))?;
                }
            }
            ContentType::NonFramed => {
                let mut iv = [0u8; IV_LEN];
                self.read(&mut iv, "body")?;
                let mut len_bytes = [0u8; 8];
                self.read(&mut len_bytes, "body")?;
                let len = u64::from_be_bytes(len_bytes);
                if len > MAX_NON_FRAMED_LEN {
                    return Err(Error::malformed("non-framed body longer than GCM allows"));
                }
                if len > self.max_frame_length {
                    return Err(Error::FrameTooLarge { len, max: self.max_frame_length });
                }
                // Bounded by max_frame_length above.
                let len = len as usize;
                buf.resize(len + TAG_LEN, 0);
                self.read(&mut buf, "body")?;
                let (ct, tag) = buf.split_at_mut(len);
                let aad = frame_aad(&mut aad, &message_id, LABEL_SINGLE, 1, len as u64);
                self.key.open(&iv, aad, ct, tag, 1)?;
                out.write_all(ct)?;
                plaintext_len = len as u64;
            }
        }
        let signature_verified = match self.verifier.take() {
            Some(verifier) => {
                let mut len = [0u8; 2];
                read_full(&mut self.input, &mut len, "footer")?;
                let mut sig = vec![0u8; usize::from(u16::from_be_bytes(len))];
                read_full(&mut self.input, &mut sig, "footer")?;
                verifier.verify(&sig)?;
                true
            }
            None => false,
        };
        let mut probe = [0u8; 1];
        if read_up_to(&mut self.input, &mut probe)? != 0 {
            return Err(Error::TrailingData);
        }
        out.flush()?;
        Ok(DecryptSummary { header: self.header, plaintext_len, signature_verified })
    }
}
