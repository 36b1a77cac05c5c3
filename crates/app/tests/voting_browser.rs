//! Issue 6's "done when", in a real browser at phone size against the whole application:
//! in the demo district, the chair of the first school opens this year's meeting with its
//! quorum and sets up a secret resolution vote, a competitive committee election and a
//! cadre review; delegates vote on their phones (logged in, and with a card code without
//! login), one writing in another name; the rest of the hall votes through the same ballot
//! box; the tellers add the paper ballots of a mixed hall and a scrutineer confirms them;
//! the chair publishes; results, the reconciliation and the minutes draft are shown.
//!
//! Needs `chromedriver` and `chromium`; without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use domain::auth::{Role, perm};
use domain::congress::{DelegateId, MeetingId, authorize_self};
use domain::ids::MemberId;
use domain::voting::*;
use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

mod a_demo_meeting_votes_elects_and_reviews_on_phones {
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

/// Delegates of the term with a name no one else in the school has (a name typed on a
/// ballot must name one person).
async fn delegates(st: &store::Store, meeting: MeetingId) -> Vec<(DelegateId, MemberId, String)> {
    store::on_db!(&st.db, |p| sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT d.id, m.id, m.name FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate'
         JOIN member m ON m.id = d.member_id
         WHERE mt.id = $1 AND (SELECT COUNT(*) FROM member x WHERE x.school_union_id = m.school_union_id AND x.name = m.name) = 1
         ORDER BY d.id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await)
    .unwrap()
    .into_iter()
    .map(|(d, m, n)| (DelegateId(d), MemberId(m), n))
    .collect()
}

async fn scenario(t: TestDb) {
    let st = t.store.clone();
    let (_, hasher) = testkit::browser::load_demo(&st, 1500, 20261125).await;
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

    // This year's meeting of the first school (the chair's), still being prepared.
    let (meeting, school): (i64, i64) = store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT mt.id, mt.school_union_id FROM congress_meeting mt WHERE mt.status = 'planned'
         AND mt.school_union_id = (SELECT MIN(id) FROM org_unit WHERE kind = 'school_union') ORDER BY mt.meeting_date DESC LIMIT 1"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    let meeting_id = MeetingId(meeting);
    b.login_with("chair", pw).await;
    b.go(&format!("/congress/meetings/{meeting}")).await;
    b.click_confirm("form[action$='/status'] button[type=submit]")
        .await;
    // Most delegates check in at the door (the check-in itself was issue 5's test).
    let people = delegates(&st, meeting_id).await;
    assert!(
        people.len() >= 20,
        "the demo school has {} delegates",
        people.len()
    );
    let all: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT d.id FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate' WHERE mt.id = $1 ORDER BY d.id"
    )
    .bind(meeting)
    .fetch_all(p)
    .await)
    .unwrap();
    // Someone without a demo login and on no list stays away.
    let logins: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT member_id FROM account WHERE member_id IS NOT NULL"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let absent = people[21..]
        .iter()
        .rev()
        .find(|p| !logins.contains(&p.1.0))
        .unwrap()
        .0;
    let card_holder = people[20].0;
    for d in &all {
        // The card holder checks in with the card (only such a card may vote).
        if *d != absent.0 && *d != card_holder.0 {
            store::congress::attendance::staff_check_in(
                &st,
                &sys(),
                &who(),
                meeting_id,
                DelegateId(*d),
            )
            .await
            .unwrap();
        }
    }
    let code = store::congress::attendance::issue_codes(
        &st,
        &sys(),
        &who(),
        meeting_id,
        Some(card_holder),
    )
    .await
    .unwrap()[0]
        .code
        .clone();
    store::congress::attendance::code_check_in(&st, &who(), &code, Some((&sys(), meeting_id)))
        .await
        .unwrap();
    let total = all.len();

    // The chair sets up the three votes on the phone.
    let (c1, c2, c3, writein, l1, l2) = (
        &people[10].2,
        &people[11].2,
        &people[12].2,
        &people[13].2,
        &people[14].2,
        &people[15].2,
    );
    let mut polls = Vec::new();
    for (title, kind, seats) in [
        ("关于《学校绩效工资分配实施方案》的决议", "motion", ""),
        ("选举学校工会委员会委员", "election", "2"),
        ("民主评议学校领导干部", "cadre_review", ""),
    ] {
        b.go(&format!("/congress/meetings/{meeting}/polls")).await;
        b.set("title", title).await;
        b.set("kind", kind).await;
        b.set("mode", "secret").await;
        b.set("seats", seats).await;
        b.click(&format!(
            "form[action='/congress/meetings/{meeting}/polls'] button[type=submit]"
        ))
        .await;
        assert!(b.flash().await.contains("已创建"), "{}", b.flash().await);
        polls.push(id_in(&b.path().await));
    }
    let (motion, election, review) = (polls[0], polls[1], polls[2]);
    // Two candidates for two seats is not competitive: refused with the rule.
    for name in [c1, c2] {
        b.go(&format!("/polls/{election}")).await;
        b.set("name", name).await;
        b.click("form[action$='/options'] button[type=submit]")
            .await;
    }
    b.click_confirm("form[action$='/open'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("至少需要 3 名候选人"),
        "{}",
        b.flash().await
    );
    b.set("name", c3).await;
    b.click("form[action$='/options'] button[type=submit]")
        .await;
    // Before opening, the chair reads how the key is split and what a lost share means.
    assert!(
        b.text("#key-plan").await.contains("永远无法计票"),
        "{}",
        b.text("#key-plan").await
    );
    b.click_confirm("form[action$='/open'] button[type=submit]")
        .await;
    let mut shares = std::collections::HashMap::new();
    shares.insert(election, take_shares(&b).await);
    for name in [l1, l2] {
        b.go(&format!("/polls/{review}")).await;
        b.set("name", name).await;
        b.click("form[action$='/options'] button[type=submit]")
            .await;
    }
    for p in [motion, review] {
        b.go(&format!("/polls/{p}")).await;
        b.click_confirm("form[action$='/open'] button[type=submit]")
            .await;
        shares.insert(p, take_shares(&b).await);
    }

    // A delegate votes on the resolution on their phone: choose, confirm, receipt.
    // During the meeting the start page is the meeting: "vote now" for each open poll, with
    // no menu navigation (issue 25).
    b.login_with("delegate", pw).await;
    assert_eq!(b.path().await, "/");
    assert!(b.count("a[href$='/vote']").await >= 3);
    b.b.screenshot("meeting-now-phone").await;
    b.click(&format!("a[href='/polls/{motion}/vote']")).await;
    assert!(!b.b.scrolls_sideways().await, "the ballot fits the phone");
    b.check("input[name=choice][value=yes]").await;
    b.b.screenshot("vote-ballot-phone").await;
    b.click("button[name=step][value=review]").await;
    assert_eq!(b.text("#ballot-summary").await.trim(), "赞成");
    b.click("button[name=step][value=cast]").await;
    let receipt = b.text("#receipt").await;
    assert!(receipt.contains("安全保存"), "{receipt}");
    assert!(
        !b.text("main").await.contains("赞成"),
        "the receipt of a secret vote repeats no choice"
    );
    b.b.screenshot("vote-receipt-phone").await;
    // Back on the start page the resolution reads 已投票 and is offered no more.
    b.go("/").await;
    assert_eq!(b.count(&format!("a[href='/polls/{motion}/vote']")).await, 0);
    assert!(b.text("main").await.contains("已投票"));
    // Pressing again: the first ballot stands.
    b.go(&format!("/polls/{motion}/vote")).await;
    assert!(b.text("#receipt").await.contains("第一次"));

    // Another writes in a name in the election.
    b.login_with("delegate2", pw).await;
    b.go(&format!("/polls/{election}/vote")).await;
    let opts = store::voting::options(
        &st.db,
        store::congress::meetings::Viewer::view(&testkit::sys()),
        PollId(election),
    )
    .await
    .unwrap();
    b.check(&format!("input[name=m{}][value=for]", opts[0].id.0))
        .await;
    b.check(&format!("input[name=m{}][value=against]", opts[1].id.0))
        .await;
    b.set("w0", writein).await;
    b.click("button[name=step][value=review]").await;
    assert!(
        b.text("#ballot-summary").await.contains("另选他人 1 人"),
        "{}",
        b.text("main").await
    );
    b.click("button[name=step][value=cast]").await;
    assert!(b.text("#receipt").await.contains("安全保存"));

    // A delegate without an account grades the leaders with the code on their card
    // (checked in with it at the desk, above).
    let _ = browser.client.delete_all_cookies().await;
    b.go("/vote").await;
    b.set("code", &code).await;
    b.click("form[action='/vote'] button[type=submit]").await;
    b.click(&format!(
        "form.poll-pick:has(input[name=poll][value='{review}']) button"
    ))
    .await;
    let leaders = store::voting::options(
        &st.db,
        store::congress::meetings::Viewer::view(&testkit::sys()),
        PollId(review),
    )
    .await
    .unwrap();
    b.check(&format!(
        "input[name=m{}][value=excellent]",
        leaders[0].id.0
    ))
    .await;
    b.check(&format!(
        "input[name=m{}][value=competent]",
        leaders[1].id.0
    ))
    .await;
    b.click("button[name=step][value=review]").await;
    b.click("button[name=step][value=cast]").await;
    assert!(b.text("#receipt").await.contains("安全保存"));
    // The absent delegate's card is refused: not checked in.
    let absent_code =
        store::congress::attendance::issue_codes(&st, &sys(), &who(), meeting_id, Some(absent))
            .await
            .unwrap()[0]
            .code
            .clone();
    b.go("/vote").await;
    b.set("code", &absent_code).await;
    b.click("form[action='/vote'] button[type=submit]").await;
    b.click(&format!(
        "form.poll-pick:has(input[name=poll][value='{motion}']) button"
    ))
    .await;
    assert!(
        b.text("main").await.contains("请先签到"),
        "{}",
        b.text("main").await
    );

    // The rest of the hall votes through the same ballot box (three quarters of them on
    // their phones; the others fill in paper ballots).
    let bx = state.ballot_box();
    let voted_in_browser: Vec<MemberId> = {
        let ids: Vec<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
            "SELECT member_id FROM account WHERE username IN ('delegate', 'delegate2') AND member_id IS NOT NULL"
        )
        .fetch_all(p)
        .await)
        .unwrap();
        ids.into_iter().map(MemberId).collect()
    };
    let members: Vec<(DelegateId, MemberId)> = store::on_db!(&st.db, |p| sqlx::query_as::<_, (i64, i64)>(
        "SELECT d.id, d.member_id FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate' WHERE mt.id = $1 ORDER BY d.id"
    )
    .bind(meeting)
    .fetch_all(p)
    .await)
    .unwrap()
    .into_iter()
    .map(|(d, m)| (DelegateId(d), MemberId(m)))
    .collect();
    let on_paper = total / 4;
    let mut phone_motion = 1;
    for (i, (d, m)) in members.iter().enumerate() {
        if *d == absent || *d == card_holder || voted_in_browser.contains(m) {
            continue;
        }
        let mut a = actor(&[(Role::Delegate, domain::ids::OrgUnitId(school))]);
        a.member = Some(*m);
        let acting = authorize_self::<perm::CongressAttend>(&a).unwrap();
        let cast = |poll: i64, input: BallotInput| {
            let acting = &acting;
            let st = &st;
            async move {
                let p = store::voting::ballot_box::prepare(
                    &st.db,
                    store::voting::ballot_box::Voter::Member(acting),
                    PollId(poll),
                )
                .await
                .unwrap();
                let ballot = p.check(&input).unwrap();
                bx.cast(&p, &ballot).await.unwrap();
            }
        };
        if i >= on_paper {
            cast(
                motion,
                BallotInput {
                    choice: Some(if i % 5 == 0 { "no" } else { "yes" }.into()),
                    ..Default::default()
                },
            )
            .await;
            phone_motion += 1;
        }
        let writein_id = people[13].1;
        // A third vote for candidates 1 and 3; the others for candidate 1 and the write-in.
        let (marks, write_ins) = if i % 3 == 0 {
            (
                vec![
                    (opts[0].id, "for".to_string()),
                    (opts[2].id, "for".to_string()),
                ],
                vec![],
            )
        } else {
            (
                vec![
                    (opts[0].id, "for".to_string()),
                    (opts[2].id, "against".to_string()),
                ],
                vec![writein_id],
            )
        };
        cast(
            election,
            BallotInput {
                marks,
                write_ins,
                ..Default::default()
            },
        )
        .await;
        cast(
            review,
            BallotInput {
                marks: vec![
                    (leaders[0].id, "competent".into()),
                    (
                        leaders[1].id,
                        ["excellent", "competent", "basic"][i % 3].into(),
                    ),
                ],
                ..Default::default()
            },
        )
        .await;
    }

    // The chair watches turnout, then closes the three votes.
    b.login_with("chair", pw).await;
    b.go(&format!("/polls/{motion}")).await;
    let voted: usize = b.text("[data-k=voted]").await.trim().parse().unwrap();
    assert_eq!(voted, phone_motion, "turnout counts the phone ballots");
    assert_eq!(b.count("table.result").await, 0, "no result while voting");
    for p in [motion, election, review] {
        b.go(&format!("/polls/{p}")).await;
        b.click_confirm("form[action$='/close'] button[type=submit]")
            .await;
        assert!(
            b.flash().await.contains("投票已结束"),
            "{}",
            b.flash().await
        );
        // The ballots are sealed until the scrutineers count with their shares.
        assert_eq!(b.count("#awaiting-count").await, 1);
        b.click("a[href$='/count']").await;
        for (i, code) in shares[&p]
            .iter()
            .take(b.count("input[name^=share]").await)
            .enumerate()
        {
            b.set(&format!("share{i}"), code).await;
        }
        b.click("form[action$='/count'] button[type=submit]").await;
        assert!(b.flash().await.contains("计票完毕"), "{}", b.flash().await);
    }

    // The teller enters the paper ballots of the mixed hall; a scrutineer confirms them.
    let paper_voters = total - 1 - phone_motion;
    b.login_with("teller", pw).await;
    b.go(&format!("/polls/{motion}")).await;
    let issued = (paper_voters + 1).to_string();
    let returned = paper_voters.to_string();
    let yes = (paper_voters - 1).to_string();
    for (id, v) in [
        ("issued", issued.as_str()),
        ("returned", returned.as_str()),
        ("valid", returned.as_str()),
        ("invalid", "0"),
        ("yes", yes.as_str()),
        ("no", "1"),
        ("abstain", "0"),
    ] {
        b.set(id, v).await;
    }
    b.click("form[action$='/paper'] button[type=submit]").await;
    assert!(
        b.flash().await.contains("计票结果已保存"),
        "{}",
        b.flash().await
    );
    b.login_with("scrutineer", pw).await;
    b.go(&format!("/polls/{motion}")).await;
    b.click_confirm("form[action$='/paper/confirm'] button[type=submit]")
        .await;
    assert!(b.flash().await.contains("已确认"), "{}", b.flash().await);

    // The chair publishes; the results are on the phone.
    b.login_with("chair", pw).await;
    for p in [motion, election, review] {
        b.go(&format!("/polls/{p}")).await;
        b.click_confirm("form[action$='/publish'] button[type=submit]")
            .await;
        assert!(
            b.flash().await.contains("结果已公布"),
            "{}",
            b.flash().await
        );
    }
    b.go(&format!("/polls/{motion}")).await;
    let page = b.text("main").await;
    assert!(page.contains("表决通过"), "{page}");
    assert!(
        page.contains("发出票数") && page.contains(&issued),
        "the reconciliation is shown: {page}"
    );
    assert!(!b.b.scrolls_sideways().await);
    b.b.screenshot("vote-result-phone").await;
    b.go(&format!("/polls/{election}")).await;
    let page = b.text("table.result").await;
    assert!(page.contains(&format!("{writein}（另选他人）")), "{page}");
    assert!(page.contains("当选"), "{page}");
    b.go(&format!("/polls/{review}")).await;
    let page = b.text("table.result").await;
    assert!(page.contains(l1.as_str()) && page.contains("%"), "{page}");
    b.go(&format!("/polls/{election}/result")).await;
    assert!(b.text("article.report").await.contains("当选"));
    b.go(&format!("/congress/meetings/{meeting}/minutes")).await;
    let minutes = b.text("article.minutes").await;
    for title in [
        "关于《学校绩效工资分配实施方案》的决议",
        "选举学校工会委员会委员",
        "民主评议学校领导干部",
    ] {
        assert!(minutes.contains(title), "{minutes}");
    }
    assert!(
        minutes.contains("依据规则版本") && minutes.contains("实到"),
        "{minutes}"
    );
    b.b.screenshot("vote-minutes-phone").await;
    browser.close().await;
    server.abort();
}

/// On the page that answers "open" for a secret poll: each scrutineer's code is hidden
/// until its holder opens their own line; returns the codes as the holders copy them.
async fn take_shares(b: &B<'_>) -> Vec<String> {
    let n = b.count(".share-list summary").await;
    assert!(n >= 2, "one share per scrutineer, got {n}");
    assert!(
        b.b.texts(".share-code")
            .await
            .iter()
            .all(|t| t.trim().is_empty()),
        "a share is visible before its holder opens it"
    );
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
        assert!(
            code.trim().len() > 40,
            "share {i} shows once opened: {code:?}"
        );
        codes.push(code.trim().to_string());
    }
    codes
}
