//! Rights protection (维权) in the database: questionnaires (`survey`) — drafted, opened to
//! the members of a unit's subtree, answered once per member, closed — their progress by
//! school, their results, the year figures and the due items (surveys about to close).
//!
//! Anonymity is kept like the secret ballots' (`crate::voting::ballot_box`): an anonymous
//! answer is one row of `survey_response` holding the survey, a random token and the
//! answers — no member, no account, no time, no sequence (WITHOUT ROWID on SQLite, so rows
//! sit in token order). Who has answered is one row of `survey_participation`, kept only to
//! refuse a second answer and to count progress; nothing joins the two. No audit record or
//! log line is written per answer. Closing rewrites both tables (answers shuffled under
//! fresh tokens, participation in member order) with SQLite's `secure_delete`, then cuts
//! the engine's history (SQLite: WAL checkpoint and truncate; PostgreSQL: `VACUUM FULL`),
//! so neither the file nor the heap keeps the order of arrival. The results of an anonymous
//! survey are read only once it is closed and only with [`ANON_MIN`] answers or more, so
//! nobody watches the totals move as a known person answers.
//!
//! This module must never read an anonymous answer together with a person, nor offer a
//! function that does. Every read takes a capability and filters by its scope in SQL; out
//! of scope looks like missing. Every change of a survey is audited in its transaction.

pub mod demo;
pub mod petitions;

use crate::area::{Area, CodedColumn, EncryptedColumn, Reach};
use crate::audit::{Event, Who};
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem, Figure, FigureValue};
use domain::audit::Changes;
use domain::auth::{Cap, Role, perm};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::rights::{self as dr, text as t, *};
use domain::{FieldError, FieldErrors};
use futures::FutureExt;
use futures::future::BoxFuture;
use rand::RngCore;
use rand::seq::SliceRandom;

/// Fewest answers before an anonymous survey's results are shown.
pub const ANON_MIN: i64 = 3;
/// Days before its closing that an open survey is a due item.
pub const CLOSING_NOTICE_DAYS: i64 = 7;

static FIGURES: &[Figure] = &[
    Figure::count(
        "figure-rights-surveys-held",
        "/surveys?unit={unit}&year={year}",
    ),
    Figure::count(
        "figure-rights-survey-answers",
        "/surveys?unit={unit}&year={year}",
    ),
    Figure::count("figure-rights-petitions-received", "/petitions?year={year}"),
    Figure::count(
        "figure-rights-petitions-closed",
        "/petitions?year={year}&status=closed",
    ),
];

/// Days before a petition's acceptance or conclusion date that it is a due item.
pub const PETITION_NOTICE_DAYS: i64 = 5;

/// The petitioner's name.
pub const PETITION_NAME: EncryptedColumn = EncryptedColumn {
    table: "petition",
    key: "id",
    column: "name_enc",
    field: Field::Hardship,
    indexes: &[],
};
/// The petitioner's phone.
pub const PETITION_PHONE: EncryptedColumn = EncryptedColumn {
    table: "petition",
    key: "id",
    column: "phone_enc",
    field: Field::Phone,
    indexes: &[],
};
/// The matter raised (free text about a person's problem).
pub const PETITION_MATTER: EncryptedColumn = EncryptedColumn {
    table: "petition",
    key: "id",
    column: "matter_enc",
    field: Field::Hardship,
    indexes: &[],
};
/// The reply given.
pub const PETITION_REPLY: EncryptedColumn = EncryptedColumn {
    table: "petition",
    key: "id",
    column: "reply_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// The rights area.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<SurveyStatus>("survey.status"),
        CodedColumn::of::<PetitionChannel>("petition.channel"),
        CodedColumn::of::<PetitionCategory>("petition.category"),
        CodedColumn::of::<PetitionStatus>("petition.status"),
        CodedColumn::of::<Satisfaction>("petition.satisfaction"),
    ],
    encrypted: &[
        PETITION_NAME,
        PETITION_PHONE,
        PETITION_MATTER,
        PETITION_REPLY,
    ],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("rights")
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

pub(crate) fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldErrors(vec![FieldError::new(field, key)]))
}

/// A survey as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    pub id: SurveyId,
    pub unit: OrgUnitId,
    pub unit_name: String,
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    pub status: SurveyStatus,
    pub closes_on: NaiveDate,
    pub questions: Vec<Question>,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// Members who have answered.
    pub answers: i64,
}

