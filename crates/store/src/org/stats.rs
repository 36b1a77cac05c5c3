//! Member figures for dashboards: counts by unit, gender, post, age band and status,
//! aggregated in SQL over the capability's scope (two queries whatever the size).

use crate::db::{Arg, Sql};
use crate::{Db, StoreError};
use chrono::NaiveDate;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use domain::org::{AgeBand, Coded, Gender, MemberStatus, OrgKind, Post};
use std::collections::HashMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberStats {
    pub active: i64,
    pub retired: i64,
    /// (unit, name, active, retired) for the units the figures are broken down by.
    pub by_unit: Vec<(OrgUnitId, String, i64, i64)>,
    pub by_gender: Vec<(Gender, i64)>,
    pub by_post: Vec<(Post, i64)>,
    pub by_age: Vec<(AgeBand, i64)>,
    /// The kind of the units in `by_unit` (schools, or areas for large scopes).
    pub unit_kind: Option<OrgKind>,
}

fn bump<K: PartialEq>(v: &mut Vec<(K, i64)>, k: K, n: i64) {
    match v.iter_mut().find(|(x, _)| *x == k) {
        Some(e) => e.1 += n,
        None => v.push((k, n)),
    }
}

/// Above this many schools, the breakdown is by area instead.
pub const MAX_SCHOOL_BARS: i64 = 60;

fn age_case(today: NaiveDate, sql: &mut Sql) {
    sql.push("CASE");
    for b in AgeBand::ALL {
        let (after, _) = b.birth_range(today);
        match after {
            Some(d) => {
                sql.push(" WHEN m.birth_date > ")
                    .bind(Arg::Date(d))
                    .push(" THEN '")
                    .push(b.code())
                    .push("'");
            }
            None => {
                sql.push(" ELSE '").push(b.code()).push("'");
            }
        }
    }
    sql.push(" END");
}

/// Figures for the scope, or for the subtree of `unit` within it.
pub async fn member_stats(
    db: &Db,
    cap: &Cap<perm::DashboardView>,
    unit: Option<OrgUnitId>,
    today: NaiveDate,
) -> Result<MemberStats, StoreError> {
    let mut out = MemberStats::default();
    // Breakdown by status, gender, post and age band in one pass.
    let mut sql = Sql::new("SELECT m.status, m.gender, m.post, ");
    age_case(today, &mut sql);
    sql.push(" AS band, COUNT(*) FROM member m WHERE m.status IN ('active', 'retired')");
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    if let Some(u) = unit {
        sql.push(
            " AND m.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    sql.push(
        " GROUP BY m.status, m.gender, m.post, band ORDER BY m.status, m.gender, m.post, band",
    );
    let rows: Vec<(String, String, String, String, i64)> = sql.fetch_all(db).await?;
    for (status, gender, post, band, n) in rows {
        match MemberStatus::from_code(&status) {
            Some(MemberStatus::Retired) => out.retired += n,
            _ => out.active += n,
        }
        if let Some(g) = Gender::from_code(&gender) {
            bump(&mut out.by_gender, g, n);
        }
        if let Some(p) = Post::from_code(&post) {
            bump(&mut out.by_post, p, n);
        }
        if let Some(b) = AgeBand::from_code(&band) {
            bump(&mut out.by_age, b, n);
        }
    }
    out.by_gender
        .sort_by_key(|(g, _)| Gender::all().iter().position(|x| x == g));
    out.by_post
        .sort_by_key(|(p, _)| Post::all().iter().position(|x| x == p));
    out.by_age
        .sort_by_key(|(b, _)| AgeBand::ALL.iter().position(|x| x == b));

    // Breakdown by school, or by area when there are too many schools to draw.
    let mut count = Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.kind = 'school_union'");
    crate::scope::restrict(&mut count, "u.id", cap.scope());
    if let Some(u) = unit {
        count
            .push(" AND u.id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
            .bind(Arg::I64(u.0))
            .push(")");
    }
    let schools = count.fetch_scalar_i64(db).await?;
    let kind = if schools > MAX_SCHOOL_BARS {
        OrgKind::Area
    } else {
        OrgKind::SchoolUnion
    };
    out.unit_kind = Some(kind);
    // Count by school (one pass over the members), then roll schools up to their areas
    // here: joining every member to the closure table costs a lookup per member.
    let mut sql = Sql::new(
        "SELECT m.school_union_id, SUM(CASE WHEN m.status = 'active' THEN 1 ELSE 0 END), SUM(CASE WHEN m.status = 'retired' THEN 1 ELSE 0 END)
         FROM member m WHERE m.status IN ('active', 'retired')",
    );
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    if let Some(u) = unit {
        sql.push(
            " AND m.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    sql.push(" GROUP BY m.school_union_id ORDER BY m.school_union_id");
    let per_school: Vec<(i64, i64, i64)> = sql.fetch_all(db).await?;
    let mut names = Sql::new(
        "SELECT u.id, u.parent_id, u.name FROM org_unit u WHERE u.kind IN ('school_union', 'area')",
    );
    crate::scope::restrict(&mut names, "u.id", cap.scope());
    names.push(" ORDER BY u.id");
    let units: Vec<(i64, Option<i64>, String)> = names.fetch_all(db).await?;
    let parent: HashMap<i64, Option<i64>> = units.iter().map(|(id, p, _)| (*id, *p)).collect();
    let name: HashMap<i64, &str> = units.iter().map(|(id, _, n)| (*id, n.as_str())).collect();
    let mut totals: HashMap<i64, (i64, i64)> = HashMap::new();
    for (school, a, r) in per_school {
        let key = if kind == OrgKind::Area {
            parent.get(&school).copied().flatten()
        } else {
            Some(school)
        };
        if let Some(k) = key.filter(|k| name.contains_key(k)) {
            let e = totals.entry(k).or_default();
            e.0 += a;
            e.1 += r;
        }
    }
    let mut by_unit: Vec<(OrgUnitId, String, i64, i64)> = totals
        .into_iter()
        .map(|(id, (a, r))| {
            (
                OrgUnitId(id),
                name.get(&id).map(|n| n.to_string()).unwrap_or_default(),
                a,
                r,
            )
        })
        .collect();
    by_unit.sort_by(|x, y| x.1.cmp(&y.1).then(x.0.cmp(&y.0)));
    out.by_unit = by_unit;
    Ok(out)
}
