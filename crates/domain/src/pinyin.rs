//! Pinyin keys of a person's name: the order Chinese offices expect in a list (丁 and 于 after
//! 陈, by pinyin, not by code point) and search by initials ("wsq" finds 王思琪).
//!
//! Owns: turning a name into its sort key and its initials. Must never do IO, and never be
//! used as a proof of identity: two names can share keys.

use pinyin::ToPinyin;

/// Surnames whose reading differs from the character's most common one (单 is Shàn as a
/// surname, not dān). Applied to the first character only, where a surname stands.
const SURNAMES: &[(char, &str)] = &[
    ('单', "shan"),
    ('解', "xie"),
    ('曾', "zeng"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('乐', "yue"),
    ('覃', "qin"),
    ('缪', "miao"),
    ('翟', "zhai"),
    ('召', "shao"),
    ('长', "chang"),
    ('重', "chong"),
    ('种', "chong"),
    ('秘', "bi"),
    ('柏', "bai"),
    ('句', "gou"),
];

/// The keys stored with a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameKeys {
    /// Toneless pinyin of every character, lower case, syllables separated by a space so that
    /// 丁一 (ding yi) sorts before 丁伊凡 (ding yi fan) and never interleaves with 定 (ding).
    /// Characters without pinyin (Latin letters, digits, ·) are kept, lower-cased.
    pub sort: String,
    /// The first letter of each syllable: 王思琪 → "wsq".
    pub initials: String,
}

/// The pinyin keys of a name.
pub fn name_keys(name: &str) -> NameKeys {
    let mut sort = String::new();
    let mut initials = String::new();
    let name = name.trim();
    for (i, (c, p)) in name.chars().zip(name.to_pinyin()).enumerate() {
        let surname = SURNAMES.iter().find(|(s, _)| i == 0 && *s == c);
        let syllable: Option<&str> = match (surname, p) {
            (Some((_, r)), _) => Some(r),
            (None, Some(p)) => Some(p.plain()),
            (None, None) => None,
        };
        if let Some(s) = syllable {
            if !sort.is_empty() {
                sort.push(' ');
            }
            sort.push_str(s);
            initials.extend(s.chars().next());
        } else if c.is_alphanumeric() {
            // Latin letters and digits (full-width ones folded) are kept as they are.
            let l: String = c.to_lowercase().collect();
            sort.push_str(&l);
            initials.push_str(&l);
        }
        // A middle dot or a space in a name (阿依古丽·买买提) separates nothing in the keys.
    }
    NameKeys { sort, initials }
}

/// A search typed in Latin letters only (pinyin or its initials), lower-cased; `None` for
/// anything else (Chinese characters, digits of an ID number or a phone).
pub fn latin_query(q: &str) -> Option<String> {
    let q = q.trim();
    (!q.is_empty() && q.len() <= 40 && q.chars().all(|c| c.is_ascii_alphabetic() || c == ' '))
        .then(|| q.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_pinyin_not_by_code_point() {
        let mut names = vec!["于洋", "丁伟", "陈静", "卢海波", "安然", "张三", "王思琪"];
        names.sort_by_key(|n| name_keys(n).sort);
        assert_eq!(
            names,
            ["安然", "陈静", "丁伟", "卢海波", "王思琪", "于洋", "张三"]
        );
    }

    #[test]
    fn initials_and_surname_readings() {
        assert_eq!(name_keys("王思琪").initials, "wsq");
        assert_eq!(name_keys("王思琪").sort, "wang si qi");
        assert_eq!(
            name_keys("单伟").sort,
            "shan wei",
            "单 as a surname is Shàn"
        );
        assert_eq!(name_keys("曾国藩").initials, "zgf");
        assert_eq!(name_keys("阿依古丽·买买提").initials, "ayglmmt");
        assert_eq!(name_keys(" 李 ").sort, "li");
    }

    #[test]
    fn a_shorter_name_sorts_before_a_longer_one_with_the_same_start() {
        assert!(name_keys("丁一").sort < name_keys("丁伊凡").sort);
        assert!(name_keys("丁一").sort < name_keys("定远").sort);
    }

    #[test]
    fn latin_queries() {
        assert_eq!(latin_query(" WSQ "), Some("wsq".into()));
        assert_eq!(latin_query("思琪"), None);
        assert_eq!(latin_query("1234"), None);
        assert_eq!(latin_query(""), None);
    }
}
