//! Roster import in the store: importing is idempotent, every bad row is named with row,
//! column and reason, usual date spellings are read, files that are not rosters and sheets
//! over the limit are refused whole, and empty cells keep stored values.

use domain::auth::{Role, perm};
use domain::org::MemberStatus;
use std::sync::Arc;
use store::org::import::{self, ImportError, ImportMode, ImportOptions, RowAction};
use store::org::roster_file::RosterError;
use store::org::{self, MemberFilter, PageRequest, StatusFilter};
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

const HEADER: [&str; 8] = [
    "姓名",
    "性别",
    "身份证号",
    "手机号",
    "单位",
    "部门",
    "岗位",
    "入会时间",
];

fn good_rows(n: u32) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let id = id_number(500 + i, i % 2 == 0);
            row(&[
                &format!("教师{i:02}"),
                if i % 2 == 0 { "男" } else { "女" },
                &id,
                &format!("139{:08}", i),
                "SA1",
                "语文组",
                "教师",
                "2010-09-01",
            ])
        })
        .collect()
}

async fn count(t: &TestDb, status: StatusFilter) -> usize {
    let f = MemberFilter {
        status,
        ..Default::default()
    };
    org::list_members(
        &t.store,
        &sys(),
        &f,
        &PageRequest {
            after: None,
            before: None,
            limit: 500,
        },
        today(),
    )
    .await
    .unwrap()
    .rows
    .len()
}

async fn audit_records(t: &TestDb) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn run(
    t: &TestDb,
    bytes: Vec<u8>,
    o: ImportOptions,
) -> Result<import::ImportReport, ImportError> {
    import::run(&t.store, &sys(), &who(), Arc::new(bytes), &o).await
}

dual_test!(async fn a_roster_is_imported_and_importing_it_again_changes_nothing(t) {
    let o = org(&t.store).await;
    let mut rows = vec![row(&["甲一小学教职工花名册"]), row(&HEADER)];
    rows.extend(good_rows(12));
    let file = xlsx(&rows);
    let dry = run(&t, file.clone(), opts(o.school_a, ImportMode::DryRun)).await.unwrap();
    assert_eq!((dry.rows, dry.created, dry.invalid_rows, dry.applied), (12, 12, 0, false));
    assert_eq!(count(&t, StatusFilter::All).await, 0, "a dry run writes nothing");
    let r = run(&t, file.clone(), opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert!(r.applied);
    assert_eq!(r.created, 12);
    assert_eq!(count(&t, StatusFilter::All).await, 12);
    let audits = audit_records(&t).await;
    let again = run(&t, file, opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 12));
    assert_eq!(count(&t, StatusFilter::All).await, 12);
    // Only the import's own summary record is added.
    assert_eq!(audit_records(&t).await, audits + 1);
    // The branch column put members in the branch.
    let p = org::list_members(&t.store, &sys(), &MemberFilter::default(), &PageRequest { after: None, before: None, limit: 5 }, today()).await.unwrap();
    assert_eq!(p.rows[0].branch_name.as_deref(), Some("语文组"));
});

