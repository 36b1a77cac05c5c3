//! The congress of the demo district: the union's rule set, a current term in every school
//! (an all-staff assembly in the small ones) with delegates by delegation, last school
//! year's meeting with its attendance, this year's meeting (held, planned, or — in a few
//! schools — missing, so that the oversight table flags them), and proposals in every state
//! of their life. The first school gets the full picture and the demo logins of its
//! delegates, its proposals committee and a handling department.
//!
//! Deterministic: the same district gives the same congress (apart from timestamps of the
//! loading itself and the random check-in codes, which are not printed).

use super::meetings::beijing;
use super::{meetings, rules, terms};
use crate::audit::Who;
use crate::auth::{self, NewAccount, PasswordHasher};
use crate::db::{Arg, Sql, Tx};
use crate::demo::{DEMO_PASSWORD, DemoLogin, DemoOptions};
use crate::proposals::{self, suggestions};
use crate::{Store, StoreError, on_db, on_tx};
use chrono::{Duration, NaiveDate, NaiveTime};
use domain::auth::{Actor, Cap, Grant, Role, SystemCap, perm, system_cap};
use domain::congress::*;
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::proposals::*;
use domain::rules::RuleSet;

/// Schools that get a congress (a province-size demo keeps to the first ones).
const MAX_SCHOOLS: usize = 40;

fn cap<P: perm::Perm>(sys: &SystemCap) -> Cap<P> {
    system_cap(sys, AccountId(0))
}

/// The actor of a delegate acting as themselves.
fn person(member: MemberId, school: OrgUnitId) -> Actor {
    Actor {
        account: AccountId(0),
        username: "demo".into(),
        display_name: "demo".into(),
        member: Some(member),
        grants: vec![Grant {
            role: Role::Delegate,
            org_unit: school,
        }],
    }
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| StoreError::Other("demo date".into()))
}

fn deny(e: domain::auth::Denied) -> StoreError {
    StoreError::Other(e.to_string())
}

struct School {
    id: OrgUnitId,
    name: String,
}

