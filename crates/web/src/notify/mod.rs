//! The notify area on the web: each account's inbox (站内信) and, for staff, the outbox of
//! messages the platform sends (WeCom/DingTalk robots, e-mail, SMS) with its retries.
//!
//! Reminders are composed in `store`; this module only shows and manages them.

pub mod inbox;
pub mod outbox;

use crate::area::Area;

/// The notify area.
pub static AREA: Area = Area {
    name: "notify",
    routes: |t, _| outbox::routes(inbox::routes(t)),
    nav: &[],
    documents: &[],
};
