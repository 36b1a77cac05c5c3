//! Surveys in the store (issue 19): drafted, opened, answered once per member, refused
//! after closing or with a bad answer; scope (another school's chair, a member of another
//! school); results of an anonymous survey sealed until it is closed; year figures and
//! due items; the demo campaign. And the attacks on anonymity: the schema (no column for a
//! person or a time), the raw SQLite file and WAL and PostgreSQL's heap and `xmin` after
//! closing (row order vs the order of arrival), an admin holding every permission.
//!
//! Must never read answers with the system capability where a person's capability is meant.

use domain::auth::{Role, perm};
use domain::rights::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use store::StoreError;
use store::area::Reach;
use store::rights as sr;
use testkit::*;

const QS: &str =
    "* single: 满意吗？ | 满意 | 基本满意 | 不满意\n* scale 1-5: 民主管理评价\nlong: 意见建议";

fn draft(title: &str, anonymous: bool) -> SurveyDraft {
    SurveyInput {
        title: title.into(),
        anonymous: if anonymous {
            "on".into()
        } else {
            String::new()
        },
        closes_on: (today() + chrono::Duration::days(10)).to_string(),
        questions: QS.into(),
        ..SurveyInput::default()
    }
    .parse(today())
    .unwrap()
}

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn answers(choice: u16, scale: i64, text: &str) -> Vec<Answer> {
    vec![
        Answer::Choice(vec![choice]),
        Answer::Scale(scale),
        if text.is_empty() {
            Answer::None
        } else {
            Answer::Text(text.into())
        },
    ]
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

fn member_actor(school: domain::ids::OrgUnitId, m: domain::ids::MemberId) -> domain::auth::Actor {
    let mut a = actor(&[(Role::Member, school)]);
    a.member = Some(m);
    a
}

dual_test!(async fn a_member_answers_once_and_is_refused_after_closing_and_outside_the_scope(t) {
    let st = &t.store;
    let o = org(st).await;
    let m1 = member(st, o.school_a, "问卷甲", 1901).await;
    let m2 = member(st, o.school_a, "问卷乙", 1902).await;
    let mb = member(st, o.school_b, "问卷丙", 1903).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::SurveyManage>().unwrap();
    let id = sr::create(st, &manage, &who(), o.school_a, &draft("甲校问卷", true)).await.unwrap();
    // A draft is not offered to members.
    let a1 = member_actor(o.school_a, m1);
    let cap1 = a1.authorize::<perm::SurveyAnswer>().unwrap();
    assert!(matches!(sr::for_member(&st.db, &cap1, Some(m1), id).await, Err(StoreError::NotFound)));
    sr::open(st, &manage, &who(), id, today()).await.unwrap();
    assert_eq!(key_of(sr::open(st, &manage, &who(), id, today()).await.unwrap_err()), text::NOT_DRAFT);
    let f = sr::for_member(&st.db, &cap1, Some(m1), id).await.unwrap();
    assert!(!f.answered);
    sr::answer(st, &f, m1, &answers(0, 5, "很好"), today()).await.unwrap();
    // A second answer by the same member is refused; nothing more is stored.
    let f = sr::for_member(&st.db, &cap1, Some(m1), id).await.unwrap();
    assert!(f.answered);
    assert_eq!(key_of(sr::answer(st, &f, m1, &answers(2, 1, ""), today()).await.unwrap_err()), text::ALREADY);
    assert_eq!(count(&t, "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_response").await, 1);
    assert_eq!(count(&t, "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_participation").await, 1);
    // A member of another school cannot tell the survey exists; nor can its chair.
    let ab = member_actor(o.school_b, mb);
    let capb = ab.authorize::<perm::SurveyAnswer>().unwrap();
    assert!(matches!(sr::for_member(&st.db, &capb, Some(mb), id).await, Err(StoreError::NotFound)));
    // A member's capability does not stretch to another member's record.
    assert!(matches!(sr::for_member(&st.db, &capb, Some(m2), id).await, Err(StoreError::NotFound)));
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(matches!(sr::get(&st.db, &chair_b.authorize().unwrap(), id).await, Err(StoreError::NotFound)));
    assert!(matches!(sr::close(st, &chair_b.authorize().unwrap(), &who(), id, today()).await, Err(StoreError::NotFound)));
    // After its closing date (not yet closed), an answer is refused.
    let a2 = member_actor(o.school_a, m2);
    let cap2 = a2.authorize::<perm::SurveyAnswer>().unwrap();
    let f2 = sr::for_member(&st.db, &cap2, Some(m2), id).await.unwrap();
    let late = today() + chrono::Duration::days(11);
    assert_eq!(key_of(sr::answer(st, &f2, m2, &answers(1, 3, ""), late).await.unwrap_err()), text::NOT_OPEN);
    // Closed: refused, and closing twice too.
    sr::close(st, &manage, &who(), id, today()).await.unwrap();
    assert_eq!(key_of(sr::answer(st, &f2, m2, &answers(1, 3, ""), today()).await.unwrap_err()), text::NOT_OPEN);
    assert_eq!(key_of(sr::close(st, &manage, &who(), id, today()).await.unwrap_err()), text::NOT_OPEN);
    assert_eq!(count(&t, "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_participation").await, 1);
    // Each change of the survey is audited; no answer is.
    assert_eq!(count(&t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE entity_type = 'survey'").await, 3);
});

dual_test!(async fn anonymous_results_are_sealed_until_closed_and_named_ones_are_not(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::SurveyManage>().unwrap();
    let view = staff.authorize::<perm::SurveyView>().unwrap();
    let anon = sr::create(st, &manage, &who(), o.union, &draft("区问卷", true)).await.unwrap();
    let named = sr::create(st, &manage, &who(), o.union, &draft("实名登记", false)).await.unwrap();
    sr::open(st, &manage, &who(), anon, today()).await.unwrap();
    sr::open(st, &manage, &who(), named, today()).await.unwrap();
    let schools = [o.school_a, o.school_b, o.school_a];
    for (i, school) in schools.iter().enumerate() {
        let m = member(st, *school, &format!("问卷人{i}"), 1910 + i as u32).await;
        let a = member_actor(*school, m);
        let cap = a.authorize::<perm::SurveyAnswer>().unwrap();
        for id in [anon, named] {
            let f = sr::for_member(&st.db, &cap, Some(m), id).await.unwrap();
            sr::answer(st, &f, m, &answers(i as u16 % 2, 4 + (i as i64 % 2), &format!("建议{i}")), today()).await.unwrap();
        }
    }
    assert_eq!(key_of(sr::results(&st.db, &view, anon).await.unwrap_err()), text::SEALED);
    let (_, r) = sr::results(&st.db, &view, named).await.unwrap();
    assert_eq!(r.responses, 3);
    // Progress by school: two in school A, one in school B.
    let p = sr::progress(&st.db, &view, anon).await.unwrap();
    let of = |u| p.iter().find(|s| s.school == u).map(|s| s.answered);
    assert_eq!((of(o.school_a), of(o.school_b)), (Some(2), Some(1)));
    sr::close(st, &manage, &who(), anon, today()).await.unwrap();
    let (s, r) = sr::results(&st.db, &view, anon).await.unwrap();
    assert_eq!((s.status, r.responses), (SurveyStatus::Closed, 3));
    assert_eq!(r.questions[0].counts, vec![2, 1, 0]);
    assert_eq!(r.questions[1].mean_x100(), Some(433));
    assert_eq!(r.questions[2].texts, vec!["建议0", "建议1", "建议2"]);
    // Progress survives the rewrite at closing.
    let p = sr::progress(&st.db, &view, anon).await.unwrap();
    assert_eq!(p.iter().map(|s| s.answered).sum::<i64>(), 3);
    // An area lead of another area sees nothing of the district's survey.
    let lead_b = actor(&[(Role::AreaLead, o.area_b)]);
    assert!(matches!(sr::results(&st.db, &lead_b.authorize().unwrap(), anon).await, Err(StoreError::NotFound)));
});

dual_test!(async fn fewer_than_three_anonymous_answers_stay_sealed_after_closing(t) {
    let st = &t.store;
    let o = org(st).await;
    let manage = sys::<perm::SurveyManage>();
    let id = sr::create(st, &manage, &who(), o.school_a, &draft("小问卷", true)).await.unwrap();
    sr::open(st, &manage, &who(), id, today()).await.unwrap();
    for i in 0..2u32 {
        let m = member(st, o.school_a, &format!("少数{i}"), 1920 + i).await;
        let f = sr::for_member(&st.db, &sys(), Some(m), id).await.unwrap();
        sr::answer(st, &f, m, &answers(0, 3, ""), today()).await.unwrap();
    }
    sr::close(st, &manage, &who(), id, today()).await.unwrap();
    assert_eq!(key_of(sr::results(&st.db, &sys(), id).await.unwrap_err()), text::SEALED);
});

dual_test!(async fn year_figures_and_closing_surveys_are_read_in_reach(t) {
    let st = &t.store;
    let o = org(st).await;
    let manage = sys::<perm::SurveyManage>();
    let id = sr::create(st, &manage, &who(), o.school_a, &draft("年度问卷", false)).await.unwrap();
    sr::open(st, &manage, &who(), id, today()).await.unwrap();
    for i in 0..2u32 {
        let m = member(st, o.school_a, &format!("年度{i}"), 1930 + i).await;
        let f = sr::for_member(&st.db, &sys(), Some(m), id).await.unwrap();
        sr::answer(st, &f, m, &answers(0, 3, ""), today()).await.unwrap();
    }
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let cap = staff.authorize::<perm::SurveyView>().unwrap();
    let year = chrono::Datelike::year(&today());
    let v = sr::year_figures(st, &Reach::of(&cap), year).await.unwrap();
    let get = |k: &str| v.iter().filter(|f| f.key == k && f.unit == o.school_a).map(|f| f.value).sum::<i64>();
    assert_eq!(get("figure-rights-surveys-held"), 1);
    assert_eq!(get("figure-rights-survey-answers"), 2);
    // Chair of B: nothing of school A.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let capb = chair_b.authorize::<perm::SurveyView>().unwrap();
    assert!(sr::year_figures(st, &Reach::of(&capb), year).await.unwrap().is_empty());
    // Closing within ten days: due from three days before.
    let due = sr::due_items(st, &Reach::of(&cap), today() + chrono::Duration::days(4)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind, "due-rights-survey-closing");
    assert!(sr::due_items(st, &Reach::of(&cap), today()).await.unwrap().is_empty());
    assert!(sr::due_items(st, &Reach::of(&capb), today() + chrono::Duration::days(4)).await.unwrap().is_empty());
});

const PEOPLE: usize = 40;

/// Opens an anonymous survey of school A and has 40 members answer it one by one in a
/// known random order, each with a marker the attacker does not know belongs to them.
/// Returns the survey, the members in order of arrival and each one's marker.
async fn answered_in_order(
    t: &TestDb,
) -> (
    SurveyId,
    Vec<(domain::ids::MemberId, String)>,
    domain::ids::OrgUnitId,
) {
    let st = &t.store;
    let o = org(st).await;
    let manage = sys::<perm::SurveyManage>();
    let id = sr::create(st, &manage, &who(), o.school_a, &draft("取证问卷", true))
        .await
        .unwrap();
    sr::open(st, &manage, &who(), id, today()).await.unwrap();
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(member(st, o.school_a, &format!("取证{i}"), 1940 + i as u32).await);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    people.shuffle(&mut rng);
    let mut order = Vec::new();
    for m in people {
        let marker = format!("MARK{:08}", rng.random_range(10_000_000..99_999_999u32));
        let f = sr::for_member(&st.db, &sys(), Some(m), id).await.unwrap();
        sr::answer(
            st,
            &f,
            m,
            &answers(rng.random_range(0..3), rng.random_range(1..=5), &marker),
            today(),
        )
        .await
        .unwrap();
        order.push((m, marker));
    }
    (id, order, o.union)
}

/// Spearman's rank correlation of two orders of the same items.
fn rank_correlation(a: &[usize]) -> f64 {
    let n = a.len() as f64;
    let d2: f64 = a
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64 - *r as f64).powi(2))
        .sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

/// The rank in `hay` (by first occurrence) of each marker, in arrival order.
fn ranks(hay: &[u8], order: &[(domain::ids::MemberId, String)]) -> Vec<usize> {
    let mut at: Vec<(usize, usize)> = order
        .iter()
        .enumerate()
        .map(|(i, (_, m))| (find_first(hay, m.as_bytes()).unwrap_or(usize::MAX), i))
        .collect();
    at.sort_unstable();
    let mut rank = vec![0; order.len()];
    for (r, (_, i)) in at.iter().enumerate() {
        rank[*i] = r;
    }
    rank
}

fn find_first(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

dual_test!(async fn an_anonymous_answer_has_no_column_for_a_person_or_a_time(t) {
    let cols: Vec<String> = match t.store.db.engine() {
        store::Engine::Sqlite => store::on_db!(t.db(), |p| sqlx::query_scalar(
            "SELECT name FROM pragma_table_info('survey_response') ORDER BY cid"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
        store::Engine::Postgres => store::on_db!(t.db(), |p| sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'survey_response' AND table_schema = current_schema() ORDER BY ordinal_position"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
    };
    assert_eq!(cols, vec!["survey_id", "token", "content"]);
    // And nothing that refers to the table could join it to a person.
    let (id, order, _) = answered_in_order(&t).await;
    let contents: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar(
        "SELECT content FROM survey_response WHERE survey_id = $1"
    )
    .bind(id.0)
    .fetch_all(p)
    .await)
    .unwrap();
    for (m, _) in &order {
        assert!(contents.iter().all(|c| !c.contains(&format!("\"{}\"", m.0))));
    }
});

dual_test!(async fn a_reader_of_the_raw_storage_cannot_pair_answers_with_people_once_closed(t) {
    let st = &t.store;
    let (id, order, union) = answered_in_order(&t).await;
    match st.db.engine() {
        store::Engine::Sqlite => {
            let path = t.sqlite_path.as_ref().unwrap();
            let wal_path = format!("{}-wal", path.display());
            // Positive control: while open, the WAL replays the commits in order, so the
            // attack works — which is why an anonymous survey's results are sealed until
            // it is closed, and why closing rewrites and truncates.
            let wal = std::fs::read(&wal_path).unwrap_or_default();
            let r = ranks(&wal, &order);
            assert!(rank_correlation(&r) > 0.9, "the reader follows arrival order in the open WAL");
            sr::close(st, &sys(), &who(), id, today()).await.unwrap();
            let file = std::fs::read(path).unwrap();
            let wal = std::fs::read(&wal_path).unwrap_or_default();
            assert!(wal.is_empty(), "closing truncates the WAL");
            for (_, m) in &order {
                assert_eq!(occurrences(&file, m.as_bytes()), 1, "one copy of each answer, no stale one");
            }
            let rho = rank_correlation(&ranks(&file, &order));
            assert!(rho.abs() < 0.5, "answers sit in the file in arrival order (rho {rho})");
        }
        store::Engine::Postgres => {
            // Positive control: while open, the xmin join pairs every member with an answer.
            let pairs: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_participation sp JOIN survey_response r ON r.xmin = sp.xmin AND r.survey_id = sp.survey_id WHERE sp.survey_id = $1"
            )
            .bind(id.0)
            .fetch_one(p)
            .await)
            .unwrap();
            assert_eq!(pairs, PEOPLE as i64, "the xmin join works while open");
            sr::close(st, &sys(), &who(), id, today()).await.unwrap();
            // Closed: one transaction wrote every row of both tables.
            for sql in [
                "SELECT CAST(COUNT(DISTINCT xmin::text) AS BIGINT) FROM survey_response WHERE survey_id = $1",
                "SELECT CAST(COUNT(DISTINCT xmin::text) AS BIGINT) FROM survey_participation WHERE survey_id = $1",
            ] {
                let n: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar(sql).bind(id.0).fetch_one(p).await).unwrap();
                assert_eq!(n, 1, "{sql}");
            }
            // The heap order (ctid) is not the order of arrival.
            let heap: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar(
                "SELECT content FROM survey_response WHERE survey_id = $1 ORDER BY ctid"
            )
            .bind(id.0)
            .fetch_all(p)
            .await)
            .unwrap();
            let joined = heap.join("\n");
            let rho = rank_correlation(&ranks(joined.as_bytes(), &order));
            assert!(rho.abs() < 0.5, "answers sit in the heap in arrival order (rho {rho})");
        }
    }
    // An admin holding every permission reads totals, never a person with an answer.
    let admin = actor(&[(Role::PlatformAdmin, union)]);
    let (_, r) = sr::results(&st.db, &admin.authorize().unwrap(), id).await.unwrap();
    assert_eq!(r.responses, PEOPLE as i64);
    let texts = r.questions[2].texts.clone();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(texts, sorted, "free texts are listed sorted, never in arrival order");
});

fn petition(name: &str, matter: &str, received: chrono::NaiveDate) -> PetitionDraft {
    PetitionInput {
        channel: "visit".into(),
        category: "pay".into(),
        received_on: received.to_string(),
        name: name.into(),
        phone: "13800001111".into(),
        matter: matter.into(),
        ..PetitionInput::default()
    }
    .parse(today())
    .unwrap()
}

dual_test!(async fn a_petition_is_received_assigned_answered_and_closed_with_its_deadlines(t) {
    use store::rights::petitions as sp;
    let st = &t.store;
    let o = org(st).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let handle = chair.authorize::<perm::PetitionHandle>().unwrap();
    let view = chair.authorize::<perm::PetitionView>().unwrap();
    let id = sp::receive(st, &handle, &who(), o.school_a, &petition("王信访", "拖欠绩效工资三个月", today())).await.unwrap();
    let row = sp::get(&st.db, &view, id).await.unwrap();
    assert_eq!(row.status, PetitionStatus::Received);
    assert_eq!(row.name_mask, "王**");
    assert_eq!(row.conclude_by, today() + chrono::Duration::days(60));
    assert_eq!(row.accept_by, today() + chrono::Duration::days(15));
    // Steps out of order are refused; nothing changes.
    assert_eq!(key_of(sp::reply(st, &handle, &who(), id, "答复", today()).await.unwrap_err()), text::PETITION_STEP);
    assert_eq!(key_of(sp::close(st, &handle, &who(), id, Satisfaction::Satisfied, today()).await.unwrap_err()), text::PETITION_STEP);
    // Another school's chair and an area lead get nothing.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(matches!(sp::get(&st.db, &chair_b.authorize().unwrap(), id).await, Err(StoreError::NotFound)));
    assert!(matches!(sp::assign(st, &chair_b.authorize().unwrap(), &who(), id, "办公室", today()).await, Err(StoreError::NotFound)));
    assert!(actor(&[(Role::AreaLead, o.area_a)]).authorize::<perm::PetitionView>().is_err());
    sp::assign(st, &handle, &who(), id, "权益保障部", today()).await.unwrap();
    sp::reply(st, &handle, &who(), id, "已协调学校补发", today()).await.unwrap();
    let row = sp::close(st, &handle, &who(), id, Satisfaction::Satisfied, today()).await.unwrap();
    assert_eq!((row.status, row.satisfaction), (PetitionStatus::Closed, Some(Satisfaction::Satisfied)));
    // The full view is audited and shows what was typed.
    let (_, d) = sp::reveal(st, &view, &who(), id).await.unwrap();
    assert_eq!((d.name.as_str(), d.matter.as_str(), d.reply.as_deref()), ("王信访", "拖欠绩效工资三个月", Some("已协调学校补发")));
    assert_eq!(count(&t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'petition.view'").await, 1);
});

dual_test!(async fn an_unanswered_petition_past_its_deadline_is_a_due_item_with_its_number_only(t) {
    use store::rights::petitions as sp;
    let st = &t.store;
    let o = org(st).await;
    let handle = sys::<perm::PetitionHandle>();
    let old = today() - chrono::Duration::days(61);
    let id = sp::receive(st, &handle, &who(), o.school_a, &petition("赵信访", "职称评聘不公开", old)).await.unwrap();
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let cap = staff.authorize::<perm::SurveyView>().unwrap();
    let due = sr::due_items(st, &Reach::of(&cap), today()).await.unwrap();
    let item = due.iter().find(|d| d.href == format!("/petitions/{}", id.0)).unwrap();
    assert_eq!(item.title, format!("#{}", id.0));
    assert!(!item.title.contains('赵'));
    let row = sp::get(&st.db, &sys(), id).await.unwrap();
    assert!(row.overdue(today()));
    let year = chrono::Datelike::year(&old);
    let v = sr::year_figures(st, &Reach::of(&cap), year).await.unwrap();
    assert!(v.iter().any(|f| f.key == "figure-rights-petitions-received" && f.unit == o.school_a && f.value == 1));
});

dual_test!(async fn the_stored_petition_holds_no_name_phone_or_matter_in_plain(t) {
    use store::rights::petitions as sp;
    let st = &t.store;
    let o = org(st).await;
    sp::receive(st, &sys(), &who(), o.school_a, &petition("钱秘密", "秘密事项XYZ", today())).await.unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = store::on_db!(t.db(), |p| sqlx::query_as("SELECT name_enc, matter_enc FROM petition").fetch_all(p).await).unwrap();
    for (n, m) in &rows {
        assert!(!String::from_utf8_lossy(n).contains("钱秘密"));
        assert!(!String::from_utf8_lossy(m).contains("秘密事项XYZ"));
    }
    if let Some(path) = &t.sqlite_path {
        let mut raw = std::fs::read(path).unwrap();
        raw.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
        for needle in ["钱秘密", "秘密事项XYZ", "13800001111"] {
            assert_eq!(occurrences(&raw, needle.as_bytes()), 0, "{needle} in the raw file");
        }
    }
});