/// Adds the congress to a freshly loaded demo district. Returns the logins it made.
pub async fn load(
    st: &Store,
    sys: &SystemCap,
    hasher: Option<&PasswordHasher>,
    opts: &DemoOptions,
) -> Result<Vec<DemoLogin>, StoreError> {
    let who = Who::system("demo");
    let today = opts.today;
    let year = school_year(today);
    let rows: Vec<(i64, String)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id, name FROM org_unit WHERE kind = 'school_union' ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    let schools: Vec<School> = rows
        .into_iter()
        .take(MAX_SCHOOLS)
        .map(|(id, name)| School {
            id: OrgUnitId(id),
            name,
        })
        .collect();
    let Some(root) = crate::org::units::roots(&st.db).await?.into_iter().next() else {
        return Ok(Vec::new());
    };
    rules::create_version(
        st,
        &cap(sys),
        &who,
        root.id,
        Some(&RuleSet::DEFAULT),
        Some("区教育工会学校教职工代表大会实施细则".into()),
    )
    .await?;

    let term_start = date(year - 1, 9, 1)?;
    let term_end = date(year + 3, 8, 31)?;
    let last_meeting = date(year - 1, 11, 20)?;
    let this_meeting = date(year, 11, 20)?;
    let mut showcase = None;
    let mut congresses = 0;
    for (i, s) in schools.iter().enumerate() {
        let first = i == 0;
        let members: Vec<(i64, String, Option<i64>)> = on_db!(&st.db, |p| {
            sqlx::query_as(
            "SELECT id, post, branch_id FROM member WHERE school_union_id = $1 AND status = 'active' ORDER BY id"
        )
        .bind(s.id.0)
        .fetch_all(p)
        .await
        })?;
        if members.len() < 6 {
            continue;
        }
        let rules = rules::effective_checked(&st.db, s.id).await?.rules;
        let mode = if domain::rules::assembly_mode(members.len() as u32, &rules) {
            CongressMode::Assembly
        } else {
            CongressMode::Congress
        };
        let term = terms::create_term(
            st,
            &cap(sys),
            &who,
            s.id,
            &TermDraft {
                number: if first { 3 } else { 2 + (i as u32 % 2) },
                mode,
                start_date: term_start,
                end_date: term_end,
            },
        )
        .await?;
        if mode == CongressMode::Congress {
            congresses += 1;
            let skew = match congresses {
                3 => Skew::TooManyLeaders,
                5 => Skew::TooFewTeachers,
                _ => Skew::Fair,
            };
            seat_delegates(st, &who, s, term, &members, skew, term_start).await?;
        }
        let depts = departments(st, s.id, first).await?;
        // Last school year's meeting: held, with attendance (one school misses its quorum).
        let m1 = meeting(
            st,
            sys,
            &who,
            term,
            last_meeting,
            Some((
                last_meeting - Duration::days(40),
                last_meeting - Duration::days(3),
            )),
        )
        .await?;
        meetings::set_status(st, &cap(sys), &who, m1, MeetingStatus::Open).await?;
        attend(st, m1, term, last_meeting, if i % 13 == 7 { 6 } else { 9 }).await?;
        let voters = voting_delegates(st, term).await?;
        let held_this_year = !first && i % 6 != 5 && this_meeting < today;
        if first {
            program(st, sys, &who, m1, &voters).await?;
            votes(st, sys, &who, s.id, m1, last_meeting, &voters).await?;
            // Proposals collected for it, handled since.
            let collected = last_meeting - Duration::days(10);
            showcase_proposals(st, sys, &who, s, m1, &voters, &depts, collected, today).await?;
            backdate(st, m1, collected).await?;
        } else {
            // Every school's last-year loop went all the way (proposals collected, answered
            // on time and rated), whether or not it has met this year: the annual
            // assessment of last year reads these figures.
            let collected = last_meeting - Duration::days(10);
            school_proposals(st, sys, &who, s, m1, &voters, &depts, collected, i).await?;
            backdate(st, m1, collected).await?;
        }
        meetings::set_status(st, &cap(sys), &who, m1, MeetingStatus::Closed).await?;
        // This school year's meeting.
        if first {
            let m2 = meeting(
                st,
                sys,
                &who,
                term,
                today + Duration::days(14),
                Some((today - Duration::days(7), today + Duration::days(7))),
            )
            .await?;
            program(st, sys, &who, m2, &voters).await?;
            showcase = Some((s.id, s.name.clone(), m2, voters.clone(), depts.clone()));
        } else if i % 6 == 5 {
            // No meeting this year: flagged in the oversight table.
        } else if held_this_year {
            let collected = this_meeting - Duration::days(10);
            let m2 = meeting(
                st,
                sys,
                &who,
                term,
                this_meeting,
                Some((
                    collected - Duration::days(20),
                    collected + Duration::days(5),
                )),
            )
            .await?;
            meetings::set_status(st, &cap(sys), &who, m2, MeetingStatus::Open).await?;
            school_proposals(st, sys, &who, s, m2, &voters, &depts, collected, i).await?;
            backdate(st, m2, collected).await?;
            attend(st, m2, term, this_meeting, 9).await?;
            meetings::set_status(st, &cap(sys), &who, m2, MeetingStatus::Closed).await?;
        } else {
            meeting(st, sys, &who, term, this_meeting, None).await?;
        }
    }
    let Some((school, school_name, m2, voters, depts)) = showcase else {
        return Ok(Vec::new());
    };
    this_years_proposals(st, &who, school, m2, &voters, today).await?;
    suggestions_of(st, sys, &who, school).await?;

    let mut logins = Vec::new();
    if opts.logins
        && let Some(h) = hasher
    {
        let hash = h.hash(DEMO_PASSWORD).await?;
        /// (username, display name, role, unit, unit name, member)
        type Login<'a> = (&'a str, String, Role, OrgUnitId, String, Option<MemberId>);
        let mut plan: Vec<Login<'_>> = Vec::new();
        for (k, name) in ["delegate", "delegate2", "delegate3"].iter().enumerate() {
            if let Some((m, n)) = voters.get(k) {
                plan.push((
                    name,
                    format!("{n}（代表）"),
                    Role::Delegate,
                    school,
                    school_name.clone(),
                    Some(*m),
                ));
            }
        }
        // The tellers' and scrutineers' sides of a paper count (see `program`).
        for (k, name, label) in [(7usize, "teller", "计票人"), (5, "scrutineer", "监票人")] {
            if let Some((m, n)) = voters.get(k) {
                plan.push((
                    name,
                    format!("{n}（{label}）"),
                    Role::Delegate,
                    school,
                    school_name.clone(),
                    Some(*m),
                ));
            }
        }
        plan.push((
            "proposals",
            "提案工作委员会".into(),
            Role::ProposalsCommittee,
            school,
            school_name.clone(),
            None,
        ));
        if let Some((d, dn)) = depts.first() {
            plan.push((
                "dept",
                format!("{dn}（承办部门）"),
                Role::HandlingDepartment,
                *d,
                dn.clone(),
                None,
            ));
        }
        for (username, display, role, unit, unit_name, member) in plan {
            let id = auth::create_account_system(
                sys,
                st,
                &who,
                &NewAccount {
                    username: username.into(),
                    display_name: display,
                    member,
                    password_hash: Some(hash.clone()),
                },
            )
            .await?;
            auth::grant_system(sys, st, &who, id, role, unit).await?;
            logins.push(DemoLogin {
                username: username.into(),
                role,
                unit_name,
            });
        }
    }
    Ok(logins)
}

