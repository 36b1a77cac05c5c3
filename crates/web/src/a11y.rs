//! Ties every form field's help text and error message to its control, in every page the
//! application renders (issue 25): a screen reader announces "invalid" and reads the error
//! and the help with the field, not somewhere after it.
//!
//! The forms of all areas share one markup convention rather than one macro: a container of
//! class `field` holding the control(s), help text of class `help` or `hint`, and an error
//! message of class `field-error` or `error`. [`link_fields`] runs on each rendered page
//! ([`crate::ctx::Ctx::render`]) and, field by field, gives help and error an id where they
//! have none, adds those ids to the control's `aria-describedby` (keeping what a template
//! wrote itself) and marks the control `aria-invalid="true"` when the field shows an error.
//! New forms get this by following the convention; nothing is asked of their templates.
//!
//! It must never change anything else: lol_html rewrites in a stream and leaves every other
//! byte as the template wrote it. If the markup cannot be rewritten the page goes out as it
//! was rendered (logged), never an error page.

use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use std::cell::RefCell;
use std::rc::Rc;

/// What one `.field` holds, by the ids of its help and error texts.
#[derive(Default)]
struct Field {
    help: Vec<String>,
    errors: Vec<String>,
}

/// The fields seen so far and which of them are open (fields may nest: the innermost wins).
#[derive(Default)]
struct Fields {
    all: Vec<Field>,
    open: Vec<usize>,
}

type Shared = Rc<RefCell<Fields>>;

/// Opens a field at its start tag and closes it at its end tag.
fn track(fields: &Shared, el: &mut Element) -> lol_html::HandlerResult {
    let mut f = fields.borrow_mut();
    let idx = f.all.len();
    f.all.push(Field::default());
    drop(f);
    if let Some(handlers) = el.end_tag_handlers() {
        fields.borrow_mut().open.push(idx);
        let fields = Rc::clone(fields);
        handlers.push(Box::new(move |_end| {
            fields.borrow_mut().open.pop();
            Ok(())
        }));
    }
    Ok(())
}

const CONTROLS: &str = "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea";

/// Adds the `aria-describedby` and `aria-invalid` that tie each field's controls to its help
/// and error texts; see the module's documentation.
pub fn link_fields(html: String) -> String {
    // Most pages hold no form field: nothing to do, no parsing.
    if !html.contains("field") {
        return html;
    }
    match rewrite(&html) {
        Ok(out) => out,
        Err(e) => {
            tracing::warn!(error = %e, "could not link form fields to their help and errors");
            html
        }
    }
}

fn rewrite(html: &str) -> Result<String, lol_html::errors::RewritingError> {
    // Pass 1: number the fields, give their help and error texts ids, remember which.
    let fields: Shared = Rc::default();
    let first = {
        let (f1, f2, f3) = (fields.clone(), fields.clone(), fields.clone());
        rewrite_str(
            html,
            RewriteStrSettings {
                element_content_handlers: vec![
                    element!(".field", move |el| track(&f1, el)),
                    element!(".field .help, .field .hint", move |el| {
                        note(&f2, el, false);
                        Ok(())
                    }),
                    element!(".field .field-error, .field .error", move |el| {
                        note(&f3, el, true);
                        Ok(())
                    }),
                ],
                ..RewriteStrSettings::new()
            },
        )?
    };
    let seen = std::mem::take(&mut fields.borrow_mut().all);
    if seen
        .iter()
        .all(|f| f.help.is_empty() && f.errors.is_empty())
    {
        return Ok(first);
    }
    // Pass 2: the same fields in the same order; their controls point at those ids.
    let again: Shared = Rc::default();
    let (g1, g2) = (again.clone(), again.clone());
    rewrite_str(
        &first,
        RewriteStrSettings {
            element_content_handlers: vec![
                element!(".field", move |el| track(&g1, el)),
                element!(CONTROLS, move |el| {
                    let f = g2.borrow();
                    if let Some(field) = f.open.last().and_then(|i| seen.get(*i)) {
                        describe(el, field)?;
                    }
                    Ok(())
                }),
            ],
            ..RewriteStrSettings::new()
        },
    )
}

/// Records a help or error text of the innermost open field, giving it an id if it has none.
fn note(fields: &Shared, el: &mut Element, error: bool) {
    let mut f = fields.borrow_mut();
    let Some(&idx) = f.open.last() else {
        return;
    };
    // A placeholder the script fills in later is not an error yet.
    if el.has_attribute("hidden") {
        return;
    }
    let field = &mut f.all[idx];
    let id = match el.get_attribute("id").filter(|s| !s.is_empty()) {
        Some(id) => id,
        None => {
            let (kind, n) = if error {
                ("err", field.errors.len())
            } else {
                ("help", field.help.len())
            };
            let id = format!("field{idx}-{kind}{n}");
            // An id is a valid attribute name and value: this cannot fail.
            let _ = el.set_attribute("id", &id);
            id
        }
    };
    if error {
        field.errors.push(id);
    } else {
        field.help.push(id);
    }
}

/// Points a control at its field's error(s) first, then help, after any ids it already names.
fn describe(el: &mut Element, field: &Field) -> lol_html::HandlerResult {
    let mut ids: Vec<String> = el
        .get_attribute("aria-describedby")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    for id in field.errors.iter().chain(&field.help) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if !ids.is_empty() {
        el.set_attribute("aria-describedby", &ids.join(" "))?;
    }
    if !field.errors.is_empty() {
        el.set_attribute("aria-invalid", "true")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::link_fields;

    #[test]
    fn an_invalid_field_points_at_its_error_and_help() {
        let html = r#"<form><div class="field invalid"><label for="a">A</label><input id="a" name="a"><p class="help">h</p><p class="field-error">bad</p></div>
<div class="field"><label for="b">B</label><select id="b"><option>x</option></select><p class="hint" id="b-hint">h2</p></div>
<div class="field"><label for="c">C</label><input id="c" aria-invalid="true" aria-describedby="c-err"><p class="field-error" id="c-err">bad</p></div>
<input type="hidden" name="v" value="1"><p class="field-error">outside</p></form>"#;
        let out = link_fields(html.to_string());
        assert!(
            out.contains(r#"<input id="a" name="a" aria-describedby="field0-err0 field0-help0" aria-invalid="true">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<p class="help" id="field0-help0">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<p class="field-error" id="field0-err0">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<select id="b" aria-describedby="b-hint">"#),
            "{out}"
        );
        // What a template wrote itself is kept, not doubled.
        assert!(
            out.contains(r#"<input id="c" aria-invalid="true" aria-describedby="c-err">"#),
            "{out}"
        );
        assert!(out.contains(
            r#"<input type="hidden" name="v" value="1"><p class="field-error">outside</p>"#
        ));
    }

    #[test]
    fn a_page_without_help_or_errors_is_left_as_it_was() {
        let html =
            r#"<!doctype html><div class="field"><input id="q" value="a &amp; b" required></div>"#;
        assert_eq!(link_fields(html.to_string()), html);
        let plain = "<p>no form</p>".to_string();
        assert_eq!(link_fields(plain.clone()), plain);
    }
}
