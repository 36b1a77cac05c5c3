//! The start page: members of the reader's scope in numbers and charts (by school or area,
//! gender, age band, post; active and retired), each chart with its table. A school chair
//! sees the same for the school. Everyone else is sent to what they can use.
//!
//! Above the figures, "needs attention" ([`attention`]): the areas' due items in the
//! reader's reach (a `Reach` made from the reader's capability, so a delegate's ballot to
//! cast is listed for that delegate only), soonest first, overdue marked, each linking to
//! where to act.

use crate::chart::{self, Bar};
use crate::chrome::{Chrome, Opt};
use crate::ctx::Auth;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, RouteTable};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::OrgKind;
use serde::Deserialize;
use store::org;

/// How long the figures of a large scope are reused.
pub const STATS_TTL_MINUTES: i64 = 5;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/", Guard::own(), home)
}

/// A chart with the table of its numbers.
pub struct Figure {
    pub title: String,
    pub svg: String,
    pub rows: Vec<(String, String, String)>,
    pub two_series: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    p: Chrome,
    total: String,
    active: String,
    retired: String,
    schools: String,
    figures: Vec<Figure>,
    units: Vec<Opt>,
    can_import: bool,
    empty: bool,
    members_href: String,
    /// When the figures of a large scope were counted.
    as_of: Option<String>,
    attention: Attention,
}

/// The "needs attention" section of the start page.
pub struct Attention {
    pub rows: Vec<AttentionRow>,
    /// Items beyond those listed.
    pub more: usize,
}

/// One due item as listed.
pub struct AttentionRow {
    pub what: String,
    pub title: String,
    pub due: String,
    /// "3 days left", "due today", "overdue by 2 days".
    pub when: String,
    pub overdue: bool,
    pub href: String,
}

/// Items listed at most; the rest are counted.
pub const ATTENTION_MAX: usize = 20;

