//! Where a delivery may go: an endpoint's URL is `http` or `https`, with a host, without
//! credentials; with `--webhook-deny-private`, no address of it is loopback, private,
//! link-local or otherwise not public, checked on the URL when it is set and on the resolved
//! addresses before every delivery (connections go to the address that was checked).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::Uri;

/// The longest URL an endpoint may have.
pub const URL_BYTES_MAX: usize = 2048;

/// An endpoint URL, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    /// The host as written (brackets removed from an IPv6 literal).
    pub host: String,
    pub port: u16,
    /// The path and query (`/` at least).
    pub path_and_query: String,
    /// `host[:port]` as the `Host` header sends it.
    pub authority: String,
}

/// Why a URL was refused (the API's `detail`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`url` must be an absolute http:// or https:// URL")]
    NotHttp,
    #[error("`url` must name a host")]
    NoHost,
    #[error("`url` must not hold credentials (user:password@)")]
    Credentials,
    #[error("`url` is longer than {URL_BYTES_MAX} bytes")]
    TooLong,
    #[error("`url` names a private or loopback address, refused by --webhook-deny-private")]
    Private,
}

/// Checks an endpoint URL (not its addresses: see [`is_public`]).
pub fn parse(url: &str) -> Result<Target, UrlError> {
    if url.len() > URL_BYTES_MAX {
        return Err(UrlError::TooLong);
    }
    let uri: Uri = url.parse().map_err(|_| UrlError::NotHttp)?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(UrlError::NotHttp),
    };
    let authority = uri.authority().ok_or(UrlError::NoHost)?;
    if authority.as_str().contains('@') {
        return Err(UrlError::Credentials);
    }
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path_and_query = uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_string();
    let path_and_query = if path_and_query.is_empty() {
        "/".to_string()
    } else {
        path_and_query
    };
    Ok(Target {
        https,
        host: host.to_string(),
        port,
        path_and_query,
        authority: authority.as_str().to_string(),
    })
}

/// Whether the URL's host, as written, is an address (or a name) that is not public:
/// an IP literal that [`is_public`] refuses, or `localhost`.
pub fn names_private_host(target: &Target) -> bool {
    let host = target.host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip))
}

/// Whether an address is public: not loopback, private, shared (CGNAT), link-local,
/// unspecified, broadcast, documentation, multicast, or an IPv6 form of one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        let target = parse("https://hooks.example.com/tally?x=1").unwrap();
        assert!(target.https);
        assert_eq!(
            (
                target.host.as_str(),
                target.port,
                target.path_and_query.as_str()
            ),
            ("hooks.example.com", 443, "/tally?x=1")
        );
        let target = parse("http://[::1]:8080").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 8080));
        assert_eq!(target.path_and_query, "/");
        assert_eq!(target.authority, "[::1]:8080");
        for (url, error) in [
            ("ftp://example.com/", UrlError::NotHttp),
            ("example.com/hook", UrlError::NotHttp),
            ("not a url", UrlError::NotHttp),
            ("", UrlError::NotHttp),
            ("http:///path", UrlError::NotHttp),
            ("https://user:pass@example.com/", UrlError::Credentials),
            ("https://token@example.com/", UrlError::Credentials),
        ] {
            assert_eq!(parse(url), Err(error), "{url}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_BYTES_MAX));
        assert_eq!(parse(&long), Err(UrlError::TooLong));
    }

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(names_private_host(
            &parse("http://localhost:3000/").unwrap()
        ));
        assert!(names_private_host(&parse("http://10.0.0.7/").unwrap()));
        assert!(!names_private_host(
            &parse("https://hooks.example.com/").unwrap()
        ));
    }
}
