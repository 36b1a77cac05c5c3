//! The demo district's assistance year (seed 002: "建立困难教职工档案56份"): 56 hardship
//! files of active members spread over the schools, drafted and confirmed on days spread
//! from New Year to the demo's today, their levels decided by the income test under the
//! (local, placeholder) default rules; about a third deep, the rest relative. Deterministic
//! for a seed. Runs through the same store functions as people do, so every file has its
//! history and audit records.
//!
//! Then the rest of the seed's year: the district's relief fund receives an allocation, 11
//! grants totalling ¥10,300 pass their two approvals and are paid (those on files opened by
//! the end of February, at most six, through the New Year and Spring Festival warmth
//! campaign), 9 visits are made (hospital stays,
//! bereavements, a wedding, a birth, retirements), and one hospital stay reported lately
//! waits on the due list. The retirees' round birthdays come from the roster as it is; the
//! retirees' association contacts are three retirees of the roster (the district's and two
//! schools'), with made-up numbers of the 139 0000 range.
//!
//! Never invents a person: the files and visits belong to members the org demo made.

use super::{campaigns, contacts, files, grants, visits};
use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::{Datelike, NaiveDate};
use domain::assistance::{
    CampaignKind, Cause, FundEntryKind, HardshipFileId, Household, Person, PersonStatus, Relation,
    VisitDraft, VisitType,
};
use domain::auth::{perm, system_cap};
use domain::ids::AccountId;

/// Files the demo year opens (seed 002).
pub const DEMO_FILES: usize = 56;

/// The grants of the demo year in fen (seed 002: 11 grants, ¥10,300 in all).
pub const DEMO_GRANTS_FEN: [i64; 11] = [
    150_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 80_000, 50_000, 50_000,
];

/// Visits of the demo year (seed 002: "慰问9人").
pub const DEMO_VISITS: usize = 9;

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
    let mut opened = Vec::with_capacity(DEMO_FILES);
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
        opened.push((id, on));
    }
    year_of_help(run, &opened, new_year, today).await
}

