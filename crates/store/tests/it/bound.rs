//! Ciphertexts are bound to their row (issue 12): the attacks of someone with write access
//! to the database who moves one person's encrypted value into another's row, and the
//! upgrade of values written before rows were bound. Tests only: never a way to read a
//! value other than the store's own functions.

use domain::auth::SystemCap;
use domain::ids::{AccountId, MemberId};
use store::crypto::CryptoError;
use store::{Cipher, Store, StoreError, on_db};
use testkit::*;

/// Copies `column` of row `from` into row `to` of `table`, as an attacker with SQL would.
async fn copy_value(st: &Store, table: &str, key: &str, column: &str, from: i64, to: i64) {
    let sql = format!(
        "UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE {key} = $1) WHERE {key} = $2"
    );
    let n = on_db!(&st.db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(from)
        .bind(to)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(n, 1, "the attack changed no row");
}

async fn set_value(st: &Store, table: &str, column: &str, id: i64, value: &[u8]) {
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    on_db!(&st.db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(value.to_vec())
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
}

async fn value(st: &Store, table: &str, column: &str, id: i64) -> Vec<u8> {
    let sql = format!("SELECT {column} FROM {table} WHERE id = $1");
    on_db!(&st.db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// The error must name the place, and say nothing of the value.
fn assert_misplaced<T: std::fmt::Debug>(
    r: Result<T, StoreError>,
    column: &str,
    key: i64,
    secret: &str,
) {
    match r {
        Err(StoreError::Crypto(e @ CryptoError::Misplaced { .. })) => {
            let text = e.to_string();
            assert!(
                text.contains(column) && text.contains(&key.to_string()),
                "{text}"
            );
            assert!(text.contains("does not belong to that row"), "{text}");
            assert!(!text.contains(secret), "the error shows the value: {text}");
        }
        other => panic!("a value copied from another row was read as {other:?}"),
    }
}

dual_test!(async fn an_id_number_or_phone_copied_from_another_member_is_refused_not_shown(t) {
    let o = org(&t.store).await;
    let a = member(&t.store, o.school_a, "甲", 1).await;
    let b = member(&t.store, o.school_a, "乙", 2).await;
    let a_id = id_number(1, true);
    // Before the attack B reads as B.
    let before = store::org::reveal_personal(&t.store, &sys(), &who(), b).await.unwrap();
    assert_eq!(before.id_number, id_number(2, false));

    copy_value(&t.store, "member", "id", "id_number_enc", a.0, b.0).await;
    assert_misplaced(store::org::get_member(&t.store, &sys(), b).await, "member.id_number_enc", b.0, &a_id);
    assert_misplaced(store::org::reveal_personal(&t.store, &sys(), &who(), b).await, "member.id_number_enc", b.0, &a_id);
    // A is untouched.
    assert_eq!(store::org::reveal_personal(&t.store, &sys(), &who(), a).await.unwrap().id_number, a_id);

    // The phone, on another pair.
    let c = member(&t.store, o.school_a, "丙", 3).await;
    let d = member(&t.store, o.school_a, "丁", 4).await;
    copy_value(&t.store, "member", "id", "phone_enc", c.0, d.0).await;
    assert_misplaced(store::org::get_member(&t.store, &sys(), d).await, "member.phone_enc", d.0, "13800000003");
    // Listing the school does not show C's phone as D's either: the list fails whole.
    let listed = store::org::list_members(&t.store, &sys(), &Default::default(), &store::org::PageRequest { after: None, before: None, limit: 50 }, today()).await;
    assert!(matches!(listed, Err(StoreError::Crypto(CryptoError::Misplaced { .. }))), "{listed:?}");
});

dual_test!(async fn a_second_factor_secret_copied_from_another_account_is_refused(t) {
    let sc = SystemCap::for_cli();
    let mut ids = Vec::new();
    for name in ["alice", "mallory"] {
        let id = store::auth::create_account_system(
            &sc,
            &t.store,
            &who(),
            &store::auth::NewAccount { username: name.into(), display_name: name.into(), member: None, password_hash: None },
        )
        .await
        .unwrap();
        store::auth::begin_totp(&t.store, id, name).await.unwrap();
        ids.push(id);
    }
    let (alice, mallory): (AccountId, AccountId) = (ids[0], ids[1]);
    let now = 1_800_000_000;
    // Mallory puts Alice's secret into her own row, hoping to learn Alice's codes.
    copy_value(&t.store, "account", "id", "totp_secret_enc", alice.0, mallory.0).await;
    let alices_code = store::auth::current_totp_code(&t.store, alice, now).await.unwrap();
    assert_misplaced(store::auth::current_totp_code(&t.store, mallory, now).await, "account.totp_secret_enc", mallory.0, &alices_code);
    assert!(matches!(
        store::auth::check_totp(&t.store, mallory, &alices_code, now).await,
        Err(StoreError::Crypto(CryptoError::Misplaced { .. }))
    ));
});

dual_test!(async fn a_robot_url_copied_from_another_unit_is_refused(t) {
    let o = org(&t.store).await;
    let kind = domain::outbox::RobotKind::Dingtalk;
    let url = domain::outbox::RobotUrl::parse(kind, "https://oapi.dingtalk.com/robot/send?access_token=aaaa0123456789").unwrap();
    store::robot::set(&t.store, &sys(), &who(), o.school_a, kind, &url, Some("SECaaaa")).await.unwrap();
    let url_b = domain::outbox::RobotUrl::parse(kind, "https://oapi.dingtalk.com/robot/send?access_token=bbbb0123456789").unwrap();
    store::robot::set(&t.store, &sys(), &who(), o.school_b, kind, &url_b, Some("SECbbbb")).await.unwrap();
    // School B's messages would go to school A's group.
    copy_value(&t.store, "group_robot", "org_unit_id", "url_enc", o.school_a.0, o.school_b.0).await;
    assert_misplaced(store::robot::for_sending(&t.store, o.school_b).await, "group_robot.url_enc", o.school_b.0, "aaaa0123456789");
    assert_misplaced(store::robot::get(&t.store, &sys(), o.school_b).await, "group_robot.url_enc", o.school_b.0, "aaaa0123456789");
    // The URL and the secret of one robot cannot be swapped either.
    let sql = "UPDATE group_robot SET secret_enc = url_enc WHERE org_unit_id = $1";
    on_db!(&t.store.db, |p| sqlx::query(sql).bind(o.school_a.0).execute(p).await.map(|r| r.rows_affected())).unwrap();
    assert_misplaced(store::robot::for_sending(&t.store, o.school_a).await, "group_robot.secret_enc", o.school_a.0, "aaaa0123456789");
});

/// Written by the version before rows were bound (format 1: the field only), under the
/// test key: the ID number and phone of `member(…, 1)`.
const V1_ID: &str = "0154f2b9fbb7231eb1ab41aef09e0411576e2c8a4098d646df137f30049723aa8f1626d9cee4b709a32978fb8a891acb";
const V1_PHONE: &str =
    "0154833d89ddeced457a3c2106e7ec742cf524c71f8a51b5d94b98bd2b9707b585ad8aff960a924975";

dual_test!(async fn values_of_an_older_database_are_read_then_bound_by_key_rotation(t) {
    let o = org(&t.store).await;
    let a: MemberId = member(&t.store, o.school_a, "甲", 1).await;
    let b: MemberId = member(&t.store, o.school_a, "乙", 2).await;
    // A new database refuses the old format at once.
    let v1_id = hex::decode(V1_ID).unwrap();
    let v1_phone = hex::decode(V1_PHONE).unwrap();
    set_value(&t.store, "member", "id_number_enc", a.0, &v1_id).await;
    assert!(matches!(
        store::org::get_member(&t.store, &sys(), a).await,
        Err(StoreError::Crypto(CryptoError::Unbound { .. }))
    ));

    // A database from before this version: no `ciphertexts` mark, values in format 1.
    on_db!(&t.store.db, |p| sqlx::query("DELETE FROM meta WHERE key = 'ciphertexts'").execute(p).await.map(|r| r.rows_affected())).unwrap();
    set_value(&t.store, "member", "phone_enc", a.0, &v1_phone).await;
    let old = Store::new(t.store.db.clone(), Cipher::new(&TEST_KEY));
    old.check_key().await.unwrap();
    assert!(old.cipher.reads_unbound());
    let p = store::org::reveal_personal(&old, &sys(), &who(), a).await.unwrap();
    assert_eq!((p.id_number.as_str(), p.phone.as_deref()), (id_number(1, true).as_str(), Some("13800000001")));

    // Key rotation rewrites them bound to their row and marks the database.
    let new_key = [9u8; 32];
    let rotating = Store::new(t.store.db.clone(), Cipher::rotating(&new_key, &TEST_KEY));
    store::keys::rotate(&rotating, &old.cipher).await.unwrap();
    for column in ["id_number_enc", "phone_enc"] {
        let v = value(&t.store, "member", column, a.0).await;
        assert!(!Cipher::is_unbound(&v), "member.{column} is still in the old format");
    }
    let after = Store::new(t.store.db.clone(), Cipher::new(&new_key));
    after.check_key().await.unwrap();
    assert!(!after.cipher.reads_unbound());
    let p = store::org::reveal_personal(&after, &sys(), &who(), a).await.unwrap();
    assert_eq!(p.id_number, id_number(1, true));

    // From now on an old value copied back (say, from a backup) is refused, in any row.
    set_value(&t.store, "member", "id_number_enc", b.0, &v1_id).await;
    match store::org::get_member(&after, &sys(), b).await {
        Err(StoreError::Crypto(e @ CryptoError::Unbound { .. })) => {
            assert!(e.to_string().contains("member.id_number_enc"), "{e}");
        }
        other => panic!("an old-format value was read after rotation: {other:?}"),
    }
});