type SurveyTuple = (
    i64,
    i64,
    String,
    String,
    String,
    bool,
    String,
    NaiveDate,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    i64,
);

const SURVEY_SELECT: &str = "SELECT s.id, s.org_unit_id, u.name, s.title, s.intro, s.anonymous, s.status, s.closes_on, s.questions, s.opened_on, s.closed_on, (SELECT CAST(COUNT(*) AS BIGINT) FROM survey_participation p WHERE p.survey_id = s.id) FROM survey s JOIN org_unit u ON u.id = s.org_unit_id WHERE 1 = 1";

fn survey_of(r: SurveyTuple) -> Result<Survey, StoreError> {
    Ok(Survey {
        id: SurveyId(r.0),
        unit: OrgUnitId(r.1),
        unit_name: r.2,
        title: r.3,
        intro: r.4,
        anonymous: r.5,
        status: SurveyStatus::from_code(&r.6)
            .ok_or_else(|| StoreError::Other(format!("survey status {}", r.6)))?,
        closes_on: r.7,
        questions: serde_json::from_str(&r.8)
            .map_err(|e| StoreError::Other(format!("survey questions: {e}")))?,
        opened_on: r.9,
        closed_on: r.10,
        answers: r.11,
    })
}

async fn tx_survey(
    tx: &mut Tx,
    scope: &domain::auth::Scope,
    id: SurveyId,
) -> Result<Survey, StoreError> {
    let mut q = Sql::new(SURVEY_SELECT);
    q.push(" AND s.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "s.org_unit_id", scope);
    survey_of(q.fetch_one_tx(tx).await?)
}

async fn log(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &str,
    s: &Survey,
    ch: &Changes,
) -> Result<(), StoreError> {
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: "survey",
            entity_id: Some(s.id.0),
            org_unit: Some(s.unit),
            changes: ch,
        },
    )
    .await
}

/// Drafts a survey of `unit` (in scope; otherwise not found).
pub async fn create(
    st: &Store,
    cap: &Cap<perm::SurveyManage>,
    who: &Who,
    unit: OrgUnitId,
    d: &SurveyDraft,
) -> Result<SurveyId, StoreError> {
    let mut tx = st.db.begin().await?;
    crate::correspondent::unit_in_scope(&mut tx, cap.scope(), unit).await?;
    let questions =
        serde_json::to_string(&d.questions).map_err(|e| StoreError::Other(e.to_string()))?;
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO survey (org_unit_id, title, intro, anonymous, status, closes_on, questions, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(unit.0)
        .bind(&d.title)
        .bind(&d.intro)
        .bind(d.anonymous)
        .bind(d.closes_on)
        .bind(&questions)
        .bind(who.account.map(|a| a.0))
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let s = tx_survey(&mut tx, cap.scope(), SurveyId(id)).await?;
    let mut ch = Changes::new();
    ch.note("title", d.title.as_str())
        .note("anonymous", d.anonymous)
        .note("closes_on", d.closes_on.to_string())
        .note("questions", d.questions.len() as i64);
    log(tx, st, who, "survey.create", &s, &ch).await?;
    Ok(SurveyId(id))
}

/// Opens a draft to its members (its closing date must not be past).
pub async fn open(
    st: &Store,
    cap: &Cap<perm::SurveyManage>,
    who: &Who,
    id: SurveyId,
    today: NaiveDate,
) -> Result<Survey, StoreError> {
    let mut tx = st.db.begin().await?;
    let s = tx_survey(&mut tx, cap.scope(), id).await?;
    if s.status != SurveyStatus::Draft {
        return Err(invalid("survey", t::NOT_DRAFT));
    }
    if s.closes_on < today {
        return Err(invalid("closes_on", t::CLOSES_PAST));
    }
    let mut u = Sql::new("UPDATE survey SET status = 'open', opened_on = ");
    u.bind(Arg::Date(today))
        .push(", updated_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE status = 'draft' AND id = ")
        .bind(Arg::I64(id.0));
    if u.execute_tx(&mut tx).await? == 0 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&"draft"), Some(&"open"));
    log(tx, st, who, "survey.open", &s, &ch).await?;
    Ok(Survey {
        status: SurveyStatus::Open,
        opened_on: Some(today),
        ..s
    })
}

