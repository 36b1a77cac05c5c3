//! Catalogue completeness and no literal text in templates.

use domain::auth::Role;
use domain::org::*;
use std::collections::BTreeSet;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

/// Every key the code can ask for.
fn used_keys() -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = domain::text::ALL.iter().map(|s| s.to_string()).collect();
    // Every coded enum every area declares (domain::<area>::AREA.enums), the documents and
    // menu entries every area offers (web::<area>::AREA), and every year figure.
    for a in domain::area::all() {
        for e in a.enums {
            keys.extend((e.label_keys)());
        }
    }
    for (_, d) in web::area::documents() {
        keys.insert(d.label_key.to_string());
    }
    for e in web::area::nav() {
        keys.insert(e.label_key.to_string());
    }
    for f in store::area::declared_figures() {
        keys.insert(f.key.to_string());
    }
    for r in Role::ALL {
        keys.insert(r.label_key());
    }
    // The congress: coded choices, rule names and sources, warnings, names built from codes.
    {
        use domain::congress::*;
        use domain::rules::{CompositionWarning as W, Rule};
        for r in Rule::ALL {
            keys.insert(r.label_key());
            keys.insert(r.source_key());
        }
        for w in [
            W::NoDelegates,
            W::TeachersBelow { needed: 0 },
            W::LeadersAbove { max: 0 },
            W::NoWomen,
            W::NoYoungTeachers,
        ] {
            keys.insert(w.key().to_string());
        }
        for m in CongressMode::all() {
            keys.insert(format!("term-name-{}", m.code()));
            keys.insert(format!("meeting-name-{}", m.code()));
        }
        for k in [
            "board-rule-all",
            "board-rule-due",
            "meeting-now-open",
            "meeting-now-closed",
            "meeting-final-quorum",
            "meeting-final-no-quorum",
        ] {
            keys.insert(k.to_string());
        }
        for t in ["review", "handle", "mine", "all"] {
            keys.insert(format!("proposals-tab-{t}"));
        }
    }
    // Votes: coded choices and the keys chosen by outcome.
    {
        for k in [
            "poll-outcome-passed",
            "poll-outcome-failed",
            "poll-passed",
            "poll-failed",
            "poll-elected",
            "poll-tie",
            "poll-beyond-seats",
            "poll-not-elected",
            "poll-competitive",
            "poll-uncontested",
        ] {
            keys.insert(k.to_string());
        }
    }
    for b in AgeBand::ALL {
        keys.insert(b.label_key());
    }
    for c in store::org::import::Column::ALL {
        keys.insert(format!("col-{}", c.field().replace('_', "-")));
    }
    for l in Lang::ALL {
        keys.insert(format!("lang-name-{}", l.code()));
    }
    // Literal keys in the web sources and templates.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let re_calls = [
        ".t(\"",
        ".t1(\"",
        ".ta(\"",
        "Flash::ok(\"",
        "Flash::warn(\"",
        "Flash::error(\"",
        "Chrome::new(&a, \"",
        "Chrome::new(a, \"",
        "Chrome::new(&ctx, \"",
    ];
    for dir in ["src", "templates"] {
        for path in walk(&root.join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for pat in re_calls {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    let key: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                        .collect();
                    if key.contains('-') && rest[key.len()..].starts_with('"') {
                        keys.insert(key);
                    }
                }
            }
        }
    }
    keys
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn both_catalogues_have_the_same_keys() {
    let zh = catalogue_keys(Lang::Zh);
    let en = catalogue_keys(Lang::En);
    assert!(zh.len() > 200);
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "only in zh-CN: {only_zh:?}\nonly in en: {only_en:?}"
    );
}

