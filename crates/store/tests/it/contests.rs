//! Contests in the store (issue 18): entries within the dates and the school's quota (the
//! next one refused, nothing written); another school's chair cannot enter for school A
//! nor read its entries before publication; judges see codes only and never their own
//! school's entries; a judge scoring an entry of their own school is refused, and so are
//! points outside a criterion's range (nothing written); publication waits for every
//! entry; the mean drops the extremes; ties share a rank and the better prize; year
//! figures and due items. Both engines.

use domain::auth::{Actor, Role, perm};
use domain::congress::authorize_self;
use domain::contests::*;
use domain::ids::{MemberId, OrgUnitId};
use store::StoreError;
use store::area::Reach;
use store::contests as cs;
use testkit::*;

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

fn draft(quota: u32, prizes: [u32; 4], drop: bool) -> ContestDraft {
    ContestDraft {
        name: "全区教学课件制作比赛".into(),
        kind: ContestKind::Courseware,
        year: 2026,
        rules: String::new(),
        entry_from: today() - chrono::Duration::days(10),
        entry_until: today() + chrono::Duration::days(5),
        judging_until: today() + chrono::Duration::days(20),
        quota,
        drop_extremes: drop,
        prizes,
        categories: vec!["小学组".into()],
        criteria: vec![
            CriterionDraft {
                name: "教学设计".into(),
                weight: 60,
                max: 10,
            },
            CriterionDraft {
                name: "技术应用".into(),
                weight: 40,
                max: 5,
            },
        ],
    }
}

fn judge_actor(m: MemberId, school: OrgUnitId) -> Actor {
    let mut a = actor(&[(Role::Member, school)]);
    a.member = Some(m);
    a
}

fn entry(school: OrgUnitId, title: &str) -> cs::EntryInput {
    cs::EntryInput {
        school,
        category: None,
        title: title.into(),
        entrants: format!("{title}的作者"),
        team: false,
    }
}

