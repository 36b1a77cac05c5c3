//! Congress terms (届) of a school, their delegations (代表团) and delegates: added by hand,
//! imported from a spreadsheet, synchronised with the staff in assembly mode, replaced
//! during the term with the history kept; and the composition report.

use super::{coded, invalid, log, log_commit};
use crate::audit::Who;
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::congress::{CongressMode, DelegateId, DelegateKind, DelegationId, TermDraft, TermId};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::{Coded, EmploymentType, Gender, IdNumber, MemberStatus, OrgKind, Post};
use domain::rules::{Composition, CompositionWarning, composition_warnings};
use domain::text as t;

#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub id: TermId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub number: i64,
    pub mode: CongressMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Current voting delegates.
    pub delegates: i64,
    /// Current observers and invited guests.
    pub others: i64,
}

impl Term {
    pub fn is_current(&self, today: NaiveDate) -> bool {
        self.start_date <= today && today <= self.end_date
    }
}

#[derive(sqlx::FromRow)]
struct TermRow {
    id: i64,
    school_union_id: i64,
    school_name: String,
    number: i64,
    mode: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    delegates: i64,
    others: i64,
}

impl TermRow {
    fn into_term(self) -> Result<Term, StoreError> {
        Ok(Term {
            id: TermId(self.id),
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            number: self.number,
            mode: coded(&self.mode)?,
            start_date: self.start_date,
            end_date: self.end_date,
            delegates: self.delegates,
            others: self.others,
        })
    }
}

const TERM_SELECT: &str = "SELECT t.id, t.school_union_id, s.name AS school_name, t.number, t.mode, t.start_date, t.end_date,
     (SELECT COUNT(*) FROM delegate d WHERE d.term_id = t.id AND d.ended_on IS NULL AND d.kind = 'delegate') AS delegates,
     (SELECT COUNT(*) FROM delegate d WHERE d.term_id = t.id AND d.ended_on IS NULL AND d.kind <> 'delegate') AS others
     FROM congress_term t JOIN org_unit s ON s.id = t.school_union_id";

/// Terms of the schools in scope (or of one school), newest first within each school.
pub async fn list_terms<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    school: Option<OrgUnitId>,
) -> Result<Vec<Term>, StoreError> {
    let mut sql = Sql::new(TERM_SELECT);
    sql.push(" WHERE 1 = 1");
    if let Some(s) = school {
        sql.push(" AND t.school_union_id = ").bind(Arg::I64(s.0));
    }
    crate::scope::restrict(&mut sql, "t.school_union_id", cap.scope());
    sql.push(" ORDER BY s.sort_order, s.id, t.number DESC");
    let rows: Vec<TermRow> = sql.fetch_all(db).await?;
    rows.into_iter().map(TermRow::into_term).collect()
}

/// One term, if its school is in scope.
pub async fn get_term<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: TermId,
) -> Result<Term, StoreError> {
    fetch_term(db, cap.scope(), id).await
}

