//! The start page: members of the reader's scope in numbers and charts (by school or area,
//! gender, age band, post; active and retired), each chart with its table; then the school
//! year in figures: every figure every area declares, read only through
//! `store::area::year_figures` (schools × figures, each cell a link to the list it counts,
//! a sum row, a year selector and a bar chart of the chosen figure by school). A school
//! chair sees the same for the school. Everyone else is sent to what they can use.
//!
//! This page never computes an area's figure itself: a new area's figures appear here by
//! being declared in its `store::<area>::AREA`.
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
use domain::area::{FigureKind, FigureValue};
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::OrgKind;
use serde::Deserialize;
use store::org;

/// A meeting in session on a delegate's start page.
pub struct NowView {
    pub id: i64,
    pub name: String,
    pub place: String,
    pub kind: String,
    pub votes: bool,
    pub checked_in: Option<String>,
    /// (poll id, title, paper, voted)
    pub polls: Vec<(i64, String, bool, bool)>,
}

#[derive(Template)]
#[template(path = "home_now.html")]
struct NowPage {
    p: Chrome,
    meetings: Vec<NowView>,
}

fn now_page(a: &Auth, now: Vec<store::voting::MeetingNow>) -> AppResult {
    let tr = a.tr;
    let meetings = now
        .into_iter()
        .map(|n| NowView {
            id: n.meeting.id.0,
            name: crate::congress::terms::meeting_name(
                &tr,
                n.meeting.term_number,
                n.meeting.number,
                n.meeting.mode,
            ),
            place: n.meeting.place.clone(),
            kind: tr.label(n.kind),
            votes: n.kind.votes(),
            checked_in: n.checked_in.map(|t| tr.datetime(&t)),
            polls: n
                .polls
                .into_iter()
                .map(|p| (p.id.0, p.title, p.paper, p.voted))
                .collect(),
        })
        .collect();
    a.render(&NowPage {
        p: Chrome::new(a, "home-now-title"),
        meetings,
    })
}

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
    year: YearTable,
    attention: Attention,
}

/// Above this many schools, the year table shows one row per area (each a link to it).
pub const YEAR_TABLE_SCHOOLS: usize = 40;

/// The school year in figures.
pub struct YearTable {
    pub title: String,
    pub years: Vec<Opt>,
    /// Each figure's label, the link that charts it, and whether it is charted.
    pub heads: Vec<(String, String, bool)>,
    pub rows: Vec<YearRow>,
    /// The sum row (empty cells for ratios, which do not add up).
    pub sum: Vec<String>,
    pub by_area: bool,
    pub chart: Option<Figure>,
    pub empty: bool,
    /// The current unit, for the links of the year selector and the headers.
    pub unit: String,
}

/// One school (or area) of the year table.
pub struct YearRow {
    pub label: String,
    pub href: Option<String>,
    /// Each figure's value as shown, and the list it counts.
    pub cells: Vec<(String, Option<String>)>,
}

/// A figure's value as shown: counts grouped, money in yuan, ratios in per cent.
pub fn show_value(kind: FigureKind, v: i64, tr: &crate::i18n::Tr) -> String {
    match kind {
        FigureKind::Count => tr.number(v),
        FigureKind::Fen => format!("¥{}.{:02}", tr.number(v / 100), (v % 100).abs()),
        FigureKind::Permille => format!("{}.{} %", v / 10, (v % 10).abs()),
    }
}

/// A row before formatting: its label, its link, and per figure the value with the list it
/// counts (`None`: not shown, e.g. a ratio with nothing rated, or a ratio for an area).
type RawRow = (String, Option<String>, Vec<Option<(i64, Option<String>)>>);

