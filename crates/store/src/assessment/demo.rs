//! The demo district's assessment year (seed 003: "100 % qualified, more than 60 %
//! advanced, 20 % model", with downgrading): every school qualified a year and more ago;
//! 70 % advanced in the last school year and the quota's 20 % of them model; one advanced
//! school's re-review refused and downgraded to qualified (leaving more than 60 % advanced
//! or model); one application waiting for its area's recommendation. For the annual assessment of the last school year, of the schools
//! whose congress met without a quorum the last one gets a recorded exemption with its
//! reason; the others stay vetoed; every school has its two hand scores with evidence, and
//! the first school's appeal against its ledger score was upheld in part (score changed).
//!
//! Runs through the same store functions as people do (two different reviewers, the
//! quotas checked), so every step has its audit record. Deterministic for a district.

use super::{hand, homes};
use crate::area::Reach;
use crate::audit::Who;
use crate::{StoreError, on_db};
use chrono::Duration;
use domain::assessment::{Evidence, HomeApplicationId, HomeLevel, SelfAssessment, current};
use domain::auth::{perm, system_cap};
use domain::ids::{AccountId, OrgUnitId};

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await })
}

fn self_assessment(level: HomeLevel, i: usize) -> SelfAssessment {
    let scheme = current();
    let scores = scheme
        .standards
        .iter()
        .enumerate()
        .map(|(k, s)| (s.code, s.points - ((i + k) % 3) as i64))
        .collect();
    SelfAssessment {
        level,
        scores,
        evidence: vec![
            Evidence::File("职工之家活动室.jpg".into()),
            Evidence::Record("/congress".into()),
        ],
    }
}

