//! The rules of the outbox and its channels, without any IO: job states and channels, the
//! retry back-off, the message kinds every reminder is made from (with the arguments each
//! may carry, so that no personal data can reach a message body), the group robots' URL
//! checks, their JSON bodies and the 钉钉 signature.
//!
//! This module never sends anything and never reads the clock: callers pass the time in.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where a job goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The group robot (企业微信 / 钉钉) of an org unit.
    Robot,
    /// An e-mail to an account.
    Email,
    /// A plain JSON POST to a URL named in the job (load tests, integrations).
    Webhook,
    /// A text message to a member's phone on the roster, through the configured SMS
    /// gateway. The job names what to send (a link request); the number and the text are
    /// read when sending, so neither sits in the queue.
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Robot => "robot",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "robot" => Some(Channel::Robot),
            "email" => Some(Channel::Email),
            "webhook" => Some(Channel::Webhook),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// The life of a job: `ready → running → done`, or back to `ready` with a later `run_at`
/// after a failed try, or `parked` after the last one (until an administrator retries it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Ready,
    Running,
    Done,
    Parked,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Ready => "ready",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Parked => "parked",
        }
    }
    pub fn parse(s: &str) -> Option<JobStatus> {
        match s {
            "ready" => Some(JobStatus::Ready),
            "running" => Some(JobStatus::Running),
            "done" => Some(JobStatus::Done),
            "parked" => Some(JobStatus::Parked),
            _ => None,
        }
    }
}

/// Exponential back-off between tries: `base · 2^(tries − 1)`, at most `cap`, and how many
/// tries a job gets before it is parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min, … at most an hour; parked after the 8th try (about 1 h 4 min of
    /// trying in all), so a robot that is down over lunch still gets the message.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed try (1-based).
    pub fn delay(&self, attempts: u32) -> Duration {
        let shift = attempts.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << shift)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// What becomes of a job after its `attempts`-th try failed at `now`: the time of its
    /// next try, or `None` when it is to be parked.
    pub fn after_failure(&self, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let d = chrono::Duration::from_std(self.delay(attempts)).unwrap_or(chrono::Duration::MAX);
        Some(now.checked_add_signed(d).unwrap_or(now))
    }
}

/// Every kind of message the platform sends. The text of each lives in the catalogues
/// (`notify-<kind>-title`, `notify-<kind>-body`); the arguments it may use are declared here,
/// once, and the catalogue test checks the texts against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// A proposal's reply is past its deadline (sent to the handling department, the
    /// school's robot and the chair).
    ProposalOverdue,
    /// A robot's "send test" button.
    RobotTest,
    /// A due item's reminder steps (from the areas' due items): due in a few days, due
    /// today, overdue, and overdue long enough that the unit above is told.
    DueBefore,
    DueToday,
    DueOverdue,
    DueEscalated,
    /// The daily digest of an account that chose one: its reminders in one e-mail.
    Digest,
}

impl MessageKind {
    pub const ALL: &'static [MessageKind] = &[
        MessageKind::ProposalOverdue,
        MessageKind::RobotTest,
        MessageKind::DueBefore,
        MessageKind::DueToday,
        MessageKind::DueOverdue,
        MessageKind::DueEscalated,
        MessageKind::Digest,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MessageKind::ProposalOverdue => "proposal-overdue",
            MessageKind::RobotTest => "robot-test",
            MessageKind::DueBefore => "due-before",
            MessageKind::DueToday => "due-today",
            MessageKind::DueOverdue => "due-overdue",
            MessageKind::DueEscalated => "due-escalated",
            MessageKind::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        Self::ALL.iter().copied().find(|k| k.key() == s)
    }

    /// The arguments the message may carry. None of them may be personal data
    /// ([`PERSONAL_ARGS`]); a test checks every kind.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            MessageKind::ProposalOverdue => &["number", "title", "school", "due", "days"],
            MessageKind::RobotTest => &["unit"],
            // `what` is the due item's catalogue key (rendered in the reader's language);
            // `title` is the item's title, which carries no personal data (DueItem::title);
            // `rules` names the reminders' rule-set version that sent it.
            MessageKind::DueBefore
            | MessageKind::DueToday
            | MessageKind::DueOverdue
            | MessageKind::DueEscalated => &["what", "title", "unit", "due", "days", "rules"],
            MessageKind::Digest => &["count"],
        }
    }
}

/// Argument names that would carry personal data into a message body: ID numbers, phones,
/// incomes, hardship and health details, birth dates, addresses.
pub const PERSONAL_ARGS: &[&str] = &[
    "id_number",
    "phone",
    "mobile",
    "income",
    "salary",
    "hardship",
    "health",
    "illness",
    "diagnosis",
    "birth_date",
    "address",
    "email",
    "name",
];

/// A message to be rendered in the reader's language: its kind, its arguments and the path
/// of the page that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub kind: MessageKind,
    pub args: Vec<(String, String)>,
    pub link: String,
}

