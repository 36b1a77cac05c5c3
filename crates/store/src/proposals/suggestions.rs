//! Suggestions (合理化建议): the lighter channel open to every member, delegate or not. A
//! member sends one to their school; the committee or the chair answers it. Proposals the
//! committee turns into suggestions arrive here too.

use crate::audit::Who;
use crate::congress::{coded, invalid, invalid_with, log, log_commit};
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::congress::Acting;
use domain::ids::{MemberId, OrgUnitId};
use domain::proposals::{ProposalId, SuggestionDraft, SuggestionId, SuggestionStatus};
use domain::text as t;

/// Whose suggestions a reader sees.
#[derive(Clone, Copy, Debug)]
pub struct SuggestionLens<'a>(Sight<'a>);

/// Made only from a capability, so no caller can hand in a bare scope.
#[derive(Clone, Copy, Debug)]
enum Sight<'a> {
    /// One's own.
    Mine(MemberId),
    /// All of the schools in scope.
    School(&'a Scope),
}

impl<'a> SuggestionLens<'a> {
    pub fn mine(a: &Acting<perm::SuggestionSubmit>) -> SuggestionLens<'a> {
        SuggestionLens(Sight::Mine(a.member()))
    }
    pub fn review(cap: &'a Cap<perm::ProposalReview>) -> SuggestionLens<'a> {
        SuggestionLens(Sight::School(cap.scope()))
    }
    pub fn view(cap: &'a Cap<perm::CongressView>) -> SuggestionLens<'a> {
        SuggestionLens(Sight::School(cap.scope()))
    }

    fn restrict(&self, sql: &mut Sql) {
        match self.0 {
            Sight::Mine(m) => {
                sql.push(" AND g.member_id = ").bind(Arg::I64(m.0));
            }
            Sight::School(scope) => {
                crate::scope::restrict(sql, "g.school_union_id", scope);
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub id: SuggestionId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub member_name: Option<String>,
    pub from_proposal: Option<ProposalId>,
    pub title: String,
    pub body: String,
    pub status: SuggestionStatus,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    school_union_id: i64,
    school_name: String,
    member_name: Option<String>,
    from_proposal_id: Option<i64>,
    title: String,
    body: String,
    status: String,
    reply: Option<String>,
    replied_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_suggestion(self) -> Result<Suggestion, StoreError> {
        Ok(Suggestion {
            id: SuggestionId(self.id),
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            member_name: self.member_name,
            from_proposal: self.from_proposal_id.map(ProposalId),
            title: self.title,
            body: self.body,
            status: coded(&self.status)?,
            reply: self.reply,
            replied_at: self.replied_at,
            created_at: self.created_at,
        })
    }
}

const SELECT: &str = "SELECT g.id, g.school_union_id, s.name AS school_name, m.name AS member_name, g.from_proposal_id, g.title, g.body, g.status, g.reply, g.replied_at, g.created_at
     FROM suggestion g JOIN org_unit s ON s.id = g.school_union_id LEFT JOIN member m ON m.id = g.member_id WHERE 1 = 1";

/// A member sends a suggestion to their own school.
pub async fn create(
    st: &Store,
    acting: &Acting<perm::SuggestionSubmit>,
    who: &Who,
    d: &SuggestionDraft,
) -> Result<SuggestionId, StoreError> {
    let mut tx = st.db.begin().await?;
    let row: Option<(i64, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT school_union_id, status FROM member WHERE id = $1"
    )
    .bind(acting.member().0)
    .fetch_optional(&mut *c)
    .await)?;
    let Some((school, status)) = row else {
        return Err(StoreError::NotFound);
    };
    if !coded::<domain::org::MemberStatus>(&status)?.is_member() {
        return Err(invalid("title", t::MEMBER_NOT_ACTIVE));
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO suggestion (school_union_id, member_id, from_proposal_id, title, body, status, created_at) VALUES ($1, $2, NULL, $3, $4, 'open', $5) RETURNING id"
    )
    .bind(school)
    .bind(acting.member().0)
    .bind(&d.title)
    .bind(&d.body)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("title", None, Some(&d.title));
    log_commit(
        tx,
        &st.cipher,
        who,
        "suggestion.create",
        ("suggestion", id),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok(SuggestionId(id))
}

/// Newest first, at most 200.
pub async fn list(
    db: &Db,
    lens: SuggestionLens<'_>,
    open_only: bool,
) -> Result<Vec<Suggestion>, StoreError> {
    let mut sql = Sql::new(SELECT);
    lens.restrict(&mut sql);
    if open_only {
        sql.push(" AND g.status = 'open'");
    }
    sql.push(" ORDER BY g.id DESC LIMIT 200");
    let rows: Vec<Row> = sql.fetch_all(db).await?;
    rows.into_iter().map(Row::into_suggestion).collect()
}

pub async fn get(
    db: &Db,
    lens: SuggestionLens<'_>,
    id: SuggestionId,
) -> Result<Suggestion, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND g.id = ").bind(Arg::I64(id.0));
    lens.restrict(&mut sql);
    let row: Row = sql.fetch_one(db).await?;
    row.into_suggestion()
}

/// The committee or the chair answers an open suggestion.
pub async fn reply(
    st: &Store,
    cap: &Cap<perm::ProposalReview>,
    who: &Who,
    id: SuggestionId,
    text: &str,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut sql = Sql::new("SELECT g.school_union_id, g.status FROM suggestion g WHERE g.id = ");
    sql.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "g.school_union_id", cap.scope());
    let rows: Vec<(i64, String)> = sql.fetch_all_tx(&mut tx).await?;
    let (school, status) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let text = domain::org::required_text("reply", text, domain::congress::TEXT_MAX)
        .map_err(invalid_with)?;
    if status != "open" {
        return Err(invalid("reply", t::STEP_NOT_ALLOWED));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE suggestion SET status = 'answered', reply = $1, replied_at = $2, replied_by = $3 WHERE id = $4"
    )
    .bind(&text)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"open"), Some(&"answered"))
        .field("reply", None, Some(&text));
    log(
        &mut tx,
        &st.cipher,
        who,
        "suggestion.reply",
        ("suggestion", id.0),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    tx.commit().await
}
