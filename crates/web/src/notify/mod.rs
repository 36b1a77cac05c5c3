//! The notify area on the web: each account's inbox (站内信) and, for staff, the outbox of
//! messages the platform sends (WeCom/DingTalk robots, e-mail, SMS) with its retries, and
//! each account's reminder preferences (`/me/notifications`).
//!
//! Reminders are composed in `store`; this module only shows and manages them.

pub mod inbox;
pub mod outbox;
pub mod prefs;

use crate::area::Area;

/// The notify area.
pub static AREA: Area = Area {
    name: "notify",
    routes: |t, _| prefs::routes(outbox::routes(inbox::routes(t))),
    nav: &[],
    documents: &[],
};
