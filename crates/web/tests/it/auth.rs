//! Login and accounts on the web: sessions rotate and end, wrong passwords and unknown users
//! look alike, brute force is slowed per address, forms survive an expired session,
//! cross-site posts and tampered cookies get nothing, one-time links and second factors,
//! and who may grant which role where. Every test runs on SQLite and PostgreSQL.

use domain::auth::Role;
use std::sync::{Arc, Mutex};
use testkit::app::{PASSWORD, TestApp};
use testkit::*;

dual_test!(async fn logging_in_rotates_the_session_and_logging_out_ends_it(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let mut c = app.anon();
    c.get("/login").await.assert_status(200);
    c.cookies.insert("jg_session".into(), "forged-or-old".into());
    let r = c.post("/login", &[("username", "chair1"), ("password", PASSWORD), ("next", "/members")]).await;
    r.assert_status(303);
    assert_eq!(r.location().as_deref(), Some("/members"));
    let set = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    let sid = c.cookies.get("jg_session").cloned().unwrap();
    assert_ne!(sid, "forged-or-old");
    assert!(sid.len() >= 22, "128 random bits");
    c.get("/members").await.assert_status(200);
    c.post("/logout", &[]).await.assert_status(303);
    // The old cookie no longer works even if kept.
    let mut again = app.anon();
    again.cookies.insert("jg_session".into(), sid);
    again.get("/members").await.assert_status(401);
});

dual_test!(async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let a = app.anon().post("/login", &[("username", "chair1"), ("password", "wrong password")]).await;
    let b = app.anon().post("/login", &[("username", "nobody"), ("password", "wrong password")]).await;
    assert_eq!(a.status, b.status);
    assert_eq!(a.select(".form-error"), b.select(".form-error"));
    assert!(!a.select(".form-error").is_empty());
});

dual_test!(async fn brute_force_slows_the_guessing_address_but_not_the_owner_elsewhere(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    for _ in 0..8 {
        app.anon().peer("10.0.0.9").post("/login", &[("username", "chair1"), ("password", "guess")]).await;
    }
    // Even the right password is refused from the guessing address while it backs off.
    let r = app.anon().peer("10.0.0.9").post("/login", &[("username", "chair1"), ("password", PASSWORD)]).await;
    r.assert_status(429);
    // The owner, from another address, is not locked out by the attacker.
    let r = app.anon().peer("10.0.0.20").post("/login", &[("username", "chair1"), ("password", PASSWORD)]).await;
    r.assert_status(303);
    // Someone else from another address logs in fine.
    app.account_full("chair2", Role::SchoolChair, app.org.school_b, None, Some(PASSWORD)).await;
    let r = app.anon().peer("10.0.0.10").post("/login", &[("username", "chair2"), ("password", PASSWORD)]).await;
    r.assert_status(303);
});

dual_test!(async fn a_forged_forwarded_for_header_does_not_escape_the_address_back_off(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair2", Role::SchoolChair, app.org.school_b, None, Some(PASSWORD)).await;
    // Password spraying over many names, each request claiming another address.
    for i in 0..22 {
        let fake = format!("192.0.2.{i}");
        let name = format!("guess{i}");
        app.anon().peer("10.0.0.9").header("x-forwarded-for", &fake).post("/login", &[("username", &name), ("password", "guess")]).await;
    }
    let r = app.anon().peer("10.0.0.9").header("x-forwarded-for", "192.0.2.200").post("/login", &[("username", "chair2"), ("password", PASSWORD)]).await;
    r.assert_status(429);
});

dual_test!(async fn a_form_sent_after_the_session_expired_is_kept_through_login(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let mut c = app.anon();
    let school = app.org.school_a.to_string();
    let id = id_number(55, true);
    let r = c.post("/members/new", &[("name", "王小明"), ("id_number", &id), ("post", "teacher"), ("school", &school)]).await;
    r.assert_status(401);
    let kept: Vec<(String, String)> = {
        let html = r.html();
        let sel = scraper::Selector::parse("input[type=hidden]").unwrap();
        html.select(&sel).map(|e| (e.value().attr("name").unwrap_or("").to_string(), e.value().attr("value").unwrap_or("").to_string())).collect()
    };
    assert!(kept.contains(&("stash.name".into(), "王小明".into())), "{kept:?}");
    assert!(kept.contains(&("next".into(), "/members/new".into())));
    let mut form: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form.push(("username", "chair1"));
    form.push(("password", PASSWORD));
    let r = c.post("/login", &form).await;
    r.assert_status(200);
    // The resubmit page posts the same fields to the same place.
    assert!(r.text().contains("action=\"/members/new\""));
    assert!(r.text().contains("王小明"));
    let r = c.post("/members/new", &[("name", "王小明"), ("id_number", &id), ("post", "teacher"), ("school", &school)]).await;
    r.assert_status(303);
});

