//! Every CHECK list of the migrated schema equals the codes of the enum the code uses for
//! that column. The CHECK lists are read from the database (the schema test shows both
//! engines hold the same ones); a CHECK list without an enum named here fails the test, so a
//! new coded column cannot be forgotten.

use domain::org::Coded;
use std::collections::{BTreeMap, BTreeSet};
use store::on_db;

fn coded<C: Coded>() -> Vec<&'static str> {
    C::all().iter().map(|c| c.code()).collect()
}

/// The enum behind each coded column.
fn enums() -> BTreeMap<&'static str, Vec<&'static str>> {
    use domain::congress::*;
    use domain::org::*;
    use domain::roster::DatePrecision;
    use domain::voting::{PollKind, PollMode, PollStatus, UnionOffice};
    BTreeMap::from([
        ("org_unit.kind", coded::<OrgKind>()),
        ("org_unit.union_kind", coded::<UnionKind>()),
        ("org_unit.school_kind", coded::<SchoolKind>()),
        ("org_unit.school_level", coded::<SchoolLevel>()),
        ("member.gender", coded::<Gender>()),
        ("member.post", coded::<Post>()),
        ("member.status", coded::<MemberStatus>()),
        ("member.title", coded::<ProfessionalTitle>()),
        ("member.political_status", coded::<PoliticalStatus>()),
        ("member.education", coded::<Education>()),
        ("member.employment_type", coded::<EmploymentType>()),
        (
            "member.join_date_precision",
            [DatePrecision::Day, DatePrecision::Month]
                .map(DatePrecision::code)
                .to_vec(),
        ),
        ("member_status_history.status", coded::<MemberStatus>()),
        ("cadre.position", coded::<CadrePosition>()),
        (
            "role_grant.role",
            domain::auth::Role::ALL.iter().map(|r| r.code()).collect(),
        ),
        (
            "account.locale",
            web::i18n::Lang::ALL.iter().map(|l| l.code()).collect(),
        ),
        ("congress_term.mode", coded::<CongressMode>()),
        ("delegate.kind", coded::<DelegateKind>()),
        ("congress_meeting.kind", coded::<MeetingKind>()),
        ("congress_meeting.status", coded::<MeetingStatus>()),
        ("agenda_item.kind", coded::<AgendaKind>()),
        (
            "meeting_document.kind",
            DocKind::ALL.iter().map(|k| k.code()).collect(),
        ),
        ("meeting_role.role", coded::<MeetingRole>()),
        ("check_in.method", coded::<CheckInMethod>()),
        ("proposal.status", coded::<ProposalStatus>()),
        ("proposal.category", coded::<ProposalCategory>()),
        ("proposal.decision", coded::<ReviewDecision>()),
        ("proposal.implementation", coded::<ImplementationStatus>()),
        ("proposal.last_rating", coded::<Rating>()),
        ("proposal_reply.rating", coded::<Rating>()),
        ("proposal_progress.status", coded::<ImplementationStatus>()),
        ("proposal_seconder.status", coded::<SeconderStatus>()),
        ("suggestion.status", coded::<SuggestionStatus>()),
        ("poll.kind", coded::<PollKind>()),
        ("poll.mode", coded::<PollMode>()),
        ("poll.status", coded::<PollStatus>()),
        ("poll.union_office", coded::<UnionOffice>()),
        ("group_robot.kind", {
            use domain::outbox::RobotKind as K;
            [K::Wecom, K::Dingtalk].map(K::as_str).to_vec()
        }),
        ("job.channel", {
            use domain::outbox::Channel as C;
            [C::Robot, C::Email, C::Webhook].map(C::as_str).to_vec()
        }),
        ("job.status", {
            use domain::outbox::JobStatus as S;
            [S::Ready, S::Running, S::Done, S::Parked]
                .map(S::as_str)
                .to_vec()
        }),
    ])
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
            None => wrong.push(format!("{column}: no enum named for this CHECK list")),
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
