//! The demo district's committees and elections (seed 002: "指导21个基层工会及时做好主席
//! 委员的替补选举…按期换届"): every school with enough members gets its union committee,
//! audit committee and women workers' committee with a term of three or five years; the
//! first school's terms are overdue, the second held its general election this year, the
//! third's terms end within months; 21 by-elections run from the vacancy to the upper
//! union's approval over the year; one vacancy stays open too long and one by-election waits
//! for approval. Runs through the same store functions as people do, so every step has its
//! rule-set version, history and audit record. Deterministic; never invents a person.

use super::{committees, workflow};
use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::{Datelike, Duration, Months, NaiveDate};
use domain::auth::{perm, system_cap};
use domain::elections::*;
use domain::ids::{AccountId, OrgUnitId};
use domain::org::Coded;

/// By-elections the demo year holds (seed 002).
pub const DEMO_BY_ELECTIONS: usize = 21;

/// Active members a school needs for its three committees and a by-election's candidates.
const MIN_MEMBERS: usize = 16;

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await })
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn ids(members: &[i64]) -> String {
    members
        .iter()
        .map(|m| format!("#{m}"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn load(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let rows: Vec<(i64, i64)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT m.school_union_id, m.id FROM member m JOIN org_unit o ON o.id = m.school_union_id
         WHERE m.status = 'active' AND m.union_member AND o.kind = 'school_union' ORDER BY m.school_union_id, m.id"
    )
    .fetch_all(p)
    .await
    })?;
    let mut schools: Vec<(OrgUnitId, Vec<i64>)> = Vec::new();
    for (s, m) in rows {
        match schools.last_mut() {
            Some((u, v)) if u.0 == s => v.push(m),
            _ => schools.push((OrgUnitId(s), vec![m])),
        }
    }
    schools.retain(|(_, m)| m.len() >= MIN_MEMBERS);
    if schools.len() < 4 {
        return Ok(());
    }
    let manage = system_cap::<perm::ElectionManage>(run.sys, AccountId(0));
    let approve = system_cap::<perm::ElectionApprove>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let new_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let back =
        |d: NaiveDate, years: u32| d.checked_sub_months(Months::new(years * 12)).unwrap_or(d);
    let mut union_committees = Vec::with_capacity(schools.len());
    for (i, (school, members)) in schools.iter().enumerate() {
        let years: u32 = if i % 4 == 3 { 3 } else { 5 };
        let start = match i {
            // Overdue: the term ended two months ago.
            0 => back(today, years) - Duration::days(60),
            // Ended in January: the general election is held this year (below).
            1 => back(new_year, years) + Duration::days(20),
            // Ends within four months: due.
            2 => back(today, years) + Duration::days(120),
            _ => {
                let span = i64::from(years) * 365 - 400;
                back(today, years) + Duration::days(200 + (i as i64 * 97) % span.max(1))
            }
        };
        let mut id = None;
        for (kind, seats, from) in [
            (CommitteeKind::Union, 7usize, 0usize),
            (CommitteeKind::Audit, 3, 7),
            (CommitteeKind::Women, 3, 10),
        ] {
            // The second school's other committees were elected later: only its union
            // committee's term ran out.
            let start = if i == 1 && kind != CommitteeKind::Union {
                back(today, years) + Duration::days(300)
            } else {
                start
            };
            let input = CommitteeInput {
                unit: school.0.to_string(),
                kind: kind.code().into(),
                seats: seats.to_string(),
                term_start: ymd(start),
                term_years: years.to_string(),
            };
            let c = committees::create(
                st,
                &manage,
                &who,
                &input,
                &ids(&members[from..from + seats]),
            )
            .await?;
            if kind == CommitteeKind::Union {
                id = Some(c);
            }
        }
        if let Some(c) = id {
            union_committees.push((c, members.clone()));
        }
    }
    let span = (today - new_year).num_days().max(60);
    // The second school's general election, from February.
    if let Some((c, members)) = union_committees.get(1) {
        let d0 = new_year + Duration::days(span / 12);
        general(run, &manage, &approve, &who, *c, members, d0, today).await?;
    }
    // 21 by-elections spread over the year, over the schools from the fourth on.
    let pool = &union_committees[3.min(union_committees.len())..];
    if !pool.is_empty() {
        for k in 0..DEMO_BY_ELECTIONS {
            let (c, members) = &pool[k % pool.len()];
            let round = k / pool.len();
            let d0 =
                new_year + Duration::days((span - 45).max(1) * k as i64 / DEMO_BY_ELECTIONS as i64);
            by_election(
                run, &manage, &approve, &who, *c, members, round, d0, today, true,
            )
            .await?;
        }
    }
    // Still open: a vacancy older than the rule set allows (the third school), and a
    // by-election applied for three days ago that waits for the upper union (the first
    // school of the pool).
    if let Some((c, members)) = union_committees.get(2) {
        by_election(
            run,
            &manage,
            &approve,
            &who,
            *c,
            members,
            0,
            today - Duration::days(120),
            today,
            false,
        )
        .await?;
    }
    if let Some((c, members)) = pool.first() {
        by_election(
            run,
            &manage,
            &approve,
            &who,
            *c,
            members,
            4,
            today - Duration::days(8),
            today,
            true,
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn general(
    run: &crate::area::DemoRun<'_>,
    manage: &domain::auth::Cap<perm::ElectionManage>,
    approve: &domain::auth::Cap<perm::ElectionApprove>,
    who: &Who,
    committee: CommitteeId,
    members: &[i64],
    d0: NaiveDate,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let st = run.st;
    let id = workflow::apply(
        st,
        manage,
        who,
        committee,
        &ApplyInput {
            kind: ElectionKind::General.code().into(),
            seats: "7".into(),
            assembly: Assembly::Members.code().into(),
            term_years: "5".into(),
        },
        d0,
    )
    .await?;
    let steps = [
        d0 + Duration::days(7),
        d0 + Duration::days(14),
        d0 + Duration::days(21),
        d0 + Duration::days(30),
        d0 + Duration::days(36),
    ];
    if steps[0] > today {
        return Ok(());
    }
    workflow::approve(st, approve, who, id, "7", steps[0]).await?;
    if steps[1] > today {
        return Ok(());
    }
    // Eight candidates for seven seats (差额): the old committee's six and two new.
    let mut slate: Vec<i64> = members[1..7].to_vec();
    slate.extend_from_slice(&members[13..15]);
    workflow::nominate(st, manage, who, id, &ids(&slate), steps[1]).await?;
    if steps[2] > today {
        return Ok(());
    }
    workflow::approve_slate(st, approve, who, id, steps[2]).await?;
    if steps[3] > today {
        return Ok(());
    }
    let due = members.len() as u32;
    let present = due - due / 8;
    let e = workflow::get(
        st,
        &system_cap::<perm::ElectionView>(run.sys, AccountId(0)),
        id,
    )
    .await?;
    let votes = e
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // The seven first candidates are elected; the eighth is not.
            let v = if i < 7 { present - i as u32 / 2 } else { 1 };
            (c.id, v.to_string())
        })
        .collect();
    workflow::hold(
        st,
        manage,
        who,
        id,
        &workflow::ResultInput {
            due: due.to_string(),
            present: present.to_string(),
            held_on: ymd(steps[3]),
            votes,
            by_position: Vec::new(),
            ..Default::default()
        },
        steps[3],
    )
    .await?;
    if steps[4] > today {
        return Ok(());
    }
    workflow::confirm(st, approve, who, id, steps[4]).await
}

#[allow(clippy::too_many_arguments)]
async fn by_election(
    run: &crate::area::DemoRun<'_>,
    manage: &domain::auth::Cap<perm::ElectionManage>,
    approve: &domain::auth::Cap<perm::ElectionApprove>,
    who: &Who,
    committee: CommitteeId,
    members: &[i64],
    round: usize,
    d0: NaiveDate,
    today: NaiveDate,
    through: bool,
) -> Result<(), StoreError> {
    let st = run.st;
    let view = system_cap::<perm::ElectionView>(run.sys, AccountId(0));
    let (row, seats, _) = committees::get(st, &view, committee).await?;
    // One election at a time: a committee whose last one is still under way waits.
    if row.open_election.is_some() {
        return Ok(());
    }
    // A committee member (not the chair) leaves.
    let Some(seat) = seats
        .iter()
        .rev()
        .find(|s| !s.vacant && s.role == SeatRole::Member)
    else {
        return Ok(());
    };
    let leaver = seat.member.as_ref().map(|m| m.0.0);
    let reason = if round.is_multiple_of(2) {
        VacancyReason::Retired
    } else {
        VacancyReason::Transferred
    };
    committees::vacate(st, manage, who, seat.id, reason, d0).await?;
    if !through {
        return Ok(());
    }
    let a = d0 + Duration::days(5);
    let id = workflow::apply(
        st,
        manage,
        who,
        committee,
        &ApplyInput {
            kind: ElectionKind::By.code().into(),
            seats: "1".into(),
            assembly: Assembly::Members.code().into(),
            term_years: String::new(),
        },
        a,
    )
    .await?;
    let steps = [
        a + Duration::days(6),
        a + Duration::days(12),
        a + Duration::days(18),
        a + Duration::days(28),
        a + Duration::days(34),
    ];
    if steps[0] > today {
        return Ok(());
    }
    workflow::approve(st, approve, who, id, "1", steps[0]).await?;
    if steps[1] > today {
        return Ok(());
    }
    // Two candidates for one seat, from the members who hold no seat (not the one who
    // left): every school of the demo has at least three of them.
    let held: Vec<i64> = committees::get(st, &view, committee)
        .await?
        .1
        .iter()
        .filter_map(|s| s.member.as_ref().map(|m| m.0.0))
        .collect();
    let mut all_held = held;
    for other in committees::list(st, &view, Some(row.school_union_id)).await? {
        if other.id != committee {
            let (_, s, _) = committees::get(st, &view, other.id).await?;
            all_held.extend(s.iter().filter_map(|x| x.member.as_ref().map(|m| m.0.0)));
        }
    }
    let free: Vec<i64> = members
        .iter()
        .copied()
        .filter(|m| !all_held.contains(m) && Some(*m) != leaver)
        .skip(round % 2)
        .take(2)
        .collect();
    if free.len() < 2 {
        return Ok(());
    }
    workflow::nominate(st, manage, who, id, &ids(&free), steps[1]).await?;
    if steps[2] > today {
        return Ok(());
    }
    workflow::approve_slate(st, approve, who, id, steps[2]).await?;
    if steps[3] > today {
        return Ok(());
    }
    let e = workflow::get(st, &view, id).await?;
    let due = members.len() as u32;
    let present = due - due / 10;
    let votes = e
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, if i == 0 { present - 3 } else { 3 }.to_string()))
        .collect();
    workflow::hold(
        st,
        manage,
        who,
        id,
        &workflow::ResultInput {
            due: due.to_string(),
            present: present.to_string(),
            held_on: ymd(steps[3]),
            votes,
            by_position: Vec::new(),
            ..Default::default()
        },
        steps[3],
    )
    .await?;
    if steps[4] > today {
        return Ok(());
    }
    workflow::confirm(st, approve, who, id, steps[4]).await
}