/// The due items in the reader's reach, soonest first (one call per area, whatever the
/// number of items).
pub async fn attention(
    state: &AppState,
    tr: &crate::i18n::Tr,
    cap: &domain::auth::Cap<perm::DashboardView>,
    today: chrono::NaiveDate,
) -> Result<Attention, crate::error::AppError> {
    let items = store::area::due_items(&state.store, &store::area::Reach::of(cap), today).await?;
    let more = items.len().saturating_sub(ATTENTION_MAX);
    let rows = items
        .into_iter()
        .take(ATTENTION_MAX)
        .map(|i| {
            let left = i.days_left(today);
            AttentionRow {
                what: tr.t(&i.kind),
                title: i.title,
                due: tr.date(&i.due),
                when: match left {
                    0 => tr.t("attention-today"),
                    d if d > 0 => tr.t1("attention-left", "days", d),
                    d => tr.t1("attention-overdue", "days", -d),
                },
                overdue: left < 0,
                href: i.href,
            }
        })
        .collect();
    Ok(Attention { rows, more })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DashQuery {
    unit: String,
}

fn figure(title: String, bars: Vec<Bar>, tr: &crate::i18n::Tr) -> Figure {
    let two = bars.iter().any(|b| b.values.len() > 1);
    let rows = bars
        .iter()
        .map(|b| {
            (
                b.label.clone(),
                tr.number(b.values.first().copied().unwrap_or(0)),
                if two {
                    tr.number(b.values.get(1).copied().unwrap_or(0))
                } else {
                    String::new()
                },
            )
        })
        .collect();
    Figure {
        svg: chart::bars(&title, &bars),
        title,
        rows,
        two_series: two,
    }
}

async fn home(State(state): State<AppState>, a: Auth, Query(q): Query<DashQuery>) -> AppResult {
    if !a.actor.may(Permission::DashboardView) {
        let to = if a.actor.member.is_some() {
            "/me"
        } else {
            "/account/password"
        };
        return Ok(Redirect::to(to).into_response());
    }
    let cap = a.actor.authorize::<perm::DashboardView>()?;
    let tr = a.tr;
    let unit: Option<OrgUnitId> = q.unit.parse().ok();
    let today = crate::today();
    // Large scopes are counted at most every few minutes; a school's figures are live.
    let large = store::scope::is_large(&state.store.db, cap.scope()).await?;
    let key = format!("{:?}|{unit:?}|{today}", cap.scope());
    let cached = if large {
        state.stats_cache.lock().ok().and_then(|c| {
            c.get(&key)
                .filter(|(at, _)| {
                    chrono::Utc::now() - *at < chrono::Duration::minutes(STATS_TTL_MINUTES)
                })
                .cloned()
        })
    } else {
        None
    };
    let (counted_at, s) = match cached {
        Some(hit) => hit,
        None => {
            let s = org::stats::member_stats(&state.store.db, &cap, unit, today).await?;
            let now = chrono::Utc::now();
            if large && let Ok(mut c) = state.stats_cache.lock() {
                c.retain(|_, (at, _)| now - *at < chrono::Duration::minutes(STATS_TTL_MINUTES));
                c.insert(key, (now, s.clone()));
            }
            (now, s)
        }
    };
    let as_of = large.then(|| tr.t1("dashboard-as-of", "time", tr.datetime(&counted_at)));
    let units_all = org::list_units(&state.store.db, &cap).await?;
    let schools = units_all
        .iter()
        .filter(|u| u.kind == OrgKind::SchoolUnion)
        .filter(|u| unit.is_none_or(|x| x == u.id || u.parent_id == Some(x)))
        .count();
    // The switcher lists areas and, when not too many, schools.
    let few = units_all
        .iter()
        .filter(|u| u.kind == OrgKind::SchoolUnion)
        .count()
        <= 300;
    let mut units = vec![Opt::new("", tr.t("dashboard-all-units"), unit.is_none())];
    units.extend(
        units_all
            .iter()
            .filter(|u| u.kind == OrgKind::Area || (few && u.kind == OrgKind::SchoolUnion))
            .map(|u| {
                Opt::new(
                    u.id,
                    if u.kind == OrgKind::Area {
                        u.name.clone()
                    } else {
                        format!("· {}", u.name)
                    },
                    unit == Some(u.id),
                )
            }),
    );
    let mut figures = Vec::new();
    if s.by_unit.len() > 1 {
        let key = if s.unit_kind == Some(OrgKind::Area) {
            "dashboard-by-area"
        } else {
            "dashboard-by-school"
        };
        let bars = s
            .by_unit
            .iter()
            .map(|(id, name, act, ret)| Bar {
                label: name.clone(),
                values: vec![*act, *ret],
                href: Some(format!("/?unit={id}")),
            })
            .collect();
        figures.push(figure(tr.t(key), bars, &tr));
    }
    let gender = s
        .by_gender
        .iter()
        .map(|(g, n)| Bar {
            label: tr.label(*g),
            values: vec![*n],
            href: None,
        })
        .collect();
    figures.push(figure(tr.t("dashboard-by-gender"), gender, &tr));
    let age = s
        .by_age
        .iter()
        .map(|(b, n)| Bar {
            label: tr.t(&b.label_key()),
            values: vec![*n],
            href: None,
        })
        .collect();
    figures.push(figure(tr.t("dashboard-by-age"), age, &tr));
    let post = s
        .by_post
        .iter()
        .map(|(p, n)| Bar {
            label: tr.label(*p),
            values: vec![*n],
            href: None,
        })
        .collect();
    figures.push(figure(tr.t("dashboard-by-post"), post, &tr));
    let total = s.active + s.retired;
    let members_href = match unit {
        Some(u) => format!("/members?unit={u}"),
        None => "/members".into(),
    };
    let attention = attention(&state, &tr, &cap, today).await?;
    let p = Chrome::new(&a, "dashboard-title");
    a.render(&DashboardPage {
        p,
        total: tr.number(total),
        active: tr.number(s.active),
        retired: tr.number(s.retired),
        schools: tr.number(schools as i64),
        empty: total == 0,
        figures,
        units,
        can_import: a.actor.may(Permission::MemberImport),
        members_href,
        as_of,
        attention,
    })
}
