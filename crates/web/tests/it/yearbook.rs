//! News, the work plan and the year summary over HTTP (issue 23): a correspondent submits
//! from a phone, the school approves, the district publishes (the public page and its feed
//! show it without a login) and records a placement whose points the correspondent sees;
//! bad input comes back at its field with what was typed; the plan shows live progress;
//! the summary draft states the records' figures as sentences linking to their lists, is
//! editable and prints; a chair of school B gets 404 on school A's draft and its print
//! view; a year without records gives an honest empty draft. Both engines.

use chrono::Datelike;
use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

#[test]
fn every_message_and_every_figure_sentence_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::correspondent::text::ALL
            .iter()
            .chain(domain::work_plan::text::ALL)
        {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
        // Every figure of every area has its own sentence pattern in the summary.
        for f in store::area::declared_figures() {
            let k = format!("summary-{}", f.key);
            assert!(keys.contains(&k), "{k} missing in {lang:?}");
        }
        for a in store::area::AREAS.iter().filter(|a| !a.figures.is_empty()) {
            let k = format!("summary-section-{}", a.name);
            assert!(keys.contains(&k), "{k} missing in {lang:?}");
        }
    }
}

dual_test!(async fn a_correspondent_s_item_from_a_phone_is_reviewed_published_and_placed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let m = member(st, o.school_a, "李通讯", 1).await;
    let writer = app.account_full("tongxun", Role::Member, o.school_a, Some(m), None).await;
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let staff = app.account("quzonggonghui", Role::UnionStaff, o.union).await;
    let mut w = app.client_for(writer).await.header("user-agent", PHONE);
    // Not registered yet: the page says whom to ask, and a submission is refused.
    let page = w.get("/news/mine").await;
    page.assert_status(200);
    assert!(page.select("form[action='/news/mine']").is_empty());
    let r = w.post("/news/mine", &[("title", "运动会"), ("body", "正文")]).await;
    assert_eq!(r.status.as_u16(), 422);

    let mut c = app.client_for(chair).await;
    let r = c.post("/correspondents", &[("member", "李通讯")]).await;
    r.assert_status(303);
    // Bad input: an empty title comes back at its field; the text typed is kept.
    let r = w.post("/news/mine", &[("title", "  "), ("body", "教职工趣味运动会今天开幕。")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(r.select("#title ~ .field-error").len(), 1, "{}", r.text());
    assert!(r.select("#body").iter().any(|b| b.contains("教职工趣味运动会今天开幕。")));
    let r = w.post("/news/mine", &[("title", "教职工趣味运动会开幕"), ("body", "教职工趣味运动会今天开幕。")]).await;
    r.assert_status(303);
    let id: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM news_item").fetch_one(p).await).unwrap();

    // Not public before review.
    assert!(!app.anon().get("/news").await.text().contains("教职工趣味运动会开幕"));
    // The chair approves; the chair cannot publish (the district does).
    let desk = c.get("/correspondents").await;
    assert_eq!(desk.select(&format!("form[action='/news/items/{id}/approve']")).len(), 1);
    c.post(&format!("/news/items/{id}/approve"), &[]).await.assert_status(303);
    let r = c.post(&format!("/news/items/{id}/approve"), &[]).await;
    r.assert_status(303);
    let mut s = app.client_for(staff).await;
    s.post(&format!("/news/items/{id}/approve"), &[]).await.assert_status(303);
    let public = app.anon().get("/news").await;
    public.assert_status(200);
    assert!(public.text().contains("教职工趣味运动会开幕"));
    let feed = app.anon().get("/news/feed.atom").await;
    feed.assert_status(200);
    assert!(feed.text().contains("<entry><title>教职工趣味运动会开幕</title>"));

    // The district changes its points rules on the web: a refused form keeps what was
    // typed; the saved version counts the next placement, which records it.
    let r = s.post(&format!("/news/rules/{}", o.union), &[("district", "1"), ("city", "0"), ("province", "5"), ("national", "10"), ("note", "2027 年考核方案")]).await;
    r.assert_status(422);
    assert_eq!(r.select("#city-error").len(), 1, "{}", r.text());
    assert!(r.text().contains("2027 年考核方案"));
    s.post(&format!("/news/rules/{}", o.union), &[("district", "1"), ("city", "４"), ("province", "6"), ("national", "10"), ("note", "2027 年考核方案")]).await.assert_status(303);
    assert!(s.get("/correspondents").await.text().contains(" v1"), "the desk names the version in force");
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(other.post(&format!("/news/rules/{}", o.union), &[("district", "9"), ("city", "9"), ("province", "9"), ("national", "9")]).await.status.as_u16(), 404);
    // A placement at city level: the version's points, seen by the correspondent.
    s.post(&format!("/news/items/{id}/placement"), &[("level", "city"), ("outlet", "市教育工会网站")]).await.assert_status(303);
    let mine = w.get("/news/mine").await;
    assert!(mine.text().contains("我的录用积分：4 分"), "{}", mine.text());
    let version: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT rule_version FROM news_placement").fetch_one(p).await).unwrap();
    assert!(version.starts_with("news#") && version.ends_with(" v1"), "{version}");
    // A placement of an item that is not published is refused with a message.
    let r = s.post("/news/items/999999/placement", &[("level", "city"), ("outlet", "x")]).await;
    assert_eq!(r.status.as_u16(), 404);
});

dual_test!(async fn the_plan_shows_live_progress_and_refuses_an_unknown_indicator_keeping_the_input(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let staff = app.account("quzonggonghui", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let year = crate_today().year();
    let deadline = format!("{year}-12-31");
    let union = o.union.0.to_string();
    let r = s.post("/plans/tasks", &[("unit", &union), ("year", &year.to_string()), ("text", "虚构指标的任务"), ("owner", "办公室"), ("deadline", &deadline), ("figure", "figure-made-up"), ("target", "3")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(r.select("#figure ~ .field-error").len(), 1, "{}", r.text());
    assert!(r.text().contains("虚构指标的任务"), "the typed task is kept");
    let r = s.post("/plans/tasks", &[("unit", &union), ("year", &year.to_string()), ("text", "发展新会员"), ("owner", "组织部"), ("deadline", &deadline), ("figure", "figure-org-members-joined"), ("target", "2")]).await;
    r.assert_status(303);
    let page = s.get(&format!("/plans?unit={union}&year={year}")).await;
    page.assert_status(200);
    assert!(page.text().contains("发展新会员"));
    assert!(page.text().contains("0 / 2"), "{}", page.text());
    let link = store::area::figure("figure-org-members-joined").unwrap().href(o.union, year);
    assert_eq!(page.select(&format!("a[href='{link}']")).len(), 1, "the indicator links to its list");
});

fn crate_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

dual_test!(async fn the_summary_draft_states_the_figures_links_them_edits_and_prints_and_school_b_gets_404(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let year = crate_today().year();
    for (i, n) in ["张一", "张二", "张三"].iter().enumerate() {
        member(st, o.school_a, n, i as u32 + 1).await;
    }
    let chair_a = app.account("zhuxia", Role::SchoolChair, o.school_a).await;
    let chair_b = app.account("zhuxib", Role::SchoolChair, o.school_b).await;
    let mut a = app.client_for(chair_a).await;
    let r = a.post("/summaries", &[("unit", &o.school_a.0.to_string()), ("year", &year.to_string())]).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let page = a.follow(&r).await;
    page.assert_status(200);
    let figures = store::work_plan::unit_figures(
        st,
        &store::area::Reach::of(&sys::<domain::auth::perm::SummaryDraft>()),
        o.school_a,
        year,
    )
    .await
    .unwrap()
    .0;
    // Every figure of the records is on the page with its value and its list.
    let rows = page.select("table.figures tr[data-figure]");
    assert_eq!(rows.len(), figures.len(), "{}", page.text());
    // Each nonzero figure is stated in its catalogue sentence, linked to its list.
    let tr = web::i18n::Tr::new(Lang::Zh);
    let stated: Vec<_> = figures.iter().filter(|(_, v)| **v != 0).collect();
    assert!(!stated.is_empty(), "{figures:?}");
    let links = page.html();
    for (k, v) in stated {
        let value = web::work_plan::show_value(&tr, k, *v);
        let sentence = tr.ta(&format!("summary-{k}"), &[("value", value), ("label", tr.t(k))]);
        let sentence = sentence.trim_end_matches(['，', '；', '。']);
        assert!(page.text().contains(sentence), "{sentence} not in the draft");
        let list = store::area::figure(k).unwrap().href(o.school_a, year);
        let sel = scraper::Selector::parse(&format!("article.summary-draft a[href='{list}']")).unwrap();
        assert!(links.select(&sel).any(|a| a.text().collect::<String>().contains(sentence)), "{k}: the sentence links to {list}");
    }

    // Edited text is kept; the print view shows it.
    a.post(&href, &[("body", "甲校年度工作总结修改稿")]).await.assert_status(303);
    let print = a.get(&format!("{href}/print")).await;
    print.assert_status(200);
    assert!(print.text().contains("甲校年度工作总结修改稿"));
    // Bad input: an empty text is refused at the field, nothing lost of the stored text.
    let r = a.post(&href, &[("body", " ")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(a.get(&format!("{href}/print")).await.text().contains("甲校年度工作总结修改稿"));

    // The chair of school B: 404 on the page, the print view, an edit and a refresh.
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&href).await.status.as_u16(), 404);
    assert_eq!(b.get(&format!("{href}/print")).await.status.as_u16(), 404);
    assert_eq!(b.post(&href, &[("body", "乙校改写")]).await.status.as_u16(), 404);
    assert_eq!(b.post(&format!("{href}/refresh"), &[]).await.status.as_u16(), 404);
    assert_eq!(b.post("/summaries", &[("unit", &o.school_a.0.to_string()), ("year", &year.to_string())]).await.status.as_u16(), 404);
    assert!(!b.get("/summaries").await.text().contains(&href));
    assert!(a.get(&format!("{href}/print")).await.text().contains("甲校年度工作总结修改稿"));

    // A year without records: an honest, mostly empty draft, not an error page. School A
    // has a chair, the one figure not counted by year; school A2 has nothing at all.
    let r = a.post("/summaries", &[("unit", &o.school_a.0.to_string()), ("year", "2001")]).await;
    r.assert_status(303);
    let old = a.follow(&r).await;
    old.assert_status(200);
    assert!(old.select("article.summary-draft h2").len() <= 1, "{}", old.select("article.summary-draft").join("|"));
    let staff = app.account("quzonggonghui", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let r = s.post("/summaries", &[("unit", &o.school_a2.0.to_string()), ("year", "2001")]).await;
    r.assert_status(303);
    let empty = s.follow(&r).await;
    empty.assert_status(200);
    assert!(empty.text().contains("本年度平台上还没有可统计的记录"), "{}", empty.select("article.summary-draft").join("|"));
    assert!(empty.select("article.summary-draft h2").is_empty());
    // A year typed wrong: the message at the field.
    let r = a.post("/summaries", &[("unit", &o.school_a.0.to_string()), ("year", "二〇二六")]).await;
    assert_eq!(r.status.as_u16(), 422);
});

dual_test!(async fn news_photos_are_checked_by_content_stripped_of_location_and_public_only_once_published(t) {
    use domain::correspondent::PHOTO_MAX_BYTES;
    use web::correspondent::photo::{has_exif, jpeg_with_gps};
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let m = member(st, o.school_a, "王摄影", 1).await;
    let writer = app.account_full("sheying", Role::Member, o.school_a, Some(m), None).await;
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let chair_b = app.account("zhuxib", Role::SchoolChair, o.school_b).await;
    let staff = app.account("quzonggonghui", Role::UnionStaff, o.union).await;
    let mut c = app.client_for(chair).await;
    c.post("/correspondents", &[("member", "王摄影")]).await.assert_status(303);
    let mut w = app.client_for(writer).await.header("user-agent", PHONE);
    let form = w.get("/news/mine").await;
    assert_eq!(form.attrs("form[action='/news/mine']", "enctype"), ["multipart/form-data"]);
    assert_eq!(form.select("input#photo[type=file]").len(), 1);
    let fields = [("title", "教工合唱团排练"), ("body", "合唱团在音乐厅排练新曲目。")];

    // A text file named like a photo: refused at the photo field, the text kept.
    let r = w.post_multipart("/news/mine", &fields, Some(("photo", "合唱.jpg", b"this is not a picture".to_vec()))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert_eq!(r.select("#photo ~ .field-error"), ["这个文件不是图片，请选择照片（JPEG、PNG、WebP 或 GIF）。"]);
    assert_eq!(r.attrs("#title", "value"), ["教工合唱团排练"]);
    assert!(r.select("#body").iter().any(|b| b.contains("合唱团在音乐厅排练新曲目。")));
    // An oversized photo: refused at the field with the limit, the text kept.
    let mut big = jpeg_with_gps(16, 16);
    big.resize(PHOTO_MAX_BYTES + 1024, 0);
    let r = w.post_multipart("/news/mine", &fields, Some(("photo", "big.jpg", big))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert_eq!(r.select("#photo ~ .field-error"), ["照片太大：每张不超过 8 MB。"]);
    assert_eq!(r.attrs("#title", "value"), ["教工合唱团排练"]);
    let none: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM news_item").fetch_one(p).await).unwrap();
    assert_eq!(none, 0, "nothing stored from a refused submission");

    // A phone's photo with its GPS position: stored scaled down, without EXIF.
    let phone = jpeg_with_gps(3000, 2000);
    assert!(has_exif(&phone));
    let r = w.post_multipart("/news/mine", &fields, Some(("photo", "IMG_0001.JPG", phone))).await;
    r.assert_status(303);
    let (id, stored): (i64, Vec<u8>) = store::on_db!(app.t.db(), |p| sqlx::query_as("SELECT news_item_id, bytes FROM news_photo").fetch_one(p).await).unwrap();
    assert!(!has_exif(&stored) && !stored.windows(4).any(|x| x == b"Exif"), "no EXIF stored");
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!(img.width(), 1600, "scaled to the longest side");
    assert!((1066..=1067).contains(&img.height()), "{}", img.height());
    let photo = format!("/news/items/{id}/photo?n=0");

    // Not public before publication; its author and the school's reviewer see it, the
    // chair of school B does not.
    assert_eq!(app.anon().get(&photo).await.status.as_u16(), 404);
    w.get(&photo).await.assert_status(200);
    c.get(&photo).await.assert_status(200);
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&photo).await.status.as_u16(), 404);

    // Placing an item that is not published: refused with the reason.
    let mut s = app.client_for(staff).await;
    let r = s.post(&format!("/news/items/{id}/placement"), &[("level", "city"), ("outlet", "市教育工会网站")]).await;
    r.assert_status(303);
    assert!(s.follow(&r).await.text().contains("只有已发布的稿件才能登记录用。"));
    let placed: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM news_placement").fetch_one(p).await).unwrap();
    assert_eq!(placed, 0);

    c.post(&format!("/news/items/{id}/approve"), &[]).await.assert_status(303);
    s.post(&format!("/news/items/{id}/approve"), &[]).await.assert_status(303);
    let public = app.anon().get("/news").await;
    assert_eq!(public.attrs("img.news-photo", "src"), vec![photo.clone()]);
    let r = app.anon().get(&photo).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(http::header::CONTENT_TYPE).unwrap(), "image/jpeg");
    assert!(!has_exif(&r.bytes));
    assert_eq!(app.anon().get(&format!("/news/items/{id}/photo?n=1")).await.status.as_u16(), 404);
});

dual_test!(async fn the_summary_lists_the_year_s_prizes_and_exports_to_docx_and_pdf_with_its_figures(t) {
    use std::io::Read;
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let staff = app.account("quzonggonghui", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    // The honours: a published contest of 2026 with two winners.
    let (contest, winners) = crate::contests::published(&app).await;
    let r = s.post("/summaries", &[("unit", &o.union.0.to_string()), ("year", "2026")]).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let page = s.follow(&r).await;
    page.assert_status(200);
    let results = format!("/contests/{contest}/results");
    let honours = page.select(&format!("article.summary-draft a[href='{results}']"));
    assert!(page.text().contains("表彰与荣誉"), "{}", page.select("article.summary-draft").join("|"));
    assert_eq!(honours.len(), winners.len(), "{honours:?}");
    assert!(honours.iter().any(|h| h.contains("欧阳修远") && h.contains("全区教师书法比赛") && h.contains("一等奖")), "{honours:?}");
    assert!(honours.iter().any(|h| h.contains("诸葛晴岚") && h.contains("二等奖")), "{honours:?}");
    // The prizes figure counts the same records.
    assert!(page.select("tr[data-figure='figure-contests-prizes'] td").contains(&winners.len().to_string()), "{}", page.select("table.figures").join("|"));

    // A draft with the seed's figures (56 files, 11 grants, ¥10,300), exported.
    let figures = r#"{"values":{"figure-assistance-files-opened":56,"figure-assistance-grants":11,"figure-assistance-grants-fen":1030000},"schools":3}"#;
    let sid: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("INSERT INTO work_summary (org_unit_id, summary_year, figures, rule_version, drafted_at) VALUES ($1, 2025, $2, 'news-local-1', $3) RETURNING id").bind(o.school_a2.0).bind(figures).bind(chrono::Utc::now()).fetch_one(p).await).unwrap();
    let draft = s.get(&format!("/summaries/{sid}")).await;
    draft.assert_status(200);
    let want = ["建立困难教职工档案56份", "对11人次困难教职工实施帮扶救助", "发放帮扶资金1.03万元"];
    for w in want {
        assert!(draft.text().contains(w), "{w} not in the draft");
    }
    assert_eq!(draft.attrs("a[href$='/summary.docx']", "href"), [format!("/summaries/{sid}/summary.docx")]);
    let r = s.get(&format!("/summaries/{sid}/summary.docx")).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(http::header::CONTENT_TYPE).unwrap(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes.clone())).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("word/document.xml").read_to_string(&mut xml).unwrap();
    for w in want {
        assert!(xml.contains(w), "{w} not in word/document.xml");
    }
    // The edited text is what the .docx carries once there is one.
    s.post(&format!("/summaries/{sid}"), &[("body", "乙校年度工作总结（修改稿）\n建立困难教职工档案56份。")]).await.assert_status(303);
    let r = s.get(&format!("/summaries/{sid}/summary.docx")).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes.clone())).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
    assert!(xml.contains("乙校年度工作总结（修改稿）"));
    s.post(&format!("/summaries/{sid}/refresh"), &[]).await.assert_status(303);
    store::on_db!(app.t.db(), |p| sqlx::query("UPDATE work_summary SET figures = $1 WHERE id = $2").bind(figures).bind(sid).execute(p).await.map(|_| ())).unwrap();

    // Another school's chair gets neither file.
    let chair_b = app.account("zhuxib", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&format!("{href}/summary.docx")).await.status.as_u16(), 404);
    assert_eq!(b.get(&format!("{href}/summary.pdf")).await.status.as_u16(), 404);

    // The PDF needs a CJK font: without one this part says it did not run, unless required.
    if let Err(e) = web::contests::certificate::font() {
        assert!(!testkit::browser::required(), "JIAOGONG_REQUIRE_BROWSER=1 but {e}");
        testkit::pg_cluster::not_run("summary PDF", &e.to_string());
        return;
    }
    let r = s.get(&format!("/summaries/{sid}/summary.pdf")).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(http::header::CONTENT_TYPE).unwrap(), "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&r.bytes).expect("the PDF reads back");
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for w in want {
        assert!(flat.contains(w), "{w} not in the PDF: {flat}");
    }
});
