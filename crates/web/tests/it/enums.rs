//! Every CHECK list of the migrated schema equals the codes of the enum the code uses for
//! that column. The CHECK lists are read from the database (the schema test shows both
//! engines hold the same ones); a CHECK list that no area declares in its
//! `store::<area>::AREA.coded` fails the test, so a new coded column cannot be forgotten.

use std::collections::{BTreeMap, BTreeSet};
use store::on_db;

/// The codes behind each coded column, as the areas declare them
/// (`store::<area>::AREA.coded`), plus the account's language, which is the catalogue's
/// (web) concern rather than an area's.
fn enums() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut m = BTreeMap::new();
    for a in store::area::AREAS {
        for c in a.coded {
            let before = m.insert(c.column, (c.codes)());
            assert!(before.is_none(), "{} is declared twice", c.column);
        }
    }
    m.insert(
        "account.locale",
        web::i18n::Lang::ALL.iter().map(|l| l.code()).collect(),
    );
    m
}

/// Columns whose codes have no enum in reach of this test yet, each with the reason.
const WITHOUT_ENUM: &[(&str, &str)] = &[
    (
        "import_batch.mode",
        "a batch records only applied modes; ImportMode also names dry_run, never stored",
    ),
    (
        "import_batch.status",
        "the batch states are literals of store::org::import",
    ),
    (
        "one_time_token.purpose",
        "store::auth::TokenPurpose keeps its codes private",
    ),
];

/// The `col IN ('a', 'b')` checks of a SQLite `CREATE TABLE`, as `table.col` → values.
fn checks(table: &str, create: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let upper = create.to_uppercase();
    let mut from = 0;
    while let Some(i) = upper[from..].find("CHECK (") {
        let start = from + i + "CHECK (".len();
        let mut depth = 1;
        let mut end = start;
        for (j, c) in create[start..].char_indices() {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            if depth == 0 {
                end = start + j;
                break;
            }
        }
        let body = &create[start..end];
        if let Some(k) = body.to_uppercase().find(" IN (") {
            let values = body[k..]
                .split('\'')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect();
            out.insert(format!("{table}.{}", body[..k].trim()), values);
        }
        from = end;
    }
}

#[tokio::test]
async fn every_check_list_of_the_schema_equals_its_enums_codes() {
    let t = testkit::sqlite().await;
    let db = t.db();
    let tables: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let mut found = BTreeMap::new();
    for (name, sql) in &tables {
        checks(name, sql, &mut found);
    }
    assert!(
        found.len() > 30,
        "the CHECK lists were not found: {found:?}"
    );
    let enums = enums();
    let mut wrong = Vec::new();
    for (column, values) in &found {
        if WITHOUT_ENUM.iter().any(|(c, _)| c == column) {
            continue;
        }
        match enums.get(column.as_str()) {
            None => wrong.push(format!(
                "{column}: no area declares this coded column (store::<area>::AREA.coded)"
            )),
            Some(codes) => {
                let codes: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
                if &codes != values {
                    wrong.push(format!(
                        "{column}: CHECK {values:?} but the enum has {codes:?}"
                    ));
                }
            }
        }
    }
    for column in enums.keys() {
        if !found.contains_key(*column) {
            wrong.push(format!(
                "{column}: an enum is named but the column has no CHECK list"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
