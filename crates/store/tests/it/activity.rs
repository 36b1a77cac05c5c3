//! Activities in the store (issue 20): places are a hard limit under concurrent sign-ups,
//! the waiting list is kept in arrival order and promoted on cancellation, bad sign-ups
//! (twice, after the last day, outside the audience, another union's activity) are refused
//! or look missing, check-in needs the code, a place and the day; year figures and due
//! items. Both engines.

use chrono::{Duration, NaiveTime};
use domain::activity::*;
use domain::auth::{Role, perm};
use domain::congress::{Acting, authorize_self};
use domain::ids::{MemberId, OrgUnitId};
use store::StoreError;
use store::activity as act;
use store::area::Reach;
use testkit::*;

fn at(days: i64, h: u32) -> chrono::DateTime<chrono::Utc> {
    store::congress::meetings::beijing(
        today() + Duration::days(days),
        NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
    )
}

fn draft(unit: OrgUnitId, capacity: i64, audience: Audience) -> ActivityDraft {
    ActivityDraft {
        unit,
        title: "教职工气排球赛".into(),
        place: "体育馆".into(),
        date: today() + Duration::days(10),
        time: NaiveTime::from_hms_opt(14, 30, 0).unwrap(),
        closes: today() + Duration::days(5),
        capacity,
        audience,
        tags: vec![ActivityTag::Sports],
    }
}

fn acting(m: MemberId, school: OrgUnitId) -> Acting<perm::ActivityJoin> {
    let mut a = actor(&[(Role::Member, school)]);
    a.member = Some(m);
    authorize_self::<perm::ActivityJoin>(&a).unwrap()
}

