//! What school offices type into a roster, turned into the platform's values before parsing:
//! NFKC / full-width normalisation, the date forms of personnel forms (a day, or only a year
//! and a month), the vocabulary tables of coded columns with their synonyms (post, title,
//! education, political status, status, gender) and of ethnicities, and the plausibility
//! warnings of an imported member.
//!
//! It must never guess: a value no table names is left to a person (the import's mapping
//! questions), and a warning never changes a value except where it says so (the ID number's
//! birth date wins over a written one).

use crate::error::FieldError;
use crate::text as t;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Characters that take no room and mean nothing in a cell (copied from web pages and Word).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// NFKC (full-width digits, letters, punctuation and the ideographic space become their
/// half-width forms), invisible characters dropped, every kind of space made one ASCII space,
/// runs collapsed, ends trimmed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfkc() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// [`normalize`] without any space: for values where a space cannot belong (ID numbers,
/// phones, dates, coded values).
pub fn compact(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}' | '·')
}

/// A person's name: normalised, and the spaces offices put between the characters of a
/// two-character name ("张  三") removed; spaces between Latin words stay.
pub fn normalize_name(s: &str) -> String {
    let n = normalize(s);
    let chars: Vec<char> = n.chars().collect();
    let mut out = String::with_capacity(n.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' '
            && chars.get(i.wrapping_sub(1)).is_some_and(|p| is_cjk(*p))
            && chars.get(i + 1).is_some_and(|n| is_cjk(*n))
        {
            continue;
        }
        out.push(*c);
    }
    out
}

/// The form a coded value is compared in: compact and lower case.
pub fn key(s: &str) -> String {
    compact(s).to_lowercase()
}

/// How much of a date was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    #[default]
    Day,
    /// Only a year and a month (`2003.06`): stored as the 1st, shown as `2003-06`.
    Month,
}

impl DatePrecision {
    pub fn code(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "day" => Some(DatePrecision::Day),
            "month" => Some(DatePrecision::Month),
            _ => None,
        }
    }
}

/// A date as a roster gives it: a day, or a year and a month (kept on the 1st).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RosterDate {
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

impl RosterDate {
    pub fn day(date: NaiveDate) -> Self {
        RosterDate {
            date,
            precision: DatePrecision::Day,
        }
    }

    /// `2003-06-05`, or `2003-06` for a month: the precision the user wrote.
    pub fn display(&self) -> String {
        show_date(self.date, self.precision)
    }

    /// Whether a full date falls within what was written.
    pub fn covers(&self, d: NaiveDate) -> bool {
        match self.precision {
            DatePrecision::Day => self.date == d,
            DatePrecision::Month => self.date.year() == d.year() && self.date.month() == d.month(),
        }
    }
}

/// A stored date shown at its precision.
pub fn show_date(date: NaiveDate, precision: DatePrecision) -> String {
    match precision {
        DatePrecision::Day => date.format("%Y-%m-%d").to_string(),
        DatePrecision::Month => date.format("%Y-%m").to_string(),
    }
}

