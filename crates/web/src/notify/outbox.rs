//! Delivering the outbox: the worker that takes due jobs and sends them (group robots,
//! plain webhooks; e-mail once configured), the administrator's list of parked jobs with
//! their errors and a retry button, and a unit's group-robot settings with a "send test"
//! button that shows the robot's real answer.
//!
//! The worker never decides whom to notify (`store::notify` did that in the change's
//! transaction) and never holds a system capability: it reads only what jobs point to.
//! Every send carries the job's idempotency key (`Idempotency-Key` header), so a receiver
//! can drop the repeat that an at-least-once queue may produce after a crash.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::auth::perm;
use domain::ids::OrgUnitId;
use domain::outbox::{Backoff, Channel, Message, RobotKind, RobotUrl};
use serde::Deserialize;
use std::time::Duration;
use store::Store;
use store::outbox::{self, Job};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/jobs", Guard::staff(P::OrgManage), parked_page)
        .post(
            "/jobs/{id}/retry",
            Guard::staff(P::OrgManage).button(),
            retry,
        )
        .get(
            "/org/{id}/robot",
            Guard::staff(P::AccountManage),
            robot_page,
        )
        .post(
            "/org/{id}/robot",
            Guard::staff(P::AccountManage).form(&[
                ("kind", "wecom"),
                (
                    "url",
                    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdef",
                ),
                ("secret", ""),
            ]),
            robot_save,
        )
        .post(
            "/org/{id}/robot/test",
            Guard::staff(P::AccountManage).button(),
            robot_test,
        )
}

/// The title and body of a message in `tr`'s language, from the catalogue. The argument
/// `what` (a due item's kind) is itself a catalogue key, rendered in the same language.
pub fn render(tr: &Tr, m: &Message) -> (String, String) {
    let args: Vec<(&str, String)> = m
        .args
        .iter()
        .map(|(k, v)| {
            if k == "what" && v.starts_with("due-") {
                (k.as_str(), tr.t(v))
            } else {
                (k.as_str(), v.clone())
            }
        })
        .collect();
    let key = m.kind.key();
    (
        tr.ta(&format!("notify-{key}-title"), &args),
        tr.ta(&format!("notify-{key}-body"), &args),
    )
}

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Names this worker in `locked_by` (host and process id).
    pub name: String,
    pub backoff: Backoff,
    /// How long a taken job belongs to this worker before another may take it again.
    pub lease: Duration,
    /// Jobs taken at once.
    pub batch: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Wait when the queue is empty.
    pub idle: Duration,
    /// Per-send timeout.
    pub timeout: Duration,
    /// Base of the links in messages (`https://jiaogong.example.edu.cn`).
    pub public_url: String,
    /// The SMS gateway: text messages are POSTed there as JSON `{"to", "text"}` with the
    /// job's `Idempotency-Key`. None: text-message jobs are parked with the reason.
    pub sms_url: Option<String>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: format!("worker-{}", std::process::id()),
            backoff: Backoff::default(),
            lease: Duration::from_secs(120),
            batch: 64,
            concurrency: 32,
            idle: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            public_url: "http://127.0.0.1:8080".into(),
            sms_url: None,
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587); the upgrade is required.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine or a trusted local network.
    Plain,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            "plain" => Some(SmtpTls::Plain),
            _ => None,
        }
    }
}

/// Where e-mail goes out.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, `教工平台 <noreply@example.edu.cn>` or a bare address.
    pub from: String,
}

type Mailer = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;

impl SmtpSettings {
    /// Builds the transport, or says which setting is wrong.
    pub fn transport(&self) -> Result<(Mailer, lettre::message::Mailbox), String> {
        use lettre::transport::smtp::authentication::Credentials;
        let from: lettre::message::Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("smtp_from {:?}: {e}", self.from))?;
        let b = match self.tls {
            SmtpTls::StartTls => {
                Mailer::starttls_relay(&self.host).map_err(|e| format!("smtp_host: {e}"))?
            }
            SmtpTls::Tls => Mailer::relay(&self.host).map_err(|e| format!("smtp_host: {e}"))?,
            SmtpTls::Plain => Mailer::builder_dangerous(&self.host),
        };
        let mut b = b.port(self.port).timeout(Some(Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok((b.build(), from))
    }
}

/// Sends jobs.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    cfg: WorkerConfig,
    http: reqwest::Client,
    mailer: Option<(Mailer, lettre::message::Mailbox)>,
}

