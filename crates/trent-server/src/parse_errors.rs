//! AWS-shaped answers for requests hyper refuses before Trent sees them.
//!
//! A request with more headers than hyper parses (100), a header block larger
//! than its read buffer, a URI too long or bytes that are not HTTP is answered
//! by hyper itself with a bare `431`, `414` or `400` and no body, then the
//! connection is closed; hyper offers no hook to shape that answer. An AWS
//! SDK gets no `__type` from it. Raising hyper's limits so the handler could
//! answer instead would cost every request a heap-allocated header array
//! (hyper documents about 5 %). So this wrapper sits under hyper on each
//! connection and, when hyper writes one of those automatic answers, writes
//! AWS's JSON error shape in its place (same status, `Connection: close`).
//! Every other write passes through after a 10-byte prefix check.
//!
//! hyper's automatic answers are told from the handler's own `400`s by their
//! head: the handler's answers always carry a `content-type`, hyper's never do.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose automatic parse-error answers are rewritten.
#[derive(Debug)]
pub struct TypedParseErrors<IO> {
    io: IO,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Writes go through.
    Passing,
    /// Writing our answer in place of hyper's (`sent` bytes of it so far).
    Replacing { answer: Vec<u8>, sent: usize, claimed: usize },
    /// Our answer is out; hyper's remaining bytes of its own are dropped.
    Replaced,
}

impl<IO> TypedParseErrors<IO> {
    /// Wraps one accepted connection.
    pub fn new(io: IO) -> Self {
        Self { io, state: State::Passing }
    }
}

/// The status and message of an automatic answer hyper starts to write, if
/// `head` is one.
fn automatic_answer(head: &[u8]) -> Option<(u16, &'static str)> {
    if !head.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let status = std::str::from_utf8(head.get(9..12)?).ok()?.parse::<u16>().ok()?;
    let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(head.len());
    let has_content_type = head[..end]
        .split(|&b| b == b'\n')
        .any(|line| line.len() >= 13 && line[..13].eq_ignore_ascii_case(b"content-type:"));
    if has_content_type {
        return None;
    }
    match status {
        431 => {
            Some((431, "The request headers are too large: at most 100 headers, about 400 KiB in all, are accepted."))
        }
        414 => Some((414, "The request URI is too long.")),
        400 => Some((400, "The request is not valid HTTP/1.1.")),
        _ => None,
    }
}

/// The full AWS-shaped answer that replaces hyper's.
fn typed_answer(status: u16, message: &str) -> Vec<u8> {
    let reason = match status {
        431 => "Request Header Fields Too Large",
        414 => "URI Too Long",
        _ => "Bad Request",
    };
    let body = serde_json::json!({ "__type": "ValidationException", "message": message }).to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\
         x-amzn-RequestId: {}\r\nconnection: close\r\n\r\n{body}",
        body.len(),
        uuid::Uuid::new_v4(),
    )
    .into_bytes()
}

impl<IO: AsyncRead + Unpin> AsyncRead for TypedParseErrors<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> TypedParseErrors<IO> {
    /// Sends what is left of our answer; `Ready(Ok(n))` claims the `n`
    /// bytes of hyper's answer as written once ours is out.
    fn poll_replace(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let State::Replacing { answer, sent, claimed } = &mut self.state else {
                return Poll::Ready(Ok(0));
            };
            if *sent == answer.len() {
                let n = *claimed;
                self.state = State::Replaced;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut self.io).poll_write(cx, &answer[*sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn start_replacing(&mut self, first: &[u8], total: usize) -> bool {
        match (&self.state, automatic_answer(first)) {
            (State::Passing, Some((status, message))) => {
                tracing::debug!(status, "answering a request hyper refused in AWS's error shape");
                self.state = State::Replacing { answer: typed_answer(status, message), sent: 0, claimed: total };
                true
            }
            _ => false,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for TypedParseErrors<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.state {
            State::Replaced => return Poll::Ready(Ok(buf.len())),
            State::Replacing { .. } => return this.poll_replace(cx),
            State::Passing => {}
        }
        if this.start_replacing(buf, buf.len()) {
            return this.poll_replace(cx);
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let total = bufs.iter().map(|b| b.len()).sum();
        match this.state {
            State::Replaced => return Poll::Ready(Ok(total)),
            State::Replacing { .. } => return this.poll_replace(cx),
            State::Passing => {}
        }
        let first = bufs.iter().find(|b| !b.is_empty()).map(|b| &b[..]).unwrap_or_default();
        if this.start_replacing(first, total) {
            return this.poll_replace(cx);
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_own_answers_are_rewritten() {
        assert_eq!(
            automatic_answer(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n").map(|a| a.0),
            Some(431)
        );
        assert_eq!(automatic_answer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").map(|a| a.0), Some(400));
        // The handler's own 400s carry a content-type.
        let ours =
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(automatic_answer(ours), None);
        assert_eq!(automatic_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), None);
        assert_eq!(automatic_answer(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn the_rewritten_answer_is_aws_json_and_hypers_bytes_are_claimed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(4096);
        let mut wrapped = TypedParseErrors::new(server);
        let hyper_head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let n = wrapped.write(hyper_head).await.expect("write");
        assert_eq!(n, hyper_head.len(), "hyper's bytes count as written");
        assert_eq!(wrapped.write(b"more").await.expect("write after"), 4, "later bytes are dropped");
        wrapped.shutdown().await.expect("shutdown");
        drop(wrapped);
        let mut out = String::new();
        let mut client = client;
        client.read_to_string(&mut out).await.expect("read");
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{out}");
        assert!(out.contains("connection: close\r\n"), "{out}");
        let body: serde_json::Value = serde_json::from_str(out.split("\r\n\r\n").nth(1).expect("body")).expect("json");
        assert_eq!(body["__type"], "ValidationException");
        assert!(!out.contains("more"));
    }
}