const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Parses a date the way Chinese rosters write it, as text or as the text of a number
/// cell: `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`, `20240305`, an Excel serial
/// (`45356`), and the month-only forms of personnel forms — `2003.06`, `2003.6`, `2003-06`,
/// `2003/06`, `2003年6月`, `200306`. A number cell holding 2003.06 is a year and a month,
/// never a serial. A date that does not exist (`1979年2月30日`) is named as such.
pub fn parse_roster_date(field: &'static str, input: &str) -> Result<RosterDate, FieldError> {
    let n = normalize(input);
    // A datetime as text ("2024-03-05 00:00:00", "2024-03-05T00:00:00"): keep the date.
    let n = match n.find([' ', 'T']) {
        Some(i) if n[i + 1..].contains(':') => n[..i].to_string(),
        _ => n,
    };
    let s: String = compact(&n).replace('。', ".");
    if s.is_empty() {
        return Err(FieldError::new(field, t::REQUIRED));
    }
    let bad = || FieldError::new(field, t::DATE_INVALID).arg("value", truncate(input.trim(), 40));
    let missing =
        || FieldError::new(field, t::DATE_NOT_EXIST).arg("value", truncate(input.trim(), 40));
    let ymd = |y: i32, m: u32, d: u32| -> Result<RosterDate, FieldError> {
        if !YEARS.contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(bad());
        }
        NaiveDate::from_ymd_opt(y, m, d)
            .map(RosterDate::day)
            .ok_or_else(missing)
    };
    let ym = |y: i32, m: u32| -> Result<RosterDate, FieldError> {
        if !YEARS.contains(&y) || !(1..=12).contains(&m) {
            return Err(bad());
        }
        NaiveDate::from_ymd_opt(y, m, 1)
            .map(|date| RosterDate {
                date,
                precision: DatePrecision::Month,
            })
            .ok_or_else(bad)
    };
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
        return match s.len() {
            8 => ymd(num(0..4) as i32, num(4..6), num(6..8)),
            6 => ym(num(0..4) as i32, num(4..6)),
            // A serial past 2100 is refused like the same day written out (found by the
            // fuzz target `id_and_dates`: `90712` gave 2148-05-10, which its own display
            // form could not give back).
            1..=5 => s
                .parse::<i64>()
                .ok()
                .and_then(crate::org::excel_serial_to_date)
                .filter(|d| YEARS.contains(&d.year()))
                .map(RosterDate::day)
                .ok_or_else(bad),
            _ => Err(bad()),
        };
    }
    // A number cell: `2003.06` / `2003.6` is a year and a month; `45356.0` a serial.
    if let Some((int, frac)) = s.split_once('.')
        && !frac.contains('.')
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        if int.len() == 4 && (1..=2).contains(&frac.len()) {
            return ym(int.parse().unwrap_or(0), frac.parse().unwrap_or(0));
        }
        if int.len() <= 5 {
            return int
                .parse::<i64>()
                .ok()
                .and_then(crate::org::excel_serial_to_date)
                .filter(|d| YEARS.contains(&d.year()))
                .map(RosterDate::day)
                .ok_or_else(bad);
        }
        return Err(bad());
    }
    let spaced: String = s
        .replace(['年', '月', '/', '.', '-'], "-")
        .replace(['日', '号'], "");
    let parts: Vec<&str> = spaced.split('-').filter(|p| !p.is_empty()).collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
        || parts.first().is_none_or(|y| y.len() != 4)
    {
        return Err(bad());
    }
    let nums: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    match *nums.as_slice() {
        [y, m] => ym(y as i32, m),
        [y, m, d] => ymd(y as i32, m, d),
        _ => Err(bad()),
    }
}

/// One coded value's synonyms, beyond the code and the aliases on the type itself.
pub struct Synonyms {
    /// `Coded::KIND` of the type.
    pub kind: &'static str,
    pub code: &'static str,
    pub names: &'static [&'static str],
}

macro_rules! vocab {
    ($($kind:literal: { $($code:literal => [$($n:literal),* $(,)?]),* $(,)? })*) => {
        &[$($(Synonyms { kind: $kind, code: $code, names: &[$($n),*] }),*),*]
    };
}