pub(crate) async fn fetch_term(db: &Db, scope: &Scope, id: TermId) -> Result<Term, StoreError> {
    let mut sql = Sql::new(TERM_SELECT);
    sql.push(" WHERE t.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "t.school_union_id", scope);
    let row: TermRow = sql.fetch_one(db).await?;
    row.into_term()
}

pub(crate) async fn tx_term(tx: &mut Tx, scope: &Scope, id: TermId) -> Result<Term, StoreError> {
    let mut sql = Sql::new(TERM_SELECT);
    sql.push(" WHERE t.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "t.school_union_id", scope);
    let row: TermRow = sql.fetch_one_tx(tx).await?;
    row.into_term()
}

/// The term of `school` that covers `today` (the highest number when several do).
pub async fn current_term<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    school: OrgUnitId,
    today: NaiveDate,
) -> Result<Option<Term>, StoreError> {
    Ok(list_terms(db, cap, Some(school))
        .await?
        .into_iter()
        .find(|t| t.is_current(today)))
}

/// Starts a term of a school union in scope. In assembly mode every active staff member
/// becomes a voter at once.
pub async fn create_term(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    school: OrgUnitId,
    d: &TermDraft,
) -> Result<TermId, StoreError> {
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), school).await? {
        return Err(StoreError::NotFound);
    }
    if crate::org::units::tx_unit(&mut tx, school).await?.kind != OrgKind::SchoolUnion {
        return Err(StoreError::NotFound);
    }
    let rules = super::rules::tx_effective(&mut tx, school).await?.rules;
    if !domain::rules::term_length_ok(d.start_date, d.end_date, &rules) {
        return Err(super::invalid_with(
            FieldError::new("end_date", t::TERM_LENGTH)
                .arg("min", rules.term_min_years)
                .arg("max", rules.term_max_years),
        ));
    }
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "INSERT INTO congress_term (school_union_id, number, mode, start_date, end_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id"
    )
    .bind(school.0)
    .bind(i64::from(d.number))
    .bind(d.mode.code())
    .bind(d.start_date)
    .bind(d.end_date)
    .bind(ts)
    .fetch_one(&mut *c)
    .await)
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            invalid("number", t::TERM_NUMBER_TAKEN)
        } else {
            e.into()
        }
    })?;
    let mut ch = Changes::new();
    ch.field("number", None, Some(&d.number))
        .field("mode", None, Some(&d.mode.code()))
        .field("start_date", None, Some(&d.start_date))
        .field("end_date", None, Some(&d.end_date));
    log(
        &mut tx,
        &st.cipher,
        who,
        "congress_term.create",
        ("congress_term", id),
        school,
        &ch,
    )
    .await?;
    if d.mode == CongressMode::Assembly {
        tx_sync_assembly(&mut tx, st, who, TermId(id), school, d.start_date).await?;
    }
    tx.commit().await?;
    Ok(TermId(id))
}

// ------------------------------------------------------------------ delegations

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Delegation {
    pub id: i64,
    pub name: String,
    pub branch_id: Option<i64>,
    pub delegates: i64,
}

/// Delegations of a term with their current voting delegates.
pub async fn delegations<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    term: TermId,
) -> Result<Vec<Delegation>, StoreError> {
    fetch_term(db, cap.scope(), term).await?;
    Ok(crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT g.id, g.name, g.branch_id,
            (SELECT COUNT(*) FROM delegate d WHERE d.delegation_id = g.id AND d.ended_on IS NULL AND d.kind = 'delegate') AS delegates
         FROM delegation g WHERE g.term_id = $1 ORDER BY g.sort_order, g.id"
    )
    .bind(term.0)
    .fetch_all(p)
    .await
    })?)
}

pub async fn add_delegation(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    term: TermId,
    name: &str,
    branch: Option<OrgUnitId>,
) -> Result<DelegationId, StoreError> {
    let mut tx = st.db.begin().await?;
    let tm = tx_term(&mut tx, cap.scope(), term).await?;
    let name = domain::org::required_text("name", name, 40).map_err(super::invalid_with)?;
    if let Some(b) = branch {
        let ok: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT id FROM org_unit WHERE id = $1 AND parent_id = $2 AND kind = 'branch'"
        )
        .bind(b.0)
        .bind(tm.school_union_id.0)
        .fetch_optional(&mut *c)
        .await)?;
        if ok.is_none() {
            return Err(invalid("branch", t::BRANCH_UNKNOWN));
        }
    }
    let id = tx_insert_delegation(&mut tx, term, &name, branch).await?;
    let mut ch = Changes::new();
    ch.field("name", None, Some(&name));
    log_commit(
        tx,
        &st.cipher,
        who,
        "delegation.create",
        ("delegation", id.0),
        tm.school_union_id,
        &ch,
    )
    .await?;
    Ok(id)
}

async fn tx_insert_delegation(
    tx: &mut Tx,
    term: TermId,
    name: &str,
    branch: Option<OrgUnitId>,
) -> Result<DelegationId, StoreError> {
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO delegation (term_id, name, branch_id, sort_order, created_at)
         VALUES ($1, $2, $3, (SELECT COUNT(*) FROM delegation WHERE term_id = $1), $4) RETURNING id"
    )
    .bind(term.0)
    .bind(name)
    .bind(branch.map(|b| b.0))
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            invalid("name", t::DELEGATION_TAKEN)
        } else {
            e.into()
        }
    })?;
    Ok(DelegationId(id))
}

// ------------------------------------------------------------------ delegates