/// How a school's delegates are chosen: fairly, or (in two schools) against the rules, so
/// that the composition report and the oversight table have something to warn about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skew {
    Fair,
    TooManyLeaders,
    TooFewTeachers,
}

/// About a third of the active staff (at least 15) become delegates, in delegations by
/// branch. One retiree, where there is one, observes.
async fn seat_delegates(
    st: &Store,
    who: &Who,
    s: &School,
    term: TermId,
    members: &[(i64, String, Option<i64>)],
    skew: Skew,
    since: NaiveDate,
) -> Result<(), StoreError> {
    let want = (members.len() / 3).clamp(15.min(members.len()), 80);
    let stride = (members.len() / want.max(1)).max(1);
    let mut chosen: Vec<&(i64, String, Option<i64>)> = match skew {
        Skew::TooFewTeachers => members
            .iter()
            .filter(|m| m.1 != "teacher")
            .chain(members.iter().filter(|m| m.1 == "teacher"))
            .take(want)
            .collect(),
        _ => members.iter().step_by(stride).take(want).collect(),
    };
    if skew == Skew::TooManyLeaders {
        for m in members.iter().filter(|m| m.1 == "leader") {
            if !chosen.iter().any(|c| c.0 == m.0) {
                chosen.push(m);
            }
        }
        // And a few more, in case the school has few.
        let extra: Vec<_> = members
            .iter()
            .filter(|m| m.1 != "teacher" && !chosen.iter().any(|c| c.0 == m.0))
            .take(want / 3)
            .collect();
        chosen.extend(extra);
    }
    let mut tx = st.db.begin().await?;
    let branches: Vec<(i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT id, name FROM org_unit WHERE parent_id = $1 AND kind = 'branch' ORDER BY sort_order, id"
    )
    .bind(s.id.0)
    .fetch_all(&mut *c)
    .await
    })?;
    let mut groups = std::collections::HashMap::new();
    for (k, (b, name)) in branches.iter().enumerate() {
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
            "INSERT INTO delegation (term_id, name, branch_id, sort_order, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
        )
        .bind(term.0)
        .bind(format!("{}代表团", name.trim_end_matches('组')))
        .bind(b)
        .bind(k as i64)
        .bind(crate::now())
        .fetch_one(&mut *c)
        .await
        })?;
        groups.insert(*b, id);
    }
    let mut sql = Sql::new(
        "INSERT INTO delegate (term_id, member_id, kind, delegation_id, started_on, created_at) VALUES ",
    );
    for (k, m) in chosen.iter().enumerate() {
        if k > 0 {
            sql.push(", ");
        }
        sql.push("(");
        sql.bind_list([
            Arg::I64(term.0),
            Arg::I64(m.0),
            Arg::Text("delegate".into()),
            Arg::OptI64(m.2.and_then(|b| groups.get(&b).copied())),
            Arg::Date(since),
            Arg::Ts(crate::now()),
        ]);
        sql.push(")");
    }
    sql.execute_tx(&mut tx).await?;
    let retiree: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "SELECT id FROM member WHERE school_union_id = $1 AND status = 'retired' ORDER BY id LIMIT 1"
    )
    .bind(s.id.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    if let Some(r) = retiree {
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO delegate (term_id, member_id, kind, delegation_id, started_on, created_at) VALUES ($1, $2, 'observer', NULL, $3, $4)"
        )
        .bind(term.0)
        .bind(r)
        .bind(since)
        .bind(crate::now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        })?;
    }
    let mut ch = domain::audit::Changes::new();
    ch.note("delegates", chosen.len() as u64)
        .note("source", "demo");
    super::log(
        &mut tx,
        &st.cipher,
        who,
        "delegate.demo",
        ("congress_term", term.0),
        s.id,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// The departments that handle proposals: the first school gets 总务处 and 教务处 as
/// branches; the others use their administration branch.
async fn departments(
    st: &Store,
    school: OrgUnitId,
    first: bool,
) -> Result<Vec<(OrgUnitId, String)>, StoreError> {
    if first {
        let code: String = on_db!(&st.db, |p| sqlx::query_scalar(
            "SELECT code FROM org_unit WHERE id = $1"
        )
        .bind(school.0)
        .fetch_one(p)
        .await)?;
        let mut tx: Tx = st.db.begin().await?;
        let mut out = Vec::new();
        for (k, (suffix, name)) in [("ZW", "总务处"), ("JW", "教务处")].iter().enumerate() {
            let id = crate::org::units::insert_unit(
                &mut tx,
                Some(school),
                &crate::org::NewUnit {
                    sort_order: 50 + k as i64,
                    ..crate::org::NewUnit::branch(format!("{code}-{suffix}"), name.to_string())
                },
            )
            .await?;
            out.push((id, name.to_string()));
        }
        tx.commit().await?;
        return Ok(out);
    }
    let rows: Vec<(i64, String)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, name FROM org_unit WHERE parent_id = $1 AND kind = 'branch' AND name <> '离退休分会' ORDER BY sort_order DESC, id"
    )
    .bind(school.0)
    .fetch_all(p)
    .await
    })?;
    Ok(rows.into_iter().map(|(i, n)| (OrgUnitId(i), n)).collect())
}