/// The names real rosters use, by kind and code. Post follows the staff categories of the
/// education statistics (专任教师, 行政人员, 教辅人员, 工勤人员, 校办企业职工, …); titles take
/// the teacher series' current names (正高级 … 三级) and the older ones (中学高级, 小学高级, …)
/// at the level they were converted to — that correspondence is *local* (as offices apply
/// it; the source has not been re-read here); political status follows the names of the
/// eight democratic parties and of the party and league.
pub const VOCABULARY: &[Synonyms] = vocab! {
    "gender": {
        "male" => ["男性", "男士", "male"],
        "female" => ["女性", "女士", "female"],
    }
    "post": {
        "teacher" => ["专任教师", "任课教师", "代课教师", "兼任教师", "教学人员", "专职教师", "班主任", "教师岗"],
        "leader" => ["School leader", "校领导", "校级领导", "学校领导", "校长", "副校长", "书记", "党支部书记", "管理人员", "管理岗", "中层干部"],
        "staff" => ["教辅职员", "教辅人员", "教辅", "行政人员", "行政", "职员", "教学辅助人员", "专业技术人员", "其他专业技术人员"],
        "worker" => ["工勤人员", "工勤", "工勤技能人员", "工勤岗", "后勤人员", "后勤"],
        "other" => ["校办企业职工", "其他附设机构人员", "其他人员"],
    }
    "title": {
        "senior" => ["正高级教师", "正高级", "正高", "教授", "研究员", "正高级讲师", "正高级工程师"],
        "associate_senior" => ["Associate senior", "高级教师", "高级", "副高级", "副高", "中学高级", "中学高级教师", "中高", "副教授", "高级讲师", "高级工程师", "副研究员"],
        "intermediate" => ["一级教师", "一级", "中级", "中学一级", "中学一级教师", "中一", "小学高级", "小学高级教师", "小高", "幼儿园高级", "幼儿园高级教师", "讲师", "工程师"],
        "junior" => ["二级教师", "二级", "三级教师", "三级", "初级", "中学二级", "中学二级教师", "中学三级", "中学三级教师", "小学一级", "小学一级教师", "小学二级", "小学二级教师", "小学三级", "小学三级教师", "小一", "中二", "助理讲师", "助理工程师", "员级", "助理级"],
        "unrated" => ["未评", "未定级", "无职称", "暂无", "未聘", "无"],
    }
    "education": {
        "doctorate" => ["博士", "博士研究生", "研究生(博士)", "博士学位"],
        "master" => ["Master's", "硕士", "硕士研究生", "研究生", "研究生(硕士)", "在职研究生", "硕士学位"],
        "bachelor" => ["Bachelor's", "本科", "大学本科", "大学", "学士", "全日制本科", "函授本科", "自考本科", "成人本科", "本科学历"],
        "associate" => ["大专", "大学专科", "专科", "高职", "函授大专", "自考大专", "成人大专", "电大"],
        "secondary" => ["Secondary or below", "中专", "中等专科", "中等专业学校", "中技", "技校", "职高", "高中", "初中", "小学", "中专及以下", "高中及以下", "初中及以下"],
    }
    "political-status": {
        "cpc_member" => ["CPC member", "中共党员", "中国共产党党员", "党员", "共产党员"],
        "cpc_probationary" => ["CPC probationary member", "中共预备党员", "中国共产党预备党员", "预备党员"],
        "cyl_member" => ["CYL member", "共青团员", "中国共产主义青年团团员", "团员"],
        "democratic_party" => ["Democratic party", "民主党派", "民革会员", "民革党员", "民盟盟员", "民建会员", "民进会员", "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟"],
        "non_partisan" => ["Non-partisan", "无党派人士", "无党派民主人士", "无党派"],
        "masses" => ["群众", "无", "None"],
    }
    "member-status": {
        "active" => ["在职", "在岗", "在编在岗", "正常"],
        "retired" => ["退休", "已退休", "离休", "离退休", "退休人员"],
        "transferred_out" => ["Transferred out", "调出", "转出", "调离"],
        "left" => ["离职", "辞职", "退会", "解聘"],
    }
};

/// The code a synonym names for a kind, if a table names it. `value` is compared as [`key`].
pub fn synonym(kind: &str, value: &str) -> Option<&'static str> {
    let k = key(value);
    VOCABULARY
        .iter()
        .filter(|s| s.kind == kind)
        .find(|s| s.names.iter().any(|n| key(n) == k))
        .map(|s| s.code)
}

