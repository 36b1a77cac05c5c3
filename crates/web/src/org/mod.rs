//! The org area on the web: members (list, page, forms, export), roster import, the org
//! tree.

pub mod import;
pub mod members;
pub mod units;

use crate::{Guard, Permission as P, RouteTable};

pub fn routes(t: RouteTable, upload_limit: usize) -> RouteTable {
    let t = t
        .get("/members", Guard::staff(P::MemberView), members::list)
        .get(
            "/members/new",
            Guard::staff(P::MemberEdit),
            members::new_page,
        )
        .post(
            "/members/new",
            Guard::staff(P::MemberEdit).form(&[
                ("name", "甲校新会员"),
                ("id_number", "{id_number}"),
                ("post", "teacher"),
                ("school", "{school}"),
            ]),
            members::create,
        )
        .get(
            "/members/export.xlsx",
            Guard::staff(P::MemberExport),
            members::export_masked,
        )
        .get(
            "/members/export/full",
            Guard::staff(P::PersonalDataExport),
            members::export_full_page,
        )
        .post(
            "/members/export/full",
            Guard::staff(P::PersonalDataExport).form(&[("purpose", "检查")]),
            members::export_full,
        )
        .get("/members/{id}", Guard::staff(P::MemberView), members::show)
        .post(
            "/members/{id}/reveal",
            Guard::staff(P::PersonalDataView).button(),
            members::reveal,
        )
        .get(
            "/members/{id}/edit",
            Guard::staff(P::MemberEdit),
            members::edit_page,
        )
        .post(
            "/members/{id}/edit",
            Guard::staff(P::MemberEdit).form(&[
                ("name", "新名字"),
                ("id_number", "{member_id_number}"),
                ("post", "teacher"),
                ("school", "{school}"),
                ("version", "{member_version}"),
            ]),
            members::update,
        )
        .get(
            "/members/{id}/transfer",
            Guard::staff(P::MemberEdit),
            members::transfer_page,
        )
        .post(
            "/members/{id}/transfer",
            Guard::staff(P::MemberEdit).form(&[
                ("school", "{school2}"),
                ("date", "{today}"),
                ("note", "调动"),
            ]),
            members::transfer,
        )
        .post(
            "/members/{id}/status",
            Guard::staff(P::MemberEdit).form(&[("status", "active"), ("since", "{today}")]),
            members::status,
        )
        .post(
            "/members/{id}/cadres",
            Guard::staff(P::MemberEdit).form(&[("position", "vice_chair"), ("start", "{today}")]),
            members::cadre_add,
        )
        .post(
            "/members/{id}/cadres/{cadre}/end",
            Guard::staff(P::MemberEdit).form(&[("end", "{today}")]),
            members::cadre_end,
        )
        .get("/me", Guard::own(), members::me)
        .get(
            "/members/import",
            Guard::staff(P::MemberImport),
            import::upload_page,
        )
        .get(
            "/members/import/template.xlsx",
            Guard::staff(P::MemberImport),
            import::template_xlsx,
        );
    let t = t.add_limited(
        crate::Method::Post,
        "/members/import",
        Guard::staff(P::MemberImport).upload(
            &[("unit", "{school}")],
            (
                "file",
                "roster.csv",
                "姓名,身份证号,岗位\n甲校导入,{id_number},教师\n".as_bytes(),
            ),
        ),
        import::upload,
        Some(upload_limit + 64 * 1024),
    );
    t.get("/imports/{id}", Guard::named(P::MemberImport), import::show)
        .post(
            "/imports/{id}/apply",
            Guard::named(P::MemberImport).form(&[("mode", "valid_rows")]),
            import::apply,
        )
        .get(
            "/imports/{id}/events",
            Guard::named(P::MemberImport),
            import::events,
        )
        .post(
            "/imports/{id}/discard",
            Guard::named(P::MemberImport).button(),
            import::discard,
        )
        .post(
            "/imports/{id}/answers",
            Guard::named(P::MemberImport).form(&[("answer-0", "teacher")]),
            import::answers,
        )
        .get(
            "/imports/{id}/errors.xlsx",
            Guard::named(P::MemberImport),
            import::errors_xlsx,
        )
        .get("/org", Guard::staff(P::OrgView), units::tree)
        .get("/org/{id}/new", Guard::staff(P::OrgManage), units::new_page)
        .post(
            "/org/{id}/new",
            Guard::staff(P::OrgManage).form(&[("name", "英语组"), ("code", "SA1-B9")]),
            units::create,
        )
        .get(
            "/org/{id}/edit",
            Guard::staff(P::OrgManage),
            units::edit_page,
        )
        .post(
            "/org/{id}/edit",
            Guard::staff(P::OrgManage).form(&[
                ("name", "甲一小学工会"),
                ("code", "SA1"),
                ("school_kind", "public"),
                ("school_level", "primary"),
                ("staff_count", "0"),
            ]),
            units::update,
        )
        .post(
            "/org/branches/{id}/role",
            Guard::staff(P::OrgManage).form(&[("role", "teaching_group")]),
            units::set_role,
        )
        .post(
            "/org/{id}/move",
            Guard::staff(P::OrgManage).form(&[("parent", "{area}")]),
            units::move_unit,
        )
}

use crate::area::{Area, Document, DocumentKind, NavEntry};

/// The org area: the roll, the import, the org tree.
pub static AREA: Area = Area {
    name: "org",
    routes: |t, c| routes(t, c.max_upload_bytes),
    nav: &[
        NavEntry {
            href: "/me",
            label_key: "nav-me",
            permission: None,
            rank: 100,
        },
        NavEntry {
            href: "/members",
            label_key: "nav-members",
            permission: Some(P::MemberView),
            rank: 10,
        },
        NavEntry {
            href: "/members/import",
            label_key: "nav-import",
            permission: Some(P::MemberImport),
            rank: 20,
        },
        NavEntry {
            href: "/org",
            label_key: "nav-org",
            permission: Some(P::OrgView),
            rank: 30,
        },
    ],
    documents: &[
        Document {
            label_key: "doc-org-members",
            path: "/members/export.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-org-import-errors",
            path: "/imports/{id}/errors.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};