#[derive(Clone, Debug, PartialEq)]
pub struct DelegateRow {
    pub id: DelegateId,
    pub member_id: MemberId,
    pub name: String,
    pub gender: Gender,
    pub post: Post,
    pub birth_date: NaiveDate,
    pub branch_name: Option<String>,
    pub kind: DelegateKind,
    pub delegation_id: Option<DelegationId>,
    pub delegation_name: Option<String>,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub replaces_name: Option<String>,
    pub replaced_by_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DRow {
    id: i64,
    member_id: i64,
    name: String,
    gender: String,
    post: String,
    birth_date: NaiveDate,
    branch_name: Option<String>,
    kind: String,
    delegation_id: Option<i64>,
    delegation_name: Option<String>,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    replaces_name: Option<String>,
    replaced_by_name: Option<String>,
}

const DELEGATE_SELECT: &str = "SELECT d.id, d.member_id, m.name, m.gender, m.post, m.birth_date, b.name AS branch_name, d.kind, d.delegation_id, g.name AS delegation_name, d.started_on, d.ended_on, d.end_reason, pm.name AS replaces_name, nm.name AS replaced_by_name
     FROM delegate d JOIN member m ON m.id = d.member_id
     LEFT JOIN org_unit b ON b.id = m.branch_id
     LEFT JOIN delegation g ON g.id = d.delegation_id
     LEFT JOIN delegate pd ON pd.id = d.replaces_id LEFT JOIN member pm ON pm.id = pd.member_id
     LEFT JOIN delegate nd ON nd.id = d.replaced_by_id LEFT JOIN member nm ON nm.id = nd.member_id";

fn delegate_rows(rows: Vec<DRow>) -> Result<Vec<DelegateRow>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok(DelegateRow {
                id: DelegateId(r.id),
                member_id: MemberId(r.member_id),
                name: r.name,
                gender: coded(&r.gender)?,
                post: coded(&r.post)?,
                birth_date: r.birth_date,
                branch_name: r.branch_name,
                kind: coded(&r.kind)?,
                delegation_id: r.delegation_id.map(DelegationId),
                delegation_name: r.delegation_name,
                started_on: r.started_on,
                ended_on: r.ended_on,
                end_reason: r.end_reason,
                replaces_name: r.replaces_name,
                replaced_by_name: r.replaced_by_name,
            })
        })
        .collect()
}

/// Delegates of a term: current ones by delegation, then (with `include_ended`) the
/// mandates that ended, so the history of replacements stays visible. Two queries.
pub async fn delegates<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    term: TermId,
    include_ended: bool,
) -> Result<Vec<DelegateRow>, StoreError> {
    fetch_term(db, cap.scope(), term).await?;
    let mut sql = Sql::new(DELEGATE_SELECT);
    sql.push(" WHERE d.term_id = ").bind(Arg::I64(term.0));
    if !include_ended {
        sql.push(" AND d.ended_on IS NULL");
    }
    sql.push(" ORDER BY CASE WHEN d.ended_on IS NULL THEN 0 ELSE 1 END, COALESCE(g.sort_order, 999999), d.delegation_id, CASE d.kind WHEN 'delegate' THEN 0 WHEN 'observer' THEN 1 ELSE 2 END, m.name_pinyin, d.id");
    delegate_rows(sql.fetch_all(db).await?)
}

