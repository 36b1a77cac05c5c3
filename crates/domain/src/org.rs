//! The organisation and its people: org unit kinds, members and the value types a person
//! types about them (ID number, phone, dates, coded choices), with their parsing rules.
//!
//! Parsing follows "parse, don't validate": a value of [`IdNumber`] or [`Phone`] is valid by
//! construction, and every failure is a [`FieldError`] with a catalogue key.

use crate::error::FieldError;
use crate::text as t;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A closed set of choices stored as its `code` (snake_case text with a CHECK in SQL) and
/// shown through the catalogue key `enum-<kind>-<code>`. `aliases` are what people write in
/// spreadsheets, in Chinese and English.
pub trait Coded: Sized + Copy + PartialEq + 'static {
    const KIND: &'static str;
    fn all() -> &'static [Self];
    fn code(self) -> &'static str;
    fn aliases(self) -> &'static [&'static str];

    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }

    /// Accepts the code, any alias or a synonym of the roster vocabulary
    /// ([`crate::roster::VOCABULARY`]), ignoring case, width and spaces.
    fn parse_loose(input: &str) -> Option<Self> {
        let lower = crate::roster::key(input);
        if lower.is_empty() {
            return None;
        }
        Self::all()
            .iter()
            .copied()
            .find(|v| v.code() == lower || v.aliases().iter().any(|a| a.to_lowercase() == lower))
            .or_else(|| crate::roster::synonym(Self::KIND, &lower).and_then(Self::from_code))
    }

    /// Catalogue key of the display label.
    fn label_key(self) -> String {
        format!("enum-{}-{}", Self::KIND, self.code().replace('_', "-"))
    }
}

use crate::kit::coded;

coded!(
    /// Level of a node in the org tree.
    OrgKind, "org-kind", {
    Union = "union" ["教育工会", "工会"],
    Area = "area" ["片", "片区", "片工委"],
    SchoolUnion = "school_union" ["基层工会", "学校工会", "学校"],
    Branch = "branch" ["分工会", "工会小组", "部门"],
});

impl OrgKind {
    /// The kind a child of this kind must have. Branches are leaves.
    pub fn child_kind(self) -> Option<OrgKind> {
        match self {
            OrgKind::Union => Some(OrgKind::Area),
            OrgKind::Area => Some(OrgKind::SchoolUnion),
            OrgKind::SchoolUnion => Some(OrgKind::Branch),
            OrgKind::Branch => None,
        }
    }
}

coded!(
    /// What a branch of a school is (issue 25): a functional department that answers
    /// proposals (职能处室: 总务处, 教务处), a teaching or grade group (教研组, 年级组), or a
    /// union branch (分工会, 工会小组). Rosters name all three "部门".
    BranchRole, "branch-role", {
    Department = "department" ["职能处室", "处室", "职能部门"],
    TeachingGroup = "teaching_group" ["教研组", "年级组", "学科组", "备课组"],
    UnionBranch = "union_branch" ["分工会", "工会小组"],
});

impl BranchRole {
    /// The likely role of a branch from its name, for branches an import creates (shown for
    /// confirmation) and those that existed before roles did: "…工会…" a union branch,
    /// "…处 / …室 / …办 / …中心 / …部" a department, anything else a teaching group.
    pub fn guess(name: &str) -> BranchRole {
        let n = name.trim();
        if n.contains("工会") {
            BranchRole::UnionBranch
        } else if ["处", "室", "办", "中心", "部", "科"]
            .iter()
            .any(|end| n.ends_with(end))
        {
            BranchRole::Department
        } else {
            BranchRole::TeachingGroup
        }
    }
}

coded!(UnionKind, "union-kind", {
    Province = "province" ["省", "省级"],
    City = "city" ["市", "市级"],
    District = "district" ["区", "区级"],
    County = "county" ["县", "县级"],
});

coded!(
    /// Public (公办) or private (民办) school.
    SchoolKind, "school-kind", {
    Public = "public" ["公办"],
    Private = "private" ["民办"],
});

