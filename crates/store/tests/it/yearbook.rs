//! News from correspondents, the year's work plan and the year summary in the store
//! (issue 23): a correspondent's item goes through the school and the district, a
//! placement earns the rule set's points and names its version; nobody approves their own
//! item; a member who is not a correspondent cannot submit; a chair of school B reads and
//! changes nothing of school A (news, plan, summary); the plan reads live progress from the
//! areas' figures and refuses an indicator that does not exist; a summary draft states
//! exactly the figures of the records (traceable by key) with the rule-set version; a year
//! without records gives an empty draft; due items of the plan; the demo's summary.

use chrono::Datelike;
use domain::auth::{Role, perm};
use domain::congress::authorize_self;
use domain::correspondent::*;
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::work_plan::TaskDraft;
use store::StoreError;
use store::area::Reach;
use store::audit::Who;
use store::{correspondent as news, work_plan as plan, work_summary as summary};
use testkit::*;

/// Accounts standing for people (numbered as the test names them).
struct People(Vec<(i64, AccountId)>);

impl People {
    async fn new(st: &store::Store) -> People {
        let mut v = Vec::new();
        for n in [1, 2, 3, 9, 50, 60, 70] {
            let id = store::auth::create_account_system(
                &domain::auth::SystemCap::for_cli(),
                st,
                &who(),
                &store::auth::NewAccount {
                    username: format!("person{n}"),
                    display_name: format!("person{n}"),
                    member: None,
                    password_hash: None,
                },
            )
            .await
            .unwrap();
            v.push((n, id));
        }
        People(v)
    }

    fn who(&self, n: i64) -> Who {
        let id = self.0.iter().find(|p| p.0 == n).map(|p| p.1).unwrap();
        Who {
            account: Some(id),
            label: format!("person{n}"),
            request_id: None,
        }
    }
}

