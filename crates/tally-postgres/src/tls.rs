//! TLS to PostgreSQL, with rustls (ring): the URL's `sslmode` and `sslrootcert`, and the
//! connector each connection is made with.
//!
//! The modes are libpq's: `disable` (plain), `prefer` (TLS if the server offers it), `require`
//! (TLS or nothing), `verify-ca` (TLS, and the server's certificate chains to a trusted CA),
//! `verify-full` (that, and the certificate names the host connected to). The trusted CAs are
//! the PEM file `sslrootcert` names, or else the public web roots (webpki-roots). As with
//! libpq, `prefer` and `require` check no certificate unless `sslrootcert` is given, and then
//! they check it as `verify-ca` does. A URL without `sslmode` connects without TLS, as Tally
//! always did (libpq's default is `prefer`: say `sslmode=prefer` for that).
//!
//! `sslrootcert=system` means what it means to libpq 16 and later: the CAs the system trusts
//! (rustls-native-certs: the operating system's store, or the PEM file `SSL_CERT_FILE` and
//! the directory `SSL_CERT_DIR` when they are set), and `verify-full` unless `sslmode` says
//! otherwise; a weaker `sslmode` with it is refused, as libpq refuses it, since checking the
//! chain to a public CA without the name would accept any certificate anyone can buy. A file
//! named `system` is `./system`.
//!
//! The `postgres` crate parses `sslmode` only up to `require` and knows no `sslrootcert`, so
//! both are taken out of the URL here and the rest is handed to it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// `sslmode`, as libpq spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    const ALL: [SslMode; 5] = [
        SslMode::Disable,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The mode a URL names, by the names [`SslMode::as_str`] gives.
    fn parse(value: &str) -> Result<SslMode, TlsError> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == value)
            .ok_or_else(|| TlsError::UnknownMode(value.to_string()))
    }

    /// As the URL says it.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// What is wrong with the URL's TLS options.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("sslmode={0} is not a mode: use disable, prefer, require, verify-ca or verify-full")]
    UnknownMode(String),
    #[error("sslrootcert={path}: {reason}", path = .path.display())]
    RootCert { path: PathBuf, reason: String },
    #[error("sslrootcert is given with sslmode=disable, which makes no TLS connection")]
    RootCertWithoutTls,
    #[error(
        "sslmode={} may not be used with sslrootcert=system: a certificate from a CA the system \
         trusts proves the host only with its name checked (use sslmode=verify-full, or leave \
         sslmode out)",
        .0.as_str()
    )]
    SystemRootsNeedVerifyFull(SslMode),
    #[error("sslrootcert=system: {0}")]
    SystemRoots(String),
    #[error("TLS: {0}")]
    Setup(String),
}

/// Where the trusted CAs come from, as `sslrootcert` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file of CA certificates.
    File(PathBuf),
    /// `sslrootcert=system`: the CAs the system trusts.
    System,
}

/// The TLS options taken out of a database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    pub mode: SslMode,
    /// `None`: the public web roots, used only by `verify-ca` and `verify-full`.
    pub root_cert: Option<RootCert>,
}

/// Splits `sslmode` and `sslrootcert` out of a database URL (`postgres://…?sslmode=…`, or the
/// `key=value` form), returning the URL without them and the options (`disable` without
/// `sslmode`).
pub(crate) fn split_url(url: &str) -> Result<(String, TlsOptions), TlsError> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: String| -> Result<bool, TlsError> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" if value == "system" => root_cert = Some(RootCert::System),
            "sslrootcert" => root_cert = Some(RootCert::File(PathBuf::from(value))),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((head, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(key, percent_decode(value))? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    head.to_string()
                } else {
                    format!("{head}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        let mut kept = Vec::new();
        for pair in url.split_whitespace() {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key.trim(), value.trim_matches('\'').to_string())? {
                kept.push(pair);
            }
        }
        kept.join(" ")
    };
    if root_cert == Some(RootCert::System) {
        let mode = mode.unwrap_or(SslMode::VerifyFull);
        if mode != SslMode::VerifyFull {
            return Err(TlsError::SystemRootsNeedVerifyFull(mode));
        }
    }
    let mode = mode.unwrap_or(match root_cert {
        Some(RootCert::System) => SslMode::VerifyFull,
        _ => SslMode::Disable,
    });
    if mode == SslMode::Disable && root_cert.is_some() {
        return Err(TlsError::RootCertWithoutTls);
    }
    Ok((rest, TlsOptions { mode, root_cert }))
}

