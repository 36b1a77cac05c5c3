//! Login and accounts on the web: sessions rotate and end, wrong passwords and unknown users
//! look alike, brute force is slowed per address, forms survive an expired session,
//! cross-site posts and tampered cookies get nothing, one-time links and second factors,
//! and who may grant which role where. Every test runs on SQLite and PostgreSQL.

use domain::auth::Role;
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

dual_test!(async fn a_chair_cannot_bind_a_new_account_to_a_delegate_and_log_in_as_them(t) {
    let app = TestApp::new(t).await;
    let h = testkit::hall::hall_in(&app.t.store, app.org.clone(), 3, 0, 3).await;
    let m = member(&app.t.store, app.org.school_a, "代表乙", 40).await;
    store::on_db!(app.t.db(), |p| sqlx::query("INSERT INTO delegate (term_id, member_id, kind, started_on, created_at) VALUES ($1, $2, 'delegate', $3, $4)")
        .bind(h.term.0).bind(m.0).bind(chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()).bind(store::now())
        .execute(p).await.map(|_| ())).unwrap();
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let a = app.org.school_a.to_string();
    let id = id_number(40, false);
    let r = c.post("/accounts/new", &[("username", "fake1"), ("display_name", "代表乙"), ("role", "delegate"), ("unit", &a), ("member_id_number", &id)]).await;
    r.assert_status(422);
    assert!(r.select(".field-error").iter().any(|e| e.contains("本人")), "{:?}", r.select(".field-error"));
    assert!(!r.text().contains("/link/"), "no link to set a password");
    assert!(store::auth::account_for_login(app.t.db(), "fake1").await.unwrap().is_none(), "nothing created");
});
