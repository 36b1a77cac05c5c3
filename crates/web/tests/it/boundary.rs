//! The web crate cannot act as the system: the command-line capability (`SystemCap`,
//! `system_cap`) is refused by clippy in this crate (`crates/web/clippy.toml`), and this
//! test fails if the lint list loses an entry or if the crate's code names one of them.

use std::path::{Path, PathBuf};

const FORBIDDEN: &[&str] = &["SystemCap", "system_cap", "for_cli"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_web_crate_cannot_reach_the_command_line_capability() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lint = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    for item in [
        "\"domain::auth::SystemCap\"",
        "\"domain::auth::SystemCap::for_cli\"",
        "\"domain::auth::system_cap\"",
    ] {
        assert!(
            lint.contains(item),
            "crates/web/clippy.toml no longer forbids {item}"
        );
    }
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 10, "the web sources were not found");
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if FORBIDDEN.iter().any(|w| line.contains(w)) {
                hits.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "the web crate names the command-line capability: {hits:#?}"
    );
}