/// One delegate, if its term's school is in scope.
pub async fn get_delegate<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: DelegateId,
) -> Result<(Term, DelegateRow), StoreError> {
    let term: Option<i64> = crate::on_db!(db, |p| sqlx::query_scalar(
        "SELECT term_id FROM delegate WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(p)
    .await)?;
    let term = fetch_term(db, cap.scope(), TermId(term.ok_or(StoreError::NotFound)?)).await?;
    let mut sql = Sql::new(DELEGATE_SELECT);
    sql.push(" WHERE d.id = ").bind(Arg::I64(id.0));
    let row = delegate_rows(sql.fetch_all(db).await?)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
    Ok((term, row))
}

/// The current mandate of `member` in `term`, if any: (delegate id, kind).
pub(crate) async fn tx_current_mandate(
    tx: &mut Tx,
    term: TermId,
    member: MemberId,
) -> Result<Option<(DelegateId, DelegateKind)>, StoreError> {
    let row: Option<(i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT id, kind FROM delegate WHERE term_id = $1 AND member_id = $2 AND ended_on IS NULL"
    )
    .bind(term.0)
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    row.map(|(id, k)| Ok((DelegateId(id), coded(&k)?)))
        .transpose()
}

/// Checks that `member` belongs to `school` and may hold a mandate of `kind`: delegates
/// must be active staff with an employment relation the school's rule set admits (Order
/// No. 32: 聘任聘用关系); observers and invited guests may be retirees.
async fn tx_check_member(
    tx: &mut Tx,
    school: OrgUnitId,
    member: MemberId,
    kind: DelegateKind,
) -> Result<String, StoreError> {
    let row: Option<(i64, String, String, Option<String>)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT school_union_id, status, name, employment_type FROM member WHERE id = $1"
    )
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await)?;
    let Some((s, status, name, employment)) = row else {
        return Err(invalid("member", t::MEMBER_NOT_IN_SCHOOL));
    };
    if s != school.0 {
        return Err(invalid("member", t::MEMBER_NOT_IN_SCHOOL));
    }
    let status: MemberStatus = coded(&status)?;
    let ok = match kind {
        DelegateKind::Delegate => status == MemberStatus::Active,
        _ => status.is_member(),
    };
    if !ok {
        return Err(invalid("member", t::MEMBER_NOT_ACTIVE));
    }
    if kind == DelegateKind::Delegate {
        let employment: Option<EmploymentType> = crate::org::opt_coded(employment.as_deref())?;
        let rules = super::rules::tx_effective(tx, school).await?;
        if !rules.rules.eligible_employment.admits(employment) {
            return Err(invalid("member", t::EMPLOYMENT_NOT_ELIGIBLE));
        }
    }
    Ok(name)
}

/// SQL condition: the member `m` has an employment type the rule set admits (or none
/// recorded), with the admitted codes bound.
fn push_eligible_employment(sql: &mut Sql, rules: &domain::rules::RuleSet) {
    sql.push(" AND (m.employment_type IS NULL OR m.employment_type IN (");
    sql.bind_list(
        rules
            .eligible_employment
            .types()
            .into_iter()
            .map(|t| Arg::Text(t.code().to_string())),
    );
    sql.push("))");
}

async fn tx_check_delegation(
    tx: &mut Tx,
    term: TermId,
    delegation: Option<DelegationId>,
) -> Result<(), StoreError> {
    if let Some(g) = delegation {
        let ok: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
            "SELECT id FROM delegation WHERE id = $1 AND term_id = $2"
        )
        .bind(g.0)
        .bind(term.0)
        .fetch_optional(&mut *c)
        .await)?;
        if ok.is_none() {
            return Err(invalid("delegation", t::CHOICE_INVALID));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn tx_insert_delegate(
    tx: &mut Tx,
    term: TermId,
    member: MemberId,
    kind: DelegateKind,
    delegation: Option<DelegationId>,
    started_on: NaiveDate,
    replaces: Option<DelegateId>,
) -> Result<DelegateId, StoreError> {
    let id: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO delegate (term_id, member_id, kind, delegation_id, started_on, ended_on, end_reason, replaces_id, replaced_by_id, created_at)
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, NULL, $7) RETURNING id"
    )
    .bind(term.0)
    .bind(member.0)
    .bind(kind.code())
    .bind(delegation.map(|g| g.0))
    .bind(started_on)
    .bind(replaces.map(|r| r.0))
    .bind(now())
    .fetch_one(&mut *c)
    .await)
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            invalid("member", t::DELEGATE_EXISTS)
        } else {
            e.into()
        }
    })?;
    Ok(DelegateId(id))
}