dual_test!(async fn every_bad_row_is_named_with_row_column_and_reason(t) {
    let o = org(&t.store).await;
    let mut rows = vec![row(&HEADER)];
    rows.extend(good_rows(3));
    let mut bad_check = id_number(900, true);
    bad_check.replace_range(17..18, if bad_check.ends_with('0') { "1" } else { "0" });
    rows.push(row(&["坏校验", "男", &bad_check, "", "SA1", "", "教师", ""]));
    rows.push(row(&["重复", "", &id_number(500, true), "", "SA1", "", "教师", ""]));
    rows.push(row(&["无此校", "", &id_number(901, true), "", "NOPE", "", "教师", ""]));
    rows.push(row(&["坏日期", "", &id_number(903, true), "", "SA1", "", "教师", "去年"]));
    rows.push(row(&["", "", &id_number(905, true), "", "SA1", "", "", ""]));
    let file = xlsx(&rows);
    let r = run(&t, file.clone(), opts(o.union, ImportMode::DryRun)).await.unwrap();
    assert_eq!(r.invalid_rows, 5);
    let found: Vec<(u32, Option<String>, String)> = r.errors.iter().map(|e| (e.row, e.column.clone(), e.key.clone())).collect();
    assert!(found.contains(&(5, Some("身份证号".into()), domain::text::ID_CHECK_DIGIT.into())), "{found:?}");
    assert!(found.contains(&(6, Some("身份证号".into()), domain::text::ID_DUPLICATE_IN_FILE.into())), "{found:?}");
    assert!(found.contains(&(7, Some("单位".into()), domain::text::SCHOOL_UNKNOWN.into())), "{found:?}");
    assert!(found.contains(&(8, Some("入会时间".into()), domain::text::DATE_INVALID.into())), "{found:?}");
    assert!(found.contains(&(9, Some("姓名".into()), domain::text::REQUIRED.into())), "{found:?}");
    assert!(found.contains(&(9, Some("岗位".into()), domain::text::REQUIRED.into())), "{found:?}");
    let dup = r.errors.iter().find(|e| e.key == domain::text::ID_DUPLICATE_IN_FILE).unwrap();
    assert_eq!(dup.args, vec![("row".to_string(), "2".to_string())]);

    let all = run(&t, file.clone(), opts(o.union, ImportMode::AllOrNothing)).await.unwrap();
    assert!(!all.applied);
    assert_eq!(count(&t, StatusFilter::All).await, 0, "all-or-nothing applies nothing");
    let valid = run(&t, file, opts(o.union, ImportMode::ValidRows)).await.unwrap();
    assert!(valid.applied);
    assert_eq!(valid.created, 3);
    assert_eq!(count(&t, StatusFilter::All).await, 3, "exactly the valid rows");
});

