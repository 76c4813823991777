//! The router's bodiless 405 (a known path, another method) as a problem document, with the
//! methods the route table says the path takes: read here, from [`super::ROUTES`], so that the
//! error type needs nothing of the routes.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Gives the router's bodiless 405 (a known path, another method) its problem document. The
/// methods are read from the route table (`Allow` is only added by the router after its layers
/// ran); a path of another router (the dashboard's) gets the router's own `Allow`.
pub async fn method_not_allowed_problem(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    ApiError::MethodNotAllowed {
        allowed: allowed_methods(&path),
    }
    .into_response()
}

/// The methods the API's routes take on `path`, as an `Allow` header lists them.
pub fn allowed_methods(path: &str) -> String {
    let mut methods: Vec<&str> = super::ROUTES
        .iter()
        .filter(|route| path_matches(route.path, path))
        .map(|route| route.method)
        .collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.join(",")
}

/// Whether `path` is one of `pattern`'s paths (`{name}` matches one segment).
fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(expected), Some(segment)) => {
                let wildcard = expected.starts_with('{') && expected.ends_with('}');
                if !(wildcard && !segment.is_empty() || expected == segment) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns_match_one_segment_per_parameter() {
        assert!(path_matches(
            "/v1/accounts/{id}/holds",
            "/v1/accounts/acme/holds"
        ));
        assert!(path_matches("/v1/accounts", "/v1/accounts"));
        assert!(!path_matches(
            "/v1/accounts/{id}/holds",
            "/v1/accounts//holds"
        ));
        assert!(!path_matches(
            "/v1/accounts/{id}",
            "/v1/accounts/acme/holds"
        ));
        assert!(!path_matches(
            "/v1/accounts/{id}/holds",
            "/v1/accounts/acme"
        ));
        assert!(!path_matches("/v1/rate-card", "/v1/rate-cards"));
    }
}