/// Adds a member of the term's school as a delegate, observer or invited guest.
#[allow(clippy::too_many_arguments)]
pub async fn add_delegate(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    term: TermId,
    member: MemberId,
    kind: DelegateKind,
    delegation: Option<DelegationId>,
    started_on: NaiveDate,
) -> Result<DelegateId, StoreError> {
    let mut tx = st.db.begin().await?;
    let tm = tx_term(&mut tx, cap.scope(), term).await?;
    let name = tx_check_member(&mut tx, tm.school_union_id, member, kind).await?;
    tx_check_delegation(&mut tx, term, delegation).await?;
    if tx_current_mandate(&mut tx, term, member).await?.is_some() {
        return Err(invalid("member", t::DELEGATE_EXISTS));
    }
    let id = tx_insert_delegate(&mut tx, term, member, kind, delegation, started_on, None).await?;
    let mut ch = Changes::new();
    ch.field("member_id", None, Some(&member.0))
        .field("name", None, Some(&name))
        .field("kind", None, Some(&kind.code()))
        .field("delegation_id", None, delegation.map(|g| g.0).as_ref());
    log_commit(
        tx,
        &st.cipher,
        who,
        "delegate.create",
        ("delegate", id.0),
        tm.school_union_id,
        &ch,
    )
    .await?;
    Ok(id)
}

/// Ends a mandate on `on` for `reason`; with a successor, the successor's mandate starts the
/// same day in the same delegation and kind, and the two are linked. Returns the successor's
/// mandate.
#[allow(clippy::too_many_arguments)]
pub async fn replace_delegate(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    id: DelegateId,
    successor: Option<MemberId>,
    on: NaiveDate,
    reason: &str,
) -> Result<Option<DelegateId>, StoreError> {
    let mut tx = st.db.begin().await?;
    /// (term, member, kind, delegation, ended on, started on)
    type Mandate = (i64, i64, String, Option<i64>, Option<NaiveDate>, NaiveDate);
    let row: Option<Mandate> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT term_id, member_id, kind, delegation_id, ended_on, started_on FROM delegate WHERE id = $1"
        )
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    let (term, old_member, kind, delegation, ended, started) = row.ok_or(StoreError::NotFound)?;
    let tm = tx_term(&mut tx, cap.scope(), TermId(term)).await?;
    let reason = domain::org::required_text("reason", reason, 200).map_err(super::invalid_with)?;
    if ended.is_some() {
        return Err(StoreError::State("the mandate already ended"));
    }
    if on < started {
        return Err(invalid("date", t::DATE_INVALID).with_arg("value", on));
    }
    let kind: DelegateKind = coded(&kind)?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE delegate SET ended_on = $1, end_reason = $2 WHERE id = $3"
    )
    .bind(on)
    .bind(&reason)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field("ended_on", None, Some(&on))
        .field("end_reason", None, Some(&reason))
        .field("member_id", Some(&old_member), None::<&i64>);
    let new = match successor {
        None => None,
        Some(m) => {
            if m.0 == old_member {
                return Err(invalid("member", t::DELEGATE_EXISTS));
            }
            let name = tx_check_member(&mut tx, tm.school_union_id, m, kind).await?;
            if tx_current_mandate(&mut tx, TermId(term), m)
                .await?
                .is_some()
            {
                return Err(invalid("member", t::DELEGATE_EXISTS));
            }
            let new = tx_insert_delegate(
                &mut tx,
                TermId(term),
                m,
                kind,
                delegation.map(DelegationId),
                on,
                Some(id),
            )
            .await?;
            on_tx!(&mut tx, |c| sqlx::query(
                "UPDATE delegate SET replaced_by_id = $1 WHERE id = $2"
            )
            .bind(new.0)
            .bind(id.0)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
            ch.field("replaced_by", None, Some(&name));
            Some(new)
        }
    };
    log_commit(
        tx,
        &st.cipher,
        who,
        "delegate.replace",
        ("delegate", id.0),
        tm.school_union_id,
        &ch,
    )
    .await?;
    Ok(new)
}