dual_test!(async fn a_cross_site_post_is_refused(t) {
    let app = TestApp::new(t).await;
    let c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let r = c.header("sec-fetch-site", "cross-site").post("/logout", &[]).await;
    r.assert_status(403);
    let r = app.anon().header("origin", "https://evil.example").header("host", "jiaogong.local").post("/lang", &[("lang", "en")]).await;
    r.assert_status(403);
});

dual_test!(async fn security_headers_are_on_every_page(t) {
    let app = TestApp::new(t).await;
    let r = app.anon().get("/login").await;
    let csp = r.headers.get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(r.headers.get("referrer-policy").unwrap(), "same-origin");
    // No inline script anywhere.
    assert!(!r.text().contains("<script>"));
});

dual_test!(async fn a_tampered_cookie_is_just_anonymous(t) {
    let app = TestApp::new(t).await;
    let mut c = app.anon();
    c.cookies.insert("jg_session".into(), "AAAAAAAAAAAAAAAAAAAAAA".into());
    c.cookies.insert("jg_flash".into(), "ok|<script>alert(1)</script>".into());
    let r = c.get("/members").await;
    r.assert_status(401);
    assert!(!r.text().contains("<script>alert"));
});

dual_test!(async fn a_one_time_link_sets_a_password_once(t) {
    let app = TestApp::new(t).await;
    let id = app.account("newchair", Role::SchoolChair, app.org.school_a).await;
    let token = store::auth::issue_token(&app.t.store, &who(), id, store::auth::TokenPurpose::Setup, chrono::Duration::hours(1)).await.unwrap();
    let path = format!("/link/{token}");
    app.anon().get(&path).await.assert_status(200);
    let r = app.anon().post(&path, &[("password", "short"), ("confirm", "short")]).await;
    r.assert_status(422);
    assert!(!r.select(".field-error").is_empty());
    app.anon().post(&path, &[("password", PASSWORD), ("confirm", PASSWORD)]).await.assert_status(303);
    app.anon().get(&path).await.assert_status(410);
    app.anon().post(&path, &[("password", PASSWORD), ("confirm", PASSWORD)]).await.assert_status(410);
    app.anon().post("/login", &[("username", "newchair"), ("password", PASSWORD)]).await.assert_status(303);
});

dual_test!(async fn admins_must_enrol_a_second_factor_and_then_use_it(t) {
    let app = TestApp::new(t).await;
    let id = app.account_full("root", Role::PlatformAdmin, app.org.union, None, Some(PASSWORD)).await;
    let mut c = app.anon();
    c.post("/login", &[("username", "root"), ("password", PASSWORD), ("next", "/members")]).await.assert_status(303);
    let r = c.get("/members").await;
    r.assert_status(303);
    assert_eq!(r.location().as_deref(), Some("/account/totp"));
    c.post("/account/totp/start", &[]).await.assert_status(200);
    let now = chrono::Utc::now().timestamp() as u64;
    let code = store::auth::current_totp_code(&app.t.store, id, now).await.unwrap();
    let r = c.post("/account/totp/confirm", &[("code", &code)]).await;
    r.assert_status(200);
    assert_eq!(r.select(".codes li").len(), 10);
    c.get("/members").await.assert_status(200);
    // A new login now asks for the code.
    let mut d = app.anon();
    let r = d.post("/login", &[("username", "root"), ("password", PASSWORD), ("next", "/org")]).await;
    assert!(r.location().unwrap().starts_with("/login/totp"));
    d.get("/org").await.assert_status(303);
    let r = d.post("/login/totp", &[("code", "123456"), ("next", "/org")]).await;
    r.assert_status(200);
    assert!(!r.select(".form-error").is_empty());
    let code = store::auth::current_totp_code(&app.t.store, id, now + 30).await.unwrap();
    // The code of the next step is accepted (within the allowed skew).
    let r = d.post("/login/totp", &[("code", &code), ("next", "/org")]).await;
    assert_eq!(r.location().as_deref(), Some("/org"));
    d.get("/org").await.assert_status(200);
});

dual_test!(async fn a_password_change_ends_every_session(t) {
    let app = TestApp::new(t).await;
    let id = app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let mut other = app.client_for(id).await;
    let mut c = app.client_for(id).await;
    let r = c.post("/account/password", &[("current", "wrong"), ("password", "new password 123"), ("confirm", "new password 123")]).await;
    r.assert_status(422);
    let r = c.post("/account/password", &[("current", PASSWORD), ("password", "new password 123"), ("confirm", "new password 123")]).await;
    r.assert_status(303);
    other.get("/members").await.assert_status(401);
});

