//! The message header (v1 and v2): serialization, parsing and the encrypted-data-key entries.

use std::io::Read;

use crate::context::EncryptionContext;
use crate::error::{Error, Result};
use crate::format::reader::TeeReader;
use crate::suite::AlgorithmSuite;

/// Largest frame length the other SDKs accept (Python rejects anything above 2^31 − 1).
pub const MAX_FRAME_LENGTH: u32 = i32::MAX as u32;
/// The v1 `type` byte: customer authenticated encrypted data.
const V1_MESSAGE_TYPE: u8 = 0x80;
/// Every ESDK suite uses 12-byte IVs.
pub const IV_LEN: usize = 12;
/// Every ESDK suite uses 16-byte GCM tags.
pub const TAG_LEN: usize = 16;
/// Commitment key length in v2 headers.
pub const COMMITMENT_LEN: usize = 32;

/// A data key encrypted by one wrapping key: who can decrypt it and the opaque ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// Key provider id; `aws-kms` for KMS keys.
    pub provider_id: String,
    /// Provider-specific info; the wrapping key ARN for KMS.
    pub provider_info: Vec<u8>,
    /// The encrypted data key (a KMS `CiphertextBlob`).
    pub ciphertext: Vec<u8>,
}

impl EncryptedDataKey {
    /// The entry as written in the header.
    pub fn serialize_into(&self, out: &mut Vec<u8>) -> Result<()> {
        for field in [self.provider_id.as_bytes(), &self.provider_info, &self.ciphertext] {
            let len = u16::try_from(field.len())
                .map_err(|_| Error::Config("encrypted data key field longer than 65535 bytes".into()))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(field);
        }
        Ok(())
    }
}

/// How the body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// One single encrypted block (legacy, read-only).
    NonFramed,
    /// A sequence of frames (the only layout written).
    Framed,
}

/// A parsed or to-be-written message header.
///
/// It keeps the exact bytes it was parsed from, because the header tag and the signature cover
/// those bytes, not a re-serialization.
#[derive(Debug, Clone)]
pub struct MessageHeader {
    /// Algorithm suite.
    pub suite: AlgorithmSuite,
    /// Random message id (16 bytes in v1, 32 in v2).
    pub message_id: Vec<u8>,
    /// Encryption context stored in the header.
    pub encryption_context: EncryptionContext,
    /// One entry per wrapping key.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Body layout.
    pub content_type: ContentType,
    /// Frame length (0 for non-framed).
    pub frame_length: u32,
    /// v2 only: the commitment key.
    pub commitment: Option<[u8; COMMITMENT_LEN]>,
    /// IV of the header tag (v1 stores it; v2 implies zeros).
    pub header_iv: [u8; IV_LEN],
    /// Header authentication tag.
    pub header_tag: [u8; TAG_LEN],
    body: Vec<u8>,
}

/// Fields needed to build the header of a new message.
pub(crate) struct NewHeader<'a> {
    pub suite: AlgorithmSuite,
    pub message_id: &'a [u8],
    pub encryption_context: &'a EncryptionContext,
    pub encrypted_data_keys: &'a [EncryptedDataKey],
    pub frame_length: u32,
    pub commitment: Option<[u8; COMMITMENT_LEN]>,
}

impl NewHeader<'_> {
    /// Serializes the header body (everything before the authentication fields).
    pub(crate) fn serialize_body(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(512);
        let version = self.suite.message_version();
        out.push(version);
        if version == 1 {
            out.push(V1_MESSAGE_TYPE);
        }
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(self.message_id);
        let ec = self.encryption_context.serialize()?;
        // serialize() caps the size at u16::MAX.
        out.extend_from_slice(&(ec.len() as u16).to_be_bytes());
        out.extend_from_slice(&ec);
        let count = u16::try_from(self.encrypted_data_keys.len())
            .map_err(|_| Error::Config("more than 65535 encrypted data keys".into()))?;
        if count == 0 {
            return Err(Error::Config("a message needs at least one encrypted data key".into()));
        }
        out.extend_from_slice(&count.to_be_bytes());
        for edk in self.encrypted_data_keys {
            edk.serialize_into(&mut out)?;
        }
        out.push(0x02); // framed
        if version == 1 {
            out.extend_from_slice(&[0, 0, 0, 0]); // reserved / content AAD length
            out.push(IV_LEN as u8);
        }
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        if let Some(c) = &self.commitment {
            out.extend_from_slice(c);
        }
        Ok(out)
    }
}