impl Worker {
    pub fn new(store: Store, cfg: WorkerConfig) -> Worker {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            // A robot URL is checked at the form; redirects could lead elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Worker {
            store,
            cfg,
            http,
            mailer: None,
        }
    }

    /// Sends e-mail jobs through this SMTP server (without it they are parked with the
    /// reason, visible to the administrator).
    pub fn with_smtp(mut self, smtp: &SmtpSettings) -> Result<Worker, String> {
        self.mailer = Some(smtp.transport()?);
        Ok(self)
    }

    /// Takes one batch of due jobs and sends them; returns how many were taken.
    pub async fn run_once(&self) -> Result<usize, store::StoreError> {
        let now = store::now();
        let jobs = outbox::claim(
            &self.store.db,
            &self.cfg.name,
            self.cfg.batch,
            self.cfg.lease,
            now,
        )
        .await?;
        let n = jobs.len();
        if n == 0 {
            return Ok(0);
        }
        use futures::StreamExt;
        let results: Vec<(Job, Result<(), String>)> = futures::stream::iter(jobs)
            .map(|j| async move {
                let r = self.deliver(&j).await;
                (j, r)
            })
            .buffer_unordered(self.cfg.concurrency.max(1))
            .collect()
            .await;
        let now = store::now();
        let done: Vec<i64> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(j, _)| j.id)
            .collect();
        outbox::complete(&self.store.db, &done, now).await?;
        for (j, r) in &results {
            if let Err(e) = r {
                let status = outbox::fail(&self.store.db, j, e, &self.cfg.backoff, now).await?;
                tracing::warn!(job = j.id, channel = %j.channel, attempts = j.attempts, status = status.as_str(), error = %e, "delivery failed");
            }
        }
        Ok(n)
    }

    /// Runs until the process ends: a batch after another while there is work, a short
    /// wait when there is none.
    pub async fn run(self) {
        loop {
            match self.run_once().await {
                Ok(0) => tokio::time::sleep(self.cfg.idle).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "outbox worker");
                    tokio::time::sleep(self.cfg.idle).await;
                }
            }
        }
    }

    async fn deliver(&self, j: &Job) -> Result<(), String> {
        match Channel::parse(&j.channel) {
            Some(Channel::Robot) => {
                let p: store::notify::Payload =
                    serde_json::from_str(&j.payload).map_err(|e| e.to_string())?;
                let unit = OrgUnitId(j.org_unit_id.ok_or("no org unit")?);
                let robot = store::robot::for_sending(&self.store, unit)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the unit has no group robot")?;
                send_robot(
                    &self.http,
                    &robot,
                    &p.message,
                    &self.cfg.public_url,
                    &j.idempotency_key,
                )
                .await
            }
            Some(Channel::Webhook) => {
                #[derive(Deserialize)]
                struct Hook {
                    url: String,
                    #[serde(default)]
                    body: serde_json::Value,
                }
                let h: Hook = serde_json::from_str(&j.payload).map_err(|e| e.to_string())?;
                let r = self
                    .http
                    .post(&h.url)
                    .header("Idempotency-Key", &j.idempotency_key)
                    .json(&h.body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let s = r.status();
                if s.is_success() {
                    Ok(())
                } else {
                    Err(format!("HTTP {}", s.as_u16()))
                }
            }
            Some(Channel::Email) => {
                // Without SMTP settings the job is parked after its tries, visible to the
                // administrator, so nothing is lost once e-mail is configured and retried.
                let (mailer, from) = self.mailer.as_ref().ok_or("e-mail is not configured")?;
                let p: store::notify::Bundle =
                    serde_json::from_str(&j.payload).map_err(|e| e.to_string())?;
                let account = domain::ids::AccountId(j.account_id.ok_or("no account")?);
                let Some(to) = store::notify::email_of(&self.store.db, account)
                    .await
                    .map_err(|e| e.to_string())?
                else {
                    // E-mail switched off since: nothing to send, and nothing to retry.
                    return Ok(());
                };
                send_email(
                    mailer,
                    from,
                    &to,
                    &p.message,
                    &p.digest,
                    &self.cfg.public_url,
                    &j.idempotency_key,
                )
                .await
            }
            Some(Channel::Sms) => {
                #[derive(Deserialize)]
                struct Link {
                    link_request: i64,
                }
                let l: Link = serde_json::from_str(&j.payload).map_err(|e| e.to_string())?;
                let url = self
                    .cfg
                    .sms_url
                    .as_deref()
                    .ok_or("the SMS gateway is not configured (sms_url)")?;
                let Some((to, code)) = store::auth::for_sending(&self.store, l.link_request)
                    .await
                    .map_err(|e| e.to_string())?
                else {
                    // Confirmed, void, expired or already sent: nothing to send.
                    return Ok(());
                };
                let text = Tr::new(Lang::Zh).ta("sms-link-code", &[("code", code)]);
                let r = self
                    .http
                    .post(url)
                    .header("Idempotency-Key", &j.idempotency_key)
                    .json(&serde_json::json!({ "to": to, "text": text }))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let s = r.status();
                if !s.is_success() {
                    return Err(format!("HTTP {}", s.as_u16()));
                }
                store::auth::mark_sent(&self.store, l.link_request)
                    .await
                    .map_err(|e| e.to_string())
            }
            None => Err(format!("unknown channel {}", j.channel)),
        }
    }
}