dual_test!(async fn contests_quota_deadline_blind_sheets_conflicts_and_published_ties(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::ContestManage>().unwrap();
    let id = cs::create(st, &manage, &who(), o.union, &draft(2, [1, 1, 0, 2], false)).await.unwrap();

    // School A enters twice; the third is over its quota; nothing is written.
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]);
    let enter_a = chair_a.authorize::<perm::ContestEnter>().unwrap();
    let a1 = cs::submit_entry(st, &enter_a, &who(), id, &entry(o.school_a, "甲一"), today()).await.unwrap();
    let a2 = cs::submit_entry(st, &enter_a, &who(), id, &entry(o.school_a, "甲二"), today()).await.unwrap();
    let e = cs::submit_entry(st, &enter_a, &who(), id, &entry(o.school_a, "甲三"), today()).await.unwrap_err();
    assert_eq!(key_of(e), text::OVER_QUOTA);
    // After the deadline: refused.
    let chair_a2 = actor(&[(Role::SchoolChair, o.school_a2)]);
    let enter_a2 = chair_a2.authorize::<perm::ContestEnter>().unwrap();
    let late = today() + chrono::Duration::days(6);
    let e = cs::submit_entry(st, &enter_a2, &who(), id, &entry(o.school_a2, "乙迟"), late).await.unwrap_err();
    assert_eq!(key_of(e), text::ENTRY_CLOSED);
    let c1 = cs::submit_entry(st, &enter_a2, &who(), id, &entry(o.school_a2, "丙一"), today()).await.unwrap();
    // School B's chair cannot enter for school A (as if it did not exist).
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let enter_b = chair_b.authorize::<perm::ContestEnter>().unwrap();
    let e = cs::submit_entry(st, &enter_b, &who(), id, &entry(o.school_a, "冒名"), today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    let b1 = cs::submit_entry(st, &enter_b, &who(), id, &entry(o.school_b, "乙一"), today()).await.unwrap();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM contest_entry").await, 4);
    // Before publication B's chair sees the contest and B's entries only, no results.
    let view_b = chair_b.authorize::<perm::ContestView>().unwrap();
    let seen = cs::entries(&st.db, &view_b, id).await.unwrap();
    assert_eq!(seen.iter().map(|e| e.id).collect::<Vec<_>>(), vec![b1]);
    assert!(matches!(cs::results(&st.db, &view_b, id).await.unwrap_err(), StoreError::NotFound));
    assert_eq!(cs::list(&st.db, &view_b, 2026).await.unwrap()[0].entries, 1);

    // Judges from schools A, A2 and B; their own schools are conflicts.
    let ja = member(st, o.school_a, "甲校评委", 31).await;
    let jc = member(st, o.school_a2, "丙校评委", 32).await;
    let jb = member(st, o.school_b, "乙校评委", 33).await;
    for m in [ja, jc, jb] {
        cs::add_judge(st, &manage, &who(), id, m, &[]).await.unwrap();
    }
    assert_eq!(key_of(cs::add_judge(st, &manage, &who(), id, ja, &[]).await.unwrap_err()), text::JUDGE_EXISTS);
    // No scoring before the judging opens.
    let acting_a = authorize_self::<perm::ContestJudge>(&judge_actor(ja, o.school_a)).unwrap();
    let crit = cs::sheet(&st.db, &acting_a, id).await.unwrap().criteria;
    let pts = |a: i64, b: i64| vec![(crit[0].id, a), (crit[1].id, b)];
    let e = cs::score(st, &acting_a, &who(), id, b1, &pts(5, 5)).await.unwrap_err();
    assert_eq!(key_of(e), text::NOT_JUDGING);
    cs::start_judging(st, &manage, &who(), id).await.unwrap();
    let e = cs::submit_entry(st, &enter_b, &who(), id, &entry(o.school_b, "乙二"), today()).await.unwrap_err();
    assert_eq!(key_of(e), text::ENTRY_CLOSED);

    // The blind sheet of A's judge: codes of the other schools' entries only.
    let sheet = cs::sheet(&st.db, &acting_a, id).await.unwrap();
    let mut on_sheet: Vec<_> = sheet.lines.iter().map(|l| l.entry).collect();
    on_sheet.sort();
    assert_eq!(on_sheet, { let mut v = vec![c1, b1]; v.sort(); v });
    assert!(sheet.lines.iter().all(|l| l.code.len() == 6 && !l.code.contains('甲')));
    // Scoring one's own school's entry: refused; out of range: refused; nothing written.
    let e = cs::score(st, &acting_a, &who(), id, a1, &pts(5, 5)).await.unwrap_err();
    assert_eq!(key_of(e), text::CONFLICT);
    let e = cs::score(st, &acting_a, &who(), id, b1, &pts(11, 5)).await.unwrap_err();
    assert_eq!(key_of(e), text::POINTS_RANGE);
    let e = cs::score(st, &acting_a, &who(), id, b1, &pts(5, -1)).await.unwrap_err();
    assert_eq!(key_of(e), text::POINTS_RANGE);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM contest_score").await, 0);
    // A member who is no judge of this contest: as if it did not exist.
    let stranger = member(st, o.school_b, "乙校旁人", 34).await;
    let acting_s = authorize_self::<perm::ContestJudge>(&judge_actor(stranger, o.school_b)).unwrap();
    assert!(matches!(cs::sheet(&st.db, &acting_s, id).await.unwrap_err(), StoreError::NotFound));

    // Scores: a1 and a2 tie, c1 is best, b1 last.
    let acting_c = authorize_self::<perm::ContestJudge>(&judge_actor(jc, o.school_a2)).unwrap();
    let acting_b = authorize_self::<perm::ContestJudge>(&judge_actor(jb, o.school_b)).unwrap();
    cs::score(st, &acting_a, &who(), id, c1, &pts(10, 5)).await.unwrap();
    cs::score(st, &acting_a, &who(), id, b1, &pts(4, 2)).await.unwrap();
    // Publication waits for every entry.
    let e = cs::publish(st, &manage, &who(), id, today()).await.unwrap_err();
    assert_eq!(key_of(e), text::UNSCORED);
    for (acting, e, a, b) in [
        (&acting_c, a1, 8, 4), (&acting_c, a2, 8, 4), (&acting_c, b1, 5, 2),
        (&acting_b, a1, 7, 3), (&acting_b, a2, 7, 3), (&acting_b, c1, 9, 5),
    ] {
        cs::score(st, acting, &who(), id, e, &pts(a, b)).await.unwrap();
    }
    // Correcting a sheet replaces it.
    cs::score(st, &acting_b, &who(), id, c1, &pts(10, 5)).await.unwrap();
    // The organizer's preview before publication.
    let view_staff = staff.authorize::<perm::ContestView>().unwrap();
    let preview = cs::results(&st.db, &view_staff, id).await.unwrap();
    assert_eq!(preview[0].entry, c1);
    let prizes = cs::publish(st, &manage, &who(), id, today()).await.unwrap();
    // c1: 100; a1 = a2 = mean(8/10·60+4/5·40 = 80, 7/10·60+3/5·40 = 66) = 73; b1: mean(40, 46) = 43.
    let r = cs::results(&st.db, &view_b, id).await.unwrap();
    let by = |e| r.iter().find(|l| l.entry == e).unwrap();
    assert_eq!(by(c1).score, Some(10000));
    assert_eq!((by(a1).score, by(a2).score), (Some(7300), Some(7300)));
    assert_eq!(by(b1).score, Some(4300));
    let pl = |e| by(e).placing.unwrap();
    assert_eq!((pl(c1).rank, pl(c1).tier), (1, Some(PrizeTier::First)));
    assert!(pl(a1).tied && pl(a2).tied);
    assert_eq!((pl(a1).rank, pl(a1).tier), (2, Some(PrizeTier::Second)));
    assert_eq!((pl(a2).rank, pl(a2).tier), (2, Some(PrizeTier::Second)));
    // Rank 4 (after the tie) is within 1 + 1 + 0 + 2: the merit award.
    assert_eq!((pl(b1).rank, pl(b1).tier), (4, Some(PrizeTier::Merit)));
    assert_eq!(prizes, 4);
    // Published: no more scores, no second publication.
    assert_eq!(key_of(cs::score(st, &acting_a, &who(), id, b1, &pts(1, 1)).await.unwrap_err()), text::NOT_JUDGING);
    assert_eq!(key_of(cs::publish(st, &manage, &who(), id, today()).await.unwrap_err()), text::NOT_JUDGING);

    // Year figures per school and in one reach; another area's lead sees nothing of A.
    let reach = Reach::of(&view_staff);
    let figs = cs::year_figures(st, &reach, 2026).await.unwrap();
    let v = |k: &str, u: OrgUnitId| figs.iter().find(|f| f.key == k && f.unit == u).map(|f| f.value);
    assert_eq!(v("figure-contests-entries", o.school_a), Some(2));
    assert_eq!(v("figure-contests-prizes", o.school_a), Some(2));
    assert_eq!(v("figure-contests-prizes", o.school_b), Some(1));
    let lead_b = actor(&[(Role::AreaLead, o.area_b)]).authorize::<perm::ContestView>().unwrap();
    let figs_b = cs::year_figures(st, &Reach::of(&lead_b), 2026).await.unwrap();
    assert!(figs_b.iter().all(|f| f.unit == o.school_b), "{figs_b:?}");
});

