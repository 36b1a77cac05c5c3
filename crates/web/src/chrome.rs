//! The frame around every page: language, navigation by role, breadcrumb, user menu, flash.
//! Each page template has a `p: Chrome` field that `layout.html` reads.

use crate::ctx::Ctx;
use crate::i18n::{Lang, Tr};

#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Clone, Debug)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Chrome {
    pub tr: Tr,
    pub lang: &'static str,
    pub title: String,
    pub nav: Vec<NavItem>,
    pub crumbs: Vec<Crumb>,
    pub user: Option<String>,
    pub flash: Option<(&'static str, String)>,
    /// Path of this page, for the language switch and `next=`.
    pub path: String,
    pub request_id: String,
    pub other_lang: (&'static str, String),
    /// The TOTP nudge for accounts that may but need not use it.
    pub logged_in: bool,
    /// URL prefix of the static files.
    pub assets: &'static str,
    /// Seconds after which the page reloads itself (long work without JavaScript).
    pub refresh: Option<u32>,
    /// The reader's union and today's date, for the head of printed pages.
    pub print_meta: String,
    /// Unread inbox items for the header badge ("" when none, "99+" above 99); `None`
    /// when nobody is logged in.
    pub unread: Option<String>,
    /// A logged-in account not bound to a member: its menu offers "Link to my member
    /// record" (a code from the member's phone, `/account/member`).
    pub unlinked: bool,
}

/// Lights up exactly one menu item: the one whose path is the longest whole-segment prefix of
/// the page's path. `/me` is not under `/members`, and a page of `/congress/oversight` lights
/// 教代会督查 only, not 教代会 too (issue 25).
pub fn mark_current(mut nav: Vec<NavItem>, path: &str) -> Vec<NavItem> {
    let under = |href: &str| {
        if href == "/" {
            path == "/"
        } else {
            path == href
                || path
                    .strip_prefix(href)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    };
    let best = nav
        .iter()
        .enumerate()
        .filter(|(_, n)| under(n.href))
        .max_by_key(|(_, n)| n.href.len())
        .map(|(i, _)| i);
    for (i, n) in nav.iter_mut().enumerate() {
        n.current = Some(i) == best;
    }
    nav
}

impl Chrome {
    pub fn new(ctx: &Ctx, title_key: &str) -> Chrome {
        let tr = ctx.tr;
        let current_path = ctx.path.split('?').next().unwrap_or("/").to_string();
        let nav: Vec<NavItem> = match ctx.actor() {
            Some(a) if ctx.session.complete() => crate::area::nav_for(a)
                .into_iter()
                .map(|e| NavItem {
                    href: e.href,
                    label: tr.t(e.label_key),
                    current: false,
                })
                .collect(),
            _ => Vec::new(),
        };
        let nav = mark_current(nav, &current_path);
        let other = match tr.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        Chrome {
            tr,
            lang: tr.lang.code(),
            title: tr.t(title_key),
            nav,
            crumbs: Vec::new(),
            user: ctx
                .actor()
                .filter(|_| ctx.session.complete())
                .map(|a| a.display_name.clone()),
            flash: ctx.flash.as_ref().map(|f| (f.kind.class(), f.text(&tr))),
            path: ctx.path.clone(),
            request_id: ctx.request_id.clone(),
            other_lang: (other.code(), tr.t(&format!("lang-name-{}", other.code()))),
            logged_in: ctx.session.complete(),
            unlinked: ctx
                .actor()
                .filter(|_| ctx.session.complete())
                .is_some_and(|a| a.member.is_none()),
            unread: ctx
                .session
                .account
                .as_ref()
                .filter(|_| ctx.session.complete())
                .map(|a| match a.unread {
                    0 => String::new(),
                    n if n > store::inbox::UNREAD_CAP => format!("{}+", store::inbox::UNREAD_CAP),
                    n => n.to_string(),
                }),
            assets: crate::assets::prefix(),
            refresh: None,
            print_meta: {
                let unit = ctx
                    .session
                    .account
                    .as_ref()
                    .and_then(|a| a.unit_names.first().map(|u| u.1.clone()))
                    .unwrap_or_default();
                let date = tr.date(&crate::today());
                if unit.is_empty() {
                    date
                } else {
                    format!("{unit} · {date}")
                }
            },
        }
    }

    /// Adds the org path of a unit (district › area › school) to the breadcrumb, each
    /// level linking to its members.
    pub fn org_path(mut self, path: &[store::org::OrgUnit]) -> Chrome {
        for u in path {
            self.crumbs.push(Crumb {
                label: u.name.clone(),
                href: Some(format!("/members?unit={}", u.id)),
            });
        }
        self
    }

    /// The frame of a page outside any session (error pages).
    /// The menu of a logged-in `actor` on a page built without a request context (an error
    /// page), the item of `path` lit.
    pub fn with_menu(mut self, actor: &domain::auth::Actor, path: &str) -> Chrome {
        let nav = crate::area::nav_for(actor)
            .into_iter()
            .map(|e| NavItem {
                href: e.href,
                label: self.tr.t(e.label_key),
                current: false,
            })
            .collect();
        self.nav = mark_current(nav, path);
        self.logged_in = true;
        self.user = Some(actor.display_name.clone());
        self
    }

    pub fn bare(tr: Tr, title_key: &str, request_id: &str) -> Chrome {
        Chrome {
            tr,
            lang: tr.lang.code(),
            title: tr.t(title_key),
            nav: Vec::new(),
            crumbs: Vec::new(),
            user: None,
            unread: None,
            unlinked: false,
            flash: None,
            path: "/".into(),
            request_id: request_id.to_string(),
            other_lang: (if tr.lang == Lang::Zh {
                Lang::En
            } else {
                Lang::Zh
            })
            .code_and_name(&tr),
            logged_in: false,
            assets: crate::assets::prefix(),
            refresh: None,
            print_meta: tr.date(&crate::today()),
        }
    }

    pub fn title_text(mut self, title: String) -> Chrome {
        self.title = title;
        self
    }

    pub fn crumb(mut self, label: String, href: Option<String>) -> Chrome {
        self.crumbs.push(Crumb { label, href });
        self
    }

    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }
}

trait CodeAndName {
    fn code_and_name(self, tr: &Tr) -> (&'static str, String);
}

impl CodeAndName for Lang {
    fn code_and_name(self, tr: &Tr) -> (&'static str, String) {
        (self.code(), tr.t(&format!("lang-name-{}", self.code())))
    }
}

/// An `<option>` of a select.
#[derive(Clone, Debug)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl ToString, label: impl ToString, selected: bool) -> Opt {
        Opt {
            value: value.to_string(),
            label: label.to_string(),
            selected,
        }
    }
}