/// Sends a message to a group robot and reads its answer (the worker and the test button).
pub async fn send_robot(
    http: &reqwest::Client,
    robot: &store::robot::Robot,
    message: &Message,
    public_url: &str,
    idempotency_key: &str,
) -> Result<(), String> {
    // Work-chat groups of Chinese schools read Chinese.
    let tr = Tr::new(Lang::Zh);
    let (title, body) = render(&tr, message);
    let link = format!("{}{}", public_url.trim_end_matches('/'), message.link);
    let json = domain::outbox::robot_body(robot.kind, &title, &body, &link);
    let url = match (robot.kind, &robot.secret) {
        (RobotKind::Dingtalk, Some(secret)) => {
            domain::outbox::dingtalk_signed_url(&robot.url, secret, store::now().timestamp_millis())
        }
        _ => robot.url.clone(),
    };
    let r = http
        .post(&url)
        .header("Idempotency-Key", idempotency_key)
        .json(&json)
        .send()
        .await
        .map_err(|e| without_url(&e))?;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    domain::outbox::robot_answer(status, &text)
}

/// The text of an e-mail: the message with its link, or for a daily digest its heading and
/// then every bundled message with its own link.
pub fn email_text(
    tr: &Tr,
    message: &Message,
    digest: &[Message],
    public_url: &str,
) -> (String, String) {
    let base = public_url.trim_end_matches('/');
    let (title, body) = render(tr, message);
    let mut text = format!("{body}\n\n{base}{}\n", message.link);
    for m in digest {
        let (t, b) = render(tr, m);
        text.push_str(&format!("\n· {t}\n  {b}\n  {base}{}\n", m.link));
    }
    (title, text)
}

/// Sends one message (or a digest of several) as e-mail (Chinese; the platform's reminders
/// are written for Chinese offices). Its Message-ID is derived from the idempotency key, so
/// a mail system can drop a repeat sent after a crash.
pub async fn send_email(
    mailer: &Mailer,
    from: &lettre::message::Mailbox,
    to: &str,
    message: &Message,
    digest: &[Message],
    public_url: &str,
    idempotency_key: &str,
) -> Result<(), String> {
    use lettre::AsyncTransport;
    use sha2::Digest;
    let tr = Tr::new(Lang::Zh);
    let (title, body) = email_text(&tr, message, digest, public_url);
    let to: lettre::message::Mailbox = to.parse().map_err(|e| format!("address: {e}"))?;
    let id = hex::encode(&sha2::Sha256::digest(idempotency_key.as_bytes())[..16]);
    let email = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("[{}] {title}", tr.t("email-subject-prefix")))
        .message_id(Some(format!("<{id}@jiaogong>")))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())?;
    mailer
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A transport error without the URL (it carries the robot's key).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}

// ---------------------------------------------------------------- parked jobs

pub struct JobView {
    pub id: i64,
    pub channel: String,
    pub unit: String,
    pub attempts: i64,
    pub error: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "outbox/jobs.html")]
struct JobsPage {
    p: Chrome,
    ready: i64,
    running: i64,
    parked: i64,
    rows: Vec<JobView>,
}

async fn parked_page(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let db = &state.store.db;
    let (ready, running, parked) = outbox::counts(db, &cap).await?;
    let rows = outbox::parked(db, &cap, 200)
        .await?
        .into_iter()
        .map(|r| JobView {
            id: r.id,
            channel: a.tr.t(&format!("job-channel-{}", r.channel)),
            unit: r.unit_name.unwrap_or_default(),
            attempts: r.attempts,
            error: r.last_error.unwrap_or_default(),
            at: r.finished_at.map(|t| a.tr.datetime(&t)).unwrap_or_default(),
        })
        .collect();
    a.render(&JobsPage {
        p: Chrome::new(&a, "jobs-title"),
        ready,
        running,
        parked,
        rows,
    })
}

