//! The start page. Union staff and school chairs see their members in numbers; everyone
//! else is sent to what they can use.

use crate::chrome::Chrome;
use crate::ctx::Auth;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Access, RouteTable};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use domain::auth::{Permission, perm};
use store::org::{self, MemberFilter, PageRequest};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/", Access::Login, home)
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    p: Chrome,
    total: String,
    schools: usize,
    can_import: bool,
}

async fn home(State(state): State<AppState>, a: Auth) -> AppResult {
    if !a.actor.may(Permission::DashboardView) {
        let to = if a.actor.member.is_some() {
            "/me"
        } else {
            "/account/password"
        };
        return Ok(Redirect::to(to).into_response());
    }
    let cap = a.actor.authorize::<perm::MemberView>()?;
    let page = org::list_members(
        &state.store,
        &cap,
        &MemberFilter::default(),
        &PageRequest {
            after: None,
            before: None,
            limit: 1,
        },
        crate::today(),
    )
    .await?;
    let schools = org::schools(&state.store.db, &cap).await?.len();
    let total = match page.total {
        Some(n) => a.tr.number(n),
        None => a.tr.t1("count-over", "count", a.tr.number(org::COUNT_CAP)),
    };
    a.render(&DashboardPage {
        p: Chrome::new(&a, "dashboard-title"),
        total,
        schools,
        can_import: a.actor.may(Permission::MemberImport),
    })
}
