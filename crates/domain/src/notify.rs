//! The reminders area as the domain sees it: the kinds of reminder a person may choose
//! channels for, the steps a due item goes through (before due, on the day, overdue,
//! escalated to the unit above), each account's preferences (quiet hours, daily digest) and
//! the area's declaration. Jobs, channels and robots live in [`crate::outbox`].
//!
//! No number here comes from a statute: the lead times and the escalation delay are the
//! union's own practice and are marked **local** where they are defined. This module never
//! reads the clock and never does IO.

use crate::error::{FieldError, FieldErrors};
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

    /// When reminders of this kind are sent under the built-in rules
    /// ([`default_rules`]); a union's stored version may differ.
    pub fn steps(self) -> Steps {
        NotifyRules::default().steps_of(Some(self)).clone()
    }
}

coded!(
    /// Who hears of an overdue item at a level of its escalation chain, besides those it
    /// concerns: the item's school's proposals committee, the school's chair, or those who
    /// answer for the unit above (the area lead, the district's staff).
    EscalateTo, "escalate-to", {
    ProposalsCommittee = "proposals_committee" [],
    SchoolChair = "school_chair" [],
    UnitAbove = "unit_above" [],
});

/// One level of an escalation chain: `after` days overdue, `to` hears of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub after: i64,
    pub to: EscalateTo,
}

/// The lead times (days before due, largest first) and the escalation chain (days after
/// due, in order) of a kind of reminder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steps {
    pub before: Vec<i64>,
    pub escalate: Vec<Escalation>,
}

/// The steps of an item that is due at once and never escalated (a ballot to cast).
static AT_ONCE: Steps = Steps {
    before: Vec::new(),
    escalate: Vec::new(),
};

/// The most lead times and escalation levels a kind may have (the form's rows).
pub const MAX_BEFORE: usize = 3;
pub const MAX_LEVELS: usize = 2;
/// The longest lead time and escalation delay the form accepts, in days.
pub const MAX_DAYS: i64 = 365;

/// The reminders rule set: the steps of each kind of due item. Every number is **local**:
/// no statute sets when a union reminds its departments (the reply deadline itself lives in
/// the congress rule set). A union stores its own version (`store::notify::rules`); every
/// reminder names the version that sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyRules {
    pub proposal_reply: Steps,
    pub term_expiring: Steps,
    pub congress_not_held: Steps,
    /// Due items of every other area (and of kinds added later).
    pub other: Steps,
}

/// The rows of the rule set a union may edit, in the form's order. A poll's reminder is
/// not among them: it concerns one delegate for a few hours, is sent once and never
/// escalated.
pub const EDITABLE: [RuleRow; 4] = [
    RuleRow::ProposalReply,
    RuleRow::TermExpiring,
    RuleRow::CongressNotHeld,
    RuleRow::Other,
];

/// A row of the rule set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRow {
    ProposalReply,
    TermExpiring,
    CongressNotHeld,
    Other,
}

impl RuleRow {
    pub fn code(self) -> &'static str {
        match self {
            RuleRow::ProposalReply => "proposal_reply",
            RuleRow::TermExpiring => "term_expiring",
            RuleRow::CongressNotHeld => "congress_not_held",
            RuleRow::Other => "other",
        }
    }

    /// The form's field names of this row: lead times, then (days, audience) per level.
    pub fn fields(self) -> RowFields {
        macro_rules! f {
            ($c:literal) => {
                RowFields {
                    before: concat!($c, "_before"),
                    levels: [
                        (concat!($c, "_after1"), concat!($c, "_to1")),
                        (concat!($c, "_after2"), concat!($c, "_to2")),
                    ],
                }
            };
        }
        match self {
            RuleRow::ProposalReply => f!("proposal_reply"),
            RuleRow::TermExpiring => f!("term_expiring"),
            RuleRow::CongressNotHeld => f!("congress_not_held"),
            RuleRow::Other => f!("other"),
        }
    }

    /// Whom this row's chain may name: the proposals committee answers only for proposals.
    pub fn audiences(self) -> &'static [EscalateTo] {
        match self {
            RuleRow::ProposalReply => &[
                EscalateTo::ProposalsCommittee,
                EscalateTo::SchoolChair,
                EscalateTo::UnitAbove,
            ],
            _ => &[EscalateTo::SchoolChair, EscalateTo::UnitAbove],
        }
    }
}