async fn retry(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    outbox::retry(&state.store, &cap, &a.who(), id, store::now()).await?;
    Ok(a.redirect("/jobs", Flash::ok("jobs-retried")))
}

// ---------------------------------------------------------------- group robots

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RobotForm {
    kind: String,
    url: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "outbox/robot.html")]
struct RobotPage {
    p: Chrome,
    unit_id: i64,
    unit_name: String,
    current: Option<(String, String)>,
    kind: String,
    url: String,
    url_error: Option<String>,
    secret_error: Option<String>,
    test_answer: Option<(bool, String)>,
    /// The unit's reminder rules (lead times, escalation) are the next thing a chair sets.
    rules_link: bool,
}

async fn robot_view(
    state: &AppState,
    a: &Auth,
    id: i64,
    form: Option<RobotForm>,
    url_error: Option<String>,
    secret_error: Option<String>,
    test_answer: Option<(bool, String)>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    let unit = OrgUnitId(id);
    let current = store::robot::get(&state.store, &cap, unit).await?;
    let path = store::org::path(&state.store.db, &cap, unit).await?;
    let unit_name = path
        .last()
        .map(|u| u.name.clone())
        .ok_or(AppError::NotFound)?;
    let f = form.unwrap_or_default();
    a.render(&RobotPage {
        p: Chrome::new(a, "robot-title"),
        rules_link: a.actor.may(domain::auth::Permission::RuleSetManage),
        unit_id: id,
        unit_name,
        current: current.map(|r| {
            (
                a.tr.t(&format!("robot-kind-{}", r.kind.as_str())),
                r.masked_url(),
            )
        }),
        kind: if f.kind.is_empty() {
            "wecom".into()
        } else {
            f.kind
        },
        url: f.url,
        url_error,
        secret_error,
        test_answer,
    })
}

async fn robot_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    robot_view(&state, &a, id, None, None, None, None).await
}

async fn robot_save(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RobotForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    // Out of scope is 404 before anything about the form is said.
    store::robot::get(&state.store, &cap, OrgUnitId(id)).await?;
    let Some(kind) = RobotKind::parse(&f.kind) else {
        return Err(AppError::BadRequest);
    };
    let url = RobotUrl::parse(kind, &f.url);
    let secret = match (kind, f.secret.trim()) {
        (RobotKind::Dingtalk, s) if !s.is_empty() => Some(domain::outbox::parse_dingtalk_secret(s)),
        _ => None,
    };
    let url_error = url.as_ref().err().map(|k| a.tr.t(k));
    let secret_error = secret
        .as_ref()
        .and_then(|s| s.as_ref().err())
        .map(|k| a.tr.t(k));
    let (Ok(url), None) = (url, secret_error.as_ref()) else {
        // The form keeps what was typed (but never echoes the secret).
        return robot_view(
            &state,
            &a,
            id,
            Some(RobotForm {
                secret: String::new(),
                ..f
            }),
            url_error,
            secret_error,
            None,
        )
        .await;
    };
    let secret = secret.and_then(Result::ok);
    store::robot::set(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(id),
        kind,
        &url,
        secret.as_deref(),
    )
    .await?;
    Ok(a.redirect(&format!("/org/{id}/robot"), Flash::ok("robot-saved")))
}

async fn robot_test(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    let unit = OrgUnitId(id);
    let robot = store::robot::get(&state.store, &cap, unit)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = store::org::path(&state.store.db, &cap, unit)
        .await?
        .last()
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let msg = Message::new(
        domain::outbox::MessageKind::RobotTest,
        &[("unit", name)],
        &format!("/org/{id}/robot"),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let base = state.config.public_url.clone().unwrap_or_default();
    let key = format!("robot-test:{id}:{}", store::now().timestamp_micros());
    let answer = match send_robot(&http, &robot, &msg, &base, &key).await {
        Ok(()) => (true, a.tr.t("robot-test-ok")),
        Err(e) => (false, a.tr.t1("robot-test-failed", "answer", e)),
    };
    robot_view(&state, &a, id, None, None, None, Some(answer)).await
}
