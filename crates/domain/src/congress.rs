//! The staff congress (教职工代表大会) and its proposals: typed ids, the coded choices
//! (modes, delegate kinds, meeting and proposal states…), the forms people fill in parsed
//! into drafts, the proposal life cycle, document and check-in code checks, and the
//! capability to act as oneself.
//!
//! Numbers that come from statutes or local rules are not here but in [`crate::rules`].
//! Nothing here does IO: random bytes, the clock and the database are the callers'.

use crate::auth::{Actor, Cap, Denied, perm::Perm};
use crate::error::{FieldError, FieldErrors};
use crate::ids::MemberId;
use crate::kit::coded;
use crate::org::{optional_text, parse_choice, parse_date, required_text};
use crate::rules::RuleSet;
use crate::text as t;
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

crate::kit::id_types!(
    RuleSetId,
    TermId,
    DelegationId,
    DelegateId,
    MeetingId,
    AgendaItemId,
    DocumentId,
);

coded!(
    /// 教代会 with elected delegates, or 教职工大会 where every active staff member votes.
    CongressMode, "congress-mode", {
    Congress = "congress" ["教代会", "教职工代表大会", "代表大会"],
    Assembly = "assembly" ["教职工大会", "全体大会"],
});

coded!(
    /// A voting delegate, an observer (列席) or an invited guest (特邀); only delegates vote
    /// and count towards the quorum.
    DelegateKind, "delegate-kind", {
    Delegate = "delegate" ["代表", "正式代表"],
    Observer = "observer" ["列席代表", "列席"],
    Invited = "invited" ["特邀代表", "特邀"],
});

impl DelegateKind {
    pub fn votes(self) -> bool {
        self == DelegateKind::Delegate
    }
}

coded!(MeetingKind, "meeting-kind", {
    Regular = "regular" ["例会", "定期会议", "年会"],
    Extraordinary = "extraordinary" ["临时会议"],
});

coded!(MeetingStatus, "meeting-status", {
    Planned = "planned" ["筹备中", "未召开"],
    Open = "open" ["进行中", "召开中"],
    Closed = "closed" ["已闭幕", "已结束"],
});

coded!(AgendaKind, "agenda-kind", {
    Report = "report" ["工作报告", "报告"],
    Deliberation = "deliberation" ["审议"],
    Resolution = "resolution" ["决议"],
    Election = "election" ["选举"],
    CadreReview = "cadre_review" ["民主评议", "民主测评"],
    Other = "other" ["其他"],
});

coded!(
    /// Roles at a meeting: presidium (主席团), scrutineer (监票人), teller (计票人).
    MeetingRole, "meeting-role", {
    Presidium = "presidium" ["主席团", "主席团成员"],
    Scrutineer = "scrutineer" ["监票人"],
    Teller = "teller" ["计票人"],
});

coded!(CheckInMethod, "check-in-method", {
    Phone = "phone" ["手机"],
    Code = "code" ["签到码"],
    Staff = "staff" ["现场"],
});