async fn meeting(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    term: TermId,
    on: NaiveDate,
    window: Option<(NaiveDate, NaiveDate)>,
) -> Result<MeetingId, StoreError> {
    meetings::create_meeting(
        st,
        &cap(sys),
        who,
        term,
        &MeetingDraft {
            kind: MeetingKind::Regular,
            meeting_date: on,
            starts_at: NaiveTime::from_hms_opt(14, 30, 0),
            place: "学校报告厅".into(),
            proposals_from: window.map(|w| w.0),
            proposals_until: window.map(|w| w.1),
        },
    )
    .await
}

/// Checks in `tenths` of ten of the voting delegates (by id), at 14:10 on the day.
async fn attend(
    st: &Store,
    m: MeetingId,
    term: TermId,
    on: NaiveDate,
    tenths: i64,
) -> Result<(), StoreError> {
    let at = beijing(on, NaiveTime::from_hms_opt(14, 10, 0).unwrap_or_default());
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO check_in (meeting_id, delegate_id, at, method, late, left_at, recorded_by)
         SELECT $1, d.id, $2, 'staff', FALSE, NULL, NULL FROM delegate d
         WHERE d.term_id = $3 AND d.ended_on IS NULL AND (d.id % 10) < $4"
    )
    .bind(m.0)
    .bind(at)
    .bind(term.0)
    .bind(tenths)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// The agenda, presidium, scrutineers and tellers of a meeting of the first school.
async fn program(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    m: MeetingId,
    voters: &[(MemberId, String)],
) -> Result<(), StoreError> {
    for (kind, title, presenter) in [
        (AgendaKind::Report, "学校工作报告", Some("校长")),
        (AgendaKind::Report, "学校财务工作报告", Some("总务主任")),
        (
            AgendaKind::Report,
            "上次会议提案办理情况报告",
            Some("提案工作委员会主任"),
        ),
        (
            AgendaKind::Resolution,
            "审议《学校绩效工资分配实施方案》",
            None,
        ),
        (AgendaKind::CadreReview, "民主评议学校领导干部", None),
    ] {
        meetings::add_agenda_item(
            st,
            &cap(sys),
            who,
            m,
            &AgendaDraft {
                kind,
                title: title.into(),
                presenter: presenter.map(str::to_string),
            },
        )
        .await?;
    }
    for (k, (member, _)) in voters.iter().take(9).enumerate() {
        let role = match k {
            0..=4 => MeetingRole::Presidium,
            5 | 6 => MeetingRole::Scrutineer,
            _ => MeetingRole::Teller,
        };
        meetings::add_role(st, &cap(sys), who, m, *member, role).await?;
    }
    Ok(())
}

