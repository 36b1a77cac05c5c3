//! Roster import on the web: bad rows named with the rest imported, files that are not
//! spreadsheets and uploads over the limit refused clearly, exports that import back with
//! no change, the mapping question asked once, and the template's headers and lists.

use domain::auth::Role;
use domain::auth::perm;
use store::org::MemberFilter;
use store::org::import::{ImportMode, ImportOptions};
use testkit::app::TestApp;
use testkit::roster::{self as roster_gen, school_roster};
use testkit::*;

fn opts(target: domain::ids::OrgUnitId, mode: ImportMode) -> ImportOptions {
    ImportOptions {
        target,
        mode,
        max_rows: 1000,
        today: today(),
        progress: None,
    }
}

dual_test!(async fn a_roster_with_three_bad_rows_names_them_and_imports_the_rest(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let mut rows = vec![row(&["姓名", "身份证号", "手机号", "岗位", "入会时间"])];
    for i in 0..4u32 {
        rows.push(row(&[&format!("好人{i}"), &id_number(100 + i, true), "", "教师", "2015/9/1"]));
    }
    let mut bad = id_number(200, true);
    bad.replace_range(17..18, if bad.ends_with('0') { "1" } else { "0" });
    rows.push(row(&["坏号码", &bad, "", "教师", ""]));
    rows.push(row(&["坏手机", &id_number(201, true), "123", "教师", ""]));
    rows.push(row(&["坏日期", &id_number(202, true), "", "教师", "明年春天"]));
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "名册.xlsx", xlsx(&rows)))).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    page.assert_status(200);
    let cells = page.select("table.errors tbody td");
    let rows_named: Vec<&String> = cells.iter().step_by(3).collect();
    assert_eq!(rows_named, vec!["6", "7", "8"], "{cells:?}");
    assert!(cells.iter().any(|c| c.contains("校验位")));
    assert!(cells.iter().any(|c| c == "手机号"));
    assert!(cells.iter().any(|c| c.contains("明年春天")));
    let path = r.location().unwrap();
    // All-or-nothing is not offered with errors; valid rows only is.
    let r = c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await;
    r.assert_status(303);
    // It runs in the background; the page follows it until it is done.
    let mut done = c.follow(&r).await;
    for _ in 0..100 {
        if done.select("[data-sse]").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        done = c.get(&path).await;
    }
    assert!(done.select("[data-sse]").is_empty(), "the import finished");
    assert!(!done.select(".flash.ok").is_empty(), "{:?}", done.select(".flash"));
    assert_eq!(done.select(".tile-num")[1], "4", "4 added");
    let list = c.get("/members").await;
    assert_eq!(list.select("table.members tbody tr").len(), 4);
    // Applying twice writes nothing more.
    let again = c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await;
    again.assert_status(303);
    assert_eq!(c.get("/members").await.select("table.members tbody tr").len(), 4);
});

dual_test!(async fn a_file_that_is_not_a_spreadsheet_gets_a_clear_message(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00".to_vec()))).await;
    r.assert_status(422);
    assert!(r.select(".form-error").iter().any(|e| e.contains("不是表格")));
});

dual_test!(async fn an_upload_over_the_limit_is_refused_and_the_server_answers_on(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let school = app.org.school_a.to_string();
    let big = vec![b'a'; web::WebConfig::default().max_upload_bytes + 200 * 1024];
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "big.csv", big))).await;
    r.assert_status(413);
    assert!(r.text().contains("MB"));
    c.get("/members").await.assert_status(200);
});

dual_test!(async fn an_export_of_the_roll_imports_back_with_no_change(t) {
    let app = TestApp::new(t).await;
    let t = &app.t;
    let o = &app.org;
    let file = roster_gen::roster_xlsx(&school_roster());
    store::org::value_map::remember(&t.store, &sys(), &who(), o.school_a, "post", roster_gen::UNKNOWN_POST, roster_gen::UNKNOWN_POST_ANSWER).await.unwrap();
    store::org::import::run(&t.store, &sys(), &who(), std::sync::Arc::new(file), &opts(o.school_a, ImportMode::ValidRows)).await.unwrap();
    let zh = web::i18n::Tr::new(web::i18n::Lang::Zh);
    let label = |k: &str| zh.t(k);
    let text = store::org::export::ExportText {
        sheet_name: "会员".into(),
        headers: store::org::export::EXPORT_COLUMNS.iter().map(|c| zh.t(&format!("col-{}", c.replace('_', "-")))).collect(),
        label: &label,
    };
    let full = sys::<perm::PersonalDataExport>();
    let (bytes, n) = store::org::export::export_members(&t.store, &sys(), Some(&full), &who(), Some("核对"), &MemberFilter::default(), today(), &text).await.unwrap();
    assert_eq!(n, 60);
    let back = store::org::import::run(&t.store, &sys(), &who(), std::sync::Arc::new(bytes), &opts(o.school_a, ImportMode::DryRun)).await.unwrap();
    assert_eq!((back.invalid_rows, back.pending_rows, back.created, back.updated), (0, 0, 0, 0), "{:?} {:?} {:?}", back.errors, back.questions, back.sample);
    assert_eq!(back.unchanged, 60);
});

