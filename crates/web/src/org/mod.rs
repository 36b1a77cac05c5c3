//! The org area on the web: members (list, page, forms, export), roster import, the org
//! tree.

pub mod import;
pub mod members;
pub mod units;

use crate::{Access, RouteTable};

pub fn routes(t: RouteTable, upload_limit: usize) -> RouteTable {
    let t = t
        .get("/members", Access::Login, members::list)
        .get("/members/new", Access::Login, members::new_page)
        .post("/members/new", Access::Login, members::create)
        .get(
            "/members/export.xlsx",
            Access::Login,
            members::export_masked,
        )
        .get(
            "/members/export/full",
            Access::Login,
            members::export_full_page,
        )
        .post("/members/export/full", Access::Login, members::export_full)
        .get("/members/{id}", Access::Login, members::show)
        .post("/members/{id}/reveal", Access::Login, members::reveal)
        .get("/members/{id}/edit", Access::Login, members::edit_page)
        .post("/members/{id}/edit", Access::Login, members::update)
        .get(
            "/members/{id}/transfer",
            Access::Login,
            members::transfer_page,
        )
        .post("/members/{id}/transfer", Access::Login, members::transfer)
        .post("/members/{id}/status", Access::Login, members::status)
        .post("/members/{id}/cadres", Access::Login, members::cadre_add)
        .post(
            "/members/{id}/cadres/{cadre}/end",
            Access::Login,
            members::cadre_end,
        )
        .get("/me", Access::Login, members::me)
        .get("/members/import", Access::Login, import::upload_page)
        .get(
            "/members/import/template.xlsx",
            Access::Login,
            import::template_xlsx,
        );
    let t = t.add_limited(
        crate::Method::Post,
        "/members/import",
        Access::Login,
        import::upload,
        Some(upload_limit + 64 * 1024),
    );
    t.get("/imports/{id}", Access::Login, import::show)
        .post("/imports/{id}/apply", Access::Login, import::apply)
        .get("/imports/{id}/events", Access::Login, import::events)
        .post("/imports/{id}/discard", Access::Login, import::discard)
        .post("/imports/{id}/answers", Access::Login, import::answers)
        .get(
            "/imports/{id}/errors.xlsx",
            Access::Login,
            import::errors_xlsx,
        )
        .get("/org", Access::Login, units::tree)
        .get("/org/{id}/new", Access::Login, units::new_page)
        .post("/org/{id}/new", Access::Login, units::create)
        .get("/org/{id}/edit", Access::Login, units::edit_page)
        .post("/org/{id}/edit", Access::Login, units::update)
        .post("/org/{id}/move", Access::Login, units::move_unit)
}