/// Closes an open survey. An anonymous survey's answers and participation are rewritten in
/// the same transaction (see the module note), then the engine's history is cut.
pub async fn close(
    st: &Store,
    cap: &Cap<perm::SurveyManage>,
    who: &Who,
    id: SurveyId,
    today: NaiveDate,
) -> Result<Survey, StoreError> {
    let mut tx = st.db.begin().await?;
    let s = tx_survey(&mut tx, cap.scope(), id).await?;
    if s.status != SurveyStatus::Open {
        return Err(invalid("survey", t::NOT_OPEN));
    }
    if s.anonymous {
        reshuffle(&mut tx, id).await?;
    }
    let mut u = Sql::new("UPDATE survey SET status = 'closed', closed_on = ");
    u.bind(Arg::Date(today))
        .push(", updated_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE status = 'open' AND id = ")
        .bind(Arg::I64(id.0));
    if u.execute_tx(&mut tx).await? == 0 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&"open"), Some(&"closed"))
        .note("answers", s.answers);
    log(tx, st, who, "survey.close", &s, &ch).await?;
    if s.anonymous {
        scrub(&st.db).await;
    }
    Ok(Survey {
        status: SurveyStatus::Closed,
        closed_on: Some(today),
        ..s
    })
}

/// Rewrites an anonymous survey's answers (shuffled, fresh tokens) and participation (in
/// member order), deleting the old rows with `secure_delete` on SQLite.
async fn reshuffle(tx: &mut Tx, id: SurveyId) -> Result<(), StoreError> {
    if tx.engine() == crate::Engine::Sqlite {
        on_tx!(tx, |c| sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
    }
    let mut contents: Vec<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT content FROM survey_response WHERE survey_id = $1"
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await)?;
    let mut people: Vec<(i64, i64)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT member_id, school_union_id FROM survey_participation WHERE survey_id = $1"
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await)?;
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM survey_response WHERE survey_id = $1"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM survey_participation WHERE survey_id = $1"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let tokens: Vec<Vec<u8>> = {
        let mut rng = rand::rng();
        contents.shuffle(&mut rng);
        contents
            .iter()
            .map(|_| {
                let mut b = vec![0u8; 16];
                rng.fill_bytes(&mut b);
                b
            })
            .collect()
    };
    for (chunk, toks) in contents.chunks(200).zip(tokens.chunks(200)) {
        let mut q = Sql::new("INSERT INTO survey_response (survey_id, token, content) VALUES ");
        for (i, (content, tok)) in chunk.iter().zip(toks).enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(Arg::I64(id.0))
                .push(", ")
                .bind(Arg::Bytes(tok.clone()))
                .push(", ")
                .bind(Arg::Text(content.clone()))
                .push(")");
        }
        q.execute_tx(tx).await?;
    }
    people.sort_unstable();
    for chunk in people.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO survey_participation (survey_id, member_id, school_union_id) VALUES ",
        );
        for (i, (m, school)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(Arg::I64(id.0))
                .push(", ")
                .bind(Arg::I64(*m))
                .push(", ")
                .bind(Arg::I64(*school))
                .push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Cuts the engine's history of the rewritten tables. Failures are logged, not returned:
/// the survey is closed either way.
async fn scrub(db: &Db) {
    let r = match &db.pool {
        crate::db::Pool::Sqlite(p) => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await
            .map(|_| ()),
        crate::db::Pool::Postgres(p) => {
            sqlx::query("VACUUM FULL survey_response, survey_participation")
                .execute(p)
                .await
                .map(|_| ())
        }
    };
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not scrub the survey storage after closing");
    }
}

/// The surveys in scope, newest first (one query); `year` keeps those created, opened or
/// closing in that year.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::SurveyView>,
    unit: Option<OrgUnitId>,
    year: Option<i32>,
) -> Result<Vec<Survey>, StoreError> {
    let mut q = Sql::new(SURVEY_SELECT);
    if let Some(u) = unit {
        q.push(" AND s.org_unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
            .bind(Arg::I64(u.0))
            .push(")");
    }
    if let Some(y) = year
        && let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
        )
    {
        q.push(" AND s.closes_on >= ")
            .bind(Arg::Date(from))
            .push(" AND s.closes_on <= ")
            .bind(Arg::Date(to));
    }
    crate::scope::restrict(&mut q, "s.org_unit_id", cap.scope());
    q.push(" ORDER BY s.id DESC LIMIT 200");
    let rows: Vec<SurveyTuple> = q.fetch_all(db).await?;
    rows.into_iter().map(survey_of).collect()
}

