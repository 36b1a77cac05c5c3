//! Members in the store: a chair sees the school only, search by tails, whole numbers and
//! name prefix, filters and keyset pages, query counts that do not grow, edits with
//! history and stale-form refusal, transfer and retirement, cadre positions and the
//! dashboard's member figures.

use domain::auth::{Role, perm};
use domain::org::*;
use store::StoreError;
use store::org::{self, MemberFilter, PageRequest, SortKey, StatusFilter};
use testkit::*;

fn page(limit: i64) -> PageRequest {
    PageRequest {
        after: None,
        before: None,
        limit,
    }
}

dual_test!(async fn a_school_chair_sees_only_the_members_of_the_school(t) {
    let o = org(&t.store).await;
    let a = member(&t.store, o.school_a, "张三", 1).await;
    let b = member(&t.store, o.school_b, "李四", 2).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::MemberView>().unwrap();
    let p = org::list_members(&t.store, &cap, &MemberFilter::default(), &page(50), today()).await.unwrap();
    let names: Vec<_> = p.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["张三"]);
    assert!(org::get_member(&t.store, &cap, a).await.is_ok());
    assert!(matches!(org::get_member(&t.store, &cap, b).await, Err(StoreError::NotFound)));
    // Even naming school B in the filter shows nothing.
    let f = MemberFilter { unit: Some(o.school_b), ..Default::default() };
    assert!(org::list_members(&t.store, &cap, &f, &page(50), today()).await.unwrap().rows.is_empty());
});

dual_test!(async fn members_are_found_by_id_tail_phone_tail_whole_numbers_and_name_prefix(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 10).await;
    member(&t.store, o.school_a, "张三丰", 11).await;
    member(&t.store, o.school_b, "李四", 12).await;
    let cap = sys::<perm::MemberView>();
    let find = |q: String| {
        let cap = &cap;
        let st = &t.store;
        async move {
            let f = MemberFilter { q: Some(q), ..Default::default() };
            org::list_members(st, cap, &f, &page(50), today()).await.unwrap().rows.into_iter().map(|r| r.name).collect::<Vec<_>>()
        }
    };
    let id = id_number(12, false);
    assert_eq!(find(id[14..].to_string()).await, ["李四"], "last four of the ID number");
    assert_eq!(find(id.clone()).await, ["李四"], "whole ID number");
    assert_eq!(find("00000011".chars().rev().take(4).collect::<String>().chars().rev().collect()).await, ["张三丰"], "last four of the phone");
    assert_eq!(find("13800000010".into()).await, ["张三"], "whole phone");
    assert_eq!(find("张三".into()).await, ["张三", "张三丰"], "name prefix");
    assert!(find("王".into()).await.is_empty());
    let rows = org::list_members(&t.store, &cap, &MemberFilter::default(), &page(50), today()).await.unwrap().rows;
    let z = rows.iter().find(|r| r.name == "张三").unwrap();
    // Masks keep the last four characters only (issue 12).
    assert_eq!(z.id_number_masked, format!("**************{}", &id_number(10, false)[14..]));
    assert_eq!(z.phone_masked.as_deref(), Some("*******0010"));
});

dual_test!(async fn filters_combine_and_age_bands_use_birth_dates(t) {
    let o = org(&t.store).await;
    let cap = sys::<perm::MemberEdit>();
    let mut young = input("青年", 1);
    young.id_number = {
        let body = "33010220000101002";
        format!("{body}{}", IdNumber::check_char(body))
    };
    let young = young.parse(today()).unwrap();
    org::create_member(&t.store, &cap, &who(), o.school_a, None, &young, today()).await.unwrap();
    let mut worker = input("工勤", 3);
    worker.post = "工勤".into();
    org::create_member(&t.store, &cap, &who(), o.school_a, None, &worker.parse(today()).unwrap(), today()).await.unwrap();
    let view = sys::<perm::MemberView>();
    let f = MemberFilter { age_band: Some(AgeBand::From30To39), ..Default::default() };
    assert_eq!(org::list_members(&t.store, &view, &f, &page(50), today()).await.unwrap().rows.len(), 0);
    let f = MemberFilter { age_band: Some(AgeBand::Under30), ..Default::default() };
    let names: Vec<_> = org::list_members(&t.store, &view, &f, &page(50), today()).await.unwrap().rows.into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["青年"]);
    let f = MemberFilter { post: Some(Post::Worker), gender: Some(Gender::Male), ..Default::default() };
    let names: Vec<_> = org::list_members(&t.store, &view, &f, &page(50), today()).await.unwrap().rows.into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["工勤"]);
});