/// Last year's votes at the first school, cast through the ballot box as delegates would:
/// a secret resolution (passed), a competitive election for the funds review committee and
/// a cadre review of two leaders, all published.
async fn votes(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    school: OrgUnitId,
    m: MeetingId,
    on: NaiveDate,
    voters: &[(MemberId, String)],
) -> Result<(), StoreError> {
    use crate::voting::{self as sv, ballot_box as bb};
    use domain::voting::*;
    if voters.len() < 20 {
        return Ok(());
    }
    let bx = bb::BallotBox::start(st.db.clone());
    let draft = |title: &str, kind: PollKind, seats: u32| PollDraft {
        title: title.into(),
        kind,
        mode: PollMode::Secret,
        seats,
        competitive: kind == PollKind::Election,
        by_election: false,
        // The funds audit committee is a union body: its 委员 are elected by union members,
        // in secret and competitively (中国工会章程).
        union_office: (kind == PollKind::Election).then_some(UnionOffice::Committee),
    };
    let motion = sv::create_poll(
        st,
        &cap(sys),
        who,
        m,
        None,
        &draft(
            "关于《学校绩效工资分配实施方案》的决议",
            PollKind::Motion,
            0,
        ),
    )
    .await?;
    let election = sv::create_poll(
        st,
        &cap(sys),
        who,
        m,
        None,
        &draft("选举学校工会经费审查委员会委员", PollKind::Election, 3),
    )
    .await?;
    let mut slate = Vec::new();
    for (member, _) in &voters[10..14] {
        slate.push(sv::add_option(st, &cap(sys), who, election, *member).await?);
    }
    let review = sv::create_poll(
        st,
        &cap(sys),
        who,
        m,
        None,
        &draft("民主评议学校领导干部", PollKind::CadreReview, 0),
    )
    .await?;
    let mut leaders = Vec::new();
    for (member, _) in &voters[14..16] {
        leaders.push(sv::add_option(st, &cap(sys), who, review, *member).await?);
    }
    // The scrutineers' shares, kept only until the count below (a demonstration).
    let mut opened = Vec::new();
    for p in [motion, election, review] {
        opened.push(sv::open_poll(st, &cap(sys), who, p).await?);
    }
    for (i, (member, _)) in voters.iter().enumerate() {
        let actor = person(*member, school);
        let acting = authorize_self::<perm::CongressAttend>(&actor).map_err(deny)?;
        let ballots = [
            (
                motion,
                BallotInput {
                    choice: Some(
                        ["yes", "yes", "yes", "yes", "no", "yes", "abstain"][i % 7].into(),
                    ),
                    ..BallotInput::default()
                },
            ),
            (
                election,
                BallotInput {
                    marks: slate
                        .iter()
                        .enumerate()
                        .map(|(k, o)| {
                            (
                                *o,
                                if (i + k) % 4 == 3 { "against" } else { "for" }.to_string(),
                            )
                        })
                        .filter(|(_, v)| v == "for")
                        .take(3)
                        .collect(),
                    ..BallotInput::default()
                },
            ),
            (
                review,
                BallotInput {
                    marks: leaders
                        .iter()
                        .enumerate()
                        .map(|(k, o)| {
                            (
                                *o,
                                ["excellent", "competent", "competent", "basic"][(i + k) % 4]
                                    .to_string(),
                            )
                        })
                        .collect(),
                    ..BallotInput::default()
                },
            ),
        ];
        for (poll, input) in ballots {
            // The absent do not vote.
            let Ok(p) = bb::prepare(&st.db, bb::Voter::Member(&acting), poll).await else {
                continue;
            };
            let b = p.check(&input)?;
            bx.cast(&p, &b).await?;
        }
    }
    for (p, o) in [motion, election, review].into_iter().zip(&opened) {
        sv::close_poll(st, &cap(sys), who, p).await?;
        if !o.shares.is_empty() {
            let codes: Vec<&str> = o.shares.iter().map(|s| s.code.as_str()).collect();
            sv::count_poll(st, &cap(sys), who, p, &codes[..o.needed]).await?;
        }
        sv::publish_poll(st, &cap(sys), who, p).await?;
    }
    // They happened on the day of the meeting.
    let at = beijing(on, NaiveTime::from_hms_opt(15, 30, 0).unwrap_or_default());
    on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE poll SET opened_at = $2, closed_at = $2, published_at = $2, created_at = $2 WHERE meeting_id = $1"
    )
    .bind(m.0)
    .bind(at)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Puts the loading's own timestamps of a meeting's proposals back to when they would have
