//! The rules as the statutes say, over HTTP: the rules page cites each number's source and
//! offers no base but all delegates, an older laxer version is refused with a message, the
//! oversight table shows a recorded exemption, and a cadre review's results reach only
//! those its rule set names — on the poll page, the minutes, the result sheet (its print
//! view) and its .xlsx alike, for each role.

use domain::auth::Role;
use domain::ids::MemberId;
use domain::voting::*;
use store::on_db;
use store::voting::ballot_box::{BallotBox, Voter, prepare};
use store::voting::{self as sv};
use testkit::app::TestApp;
use testkit::hall::{close, hall_in, open, poll_draft};
use testkit::*;

dual_test!(async fn cadre_review_results_reach_only_those_the_rules_name_on_every_output(t) {
    let app = TestApp::new(t).await;
    let st = &app.t.store;
    let h = hall_in(st, app.org.clone(), 14, 0, 14).await;
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &poll_draft("民主评议学校领导干部", "cadre_review", "secret", 0)).await.unwrap();
    let mut leaders = Vec::new();
    for i in [12, 13] {
        leaders.push(sv::add_option(st, &sys(), &who(), poll, h.delegates[i].0).await.unwrap());
    }
    open(st, &h, poll).await.unwrap();
    let bx = BallotBox::start(st.db.clone());
    for i in 0..12 {
        let p = prepare(&st.db, Voter::Code(&h.delegates[i].2), poll).await.unwrap();
        let input = BallotInput {
            marks: vec![(leaders[0], ["excellent", "competent", "basic"][i % 3].into()), (leaders[1], "competent".into())],
            ..BallotInput::default()
        };
        bx.cast(&p, &p.check(&input).unwrap()).await.unwrap();
    }
    // Closing has the scrutineers count the sealed ballots with their shares.
    close(st, &h, poll).await;
    sv::publish_poll(st, &sys(), &who(), poll).await.unwrap();
    // The default audience is the presidium: delegate 5 sits in it, delegate 6 does not.
    store::congress::meetings::add_role(st, &sys(), &who(), h.meeting, h.delegates[5].0, domain::congress::MeetingRole::Presidium).await.unwrap();

    let o = &app.org;
    let roles: Vec<(&str, Role, domain::ids::OrgUnitId, Option<MemberId>, bool)> = vec![
        ("chair", Role::SchoolChair, o.school_a, None, true),
        ("staff", Role::UnionStaff, o.union, None, true),
        ("lead", Role::AreaLead, o.area_a, None, false),
        ("committee", Role::CommitteeMember, o.school_a, None, false),
        ("delegate", Role::Delegate, o.school_a, Some(h.delegates[6].0), false),
        ("presidium", Role::Delegate, o.school_a, Some(h.delegates[5].0), true),
    ];
    let poll_url = format!("/polls/{}", poll.0);
    let minutes_url = format!("/congress/meetings/{}/minutes", h.meeting.0);
    for (name, role, unit, member, sees) in roles {
        let id = app.account_full(name, role, unit, member, None).await;
        let mut c = app.client_for(id).await;
        // The poll page.
        let page = c.get(&poll_url).await;
        page.assert_status(200);
        assert_eq!(!page.select("table.result").is_empty(), sees, "{name}: poll page");
        assert_eq!(page.text().contains("民主评议结果只向规则规定的人员公开"), !sees, "{name}: poll page says why");
        // The minutes.
        let m = c.get(&minutes_url).await;
        m.assert_status(200);
        assert_eq!(!m.select("table.result").is_empty(), sees, "{name}: minutes");
        // The result sheet, which is also its print view.
        let r = c.get(&format!("{poll_url}/result")).await;
        assert_eq!(r.status.as_u16(), if sees { 200 } else { 403 }, "{name}: result sheet");
        if sees {
            assert!(r.text().contains("称职及以上"), "{name}: the table is there");
        } else {
            assert!(!r.text().contains("称职及以上"), "{name}: nothing of the table leaks");
        }
        // The .xlsx, read back.
        let x = c.get(&format!("{poll_url}/result.xlsx")).await;
        assert_eq!(x.status.as_u16(), if sees { 200 } else { 403 }, "{name}: .xlsx");
        if sees {
            let cells: Vec<String> = read_xlsx(&x.bytes).into_iter().flatten().collect();
            assert!(cells.iter().any(|c| c == "称职及以上"), "{name}: {cells:?}");
            // 8 of 12 competent or better for the first leader: 66.7%.
            assert!(cells.iter().any(|c| c == "66.7%"), "{name}: {cells:?}");
        }
    }
});