dual_test!(async fn a_chair_grants_roles_only_in_the_school(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let r = c.post("/accounts/new", &[("username", "dept1"), ("display_name", "教务处"), ("role", "handling_department"), ("unit", &a)]).await;
    r.assert_status(200);
    assert!(r.text().contains("/link/"), "a one-time link is shown");
    let b = app.org.school_b.to_string();
    let r = c.post("/accounts/new", &[("username", "dept2"), ("display_name", "x"), ("role", "delegate"), ("unit", &b)]).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = c.post("/accounts/new", &[("username", "chair9"), ("display_name", "x"), ("role", "school_chair"), ("unit", &a)]).await;
    r.assert_status(422);
});

dual_test!(async fn an_account_is_linked_to_a_member_of_the_school_only(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "代表甲", 30).await;
    member(&app.t.store, app.org.school_b, "乙校人", 31).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let other = id_number(31, true);
    let r = c.post("/accounts/new", &[("username", "dele1"), ("display_name", "代表"), ("role", "delegate"), ("unit", &a), ("member_id_number", &other)]).await;
    r.assert_status(422);
    assert!(r.select(".field-error").iter().any(|e| e.contains("没有")));
    let mine = id_number(30, false);
    let r = c.post("/accounts/new", &[("username", "dele1"), ("display_name", "代表"), ("role", "delegate"), ("unit", &a), ("member_id_number", &mine)]).await;
    r.assert_status(200);
    let (acc, _) = store::auth::account_for_login(app.t.db(), "dele1").await.unwrap().unwrap();
    assert_eq!(acc.member_id, Some(m.0));
});

dual_test!(async fn a_chair_cannot_take_over_an_area_lead_who_also_holds_a_member_grant_in_the_school(t) {
    let app = TestApp::new(t).await;
    let lead = app.account_full("lead1", Role::AreaLead, app.org.area_a, None, Some(PASSWORD)).await;
    grant_as_cli(&app.t.store, lead, Role::Member, app.org.school_a).await;
    let staff = app.account_full("staff1", Role::UnionStaff, app.org.union, None, Some(PASSWORD)).await;
    grant_as_cli(&app.t.store, staff, Role::Member, app.org.school_a).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    for id in [lead, staff] {
        // No reset link, no disabling, no new grant: all answer "not found".
        let r = c.post(&format!("/accounts/{}/link", id.0), &[]).await;
        r.assert_status(404);
        assert!(!r.text().contains("/link/"));
        c.post(&format!("/accounts/{}/disable", id.0), &[]).await.assert_status(404);
        c.post(&format!("/accounts/{}/enable", id.0), &[]).await.assert_status(404);
        let a = app.org.school_a.to_string();
        c.post(&format!("/accounts/{}/grants", id.0), &[("role", "delegate"), ("unit", &a)]).await.assert_status(404);
    }
    // The area lead still logs in with the own password.
    app.anon().post("/login", &[("username", "lead1"), ("password", PASSWORD)]).await.assert_status(303);
    // A delegate account of the school stays in the chair's reach.
    let dele = app.account_full("dele1", Role::Delegate, app.org.school_a, None, Some(PASSWORD)).await;
    c.post(&format!("/accounts/{}/disable", dele.0), &[]).await.assert_status(303);
});

dual_test!(async fn an_open_session_cannot_replace_the_second_factor_without_the_password_or_a_code(t) {
    let app = TestApp::new(t).await;
    let id = app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let mut c = app.client_for(id).await;
    c.post("/account/totp/start", &[]).await.assert_status(200);
    let now = chrono::Utc::now().timestamp() as u64;
    let code = store::auth::current_totp_code(&app.t.store, id, now).await.unwrap();
    c.post("/account/totp/confirm", &[("code", &code)]).await.assert_status(200);
    // Someone at the unattended screen tries to start over (which turns the factor off).
    let r = c.post("/account/totp/start", &[]).await;
    r.assert_status(422);
    let r = c.post("/account/totp/start", &[("proof", "not the password")]).await;
    r.assert_status(422);
    assert!(store::auth::account(app.t.db(), id).await.unwrap().totp_enabled, "still on");
    // The owner, with the password, may.
    c.post("/account/totp/start", &[("proof", PASSWORD)]).await.assert_status(200);
});