async fn load(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let schools: Vec<(i64,)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id FROM org_unit WHERE kind = 'school_union' ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    if schools.is_empty() {
        return Ok(());
    }
    let n = schools.len();
    let apply = system_cap::<perm::HomeApply>(run.sys, AccountId(0));
    let recommend = system_cap::<perm::HomeRecommend>(run.sys, AccountId(0));
    let review = system_cap::<perm::AssessmentReview>(run.sys, AccountId(0));
    let chair = Who::system("学校工会主席");
    let lead = Who::system("片区负责人");
    let first = Who::system("区教育工会 审核人一");
    let second = Who::system("区教育工会 审核人二");
    let award = |school: OrgUnitId, level: HomeLevel, i: usize, day: chrono::NaiveDate| {
        let (apply, recommend, review) = (&apply, &recommend, &review);
        let (chair, lead, first, second) = (&chair, &lead, &first, &second);
        async move {
            let id =
                homes::apply(st, apply, chair, school, &self_assessment(level, i), day).await?;
            homes::recommend(st, recommend, lead, id, true, 95 - (i % 4) as i64, "", day).await?;
            homes::review(st, review, first, id, true, "", day).await?;
            homes::review(st, review, second, id, true, "", day).await?;
            Ok::<HomeApplicationId, StoreError>(id)
        }
    };
    let started = std::time::Instant::now();
    let phase = |name: &str| {
        tracing::info!(
            phase = name,
            ms = started.elapsed().as_millis() as u64,
            "assessment demo"
        )
    };
    // Every school qualified more than a year ago.
    for (i, (s,)) in schools.iter().enumerate() {
        award(
            OrgUnitId(*s),
            HomeLevel::Qualified,
            i,
            today - Duration::days(400),
        )
        .await?;
    }
    phase("qualified");
    // More than 60 % advanced, within the quota.
    let advanced = (n * 7).div_ceil(10).min(n);
    for (i, (s,)) in schools.iter().enumerate().take(advanced) {
        award(
            OrgUnitId(*s),
            HomeLevel::Advanced,
            i,
            today - Duration::days(300),
        )
        .await?;
    }
    phase("advanced");
    // 20 % model (the quota's most).
    let model = current()
        .quota_max(HomeLevel::Model, n as i64)
        .unwrap_or(0)
        .max(0) as usize;
    for (i, (s,)) in schools.iter().enumerate().take(model.min(advanced)) {
        award(
            OrgUnitId(*s),
            HomeLevel::Model,
            i,
            today - Duration::days(200),
        )
        .await?;
    }
    phase("model");
    // One advanced school fails its re-review: downgraded to qualified.
    if advanced > model + 1 {
        let school = OrgUnitId(schools[advanced - 1].0);
        let day = today - Duration::days(150);
        let id = homes::apply(
            st,
            &apply,
            &chair,
            school,
            &self_assessment(HomeLevel::Advanced, 1),
            day,
        )
        .await?;
        homes::recommend(st, &recommend, &lead, id, true, 82, "", day).await?;
        homes::review(
            st,
            &review,
            &first,
            id,
            false,
            "复评时教代会提案答复率不足，职工之家活动记录不全",
            day,
        )
        .await?;
    }
    // One qualified school waits for its area's recommendation.
    if advanced < n {
        let school = OrgUnitId(schools[n - 1].0);
        homes::apply(
            st,
            &apply,
            &chair,
            school,
            &self_assessment(HomeLevel::Advanced, 2),
            today - Duration::days(5),
        )
        .await?;
    }
    // The last school year: of the schools whose congress met without a quorum, the last
    // one has a justified exemption; the others stay vetoed.
    let year = domain::congress::school_year(today) - 1;
    let figures = crate::congress::figures::year_figures(st, &Reach::system(run.sys), year).await?;
    let quorate: std::collections::HashSet<i64> = figures
        .iter()
        .filter(|v| v.key == crate::congress::figures::QUORUM && v.value > 0)
        .map(|v| v.unit.0)
        .collect();
    let missing: Vec<i64> = schools
        .iter()
        .map(|(s,)| *s)
        .filter(|s| !quorate.contains(s))
        .collect();
    if missing.len() >= 2
        && let Some(&s) = missing.last()
    {
        let exempt = system_cap::<perm::CongressExempt>(run.sys, AccountId(0));
        crate::congress::oversight::record_exemption(
            st,
            &exempt,
            &Who::system("区教育工会"),
            OrgUnitId(s),
            year,
            "校舍整体改造搬迁，经区教育工会同意，教代会延至新学年初召开",
        )
        .await?;
    }
    phase("veto");
    // The last school year's hand-scored indicators, a week after the year ended: the area
    // scores the ledgers, the district the innovative work; the first school appeals its
    // ledger score and the district, after a review, changes it (the old score stays).
    let day = domain::congress::school_year_range(year).1 + Duration::days(7);
    let district = Who::system("区教育工会 评分人");
    for (i, (s,)) in schools.iter().enumerate() {
        let school = OrgUnitId(*s);
        let records = hand::HandInput {
            indicator: "records".into(),
            points: (3 + (i % 3)).to_string(),
            evidence: format!("台账{}.pdf\n/congress/oversight?year={year}", i + 1),
        };
        hand::give(
            st,
            hand::ScorerCap::Area(&recommend),
            &lead,
            school,
            year,
            &records,
            day,
        )
        .await?;
        let innovation = hand::HandInput {
            indicator: "innovation".into(),
            points: (2 + (i % 4)).to_string(),
            evidence: "特色工作总结.docx\n/news".into(),
        };
        hand::give(
            st,
            hand::ScorerCap::District(&review),
            &district,
            school,
            year,
            &innovation,
            day,
        )
        .await?;
    }
    phase("hand scores");
    if let Some((s,)) = schools.first() {
        let appeal = hand::appeal(
            st,
            &apply,
            &chair,
            OrgUnitId(*s),
            year,
            "records",
            "台账已按要求补齐教代会会议记录，请予复核",
            day + Duration::days(3),
        )
        .await?;
        hand::decide(
            st,
            &review,
            &Who::system("区教育工会 复核人"),
            appeal,
            true,
            "5",
            "复核属实，台账完整",
            day + Duration::days(10),
        )
        .await?;
    }
    Ok(())
}
