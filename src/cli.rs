//! The command line: `serve`, `migrate`, and the operator commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::app::{self, Chain, Core};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::crypto::permit_token;
use crate::crypto::seal::KeyEncryptionKey;
use crate::crypto::signing_key::{JwkSet, PublicKey};
use crate::db::keys::KeyUse;
use crate::db::{keys, Store};
use crate::domain::audit::Actor;
use crate::domain::staff::NewAccountInput;
use crate::http::Server;
use crate::telemetry;

/// borderpass: entry permits and the crossing log of the Khorgos border zone.
///
/// Configuration comes from defaults, then the TOML file given with --config,
/// then environment variables (DATABASE_URL, BORDERPASS_BIND,
/// BORDERPASS_DATA_DIR, BORDERPASS_ZONE_TZ, BORDERPASS_MAX_STAY_DAYS,
/// BORDERPASS_LOG_FORMAT). RUST_LOG sets log levels.
#[derive(Debug, Parser)]
#[command(name = "borderpass", version, propagate_version = true)]
pub struct Cli {
    /// TOML configuration file (optional; environment variables override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (default: 127.0.0.1:8080, SQLite under ./data).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Permit-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Permits.
    #[command(subcommand)]
    Permit(PermitCommand),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the SQLite database to FILE while the service runs.
    Backup {
        /// A new file (mode 0600).
        file: PathBuf,
    },
    /// Put a backup made by `backup` into the configured, empty data directory.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

/// Staff account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; the password is read from standard input (one line).
    Add {
        /// 2–64 characters: lower-case letters, digits, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// `officer` (scans at one gate), `supervisor` (scans and overrides at one gate) or `admin`.
        #[arg(long, value_parser = ["officer", "supervisor", "admin"])]
        role: String,
        /// The officer's or supervisor's gate, e.g. CN-1 or KZ-1.
        #[arg(long)]
        gate: Option<String>,
    },
}

/// Key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key the active one; older keys stay published while their permits can be
    /// valid. With --staff: make a new staff access-token key instead (every staff token ends).
    /// With --bundle: make a new gate-bundle signing key (older ones stay published while their
    /// bundles may be decided from).
    Rotate {
        /// Replace the staff access-token key, not the permit-signing key.
        #[arg(long, conflicts_with = "bundle")]
        staff: bool,
        /// Replace the gate-bundle signing key, not the permit-signing key.
        #[arg(long)]
        bundle: bool,
    },
    /// Re-seal every stored key under a new key-encryption key, read from standard input (one
    /// line); the configured one must open them. Updates DATA_DIR/key-encryption.key when that is
    /// where the key comes from.
    Reseal,
    /// Print a fresh key-encryption key for BORDERPASS_KEY_ENCRYPTION_KEY (share it among instances).
    NewKek,
}

/// Permit commands.
#[derive(Debug, Subcommand)]
pub enum PermitCommand {
    /// Verify a permit token offline: prints its claims, or why it is refused (exit code 1).
    Verify {
        /// The token (the text the QR code holds).
        token: String,
        /// Where the public keys come from: a JWKS file or an http(s) URL. Default: this instance's database.
        #[arg(long, value_name = "FILE|URL")]
        jwks: Option<String>,
        /// Judge validity at this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "INSTANT")]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("borderpass: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let outcome = match cli.command {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::Keys(KeysCommand::Rotate {
            staff: false,
            bundle,
        }) => rotate_keys(&config, bundle),
        Command::Keys(KeysCommand::Rotate { staff: true, .. }) => rotate_staff_key(&config),
        Command::Keys(KeysCommand::Reseal) => reseal_keys(&config),
        Command::Keys(KeysCommand::NewKek) => new_kek(),
        Command::User(UserCommand::Add {
            username,
            role,
            gate,
        }) => add_user(&config, username, role, gate),
        Command::Backup { file } => backup(&config, file),
        Command::Restore { file } => restore(&config, &file),
        Command::Permit(PermitCommand::Verify { token, jwks, at }) => {
            return verify_permit(&config, &token, jwks.as_deref(), at);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("borderpass: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let database = config.database.redacted();
        let app = Server::build(config, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        tracing::info!(port = app.port(), %database, "borderpass is listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())?;
        tracing::info!("borderpass stopped");
        Ok(())
    })
}

fn migrate(config: &Config) -> Result<(), String> {
    let store = Store::open(config);
    let applied = store.migrate().map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("database {} is up to date", config.database.redacted());
    } else {
        println!(
            "applied {} migration(s) to {}: {}",
            applied.len(),
            config.database.redacted(),
            applied.join(", ")
        );
    }
    Ok(())
}

