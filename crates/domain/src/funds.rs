//! Union money (会费、工会经费、预算、支出、经审) as the domain sees it: the funds rule set
//! (dues rate, union-fund rate, the share a school keeps, the dues base's rounding), the
//! exact arithmetic of a levy (due, kept, remitted: every amount the sum of its parts), the
//! budget-cap test an expense must pass, amounts typed by people, and the coded values the
//! area stores.
//!
//! Every number is **local** in this version: the 0.5 % dues rate, the 2 % union fund, the
//! 60 / 40 split and the "below ¥10 of the base is not counted" rule are the ones the
//! glossary and the district's practice use, but their statutory texts (工会法, 中国工会章程,
//! 全总 dues rules, 基层工会经费收支管理办法) have not been read here, so no article is
//! claimed ([`FundsSource::Local`]); a union replaces them as a new rule-set version.
//!
//! Money is `i64` fen; products are widened to `i128`. This module does no IO, reads no
//! clock and never formats text beyond [`yuan`] (errors carry catalogue keys).

use crate::error::FieldError;
use crate::kit::coded;
use crate::rules::Ratio;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Catalogue keys of this area's messages (the web crate's test checks both catalogues).
pub mod text {
    macro_rules! keys {
        ($($name:ident = $key:literal),* $(,)?) => {
            $(pub const $name: &str = $key;)*
            /// Every key defined in this module.
            pub const ALL: &[&str] = &[$($key),*];
        };
    }
    keys! {
        AMOUNT_INVALID = "funds-amount-invalid",
        AMOUNT_NEGATIVE = "funds-amount-negative",
        AMOUNT_FRACTION = "funds-amount-fraction",
        AMOUNT_REQUIRED = "funds-amount-required",
        OVER_CAP = "funds-over-cap",
        NO_BUDGET = "funds-no-budget",
        OVER_BALANCE = "funds-over-balance",
        SAME_PERSON = "funds-same-person",
        NOT_ENTERED = "funds-not-entered",
        NOTE_REQUIRED = "funds-note-required",
        MONTH_INVALID = "funds-month-invalid",
        LEVY_EXISTS = "funds-levy-exists",
        PAID_ABOVE_DUE = "funds-paid-above-due",
        NOT_A_SCHOOL = "funds-not-a-school",
        OWN_SCHOOL = "funds-own-school",
        FINDING_REQUIRED = "funds-finding-required",
        DEADLINE_INVALID = "funds-deadline-invalid",
        RECTIFICATION_REQUIRED = "funds-rectification-required",
        ALREADY_RECTIFIED = "funds-already-rectified",
        RULE_INVALID = "funds-rule-invalid",
        MEMBER_REQUIRED = "funds-member-required",
        PAYROLL_WHO_REQUIRED = "funds-payroll-who-required",
        PAYROLL_UNKNOWN_ID = "funds-payroll-unknown-id",
        PAYROLL_UNKNOWN_NAME = "funds-payroll-unknown-name",
        PAYROLL_AMBIGUOUS_NAME = "funds-payroll-ambiguous-name",
        PAYROLL_UNKNOWN_SCHOOL = "funds-payroll-unknown-school",
        PAYROLL_DUPLICATE = "funds-payroll-duplicate",
        PAYROLL_NO_HEADER = "funds-payroll-no-header",
        PAYROLL_UNREADABLE = "funds-payroll-unreadable",
        PAYROLL_EMPTY = "funds-payroll-empty",
        ROLL_EXISTS = "funds-roll-exists",
        MONTH_CLOSED = "funds-month-closed",
        MONTH_ALREADY_CLOSED = "funds-month-already-closed",
        CORRECTION_TARGET = "funds-correction-target",
        RECEIPT_TYPE = "funds-receipt-type",
        RECEIPT_SIZE = "funds-receipt-size",
        RECEIPT_REQUIRED = "funds-receipt-required",
        RULE_RATE_INVALID = "funds-rule-rate-invalid",
        RULE_SHARE_INVALID = "funds-rule-share-invalid",
        RULE_STEP_INVALID = "funds-rule-step-invalid",
        RULE_LAXER = "funds-rule-laxer",
    }
}

use text as t;

crate::kit::id_types!(
    FundsRuleSetId,
    LevyId,
    EntryId,
    FindingId,
    PayrollBatchId,
    ReceiptId
);

coded!(
    /// What a monthly levy is: members' dues (会费) or the union fund the employer allocates
    /// (拨缴经费).
    LevyKind, "levy-kind", {
    Dues = "dues" ["会费"],
    UnionFund = "union_fund" ["工会经费", "拨缴经费"],
});

