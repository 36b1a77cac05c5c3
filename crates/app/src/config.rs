//! Configuration: defaults → `jiaogong.toml` → `JIAOGONG_*` environment → command-line
//! flags (figment). Secrets (the encryption key, a database password) come only from the
//! environment or a file, and `check-config` prints them redacted.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// Where the SQLite database and the key file live by default.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/jiaogong.db`.
    pub database_url: Option<String>,
    /// The master key file (base64); default `<data_dir>/master.key`.
    pub key_file: Option<PathBuf>,
    /// The master key itself (base64), instead of a file. Environment only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Mark cookies Secure and send HSTS (serve behind TLS).
    pub secure_cookies: bool,
    pub max_upload_mb: usize,
    pub import_max_rows: usize,
    /// Public base URL for printed links, e.g. `https://jiaogong.example.edu.cn`.
    pub public_url: Option<String>,
    /// Extra origins allowed to post forms (a reverse proxy's public name).
    pub trusted_origins: Vec<String>,
    /// Reverse proxies (IP addresses) whose `X-Forwarded-For` names the client; without
    /// one the client is the socket peer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub db_max_connections: u32,
    /// Log filter (`info`, `debug`, `jiaogong=debug,sqlx=warn`…).
    pub log: String,
    /// When the reminder scan runs: a cron expression (minute hour day month weekday) in
    /// China Standard Time. Every `serve` process has the scheduler; one runs each slot.
    pub reminder_schedule: String,
    /// When the daily digest of reminders goes to the accounts that chose one (cron, China
    /// Standard Time).
    pub digest_schedule: String,
    /// Run the outbox worker in this process (several processes may; they share the queue).
    pub outbox_worker: bool,
    /// Seconds a job taken by a worker stays its own: after a crash, another process takes
    /// it again once this has passed (so it bounds how late a job in flight is re-sent).
    pub outbox_lease_seconds: u64,
    /// SMTP server for e-mail reminders; none means e-mail jobs are parked with the reason.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls` (port 587), `tls` (port 465) or `plain` (a relay on this machine).
    pub smtp_tls: String,
    pub smtp_username: Option<String>,
    /// Environment only (`JIAOGONG_SMTP_PASSWORD`); `check-config` prints it redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<String>,
    /// The sender, e.g. `教工平台 <noreply@example.edu.cn>`.
    pub smtp_from: Option<String>,
    /// The SMS gateway for confirmation codes (a member's own channel when an account is
    /// linked to a delegate): JSON `{"to", "text"}` is POSTed here. None: such messages
    /// are parked, visible on /jobs, until it is configured and they are retried.
    pub sms_url: Option<String>,
    /// The bearer token a Prometheus scraper sends to `/metrics`; none: no `/metrics`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// `text` (default) or `json`: one JSON object per log line, for a log collector.
    pub log_format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            key_file: None,
            key: None,
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            secure_cookies: false,
            max_upload_mb: 20,
            import_max_rows: 200_000,
            public_url: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            db_max_connections: 8,
            log: "info".into(),
            reminder_schedule: "30 7 * * *".into(),
            digest_schedule: "0 17 * * *".into(),
            outbox_worker: true,
            outbox_lease_seconds: 120,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            smtp_from: None,
            sms_url: None,
            metrics_token: None,
            log_format: "text".into(),
        }
    }
}

