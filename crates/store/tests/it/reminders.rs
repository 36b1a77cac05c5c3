//! The reminder scan in the store (`store::notify::remind_due` / `deliver_due`): each step
//! of a due item is sent once (a re-run sends nothing), escalation reaches the unit above
//! only after its delay, quiet hours hold e-mail until morning, the digest bundles, a
//! ballot still to cast is told to that delegate only (never to a group robot, never to a
//! chair's reach), and the scan's query count does not grow with the items. Both engines.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::area::{Concerns, DueItem};
use domain::auth::{Role, SystemCap, perm};
use domain::ids::{AccountId, MemberId, OrgUnitId};
use store::Store;
use store::auth::NewAccount;
use store::notify::{self, Prefs};
use testkit::hall::{hall, open_motion};
use testkit::*;

async fn account(
    st: &Store,
    name: &str,
    role: Role,
    unit: OrgUnitId,
    member: Option<MemberId>,
) -> AccountId {
    let id = store::auth::create_account_system(
        &SystemCap::for_cli(),
        st,
        &who(),
        &NewAccount {
            username: name.into(),
            display_name: name.into(),
            member,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    grant_as_cli(st, id, role, unit).await;
    id
}

fn item(key: &str, unit: OrgUnitId, due: NaiveDate, concerns: Vec<Concerns>) -> DueItem {
    DueItem {
        area: "congress".into(),
        kind: "due-congress-proposal-reply".into(),
        key: key.into(),
        unit,
        title: "维修饮水机".into(),
        due,
        concerns,
        href: "/proposals/1".into(),
    }
}

/// 10:00 China time on `d`.
fn morning(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(2, 0, 0).unwrap().and_utc()
}

async fn inbox_of(st: &Store, a: AccountId) -> Vec<String> {
    store::inbox::list(&st.db, a, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.message.kind.key().to_string())
        .collect()
}

async fn jobs(st: &Store) -> Vec<(String, String, Option<i64>, DateTime<Utc>, String)> {
    store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT channel, idempotency_key, account_id, run_at, payload FROM job ORDER BY id"
    )
    .fetch_all(p)
    .await)
    .unwrap()
}

dual_test!(async fn a_reply_escalates_along_the_rule_sets_chain_only_after_each_delay_and_each_step_is_sent_once(t) {
    let st = &t.store;
    let o = org(st).await;
    let dept = account(st, "dept", Role::HandlingDepartment, o.branch_a1, None).await;
    let committee = account(st, "committee", Role::ProposalsCommittee, o.school_a, None).await;
    let chair = account(st, "chair", Role::SchoolChair, o.school_a, None).await;
    let lead = account(st, "lead", Role::AreaLead, o.area_a, None).await;
    let due = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let items = vec![item("p:1:1", o.school_a, due, vec![Concerns::Role { role: Role::HandlingDepartment, unit: o.branch_a1 }])];
    // Eight days before: nothing yet. Seven days before: the department hears.
    let r = notify::deliver_due(st, &items, due - Duration::days(8), morning(due - Duration::days(8))).await.unwrap();
    assert_eq!(r.inbox, 0);
    notify::deliver_due(st, &items, due - Duration::days(7), morning(due - Duration::days(7))).await.unwrap();
    assert_eq!(inbox_of(st, dept).await, ["due-before"]);
    // Every later day before the deadline is the same step: sent once.
    for d in 1..7 {
        let day = due - Duration::days(d);
        assert_eq!(notify::deliver_due(st, &items, day, morning(day)).await.unwrap().inbox, 0, "day -{d}");
    }
    let day = due + Duration::days(1);
    notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert_eq!(inbox_of(st, dept).await, ["due-overdue", "due-before"]);
    // Six days overdue: still not escalated; the committee and the chair have heard nothing.
    let day = due + Duration::days(6);
    notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert!(inbox_of(st, committee).await.is_empty(), "no escalation before the delay");
    assert!(inbox_of(st, chair).await.is_empty(), "no escalation before the delay");
    // Seven days overdue, the chain's first level: the school's proposals committee is
    // told (and the department again); the chair not yet.
    let day = due + Duration::days(7);
    let r = notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert_eq!(r.inbox, 2);
    assert_eq!(inbox_of(st, committee).await, ["due-escalated"]);
    assert_eq!(inbox_of(st, dept).await[0], "due-escalated");
    assert!(inbox_of(st, chair).await.is_empty(), "the chair is the second level");
    // A re-run (or a run taken over after a crash) sends nothing twice.
    assert_eq!(notify::deliver_due(st, &items, day, morning(day)).await.unwrap(), notify::ScanOutcome { items: 1, ..Default::default() });
    for d in 8..14 {
        let day = due + Duration::days(d);
        assert_eq!(notify::deliver_due(st, &items, day, morning(day)).await.unwrap().inbox, 0, "day +{d}");
    }
    // Fourteen days overdue, the second level: the school's chair; the area lead never.
    let day = due + Duration::days(14);
    let r = notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert_eq!(r.inbox, 3, "department, committee and chair each hear of the second level");
    assert_eq!(inbox_of(st, chair).await, ["due-escalated"]);
    assert!(inbox_of(st, lead).await.is_empty());
    // Every reminder names the rule-set version that sent it (the built-in one here).
    let sent = store::inbox::list(&st.db, chair, None, 10).await.unwrap();
    assert!(sent[0].message.args.iter().any(|(k, v)| k == "rules" && v == notify::BUILTIN_RULES), "{sent:?}");
    // A school chair's own item escalates to the area lead.
    let term = vec![DueItem { kind: "due-congress-term-expiring".into(), key: "t:1".into(), ..item("", o.school_a, due, vec![Concerns::Role { role: Role::SchoolChair, unit: o.school_a }]) }];
    notify::deliver_due(st, &term, day, morning(day)).await.unwrap();
    assert_eq!(inbox_of(st, lead).await, ["due-escalated"]);
});