impl Message {
    /// Keeps only the arguments the kind declares: a caller cannot slip anything else in.
    pub fn new(kind: MessageKind, args: &[(&str, String)], link: &str) -> Message {
        Message {
            kind,
            args: args
                .iter()
                .filter(|(k, _)| kind.args().contains(k))
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            link: link.to_string(),
        }
    }
}

/// The two work-chat robots the platform talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotKind {
    /// 企业微信 group robot: POST JSON to `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.
    Wecom,
    /// 钉钉 custom robot: POST JSON to `https://oapi.dingtalk.com/robot/send?access_token=…`,
    /// signed with `timestamp` and `sign` in the URL.
    Dingtalk,
}

impl RobotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::Wecom => "wecom",
            RobotKind::Dingtalk => "dingtalk",
        }
    }
    pub fn parse(s: &str) -> Option<RobotKind> {
        match s {
            "wecom" => Some(RobotKind::Wecom),
            "dingtalk" => Some(RobotKind::Dingtalk),
            _ => None,
        }
    }
    fn official(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RobotKind::Wecom => ("qyapi.weixin.qq.com", "/cgi-bin/webhook/send", "key="),
            RobotKind::Dingtalk => ("oapi.dingtalk.com", "/robot/send", "access_token="),
        }
    }
}

/// Why a robot address was refused (catalogue keys).
pub mod t {
    pub const URL_INVALID: &str = "robot-url-invalid";
    pub const URL_NOT_HTTPS: &str = "robot-url-not-https";
    pub const URL_WRONG_HOST: &str = "robot-url-wrong-host";
    pub const URL_NO_KEY: &str = "robot-url-no-key";
    pub const SECRET_INVALID: &str = "robot-secret-invalid";
    pub const EMAIL_INVALID: &str = "email-invalid";
}

/// A robot's webhook address as its chair pasted it, checked: the official host and path of
/// its kind over HTTPS with its key; or any address on this machine (`127.0.0.1`,
/// `localhost`, `[::1]`), plain HTTP allowed, for a local relay or a test receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RobotUrl(String);

impl RobotUrl {
    pub fn parse(kind: RobotKind, input: &str) -> Result<RobotUrl, &'static str> {
        let s = input.trim();
        let (scheme, rest) = s.split_once("://").ok_or(t::URL_INVALID)?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) || rest.is_empty() {
            return Err(t::URL_INVALID);
        }
        let (authority, path_query) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(t::URL_INVALID);
        }
        let host = if authority.starts_with('[') {
            authority.split(']').next().map(|h| format!("{h}]"))
        } else {
            authority.split(':').next().map(str::to_string)
        }
        .ok_or(t::URL_INVALID)?
        .to_ascii_lowercase();
        let local = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if local => {}
            "http" => return Err(t::URL_NOT_HTTPS),
            _ => return Err(t::URL_INVALID),
        }
        if !local {
            let (official_host, path, key) = kind.official();
            if host != official_host {
                return Err(t::URL_WRONG_HOST);
            }
            let (p, q) = path_query.split_once('?').unwrap_or((path_query, ""));
            if p != path {
                return Err(t::URL_WRONG_HOST);
            }
            let has_key = q
                .split('&')
                .any(|pair| pair.starts_with(key) && pair.len() > key.len());
            if !has_key {
                return Err(t::URL_NO_KEY);
            }
        }
        Ok(RobotUrl(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address as a person typed it: one `@`, a local part, a domain with a dot, no
/// spaces, at most 254 characters. (The SMTP library checks the rest when sending.)
pub fn parse_email(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    let ok = s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(t::EMAIL_INVALID)
    }
}

/// A 钉钉 signing secret: `SEC` followed by letters and digits, as its robot page shows it.
pub fn parse_dingtalk_secret(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    if s.len() > 3
        && s.len() <= 200
        && s.starts_with("SEC")
        && s.chars().all(|c| c.is_ascii_alphanumeric())
    {
        Ok(s.to_string())
    } else {
        Err(t::SECRET_INVALID)
    }
}

/// The 钉钉 signature of `timestamp` (milliseconds): HMAC-SHA256 keyed with the secret over
/// `"{timestamp}\n{secret}"`, in standard base64.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this branch cannot run.
        Err(_) => return String::new(),
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The robot's URL with the 钉钉 `timestamp` and `sign` parameters added (the sign
/// url-encoded: base64 uses `+`, `/` and `=`, which a query must escape).
pub fn dingtalk_signed_url(url: &str, secret: &str, timestamp_ms: i64) -> String {
    let sign = dingtalk_sign(secret, timestamp_ms)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}timestamp={timestamp_ms}&sign={sign}")
}

/// The JSON body of a markdown message: 企业微信 `{"msgtype":"markdown","markdown":
/// {"content":…}}`; 钉钉 `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`. The
/// text ends with the link to the page that needs attention.
pub fn robot_body(kind: RobotKind, title: &str, text: &str, link: &str) -> serde_json::Value {
    let md = format!("### {title}\n{text}\n\n[{link}]({link})");
    match kind {
        RobotKind::Wecom => serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "content": md },
        }),
        RobotKind::Dingtalk => serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "title": title, "text": md },
        }),
    }
}

