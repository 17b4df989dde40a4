//! Read-ahead and write-behind threads, so kernel copies of file data overlap with AES-GCM
//! and hashing instead of alternating with them. Memory stays bounded: a few chunks each.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Chunk size moved between threads.
pub(crate) const CHUNK: usize = 128 * 1024;
/// Chunks queued between threads.
const DEPTH: usize = 2;
/// Write-behind buffers leave room for one producer block beyond `CHUNK` so they never grow.
const WRITE_CAPACITY: usize = CHUNK + CHUNK / 2;

/// Where [`ReadAhead`] gets its chunks.
enum Feed {
    Thread { rx: Receiver<io::Result<Vec<u8>>>, back: SyncSender<Vec<u8>>, _handle: JoinHandle<()> },
    Inline(Box<dyn Read + Send>),
}

/// A `Read` whose data is read by a helper thread, up to `DEPTH` chunks ahead (or, in inline
/// mode, read on demand in chunks by the caller's thread).
pub(crate) struct ReadAhead {
    feed: Feed,
    cur: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl ReadAhead {
    /// Reads `inner` on a helper thread when `threaded`, else inline.
    pub(crate) fn with_mode<R: Read + Send + 'static>(inner: R, threaded: bool) -> io::Result<Self> {
        if threaded {
            Self::new(inner)
        } else {
            Ok(Self { feed: Feed::Inline(Box::new(inner)), cur: Vec::new(), pos: 0, eof: false })
        }
    }

    /// Starts reading `inner` on a helper thread.
    pub(crate) fn new<R: Read + Send + 'static>(inner: R) -> io::Result<Self> {
        Ok(Self { feed: spawn_feed(inner)?, cur: Vec::new(), pos: 0, eof: false })
    }

    /// Switches an inline reader to a helper thread from here on (after the header, once the
    /// suite tells whether a spare core is worth it).
    pub(crate) fn go_threaded(&mut self) -> io::Result<()> {
        if self.eof || matches!(self.feed, Feed::Thread { .. }) {
            return Ok(());
        }
        if let Feed::Inline(inner) = std::mem::replace(&mut self.feed, Feed::Inline(Box::new(io::empty()))) {
            self.feed = spawn_feed(inner)?;
        }
        Ok(())
    }

    /// Makes the next chunk current; false at end of input.
    fn advance(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.pos = 0;
        let (rx, back) = match &mut self.feed {
            Feed::Thread { rx, back, .. } => (rx, back),
            Feed::Inline(inner) => {
                let mut buf = std::mem::take(&mut self.cur);
                buf.clear();
                buf.reserve(CHUNK);
                let n = match inner.take(CHUNK as u64).read_to_end(&mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        self.eof = true;
                        return Err(e);
                    }
                };
                self.cur = buf;
                self.eof = n == 0;
                return Ok(n > 0);
            }
        };
        let done = std::mem::take(&mut self.cur);
        if done.capacity() > 0 {
            let _ = back.try_send(done);
        }
        match rx.recv() {
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

/// Starts the helper thread that reads `inner` into a fixed pool of chunks.
fn spawn_feed<R: Read + Send + 'static>(mut inner: R) -> io::Result<Feed> {
    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (back, back_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    // A fixed pool allocated here: the helper thread never allocates (per-thread allocator
    // heaps would otherwise cost megabytes of resident memory per thread).
    for _ in 0..DEPTH + 2 {
        let _ = back.try_send(Vec::with_capacity(CHUNK));
    }
    let handle = std::thread::Builder::new().name("trent-read".into()).spawn(move || {
        loop {
            let Ok(mut buf) = back_rx.recv() else { return };
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
    Ok(Feed::Thread { rx, back, _handle: handle })
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
    inline: Option<W>,
}

impl<W: Write + Send + 'static> WriteBehind<W> {
    /// Writes on a helper thread when `threaded`, else directly.
    pub(crate) fn with_mode(inner: W, threaded: bool) -> io::Result<Self> {
        if threaded {
            return Self::new(inner);
        }
        let (tx, back) = sync_channel::<Vec<u8>>(0);
        drop(tx);
        Ok(Self { tx: None, back, handle: None, buf: Vec::new(), inline: Some(inner) })
    }

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
        Ok(Self { tx: Some(tx), back, handle: Some(handle), buf: Vec::with_capacity(WRITE_CAPACITY), inline: None })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self.back.try_recv().unwrap_or_else(|_| Vec::with_capacity(WRITE_CAPACITY));
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
        if let Some(mut w) = self.inline.take() {
            w.flush()?;
            return Ok(w);
        }
        self.send()?;
        drop(self.tx.take());
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(io::Error::other("write-behind thread panicked")),
        }
    }
}

impl<W: Write + Send + 'static> Drop for WriteBehind<W> {
    /// Waits for the writer thread so the inner writer is dropped before we return (a
    /// temporary file must be deleted on error, not later by a detached thread).
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl<W: Write + Send + 'static> Write for WriteBehind<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(w) = &mut self.inline {
            return w.write(data);
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inline {
            Some(w) => w.flush(),
            None => self.send(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn read_ahead_and_write_behind_preserve_bytes() {
        let data: Vec<u8> = (0..3 * CHUNK + 123).map(|i| (i % 251) as u8).collect();
        for threaded in [true, false] {
            let mut r = ReadAhead::with_mode(std::io::Cursor::new(data.clone()), threaded).unwrap();
            let mut head = [0u8; 10];
            r.read_exact(&mut head).unwrap();
            let mut w = WriteBehind::with_mode(Vec::new(), threaded).unwrap();
            w.write_all(&head).unwrap();
            r.for_each_chunk(|c| w.write_all(c)).unwrap();
            assert_eq!(w.finish().unwrap(), data);
        }
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