coded!(SchoolLevel, "school-level", {
    Kindergarten = "kindergarten" ["幼儿园"],
    Primary = "primary" ["小学"],
    Middle = "middle" ["中学", "初中", "高中", "完全中学"],
    Vocational = "vocational" ["职业学校", "职高", "中职", "职业技术学校"],
    Special = "special" ["特殊教育", "特校"],
    Other = "other" ["其他", "直属单位"],
});

coded!(Gender, "gender", {
    Male = "male" ["男", "m"],
    Female = "female" ["女", "f"],
});

coded!(
    /// 岗位: what the member does at the school.
    Post, "post", {
    Teacher = "teacher" ["教师", "专任教师", "教学"],
    Leader = "leader" ["领导", "校领导", "学校领导", "中层", "中层干部", "管理"],
    Staff = "staff" ["职员", "教辅", "教辅人员", "行政"],
    Worker = "worker" ["工勤", "工勤人员", "后勤"],
    Other = "other" ["其他"],
});

coded!(MemberStatus, "member-status", {
    Active = "active" ["在职", "在岗"],
    Retired = "retired" ["退休", "离退休", "离休"],
    TransferredOut = "transferred_out" ["调出", "转出"],
    Left = "left" ["离职", "退会"],
});

impl MemberStatus {
    /// Retirees stay members; the others who are gone keep their record only as history.
    pub fn is_member(self) -> bool {
        matches!(self, MemberStatus::Active | MemberStatus::Retired)
    }
}

coded!(PoliticalStatus, "political-status", {
    CpcMember = "cpc_member" ["中共党员", "党员"],
    CpcProbationary = "cpc_probationary" ["中共预备党员", "预备党员"],
    CylMember = "cyl_member" ["共青团员", "团员"],
    DemocraticParty = "democratic_party" ["民主党派", "民主党派成员"],
    NonPartisan = "non_partisan" ["无党派人士", "无党派"],
    Masses = "masses" ["群众"],
});

coded!(Education, "education", {
    Doctorate = "doctorate" ["博士", "博士研究生"],
    Master = "master" ["硕士", "硕士研究生", "研究生"],
    Bachelor = "bachelor" ["本科", "大学本科", "大学"],
    Associate = "associate" ["大专", "专科", "大学专科"],
    Secondary = "secondary" ["中专", "高中", "中专及以下", "高中及以下"],
    Other = "other" ["其他"],
});

coded!(
    /// 用工性质.
    EmploymentType, "employment-type", {
    Established = "established" ["在编", "编制内", "事业编制", "正式在编"],
    Contract = "contract" ["合同制", "合同", "聘用", "聘用制", "合同工"],
    Agency = "agency" ["派遣", "劳务派遣", "派遣制"],
    Temporary = "temporary" ["临聘", "临时", "代课", "临时聘用"],
    Rehired = "rehired" ["返聘", "退休返聘"],
});

coded!(
    /// 职称 band; teachers' and other series' titles map onto the same five levels.
    ProfessionalTitle, "title", {
    Senior = "senior" ["正高级", "正高", "正高级教师"],
    AssociateSenior = "associate_senior" ["副高级", "副高", "高级", "高级教师"],
    Intermediate = "intermediate" ["中级", "一级", "一级教师"],
    Junior = "junior" ["初级", "二级", "二级教师", "三级", "三级教师"],
    Unrated = "unrated" ["未评", "无", "未定级"],
});

coded!(
    /// 工会干部 position in a union committee.
    CadrePosition, "cadre-position", {
    Chair = "chair" ["主席", "工会主席"],
    ViceChair = "vice_chair" ["副主席", "工会副主席"],
    CommitteeMember = "committee_member" ["委员", "工会委员"],
    WomenCommitteeChair = "women_committee_chair" ["女工委主任", "女职工委员会主任"],
    AuditCommitteeChair = "audit_committee_chair" ["经审会主任", "经费审查委员会主任"],
    GroupLeader = "group_leader" ["工会小组长", "小组长"],
});