coded!(
    /// The expense categories of a grassroots union's budget (支出科目).
    ExpenseCategory, "expense-category", {
    MemberActivities = "member_activities" ["职工活动支出", "职工活动"],
    RightsProtection = "rights_protection" ["维权支出", "维权"],
    Operations = "operations" ["业务支出", "业务"],
    Capital = "capital" ["资本性支出", "资本性"],
    Undertakings = "undertakings" ["事业支出"],
    Other = "other" ["其他支出", "其他"],
});

coded!(
    /// Where an income comes from.
    IncomeSource, "income-source", {
    Dues = "dues" ["会费收入"],
    UnionFund = "union_fund" ["拨缴经费收入"],
    Subsidy = "subsidy" ["上级补助收入", "行政补助收入"],
    OtherIncome = "other_income" ["其他收入"],
});

coded!(
    /// A ledger line: money in or out.
    EntryKind, "entry-kind", {
    Income = "income" ["收入"],
    Expense = "expense" ["支出"],
});

coded!(
    /// An expense is entered by one person and approved by another; an income is recorded
    /// as approved.
    EntryStatus, "entry-status", {
    Entered = "entered" ["待审批"],
    Approved = "approved" ["已审批"],
});

coded!(
    /// How serious an audit finding is.
    Severity, "finding-severity", {
    Minor = "minor" ["一般"],
    Major = "major" ["较重"],
    Serious = "serious" ["严重"],
});

coded!(
    /// A finding is open until the school rectifies it with evidence.
    FindingStatus, "finding-status", {
    Open = "open" ["待整改"],
    Rectified = "rectified" ["已整改"],
});

coded!(
    /// Why a member is on (or exempt in) a month's dues roll, from the roster and the
    /// rule set: a member paying the whole month, one who joined in the month, one who
    /// left (retired, transferred out, left the union) in the month, and a retiree, exempt.
    RollStatus, "roll-status", {
    Payer = "payer" ["缴纳"],
    Joined = "joined" ["当月入会"],
    Leaving = "leaving" ["当月离开"],
    Retired = "retired" ["退休免缴"],
});

impl RollStatus {
    /// Whether the member owes dues for the month under `r`.
    pub fn pays(self, r: &FundsRules) -> bool {
        match self {
            RollStatus::Payer => true,
            RollStatus::Joined => r.joiners_pay_first_month,
            RollStatus::Leaving => r.leavers_pay_last_month,
            RollStatus::Retired => r.retirees_pay,
        }
    }
}

/// What the roster says of a member, as far as the dues roll needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RosterFacts<'a> {
    /// `active`, `retired`, `transferred_out` or `left`.
    pub status: &'a str,
    pub status_since: NaiveDate,
    pub join_date: Option<NaiveDate>,
    pub union_member: bool,
}

/// The first and last day of the month of `d`.
pub fn month_bounds(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d.with_day(1).unwrap_or(d);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    (first, last)
}

/// A member's place on the roll of the month of `month` (`None`: not on it — not a union
/// member, not yet joined, or gone before the month began). A member who retired or left
/// after the month is still a payer of it; one who joined after it is not on it.
pub fn roll_status(f: &RosterFacts<'_>, month: NaiveDate) -> Option<RollStatus> {
    let (first, last) = month_bounds(month);
    if !f.union_member || f.join_date.is_some_and(|j| j > last) {
        return None;
    }
    let joined_now = f.join_date.is_some_and(|j| j >= first);
    let gone = f.status != "active" && f.status_since <= last;
    if gone {
        if f.status_since < first {
            return match f.status {
                "retired" => Some(RollStatus::Retired),
                _ => None,
            };
        }
        return Some(RollStatus::Leaving);
    }
    Some(if joined_now {
        RollStatus::Joined
    } else {
        RollStatus::Payer
    })
}

/// Where a funds number comes from. Every one is local today; a statutory source is added
/// here only once its text has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundsSource {
    Local,
}

