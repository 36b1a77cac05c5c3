//! Accounts in the store: password hashing, sessions that end on logout, password change
//! and idleness, only hashes of tokens stored, lockout with back-off, one-time links, TOTP
//! and recovery codes used once, grants limited to the scope and the grantable roles.

use chrono::Duration;
use domain::auth::{Role, SystemCap, perm};
use domain::ids::AccountId;
use store::auth::{self, NewAccount, PasswordHasher, SessionPolicy, ThrottlePolicy, TokenPurpose};
use testkit::*;

fn policy() -> SessionPolicy {
    SessionPolicy {
        idle: Duration::minutes(30),
        absolute: Duration::hours(12),
    }
}

async fn account(t: &TestDb, name: &str, hash: Option<String>) -> AccountId {
    auth::create_account_system(
        &SystemCap::for_cli(),
        &t.store,
        &who(),
        &NewAccount {
            username: name.into(),
            display_name: name.into(),
            member: None,
            password_hash: hash,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn passwords_are_argon2id_and_verify_only_when_right() {
    let h = PasswordHasher::new(1);
    let hash = h.hash("correct horse battery").await.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(h.verify("correct horse battery", Some(&hash)).await);
    assert!(!h.verify("wrong", Some(&hash)).await);
    assert!(!h.verify("correct horse battery", None).await);
}

dual_test!(async fn sessions_end_on_logout_on_password_change_and_when_idle(t) {
    let a = account(&t, "alice", None).await;
    let s1 = auth::create_session(t.db(), a, true, policy()).await.unwrap();
    let s2 = auth::create_session(t.db(), a, true, policy()).await.unwrap();
    assert_ne!(s1, s2);
    assert!(auth::session(t.db(), &s1, policy()).await.unwrap().is_some());
    auth::end_session(t.db(), &s1).await.unwrap();
    assert!(auth::session(t.db(), &s1, policy()).await.unwrap().is_none());
    auth::set_password(&t.store, &who(), a, "x").await.unwrap();
    assert!(auth::session(t.db(), &s2, policy()).await.unwrap().is_none(), "a password change ends every session");
    let s3 = auth::create_session(t.db(), a, true, policy()).await.unwrap();
    let short = SessionPolicy { idle: Duration::zero(), absolute: Duration::hours(1) };
    assert!(auth::session(t.db(), &s3, short).await.unwrap().is_none(), "idle sessions expire");
    assert!(auth::session(t.db(), "forged-token", policy()).await.unwrap().is_none());
});

dual_test!(async fn the_database_holds_only_hashes_of_session_tokens(t) {
    let a = account(&t, "bob", None).await;
    let token = auth::create_session(t.db(), a, true, policy()).await.unwrap();
    let stored: Vec<u8> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT id_hash FROM session").fetch_one(p).await).unwrap();
    assert_ne!(stored, token.as_bytes());
    assert_eq!(stored.len(), 32);
});

dual_test!(async fn repeated_failures_lock_with_doubling_back_off(t) {
    let key = "acct:nobody".to_string();
    for _ in 0..4 {
        auth::record_failure(t.db(), &key, ThrottlePolicy::ACCOUNT).await.unwrap();
    }
    assert!(auth::locked_until(t.db(), std::slice::from_ref(&key)).await.unwrap().is_none());
    auth::record_failure(t.db(), &key, ThrottlePolicy::ACCOUNT).await.unwrap();
    let until = auth::locked_until(t.db(), std::slice::from_ref(&key)).await.unwrap().unwrap();
    let secs = (until - store::now()).num_seconds();
    assert!((25..=30).contains(&secs), "{secs}");
    auth::record_failure(t.db(), &key, ThrottlePolicy::ACCOUNT).await.unwrap();
    let until = auth::locked_until(t.db(), std::slice::from_ref(&key)).await.unwrap().unwrap();
    assert!((until - store::now()).num_seconds() > 50);
    auth::clear_failures(t.db(), &key).await.unwrap();
    assert!(auth::locked_until(t.db(), &[key]).await.unwrap().is_none());
    assert_eq!(ThrottlePolicy::ACCOUNT.lock_after(30), Some(Duration::minutes(15)));
});

dual_test!(async fn a_one_time_link_works_once(t) {
    let a = account(&t, "carol", None).await;
    let token = auth::issue_token(&t.store, &who(), a, TokenPurpose::Setup, Duration::hours(1)).await.unwrap();
    assert_eq!(auth::peek_token(t.db(), &token).await, Ok(a));
    assert_eq!(auth::redeem_token(&t.store, &token, "hash").await.unwrap(), a);
    assert!(auth::redeem_token(&t.store, &token, "hash2").await.is_err());
    assert_eq!(auth::peek_token(t.db(), &token).await, Err(auth::TokenError::Used));
    let expired = auth::issue_token(&t.store, &who(), a, TokenPurpose::Reset, Duration::seconds(-1)).await.unwrap();
    assert_eq!(auth::peek_token(t.db(), &expired).await, Err(auth::TokenError::Expired));
    let first = auth::issue_token(&t.store, &who(), a, TokenPurpose::Reset, Duration::hours(1)).await.unwrap();
    let _second = auth::issue_token(&t.store, &who(), a, TokenPurpose::Reset, Duration::hours(1)).await.unwrap();
    assert_eq!(auth::peek_token(t.db(), &first).await, Err(auth::TokenError::Used), "a newer link replaces an older one");
});

dual_test!(async fn totp_codes_are_accepted_once_and_recovery_codes_once(t) {
    let a = account(&t, "dave", None).await;
    let e = auth::begin_totp(&t.store, a, "dave").await.unwrap();
    assert!(e.uri.starts_with("otpauth://totp/"), "{}", e.uri);
    assert!(!e.secret_base32.is_empty());
    let now = 1_800_000_000u64;
    let code = auth::current_totp_code(&t.store, a, now).await.unwrap();
    let codes = auth::enable_totp(&t.store, &who(), a, &code, now).await.unwrap().unwrap();
    assert_eq!(codes.len(), 10);
    assert!(!auth::check_totp(&t.store, a, &code, now).await.unwrap(), "the same step is not accepted twice");
    let next = auth::current_totp_code(&t.store, a, now + 30).await.unwrap();
    assert!(auth::check_totp(&t.store, a, &next, now + 30).await.unwrap());
    assert!(!auth::check_totp(&t.store, a, "000000", now + 60).await.unwrap() || next == "000000");
    assert!(auth::use_recovery_code(&t.store, a, &codes[0]).await.unwrap());
    assert!(!auth::use_recovery_code(&t.store, a, &codes[0]).await.unwrap());
});

dual_test!(async fn grants_are_limited_to_the_scope_and_the_grantable_roles(t) {
    let o = org(&t.store).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::AccountManage>().unwrap();
    let new = NewAccount { username: "delegate1".into(), display_name: "代表".into(), member: None, password_hash: None };
    let id = auth::create_account(&t.store, &cap, &chair, &who(), &new, Role::Delegate, o.school_a).await.unwrap().id;
    let (actor_loaded, _) = auth::load_actor(t.db(), id).await.unwrap().unwrap();
    assert_eq!(actor_loaded.grants.len(), 1);
    // Not in another school, not a chair role.
    assert!(auth::grant(&t.store, &cap, &chair, &who(), id, Role::Delegate, o.school_b).await.is_err());
    assert!(auth::grant(&t.store, &cap, &chair, &who(), id, Role::SchoolChair, o.school_a).await.is_err());
    let listed = auth::list_accounts(t.db(), &cap).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].account.username, "delegate1");
});