/// Options of a coded choice, with an empty first option labelled by `empty_key`.
pub fn coded_options<C: domain::org::Coded>(
    tr: &Tr,
    current: &str,
    empty_key: Option<&str>,
) -> Vec<Opt> {
    let mut v = Vec::new();
    if let Some(k) = empty_key {
        v.push(Opt::new("", tr.t(k), current.is_empty()));
    }
    let cur = C::parse_loose(current);
    for c in C::all() {
        v.push(Opt::new(c.code(), tr.label(*c), cur == Some(*c)));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(path: &str) -> Vec<&'static str> {
        let nav = [
            "/",
            "/me",
            "/members",
            "/members/import",
            "/congress",
            "/congress/oversight",
        ]
        .into_iter()
        .map(|href| NavItem {
            href,
            label: String::new(),
            current: false,
        })
        .collect();
        mark_current(nav, path)
            .into_iter()
            .filter(|n| n.current)
            .map(|n| n.href)
            .collect()
    }

    #[test]
    fn exactly_one_menu_item_lights_up() {
        assert_eq!(lit("/"), ["/"]);
        assert_eq!(lit("/me"), ["/me"]);
        assert_eq!(lit("/me/notifications"), ["/me"]);
        assert_eq!(lit("/members"), ["/members"]);
        assert_eq!(lit("/members/12"), ["/members"]);
        assert_eq!(lit("/members/import/3"), ["/members/import"]);
        assert_eq!(lit("/congress/meetings/4"), ["/congress"]);
        assert_eq!(lit("/congress/oversight"), ["/congress/oversight"]);
        assert!(lit("/account/password").is_empty());
    }
}
