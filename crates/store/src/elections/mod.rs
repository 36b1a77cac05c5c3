//! Elections (union committees, 换届 and 补选) in the database: the versioned election rule
//! sets ([`rules`]), committees with their terms and seats ([`committees`]), the election
//! workflow from application to approval ([`workflow`]), the demo year ([`demo`]), and the
//! area's declaration (coded columns, year figures, due items).
//!
//! Every read takes an election capability (or a [`Reach`] made from one) and filters by its
//! scope in SQL; out of scope looks like missing. Every change is audited in its
//! transaction; every step of an election names the rule-set version that decided it.
//! Nothing here renders text: errors carry catalogue keys. No personal data is stored here
//! beyond member ids; due items carry the school's committee kind, never a name.

pub mod committees;
pub mod demo;
pub mod rules;
pub mod vote;
pub mod workflow;

use crate::area::{Area, CodedColumn, Reach};
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::{Datelike, NaiveDate};
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::auth::Role;
use domain::elections::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;

pub(crate) use domain::elections::text as t;

pub(crate) fn coded<C: Coded>(s: &str) -> Result<C, StoreError> {
    crate::org::coded(s)
}

static FIGURES: &[Figure] = &[
    Figure {
        key: "figure-elections-general",
        kind: FigureKind::Count,
        list: "/elections?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-elections-by",
        kind: FigureKind::Count,
        list: "/elections?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-elections-overdue",
        kind: FigureKind::Count,
        list: "/elections?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
];

/// Elections: committees, terms, vacancies and elections.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<CommitteeKind>("committee.kind"),
        CodedColumn::of::<SeatRole>("committee_seat.role"),
        CodedColumn::of::<VacancyReason>("committee_seat.vacancy_reason"),
        CodedColumn::of::<ElectionKind>("election.kind"),
        CodedColumn::of::<ElectionStatus>("election.status"),
        CodedColumn::of::<Assembly>("election.assembly"),
        CodedColumn::of::<ElectionStep>("election_step.step"),
    ],
    encrypted: &[],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("elections")
};

fn year_figures_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    year_figures(st, reach, year).boxed()
}

fn due_items_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    due_items(st, reach, today).boxed()
}

/// General elections and by-elections confirmed (held in the year), and committees whose
/// term had ended by the end of the year (or by today, for the current year) without a new
/// one: two queries, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(
        "SELECT e.school_union_id, CAST(SUM(CASE WHEN e.kind = 'general_election' THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN e.kind = 'by_election' THEN 1 ELSE 0 END) AS BIGINT) FROM election e WHERE e.status = 'confirmed' AND e.held_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND e.held_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" GROUP BY e.school_union_id ORDER BY e.school_union_id");
    let rows: Vec<(i64, i64, i64)> = q.fetch_all(&st.db).await?;
    let mut out = Vec::with_capacity(rows.len() * 3);
    for (unit, general, by) in rows {
        for (f, v) in FIGURES[..2].iter().zip([general, by]) {
            out.push(FigureValue {
                key: f.key.to_string(),
                unit: OrgUnitId(unit),
                year,
                value: v,
            });
        }
    }
    let today = crate::db::now().date_naive();
    let until = if today.year() == year { today } else { to };
    let mut q = Sql::new(
        "SELECT c.school_union_id, CAST(COUNT(*) AS BIGINT) FROM committee c WHERE c.term_end < ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "c.school_union_id", reach.scope());
    q.push(" GROUP BY c.school_union_id ORDER BY c.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    for (unit, n) in rows {
        out.push(FigureValue {
            key: FIGURES[2].key.to_string(),
            unit: OrgUnitId(unit),
            year,
            value: n,
        });
    }
    Ok(out)
}

/// The committee's Chinese name as messages carry it (robots and e-mail are in Chinese).
fn zh(kind: CommitteeKind) -> &'static str {
    kind.aliases().first().copied().unwrap_or(kind.code())
}

fn chair_of(school: i64) -> Concerns {
    Concerns::Role {
        role: Role::SchoolChair,
        unit: OrgUnitId(school),
    }
}

