//! The command line: `serve`, `migrate`, and the operator commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::db::Store;
use crate::http::Application;
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
        let app = Application::build(config, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
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
