//! Request extractors that answer bad input with problem details.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Data};
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::problem::{ApiError, FieldError};
use crate::app::Core;
use crate::domain::violation::ViolationCode;

/// A JSON body: 415 unless `application/json`, 413 over the limit, 400 if not JSON, 422 if of the wrong shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<Data<Core>>()
            .map_or(64 * 1024, |core| core.config.body_limit_bytes);
        let body = read_json::<T>(req, payload, limit);
        Box::pin(async move { body.await.map(ApiJson) })
    }
}

/// A JSON body of an offline upload: as [`ApiJson`], with the larger `batch_body_limit_bytes`.
#[derive(Debug)]
pub struct BatchJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for BatchJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<Data<Core>>()
            .map_or(1024 * 1024, |core| core.config.batch_body_limit_bytes);
        let body = read_json::<T>(req, payload, limit);
        Box::pin(async move { body.await.map(BatchJson) })
    }
}

/// Reads a JSON body of at most `limit` bytes (see [`ApiJson`]).
fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    {
        let content_type_ok = is_json_content_type(req);
        let deadline = req
            .app_data::<Data<Core>>()
            .map_or(std::time::Duration::from_secs(10), |core| {
                core.config.body_timeout
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = web::Payload::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            // The limit holds however the body comes (chunked too), and the whole body must
            // arrive within the deadline: a client dribbling bytes holds no worker for long.
            let body = body
                .await
                .map_err(|_| ApiError::BadRequest("The request body could not be read.".into()))?;
            let bytes = actix_web::rt::time::timeout(deadline, body.to_bytes_limited(limit))
                .await
                .map_err(|_| ApiError::BodyTimeout)?
                .map_err(|_| ApiError::PayloadTooLarge { limit })?
                .map_err(|_| ApiError::BadRequest("The request body could not be read.".into()))?;
            parse_json(&bytes)
        })
    }
}

/// Parses a body: syntax problems are 400, shape problems 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    from_value(value).map_err(|e| ApiError::Invalid(vec![e]))
}

/// Reads a JSON value into `T`; a shape problem names its field.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let mut field = if path == "." { String::new() } else { path };
        // serde names a missing field only in its message; put it into the path.
        if let Some(name) = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            field = if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
        let (code, message) = if inner.starts_with("missing field") {
            (ViolationCode::Required, inner)
        } else if inner.starts_with("unknown field") {
            // "unknown field `x`, expected one of ...": names only, no values.
            (ViolationCode::UnknownField, inner)
        } else {
            // serde quotes the offending value ("invalid type: integer `12345678`, expected a
            // string"); it may be personal data, and errors are logged, so keep only what was expected.
            let expected = inner
                .split_once(", expected ")
                .map_or("a value of another type", |(_, e)| e);
            (ViolationCode::InvalidType, format!("expected {expected}"))
        };
        FieldError::new(field, code, message)
    })
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        visit: Visit,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Visit {
        from: String,
    }

    #[test]
    fn syntax_is_400_shape_is_422_with_path() {
        assert!(matches!(
            parse_json::<Sample>(b"{nope"),
            Err(ApiError::MalformedJson(_))
        ));
        match parse_json::<Sample>(br#"{"visit":{"from":5}}"#) {
            Err(ApiError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "visit.from");
                assert_eq!(errors[0].code, ViolationCode::InvalidType);
                assert_eq!(errors[0].message, "expected a string");
            }
            other => panic!("expected 422, got {other:?}"),
        }
        match parse_json::<Sample>(br#"{"visit":{}}"#) {
            Err(ApiError::Invalid(errors)) => {
                assert_eq!(errors[0].code, ViolationCode::Required);
                assert_eq!(errors[0].field, "visit.from");
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }
}