/// Runs one use case from the command line, on a migrated store of its own.
fn run_use_case<T>(
    config: &Config,
    use_case: impl AsyncFnOnce(&Core) -> Result<T, app::Error>,
) -> Result<T, String> {
    let core = Core::open(config.clone(), Arc::new(SystemClock)).map_err(|e| e.to_string())?;
    core.store.migrate().map_err(|e| e.to_string())?;
    actix_web::rt::System::new()
        .block_on(async move { use_case(&core).await.map_err(|e| describe(&e)) })
}

/// A use case's refusal as one line for the operator.
fn describe(error: &app::Error) -> String {
    match error {
        app::Error::Invalid(violations) => violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.message))
            .collect::<Vec<_>>()
            .join("; "),
        app::Error::Conflict(conflict) => conflict.to_string(),
        app::Error::Internal(cause) | app::Error::Unavailable(cause) => Chain(&**cause).to_string(),
        other => Chain(other).to_string(),
    }
}

fn rotate_keys(config: &Config, bundle: bool) -> Result<(), String> {
    let purpose = if bundle {
        KeyUse::Bundle
    } else {
        KeyUse::Permit
    };
    let rotated = run_use_case(config, async |core| {
        app::keys::rotate(core, &Actor::command_line(), purpose).await
    })?;
    let (what, signed) = if bundle {
        ("bundle-signing key", "bundles")
    } else {
        ("signing key", "permits")
    };
    match rotated.old {
        Some(old) => println!(
            "active {what} is now {} (was {old}, still published while its {signed} can be valid)",
            rotated.new
        ),
        None => println!("active {what} is now {}", rotated.new),
    }
    Ok(())
}

fn rotate_staff_key(config: &Config) -> Result<(), String> {
    run_use_case(config, async |core| {
        app::keys::rotate_staff_key(core, &Actor::command_line()).await
    })?;
    println!(
        "a new staff access-token key is in force; every staff member logs in again (running instances load it within {} s)",
        config.key_refresh.as_secs()
    );
    Ok(())
}

fn reseal_keys(config: &Config) -> Result<(), String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the new key-encryption key from standard input: {e}"))?;
    let new = KeyEncryptionKey::from_text(line.trim()).map_err(|_| {
        "the new key-encryption key must be 32 bytes in base64url (make one with `borderpass keys new-kek`)".to_owned()
    })?;
    let text = new.to_text();
    let resealed = run_use_case(config, async |core| {
        app::keys::reseal(core, &Actor::command_line(), new).await
    })?;
    println!(
        "re-sealed {} signing key(s) and {} secret(s) under the new key-encryption key",
        resealed.signing_keys, resealed.secrets
    );
    if config.key_encryption_key.is_some() {
        println!(
            "set BORDERPASS_KEY_ENCRYPTION_KEY to the new key on every instance, then restart them"
        );
    } else {
        let path = config.data_dir.join("key-encryption.key");
        KeyEncryptionKey::replace_file(&path, &text).map_err(|e| {
            format!("the keys are re-sealed, but {} could not be written ({e}): put the new key there by hand", path.display())
        })?;
        println!(
            "wrote the new key to {}; restart the service",
            path.display()
        );
    }
    Ok(())
}

/// Where the key-encryption key a backup needs comes from, in words (never the key itself).
fn kek_source(config: &Config) -> String {
    match config.key_encryption_key {
        Some(_) => "BORDERPASS_KEY_ENCRYPTION_KEY".to_owned(),
        None => config
            .data_dir
            .join("key-encryption.key")
            .display()
            .to_string(),
    }
}

