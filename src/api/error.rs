//! The one error shape of the API, `{"error": {"code": "...", "message": "..."}}`, and the one
//! table from error codes to HTTP statuses. Messages never contain secrets.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    MalformedJson,
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    PayloadTooLarge,
    UriTooLong,
    HeadersTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    InvalidContent,
    Unavailable,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedJson => "malformed_json",
            Code::InvalidRequest => "invalid_request",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::RequestTimeout => "request_timeout",
            Code::Conflict => "conflict",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UriTooLong => "uri_too_long",
            Code::HeadersTooLarge => "headers_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::TooManyRequests => "too_many_requests",
            Code::InvalidContent => "invalid_content",
            Code::Unavailable => "unavailable",
            Code::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::MalformedJson => StatusCode::BAD_REQUEST,
            Code::InvalidRequest | Code::InvalidContent => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Code::Conflict => StatusCode::CONFLICT,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UriTooLong => StatusCode::URI_TOO_LONG,
            Code::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Vec<String>,
    /// Seconds to send in `Retry-After` with a 429 (1 when not set).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::InvalidRequest, message)
    }

    /// A body over `api::MAX_BODY_BYTES`, whether declared or read.
    pub fn body_too_large() -> ApiError {
        ApiError::new(
            Code::PayloadTooLarge,
            format!(
                "the body is larger than {} KiB",
                super::MAX_BODY_BYTES / 1024
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if !self.details.is_empty() {
            error["details"] = json!(self.details);
        }
        let mut response =
            (self.code.status(), axum::Json(json!({ "error": error }))).into_response();
        if self.code == Code::TooManyRequests {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(self.retry_after.unwrap_or(1)),
            );
        }
        if self.code == Code::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with `content-type: application/json`",
            ),
            JsonRejection::JsonSyntaxError(error) => ApiError::new(
                Code::MalformedJson,
                format!("the body is not valid JSON: {}", error.body_text()),
            ),
            JsonRejection::JsonDataError(error) => {
                let text = error.body_text();
                let said = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text);
                ApiError::new(
                    Code::InvalidRequest,
                    format!("the body does not fit: {said}"),
                )
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::body_too_large(),
            other => ApiError::new(Code::MalformedJson, other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        let text = rejection.body_text();
        let said = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text);
        ApiError::invalid(format!("the query string does not fit: {said}"))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::invalid(rejection.body_text())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        match error {
            crate::store::StoreError::DifferentMessage(_) => {
                ApiError::new(Code::Conflict, error.to_string())
            }
            error => ServiceError::Store(error).into(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        match error {
            ServiceError::DifferentContent(_) => ApiError::new(Code::Conflict, error.to_string()),
            ServiceError::Busy => ApiError::new(Code::TooManyRequests, error.to_string()),
            ServiceError::Store(store) => {
                tracing::error!(error = %store, "store failure");
                ApiError::new(
                    Code::Unavailable,
                    "the store is unavailable; the message was not accepted, send it again",
                )
            }
        }
    }
}