/// Grants, the warmth campaign and visits of the demo year (see the module note).
async fn year_of_help(
    run: &crate::area::DemoRun<'_>,
    opened: &[(HardshipFileId, NaiveDate)],
    new_year: NaiveDate,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let st = run.st;
    let draft = system_cap::<perm::AssistanceDraft>(run.sys, AccountId(0));
    let confirm = system_cap::<perm::AssistanceConfirm>(run.sys, AccountId(0));
    let school_chair = Who::system("demo: school chair");
    let district = Who::system("demo: district staff");
    let Some(&(first, _)) = opened.first() else {
        return Ok(());
    };
    let root: Option<i64> = on_db!(&st.db, |p| {
        sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure c JOIN hardship_file f ON f.school_union_id = c.descendant_id WHERE f.id = $1 ORDER BY c.depth DESC LIMIT 1"
    )
    .bind(first.0)
    .fetch_optional(p)
    .await
    })?;
    let Some(root) = root.map(domain::ids::OrgUnitId) else {
        return Ok(());
    };
    grants::add_income(
        st,
        &confirm,
        &district,
        root,
        FundEntryKind::Allocation,
        3_000_000,
        new_year,
    )
    .await?;
    // The warmth campaign runs over New Year and Spring Festival (to the end of February).
    let feb_end = NaiveDate::from_ymd_opt(today.year(), 3, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    let campaign = campaigns::create(
        st,
        &confirm,
        &district,
        root,
        CampaignKind::Warmth,
        "元旦春节送温暖",
        (new_year, feb_end),
        800_000,
    )
    .await?;
    // Grants on files opened by then, one per file, spread over the year's files.
    let step = (opened.len() / DEMO_GRANTS_FEN.len()).max(1);
    for (i, amount) in DEMO_GRANTS_FEN.iter().enumerate() {
        let Some(&(file, on)) = opened.get(i * step) else {
            break;
        };
        let in_campaign = i < 6 && on <= feb_end;
        let day = if in_campaign { on.max(new_year) } else { on };
        let who = Who::system("demo: school committee");
        let id = if in_campaign {
            campaigns::add(
                st,
                &draft,
                &who,
                campaign,
                file,
                *amount,
                "送温暖慰问金",
                day,
            )
            .await?
        } else {
            grants::apply(st, &draft, &who, file, *amount, "大病医疗补助", day).await?
        };
        grants::approve_school(st, &confirm, &school_chair, id).await?;
        grants::approve_district(st, &confirm, &district, id).await?;
        grants::pay(st, &confirm, &district, id, day).await?;
    }
    // Nine visits: members of the files and retirees of this year, in the year so far.
    let retirees: Vec<(i64, NaiveDate)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, status_since FROM member WHERE status = 'retired' AND status_since >= $1 AND status_since <= $2 ORDER BY id LIMIT 2"
    )
    .bind(new_year)
    .bind(today)
    .fetch_all(p)
    .await
    })?;
    let members: Vec<(i64,)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT member_id FROM hardship_file ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    let plan: [(VisitType, i64, &str); DEMO_VISITS] = [
        (VisitType::Hospitalisation, 50_000, "住院手术"),
        (VisitType::Hospitalisation, 30_000, "骨折住院"),
        (VisitType::Hospitalisation, 50_000, "化疗期间"),
        (VisitType::Bereavement, 50_000, "父亲病故"),
        (VisitType::Bereavement, 30_000, "母亲去世"),
        (VisitType::Marriage, 20_000, ""),
        (VisitType::Childbirth, 20_000, ""),
        (VisitType::Retirement, 30_000, "光荣退休"),
        (VisitType::Retirement, 30_000, "光荣退休"),
    ];
    let days = (today - new_year).num_days().max(0);
    for (i, (ty, amount, note)) in plan.iter().enumerate() {
        let (member, on) = match (ty, retirees.get(i.saturating_sub(7))) {
            (VisitType::Retirement, Some(&(m, since))) => (m, since.max(new_year)),
            _ => match members.get(3 + i * 5) {
                Some(&(m,)) => (
                    m,
                    new_year + chrono::Duration::days(days * (i as i64 + 1) / 10),
                ),
                None => continue,
            },
        };
        let ty = if *ty == VisitType::Retirement && retirees.get(i - 7).is_none() {
            VisitType::Hospitalisation
        } else {
            *ty
        };
        let d = VisitDraft {
            visit_type: ty,
            visited_on: on,
            visitors: "工会主席、工会委员".into(),
            amount_fen: *amount,
            note: (*note).into(),
        };
        visits::record(st, &draft, &school_chair, &format!("#{member}"), &d, None).await?;
    }
    // A hospital stay reported this week waits on the due list.
    if let Some(&(m,)) = members.get(1) {
        let on = today - chrono::Duration::days(2);
        visits::report(
            st,
            &draft,
            &school_chair,
            &format!("#{m}"),
            VisitType::Hospitalisation,
            on.max(new_year),
            "住院观察",
            today,
        )
        .await?;
    }
    // Retirees' association contacts: retirees of the roster, the first for the district.
    let retired: Vec<(String, i64)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT name, school_union_id FROM member WHERE status = 'retired' ORDER BY id LIMIT 3"
    )
    .fetch_all(p)
    .await)?;
    let root: Option<i64> = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
    )
    .fetch_optional(p)
    .await)?;
    for (i, (name, school)) in retired.iter().enumerate() {
        let (unit, title) = match (i, root) {
            (0, Some(r)) => (r, "区退协会长"),
            _ => (*school, "学校退协联络员"),
        };
        contacts::add(
            st,
            &draft,
            &district,
            domain::ids::OrgUnitId(unit),
            name,
            title,
            &format!("1390000{:04}", 1001 + i),
        )
        .await?;
    }
    Ok(())
}