dual_test!(async fn a_unions_stored_rule_version_changes_the_chain_and_is_named_by_each_reminder(t) {
    let st = &t.store;
    let o = org(st).await;
    let dept = account(st, "dept", Role::HandlingDepartment, o.branch_a1, None).await;
    let chair = account(st, "chair", Role::SchoolChair, o.school_a, None).await;
    let chair_b = account(st, "chair-b", Role::SchoolChair, o.school_b, None).await;
    let due = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    // School A's union decides: remind 3 days before, go straight to the chair after 2 days.
    let (rules, note) = domain::notify::parse_rules(&{
        let mut m = domain::notify::rules_input(&domain::notify::default_rules());
        m.insert("proposal_reply_before".into(), "3".into());
        m.insert("proposal_reply_after1".into(), "2".into());
        m.insert("proposal_reply_to1".into(), "school_chair".into());
        m.insert("proposal_reply_after2".into(), "".into());
        m.insert("proposal_reply_to2".into(), "".into());
        m.insert("note".into(), "校工会 2026-10 会议".into());
        m
    }).unwrap();
    let cap = actor(&[(Role::UnionStaff, o.union)]).authorize::<perm::RuleSetManage>().unwrap();
    let id = store::rule_sets::add(st, &cap, &who(), notify::RULES_AREA, o.school_a, store::rule_sets::Change { rules: &rules, before: &domain::notify::default_rules(), note }).await.unwrap();
    let a = item("p:1:1", o.school_a, due, vec![Concerns::Role { role: Role::HandlingDepartment, unit: o.branch_a1 }]);
    let b = DueItem { key: "p:2:1".into(), ..item("", o.school_b, due, vec![Concerns::Role { role: Role::SchoolChair, unit: o.school_b }]) };
    let items = vec![a, b];
    // Five days before: school B (built-in: 7 days) is reminded, school A (3 days) not yet.
    let day = due - Duration::days(5);
    notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert!(inbox_of(st, dept).await.is_empty());
    assert_eq!(inbox_of(st, chair_b).await, ["due-before"]);
    let day = due - Duration::days(3);
    notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert_eq!(inbox_of(st, dept).await, ["due-before"]);
    // Two days overdue: school A's chair is told, as its own version says.
    let day = due + Duration::days(2);
    notify::deliver_due(st, &items, day, morning(day)).await.unwrap();
    assert_eq!(inbox_of(st, chair).await, ["due-escalated"]);
    let sent = store::inbox::list(&st.db, chair, None, 10).await.unwrap();
    let want = format!("notify#{id} v1");
    assert!(sent[0].message.args.iter().any(|(k, v)| k == "rules" && *v == want), "{sent:?}");
    // The store keeps every version; a new one is version 2 and the history lists both.
    store::rule_sets::add(st, &cap, &who(), notify::RULES_AREA, o.school_a, store::rule_sets::Change { rules: &domain::notify::default_rules(), before: &rules, note: None }).await.unwrap();
    let h: Vec<store::rule_sets::Version<domain::notify::NotifyRules>> = store::rule_sets::history(&st.db, &cap, notify::RULES_AREA, o.school_a).await.unwrap();
    assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    // A chair of school B cannot read or write school A's rules.
    let other = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::RuleSetManage>().unwrap();
    assert!(matches!(store::rule_sets::history::<domain::notify::NotifyRules, _>(&st.db, &other, notify::RULES_AREA, o.school_a).await, Err(store::StoreError::NotFound)));
    assert!(matches!(store::rule_sets::add(st, &other, &who(), notify::RULES_AREA, o.school_a, store::rule_sets::Change { rules: &rules, before: &rules, note: None }).await, Err(store::StoreError::NotFound)));
});

