//! An in-process HTTP client for the web layer: each test gets the whole application with
//! all its middleware over a fresh database, and clients that keep cookies like a browser.

use crate::{Org, TestDb, actor, org, who};
use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use tower::ServiceExt;

use domain::auth::{Role, SystemCap};
use domain::ids::{AccountId, OrgUnitId};
use store::auth::{self, NewAccount, PasswordHasher};

pub struct TestApp {
    pub t: TestDb,
    pub org: Org,
    pub router: Router,
    pub state: web::AppState,
}

/// The password of accounts made by [`TestApp::account`].
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub async fn new(t: TestDb) -> TestApp {
        let org = org(&t.store).await;
        let state = web::AppState::new(
            t.store.clone(),
            PasswordHasher::new(2),
            web::WebConfig::default(),
        );
        let router = web::app(state.clone());
        TestApp {
            t,
            org,
            router,
            state,
        }
    }

    /// An account with one grant (no password: see [`TestApp::account_with_password`]).
    pub async fn account(&self, username: &str, role: Role, unit: OrgUnitId) -> AccountId {
        self.account_full(username, role, unit, None, None).await
    }

    pub async fn account_full(
        &self,
        username: &str,
        role: Role,
        unit: OrgUnitId,
        member: Option<domain::ids::MemberId>,
        password: Option<&str>,
    ) -> AccountId {
        let hash = match password {
            Some(p) => Some(
                self.state
                    .hasher
                    .hash(p)
                    .await
                    .unwrap_or_else(|e| panic!("hash: {e}")),
            ),
            None => None,
        };
        let sys = SystemCap::for_cli();
        let id = auth::create_account_system(
            &sys,
            &self.t.store,
            &who(),
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                member,
                password_hash: hash,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("account: {e}"));
        auth::grant_system(&sys, &self.t.store, &who(), id, role, unit)
            .await
            .unwrap_or_else(|e| panic!("grant: {e}"));
        id
    }

    /// A client with a session for a new account holding `role` at `unit` (second factor
    /// counted as done).
    pub async fn client_as(&self, role: Role, unit: OrgUnitId) -> Client<'_> {
        let name = format!("u{}{}", role.code().replace('_', ""), unit.0);
        let id = self.account(&name, role, unit).await;
        self.client_for(id).await
    }

    pub async fn client_for(&self, id: AccountId) -> Client<'_> {
        let token = auth::create_session(&self.t.store.db, id, true, self.state.config.session)
            .await
            .unwrap_or_else(|e| panic!("session: {e}"));
        let mut c = self.anon();
        c.cookies.insert(web::ctx::SESSION_COOKIE.into(), token);
        c
    }

    pub fn anon(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
            peer: None,
        }
    }

    /// The actor a grant would give (for calling the store directly in a web test).
    pub fn actor(&self, role: Role, unit: OrgUnitId) -> domain::auth::Actor {
        actor(&[(role, unit)])
    }
}

/// A browser-like client: keeps cookies, sends forms.
pub struct Client<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
    /// The socket address the server sees (as `serve` with connection info gives it).
    pub peer: Option<std::net::SocketAddr>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.text())
    }

    /// Text of every element matching a CSS selector.
    pub fn select(&self, css: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
        self.html()
            .select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    /// The attribute `attr` of every element matching a CSS selector.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
        self.html()
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    #[track_caller]
    pub fn assert_status(&self, s: u16) -> &Resp {
        assert_eq!(
            self.status.as_u16(),
            s,
            "body: {}",
            self.text().chars().take(1500).collect::<String>()
        );
        self
    }
}

impl Client<'_> {
    /// Sends from this IP address (the socket peer).
    pub fn peer(mut self, ip: &str) -> Self {
        let ip: std::net::IpAddr = ip.parse().unwrap_or_else(|e| panic!("ip {ip}: {e}"));
        self.peer = Some(std::net::SocketAddr::new(ip, 40000));
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// The application this client talks to.
    pub fn app(&self) -> &TestApp {
        self.app
    }

    pub async fn send(&mut self, req: http::request::Builder, body: Body) -> Resp {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, c);
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(p) = self.peer {
            req = req.extension(axum::extract::ConnectInfo(p));
        }
        let req: Request<Body> = req.body(body).unwrap_or_else(|e| panic!("request: {e}"));
        let res = self
            .app
            .router
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| panic!("oneshot: {e}"));
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            if let Ok(s) = v.to_str()
                && let Ok(c) = cookie::Cookie::parse(s.to_string())
            {
                let expired = c.max_age().is_some_and(|a| a.is_zero()) || c.value().is_empty();
                if expired {
                    self.cookies.remove(c.name());
                } else {
                    self.cookies
                        .insert(c.name().to_string(), c.value().to_string());
                }
            }
        }
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        Resp {
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path), Body::empty()).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).unwrap_or_default();
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// A multipart form with text fields and one file.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> Resp {
        let boundary = "----jiaogongtestboundary";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((name, filename, bytes)) = file {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Body::from(body),
        )
        .await
    }

    /// Follows a redirect once (Post/Redirect/Get).
    pub async fn follow(&mut self, r: &Resp) -> Resp {
        let to = r
            .location()
            .unwrap_or_else(|| panic!("no redirect: {}", r.status));
        self.get(&to).await
    }
}
