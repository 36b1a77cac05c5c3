//! The reminders area as the domain sees it: the kinds of reminder a person may choose
//! channels for, the steps a due item goes through (before due, on the day, overdue,
//! escalated to the unit above), each account's preferences (quiet hours, daily digest) and
//! the area's declaration. Jobs, channels and robots live in [`crate::outbox`].
//!
//! No number here comes from a statute: the lead times and the escalation delay are the
//! union's own practice and are marked **local** where they are defined. This module never
//! reads the clock and never does IO.

use crate::kit::coded;
use crate::org::Coded;
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

coded!(
    /// What a reminder is about: each account chooses per kind whether it also goes by
    /// e-mail (the inbox is always on).
    ReminderKind, "reminder-kind", {
    ProposalReply = "proposal_reply" [],
    TermExpiring = "term_expiring" [],
    CongressNotHeld = "congress_not_held" [],
    PollOpen = "poll_open" [],
});

impl ReminderKind {
    /// The due item's catalogue key (`due-<area>-<kind>`).
    pub fn due_key(self) -> &'static str {
        match self {
            ReminderKind::ProposalReply => "due-congress-proposal-reply",
            ReminderKind::TermExpiring => "due-congress-term-expiring",
            ReminderKind::CongressNotHeld => "due-congress-not-held",
            ReminderKind::PollOpen => "due-voting-poll-open",
        }
    }

    /// The kind of a due item, from its catalogue key.
    pub fn of_due(key: &str) -> Option<ReminderKind> {
        Self::all().iter().copied().find(|k| k.due_key() == key)
    }

    /// When reminders of this kind are sent. **Local** settings (no statute sets them):
    /// a proposal reply 7 days before its deadline (issue 15), a term 90 and 30 days before
    /// it ends (issue 15), a congress not yet held 8 and 4 weeks before the school year
    /// ends; escalation 7 days after the deadline ("escalating a week later", issue 15).
    /// A poll is open for hours, not days: one reminder, never escalated.
    pub fn steps(self) -> Steps {
        match self {
            ReminderKind::ProposalReply => Steps {
                before: &[7],
                escalate_after: Some(7),
            },
            ReminderKind::TermExpiring => Steps {
                before: &[90, 30],
                escalate_after: Some(7),
            },
            ReminderKind::CongressNotHeld => Steps {
                before: &[56, 28],
                escalate_after: Some(7),
            },
            ReminderKind::PollOpen => Steps {
                before: &[],
                escalate_after: None,
            },
        }
    }
}

/// Days before a term ends from which it is listed as expiring. **Local** (the rule set has
/// no such number): the first reminder step of [`ReminderKind::TermExpiring`].
pub const TERM_WARNING_DAYS: i64 = 90;
/// Days before the school year ends from which a school without a congress held is listed.
/// **Local**: the first step of [`ReminderKind::CongressNotHeld`].
pub const NOT_HELD_WARNING_DAYS: i64 = 56;

/// The lead times (days before due, largest first) and the escalation delay (days after
/// due) of a kind of reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    pub before: &'static [i64],
    pub escalate_after: Option<i64>,
}

/// Where a due item stands: each step is sent once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// This many days or fewer before due (the lead time of the step, not the days left).
    Before(i64),
    Today,
    Overdue,
    /// Overdue for the escalation delay: the unit above hears of it.
    Escalated,
}

impl Step {
    /// Part of the idempotency key: the same step of the same item is sent once.
    pub fn key(self) -> String {
        match self {
            Step::Before(d) => format!("before{d}"),
            Step::Today => "today".into(),
            Step::Overdue => "overdue".into(),
            Step::Escalated => "escalated".into(),
        }
    }
}

impl Steps {
    /// The latest step reached with `days_left` (negative once overdue); `None` while the
    /// item is further off than the first lead time (and for a kind without lead times,
    /// the item is due at once: it is `Today` until its day has passed).
    pub fn current(&self, days_left: i64) -> Option<Step> {
        if days_left > 0 {
            if self.before.is_empty() {
                return Some(Step::Today);
            }
            return self
                .before
                .iter()
                .copied()
                .filter(|d| days_left <= *d)
                .min()
                .map(Step::Before);
        }
        if days_left == 0 {
            return Some(Step::Today);
        }
        match self.escalate_after {
            Some(e) if -days_left >= e => Some(Step::Escalated),
            _ => Some(Step::Overdue),
        }
    }
}

/// Quiet hours in China Standard Time: no e-mail or robot message between `start` and
/// `end` (which may wrap past midnight); what falls inside waits until `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// Group robots are not per account: a work-chat group is not woken at night. **Local**:
/// 22:00–07:00 China time.
pub const ROBOT_QUIET: QuietHours = QuietHours {
    start: match NaiveTime::from_hms_opt(22, 0, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    },
    end: match NaiveTime::from_hms_opt(7, 0, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    },
};