/// happened: submitted on `on`, decided two days later, answered after two weeks, rated
/// after three.
async fn backdate(st: &Store, m: MeetingId, on: NaiveDate) -> Result<(), StoreError> {
    let at = |days: i64| {
        beijing(
            on + Duration::days(days),
            NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
        )
    };
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE proposal SET created_at = $1, submitted_at = $1, decided_at = CASE WHEN decided_at IS NULL THEN NULL ELSE $2 END, updated_at = $2 WHERE meeting_id = $3"
    )
    .bind(at(0))
    .bind(at(2))
    .bind(m.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE proposal_reply SET replied_at = $1, rated_at = CASE WHEN rated_at IS NULL THEN NULL ELSE $2 END
         WHERE round = 1 AND proposal_id IN (SELECT id FROM proposal WHERE meeting_id = $3)"
    )
    .bind(at(14))
    .bind(at(20))
    .bind(m.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE proposal_seconder SET responded_at = $1 WHERE responded_at IS NOT NULL AND proposal_id IN (SELECT id FROM proposal WHERE meeting_id = $2)"
    )
    .bind(at(-1))
    .bind(m.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    tx.commit().await
}

async fn voting_delegates(st: &Store, term: TermId) -> Result<Vec<(MemberId, String)>, StoreError> {
    let rows: Vec<(i64, String)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT m.id, m.name FROM delegate d JOIN member m ON m.id = d.member_id
         WHERE d.term_id = $1 AND d.ended_on IS NULL AND d.kind = 'delegate' AND m.post = 'teacher' ORDER BY d.id"
    )
    .bind(term.0)
    .fetch_all(p)
    .await
    })?;
    // The school's first members hold the other demo logins (chair, member): skip them.
    Ok(rows
        .into_iter()
        .skip(2)
        .map(|(i, n)| (MemberId(i), n))
        .collect())
}

