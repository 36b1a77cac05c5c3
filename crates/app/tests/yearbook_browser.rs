//! Issue 23's "done when", in a real browser at phone size against the whole application on
//! loopback, over the demo district: a correspondent submits news with a photo from a phone,
//! the school approves it, the district publishes it and records a placement whose points
//! the correspondent then sees; the public news page shows the photo (location data gone);
//! the district's plan shows the news task's progress move; the district's year summary
//! draft, taken anew, reads like the seeds with every figure the records' own and each one
//! a link to its list, and exports to .docx.
//!
//! Needs `chromedriver` and `chromium` (Debian: `chromium chromium-driver`), driven through
//! `testkit::browser`. Without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use domain::auth::{SystemCap, perm};
use std::io::Read;
use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

fn on_big_stack(postgres: bool) {
    testkit::browser::on_big_stack(postgres, |t| Box::pin(scenario(t)));
}

mod news_from_a_phone_is_published_placed_and_counted_in_the_plan_and_the_summary_which_exports_to_docx {
    #[test]
    fn sqlite() {
        super::on_big_stack(false);
    }

    #[test]
    fn postgres() {
        super::on_big_stack(true);
    }
}

/// The link text of every link of the draft, by address.
async fn draft_links(b: &B<'_>) -> Vec<(String, String)> {
    let v = b
        .js("return Array.from(document.querySelectorAll('article.summary-draft a')).map(a => [a.getAttribute('href'), a.textContent]);")
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p.get(0)?.as_str()?.to_string(),
                        p.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// "value / target" of the plan's task whose indicator links to `href`.
async fn progress(b: &B<'_>, href: &str) -> String {
    let v = b
        .js(&format!(
            "const a = document.querySelector(\"td a[href='{href}']\"); return a ? a.closest('tr').textContent : '';"
        ))
        .await;
    let row = v.as_str().unwrap_or_default().to_string();
    row.split_whitespace()
        .collect::<Vec<_>>()
        .windows(3)
        .find(|w| w[1] == "/")
        .map(|w| w.join(" "))
        .unwrap_or(row)
}

async fn scenario(t: TestDb) {
    let st = t.store.clone();
    let pw = store::demo::DEMO_PASSWORD;
    let today = web::today();
    let year = chrono::Datelike::year(&today);
    let (_, hasher) = testkit::browser::load_demo(&st, 600, 7).await;
    // An active member of the chair's school, with a login, becomes a correspondent.
    let (member, school, root): (i64, i64, i64) = store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT m.id, m.school_union_id, (SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1) FROM member m
         WHERE m.status = 'active' AND m.school_union_id = (SELECT x.school_union_id FROM member x JOIN account a ON a.member_id = x.id WHERE a.username = 'chair')
         AND m.id NOT IN (SELECT member_id FROM correspondent) AND m.id NOT IN (SELECT member_id FROM account WHERE member_id IS NOT NULL)
         ORDER BY m.id LIMIT 1"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    let sys_cli = SystemCap::for_cli();
    let account = store::auth::create_account_system(
        &sys_cli,
        &st,
        &who(),
        &store::auth::NewAccount {
            username: "tongxun".into(),
            display_name: "通讯员".into(),
            member: Some(domain::ids::MemberId(member)),
            password_hash: Some(hasher.hash(pw).await.unwrap()),
        },
    )
    .await
    .unwrap();
    store::auth::grant_system(
        &sys_cli,
        &st,
        &who(),
        account,
        domain::auth::Role::Member,
        domain::ids::OrgUnitId(school),
    )
    .await
    .unwrap();
    store::correspondent::register(
        &st,
        &sys::<perm::NewsReview>(),
        &who(),
        &member.to_string(),
        today,
    )
    .await
    .unwrap();
    let state = web::AppState::new(st.clone(), hasher, web::WebConfig::default());
    let (base, server) = testkit::browser::serve_app(state.clone()).await;
    let setup = Setup {
        width: 375,
        height: 812,
        phone: true,
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };
    let dir = tempfile::tempdir().unwrap();
    let photo_path = dir.path().join("IMG_0412.jpg");
    std::fs::write(
        &photo_path,
        web::correspondent::photo::jpeg_with_gps(2400, 1800),
    )
    .unwrap();

    // The district's plan before: the news task's progress.
    let news_list = store::area::figure("figure-correspondent-items-published")
        .unwrap()
        .href(domain::ids::OrgUnitId(root), year);
    b.login_with("staff", pw).await;
    b.go(&format!("/plans?unit={root}&year={year}")).await;
    let before = progress(&b, &news_list).await;
    assert!(
        before.contains(" / "),
        "the plan shows the news task's progress: {before}"
    );

    // The correspondent submits from the phone, with a photo.
    b.login_with("tongxun", pw).await;
    b.go("/news/mine").await;
    b.set("title", "实验小学教工合唱团获区艺术节一等奖").await;
    b.set(
        "body",
        "在区教育系统艺术节上，实验小学教工合唱团演唱《歌唱祖国》，获一等奖。",
    )
    .await;
    b.first("#photo")
        .await
        .send_keys(&photo_path.display().to_string())
        .await
        .unwrap();
    b.click("form[action='/news/mine'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("稿件已提交"),
        "{}",
        b.flash().await
    );
    assert!(!b.b.scrolls_sideways().await, "the page fits a phone");
    b.b.screenshot("yearbook-news-submitted-phone").await;
    let id: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT id FROM news_item WHERE title = '实验小学教工合唱团获区艺术节一等奖'"
    )
    .fetch_one(p)
    .await)
    .unwrap();

    // The school approves; the district publishes and records a placement.
    b.login_with("chair", pw).await;
    b.go("/correspondents").await;
    b.click(&format!("form[action='/news/items/{id}/approve'] button"))
        .await;
    assert!(
        b.flash().await.contains("学校工会已审核通过"),
        "{}",
        b.flash().await
    );
    b.login_with("staff", pw).await;
    b.go("/correspondents").await;
    b.click(&format!("form[action='/news/items/{id}/approve'] button"))
        .await;
    assert!(
        b.flash().await.contains("已发布到工会信息页"),
        "{}",
        b.flash().await
    );
    b.set(&format!("level{id}"), "province").await;
    b.set(&format!("outlet{id}"), "省教育工会微信公众号").await;
    b.click(&format!("form[action='/news/items/{id}/placement'] button"))
        .await;
    let points =
        domain::correspondent::NEWS_RULES.points(domain::correspondent::PlacementLevel::Province);
    assert!(
        b.flash().await.contains(&format!("计 {points} 分")),
        "{}",
        b.flash().await
    );

    // The plan's progress moved by one.
    b.go(&format!("/plans?unit={root}&year={year}")).await;
    let after = progress(&b, &news_list).await;
    let n = |s: &str| {
        s.split(" / ")
            .next()
            .and_then(|x| x.trim().parse::<i64>().ok())
            .unwrap_or(-1)
    };
    assert_eq!(n(&after), n(&before) + 1, "{before} -> {after}");

    // The correspondent sees the points.
    b.login_with("tongxun", pw).await;
    b.go("/news/mine").await;
    assert!(
        b.text("body")
            .await
            .contains(&format!("我的录用积分：{points} 分")),
        "{}",
        b.text("h2").await
    );

    // The public news page, without a login: the item with its photo, shown.
    let _ = b.b.client.delete_all_cookies().await;
    b.go("/news").await;
    assert!(
        b.text("body")
            .await
            .contains("实验小学教工合唱团获区艺术节一等奖")
    );
    b.b.wait_js(&format!("(() => {{ const i = document.querySelector(\"#n{id} img.news-photo\"); return i && i.complete && i.naturalWidth > 0; }})()")).await;
    let shown = b
        .js(&format!(
            "return document.querySelector(\"#n{id} img.news-photo\").naturalWidth;"
        ))
        .await;
    assert_eq!(shown.as_i64(), Some(1600), "scaled to 1600 px");
    assert!(!b.b.scrolls_sideways().await, "the news page fits a phone");
    b.b.screenshot("yearbook-public-news-phone").await;
    let served = reqwest::get(format!("{base}/news/items/{id}/photo?n=0"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        !web::correspondent::photo::has_exif(&served),
        "the location is gone"
    );

    // The district's summary, taken anew from the records.
    b.login_with("staff", pw).await;
    b.go("/summaries").await;
    let sid: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT id FROM work_summary WHERE org_unit_id = $1 AND summary_year = $2"
    )
    .bind(root)
    .bind(i64::from(year))
    .fetch_one(p)
    .await)
    .unwrap();
    b.go(&format!("/summaries/{sid}")).await;
    b.click_confirm(&format!("form[action='/summaries/{sid}/refresh'] button"))
        .await;
    assert!(
        b.flash().await.contains("已按最新数据重新生成初稿"),
        "{}",
        b.flash().await
    );
    let text = b.text("article.summary-draft").await;
    assert!(
        text.contains("一、"),
        "numbered sections as the seeds write them"
    );
    assert!(
        text.contains("建立困难教职工档案56份"),
        "seed 002's 56 files: {text}"
    );
    let figures = store::work_plan::unit_figures(
        &st,
        &store::area::Reach::of(&sys::<perm::SummaryDraft>()),
        domain::ids::OrgUnitId(root),
        year,
    )
    .await
    .unwrap()
    .0;
    let tr = web::i18n::Tr::new(web::i18n::Lang::Zh);
    let links = draft_links(&b).await;
    let mut stated = 0;
    for (k, v) in figures.iter().filter(|(_, v)| **v != 0) {
        let value = web::work_plan::show_value(&tr, k, *v);
        let sentence = tr.ta(
            &format!("summary-{k}"),
            &[("value", value), ("label", tr.t(k))],
        );
        let sentence = sentence.trim_end_matches(['，', '；', '。']).to_string();
        let list = store::area::figure(k)
            .unwrap()
            .href(domain::ids::OrgUnitId(root), year);
        assert!(
            links
                .iter()
                .any(|(h, t)| *h == list && t.contains(&sentence)),
            "{k}: “{sentence}” is not a link to {list}"
        );
        stated += 1;
    }
    assert!(
        stated >= 10,
        "the draft states the year's figures: {stated}"
    );
    // Our published item is counted.
    let published = figures["figure-correspondent-items-published"];
    assert!(
        text.contains(&format!("发布工会信息{published}条")),
        "{text}"
    );
    b.b.screenshot("yearbook-summary-phone").await;

    // The .docx, fetched with the staff's session: the same sentences.
    let cookie =
        b.b.client
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
    let r = reqwest::Client::new()
        .get(format!("{base}/summaries/{sid}/summary.docx"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("建立困难教职工档案56份"));
    assert!(xml.contains(&format!("发布工会信息{published}条")));

    browser.close().await;
    server.abort();
}
