//! The cap on open connections: a listener that serves at most `--max-connections` at once
//! and refuses the rest cleanly, so a flood of sockets cannot take every file descriptor the
//! store needs, or the memory of a task per connection.
//!
//! A connection over the cap is accepted, answered `503 unavailable` (problem+json,
//! `Retry-After: 1`, `Connection: close`) and closed, without a request being read or
//! anything done: the client knows at once to come back, rather than waiting unanswered in
//! the kernel's backlog. Each connection served holds a slot until it closes; a keep-alive
//! connection that sends nothing for `--idle-timeout-seconds` (60 by default: above the 30 s
//! request timeout, so a request in progress is never cut) is closed, so idle clients
//! cannot keep the slots from active ones.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// The default of `--max-connections`.
pub const CONNECTIONS_MAX_DEFAULT: usize = 1024;

/// The default of `--idle-timeout-seconds`: how long a connection may send nothing before it
/// is closed.
pub const CONNECTION_IDLE_SECONDS_DEFAULT: u64 = 60;

/// How much of a refused connection's request is read (and dropped) before it is closed, so
/// the close does not reset the connection before the client has read the answer.
const REFUSED_DRAIN_BYTES_MAX: usize = 64 * 1024;

/// How long a refused connection is given to send its request before it is closed.
const REFUSED_DRAIN_TIME_MAX: std::time::Duration = std::time::Duration::from_secs(1);

/// A listener that serves at most `max` connections at once.
pub struct CappedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    max: usize,
    idle: Duration,
    refused: Arc<AtomicU64>,
}

impl CappedListener {
    /// `max` is at least 1; a connection that sends nothing for `idle` is closed.
    pub fn new(inner: TcpListener, max: usize, idle: Duration) -> Self {
        let max = max.max(1);
        CappedListener {
            inner,
            slots: Arc::new(Semaphore::new(max)),
            max,
            idle,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// A served connection, holding its slot until it is dropped. It reads as closed once it
/// has sent nothing for its idle time (hyper then closes it).
pub struct CappedStream {
    // Dropped first: the slot is free before the peer can see the close.
    _slot: OwnedSemaphorePermit,
    stream: TcpStream,
    idle: Duration,
    /// When the connection counts as idle, unless it sends something first.
    idle_deadline: Pin<Box<tokio::time::Sleep>>,
}

impl axum::serve::Listener for CappedListener {
    type Io = CappedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, address) = axum::serve::Listener::accept(&mut self.inner).await;
            match self.slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    return (
                        CappedStream {
                            stream,
                            _slot: slot,
                            idle: self.idle,
                            idle_deadline: Box::pin(tokio::time::sleep(self.idle)),
                        },
                        address,
                    );
                }
                Err(_) => {
                    let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
                    // Once, then at every power of two: a flood does not flood the log.
                    if refused.is_power_of_two() {
                        tracing::warn!(
                            max = self.max,
                            refused,
                            "connections: at the cap; refusing new connections with 503"
                        );
                    }
                    tokio::spawn(refuse(stream, self.max));
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Answers 503 on a connection over the cap and closes it.
async fn refuse(mut stream: TcpStream, max: usize) {
    let body = ApiError::Unavailable {
        detail: format!("the server has {max} connections open, its cap; retry shortly"),
    }
    .body()
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buffer = [0u8; 4096];
        let mut read = 0;
        while read < REFUSED_DRAIN_BYTES_MAX {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => read += count,
            }
        }
    };
    let _ = tokio::time::timeout(REFUSED_DRAIN_TIME_MAX, drain).await;
}

impl CappedStream {
    /// Something was read or written: the idle time starts again.
    fn still_busy(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.idle_deadline.as_mut().reset(next);
    }
}

impl AsyncRead for CappedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buffer.filled().len();
        match Pin::new(&mut self.stream).poll_read(context, buffer) {
            Poll::Ready(Ok(())) => {
                if buffer.filled().len() > before {
                    self.still_busy();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.idle_deadline.as_mut().poll(context) {
                // Nothing sent for the idle time: read as the end of the stream, so hyper
                // closes the connection and its slot is free again.
                Poll::Ready(()) => {
                    tracing::debug!(idle = ?self.idle, "connections: closing an idle connection");
                    Poll::Ready(Ok(()))
                }
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl AsyncWrite for CappedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(context, bytes);
        if matches!(written, Poll::Ready(Ok(count)) if count > 0) {
            self.still_busy();
        }
        written
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(context, buffers);
        if matches!(written, Poll::Ready(Ok(count)) if count > 0) {
            self.still_busy();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