/// A proposal by `proposer`, seconded by the next two, submitted on `on`.
#[allow(clippy::too_many_arguments)]
async fn proposal(
    st: &Store,
    who: &Who,
    school: OrgUnitId,
    meeting: MeetingId,
    voters: &[(MemberId, String)],
    proposer: usize,
    title: &str,
    category: ProposalCategory,
    on: NaiveDate,
) -> Result<ProposalId, StoreError> {
    let n = voters.len().max(1);
    let by = |k: usize| person(voters[(proposer + k) % n].0, school);
    let me = authorize_self::<perm::ProposalSubmit>(&by(0)).map_err(deny)?;
    let id = proposals::create_draft(
        st,
        &me,
        who,
        meeting,
        &ProposalDraft {
            title: title.into(),
            category,
            reasons: format!("{title}：教职工反映较多，涉及切身利益，需要学校统筹解决。"),
            measures: "建议学校广泛听取意见，制定方案，明确责任部门和完成时间。".into(),
        },
        on,
    )
    .await?;
    for k in [1, 2] {
        let a = authorize_self::<perm::ProposalSecond>(&by(k)).map_err(deny)?;
        proposals::second(st, &a, who, id).await?;
    }
    proposals::submit(st, &me, who, id, on).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn accept_and_assign(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    id: ProposalId,
    handler: OrgUnitId,
    co: Vec<OrgUnitId>,
    on: NaiveDate,
    due: NaiveDate,
) -> Result<(), StoreError> {
    let c = cap::<perm::ProposalReview>(sys);
    proposals::review(
        st,
        &c,
        who,
        id,
        &Review {
            decision: ReviewDecision::Accept,
            reason: "符合立案条件，事关教职工切身利益。".into(),
            merge_into: None,
        },
    )
    .await?;
    proposals::assign(
        st,
        &c,
        who,
        id,
        &Assignment {
            handler,
            co_handlers: co,
            deadline: due,
        },
        on,
    )
    .await
}

async fn answer(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    id: ProposalId,
    text: &str,
) -> Result<(), StoreError> {
    proposals::reply(st, &cap(sys), who, id, text).await
}

#[allow(clippy::too_many_arguments)]
async fn rate(
    st: &Store,
    who: &Who,
    school: OrgUnitId,
    proposer: MemberId,
    id: ProposalId,
    rating: Rating,
    comment: Option<&str>,
    on: NaiveDate,
) -> Result<(), StoreError> {
    let me = authorize_self::<perm::CongressAttend>(&person(proposer, school)).map_err(deny)?;
    proposals::rate(st, &me, who, id, rating, comment.map(str::to_string), on).await?;
    Ok(())
}

/// The first school's proposals of last year, one in each state.
#[allow(clippy::too_many_arguments)]
async fn showcase_proposals(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    s: &School,
    m: MeetingId,
    voters: &[(MemberId, String)],
    depts: &[(OrgUnitId, String)],
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), StoreError> {
    if voters.len() < 12 || depts.len() < 2 {
        return Ok(());
    }
    let (general, teaching) = (depts[0].0, depts[1].0);
    let due = on + Duration::days(30);
    let later = on + Duration::days(20);
    let review = cap::<perm::ProposalReview>(sys);
    // Closed, satisfied.
    let p1 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        0,
        "关于改善教师午餐条件的提案",
        ProposalCategory::Logistics,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p1, general, vec![], on, due).await?;
    // Merged into it while it is open.
    let p5 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        1,
        "关于教师用餐错峰安排的提案",
        ProposalCategory::Logistics,
        on,
    )
    .await?;
    proposals::review(
        st,
        &review,
        who,
        p5,
        &Review {
            decision: ReviewDecision::Merge,
            reason: "与第1号提案为同一事项，并案办理。".into(),
            merge_into: Some(p1),
        },
    )
    .await?;
    answer(
        st,
        sys,
        who,
        p1,
        "已与餐饮公司协商，增加两个取餐窗口，每周公布菜谱并征求教师意见。",
    )
    .await?;
    rate(
        st,
        who,
        s.id,
        voters[0].0,
        p1,
        Rating::Satisfied,
        None,
        later,
    )
    .await?;
    let done = parse_progress("done", "100", "新增窗口已投入使用，菜谱每周公布。")
        .map_err(StoreError::Invalid)?;
    proposals::progress(st, proposals::ProgressBy::Reviewer(&review), who, p1, &done).await?;
    // Being implemented, partly satisfied.
    let p2 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        3,
        "关于增设教师休息室的提案",
        ProposalCategory::StaffWelfare,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p2, general, vec![teaching], on, due).await?;
    answer(
        st,
        sys,
        who,
        p2,
        "拟利用三楼闲置教室改建休息室，列入下学期维修计划。",
    )
    .await?;
    rate(
        st,
        who,
        s.id,
        voters[3].0,
        p2,
        Rating::PartlySatisfied,
        Some("希望本学期先提供临时休息区。"),
        later,
    )
    .await?;
    let half = parse_progress("in_progress", "60", "改建方案已确定，正在采购家具。")
        .map_err(StoreError::Invalid)?;
    proposals::progress(st, proposals::ProgressBy::Reviewer(&review), who, p2, &half).await?;
    // Sent back once: round two, due in a month from now.
    let p3 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        6,
        "关于减少非教学事务性工作的提案",
        ProposalCategory::Teaching,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p3, teaching, vec![general], on, due).await?;
    answer(st, sys, who, p3, "将精简部分表格填报。").await?;
    rate(
        st,
        who,
        s.id,
        voters[6].0,
        p3,
        Rating::Dissatisfied,
        Some("答复笼统，没有具体清单和时间。"),
        today - Duration::days(5),
    )
    .await?;
    // Overdue: assigned long ago, never answered.
    let p4 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        9,
        "关于校园夜间照明改造的提案",
        ProposalCategory::Logistics,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p4, general, vec![], on, due).await?;
    // Turned into a suggestion, rejected.
    let p6 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        4,
        "关于图书馆增加期刊的提案",
        ProposalCategory::Teaching,
        on,
    )
    .await?;
    proposals::review(
        st,
        &review,
        who,
        p6,
        &Review {
            decision: ReviewDecision::ToSuggestion,
            reason: "属于日常工作改进，转为意见建议办理。".into(),
            merge_into: None,
        },
    )
    .await?;
    let p7 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        7,
        "关于提高绩效工资标准的提案",
        ProposalCategory::StaffWelfare,
        on,
    )
    .await?;
    proposals::review(
        st,
        &review,
        who,
        p7,
        &Review {
            decision: ReviewDecision::Reject,
            reason: "绩效工资总量由上级核定，不属于学校职权范围；已向区教育局反映。".into(),
            merge_into: None,
        },
    )
    .await?;
    Ok(())
}

