//! The client's one error type, [`Error`], and the API's error answer, [`Problem`].

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::Credits;

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an RFC 9457 problem (`application/problem+json`): the API
    /// refused the request, and (API.md) changed nothing.
    #[error(transparent)]
    Api(Box<Problem>),
    /// An error status whose body is not a problem (a proxy's HTML page, say).
    #[error("tally client: the server answered {status} without a problem: {body}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
        /// The body's text (lossy UTF-8, at most a few KiB).
        body: String,
    },
    /// The server could not be reached, or the connection failed before a whole answer came,
    /// on every attempt made.
    #[error("tally client: the server at {url} cannot be reached ({attempts} attempts)")]
    Connection {
        /// The client's base URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No whole answer within the client's timeout, on every attempt made.
    #[error("tally client: no answer from the server within {timeout:?} ({attempts} attempts)")]
    Timeout {
        /// The time allowed for each attempt.
        timeout: Duration,
        /// How many attempts were made.
        attempts: u32,
    },
    /// A successful answer whose body is not the JSON expected.
    #[error("tally client: the answer ({status}) is not the JSON expected")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },
    /// A request body that cannot be written as JSON.
    #[error("tally client: the request body cannot be written as JSON")]
    Encode(#[source] serde_json::Error),
    /// The client was given a base URL it cannot use (only `http://HOST:PORT[/prefix]`).
    #[error("tally client: {0}")]
    InvalidUrl(String),
    /// The API key, an idempotency key or a path is not a valid part of a request.
    #[error("tally client: {0}")]
    InvalidRequest(String),
}

impl Error {
    /// The problem the server answered, if this is one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Api(problem) => Some(problem),
            _ => None,
        }
    }

    /// The problem's `code` (`insufficient_credits`, `not_found`, …), if this is one.
    pub fn code(&self) -> Option<&str> {
        self.problem().map(|problem| problem.code.as_str())
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(problem) => Some(problem.status),
            Error::UnexpectedStatus { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An RFC 9457 problem, as the API answers every refusal:
/// `{"type", "title", "status", "code", "detail", "param"?, …}` plus the fields its code names
/// (`available` and `required` for `insufficient_credits`, `hold_status`, `refundable`, …),
/// kept in [`Problem::fields`].
///
/// Displays as `402 insufficient_credits: <detail>`, with ` (param: <field>)` when it names one.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The HTTP status (the body's `status`, else the response's).
    pub status: u16,
    /// The stable error code (API.md's table): `insufficient_credits`, `not_found`, ….
    pub code: String,
    /// What happened, for a person (the problem's `detail`, else its `title`).
    pub message: String,
    /// The request field the problem is about (`invalid_request`, `invalid_amount`, …).
    pub param: Option<String>,
    /// The problem's `title`.
    pub title: Option<String>,
    /// The problem's `type` (a URI reference such as `/errors/insufficient_credits`).
    pub type_uri: Option<String>,
    /// Every other field of the body, as sent.
    pub fields: Map<String, Value>,
    /// The `Retry-After` header, in seconds, when there was one (`429`, `503`).
    pub retry_after: Option<Duration>,
}

impl Problem {
    /// The problem in a body, if the body is a JSON object with a `code`.
    pub(crate) fn from_body(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Option<Problem> {
        let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let mut take_string = |name: &str| match fields.remove(name) {
            Some(Value::String(text)) => Some(text),
            Some(other) => {
                fields.insert(name.to_string(), other);
                None
            }
            None => None,
        };
        let code = take_string("code")?;
        let detail = take_string("detail");
        let title = take_string("title");
        let param = take_string("param");
        let type_uri = take_string("type");
        let body_status = match fields.get("status") {
            Some(Value::Number(number)) => number.to_string().parse::<u16>().ok(),
            _ => None,
        };
        if body_status.is_some() {
            fields.remove("status");
        }
        Some(Problem {
            status: body_status.unwrap_or(status),
            message: detail.or_else(|| title.clone()).unwrap_or_default(),
            code,
            param,
            title,
            type_uri,
            fields,
            retry_after,
        })
    }

    /// Another field of the problem (`hold_status`, `limit`, `alternatives`, …).
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// An amount field of the problem, exactly (`available`, `required`, `refundable`, …).
    pub fn credits(&self, name: &str) -> Option<Credits> {
        match self.fields.get(name)? {
            Value::Number(number) => Credits::parse(&number.to_string()).ok(),
            _ => None,
        }
    }

    /// Whether the same request could succeed later unchanged: `unavailable` (retry with the
    /// same Idempotency-Key) and `rate_limited` (after `Retry-After`).
    pub fn is_retryable(&self) -> bool {
        matches!(self.code.as_str(), "unavailable" | "rate_limited")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(param) = &self.param {
            write!(f, " (param: {param})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_keeps_its_code_param_and_every_other_field() {
        let body = br#"{"type":"/errors/insufficient_credits","title":"Not enough credits",
            "status":402,"code":"insufficient_credits","detail":"5 needed, 1 available",
            "available":1,"required":5.5}"#;
        let problem = Problem::from_body(402, body, None).unwrap();
        assert_eq!(problem.status, 402);
        assert_eq!(problem.code, "insufficient_credits");
        assert_eq!(problem.message, "5 needed, 1 available");
        assert_eq!(problem.param, None);
        assert_eq!(
            problem.credits("required"),
            Some(Credits::from_millicredits(5500))
        );
        assert_eq!(problem.credits("available"), Some(Credits::from_credits(1)));
        assert_eq!(
            problem.to_string(),
            "402 insufficient_credits: 5 needed, 1 available"
        );
        let problem = Problem::from_body(
            422,
            br#"{"code":"invalid_request","detail":"no","param":"source","status":422}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            problem.to_string(),
            "422 invalid_request: no (param: source)"
        );
    }

    #[test]
    fn a_body_without_a_code_is_no_problem() {
        assert!(Problem::from_body(502, b"<html>bad gateway</html>", None).is_none());
        assert!(Problem::from_body(502, br#"{"error":"x"}"#, None).is_none());
    }
}