/// The static field names of a row (errors carry `&'static str` fields).
#[derive(Clone, Copy, Debug)]
pub struct RowFields {
    pub before: &'static str,
    pub levels: [(&'static str, &'static str); MAX_LEVELS],
}

impl Default for NotifyRules {
    fn default() -> Self {
        default_rules()
    }
}

impl NotifyRules {
    pub fn row(&self, r: RuleRow) -> &Steps {
        match r {
            RuleRow::ProposalReply => &self.proposal_reply,
            RuleRow::TermExpiring => &self.term_expiring,
            RuleRow::CongressNotHeld => &self.congress_not_held,
            RuleRow::Other => &self.other,
        }
    }

    fn row_mut(&mut self, r: RuleRow) -> &mut Steps {
        match r {
            RuleRow::ProposalReply => &mut self.proposal_reply,
            RuleRow::TermExpiring => &mut self.term_expiring,
            RuleRow::CongressNotHeld => &mut self.congress_not_held,
            RuleRow::Other => &mut self.other,
        }
    }

    /// The steps of a due item of `kind` (`None`: a kind this rule set does not name).
    /// A poll's reminder is sent at once and never escalated, whatever the version says.
    pub fn steps_of(&self, kind: Option<ReminderKind>) -> &Steps {
        match kind {
            Some(ReminderKind::ProposalReply) => &self.proposal_reply,
            Some(ReminderKind::TermExpiring) => &self.term_expiring,
            Some(ReminderKind::CongressNotHeld) => &self.congress_not_held,
            Some(ReminderKind::PollOpen) => &AT_ONCE,
            None => &self.other,
        }
    }

