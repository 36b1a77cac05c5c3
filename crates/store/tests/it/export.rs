//! Member exports: masked unless allowed, and numbers written as text so a spreadsheet
//! cannot mangle them.

use domain::auth::{Role, perm};
use store::org::export::{ExportText, export_members};
use store::org::{MemberFilter, export};
use testkit::*;

fn text() -> ExportText<'static> {
    ExportText {
        sheet_name: "会员".into(),
        headers: export::EXPORT_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        label: &|k: &str| k.to_string(),
    }
}

dual_test!(async fn the_export_masks_unless_allowed_and_writes_numbers_as_text(t) {
    let o = org(&t.store).await;
    member(&t.store, o.school_a, "张三", 1).await;
    member(&t.store, o.school_b, "李四", 2).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let cap = chair.authorize::<perm::MemberExport>().unwrap();
    let (bytes, n) = export_members(&t.store, &cap, None, &who(), None, &MemberFilter::default(), today(), &text()).await.unwrap();
    assert_eq!(n, 1);
    let rows = read_xlsx(&bytes);
    assert_eq!(rows.len(), 2, "header and the one member of the school");
    assert_eq!(rows[1][0], "张三");
    assert_eq!(rows[1][3], format!("**************{}", &id_number(1, true)[14..]), "masked");
    assert_eq!(rows[1][4], "*******0001");
    assert_eq!(rows[1][2], "1980", "no birth date beside a masked number, the year only");

    let full = chair.authorize::<perm::PersonalDataExport>().unwrap();
    let e = export_members(&t.store, &cap, Some(&full), &who(), Some("  "), &MemberFilter::default(), today(), &text()).await.unwrap_err();
    assert!(matches!(e, store::StoreError::Invalid(_)), "a purpose is required");
    let (bytes, _) = export_members(&t.store, &cap, Some(&full), &who(), Some("年度会员统计"), &MemberFilter::default(), today(), &text()).await.unwrap();
    let rows = read_xlsx(&bytes);
    assert_eq!(rows[1][3], id_number(1, true), "18 digits kept as text");
    let purpose: String = store::on_db!(t.db(), |p| sqlx::query_scalar::<_, String>(
        "SELECT changes FROM audit_log WHERE action = 'member.export_personal_data'"
    ).fetch_one(p).await).unwrap();
    assert!(purpose.contains("年度会员统计"));
});
