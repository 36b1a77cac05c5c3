//! The notify area on the web: each account's inbox (站内信) and, for staff, the outbox of
//! messages the platform sends (WeCom/DingTalk robots, e-mail, SMS) with its retries, and
//! each account's reminder preferences (`/me/notifications`).
//!
//! Reminders are composed in `store`; this module only shows and manages them.

pub mod inbox;
pub mod outbox;
pub mod prefs;
pub mod rules;

use crate::area::Area;
use crate::{Guard, RouteTable};
use domain::auth::Permission as P;

/// The notify area.
pub static AREA: Area = Area {
    name: "notify",
    routes: |t, _| rule_routes(prefs::routes(outbox::routes(inbox::routes(t)))),
    nav: &[],
    documents: &[],
};

fn rule_routes(t: RouteTable) -> RouteTable {
    t.get(
        "/notify/rules/{id}",
        Guard::staff(P::RuleSetManage),
        rules::page,
    )
    .post(
        "/notify/rules/{id}",
        Guard::staff(P::RuleSetManage).form(&[
            ("proposal_reply_before", "7"),
            ("proposal_reply_after1", "7"),
            ("proposal_reply_to1", "proposals_committee"),
            ("proposal_reply_after2", "14"),
            ("proposal_reply_to2", "school_chair"),
            ("term_expiring_before", "90, 30"),
            ("note", "区教育工会 2026 年会议决定"),
        ]),
        rules::save,
    )
}
