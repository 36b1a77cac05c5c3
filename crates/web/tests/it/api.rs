//! The JSON API and its personal access tokens (issue 24), both engines: a chair makes a
//! read token at /me/tokens (the secret is shown once, kept only as a digest, never in the
//! raw SQLite file), lists their school's members through /api/v1/members in keyset pages
//! with ID numbers and phones masked as the member list masks them, and never a member of
//! another school; every use is audited; a read token cannot write, a write token can; a
//! revoked or expired token and a browser session alone are refused with problem+json
//! carrying the request id; one cannot revoke another account's token nor put a grant one
//! does not hold in a token; the OpenAPI document's paths are exactly the API route table.

use domain::auth::{Grant, Role};
use testkit::app::TestApp;
use testkit::*;

async fn uses(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'api_token' AND action = 'api_token.use'"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

fn json(r: &testkit::app::Resp) -> serde_json::Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("JSON: {e}: {}", r.text()))
}

fn assert_problem(r: &testkit::app::Resp, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    let ct = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert_eq!(ct, "application/problem+json");
    let p = json(r);
    assert_eq!(p["status"], status);
    assert!(
        p["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{p}"
    );
}

dual_test!(async fn a_chairs_token_lists_its_own_schools_members_masked_in_pages(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    for (i, n) in ["甲一", "甲二", "甲三"].iter().enumerate() {
        member(st, o.school_a, &format!("接口{n}"), 9100 + i as u32).await;
    }
    member(st, o.school_b, "接口乙校", 9200).await;
    let chair = app.account("apichair", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(chair).await;

    // The page: empty state, then a new read token; the secret appears once.
    let page = c.get("/me/tokens").await;
    page.assert_status(200);
    assert!(!page.select(".empty").is_empty());
    let grant = format!("school_chair:{}", o.school_a.0);
    let r = c.post("/me/tokens", &[("name", "省平台"), ("days", "30"), ("access", "read"), ("grant", &grant)]).await;
    r.assert_status(201);
    let secret = r.select("#token-secret").pop().unwrap();
    assert!(secret.starts_with("jgpat_") && secret.len() > 40, "{secret}");
    let again = c.get("/me/tokens").await;
    assert!(!again.text().contains(&secret), "the secret is never shown again");
    assert!(again.text().contains("省平台"));
    // Only its digest is stored: not in the table, not in the raw SQLite file.
    let stored: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM api_token WHERE token_hash = $1")
        .bind(secret.as_bytes().to_vec()).fetch_one(p).await).unwrap();
    assert_eq!(stored, 0);
    if let Some(path) = &app.t.sqlite_path {
        for f in [path.clone(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&f) {
                assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} holds the secret", f.display());
            }
        }
    }

    // A form with a mistake comes back at its field with what was typed.
    let bad = c.post("/me/tokens", &[("name", "无角色"), ("days", "30"), ("access", "read")]).await;
    bad.assert_status(422);
    assert!(!bad.select("#grants-error").is_empty());
    assert!(bad.text().contains("无角色"));

    // Keyset pages of 2: school A's three members, none of school B, masked.
    let before = uses(&app).await;
    let auth = format!("Bearer {secret}");
    let r = app.anon().header("authorization", &auth).get("/api/v1/members?limit=2").await;
    r.assert_status(200);
    let p1 = json(&r);
    let items = p1["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let next = p1["next"].as_str().expect("a next cursor").to_string();
    let r2 = app.anon().header("authorization", &auth).get(&format!("/api/v1/members?limit=2&after={next}")).await;
    r2.assert_status(200);
    let p2 = json(&r2);
    let all: Vec<serde_json::Value> = items.iter().chain(p2["items"].as_array().unwrap()).cloned().collect();
    let names: Vec<&str> = all.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("接口甲")), "{names:?}");
    assert!(p2["next"].is_null());
    assert!(all.iter().all(|m| m["school_union_id"] == o.school_a.0));
    let body = format!("{}{}", r.text(), r2.text());
    assert!(!body.contains("接口乙校"));
    for i in 0..3u32 {
        let n = 9100 + i;
        assert!(!body.contains(&id_number(n, n % 2 == 1)), "a whole ID number");
        assert!(!body.contains(&format!("138{n:08}")), "a whole phone number");
    }
    // Masked exactly as the member list page masks them.
    let list = c.get("/members").await;
    for m in &all {
        let masked = m["id_number_masked"].as_str().unwrap();
        assert!(masked.starts_with('*'), "{masked}");
        assert!(list.text().contains(masked), "{masked} as on the page");
        let phone = m["phone_masked"].as_str().unwrap();
        assert!(phone.starts_with('*') && list.text().contains(phone), "{phone}");
    }
    // Another school by filter: nothing, as if it had no members.
    let r = app.anon().header("authorization", &auth).get(&format!("/api/v1/members?unit={}", o.school_b.0)).await;
    assert!(json(&r)["items"].as_array().unwrap().is_empty(), "{}", r.text());
    let meetings = app.anon().header("authorization", &auth).get("/api/v1/meetings").await;
    meetings.assert_status(200);
    let units = app.anon().header("authorization", &auth).get("/api/v1/units").await;
    let units = json(&units);
    assert!(units.as_array().unwrap().iter().all(|u| u["id"] != o.school_b.0), "{units}");
    // Every use is in the audit log, with the route.
    assert_eq!(uses(&app).await, before + 5);
    let last: String = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT changes FROM audit_log WHERE entity_type = 'api_token' AND action = 'api_token.use' ORDER BY seq DESC LIMIT 1")
        .fetch_one(p).await).unwrap();
    assert!(last.contains("GET /api/v1/units"), "{last}");
});