/// The numbers of one funds rule-set version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundsRules {
    /// Dues as a share of the dues base (default 1/200 = 0.5 %). Local.
    pub dues_rate: Ratio,
    /// The base is counted in whole steps of this many fen (default 1,000: the part of a
    /// base below ¥10 is not counted). Local.
    pub dues_base_step_fen: i64,
    /// The share of dues the school union keeps (default 1/1: all of it). Local.
    pub dues_kept: Ratio,
    /// The union fund as a share of the payroll (default 1/50 = 2 %). Local.
    pub union_fund_rate: Ratio,
    /// The share of the union fund the school union keeps (default 3/5 = 60 %); the rest
    /// is remitted to the upper union. Local.
    pub union_fund_kept: Ratio,
    /// Whether retirees pay dues (default no: the glossary's "retirees exempt"). Local.
    #[serde(default)]
    pub retirees_pay: bool,
    /// Whether a member who joins in a month pays that month (default yes). Local.
    #[serde(default = "yes")]
    pub joiners_pay_first_month: bool,
    /// Whether a member who retires or leaves in a month still pays that month (default
    /// yes: the month's pay is drawn). Local.
    #[serde(default = "yes")]
    pub leavers_pay_last_month: bool,
}

fn yes() -> bool {
    true
}

impl FundsRules {
    pub const DEFAULT: FundsRules = FundsRules {
        dues_rate: Ratio::new(1, 200),
        dues_base_step_fen: 1_000,
        dues_kept: Ratio::new(1, 1),
        union_fund_rate: Ratio::new(1, 50),
        union_fund_kept: Ratio::new(3, 5),
        retirees_pay: false,
        joiners_pay_first_month: true,
        leavers_pay_last_month: true,
    };

    /// Every number's source.
    pub fn source(&self) -> FundsSource {
        FundsSource::Local
    }

    /// Sane ranges before a version is stored: rates at most 1/10, shares at most 1.
    pub fn check(&self) -> Result<(), FieldError> {
        let ok_rate = |r: Ratio| r.den > 0 && u64::from(r.num) * 10 <= u64::from(r.den);
        let ok_share = |r: Ratio| r.den > 0 && r.num <= r.den;
        if ok_rate(self.dues_rate)
            && ok_rate(self.union_fund_rate)
            && ok_share(self.dues_kept)
            && ok_share(self.union_fund_kept)
            && (1..=100_000).contains(&self.dues_base_step_fen)
        {
            Ok(())
        } else {
            Err(FieldError::new("rules", t::RULE_INVALID))
        }
    }

    /// The rate and kept share of a levy kind.
    pub fn of(&self, kind: LevyKind) -> (Ratio, Ratio) {
        match kind {
            LevyKind::Dues => (self.dues_rate, self.dues_kept),
            LevyKind::UnionFund => (self.union_fund_rate, self.union_fund_kept),
        }
    }

    /// One member's dues for a month on their own base: the base counted in whole steps,
    /// times the rate, rounded half up once.
    pub fn member_dues(&self, base_fen: i64) -> i64 {
        self.levy(LevyKind::Dues, base_fen).due_fen
    }

    /// A month's dues levy from the roll: the due amount is the sum of the members' dues
    /// (each rounded on its own), split into the kept and remitted shares.
    pub fn dues_levy_of_roll(&self, due_fen: i64) -> Levy {
        let kept_fen = share_half_up(due_fen, self.dues_kept);
        Levy {
            due_fen,
            kept_fen,
            remitted_fen: due_fen - kept_fen,
        }
    }

    /// One month's levy on a base (a school's summed dues bases, or its payroll).
    pub fn levy(&self, kind: LevyKind, base_fen: i64) -> Levy {
        let (rate, kept) = self.of(kind);
        let counted = match kind {
            LevyKind::Dues => base_fen - base_fen.rem_euclid(self.dues_base_step_fen.max(1)),
            LevyKind::UnionFund => base_fen,
        };
        let due = share_half_up(counted, rate);
        let kept_fen = share_half_up(due, kept);
        Levy {
            due_fen: due,
            kept_fen,
            remitted_fen: due - kept_fen,
        }
    }
}

/// What a month's levy comes to: `kept_fen + remitted_fen == due_fen` always.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levy {
    pub due_fen: i64,
    pub kept_fen: i64,
    pub remitted_fen: i64,
}