/// Age bands used by filters and dashboards. Bounds are inclusive lower, exclusive upper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under30,
    From30To39,
    From40To49,
    From50To59,
    From60,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under30,
        AgeBand::From30To39,
        AgeBand::From40To49,
        AgeBand::From50To59,
        AgeBand::From60,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under30 => "under30",
            AgeBand::From30To39 => "30_39",
            AgeBand::From40To49 => "40_49",
            AgeBand::From50To59 => "50_59",
            AgeBand::From60 => "60plus",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == s)
    }

    pub fn label_key(self) -> String {
        format!("enum-age-band-{}", self.code().replace('_', "-"))
    }

    /// Ages (in whole years) covered: `[min, max)`; `None` = unbounded.
    fn ages(self) -> (u32, Option<u32>) {
        match self {
            AgeBand::Under30 => (0, Some(30)),
            AgeBand::From30To39 => (30, Some(40)),
            AgeBand::From40To49 => (40, Some(50)),
            AgeBand::From50To59 => (50, Some(60)),
            AgeBand::From60 => (60, None),
        }
    }

    /// Birth dates of the people in this band on `today`, as `(born_after, born_on_or_before)`:
    /// someone is at least `min` years old when born on or before `today - min years`.
    pub fn birth_range(self, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let (min, max) = self.ages();
        let latest = years_before(today, min);
        let earliest_exclusive = max.and_then(|m| years_before(today, m));
        (earliest_exclusive, latest)
    }

    pub fn of_age(age: u32) -> AgeBand {
        Self::ALL
            .into_iter()
            .find(|b| {
                let (lo, hi) = b.ages();
                age >= lo && hi.is_none_or(|h| age < h)
            })
            .unwrap_or(AgeBand::From60)
    }
}

/// The same day `years` earlier; 29 February falls back to the 28th in a common year.
pub fn years_before(d: NaiveDate, years: u32) -> Option<NaiveDate> {
    d.with_year(d.year() - years as i32)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() - years as i32, d.month(), 28))
}

/// Age in whole years on `today`.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// A resident ID number (公民身份号码) per GB 11643-1999: 17 digits and a check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

// Debug must not print the number: it would end up in logs.
impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", crate::privacy::mask_id_number(&self.0))
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes (GB/T 2260) that start a valid number; 71/81/82/83 are the
/// Taiwan, Hong Kong and Macao residence permits.
const ID_PROVINCES: [u32; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

impl IdNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        const F: &str = "id_number";
        let s: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(FieldError::new(F, t::REQUIRED));
        }
        if s.chars().count() != 18 {
            return Err(FieldError::new(F, t::ID_LENGTH).arg("len", s.chars().count()));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(FieldError::new(F, t::ID_CHARS));
        }
        let province = u32::from(bytes[0] - b'0') * 10 + u32::from(bytes[1] - b'0');
        if !ID_PROVINCES.contains(&province) {
            return Err(FieldError::new(F, t::ID_REGION));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .ok()
            .filter(|d| d.year() >= 1900)
            .ok_or_else(|| FieldError::new(F, t::ID_BIRTH))?;
        let _ = birth;
        let expected = Self::check_char(&s[..17]);
        if char::from(bytes[17]) != expected {
            return Err(FieldError::new(F, t::ID_CHECK_DIGIT));
        }
        Ok(IdNumber(s))
    }

    /// The check character for the first 17 digits. `body` must be 17 ASCII digits.
    pub fn check_char(body: &str) -> char {
        let sum: u32 = body
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
            .sum();
        ID_CHECK[(sum % 11) as usize]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    /// The 17th digit is odd for men and even for women.
    pub fn gender(&self) -> Gender {
        let d = self.0.as_bytes()[16].wrapping_sub(b'0');
        if d % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The last four characters, the part a person types to find someone.
    pub fn tail(&self) -> &str {
        &self.0[14..]
    }
}

/// A mainland mobile number, normalised to 11 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", crate::privacy::mask_phone(&self.0))
    }
}

