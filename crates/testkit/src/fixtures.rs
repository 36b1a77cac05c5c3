//! Builders for test data: a small org tree, members with valid ID numbers, actors with
//! grants, spreadsheets.

use chrono::NaiveDate;
use domain::auth::{Actor, Cap, Grant, Role, SystemCap, perm, system_cap};
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::org::*;
use store::Store;
use store::audit::Who;
use store::org::{NewUnit, create_member, create_unit};

/// The fixed "today" of tests.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

/// A capability for any permission over the whole installation.
pub fn sys<P: perm::Perm>() -> Cap<P> {
    system_cap(&SystemCap::for_cli(), AccountId(0))
}

/// Grants `role` at `unit` to `account` as the command line would (a fixture for web tests,
/// which cannot name the command-line capability themselves).
pub async fn grant_as_cli(st: &store::Store, account: AccountId, role: Role, unit: OrgUnitId) {
    store::auth::grant_system(&SystemCap::for_cli(), st, &who(), account, role, unit)
        .await
        .unwrap_or_else(|e| panic!("grant: {e}"));
}

/// Runs the daily reminder scan as the scheduler would (a fixture for web tests, which
/// cannot name the command-line capability themselves).
pub async fn remind_as_scheduler(
    st: &store::Store,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> store::notify::ScanOutcome {
    store::notify::remind_due(st, &SystemCap::for_cli(), today, now)
        .await
        .unwrap_or_else(|e| panic!("reminder scan: {e}"))
}

pub fn who() -> Who {
    Who::system("test")
}

/// A small district: union → areas A and B → schools A1, A2 (area A) and B1 (area B);
/// school A1 has two branches.
#[derive(Clone, Debug)]
pub struct Org {
    pub union: OrgUnitId,
    pub area_a: OrgUnitId,
    pub area_b: OrgUnitId,
    pub school_a: OrgUnitId,
    pub school_a2: OrgUnitId,
    pub school_b: OrgUnitId,
    pub branch_a1: OrgUnitId,
    pub branch_a2: OrgUnitId,
}

fn unit(kind: OrgKind, code: &str, name: &str) -> NewUnit {
    NewUnit {
        kind,
        code: code.into(),
        name: name.into(),
        union_kind: (kind == OrgKind::Union).then_some(UnionKind::District),
        school_kind: (kind == OrgKind::SchoolUnion).then_some(SchoolKind::Public),
        school_level: (kind == OrgKind::SchoolUnion).then_some(SchoolLevel::Primary),
        staff_count: 0,
        sort_order: 0,
    }
}

pub async fn org(st: &Store) -> Org {
    let cap = sys::<perm::OrgManage>();
    let w = who();
    let mk = |parent: Option<OrgUnitId>, u: NewUnit| {
        let cap = &cap;
        let w = &w;
        async move {
            create_unit(st, cap, w, parent, &u)
                .await
                .unwrap_or_else(|e| panic!("create unit: {e}"))
        }
    };
    let union = mk(None, unit(OrgKind::Union, "U", "测试区教育工会")).await;
    let area_a = mk(Some(union), unit(OrgKind::Area, "A", "甲片")).await;
    let area_b = mk(Some(union), unit(OrgKind::Area, "B", "乙片")).await;
    let school_a = mk(
        Some(area_a),
        unit(OrgKind::SchoolUnion, "SA1", "甲一小学工会"),
    )
    .await;
    let school_a2 = mk(
        Some(area_a),
        unit(OrgKind::SchoolUnion, "SA2", "甲二中学工会"),
    )
    .await;
    let school_b = mk(
        Some(area_b),
        unit(OrgKind::SchoolUnion, "SB1", "乙一小学工会"),
    )
    .await;
    let branch_a1 = mk(Some(school_a), unit(OrgKind::Branch, "SA1-B1", "语文组")).await;
    let branch_a2 = mk(Some(school_a), unit(OrgKind::Branch, "SA1-B2", "数学组")).await;
    Org {
        union,
        area_a,
        area_b,
        school_a,
        school_a2,
        school_b,
        branch_a1,
        branch_a2,
    }
}

/// An actor with the given grants (account id 1000 + first unit, for distinctness).
pub fn actor(grants: &[(Role, OrgUnitId)]) -> Actor {
    Actor {
        account: AccountId(1000 + grants.first().map(|g| g.1.0).unwrap_or(0)),
        username: "tester".into(),
        display_name: "Tester".into(),
        member: None,
        grants: grants
            .iter()
            .map(|(role, unit)| Grant {
                role: *role,
                org_unit: *unit,
            })
            .collect(),
    }
}

/// A valid ID number: region 330102, born 1980-01-01 plus `n` days, sequence from `n`.
pub fn id_number(n: u32, male: bool) -> String {
    let birth = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default()
        + chrono::Duration::days(i64::from(n % 9000));
    let seq = (n / 9000 % 500) * 2 + u32::from(male);
    let body = format!("330102{}{:03}", birth.format("%Y%m%d"), seq);
    format!("{body}{}", IdNumber::check_char(&body))
}

pub fn input(name: &str, n: u32) -> MemberInput {
    MemberInput {
        name: name.into(),
        id_number: id_number(n, n % 2 == 1),
        phone: format!("138{:08}", n),
        post: "teacher".into(),
        ..Default::default()
    }
}

pub fn draft(name: &str, n: u32) -> MemberDraft {
    input(name, n)
        .parse(today())
        .unwrap_or_else(|e| panic!("draft: {e}"))
}

pub async fn member(st: &Store, school: OrgUnitId, name: &str, n: u32) -> MemberId {
    create_member(st, &sys(), &who(), school, None, &draft(name, n), today())
        .await
        .unwrap_or_else(|e| panic!("create member: {e}"))
}

/// A one-sheet .xlsx with every cell written as text.
pub fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                let _ = ws.write_string(r as u32, c as u16, v);
            }
        }
    }
    wb.save_to_buffer().unwrap_or_default()
}

/// Reads every row of an .xlsx as text (for export tests).
pub fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let _ = store::org::roster_file::read_rows(bytes, |(_, cells)| {
        out.push(cells.into_iter().map(|c| c.text).collect());
        std::ops::ControlFlow::Continue(())
    });
    out
}

/// Row helper: `row(&["a", "b"])`.
pub fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}
