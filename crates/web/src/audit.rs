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
    /// One line per changed field, "field: old → new", in the reader's language.
    pub changes: Vec<String>,
    pub request_id: String,
}

/// A recorded value as a person reads it: nothing as "—", a redacted personal field as
/// such, text as it is, anything else compactly.
fn shown(tr: &crate::i18n::Tr, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s == domain::audit::REDACTED => tr.t("audit-redacted"),
        Value::String(s) => s.clone(),
        Value::Bool(b) => tr.t(if *b { "audit-yes" } else { "audit-no" }),
        other => other.to_string(),
    }
}

/// The changes of a record as lines "field: old → new" (issue 25): field names from the
/// catalogue where it has them (`audit-field-…`), else as recorded; personal fields stay
/// redacted as they were recorded.
pub fn readable_changes(tr: &crate::i18n::Tr, changes: &str) -> Vec<String> {
    use serde_json::Value;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(changes) else {
        return if changes.trim().is_empty() || changes.trim() == "{}" {
            Vec::new()
        } else {
            vec![changes.to_string()]
        };
    };
    map.iter()
        .map(|(k, v)| {
            let field = tr
                .maybe(&format!("audit-field-{k}"))
                .unwrap_or_else(|| k.clone());
            match v {
                Value::Array(pair) if pair.len() == 2 => {
                    format!("{field}: {} → {}", shown(tr, &pair[0]), shown(tr, &pair[1]))
                }
                other => format!("{field}: {}", shown(tr, other)),
            }
        })
        .collect()
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
            action: a
                .tr
                .maybe(&format!("audit-action-{}", r.action.replace('.', "-")))
                .unwrap_or_else(|| r.action.clone()),
            entity: {
                let kind =
                    a.tr.maybe(&format!("audit-entity-{}", r.entity_type))
                        .unwrap_or_else(|| r.entity_type.clone());
                match r.entity_id {
                    Some(id) => format!("{kind} #{id}"),
                    None => kind,
                }
            },
            changes: readable_changes(&a.tr, &r.changes),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Tr};

    #[test]
    fn changes_read_as_field_old_to_new_with_personal_fields_redacted() {
        let tr = Tr::new(Lang::Zh);
        let lines = readable_changes(
            &tr,
            r#"{"name":["卢海","卢海波"],"id_number":["[redacted]","[redacted]"],"post":[null,"teacher"]}"#,
        );
        assert!(
            lines.contains(&"姓名: 卢海 → 卢海波".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"身份证号: （已隐去） → （已隐去）".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"岗位: — → teacher".to_string()),
            "{lines:?}"
        );
        assert!(readable_changes(&tr, "{}").is_empty());
    }
}