impl Phone {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let mut digits: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{3000}'))
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_string();
        } else if digits.len() == 13 && digits.starts_with("86") {
            digits = digits[2..].to_string();
        }
        let b = digits.as_bytes();
        if b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Phone(digits))
        } else {
            Err(FieldError::new("phone", t::PHONE_INVALID))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn tail(&self) -> &str {
        &self.0[7..]
    }
}

/// Parses a day the way people write it in Chinese spreadsheets: `2024-03-05`, `2024/3/5`,
/// `2024.3.5`, `2024年3月5日`, `20240305`, or an Excel serial number (`45356`). A year and
/// a month alone is not a day here (see [`crate::roster::parse_roster_date`] for the fields
/// that take one).
pub fn parse_date(field: &'static str, input: &str) -> Result<NaiveDate, FieldError> {
    let r = crate::roster::parse_roster_date(field, input)?;
    match r.precision {
        crate::roster::DatePrecision::Day => Ok(r.date),
        crate::roster::DatePrecision::Month => {
            Err(FieldError::new(field, t::DATE_INVALID).arg("value", truncate(input.trim(), 40)))
        }
    }
}

/// Excel's 1900 date system (with its fictitious 1900-02-29): serial 1 = 1900-01-01.
pub fn excel_serial_to_date(serial: i64) -> Option<NaiveDate> {
    if !(1..=2_958_465).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = if serial < 60 { serial + 1 } else { serial };
    base.checked_add_signed(chrono::Duration::days(days))
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Trims a required text field and checks its length (in characters).
pub fn required_text(field: &'static str, input: &str, max: usize) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, t::REQUIRED));
    }
    optional_text(field, s, max).map(|o| o.unwrap_or_default())
}

/// Trims an optional text field; empty becomes `None`.
pub fn optional_text(
    field: &'static str,
    input: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(FieldError::new(field, t::TOO_LONG).arg("max", max));
    }
    Ok(Some(s.to_string()))
}

/// Parses a coded choice from its code or a spreadsheet alias.
pub fn parse_choice<C: Coded>(field: &'static str, input: &str) -> Result<C, FieldError> {
    if input.trim().is_empty() {
        return Err(FieldError::new(field, t::REQUIRED));
    }
    C::parse_loose(input).ok_or_else(|| {
        FieldError::new(field, t::CHOICE_INVALID).arg("value", truncate(input.trim(), 40))
    })
}

pub fn parse_optional_choice<C: Coded>(
    field: &'static str,
    input: &str,
) -> Result<Option<C>, FieldError> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        parse_choice(field, input).map(Some)
    }
}

/// Everything a member record holds that a person types, parsed. The school union and
/// branch are resolved by the caller (they need the database).
#[derive(Clone, Debug, PartialEq)]
pub struct MemberDraft {
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_number: IdNumber,
    pub phone: Option<Phone>,
    pub post: Post,
    pub title: Option<ProfessionalTitle>,
    pub ethnicity: Option<String>,
    pub political_status: Option<PoliticalStatus>,
    pub education: Option<Education>,
    pub employment_type: Option<EmploymentType>,
    pub join_date: Option<NaiveDate>,
    /// Whether the join date is a day or only a year and a month (`2003.06`).
    pub join_date_precision: crate::roster::DatePrecision,
    pub status: MemberStatus,
}

/// An import row read: the member or every error of the row, and the warnings (legal but
/// odd values), which never stop a row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowParse {
    pub draft: Result<MemberDraft, crate::FieldErrors>,
    pub warnings: Vec<FieldError>,
}

/// The raw text of a member form or import row, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub id_number: String,
    pub phone: String,
    pub post: String,
    pub title: String,
    pub ethnicity: String,
    pub political_status: String,
    pub education: String,
    pub employment_type: String,
    pub join_date: String,
    pub status: String,
}