    /// The longest lead time of `kind` (how far ahead its area lists the items).
    pub fn lead(&self, kind: ReminderKind) -> i64 {
        self.steps_of(Some(kind))
            .before
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

/// The built-in version (all **local**): a proposal reply is reminded 7 days before its
/// deadline, on the day and when overdue to the handling department, then escalated to
/// the school's proposals committee a week later and to the school's chair two weeks
/// later (the chain issue 15 names); a term 90 and 30 days before it ends; a congress
/// not yet held 8 and 4 weeks before the school year ends; each of those, and any other
/// area's item, escalated to the unit above a week after its date.
pub fn default_rules() -> NotifyRules {
    let up = |after| Escalation {
        after,
        to: EscalateTo::UnitAbove,
    };
    NotifyRules {
        proposal_reply: Steps {
            before: vec![7],
            escalate: vec![
                Escalation {
                    after: 7,
                    to: EscalateTo::ProposalsCommittee,
                },
                Escalation {
                    after: 14,
                    to: EscalateTo::SchoolChair,
                },
            ],
        },
        term_expiring: Steps {
            before: vec![90, 30],
            escalate: vec![up(7)],
        },
        congress_not_held: Steps {
            before: vec![56, 28],
            escalate: vec![up(7)],
        },
        other: Steps {
            before: vec![7],
            escalate: vec![up(7)],
        },
    }
}

/// The reminders rule-set form as typed: one text per field, named by [`RuleRow::fields`].
pub type RulesInput = std::collections::BTreeMap<String, String>;

/// The form's values of a rule set (to fill the form with the version in force).
pub fn rules_input(r: &NotifyRules) -> RulesInput {
    let mut m = RulesInput::new();
    for row in EDITABLE {
        let f = row.fields();
        let s = r.row(row);
        m.insert(
            f.before.into(),
            s.before
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        );
        for (i, (days, to)) in f.levels.iter().enumerate() {
            let e = s.escalate.get(i);
            m.insert(
                (*days).into(),
                e.map(|e| e.after.to_string()).unwrap_or_default(),
            );
            m.insert(
                (*to).into(),
                e.map(|e| e.to.as_str().to_string()).unwrap_or_default(),
            );
        }
    }
    m.insert("note".into(), String::new());
    m
}

/// Why a reminders rule set was refused (catalogue keys).
pub mod rt {
    pub const DAYS_INVALID: &str = "notify-rules-days-invalid";
    pub const TOO_MANY: &str = "notify-rules-too-many";
    pub const AUDIENCE_NEEDED: &str = "notify-rules-audience-needed";
    pub const AUDIENCE_NOT_HERE: &str = "notify-rules-audience-not-here";
    pub const LEVEL_ORDER: &str = "notify-rules-level-order";
    pub const LEVEL_GAP: &str = "notify-rules-level-gap";
    pub const NOTE_TOO_LONG: &str = "notify-rules-note-too-long";
}

fn days(field: &'static str, s: &str) -> Result<i64, FieldError> {
    let t = crate::roster::normalize(s);
    match t.trim().parse::<i64>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => Ok(d),
        _ => Err(FieldError::new(field, rt::DAYS_INVALID).arg("max", MAX_DAYS)),
    }
}

/// Parses the form into a rule set and its note, with every error at its field. Lead
/// times may be typed "90, 30", "90，30" or "90、30", in full-width digits too.
pub fn parse_rules(input: &RulesInput) -> Result<(NotifyRules, Option<String>), FieldErrors> {
    let get = |k: &str| input.get(k).map(String::as_str).unwrap_or("").trim();
    let mut errors = FieldErrors::default();
    let mut out = default_rules();
    for row in EDITABLE {
        let f = row.fields();
        let mut before = Vec::new();
        let text = crate::roster::normalize(get(f.before));
        for part in text
            .split([',', '，', '、', ';', '；', ' '])
            .filter(|p| !p.trim().is_empty())
        {
            match days(f.before, part) {
                Ok(d) => before.push(d),
                Err(e) => {
                    errors.push(e);
                    before.clear();
                    break;
                }
            }
        }
        before.sort_unstable_by(|a, b| b.cmp(a));
        before.dedup();
        if before.len() > MAX_BEFORE {
            errors.push(FieldError::new(f.before, rt::TOO_MANY).arg("max", MAX_BEFORE));
        }
        let mut escalate = Vec::new();
        let mut gap = false;
        for (days_field, to_field) in f.levels {
            let (d, t) = (get(days_field), get(to_field));
            if d.is_empty() {
                gap = true;
                continue;
            }
            if gap {
                errors.push(FieldError::new(days_field, rt::LEVEL_GAP));
                continue;
            }
            let after = match days(days_field, d) {
                Ok(a) => a,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if t.is_empty() {
                errors.push(FieldError::new(to_field, rt::AUDIENCE_NEEDED));
                continue;
            }
            let to = match crate::org::parse_choice::<EscalateTo>(to_field, t) {
                Ok(to) if row.audiences().contains(&to) => to,
                Ok(_) => {
                    errors.push(FieldError::new(to_field, rt::AUDIENCE_NOT_HERE));
                    continue;
                }
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if let Some(last) = escalate.last().map(|e: &Escalation| e.after)
                && after <= last
            {
                errors.push(FieldError::new(days_field, rt::LEVEL_ORDER).arg("after", last));
                continue;
            }
            escalate.push(Escalation { after, to });
        }
        *out.row_mut(row) = Steps { before, escalate };
    }
    let note = get("note");
    if note.chars().count() > 200 {
        errors.push(FieldError::new("note", rt::NOTE_TOO_LONG).arg("max", 200));
    }
    if errors.is_empty() {
        Ok((out, (!note.is_empty()).then(|| note.to_string())))
    } else {
        Err(errors)
    }
}

/// Where a due item stands: each step is sent once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// This many days or fewer before due (the lead time of the step, not the days left).
    Before(i64),
    Today,
    Overdue,
    /// Overdue for the delay of this level of the escalation chain (1 is the first): its
    /// audience hears of it.
    Escalated(u8),
}

impl Step {
    /// Part of the idempotency key: the same step of the same item is sent once. The first
    /// escalation keeps the key it had before chains had levels, so a step already sent
    /// is not sent again.
    pub fn key(self) -> String {
        match self {
            Step::Before(d) => format!("before{d}"),
            Step::Today => "today".into(),
            Step::Overdue => "overdue".into(),
            Step::Escalated(1) => "escalated".into(),
            Step::Escalated(n) => format!("escalated{n}"),
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
        let level = self
            .escalate
            .iter()
            .take_while(|e| -days_left >= e.after)
            .count();
        Some(match u8::try_from(level) {
            Ok(0) | Err(_) => Step::Overdue,
            Ok(n) => Step::Escalated(n),
        })
    }

    /// Who hears of the item at `step` besides those it concerns: the audiences of every
    /// level reached so far (a chair who is told at level 2 is not dropped at level 3).
    pub fn audiences(&self, step: Step) -> Vec<EscalateTo> {
        let Step::Escalated(n) = step else {
            return Vec::new();
        };
        let mut v: Vec<EscalateTo> = self
            .escalate
            .iter()
            .take(usize::from(n))
            .map(|e| e.to)
            .collect();
        v.dedup();
        v
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
    enums: &[
        crate::area::CodedEnum::of::<ReminderKind>(),
        crate::area::CodedEnum::of::<EscalateTo>(),
    ],
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
        assert_eq!(s.current(-7), Some(Step::Escalated(1)));
        assert_eq!(s.current(-13), Some(Step::Escalated(1)));
        assert_eq!(s.current(-14), Some(Step::Escalated(2)));
        assert_eq!(s.current(-400), Some(Step::Escalated(2)));
        // Department, then the proposals committee, then the school's chair (issue 15).
        assert_eq!(s.audiences(Step::Overdue), vec![]);
        assert_eq!(
            s.audiences(Step::Escalated(1)),
            vec![EscalateTo::ProposalsCommittee]
        );
        assert_eq!(
            s.audiences(Step::Escalated(2)),
            vec![EscalateTo::ProposalsCommittee, EscalateTo::SchoolChair]
        );
        assert_eq!(
            Step::Escalated(1).key(),
            "escalated",
            "keys sent before levels existed stay"
        );
        assert_eq!(Step::Escalated(2).key(), "escalated2");
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

    fn form(pairs: &[(&str, &str)]) -> RulesInput {
        let mut m = rules_input(&default_rules());
        for (k, v) in pairs {
            m.insert((*k).into(), (*v).into());
        }
        m
    }

    #[test]
    fn the_rule_form_round_trips_and_reads_what_offices_type() {
        let (r, note) = parse_rules(&rules_input(&default_rules())).unwrap();
        assert_eq!(r, default_rules());
        assert_eq!(note, None);
        let (r, note) = parse_rules(&form(&[
            ("term_expiring_before", "３０、１２０，60"),
            ("proposal_reply_after1", "3"),
            ("note", "区教育工会 2026 年第 3 次会议"),
        ]))
        .unwrap();
        assert_eq!(r.term_expiring.before, vec![120, 60, 30]);
        assert_eq!(r.proposal_reply.escalate[0].after, 3);
        assert_eq!(note.as_deref(), Some("区教育工会 2026 年第 3 次会议"));
        // No lead time: reminded on the day only.
        let (r, _) = parse_rules(&form(&[("other_before", "")])).unwrap();
        assert_eq!(r.other.current(3), Some(Step::Today));
    }

    #[test]
    fn the_rule_form_refuses_at_the_field() {
        let fields = |pairs: &[(&str, &str)]| -> Vec<(&'static str, &'static str)> {
            parse_rules(&form(pairs))
                .unwrap_err()
                .0
                .iter()
                .map(|e| (e.field, e.key))
                .collect()
        };
        assert_eq!(
            fields(&[("term_expiring_before", "90, 0")]),
            [("term_expiring_before", rt::DAYS_INVALID)]
        );
        assert_eq!(
            fields(&[("other_before", "1,2,3,4")]),
            [("other_before", rt::TOO_MANY)]
        );
        assert_eq!(
            fields(&[("proposal_reply_after2", "5")]),
            [("proposal_reply_after2", rt::LEVEL_ORDER)]
        );
        assert_eq!(
            fields(&[("proposal_reply_after1", ""), ("proposal_reply_to1", "")]),
            [("proposal_reply_after2", rt::LEVEL_GAP)]
        );
        assert_eq!(
            fields(&[("term_expiring_to1", "proposals_committee")]),
            [("term_expiring_to1", rt::AUDIENCE_NOT_HERE)]
        );
        assert_eq!(
            fields(&[("other_after2", "30")]),
            [("other_to2", rt::AUDIENCE_NEEDED)]
        );
        assert_eq!(
            fields(&[("other_after1", "七")]),
            [("other_after1", rt::DAYS_INVALID)]
        );
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