/// The school year (学年) a date falls in, named by the calendar year it starts in: it runs
/// from 1 September to 31 August.
pub fn school_year(d: NaiveDate) -> i32 {
    if d.month() >= 9 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// First and last day of school year `y`.
pub fn school_year_range(y: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(y, 9, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(y + 1, 8, 31).unwrap_or_default(),
    )
}

/// A capability to act as oneself: the permission, and the member record behind the
/// account. Delegates propose, second and rate only as themselves; a handler cannot pass
/// another member's id.
#[derive(Debug)]
pub struct Acting<P: Perm> {
    cap: Cap<P>,
    member: MemberId,
}

impl<P: Perm> Acting<P> {
    pub fn cap(&self) -> &Cap<P> {
        &self.cap
    }

    pub fn member(&self) -> MemberId {
        self.member
    }
}

/// Asks the policy for `P` for an account that is linked to a member record.
pub fn authorize_self<P: Perm>(actor: &Actor) -> Result<Acting<P>, Denied> {
    let member = actor.member.ok_or(Denied::NotPermitted)?;
    Ok(Acting {
        cap: actor.authorize::<P>()?,
        member,
    })
}

// ------------------------------------------------------------------ forms

pub const TITLE_MAX: usize = 60;
pub const TEXT_MAX: usize = 4000;
pub const REASON_MAX: usize = 1000;
pub const PLACE_MAX: usize = 60;

fn parse_u32_field(field: &'static str, s: &str) -> Result<u32, FieldError> {
    let v = s.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, t::REQUIRED));
    }
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=99).contains(n))
        .ok_or_else(|| FieldError::new(field, t::NUMBER_INVALID))
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TermInput {
    pub number: String,
    pub mode: String,
    pub start_date: String,
    pub end_date: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermDraft {
    pub number: u32,
    pub mode: CongressMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl TermInput {
    pub fn parse(&self, r: &RuleSet) -> Result<TermDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let number = e.take(parse_u32_field("number", &self.number));
        let mode = e.take(parse_choice::<CongressMode>("mode", &self.mode));
        let start = e.take(parse_date("start_date", &self.start_date));
        let end = e.take(parse_date("end_date", &self.end_date));
        if let (Some(s), Some(en)) = (start, end)
            && !crate::rules::term_length_ok(s, en, r)
        {
            e.push(
                FieldError::new("end_date", t::TERM_LENGTH)
                    .arg("min", r.term_min_years)
                    .arg("max", r.term_max_years),
            );
        }
        match (number, mode, start, end) {
            (Some(number), Some(mode), Some(start_date), Some(end_date)) if e.is_empty() => {
                Ok(TermDraft {
                    number,
                    mode,
                    start_date,
                    end_date,
                })
            }
            _ => Err(e),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingInput {
    pub kind: String,
    pub meeting_date: String,
    pub starts_at: String,
    pub place: String,
    pub proposals_from: String,
    pub proposals_until: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingDraft {
    pub kind: MeetingKind,
    pub meeting_date: NaiveDate,
    pub starts_at: Option<NaiveTime>,
    pub place: String,
    pub proposals_from: Option<NaiveDate>,
    pub proposals_until: Option<NaiveDate>,
}

impl MeetingInput {
    pub fn parse(&self) -> Result<MeetingDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = if self.kind.trim().is_empty() {
            Some(MeetingKind::Regular)
        } else {
            e.take(parse_choice::<MeetingKind>("kind", &self.kind))
        };
        let date = e.take(parse_date("meeting_date", &self.meeting_date));
        let starts_at = if self.starts_at.trim().is_empty() {
            Some(None)
        } else {
            e.take(
                NaiveTime::parse_from_str(self.starts_at.trim(), "%H:%M")
                    .map(Some)
                    .map_err(|_| FieldError::new("starts_at", t::TIME_INVALID)),
            )
        };
        let place = e.take(required_text("place", &self.place, PLACE_MAX));
        let opt_date = |e: &mut FieldErrors, field: &'static str, s: &str| {
            if s.trim().is_empty() {
                Some(None)
            } else {
                e.take(parse_date(field, s).map(Some))
            }
        };
        let from = opt_date(&mut e, "proposals_from", &self.proposals_from);
        let until = opt_date(&mut e, "proposals_until", &self.proposals_until);
        if let (Some(Some(f)), Some(Some(u))) = (from, until)
            && u < f
        {
            e.push(FieldError::new("proposals_until", t::WINDOW_ORDER));
        }
        if let (Some(Some(u)), Some(d)) = (until, date)
            && u > d
        {
            e.push(FieldError::new("proposals_until", t::WINDOW_AFTER_MEETING));
        }
        match (kind, date, starts_at, place, from, until) {
            (
                Some(kind),
                Some(meeting_date),
                Some(starts_at),
                Some(place),
                Some(proposals_from),
                Some(proposals_until),
            ) if e.is_empty() => Ok(MeetingDraft {
                kind,
                meeting_date,
                starts_at,
                place,
                proposals_from,
                proposals_until,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgendaInput {
    pub kind: String,
    pub title: String,
    pub presenter: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgendaDraft {
    pub kind: AgendaKind,
    pub title: String,
    pub presenter: Option<String>,
}

impl AgendaInput {
    pub fn parse(&self) -> Result<AgendaDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.take(parse_choice::<AgendaKind>("kind", &self.kind));
        let title = e.take(required_text("title", &self.title, 100));
        let presenter = e.take(optional_text("presenter", &self.presenter, 40));
        match (kind, title, presenter) {
            (Some(kind), Some(title), Some(presenter)) => Ok(AgendaDraft {
                kind,
                title,
                presenter,
            }),
            _ => Err(e),
        }
    }
}

// ------------------------------------------------------------------ documents

/// Largest meeting document (10 MiB): enough for a scanned report, small enough for a
/// database row.
pub const DOC_MAX_BYTES: usize = 10 * 1024 * 1024;

/// The document types a meeting may carry. Each is recognised by its content as well as
/// its name; macro-enabled Office files are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocKind {
    Pdf,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Jpeg,
    Png,
}

impl DocKind {
    pub const ALL: [DocKind; 7] = [
        DocKind::Pdf,
        DocKind::Doc,
        DocKind::Docx,
        DocKind::Xls,
        DocKind::Xlsx,
        DocKind::Jpeg,
        DocKind::Png,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::Pdf => "pdf",
            DocKind::Doc => "doc",
            DocKind::Docx => "docx",
            DocKind::Xls => "xls",
            DocKind::Xlsx => "xlsx",
            DocKind::Jpeg => "jpg",
            DocKind::Png => "png",
        }
    }

    pub fn from_code(s: &str) -> Option<DocKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The type the file is served with (always as an attachment).
    pub fn content_type(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Doc => "application/msword",
            DocKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocKind::Xls => "application/vnd.ms-excel",
            DocKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            DocKind::Jpeg => "image/jpeg",
            DocKind::Png => "image/png",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            DocKind::Pdf => &["pdf"],
            DocKind::Doc => &["doc"],
            DocKind::Docx => &["docx"],
            DocKind::Xls => &["xls"],
            DocKind::Xlsx => &["xlsx"],
            DocKind::Jpeg => &["jpg", "jpeg"],
            DocKind::Png => &["png"],
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Checks an upload: not empty, not too large, an allowed extension, and content that is
/// really of that type. The file is only ever stored and served back as a download.
pub fn check_document(name: &str, bytes: &[u8], max: usize) -> Result<DocKind, FieldError> {
    const F: &str = "file";
    if bytes.is_empty() {
        return Err(FieldError::new(F, t::REQUIRED));
    }
    if bytes.len() > max {
        return Err(FieldError::new(F, t::FILE_TOO_LARGE).arg("max", max / (1024 * 1024)));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let allowed = DocKind::ALL
        .iter()
        .flat_map(|k| k.extensions())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let Some(kind) = DocKind::ALL
        .into_iter()
        .find(|k| k.extensions().contains(&ext.as_str()))
    else {
        return Err(FieldError::new(F, t::FILE_TYPE).arg("allowed", allowed));
    };
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ok = match kind {
        DocKind::Pdf => bytes.starts_with(b"%PDF-"),
        DocKind::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        DocKind::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        DocKind::Doc | DocKind::Xls => ole,
        // Office Open XML: a zip whose part names say what it is; macros are refused.
        DocKind::Docx => zip && contains(bytes, b"word/") && !contains(bytes, b"vbaProject"),
        DocKind::Xlsx => zip && contains(bytes, b"xl/") && !contains(bytes, b"vbaProject"),
    };
    if ok {
        Ok(kind)
    } else {
        Err(FieldError::new(F, t::FILE_CONTENT).arg("allowed", allowed))
    }
}

/// A file name safe to store and to send back in `Content-Disposition`: no directories,
/// no control characters or quotes, at most 120 characters, the extension kept.
pub fn safe_file_name(name: &str, kind: DocKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\'' | ';' | '<' | '>' | '*' | '?' | '|' | ':')
        })
        .collect();
    let stem = cleaned
        .rsplit_once('.')
        .map(|(s, _)| s.to_string())
        .unwrap_or(cleaned.clone());
    let stem: String = stem.trim().chars().take(110).collect();
    let stem = if stem.is_empty() {
        "document".into()
    } else {
        stem
    };
    format!("{stem}.{}", kind.code())
}

// ------------------------------------------------------------------ check-in codes

/// Letters and digits that cannot be mistaken for one another: no 0/O, no 1/I. 32 of
/// them, so a random byte modulo 32 picks each with the same chance.
pub const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters of a one-time check-in code: 10 × 5 bits = 50 bits, printed as `XXXXX-XXXXX`.
pub const CODE_LEN: usize = 10;

/// Makes a code from random bytes (at least [`CODE_LEN`] of them).
pub fn code_from_random(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(CODE_LEN)
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % 32]))
        .collect()
}

/// `ABCDE12345` as printed: `ABCDE-12345`.
pub fn format_code(code: &str) -> String {
    if code.len() == CODE_LEN {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code.to_string()
    }
}

/// Reads a typed code: case, spaces and dashes do not matter; characters outside the
/// alphabet make it invalid.
pub fn normalize_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '－')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

/// The staff congress: terms, delegates, meetings, attendance, documents and check-in.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "congress",
    enums: &[
        crate::area::CodedEnum::of::<CongressMode>(),
        crate::area::CodedEnum::of::<DelegateKind>(),
        crate::area::CodedEnum::of::<MeetingKind>(),
        crate::area::CodedEnum::of::<MeetingStatus>(),
        crate::area::CodedEnum::of::<AgendaKind>(),
        crate::area::CodedEnum::of::<MeetingRole>(),
        crate::area::CodedEnum::of::<CheckInMethod>(),
        crate::area::CodedEnum::of::<crate::rules::Base>(),
        crate::area::CodedEnum::of::<crate::rules::ReviewAudience>(),
    ],
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ids::OrgUnitId;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_school_year_starts_in_september() {
        assert_eq!(school_year(d(2026, 9, 1)), 2026);
        assert_eq!(school_year(d(2026, 8, 31)), 2025);
        assert_eq!(school_year(d(2027, 1, 10)), 2026);
        assert_eq!(school_year_range(2026), (d(2026, 9, 1), d(2027, 8, 31)));
    }

    #[test]
    fn a_term_must_last_three_to_five_years() {
        let r = RuleSet::DEFAULT;
        let i = TermInput {
            number: "3".into(),
            mode: "congress".into(),
            start_date: "2025-09-01".into(),
            end_date: "2027-09-01".into(),
        };
        assert_eq!(
            i.parse(&r).unwrap_err().get("end_date").unwrap().key,
            t::TERM_LENGTH
        );
        let ok = TermInput {
            end_date: "2028-08-31".into(),
            ..i
        };
        assert_eq!(ok.parse(&r).unwrap().number, 3);
    }

    #[test]
    fn the_collection_window_must_close_before_the_meeting() {
        let i = MeetingInput {
            meeting_date: "2026-12-10".into(),
            place: "报告厅".into(),
            proposals_from: "2026-11-01".into(),
            proposals_until: "2026-12-20".into(),
            starts_at: "14:30".into(),
            ..Default::default()
        };
        assert_eq!(
            i.parse().unwrap_err().get("proposals_until").unwrap().key,
            t::WINDOW_AFTER_MEETING
        );
        let ok = MeetingInput {
            proposals_until: "2026-12-05".into(),
            ..i
        }
        .parse()
        .unwrap();
        assert_eq!(ok.starts_at, NaiveTime::from_hms_opt(14, 30, 0));
        assert_eq!(ok.kind, MeetingKind::Regular);
    }

    #[test]
    fn documents_are_checked_by_name_and_content() {
        let pdf = b"%PDF-1.7 rest".to_vec();
        assert_eq!(check_document("报告.PDF", &pdf, 100), Ok(DocKind::Pdf));
        // A PDF name on something else.
        assert_eq!(
            check_document("x.pdf", b"MZ\x90\x00", 100).unwrap_err().key,
            t::FILE_CONTENT
        );
        // Forbidden types.
        for n in ["run.exe", "page.html", "macro.docm", "noext", "a.svg"] {
            assert_eq!(
                check_document(n, &pdf, 100).unwrap_err().key,
                t::FILE_TYPE,
                "{n}"
            );
        }
        // Too large.
        assert_eq!(
            check_document("a.pdf", &pdf, 5).unwrap_err().key,
            t::FILE_TOO_LARGE
        );
        assert_eq!(
            check_document("a.pdf", b"", 5).unwrap_err().key,
            t::REQUIRED
        );
        let docx = b"PK\x03\x04....word/document.xml....".to_vec();
        assert_eq!(check_document("a.docx", &docx, 1000), Ok(DocKind::Docx));
        let docm = b"PK\x03\x04....word/vbaProject.bin....".to_vec();
        assert!(check_document("a.docx", &docm, 1000).is_err());
        assert!(check_document("a.xlsx", &docx, 1000).is_err());
        assert_eq!(
            check_document("p.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], 100),
            Ok(DocKind::Jpeg)
        );
    }

    #[test]
    fn file_names_lose_paths_and_quotes() {
        assert_eq!(
            safe_file_name("C:\\x\\工作\"报告.PDF", DocKind::Pdf),
            "工作报告.pdf"
        );
        assert_eq!(
            safe_file_name("../../etc/passwd.pdf", DocKind::Pdf),
            "passwd.pdf"
        );
        assert_eq!(safe_file_name(".pdf", DocKind::Pdf), "document.pdf");
    }

    #[test]
    fn check_in_codes_are_read_forgivingly_and_strictly() {
        let c = code_from_random(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 31, 99]);
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(c, "23456789AZ");
        assert_eq!(format_code(&c), "23456-789AZ");
        assert_eq!(normalize_code(" 23456-789az "), Some(c));
        assert_eq!(normalize_code("23456-789A"), None);
        // O, 0, 1 and I are not in the alphabet.
        assert_eq!(normalize_code("O3456789A9"), None);
        assert_eq!(normalize_code("1345678AA9"), None);
    }

    #[test]
    fn acting_as_oneself_needs_a_linked_member() {
        use crate::auth::{Grant, Role};
        use crate::ids::AccountId;
        let mut a = Actor {
            account: AccountId(1),
            username: "d".into(),
            display_name: "D".into(),
            member: None,
            grants: vec![Grant {
                role: Role::Delegate,
                org_unit: OrgUnitId(5),
            }],
        };
        assert!(authorize_self::<crate::auth::perm::ProposalSubmit>(&a).is_err());
        a.member = Some(MemberId(9));
        let acting = authorize_self::<crate::auth::perm::ProposalSubmit>(&a).unwrap();
        assert_eq!(acting.member(), MemberId(9));
        assert!(authorize_self::<crate::auth::perm::ProposalReview>(&a).is_err());
    }
}