/// `%XX` decoded (a path in a URL may be written so); anything malformed is kept as it is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some(hex) = value.get(at + 1..at + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            at += 3;
            continue;
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}

/// The `postgres` crate's mode for these options (it negotiates; rustls checks).
pub(crate) fn negotiation(options: &TlsOptions) -> postgres::config::SslMode {
    match options.mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(root_cert: Option<&RootCert>) -> Result<RootCertStore, TlsError> {
    match root_cert {
        None => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            Ok(roots)
        }
        Some(RootCert::File(path)) => file_roots(path),
        Some(RootCert::System) => system_roots(),
    }
}

/// The system's trusted CAs. A certificate of the store that does not parse is skipped (as
/// every TLS client of the system skips it); a store with none is refused, saying why.
fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (_added, skipped) = roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let mut reason = "no trusted CA certificate was found on this system".to_string();
        for error in &found.errors {
            reason.push_str(&format!("; {error}"));
        }
        if skipped > 0 {
            reason.push_str(&format!("; {skipped} certificates did not parse"));
        }
        return Err(TlsError::SystemRoots(reason));
    }
    Ok(roots)
}

fn file_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let failed = |reason: String| TlsError::RootCert {
        path: path.to_path_buf(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| failed(error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| failed(error.to_string()))?;
    if certificates.is_empty() {
        return Err(failed("no PEM certificate in the file".into()));
    }
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| failed(format!("not a CA certificate: {error}")))?;
    }
    Ok(roots)
}

/// The connector for these options: `None` for `disable`.
pub(crate) fn connector(options: &TlsOptions) -> Result<Option<MakeRustlsConnect>, TlsError> {
    let check_chain = match options.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => options.root_cert.is_some(),
        SslMode::VerifyCa | SslMode::VerifyFull => true,
    };
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Setup(error.to_string()))?;
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = if check_chain {
        let webpki = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(options.root_cert.as_ref())?),
            provider,
        )
        .build()
        .map_err(|error| TlsError::Setup(error.to_string()))?;
        if options.mode == SslMode::VerifyFull {
            webpki
        } else {
            Arc::new(ChainOnly(webpki))
        }
    } else {
        Arc::new(Unchecked(algorithms))
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// `verify-ca`: the chain to a trusted CA is checked, the name in the certificate is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain is checked before the name: a name error means the chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without `sslrootcert`: encrypted, any certificate accepted (as
/// libpq does); the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// A connection that failed because of TLS, said plainly: which check failed, and what to
/// look at. `None` when the failure was not TLS's.
pub(crate) fn explain_failure(error: &postgres::Error, options: &TlsOptions) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut text = Vec::new();
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(explain_rustls(tls, options));
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(explain_rustls(tls, options));
        }
        text.push(cause.to_string());
        source = cause.source();
    }
    if options.mode != SslMode::Disable
        && text
            .iter()
            .any(|line| line.contains("server does not support TLS"))
    {
        return Some(format!(
            "TLS: the server does not accept TLS connections, and sslmode={} requires TLS \
             (turn `ssl = on` on the server, or lower sslmode)",
            options.mode.as_str()
        ));
    }
    None
}