#[test]
fn every_label_the_platform_writes_reads_back_as_its_value() {
    for lang in [web::i18n::Lang::Zh, web::i18n::Lang::En] {
        let tr = web::i18n::Tr::new(lang);
        for field in domain::roster::MAPPABLE_FIELDS {
            // English employment-type labels belong to issue 10's vocabulary.
            if field == "employment_type" && lang == web::i18n::Lang::En {
                continue;
            }
            for (code, key) in domain::roster::choices(field) {
                let label = if key.is_empty() {
                    code.clone()
                } else {
                    tr.t(&key)
                };
                assert_eq!(
                    domain::roster::answer_code(field, &label).as_deref(),
                    Some(code.as_str()),
                    "{field} {label}"
                );
            }
        }
    }
}

dual_test!(async fn a_chair_answers_the_question_once_and_imports_the_sixty_good_rows(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let roster = school_roster();
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "某某中学花名册.xlsx", roster_gen::roster_xlsx(&roster)))).await;
    r.assert_status(303);
    let path = r.location().unwrap();
    let page = c.follow(&r).await;
    // The question is asked once, with the count of rows and the field's list.
    let q = page.select("form.questions label");
    assert_eq!(q.len(), 1, "{q:?}");
    assert!(q[0].contains("宿管员") && q[0].contains("岗位") && q[0].contains('3'), "{q:?}");
    assert!(page.select("form.questions option").iter().any(|o| o == "工勤"));
    let rows: Vec<String> = page.select("table.errors tbody td").into_iter().step_by(3).collect();
    let mut rows: Vec<u32> = rows.iter().map(|r| r.parse().unwrap()).collect();
    rows.dedup();
    assert_eq!(rows, roster.bad_rows);
    assert!(!page.select("table.warnings tbody tr").is_empty(), "retirees under 50 are noted");
    // The problem list: named after the file, the rows themselves and a problem column.
    let list = c.get(&format!("{path}/errors.xlsx")).await;
    list.assert_status(200);
    let cd = list.headers.get("content-disposition").unwrap().to_str().unwrap().to_string();
    assert!(cd.contains(&pct("某某中学花名册-问题清单.xlsx")), "{cd}");
    let sheet = read_xlsx(&list.bytes);
    assert_eq!(sheet[0].last().map(String::as_str), Some("问题"));
    assert!(sheet[0].contains(&"身份证号码".to_string()), "{:?}", sheet[0]);
    assert!(sheet.iter().any(|r| r.contains(&"1999年2月30日".to_string()) && r.last().is_some_and(|p| p.contains("不存在"))), "{sheet:?}");

    // Answering updates the preview without a new upload.
    let r = c.post(&format!("{path}/answers"), &[("answer-0", "worker")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert!(page.select("form.questions").is_empty());
    assert_eq!(page.select(".tile-num")[1], "60", "60 to add");
    let r = c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await;
    r.assert_status(303);
    let mut done = c.follow(&r).await;
    for _ in 0..100 {
        if done.select("[data-sse]").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        done = c.get(&path).await;
    }
    let outcome = done.select(".import-outcome");
    assert!(outcome[0].contains("新增 60 人"), "{outcome:?}");

    // A later import of the same file asks nothing and changes nothing.
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "again.xlsx", roster_gen::roster_xlsx(&roster)))).await;
    let page = c.follow(&r).await;
    assert!(page.select("form.questions").is_empty(), "the answer is remembered for the school");
    assert_eq!(page.select(".tile-num")[1], "0");
    assert_eq!(page.select(".tile-num")[3], "60", "unchanged");
});

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

dual_test!(async fn the_template_has_the_expected_headers_and_drop_down_lists(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let page = c.get("/members/import").await;
    assert_eq!(page.select("a.template-download").len(), 1);
    let r = c.get("/members/import/template.xlsx").await;
    r.assert_status(200);
    let sheet = read_xlsx(&r.bytes);
    assert_eq!(sheet[0][0], "姓名");
    assert!(sheet[0].contains(&"岗位".to_string()) && sheet[0].contains(&"入会时间".to_string()));
    // Its headers are the ones the importer reads: an empty template is a roster with no rows.
    let report = store::org::import::run(&app.t.store, &sys(), &who(), std::sync::Arc::new(r.bytes.clone()), &opts(app.org.school_a, ImportMode::DryRun)).await.unwrap();
    assert!(report.ignored_columns.is_empty(), "{:?}", report.ignored_columns);
    assert_eq!(report.columns.len(), store::org::export::EXPORT_COLUMNS.len());
    // The drop-down lists are data validations in the sheet.
    let xml = unzip_entry(&r.bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<dataValidation type=\"list\""), "{xml}");
});