dual_test!(async fn quiet_hours_hold_e_mail_until_morning_and_robots_wait_for_the_day(t) {
    let st = &t.store;
    let o = org(st).await;
    let chair = account(st, "chair", Role::SchoolChair, o.school_a, None).await;
    notify::save_prefs(st, &who(), chair, &Prefs {
        email: Some("chair@school.edu.cn".into()),
        email_on: true,
        quiet: domain::notify::QuietHours::parse("22:00", "07:00").unwrap(),
        ..Prefs::default()
    }).await.unwrap();
    store::robot::set(st, &sys(), &who(), o.school_a, domain::outbox::RobotKind::Wecom,
        &domain::outbox::RobotUrl::parse(domain::outbox::RobotKind::Wecom, "http://127.0.0.1:9/cgi-bin/webhook/send?key=k").unwrap(), None).await.unwrap();
    let due = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let items = vec![item("t:1", o.school_a, due, vec![Concerns::Role { role: Role::SchoolChair, unit: o.school_a }])];
    // 23:00 China time on the due day.
    let night = DateTime::parse_from_rfc3339("2026-11-02T23:00:00+08:00").unwrap().with_timezone(&Utc);
    notify::deliver_due(st, &items, due, night).await.unwrap();
    assert_eq!(inbox_of(st, chair).await, ["due-today"], "the inbox is not held");
    let js = jobs(st).await;
    assert_eq!(js.len(), 2, "{js:?}");
    let morning7 = DateTime::parse_from_rfc3339("2026-11-03T07:00:00+08:00").unwrap().with_timezone(&Utc);
    for (channel, _, _, run_at, payload) in &js {
        assert_eq!(*run_at, morning7, "{channel} waits for 07:00");
        assert!(!payload.contains("chair@school.edu.cn"), "no address in a message body");
    }
    let lease = std::time::Duration::from_secs(60);
    assert!(store::outbox::claim(&st.db, "w", 10, lease, night + Duration::hours(1)).await.unwrap().is_empty(), "nothing goes out at night");
    assert_eq!(store::outbox::claim(&st.db, "w", 10, lease, morning7 + Duration::minutes(1)).await.unwrap().len(), 2, "both go in the morning");
    // A kind switched to inbox only sends no e-mail (the robot of the school still hears).
    let mut p = notify::prefs(&st.db, chair).await.unwrap();
    p.inbox_only = vec![domain::notify::ReminderKind::TermExpiring];
    notify::save_prefs(st, &who(), chair, &p).await.unwrap();
    let term = vec![DueItem { kind: "due-congress-term-expiring".into(), key: "t:2".into(), ..items[0].clone() }];
    notify::deliver_due(st, &term, due, morning(due)).await.unwrap();
    let js = jobs(st).await;
    assert_eq!(js.iter().filter(|j| j.1.starts_with("due:t:2:")).map(|j| j.0.as_str()).collect::<Vec<_>>(), ["robot"]);
});

