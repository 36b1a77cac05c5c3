//! The annual assessment (年度考核) of the school unions in scope for one school year,
//! computed from every area's year figures (`store::area::year_figures`) under the scheme in
//! force: each school's lines (indicator, the figures read, points), the veto for a school
//! with no quorate congress meeting and no recorded exemption (`congress_exemption`, seed
//! 000), totals, ranks in the area and in the whole scope, and the weak-union list.
//!
//! Nothing computed is stored: the same figures give the same assessment, and every point
//! can be followed back to the figure (and its list of records) that made it; the
//! hand-scored indicators read the latest hand score ([`super::hand`]). The query count is
//! one for the schools and their exemptions, one for the hand scores and one per area's
//! figures, whatever the number of schools.

use crate::area::Reach;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use domain::assessment::{Scheme, Score, current, ranks, score_with};
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use std::collections::{BTreeMap, HashMap};

/// One school's assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolScore {
    pub school: OrgUnitId,
    pub name: String,
    pub area: Option<OrgUnitId>,
    pub area_name: Option<String>,
    pub score: Score,
    /// The recorded exemption's reason, if any.
    pub exemption: Option<String>,
    /// Rank among all schools in scope (1 is best; equal totals share).
    pub rank: usize,
    /// Rank within its area.
    pub area_rank: usize,
}

/// The assessment of a year.
#[derive(Clone, Debug)]
pub struct Annual {
    pub year: i32,
    pub scheme: &'static Scheme,
    /// Highest total first; vetoed schools after all others.
    pub schools: Vec<SchoolScore>,
}

impl Annual {
    /// The vetoed schools.
    pub fn vetoed(&self) -> impl Iterator<Item = &SchoolScore> {
        self.schools.iter().filter(|s| s.score.veto.is_some())
    }

    /// The weak-union list (vetoed or below the line).
    pub fn weak(&self) -> impl Iterator<Item = &SchoolScore> {
        self.schools.iter().filter(|s| s.score.weak(self.scheme))
    }
}

#[derive(sqlx::FromRow)]
struct SchoolRow {
    id: i64,
    name: String,
    area_id: Option<i64>,
    area_name: Option<String>,
    reason: Option<String>,
}

/// The assessment of school year `year` for every school in the capability's scope.
pub async fn compute(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    year: i32,
) -> Result<Annual, StoreError> {
    let scheme = current();
    let mut q = Sql::new(
        "SELECT u.id, u.name, a.id AS area_id, a.name AS area_name, e.reason FROM org_unit u
         LEFT JOIN org_unit a ON a.id = u.parent_id AND a.kind = 'area'
         LEFT JOIN congress_exemption e ON e.school_union_id = u.id AND e.school_year = ",
    );
    q.bind(Arg::I64(i64::from(year)))
        .push(" WHERE u.kind = 'school_union'");
    crate::scope::restrict(&mut q, "u.id", cap.scope());
    q.push(" ORDER BY u.id");
    let schools: Vec<SchoolRow> = q.fetch_all(&st.db).await?;
    let values = crate::area::year_figures(st, &Reach::of(cap), year).await?;
    let mut per: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    for v in values {
        *per.entry(v.unit.0).or_default().entry(v.key).or_insert(0) += v.value;
    }
    let hand = super::hand::latest(st, cap.scope(), year).await?;
    let empty = BTreeMap::new();
    let mut out: Vec<SchoolScore> = schools
        .into_iter()
        .map(|s| {
            let figs = per.get(&s.id).unwrap_or(&empty);
            SchoolScore {
                school: OrgUnitId(s.id),
                name: s.name,
                area: s.area_id.map(OrgUnitId),
                area_name: s.area_name,
                score: score_with(
                    scheme,
                    figs,
                    hand.get(&s.id).unwrap_or(&empty),
                    s.reason.is_some(),
                ),
                exemption: s.reason,
                rank: 0,
                area_rank: 0,
            }
        })
        .collect();
    // A vetoed school ranks after every school that was not (its total is 0 and does not
    // tie with a school that earned nothing).
    let key = |s: &SchoolScore| {
        if s.score.veto.is_some() {
            -1
        } else {
            s.score.total()
        }
    };
    let totals: Vec<i64> = out.iter().map(key).collect();
    for (s, r) in out.iter_mut().zip(ranks(&totals)) {
        s.rank = r;
    }
    let mut by_area: HashMap<Option<OrgUnitId>, Vec<usize>> = HashMap::new();
    for (i, s) in out.iter().enumerate() {
        by_area.entry(s.area).or_default().push(i);
    }
    for idx in by_area.values() {
        let t: Vec<i64> = idx.iter().map(|&i| key(&out[i])).collect();
        for (&i, r) in idx.iter().zip(ranks(&t)) {
            out[i].area_rank = r;
        }
    }
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.name.cmp(&b.name)));
    Ok(Annual {
        year,
        scheme,
        schools: out,
    })
}

/// One school's ledger (台账): its assessment within the year's ranking. Out of scope (or
/// not a school) is `NotFound`.
pub async fn ledger(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    school: OrgUnitId,
    year: i32,
) -> Result<(SchoolScore, usize), StoreError> {
    let all = compute(st, cap, year).await?;
    let n = all.schools.len();
    all.schools
        .into_iter()
        .find(|s| s.school == school)
        .map(|s| (s, n))
        .ok_or(StoreError::NotFound)
}