/// `amount × ratio`, rounded half up to the fen (exact, in `i128`). Negative amounts are 0.
pub fn share_half_up(amount_fen: i64, r: Ratio) -> i64 {
    if amount_fen <= 0 || r.den == 0 {
        return 0;
    }
    let n = i128::from(amount_fen) * i128::from(r.num);
    let d = i128::from(r.den);
    i64::try_from((2 * n + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// The budget-cap test of an expense: `spent` (entered and approved expenses of the
/// category and year) plus `amount` must stay within `cap`. `None` means the category has
/// no budget line: nothing may be spent on it. The refusal names the category's figures.
pub fn check_cap(cap: Option<i64>, spent: i64, amount: i64) -> Result<(), FieldError> {
    match cap {
        None => Err(FieldError::new("amount", t::NO_BUDGET)),
        Some(cap) if spent.saturating_add(amount) > cap => {
            Err(FieldError::new("amount", t::OVER_CAP)
                .arg("cap", yuan(cap))
                .arg("spent", yuan(spent))
                .arg("left", yuan((cap - spent).max(0))))
        }
        Some(_) => Ok(()),
    }
}

/// Fen as yuan with two decimals (`123456` → `1234.56`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Reads an amount of yuan as typed (`1200`, `1,200.50`, `¥1200`, full-width digits) into
/// fen. Refuses empty, negative, malformed and fractional-fen amounts (`12.345`), each
/// with its own message; `positive` refuses 0 as well.
pub fn parse_fen(field: &'static str, input: &str, positive: bool) -> Result<i64, FieldError> {
    let s: String = crate::roster::normalize(input)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '¥' | '￥' | '元'))
        .collect();
    if s.is_empty() {
        return Err(FieldError::new(field, t::AMOUNT_REQUIRED));
    }
    if s.starts_with('-') {
        return Err(FieldError::new(field, t::AMOUNT_NEGATIVE));
    }
    let bad = || FieldError::new(field, t::AMOUNT_INVALID).arg("value", input.trim());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    if int.is_empty()
        || int.len() > 11
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 2 {
        return Err(FieldError::new(field, t::AMOUNT_FRACTION).arg("value", input.trim()));
    }
    let int: i64 = int.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    let fen = int * 100 + frac;
    if positive && fen == 0 {
        return Err(bad());
    }
    Ok(fen)
}

/// A column of the payroll office's sheet (工资表): the member by ID number, or by name
/// (and school, when the sheet covers several), the basic salary that is the dues base,
/// and optionally the month it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayrollColumn {
    IdNumber,
    Name,
    School,
    Base,
    Month,
}

impl PayrollColumn {
    pub const ALL: [PayrollColumn; 5] = [
        PayrollColumn::IdNumber,
        PayrollColumn::Name,
        PayrollColumn::School,
        PayrollColumn::Base,
        PayrollColumn::Month,
    ];

    /// The field name errors are reported at.
    pub fn field(self) -> &'static str {
        match self {
            PayrollColumn::IdNumber => "id_number",
            PayrollColumn::Name => "name",
            PayrollColumn::School => "school",
            PayrollColumn::Base => "base",
            PayrollColumn::Month => "month",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            PayrollColumn::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "证件号码",
                "身份证",
                "idnumber",
                "id",
            ],
            PayrollColumn::Name => &["姓名", "职工姓名", "教职工姓名", "name"],
            PayrollColumn::School => &[
                "学校",
                "单位",
                "所在单位",
                "学校名称",
                "单位名称",
                "工作单位",
                "school",
            ],
            PayrollColumn::Base => &[
                "基本工资",
                "会费基数",
                "缴费基数",
                "基数",
                "应发基本工资",
                "岗位工资+薪级工资",
                "basicsalary",
                "base",
                "duesbase",
                "salary",
            ],
            PayrollColumn::Month => &["月份", "工资月份", "所属月份", "发放月份", "month"],
        }
    }

    /// The column a header names (full-width, spaces, `*` marks and case ignored).
    pub fn from_header(header: &str) -> Option<PayrollColumn> {
        let n: String = crate::roster::compact(header)
            .chars()
            .filter(|c| !matches!(c, '*' | '＊' | ':' | '：' | '_' | '(' | ')' | '（' | '）'))
            .collect::<String>()
            .to_lowercase();
        let n = n.trim_end_matches("元").trim_end_matches("(元)");
        Self::ALL.into_iter().find(|c| c.aliases().contains(&n))
    }
}

/// A payroll row as typed, parsed: who (ID number, or name and school) and the base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayrollRow {
    pub id_number: Option<crate::org::IdNumber>,
    pub name: Option<String>,
    pub school: Option<String>,
    pub base_fen: i64,
    /// The month the salary is for (its first day), when the sheet has the column.
    pub month: Option<NaiveDate>,
}