pub const NAME_MAX: usize = 40;

/// Suggestions for the ethnicity field (stored as written, in Chinese as on ID cards).
pub const COMMON_ETHNICITIES: &[&str] = &[
    "汉族",
    "回族",
    "满族",
    "壮族",
    "畲族",
    "土家族",
    "苗族",
    "蒙古族",
    "藏族",
    "维吾尔族",
    "彝族",
    "侗族",
    "瑶族",
    "白族",
];

impl MemberInput {
    /// Every field normalised (NFKC, full-width to half-width, spaces): names lose the
    /// padding between characters, ID numbers, phones and dates every space, `x` check
    /// characters are upper-cased by [`IdNumber::parse`].
    pub fn normalized(&self) -> MemberInput {
        use crate::roster::{compact, normalize, normalize_name};
        MemberInput {
            name: normalize_name(&self.name),
            gender: normalize(&self.gender),
            birth_date: normalize(&self.birth_date),
            id_number: compact(&self.id_number),
            phone: compact(&self.phone),
            post: normalize(&self.post),
            title: normalize(&self.title),
            ethnicity: normalize(&self.ethnicity),
            political_status: normalize(&self.political_status),
            education: normalize(&self.education),
            employment_type: normalize(&self.employment_type),
            join_date: normalize(&self.join_date),
            status: normalize(&self.status),
        }
    }

    /// Parses every field of the member form and reports every error, not only the first.
    /// Gender and birth date may be left empty: they are then read from the ID number; when
    /// given, they must agree with it.
    pub fn parse(&self, today: NaiveDate) -> Result<MemberDraft, crate::FieldErrors> {
        self.parse_as(today, false).draft
    }

    /// Parses a roster row: like [`MemberInput::parse`], but a written birth date that
    /// disagrees with the ID number gives way to the ID number with a warning, an ethnicity
    /// must be one of [`crate::roster::ETHNICITIES`] (or a usual short name), and odd but
    /// legal values are warned about.
    pub fn parse_row(&self, today: NaiveDate) -> RowParse {
        self.parse_as(today, true)
    }

