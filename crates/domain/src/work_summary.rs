//! The year summary (工作总结) as the domain sees it: the figures a draft was made from
//! (a snapshot, so the draft keeps saying what it said when the records change later) and
//! the number styles a summary is written in — Chinese (56份, 1.03万元, 87.5%) and English.
//!
//! Sentence patterns are not here: they live in the catalogues (`summary-…` keys). This
//! module does no IO.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::kit::id_types!(SummaryId);

/// The figures a draft was made from: each figure's total over the unit's schools, and the
/// rule-set versions in force.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub values: BTreeMap<String, i64>,
    /// The schools whose figures were added up.
    pub schools: i64,
    /// The prizes the unit's schools won in the year's published contests (the honours
    /// list); empty in drafts made before the list existed.
    #[serde(default)]
    pub honours: Vec<Honour>,
}

/// One prize of the honours list: which contest, which tier, who won it for which school.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Honour {
    /// The contest, whose published results list the prize.
    pub contest_id: i64,
    pub contest: String,
    /// The prize tier's code (`first`, `second`, `third`, `merit`).
    pub tier: String,
    /// The entrants as submitted.
    pub winner: String,
    pub school: String,
}

/// Money in fen the way Chinese reports write it: `1.03万元` from ten thousand yuan up
/// (two decimals at most, trailing zeros dropped), `850元` below.
pub fn zh_money(fen: i64) -> String {
    let yuan = fen / 100;
    if yuan.abs() >= 10_000 {
        // Hundredths of 万元, rounded half up.
        let h = (fen.abs() + 5_000) / 10_000;
        let sign = if fen < 0 { "-" } else { "" };
        let (int, frac) = (h / 100, h % 100);
        let frac = match frac {
            0 => String::new(),
            f if f % 10 == 0 => format!(".{}", f / 10),
            f => format!(".{f:02}"),
        };
        format!("{sign}{int}{frac}万元")
    } else if fen % 100 == 0 {
        format!("{yuan}元")
    } else {
        format!("{}.{:02}元", yuan, (fen % 100).abs())
    }
}

/// Money in fen for English: `¥10,300` (`¥10,300.50` with fen).
pub fn en_money(fen: i64) -> String {
    let yuan = fen.abs() / 100;
    let digits = yuan.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if fen < 0 { "-" } else { "" };
    if fen % 100 == 0 {
        format!("{sign}¥{grouped}")
    } else {
        format!("{sign}¥{grouped}.{:02}", (fen % 100).abs())
    }
}

/// A ratio in per mille as a percentage: `875` → `87.5%`, `1000` → `100%`.
pub fn percent(permille: i64) -> String {
    if permille % 10 == 0 {
        format!("{}%", permille / 10)
    } else {
        format!("{}.{}%", permille / 10, (permille % 10).abs())
    }
}

/// A share in Chinese fraction words where one fits (三分之二, 二分之一, 四分之三),
/// otherwise the percentage.
pub fn zh_share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".into();
    }
    if part == whole {
        return "全部".into();
    }
    for (n, d, w) in [
        (1, 2, "二分之一"),
        (1, 3, "三分之一"),
        (2, 3, "三分之二"),
        (1, 4, "四分之一"),
        (3, 4, "四分之三"),
    ] {
        if part * d == whole * n {
            return w.into();
        }
    }
    percent(part * 1000 / whole)
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "work_summary",
    enums: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_chinese_reports_write_it() {
        assert_eq!(zh_money(1_030_000), "1.03万元");
        assert_eq!(zh_money(1_000_000), "1万元");
        assert_eq!(zh_money(1_500_000), "1.5万元");
        assert_eq!(zh_money(85_000), "850元");
        assert_eq!(zh_money(85_050), "850.50元");
        assert_eq!(en_money(1_030_000), "¥10,300");
        assert_eq!(en_money(123_456_789), "¥1,234,567.89");
    }

    #[test]
    fn shares_use_fraction_words_where_one_fits() {
        assert_eq!(zh_share(2, 3), "三分之二");
        assert_eq!(zh_share(22, 22), "全部");
        assert_eq!(zh_share(7, 8), "87.5%");
        assert_eq!(percent(875), "87.5%");
    }
}
