//! Configuration: defaults, then an optional TOML file, then environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::crypto::seal::KeyEncryptionKey;

/// A setting that could not be read; the message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// Settings as written by the operator, before they are checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// `host:port` to listen on.
    pub bind: String,
    /// Directory for the SQLite database and key material.
    pub data_dir: PathBuf,
    /// `postgres://…`, `postgresql://…`, `sqlite://PATH` or a plain path; empty means `DATA_DIR/borderpass.db`.
    pub database_url: Option<String>,
    /// IANA time zone of the zone's calendar.
    pub zone_tz: String,
    /// Longest visit, in calendar days, both ends counted.
    pub max_stay_days: u32,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Connections in the reading pool (and the writing pool on PostgreSQL).
    pub db_pool_size: u32,
    /// base64url 32-byte key that seals signing keys in the database; empty means `DATA_DIR/key-encryption.key`.
    pub key_encryption_key: Option<SecretText>,
    /// argon2id memory per password hash, KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
    /// argon2id passes (OWASP: 2).
    pub argon2_iterations: u32,
    /// Lifetime of a staff access token, seconds.
    pub access_token_ttl_secs: u32,
    /// Failed logins (per username, and per client address) before logins are refused for a while.
    pub login_max_failures: u32,
    /// How long logins stay refused after too many failures, seconds (also the counting window).
    pub login_block_secs: u32,
    /// How far a scan's `scanned_at` may lie behind the server's clock, hours.
    pub scan_max_age_hours: u32,
    /// How far a scan's `scanned_at` may lie ahead of the server's clock, seconds.
    pub scan_max_ahead_secs: u32,
    /// How far an offline scan's `scanned_at` may lie behind the server's clock, days.
    pub offline_max_age_days: u32,
    /// How long after it is issued a gate bundle is fresh (the device should fetch a new one), seconds.
    pub bundle_fresh_secs: u32,
    /// How long after it is issued a gate bundle may still be decided from, seconds.
    pub bundle_valid_secs: u32,
    /// Largest body of an offline upload (`POST /api/v1/scans/batch`), bytes.
    pub batch_body_limit_bytes: usize,
    /// Comma-separated IANA time zones whose daily counts are kept pre-aggregated (besides `zone_tz`).
    pub stats_time_zones: String,
    /// Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: String,
    /// Password hashes computed at once (each takes `argon2_memory_kib`); 0 means two per core.
    pub max_concurrent_hashes: u32,
    /// Applications accepted per client address per minute; 0 turns the limit off.
    pub apply_limit_per_minute: u32,
    /// Permits issued per document per day; 0 turns the limit off.
    pub apply_limit_per_document_per_day: u32,
    /// Longest a request body may take to arrive, seconds.
    pub body_timeout_secs: u32,
    /// Most client connections open at once (the service's whole; split among its workers).
    pub max_connections: u32,
    /// How often an instance checks whether the staff-token key was replaced, seconds.
    pub key_refresh_secs: u32,
    /// Writer threads, each with its own group commit, on PostgreSQL (SQLite has one writer).
    pub db_writers: u32,
    /// `host:port` for `/metrics` (Prometheus text); empty: no metrics endpoint.
    pub metrics_bind: Option<String>,
    /// PEM certificate chain: with `tls_key`, `serve` answers HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

