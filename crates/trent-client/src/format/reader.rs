//! Big-endian field readers over a byte slice or a stream, with truncation errors that name the
//! message part being read.

use std::io::{ErrorKind, Read};

use crate::error::{Error, Result};

/// Reads fields from an in-memory slice.
pub(crate) struct SliceReader<'a> {
    buf: &'a [u8],
    part: &'static str,
}

impl<'a> SliceReader<'a> {
    pub(crate) fn new(buf: &'a [u8], part: &'static str) -> Self {
        Self { buf, part }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(Error::Truncated(self.part));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn bytes_u16(&mut self) -> Result<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Reads fields from a stream, keeping a copy of every byte read (the raw header is needed for
/// the header tag and the signature).
pub(crate) struct TeeReader<'r, R: Read> {
    inner: &'r mut R,
    raw: Vec<u8>,
    part: &'static str,
}

impl<'r, R: Read> TeeReader<'r, R> {
    pub(crate) fn new(inner: &'r mut R, part: &'static str) -> Self {
        Self { inner, raw: Vec::with_capacity(512), part }
    }

    pub(crate) fn set_part(&mut self, part: &'static str) {
        self.part = part;
    }

    /// Reads exactly `n` bytes and returns their position in the raw copy.
    pub(crate) fn take(&mut self, n: usize) -> Result<std::ops::Range<usize>> {
        let start = self.raw.len();
        // Grow step by step so a lying length field cannot make us allocate more than the
        // input actually holds.
        let mut remaining = n;
        while remaining > 0 {
            let step = remaining.min(64 * 1024);
            let at = self.raw.len();
            self.raw.resize(at + step, 0);
            read_full(self.inner, &mut self.raw[at..], self.part)?;
            remaining -= step;
        }
        Ok(start..start + n)
    }

    pub(crate) fn slice(&self, r: std::ops::Range<usize>) -> &[u8] {
        &self.raw[r]
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let r = self.take(1)?;
        Ok(self.raw[r.start])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let r = self.take(2)?;
        Ok(u16::from_be_bytes([self.raw[r.start], self.raw[r.start + 1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        let r = self.take(4)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.raw[r]);
        Ok(u32::from_be_bytes(b))
    }

    pub(crate) fn bytes_u16(&mut self) -> Result<Vec<u8>> {
        let n = self.u16()?;
        let r = self.take(usize::from(n))?;
        Ok(self.raw[r].to_vec())
    }

    pub(crate) fn into_raw(self) -> Vec<u8> {
        self.raw
    }
}

/// Fills `buf` completely or fails with `Truncated(part)`.
pub(crate) fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8], part: &'static str) -> Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => return Err(Error::Truncated(part)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(())
}

/// Reads into `buf` until it is full or the input ends; returns the count read.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(filled)
}