/// Builds the year table from the figures of the schools in view.
#[allow(clippy::too_many_arguments)]
fn year_table(
    values: &[FigureValue],
    schools: &[&org::OrgUnit],
    areas: &std::collections::HashMap<OrgUnitId, String>,
    year: i32,
    this_year: i32,
    unit: Option<OrgUnitId>,
    chart: &str,
    tr: &crate::i18n::Tr,
) -> YearTable {
    let figs: Vec<&'static domain::area::Figure> = store::area::declared_figures().collect();
    let unit_q = unit.map(|u| u.to_string()).unwrap_or_default();
    let in_view: std::collections::HashSet<OrgUnitId> = schools.iter().map(|u| u.id).collect();
    let values: Vec<FigureValue> = values
        .iter()
        .filter(|v| in_view.contains(&v.unit))
        .cloned()
        .collect();
    let mut cell: std::collections::HashMap<(OrgUnitId, &str), i64> = Default::default();
    for v in &values {
        cell.insert((v.unit, v.key.as_str()), v.value);
    }
    let totals = store::area::totals(&values);
    let by_area = schools.len() > YEAR_TABLE_SCHOOLS;
    // (label, link, value per figure); a figure that does not add up stays empty for an area.
    let mut raw: Vec<RawRow> = Vec::new();
    if by_area {
        let mut order: Vec<OrgUnitId> = Vec::new();
        let mut of_area: std::collections::HashMap<OrgUnitId, Vec<FigureValue>> =
            Default::default();
        for s in schools {
            let a = s.parent_id.unwrap_or(s.id);
            if !order.contains(&a) {
                order.push(a);
            }
            of_area.entry(a).or_default();
        }
        let parent: std::collections::HashMap<OrgUnitId, OrgUnitId> = schools
            .iter()
            .map(|s| (s.id, s.parent_id.unwrap_or(s.id)))
            .collect();
        for v in &values {
            if let Some(a) = parent.get(&v.unit) {
                of_area.entry(*a).or_default().push(v.clone());
            }
        }
        for a in order {
            let t = store::area::totals(of_area.get(&a).map_or(&[][..], |v| &v[..]));
            raw.push((
                areas.get(&a).cloned().unwrap_or_else(|| a.to_string()),
                Some(format!("/?unit={a}&year={year}")),
                figs.iter()
                    .map(|f| {
                        (f.sum == domain::area::Summation::Sum)
                            .then(|| (t.get(f.key).copied().unwrap_or(0), None))
                    })
                    .collect(),
            ));
        }
    } else {
        for s in schools {
            raw.push((
                s.name.clone(),
                None,
                figs.iter()
                    .map(|f| {
                        let v = cell.get(&(s.id, f.key)).copied();
                        match (v, f.kind) {
                            // A ratio with nothing to divide is not shown as 0.
                            (None, FigureKind::Permille) => None,
                            (v, _) => Some((v.unwrap_or(0), Some(f.href(s.id, year)))),
                        }
                    })
                    .collect(),
            ));
        }
    }
    let charted = figs.iter().position(|f| f.key == chart).or_else(|| {
        figs.iter()
            .position(|f| totals.get(f.key).is_some_and(|v| *v > 0))
    });
    let heads = figs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                tr.t(f.key),
                format!("/?unit={unit_q}&year={year}&chart={}#year", f.key),
                Some(i) == charted,
            )
        })
        .collect();
    let chart = charted.filter(|_| raw.len() > 1).map(|i| {
        let bars = raw
            .iter()
            .map(|(label, href, vals)| Bar {
                label: label.clone(),
                values: vec![vals.get(i).and_then(|v| v.as_ref()).map_or(0, |v| v.0)],
                href: href.clone(),
            })
            .collect::<Vec<_>>();
        figure(tr.t(figs[i].key), bars, tr)
    });
    let rows = raw
        .into_iter()
        .map(|(label, href, vals)| YearRow {
            label,
            href,
            cells: vals
                .into_iter()
                .zip(&figs)
                .map(|(v, f)| match v {
                    Some((n, link)) => (show_value(f.kind, n, tr), link),
                    None => (String::new(), None),
                })
                .collect(),
        })
        .collect();
    let sum = figs
        .iter()
        .map(|f| match f.sum {
            domain::area::Summation::Sum => {
                show_value(f.kind, totals.get(f.key).copied().unwrap_or(0), tr)
            }
            domain::area::Summation::None => String::new(),
        })
        .collect();
    YearTable {
        title: tr.t1(
            "dashboard-year-title",
            "years",
            format!("{year}–{}", year + 1),
        ),
        years: (this_year - 4..=this_year)
            .rev()
            .map(|y| Opt::new(y, format!("{y}–{}", y + 1), y == year))
            .collect(),
        heads,
        rows,
        sum,
        by_area,
        chart,
        empty: values.iter().all(|v| v.value == 0),
        unit: unit_q,
    }
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
    year: String,
    chart: String,
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
        // A delegate during a meeting lands on the meeting: check in, then vote (issue 25).
        if let Ok(acting) = domain::congress::authorize_self::<perm::CongressAttend>(&a.actor) {
            let now = store::voting::meetings_now(&state.store.db, &acting, crate::today()).await?;
            if !now.is_empty() {
                return now_page(&a, now);
            }
        }
        // Each person lands where their work is (issue 25): the proposals committee and the
        // departments on their queue, a member on their own page, anyone else on the first
        // page their role opens; only an account with nothing to open meets its own settings,
        // with a word saying why.
        let queue =
            a.actor.may(Permission::ProposalReview) || a.actor.may(Permission::ProposalHandle);
        let first = crate::area::nav_for(&a.actor)
            .into_iter()
            .find(|e| e.href != "/")
            .map(|e| e.href);
        let to = if queue {
            "/proposals"
        } else if a.actor.member.is_some() {
            "/me"
        } else if let Some(href) = first {
            href
        } else {
            return Ok(a.redirect(
                "/account/password",
                crate::ctx::Flash::warn("home-nothing-yet"),
            ));
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
    // The school year in figures, through the areas' declarations only.
    let this_year = domain::congress::school_year(today);
    let year = q
        .year
        .parse::<i32>()
        .ok()
        .filter(|y| (this_year - 4..=this_year).contains(y))
        .unwrap_or(this_year);
    let values =
        store::area::year_figures(&state.store, &store::area::Reach::of(&cap), year).await?;
    let parent_of: std::collections::HashMap<OrgUnitId, Option<OrgUnitId>> =
        units_all.iter().map(|u| (u.id, u.parent_id)).collect();
    let under = |mut x: OrgUnitId, root: OrgUnitId| loop {
        if x == root {
            return true;
        }
        match parent_of.get(&x).copied().flatten() {
            Some(p) => x = p,
            None => return false,
        }
    };
    let in_view: Vec<&org::OrgUnit> = units_all
        .iter()
        .filter(|u| u.kind == OrgKind::SchoolUnion)
        .filter(|u| unit.is_none_or(|x| under(u.id, x)))
        .collect();
    let area_names = units_all.iter().map(|u| (u.id, u.name.clone())).collect();
    let year_view = year_table(
        &values,
        &in_view,
        &area_names,
        year,
        this_year,
        unit,
        &q.chart,
        &tr,
    );
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
        year: year_view,
        attention,
    })
}
