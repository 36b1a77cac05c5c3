//! Key rotation reaches every encrypted column. The list of columns is read from the
//! migrated schema (every `*_enc` column), not kept by hand: a new encrypted column that
//! the test data does not fill, or that rotation leaves under the old key, fails the test.

use store::{Cipher, Engine, Store, on_db};
use testkit::*;

/// Every `(table, column)` whose name ends in `_enc`, from the database itself.
async fn encrypted_columns(t: &TestDb) -> Vec<(String, String)> {
    let db = t.db();
    let mut out: Vec<(String, String)> = match t.engine {
        Engine::Postgres => on_db!(db, |p| sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' ORDER BY 1, 2"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
        Engine::Sqlite => on_db!(db, |p| sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
             WHERE m.type = 'table' AND c.name LIKE '%\\_enc' ESCAPE '\\' ORDER BY 1, 2"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
    };
    out.dedup();
    out
}

/// The stored values of one encrypted column (names come from the schema above).
async fn values(st: &Store, table: &str, column: &str) -> Vec<Vec<u8>> {
    let sql = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
    let db = &st.db;
    on_db!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(p)
        .await)
    .unwrap()
}

dual_test!(async fn key_rotation_re_encrypts_every_encrypted_column_of_the_schema(t) {
    let o = org(&t.store).await;
    // A value in every encrypted column: ID number and phone, a second-factor secret, a
    // staged import file.
    let rotor = member(&t.store, o.school_a, "轮换", 1).await;
    let account = store::auth::create_account_system(
        &domain::auth::SystemCap::for_cli(),
        &t.store,
        &who(),
        &store::auth::NewAccount { username: "rotor".into(), display_name: "R".into(), member: None, password_hash: None },
    )
    .await
    .unwrap();
    store::auth::begin_totp(&t.store, account, "rotor").await.unwrap();
    // A request to link an account to a delegate, its code not yet sent.
    store::auth::request_link(&t.store, &who(), account, rotor, o.school_a).await.unwrap();
    store::org::import::stage_batch(&t.store, &sys(), &who(), o.school_a, "a.csv", b"a,b\n", &Default::default()).await.unwrap();
    // A letter with a phone and a reply (rights).
    let pd = domain::rights::PetitionInput { channel: "letter".into(), category: "pay".into(), received_on: today().to_string(), name: "轮换来信".into(), phone: "13800001234".into(), matter: "事项".into(), ..Default::default() }.parse(today()).unwrap();
    let pid = store::rights::petitions::receive(&t.store, &sys(), &who(), o.school_a, &pd).await.unwrap();
    store::rights::petitions::assign(&t.store, &sys(), &who(), pid, "办公室", today()).await.unwrap();
    store::rights::petitions::reply(&t.store, &sys(), &who(), pid, "答复", today()).await.unwrap();
    // A school's 钉钉 group robot: its URL and its signing secret are both encrypted.
    let kind = domain::outbox::RobotKind::Dingtalk;
    let url = domain::outbox::RobotUrl::parse(kind, "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef").unwrap();
    store::robot::set(&t.store, &sys(), &who(), o.school_a, kind, &url, Some("SEC0123456789abcdef")).await.unwrap();
    // A hardship file left with a reason: its household, incomes and reason are encrypted.
    member(&t.store, o.school_a, "困难轮换", 2).await;
    let h = domain::assistance::HouseholdInput { size: "2".into(), rows: vec![("member".into(), "50".into(), "900".into(), "illness".into())], causes: vec!["illness".into()], note: "n".into() }.parse().unwrap();
    let f = store::assistance::files::draft(&t.store, &sys(), &who(), "困难轮换", &h, today()).await.unwrap();
    store::assistance::files::confirm(&t.store, &sys(), &who(), f, today()).await.unwrap();
    store::assistance::grants::apply(&t.store, &sys(), &who(), f, 50_000, "住院", today()).await.unwrap();
    store::assistance::files::exit(&t.store, &sys(), &who(), f, "收入好转", today()).await.unwrap();
    // A reported hospital stay and a visit with a note: both notes are encrypted.
    store::assistance::visits::report(&t.store, &sys(), &who(), "困难轮换", domain::assistance::VisitType::Hospitalisation, today(), "住院", today()).await.unwrap();
    let v = domain::assistance::VisitDraft { visit_type: domain::assistance::VisitType::Hospitalisation, visited_on: today(), visitors: "主席".into(), amount_fen: 10_000, note: "术后".into() };
    store::assistance::visits::record(&t.store, &sys(), &who(), "困难轮换", &v, None).await.unwrap();
    store::assistance::contacts::add(&t.store, &sys(), &who(), o.school_a, "退协轮换", "会长", "13900002468").await.unwrap();

    // A dues base, a dues roll and a staged payroll sheet (funds).
    store::funds::dues::set_base(&t.store, &sys(), &who(), rotor, 654_321, today()).await.unwrap();
    store::funds::dues::generate_roll(&t.store, &sys(), &who(), o.school_a, today(), None).await.unwrap();
    store::funds::payroll::preview(&t.store, &sys(), &who(), o.school_a, "p.csv", "姓名,基本工资\n轮换,5000\n".as_bytes().to_vec()).await.unwrap();

    // An objection on a public notice with a contact (commendations).
    {
        use domain::commendations::*;
        use store::commendations as cm;
        let d = AwardDraft { name: "轮换评优".into(), kind: AwardKind::TopTen, year: 2026, quota_per_school: 1, quota_total: 1, nominate_until: today() };
        let a = cm::create_award(&t.store, &sys(), &who(), o.union, &d).await.unwrap();
        let input = cm::NominationInput { school: o.school_a, member: None, draft: NominationDraft { nominee: "轮换".into(), deeds: "事迹".into() } };
        let n = cm::nominate(&t.store, &sys(), &who(), a, &input, today()).await.unwrap();
        cm::review(&t.store, &sys(), &who(), n, true, None, today()).await.unwrap();
        cm::lodge_objection(&t.store, &who(), n, "异议", Some("13800001234"), today()).await.unwrap();
    }

    let columns = encrypted_columns(&t).await;
    assert!(columns.len() >= 4, "the schema's encrypted columns were not found: {columns:?}");
    for (table, column) in &columns {
        assert!(!values(&t.store, table, column).await.is_empty(), "the test writes no value into {table}.{column}: add one above");
    }

    let new_key = [7u8; 32];
    let new_id = Cipher::new(&new_key).seal(store::org::PHONE.at(1), b"x")[1];
    let old = Cipher::new(&TEST_KEY);
    assert_ne!(old.seal(store::org::PHONE.at(1), b"x")[1], new_id);
    let rotating = Store::new(t.store.db.clone(), Cipher::rotating(&new_key, &TEST_KEY));
    store::keys::rotate(&rotating, &old).await.unwrap();
    for (table, column) in &columns {
        let vs = values(&t.store, table, column).await;
        assert!(!vs.is_empty());
        for v in vs {
            assert_eq!(v.get(1).copied(), Some(new_id), "{table}.{column} still holds a value under the old key");
        }
    }
    // The link request not yet sent survives the rotation: its code still links the account.
    let rotated = Store::new(t.store.db.clone(), Cipher::new(&new_key));
    let req: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT id FROM link_request").fetch_one(p).await).unwrap();
    let (_, code) = store::auth::for_sending(&rotated, req).await.unwrap().expect("still pending");
    assert_eq!(store::auth::confirm_link(&rotated, &who(), account, &code).await.unwrap(), rotor);
});

dual_test!(async fn every_encrypted_column_of_the_schema_is_declared_by_an_area(t) {
    // Key rotation re-encrypts the columns the areas declare (store::<area>::AREA.encrypted);
    // a `*_enc` column no area declares would stay under the old key.
    let schema: std::collections::BTreeSet<(String, String)> =
        encrypted_columns(&t).await.into_iter().collect();
    let declared: std::collections::BTreeSet<(String, String)> = store::area::AREAS
        .iter()
        .flat_map(|a| a.encrypted.iter())
        .map(|c| (c.table.to_string(), c.column.to_string()))
        .collect();
    let undeclared: Vec<_> = schema.difference(&declared).collect();
    let missing: Vec<_> = declared.difference(&schema).collect();
    assert!(undeclared.is_empty(), "encrypted columns no area declares: {undeclared:?}");
    assert!(missing.is_empty(), "declared encrypted columns the schema lacks: {missing:?}");
});
