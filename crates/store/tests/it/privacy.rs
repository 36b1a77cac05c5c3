//! Personal data at rest: no ID number or phone in plain text in the database file, full
//! views need the permission and are logged, and a wrong key stops before anything is
//! written.

use domain::auth::{Role, perm};
use store::org;
use testkit::*;

#[tokio::test]
async fn no_id_number_or_phone_is_in_the_sqlite_file_in_plain_text() {
    let t = sqlite().await;
    let o = org(&t.store).await;
    let mut numbers = Vec::new();
    for i in 0..20u32 {
        member(&t.store, o.school_a, &format!("成员{i}"), 4000 + i).await;
        numbers.push(id_number(4000 + i, i % 2 == 1));
    }
    // Everything written out to the main file.
    let bytes = t.raw_sqlite_bytes().await;
    // What `strings` sees: runs of printable characters.
    let text = String::from_utf8_lossy(&bytes);
    for n in &numbers {
        assert!(!text.contains(n.as_str()), "ID number {n} in plain text");
        assert!(
            !text.contains(&n[6..14]),
            "the birth-date digits of {n} in plain text"
        );
    }
    assert!(!text.contains("1380000400"), "phone in plain text");
    assert!(
        text.contains("成员1"),
        "the test reads the file it means to"
    );
}

dual_test!(async fn a_full_view_needs_the_permission_and_is_logged(t) {
    let o = org(&t.store).await;
    let a = member(&t.store, o.school_a, "张三", 1).await;
    let committee = actor(&[(Role::CommitteeMember, o.school_a)]);
    assert!(committee.authorize::<perm::PersonalDataView>().is_err());
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::PersonalDataView>().unwrap();
    let full = org::reveal_personal(&t.store, &cap, &who(), a).await.unwrap();
    assert_eq!(full.id_number, id_number(1, true));
    let n: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.personal_data_view'").fetch_one(p).await).unwrap();
    assert_eq!(n, 1);
    let other = actor(&[(Role::SchoolChair, o.school_b)]);
    let cap = other.authorize::<perm::PersonalDataView>().unwrap();
    assert!(org::reveal_personal(&t.store, &cap, &who(), a).await.is_err());
});

#[tokio::test]
async fn a_wrong_key_stops_before_anything_is_written() {
    let t = sqlite().await;
    let wrong = store::Store::new(t.store.db.clone(), store::Cipher::new(&[1u8; 32]));
    let e = wrong.check_key().await.unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}