#[test]
fn every_key_the_code_uses_is_in_the_catalogues() {
    let zh = catalogue_keys(Lang::Zh);
    let missing: Vec<_> = used_keys()
        .into_iter()
        .filter(|k| !zh.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the catalogues: {missing:#?}"
    );
}

/// Strips template tags, comments and markup, keeping text and the attributes people read.
fn visible_text(template: &str) -> Vec<String> {
    let mut s = String::new();
    let mut rest = template;
    // Remove {{ … }}, {% … %}, {# … #}.
    while let Some(i) = rest.find('{') {
        s.push_str(&rest[..i]);
        let tail = &rest[i..];
        let close = match tail.get(..2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            Some("{#") => "#}",
            _ => {
                s.push('{');
                rest = &tail[1..];
                continue;
            }
        };
        match tail.find(close) {
            Some(j) => {
                s.push(' ');
                rest = &tail[j + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    s.push_str(rest);
    let mut out = Vec::new();
    // Text between tags.
    let mut in_tag = false;
    let mut buf = String::new();
    let mut tag = String::new();
    for ch in s.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(std::mem::take(&mut buf));
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                for attr in [
                    "title=\"",
                    "placeholder=\"",
                    "alt=\"",
                    "aria-label=\"",
                    "data-confirm=\"",
                    "label=\"",
                ] {
                    for (i, _) in tag.match_indices(attr) {
                        let v: String = tag[i + attr.len()..]
                            .chars()
                            .take_while(|c| *c != '"')
                            .collect();
                        out.push(v);
                    }
                }
            }
            _ if in_tag => tag.push(ch),
            _ => buf.push(ch),
        }
    }
    out.push(buf);
    out.into_iter()
        .map(|t| t.replace("&nbsp;", " "))
        .filter(|t| !t.trim().is_empty())
        .collect()
}

#[test]
fn templates_hold_no_literal_words() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut bad = Vec::new();
    for path in walk(&root) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for t in visible_text(&text) {
            let has_cjk = t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            let has_word = t
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w.len() >= 2);
            if has_cjk || has_word {
                bad.push(format!("{}: {t:?}", path.display()));
            }
        }
    }
    assert!(bad.is_empty(), "literal text in templates: {bad:#?}");
}

#[test]
fn the_scanner_finds_literal_words() {
    assert_eq!(
        visible_text("<p>Hello {{ p.t(\"x\") }}</p>"),
        vec!["Hello  "]
    );
    assert_eq!(visible_text("<input placeholder=\"姓名\">"), vec!["姓名"]);
    assert!(visible_text("<p>{{ p.t(\"x\") }}</p>").is_empty());
}

dual_test!(async fn the_language_follows_the_switch_then_the_browser(t) {
    let app = TestApp::new(t).await;
    let r = app.anon().header("accept-language", "en-US,en;q=0.9").get("/login").await;
    assert!(r.text().contains("lang=\"en\""));
    assert!(r.select("h1").contains(&"Log in".to_string()));
    let r = app.anon().get("/login").await;
    assert!(r.text().contains("lang=\"zh-CN\""));
    // The switch sets a cookie that wins over the browser.
    let mut c = app.anon().header("accept-language", "en");
    let r = c.post("/lang", &[("lang", "zh-CN"), ("next", "/login")]).await;
    r.assert_status(303);
    let r = c.get("/login").await;
    assert!(r.select("h1").contains(&"登录".to_string()));
    // An account's own setting wins over both.
    let id = app.account("english", Role::SchoolChair, app.org.school_a).await;
    store::auth::set_locale(app.t.db(), id, "en").await.unwrap();
    let mut c = app.client_for(id).await;
    c.cookies.insert("jg_lang".into(), "zh-CN".into());
    let r = c.get("/members").await;
    assert!(r.select("h1").contains(&"Members".to_string()));
});

/// The audit log reads for people (issue 25, item 14): every field name a write records
/// (`Changes::field("…", …)` in the store) has its label in both catalogues.
#[test]
fn every_audited_field_has_a_label_in_both_languages() {
    let store_src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src");
    let mut fields = BTreeSet::new();
    for path in walk(&store_src) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, _) in text.match_indices(".field(") {
            let rest = text[i + ".field(".len()..].trim_start();
            if let Some(r) = rest.strip_prefix('"') {
                let name: String = r
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && r[name.len()..].starts_with('"') {
                    fields.insert(name);
                }
            }
        }
    }
    assert!(fields.len() > 80, "the scanner found only {fields:?}");
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        let missing: Vec<&String> = fields
            .iter()
            .filter(|f| !keys.contains(&format!("audit-field-{f}")))
            .collect();
        assert!(
            missing.is_empty(),
            "audited fields without a label in {lang:?}: {missing:?}"
        );
    }
}