fn backup(config: &Config, file: PathBuf) -> Result<(), String> {
    let done = run_use_case(config, async |core| app::backup::backup(core, file).await)?;
    println!(
        "backed up to {} ({} bytes: {} permits, {} crossing-log rows; integrity ok)",
        done.path.display(),
        done.bytes,
        done.permits,
        done.scans
    );
    println!(
        "keep the key-encryption key with the backup's keeper, apart from the backup: {} (without it the signing keys in the backup cannot be opened)",
        kek_source(config)
    );
    Ok(())
}

fn restore(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let done = app::backup::restore(config, file).map_err(|e| e.to_string())?;
    println!(
        "restored {} ({} permits, {} crossing-log rows; integrity ok)",
        done.path.display(),
        done.permits,
        done.scans
    );
    println!(
        "put the key-encryption key it was made under at {} before `borderpass serve`",
        kek_source(config)
    );
    Ok(())
}

fn new_kek() -> Result<(), String> {
    let kek = KeyEncryptionKey::generate().map_err(|e| e.to_string())?;
    println!("{}", kek.to_text().as_str());
    Ok(())
}

/// Loads public keys from a JWKS file or URL, or from the configured database.
fn load_public_keys(config: &Config, jwks: Option<&str>) -> Result<Vec<PublicKey>, String> {
    let set: JwkSet = match jwks {
        Some(source) if source.starts_with("http://") || source.starts_with("https://") => {
            reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .and_then(|c| c.get(source).send())
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json())
                .map_err(|e| format!("cannot fetch the JWKS from {source}: {e}"))?
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the JWKS file {path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("{path} is not a JWKS: {e}"))?
        }
        None => {
            let store = Store::open(config);
            let mut conn = store.writer_blocking().map_err(|e| e.to_string())?;
            let keys = keys::published(&mut conn, chrono::Utc::now().naive_utc())
                .map_err(|e| e.to_string())?;
            JwkSet {
                keys: keys.iter().map(PublicKey::to_jwk).collect(),
            }
        }
    };
    Ok(set.public_keys())
}

fn verify_permit(
    config: &Config,
    token: &str,
    jwks: Option<&str>,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> ExitCode {
    let keys = match load_public_keys(config, jwks) {
        Ok(keys) => keys,
        Err(message) => {
            eprintln!("borderpass: {message}");
            return ExitCode::from(2);
        }
    };
    let at = at.unwrap_or_else(chrono::Utc::now);
    let lookup = |kid: &str| keys.iter().find(|k| k.kid == kid).cloned();
    match permit_token::verify(token, lookup, at) {
        Ok(claims) => {
            let valid = |t: i64| {
                chrono::DateTime::from_timestamp(t, 0)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default()
            };
            let report = serde_json::json!({
                "valid": true,
                "kid": permit_token::kid_of(token).unwrap_or_default(),
                "permit_id": claims.sub,
                "holder_name": claims.n,
                "nationality": claims.c,
                "birth_date": claims.b,
                "valid_from": valid(claims.nbf),
                "valid_until": valid(claims.exp),
                "claims": claims,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!(
                "{}",
                serde_json::json!({ "valid": false, "reason": reason.as_str() })
            );
            eprintln!("borderpass: permit token refused: {}", reason.as_str());
            ExitCode::FAILURE
        }
    }
}

fn add_user(
    config: &Config,
    username: String,
    role: String,
    gate: Option<String>,
) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let input = NewAccountInput {
        username: Some(username),
        password: Some(password.trim_end_matches(['\r', '\n']).to_owned()),
        role: Some(role),
        gate_id: gate,
    };
    let row = run_use_case(config, async |core| {
        app::staff::create_account(core, &Actor::command_line(), input).await
    })?;
    match &row.gate_id {
        Some(gate) => println!("created {} {} at gate {gate}", row.role, row.username),
        None => println!("created {} {}", row.role, row.username),
    }
    Ok(())
}