/// A secret setting: never printed by `Debug`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            zone_tz: "Asia/Shanghai".into(),
            max_stay_days: 30,
            log_format: "text".into(),
            body_limit_bytes: 64 * 1024,
            db_pool_size: 8,
            key_encryption_key: None,
            argon2_memory_kib: crate::crypto::password::OWASP_MEMORY_KIB,
            argon2_iterations: crate::crypto::password::OWASP_ITERATIONS,
            access_token_ttl_secs: 900,
            login_max_failures: 5,
            login_block_secs: 900,
            scan_max_age_hours: 72,
            scan_max_ahead_secs: 300,
            offline_max_age_days: 30,
            bundle_fresh_secs: 900,
            bundle_valid_secs: 86_400,
            batch_body_limit_bytes: 1024 * 1024,
            stats_time_zones: "Asia/Shanghai,Asia/Almaty,UTC".into(),
            trusted_proxies: String::new(),
            max_concurrent_hashes: 0,
            apply_limit_per_minute: 30,
            apply_limit_per_document_per_day: 5,
            body_timeout_secs: 10,
            max_connections: 4096,
            key_refresh_secs: 30,
            db_writers: 2,
            metrics_bind: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// Which database the service stores its data in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, as a libpq URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads `postgres://`, `postgresql://`, `sqlite://PATH` or a plain path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(format!(
                "unknown scheme `{scheme}://` (use postgres://, postgresql://, sqlite:// or a plain path)"
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(raw)))
    }

    /// A description safe for logs: no password, no user name.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite {}", path.display()),
            Self::Postgres(url) => {
                let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
                let host = after_scheme
                    .rsplit_once('@')
                    .map_or(after_scheme, |(_, h)| h);
                let host = host.split('?').next().unwrap_or_default();
                format!("postgres {host}")
            }
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Checked configuration: every value here is usable as it is.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    pub bind: SocketAddr,
    /// Directory for the SQLite database and key material.
    pub data_dir: PathBuf,
    /// Where the data is stored.
    pub database: DatabaseUrl,
    /// The zone's time zone.
    pub zone_tz: Tz,
    /// Longest visit in days.
    pub max_stay_days: u32,
    /// Log line format.
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Size of the reading pool.
    pub db_pool_size: u32,
    /// How long a request waits for a database connection.
    pub db_timeout: Duration,
    /// The key that seals signing keys, when configured; else it lives in `DATA_DIR/key-encryption.key`.
    pub key_encryption_key: Option<KeyEncryptionKey>,
    /// argon2id memory, KiB.
    pub argon2_memory_kib: u32,
    /// argon2id passes.
    pub argon2_iterations: u32,
    /// Staff access token lifetime.
    pub access_token_ttl: chrono::Duration,
    /// Failed logins before a block.
    pub login_max_failures: u32,
    /// Block length and counting window.
    pub login_block: chrono::Duration,
    /// Oldest accepted `scanned_at`, behind now.
    pub scan_max_age: chrono::Duration,
    /// Furthest accepted `scanned_at`, ahead of now.
    pub scan_max_ahead: chrono::Duration,
    /// Oldest accepted `scanned_at` of an offline scan, behind now.
    pub offline_max_age: chrono::Duration,
    /// A bundle is fresh this long after it is issued.
    pub bundle_fresh: chrono::Duration,
    /// A bundle may be decided from this long after it is issued.
    pub bundle_valid: chrono::Duration,
    /// Largest offline upload body.
    pub batch_body_limit_bytes: usize,
    /// Time zones with pre-aggregated daily counts (`zone_tz` first).
    pub stats_time_zones: Vec<Tz>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password hashes computed at once.
    pub max_concurrent_hashes: usize,
    /// Applications accepted per client address per minute (`None`: no limit).
    pub apply_limit_per_minute: Option<u32>,
    /// Permits issued per document per day (`None`: no limit).
    pub apply_limit_per_document_per_day: Option<u32>,
    /// Longest a request body may take to arrive.
    pub body_timeout: Duration,
    /// Most client connections open at once.
    pub max_connections: u32,
    /// How often an instance checks whether the staff-token key was replaced.
    pub key_refresh: Duration,
    /// Group-commit writers on PostgreSQL.
    pub db_writers: u32,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_bind: Option<SocketAddr>,
    /// The certificate and key files for HTTPS, if configured.
    pub tls: Option<TlsFiles>,
}

/// The PEM files `serve` answers HTTPS with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

impl Config {
    /// The key-encryption key: configured, or read from (created in) the data directory.
    pub fn load_key_encryption_key(&self) -> Result<KeyEncryptionKey, ConfigError> {
        match &self.key_encryption_key {
            Some(key) => Ok(key.clone()),
            None => KeyEncryptionKey::load_or_create(&self.data_dir.join("key-encryption.key"))
                .map_err(|e| {
                    ConfigError(format!("BORDERPASS_KEY_ENCRYPTION_KEY not set, and {e}"))
                }),
        }
    }
}