/// Flags that override everything else (only those given).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("jiaogong.toml"));
        if path.exists() {
            fig = fig.merge(Toml::file(&path));
        } else if file.is_some() {
            anyhow::bail!("the configuration file {} does not exist", path.display());
        }
        fig = fig
            .merge(Env::prefixed("JIAOGONG_"))
            .merge(Serialized::defaults(overrides));
        let c: Config = fig.extract()?;
        Ok(c)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("jiaogong.db").display()))
    }

    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The configuration as TOML with secrets hidden.
    pub fn redacted(&self) -> String {
        let mut c = self.clone();
        if c.key.is_some() {
            c.key = Some("[redacted]".into());
        }
        if c.metrics_token.is_some() {
            c.metrics_token = Some("[redacted]".into());
        }
        if c.smtp_password.is_some() {
            c.smtp_password = Some("[redacted]".into());
        }
        c.database_url = Some(redact_url(&self.database_url()));
        c.key_file = Some(self.key_file());
        toml_string(&c)
    }

    /// The SMTP settings, checked: `None` without a host; an error naming the bad setting.
    pub fn smtp(&self) -> anyhow::Result<Option<web::outbox::SmtpSettings>> {
        let Some(host) = self.smtp_host.clone().filter(|h| !h.trim().is_empty()) else {
            return Ok(None);
        };
        let tls = web::outbox::SmtpTls::parse(&self.smtp_tls).ok_or_else(|| {
            anyhow::anyhow!(
                "smtp_tls must be starttls, tls or plain (not {:?})",
                self.smtp_tls
            )
        })?;
        let from = self
            .smtp_from
            .clone()
            .ok_or_else(|| anyhow::anyhow!("smtp_from is required with smtp_host"))?;
        let s = web::outbox::SmtpSettings {
            host,
            port: self.smtp_port,
            tls,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from,
        };
        s.transport().map_err(|e| anyhow::anyhow!(e))?;
        Ok(Some(s))
    }

    pub fn web(&self) -> web::WebConfig {
        web::WebConfig {
            session: store::auth::SessionPolicy {
                idle: chrono::Duration::minutes(self.session_idle_minutes.max(1)),
                absolute: chrono::Duration::hours(self.session_absolute_hours.max(1)),
            },
            secure_cookies: self.secure_cookies,
            max_upload_bytes: self.max_upload_mb.max(1) * 1024 * 1024,
            import_max_rows: self.import_max_rows.max(1),
            trusted_origins: self.trusted_origins.clone(),
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            metrics_token: self.metrics_token.clone().filter(|t| !t.trim().is_empty()),
        }
    }
}

/// Hides the password of a `postgres://user:password@host/db` URL.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((cred, host)) = rest.split_once('@')
        && let Some((user, _)) = cred.split_once(':')
    {
        return format!("{scheme}://{user}:[redacted]@{host}");
    }
    url.to_string()
}

fn toml_string(c: &Config) -> String {
    // figment's TOML support reads only; a flat struct is written by hand.
    let v = serde_json::to_value(c).unwrap_or_default();
    let mut out = String::new();
    if let Some(map) = v.as_object() {
        for (k, v) in map {
            if v.is_null() {
                continue;
            }
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://jg:s3cret@db:5432/jg"),
            "postgres://jg:[redacted]@db:5432/jg"
        );
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    // lettre's connection pool starts a task when the transport is built: inside a runtime.
    #[tokio::test]
    async fn the_smtp_password_never_appears_in_check_config_and_bad_smtp_settings_are_named() {
        let c = Config {
            smtp_host: Some("smtp.example.edu.cn".into()),
            smtp_password: Some("hunter2-secret".into()),
            smtp_from: Some("教工平台 <noreply@example.edu.cn>".into()),
            ..Config::default()
        };
        let out = c.redacted();
        assert!(!out.contains("hunter2-secret"), "{out}");
        assert!(out.contains("smtp_password = \"[redacted]\""), "{out}");
        assert!(c.smtp().unwrap().is_some());
        let bad = Config {
            smtp_tls: "ssl".into(),
            ..c.clone()
        };
        assert!(bad.smtp().unwrap_err().to_string().contains("smtp_tls"));
        let bad = Config {
            smtp_from: Some("not an address".into()),
            ..c.clone()
        };
        assert!(bad.smtp().unwrap_err().to_string().contains("smtp_from"));
        assert!(Config::default().smtp().unwrap().is_none());
    }

    #[test]
    fn the_key_never_appears_in_check_config() {
        let c = Config {
            key: Some("c2VjcmV0".into()),
            ..Config::default()
        };
        let s = c.redacted();
        assert!(!s.contains("c2VjcmV0"));
        assert!(s.contains("[redacted]"));
    }
}
