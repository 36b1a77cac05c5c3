//! The two languages of the UI. Every visible string comes from the Fluent catalogues in
//! `locales/{zh-CN,en}/`; handlers and templates hold keys only. The language is chosen by
//! the account's setting, then the `lang` cookie, then `Accept-Language`, then zh-CN.

use chrono::NaiveDate;
use domain::FieldError;
use domain::org::Coded;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Unicode isolation marks would leak into exports and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        match s.trim() {
            "zh-CN" | "zh" | "zh-cn" | "zh-Hans" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks from an `Accept-Language` header by quality.
    pub fn negotiate(accept: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|b| b.1)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// Translator for one request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The message for `key`; the key itself when missing (a test keeps that from shipping).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key`, or `None` when the catalogue has none (labels that fall back to
    /// a code, such as an audit record's field names).
    pub fn maybe(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.lang.id(), key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), number_or_string(v)))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    pub fn t1(&self, key: &str, name: &str, value: impl ToString) -> String {
        self.ta(key, &[(name, value.to_string())])
    }

    /// A field error in this language.
    pub fn fe(&self, e: &FieldError) -> String {
        let args: Vec<(&str, String)> = e.args.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.ta(e.key, &args)
    }

    pub fn label<C: Coded>(&self, c: C) -> String {
        self.t(&c.label_key())
    }

    pub fn opt_label<C: Coded>(&self, c: Option<C>) -> String {
        c.map(|c| self.label(c)).unwrap_or_default()
    }

    /// [`Tr::label`] for templates, which pass references.
    pub fn lbl<C: Coded>(&self, c: &C) -> String {
        self.label(*c)
    }

    pub fn olbl<C: Coded>(&self, c: &Option<C>) -> String {
        self.opt_label(*c)
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        d.format(&self.t("format-date")).to_string()
    }

    pub fn opt_date(&self, d: &Option<NaiveDate>) -> String {
        d.as_ref().map(|d| self.date(d)).unwrap_or_default()
    }

    /// A date at the precision it was written: a month alone as `2003-06`.
    pub fn opt_date_at(
        &self,
        d: &Option<NaiveDate>,
        precision: &domain::roster::DatePrecision,
    ) -> String {
        match (d, precision) {
            (Some(d), domain::roster::DatePrecision::Month) => {
                domain::roster::show_date(*d, *precision)
            }
            _ => self.opt_date(d),
        }
    }

    pub fn datetime(&self, d: &chrono::DateTime<chrono::Utc>) -> String {
        // Times are shown in Beijing time.
        let local = *d + chrono::Duration::hours(8);
        // A no-break space between date and time: a narrow column never splits them
        // (issue 25, dates breaking in English on a phone).
        local
            .format(&self.t("format-datetime"))
            .to_string()
            .replace(' ', "\u{a0}")
    }

    pub fn number(&self, n: i64) -> String {
        let s = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }
}

fn number_or_string(v: &str) -> FluentValue<'static> {
    match v.parse::<f64>() {
        Ok(n) if !v.starts_with('0') || v == "0" => FluentValue::from(n),
        _ => FluentValue::from(v.to_string()),
    }
}

/// All keys of a catalogue directory, for the completeness test.
pub fn catalogue_keys(lang: Lang) -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang.code());
    let mut keys = std::collections::BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                for line in text.lines() {
                    let first = line.chars().next();
                    if first.is_some_and(|c| c.is_ascii_lowercase())
                        && let Some((k, _)) = line.split_once('=')
                    {
                        keys.insert(k.trim().to_string());
                    }
                }
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(
            Lang::negotiate("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(Lang::negotiate("fr-FR,en;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::negotiate("fr-FR"), None);
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(Tr::new(Lang::En).number(1234567), "1,234,567");
        assert_eq!(Tr::new(Lang::Zh).number(999), "999");
    }
}
