//! Read-ahead and write-behind threads, so kernel copies of file data overlap with AES-GCM
//! and hashing instead of alternating with them. Memory stays bounded: a few chunks each.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Chunk size moved between threads.
pub(crate) const CHUNK: usize = 256 * 1024;
/// Chunks queued between threads.
const DEPTH: usize = 4;

/// A `Read` whose data is read by a helper thread, up to `DEPTH` chunks ahead.
pub(crate) struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    eof: bool,
    _handle: JoinHandle<()>,
}

impl ReadAhead {
    /// Starts reading `inner` on a helper thread.
    pub(crate) fn new<R: Read + Send + 'static>(mut inner: R) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (back, back_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let handle = std::thread::Builder::new().name("trent-read".into()).spawn(move || {
            loop {
                let mut buf = back_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                buf.clear();
                match (&mut inner).take(CHUNK as u64).read_to_end(&mut buf) {
                    Ok(0) => {
                        let _ = tx.send(Ok(buf));
                        return;
                    }
                    Ok(_) => {
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })?;
        Ok(Self { rx, back, cur: Vec::new(), pos: 0, eof: false, _handle: handle })
    }

    /// Makes the next chunk current; false at end of input.
    fn advance(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let done = std::mem::take(&mut self.cur);
        if done.capacity() > 0 {
            let _ = self.back.try_send(done);
        }
        self.pos = 0;
        match self.rx.recv() {
            Ok(Ok(chunk)) if chunk.is_empty() => {
                self.eof = true;
                Ok(false)
            }
            Ok(Ok(chunk)) => {
                self.cur = chunk;
                Ok(true)
            }
            Ok(Err(e)) => {
                self.eof = true;
                Err(e)
            }
            Err(_) => {
                self.eof = true;
                Err(io::Error::other("read-ahead thread stopped"))
            }
        }
    }

    /// Calls `f` with every remaining chunk of input, without copying it.
    pub(crate) fn for_each_chunk<E: From<io::Error>>(
        &mut self,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.pos < self.cur.len() {
            f(&self.cur[self.pos..])?;
            self.pos = self.cur.len();
        }
        while self.advance()? {
            f(&self.cur)?;
            self.pos = self.cur.len();
        }
        Ok(())
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos == self.cur.len() && !self.advance()? {
            return Ok(0);
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A `Write` whose data is written by a helper thread; call [`WriteBehind::finish`] to wait
/// for it and get the inner writer back (errors surface there or on a later write).
pub(crate) struct WriteBehind<W: Write + Send + 'static> {
    tx: Option<SyncSender<Vec<u8>>>,
    back: Receiver<Vec<u8>>,
    handle: Option<JoinHandle<io::Result<W>>>,
    buf: Vec<u8>,
}

impl<W: Write + Send + 'static> WriteBehind<W> {
    /// Starts a writer thread for `inner`.
    pub(crate) fn new(mut inner: W) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
        let (back_tx, back) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let handle = std::thread::Builder::new().name("trent-write".into()).spawn(move || {
            for buf in rx {
                inner.write_all(&buf)?;
                let _ = back_tx.try_send(buf);
            }
            inner.flush()?;
            Ok(inner)
        })?;
        Ok(Self { tx: Some(tx), back, handle: Some(handle), buf: Vec::with_capacity(CHUNK) })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self.back.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        self.buf.clear();
        let sent = self.tx.as_ref().map(|tx| tx.send(full).is_ok()).unwrap_or(false);
        if sent { Ok(()) } else { Err(self.stop()) }
    }

    /// The writer thread's error after it stopped.
    fn stop(&mut self) -> io::Error {
        drop(self.tx.take());
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            _ => io::Error::other("write-behind thread stopped"),
        }
    }

    /// Writes what is pending, waits for the thread and returns the flushed inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.send()?;
        drop(self.tx.take());
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(io::Error::other("write-behind thread panicked")),
        }
    }
}

impl<W: Write + Send + 'static> Write for WriteBehind<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn read_ahead_and_write_behind_preserve_bytes() {
        let data: Vec<u8> = (0..3 * CHUNK + 123).map(|i| (i % 251) as u8).collect();
        let mut r = ReadAhead::new(std::io::Cursor::new(data.clone())).unwrap();
        let mut head = [0u8; 10];
        r.read_exact(&mut head).unwrap();
        let mut w = WriteBehind::new(Vec::new()).unwrap();
        w.write_all(&head).unwrap();
        r.for_each_chunk(|c| w.write_all(c)).unwrap();
        assert_eq!(w.finish().unwrap(), data);
    }

    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_surface() {
        let mut w = WriteBehind::new(Failing).unwrap();
        let chunk = vec![0u8; CHUNK];
        let mut failed = false;
        for _ in 0..20 {
            if w.write_all(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || w.finish().is_err());
    }
}
