use domain::audit::ChainBreak;
use store::{audit, on_db};
use testkit::*;

dual_test!(async fn every_change_is_chained_and_verifies(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    assert!(v.records >= 9, "8 units and a member: {}", v.records);
    let rows = audit::list(t.db(), &sys(), &audit::AuditFilter { entity_type: Some("member".into()), ..Default::default() }, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].changes.contains("张三"));
    assert!(!rows[0].changes.contains(&id_number(1, true)), "personal data is redacted");
});

dual_test!(async fn the_application_cannot_update_or_delete_audit_records(t) {
    let o = org(&t.store).await;
    let _ = o;
    let r = on_db!(t.db(), |p| sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(p).await.map(|_| ()));
    assert!(r.is_err(), "append-only");
    let r = on_db!(t.db(), |p| sqlx::query("UPDATE audit_log SET actor_label = 'x' WHERE seq = 1").execute(p).await.map(|_| ()));
    assert!(r.is_err(), "append-only");
});

dual_test!(async fn verify_catches_a_manual_delete_and_an_alteration(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    // Someone with the database file drops the trigger and edits the log.
    match t.engine {
        store::Engine::Sqlite => {
            on_db!(t.db(), |p| sqlx::query("DROP TRIGGER audit_log_no_delete").execute(p).await.map(|_| ())).unwrap();
            on_db!(t.db(), |p| sqlx::query("DROP TRIGGER audit_log_no_update").execute(p).await.map(|_| ())).unwrap();
        }
        store::Engine::Postgres => {
            on_db!(t.db(), |p| sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER USER").execute(p).await.map(|_| ())).unwrap();
        }
    }
    on_db!(t.db(), |p| sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(p).await.map(|_| ())).unwrap();
    on_db!(t.db(), |p| sqlx::query("UPDATE audit_log SET actor_label = 'nobody' WHERE seq = 5").execute(p).await.map(|_| ())).unwrap();
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.contains(&ChainBreak::Gap { expected: 3, found: 4 }), "{:?}", v.breaks);
    assert!(v.breaks.contains(&ChainBreak::Altered { seq: 5 }), "{:?}", v.breaks);
    // Removing the newest record is caught against the head.
    let head = v.head_seq;
    on_db!(t.db(), |p| sqlx::query("DELETE FROM audit_log WHERE seq = $1").bind(head).execute(p).await.map(|_| ())).unwrap();
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.iter().any(|b| matches!(b, ChainBreak::Truncated { .. })), "{:?}", v.breaks);
});

dual_test!(async fn records_cannot_be_forged_without_the_key(t) {
    let o = org(&t.store).await;
    let _ = o;
    let other = store::Cipher::new(&[9u8; 32]);
    let v = audit::verify(t.db(), &other).await.unwrap();
    assert!(!v.breaks.is_empty());
});

dual_test!(async fn a_scoped_audit_view_shows_only_its_subtree(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    member(&t.store, o.school_b, "李四", 2).await;
    let staff_a = actor(&[(domain::auth::Role::UnionStaff, o.area_a)]);
    let cap = staff_a.authorize::<domain::auth::perm::AuditView>().unwrap();
    let rows = audit::list(t.db(), &cap, &audit::AuditFilter { entity_type: Some("member".into()), ..Default::default() }, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].changes.contains("张三"));
});