dual_test!(async fn keyset_pages_walk_forwards_and_back_without_overlap(t) {
    let o = org(&t.store).await;
    for i in 0..23u32 {
        member(&t.store, o.school_a, &format!("成员{:02}", i), 100 + i).await;
    }
    let cap = sys::<perm::MemberView>();
    for sort in [SortKey::Name, SortKey::BirthDate, SortKey::Recent] {
        for desc in [false, true] {
            let f = MemberFilter { sort, desc, ..Default::default() };
            let mut seen = Vec::new();
            let mut req = page(10);
            let mut pages = Vec::new();
            loop {
                let p = org::list_members(&t.store, &cap, &f, &req, today()).await.unwrap();
                assert_eq!(p.total, Some(23));
                seen.extend(p.rows.iter().map(|r| r.id));
                pages.push(p.rows.iter().map(|r| r.id).collect::<Vec<_>>());
                match p.next {
                    Some(c) => req = PageRequest { after: Some(c), before: None, limit: 10 },
                    None => break,
                }
            }
            assert_eq!(seen.len(), 23, "{sort:?} {desc}");
            let mut uniq = seen.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), 23);
            // Walking back from the last page gives the pages in reverse.
            let mut back_req = PageRequest { after: None, before: None, limit: 10 };
            let mut p = org::list_members(&t.store, &cap, &f, &PageRequest { after: None, before: None, limit: 10 }, today()).await.unwrap();
            while let Some(n) = p.next.clone() {
                p = org::list_members(&t.store, &cap, &f, &PageRequest { after: Some(n), before: None, limit: 10 }, today()).await.unwrap();
            }
            let mut walked = vec![p.rows.iter().map(|r| r.id).collect::<Vec<_>>()];
            while let Some(prev) = p.prev.clone() {
                back_req.before = Some(prev);
                p = org::list_members(&t.store, &cap, &f, &back_req, today()).await.unwrap();
                walked.push(p.rows.iter().map(|r| r.id).collect());
            }
            walked.reverse();
            assert_eq!(walked, pages, "{sort:?} {desc}");
        }
    }
});

dual_test!(async fn previous_page_returns_the_rows_before_the_cursor(t) {
    let o = org(&t.store).await;
    for i in 0..15u32 {
        member(&t.store, o.school_a, &format!("成员{:02}", i), 200 + i).await;
    }
    let cap = sys::<perm::MemberView>();
    let f = MemberFilter::default();
    let first = org::list_members(&t.store, &cap, &f, &page(5), today()).await.unwrap();
    assert!(first.prev.is_none());
    let second = org::list_members(&t.store, &cap, &f, &PageRequest { after: first.next.clone(), before: None, limit: 5 }, today()).await.unwrap();
    assert_eq!(second.rows[0].name, "成员05");
    let back = org::list_members(&t.store, &cap, &f, &PageRequest { after: None, before: second.prev.clone(), limit: 5 }, today()).await.unwrap();
    let a: Vec<_> = back.rows.iter().map(|r| r.id).collect();
    let b: Vec<_> = first.rows.iter().map(|r| r.id).collect();
    assert_eq!(a, b);
    assert!(back.prev.is_none());
    assert!(back.next.is_some());
});

dual_test!(async fn the_list_costs_the_same_number_of_queries_for_10_or_200_members(t) {
    let o = org(&t.store).await;
    let cap = sys::<perm::MemberView>();
    let f = MemberFilter { q: Some("成".into()), ..Default::default() };
    for i in 0..10u32 {
        member(&t.store, o.school_a, &format!("成员{i}"), 300 + i).await;
    }
    let before = t.db().query_count();
    org::list_members(&t.store, &cap, &f, &page(50), today()).await.unwrap();
    let small = t.db().query_count() - before;
    for i in 10..200u32 {
        member(&t.store, o.school_a, &format!("成员{i}"), 300 + i).await;
    }
    let before = t.db().query_count();
    let p = org::list_members(&t.store, &cap, &f, &page(50), today()).await.unwrap();
    let large = t.db().query_count() - before;
    assert_eq!(p.rows.len(), 50);
    assert_eq!(small, large);
    assert!(large <= 2, "{large} queries");
});

dual_test!(async fn an_edit_keeps_history_rejects_stale_forms_and_duplicate_ids(t) {
    let o = org(&t.store).await;
    let cap = sys::<perm::MemberEdit>();
    let a = member(&t.store, o.school_a, "张三", 1).await;
    member(&t.store, o.school_a, "李四", 2).await;
    let view = sys::<perm::MemberView>();
    let m = org::get_member(&t.store, &view, a).await.unwrap();
    let mut d = draft("张三", 1);
    d.title = Some(ProfessionalTitle::Intermediate);
    org::update_member(&t.store, &cap, &who(), a, m.version, Some(o.branch_a1), &d).await.unwrap();
    let m2 = org::get_member(&t.store, &view, a).await.unwrap();
    assert_eq!(m2.title, Some(ProfessionalTitle::Intermediate));
    assert_eq!(m2.branch_name.as_deref(), Some("语文组"));
    // The old version is stale now.
    let e = org::update_member(&t.store, &cap, &who(), a, m.version, None, &d).await.unwrap_err();
    assert!(matches!(e, StoreError::Stale));
    // Taking another member's ID number is refused.
    let dup = draft("张三", 2);
    let e = org::update_member(&t.store, &cap, &who(), a, m2.version, None, &dup).await.unwrap_err();
    match e { StoreError::Invalid(f) => assert_eq!(f.0[0].key, domain::text::ID_EXISTS), other => panic!("{other:?}") }
    // A branch of another school is refused.
    let e = org::update_member(&t.store, &cap, &who(), a, m2.version, Some(o.school_b), &d).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)));
});