    fn parse_as(&self, today: NaiveDate, roster: bool) -> RowParse {
        use crate::roster::{DatePrecision, parse_roster_date};
        let input = self.normalized();
        let mut warnings = Vec::new();
        let mut errs = crate::FieldErrors::default();
        let name = errs.take(required_text("name", &input.name, NAME_MAX));
        let id_number = errs.take(IdNumber::parse(&input.id_number));
        let gender = if input.gender.is_empty() {
            id_number.as_ref().map(IdNumber::gender)
        } else {
            errs.take(parse_choice::<Gender>("gender", &input.gender))
        };
        let id_birth = id_number.as_ref().and_then(IdNumber::birth_date);
        let birth_date = if input.birth_date.is_empty() {
            id_birth
        } else if roster {
            match parse_roster_date("birth_date", &input.birth_date) {
                Err(e) => {
                    errs.push(e);
                    None
                }
                Ok(w) if w.date > today => {
                    errs.push(FieldError::new("birth_date", t::DATE_FUTURE));
                    None
                }
                Ok(w) => match id_birth {
                    // The ID number wins, and the row says so.
                    Some(b) if !w.covers(b) => {
                        warnings.push(
                            FieldError::new("birth_date", t::WARN_BIRTH_FROM_ID)
                                .arg("value", w.display())
                                .arg("id_date", b.format("%Y-%m-%d")),
                        );
                        Some(b)
                    }
                    Some(b) => Some(b),
                    None => Some(w.date),
                },
            }
        } else {
            errs.take(parse_date("birth_date", &input.birth_date).and_then(|d| {
                if d > today {
                    Err(FieldError::new("birth_date", t::DATE_FUTURE))
                } else {
                    Ok(d)
                }
            }))
        };
        if let (Some(id), Some(g)) = (&id_number, gender)
            && !input.gender.is_empty()
            && id.gender() != g
        {
            errs.push(FieldError::new("gender", t::ID_GENDER_MISMATCH));
        }
        if !roster
            && let (Some(id), Some(b)) = (&id_number, birth_date)
            && !input.birth_date.is_empty()
            && id.birth_date() != Some(b)
        {
            errs.push(FieldError::new("birth_date", t::ID_BIRTH_MISMATCH));
        }
        let phone = if input.phone.is_empty() {
            Some(None)
        } else {
            errs.take(Phone::parse(&input.phone).map(Some))
        };
        let post = errs.take(parse_choice::<Post>("post", &input.post));
        let title = errs.take(parse_optional_choice::<ProfessionalTitle>(
            "title",
            &input.title,
        ));
        let ethnicity = if input.ethnicity.is_empty() {
            Some(None)
        } else {
            match crate::roster::parse_ethnicity(&input.ethnicity) {
                Some(e) => Some(Some(e.to_string())),
                None if roster => {
                    errs.push(
                        FieldError::new("ethnicity", t::CHOICE_INVALID)
                            .arg("value", truncate(&input.ethnicity, 40)),
                    );
                    None
                }
                None => errs.take(optional_text("ethnicity", &input.ethnicity, 20)),
            }
        };
        let political_status = errs.take(parse_optional_choice::<PoliticalStatus>(
            "political_status",
            &input.political_status,
        ));
        let education = errs.take(parse_optional_choice::<Education>(
            "education",
            &input.education,
        ));
        let employment_type = errs.take(parse_optional_choice::<EmploymentType>(
            "employment_type",
            &input.employment_type,
        ));
        let join_date = if input.join_date.is_empty() {
            Some(None)
        } else {
            errs.take(
                parse_roster_date("join_date", &input.join_date).and_then(|d| {
                    if d.date > today {
                        Err(FieldError::new("join_date", t::DATE_FUTURE))
                    } else {
                        Ok(Some(d))
                    }
                }),
            )
        };
        if let (Some(Some(j)), Some(b)) = (join_date, birth_date) {
            let before = match j.precision {
                DatePrecision::Day => j.date < b,
                DatePrecision::Month => (j.date.year(), j.date.month()) < (b.year(), b.month()),
            };
            if before {
                errs.push(FieldError::new("join_date", t::JOIN_BEFORE_BIRTH));
            } else if roster && age_on(b, j.date) < crate::roster::JOIN_AGE_MIN {
                warnings.push(
                    FieldError::new("join_date", t::WARN_JOIN_YOUNG)
                        .arg("age", age_on(b, j.date))
                        .arg("min", crate::roster::JOIN_AGE_MIN),
                );
            }
        }
        let status = if input.status.is_empty() {
            Some(MemberStatus::Active)
        } else {
            errs.take(parse_choice::<MemberStatus>("status", &input.status))
        };
        if roster
            && let (Some(MemberStatus::Retired), Some(b)) = (status, birth_date)
            && age_on(b, today) < crate::roster::RETIREE_AGE_MIN
        {
            warnings.push(
                FieldError::new("status", t::WARN_RETIREE_YOUNG)
                    .arg("age", age_on(b, today))
                    .arg("min", crate::roster::RETIREE_AGE_MIN),
            );
        }
        let draft = match (
            name,
            id_number,
            gender,
            birth_date,
            phone,
            post,
            title,
            ethnicity,
            political_status,
            education,
            employment_type,
            join_date,
            status,
        ) {
            (
                Some(name),
                Some(id_number),
                Some(gender),
                Some(birth_date),
                Some(phone),
                Some(post),
                Some(title),
                Some(ethnicity),
                Some(political_status),
                Some(education),
                Some(employment_type),
                Some(join_date),
                Some(status),
            ) if errs.is_empty() => Ok(MemberDraft {
                name,
                gender,
                birth_date,
                id_number,
                phone,
                post,
                title,
                ethnicity,
                political_status,
                education,
                employment_type,
                join_date: join_date.map(|j| j.date),
                join_date_precision: join_date.map(|j| j.precision).unwrap_or_default(),
                status,
            }),
            _ => Err(errs),
        };
        RowParse { draft, warnings }
    }
}

