//! The files of contest entries on the web: the school attaches a file to its entry while
//! the contest takes entries (`POST /contests/{id}/files`, multipart `entry` + `file`; a
//! refused file comes back at the entry's line with the reason, 422); the school and the
//! organizer read it under the name given (`/contests/files/{id}`); a judge of that contest
//! downloads it blind (`/contests/files/{id}/blind`): named by the entry's code, with no
//! header that names a person, a school or the original file.
//!
//! Must never: trust a file's name or declared type (the store proves it from the content);
//! give a judge a file outside the contests they judge (404, like missing).

use super::{Refused, show_page};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use domain::auth::perm;
use domain::congress::authorize_self;
use domain::contests::{ContestEntryId, ContestId};
use std::collections::HashMap;
use store::StoreError;
use store::contests::files;

/// The request size an upload may reach: the file's limit and room for the form.
pub const UPLOAD_LIMIT: usize = files::MAX_BYTES + 64 * 1024;

/// Attaches a file to an entry of the reader's school.
pub async fn attach(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestEnter>()?;
    let mut entry = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(f) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        match f.name() {
            Some("entry") => entry = f.text().await.map_err(|_| AppError::BadRequest)?,
            Some("file") => {
                let name = f.file_name().unwrap_or("entry").to_string();
                let b = f.bytes().await.map_err(|_| AppError::BadRequest)?;
                file = Some((name, b.to_vec()));
            }
            _ => {}
        }
    }
    let Some(e) = entry.trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let (name, bytes) = file.unwrap_or_default();
    let r = files::attach(
        &state.store,
        &cap,
        &a.who(),
        ContestEntryId(e),
        &name,
        &bytes,
    )
    .await;
    match r {
        Ok(c) if c.0 == id => {
            Ok(a.redirect(&format!("/contests/{id}"), Flash::ok("contests-file-added")))
        }
        Ok(c) => Ok(a.redirect(
            &format!("/contests/{}", c.0),
            Flash::ok("contests-file-added"),
        )),
        Err(StoreError::Invalid(errors)) => {
            let mut vals = HashMap::new();
            vals.insert("entry".to_string(), e.to_string());
            show_page(
                &state,
                &a,
                ContestId(id),
                Refused {
                    form: "file".into(),
                    vals,
                    errors,
                },
            )
            .await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A file for its school or the organizer, under the name given; never sniffed again by
/// the browser.
pub async fn file(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let (name, kind, bytes) = match files::file(&state.store.db, &cap, id).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let utf8: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8.replace('+', "%20")
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A file for the judge acting, blind: named `<code>.<type>`, nothing else said.
pub async fn blind(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ContestJudge>(&a.actor).map_err(|_| AppError::NotFound)?;
    let (code, kind, bytes) = match files::for_judge(&state.store.db, &acting, id).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let disposition = format!(
        "attachment; filename=\"{code}.{}\"",
        files::extension(&kind)
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
