//! The schema: both engines have the same migrations and migrate to the same tables,
//! columns, defaults and CHECK lists; an unknown database address is refused clearly.

use std::collections::BTreeSet;
use store::on_db;
use testkit::*;

#[test]
fn both_engines_have_the_same_migration_versions_and_names() {
    let (sqlite, postgres) = store::Db::migration_lists();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

/// (table, column, type, not null), defaults, primary keys, unique column sets, named
/// indexes, foreign keys with their delete action, CHECK lists, triggers.
type Schema = BTreeSet<String>;

fn norm_type(t: &str) -> &'static str {
    match t.to_lowercase().as_str() {
        "integer" | "bigint" => "int",
        "text" | "character varying" => "text",
        "datetime" | "timestamp with time zone" => "timestamp",
        "date" => "date",
        "boolean" => "bool",
        "blob" | "bytea" => "blob",
        _ => "other",
    }
}

/// A row of `PRAGMA foreign_key_list`: (id, seq, parent, from, to, on_update, on_delete, match).
type SqliteFk = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

/// A column default, written the same for both engines: no casts, no parentheses, lower
/// case (`'active'::text` and `'active'`, `FALSE` and `false`).
fn norm_default(d: &str) -> String {
    let mut s = d.trim().to_lowercase();
    while s.starts_with('(') && s.ends_with(')') {
        s = s[1..s.len() - 1].trim().to_string();
    }
    if let Some(i) = s.find("::") {
        s.truncate(i);
    }
    match s.as_str() {
        "now()" | "current_timestamp" => "current_timestamp".into(),
        _ => s,
    }
}

fn check_line(table: &str, col: &str, mut values: Vec<String>) -> String {
    values.sort();
    format!("check {table}.{col} in ({})", values.join(", "))
}

/// The quoted literals of `text`, in order.
fn literals(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// The `col IN ('a', 'b')` checks of a SQLite `CREATE TABLE`.
fn sqlite_checks(create: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let upper = create.to_uppercase();
    let mut from = 0;
    while let Some(i) = upper[from..].find("CHECK (") {
        let start = from + i + "CHECK (".len();
        let mut depth = 1;
        let mut end = start;
        for (j, c) in create[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + j;
                break;
            }
        }
        let body = &create[start..end];
        if let Some(k) = body.to_uppercase().find(" IN (") {
            out.push((body[..k].trim().to_string(), literals(&body[k..])));
        }
        from = end;
    }
    out
}

async fn sqlite_schema(t: &TestDb) -> Schema {
    let db = t.db();
    let mut out = Schema::new();
    let tables: Vec<(String,)> = on_db!(db, |p| sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (table,) in tables {
        let cols: Vec<(i64, String, String, i64, Option<String>, i64)> =
            on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "PRAGMA table_info({table})"
            )))
            .fetch_all(p)
            .await)
            .unwrap();
        let mut pk = Vec::new();
        for (_, name, ty, notnull, default, pkpos) in &cols {
            let nn = *notnull == 1 || *pkpos > 0;
            out.insert(format!(
                "col {table}.{name} {} {}",
                norm_type(ty),
                if nn { "not null" } else { "null" }
            ));
            if let Some(d) = default {
                out.insert(format!("default {table}.{name} {}", norm_default(d)));
            }
            if *pkpos > 0 {
                pk.push((*pkpos, name.clone()));
            }
        }
        // Foreign keys: (id, seq, parent, from, to, on_update, on_delete, match).
        let fks: Vec<SqliteFk> = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "PRAGMA foreign_key_list({table})"
        )))
        .fetch_all(p)
        .await)
        .unwrap();
        let mut by_id: std::collections::BTreeMap<i64, Vec<_>> = Default::default();
        for fk in fks {
            by_id.entry(fk.0).or_default().push(fk);
        }
        for (_, mut parts) in by_id {
            parts.sort_by_key(|f| f.1);
            let from = parts
                .iter()
                .map(|f| f.3.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let to = parts
                .iter()
                .map(|f| f.4.clone().unwrap_or_else(|| "id".into()))
                .collect::<Vec<_>>()
                .join(", ");
            out.insert(format!(
                "fk {table} ({from}) -> {} ({to}) on delete {}",
                parts[0].2,
                parts[0].6.to_lowercase()
            ));
        }
        let (create,): (String,) = on_db!(db, |p| sqlx::query_as(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1"
        )
        .bind(&table)
        .fetch_one(p)
        .await)
        .unwrap();
        for (col, values) in sqlite_checks(&create) {
            out.insert(check_line(&table, &col, values));
        }
        pk.sort();
        out.insert(format!(
            "pk {table} ({})",
            pk.into_iter().map(|p| p.1).collect::<Vec<_>>().join(", ")
        ));
        let idx: Vec<(i64, String, i64, String, i64)> = on_db!(db, |p| sqlx::query_as(
            sqlx::AssertSqlSafe(format!("PRAGMA index_list({table})"))
        )
        .fetch_all(p)
        .await)
        .unwrap();
        for (_, iname, unique, origin, _) in idx {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<(i64, i64, String)> = on_db!(db, |p| sqlx::query_as(
                sqlx::AssertSqlSafe(format!("PRAGMA index_info({iname})"))
            )
            .fetch_all(p)
            .await)
            .unwrap();
            let cols = cols.into_iter().map(|c| c.2).collect::<Vec<_>>().join(", ");
            if origin == "u" {
                out.insert(format!("unique {table} ({cols})"));
            } else {
                out.insert(format!(
                    "index {iname} on {table} ({cols}){}",
                    if unique == 1 { " unique" } else { "" }
                ));
            }
        }
    }
    let triggers: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (n, tbl) in triggers {
        out.insert(format!("trigger {n} on {tbl}"));
    }
    out
}