dual_test!(async fn a_next_target_with_a_tab_or_a_line_break_stays_on_the_site(t) {
    let app = TestApp::new(t).await;
    app.account_full("chair1", Role::SchoolChair, app.org.school_a, None, Some(PASSWORD)).await;
    let mut c = app.anon();
    // A browser drops the tab and would follow `//evil.example/` off the site.
    let r = c.post("/login", &[("username", "chair1"), ("password", PASSWORD), ("next", "/\t/evil.example/")]).await;
    assert_eq!(r.location().as_deref(), Some("/"));
    let r = c.get("/login?next=/%09/evil.example/").await;
    assert_eq!(r.location().as_deref(), Some("/"));
    // A line break is answered, not a crash.
    let r = app.anon().post("/lang", &[("lang", "en"), ("next", "/\r\nSet-Cookie: x=1")]).await;
    r.assert_status(303);
    assert_eq!(r.location().as_deref(), Some("/"));
    let r = app.anon().get("/login?next=/%0d%0aSet-Cookie:%20x=1").await;
    r.assert_status(200);
});

dual_test!(async fn private_pages_are_not_kept_by_the_browser(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    for path in ["/members", "/accounts", "/account/password"] {
        let r = c.get(path).await;
        r.assert_status(200);
        assert_eq!(r.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
});

/// Member `n` of school A with a current delegate mandate in a congress term (phone
/// `138000000nn` on the roster, as `testkit::input` writes it).
async fn delegate_of_a(app: &TestApp, name: &str, n: u32) -> domain::ids::MemberId {
    let h = testkit::hall::hall_in(&app.t.store, app.org.clone(), 3, 0, 3).await;
    let m = member(&app.t.store, app.org.school_a, name, n).await;
    store::on_db!(app.t.db(), |p| sqlx::query("INSERT INTO delegate (term_id, member_id, kind, started_on, created_at) VALUES ($1, $2, 'delegate', $3, $4)")
        .bind(h.term.0).bind(m.0).bind(chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()).bind(store::now())
        .execute(p).await.map(|_| ())).unwrap();
    m
}

/// The pending link request of the account (id), read as the test's "phone" would.
async fn link_request_of(app: &TestApp, account: i64) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM link_request WHERE account_id = $1 ORDER BY id DESC LIMIT 1"
    )
    .bind(account)
    .fetch_one(p)
    .await)
    .unwrap()
}

dual_test!(async fn a_chair_cannot_bind_a_new_account_to_a_delegate_and_log_in_as_them(t) {
    let app = TestApp::new(t).await;
    let m = delegate_of_a(&app, "代表乙", 40).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let id = id_number(40, false);
    let r = c.post("/accounts/new", &[("username", "fake1"), ("display_name", "代表乙"), ("role", "delegate"), ("unit", &a), ("member_id_number", &id)]).await;
    r.assert_status(200);
    assert!(r.text().contains("尾号 0040"), "the chair is told the member confirms on their own phone");
    let (acc, _) = store::auth::account_for_login(app.t.db(), "fake1").await.unwrap().unwrap();
    assert_eq!(acc.member_id, None, "the account is made, but does not act as the delegate");
    // The queued text message names what to send, not the number or the code.
    let req = link_request_of(&app, acc.id).await;
    let (_, code) = store::auth::for_sending(&app.t.store, req).await.unwrap().expect("a code to send");
    let payloads: Vec<String> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT payload FROM job WHERE channel = 'sms'")
        .fetch_all(p).await).unwrap();
    assert_eq!(payloads.len(), 1, "one text message queued");
    assert!(!payloads[0].contains("13800000040") && !payloads[0].contains(&code), "{}", payloads[0]);
    assert!(!r.text().contains(&code), "the code is never on the chair's page");
    // The chair holds the new account and guesses; the fifth wrong code voids the request.
    let mut fake = app.client_for(domain::ids::AccountId(acc.id)).await;
    let r = fake.get("/account/member").await;
    r.assert_status(200);
    assert!(r.text().contains("0040"));
    for guess in ["000000", "111111", "222222", "333333", "444444"] {
        let guess = if guess == code { "555555" } else { guess };
        let r = fake.post("/account/member", &[("code", guess)]).await;
        r.assert_status(422);
        assert!(!r.select(".field-error").is_empty(), "named at the field");
    }
    // Even the right code does nothing now.
    fake.post("/account/member", &[("code", &code)]).await.assert_status(422);
    let (acc, _) = store::auth::account_for_login(app.t.db(), "fake1").await.unwrap().unwrap();
    assert_eq!(acc.member_id, None, "never bound");
    assert!(store::auth::for_sending(&app.t.store, req).await.unwrap().is_none(), "a void request sends nothing");
    let refused: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.link_refused'")
        .fetch_one(p).await).unwrap();
    assert_eq!(refused, 1, "the refusal is audited");
    let _ = m;
});

