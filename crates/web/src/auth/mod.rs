//! Logging in and out, the second factor, passwords, one-time links, the language switch,
//! and account administration (accounts and their grants).
//!
//! [`require_login`] guards every non-public route. An anonymous request gets 401 with the
//! login form in place; if it was a form POST (a session that expired while someone was
//! typing), the fields ride along hidden in the login form and come back on a "send
//! again" page after logging in, so nothing typed is lost.
//!
//! Split by concern: [`login`] (sessions, second factor, passwords, links, language) and
//! [`accounts`] (administration); the site-wide error and message pages are in
//! [`crate::pages`]. This module holds the routes and the area's declaration.

pub mod accounts;
pub mod login;
mod member_link;

pub use accounts::*;
pub use login::*;

use crate::{Guard, Permission as P, RouteTable};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/login", Guard::public(), login_page)
        .post(
            "/login",
            Guard::public().form(&[("username", "nobody"), ("password", "wrong password")]),
            login,
        )
        .get("/login/totp", Guard::public(), totp_page)
        .post(
            "/login/totp",
            Guard::public().form(&[("code", "000000")]),
            totp_submit,
        )
        .post("/logout", Guard::public().button(), logout)
        .post(
            "/lang",
            Guard::public().form(&[("lang", "en")]),
            switch_lang,
        )
        .get("/link/{token}", Guard::public(), link_page)
        .post(
            "/link/{token}",
            Guard::public().form(&[
                ("password", "a long new password"),
                ("confirm", "a long new password"),
            ]),
            link_submit,
        )
        .get("/account/password", Guard::own(), password_page)
        .post(
            "/account/password",
            Guard::own().form(&[
                ("current", "not the password"),
                ("password", "a long new password"),
                ("confirm", "a long new password"),
            ]),
            password_submit,
        )
        .get(
            "/account/member",
            Guard::own(),
            member_link::member_link_page,
        )
        .post(
            "/account/member",
            Guard::own().form(&[("code", "000000")]),
            member_link::member_link_confirm,
        )
        .get("/account/totp", Guard::own(), totp_setup_page)
        .post("/account/totp/start", Guard::own().button(), totp_start)
        .post(
            "/account/totp/confirm",
            Guard::own().form(&[("code", "000000")]),
            totp_confirm,
        )
        .get("/accounts", Guard::staff(P::AccountManage), accounts_page)
        .get(
            "/accounts/new",
            Guard::staff(P::AccountManage),
            account_new_page,
        )
        .post(
            "/accounts/new",
            Guard::staff(P::AccountManage).form(&[
                ("username", "newcomer"),
                ("display_name", "新人"),
                ("role", "member"),
                ("unit", "{school}"),
            ]),
            account_create,
        )
        .post(
            "/accounts/{id}/grants",
            Guard::staff(P::AccountManage).form(&[("role", "member"), ("unit", "{school}")]),
            grant_add,
        )
        .post(
            "/accounts/{id}/link",
            Guard::staff(P::AccountManage).button(),
            account_link,
        )
        .post(
            "/accounts/{id}/disable",
            Guard::staff(P::AccountManage).button(),
            account_disable,
        )
        .post(
            "/accounts/{id}/enable",
            Guard::staff(P::AccountManage).button(),
            account_enable,
        )
        .post(
            "/grants/{id}/revoke",
            Guard::staff(P::AccountManage).button(),
            grant_revoke,
        )
}

/// Only a plain local path may be a `next=` target: one leading `/`, then printable ASCII
/// without a backslash. Browsers drop tabs and line breaks from a `Location` (so
/// `/\t/evil.example/` would become `//evil.example/`, another site), and a line break
/// cannot even be put into the header; anything else goes to the start page.
use crate::area::{Area, NavEntry};

/// The auth area: login, accounts and grants, one's own page.
pub static AREA: Area = Area {
    name: "auth",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/accounts",
        label_key: "nav-accounts",
        permission: Some(P::AccountManage),
        rank: 80,
    }],
    documents: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_local_path_is_a_next_target() {
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example/",
            "/\r\nSet-Cookie: x=1",
            "https://evil.example/",
            "/ /x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/members?page=2")), "/members?page=2");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.1.1.1".parse().unwrap());
        let peer: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_addr(Some(peer), &h, &[]), "127.0.0.1");
        // Behind a trusted proxy, the hop the proxy saw (the right end) is the client;
        // the left end is whatever the client wrote.
        assert_eq!(client_addr(Some(peer), &h, &[peer]), "10.1.1.1");
        assert_eq!(client_addr(None, &h, &[peer]), "unknown");
    }
}