async fn pg_schema(t: &TestDb) -> Schema {
    let db = t.db();
    let mut out = Schema::new();
    let cols: Vec<(String, String, String, String, Option<String>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name != '_sqlx_migrations' ORDER BY table_name, ordinal_position"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (table, name, ty, nullable, default) in cols {
        out.insert(format!(
            "col {table}.{name} {} {}",
            norm_type(&ty),
            if nullable == "NO" { "not null" } else { "null" }
        ));
        if let Some(d) = default {
            out.insert(format!("default {table}.{name} {}", norm_default(&d)));
        }
    }
    // Foreign keys with their columns in order and the delete action.
    let fks: Vec<(String, String, String, String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT t.relname::text, r.relname::text,
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum),
                c.confdeltype::text
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = current_schema() AND c.contype = 'f'"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (table, parent, from, to, del) in fks {
        let action = match del.as_str() {
            "c" => "cascade",
            "n" => "set null",
            "d" => "set default",
            "r" => "restrict",
            _ => "no action",
        };
        out.insert(format!(
            "fk {table} ({from}) -> {parent} ({to}) on delete {action}"
        ));
    }
    // CHECK lists: `CHECK ((kind = ANY (ARRAY['a'::text, 'b'::text])))`.
    let checks: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT t.relname::text, pg_get_constraintdef(c.oid)::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'c'"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (table, def) in checks {
        if let Some(k) = def.find(" = ANY (ARRAY[") {
            let col: String = def[..k]
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
                .trim_start_matches("CHECK")
                .trim_end_matches("text")
                .to_string();
            out.insert(check_line(&table, &col, literals(&def[k..])));
        }
    }
    // Indexes with their columns in order, unique flag and whether they back a constraint.
    let idx: Vec<(String, String, bool, bool, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary,
                string_agg(a.attname::text, ', ' ORDER BY k.ord)
         FROM pg_index ix
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE n.nspname = current_schema() AND t.relname != '_sqlx_migrations'
         GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let constraint_names: Vec<(String,)> = on_db!(db, |p| sqlx::query_as(
        "SELECT conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'u'"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let constraints: BTreeSet<String> = constraint_names.into_iter().map(|c| c.0).collect();
    for (table, iname, unique, primary, cols) in idx {
        if primary {
            out.insert(format!("pk {table} ({cols})"));
        } else if constraints.contains(&iname) {
            out.insert(format!("unique {table} ({cols})"));
        } else {
            out.insert(format!(
                "index {iname} on {table} ({cols}){}",
                if unique { " unique" } else { "" }
            ));
        }
    }
    let triggers: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT DISTINCT trigger_name::text, event_object_table::text FROM information_schema.triggers WHERE trigger_schema = current_schema()"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    for (n, tbl) in triggers {
        out.insert(format!("trigger {n} on {tbl}"));
    }
    out
}

#[tokio::test]
async fn the_two_engines_migrate_to_the_same_schema() {
    let s = sqlite().await;
    let Some(p) = postgres().await else { return };
    let a = sqlite_schema(&s).await;
    let b = pg_schema(&p).await;
    let only_sqlite: Vec<_> = a.difference(&b).collect();
    let only_pg: Vec<_> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
    assert!(
        a.iter()
            .any(|l| l.starts_with("col member.id_number_enc blob not null"))
    );
    // The comparison reaches defaults, foreign keys and CHECK lists (a copy of an engine's
    // reader that found none would compare two empty sets).
    for (kind, line) in [
        ("default", "default member.version 1"),
        ("fk", "fk member (school_union_id) -> org_unit (id)"),
        (
            "check",
            "check org_unit.kind in (area, branch, school_union, union)",
        ),
    ] {
        assert!(
            a.iter().any(|l| l.starts_with(line)),
            "no {kind} line like {line:?} in {a:#?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_url_scheme_is_refused_with_both_accepted_forms() {
    let e = store::Db::connect("mysql://localhost/x", &store::DbOptions::default())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("sqlite://") && msg.contains("postgres://"),
        "{msg}"
    );
    let e = store::Db::connect("./data/jiaogong.db", &store::DbOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sqlite://"));
}
