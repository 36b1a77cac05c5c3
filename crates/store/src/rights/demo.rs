//! The demo district's rights year (seed 000: "深入18所学校……发放问卷500余份"): an anonymous
//! questionnaire on teachers' rights sent by the district, answered by about 29 members in
//! each of 18 schools over 13 days and closed; a named survey still open, closing within
//! the notice days (a due item); and a draft. Deterministic for a seed; runs through the
//! same store functions as people do.
//!
//! Never invents a person: the answers belong to members the org demo made.

use super::*;
use domain::auth::system_cap;
use domain::ids::AccountId;
use rand::{Rng, SeedableRng};

/// Schools the campaign visits and answers per school (seed 000: 18 schools, 500+).
pub const DEMO_SCHOOLS: usize = 18;
pub const DEMO_PER_SCHOOL: usize = 29;

/// The campaign's questionnaire (one question of each kind).
pub const DEMO_QUESTIONS: &str =
    "* single: 您对本校教代会和校务公开工作是否满意？ | 满意 | 基本满意 | 不满意
* multiple: 您最关心哪些权益问题？ | 工资待遇 | 职称评聘 | 休息休假 | 绩效考核 | 医疗保障 | 劳动安全
* scale 1-5: 您对学校民主管理的总体评价（1 最低，5 最高）
short: 您的任教学科
long: 您对工会维权工作的意见和建议";

pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load(run).await })
}

async fn load(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    let st = run.st;
    let today = run.opts.today;
    let root: Vec<(i64,)> = crate::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
    )
    .fetch_all(p)
    .await)?;
    let Some((root,)) = root.into_iter().next() else {
        return Ok(());
    };
    let members: Vec<(i64, i64)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, school_union_id FROM member WHERE status = 'active' ORDER BY school_union_id, id"
    )
    .fetch_all(p)
    .await
    })?;
    // The first DEMO_SCHOOLS schools with members, up to DEMO_PER_SCHOOL of each.
    let mut picked: Vec<MemberId> = Vec::new();
    let mut schools: Vec<i64> = Vec::new();
    let mut in_school = 0;
    for (m, s) in &members {
        if schools.last() != Some(s) {
            if schools.len() == DEMO_SCHOOLS {
                break;
            }
            schools.push(*s);
            in_school = 0;
        }
        if in_school < DEMO_PER_SCHOOL {
            picked.push(MemberId(*m));
            in_school += 1;
        }
    }
    let manage = system_cap::<perm::SurveyManage>(run.sys, AccountId(0));
    let answer_cap = system_cap::<perm::SurveyAnswer>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let questions = parse_questions("questions", DEMO_QUESTIONS)
        .map_err(|e| StoreError::Other(format!("demo questions: {}", e.key)))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(run.opts.seed ^ 0x5eed_0019);

    // The campaign: opened 45 days ago, answered over 13 days, closed.
    let opened = today - chrono::Duration::days(45);
    let closes = opened + chrono::Duration::days(13);
    let draft = SurveyDraft {
        title: "教职工权益状况问卷调查".into(),
        intro:
            "为了解全区教职工权益保障状况，区教育工会开展本次匿名问卷调查。问卷不记名，请如实填写。"
                .into(),
        anonymous: true,
        closes_on: closes,
        questions: questions.clone(),
    };
    let id = create(st, &manage, &who, OrgUnitId(root), &draft).await?;
    open(st, &manage, &who, id, opened).await?;
    let subjects = [
        "语文", "数学", "英语", "物理", "化学", "体育", "音乐", "美术", "",
    ];
    let wishes = [
        "希望减轻非教学负担",
        "建议提高班主任津贴",
        "希望职称评聘更加公开透明",
        "建议改善教师食堂和午休条件",
        "希望落实带薪休假",
        "",
        "",
    ];
    for (i, m) in picked.iter().enumerate() {
        let day = opened + chrono::Duration::days((i * 13 / picked.len().max(1)) as i64);
        let f = for_member(&st.db, &answer_cap, Some(*m), id).await?;
        let mut multi: Vec<u16> = (0..6).filter(|_| rng.random_bool(0.35)).collect();
        if multi.is_empty() {
            multi.push(0);
        }
        let pick = rng.random_range(0..100);
        let answers = vec![
            Answer::Choice(vec![if pick < 62 {
                0
            } else if pick < 91 {
                1
            } else {
                2
            }]),
            Answer::Choice(multi),
            Answer::Scale(rng.random_range(2..=5)),
            match subjects[rng.random_range(0..subjects.len())] {
                "" => Answer::None,
                s => Answer::Text(s.into()),
            },
            match wishes[rng.random_range(0..wishes.len())] {
                "" => Answer::None,
                s => Answer::Text(s.into()),
            },
        ];
        answer(st, &f, *m, &answers, day).await?;
    }
    close(st, &manage, &who, id, closes).await?;

    // A named survey still open, closing within the notice days.
    let named = SurveyDraft {
        title: "暑期疗休养意向登记".into(),
        intro: "请登记本人暑期疗休养意向，便于统筹安排。".into(),
        anonymous: false,
        closes_on: today + chrono::Duration::days(5),
        questions: parse_questions(
            "questions",
            "* single: 是否参加暑期疗休养？ | 参加 | 不参加\nshort: 希望的时间段",
        )
        .map_err(|e| StoreError::Other(format!("demo questions: {}", e.key)))?,
    };
    let id = create(st, &manage, &who, OrgUnitId(root), &named).await?;
    open(st, &manage, &who, id, today - chrono::Duration::days(3)).await?;
    for m in picked.iter().take(12) {
        let f = for_member(&st.db, &answer_cap, Some(*m), id).await?;
        let go = rng.random_bool(0.7);
        answer(
            st,
            &f,
            *m,
            &[
                Answer::Choice(vec![u16::from(!go)]),
                if go {
                    Answer::Text("7月中旬".into())
                } else {
                    Answer::None
                },
            ],
            today,
        )
        .await?;
    }

    // A draft for next term.
    let next = SurveyDraft {
        title: "青年教师成长需求调查".into(),
        intro: String::new(),
        anonymous: true,
        closes_on: today + chrono::Duration::days(60),
        questions,
    };
    create(st, &manage, &who, OrgUnitId(root), &next).await?;
    load_petitions(run, root, &schools).await
}

