//! The site-wide pages that belong to no area: the friendly error page (in the reader's
//! language, with the request id) and the plain message page.
//!
//! Nothing here knows a request's internals: the error layer hands in only a status.

use crate::chrome::Chrome;
use crate::i18n::Tr;
use askama::Template;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    pub p: Chrome,
    pub status: u16,
    pub message: String,
}

impl ErrorTemplate {
    pub fn new(tr: Tr, status: StatusCode, request_id: &str) -> ErrorTemplate {
        let (title, message) = match status.as_u16() {
            403 => ("error-403-title", "error-403-text"),
            404 => ("error-404-title", "error-404-text"),
            409 => ("error-409-title", "error-409-text"),
            413 => ("error-413-title", "error-413-text"),
            400 | 405 | 422 => ("error-400-title", "error-400-text"),
            _ => ("error-500-title", "error-500-text"),
        };
        ErrorTemplate {
            p: Chrome::bare(tr, title, request_id),
            status: status.as_u16(),
            message: tr.t(message),
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessageTemplate {
    pub p: Chrome,
    pub message: String,
}
