//! The inbox on the web: the reader's own items (newest first, in keyset pages, a list that
//! reads on a phone), opening one marks it read and goes straight to the page that needs
//! attention, and "mark all read". The unread count in the header comes with the session
//! (`store::auth::load_actor`), so it costs no query of its own.
//!
//! Shows only the reader's items: there is no capability to read another account's inbox.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, RouteTable};
use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use store::inbox;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/inbox", Guard::own(), list)
        .post("/inbox/{id}/open", Guard::own().button(), open)
        .post("/inbox/read", Guard::own().button(), read_all)
}

pub struct ItemView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "inbox/list.html")]
struct InboxPage {
    p: Chrome,
    rows: Vec<ItemView>,
    older_href: Option<String>,
    any_unread: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    before: String,
}

const PAGE: i64 = 50;

async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<InboxQuery>) -> AppResult {
    let items = inbox::list(
        &state.store.db,
        a.actor.account,
        q.before.parse().ok(),
        PAGE,
    )
    .await?;
    let older_href = if items.len() as i64 == PAGE {
        items.last().map(|i| format!("/inbox?before={}", i.id))
    } else {
        None
    };
    let rows: Vec<ItemView> = items
        .iter()
        .map(|i| {
            let (title, body) = crate::outbox::render(&a.tr, &i.message);
            ItemView {
                id: i.id,
                title,
                body,
                at: a.tr.datetime(&i.created_at),
                unread: i.read_at.is_none(),
            }
        })
        .collect();
    let any_unread = rows.iter().any(|r| r.unread);
    a.render(&InboxPage {
        p: Chrome::new(&a, "inbox-title"),
        rows,
        older_href,
        any_unread,
    })
}

/// Marks the item read and goes to the page it is about (Post/Redirect/Get: the link is a
/// small form, so that a prefetching browser cannot mark items read).
async fn open(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let link = inbox::open(&state.store.db, a.actor.account, id, store::now()).await?;
    // Only paths of this site (the store writes them; this keeps it so).
    let to = if link.starts_with('/') && !link.starts_with("//") {
        link
    } else {
        "/inbox".into()
    };
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&to),
    ))
}

async fn read_all(State(state): State<AppState>, a: Auth) -> AppResult {
    inbox::mark_all_read(&state.store.db, a.actor.account, store::now()).await?;
    Ok(a.redirect("/inbox", Flash::ok("inbox-all-read")))
}