dual_test!(async fn contests_drop_extremes_and_due_items(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::ContestManage>().unwrap();
    let id = cs::create(st, &manage, &who(), o.union, &draft(0, [1, 0, 0, 0], true)).await.unwrap();
    let enter = sys::<perm::ContestEnter>();
    let e1 = cs::submit_entry(st, &enter, &who(), id, &entry(o.school_b, "乙一"), today()).await.unwrap();
    // Due: the entry deadline within 14 days, for the organizer's staff.
    let reach = Reach::of(&staff.authorize::<perm::ContestView>().unwrap());
    let due = cs::due_items(st, &reach, today()).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind, "due-contests-entries");
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(cs::due_items(st, &Reach::of(&chair_b.authorize::<perm::ContestView>().unwrap()), today()).await.unwrap().is_empty());
    // Four judges from school A and A2: 90, 80, 70, 10 → without the extremes 75.
    let mut actings = Vec::new();
    for (i, s) in [o.school_a, o.school_a, o.school_a2, o.school_a2].into_iter().enumerate() {
        let m = member(st, s, &format!("评委{i}"), 40 + i as u32).await;
        cs::add_judge(st, &manage, &who(), id, m, &[]).await.unwrap();
        actings.push(authorize_self::<perm::ContestJudge>(&judge_actor(m, s)).unwrap());
    }
    cs::start_judging(st, &manage, &who(), id).await.unwrap();
    let crit = cs::sheet(&st.db, &actings[0], id).await.unwrap().criteria;
    for (acting, p) in actings.iter().zip([(9, 9), (8, 8), (7, 7), (1, 1)]) {
        // 9/10·60 + 9/5·40 would pass the second range: keep it in 0..=5.
        let b = (p.1 * 5) / 10;
        cs::score(st, acting, &who(), id, e1, &[(crit[0].id, p.0), (crit[1].id, b)]).await.unwrap();
    }
    // The judging deadline (in 20 days) is due within 14 days of a later day.
    assert!(cs::due_items(st, &reach, today()).await.unwrap().is_empty());
    let due = cs::due_items(st, &reach, today() + chrono::Duration::days(10)).await.unwrap();
    assert_eq!(due[0].kind, "due-contests-judging");
    cs::publish(st, &manage, &who(), id, today()).await.unwrap();
    let r = cs::results(&st.db, &staff.authorize::<perm::ContestView>().unwrap(), id).await.unwrap();
    // Sheets: 9/10·60+4/5·40 = 86, 8→48+32 = 80, 7→42+24 = 66, 1→6+0 = 6; drop 86 and 6 → 73.
    assert_eq!(r[0].score, Some(7300));
    assert!(cs::due_items(st, &reach, today()).await.unwrap().is_empty());
});
