//! Message hashing on a helper thread, so the (sequential, ~350 MB/s) SHA-384 of signed
//! messages runs alongside AES-GCM and I/O instead of after them.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use aws_lc_rs::digest;

use crate::error::{Error, Result};

/// Buffers queued or being hashed at once (bounds memory: about this many blocks).
const IN_FLIGHT: usize = 8;

/// A digest context fed with shared blocks on a background thread, in submission order.
pub(crate) struct BackgroundDigest {
    tx: Option<SyncSender<Arc<Vec<u8>>>>,
    back: Receiver<Arc<Vec<u8>>>,
    handle: Option<JoinHandle<digest::Context>>,
    outstanding: usize,
    block_capacity: usize,
}

impl BackgroundDigest {
    /// Moves `ctx` to a new thread.
    pub(crate) fn start(mut ctx: digest::Context, block_capacity: usize) -> Result<Self> {
        let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(IN_FLIGHT);
        let (back_tx, back) = sync_channel::<Arc<Vec<u8>>>(IN_FLIGHT + 1);
        let handle = std::thread::Builder::new()
            .name("trent-digest".into())
            .spawn(move || {
                for block in rx {
                    ctx.update(&block);
                    // The owner may have gone away; a lost buffer is fine.
                    let _ = back_tx.try_send(block);
                }
                ctx
            })
            .map_err(Error::Io)?;
        Ok(Self { tx: Some(tx), back, handle: Some(handle), outstanding: 0, block_capacity })
    }

    /// Queues a block for hashing (blocks when the helper is `IN_FLIGHT` blocks behind).
    pub(crate) fn submit(&mut self, block: Arc<Vec<u8>>) -> Result<()> {
        let tx = self.tx.as_ref().ok_or(Error::Crypto("digest thread already finished"))?;
        tx.send(block).map_err(|_| Error::Crypto("digest thread stopped"))?;
        self.outstanding += 1;
        Ok(())
    }

    /// An empty buffer to fill next: a recycled one, or a new one while few are outstanding.
    pub(crate) fn next_buffer(&mut self) -> Vec<u8> {
        let recycled = if self.outstanding >= IN_FLIGHT { self.back.recv().ok() } else { self.back.try_recv().ok() };
        if let Some(arc) = recycled {
            self.outstanding = self.outstanding.saturating_sub(1);
            if let Ok(mut v) = Arc::try_unwrap(arc) {
                v.clear();
                return v;
            }
        }
        Vec::with_capacity(self.block_capacity)
    }

    /// Waits for every block to be hashed and returns the context.
    pub(crate) fn finish(mut self) -> Result<digest::Context> {
        drop(self.tx.take());
        self.handle
            .take()
            .ok_or(Error::Crypto("digest thread already finished"))?
            .join()
            .map_err(|_| Error::Crypto("digest thread panicked"))
    }
}

/// Where hashed bytes go: inline for small messages, a helper thread for large ones.
pub(crate) enum DigestSink {
    Inline(digest::Context),
    Background(BackgroundDigest),
}

impl DigestSink {
    /// Hashes a block that the caller is done modifying. Small inputs stay inline; the first
    /// block of at least `threshold` bytes moves hashing to a helper thread. Returns the buffer
    /// to fill next (possibly the same allocation, cleared).
    pub(crate) fn consume(&mut self, block: Vec<u8>, threshold: usize) -> Result<Vec<u8>> {
        if let Self::Inline(ctx) = self
            && block.len() >= threshold
        {
            let moved = std::mem::replace(ctx, digest::Context::new(ctx.algorithm()));
            *self = Self::Background(BackgroundDigest::start(moved, block.capacity())?);
        }
        match self {
            Self::Inline(ctx) => {
                ctx.update(&block);
                let mut block = block;
                block.clear();
                Ok(block)
            }
            Self::Background(bg) => {
                bg.submit(Arc::new(block))?;
                Ok(bg.next_buffer())
            }
        }
    }

    /// Returns the context with every byte hashed.
    pub(crate) fn finish(self) -> Result<digest::Context> {
        match self {
            Self::Inline(ctx) => Ok(ctx),
            Self::Background(bg) => bg.finish(),
        }
    }
}