/// One entry of a zip archive (an .xlsx part) as text.
fn unzip_entry(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut f = zip.by_name(name).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

dual_test!(async fn a_masked_export_of_the_roll_imports_back_with_no_change(t) {
    let app = TestApp::new(t).await;
    let t = &app.t;
    let o = &app.org;
    let file = roster_gen::roster_xlsx(&school_roster());
    store::org::value_map::remember(&t.store, &sys(), &who(), o.school_a, "post", roster_gen::UNKNOWN_POST, roster_gen::UNKNOWN_POST_ANSWER).await.unwrap();
    store::org::import::run(&t.store, &sys(), &who(), std::sync::Arc::new(file), &opts(o.school_a, ImportMode::ValidRows)).await.unwrap();
    let zh = web::i18n::Tr::new(web::i18n::Lang::Zh);
    let label = |k: &str| zh.t(k);
    let text = store::org::export::ExportText {
        sheet_name: "会员".into(),
        headers: store::org::export::EXPORT_COLUMNS.iter().map(|c| zh.t(&format!("col-{}", c.replace('_', "-")))).collect(),
        label: &label,
    };
    let (bytes, n) = store::org::export::export_members(&t.store, &sys(), None, &who(), None, &MemberFilter::default(), today(), &text).await.unwrap();
    assert_eq!(n, 60);
    assert!(read_xlsx(&bytes)[1][3].contains("**********"), "the export is masked");
    let back = store::org::import::run(&t.store, &sys(), &who(), std::sync::Arc::new(bytes), &opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert_eq!((back.invalid_rows, back.pending_rows, back.created, back.updated), (0, 0, 0, 0), "{:?} {:?} {:?}", back.errors, back.questions, back.sample);
    assert_eq!(back.unchanged, 60);
});

dual_test!(async fn branches_an_import_creates_are_sorted_into_departments_and_groups_and_shown_for_confirmation(t) {
    // Issue 25, item 11: the roster's "部门" column holds departments that answer proposals,
    // teaching groups and union branches alike; the tree tells them apart and asks a person
    // to confirm what an import guessed.
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let mut rows = vec![row(&["姓名", "身份证号", "岗位", "部门"])];
    for (i, b) in ["总务处", "英语组", "第二分工会"].iter().enumerate() {
        rows.push(row(&[&format!("新人{i}"), &id_number(300 + i as u32, true), "教师", b]));
    }
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "名册.xlsx", xlsx(&rows)))).await;
    r.assert_status(303);
    let path = r.location().unwrap();
    c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await.assert_status(303);
    let mut tree = c.get("/org").await;
    for _ in 0..100 {
        if !tree.select("#roles-to-confirm").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        tree = c.get("/org").await;
    }
    assert!(tree.select("#roles-to-confirm").join("").contains("3 个部门"), "{:?}", tree.select(".flash"));
    let kind_of = |page: &testkit::app::Resp, name: &str| -> String {
        let html = page.html();
        let tr = scraper::Selector::parse("table.tree tbody tr").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        html.select(&tr)
            .find(|r| r.text().any(|t| t.trim() == name))
            .and_then(|r| r.select(&td).nth(1))
            .map(|d| d.text().collect::<String>())
            .unwrap_or_default()
    };
    assert!(kind_of(&tree, "总务处").starts_with("职能处室"), "{}", kind_of(&tree, "总务处"));
    assert!(kind_of(&tree, "英语组").starts_with("教研组"), "{:?}", tree.select("table.tree tbody tr"));
    assert!(kind_of(&tree, "第二分工会").starts_with("分工会"));
    // The fixture's own branches existed before: not asked about.
    assert!(!kind_of(&tree, "语文组").contains("待确认"));
    // Departments come first among the school's branches.
    let names = tree.select("table.tree tbody tr.role-department td:first-child a, table.tree tbody tr.role-teaching_group td:first-child a");
    let first_group = names.iter().position(|n| n == "英语组" || n == "语文组").unwrap();
    assert!(names.iter().position(|n| n == "总务处").unwrap() < first_group, "{names:?}");
    // The chair sees what waits; the district's staff, who keep the org tree, confirm.
    assert!(tree.attrs("form.role-confirm", "action").is_empty(), "a chair does not edit the org tree");
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    let tree = c.get("/org").await;
    let forms = tree.attrs("form.role-confirm", "action");
    assert_eq!(forms.len(), 3);
    let ids = tree.attrs("table.tree tbody tr.unconfirmed", "id");
    let english = ids.iter().find(|id| kind_of(&tree, "英语组").contains("待确认") && tree.select(&format!("tr#{id} td:first-child a")) == ["英语组"]).unwrap().trim_start_matches("unit-").to_string();
    let r = c.post(&format!("/org/branches/{english}/role"), &[("role", "teaching_group")]).await;
    r.assert_status(303);
    let tree = c.get("/org").await;
    assert!(tree.select("#roles-to-confirm").join("").contains("2 个部门"));
    assert!(!kind_of(&tree, "英语组").contains("待确认"));
    // Only those who keep the tree change it: a chair is refused.
    let mut b = app.client_as(Role::SchoolChair, app.org.school_a2).await;
    b.post(&format!("/org/branches/{english}/role"), &[("role", "department")]).await.assert_status(403);
});