trait WithArg {
    fn with_arg(self, k: &'static str, v: impl ToString) -> Self;
}

impl WithArg for StoreError {
    fn with_arg(self, k: &'static str, v: impl ToString) -> Self {
        match self {
            StoreError::Invalid(mut f) => {
                if let Some(e) = f.0.last_mut() {
                    e.args.push((k, v.to_string()));
                }
                StoreError::Invalid(f)
            }
            other => other,
        }
    }
}

/// In assembly mode (教职工大会) every active staff member of the school is a voter: adds
/// those who are not yet, ends the mandates of those who left. Returns (added, ended).
pub async fn sync_assembly(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    term: TermId,
    today: NaiveDate,
) -> Result<(u64, u64), StoreError> {
    let mut tx = st.db.begin().await?;
    let tm = tx_term(&mut tx, cap.scope(), term).await?;
    if tm.mode != CongressMode::Assembly {
        return Err(StoreError::State("not an assembly"));
    }
    let r = tx_sync_assembly(&mut tx, st, who, term, tm.school_union_id, today).await?;
    tx.commit().await?;
    Ok(r)
}

async fn tx_sync_assembly(
    tx: &mut Tx,
    st: &Store,
    who: &Who,
    term: TermId,
    school: OrgUnitId,
    today: NaiveDate,
) -> Result<(u64, u64), StoreError> {
    // Voters are the active staff whose employment type the rule set admits: those who
    // leave, or whose type it no longer admits, stop voting; the others are added.
    let rules = super::rules::tx_effective(tx, school).await?.rules;
    let mut sql = Sql::new("UPDATE delegate SET ended_on = ");
    sql.bind(Arg::Date(today))
        .push(", end_reason = 'left' WHERE term_id = ")
        .bind(Arg::I64(term.0))
        .push(" AND ended_on IS NULL AND kind = 'delegate' AND member_id NOT IN (SELECT m.id FROM member m WHERE m.school_union_id = ")
        .bind(Arg::I64(school.0))
        .push(" AND m.status = 'active'");
    push_eligible_employment(&mut sql, &rules);
    sql.push(")");
    let ended = sql.execute_tx(tx).await?;
    let mut sql = Sql::new(
        "INSERT INTO delegate (term_id, member_id, kind, delegation_id, started_on, ended_on, end_reason, replaces_id, replaced_by_id, created_at) SELECT ",
    );
    sql.bind(Arg::I64(term.0))
        .push(", m.id, 'delegate', NULL, ")
        .bind(Arg::Date(today))
        .push(", NULL, NULL, NULL, NULL, ")
        .bind(Arg::Ts(now()))
        .push(" FROM member m WHERE m.school_union_id = ")
        .bind(Arg::I64(school.0))
        .push(" AND m.status = 'active'");
    push_eligible_employment(&mut sql, &rules);
    sql.push(" AND NOT EXISTS (SELECT 1 FROM delegate d WHERE d.term_id = ")
        .bind(Arg::I64(term.0))
        .push(" AND d.member_id = m.id AND d.ended_on IS NULL)");
    let added = sql.execute_tx(tx).await?;
    let mut ch = Changes::new();
    ch.note("added", added).note("ended", ended);
    log(
        tx,
        &st.cipher,
        who,
        "congress_term.sync_assembly",
        ("congress_term", term.0),
        school,
        &ch,
    )
    .await?;
    Ok((added, ended))
}

// ------------------------------------------------------------------ import

/// A refused row of a delegate import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRowError {
    pub row: u32,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// What an import did (or, with errors, would not do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub added: usize,
    pub errors: Vec<ImportRowError>,
    /// The file had no header row with an ID number column.
    pub no_header: bool,
}

/// Most rows one delegate file may have.
pub const IMPORT_MAX_ROWS: usize = 2000;

fn header_index(cells: &[String], names: &[&str]) -> Option<usize> {
    cells
        .iter()
        .position(|c| names.iter().any(|n| c.trim().eq_ignore_ascii_case(n)))
}