dual_test!(async fn the_digest_bundles_an_accounts_reminders_into_one_e_mail_once(t) {
    let st = &t.store;
    let o = org(st).await;
    let chair = account(st, "chair", Role::SchoolChair, o.school_a, None).await;
    notify::save_prefs(st, &who(), chair, &Prefs { email: Some("chair@school.edu.cn".into()), email_on: true, digest: true, ..Prefs::default() }).await.unwrap();
    let due = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let concerns = vec![Concerns::Role { role: Role::SchoolChair, unit: o.school_a }];
    let items = vec![item("a", o.school_a, due, concerns.clone()), item("b", o.school_a, due, concerns)];
    let r = notify::deliver_due(st, &items, due, morning(due)).await.unwrap();
    assert_eq!((r.inbox, r.jobs, r.digest), (2, 0, 2), "no single e-mails for a digest reader");
    let now = morning(due) + Duration::hours(7);
    assert_eq!(notify::send_digests(st, now).await.unwrap(), 1);
    assert_eq!(notify::send_digests(st, now).await.unwrap(), 0, "a re-run sends nothing twice");
    let js = jobs(st).await;
    assert_eq!(js.len(), 1);
    assert_eq!(js[0].2, Some(chair.0));
    let b: notify::Bundle = serde_json::from_str(&js[0].4).unwrap();
    assert_eq!(b.message.kind, domain::outbox::MessageKind::Digest);
    assert_eq!(b.message.args, vec![("count".to_string(), "2".to_string())]);
    assert_eq!(b.digest.len(), 2);
    // The same step again is not held again.
    assert_eq!(notify::deliver_due(st, &items, due, morning(due)).await.unwrap().digest, 0);
});

dual_test!(async fn the_scans_query_count_does_not_grow_with_the_items(t) {
    let st = &t.store;
    let o = org(st).await;
    account(st, "chair", Role::SchoolChair, o.school_a, None).await;
    let m = member(st, o.school_a, "张三", 1).await;
    account(st, "self", Role::Member, o.school_a, Some(m)).await;
    let due = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let make = |n: usize, tag: &str| -> Vec<DueItem> {
        (0..n)
            .map(|i| {
                let c = if i % 2 == 0 { Concerns::Role { role: Role::SchoolChair, unit: o.school_a } } else { Concerns::Member(m) };
                item(&format!("{tag}{i}"), o.school_a, due, vec![c])
            })
            .collect()
    };
    let before = t.db().query_count();
    notify::deliver_due(st, &make(4, "s"), due, morning(due)).await.unwrap();
    let small = t.db().query_count() - before;
    let before = t.db().query_count();
    let r = notify::deliver_due(st, &make(400, "l"), due, morning(due)).await.unwrap();
    let large = t.db().query_count() - before;
    assert_eq!(r.inbox, 400);
    assert_eq!(small, large, "4 items: {small} queries, 400 items: {large}");
});

