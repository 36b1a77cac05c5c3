//! One error type for every handler. It never carries internals to the page: a handler's
//! error becomes a status and a kind, and the error-page layer renders the friendly page in
//! the reader's language with the request id (the id also goes to the log with the cause).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::auth::Denied;
use store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// Missing or outside the reader's scope (never told apart).
    NotFound,
    /// Logged in, but the role does not allow it.
    Forbidden,
    /// A request the page could not have sent (bad form, bad id).
    BadRequest,
    /// The record changed under the reader.
    Conflict,
    /// Something broke; the cause is logged, not shown.
    Internal(String),
}

/// Marks a response whose body the error-page layer fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorPage(pub StatusCode);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Conflict => StatusCode::CONFLICT,
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(ErrorPage(status));
        r
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Stale | StoreError::State(_) => AppError::Conflict,
            StoreError::Invalid(_) => AppError::BadRequest,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for AppError {
    fn from(_: Denied) -> Self {
        AppError::Forbidden
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

pub type AppResult<T = Response> = Result<T, AppError>;