fn field_of(e: StoreError) -> (&'static str, &'static str) {
    match e {
        StoreError::Invalid(f) => (f.0[0].field, f.0[0].key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn draft(title: &str) -> NewsDraft {
    NewsInput {
        title: title.into(),
        body: "学校工会组织教职工开展活动。".into(),
    }
    .parse()
    .unwrap()
}

fn acting_member(
    role: Role,
    unit: OrgUnitId,
    m: MemberId,
) -> domain::congress::Acting<perm::NewsSubmit> {
    let mut a = actor(&[(role, unit)]);
    a.member = Some(m);
    authorize_self::<perm::NewsSubmit>(&a).unwrap()
}

fn cap<P: perm::Perm>(role: Role, unit: OrgUnitId) -> domain::auth::Cap<P> {
    actor(&[(role, unit)]).authorize::<P>().unwrap()
}

fn task(text: &str, figure: Option<(&str, i64)>) -> TaskDraft {
    TaskDraft {
        year: today().year(),
        text: text.into(),
        owner: "办公室".into(),
        deadline: today() + chrono::Duration::days(5),
        indicator: figure.map(|(k, v)| (k.to_string(), v)),
    }
}

dual_test!(async fn a_correspondents_item_is_approved_published_and_placed_for_the_rule_set_s_points(t) {
    let st = &t.store;
    let o = org(st).await;
    let p = People::new(st).await;
    let m = member(st, o.school_a, "通讯员甲", 1).await;
    let chair_a = cap::<perm::NewsReview>(Role::SchoolChair, o.school_a);
    let staff = cap::<perm::NewsReview>(Role::UnionStaff, o.union);
    news::register(st, &chair_a, &p.who(1), "通讯员甲", today()).await.unwrap();
    let (f, k) = field_of(news::register(st, &chair_a, &p.who(1), "通讯员甲", today()).await.unwrap_err());
    assert_eq!((f, k), ("member", text::ALREADY_CORRESPONDENT));

    let acting = acting_member(Role::Member, o.school_a, m);
    let id = news::submit(st, &acting, &p.who(50), &draft("运动会开幕"), today()).await.unwrap();
    assert!(news::published(&st.db, 10).await.unwrap().is_empty(), "nothing public before review");

    assert_eq!(news::approve(st, &chair_a, &p.who(1), id).await.unwrap(), NewsStatus::SchoolApproved);
    // The school's chair cannot also publish: that is the district's step.
    let (_, k) = field_of(news::approve(st, &chair_a, &p.who(2), id).await.unwrap_err());
    assert_eq!(k, text::NOT_THE_DISTRICT);
    // Placement before publication is refused at the item.
    let (f, _) = field_of(news::place(st, &staff, &p.who(3), id, PlacementLevel::City, "市教育工会网站", today()).await.unwrap_err());
    assert_eq!(f, "item");
    // The same person may not take both steps.
    let (_, k) = field_of(news::approve(st, &staff, &p.who(1), id).await.unwrap_err());
    assert_eq!(k, text::OWN_ITEM);
    assert_eq!(news::approve(st, &staff, &p.who(3), id).await.unwrap(), NewsStatus::Published);
    let public = news::published(&st.db, 10).await.unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].title, "运动会开幕");

    news::place(st, &staff, &p.who(3), id, PlacementLevel::City, "市教育工会网站", today()).await.unwrap();
    let (f, k) = field_of(news::place(st, &staff, &p.who(3), id, PlacementLevel::City, "又一次", today()).await.unwrap_err());
    assert_eq!((f, k), ("level", text::PLACEMENT_TWICE));
    news::place(st, &staff, &p.who(3), id, PlacementLevel::National, "《中国教工》", today()).await.unwrap();
    let version: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT rule_version FROM news_placement ORDER BY id").fetch_all(p).await).unwrap();
    assert_eq!(version, vec![domain::correspondent::BUILTIN_NEWS_RULES.to_string(); 2]);

    let people = news::correspondents(&st.db, &staff, None, today().year()).await.unwrap();
    assert_eq!(people.len(), 1);
    let want = NEWS_RULES.points(PlacementLevel::City) + NEWS_RULES.points(PlacementLevel::National);
    assert_eq!((people[0].items, people[0].published, people[0].points), (1, 1, want));

    let before = st.db.query_count();
    let v = news::year_figures(st, &Reach::of(&staff), today().year()).await.unwrap();
    assert_eq!(st.db.query_count() - before, 2, "two queries whatever the number of schools");
    let get = |k: &str| v.iter().find(|x| x.key == k && x.unit == o.school_a).map(|x| x.value);
    assert_eq!(get("figure-correspondent-items-submitted"), Some(1));
    assert_eq!(get("figure-correspondent-items-published"), Some(1));
    assert_eq!(get("figure-correspondent-placements"), Some(2));
    assert_eq!(get("figure-correspondent-points"), Some(want));
    let audit: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action LIKE 'news_%' OR action LIKE 'correspondent.%'").fetch_one(p).await).unwrap();
    assert_eq!(audit, 6, "register, submit, two steps, two placements");
});

dual_test!(async fn a_chair_of_school_b_reads_and_changes_nothing_of_school_a_and_nobody_approves_their_own_item(t) {
    let st = &t.store;
    let o = org(st).await;
    let p = People::new(st).await;
    let m = member(st, o.school_a, "通讯员甲", 1).await;
    let other = member(st, o.school_a, "普通会员", 2).await;
    let chair_a = cap::<perm::NewsReview>(Role::SchoolChair, o.school_a);
    news::register(st, &chair_a, &p.who(1), &m.0.to_string(), today()).await.unwrap();

    // A member who is not a correspondent cannot submit, even naming nobody else.
    let (f, k) = field_of(news::submit(st, &acting_member(Role::Member, o.school_a, other), &p.who(60), &draft("冒名"), today()).await.unwrap_err());
    assert_eq!((f, k), ("member", text::NOT_A_CORRESPONDENT));

    // The correspondent is also on the committee: they cannot approve their own item.
    let acting = acting_member(Role::CommitteeMember, o.school_a, m);
    let id = news::submit(st, &acting, &p.who(70), &draft("本校新闻"), today()).await.unwrap();
    let own = cap::<perm::NewsReview>(Role::CommitteeMember, o.school_a);
    let (_, k) = field_of(news::approve(st, &own, &p.who(70), id).await.unwrap_err());
    assert_eq!(k, text::OWN_ITEM);
    let (_, k) = field_of(news::reject(st, &own, &p.who(70), id).await.unwrap_err());
    assert_eq!(k, text::OWN_ITEM);

    // The chair of school B.
    let b_news = cap::<perm::NewsReview>(Role::SchoolChair, o.school_b);
    assert!(matches!(news::get(st, &b_news, id).await, Err(StoreError::NotFound)));
    assert!(matches!(news::approve(st, &b_news, &p.who(9), id).await, Err(StoreError::NotFound)));
    assert!(matches!(news::reject(st, &b_news, &p.who(9), id).await, Err(StoreError::NotFound)));
    assert!(news::list(&st.db, &b_news, &news::NewsFilter::default()).await.unwrap().is_empty());
    assert!(news::correspondents(&st.db, &b_news, None, today().year()).await.unwrap().is_empty());
    assert!(matches!(news::register(st, &b_news, &p.who(9), "普通会员", today()).await, Err(StoreError::Invalid(_))));

    let a_plan = cap::<perm::WorkPlanManage>(Role::SchoolChair, o.school_a);
    let t_a = plan::add_task(st, &a_plan, &p.who(1), o.school_a, &task("甲校任务", None)).await.unwrap();
    let b_plan = cap::<perm::WorkPlanManage>(Role::SchoolChair, o.school_b);
    assert!(matches!(plan::add_task(st, &b_plan, &p.who(9), o.school_a, &task("乙校插入", None)).await, Err(StoreError::NotFound)));
    assert!(matches!(plan::toggle(st, &b_plan, &p.who(9), t_a).await, Err(StoreError::NotFound)));
    assert!(plan::tasks(&st.db, &b_plan, o.school_a, today().year()).await.unwrap().is_empty());

    let a_sum = cap::<perm::SummaryDraft>(Role::SchoolChair, o.school_a);
    let s_a = summary::draft(st, &a_sum, &p.who(1), o.school_a, today().year()).await.unwrap();
    let b_sum = cap::<perm::SummaryDraft>(Role::SchoolChair, o.school_b);
    assert!(matches!(summary::get(&st.db, &b_sum, s_a).await, Err(StoreError::NotFound)));
    assert!(matches!(summary::save_body(st, &b_sum, &p.who(9), s_a, "乙校改写").await, Err(StoreError::NotFound)));
    assert!(matches!(summary::refresh(st, &b_sum, &p.who(9), s_a).await, Err(StoreError::NotFound)));
    assert!(matches!(summary::draft(st, &b_sum, &p.who(9), o.school_a, today().year()).await, Err(StoreError::NotFound)));
    assert!(summary::list(&st.db, &b_sum).await.unwrap().is_empty());
    // School B's due items hold nothing of school A.
    let due = store::area::due_items(st, &Reach::of(&b_plan), today()).await.unwrap();
    assert!(due.iter().all(|d| d.unit != o.school_a), "{due:?}");

    // Nothing of school A changed.
    assert_eq!(news::get(st, &chair_a, id).await.unwrap().status, NewsStatus::Submitted);
    assert!(summary::get(&st.db, &a_sum, s_a).await.unwrap().body.is_none());
    let tasks = plan::tasks(&st.db, &a_plan, o.school_a, today().year()).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].status, domain::work_plan::TaskStatus::Open);
});

