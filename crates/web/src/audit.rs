//! The audit view for union staff: records filtered by entity, person and date, newest
//! first, in keyset pages.

use crate::chrome::Chrome;
use crate::ctx::Auth;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Query, State};
use domain::auth::perm;
use serde::{Deserialize, Serialize};
use store::audit::{self, AuditFilter};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/audit", Guard::staff(P::AuditView), list)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AuditQuery {
    entity: String,
    id: String,
    actor: String,
    from: String,
    to: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    before: String,
}

pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub changes: String,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    p: Chrome,
    q: AuditQuery,
    rows: Vec<AuditView>,
    older_href: Option<String>,
}

const PAGE: i64 = 100;

async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<AuditQuery>) -> AppResult {
    let cap = a.actor.authorize::<perm::AuditView>()?;
    let f = AuditFilter {
        entity_type: Some(q.entity.trim().to_string()).filter(|s| !s.is_empty()),
        entity_id: q.id.trim().parse().ok(),
        actor: Some(q.actor.trim().to_string()).filter(|s| !s.is_empty()),
        from: chrono::NaiveDate::parse_from_str(q.from.trim(), "%Y-%m-%d").ok(),
        to: chrono::NaiveDate::parse_from_str(q.to.trim(), "%Y-%m-%d").ok(),
        before_seq: q.before.parse().ok(),
    };
    let rows = audit::list(&state.store.db, &cap, &f, PAGE).await?;
    let older_href = (rows.len() as i64 == PAGE).then(|| {
        let mut n = q.clone();
        n.before = rows.last().map(|r| r.seq.to_string()).unwrap_or_default();
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&n).unwrap_or_default()
        )
    });
    let rows = rows
        .into_iter()
        .map(|r| AuditView {
            seq: r.seq,
            at: a.tr.datetime(&r.at),
            actor: r.actor_label,
            action: r.action,
            entity: match r.entity_id {
                Some(id) => format!("{} #{id}", r.entity_type),
                None => r.entity_type,
            },
            changes: r.changes,
            request_id: r.request_id.unwrap_or_default(),
        })
        .collect();
    a.render(&AuditPage {
        p: Chrome::new(&a, "audit-title"),
        q,
        rows,
        older_href,
    })
}

use crate::area::{Area, NavEntry};

/// The audit area: the audit log, its search and its verification.
pub static AREA: Area = Area {
    name: "audit",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/audit",
        label_key: "nav-audit",
        permission: Some(domain::auth::Permission::AuditView),
        rank: 90,
    }],
    documents: &[],
};
