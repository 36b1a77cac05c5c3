//! The demo district's contests (seed 002: "与电教馆联合举办教师教学课件制作比赛,参赛作品142件,
//! 获奖55件"; the paper contest with 43 papers and prizes 3/2/2): the root union organizes
//! both; the schools submit their entries within the dates and quotas; five judges from
//! five schools score blind (never their own school's entries); the results are published
//! with 10 first, 20 second and 25 third prizes for the courseware, 3/2/2 for the papers.
//! Deterministic; runs through the same store functions as people do, so every row has
//! its audit record. The judges' points differ per criterion but every judge's sheet for an
//! entry weighs to the same total, so the ranks (and the number of prizes) never depend on
//! which judges are in conflict.

use super::*;
use crate::on_db;
use chrono::{Datelike, NaiveDate};
use domain::auth::{SystemCap, system_cap};
use domain::congress::authorize_self;
use domain::ids::AccountId;

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run.st, run.sys, run.opts.today).await.map(|_| ()) })
}

const TOPICS: &[&str] = &[
    "认识分数",
    "圆的面积",
    "古诗两首",
    "光合作用",
    "勾股定理",
    "电流与电路",
    "我的家乡",
    "春天来了",
    "长方体的体积",
    "丝绸之路",
    "水的三态变化",
    "小数乘法",
    "植物的一生",
    "牛顿第一定律",
    "天气与气候",
    "荷塘月色",
    "二次函数",
    "英语字母歌",
    "中国地形",
    "垃圾分类",
];

const PAPERS: &[&str] = &[
    "双减背景下作业设计的实践研究",
    "小学语文整本书阅读的策略",
    "初中数学分层教学的探索",
    "信息技术与课堂教学的融合",
    "班主任工作中的心理健康教育",
    "劳动教育课程化的路径",
    "跨学科主题学习的设计与实施",
];

/// The figures of one demo contest: (entries, prizes).
pub type Loaded = (usize, usize);

/// Points (a, b, c) on criteria weighted 40/30/30 of 100 points each whose sheet total is
/// exactly `tenths` / 10, with `d` moved between the two 30-weighted criteria.
fn points_for(tenths: i64, d: i64) -> [i64; 3] {
    // 4a + 3b + 3c = tenths, a ≡ tenths (mod 3).
    let mut a = tenths / 10;
    while (tenths - 4 * a).rem_euclid(3) != 0 {
        a -= 1;
    }
    let rest = (tenths - 4 * a) / 3;
    let b = rest / 2 + rest % 2;
    let c = rest / 2;
    [a, (b + d).clamp(0, 100), (c - d).clamp(0, 100)]
}

#[allow(clippy::too_many_arguments)]
async fn one(
    st: &Store,
    sys: &SystemCap,
    root: OrgUnitId,
    schools: &[i64],
    judges: &[(i64, i64)],
    draft: &ContestDraft,
    titles: &(dyn Fn(usize) -> String + Sync),
    entries: usize,
    today: NaiveDate,
) -> Result<Loaded, StoreError> {
    let manage = system_cap::<perm::ContestManage>(sys, AccountId(0));
    let enter = system_cap::<perm::ContestEnter>(sys, AccountId(0));
    let staff = Who::system("区教育工会（演示）");
    let id = create(st, &manage, &staff, root, draft).await?;
    for &(m, _) in judges {
        add_judge(st, &manage, &staff, id, MemberId(m), &[]).await?;
    }
    let school_who = Who::system("学校工会（演示）");
    let days = (draft.entry_until - draft.entry_from).num_days().max(1);
    let mut ids = Vec::with_capacity(entries);
    for i in 0..entries {
        let school = schools[i % schools.len()];
        let names: Vec<String> = on_db!(&st.db, |p| {
            sqlx::query_scalar(
                "SELECT name FROM member WHERE school_union_id = $1 ORDER BY id LIMIT 1 OFFSET $2",
            )
            .bind(school)
            .bind((i / schools.len()) as i64)
            .fetch_all(p)
            .await
        })?;
        let on = draft.entry_from + chrono::Duration::days(i as i64 % days);
        let e = submit_entry(
            st,
            &enter,
            &school_who,
            id,
            &EntryInput {
                school: OrgUnitId(school),
                category: None,
                title: titles(i),
                entrants: names
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "参赛教师".into()),
                team: false,
            },
            on,
        )
        .await?;
        ids.push(e);
    }
    start_judging(st, &manage, &staff, id).await?;
    let contest = {
        let mut q = Sql::new(CONTEST_COLS);
        q.bind(Arg::I64(id.0));
        let rows: Vec<ContestFlat> = q.fetch_all(&st.db).await?;
        load_parts(
            &st.db,
            flat(rows.into_iter().next().ok_or(StoreError::NotFound)?),
        )
        .await?
    };
    let crit: Vec<CriterionId> = contest.criteria.iter().map(|c| c.id).collect();
    // Distinct totals, best first in a shuffled order of entries (not the order of schools).
    let n = ids.len() as i64;
    for (j, &(m, school)) in judges.iter().enumerate() {
        let mut actor = domain::auth::Actor {
            account: AccountId(0),
            username: "judge".into(),
            display_name: "评委（演示）".into(),
            member: Some(MemberId(m)),
            grants: vec![domain::auth::Grant {
                role: Role::Member,
                org_unit: OrgUnitId(school),
            }],
        };
        actor.display_name = format!("评委{}（演示）", j + 1);
        let acting = authorize_self::<perm::ContestJudge>(&actor)
            .map_err(|_| StoreError::Other("demo judge".into()))?;
        let who = Who::system(&actor.display_name);
        for (i, e) in ids.iter().enumerate() {
            let school_of_entry = schools[i % schools.len()];
            if school_of_entry == school {
                continue;
            }
            let order = (i as i64 * 37) % n;
            let tenths = 960 - order * (420 / n.max(1)).max(1);
            let d = [2, -2, 1, -1, 0][j % 5];
            let p = points_for(tenths, d);
            let points: Vec<(CriterionId, i64)> = crit.iter().copied().zip(p).collect();
            score(st, &acting, &who, id, *e, &points).await?;
        }
    }
    let prizes = if draft.judging_until <= today {
        publish(st, &manage, &staff, id, draft.judging_until).await?
    } else {
        0
    };
    Ok((entries, prizes))
}