dual_test!(async fn the_rules_page_cites_each_numbers_source_and_offers_no_smaller_base(t) {
    let app = TestApp::new(t).await;
    let chair = app.account("chair", Role::SchoolChair, app.org.school_a).await;
    let mut c = app.client_for(chair).await;
    let url = format!("/congress/rules/{}", app.org.school_a.0);
    let page = c.get(&url).await;
    page.assert_status(200);
    let text = page.text();
    assert!(!text.contains("其他表决可按应到或实到人数计"), "the invented source is gone");
    let sources = page.select("table.rules tbody td:nth-child(3)");
    assert_eq!(sources.len(), domain::rules::Rule::ALL.len());
    for s in &sources {
        assert!(
            s.contains("教育部令第32号") || s.contains("工会基层组织选举工作条例") || s.contains("本地规定"),
            "each number names its document, or says it is local: {s}"
        );
    }
    assert!(text.contains("第一千二百五十九条"));
    for base in ["quorum_base", "pass_base", "election_base"] {
        assert!(page.select(&format!("select[name={base}]")).is_empty(), "no choice of {base}");
    }
    // A smaller base posted anyway is refused at the field, and what was typed stays.
    let mut form: Vec<(String, String)> = Vec::new();
    let input = domain::rules::RuleSetInput::from_rules(&domain::rules::RuleSet::DEFAULT);
    let v = serde_json::to_value(&input).unwrap();
    for (k, val) in v.as_object().unwrap() {
        form.push((k.clone(), val.as_str().unwrap_or_default().to_string()));
    }
    for f in form.iter_mut() {
        if f.0 == "pass_base" {
            f.1 = "present".into();
        }
        if f.0 == "note" {
            f.1 = "试行".into();
        }
    }
    form.push(("action".into(), "save".into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = c.post(&url, &pairs).await;
    r.assert_status(422);
    assert!(r.text().contains("只能以代表总数为基数"), "{}", r.text());
    assert!(r.text().contains("试行"));
    // An older version that counted elections against those due decides nothing, and the
    // page says so.
    let numbers = serde_json::to_string(&domain::rules::RuleSet { election_base: domain::rules::Base::Due, ..domain::rules::RuleSet::DEFAULT }).unwrap();
    on_db!(&app.t.store.db, |p| sqlx::query(
        "INSERT INTO rule_set (org_unit_id, version, inherit, numbers, note, created_at, created_by) VALUES ($1, 1, FALSE, $2, NULL, $3, NULL)"
    ).bind(app.org.school_a.0).bind(&numbers).bind(store::db::now()).execute(p).await.map(|_| ())).unwrap();
    let page = c.get(&url).await;
    let alert = page.select("#rules-laxer").join("");
    assert!(alert.contains("第 1 版") && alert.contains("低于法定标准"), "{alert}");
});

dual_test!(async fn the_district_records_a_justified_exemption_and_the_table_shows_it(t) {
    let app = TestApp::new(t).await;
    let staff = app.account("district", Role::UnionStaff, app.org.union).await;
    let mut c = app.client_for(staff).await;
    let year = domain::congress::school_year(today()).to_string();
    let page = c.get(&format!("/congress/oversight?year={year}")).await;
    page.assert_status(200);
    assert!(!page.select("form[action='/congress/oversight/exemption']").is_empty(), "offered where no meeting was held");
    let school = app.org.school_b.0.to_string();
    let r = c.post("/congress/oversight/exemption", &[("school", &school), ("year", &year), ("reason", "学校整体搬迁，经区教育工会同意")]).await;
    r.assert_status(303);
    let page = c.get(&format!("/congress/oversight?year={year}")).await;
    let ex = page.select("p.exemption").join(" ");
    assert!(ex.contains("学校整体搬迁"), "{ex}");
    let x = c.get(&format!("/congress/oversight.xlsx?year={year}")).await;
    let cells: Vec<String> = read_xlsx(&x.bytes).into_iter().flatten().collect();
    assert!(cells.iter().any(|c| c.contains("学校整体搬迁")), "{cells:?}");
    // An area lead sees the table but may not excuse.
    let lead = app.account("lead", Role::AreaLead, app.org.area_a).await;
    let mut l = app.client_for(lead).await;
    let page = l.get(&format!("/congress/oversight?year={year}")).await;
    assert!(page.select("form[action='/congress/oversight/exemption']").is_empty());
    let r = l.post("/congress/oversight/exemption", &[("school", &app.org.school_a.0.to_string()), ("year", &year), ("reason", "x")]).await;
    r.assert_status(403);
});
