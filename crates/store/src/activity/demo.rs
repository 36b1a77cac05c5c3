//! The demo district's activities (seeds 001 and 002: "faculty basketball competition;
//! table tennis team competition", a teachers' calligraphy competition, 三八 women's
//! events, ball games for the retirees): six activities of the district union, from last
//! term to the coming weeks, with members signing up as themselves through the same store
//! functions, a full one with its waiting list and a cancellation that promoted the first
//! in line, and check-ins on the day. Deterministic for a seed.
//!
//! Never invents a person: the sign-ups belong to members the org demo made.

use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::{Duration, NaiveDate, NaiveTime};
use domain::activity::{ACTIVITY_RULES, ActivityDraft, ActivityId, ActivityTag, Audience, Person};
use domain::auth::{Actor, Grant, Role, perm, system_cap};
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::org::{Coded, Gender, MemberStatus};

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await })
}

struct Plan {
    title: &'static str,
    place: &'static str,
    /// Days from the demo's today.
    day: i64,
    capacity: i64,
    audience: Audience,
    tags: &'static [ActivityTag],
    /// Members who sign up (some beyond the places).
    signups: usize,
    /// Share of the confirmed who checked in, in per cent (past activities).
    present: usize,
}

const PLANS: &[Plan] = &[
    Plan {
        title: "教职工篮球赛",
        place: "区体育中心",
        day: -75,
        capacity: 60,
        audience: Audience::InService,
        tags: &[ActivityTag::Sports],
        signups: 64,
        present: 90,
    },
    Plan {
        title: "乒乓球团体赛",
        place: "区教师进修学校体育馆",
        day: -40,
        capacity: 32,
        audience: Audience::InService,
        tags: &[ActivityTag::Sports],
        signups: 32,
        present: 95,
    },
    Plan {
        title: "教师书法比赛",
        place: "区少年宫",
        day: -30,
        capacity: 50,
        audience: Audience::Everyone,
        tags: &[ActivityTag::Culture],
        signups: 41,
        present: 93,
    },
    Plan {
        title: "庆三八女职工趣味活动",
        place: "区工人文化宫",
        day: -12,
        capacity: 80,
        audience: Audience::Women,
        tags: &[ActivityTag::Women, ActivityTag::Culture],
        signups: 60,
        present: 88,
    },
    Plan {
        title: "退休教师门球友谊赛",
        place: "区老年活动中心",
        day: 9,
        capacity: 24,
        audience: Audience::Retirees,
        tags: &[ActivityTag::Retirees, ActivityTag::Sports],
        signups: 14,
        present: 0,
    },
    Plan {
        title: "青年教师气排球赛",
        place: "区体育中心",
        day: 12,
        capacity: 24,
        audience: Audience::Youth,
        tags: &[ActivityTag::Youth, ActivityTag::Sports],
        signups: 30,
        present: 0,
    },
];

fn acting(member: i64, school: i64) -> Option<domain::congress::Acting<perm::ActivityJoin>> {
    let actor = Actor {
        account: AccountId(0),
        username: "demo".into(),
        display_name: "demo".into(),
        member: Some(MemberId(member)),
        grants: vec![Grant {
            role: Role::Member,
            org_unit: OrgUnitId(school),
        }],
    };
    domain::congress::authorize_self::<perm::ActivityJoin>(&actor).ok()
}

async fn load(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let root: Option<(i64,)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
    )
    .fetch_optional(p)
    .await)?;
    let Some((root,)) = root else {
        return Ok(());
    };
    let manage = system_cap::<perm::ActivityManage>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let at = |day: NaiveDate, h: u32| {
        crate::congress::meetings::beijing(
            day,
            NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default(),
        )
    };
    let rows: Vec<(i64, i64, String, NaiveDate, String)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id, school_union_id, gender, birth_date, status FROM member ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    let everyone: Vec<(i64, i64, Person)> = rows
        .into_iter()
        .filter_map(|(id, school, gender, birth, status)| {
            Some((
                id,
                school,
                Person {
                    gender: Gender::from_code(&gender)?,
                    birth_date: birth,
                    status: MemberStatus::from_code(&status)?,
                },
            ))
        })
        .collect();
    for (k, plan) in PLANS.iter().enumerate() {
        let day = today + Duration::days(plan.day);
        let d = ActivityDraft {
            unit: OrgUnitId(root),
            title: plan.title.into(),
            place: plan.place.into(),
            date: day,
            time: NaiveTime::from_hms_opt(14, 30, 0).unwrap_or_default(),
            closes: day - Duration::days(5),
            capacity: plan.capacity,
            audience: plan.audience,
            tags: plan.tags.to_vec(),
        };
        let id = super::create(st, &manage, &who, &d).await?;
        // Members in the audience, spread over the schools (deterministic for the seed).
        let people: Vec<(i64, i64)> = everyone
            .iter()
            .filter(|(_, _, p)| ACTIVITY_RULES.admits(plan.audience, p, day))
            .map(|(m, s, _)| (*m, *s))
            .collect();
        if people.is_empty() {
            continue;
        }
        let step = (people.len() / plan.signups.max(1)).max(1);
        let offset = (run.opts.seed as usize + k) % step;
        let chosen: Vec<(i64, i64)> = people
            .iter()
            .skip(offset)
            .step_by(step)
            .take(plan.signups)
            .copied()
            .collect();
        let opened = (d.closes - Duration::days(14)).min(today);
        for (i, (member, school)) in chosen.iter().enumerate() {
            let Some(a) = acting(*member, *school) else {
                continue;
            };
            let when = at(opened, 8) + Duration::minutes(i as i64 * 7);
            match super::sign_up(st, &a, &who, id, when).await {
                Ok(_) | Err(StoreError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // The full one: the second to sign up cancels, the first in line takes the place.
        if plan.signups > plan.capacity as usize
            && let Some((member, school)) = chosen.get(1)
            && let Some(a) = acting(*member, *school)
        {
            match super::cancel(st, &a, &who, id, at(opened, 20)).await {
                Ok(_) | Err(StoreError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if plan.day < 0 {
            check_in_share(st, &manage, &who, id, &chosen, plan.present, at(day, 14)).await?;
        }
    }
    // The year summary drafted earlier in the demo (its text still written from the
    // figures) is refreshed, so that it states this area's figures too.
    let sum = system_cap::<perm::SummaryDraft>(run.sys, AccountId(0));
    for s in crate::work_summary::list(&st.db, &sum).await? {
        if s.body.is_none() {
            crate::work_summary::refresh(st, &sum, &who, s.id).await?;
        }
    }
    Ok(())
}

async fn check_in_share(
    st: &crate::Store,
    manage: &domain::auth::Cap<perm::ActivityManage>,
    who: &Who,
    id: ActivityId,
    chosen: &[(i64, i64)],
    present: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    for (i, (member, _)) in chosen.iter().enumerate() {
        if (i * 100 / chosen.len().max(1)) >= present {
            break;
        }
        match super::record_attendance(st, manage, who, id, &member.to_string(), at).await {
            Ok(()) | Err(StoreError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