dual_test!(async fn transfer_and_retirement_keep_the_member_and_the_history(t) {
    let o = org(&t.store).await;
    let cap = sys::<perm::MemberEdit>();
    let a = member(&t.store, o.school_a, "张三", 1).await;
    let d1 = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    org::transfer_member(&t.store, &cap, &who(), a, o.school_b, None, d1, Some("调动".into())).await.unwrap();
    let d2 = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    org::change_status(&t.store, &cap, &who(), a, MemberStatus::Retired, d2, None).await.unwrap();
    let view = sys::<perm::MemberView>();
    let m = org::get_member(&t.store, &view, a).await.unwrap();
    assert_eq!(m.school_union_id, o.school_b);
    assert_eq!(m.status, MemberStatus::Retired);
    // Retirees stay members: the default list shows them.
    let p = org::list_members(&t.store, &view, &MemberFilter::default(), &page(10), today()).await.unwrap();
    assert_eq!(p.rows.len(), 1);
    let f = MemberFilter { status: StatusFilter::Only(MemberStatus::Active), ..Default::default() };
    assert!(org::list_members(&t.store, &view, &f, &page(10), today()).await.unwrap().rows.is_empty());
    let h = org::history(&t.store, &view, a).await.unwrap();
    assert!(matches!(h.last(), Some(org::HistoryEvent::Status { status: MemberStatus::Retired, .. })));
    assert!(h.iter().any(|e| matches!(e, org::HistoryEvent::Transfer { to_school, .. } if to_school == "乙一小学工会")));
    // A retiree is not transferred.
    assert!(org::transfer_member(&t.store, &cap, &who(), a, o.school_a, None, d2, None).await.is_err());
});

dual_test!(async fn a_chair_cannot_transfer_into_a_school_outside_the_scope(t) {
    let o = org(&t.store).await;
    let a = member(&t.store, o.school_a, "张三", 1).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::MemberEdit>().unwrap();
    let e = org::transfer_member(&t.store, &cap, &who(), a, o.school_b, None, today(), None).await.unwrap_err();
    match e { StoreError::Invalid(f) => assert_eq!(f.0[0].key, domain::text::SCHOOL_OUT_OF_SCOPE), other => panic!("{other:?}") }
});

dual_test!(async fn cadre_positions_are_recorded_and_ended(t) {
    let o = org(&t.store).await;
    let a = member(&t.store, o.school_a, "张三", 1).await;
    let cap = sys::<perm::MemberEdit>();
    org::add_cadre_position(&t.store, &cap, &who(), a, o.school_a, CadrePosition::Chair, today()).await.unwrap();
    let view = sys::<perm::MemberView>();
    let c = org::cadre_positions(&t.store, &view, a).await.unwrap();
    assert_eq!(c.len(), 1);
    org::end_cadre_position(&t.store, &cap, &who(), a, c[0].id, today()).await.unwrap();
    assert_eq!(org::cadre_positions(&t.store, &view, a).await.unwrap()[0].end_date, Some(today()));
});

dual_test!(async fn dashboard_figures_add_up_by_school_gender_age_and_status(t) {
    let o = org(&t.store).await;
    for i in 0..3u32 {
        member(&t.store, o.school_a, &format!("甲{i}"), 40 + i).await;
    }
    let b = member(&t.store, o.school_b, "乙", 50).await;
    org::change_status(&t.store, &sys(), &who(), b, MemberStatus::Retired, today(), None).await.unwrap();
    let s = org::stats::member_stats(t.db(), &sys(), None, today()).await.unwrap();
    assert_eq!((s.active, s.retired), (3, 1));
    let by: Vec<(String, i64, i64)> = s.by_unit.iter().map(|(_, n, a, r)| (n.clone(), *a, *r)).collect();
    assert_eq!(by, vec![("乙一小学工会".to_string(), 0, 1), ("甲一小学工会".to_string(), 3, 0)]);
    assert_eq!(s.by_gender.iter().map(|x| x.1).sum::<i64>(), 4);
    assert_eq!(s.by_age.iter().map(|x| x.1).sum::<i64>(), 4);
    // Within one school, and for a chair of another school nothing of school A.
    let s = org::stats::member_stats(t.db(), &sys(), Some(o.school_a), today()).await.unwrap();
    assert_eq!((s.active, s.retired), (3, 0));
    let chair = actor(&[(Role::SchoolChair, o.school_b)]);
    let s = org::stats::member_stats(t.db(), &chair.authorize().unwrap(), None, today()).await.unwrap();
    assert_eq!((s.active, s.retired), (0, 1));
});
