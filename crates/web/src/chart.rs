//! Bar charts as inline SVG, drawn here rather than with a charts crate: labels are Chinese
//! (charts-rs measures text with its embedded Latin font), and the page's CSP forbids inline
//! styles, so every colour and font comes from CSS classes in `app.css`. Each chart is
//! paired with a table of the same numbers in the template, for screen readers and print.

use std::fmt::Write as _;

/// One bar: a label and one or two stacked values.
pub struct Bar {
    pub label: String,
    pub values: Vec<i64>,
    pub href: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: i64 = 640;
const LABEL_W: i64 = 210;
const VALUE_W: i64 = 70;
const ROW_H: i64 = 26;

/// Horizontal bars, longest first as given. `title` names the chart for assistive tech.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW_H * bars.len() as i64 + 8;
    let plot = WIDTH - LABEL_W - VALUE_W;
    let mut s = String::new();
    // A picture is one image to assistive technology, its content hidden: a chart whose bars
    // are links is a group instead, so that the links can be reached (axe: nested-interactive).
    let role = if bars.iter().any(|b| b.href.is_some()) {
        "group"
    } else {
        "img"
    };
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="{role}" aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as i64 * ROW_H + 4;
        let mid = y + ROW_H / 2;
        let label: String = b.label.chars().take(14).collect();
        let label = if b.label.chars().count() > 14 {
            format!("{label}…")
        } else {
            label
        };
        let total: i64 = b.values.iter().sum();
        if let Some(h) = &b.href {
            // The link's name is the whole label and its figure, not the shortened label.
            let _ = write!(
                s,
                r#"<a href="{}" aria-label="{} {total}">"#,
                esc(h),
                esc(&b.label)
            );
        }
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{mid}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
            LABEL_W - 8,
            esc(&label)
        );
        if b.href.is_some() {
            s.push_str("</a>");
        }
        let mut x = LABEL_W;
        for (k, v) in b.values.iter().enumerate() {
            let w = (*v * plot) / max;
            if w > 0 {
                let _ = write!(
                    s,
                    r#"<rect class="bar s{k}" x="{x}" y="{}" width="{w}" height="{}" rx="3"/>"#,
                    y + 4,
                    ROW_H - 8
                );
            }
            x += w;
        }
        let _ = write!(
            s,
            r#"<text class="value" x="{}" y="{mid}" dominant-baseline="middle">{total}</text>"#,
            x + 6
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars(
            "t<",
            &[
                Bar {
                    label: "A&B".into(),
                    values: vec![10],
                    href: None,
                },
                Bar {
                    label: "C".into(),
                    values: vec![5, 5],
                    href: Some("/x?a=1&b=2".into()),
                },
            ],
        );
        assert!(svg.contains("A&amp;B") && svg.contains("t&lt;") && svg.contains("a=1&amp;b=2"));
        assert!(svg.contains(r#"width="360""#));
        assert!(!svg.contains("style="), "no inline styles under our CSP");
        // Bars that are links: a group whose links are reachable, each named in full.
        assert!(svg.contains(r#"role="group""#) && !svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="C 10""#), "{svg}");
        let still = bars(
            "t",
            &[Bar {
                label: "A".into(),
                values: vec![1],
                href: None,
            }],
        );
        assert!(still.contains(r#"role="img""#));
    }
}