/// Loads the two contests of the demo year: (courseware, paper).
pub async fn load(
    st: &Store,
    sys: &SystemCap,
    today: NaiveDate,
) -> Result<(Loaded, Loaded), StoreError> {
    let root: Option<i64> = on_db!(&st.db, |p| {
        sqlx::query_scalar("SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(p)
            .await
    })?;
    let Some(root) = root else {
        return Ok(((0, 0), (0, 0)));
    };
    let schools: Vec<i64> = on_db!(&st.db, |p| {
        sqlx::query_scalar(
            "SELECT u.id FROM org_unit u WHERE u.kind = 'school_union' AND EXISTS (SELECT 1 FROM member m WHERE m.school_union_id = u.id) ORDER BY u.id",
        )
        .fetch_all(p)
        .await
    })?;
    if schools.len() < 6 {
        return Ok(((0, 0), (0, 0)));
    }
    // Five judges, each the first teacher of a school spread over the district.
    let mut judges = Vec::new();
    for k in 0..5 {
        let s = schools[(k * schools.len()) / 5];
        let m: Option<i64> = on_db!(&st.db, |p| {
            sqlx::query_scalar(
                "SELECT id FROM member WHERE school_union_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(s)
            .fetch_optional(p)
            .await
        })?;
        if let Some(m) = m {
            judges.push((m, s));
        }
    }
    let year = today.year();
    let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(year, m, day).unwrap_or(today);
    let quota = |n: usize| (n.div_ceil(schools.len()) + 1) as u32;
    let criteria = vec![
        CriterionDraft {
            name: "教学设计".into(),
            weight: 40,
            max: 100,
        },
        CriterionDraft {
            name: "技术应用".into(),
            weight: 30,
            max: 100,
        },
        CriterionDraft {
            name: "艺术效果".into(),
            weight: 30,
            max: 100,
        },
    ];
    let courseware = ContestDraft {
        name: format!("{year}年全区教师教学课件制作比赛"),
        kind: ContestKind::Courseware,
        year,
        rules: "与区电教馆联合举办。每校按名额报送，作品须为参赛教师本人原创，评委匿名评审。"
            .into(),
        entry_from: d(3, 1),
        entry_until: d(4, 30),
        judging_until: d(5, 31),
        quota: quota(142),
        drop_extremes: true,
        prizes: [10, 20, 25, 0],
        categories: Vec::new(),
        criteria: criteria.clone(),
    };
    let topics = |i: usize| format!("《{}》课件", TOPICS[i % TOPICS.len()]);
    let a = one(
        st,
        sys,
        OrgUnitId(root),
        &schools,
        &judges,
        &courseware,
        &topics,
        142,
        today,
    )
    .await?;
    let paper = ContestDraft {
        name: format!("{year}年全区教师教育教学论文评选"),
        kind: ContestKind::Paper,
        year,
        rules: "论文须为本人近两年撰写、未公开发表。".into(),
        entry_from: d(9, 1),
        entry_until: d(10, 15),
        judging_until: d(11, 20),
        quota: quota(43),
        drop_extremes: true,
        prizes: [3, 2, 2, 0],
        categories: Vec::new(),
        criteria: vec![
            CriterionDraft {
                name: "选题与观点".into(),
                weight: 40,
                max: 100,
            },
            CriterionDraft {
                name: "论证与材料".into(),
                weight: 30,
                max: 100,
            },
            CriterionDraft {
                name: "规范与表达".into(),
                weight: 30,
                max: 100,
            },
        ],
    };
    let papers = |i: usize| PAPERS[i % PAPERS.len()].to_string();
    let b = if today >= paper.entry_until {
        one(
            st,
            sys,
            OrgUnitId(root),
            &schools,
            &judges,
            &paper,
            &papers,
            43,
            today,
        )
        .await?
    } else {
        (0, 0)
    };
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::points_for;

    #[test]
    fn contests_demo_points_weigh_to_the_total_whatever_the_spread() {
        for t in [960, 527, 700, 701, 702] {
            for d in [2, -2, 1, -1, 0] {
                let [a, b, c] = points_for(t, d);
                assert_eq!(4 * a + 3 * b + 3 * c, t, "{t} {d}");
            }
        }
    }
}