/// The 56 ethnic groups as written on ID cards, in the order of GB 3304.
pub const ETHNICITIES: [&str; 56] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

/// Short names offices write, beyond the name without 族 ("汉" for 汉族).
const ETHNICITY_SYNONYMS: &[(&str, &str)] = &[
    ("蒙族", "蒙古族"),
    ("维族", "维吾尔族"),
    ("han", "汉族"),
    ("汉族人", "汉族"),
];

/// An ethnicity as written on ID cards, from its full name, its name without 族 or a usual
/// short name; `None` when no table names it.
pub fn parse_ethnicity(input: &str) -> Option<&'static str> {
    let k = key(input);
    if k.is_empty() {
        return None;
    }
    ETHNICITIES
        .iter()
        .copied()
        .find(|e| *e == k || e.strip_suffix('族') == Some(k.as_str()))
        .or_else(|| {
            ETHNICITY_SYNONYMS
                .iter()
                .find(|(s, _)| *s == k)
                .map(|(_, e)| *e)
        })
}

/// Youngest age at which joining the union looks plausible (*local*: the number of issue 13,
/// the age below which employment is forbidden).
pub const JOIN_AGE_MIN: u32 = 16;
/// A retiree younger than this looks odd (*local*: the number of issue 13).
pub const RETIREE_AGE_MIN: u32 = 50;

/// Import fields whose unknown values become mapping questions instead of row errors.
pub const MAPPABLE_FIELDS: [&str; 8] = [
    "gender",
    "post",
    "title",
    "ethnicity",
    "political_status",
    "education",
    "employment_type",
    "status",
];

fn codes<C: crate::org::Coded>() -> Vec<(String, String)> {
    C::all()
        .iter()
        .map(|c| (c.code().to_string(), c.label_key()))
        .collect()
}