fn field_of(e: StoreError) -> (&'static str, &'static str) {
    match e {
        StoreError::Invalid(f) => (f.0[0].field, f.0[0].key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn create(st: &store::Store, d: &ActivityDraft) -> ActivityId {
    act::create(st, &sys(), &who(), d).await.unwrap()
}

dual_test!(async fn concurrent_sign_ups_never_exceed_the_places_and_wait_in_arrival_order(t) {
    let st = &t.store;
    let o = org(st).await;
    let id = create(st, &draft(o.union, 5, Audience::Everyone)).await;
    let mut people = Vec::new();
    for i in 0..24u32 {
        let school = if i % 2 == 0 { o.school_a } else { o.school_b };
        people.push((member(st, school, &format!("报名{i}"), 100 + i).await, school));
    }
    // Everyone at once: 24 sign-ups racing for 5 places.
    let tasks: Vec<_> = people
        .iter()
        .map(|(m, s)| {
            let st = st.clone();
            let a = acting(*m, *s);
            tokio::spawn(async move { act::sign_up(&st, &a, &who(), id, at(0, 9)).await })
        })
        .collect();
    let mut confirmed = 0;
    let mut positions = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            SignupOutcome::Confirmed => confirmed += 1,
            SignupOutcome::Waiting(n) => positions.push(n),
        }
    }
    assert_eq!(confirmed, 5, "exactly the places");
    positions.sort();
    assert_eq!(positions, (1..=19).collect::<Vec<i64>>(), "each waiting place given once");
    let row = act::get(&st.db, &sys(), id).await.unwrap();
    assert_eq!((row.confirmed, row.waiting), (5, 19));
    let rows = act::signups(&st.db, &sys(), id).await.unwrap();
    let stored_confirmed = rows.iter().filter(|r| r.status == SignupStatus::Confirmed).count();
    assert_eq!(stored_confirmed, 5);

    // A confirmed member cancels: the first in line (lowest sequence) takes the place.
    let first_waiting = rows.iter().find(|r| r.status == SignupStatus::Waiting).unwrap().member;
    let leaver = rows.iter().find(|r| r.status == SignupStatus::Confirmed).unwrap().member;
    let school = people.iter().find(|p| p.0 == leaver).unwrap().1;
    let promoted = act::cancel(st, &acting(leaver, school), &who(), id, at(1, 9)).await.unwrap();
    assert_eq!(promoted, Some(first_waiting));
    let row = act::get(&st.db, &sys(), id).await.unwrap();
    assert_eq!((row.confirmed, row.waiting), (5, 18));
    // The promoted member sees their place; a due item tells them (and only them).
    let promoted_school = people.iter().find(|p| p.0 == first_waiting).unwrap().1;
    let mine = act::for_member(st, &acting(first_waiting, promoted_school), today()).await.unwrap();
    assert_eq!(mine[0].mine, Some(SignupStatus::Confirmed));
    let due = act::due_items(st, &Reach::system(&domain::auth::SystemCap::for_cli()), today()).await.unwrap();
    assert!(due.iter().any(|d| d.kind == "due-activity-promoted" && d.concerns == vec![domain::area::Concerns::Member(first_waiting)]), "{due:?}");
    // A waiting member who cancels frees nothing: the count of places stays.
    let waiting = act::signups(&st.db, &sys(), id).await.unwrap().into_iter().find(|r| r.status == SignupStatus::Waiting).unwrap().member;
    let school = people.iter().find(|p| p.0 == waiting).unwrap().1;
    assert_eq!(act::cancel(st, &acting(waiting, school), &who(), id, at(1, 10)).await.unwrap(), None);
    let row = act::get(&st.db, &sys(), id).await.unwrap();
    assert_eq!((row.confirmed, row.waiting), (5, 17));
});

dual_test!(async fn two_sign_ups_for_the_last_place_never_both_get_it(t) {
    let st = &t.store;
    let o = org(st).await;
    for round in 0..5u32 {
        let id = create(st, &draft(o.union, 1, Audience::Everyone)).await;
        let a = member(st, o.school_a, &format!("甲{round}"), 200 + round * 2).await;
        let b = member(st, o.school_b, &format!("乙{round}"), 201 + round * 2).await;
        let (aa, ab, w) = (acting(a, o.school_a), acting(b, o.school_b), who());
        let (ra, rb) = tokio::join!(
            act::sign_up(st, &aa, &w, id, at(0, 9)),
            act::sign_up(st, &ab, &w, id, at(0, 9)),
        );
        let mut got = vec![ra.unwrap(), rb.unwrap()];
        got.sort_by_key(|g| matches!(g, SignupOutcome::Waiting(_)));
        assert_eq!(got, vec![SignupOutcome::Confirmed, SignupOutcome::Waiting(1)]);
    }
});

dual_test!(async fn bad_sign_ups_are_refused_or_look_missing(t) {
    let st = &t.store;
    let o = org(st).await;
    let m = member(st, o.school_a, "王老师", 301).await; // odd: male
    let me = acting(m, o.school_a);
    // School B's own activity does not exist for a member of school A.
    let of_b = create(st, &draft(o.school_b, 10, Audience::Everyone)).await;
    assert!(matches!(act::sign_up(st, &me, &who(), of_b, at(0, 9)).await, Err(StoreError::NotFound)));
    assert!(act::for_member(st, &me, today()).await.unwrap().is_empty());
    // A women's activity refuses a man; a district activity is open to school A.
    let women = create(st, &draft(o.union, 10, Audience::Women)).await;
    let e = act::sign_up(st, &me, &who(), women, at(0, 9)).await.unwrap_err();
    assert_eq!(field_of(e), ("activity", text::NOT_IN_AUDIENCE));
    let id = create(st, &draft(o.union, 10, Audience::Everyone)).await;
    // After the last day.
    let e = act::sign_up(st, &me, &who(), id, at(6, 9)).await.unwrap_err();
    assert_eq!(field_of(e), ("activity", text::SIGNUP_CLOSED));
    // Twice.
    assert_eq!(act::sign_up(st, &me, &who(), id, at(0, 9)).await.unwrap(), SignupOutcome::Confirmed);
    let e = act::sign_up(st, &me, &who(), id, at(0, 10)).await.unwrap_err();
    assert_eq!(field_of(e), ("activity", text::ALREADY_SIGNED_UP));
    // A member acting for someone else of another school reaches nothing: the capability's
    // scope is the member's own school.
    let other = member(st, o.school_b, "外校", 303).await;
    let mut forged = actor(&[(Role::Member, o.school_a)]);
    forged.member = Some(other);
    let forged = authorize_self::<perm::ActivityJoin>(&forged).unwrap();
    assert!(matches!(act::sign_up(st, &forged, &who(), id, at(0, 9)).await, Err(StoreError::NotFound)));
    // Another school's chair sees nothing of school B's activity.
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::ActivityManage>().unwrap();
    assert!(matches!(act::get(&st.db, &chair_a, of_b).await, Err(StoreError::NotFound)));
    assert!(matches!(act::signups(&st.db, &chair_a, of_b).await, Ok(v) if v.is_empty()));
    assert!(matches!(act::checkin_code(&st.db, &chair_a, of_b).await, Err(StoreError::NotFound)));
    let e = act::create(st, &chair_a, &who(), &draft(o.school_b, 5, Audience::Everyone)).await.unwrap_err();
    assert_eq!(field_of(e), ("unit", text::UNIT_INVALID));
});

dual_test!(async fn check_in_needs_the_code_a_place_and_the_day(t) {
    let st = &t.store;
    let o = org(st).await;
    let id = create(st, &draft(o.school_a, 1, Audience::Everyone)).await;
    let a = member(st, o.school_a, "签到甲", 401).await;
    let b = member(st, o.school_a, "签到乙", 403).await;
    act::sign_up(st, &acting(a, o.school_a), &who(), id, at(0, 9)).await.unwrap();
    act::sign_up(st, &acting(b, o.school_a), &who(), id, at(0, 9)).await.unwrap();
    let code = act::checkin_code(&st.db, &sys(), id).await.unwrap();
    let e = act::check_in(st, &acting(a, o.school_a), &who(), id, "wrong", at(10, 14)).await.unwrap_err();
    assert_eq!(field_of(e), ("code", text::CODE_WRONG));
    let e = act::check_in(st, &acting(a, o.school_a), &who(), id, &code, at(9, 14)).await.unwrap_err();
    assert_eq!(field_of(e), ("code", text::CHECKIN_NOT_TODAY));
    let e = act::check_in(st, &acting(b, o.school_a), &who(), id, &code, at(10, 14)).await.unwrap_err();
    assert_eq!(field_of(e), ("member", text::NOT_CONFIRMED), "waiting is not a place");
    act::check_in(st, &acting(a, o.school_a), &who(), id, &code, at(10, 14)).await.unwrap();
    let e = act::check_in(st, &acting(a, o.school_a), &who(), id, &code, at(10, 15)).await.unwrap_err();
    assert_eq!(field_of(e), ("member", text::ALREADY_CHECKED_IN));
    // Cancelling after the start is refused.
    let e = act::cancel(st, &acting(a, o.school_a), &who(), id, at(10, 15)).await.unwrap_err();
    assert_eq!(field_of(e), ("activity", text::STARTED));
    // Attendance per school and the year figures (two queries).
    assert_eq!(act::by_school(&st.db, &sys(), id).await.unwrap(), vec![("甲一小学工会".to_string(), 1, 1)]);
    let reach = Reach::system(&domain::auth::SystemCap::for_cli());
    let year = domain::congress::school_year(today());
    let before = st.db.query_count();
    let figures = act::year_figures(st, &reach, year).await.unwrap();
    assert_eq!(st.db.query_count() - before, 2);
    let value = |k: &str| figures.iter().filter(|f| f.key == k).map(|f| f.value).sum::<i64>();
    assert_eq!(value("figure-activity-held"), 1);
    assert_eq!(value("figure-activity-participants"), 1);
    // Sign-up closing within a week is due for the school's chair.
    let due = act::due_items(st, &reach, today()).await.unwrap();
    assert!(due.iter().any(|d| d.kind == "due-activity-signup-closes" && d.unit == o.school_a));
    // Every change was audited.
    let n: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'activity%'").fetch_one(p).await).unwrap();
    assert!(n >= 4, "{n}");
});

dual_test!(async fn the_demo_year_has_the_seeds_activities_with_a_waiting_list_and_a_promotion(t) {
    use domain::auth::SystemCap;
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    store::demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let st = &t.store;
    let all = act::list(&st.db, &sys(), &act::ActivityFilter::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    assert!(all.iter().any(|a| a.title == "庆三八女职工趣味活动" && a.tags.contains(&ActivityTag::Women)));
    assert!(all.iter().all(|a| a.confirmed <= a.capacity));
    let full = all.iter().find(|a| a.title == "青年教师气排球赛").unwrap();
    assert_eq!(full.confirmed, full.capacity);
    assert!(full.waiting > 0);
    let signups = act::signups(&st.db, &sys(), full.id).await.unwrap();
    assert_eq!(signups.iter().filter(|s| s.promoted).count(), 1, "one promotion after a cancellation");
    let past: i64 = all.iter().filter(|a| a.starts_at < store::now()).map(|a| a.attended).sum();
    assert!(past > 100, "{past} check-ins");
});
