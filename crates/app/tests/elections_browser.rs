//! Issue 22's "done when", in a real browser at phone size against the whole application:
//! in the demo district, the first school's chair applies for the general election of its
//! overdue union committee, the district approves the seats, the chair nominates a
//! competitive list and the district approves it; the member-delegate assembly votes by
//! secret ballot on voting's polls — a delegate on their phone, the rest of the hall through
//! the same ballot box — the scrutineers count and the chair publishes; the chair takes the
//! result, the district approves it, and the new committee appears with its term. Then a
//! retirement in the roster makes a vacancy that appears on the district's by-election
//! list.
//!
//! Needs `chromedriver` and `chromium`; without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use domain::auth::{Role, perm};
use domain::congress::{DelegateId, MeetingId, authorize_self};
use domain::ids::MemberId;
use domain::voting::*;
use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

mod a_school_elects_its_committee_with_phones_and_a_retirement_makes_a_by_election_vacancy {
    #[test]
    fn sqlite() {
        testkit::browser::on_big_stack(false, |t| Box::pin(super::scenario(t)));
    }

    #[test]
    fn postgres() {
        testkit::browser::on_big_stack(true, |t| Box::pin(super::scenario(t)));
    }
}

fn id_in(path: &str) -> i64 {
    path.rsplit('/')
        .find_map(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {path}"))
}

async fn scenario(t: TestDb) {
    let st = t.store.clone();
    let (_, hasher) = testkit::browser::load_demo(&st, 1500, 20261203).await;
    let pw = store::demo::DEMO_PASSWORD;
    let state = web::AppState::new(st.clone(), hasher, web::WebConfig::default());
    let (base, server) = testkit::browser::serve_app(state.clone()).await;
    let setup = Setup {
        width: 390,
        height: 844,
        phone: true,
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };

    // The chair's school: its union committee (overdue in the demo) and this year's
    // meeting of its delegate congress, still being prepared.
    let (meeting, school, mode): (i64, i64, String) = store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT mt.id, mt.school_union_id, t.mode FROM congress_meeting mt JOIN congress_term t ON t.id = mt.term_id WHERE mt.status = 'planned'
         AND mt.school_union_id = (SELECT MIN(id) FROM org_unit WHERE kind = 'school_union') ORDER BY mt.meeting_date DESC LIMIT 1"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    let committee: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT id FROM committee WHERE kind = 'union_committee' AND school_union_id = $1"
    )
    .bind(school)
    .fetch_one(p)
    .await)
    .unwrap();
    // The delegates of the term who are union members, with a name no one else in the
    // school has (a candidate typed by name must name one person).
    let delegates: Vec<(DelegateId, MemberId, String)> = store::on_db!(&st.db, |p| sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT d.id, m.id, m.name FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate'
         JOIN member m ON m.id = d.member_id
         WHERE mt.id = $1 AND m.union_member AND m.status = 'active'
         AND (SELECT COUNT(*) FROM member x WHERE x.school_union_id = m.school_union_id AND x.name = m.name) = 1
         ORDER BY d.id"
    )
    .bind(meeting)
    .fetch_all(p)
    .await)
    .unwrap()
    .into_iter()
    .map(|(d, m, n)| (DelegateId(d), MemberId(m), n))
    .collect();
    assert!(delegates.len() >= 20, "{} delegates", delegates.len());

    // The chair applies on the phone: the committee page lists the overdue term.
    b.login_with("chair", pw).await;
    b.go("/elections").await;
    assert!(
        b.text("table.elections-terms")
            .await
            .contains("已超期未换届"),
        "{}",
        b.text("main").await
    );
    b.go(&format!("/elections/committees/{committee}")).await;
    b.set("kind", "general_election").await;
    b.set("seats", "3").await;
    // The assembly that votes in the school's meeting: the delegates' congress, or all
    // members where the school holds an all-staff assembly.
    let assembly = if mode == "congress" {
        "member_delegate_assembly"
    } else {
        "member_assembly"
    };
    b.set("assembly", assembly).await;
    b.set("term_years", "5").await;
    b.click("form[action$='/apply'] button[type=submit]").await;
    assert!(
        b.flash().await.contains("申请已提交"),
        "{}",
        b.flash().await
    );
    let election = id_in(&b.path().await);
    assert!(!b.b.scrolls_sideways().await, "the election fits the phone");

    // The district approves three seats.
    b.login_with("staff", pw).await;
    b.go(&format!("/elections/{election}")).await;
    b.set("seats", "3").await;
    b.click("form[action$='/approve'] button[type=submit]")
        .await;
    assert!(b.flash().await.contains("已批复"), "{}", b.flash().await);

    // The chair nominates four delegates for three seats (差额); the district approves.
    let names: Vec<&str> = delegates[10..14].iter().map(|d| d.2.as_str()).collect();
    b.login_with("chair", pw).await;
    b.go(&format!("/elections/{election}")).await;
    b.set("candidates", &names.join("\n")).await;
    b.click("form[action$='/nominate'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("候选人名单已提交"),
        "{}",
        b.flash().await
    );
    b.login_with("staff", pw).await;
    b.go(&format!("/elections/{election}")).await;
    b.click("form[action$='/approve-slate'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("候选人名单已批复"),
        "{}",
        b.flash().await
    );

    // The meeting opens; the delegates check in at the door.
    b.login_with("chair", pw).await;
    b.go(&format!("/congress/meetings/{meeting}")).await;
    b.click_confirm("form[action$='/status'] button[type=submit]")
        .await;
    let all: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT d.id FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate' WHERE mt.id = $1 ORDER BY d.id"
    )
    .bind(meeting)
    .fetch_all(p)
    .await)
    .unwrap();
    for d in &all {
        store::congress::attendance::staff_check_in(
            &st,
            &sys(),
            &who(),
            MeetingId(meeting),
            DelegateId(*d),
        )
        .await
        .unwrap();
    }
    // The chair puts the approved list to a secret poll of the meeting and opens it.
    b.go(&format!("/elections/{election}")).await;
    assert_eq!(
        b.count(&format!("select#meeting option[value='{meeting}']"))
            .await,
        1,
        "the meeting is offered ({mode}): {}",
        b.text("main").await
    );
    b.set("meeting", &meeting.to_string()).await;
    b.click("form[action$='/vote'] button[type=submit]").await;
    assert!(
        b.flash().await.contains("已按批准的名单设立投票"),
        "{}",
        b.flash().await
    );
    let poll = id_in(&b.path().await);
    b.click_confirm("form[action$='/open'] button[type=submit]")
        .await;
    let shares = take_shares(&b).await;
    let opts = store::voting::options(
        &st.db,
        store::congress::meetings::Viewer::view(&testkit::sys()),
        PollId(poll),
    )
    .await
    .unwrap();
    assert_eq!(
        opts.iter().map(|o| o.label.as_str()).collect::<Vec<_>>(),
        names,
        "the poll holds the approved list"
    );

    // A delegate votes on their phone: for the first three, against the fourth.
    b.login_with("delegate", pw).await;
    b.go(&format!("/polls/{poll}/vote")).await;
    assert!(!b.b.scrolls_sideways().await, "the ballot fits the phone");
    for (i, o) in opts.iter().enumerate() {
        let mark = if i < 3 { "for" } else { "against" };
        b.check(&format!("input[name=m{}][value={mark}]", o.id.0))
            .await;
    }
    b.click("button[name=step][value=review]").await;
    b.click("button[name=step][value=cast]").await;
    assert!(b.text("#receipt").await.contains("安全保存"));
    b.b.screenshot("election-ballot-phone").await;

    // The rest of the hall votes through the same ballot box: all for the first two, two
    // thirds for the third, a few for the fourth.
    let by_phone: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT member_id FROM account WHERE username = 'delegate' AND member_id IS NOT NULL"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let bx = state.ballot_box();
    for (i, (_, m, _)) in delegates.iter().enumerate() {
        if by_phone.contains(&m.0) {
            continue;
        }
        let mut a = actor(&[(Role::Delegate, domain::ids::OrgUnitId(school))]);
        a.member = Some(*m);
        let acting = authorize_self::<perm::CongressAttend>(&a).unwrap();
        let p = store::voting::ballot_box::prepare(
            &st.db,
            store::voting::ballot_box::Voter::Member(&acting),
            PollId(poll),
        )
        .await
        .unwrap();
        let third = if i % 3 == 0 { "against" } else { "for" };
        let fourth = if i % 5 == 0 { "for" } else { "against" };
        let input = BallotInput {
            // A ballot names those voted for (no more than the seats).
            marks: [
                (opts[0].id, "for"),
                (opts[1].id, "for"),
                (opts[2].id, third),
                (opts[3].id, fourth),
            ]
            .into_iter()
            .filter(|(_, v)| *v == "for")
            .take(3)
            .map(|(o, v)| (o, v.to_string()))
            .collect(),
            ..Default::default()
        };
        let ballot = p.check(&input).unwrap();
        bx.cast(&p, &ballot).await.unwrap();
    }

    // The chair closes the poll, the scrutineers count with their shares, the chair
    // publishes.
    b.login_with("chair", pw).await;
    b.go(&format!("/polls/{poll}")).await;
    b.click_confirm("form[action$='/close'] button[type=submit]")
        .await;
    b.click("a[href$='/count']").await;
    for (i, code) in shares
        .iter()
        .take(b.count("input[name^=share]").await)
        .enumerate()
    {
        b.set(&format!("share{i}"), code).await;
    }
    b.click("form[action$='/count'] button[type=submit]").await;
    assert!(b.flash().await.contains("计票完毕"), "{}", b.flash().await);
    b.go(&format!("/polls/{poll}")).await;
    b.click_confirm("form[action$='/publish'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("结果已公布"),
        "{}",
        b.flash().await
    );

    // The election takes its result from the published poll.
    b.go(&format!("/elections/{election}")).await;
    b.click("form[action$='/vote']:has(input[value=result]) button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("选举结果已登记"),
        "{}",
        b.flash().await
    );
    let cands = b.text("table.candidates").await;
    for n in &names[..3] {
        assert!(cands.contains(n), "{n} in {cands}");
    }
    assert!(cands.contains("当选"), "{cands}");

    // The district approves the result: the new committee with its term.
    b.login_with("staff", pw).await;
    b.go(&format!("/elections/{election}")).await;
    b.click("form[action$='/confirm'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("选举结果已批复"),
        "{}",
        b.flash().await
    );
    let held: chrono::NaiveDate = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT held_on FROM election WHERE id = $1"
    )
    .bind(election)
    .fetch_one(p)
    .await)
    .unwrap();
    b.login_with("chair", pw).await;
    b.go(&format!("/elections/committees/{committee}")).await;
    let term = b.text("dd.term").await;
    let end = domain::elections::term_end(held, 5);
    assert!(
        term.contains(&held.format("%Y").to_string())
            && term.contains(&end.format("%Y").to_string()),
        "the new term {held} – {end}: {term}"
    );
    let seats = b.text("table.seats").await;
    for n in &names[..3] {
        assert!(seats.contains(n), "{n} holds a seat: {seats}");
    }
    assert!(!seats.contains(names[3]), "{seats}");
    assert!(
        !b.b.scrolls_sideways().await,
        "the committee fits the phone"
    );
    b.b.screenshot("election-committee-phone").await;

    // The third elected retires (recorded in the roster): the district's by-election list
    // shows the vacancy.
    let retiree = delegates[12].1;
    store::org::change_status(
        &st,
        &sys(),
        &who(),
        retiree,
        domain::org::MemberStatus::Retired,
        web::today(),
        None,
    )
    .await
    .unwrap();
    b.login_with("staff", pw).await;
    b.go("/elections").await;
    let vac = b.text("table.elections-vacancies").await;
    assert!(vac.contains(names[2]) && vac.contains("退休"), "{vac}");
    browser.close().await;
    server.abort();
}

/// On the page that answers "open" for a secret poll: each scrutineer's code, opened by
/// its holder.
async fn take_shares(b: &B<'_>) -> Vec<String> {
    let n = b.count(".share-list summary").await;
    assert!(n >= 2, "one share per scrutineer, got {n}");
    let mut codes = Vec::new();
    for i in 1..=n {
        b.b.find(&format!(".share-list li:nth-child({i}) summary"))
            .await
            .click()
            .await
            .unwrap();
        let code =
            b.b.texts(&format!(".share-list li:nth-child({i}) .share-code"))
                .await
                .concat();
        codes.push(code.trim().to_string());
    }
    codes
}