/// Imports delegates from a spreadsheet with the columns 身份证号 (required), 姓名, 类别
/// (代表 / 列席代表 / 特邀代表) and 代表团. All or nothing: when any row is wrong nothing is
/// written and every wrong row is named. Members are found by ID number within the school;
/// missing delegations are created.
pub async fn import_delegates(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    term: TermId,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<ImportOutcome, StoreError> {
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    let mut too_many = false;
    crate::org::roster_file::read_rows(bytes, |(n, cells)| {
        if rows.len() > IMPORT_MAX_ROWS {
            too_many = true;
            return std::ops::ControlFlow::Break(());
        }
        rows.push((n, cells.into_iter().map(|c| c.text).collect()));
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|_| invalid("file", t::FILE_CONTENT).with_arg("allowed", "xlsx, xls, csv"))?;
    if too_many {
        return Err(invalid("file", t::NUMBER_RANGE)
            .with_arg("min", 1)
            .with_arg("max", IMPORT_MAX_ROWS));
    }
    let mut out = ImportOutcome::default();
    let Some(h) = rows.iter().position(|(_, c)| {
        header_index(c, &["身份证号", "身份证号码", "id_number", "ID number"]).is_some()
    }) else {
        out.no_header = true;
        return Ok(out);
    };
    let header = rows[h].1.clone();
    let col_id = header_index(
        &header,
        &["身份证号", "身份证号码", "id_number", "ID number"],
    );
    let col_kind = header_index(&header, &["类别", "代表类别", "kind"]);
    let col_group = header_index(&header, &["代表团", "代表组", "delegation"]);
    let cell =
        |r: &[String], c: Option<usize>| c.and_then(|i| r.get(i)).cloned().unwrap_or_default();

    let mut tx = st.db.begin().await?;
    let tm = tx_term(&mut tx, cap.scope(), term).await?;
    let existing: Vec<(String, i64)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT name, id FROM delegation WHERE term_id = $1"
    )
    .bind(term.0)
    .fetch_all(&mut *c)
    .await)?;
    let mut groups: std::collections::HashMap<String, Option<DelegationId>> = existing
        .into_iter()
        .map(|(n, i)| (n, Some(DelegationId(i))))
        .collect();
    let eligible = super::rules::tx_effective(&mut tx, tm.school_union_id)
        .await?
        .rules
        .eligible_employment;
    let mut planned: Vec<(u32, MemberId, String, DelegateKind, Option<String>)> = Vec::new();
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for (n, r) in rows.iter().skip(h + 1) {
        let n = *n;
        let mut err = |key: &'static str, args: Vec<(&'static str, String)>| {
            out.errors.push(ImportRowError { row: n, key, args });
        };
        let id = match IdNumber::parse(&cell(r, col_id)) {
            Ok(id) => id,
            Err(e) => {
                err(e.key, e.args);
                continue;
            }
        };
        if let Some(first) = seen.insert(id.as_str().to_string(), n) {
            err(t::ID_DUPLICATE_IN_FILE, vec![("row", first.to_string())]);
            continue;
        }
        let kind_text = cell(r, col_kind);
        let kind = if kind_text.trim().is_empty() {
            DelegateKind::Delegate
        } else {
            match DelegateKind::parse_loose(&kind_text) {
                Some(k) => k,
                None => {
                    err(
                        t::CHOICE_INVALID,
                        vec![("value", kind_text.trim().to_string())],
                    );
                    continue;
                }
            }
        };
        let idx = st.cipher.blind_index(Field::IdNumber, id.as_str());
        let m: Option<(i64, String, String, Option<String>)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
            "SELECT id, name, status, employment_type FROM member WHERE id_number_idx = $1 AND school_union_id = $2"
        )
        .bind(&idx)
        .bind(tm.school_union_id.0)
        .fetch_optional(&mut *c)
        .await
        })?;
        let Some((mid, name, status, employment)) = m else {
            err(t::MEMBER_NOT_IN_SCHOOL, Vec::new());
            continue;
        };
        let status: MemberStatus = coded(&status)?;
        if (kind == DelegateKind::Delegate && status != MemberStatus::Active) || !status.is_member()
        {
            err(t::MEMBER_NOT_ACTIVE, Vec::new());
            continue;
        }
        let employment: Option<EmploymentType> = crate::org::opt_coded(employment.as_deref())?;
        if kind == DelegateKind::Delegate && !eligible.admits(employment) {
            err(t::EMPLOYMENT_NOT_ELIGIBLE, Vec::new());
            continue;
        }
        if tx_current_mandate(&mut tx, term, MemberId(mid))
            .await?
            .is_some()
        {
            err(t::DELEGATE_EXISTS, Vec::new());
            continue;
        }
        let group = Some(cell(r, col_group).trim().to_string()).filter(|g| !g.is_empty());
        if let Some(g) = &group {
            if g.chars().count() > 40 {
                err(t::TOO_LONG, vec![("max", "40".into())]);
                continue;
            }
            groups.entry(g.clone()).or_insert(None);
        }
        planned.push((n, MemberId(mid), name, kind, group));
    }
    if !out.errors.is_empty() {
        return Ok(out);
    }
    let mut events: Vec<(i64, Changes)> = Vec::new();
    for (_, member, name, kind, group) in &planned {
        let delegation = match group {
            None => None,
            Some(g) => match groups.get(g).copied().flatten() {
                Some(id) => Some(id),
                None => {
                    let id = tx_insert_delegation(&mut tx, term, g, None).await?;
                    groups.insert(g.clone(), Some(id));
                    Some(id)
                }
            },
        };
        let id = tx_insert_delegate(&mut tx, term, *member, *kind, delegation, today, None).await?;
        let mut ch = Changes::new();
        ch.field("member_id", None, Some(&member.0))
            .field("name", None, Some(name))
            .field("kind", None, Some(&kind.code()))
            .note("source", "import");
        events.push((id.0, ch));
    }
    let evs: Vec<crate::audit::Event<'_>> = events
        .iter()
        .map(|(id, ch)| crate::audit::Event {
            action: "delegate.create",
            entity_type: "delegate",
            entity_id: Some(*id),
            org_unit: Some(tm.school_union_id),
            changes: ch,
        })
        .collect();
    crate::audit::append_many(&mut tx, &st.cipher, who, &evs).await?;
    tx.commit().await?;
    out.added = planned.len();
    Ok(out)
}