dual_test!(async fn usual_date_spellings_and_excel_serials_are_accepted(t) {
    let o = org(&t.store).await;
    let mut rows = vec![row(&HEADER)];
    for (i, d) in ["2024/3/5", "2024年3月5日", "45356", "2024.03.05"].iter().enumerate() {
        rows.push(row(&[&format!("日期{i}"), "", &id_number(700 + i as u32, true), "", "", "", "教师", d]));
    }
    let r = run(&t, xlsx(&rows), opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert_eq!((r.created, r.invalid_rows), (4, 0), "{:?}", r.errors);
});

dual_test!(async fn a_gb18030_csv_from_chinese_excel_is_read(t) {
    let o = org(&t.store).await;
    let text = format!("姓名,身份证号,岗位,手机号\r\n王五,{},教师,13900000001\r\n", id_number(42, true));
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let r = run(&t, bytes.into_owned(), opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert_eq!(r.created, 1, "{:?}", r.errors);
    let p = org::list_members(&t.store, &sys(), &MemberFilter::default(), &PageRequest { after: None, before: None, limit: 5 }, today()).await.unwrap();
    assert_eq!(p.rows[0].name, "王五");
});

dual_test!(async fn files_that_are_not_rosters_get_a_clear_error(t) {
    let o = org(&t.store).await;
    let e = run(&t, b"%PDF-1.4 \x00\x00 binary".to_vec(), opts(o.school_a, ImportMode::DryRun)).await.unwrap_err();
    assert!(matches!(e, ImportError::File(RosterError::NotSpreadsheet)), "{e:?}");
    let e = run(&t, xlsx(&[row(&["甲", "乙"]), row(&["1", "2"])]), opts(o.school_a, ImportMode::DryRun)).await.unwrap_err();
    assert!(matches!(e, ImportError::NoHeader), "{e:?}");
    let e = run(&t, xlsx(&[row(&["姓名", "身份证号"])]), opts(o.school_a, ImportMode::DryRun)).await.unwrap_err();
    assert!(matches!(e, ImportError::MissingColumns(ref c) if c == &vec!["post"]), "{e:?}");
    let e = run(&t, xlsx(&[row(&["姓名", "身份证号", "岗位"])]), opts(o.union, ImportMode::DryRun)).await.unwrap_err();
    assert!(matches!(e, ImportError::MissingColumns(ref c) if c == &vec!["school"]), "{e:?}");
});

dual_test!(async fn a_sheet_over_the_row_limit_is_refused_whole(t) {
    let o = org(&t.store).await;
    let mut rows = vec![row(&HEADER)];
    rows.extend(good_rows(30));
    let e = run(&t, xlsx(&rows), ImportOptions { max_rows: 25, ..opts(o.school_a, ImportMode::ValidRows) }).await.unwrap_err();
    assert!(matches!(e, ImportError::TooManyRows(25)), "{e:?}");
    assert_eq!(count(&t, StatusFilter::All).await, 0);
});

dual_test!(async fn a_changed_row_updates_and_empty_cells_keep_stored_values(t) {
    let o = org(&t.store).await;
    let mut rows = vec![row(&HEADER)];
    rows.extend(good_rows(2));
    run(&t, xlsx(&rows), opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    // Same people: one with a new phone and retired, one with empty phone and join date.
    let id0 = id_number(500, true);
    let id1 = id_number(501, false);
    let second = xlsx(&[
        row(&["姓名", "身份证号", "手机号", "岗位", "状态", "入会时间"]),
        row(&["教师00", &id0, "13700000000", "教师", "退休", ""]),
        row(&["教师01", &id1, "", "教师", "", ""]),
    ]);
    let r = run(&t, second, opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert_eq!((r.updated, r.unchanged), (1, 1), "{:?}", r.sample);
    match &r.sample[0].action {
        RowAction::Update { fields } => {
            assert!(fields.contains(&"phone".to_string()) && fields.contains(&"status".to_string()), "{fields:?}");
            assert!(!fields.contains(&"join_date".to_string()));
        }
        other => panic!("{other:?}"),
    }
    let f = MemberFilter { status: StatusFilter::Only(MemberStatus::Retired), ..Default::default() };
    let p = org::list_members(&t.store, &sys(), &f, &PageRequest { after: None, before: None, limit: 5 }, today()).await.unwrap();
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].phone_masked.as_deref(), Some("*******0000"));
    assert_eq!(p.rows[0].branch_name.as_deref(), Some("语文组"), "no branch column keeps the branch");
});

dual_test!(async fn a_member_of_another_school_is_not_moved_by_an_import(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_b, "乙校人", 77).await;
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位"]), row(&["乙校人", &id_number(77, true), "教师"])]);
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::MemberImport>().unwrap();
    let r = import::run(&t.store, &cap, &who(), Arc::new(file), &opts(o.school_a, ImportMode::ValidRows)).await.unwrap();
    assert_eq!(r.invalid_rows, 1);
    assert_eq!(r.errors[0].key, domain::text::MEMBER_OTHER_SCHOOL);
});

dual_test!(async fn a_chair_cannot_import_into_another_school(t) {
    let o = org(&t.store).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::MemberImport>().unwrap();
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位"]), row(&["某人", &id_number(78, true), "教师"])]);
    let e = import::run(&t.store, &cap, &who(), Arc::new(file.clone()), &opts(o.school_b, ImportMode::ValidRows)).await.unwrap_err();
    assert!(matches!(e, ImportError::Store(store::StoreError::NotFound)));
    // Nor by naming it in the school column.
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位", "单位"]), row(&["某人", &id_number(78, true), "教师", "SB1"])]);
    let r = import::run(&t.store, &cap, &who(), Arc::new(file), &opts(o.school_a, ImportMode::ValidRows)).await.unwrap();
    assert_eq!(r.errors[0].key, domain::text::SCHOOL_UNKNOWN);
    assert_eq!(count(&t, StatusFilter::All).await, 0);
});

dual_test!(async fn new_branches_are_announced_then_created(t) {
    let o = org(&t.store).await;
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位", "部门"]), row(&["某人", &id_number(79, true), "教师", "英语组"])]);
    let dry = run(&t, file.clone(), opts(o.school_a, ImportMode::DryRun)).await.unwrap();
    assert_eq!(dry.new_branches, vec![("甲一小学工会".to_string(), "英语组".to_string())]);
    let r = run(&t, file, opts(o.school_a, ImportMode::AllOrNothing)).await.unwrap();
    assert!(r.applied);
    let kids: Vec<String> = org::children(t.db(), &sys::<perm::OrgView>(), o.school_a).await.unwrap().into_iter().map(|u| u.name).collect();
    assert!(kids.contains(&"英语组".to_string()));
});

dual_test!(async fn an_id_number_typed_into_a_number_cell_is_explained(t) {
    let o = org(&t.store).await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "岗位"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "数字").unwrap();
    ws.write_number(1, 1, 330102198001010011f64).unwrap();
    ws.write_string(1, 2, "教师").unwrap();
    let r = run(&t, wb.save_to_buffer().unwrap(), opts(o.school_a, ImportMode::DryRun)).await.unwrap();
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].key, domain::text::ID_AS_NUMBER);
});