/// The year's letters and visits (seed 002: former community teachers' visits persuaded
/// to stop, pay and title questions): received through the year, most closed with the
/// petitioner's satisfaction, one answered, one in hand, one received and not yet
/// assigned past its acceptance date (an overdue item). Names are invented placeholders
/// of the form 某老师, never a real person.
async fn load_petitions(
    run: &crate::area::DemoRun<'_>,
    root: i64,
    schools: &[i64],
) -> Result<(), StoreError> {
    use domain::rights::{PetitionCategory as C, PetitionChannel as H};
    let st = run.st;
    let today = run.opts.today;
    let handle = system_cap::<perm::PetitionHandle>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let unit = |i: usize| OrgUnitId(schools.get(i).copied().unwrap_or(root));
    let items: Vec<(OrgUnitId, H, C, i64, &str, &str, bool, u8)> = vec![
        (
            OrgUnitId(root),
            H::Visit,
            C::Welfare,
            200,
            "原民办教师代表",
            "反映原民办教师教龄补贴和养老待遇问题，经政策解释后表示理解，不再上访。",
            true,
            3,
        ),
        (
            OrgUnitId(root),
            H::Letter,
            C::Welfare,
            160,
            "张老师",
            "来信询问原民办教师身份认定及待遇落实情况。",
            false,
            3,
        ),
        (
            unit(0),
            H::Visit,
            C::Pay,
            120,
            "李老师",
            "反映绩效工资分配方案未经教代会审议。",
            false,
            3,
        ),
        (
            unit(1),
            H::Phone,
            C::Title,
            90,
            "王老师",
            "反映职称评聘推荐程序不公开。",
            false,
            3,
        ),
        (
            unit(2),
            H::Online,
            C::Contract,
            60,
            "赵老师",
            "代课教师反映劳动合同到期未续签。",
            false,
            3,
        ),
        (
            unit(3),
            H::Letter,
            C::Management,
            40,
            "刘老师",
            "反映学校安排非教学任务过多，影响正常休息。",
            false,
            2,
        ),
        (
            unit(4),
            H::Visit,
            C::Pay,
            25,
            "陈老师",
            "反映班主任津贴长期未调整。",
            false,
            1,
        ),
        (
            unit(5),
            H::Phone,
            C::Other,
            20,
            "孙老师",
            "咨询工伤认定申请材料。",
            false,
            0,
        ),
    ];
    for (unit, channel, category, ago, name, matter, collective, steps) in items {
        let received = today - chrono::Duration::days(ago);
        let d = PetitionDraft {
            channel,
            category,
            received_on: received,
            name: name.into(),
            phone: None,
            matter: matter.into(),
            collective,
        };
        let id = petitions::receive(st, &handle, &who, unit, &d).await?;
        if steps >= 1 {
            petitions::assign(
                st,
                &handle,
                &who,
                id,
                "权益保障部",
                received + chrono::Duration::days(3),
            )
            .await?;
        }
        if steps >= 2 {
            petitions::reply(
                st,
                &handle,
                &who,
                id,
                "经调查核实，已向反映人书面答复并说明有关政策。",
                received + chrono::Duration::days(20),
            )
            .await?;
        }
        if steps >= 3 {
            let s = if ago % 3 == 0 {
                Satisfaction::Basic
            } else {
                Satisfaction::Satisfied
            };
            petitions::close(
                st,
                &handle,
                &who,
                id,
                s,
                received + chrono::Duration::days(25),
            )
            .await?;
        }
    }
    Ok(())
}
