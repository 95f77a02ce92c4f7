//! Errors: [`ApiError`] is what a handler returns to a client (a status and
//! a short JSON `{"error": ...}` body); [`ServeError`] is what building or
//! reloading the served data can fail with.

use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::dataset::DatasetError;
use crate::score::ScoreError;
use crate::tiles::TileError;

/// A client-facing error: status plus message, rendered as JSON.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request (400).
    #[error("{0}")]
    BadRequest(String),
    /// No such resource (404).
    #[error("{0}")]
    NotFound(String),
    /// Body over the size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// Request target (path and query) over the length limit (414).
    #[error("{0}")]
    UriTooLong(String),
    /// Request headers over the size limit (431).
    #[error("{0}")]
    HeadersTooLarge(String),
    /// A fault on our side (500); the message is logged, the client gets a generic one.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A JSON error response with the given status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                error_response(status, "internal error")
            }
            other => error_response(status, &other.to_string()),
        }
    }
}

/// Why the served data could not be built or reloaded.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The dataset artifact could not be read or failed its checks.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// Building a dataset from a project file failed.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// Scoring failed.
    #[error("{}: scoring failed: {source}", path.display())]
    Score {
        /// The dataset being scored.
        path: PathBuf,
        /// The cause.
        source: ScoreError,
    },
    /// Preparing tiles failed.
    #[error("preparing tiles: {0}")]
    Tiles(#[from] TileError),
    /// Anything else (a panicked build task, a bad option).
    #[error("{0}")]
    Other(String),
}
