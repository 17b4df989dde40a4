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

/// Message bytes gathered before they are hashed, and plaintext gathered before it is written.
const BLOCK: usize = 64 * 1024;

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
                let mut head = header.body_bytes().to_vec();
                head.extend_from_slice(&header.auth_bytes());
                let _ = v.consume(head)?;
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

    /// Decrypts the whole body into `out`, then checks the footer and the end of input.
    ///
    /// Raw message bytes are collected in blocks of about 64 KiB (hashed on a helper thread
    /// for large signed messages) and frames are decrypted out of place into an output block,
    /// so every byte is copied once on the way in and once on the way out.
    pub fn decrypt_to<W: Write + ?Sized>(
        mut self,
        out: &mut W,
        mut progress: Option<ProgressFn<'_>>,
    ) -> Result<DecryptSummary> {
        let frame_length = match self.header.content_type {
            ContentType::Framed => self.header.frame_length as usize,
            ContentType::NonFramed => 0,
        };
        let mut raw = RawBlock { block: Vec::with_capacity(BLOCK + frame_length + 64), consumed: self.consumed };
        let mut plain: Vec<u8> = Vec::with_capacity(BLOCK + frame_length);
        let mut aad = Vec::with_capacity(128);
        let message_id = self.header.message_id.clone();
        let mut plaintext_len = 0u64;
        let mut expected: u32 = 1;
        loop {
            let (seq, last, iv, len) = match self.header.content_type {
                ContentType::Framed => {
                    let mut seq = raw.u32(&mut self.input)?;
                    let last = seq == FINAL_FRAME_MARKER;
                    if last {
                        seq = raw.u32(&mut self.input)?;
                    }
                    if seq != expected {
                        return Err(Error::malformed(format!("frame {seq} found where frame {expected} was expected")));
                    }
                    let iv = raw.iv(&mut self.input)?;
                    let len = if last {
                        let len = raw.u32(&mut self.input)? as usize;
                        if len > frame_length {
                            return Err(Error::malformed(format!(
                                "final frame of {len} bytes is longer than the frame length {frame_length}"
                            )));
                        }
                        len
                    } else {
                        frame_length
                    };
                    (seq, last, iv, len)
                }
                ContentType::NonFramed => {
                    let iv = raw.iv(&mut self.input)?;
                    let range = raw.take(&mut self.input, 8)?;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&raw.block[range]);
                    let len = u64::from_be_bytes(b);
                    if len > MAX_NON_FRAMED_LEN {
                        return Err(Error::malformed("non-framed body longer than GCM allows"));
                    }
                    if len > self.max_frame_length {
                        return Err(Error::FrameTooLarge { len, max: self.max_frame_length });
                    }
                    // Bounded by max_frame_length above.
                    (1, true, iv, len as usize)
                }
            };
            let body = raw.take(&mut self.input, len + TAG_LEN)?;
            let (ct, tag) = raw.block[body].split_at(len);
            let label = match (self.header.content_type, last) {
                (ContentType::NonFramed, _) => LABEL_SINGLE,
                (_, true) => LABEL_FINAL,
                (_, false) => LABEL_FRAME,
            };
            let aad = frame_aad(&mut aad, &message_id, label, seq, len as u64);
            let at = plain.len();
            plain.resize(at + len, 0);
            self.key.open_into(&iv, aad, ct, tag, &mut plain[at..], seq)?;
            plaintext_len += len as u64;
            if plain.len() >= BLOCK {
                out.write_all(&plain)?;
                plain.clear();
            }
            if raw.block.len() >= BLOCK || last {
                let block = std::mem::take(&mut raw.block);
                raw.block = match &mut self.verifier {
                    Some(v) => v.consume(block)?,
                    None => {
                        let mut b = block;
                        b.clear();
                        b
                    }
                };
                raw.block.reserve(BLOCK + frame_length + 64);
                if let Some(p) = progress.as_mut() {
                    p(raw.consumed);
                }
            }
            if last {
                break;
            }
            expected = expected
                .checked_add(1)
                .filter(|s| *s != FINAL_FRAME_MARKER)
                .ok_or_else(|| Error::malformed("too many frames"))?;
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
        out.write_all(&plain)?;
        out.flush()?;
        Ok(DecryptSummary { header: self.header, plaintext_len, signature_verified })
    }
}

/// Raw bytes of the message body collected into one block, read field by field.
struct RawBlock {
    block: Vec<u8>,
    consumed: u64,
}

impl RawBlock {
    /// Appends exactly `n` bytes from `input` and returns where they are.
    fn take<R: Read>(&mut self, input: &mut R, n: usize) -> Result<std::ops::Range<usize>> {
        let start = self.block.len();
        self.block.reserve(n);
        // `take` + `read_to_end` fills spare capacity without zeroing it first.
        let got = input.by_ref().take(n as u64).read_to_end(&mut self.block)?;
        if got != n {
            return Err(Error::Truncated("body"));
        }
        self.consumed += n as u64;
        Ok(start..start + n)
    }

    fn u32<R: Read>(&mut self, input: &mut R) -> Result<u32> {
        let r = self.take(input, 4)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.block[r]);
        Ok(u32::from_be_bytes(b))
    }

    fn iv<R: Read>(&mut self, input: &mut R) -> Result<[u8; IV_LEN]> {
        let r = self.take(input, IV_LEN)?;
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&self.block[r]);
        Ok(iv)
    }
}