/// Terms ending within the notice of the committee's rule set (or overdue), vacancies open
/// longer than the rule set allows, and approvals the upper union owes: at most four
/// queries. The title names the school and the committee's kind (in Chinese, as messages
/// carry it), never a person.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut out = Vec::new();
    // Terms: a year ahead is the widest notice a rule set may give; each committee's own
    // version decides.
    let horizon = today + chrono::Duration::days(366);
    let mut q = Sql::new(
        "SELECT c.id, c.school_union_id, o.name, c.kind, c.term_end, r.numbers FROM committee c JOIN org_unit o ON o.id = c.school_union_id JOIN election_rule_set r ON r.id = c.rule_set_id WHERE c.term_end <= ",
    );
    q.bind(Arg::Date(horizon));
    crate::scope::restrict(&mut q, "c.school_union_id", reach.scope());
    q.push(" ORDER BY c.term_end, c.id");
    let rows: Vec<(i64, i64, String, String, NaiveDate, String)> = q.fetch_all(&st.db).await?;
    for (id, school, name, kind, end, numbers) in rows {
        let r: ElectionRules =
            serde_json::from_str(&numbers).unwrap_or_else(|_| ElectionRules::default_rules());
        let notice_from = end
            .checked_sub_months(chrono::Months::new(r.notice_months))
            .unwrap_or(end);
        if today < notice_from {
            continue;
        }
        let kind: CommitteeKind = coded(&kind)?;
        out.push(DueItem {
            area: "elections".into(),
            kind: "due-elections-term".into(),
            key: format!("elections-term:{id}:{end}"),
            unit: OrgUnitId(school),
            title: format!("{name} · {}", zh(kind)),
            due: end,
            concerns: vec![chair_of(school)],
            href: format!("/elections/committees/{id}"),
        });
    }
    // Vacancies open too long.
    let vac = committees::vacancies_in(st, reach.scope()).await?;
    let mut days: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
    if !vac.is_empty() {
        let mut q = Sql::new(
            "SELECT c.id, r.numbers FROM committee c JOIN election_rule_set r ON r.id = c.rule_set_id WHERE 1 = 1",
        );
        crate::scope::restrict(&mut q, "c.school_union_id", reach.scope());
        q.push(" ORDER BY c.id");
        let rows: Vec<(i64, String)> = q.fetch_all(&st.db).await?;
        for (id, numbers) in rows {
            let r: ElectionRules =
                serde_json::from_str(&numbers).unwrap_or_else(|_| ElectionRules::default_rules());
            days.insert(id, r.vacancy_days);
        }
    }
    for v in vac {
        let limit = days.get(&v.committee.0).copied().unwrap_or(90);
        let due = v.since + chrono::Duration::days(i64::from(limit));
        out.push(DueItem {
            area: "elections".into(),
            kind: "due-elections-vacancy".into(),
            key: format!("elections-vacancy:{}:{due}", v.seat.0),
            unit: v.school_union_id,
            title: format!("{} · {}", v.school_name, zh(v.kind)),
            due,
            concerns: vec![chair_of(v.school_union_id.0)],
            href: format!("/elections/committees/{}", v.committee.0),
        });
    }
    // Approvals the upper union owes: the step's day plus the rule set's days, to the union
    // staff of the school's root union.
    let mut q = Sql::new(
        "SELECT e.id, e.school_union_id, o.name, e.status, e.step_on, r.numbers,
         (SELECT x.ancestor_id FROM org_closure x WHERE x.descendant_id = e.school_union_id ORDER BY x.depth DESC LIMIT 1)
         FROM election e JOIN org_unit o ON o.id = e.school_union_id JOIN committee c ON c.id = e.committee_id
         JOIN election_rule_set r ON r.id = c.rule_set_id WHERE e.status IN ('applied', 'nominated', 'held')",
    );
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" ORDER BY e.step_on, e.id");
    let rows: Vec<(i64, i64, String, String, NaiveDate, String, i64)> = q.fetch_all(&st.db).await?;
    for (id, school, name, status, on, numbers, root) in rows {
        let r: ElectionRules =
            serde_json::from_str(&numbers).unwrap_or_else(|_| ElectionRules::default_rules());
        let due = on + chrono::Duration::days(i64::from(r.approval_days));
        out.push(DueItem {
            area: "elections".into(),
            kind: "due-elections-approval".into(),
            key: format!("elections-approval:{id}:{status}"),
            unit: OrgUnitId(school),
            title: format!("{name} #{id}"),
            due,
            concerns: vec![Concerns::Role {
                role: Role::UnionStaff,
                unit: OrgUnitId(root),
            }],
            href: format!("/elections/{id}"),
        });
    }
    Ok(out)
}