/// Reads a robot's answer: both answer HTTP 200 with `{"errcode":0,"errmsg":"ok"}` on
/// success and a non-zero `errcode` with the reason otherwise.
pub fn robot_answer(status: u16, body: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {}", truncate(body, 300)));
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) if v.get("errcode").and_then(|c| c.as_i64()) == Some(0) => Ok(()),
        Ok(v) => Err(format!(
            "errcode {}: {}",
            v.get("errcode").map(|c| c.to_string()).unwrap_or_default(),
            v.get("errmsg").and_then(|m| m.as_str()).unwrap_or_default()
        )),
        Err(_) => Err(format!("HTTP {status}: {}", truncate(body, 300))),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_each_failed_try_up_to_the_cap_and_the_last_try_parks() {
        let b = Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(300),
            max_attempts: 4,
        };
        assert_eq!(b.delay(1), Duration::from_secs(30));
        assert_eq!(b.delay(2), Duration::from_secs(60));
        assert_eq!(b.delay(3), Duration::from_secs(120));
        assert_eq!(b.delay(5), Duration::from_secs(300));
        assert_eq!(b.delay(200), Duration::from_secs(300));
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        assert_eq!(
            b.after_failure(1, now),
            Some(now + chrono::Duration::seconds(30))
        );
        assert_eq!(b.after_failure(4, now), None);
    }

    #[test]
    fn no_message_kind_may_carry_personal_data() {
        for k in MessageKind::ALL {
            for a in k.args() {
                assert!(!PERSONAL_ARGS.contains(a), "{k:?} carries {a}");
            }
            assert_eq!(MessageKind::parse(k.key()), Some(*k));
        }
        let m = Message::new(
            MessageKind::ProposalOverdue,
            &[("title", "t".into()), ("phone", "13800138000".into())],
            "/proposals/1",
        );
        assert_eq!(m.args, vec![("title".to_string(), "t".to_string())]);
    }

    #[test]
    fn a_robot_url_is_refused_unless_it_is_the_official_https_address_with_its_key() {
        let w = RobotKind::Wecom;
        assert!(
            RobotUrl::parse(
                w,
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
            )
            .is_ok()
        );
        assert_eq!(
            RobotUrl::parse(w, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
            Err(t::URL_NOT_HTTPS)
        );
        assert_eq!(
            RobotUrl::parse(w, "https://evil.example/cgi-bin/webhook/send?key=abc"),
            Err(t::URL_WRONG_HOST)
        );
        assert_eq!(
            RobotUrl::parse(w, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="),
            Err(t::URL_NO_KEY)
        );
        assert_eq!(
            RobotUrl::parse(w, "qyapi.weixin.qq.com"),
            Err(t::URL_INVALID)
        );
        assert_eq!(
            RobotUrl::parse(
                w,
                "https://user@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a"
            ),
            Err(t::URL_INVALID)
        );
        let d = RobotKind::Dingtalk;
        assert!(RobotUrl::parse(d, "https://oapi.dingtalk.com/robot/send?access_token=x1").is_ok());
        assert_eq!(
            RobotUrl::parse(
                d,
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
            ),
            Err(t::URL_WRONG_HOST)
        );
        assert!(RobotUrl::parse(d, "http://127.0.0.1:8080/robot/send").is_ok());
        assert!(parse_dingtalk_secret("SECabc123").is_ok());
        assert!(parse_dingtalk_secret("abc").is_err());
        assert_eq!(
            parse_email(" chair@school.edu.cn "),
            Ok("chair@school.edu.cn".into())
        );
        for bad in [
            "chair",
            "chair@school",
            "a b@c.cn",
            "@c.cn",
            "a@b@c.cn",
            "x@.cn",
        ] {
            assert_eq!(parse_email(bad), Err(t::EMAIL_INVALID), "{bad}");
        }
    }

    #[test]
    fn the_dingtalk_signature_matches_the_documented_computation() {
        // HMAC-SHA256(key = secret, "1700000000000\nSECtest"), base64, computed independently
        // with Python's hmac module.
        let sign = dingtalk_sign("SECtest", 1_700_000_000_000);
        assert_eq!(sign, "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=");
        let url = dingtalk_signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            "SECtest",
            1_700_000_000_000,
        );
        assert!(url.starts_with(
            "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign="
        ));
        assert!(
            !url.rsplit("sign=")
                .next()
                .unwrap()
                .contains(['+', '/', '='])
        );
    }

    #[test]
    fn a_robot_error_answer_is_a_failure_with_its_reason() {
        assert!(robot_answer(200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert_eq!(
            robot_answer(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#),
            Err("errcode 93000: invalid webhook url".to_string())
        );
        assert!(robot_answer(502, "bad gateway").is_err());
    }
}