/// Two proposals per other school: one closed, one still open in a state that varies.
#[allow(clippy::too_many_arguments)]
async fn school_proposals(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    s: &School,
    m: MeetingId,
    voters: &[(MemberId, String)],
    depts: &[(OrgUnitId, String)],
    on: NaiveDate,
    i: usize,
) -> Result<(), StoreError> {
    let Some((dept, _)) = depts.first() else {
        return Ok(());
    };
    if voters.len() < 6 {
        return Ok(());
    }
    // Replied two weeks after collection (`backdate`), within the three weeks given: these
    // schools answer on time (the showcase school has the late and overdue ones).
    let due = on + Duration::days(21);
    let review = cap::<perm::ProposalReview>(sys);
    let p1 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        0,
        "关于完善教职工体检项目的提案",
        ProposalCategory::StaffWelfare,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p1, *dept, vec![], on, due).await?;
    answer(st, sys, who, p1, "已增加甲状腺和骨密度检查项目。").await?;
    let rating = if i % 5 == 2 {
        Rating::PartlySatisfied
    } else {
        Rating::Satisfied
    };
    rate(
        st,
        who,
        s.id,
        voters[0].0,
        p1,
        rating,
        None,
        on + Duration::days(20),
    )
    .await?;
    let done = parse_progress("done", "100", "已落实。").map_err(StoreError::Invalid)?;
    proposals::progress(st, proposals::ProgressBy::Reviewer(&review), who, p1, &done).await?;
    let p2 = proposal(
        st,
        who,
        s.id,
        m,
        voters,
        3,
        "关于改善办公条件的提案",
        ProposalCategory::Logistics,
        on,
    )
    .await?;
    accept_and_assign(st, sys, who, p2, *dept, vec![], on, due).await?;
    if i % 4 != 1 {
        // (Every fourth school leaves it unanswered: overdue.)
        answer(st, sys, who, p2, "已列入年度修缮计划。").await?;
    }
    Ok(())
}

/// This year's proposals of the first school: a draft waiting for a second seconder (the
/// demo delegate can finish it) and one submitted for the committee.
async fn this_years_proposals(
    st: &Store,
    who: &Who,
    school: OrgUnitId,
    m: MeetingId,
    voters: &[(MemberId, String)],
    today: NaiveDate,
) -> Result<(), StoreError> {
    if voters.len() < 4 {
        return Ok(());
    }
    let me = authorize_self::<perm::ProposalSubmit>(&person(voters[0].0, school)).map_err(deny)?;
    let draft = proposals::create_draft(
        st,
        &me,
        who,
        m,
        &ProposalDraft {
            title: "关于建立青年教师成长导师制度的提案".into(),
            category: ProposalCategory::Teaching,
            reasons: "近三年新入职青年教师较多，缺少系统指导。".into(),
            measures: "为每位入职三年内的教师配备导师，每学期开展两次公开课研讨。".into(),
        },
        today,
    )
    .await?;
    let second =
        authorize_self::<perm::ProposalSecond>(&person(voters[1].0, school)).map_err(deny)?;
    proposals::second(st, &second, who, draft).await?;
    proposal(
        st,
        who,
        school,
        m,
        voters,
        3,
        "关于开放学校体育场馆供教职工锻炼的提案",
        ProposalCategory::StaffWelfare,
        today,
    )
    .await?;
    Ok(())
}

/// Two suggestions from members who are not delegates; one answered.
async fn suggestions_of(
    st: &Store,
    sys: &SystemCap,
    who: &Who,
    school: OrgUnitId,
) -> Result<(), StoreError> {
    let rows: Vec<(i64,)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT m.id FROM member m WHERE m.school_union_id = $1 AND m.status = 'active'
         AND NOT EXISTS (SELECT 1 FROM delegate d WHERE d.member_id = m.id) ORDER BY m.id LIMIT 10"
    )
    .bind(school.0)
    .fetch_all(p)
    .await)?;
    let texts = [
        (
            "建议教学楼增设直饮水机",
            "二楼和四楼没有饮水点，课间接水要跑很远。",
        ),
        (
            "建议周五下午错峰放学",
            "周五校门口拥堵严重，建议分年级错峰十分钟放学。",
        ),
    ];
    for (k, ((m,), (title, body))) in rows.iter().skip(6).zip(texts.iter()).enumerate() {
        let mut a = person(MemberId(*m), school);
        a.grants[0].role = Role::Member;
        let me = authorize_self::<perm::SuggestionSubmit>(&a).map_err(deny)?;
        let id = suggestions::create(
            st,
            &me,
            who,
            &SuggestionDraft {
                title: title.to_string(),
                body: body.to_string(),
            },
        )
        .await?;
        if k == 0 {
            suggestions::reply(st, &cap(sys), who, id, "已安排总务处本月内加装。").await?;
        }
    }
    Ok(())
}

/// The congress area's demo (with its proposals and polls, until those areas load their
/// own): runs after the organisation's.
pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        summary
            .logins
            .extend(load(run.st, run.sys, run.hasher, run.opts).await?);
        Ok(())
    })
}