// ---- A school's realistic roster (issue 13), in every format offices send ----

use testkit::roster::{self as roster_gen, school_roster};

/// Dry run → exactly the planted bad rows, no false error, one question; the answer is
/// remembered; "valid rows only" imports the 60 good rows; a re-import changes nothing.
async fn the_school_roster_imports_its_good_rows(t: &TestDb, file: Vec<u8>, what: &str) {
    let o = org(&t.store).await;
    let r = school_roster();
    let dry = run(t, file.clone(), opts(o.school_a, ImportMode::DryRun))
        .await
        .unwrap();
    let mut bad: Vec<u32> = dry.errors.iter().map(|e| e.row).collect();
    bad.dedup();
    assert_eq!(bad, r.bad_rows, "{what}: {:#?}", dry.errors);
    assert_eq!(dry.invalid_rows, 4, "{what}");
    assert_eq!(dry.header_row, 2, "{what}");
    let keys: Vec<(u32, &str, &str)> = dry
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_deref().unwrap_or(""), e.key.as_str()))
        .collect();
    let [d, c, dup, p] = [r.bad_rows[0], r.bad_rows[1], r.bad_rows[2], r.bad_rows[3]];
    assert!(
        keys.contains(&(d, "入会时间", domain::text::DATE_NOT_EXIST)),
        "{what}: {keys:?}"
    );
    assert!(
        keys.contains(&(c, "身份证号码", domain::text::ID_CHECK_DIGIT)),
        "{what}: {keys:?}"
    );
    // Every problem of the row at once: the duplicate does not hide behind the gender.
    assert!(
        keys.contains(&(dup, "性别", domain::text::ID_GENDER_MISMATCH)),
        "{what}: {keys:?}"
    );
    assert!(
        keys.contains(&(dup, "身份证号码", domain::text::ID_DUPLICATE_IN_FILE)),
        "{what}: {keys:?}"
    );
    assert!(
        keys.contains(&(p, "联系电话", domain::text::PHONE_INVALID)),
        "{what}: {keys:?}"
    );
    assert_eq!(dry.questions.len(), 1, "{what}: {:?}", dry.questions);
    let q = &dry.questions[0];
    assert_eq!(
        (q.field.as_str(), q.value.as_str(), q.rows),
        (r.question.0, r.question.1, r.question.2)
    );
    assert_eq!(q.column.as_deref(), Some("岗位"));
    assert_eq!(dry.pending_rows, 3);
    assert_eq!(dry.created, r.good_rows - 3, "{what}");
    assert!(
        dry.warnings
            .iter()
            .any(|w| w.key == domain::text::WARN_RETIREE_YOUNG),
        "{what}: {:?}",
        dry.warnings
    );
    assert!(dry.ignored_columns.contains(&"参加工作时间".to_string()));

    store::org::value_map::remember(
        &t.store,
        &sys(),
        &who(),
        o.school_a,
        "post",
        roster_gen::UNKNOWN_POST,
        roster_gen::UNKNOWN_POST_ANSWER,
    )
    .await
    .unwrap();
    let answered = run(t, file.clone(), opts(o.school_a, ImportMode::DryRun))
        .await
        .unwrap();
    assert!(
        answered.questions.is_empty(),
        "the answer is remembered: {:?}",
        answered.questions
    );
    assert_eq!(
        (
            answered.created,
            answered.pending_rows,
            answered.invalid_rows
        ),
        (r.good_rows, 0, 4)
    );

    let applied = run(t, file.clone(), opts(o.school_a, ImportMode::ValidRows))
        .await
        .unwrap();
    assert!(applied.applied);
    assert_eq!(applied.created, 60, "{what}");
    assert_eq!(count(t, StatusFilter::All).await, 60);
    let again = run(t, file, opts(o.school_a, ImportMode::ValidRows))
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 60),
        "{what}: {:?}",
        again.sample
    );

    let all = org::list_members(
        &t.store,
        &sys(),
        &MemberFilter::default(),
        &PageRequest {
            after: None,
            before: None,
            limit: 100,
        },
        today(),
    )
    .await
    .unwrap();
    let months: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM member WHERE join_date_precision = 'month'"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(
        months > 0,
        "{what}: month-only join dates keep their precision"
    );
    assert!(
        all.rows
            .iter()
            .all(|m| !m.name.contains(' ') && !m.name.contains('\u{3000}'))
    );
    let mapped = all
        .rows
        .iter()
        .filter(|m| m.post == domain::org::Post::Worker)
        .count();
    assert!(mapped >= 3);
}