// ------------------------------------------------------------------ composition

/// The composition of a term's voting delegates against its school's rule set.
#[derive(Clone, Debug, PartialEq)]
pub struct CompositionReport {
    pub term: Term,
    pub counts: Composition,
    pub warnings: Vec<CompositionWarning>,
    pub rules: super::rules::Effective,
    /// Voting delegates per delegation (name, count); those without one under `None`.
    pub by_delegation: Vec<(Option<String>, i64)>,
    /// Active staff of the school (the assembly threshold is about them).
    pub staff: i64,
}

/// Counts in SQL (two queries plus the rules), whatever the size of the term.
pub async fn composition<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    term: TermId,
    today: NaiveDate,
) -> Result<CompositionReport, StoreError> {
    let tm = fetch_term(db, cap.scope(), term).await?;
    let rules = super::rules::effective_checked(db, tm.school_union_id).await?;
    // "35岁以下" includes 35; on 29 February the cutoff is a real day, never today.
    let young_cutoff = domain::rules::young_born_after(today, &rules.rules).unwrap_or(today);
    let (n, teachers, women, young, leaders, staff): (i64, i64, i64, i64, i64, i64) = crate::on_db!(
        db,
        |p| {
            sqlx::query_as(
            "SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN m.post = 'teacher' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN m.gender = 'female' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN m.post = 'teacher' AND m.birth_date > $2 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN m.post = 'leader' THEN 1 ELSE 0 END), 0),
                (SELECT COUNT(*) FROM member s WHERE s.school_union_id = $3 AND s.status = 'active')
             FROM delegate d JOIN member m ON m.id = d.member_id
             WHERE d.term_id = $1 AND d.ended_on IS NULL AND d.kind = 'delegate'"
        )
        .bind(term.0)
        .bind(young_cutoff)
        .bind(tm.school_union_id.0)
        .fetch_one(p)
        .await
        }
    )?;
    let by_delegation: Vec<(Option<String>, i64)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT g.name, COUNT(*) FROM delegate d LEFT JOIN delegation g ON g.id = d.delegation_id
         WHERE d.term_id = $1 AND d.ended_on IS NULL AND d.kind = 'delegate'
         GROUP BY g.id, g.name, g.sort_order ORDER BY COALESCE(g.sort_order, 999999), g.id"
    )
    .bind(term.0)
    .fetch_all(p)
    .await
    })?;
    let c = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let counts = Composition {
        delegates: c(n),
        teachers: c(teachers),
        women: c(women),
        young_teachers: c(young),
        leaders: c(leaders),
    };
    let warnings = if tm.mode == CongressMode::Assembly {
        // Everybody votes: there is nothing to compose.
        Vec::new()
    } else {
        composition_warnings(&counts, &rules.rules)
    };
    Ok(CompositionReport {
        term: tm,
        counts,
        warnings,
        rules,
        by_delegation,
        staff,
    })
}