dual_test!(async fn the_plan_reads_live_progress_and_the_summary_states_exactly_the_records_figures(t) {
    let st = &t.store;
    let o = org(st).await;
    let p = People::new(st).await;
    let m = member(st, o.school_a, "通讯员甲", 1).await;
    let staff_news = cap::<perm::NewsReview>(Role::UnionStaff, o.union);
    news::register(st, &staff_news, &p.who(1), "通讯员甲", today()).await.unwrap();
    let acting = acting_member(Role::Member, o.school_a, m);
    for i in 0..3 {
        let id = news::submit(st, &acting, &p.who(50), &draft(&format!("新闻{i}")), today()).await.unwrap();
        if i < 2 {
            news::approve(st, &staff_news, &p.who(2), id).await.unwrap();
            news::approve(st, &staff_news, &p.who(3), id).await.unwrap();
        }
    }
    let staff = cap::<perm::WorkPlanManage>(Role::UnionStaff, o.union);
    // An indicator that does not exist is refused at its field.
    let (f, k) = field_of(plan::add_task(st, &staff, &p.who(3), o.union, &task("虚构指标", Some(("figure-nothing-here", 3)))).await.unwrap_err());
    assert_eq!((f, k), ("figure", domain::work_plan::text::FIGURE_UNKNOWN));
    plan::add_task(st, &staff, &p.who(3), o.union, &task("发布信息", Some(("figure-correspondent-items-published", 2)))).await.unwrap();
    plan::add_task(st, &staff, &p.who(3), o.union, &task("录用上级媒体", Some(("figure-correspondent-placements", 1)))).await.unwrap();

    let view = cap::<perm::WorkPlanView>(Role::UnionStaff, o.union);
    let tasks = plan::tasks(&st.db, &view, o.union, today().year()).await.unwrap();
    assert_eq!(tasks.len(), 2);
    let (values, _) = plan::unit_figures(st, &Reach::of(&view), o.union, today().year()).await.unwrap();
    let value = |k: &str| values.get(k).copied().unwrap_or(0);
    assert_eq!(value("figure-correspondent-items-published"), 2);
    use domain::work_plan::{Outcome, outcome};
    assert_eq!(outcome(Some(("", tasks[0].target.unwrap())), value(tasks[0].figure.as_deref().unwrap())), Outcome::Met);
    assert_eq!(outcome(Some(("", tasks[1].target.unwrap())), value(tasks[1].figure.as_deref().unwrap())), Outcome::NotMet);

    // The reading's query count does not depend on the unit: a school and the district.
    let before = st.db.query_count();
    plan::unit_figures(st, &Reach::of(&view), o.school_a, today().year()).await.unwrap();
    let school = st.db.query_count() - before;
    let before = st.db.query_count();
    plan::unit_figures(st, &Reach::of(&view), o.union, today().year()).await.unwrap();
    assert_eq!(st.db.query_count() - before, school);

    // The draft holds exactly the records' figures, each a declared figure, and its version.
    let sum = cap::<perm::SummaryDraft>(Role::UnionStaff, o.union);
    let id = summary::draft(st, &sum, &p.who(3), o.union, today().year()).await.unwrap();
    let s = summary::get(&st.db, &sum, id).await.unwrap();
    assert_eq!(s.snapshot.values, values);
    assert_eq!(s.rule_version, domain::correspondent::BUILTIN_NEWS_RULES);
    for k in s.snapshot.values.keys() {
        assert!(store::area::figure(k).is_some(), "{k} is not a declared figure");
    }
    assert_eq!(s.snapshot.values.get("figure-correspondent-items-submitted"), Some(&3));
    // Drafting again returns the same draft; editing keeps the figures; refreshing takes new ones.
    assert_eq!(summary::draft(st, &sum, &p.who(3), o.union, today().year()).await.unwrap(), id);
    let (f, _) = field_of(summary::save_body(st, &sum, &p.who(3), id, "   ").await.unwrap_err());
    assert_eq!(f, "body");
    summary::save_body(st, &sum, &p.who(3), id, "本年度工作总结（修改稿）").await.unwrap();
    let id3 = news::submit(st, &acting, &p.who(50), &draft("新闻3"), today()).await.unwrap();
    assert!(id3.0 > 0);
    assert_eq!(summary::get(&st.db, &sum, id).await.unwrap().snapshot.values.get("figure-correspondent-items-submitted"), Some(&3));
    summary::refresh(st, &sum, &p.who(3), id).await.unwrap();
    let s = summary::get(&st.db, &sum, id).await.unwrap();
    assert_eq!(s.snapshot.values.get("figure-correspondent-items-submitted"), Some(&4));
    assert!(s.body.is_none(), "refreshing drops the edited text");

    // A year without records: an honest, empty draft.
    let empty = summary::draft(st, &sum, &p.who(3), o.union, 2001).await.unwrap();
    let e = summary::get(&st.db, &sum, empty).await.unwrap().snapshot.values;
    assert!(e.values().all(|v| *v == 0), "{e:?}");

    // The tasks due within the notice days are due items of the district.
    let due = store::area::due_items(st, &Reach::of(&staff), today()).await.unwrap();
    let ours: Vec<_> = due.iter().filter(|d| d.kind == "due-work-plan-task").collect();
    assert_eq!(ours.len(), 2);
    assert!(ours.iter().all(|d| d.unit == o.union && d.href.starts_with("/plans?")));
});

dual_test!(async fn the_demo_year_has_a_plan_news_with_placements_and_a_district_summary_from_its_figures(t) {
    use domain::auth::SystemCap;
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    store::demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let st = &t.store;
    let all = sys::<perm::SummaryDraft>();
    let list = summary::list(&st.db, &all).await.unwrap();
    assert_eq!(list.len(), 1, "the district's summary");
    let s = &list[0];
    let (values, _) = plan::unit_figures(st, &Reach::of(&all), s.unit, s.year).await.unwrap();
    assert_eq!(s.snapshot.values, values, "the draft states the records' figures");
    assert_eq!(values.get("figure-assistance-files-opened"), Some(&56), "seed 002's 56 files");
    assert!(values.get("figure-correspondent-items-published").copied().unwrap_or(0) > 20);
    assert!(values.get("figure-correspondent-points").copied().unwrap_or(0) > 0);
    let tasks = plan::tasks(&st.db, &all, s.unit, s.year).await.unwrap();
    assert!(tasks.len() >= 5 && tasks.iter().any(|t| t.figure.is_some()));
});