dual_test!(async fn a_schools_roster_as_xlsx_has_no_false_errors(t) {
    the_school_roster_imports_its_good_rows(&t, roster_gen::roster_xlsx(&school_roster()), "xlsx").await;
});

dual_test!(async fn a_schools_roster_as_gb18030_csv_has_no_false_errors(t) {
    the_school_roster_imports_its_good_rows(&t, roster_gen::roster_csv_gb18030(&school_roster()), "gb18030 csv").await;
});

dual_test!(async fn a_schools_roster_as_utf8_bom_csv_has_no_false_errors(t) {
    the_school_roster_imports_its_good_rows(&t, roster_gen::roster_csv_utf8_bom(&school_roster()), "utf-8 bom csv").await;
});

dual_test!(async fn a_schools_roster_as_legacy_xls_has_no_false_errors(t) {
    let xls = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/school_roster.xls")).unwrap();
    the_school_roster_imports_its_good_rows(&t, xls, "xls").await;
});

/// Writes the generated roster as JSON for `tests/fixtures/make_xls.py`.
#[test]
#[ignore]
fn write_school_roster_json() {
    std::fs::write(
        std::env::temp_dir().join("school_roster.json"),
        roster_gen::roster_json(&school_roster()),
    )
    .unwrap();
}

/// A zip with one worksheet part of `size` bytes written in 1 MiB pieces.
fn zip_with_sheet(piece: &[u8], pieces: usize) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    for _ in 0..pieces {
        w.write_all(piece).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn an_xlsx_that_inflates_to_hundreds_of_megabytes_is_refused_before_it_is_read() {
    use store::org::roster_file::{XlsxLimits, check_xlsx, read_rows_limited};
    // 64 MiB of nothing, packed into well under a megabyte, against a limit of 8 MiB (the
    // default is 512 MiB: a 0.6 MB file that unpacked to 608 MiB took 1.95 GiB to read).
    let bomb = zip_with_sheet(&vec![b' '; 1 << 20], 64);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let limits = XlsxLimits {
        max_unzipped: 8 << 20,
        ..XlsxLimits::DEFAULT
    };
    let mut rows = 0;
    let e = read_rows_limited(&bomb, limits, |_| {
        rows += 1;
        std::ops::ControlFlow::Continue(())
    })
    .unwrap_err();
    assert_eq!(e, RosterError::TooLarge("unpacked size"));
    assert_eq!(rows, 0);
    // Too many cells is refused the same way, whatever the bytes.
    let cells = zip_with_sheet(b"<c r=\"A1\" t=\"s\"><v>0</v></c>", 200);
    let small = XlsxLimits {
        max_cells: 100,
        ..XlsxLimits::DEFAULT
    };
    assert_eq!(
        check_xlsx(&cells, small),
        Err(RosterError::TooLarge("cells"))
    );
    assert_eq!(check_xlsx(&cells, XlsxLimits::DEFAULT), Ok(()));
    // A real roster passes.
    assert_eq!(
        check_xlsx(
            &xlsx(&[row(&["姓名", "身份证号"]), row(&["张三", "x"])]),
            XlsxLimits::DEFAULT
        ),
        Ok(())
    );
}