fn explain_rustls(error: &rustls::Error, options: &TlsOptions) -> String {
    let trusted = match &options.root_cert {
        Some(RootCert::File(path)) => format!("the CA in sslrootcert={}", path.display()),
        Some(RootCert::System) => "a CA the system trusts (sslrootcert=system)".to_string(),
        None => "the public CAs (no sslrootcert given)".to_string(),
    };
    match error {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => format!(
            "TLS: the server's certificate is not signed by {trusted} ({error}); \
             sslmode={} refuses it",
            options.mode.as_str()
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "TLS: the server's certificate is not valid for the host name connected to \
             ({error}); sslmode=verify-full refuses it (connect by a name the certificate \
             lists)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => format!("TLS: the server's certificate has expired ({error})"),
        other => format!("TLS: the handshake with the server failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (rest, options) = split_url(
            "postgres://u@db:5432/tally?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@db:5432/tally?application_name=x");
        assert_eq!(options.mode, SslMode::VerifyFull);
        assert_eq!(
            options.root_cert,
            Some(RootCert::File(PathBuf::from("/etc/ca.pem")))
        );

        let (rest, options) = split_url("postgres://u@db/tally").unwrap();
        assert_eq!(rest, "postgres://u@db/tally");
        assert_eq!(
            options.mode,
            SslMode::Disable,
            "no sslmode: no TLS, as before"
        );

        let (rest, options) = split_url("host=db user=u sslmode=require dbname=t").unwrap();
        assert_eq!(rest, "host=db user=u dbname=t");
        assert_eq!(options.mode, SslMode::Require);

        let (rest, _) = split_url("postgres://u@db/tally?sslmode=prefer").unwrap();
        assert_eq!(rest, "postgres://u@db/tally");
    }

    #[test]
    fn a_bad_sslmode_or_a_useless_root_cert_is_refused() {
        let error = split_url("postgres://db/t?sslmode=verify").unwrap_err();
        assert!(
            error.to_string().contains("sslmode=verify is not a mode"),
            "{error}"
        );
        let error = split_url("postgres://db/t?sslmode=disable&sslrootcert=/ca.pem").unwrap_err();
        assert!(matches!(error, TlsError::RootCertWithoutTls), "{error}");
    }

    #[test]
    fn a_missing_root_cert_file_is_named() {
        let options = TlsOptions {
            mode: SslMode::VerifyFull,
            root_cert: Some(RootCert::File(PathBuf::from("/nonexistent/ca.pem"))),
        };
        let Err(error) = connector(&options) else {
            panic!("a connector without its CA file")
        };
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn sslrootcert_system_means_the_systems_roots_and_verify_full() {
        // As libpq 16: without sslmode, verify-full.
        let (rest, options) = split_url("postgres://u@db/tally?sslrootcert=system").unwrap();
        assert_eq!(rest, "postgres://u@db/tally");
        assert_eq!(
            options,
            TlsOptions {
                mode: SslMode::VerifyFull,
                root_cert: Some(RootCert::System),
            }
        );
        let (_, options) = split_url("host=db sslmode=verify-full sslrootcert=system").unwrap();
        assert_eq!(options.root_cert, Some(RootCert::System));
        assert_eq!(options.mode, SslMode::VerifyFull);
        // A file named so is still a file.
        let (_, options) =
            split_url("postgres://db/t?sslmode=verify-ca&sslrootcert=./system").unwrap();
        assert_eq!(
            options.root_cert,
            Some(RootCert::File(PathBuf::from("./system")))
        );
        // Any weaker mode is refused, as libpq refuses it.
        for mode in ["disable", "prefer", "require", "verify-ca"] {
            let error = split_url(&format!(
                "postgres://db/t?sslmode={mode}&sslrootcert=system"
            ))
            .unwrap_err();
            assert!(
                matches!(error, TlsError::SystemRootsNeedVerifyFull(refused) if refused.as_str() == mode),
                "{mode}: {error}"
            );
            assert!(error.to_string().contains("verify-full"), "{error}");
        }
    }
}
