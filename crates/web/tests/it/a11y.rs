//! Issue 25, item 16, over HTTP: an invalid form of three areas (members, activities,
//! accounts) comes back with each field in error marked `aria-invalid="true"` and its
//! `aria-describedby` naming ids that exist: its error message, and its help text. Both
//! engines.

use chrono::Duration;
use domain::auth::Role;
use testkit::app::{Resp, TestApp};
use testkit::*;

fn sel(css: &str) -> scraper::Selector {
    scraper::Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Every control marked invalid names existing ids, one of them its error message; every
/// error and help text of a field is named by that field's control; `invalid` are marked.
fn fields_are_linked(r: &Resp, invalid: &[&str]) {
    let html = r.html();
    let by_id = |id: &str| {
        html.select(&sel(&format!("[id='{id}']")))
            .next()
            .unwrap_or_else(|| panic!("aria-describedby names #{id}, which is not on the page"))
    };
    for id in invalid {
        let c = html
            .select(&sel(&format!("#{id}")))
            .next()
            .unwrap_or_else(|| panic!("no control #{id}"));
        assert_eq!(
            c.value().attr("aria-invalid"),
            Some("true"),
            "#{id} has an error but is not marked invalid"
        );
    }
    for c in html.select(&sel("[aria-invalid=true]")) {
        let name = c.value().attr("id").unwrap_or("?");
        let ids = c
            .value()
            .attr("aria-describedby")
            .unwrap_or_else(|| panic!("#{name} is invalid but describes nothing"));
        let says: Vec<String> = ids
            .split_whitespace()
            .map(|i| {
                let e = by_id(i);
                let class = e.value().attr("class").unwrap_or("");
                format!("{class}: {}", e.text().collect::<String>().trim())
            })
            .collect();
        assert!(
            says.iter()
                .any(|s| s.starts_with("field-error") && s.len() > "field-error: ".len()),
            "#{name} is not described by its error: {says:?}"
        );
    }
    // Each error and help text of a field is read with the field's control.
    for field in html.select(&sel(".field")) {
        let named: Vec<&str> = field
            .select(&sel("input, select, textarea"))
            .filter_map(|c| c.value().attr("aria-describedby"))
            .flat_map(str::split_whitespace)
            .collect();
        let has_control = field
            .select(&sel("input:not([type=hidden]), select, textarea"))
            .next()
            .is_some();
        for text in field.select(&sel(".field-error, .help")) {
            if !has_control {
                continue;
            }
            let id = text
                .value()
                .attr("id")
                .unwrap_or_else(|| panic!("{:?} has no id", text.text().collect::<String>()));
            assert!(
                named.contains(&id),
                "#{id} ({:?}) is not named by its control",
                text.text().collect::<String>()
            );
        }
    }
}

dual_test!(async fn invalid_fields_of_three_areas_name_their_error_and_help(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();

    // Members: a bad ID number and phone.
    let mut ch = app.client_as(Role::SchoolChair, o.school_a).await;
    let r = ch.post("/members/new", &[("name", "赵六"), ("id_number", "110101199001011235"), ("phone", "12345"), ("post", "teacher"), ("school", &school)]).await;
    r.assert_status(422);
    fields_are_linked(&r, &["id_number", "phone"]);

    // Activities: sign-ups that close after the day, no places.
    let day = (web::today() + Duration::days(20)).to_string();
    let late = (web::today() + Duration::days(21)).to_string();
    let r = ch.post("/activities/new", &[("unit", &school), ("title", "插花"), ("place", "活动室"), ("date", &day), ("time", "15:00"), ("closes", &late), ("capacity", "0"), ("audience", "everyone")]).await;
    r.assert_status(422);
    fields_are_linked(&r, &["closes", "capacity"]);

    // Accounts: a user name with spaces, in English too.
    let mut staff = app.client_as(Role::UnionStaff, o.union).await.header("accept-language", "en");
    let r = staff.post("/accounts/new", &[("username", "a b"), ("display_name", "新人"), ("role", "member"), ("unit", &school)]).await;
    r.assert_status(422);
    fields_are_linked(&r, &["username"]);
    // The help under the user name is read with it even without an error.
    let page = staff.get("/accounts/new").await;
    page.assert_status(200);
    fields_are_linked(&page, &[]);
    assert!(page.html().select(&sel("#username[aria-describedby]")).next().is_some());
});
