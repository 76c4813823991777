//! One delivery over HTTP/1.1 (hyper's client connection, on a socket this module opens, with
//! TLS for `https` by rustls, verified against the Web PKI's roots): the host is resolved here
//! and, with `--webhook-deny-private`, every address it resolves to is checked before
//! connecting to one of them. Redirects are never followed (a 3xx is a failed attempt); at
//! most [`RESPONSE_BYTES_MAX`] of the answer's body is read; the whole exchange has
//! [`DELIVERY_TIMEOUT`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use axum::http::{HeaderValue, Method, Request, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::target::{Target, is_public};

/// How long one attempt may take, from resolving the host to the end of the answer's head.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// How much of an answer's body is read (then the connection is dropped).
pub const RESPONSE_BYTES_MAX: usize = 4 * 1024;

/// The `User-Agent` deliveries are sent with.
const USER_AGENT: &str = concat!("Tally-Webhooks/", env!("CARGO_PKG_VERSION"));

/// What an attempt got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// The receiver's status, and its `Retry-After` in seconds, if it sent one.
    Status {
        code: u16,
        retry_after_seconds: Option<u64>,
    },
    /// No answer: why (refused, timed out, an address not allowed, …).
    Failed(String),
}

/// The headers of one delivery (besides `content-type`, `host` and `user-agent`).
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp_seconds: i64,
    pub signature: &'a str,
}

/// How deliveries to `https` endpoints are made: rustls (ring), TLS 1.2 and 1.3, verifying
/// the endpoint's certificate and name against the Web PKI's roots (webpki-roots), and any
/// extra roots the server was given (a platform's private CA).
#[derive(Clone)]
pub struct Tls {
    connector: TlsConnector,
}

impl Tls {
    /// The Web PKI's roots, and the certificates of `extra_roots_pem` (PEM) too.
    pub fn new(extra_roots_pem: Option<&[u8]>) -> Result<Tls, String> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_roots_pem {
            let mut added = 0;
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate =
                    certificate.map_err(|error| format!("reading a PEM certificate: {error}"))?;
                roots
                    .add(certificate)
                    .map_err(|error| format!("adding a root certificate: {error}"))?;
                added += 1;
            }
            if added == 0 {
                return Err("no PEM certificate in the extra roots".into());
            }
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("TLS versions: {error}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }
}

/// Posts `body` to `target` with the Standard Webhooks headers.
pub async fn post(
    target: &Target,
    deny_private: bool,
    tls: &Tls,
    signed: &Signed<'_>,
    body: &str,
) -> Answered {
    let exchange = exchange(target, deny_private, tls, signed, body);
    match tokio::time::timeout(DELIVERY_TIMEOUT, exchange).await {
        Ok(Ok(answered)) => answered,
        Ok(Err(reason)) => Answered::Failed(reason),
        Err(_) => Answered::Failed(format!(
            "no answer within {} seconds",
            DELIVERY_TIMEOUT.as_secs()
        )),
    }
}

async fn exchange(
    target: &Target,
    deny_private: bool,
    tls: &Tls,
    signed: &Signed<'_>,
    body: &str,
) -> Result<Answered, String> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|error| format!("resolving {}: {error}", target.host))?
        .collect();
    if addresses.is_empty() {
        return Err(format!("{} resolves to no address", target.host));
    }
    if deny_private && addresses.iter().any(|address| !is_public(address.ip())) {
        return Err(format!(
            "{} resolves to a private or loopback address (--webhook-deny-private)",
            target.host
        ));
    }
    let mut last_error = String::new();
    let mut stream = None;
    for address in &addresses {
        match TcpStream::connect(address).await {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(error) => last_error = format!("connecting to {address}: {error}"),
        }
    }
    let stream = stream.ok_or(last_error)?;
    let _ = stream.set_nodelay(true);
    if !target.https {
        return send(stream, target, signed, body).await;
    }
    let name = ServerName::try_from(target.host.clone())
        .map_err(|error| format!("TLS: {} is not a server name: {error}", target.host))?;
    let stream = tls
        .connector
        .connect(name, stream)
        .await
        .map_err(|error| format!("TLS with {}: {error}", target.host))?;
    send(stream, target, signed, body).await
}

/// The request and its answer's head (and a little of its body), on a connected stream.
async fn send<S>(
    stream: S,
    target: &Target,
    signed: &Signed<'_>,
    body: &str,
) -> Result<Answered, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("HTTP handshake: {error}"))?;
    // The connection does the socket's I/O; it ends when the sender and the answer are gone.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path_and_query.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .header(header::USER_AGENT, HeaderValue::from_static(USER_AGENT))
        .header("webhook-id", signed.id)
        .header("webhook-timestamp", signed.timestamp_seconds.to_string())
        .header("webhook-signature", signed.signature)
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|error| format!("building the request: {error}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| format!("sending: {error}"))?;
    let code = response.status().as_u16();
    let retry_after_seconds = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    // Read a little of the body (a receiver's error text), never more.
    let mut body = response.into_body();
    let mut read = 0usize;
    while read < RESPONSE_BYTES_MAX {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read += data.len();
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    Ok(Answered::Status {
        code,
        retry_after_seconds,
    })
}
