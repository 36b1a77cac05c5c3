//! The audit chain: every change chained and verified, records the application cannot
//! update or delete, deletions, alterations, forgeries, rewinds and copied heads caught,
//! and a scoped audit view.

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

async fn drop_append_only(t: &TestDb) {
    match t.engine {
        store::Engine::Sqlite => {
            on_db!(t.db(), |p| sqlx::query("DROP TRIGGER audit_log_no_delete")
                .execute(p)
                .await
                .map(|_| ()))
            .unwrap();
        }
        store::Engine::Postgres => {
            on_db!(t.db(), |p| sqlx::query(
                "ALTER TABLE audit_log DISABLE TRIGGER USER"
            )
            .execute(p)
            .await
            .map(|_| ()))
            .unwrap();
        }
    }
}

dual_test!(async fn a_head_rewound_onto_an_earlier_record_with_the_tail_deleted_is_caught(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    let before = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    let keep = before.head_seq;
    member(&t.store, o.school_a, "李四", 2).await;
    // Someone with the database but not the key removes the newest records and points the
    // head at the last one kept, so that nothing looks truncated.
    drop_append_only(&t).await;
    on_db!(t.db(), |p| sqlx::query("DELETE FROM audit_log WHERE seq > $1").bind(keep).execute(p).await.map(|_| ())).unwrap();
    on_db!(t.db(), |p| sqlx::query("UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit_log WHERE seq = $1) WHERE id = 1").bind(keep).execute(p).await.map(|_| ())).unwrap();
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.contains(&ChainBreak::HeadForged { seq: keep }), "{:?}", v.breaks);
});

dual_test!(async fn an_old_head_row_copied_back_is_caught_by_the_anchor_outside_the_database(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    // The attacker kept a copy of the head row as it was (a backup, say).
    let old: (i64, Vec<u8>, Vec<u8>) = on_db!(t.db(), |p| sqlx::query_as("SELECT seq, hash, mac FROM audit_head WHERE id = 1").fetch_one(p).await).unwrap();
    member(&t.store, o.school_a, "李四", 2).await;
    // Later `audit verify` wrote its anchor beside the key.
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    let anchor = audit::anchor_of(&v);
    assert_eq!(domain::audit::Anchor::parse(&anchor.format()).as_ref(), Some(&anchor));
    drop_append_only(&t).await;
    on_db!(t.db(), |p| sqlx::query("DELETE FROM audit_log WHERE seq > $1").bind(old.0).execute(p).await.map(|_| ())).unwrap();
    on_db!(t.db(), |p| sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1").bind(old.0).bind(&old.1).bind(&old.2).execute(p).await.map(|_| ())).unwrap();
    // The chain alone looks whole again …
    let v = audit::verify(t.db(), &t.store.cipher).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    // … the anchor does not.
    let v = audit::verify_with_anchor(t.db(), &t.store.cipher, Some(&anchor)).await.unwrap();
    assert!(v.breaks.contains(&ChainBreak::Rewound { anchor: anchor.seq, head: old.0 }), "{:?}", v.breaks);
});