impl MessageHeader {
    /// The serialized header body, i.e. the AAD of the header tag.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The header authentication fields as written (IV ‖ tag in v1, tag in v2).
    pub fn auth_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(IV_LEN + TAG_LEN);
        if self.suite.message_version() == 1 {
            v.extend_from_slice(&self.header_iv);
        }
        v.extend_from_slice(&self.header_tag);
        v
    }

    /// Total serialized header length including authentication.
    pub fn len(&self) -> usize {
        self.body.len() + if self.suite.message_version() == 1 { IV_LEN } else { 0 } + TAG_LEN
    }

    /// Never true; headers have a fixed minimum size (provided for clippy's `len` convention).
    pub fn is_empty(&self) -> bool {
        false
    }

    pub(crate) fn from_parts(new: &NewHeader<'_>, body: Vec<u8>, header_tag: [u8; TAG_LEN]) -> Self {
        Self {
            suite: new.suite,
            message_id: new.message_id.to_vec(),
            encryption_context: new.encryption_context.clone(),
            encrypted_data_keys: new.encrypted_data_keys.to_vec(),
            content_type: ContentType::Framed,
            frame_length: new.frame_length,
            commitment: new.commitment,
            header_iv: [0; IV_LEN],
            header_tag,
            body,
        }
    }

    /// Reads a header (body and authentication fields) from the start of a message.
    ///
    /// `max_edks` is enforced before any entry is read, so a hostile header cannot make the
    /// reader buffer 65535 entries.
    pub fn read_from<R: Read>(input: &mut R, max_edks: Option<usize>) -> Result<Self> {
        let mut r = TeeReader::new(input, "header");
        let version = r.u8()?;
        match version {
            1 => {
                let ty = r.u8()?;
                if ty != V1_MESSAGE_TYPE {
                    return Err(Error::malformed(format!("unknown message type {ty:#04x}")));
                }
            }
            2 => {}
            v => return Err(Error::UnsupportedVersion(v)),
        }
        let suite = AlgorithmSuite::from_id(r.u16()?)?;
        if suite.message_version() != version {
            return Err(Error::malformed(format!("suite {suite} cannot appear in a version {version} header")));
        }
        let id_range = r.take(suite.message_id_len())?;
        let message_id = r.slice(id_range).to_vec();
        let ec_bytes = r.bytes_u16()?;
        let encryption_context = EncryptionContext::deserialize(&ec_bytes)?;

        let count = usize::from(r.u16()?);
        if count == 0 {
            return Err(Error::malformed("header has no encrypted data keys"));
        }
        if let Some(max) = max_edks
            && count > max
        {
            return Err(Error::TooManyEncryptedDataKeys { count, max });
        }
        let mut encrypted_data_keys = Vec::with_capacity(count);
        for _ in 0..count {
            let provider_id =
                String::from_utf8(r.bytes_u16()?).map_err(|_| Error::malformed("key provider id is not UTF-8"))?;
            let provider_info = r.bytes_u16()?;
            let ciphertext = r.bytes_u16()?;
            encrypted_data_keys.push(EncryptedDataKey { provider_id, provider_info, ciphertext });
        }

        let content_type = match r.u8()? {
            1 => ContentType::NonFramed,
            2 => ContentType::Framed,
            t => return Err(Error::malformed(format!("unknown content type {t:#04x}"))),
        };
        if version == 1 {
            if r.u32()? != 0 {
                return Err(Error::malformed("reserved header field is not zero"));
            }
            let iv_len = r.u8()?;
            if usize::from(iv_len) != IV_LEN {
                return Err(Error::malformed(format!("IV length {iv_len} is not 12")));
            }
        }
        let frame_length = r.u32()?;
        match content_type {
            ContentType::Framed if frame_length == 0 || frame_length > MAX_FRAME_LENGTH => {
                return Err(Error::malformed(format!("invalid frame length {frame_length}")));
            }
            ContentType::NonFramed if frame_length != 0 => {
                return Err(Error::malformed("non-framed message with a frame length"));
            }
            _ => {}
        }
        let commitment = if version == 2 {
            let range = r.take(COMMITMENT_LEN)?;
            let mut c = [0u8; COMMITMENT_LEN];
            c.copy_from_slice(r.slice(range));
            Some(c)
        } else {
            None
        };
        r.set_part("header authentication");
        let mut header_iv = [0u8; IV_LEN];
        let body_end;
        if version == 1 {
            let range = r.take(IV_LEN)?;
            body_end = range.start;
            header_iv.copy_from_slice(r.slice(range));
        } else {
            body_end = r.take(0)?.start;
        }
        let tag_range = r.take(TAG_LEN)?;
        let mut header_tag = [0u8; TAG_LEN];
        header_tag.copy_from_slice(r.slice(tag_range));
        let mut body = r.into_raw();
        body.truncate(body_end);
        Ok(Self {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
            content_type,
            frame_length,
            commitment,
            header_iv,
            header_tag,
            body,
        })
    }
}
