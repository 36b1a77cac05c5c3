//! The authorization matrix: every route of the router, called by an anonymous visitor, a
//! member of another school and the chair of another school, must answer 401/403/404 (or,
//! for pages everyone may use, show nothing of school A). A route added without a row here
//! fails the test.

use domain::auth::Role;
use testkit::app::{Client, TestApp};
use testkit::*;
use web::{Access, Method, WebConfig};

/// What a visitor from school B may get on a route about school A.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Refused: 403 or 404.
    Deny,
    /// Allowed (own pages, or lists filtered to the visitor's scope): must not show A's data.
    Scoped,
}

/// (method, path, member of B, chair of B).
#[rustfmt::skip]
const MATRIX: &[(Method, &str, Expect, Expect)] = &[
    (Method::Get, "/", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/account/password", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/password", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/account/totp", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/totp/start", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/totp/confirm", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/accounts", Expect::Deny, Expect::Scoped),
    (Method::Get, "/accounts/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/accounts/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/accounts/{id}/grants", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/link", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/disable", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/enable", Expect::Deny, Expect::Deny),
    (Method::Post, "/grants/{id}/revoke", Expect::Deny, Expect::Deny),
    (Method::Get, "/members", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/new", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/export.xlsx", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/export/full", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/export/full", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/{id}", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/reveal", Expect::Deny, Expect::Deny),
    (Method::Get, "/members/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Get, "/members/{id}/transfer", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/transfer", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/status", Expect::Deny, Expect::Deny),
    (Method::Get, "/me", Expect::Scoped, Expect::Deny),
    (Method::Get, "/members/import", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/import", Expect::Deny, Expect::Scoped),
    (Method::Get, "/imports/{id}", Expect::Deny, Expect::Deny),
    (Method::Post, "/imports/{id}/apply", Expect::Deny, Expect::Deny),
    (Method::Get, "/imports/{id}/events", Expect::Deny, Expect::Deny),
    (Method::Post, "/imports/{id}/discard", Expect::Deny, Expect::Deny),
    (Method::Get, "/imports/{id}/errors.xlsx", Expect::Deny, Expect::Deny),
    (Method::Get, "/org", Expect::Deny, Expect::Scoped),
    (Method::Get, "/org/{id}/new", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/new", Expect::Deny, Expect::Deny),
    (Method::Get, "/org/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/move", Expect::Deny, Expect::Deny),
    (Method::Get, "/audit", Expect::Deny, Expect::Deny),
];

/// Ids of school A's things for each path prefix.
struct Fixture {
    member: i64,
    unit: i64,
    account: i64,
    grant: i64,
    import: i64,
    name: &'static str,
}

fn fill(path: &str, f: &Fixture) -> String {
    let id = if path.starts_with("/members/") {
        f.member
    } else if path.starts_with("/org/") {
        f.unit
    } else if path.starts_with("/accounts/") {
        f.account
    } else if path.starts_with("/grants/") {
        f.grant
    } else if path.starts_with("/imports/") {
        f.import
    } else {
        panic!("no fixture id for {path}: add one to the matrix test")
    };
    path.replace("{id}", &id.to_string())
}

async fn call(c: &mut Client<'_>, m: Method, path: &str, f: &Fixture) -> testkit::app::Resp {
    let url = if path.contains('{') {
        fill(path, f)
    } else {
        path.to_string()
    };
    match m {
        Method::Get => c.get(&url).await,
        Method::Post if path == "/members/import" => {
            c.post_multipart(
                &url,
                &[("unit", &f.unit.to_string())],
                Some(("file", "x.csv", b"a,b\n".to_vec())),
            )
            .await
        }
        Method::Post => {
            let id = f.unit.to_string();
            c.post(
                &url,
                &[
                    ("unit", id.as_str()),
                    ("school", id.as_str()),
                    ("role", "delegate"),
                    ("parent", id.as_str()),
                    ("mode", "valid_rows"),
                    ("status", "retired"),
                    ("purpose", "检查"),
                ],
            )
            .await
        }
    }
}

dual_test!(async fn every_route_refuses_visitors_from_another_school(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    // School A's things.
    let member_a = member(&app.t.store, o.school_a, "甲校会员", 1).await;
    let chair_a = app.account("chaira", Role::SchoolChair, o.school_a).await;
    let delegate_a = app.account("delegatea", Role::Delegate, o.school_a).await;
    let grants = store::auth::list_accounts(app.t.db(), &sys()).await.unwrap();
    let grant = grants.iter().find(|a| a.account.id == delegate_a.0).unwrap().grants[0].0;
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位"]), row(&["甲校新人", &id_number(2, true), "教师"])]);
    let cap_a = app.actor(Role::SchoolChair, o.school_a);
    let _ = cap_a;
    let mut chair_client = app.client_for(chair_a).await;
    let up = chair_client.post_multipart("/members/import", &[("unit", &o.school_a.to_string())], Some(("file", "a.xlsx", file))).await;
    up.assert_status(303);
    let import: i64 = up.location().unwrap().trim_start_matches("/imports/").parse().unwrap();
    let f = Fixture { member: member_a.0, unit: o.school_a.0, account: delegate_a.0, grant: grant.0, import, name: "甲校会员" };

    let table = web::routes(&WebConfig::default());
    let mut missing = Vec::new();
    for e in &table.entries {
        if e.access == Access::Public {
            continue;
        }
        if !MATRIX.iter().any(|(m, p, _, _)| *m == e.method && *p == e.path) {
            missing.push(format!("{} {}", e.method.as_str(), e.path));
        }
    }
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:#?}");

    // A member of school B with an account linked to their record, and B's chair.
    let member_b = member(&app.t.store, o.school_b, "乙校会员", 3).await;
    let mb = app.account_full("memberb", Role::Member, o.school_b, Some(member_b), None).await;
    let cb = app.account("chairb", Role::SchoolChair, o.school_b).await;
    for (m, path, as_member, as_chair) in MATRIX {
        assert!(table.entries.iter().any(|e| e.method == *m && e.path == *path), "matrix row for a route that does not exist: {path}");
        let r = call(&mut app.anon(), *m, path, &f).await;
        assert_eq!(r.status.as_u16(), 401, "anonymous {} {path}", m.as_str());
        for (who, expect, account) in [("member of B", as_member, mb), ("chair of B", as_chair, cb)] {
            let mut c = app.client_for(account).await;
            let r = call(&mut c, *m, path, &f).await;
            let s = r.status.as_u16();
            match expect {
                Expect::Deny => assert!(s == 403 || s == 404, "{who}: {} {path} gave {s}", m.as_str()),
                Expect::Scoped => {
                    assert!(s != 401 && s < 500, "{who}: {} {path} gave {s}", m.as_str());
                    let body = r.text();
                    assert!(!body.contains(f.name), "{who}: {} {path} shows school A's member", m.as_str());
                    if path.ends_with(".xlsx") && s == 200 {
                        let rows = read_xlsx(&r.bytes);
                        assert!(!rows.iter().flatten().any(|c| c == f.name), "{who}: export holds school A's member");
                    }
                }
            }
        }
    }
    // Nothing of school A changed.
    let m = store::org::get_member(&app.t.store, &sys(), member_a).await.unwrap();
    assert_eq!(m.school_union_id, o.school_a);
    assert_eq!(m.status, domain::org::MemberStatus::Active);
});