/// A school's code as used in imports and URLs: letters, digits, `-` and `_`.
pub fn parse_org_code(field: &'static str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, t::REQUIRED));
    }
    if s.len() > 32
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(FieldError::new(field, t::CODE_INVALID));
    }
    Ok(s.to_string())
}

/// The organisation and its people.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "org",
    enums: &[
        crate::area::CodedEnum::of::<OrgKind>(),
        crate::area::CodedEnum::of::<BranchRole>(),
        crate::area::CodedEnum::of::<UnionKind>(),
        crate::area::CodedEnum::of::<SchoolKind>(),
        crate::area::CodedEnum::of::<SchoolLevel>(),
        crate::area::CodedEnum::of::<Gender>(),
        crate::area::CodedEnum::of::<Post>(),
        crate::area::CodedEnum::of::<MemberStatus>(),
        crate::area::CodedEnum::of::<PoliticalStatus>(),
        crate::area::CodedEnum::of::<Education>(),
        crate::area::CodedEnum::of::<EmploymentType>(),
        crate::area::CodedEnum::of::<ProfessionalTitle>(),
        crate::area::CodedEnum::of::<CadrePosition>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    /// Builds a valid number from a 17-digit body.
    fn with_check(body: &str) -> String {
        format!("{body}{}", IdNumber::check_char(body))
    }

    #[test]
    fn the_standard_example_id_number_is_valid() {
        // The worked example of GB 11643-1999.
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn a_wrong_check_digit_is_named() {
        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(e.key, t::ID_CHECK_DIGIT);
    }

    #[test]
    fn length_characters_region_and_birth_date_are_checked() {
        assert_eq!(IdNumber::parse("1101051949").unwrap_err().key, t::ID_LENGTH);
        assert_eq!(
            IdNumber::parse("11010519491231A02X").unwrap_err().key,
            t::ID_CHARS
        );
        assert_eq!(
            IdNumber::parse(&with_check("99010519491231002"))
                .unwrap_err()
                .key,
            t::ID_REGION
        );
        assert_eq!(
            IdNumber::parse(&with_check("11010519491331002"))
                .unwrap_err()
                .key,
            t::ID_BIRTH
        );
        assert_eq!(IdNumber::parse("").unwrap_err().key, t::REQUIRED);
    }

    #[test]
    fn gender_birth_date_and_tail_come_from_the_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(id.tail(), "002X");
        let male = IdNumber::parse(&with_check("33010219800101001")).unwrap();
        assert_eq!(male.gender(), Gender::Male);
    }

    #[test]
    fn debug_output_masks_the_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn phones_are_normalised_and_checked() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(Phone::parse("13812345678").unwrap().tail(), "5678");
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert!(Phone::parse("abc").is_err());
    }

    #[test]
    fn dates_in_every_usual_spelling_are_accepted() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5);
        for s in [
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "20240305",
            "45356",
            "2024-03-05 00:00:00",
            "45356.0",
        ] {
            assert_eq!(parse_date("d", s).ok(), d, "{s}");
        }
    }

    #[test]
    fn nonsense_dates_are_rejected() {
        // A day that does not exist is said so (issue 13), not "write it as …".
        assert_eq!(
            parse_date("d", "2024-02-30").unwrap_err().key,
            t::DATE_NOT_EXIST
        );
        for s in [
            "2024-13-01",
            "2024-03",
            "yesterday",
            "3/5",
            "0",
            "12345678901",
            "1800-01-01",
        ] {
            assert_eq!(parse_date("d", s).unwrap_err().key, t::DATE_INVALID, "{s}");
        }
        assert_eq!(parse_date("d", " ").unwrap_err().key, t::REQUIRED);
    }

    #[test]
    fn excel_serials_follow_the_1900_system() {
        assert_eq!(excel_serial_to_date(1), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(
            excel_serial_to_date(61),
            NaiveDate::from_ymd_opt(1900, 3, 1)
        );
        assert_eq!(
            excel_serial_to_date(45356),
            NaiveDate::from_ymd_opt(2024, 3, 5)
        );
    }

    #[test]
    fn choices_accept_codes_and_chinese_labels() {
        assert_eq!(Post::parse_loose("教师"), Some(Post::Teacher));
        assert_eq!(Post::parse_loose("teacher"), Some(Post::Teacher));
        assert_eq!(Post::parse_loose("Teacher "), Some(Post::Teacher));
        assert_eq!(
            MemberStatus::parse_loose("退休"),
            Some(MemberStatus::Retired)
        );
        assert_eq!(Post::parse_loose("宇航员"), None);
        assert_eq!(Post::Teacher.label_key(), "enum-post-teacher");
        assert_eq!(
            MemberStatus::TransferredOut.label_key(),
            "enum-member-status-transferred-out"
        );
    }

    fn input() -> MemberInput {
        MemberInput {
            name: "张伟".into(),
            id_number: with_check("33010219800101001"),
            post: "教师".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_member_takes_gender_and_birth_date_from_the_id_number() {
        let d = input().parse(today()).unwrap();
        assert_eq!(d.gender, Gender::Male);
        assert_eq!(d.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        assert_eq!(d.status, MemberStatus::Active);
    }

    #[test]
    fn every_bad_field_of_a_member_is_reported() {
        let mut i = input();
        i.name = " ".into();
        i.gender = "女".into();
        i.phone = "123".into();
        i.join_date = "2099-01-01".into();
        i.post = "宇航员".into();
        let errs = i.parse(today()).unwrap_err();
        let fields: Vec<_> = errs.0.iter().map(|e| (e.field, e.key)).collect();
        assert_eq!(
            fields,
            vec![
                ("name", t::REQUIRED),
                ("gender", t::ID_GENDER_MISMATCH),
                ("phone", t::PHONE_INVALID),
                ("post", t::CHOICE_INVALID),
                ("join_date", t::DATE_FUTURE),
            ]
        );
    }

    #[test]
    fn age_bands_cover_birth_dates_exactly() {
        let today = today();
        let (after, on_or_before) = AgeBand::From30To39.birth_range(today);
        assert_eq!(on_or_before, NaiveDate::from_ymd_opt(1996, 11, 25));
        assert_eq!(after, NaiveDate::from_ymd_opt(1986, 11, 25));
        assert_eq!(
            age_on(NaiveDate::from_ymd_opt(1996, 11, 25).unwrap(), today),
            30
        );
        assert_eq!(
            age_on(NaiveDate::from_ymd_opt(1996, 11, 26).unwrap(), today),
            29
        );
        assert_eq!(AgeBand::of_age(29), AgeBand::Under30);
        assert_eq!(AgeBand::of_age(65), AgeBand::From60);
    }

    #[test]
    fn org_codes_are_plain_ascii() {
        assert!(parse_org_code("c", "SCH-01").is_ok());
        assert_eq!(
            parse_org_code("c", "学校").unwrap_err().key,
            t::CODE_INVALID
        );
    }
}

#[cfg(test)]
mod branch_role_tests {
    use super::BranchRole;

    #[test]
    fn a_branchs_role_is_guessed_from_the_words_offices_use() {
        for (name, role) in [
            ("总务处", BranchRole::Department),
            ("校长办公室", BranchRole::Department),
            ("教师发展中心", BranchRole::Department),
            ("语文组", BranchRole::TeachingGroup),
            ("初二年级组", BranchRole::TeachingGroup),
            ("第一分工会", BranchRole::UnionBranch),
            ("后勤工会小组", BranchRole::UnionBranch),
        ] {
            assert_eq!(BranchRole::guess(name), role, "{name}");
        }
    }
}