/// A local SMS gateway: records each JSON body it receives.
async fn sms_gateway() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let app = axum::Router::new()
        .route(
            "/sms",
            axum::routing::post(
                |axum::extract::State(got): axum::extract::State<
                    Arc<Mutex<Vec<serde_json::Value>>>,
                >,
                 axum::Json(v): axum::Json<serde_json::Value>| async move {
                    got.lock().unwrap().push(v);
                    "ok"
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/sms"), got)
}

dual_test!(async fn the_delegate_links_the_account_with_the_code_from_their_own_phone(t) {
    let app = TestApp::new(t).await;
    let m = delegate_of_a(&app, "代表丙", 42).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let id = id_number(42, false);
    c.post("/accounts/new", &[("username", "dele42"), ("display_name", "代表丙"), ("role", "delegate"), ("unit", &a), ("member_id_number", &id)]).await.assert_status(200);
    let (acc, _) = store::auth::account_for_login(app.t.db(), "dele42").await.unwrap().unwrap();
    let (url, got) = sms_gateway().await;
    let worker = web::outbox::Worker::new(
        app.t.store.clone(),
        web::outbox::WorkerConfig { sms_url: Some(url), ..Default::default() },
    );
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let sent = got.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], "13800000042", "to the phone on the roster");
    let text = sent[0]["text"].as_str().unwrap().to_string();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert!(text.contains(&code) && text.contains("48"), "{text}");
    // Once sent, the database keeps no way back to the code.
    let req = link_request_of(&app, acc.id).await;
    let sealed: Option<Vec<u8>> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT code_enc FROM link_request WHERE id = $1")
        .bind(req).fetch_one(p).await).unwrap();
    assert!(sealed.is_none(), "the sealed code is wiped after sending");
    // The holder types it as phones offer it (full-width digits, a space) and is linked.
    let mut holder = app.client_for(domain::ids::AccountId(acc.id)).await;
    let r = holder.get("/account/member").await;
    assert!(r.text().contains("0042"));
    let typed: String = code.chars().map(|d| char::from_u32(d as u32 - '0' as u32 + 0xFF10).unwrap()).collect();
    let typed = format!("{} {}", &typed[..9], &typed[9..]);
    let r = holder.post("/account/member", &[("code", &typed)]).await;
    r.assert_status(303);
    let (acc, _) = store::auth::account_for_login(app.t.db(), "dele42").await.unwrap().unwrap();
    assert_eq!(acc.member_id, Some(m.0), "linked by the member's own code");
    // The same code cannot be used again for another account.
    let r = holder.get("/account/member").await;
    assert!(!r.text().contains("0042"), "nothing is waiting any more");
});

dual_test!(async fn a_phone_number_changed_lately_is_not_the_delegates_own_channel(t) {
    let app = TestApp::new(t).await;
    let m = delegate_of_a(&app, "代表丁", 44).await;
    // The chair first puts a phone they hold on the delegate's record.
    let version: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT version FROM member WHERE id = $1")
        .bind(m.0).fetch_one(p).await).unwrap();
    let mut input = testkit::input("代表丁", 44);
    input.phone = "13912345678".into();
    let d = input.parse(today()).unwrap();
    store::org::update_member(&app.t.store, &sys(), &who(), m, version, None, &d).await.unwrap();
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let id = id_number(44, false);
    let r = c.post("/accounts/new", &[("username", "fake2"), ("display_name", "代表丁"), ("role", "delegate"), ("unit", &a), ("member_id_number", &id)]).await;
    r.assert_status(422);
    assert!(r.select(".field-error").iter().any(|e| e.contains("30 天")), "{:?}", r.select(".field-error"));
    assert!(store::auth::account_for_login(app.t.db(), "fake2").await.unwrap().is_none(), "nothing created");
    let queued: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM job WHERE channel = 'sms'")
        .fetch_one(p).await).unwrap();
    assert_eq!(queued, 0, "no code went to the new number");
});

dual_test!(async fn a_member_with_an_account_gets_no_second_one(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "教师戊", 46).await;
    app.account_full("own46", Role::Member, app.org.school_a, Some(m), None).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let id = id_number(46, false);
    let r = c.post("/accounts/new", &[("username", "fake3"), ("display_name", "教师戊"), ("role", "member"), ("unit", &a), ("member_id_number", &id)]).await;
    r.assert_status(422);
    assert!(r.select(".field-error").iter().any(|e| e.contains("已有本人账号")), "{:?}", r.select(".field-error"));
});
