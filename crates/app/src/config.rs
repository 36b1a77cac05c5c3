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
    pub db_max_connections: u32,
    /// Log filter (`info`, `debug`, `jiaogong=debug,sqlx=warn`…).
    pub log: String,
    /// When the reminder scan runs: a cron expression (minute hour day month weekday) in
    /// China Standard Time. Every `serve` process has the scheduler; one runs each slot.
    pub reminder_schedule: String,
    /// Run the outbox worker in this process (several processes may; they share the queue).
    pub outbox_worker: bool,
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
            db_max_connections: 8,
            log: "info".into(),
            reminder_schedule: "30 7 * * *".into(),
            outbox_worker: true,
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
        c.database_url = Some(redact_url(&self.database_url()));
        c.key_file = Some(self.key_file());
        toml_string(&c)
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
