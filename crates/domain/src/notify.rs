//! The reminders area as the domain sees it: its coded values live in [`crate::outbox`]
//! (jobs, channels, robots); this module holds the area's declaration.

/// Reminders: the outbox, the inbox, group robots and e-mail.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "notify",
    enums: &[],
};