dual_test!(async fn a_ballot_to_cast_is_told_to_that_delegate_only_and_never_says_how_anyone_voted(t) {
    let st = &t.store;
    let h = hall(st, 4, 0, 4).await;
    let school = h.org.school_a;
    let poll = open_motion(st, &h, "secret").await;
    let voter = account(st, "voter", Role::Delegate, school, Some(h.delegates[0].0)).await;
    let waiting = account(st, "waiting", Role::Delegate, school, Some(h.delegates[1].0)).await;
    let chair = account(st, "chair", Role::SchoolChair, school, None).await;
    store::robot::set(st, &sys(), &who(), school, domain::outbox::RobotKind::Wecom,
        &domain::outbox::RobotUrl::parse(domain::outbox::RobotKind::Wecom, "http://127.0.0.1:9/cgi-bin/webhook/send?key=k").unwrap(), None).await.unwrap();
    // Delegate 0 votes.
    let bx = store::voting::ballot_box::BallotBox::start(st.db.clone());
    let p = store::voting::ballot_box::prepare(&st.db, store::voting::ballot_box::Voter::Code(&h.delegates[0].2), poll).await.unwrap();
    let b = p.check(&domain::voting::BallotInput { choice: Some("yes".into()), ..Default::default() }).unwrap();
    bx.cast(&p, &b).await.unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    // The system sees one item per delegate still to vote: not the one who voted.
    let all = store::area::due_items(st, &store::area::Reach::system(&SystemCap::for_cli()), today).await.unwrap();
    let polls: Vec<&DueItem> = all.iter().filter(|i| i.kind == "due-voting-poll-open").collect();
    assert_eq!(polls.len(), 3);
    assert!(polls.iter().all(|i| i.concerns != vec![Concerns::Member(h.delegates[0].0)]));
    // A chair's reach lists nobody's ballot; a delegate's reach lists only their own.
    let as_acct = |role: Role, a: AccountId| {
        let mut x = actor(&[(role, school)]);
        x.account = a;
        x
    };
    let chair_cap = as_acct(Role::SchoolChair, chair).authorize::<perm::CongressView>().unwrap();
    let seen = store::area::due_items(st, &store::area::Reach::of(&chair_cap), today).await.unwrap();
    assert!(seen.iter().all(|i| i.kind != "due-voting-poll-open"), "the chair cannot tell who has not voted: {seen:?}");
    let mine = as_acct(Role::Delegate, waiting).authorize::<perm::CongressAttend>().unwrap();
    let seen = store::area::due_items(st, &store::area::Reach::of(&mine), today).await.unwrap();
    assert_eq!(seen.iter().filter(|i| i.kind == "due-voting-poll-open").map(|i| i.concerns.clone()).collect::<Vec<_>>(), vec![vec![Concerns::Member(h.delegates[1].0)]]);
    let voted = as_acct(Role::Delegate, voter).authorize::<perm::CongressAttend>().unwrap();
    assert!(store::area::due_items(st, &store::area::Reach::of(&voted), today).await.unwrap().iter().all(|i| i.kind != "due-voting-poll-open"));
    // The scan: an inbox item for the waiting delegate, none for the voter or the chair,
    // nothing in the school's group robot, and nothing about a choice in any message.
    notify::remind_due(st, &SystemCap::for_cli(), today, morning(today)).await.unwrap();
    assert_eq!(inbox_of(st, waiting).await, ["due-today"]);
    assert!(inbox_of(st, voter).await.is_empty());
    assert!(inbox_of(st, chair).await.iter().all(|k| k != "due-today"), "{:?}", inbox_of(st, chair).await);
    let js = jobs(st).await;
    assert!(js.iter().all(|j| !j.1.contains("poll-open")), "no ballot reminder reaches a group: {js:?}");
    let msgs: Vec<(String, String)> = store::on_db!(&st.db, |p| sqlx::query_as("SELECT args, link FROM inbox_item ORDER BY id").fetch_all(p).await).unwrap();
    for (args, _) in &msgs {
        assert!(!args.contains("yes") && !args.contains("赞成"), "{args}");
    }
});

dual_test!(async fn the_demo_district_shows_reminders_a_parked_robot_job_and_an_overdue_item(t) {
    let st = &t.store;
    let opts = store::demo::DemoOptions { members: 1500, seed: 7, today: today(), logins: true };
    let hasher = store::auth::PasswordHasher::new(1);
    store::demo::load(st, &SystemCap::for_cli(), Some(&hasher), &opts).await.unwrap();
    // The handling department's login has the overdue reply in its inbox.
    let dept: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT id FROM account WHERE username = 'dept'").fetch_one(p).await).unwrap();
    let inbox = store::inbox::list(&st.db, AccountId(dept), None, 50).await.unwrap();
    assert!(inbox.iter().any(|i| matches!(i.message.kind, domain::outbox::MessageKind::DueOverdue | domain::outbox::MessageKind::DueEscalated) && i.message.link.starts_with("/proposals/")), "{inbox:?}");
    // The school's robot never answers: its message is parked, with the reason, for /jobs.
    let parked = store::outbox::parked(&st.db, &sys(), 10).await.unwrap();
    assert!(parked.iter().any(|j| j.channel == "robot" && j.last_error.as_deref() == Some("could not connect")), "{parked:?}");
    // The items are there for the dashboard: at least one overdue.
    let items = store::area::due_items(st, &store::area::Reach::system(&SystemCap::for_cli()), today()).await.unwrap();
    assert!(items.iter().any(|i| i.days_left(today()) < 0), "{items:?}");
});