impl Config {
    /// Layers defaults, the TOML file (if any) and the environment, then checks every value.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "--config {}: no such file",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let figment = figment.merge(Env::raw().only(&["DATABASE_URL"])).merge(
            Env::prefixed("BORDERPASS_")
                .ignore(&["CONFIG"])
                .map(|key| key.as_str().to_ascii_lowercase().into()),
        );
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError(one_line(&e.to_string())))?;
        Self::from_raw(raw)
    }

    /// Checks raw settings; each error names the setting it concerns.
    pub fn from_raw(raw: RawSettings) -> Result<Self, ConfigError> {
        let bind = raw.bind.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError(format!(
                "BORDERPASS_BIND (bind) = {:?} is not host:port, e.g. 127.0.0.1:8080",
                raw.bind
            ))
        })?;
        let database = match raw.database_url.as_deref().map(str::trim) {
            None | Some("") => DatabaseUrl::Sqlite(raw.data_dir.join("borderpass.db")),
            Some(url) => DatabaseUrl::parse(url)
                .map_err(|why| ConfigError(format!("DATABASE_URL (database_url) {why}")))?,
        };
        let zone_tz = raw.zone_tz.trim().parse::<Tz>().map_err(|_| {
            ConfigError(format!(
                "BORDERPASS_ZONE_TZ (zone_tz) = {:?} is not an IANA time zone, e.g. Asia/Shanghai",
                raw.zone_tz
            ))
        })?;
        if !(1..=366).contains(&raw.max_stay_days) {
            return Err(ConfigError(format!(
                "BORDERPASS_MAX_STAY_DAYS (max_stay_days) = {} must be between 1 and 366",
                raw.max_stay_days
            )));
        }
        let log_format = match raw.log_format.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError(format!(
                    "BORDERPASS_LOG_FORMAT (log_format) = {other:?} must be text or json"
                )))
            }
        };
        if !(1024..=16 * 1024 * 1024).contains(&raw.body_limit_bytes) {
            return Err(ConfigError(format!(
                "BORDERPASS_BODY_LIMIT_BYTES (body_limit_bytes) = {} must be between 1024 and 16777216",
                raw.body_limit_bytes
            )));
        }
        if !(1..=256).contains(&raw.db_pool_size) {
            return Err(ConfigError(format!(
                "BORDERPASS_DB_POOL_SIZE (db_pool_size) = {} must be between 1 and 256",
                raw.db_pool_size
            )));
        }
        let key_encryption_key = match raw.key_encryption_key.as_ref().map(|s| s.0.trim()).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(KeyEncryptionKey::from_text(text).map_err(|_| {
                ConfigError("BORDERPASS_KEY_ENCRYPTION_KEY (key_encryption_key) must be 32 bytes in base64url (43 characters); make one with `borderpass keys new-kek`".into())
            })?),
        };
        let in_range = |name: &str, key: &str, value: u32, range: std::ops::RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(ConfigError(format!(
                    "BORDERPASS_{name} ({key}) = {value} must be between {} and {}",
                    range.start(),
                    range.end()
                )))
            }
        };
        let argon2_memory_kib = in_range(
            "ARGON2_MEMORY_KIB",
            "argon2_memory_kib",
            raw.argon2_memory_kib,
            8..=4 * 1024 * 1024,
        )?;
        let argon2_iterations = in_range(
            "ARGON2_ITERATIONS",
            "argon2_iterations",
            raw.argon2_iterations,
            1..=100,
        )?;
        let ttl = in_range(
            "ACCESS_TOKEN_TTL_SECS",
            "access_token_ttl_secs",
            raw.access_token_ttl_secs,
            60..=86_400,
        )?;
        let login_max_failures = in_range(
            "LOGIN_MAX_FAILURES",
            "login_max_failures",
            raw.login_max_failures,
            1..=1000,
        )?;
        let login_block = in_range(
            "LOGIN_BLOCK_SECS",
            "login_block_secs",
            raw.login_block_secs,
            1..=86_400,
        )?;
        let scan_max_age = in_range(
            "SCAN_MAX_AGE_HOURS",
            "scan_max_age_hours",
            raw.scan_max_age_hours,
            1..=24 * 31,
        )?;
        let scan_max_ahead = in_range(
            "SCAN_MAX_AHEAD_SECS",
            "scan_max_ahead_secs",
            raw.scan_max_ahead_secs,
            0..=3600,
        )?;
        let offline_max_age = in_range(
            "OFFLINE_MAX_AGE_DAYS",
            "offline_max_age_days",
            raw.offline_max_age_days,
            1..=366,
        )?;
        let bundle_valid = in_range(
            "BUNDLE_VALID_SECS",
            "bundle_valid_secs",
            raw.bundle_valid_secs,
            60..=7 * 86_400,
        )?;
        let bundle_fresh = in_range(
            "BUNDLE_FRESH_SECS",
            "bundle_fresh_secs",
            raw.bundle_fresh_secs,
            10..=bundle_valid,
        )?;
        if !(64 * 1024..=64 * 1024 * 1024).contains(&raw.batch_body_limit_bytes) {
            return Err(ConfigError(format!(
                "BORDERPASS_BATCH_BODY_LIMIT_BYTES (batch_body_limit_bytes) = {} must be between 65536 and 67108864",
                raw.batch_body_limit_bytes
            )));
        }
        let mut stats_time_zones = vec![zone_tz];
        for name in raw
            .stats_time_zones
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let tz = name.parse::<Tz>().map_err(|_| {
                ConfigError(format!(
                    "BORDERPASS_STATS_TIME_ZONES (stats_time_zones): {name:?} is not an IANA time zone"
                ))
            })?;
            if !stats_time_zones.contains(&tz) {
                stats_time_zones.push(tz);
            }
        }
        let mut trusted_proxies = Vec::new();
        for entry in raw
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let net = entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "BORDERPASS_TRUSTED_PROXIES (trusted_proxies): {entry:?} is not an address or a CIDR range such as 10.0.0.0/8"
                    ))
                })?;
            trusted_proxies.push(net);
        }
        let max_concurrent_hashes = match in_range(
            "MAX_CONCURRENT_HASHES",
            "max_concurrent_hashes",
            raw.max_concurrent_hashes,
            0..=1024,
        )? {
            0 => 2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n as usize,
        };
        let apply_limit_per_minute = in_range(
            "APPLY_LIMIT_PER_MINUTE",
            "apply_limit_per_minute",
            raw.apply_limit_per_minute,
            0..=1_000_000,
        )?;
        let apply_limit_per_document_per_day = in_range(
            "APPLY_LIMIT_PER_DOCUMENT_PER_DAY",
            "apply_limit_per_document_per_day",
            raw.apply_limit_per_document_per_day,
            0..=10_000,
        )?;
        let body_timeout = in_range(
            "BODY_TIMEOUT_SECS",
            "body_timeout_secs",
            raw.body_timeout_secs,
            1..=600,
        )?;
        let max_connections = in_range(
            "MAX_CONNECTIONS",
            "max_connections",
            raw.max_connections,
            16..=1_000_000,
        )?;
        let key_refresh = in_range(
            "KEY_REFRESH_SECS",
            "key_refresh_secs",
            raw.key_refresh_secs,
            1..=3600,
        )?;
        let db_writers = in_range("DB_WRITERS", "db_writers", raw.db_writers, 1..=64)?;
        if db_writers > raw.db_pool_size {
            return Err(ConfigError(format!(
                "BORDERPASS_DB_WRITERS (db_writers) = {db_writers} must not exceed BORDERPASS_DB_POOL_SIZE (db_pool_size) = {}: each writer holds a pooled connection while it commits",
                raw.db_pool_size
            )));
        }
        let metrics_bind = match raw.metrics_bind.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(addr) => Some(addr.parse::<SocketAddr>().map_err(|_| {
                ConfigError(format!(
                    "BORDERPASS_METRICS_BIND (metrics_bind) = {addr:?} is not host:port, e.g. 127.0.0.1:9090"
                ))
            })?),
        };
        if metrics_bind.is_some_and(|m| m == bind && bind.port() != 0) {
            return Err(ConfigError(
                "BORDERPASS_METRICS_BIND (metrics_bind) must differ from BORDERPASS_BIND: metrics are never served on the service's own port".into(),
            ));
        }
        let nonempty = |p: &Option<PathBuf>| p.clone().filter(|p| !p.as_os_str().is_empty());
        let tls = match (nonempty(&raw.tls_cert), nonempty(&raw.tls_key)) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            _ => {
                return Err(ConfigError(
                    "BORDERPASS_TLS_CERT and BORDERPASS_TLS_KEY (tls_cert, tls_key) go together: set both or neither".into(),
                ))
            }
        };
        Ok(Self {
            metrics_bind,
            tls,
            key_refresh: Duration::from_secs(u64::from(key_refresh)),
            db_writers,
            trusted_proxies,
            max_concurrent_hashes,
            apply_limit_per_minute: (apply_limit_per_minute > 0).then_some(apply_limit_per_minute),
            apply_limit_per_document_per_day: (apply_limit_per_document_per_day > 0)
                .then_some(apply_limit_per_document_per_day),
            body_timeout: Duration::from_secs(u64::from(body_timeout)),
            max_connections,
            stats_time_zones,
            argon2_memory_kib,
            argon2_iterations,
            access_token_ttl: chrono::Duration::seconds(i64::from(ttl)),
            login_max_failures,
            login_block: chrono::Duration::seconds(i64::from(login_block)),
            scan_max_age: chrono::Duration::hours(i64::from(scan_max_age)),
            scan_max_ahead: chrono::Duration::seconds(i64::from(scan_max_ahead)),
            offline_max_age: chrono::Duration::days(i64::from(offline_max_age)),
            bundle_fresh: chrono::Duration::seconds(i64::from(bundle_fresh)),
            bundle_valid: chrono::Duration::seconds(i64::from(bundle_valid)),
            batch_body_limit_bytes: raw.batch_body_limit_bytes,
            bind,
            data_dir: raw.data_dir,
            database,
            zone_tz,
            max_stay_days: raw.max_stay_days,
            log_format,
            body_limit_bytes: raw.body_limit_bytes,
            db_pool_size: raw.db_pool_size,
            db_timeout: Duration::from_secs(5),
            key_encryption_key,
        })
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_schemes() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db"),
            Ok(DatabaseUrl::Postgres("postgres://u:p@h/db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db"),
            Ok(DatabaseUrl::Postgres("postgresql://h/db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/x.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://h/db")
            .unwrap_err()
            .contains("mysql://"));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redacted_url_hides_credentials() {
        let url = DatabaseUrl::Postgres(
            "postgres://user:secret@db.example:5432/bp?sslmode=require".into(),
        );
        let shown = url.redacted();
        assert!(
            !shown.contains("secret") && !shown.contains("user"),
            "{shown}"
        );
        assert!(shown.contains("db.example:5432/bp"));
    }

    #[test]
    fn defaults_are_the_contract() {
        let config = Config::from_raw(RawSettings::default()).expect("defaults are valid");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database,
            DatabaseUrl::Sqlite("data/borderpass.db".into())
        );
        assert_eq!(config.zone_tz, chrono_tz::Asia::Shanghai);
        assert_eq!(config.max_stay_days, 30);
    }

    #[test]
    fn bad_values_name_their_setting() {
        let bad_bind = RawSettings {
            bind: "localhost".into(),
            ..RawSettings::default()
        };
        assert!(Config::from_raw(bad_bind)
            .unwrap_err()
            .to_string()
            .contains("BORDERPASS_BIND"));
        let bad_tz = RawSettings {
            zone_tz: "Mars/Olympus".into(),
            ..RawSettings::default()
        };
        assert!(Config::from_raw(bad_tz)
            .unwrap_err()
            .to_string()
            .contains("BORDERPASS_ZONE_TZ"));
        let bad_url = RawSettings {
            database_url: Some("mysql://x".into()),
            ..RawSettings::default()
        };
        assert!(Config::from_raw(bad_url)
            .unwrap_err()
            .to_string()
            .contains("DATABASE_URL"));
        let bad_stay = RawSettings {
            max_stay_days: 0,
            ..RawSettings::default()
        };
        assert!(Config::from_raw(bad_stay)
            .unwrap_err()
            .to_string()
            .contains("MAX_STAY_DAYS"));
        for (writers, pool, named) in [
            (0, 8, "BORDERPASS_DB_WRITERS"),
            (9, 8, "BORDERPASS_DB_POOL_SIZE"),
        ] {
            let bad_writers = RawSettings {
                db_writers: writers,
                db_pool_size: pool,
                ..RawSettings::default()
            };
            let error = Config::from_raw(bad_writers).unwrap_err().to_string();
            assert!(error.contains(named), "{error}");
        }
    }
}
