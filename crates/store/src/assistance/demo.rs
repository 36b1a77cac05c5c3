//! The demo district's assistance year (seed 002: "建立困难教职工档案56份"): 56 hardship
//! files of active members spread over the schools, drafted and confirmed on days spread
//! from New Year to the demo's today, their levels decided by the income test under the
//! (local, placeholder) default rules; about a third deep, the rest relative. Deterministic
//! for a seed. Runs through the same store functions as people do, so every file has its
//! history and audit records.
//!
//! Never invents a person: the files belong to members the org demo made.

use super::files;
use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::{Datelike, NaiveDate};
use domain::assistance::{Cause, Household, Person, PersonStatus, Relation};
use domain::auth::{perm, system_cap};
use domain::ids::AccountId;

/// Files the demo year opens (seed 002).
pub const DEMO_FILES: usize = 56;

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await })
}

async fn load(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let members: Vec<(i64,)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id FROM member WHERE status = 'active' ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    if members.len() < DEMO_FILES {
        return Ok(());
    }
    let draft = system_cap::<perm::AssistanceDraft>(run.sys, AccountId(0));
    let confirm = system_cap::<perm::AssistanceConfirm>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let new_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let days = (today - new_year).num_days().max(0);
    let step = members.len() / DEMO_FILES;
    let offset = (run.opts.seed as usize) % step.max(1);
    for i in 0..DEMO_FILES {
        let (member,) = members[i * step + offset];
        let size = 2 + (i % 4) as u32;
        // A third below the standard per person (deep), the rest below 1.5× (relative).
        let per_person = if i % 3 == 0 { 60_000 } else { 120_000 } + (i as i64 * 997) % 20_000;
        let mut people = vec![Person {
            relation: Relation::Member,
            age: 35 + (i % 25) as u32,
            income_fen: per_person * i64::from(size),
            status: PersonStatus::Working,
        }];
        people.push(Person {
            relation: if i % 5 == 0 {
                Relation::Parent
            } else {
                Relation::Spouse
            },
            age: 40 + (i % 30) as u32,
            income_fen: 0,
            status: match i % 3 {
                0 => PersonStatus::Illness,
                1 => PersonStatus::Disability,
                _ => PersonStatus::Unemployed,
            },
        });
        let cause = [
            Cause::Illness,
            Cause::Disability,
            Cause::SingleParent,
            Cause::Accident,
        ][i % 4];
        let h = Household {
            size,
            people,
            causes: vec![cause],
            note: String::new(),
        };
        let on = new_year + chrono::Duration::days(days * i as i64 / DEMO_FILES as i64);
        let id = files::draft(st, &draft, &who, &format!("#{member}"), &h, on).await?;
        files::confirm(st, &confirm, &who, id, on).await?;
    }
    Ok(())
}
