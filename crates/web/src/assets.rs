//! Static files (CSS, JS, icons) embedded in the binary, served with long caching: their
//! URLs carry a content hash.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// `/static/<hash>/<file>`: the hash of all assets, so a new build gets new URLs.
pub fn prefix() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        for n in names {
            if let Some(f) = Assets::get(&n) {
                h.update(n.as_bytes());
                h.update(&f.data);
            }
        }
        format!("/static/{}", &hex::encode(h.finalize())[..10])
    })
}

pub async fn serve(Path((_, file)): Path<(String, String)>) -> Response {
    match Assets::get(&file) {
        Some(f) => {
            let mime = match file.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("ico") => "image/x-icon",
                Some("png") => "image/png",
                _ => "application/octet-stream",
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                f.data.into_owned(),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Total bytes of the embedded CSS and JS (for the page-weight benchmark).
pub fn sizes() -> Vec<(String, usize)> {
    Assets::iter()
        .filter_map(|n| Assets::get(&n).map(|f| (n.to_string(), f.data.len())))
        .collect()
}