dual_test!(async fn read_revoked_and_expired_tokens_and_sessions_are_refused(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let staff = app.account("apistaff", Role::UnionStaff, o.union).await;
    let (actor, _) = store::auth::load_actor(&st.db, staff).await.unwrap().unwrap();
    let make = |write: bool| store::api_token::NewToken { name: "t".into(), grants: actor.grants.clone(), can_write: write, days: 30 };
    let (_, read) = store::api_token::create(st, &actor, &who(), &make(false)).await.unwrap();
    let (write_id, write) = store::api_token::create(st, &actor, &who(), &make(true)).await.unwrap();
    let url = format!("/api/v1/units/{}/branches", o.school_a.0);
    let send = |secret: &str, body: &str| {
        let req = http::Request::post(&url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {secret}"));
        let body = axum::body::Body::from(body.to_string());
        let mut c = app.anon();
        async move { c.send(req, body).await }
    };
    let r = send(&read, r#"{"code":"API-R","name":"只读分会"}"#).await;
    assert_problem(&r, 403);
    let r = send(&write, r#"{"code":"API-W","name":"接口分会"}"#).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let r = send(&write, r#"{"code":"API-W","name":"接口分会"}"#).await;
    assert_problem(&r, 409);
    let r = send(&write, "not json").await;
    assert_problem(&r, 422);
    let units: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM org_unit WHERE code IN ('API-R', 'API-W')").fetch_one(p).await).unwrap();
    assert_eq!(units, 1, "only the write token wrote");

    // No token, a made-up one, a browser session alone: 401 with problem+json.
    assert_problem(&app.anon().get("/api/v1/members").await, 401);
    assert_problem(&app.anon().header("authorization", "Bearer jgpat_made-up").get("/api/v1/members").await, 401);
    let mut browser = app.client_for(staff).await;
    browser.get("/").await.assert_status(200);
    assert_problem(&browser.get("/api/v1/members").await, 401);
    assert_problem(&app.anon().get("/api/v1/no-such-route").await, 404);

    // Another account cannot revoke it; its owner can, after which it is refused.
    let other = app.account("apiother", Role::UnionStaff, o.union).await;
    let mut oc = app.client_for(other).await;
    assert_eq!(oc.post(&format!("/me/tokens/{write_id}/revoke"), &[]).await.status.as_u16(), 404);
    let ok = app.anon().header("authorization", &format!("Bearer {write}")).get("/api/v1/units").await;
    ok.assert_status(200);
    let mut sc = app.client_for(staff).await;
    let r = sc.post(&format!("/me/tokens/{write_id}/revoke"), &[]).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    assert_problem(&app.anon().header("authorization", &format!("Bearer {write}")).get("/api/v1/units").await, 401);

    // Expired.
    store::on_db!(&st.db, |p| sqlx::query("UPDATE api_token SET expires_at = $1").bind(store::now() - chrono::Duration::minutes(1)).execute(p).await.map(|r| r.rows_affected())).unwrap();
    assert_problem(&app.anon().header("authorization", &format!("Bearer {read}")).get("/api/v1/units").await, 401);

    // A grant the account does not hold cannot go into a token.
    let foreign = store::api_token::NewToken {
        grants: vec![Grant { role: Role::UnionStaff, org_unit: o.school_b }],
        ..make(false)
    };
    assert!(matches!(store::api_token::create(st, &actor, &who(), &foreign).await, Err(store::StoreError::NotFound)));
    // A grant taken from the account later is no longer honoured by its tokens.
    let chair = app.account("apichair2", Role::SchoolChair, o.school_b).await;
    let (ca, _) = store::auth::load_actor(&st.db, chair).await.unwrap().unwrap();
    let (_, cs) = store::api_token::create(st, &ca, &who(), &store::api_token::NewToken { name: "c".into(), grants: ca.grants.clone(), can_write: false, days: 30 }).await.unwrap();
    app.anon().header("authorization", &format!("Bearer {cs}")).get("/api/v1/members").await.assert_status(200);
    store::on_db!(&st.db, |p| sqlx::query("DELETE FROM role_grant WHERE account_id = $1").bind(chair.0).execute(p).await.map(|r| r.rows_affected())).unwrap();
    assert_problem(&app.anon().header("authorization", &format!("Bearer {cs}")).get("/api/v1/members").await, 401);
});

dual_test!(async fn the_openapi_document_names_exactly_the_api_routes(t) {
    let app = TestApp::new(t).await;
    let r = app.anon().get("/api/v1/openapi.json").await;
    r.assert_status(200);
    let doc = json(&r);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut routed: Vec<String> = web::routes(&web::WebConfig::default())
        .entries
        .iter()
        .filter(|e| e.path.starts_with("/api/"))
        .map(|e| format!("{} {}", e.method.as_str(), e.path))
        .collect();
    routed.sort();
    assert_eq!(documented, routed);
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
});

/// A GET with a token: the status and the body as JSON.
async fn api_get(app: &TestApp, secret: &str, path: &str) -> (u16, serde_json::Value, String) {
    let r = app
        .anon()
        .header("authorization", &format!("Bearer {secret}"))
        .get(path)
        .await;
    let text = r.text();
    let v = if r.status.is_success() {
        json(&r)
    } else {
        serde_json::Value::Null
    };
    (r.status.as_u16(), v, text)
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    let list = v
        .get("items")
        .unwrap_or(v)
        .as_array()
        .unwrap_or_else(|| panic!("a list: {v}"));
    list.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

dual_test!(async fn every_areas_list_shows_a_token_its_scope_only_and_no_more_than_the_page(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let member_a = member(st, o.school_a, "甲校会员", 1).await;
    let congress = crate::matrix::congress_of_a(&app, member_a).await;
    let (hardship, _) = crate::matrix::hardship_file_of_a(&app).await;
    let (news, _, _) = crate::matrix::yearbook_of_a(&app).await;
    let (_, _, election) = crate::matrix::committee_of_a(&app).await;
    crate::matrix::funds_of_a(&app).await;
    let activity = crate::matrix::activity_of_a(&app, member_a).await;
    let (survey, petition) = crate::matrix::survey_of_a(&app).await;
    let contest = crate::matrix::contest_of_a(&app).await;
    let staff = app.account("apistaff", Role::UnionStaff, o.union).await;
    let chair_b = app.account("apichairb", Role::SchoolChair, o.school_b).await;
    let member_acc = app.account("apimember", Role::Member, o.school_a).await;
    let s = crate::matrix::api_secret(&app, staff).await.1;
    let b = crate::matrix::api_secret(&app, chair_b).await.1;
    let m = crate::matrix::api_secret(&app, member_acc).await.1;

    let lists: Vec<(String, i64)> = vec![
        ("/api/v1/proposals".into(), congress.proposal),
        (format!("/api/v1/meetings/{}/polls", congress.meeting), congress.published),
        ("/api/v1/assistance/files".into(), hardship),
        ("/api/v1/activities".into(), activity),
        ("/api/v1/contests?year=2026".into(), contest),
        ("/api/v1/elections".into(), election),
        ("/api/v1/news".into(), news),
        ("/api/v1/surveys".into(), survey),
        ("/api/v1/suggestions".into(), congress.suggestion),
        ("/api/v1/petitions".into(), petition),
    ];
    for (path, id) in &lists {
        let (status, v, text) = api_get(&app, &s, path).await;
        assert_eq!(status, 200, "{path}: {text}");
        assert!(ids(&v).contains(id), "district staff sees {id} in {path}: {v}");
        // Another school's chair: the lists answer without school A's things; a meeting of
        // school A is missing for them.
        let (status, _, text) = api_get(&app, &b, path).await;
        if path.contains("/meetings/") {
            assert_eq!(status, 404, "{path}: {text}");
        } else {
            assert_eq!(status, 200, "{path}: {text}");
        }
        assert!(!text.contains("甲校"), "chair of B: {path} names school A's things: {text}");
        // A plain member's token holds no staff permission: refused.
        let (status, _, _) = api_get(&app, &m, path).await;
        assert_eq!(status, 403, "member: {path}");
    }

    // The hardship list: what /assistance lists, never the household, its incomes or causes.
    let (_, files, text) = api_get(&app, &s, "/api/v1/assistance/files").await;
    let item = files["items"].as_array().unwrap().iter().find(|f| f["id"] == hardship).unwrap();
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["drafted_on", "exited_on", "id", "level", "member_name", "opened_on", "review_due", "school_name", "school_union_id", "status"]);
    assert!(!text.contains("illness") && !text.contains("800"), "{text}");
    // Keyset pages of one file each reach both files, once.
    let (_, p1, _) = api_get(&app, &s, "/api/v1/assistance/files?limit=1").await;
    let next = p1["next"].as_str().expect("a next page").to_string();
    let (_, p2, _) = api_get(&app, &s, &format!("/api/v1/assistance/files?limit=1&after={next}")).await;
    let mut both = ids(&p1);
    both.extend(ids(&p2));
    both.sort();
    both.dedup();
    assert_eq!(both.len(), 2, "{p1} {p2}");

    // A survey: how many answered, never an answer.
    let (_, sv, _) = api_get(&app, &s, "/api/v1/surveys").await;
    let item = sv.as_array().unwrap().iter().find(|x| x["id"] == survey).unwrap();
    assert_eq!(item["answers"], 0);
    assert_eq!(item["questions"], 1);
    assert!(item.get("answers_by").is_none() && !sv.to_string().contains("满意"), "{sv}");

    // A letter or visit: its category, deadlines and outcome, never the petitioner or the
    // matter; a suggestion: never its author.
    let (_, pv, text) = api_get(&app, &s, "/api/v1/petitions").await;
    let item = pv.as_array().unwrap().iter().find(|x| x["id"] == petition).unwrap();
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["accept_by", "category", "channel", "closed_on", "collective", "conclude_by", "id", "overdue", "received_on", "replied_on", "satisfaction", "status", "unit_id", "unit_name"]);
    assert!(!text.contains('*'), "not even the masked name: {text}");
    let (_, sg, _) = api_get(&app, &s, "/api/v1/suggestions").await;
    let item = sg.as_array().unwrap().iter().find(|x| x["id"] == congress.suggestion).unwrap();
    assert!(item.get("member_name").is_none() && !sg.to_string().contains("甲校会员\""), "{sg}");
    // A unit's plan tasks: school A's for the district; missing for B's chair.
    let (status, tv, text) = api_get(&app, &s, &format!("/api/v1/plans/{}/tasks?year=2026", o.school_a.0)).await;
    assert_eq!(status, 200, "{text}");
    assert!(tv.to_string().contains("甲校计划任务"), "{tv}");
    let (status, _, text) = api_get(&app, &b, &format!("/api/v1/plans/{}/tasks?year=2026", o.school_a.0)).await;
    assert_eq!(status, 404, "{text}");
    assert!(!text.contains("甲校计划任务"));

    // The annual assessment: the district sees school A scored; B's chair has no
    // assessment permission (403), so no school's score leaks to them.
    let (status, av, text) = api_get(&app, &s, "/api/v1/assessment?year=2026").await;
    assert_eq!(status, 200, "{text}");
    let a_row = av.as_array().unwrap().iter().find(|x| x["school_union_id"] == o.school_a.0).expect("school A assessed");
    assert!(a_row["scheme"].as_i64().unwrap() >= 1 && a_row["rank"].as_u64().unwrap() >= 1, "{a_row}");
    let (status, _, text) = api_get(&app, &b, "/api/v1/assessment?year=2026").await;
    assert!(status == 403 || !text.contains("甲"), "{status} {text}");

    // The published result, as the result sheet; an unpublished poll's is missing.
    let (status, r, text) = api_get(&app, &s, &format!("/api/v1/polls/{}/result", congress.published)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(r["poll_id"], congress.published);
    assert!(!r["rows"].as_array().unwrap().is_empty(), "{r}");
    let (status, _, _) = api_get(&app, &s, &format!("/api/v1/polls/{}/result", congress.poll)).await;
    assert_eq!(status, 404);
    let (status, _, _) = api_get(&app, &b, &format!("/api/v1/polls/{}/result", congress.published)).await;
    assert_eq!(status, 404, "another school's chair");

    // A school's ledger: in scope with its lines, another school's is missing.
    let (status, l, text) = api_get(&app, &s, &format!("/api/v1/funds/{}/ledger?year=2026", o.school_a.0)).await;
    assert_eq!(status, 200, "{text}");
    assert!(!l["lines"].as_array().unwrap().is_empty(), "{l}");
    let (status, _, _) = api_get(&app, &b, &format!("/api/v1/funds/{}/ledger?year=2026", o.school_a.0)).await;
    assert_eq!(status, 404);
});

dual_test!(async fn a_write_token_organises_an_activity_in_its_scope_and_a_read_token_cannot(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let chair = app.account("apiorganiser", Role::SchoolChair, o.school_a).await;
    let (actor, _) = store::auth::load_actor(&st.db, chair).await.unwrap().unwrap();
    let make = |write: bool| store::api_token::NewToken { name: "t".into(), grants: actor.grants.clone(), can_write: write, days: 30 };
    let (_, read) = store::api_token::create(st, &actor, &who(), &make(false)).await.unwrap();
    let (_, write) = store::api_token::create(st, &actor, &who(), &make(true)).await.unwrap();
    let day = web::today() + chrono::Duration::days(20);
    let body = format!(r#"{{"title":"接口组织的登山","place":"北山","date":"{day}","time":"09:00","closes":"{}","capacity":"30","audience":"everyone","tags":["sports"]}}"#, day - chrono::Duration::days(3));
    let post = |secret: String, unit: i64, body: String| {
        let req = http::Request::post(format!("/api/v1/units/{unit}/activities"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {secret}"));
        let mut c = app.anon();
        async move { c.send(req, axum::body::Body::from(body)).await }
    };
    assert_problem(&post(read.clone(), o.school_a.0, body.clone()).await, 403);
    assert_problem(&post(write.clone(), o.school_b.0, body.clone()).await, 404);
    let bad = post(write.clone(), o.school_a.0, r#"{"title":"","date":"明天"}"#.into()).await;
    assert_problem(&bad, 422);
    assert!(json(&bad)["detail"].as_str().unwrap().contains("title"), "{}", bad.text());
    let r = post(write.clone(), o.school_a.0, body.clone()).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let id = json(&r)["id"].as_i64().unwrap();
    let (status, v, text) = api_get(&app, &read, "/api/v1/activities").await;
    assert_eq!(status, 200, "{text}");
    let item = v["items"].as_array().unwrap().iter().find(|x| x["id"] == id).cloned().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(item["title"], "接口组织的登山");
    assert_eq!(item["tags"], serde_json::json!(["sports"]));
    assert_eq!(item["unit_id"], o.school_a.0);
    // Audited as the account, like the form.
    let n: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity_type = 'activity' AND entity_id = $1")
        .bind(id).fetch_one(p).await).unwrap();
    assert!(n >= 1);
});
