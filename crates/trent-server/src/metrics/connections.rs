//! Counting connections: a listener whose streams move the
//! `trent_connections_open` gauge up when accepted and down when dropped.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::Metrics;

/// A TCP listener counting its connections in [`Metrics`].
#[derive(Debug)]
pub struct CountingListener {
    inner: TcpListener,
    metrics: Arc<Metrics>,
}

impl CountingListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        if self.metrics.enabled {
            self.metrics.connections_accepted.inc();
            self.metrics.connections_open.inc();
        }
        (CountedStream { io, metrics: self.metrics.clone() }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that lowers the open-connections gauge when dropped.
#[derive(Debug)]
pub struct CountedStream {
    io: TcpStream,
    metrics: Arc<Metrics>,
}

impl CountedStream {
    /// The TCP stream (for socket options).
    pub fn tcp(&self) -> &TcpStream {
        &self.io
    }
}

impl Drop for CountedStream {
    fn drop(&mut self) {
        if self.metrics.enabled {
            self.metrics.connections_open.dec();
        }
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
