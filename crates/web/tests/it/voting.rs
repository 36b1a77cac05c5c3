//! Votes over HTTP: the chair sets up and runs a poll, delegates vote on their phones
//! (logged in, and with the card code without login) through the confirmation step, the
//! receipt never repeats a secret choice, refusals are explained, tellers and scrutineers
//! handle the paper count, and the result sheet, its .xlsx and the minutes show the result
//! with the rule-set version.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::hall::hall_in;
use testkit::*;

dual_test!(async fn a_secret_resolution_is_voted_on_phones_and_published(t) {
    let app = TestApp::new(t).await;
    let h = hall_in(&app.t.store, app.org.clone(), 12, 1, 10).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;

    // The chair creates the poll; a bad form keeps what was typed.
    let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", ""), ("kind", "motion"), ("mode", "secret")]).await;
    r.assert_status(422);
    let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", "关于修订教职工考核办法的决议"), ("kind", "motion"), ("mode", "secret"), ("seats", ""), ("contest", "competitive"), ("agenda_item", "")]).await;
    r.assert_status(303);
    let poll_url = r.location().unwrap();
    // Before opening, the chair is told how the key will be split and what a lost share means.
    let page = c.get(&poll_url).await;
    let plan = page.select("#key-plan").join("");
    assert!(plan.contains("2 位监票人") && plan.contains("永远无法计票"), "{plan}");
    // Opening shows each scrutineer's share once, and the page is never cached.
    let r = c.post(&format!("{poll_url}/open"), &[]).await;
    r.assert_status(200);
    assert_eq!(r.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    let shares = r.select(".share-code");
    assert_eq!(shares.len(), 2, "one share per scrutineer");
    let page = c.get(&poll_url).await;
    page.assert_status(200);
    assert!(page.text().contains("投票中"), "{}", page.text());
    assert!(page.select(".share-code").is_empty(), "a share is never shown again");

    // A delegate with an account votes: ballot, confirmation, receipt.
    let d0 = app.account_full("d0", Role::Delegate, app.org.school_a, Some(h.delegates[0].0), None).await;
    let mut phone = app.client_for(d0).await;
    let ballot = phone.get(&format!("{poll_url}/vote")).await;
    ballot.assert_status(200);
    assert_eq!(ballot.select("input[name=choice]").len(), 3);
    // Next without a choice: told at the field, nothing stored.
    let r = phone.post(&format!("{poll_url}/vote"), &[("step", "review")]).await;
    r.assert_status(422);
    assert!(r.text().contains("请先选择"));
    let r = phone.post(&format!("{poll_url}/vote"), &[("step", "review"), ("choice", "yes")]).await;
    r.assert_status(200);
    assert_eq!(r.select("#ballot-summary"), vec!["赞成".to_string()]);
    let r = phone.post(&format!("{poll_url}/vote"), &[("step", "cast"), ("choice", "yes")]).await;
    r.assert_status(200);
    let receipt = r.select("#receipt").join("");
    assert!(receipt.contains("安全保存"), "{receipt}");
    // The receipt page does not say what was chosen.
    assert!(!r.text().contains("赞成"), "a secret receipt must not repeat the choice");
    // A second submission: the first ballot stands.
    let r = phone.post(&format!("{poll_url}/vote"), &[("step", "cast"), ("choice", "no")]).await;
    assert!(r.select("#receipt").join("").contains("第一次"));

    // Delegates without an account vote with their card code, without logging in.
    for i in 1..8 {
        let code = h.delegates[i].2.clone();
        let mut anon = app.anon();
        let list = anon.post("/vote", &[("code", &code)]).await;
        list.assert_status(200);
        let poll_id = poll_url.trim_start_matches("/polls/").to_string();
        assert!(list.text().contains("关于修订教职工考核办法的决议"));
        let choice = if i < 6 { "yes" } else { "no" };
        let r = anon.post("/vote", &[("code", &code), ("poll", &poll_id), ("step", "cast"), ("choice", choice)]).await;
        r.assert_status(200);
        assert!(r.select("#receipt").join("").contains("安全保存"));
    }
    // An observer's code and a delegate who has not checked in are refused with a reason.
    let poll_id = poll_url.trim_start_matches("/polls/").to_string();
    let r = app.anon().post("/vote", &[("code", &h.observers[0].2), ("poll", &poll_id), ("step", "cast"), ("choice", "yes")]).await;
    r.assert_status(422);
    assert!(r.text().contains("没有表决权"));
    let r = app.anon().post("/vote", &[("code", &h.delegates[11].2), ("poll", &poll_id), ("step", "cast"), ("choice", "yes")]).await;
    r.assert_status(422);
    assert!(r.text().contains("请先签到"));
    let r = app.anon().post("/vote", &[("code", "ZZZZ-ZZZZ")]).await;
    r.assert_status(422);

    // Turnout is shown; no result before publication.
    let page = c.get(&poll_url).await;
    assert_eq!(page.select("[data-k=voted]"), vec!["8".to_string()]);
    assert!(page.select("table.result").is_empty());
    c.post(&format!("{poll_url}/close"), &[]).await.assert_status(303);
    // Voting after closing is refused.
    let r = app.anon().post("/vote", &[("code", &h.delegates[9].2), ("poll", &poll_id), ("step", "cast"), ("choice", "yes")]).await;
    r.assert_status(422);
    // The ballots are sealed: no publishing before the scrutineers count.
    let page = c.get(&poll_url).await;
    assert!(!page.select("#awaiting-count").is_empty());
    let r = c.post(&format!("{poll_url}/publish"), &[]).await;
    let page = c.follow(&r).await;
    assert!(page.text().contains("尚未开启密封的选票"), "{}", page.text());
    let form = c.get(&format!("{poll_url}/count")).await;
    form.assert_status(200);
    assert_eq!(form.select("input[name^=share]").len(), 2);
    // A mistyped share is named at its field, and what was typed stays in the form.
    let typo = format!("{}X", &shares[1][..shares[1].len() - 1]);
    let typo = if typo == shares[1] { format!("{}Y", &shares[1][..shares[1].len() - 1]) } else { typo };
    let r = c.post(&format!("{poll_url}/count"), &[("share0", &shares[0]), ("share1", &typo)]).await;
    r.assert_status(200);
    assert!(r.text().contains("不是本次投票的密钥分片码"), "{}", r.text());
    let html = r.html();
    let kept: Vec<String> = html.select(&scraper::Selector::parse("input[name=share1]").unwrap()).map(|e| e.value().attr("value").unwrap_or("").to_string()).collect();
    assert_eq!(kept, vec![typo.clone()]);
    let r = c.post(&format!("{poll_url}/count"), &[("share0", &shares[1]), ("share1", &shares[0])]).await;
    r.assert_status(303);
    c.post(&format!("{poll_url}/publish"), &[]).await.assert_status(303);
    let page = c.get(&poll_url).await;
    // 6 yes of 12 delegates is not more than half.
    assert!(page.text().contains("表决未通过"), "{}", page.text());
    let sheet = c.get(&format!("{poll_url}/result")).await;
    sheet.assert_status(200);
    assert!(sheet.text().contains("依据规则版本"));
    let x = c.get(&format!("{poll_url}/result.xlsx")).await;
    x.assert_status(200);
    // The workbook itself, read back: the motion, and the six yes votes in the rows.
    let rows = read_xlsx(&x.bytes);
    assert_eq!(rows.first().and_then(|r| r.first()).map(String::as_str), Some("关于修订教职工考核办法的决议"), "{rows:?}");
    assert!(rows.iter().any(|r| r.iter().skip(1).any(|c| c == "6")), "no row counts the 6 yes votes: {rows:?}");
    let minutes = c.get(&format!("/congress/meetings/{}/minutes", h.meeting.0)).await;
    minutes.assert_status(200);
    assert!(minutes.text().contains("关于修订教职工考核办法的决议"));
    assert!(minutes.text().contains("实到 10 人"), "{}", minutes.text());
});

dual_test!(async fn tellers_enter_paper_counts_and_a_scrutineer_confirms_them(t) {
    let app = TestApp::new(t).await;
    let h = hall_in(&app.t.store, app.org.clone(), 12, 0, 12).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;
    let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", "举手表决的决议"), ("kind", "motion"), ("mode", "paper")]).await;
    let poll_url = r.location().unwrap();
    c.post(&format!("{poll_url}/open"), &[]).await.assert_status(303);
    c.post(&format!("{poll_url}/close"), &[]).await.assert_status(303);
    let teller = app.account_full("teller", Role::Delegate, app.org.school_a, Some(h.teller), None).await;
    let scrutineer = app.account_full("scrut", Role::Delegate, app.org.school_a, Some(h.scrutineers[0]), None).await;
    let mut tc = app.client_for(teller).await;
    let page = tc.get(&poll_url).await;
    assert_eq!(page.select("input[name=issued]").len(), 1, "the teller sees the form");
    // Counts that do not reconcile are refused with the reason, and all seven counts the
    // teller typed from the paper sheet come back in their fields (issue 25).
    let typed = [("issued", "12"), ("returned", "12"), ("valid", "11"), ("invalid", "0"), ("yes", "9"), ("no", "1"), ("abstain", "1")];
    let r = tc.post(&format!("{poll_url}/paper"), &typed).await;
    r.assert_status(422);
    assert!(r.text().contains("须等于收回票数"), "{}", r.text());
    for (k, v) in typed {
        assert_eq!(input_value(&r, k), v, "the teller's {k} count was lost");
    }
    assert_eq!(r.select("[aria-invalid=true]").len(), 4, "the reconciled counts are marked invalid");
    let r = tc.post(&format!("{poll_url}/paper"), &[("issued", "12"), ("returned", "12"), ("valid", "11"), ("invalid", "1"), ("yes", "9"), ("no", "1"), ("abstain", "1")]).await;
    r.assert_status(303);
    // Publishing waits for the scrutineer.
    let r = c.post(&format!("{poll_url}/publish"), &[]).await;
    let page = c.follow(&r).await;
    assert!(page.text().contains("尚未经监票人确认"));
    let mut sc = app.client_for(scrutineer).await;
    let page = sc.get(&poll_url).await;
    assert!(page.text().contains("确认计票结果"));
    sc.post(&format!("{poll_url}/paper/confirm"), &[]).await.assert_status(303);
    c.post(&format!("{poll_url}/publish"), &[]).await.assert_status(303);
    let page = c.get(&poll_url).await;
    assert!(page.text().contains("表决通过"), "9 of 12");
    assert!(page.text().contains("发出票数"));
});

/// The value attribute of the form input named `name`.
fn input_value(r: &testkit::app::Resp, name: &str) -> String {
    let sel = scraper::Selector::parse(&format!("input[name={name}]")).unwrap();
    r.html()
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or("")
        .to_string()
}

/// The cell of `table.result` (the n-th such table) in the row headed `row` and the column
/// headed `col`, read as a person reads it: under its header.
pub fn result_cell(r: &testkit::app::Resp, n: usize, row: &str, col: &str) -> Option<String> {
    let html = r.html();
    let table = html
        .select(&scraper::Selector::parse("table.result").unwrap())
        .nth(n)?;
    let text = |e: scraper::ElementRef| e.text().collect::<String>().trim().to_string();
    let heads: Vec<String> = table
        .select(&scraper::Selector::parse("thead tr > *").unwrap())
        .map(text)
        .collect();
    let ci = heads.iter().position(|h| h == col)?;
    let rows = scraper::Selector::parse("tbody tr").unwrap();
    let cells = scraper::Selector::parse("th, td").unwrap();
    table.select(&rows).find_map(|tr| {
        let cs: Vec<String> = tr.select(&cells).map(text).collect();
        (cs.first().map(String::as_str) == Some(row))
            .then(|| cs.get(ci).cloned())
            .flatten()
    })
}

dual_test!(async fn an_election_result_reads_right_under_its_headers_and_is_checked_before_publishing(t) {
    let app = TestApp::new(t).await;
    let h = hall_in(&app.t.store, app.org.clone(), 12, 0, 12).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;
    let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", "增补代表选举"), ("kind", "election"), ("mode", "paper"), ("seats", "1")]).await;
    let poll_url = r.location().unwrap();
    for name in ["代表0001", "代表0002"] {
        c.post(&format!("{poll_url}/options"), &[("name", name)]).await.assert_status(303);
    }
    c.post(&format!("{poll_url}/open"), &[]).await.assert_status(303);
    c.post(&format!("{poll_url}/close"), &[]).await.assert_status(303);
    let teller = app.account_full("teller", Role::Delegate, app.org.school_a, Some(h.teller), None).await;
    let scrutineer = app.account_full("scrut", Role::Delegate, app.org.school_a, Some(h.scrutineers[0]), None).await;
    let voter = app.account_full("voter", Role::Delegate, app.org.school_a, Some(h.delegates[5].0), None).await;
    let mut tc = app.client_for(teller).await;
    let page = tc.get(&poll_url).await;
    // The teller's fields are named after the options: o<id>_<mark>.
    let names: Vec<String> = page.html().select(&scraper::Selector::parse("form.paper input[name^=o]").unwrap()).filter_map(|e| e.value().attr("name").map(str::to_string)).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    let first = names[0].split('_').next().unwrap().to_string();
    let second = names[3].split('_').next().unwrap().to_string();
    let mut form: Vec<(String, String)> = [("issued", "12"), ("returned", "12"), ("valid", "12"), ("invalid", "0")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for (o, counts) in [(&first, ["9", "2", "1"]), (&second, ["3", "8", "1"])] {
        for (i, v) in counts.iter().enumerate() {
            form.push((format!("{o}_{i}"), v.to_string()));
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    tc.post(&format!("{poll_url}/paper"), &form).await.assert_status(303);
    let mut sc = app.client_for(scrutineer).await;
    sc.post(&format!("{poll_url}/paper/confirm"), &[]).await.assert_status(303);

    // Before publishing, the chair and the scrutineer check the result; a delegate does not see it.
    let page = c.get(&poll_url).await;
    assert_eq!(page.select("#provisional").len(), 1, "the chair sees the result to check");
    assert_eq!(result_cell(&page, 0, "代表0001", "赞成").as_deref(), Some("9"));
    let page = sc.get(&poll_url).await;
    assert_eq!(page.select("#provisional").len(), 1, "the scrutineer sees the result to check");
    let mut vc = app.client_for(voter).await;
    let page = vc.get(&poll_url).await;
    assert!(page.select("#provisional").is_empty() && page.select("table.result").is_empty(), "a delegate sees no result before publication");

    c.post(&format!("{poll_url}/publish"), &[]).await.assert_status(303);
    for (who, client) in [("chair", &mut c), ("delegate", &mut vc)] {
        for url in [poll_url.clone(), format!("{poll_url}/result")] {
            let page = client.get(&url).await;
            page.assert_status(200);
            assert_eq!(result_cell(&page, 0, "代表0001", "赞成").as_deref(), Some("9"), "{who} {url}");
            assert_eq!(result_cell(&page, 0, "代表0001", "反对").as_deref(), Some("2"), "{who} {url}");
            assert_eq!(result_cell(&page, 0, "代表0001", "弃权").as_deref(), Some("1"), "{who} {url}");
            assert_eq!(result_cell(&page, 0, "代表0001", "结果").as_deref(), Some("当选"), "{who} {url}");
            assert_eq!(result_cell(&page, 0, "代表0002", "赞成").as_deref(), Some("3"), "{who} {url}");
            assert_eq!(result_cell(&page, 0, "代表0002", "结果").as_deref(), Some("未当选"), "{who} {url}");
        }
    }
    // The minutes, and the workbook: the same numbers under the same headers.
    let minutes = c.get(&format!("/congress/meetings/{}/minutes", h.meeting.0)).await;
    assert_eq!(result_cell(&minutes, 0, "代表0001", "赞成").as_deref(), Some("9"));
    let x = c.get(&format!("{poll_url}/result.xlsx")).await;
    let rows = read_xlsx(&x.bytes);
    let head = rows.iter().find(|r| r.first().map(String::as_str) == Some("候选人")).unwrap_or_else(|| panic!("{rows:?}"));
    let col = head.iter().position(|h| h == "赞成").unwrap();
    let du = rows.iter().find(|r| r.first().map(String::as_str) == Some("代表0001")).unwrap();
    assert_eq!(du[col], "9", "{rows:?}");
});

dual_test!(async fn a_delegate_lands_on_the_meeting_now_and_is_offered_only_votes_they_can_cast(t) {
    let app = TestApp::new(t).await;
    // 12 delegates and an observer; the first 10 delegates are checked in (a quorum).
    let h = hall_in(&app.t.store, app.org.clone(), 12, 1, 10).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;
    let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", "关于食堂管理办法的决议"), ("kind", "motion"), ("mode", "named")]).await;
    let poll_url = r.location().unwrap();
    let poll_id = poll_url.trim_start_matches("/polls/").to_string();
    let r = c.post(&format!("{poll_url}/open"), &[]).await;
    let page = c.follow(&r).await;
    assert!(page.text().contains("投票中"), "{}", page.text());
    let vote_link = format!("a[href='/polls/{poll_id}/vote']");

    // Checked in: the start page is the meeting, with "vote now"; no menu navigation needed.
    let d0 = app.account_full("d0", Role::Delegate, app.org.school_a, Some(h.delegates[0].0), None).await;
    let mut phone = app.client_for(d0).await;
    let home = phone.get("/").await;
    home.assert_status(200);
    assert!(home.text().contains("正在召开的会议") && home.text().contains("已签到"), "{}", home.text());
    assert_eq!(home.select(&vote_link), vec!["现在投票".to_string()], "{}", home.text());
    phone.post(&format!("{poll_url}/vote"), &[("step", "cast"), ("choice", "yes")]).await.assert_status(200);
    let home = phone.get("/").await;
    assert!(home.select(&vote_link).is_empty(), "voted: no second offer");
    assert!(home.text().contains("已投票"));
    let list = phone.get(&format!("/congress/meetings/{}/polls", h.meeting.0)).await;
    assert!(list.text().contains("已投票"), "{}", list.text());

    // Not checked in: the start page offers check-in and no poll; so does the poll list.
    let d9 = app.account_full("d9", Role::Delegate, app.org.school_a, Some(h.delegates[11].0), None).await;
    let mut late = app.client_for(d9).await;
    let home = late.get("/").await;
    assert_eq!(home.select(&format!("form[action='/congress/meetings/{}/check-in'] button", h.meeting.0)).len(), 1);
    assert!(home.select(&vote_link).is_empty());
    assert!(home.text().contains("签到后才能投票"));
    let list = late.get(&format!("/congress/meetings/{}/polls", h.meeting.0)).await;
    assert!(list.select(&vote_link).is_empty(), "a delegate not checked in is not offered the poll");
    // After checking in on the phone, the vote is offered.
    late.post(&format!("/congress/meetings/{}/check-in", h.meeting.0), &[]).await;
    assert_eq!(late.get("/").await.select(&vote_link).len(), 1);

    // An observer is never offered a poll.
    let obs = app.account_full("obs", Role::Delegate, app.org.school_a, Some(h.observers[0].0), None).await;
    let mut o = app.client_for(obs).await;
    let home = o.get("/").await;
    home.assert_status(200);
    assert!(home.select(&vote_link).is_empty());
    assert!(o.get(&format!("/congress/meetings/{}/polls", h.meeting.0)).await.select(&vote_link).is_empty());

    // The proposals committee and a department land on their queue, not on a bare password form.
    for role in [Role::ProposalsCommittee, Role::HandlingDepartment] {
        let mut q = app.client_as(role, app.org.school_a).await;
        let r = q.get("/").await;
        assert_eq!(r.location().as_deref(), Some("/proposals"), "{role:?}");
        q.get("/proposals").await.assert_status(200);
    }
});

/// The field name of each row of a ballot page, by the row's legend.
fn ballot_rows(page: &testkit::app::Resp) -> Vec<(String, String)> {
    let html = page.html();
    let set = scraper::Selector::parse("fieldset.row").unwrap();
    let legend = scraper::Selector::parse("legend").unwrap();
    let input = scraper::Selector::parse("input[type=radio]").unwrap();
    html.select(&set)
        .filter_map(|f| {
            let l = f.select(&legend).next()?.text().collect::<String>();
            let n = f.select(&input).next()?.value().attr("name")?.to_string();
            Some((l.trim().to_string(), n))
        })
        .collect()
}

dual_test!(async fn candidates_are_picked_by_search_with_their_post_and_the_confirmation_echoes_the_whole_ballot(t) {
    // Issue 25, item 12.
    let app = TestApp::new(t).await;
    let h = hall_in(&app.t.store, app.org.clone(), 12, 0, 10).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;
    let new_poll = |title: &'static str, kind: &'static str, mode: &'static str| (title, kind, mode);
    let mut urls = Vec::new();
    for (title, kind, mode) in [new_poll("民主评议校级领导", "cadre_review", "secret"), new_poll("增补工会委员", "election", "secret"), new_poll("举手表决议程", "motion", "paper")] {
        let r = c.post(&format!("/congress/meetings/{}/polls", h.meeting.0), &[("title", title), ("kind", kind), ("mode", mode), ("seats", "1"), ("contest", "competitive")]).await;
        r.assert_status(303);
        urls.push(r.location().unwrap());
    }
    let (review, election, paper) = (urls[0].clone(), urls[1].clone(), urls[2].clone());

    // Search by a part of the name, and by pinyin: members of this school only.
    let found = c.get(&format!("{review}?find=代表000")).await;
    found.assert_status(200);
    assert!(found.select("#candidate-hits li .name").len() >= 9, "{:?}", found.select("#candidate-hits li"));
    let by_pinyin = c.get(&format!("{review}?find=daibiao")).await;
    assert!(!by_pinyin.select("#candidate-hits li").is_empty(), "pinyin finds the names");
    let other = member(&app.t.store, app.org.school_b, "乙校教师", 640).await;
    let none = c.get(&format!("{review}?find=乙校")).await;
    assert!(none.select("#candidate-hits li").is_empty() && !none.select("#candidate-none").is_empty(), "another school's member is never offered");
    // Pick 代表0002 from the hits, with the post the ballot shows.
    let found = c.get(&format!("{review}?find=代表0002")).await;
    let id = found.attrs("#candidate-hits input[name=member]", "value");
    assert_eq!(id.len(), 1, "{:?}", found.select("#candidate-hits li"));
    c.post(&format!("{review}/options"), &[("member", &id[0]), ("post", "副校长")]).await.assert_status(303);
    c.post(&format!("{review}/options"), &[("name", "代表0003")]).await.assert_status(303);
    // A member of another school, forged into the form, is refused.
    c.post(&format!("{review}/options"), &[("member", &other.0.to_string()), ("post", "校长")]).await;
    let page = c.get(&review).await;
    assert_eq!(page.select("ol.options li").iter().map(|l| l.split_whitespace().next().unwrap_or("").to_string()).collect::<Vec<_>>(), ["代表0002（副校长）", "代表0003"]);
    assert!(!page.text().contains("乙校教师"));
    let again = c.get(&format!("{review}?find=代表0002")).await;
    assert!(!again.select("#candidate-hits .badge").is_empty(), "a listed candidate is marked, not offered twice");

    for name in ["代表0004", "代表0005"] {
        c.post(&format!("{election}/options"), &[("name", name)]).await.assert_status(303);
    }
    for u in [&review, &election] {
        c.post(&format!("{u}/open"), &[]).await.assert_status(200);
    }
    let d = app.account_full("d6", Role::Delegate, app.org.school_a, Some(h.delegates[6].0), None).await;
    let mut phone = app.client_for(d).await;

    // The review ballot shows the post; the check step lists the cadre left unmarked.
    let ballot = phone.get(&format!("{review}/vote")).await;
    ballot.assert_status(200);
    let rows = ballot_rows(&ballot);
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["代表0002（副校长）", "代表0003"]);
    let r = phone.post(&format!("{review}/vote"), &[("step", "review"), (&rows[0].1, "excellent")]).await;
    r.assert_status(200);
    assert_eq!(r.select("h1"), ["确认选票"], "the check step has its own title");
    assert_eq!(r.select(".poll-name"), ["民主评议校级领导"]);
    let detail = r.select("#ballot-detail div").join("|");
    assert!(detail.contains("优秀代表0002（副校长）"), "{detail}");
    assert!(detail.contains("未作标记") && detail.contains("代表0003"), "{detail}");
    let receipt = phone.post(&format!("{review}/vote"), &[("step", "cast"), (&rows[0].1, "excellent")]).await;
    assert_eq!(receipt.select("h1"), ["投票回执"]);

    // The election's check step echoes the name written in and the candidate left unmarked.
    let ballot = phone.get(&format!("{election}/vote")).await;
    let rows = ballot_rows(&ballot);
    let r = phone.post(&format!("{election}/vote"), &[("step", "review"), (&rows[0].1, "against"), ("w0", " 代表0007 ")]).await;
    r.assert_status(200);
    let detail = r.select("#ballot-detail div").join("|");
    assert!(detail.contains("另选他人代表0007"), "{detail}");
    assert!(detail.contains("反对代表0004"), "{detail}");
    assert!(detail.contains("未作标记") && detail.contains("代表0005"), "{detail}");

    // A paper poll shows no count of votes cast on phones; an electronic one does.
    c.post(&format!("{paper}/open"), &[]).await;
    let page = c.get(&paper).await;
    assert!(page.select("[data-k=voted]").is_empty(), "no e-vote progress on a paper poll");
    assert!(!page.select("#paper-turnout").is_empty());
    assert_eq!(c.get(&election).await.select("[data-k=voted]").len(), 1);
});