/// China Standard Time: UTC+8 all year (checked when compiling).
pub const CST: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

fn cst() -> chrono::FixedOffset {
    CST
}

impl QuietHours {
    /// Parses two `HH:MM` texts as a person typed them; both empty is no quiet hours.
    /// Errors are (field, catalogue key).
    pub fn parse(
        start: &str,
        end: &str,
    ) -> Result<Option<QuietHours>, (&'static str, &'static str)> {
        let (s, e) = (start.trim(), end.trim());
        if s.is_empty() && e.is_empty() {
            return Ok(None);
        }
        let t = |v: &str, field: &'static str| {
            NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| (field, t::TIME_INVALID))
        };
        let start = t(s, "quiet_start")?;
        let end = t(e, "quiet_end")?;
        if start == end {
            return Err(("quiet_end", t::QUIET_EMPTY));
        }
        Ok(Some(QuietHours { start, end }))
    }

    fn contains(&self, t: NaiveTime) -> bool {
        if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When a message due at `at` may go: `at` itself outside quiet hours, else the end of
    /// the quiet hours (the next morning, China time).
    pub fn release(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = at.with_timezone(&cst());
        if !self.contains(local.time()) {
            return at;
        }
        let mut day = local.date_naive();
        if local.time() >= self.end {
            day = day.succ_opt().unwrap_or(day);
        }
        day.and_time(self.end)
            .and_local_timezone(cst())
            .single()
            .map_or(at, |d| d.with_timezone(&Utc))
    }
}

/// Why a preference was refused (catalogue keys).
pub mod t {
    pub const TIME_INVALID: &str = "prefs-time-invalid";
    pub const QUIET_EMPTY: &str = "prefs-quiet-empty";
    pub const EMAIL_NEEDED: &str = "prefs-email-needed";
}

/// Reminders: the outbox, the inbox, group robots and e-mail.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "notify",
    enums: &[crate::area::CodedEnum::of::<ReminderKind>()],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_comes_in_turn_and_escalation_only_after_its_delay() {
        let s = ReminderKind::ProposalReply.steps();
        assert_eq!(s.current(8), None);
        assert_eq!(s.current(7), Some(Step::Before(7)));
        assert_eq!(s.current(1), Some(Step::Before(7)));
        assert_eq!(s.current(0), Some(Step::Today));
        assert_eq!(s.current(-1), Some(Step::Overdue));
        assert_eq!(s.current(-6), Some(Step::Overdue));
        assert_eq!(s.current(-7), Some(Step::Escalated));
        let t = ReminderKind::TermExpiring.steps();
        assert_eq!(t.current(91), None);
        assert_eq!(t.current(60), Some(Step::Before(90)));
        assert_eq!(t.current(30), Some(Step::Before(30)));
        let p = ReminderKind::PollOpen.steps();
        assert_eq!(p.current(0), Some(Step::Today));
        assert_eq!(
            p.current(-30),
            Some(Step::Overdue),
            "a poll never escalates"
        );
        for k in ReminderKind::all() {
            assert_eq!(ReminderKind::of_due(k.due_key()), Some(*k));
        }
    }

    #[test]
    fn quiet_hours_hold_a_night_message_until_their_end_and_refuse_bad_times() {
        let q = QuietHours::parse("22:00", "07:00").unwrap().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 23:30 China time → 07:00 the next morning.
        assert_eq!(
            q.release(at("2026-12-02T23:30:00+08:00")),
            at("2026-12-03T07:00:00+08:00")
        );
        // 05:00 → 07:00 the same morning; 12:00 goes at once.
        assert_eq!(
            q.release(at("2026-12-03T05:00:00+08:00")),
            at("2026-12-03T07:00:00+08:00")
        );
        let noon = at("2026-12-03T12:00:00+08:00");
        assert_eq!(q.release(noon), noon);
        assert_eq!(QuietHours::parse("", ""), Ok(None));
        assert_eq!(
            QuietHours::parse("25:00", "07:00"),
            Err(("quiet_start", t::TIME_INVALID))
        );
        assert_eq!(
            QuietHours::parse("07:00", "07:00"),
            Err(("quiet_end", t::QUIET_EMPTY))
        );
        let day = QuietHours::parse("12:00", "14:00").unwrap().unwrap();
        assert_eq!(
            day.release(at("2026-12-03T13:00:00+08:00")),
            at("2026-12-03T14:00:00+08:00")
        );
    }
}