/// The choices of a mappable field: `(code, catalogue key of its label)`; ethnicities are
/// their own label (an empty key).
pub fn choices(field: &str) -> Vec<(String, String)> {
    use crate::org::*;
    match field {
        "gender" => codes::<Gender>(),
        "post" => codes::<Post>(),
        "title" => codes::<ProfessionalTitle>(),
        "political_status" => codes::<PoliticalStatus>(),
        "education" => codes::<Education>(),
        "employment_type" => codes::<EmploymentType>(),
        "status" => codes::<MemberStatus>(),
        "ethnicity" => ETHNICITIES
            .iter()
            .map(|e| (e.to_string(), String::new()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The value an answer names for a field — its code, label alias or synonym (an ethnicity
/// by any of its names) — or `None` when it names none.
pub fn answer_code(field: &str, answer: &str) -> Option<String> {
    use crate::org::*;
    fn c<C: Coded>(s: &str) -> Option<String> {
        C::parse_loose(s).map(|v| v.code().to_string())
    }
    match field {
        "gender" => c::<Gender>(answer),
        "post" => c::<Post>(answer),
        "title" => c::<ProfessionalTitle>(answer),
        "political_status" => c::<PoliticalStatus>(answer),
        "education" => c::<Education>(answer),
        "employment_type" => c::<EmploymentType>(answer),
        "status" => c::<MemberStatus>(answer),
        "ethnicity" => parse_ethnicity(answer).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excel_serial_past_2100_is_refused_like_the_day_written_out() {
        // Found by the fuzz target `id_and_dates`: `90712` was 2148-05-10, whose own
        // display form `2148-05-10` is refused.
        for s in ["90712", "90712.0", "99999"] {
            assert!(parse_roster_date("d", s).is_err(), "{s}");
        }
        assert!(parse_roster_date("d", "2148-05-10").is_err());
        assert_eq!(
            parse_roster_date("d", "73050").unwrap().display(),
            "2099-12-31"
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn full_width_digits_letters_and_spaces_become_half_width() {
        assert_eq!(
            normalize("１３８　１２３４\u{200B}５６７８"),
            "138 12345678"
        );
        assert_eq!(
            compact(" ３３０１０２ １９８００１０１００１Ｘ "),
            "33010219800101001X"
        );
        assert_eq!(compact("ＡＢｃ－１"), "ABc-1");
        assert_eq!(normalize_name("张　 三"), "张三");
        assert_eq!(normalize_name(" Anna  Li "), "Anna Li");
        assert_eq!(key(" Ｔｅａｃｈｅｒ "), "teacher");
    }

    #[test]
    fn every_day_form_of_a_date_is_read_as_that_day() {
        for s in [
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "2024年03月05日",
            "２０２４年３月５日",
            "20240305",
            "45356",
            "45356.0",
            "2024-03-05 00:00:00",
            "2024 年 3 月 5 日",
        ] {
            assert_eq!(
                parse_roster_date("d", s).ok(),
                Some(RosterDate::day(d(2024, 3, 5))),
                "{s}"
            );
        }
    }

    #[test]
    fn month_only_forms_keep_their_precision_and_are_shown_as_a_month() {
        for s in [
            "2003.06",
            "2003.6",
            "2003-06",
            "2003/06",
            "2003年6月",
            "200306",
            "2003年06月",
        ] {
            let r = parse_roster_date("d", s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert_eq!(r.date, d(2003, 6, 1), "{s}");
            assert_eq!(r.precision, DatePrecision::Month, "{s}");
            assert_eq!(r.display(), "2003-06");
        }
    }

    #[test]
    fn an_impossible_date_is_said_not_to_exist() {
        let e = parse_roster_date("d", "1979年2月30日").unwrap_err();
        assert_eq!(e.key, t::DATE_NOT_EXIST);
        assert_eq!(e.args[0].1, "1979年2月30日");
        assert_eq!(
            parse_roster_date("d", "2023-02-29").unwrap_err().key,
            t::DATE_NOT_EXIST
        );
        for s in [
            "2003.13",
            "2024-13-01",
            "明年春天",
            "3/5",
            "1800-01",
            "12345678901",
        ] {
            assert_eq!(
                parse_roster_date("d", s).unwrap_err().key,
                t::DATE_INVALID,
                "{s}"
            );
        }
    }

    #[test]
    fn synonyms_of_real_rosters_name_a_code() {
        assert_eq!(synonym("post", "专任教师"), Some("teacher"));
        assert_eq!(synonym("post", "行政人员"), Some("staff"));
        assert_eq!(synonym("post", "教辅人员"), Some("staff"));
        assert_eq!(synonym("post", "工勤人员"), Some("worker"));
        assert_eq!(synonym("post", "校领导"), Some("leader"));
        assert_eq!(synonym("post", "校办企业职工"), Some("other"));
        assert_eq!(synonym("title", "中学高级"), Some("associate_senior"));
        assert_eq!(synonym("title", "小学高级教师"), Some("intermediate"));
        assert_eq!(synonym("title", "正高级"), Some("senior"));
        assert_eq!(synonym("title", "三级"), Some("junior"));
        assert_eq!(synonym("education", "大学本科"), Some("bachelor"));
        assert_eq!(synonym("education", "研究生（硕士）"), Some("master"));
        assert_eq!(
            synonym("political-status", "九三学社社员"),
            Some("democratic_party")
        );
        assert_eq!(
            synonym("political-status", "中国共产党党员"),
            Some("cpc_member")
        );
        assert_eq!(synonym("post", "宿管"), None);
    }

    #[test]
    fn no_synonym_names_two_codes_of_one_kind() {
        let mut seen = std::collections::HashMap::new();
        for s in VOCABULARY {
            for n in s.names {
                if let Some(other) = seen.insert((s.kind, key(n)), s.code) {
                    assert_eq!(other, s.code, "{} {n}", s.kind);
                }
            }
        }
    }

    #[test]
    fn an_answer_is_checked_against_the_fields_choices() {
        assert_eq!(answer_code("post", "worker").as_deref(), Some("worker"));
        assert_eq!(answer_code("post", "工勤人员").as_deref(), Some("worker"));
        assert_eq!(answer_code("post", "汉族"), None);
        assert_eq!(
            answer_code("ethnicity", "维族").as_deref(),
            Some("维吾尔族")
        );
        assert_eq!(answer_code("name", "x"), None);
        for f in MAPPABLE_FIELDS {
            assert!(!choices(f).is_empty(), "{f}");
        }
    }

    #[test]
    fn ethnicities_are_read_from_full_short_and_usual_names() {
        assert_eq!(parse_ethnicity("汉族"), Some("汉族"));
        assert_eq!(parse_ethnicity("汉"), Some("汉族"));
        assert_eq!(parse_ethnicity("蒙古"), Some("蒙古族"));
        assert_eq!(parse_ethnicity("维族"), Some("维吾尔族"));
        assert_eq!(parse_ethnicity(" 畲族 "), Some("畲族"));
        assert_eq!(parse_ethnicity("火星族"), None);
        assert_eq!(ETHNICITIES.len(), 56);
    }

    fn row(id: &str) -> crate::org::MemberInput {
        crate::org::MemberInput {
            name: "张　三".into(),
            id_number: id.into(),
            post: "专任教师".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        d(2026, 11, 25)
    }

    #[test]
    fn a_full_width_row_with_a_lower_case_check_character_is_read() {
        let mut r = row("１１０１０５ １９４９１２３１００２ｘ");
        r.phone = "１３８－１２３４－５６７８".into();
        r.ethnicity = "汉".into();
        r.join_date = "１９７０．０６".into();
        let p = r.parse_row(today());
        let m = p.draft.unwrap();
        assert_eq!(m.name, "张三");
        assert_eq!(m.id_number.as_str(), "11010519491231002X");
        assert_eq!(m.phone.unwrap().as_str(), "13812345678");
        assert_eq!(m.ethnicity.as_deref(), Some("汉族"));
        assert_eq!(m.join_date_precision, DatePrecision::Month);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn a_birth_date_against_the_id_number_gives_way_with_a_warning() {
        let mut r = row("11010519491231002X");
        r.birth_date = "1950-01-01".into();
        let p = r.parse_row(today());
        assert_eq!(p.draft.unwrap().birth_date, d(1949, 12, 31));
        assert_eq!(p.warnings[0].key, t::WARN_BIRTH_FROM_ID);
        // The month alone agrees: nothing to say.
        r.birth_date = "1949.12".into();
        assert!(r.parse_row(today()).warnings.is_empty());
    }

    #[test]
    fn joining_before_sixteen_and_a_young_retiree_are_warnings_not_errors() {
        let mut r = row("11010519491231002X");
        r.join_date = "1960-01-01".into();
        let p = r.parse_row(today());
        assert!(p.draft.is_ok());
        assert_eq!(p.warnings[0].key, t::WARN_JOIN_YOUNG);
        let young = {
            let body = "33010220000101001";
            format!("{body}{}", crate::org::IdNumber::check_char(body))
        };
        let mut r = row(&young);
        r.status = "退休".into();
        let p = r.parse_row(today());
        assert!(p.draft.is_ok());
        assert_eq!(p.warnings[0].key, t::WARN_RETIREE_YOUNG);
    }

    #[test]
    fn an_unknown_ethnicity_is_a_question_on_import_but_kept_on_the_form() {
        let mut r = row("11010519491231002X");
        r.ethnicity = "火星族".into();
        let e = r.parse_row(today()).draft.unwrap_err();
        assert_eq!(e.0[0].key, t::CHOICE_INVALID);
        assert_eq!(
            r.parse(today()).unwrap().ethnicity.as_deref(),
            Some("火星族")
        );
    }
}