/// One survey in scope.
pub async fn get(db: &Db, cap: &Cap<perm::SurveyView>, id: SurveyId) -> Result<Survey, StoreError> {
    let mut q = Sql::new(SURVEY_SELECT);
    q.push(" AND s.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "s.org_unit_id", cap.scope());
    survey_of(q.fetch_one(db).await?)
}

/// A school's progress in a survey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolProgress {
    pub school: OrgUnitId,
    pub name: String,
    /// Active members of the school.
    pub members: i64,
    pub answered: i64,
}

/// Progress of a survey by school of its unit's subtree (two queries).
pub async fn progress(
    db: &Db,
    cap: &Cap<perm::SurveyView>,
    id: SurveyId,
) -> Result<Vec<SchoolProgress>, StoreError> {
    let s = get(db, cap, id).await?;
    let mut q = Sql::new(
        "SELECT u.id, u.name, CAST(COUNT(m.id) AS BIGINT) FROM org_unit u JOIN org_closure c ON c.descendant_id = u.id LEFT JOIN member m ON m.school_union_id = u.id AND m.status = 'active' WHERE u.kind = 'school_union' AND c.ancestor_id = ",
    );
    q.bind(Arg::I64(s.unit.0));
    q.push(" GROUP BY u.id, u.name ORDER BY u.id");
    let schools: Vec<(i64, String, i64)> = q.fetch_all(db).await?;
    let mut p = Sql::new(
        "SELECT school_union_id, CAST(COUNT(*) AS BIGINT) FROM survey_participation WHERE survey_id = ",
    );
    p.bind(Arg::I64(id.0)).push(" GROUP BY school_union_id");
    let answered: std::collections::HashMap<i64, i64> =
        p.fetch_all::<(i64, i64)>(db).await?.into_iter().collect();
    Ok(schools
        .into_iter()
        .map(|(u, name, members)| SchoolProgress {
            school: OrgUnitId(u),
            name,
            members,
            answered: answered.get(&u).copied().unwrap_or(0),
        })
        .collect())
}

/// A survey's results: how many answered, and each question's tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Results {
    pub responses: i64,
    pub questions: Vec<QuestionResult>,
}

/// The results of a survey in scope. An anonymous survey's are sealed until it is closed
/// with at least [`ANON_MIN`] answers (refused with [`t::SEALED`]).
pub async fn results(
    db: &Db,
    cap: &Cap<perm::SurveyView>,
    id: SurveyId,
) -> Result<(Survey, Results), StoreError> {
    let s = get(db, cap, id).await?;
    let sql = if s.anonymous {
        if s.status != SurveyStatus::Closed || s.answers < ANON_MIN {
            return Err(invalid("survey", t::SEALED));
        }
        // Token order is random: no order of arrival reaches the caller.
        "SELECT content FROM survey_response WHERE survey_id = $1 ORDER BY token"
    } else {
        "SELECT content FROM survey_named_response WHERE survey_id = $1 ORDER BY member_id"
    };
    let contents: Vec<String> = crate::on_db!(db, |p| sqlx::query_scalar(sql)
        .bind(id.0)
        .fetch_all(p)
        .await)?;
    let decoded: Vec<Vec<Answer>> = contents
        .iter()
        .map(|c| dr::decode(c).ok_or_else(|| StoreError::Other("a stored answer".into())))
        .collect::<Result<_, _>>()?;
    let questions = tally(&s.questions, decoded.iter());
    Ok((
        s,
        Results {
            responses: decoded.len() as i64,
            questions,
        },
    ))
}

/// A survey as the member answering it sees it.
#[derive(Clone, Debug)]
pub struct ForMember {
    pub survey: Survey,
    /// This member has answered already.
    pub answered: bool,
    /// The member's school (recorded with their participation).
    school: OrgUnitId,
}