/// Parses a row of the payroll sheet, every problem at its column: the base (positive
/// fen, full-width digits read), the ID number (with its check digit) or else the name,
/// the month in any form a personnel office writes it (`2026.06`, `2026年6月`, `202606`).
pub fn parse_payroll_row(cells: &[(PayrollColumn, &str)]) -> Result<PayrollRow, Vec<FieldError>> {
    let get = |c: PayrollColumn| {
        cells
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| crate::roster::normalize(v))
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let base = match get(PayrollColumn::Base) {
        None => {
            errors.push(FieldError::new("base", t::AMOUNT_REQUIRED));
            None
        }
        Some(v) => match parse_fen("base", &v, true) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    let id_number = match get(PayrollColumn::IdNumber) {
        None => None,
        Some(v) => match crate::org::IdNumber::parse(&crate::roster::compact(&v)) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    let name = get(PayrollColumn::Name).map(|n| crate::roster::normalize_name(&n));
    if id_number.is_none() && name.is_none() && !errors.iter().any(|e| e.field == "id_number") {
        errors.push(FieldError::new("name", t::PAYROLL_WHO_REQUIRED));
    }
    let month = match get(PayrollColumn::Month) {
        None => None,
        Some(v) => match crate::roster::parse_roster_date("month", &v) {
            Ok(d) => Some(month_bounds(d.date).0),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    match base {
        Some(base_fen) if errors.is_empty() => Ok(PayrollRow {
            id_number,
            name,
            school: get(PayrollColumn::School),
            base_fen,
            month,
        }),
        _ => Err(errors),
    }
}

/// Funds: dues, union funds, budgets, the ledger and the audit by area.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "funds",
    enums: &[
        crate::area::CodedEnum::of::<LevyKind>(),
        crate::area::CodedEnum::of::<ExpenseCategory>(),
        crate::area::CodedEnum::of::<IncomeSource>(),
        crate::area::CodedEnum::of::<EntryKind>(),
        crate::area::CodedEnum::of::<EntryStatus>(),
        crate::area::CodedEnum::of::<Severity>(),
        crate::area::CodedEnum::of::<FindingStatus>(),
        crate::area::CodedEnum::of::<RollStatus>(),
    ],
};

/// The funds rule-set form as typed: field name → text. Rates and shares as `0.5%`,
/// `60%` or `3/5`; the base step in yuan; the three yes/no rules as checkboxes (`on`).
pub type RulesInput = std::collections::BTreeMap<String, String>;

/// The yes/no rules of the form, in order.
pub const RULE_FLAGS: [&str; 3] = [
    "retirees_pay",
    "joiners_pay_first_month",
    "leavers_pay_last_month",
];

/// A version's numbers as the form shows them.
pub fn rules_input(r: &FundsRules) -> RulesInput {
    let mut m = RulesInput::new();
    m.insert("dues_rate".into(), r.dues_rate.display());
    m.insert("dues_kept".into(), r.dues_kept.display());
    m.insert("union_fund_rate".into(), r.union_fund_rate.display());
    m.insert("union_fund_kept".into(), r.union_fund_kept.display());
    let step = r.dues_base_step_fen;
    m.insert(
        "dues_base_step".into(),
        if step % 100 == 0 {
            (step / 100).to_string()
        } else {
            format!("{}.{:02}", step / 100, step % 100)
        },
    );
    for (k, v) in RULE_FLAGS.iter().zip([
        r.retirees_pay,
        r.joiners_pay_first_month,
        r.leavers_pay_last_month,
    ]) {
        if v {
            m.insert((*k).into(), "on".into());
        }
    }
    m
}

/// Reads the form into a version's numbers and its note; every refusal at its field, all
/// at once: a rate above 10 %, a share above 100 %, a step outside ¥0.01–¥1,000.
pub fn parse_rules(input: &RulesInput) -> Result<(FundsRules, Option<String>), crate::FieldErrors> {
    let get = |k: &str| input.get(k).map(String::as_str).unwrap_or("").trim();
    let mut e = crate::FieldErrors::default();
    let mut r = FundsRules::DEFAULT;
    let normal = |s: &str| crate::roster::normalize(s);
    let ratio = |field: &'static str, rate: bool, e: &mut crate::FieldErrors| -> Ratio {
        let key = if rate {
            t::RULE_RATE_INVALID
        } else {
            t::RULE_SHARE_INVALID
        };
        match Ratio::parse(field, &normal(get(field))) {
            Ok(x) if !rate || u64::from(x.num) * 10 <= u64::from(x.den) => x,
            _ => {
                e.push(FieldError::new(field, key));
                Ratio::new(0, 1)
            }
        }
    };
    r.dues_rate = ratio("dues_rate", true, &mut e);
    r.dues_kept = ratio("dues_kept", false, &mut e);
    r.union_fund_rate = ratio("union_fund_rate", true, &mut e);
    r.union_fund_kept = ratio("union_fund_kept", false, &mut e);
    let step: String = normal(get("dues_base_step"))
        .chars()
        .filter(|c| !matches!(c, '¥' | '￥' | '元' | ','))
        .collect();
    let (int, frac) = step.split_once('.').unwrap_or((&step, ""));
    let fen = match (int.parse::<i64>(), frac.len()) {
        (Ok(i), 0) => Some(i * 100),
        (Ok(i), 1 | 2) => format!("{frac:0<2}")
            .parse::<i64>()
            .ok()
            .map(|f| i * 100 + f),
        _ => None,
    };
    match fen {
        Some(f) if (1..=100_000).contains(&f) => r.dues_base_step_fen = f,
        _ => e.push(FieldError::new("dues_base_step", t::RULE_STEP_INVALID)),
    }
    r.retirees_pay = !get("retirees_pay").is_empty();
    r.joiners_pay_first_month = !get("joiners_pay_first_month").is_empty();
    r.leavers_pay_last_month = !get("leavers_pay_last_month").is_empty();
    let note = get("note");
    if e.is_empty() {
        Ok((r, (!note.is_empty()).then(|| note.to_string())))
    } else {
        Err(e)
    }
}

impl FundsRules {
    /// A unit's own version may be stricter than the version in force above it, never
    /// laxer: no rate below the one above (members and schools pay at least what the union
    /// above set), no kept share above it (a school never keeps more than it was granted),
    /// no coarser base step. Each refusal names the number above.
    pub fn not_laxer_than(&self, above: &FundsRules) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::default();
        let lower = |a: Ratio, b: Ratio| a.cmp_ratio(b) == std::cmp::Ordering::Less;
        if lower(self.dues_rate, above.dues_rate) {
            e.push(
                FieldError::new("dues_rate", t::RULE_LAXER).arg("above", above.dues_rate.display()),
            );
        }
        if lower(self.union_fund_rate, above.union_fund_rate) {
            e.push(
                FieldError::new("union_fund_rate", t::RULE_LAXER)
                    .arg("above", above.union_fund_rate.display()),
            );
        }
        if lower(above.dues_kept, self.dues_kept) {
            e.push(
                FieldError::new("dues_kept", t::RULE_LAXER).arg("above", above.dues_kept.display()),
            );
        }
        if lower(above.union_fund_kept, self.union_fund_kept) {
            e.push(
                FieldError::new("union_fund_kept", t::RULE_LAXER)
                    .arg("above", above.union_fund_kept.display()),
            );
        }
        if self.dues_base_step_fen > above.dues_base_step_fen {
            e.push(FieldError::new("dues_base_step", t::RULE_LAXER).arg(
                "above",
                format!("{}", above.dues_base_step_fen as f64 / 100.0),
            ));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dues_are_half_a_percent_of_the_base_counted_in_whole_ten_yuan() {
        let r = FundsRules::DEFAULT;
        // ¥6,789.99 counts as ¥6,780 → ¥33.90, all kept by the school.
        let l = r.levy(LevyKind::Dues, 678_999);
        assert_eq!(l.due_fen, 3_390);
        assert_eq!(l.kept_fen, 3_390);
        assert_eq!(l.remitted_fen, 0);
    }

    #[test]
    fn the_union_fund_is_two_percent_split_sixty_forty_and_the_parts_add_up() {
        let r = FundsRules::DEFAULT;
        let l = r.levy(LevyKind::UnionFund, 1_234_567);
        assert_eq!(l.due_fen, 24_691); // 24,691.34 rounded
        assert_eq!(l.kept_fen, 14_815); // 14,814.6 rounded half up
        assert_eq!(l.kept_fen + l.remitted_fen, l.due_fen);
        for base in [0, 1, 49, 50, 99, 12_345, 999_999_999] {
            let l = r.levy(LevyKind::UnionFund, base);
            assert_eq!(l.kept_fen + l.remitted_fen, l.due_fen, "{base}");
        }
    }

    #[test]
    fn amounts_are_read_in_fen_and_bad_ones_are_named() {
        assert_eq!(parse_fen("a", "1,200.5", true), Ok(120_050));
        assert_eq!(parse_fen("a", "￥１２", true), Ok(1_200));
        assert_eq!(
            parse_fen("a", "-5", true).unwrap_err().key,
            t::AMOUNT_NEGATIVE
        );
        assert_eq!(
            parse_fen("a", "1.005", true).unwrap_err().key,
            t::AMOUNT_FRACTION
        );
        assert_eq!(
            parse_fen("a", "", true).unwrap_err().key,
            t::AMOUNT_REQUIRED
        );
        assert_eq!(
            parse_fen("a", "12x", true).unwrap_err().key,
            t::AMOUNT_INVALID
        );
        assert_eq!(
            parse_fen("a", "0", true).unwrap_err().key,
            t::AMOUNT_INVALID
        );
        assert_eq!(parse_fen("a", "0", false), Ok(0));
    }

    #[test]
    fn an_expense_beyond_its_cap_is_refused_with_the_figures() {
        assert!(check_cap(Some(10_000), 6_000, 4_000).is_ok());
        let e = check_cap(Some(10_000), 6_000, 4_001).unwrap_err();
        assert_eq!(e.key, t::OVER_CAP);
        assert_eq!(check_cap(None, 0, 1).unwrap_err().key, t::NO_BUDGET);
    }

    /// Every amount is the sum of its parts and within half a fen of the exact share, for
    /// 20,000 pseudo-random bases under several rule sets (a property test without a crate).
    #[test]
    fn every_levy_is_the_sum_of_its_parts_and_rounded_once() {
        let mut x: u64 = 0x2026_1125;
        let sets = [
            FundsRules::DEFAULT,
            FundsRules {
                dues_rate: Ratio::new(3, 1000),
                dues_base_step_fen: 1,
                dues_kept: Ratio::new(7, 10),
                union_fund_rate: Ratio::new(1, 40),
                union_fund_kept: Ratio::new(2, 3),
                ..FundsRules::DEFAULT
            },
        ];
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let base = ((x >> 11) % 10_000_000_000) as i64;
            for r in &sets {
                for kind in [LevyKind::Dues, LevyKind::UnionFund] {
                    let l = r.levy(kind, base);
                    assert_eq!(l.kept_fen + l.remitted_fen, l.due_fen, "{base} {kind:?}");
                    assert!(l.kept_fen >= 0 && l.remitted_fen >= 0);
                    let (rate, kept) = r.of(kind);
                    let counted = match kind {
                        LevyKind::Dues => base - base % r.dues_base_step_fen,
                        LevyKind::UnionFund => base,
                    };
                    // |due·den − counted·num| ≤ den/2: rounded once, to the nearest fen.
                    let err = (i128::from(l.due_fen) * i128::from(rate.den)
                        - i128::from(counted) * i128::from(rate.num))
                    .abs();
                    assert!(2 * err <= i128::from(rate.den), "{base} {kind:?}");
                    let err = (i128::from(l.kept_fen) * i128::from(kept.den)
                        - i128::from(l.due_fen) * i128::from(kept.num))
                    .abs();
                    assert!(2 * err <= i128::from(kept.den), "{base} {kind:?}");
                }
            }
        }
    }

    #[test]
    fn the_roll_follows_the_roster_and_the_rule_set() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let m = d("2026-06-15");
        let f = |status: &'static str, since: &str, join: Option<&str>| RosterFacts {
            status,
            status_since: d(since),
            join_date: join.map(d),
            union_member: true,
        };
        assert_eq!(
            roll_status(&f("active", "2000-01-01", Some("2010-09-01")), m),
            Some(RollStatus::Payer)
        );
        assert_eq!(
            roll_status(&f("active", "2026-06-03", Some("2026-06-03")), m),
            Some(RollStatus::Joined)
        );
        assert_eq!(
            roll_status(&f("active", "2026-07-01", Some("2026-07-01")), m),
            None
        );
        assert_eq!(
            roll_status(&f("retired", "2026-06-30", None), m),
            Some(RollStatus::Leaving)
        );
        assert_eq!(
            roll_status(&f("retired", "2026-07-01", None), m),
            Some(RollStatus::Payer)
        );
        assert_eq!(
            roll_status(&f("retired", "2020-01-01", None), m),
            Some(RollStatus::Retired)
        );
        assert_eq!(roll_status(&f("left", "2026-05-31", None), m), None);
        assert_eq!(
            roll_status(&f("transferred_out", "2026-06-01", None), m),
            Some(RollStatus::Leaving)
        );
        let mut nm = f("active", "2000-01-01", None);
        nm.union_member = false;
        assert_eq!(roll_status(&nm, m), None);
        let r = FundsRules::DEFAULT;
        assert!(
            RollStatus::Payer.pays(&r)
                && RollStatus::Joined.pays(&r)
                && RollStatus::Leaving.pays(&r)
        );
        assert!(!RollStatus::Retired.pays(&r));
        assert_eq!(
            month_bounds(d("2026-12-09")),
            (d("2026-12-01"), d("2026-12-31"))
        );
        assert_eq!(month_bounds(d("2028-02-09")).1, d("2028-02-29"));
    }

    #[test]
    fn a_rule_set_stored_before_the_roll_rules_reads_with_their_defaults() {
        let old = r#"{"dues_rate":{"num":1,"den":200},"dues_base_step_fen":1000,"dues_kept":{"num":1,"den":1},"union_fund_rate":{"num":1,"den":50},"union_fund_kept":{"num":3,"den":5}}"#;
        let r: FundsRules = serde_json::from_str(old).unwrap();
        assert_eq!(r, FundsRules::DEFAULT);
    }

    #[test]
    fn the_roll_levy_is_the_sum_of_member_dues_and_splits_exactly() {
        let r = FundsRules::DEFAULT;
        // ¥6,789.99 → ¥6,780 → ¥33.90; ¥5,005 → ¥5,000 → ¥25.00.
        let dues = r.member_dues(678_999) + r.member_dues(500_500);
        assert_eq!(dues, 5_890);
        let l = r.dues_levy_of_roll(dues);
        assert_eq!(l.kept_fen + l.remitted_fen, l.due_fen);
        assert_eq!(l.due_fen, 5_890);
    }

    #[test]
    fn payroll_rows_are_read_as_offices_type_them() {
        use PayrollColumn as C;
        assert_eq!(PayrollColumn::from_header(" 基本工资（元）"), Some(C::Base));
        assert_eq!(PayrollColumn::from_header("*身份证号"), Some(C::IdNumber));
        assert_eq!(PayrollColumn::from_header("Basic salary"), Some(C::Base));
        assert_eq!(PayrollColumn::from_header("备注"), None);
        let r = parse_payroll_row(&[
            (C::Name, "张  三"),
            (C::Base, "６，７８９．５"),
            (C::Month, "2026.06"),
        ])
        .unwrap();
        assert_eq!(r.name.as_deref(), Some("张三"));
        assert_eq!(r.base_fen, 678_950);
        assert_eq!(r.month, NaiveDate::from_ymd_opt(2026, 6, 1));
        let e = parse_payroll_row(&[(C::IdNumber, "110101199003070000"), (C::Base, "12.345")])
            .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["base", "id_number"]);
        let e = parse_payroll_row(&[(C::Base, "5000")]).unwrap_err();
        assert_eq!(e[0].key, t::PAYROLL_WHO_REQUIRED);
        let e = parse_payroll_row(&[(C::Name, "李四"), (C::Base, "")]).unwrap_err();
        assert_eq!(e[0].key, t::AMOUNT_REQUIRED);
    }

    #[test]
    fn the_defaults_pass_their_own_check() {
        assert!(FundsRules::DEFAULT.check().is_ok());
        let mut r = FundsRules::DEFAULT;
        r.union_fund_kept = Ratio::new(3, 2);
        assert!(r.check().is_err());
    }

    #[test]
    fn the_rules_form_reads_back_what_it_shows_and_refuses_at_each_field() {
        let (r, note) = parse_rules(&rules_input(&FundsRules::DEFAULT)).unwrap();
        assert_eq!(r, FundsRules::DEFAULT);
        assert_eq!(note, None);
        let mut m = rules_input(&FundsRules::DEFAULT);
        m.insert("union_fund_kept".into(), "５５%".into());
        m.insert("dues_base_step".into(), "１".into());
        m.insert("retirees_pay".into(), "on".into());
        let (r, _) = parse_rules(&m).unwrap();
        assert_eq!(r.union_fund_kept, Ratio::new(11, 20));
        assert_eq!(r.dues_base_step_fen, 100);
        assert!(r.retirees_pay);
        let mut bad = rules_input(&FundsRules::DEFAULT);
        bad.insert("dues_rate".into(), "0.5".into()); // 50 %: a rate above 10 %
        bad.insert("dues_kept".into(), "120%".into());
        bad.insert("dues_base_step".into(), "0".into());
        let e = parse_rules(&bad).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, ["dues_rate", "dues_kept", "dues_base_step"]);
    }

    #[test]
    fn a_lower_units_funds_rules_may_be_stricter_never_laxer() {
        let above = FundsRules::DEFAULT;
        let stricter = FundsRules {
            union_fund_kept: Ratio::new(1, 2),
            ..above
        };
        assert!(stricter.not_laxer_than(&above).is_ok());
        let laxer = FundsRules {
            union_fund_kept: Ratio::new(7, 10),
            dues_rate: Ratio::new(1, 400),
            ..above
        };
        let e = laxer.not_laxer_than(&above).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, ["dues_rate", "union_fund_kept"]);
        assert_eq!(e.0[1].key, text::RULE_LAXER);
    }
}
