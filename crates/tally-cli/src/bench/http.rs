//! The load generator's HTTP client: one hand-held HTTP/1.1 keep-alive connection per task
//! (hyper 1's `client::conn::http1`), reconnected when the server closes it. This is what the
//! hot loop measures with; the set-up requests before it go through `tally-client`
//! ([`Target::api`]), with its idempotency keys and retries.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where requests go and with which key.
pub(super) struct Target {
    pub address: SocketAddr,
    host: HeaderValue,
    authorization: HeaderValue,
    /// The typed client for the set-up requests (same address and key).
    api: tally_client::Client,
}

impl Target {
    pub(super) fn new(address: SocketAddr, key: &str) -> anyhow::Result<Arc<Target>> {
        Ok(Arc::new(Target {
            address,
            host: HeaderValue::from_str(&address.to_string())?,
            authorization: HeaderValue::from_str(&format!("Bearer {key}"))
                .context("the key is not a valid header value")?,
            api: tally_client::Client::new(format!("http://{address}"), key)?,
        }))
    }

    /// The typed client for set-up requests (accounts, grants, webhook endpoints, the busy
    /// account's batches): not for the measured requests.
    pub(super) fn api(&self) -> &tally_client::Client {
        &self.api
    }

    /// The target of a base URL `http://HOST:PORT` (no TLS, no path).
    pub(super) fn from_url(url: &str, key: &str) -> anyhow::Result<Arc<Target>> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--url must be http://HOST:PORT (the bench speaks plain HTTP/1.1), not {url:?}");
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            bail!("--url must be a base URL without a path, not {url:?}");
        }
        let address = authority
            .to_socket_addrs()
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to no address"))?;
        Target::new(address, key)
    }
}

/// What the server answered.
pub(super) struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// One keep-alive connection, opened on first use and again after a failure.
pub(super) struct Connection {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub(super) fn new(target: Arc<Target>) -> Self {
        Connection {
            target,
            sender: None,
        }
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.target.address)
            .await
            .with_context(|| format!("connecting to {}", self.target.address))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP/1.1 handshake")?;
        // The connection future does the socket I/O; it ends when the sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request and reads the whole answer. On any failure the connection is dropped
    /// (the next request opens a new one) and the error says what failed.
    pub(super) async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let result = self.try_send(method, path, body, idempotency_key).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn try_send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let ready = match self.sender.as_mut() {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !ready {
            let mut sender = self.connect().await?;
            sender
                .ready()
                .await
                .context("the new connection is not ready")?;
            self.sender = Some(sender);
        }
        let sender = self
            .sender
            .as_mut()
            .context("bench: no connection after connecting")?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.host.clone())
            .header(AUTHORIZATION, self.target.authorization.clone());
        if body.is_some() {
            request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let request = request.body(Full::new(body.unwrap_or_default()))?;
        let response = sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the answer")?
            .to_bytes();
        Ok(Answer { status, body })
    }
}