/// The survey `id` for `member`, when it is open or closed (not a draft) and sent to the
/// member's school (its unit is the school or above it). Otherwise not found: a member
/// of another school cannot tell it exists.
pub async fn for_member(
    db: &Db,
    cap: &Cap<perm::SurveyAnswer>,
    member: Option<MemberId>,
    id: SurveyId,
) -> Result<ForMember, StoreError> {
    let member = member.ok_or(StoreError::NotFound)?;
    let mut q =
        Sql::new("SELECT m.school_union_id FROM member m WHERE m.status = 'active' AND m.id = ");
    q.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    let (school,): (i64,) = q.fetch_one(db).await?;
    let mut q = Sql::new(SURVEY_SELECT);
    q.push(" AND s.status <> 'draft' AND s.id = ")
        .bind(Arg::I64(id.0))
        .push(" AND EXISTS (SELECT 1 FROM org_closure oc WHERE oc.ancestor_id = s.org_unit_id AND oc.descendant_id = ")
        .bind(Arg::I64(school))
        .push(")");
    let survey = survey_of(q.fetch_one(db).await?)?;
    let mut a =
        Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM survey_participation WHERE survey_id = ");
    a.bind(Arg::I64(id.0))
        .push(" AND member_id = ")
        .bind(Arg::I64(member.0));
    let answered = a.fetch_scalar_i64(db).await? > 0;
    Ok(ForMember {
        survey,
        answered,
        school: OrgUnitId(school),
    })
}

/// Stores `member`'s answers to an open survey (checked against its questions first):
/// participation and answer in one transaction; a second answer is refused with
/// [`t::ALREADY`], an answer after closing with [`t::NOT_OPEN`]. An anonymous answer is
/// stored with a random token and nothing else; no audit record names the member.
pub async fn answer(
    st: &Store,
    f: &ForMember,
    member: MemberId,
    answers: &[Answer],
    today: NaiveDate,
) -> Result<(), StoreError> {
    if answers.len() != f.survey.questions.len() {
        return Err(invalid("survey", t::ANSWER_REQUIRED));
    }
    let content = dr::encode(answers);
    let id = f.survey.id;
    let mut tx = st.db.begin().await?;
    let open: Option<(String, NaiveDate)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT status, closes_on FROM survey WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await)?;
    match open {
        Some((s, closes)) if s == "open" && closes >= today => {}
        _ => return Err(invalid("survey", t::NOT_OPEN)),
    }
    let new: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO survey_participation (survey_id, member_id, school_union_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING member_id"
    )
    .bind(id.0)
    .bind(member.0)
    .bind(f.school.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    if new.is_none() {
        return Err(invalid("survey", t::ALREADY));
    }
    if f.survey.anonymous {
        let mut token = vec![0u8; 16];
        rand::rng().fill_bytes(&mut token);
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO survey_response (survey_id, token, content) VALUES ($1, $2, $3)"
        )
        .bind(id.0)
        .bind(&token)
        .bind(&content)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    } else {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO survey_named_response (survey_id, member_id, content) VALUES ($1, $2, $3)"
        )
        .bind(id.0)
        .bind(member.0)
        .bind(&content)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    }
    tx.commit().await
}

/// The open surveys sent to `member`'s school, for the member's own list (one query).
pub async fn open_for_member(
    db: &Db,
    cap: &Cap<perm::SurveyAnswer>,
    member: Option<MemberId>,
) -> Result<Vec<(Survey, bool)>, StoreError> {
    let Some(member) = member else {
        return Ok(Vec::new());
    };
    let mut q =
        Sql::new("SELECT m.school_union_id FROM member m WHERE m.status = 'active' AND m.id = ");
    q.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    let found: Vec<(i64,)> = q.fetch_all(db).await?;
    let Some((school,)) = found.into_iter().next() else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(SURVEY_SELECT);
    q.push(" AND s.status = 'open' AND EXISTS (SELECT 1 FROM org_closure oc WHERE oc.ancestor_id = s.org_unit_id AND oc.descendant_id = ")
        .bind(Arg::I64(school))
        .push(") ORDER BY s.closes_on, s.id LIMIT 50");
    let rows: Vec<SurveyTuple> = q.fetch_all(db).await?;
    let mut p = Sql::new("SELECT survey_id FROM survey_participation WHERE member_id = ");
    p.bind(Arg::I64(member.0));
    let done: std::collections::HashSet<i64> = p
        .fetch_all::<(i64,)>(db)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    rows.into_iter()
        .map(|r| {
            let s = survey_of(r)?;
            let d = done.contains(&s.id.0);
            Ok((s, d))
        })
        .collect()
}

