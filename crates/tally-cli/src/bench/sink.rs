//! A webhook receiver for `tally bench --webhook-endpoints N`: a loopback HTTP/1.1 server that
//! answers every request 204 at once and counts them, so the bench can measure the ledger with
//! endpoints subscribed (the delivery worker claiming, posting and recording) beside the same
//! run without.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The most bytes of one request the sink holds (a delivery's headers and event body).
const REQUEST_BYTES_MAX: usize = 64 * 1024;

/// The running sink: where it listens, and the requests it answered.
pub(super) struct Sink {
    pub(super) address: SocketAddr,
    pub(super) received: Arc<AtomicU64>,
}

impl Sink {
    pub(super) async fn start() -> anyhow::Result<Sink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, counter.clone()));
            }
        });
        Ok(Sink { address, received })
    }

    pub(super) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// Reads requests (head, then `Content-Length` bytes of body) and answers each 204.
async fn answer(mut stream: tokio::net::TcpStream, received: Arc<AtomicU64>) {
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let Some(head_end) = find(&buffer, b"\r\n\r\n") else {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
            if buffer.len() > REQUEST_BYTES_MAX {
                return;
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        let total = head_end + 4 + length;
        while buffer.len() < total {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        buffer.drain(..total);
        received.fetch_add(1, Ordering::Relaxed);
        let reply = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        if stream.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