/// Surveys held (opened in the year) by their unit, answers by school (members who
/// answered a survey opened in the year), petitions received and closed by unit: two
/// queries, whatever the number of schools.
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
    // Surveys held, petitions received and closed: one query (k = the figure's index).
    let mut q = Sql::new(
        "SELECT x.unit, x.k, CAST(COUNT(*) AS BIGINT) FROM (SELECT s.org_unit_id AS unit, CAST(0 AS BIGINT) AS k FROM survey s WHERE s.opened_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND s.opened_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "s.org_unit_id", reach.scope());
    q.push(" UNION ALL SELECT p.org_unit_id AS unit, CAST(2 AS BIGINT) AS k FROM petition p WHERE p.received_on >= ")
        .bind(Arg::Date(from))
        .push(" AND p.received_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "p.org_unit_id", reach.scope());
    q.push(" UNION ALL SELECT c.org_unit_id AS unit, CAST(3 AS BIGINT) AS k FROM petition c WHERE c.closed_on >= ")
        .bind(Arg::Date(from))
        .push(" AND c.closed_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "c.org_unit_id", reach.scope());
    q.push(") x GROUP BY x.unit, x.k ORDER BY x.unit, x.k");
    let counts: Vec<(i64, i64, i64)> = q.fetch_all(&st.db).await?;
    let mut a = Sql::new(
        "SELECT p.school_union_id, CAST(COUNT(*) AS BIGINT) FROM survey_participation p JOIN survey s ON s.id = p.survey_id WHERE s.opened_on >= ",
    );
    a.bind(Arg::Date(from))
        .push(" AND s.opened_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut a, "p.school_union_id", reach.scope());
    a.push(" GROUP BY p.school_union_id ORDER BY p.school_union_id");
    let answers: Vec<(i64, i64)> = a.fetch_all(&st.db).await?;
    let mut out: Vec<FigureValue> = Vec::with_capacity(counts.len() + answers.len());
    for (unit, k, value) in counts {
        if let Some(f) = FIGURES.get(k as usize) {
            out.push(FigureValue {
                key: f.key.to_string(),
                unit: OrgUnitId(unit),
                year,
                value,
            });
        }
    }
    for (unit, value) in answers {
        out.push(FigureValue {
            key: FIGURES[1].key.to_string(),
            unit: OrgUnitId(unit),
            year,
            value,
        });
    }
    Ok(out)
}

/// Open surveys in reach closing within [`CLOSING_NOTICE_DAYS`] (or past their date and
/// not yet closed), and petitions not answered whose acceptance or conclusion date is
/// within [`PETITION_NOTICE_DAYS`] (or past): two queries. The unit's chair and the
/// union's staff are concerned.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(CLOSING_NOTICE_DAYS);
    let mut q = Sql::new(
        "SELECT s.id, s.org_unit_id, s.title, s.closes_on FROM survey s WHERE s.status = 'open' AND s.closes_on <= ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "s.org_unit_id", reach.scope());
    q.push(" ORDER BY s.closes_on, s.id");
    let rows: Vec<(i64, i64, String, NaiveDate)> = q.fetch_all(&st.db).await?;
    let petitions = petitions::due(
        &st.db,
        reach.scope(),
        today + chrono::Duration::days(PETITION_NOTICE_DAYS),
    )
    .await?;
    let petition_items = petitions
        .into_iter()
        .map(|(id, unit, status, due)| DueItem {
            area: "rights".into(),
            kind: if status == "received" {
                "due-rights-petition-accept".into()
            } else {
                "due-rights-petition-conclude".into()
            },
            key: format!("petition:{id}:{status}:{due}"),
            unit: OrgUnitId(unit),
            // The number only: no name or matter reaches a reminder.
            title: format!("#{id}"),
            due,
            concerns: vec![
                Concerns::Role {
                    role: Role::SchoolChair,
                    unit: OrgUnitId(unit),
                },
                Concerns::Role {
                    role: Role::UnionStaff,
                    unit: OrgUnitId(unit),
                },
            ],
            href: format!("/petitions/{id}"),
        });
    Ok(rows
        .into_iter()
        .map(|(id, unit, title, due)| DueItem {
            area: "rights".into(),
            kind: "due-rights-survey-closing".into(),
            key: format!("survey-closing:{id}:{due}"),
            unit: OrgUnitId(unit),
            title: title.chars().take(40).collect(),
            due,
            concerns: vec![
                Concerns::Role {
                    role: Role::SchoolChair,
                    unit: OrgUnitId(unit),
                },
                Concerns::Role {
                    role: Role::UnionStaff,
                    unit: OrgUnitId(unit),
                },
            ],
            href: format!("/surveys/{id}"),
        })
        .chain(petition_items)
        .collect())
}
