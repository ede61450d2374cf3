//! The use cases: one function for each thing a traveler, officer or administrator does, shared
//! by the JSON API, the pages and the command line. Each takes the [`Core`] and typed input.

pub mod audit;
pub mod backup;
pub mod bundles;
pub mod conflicts;
pub mod devices;
pub mod error;
pub mod gates;
pub mod keys;
pub mod permits;
pub mod reports;
pub mod scans;
pub mod staff;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use crate::telemetry::Chain;
pub use error::{Cause, Conflict, Error, Unauthenticated};

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::keyring::KeyRing;
use crate::crypto::password::PasswordHasher;
use crate::crypto::permit_token::{VerifiedTokens, VERIFIED_TOKENS};
use crate::db::Store;
use crate::domain::gate::Gate;

/// What every use case works with: the settings, the store, the keys and the clock.
#[derive(Debug)]
pub struct Core {
    /// Checked configuration.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The source of now.
    pub clock: Arc<dyn Clock>,
    /// Opened signing keys.
    pub keys: Arc<KeyRing>,
    /// Staff password hashing.
    pub passwords: PasswordHasher,
    /// What the service measures.
    pub metrics: crate::metrics::Metrics,
    /// Permit tokens whose signature has been checked.
    verified_tokens: VerifiedTokens,
    /// Bounds the password hashes computed at once (each takes argon2's memory).
    hashing: Arc<tokio::sync::Semaphore>,
    /// When this instance last pruned the throttles' ended rows (Unix seconds).
    last_prune: std::sync::atomic::AtomicI64,
    /// Gates seen so far, by id. A gate never changes or goes away once added, so a cached one is
    /// always right; an unknown id is looked up in the database (another instance may have added it).
    gates: RwLock<HashMap<String, Gate>>,
}

/// Why the service's core could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The key-encryption key could not be loaded.
    #[error(transparent)]
    Keys(#[from] crate::config::ConfigError),
    /// The password hasher's settings are refused.
    #[error(transparent)]
    Passwords(#[from] crate::crypto::password::HashError),
}

impl Core {
    /// Opens what the service runs on: the key-encryption key, the password hasher and the store
    /// (which connects when first used, so the service can start while the database is down).
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let keys = Arc::new(KeyRing::new(config.load_key_encryption_key()?));
        let passwords = PasswordHasher::new(config.argon2_memory_kib, config.argon2_iterations)?;
        let store = Store::open(&config);
        Ok(Self::new(config, store, clock, keys, passwords))
    }

    /// Keeps migrating the store and preparing what the service needs ([`keys::prepare`]) in the
    /// background until both work: the database may come up after the service.
    pub fn prepare_in_background(core: Arc<Self>) {
        let store = core.store.clone();
        let preparing = core.clone();
        store.migrate_in_background(move |conn| {
            keys::prepare(&preparing, conn).map_err(|e| Chain(&e).to_string())
        });
        // Holds the core weakly: the thread ends when the service lets go of it.
        let core = Arc::downgrade(&core);
        let spawned = std::thread::Builder::new()
            .name("borderpass-keys".into())
            .spawn(move || refresh_keys(&core));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the key refresher");
        }
    }

    /// A core over `store`.
    pub fn new(
        config: Config,
        store: Store,
        clock: Arc<dyn Clock>,
        keys: Arc<KeyRing>,
        passwords: PasswordHasher,
    ) -> Self {
        let config_hashes = config.max_concurrent_hashes;
        let metrics = crate::metrics::Metrics::new(store.metrics());
        Self {
            metrics,
            config,
            store,
            clock,
            keys,
            passwords,
            verified_tokens: VerifiedTokens::new(VERIFIED_TOKENS),
            hashing: Arc::new(tokio::sync::Semaphore::new(config_hashes)),
            last_prune: std::sync::atomic::AtomicI64::new(0),
            gates: RwLock::default(),
        }
    }

    /// Today's date in the zone's calendar.
    pub fn zone_today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.config.zone_tz)
            .date_naive()
    }
}

/// Every `key_refresh_secs`, loads the staff-token key again if another instance or the command
/// line replaced it (`keys rotate --staff`), until the store closes or the core is gone.
fn refresh_keys(core: &std::sync::Weak<Core>) {
    let mut last = None;
    let step = std::time::Duration::from_millis(250);
    let mut waited = std::time::Duration::ZERO;
    loop {
        std::thread::sleep(step);
        let Some(core) = core.upgrade() else { return };
        if core.store.is_closing() {
            return;
        }
        waited += step;
        if waited < core.config.key_refresh || !core.store.is_migrated() {
            continue;
        }
        waited = std::time::Duration::ZERO;
        match core.store.reader_blocking() {
            Ok(mut conn) => keys::refresh_staff_key(&core, &mut conn, &mut last),
            Err(error) => tracing::warn!(%error, "cannot check the staff-token key; will retry"),
        }
    }
}

/// How often an instance prunes the throttles' ended rows.
const PRUNE_EVERY_SECS: i64 = 60;

impl Core {
    /// A place to hash one password now, or `Busy` when as many hashes as allowed are running
    /// (their memory is what the bound protects).
    pub(crate) fn hashing_place(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
        self.hashing
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy {
                retry_after_secs: 1,
            })
    }

    /// A place to hash one password, waiting for one (for administrators' rare writes).
    pub(crate) async fn wait_for_hashing_place(
        &self,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
        self.hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)
    }

    /// True at most once a minute per instance: time to prune the throttles' ended rows.
    pub(crate) fn prune_due(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = self.clock.now().timestamp();
        let last = self.last_prune.load(Ordering::Relaxed);
        now - last >= PRUNE_EVERY_SECS
            && self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Forgets the throttles' counts that ended (login attempts, applications per client).
pub(crate) fn prune_throttles(
    conn: &mut crate::db::DbConnection,
    now: chrono::NaiveDateTime,
    login_window: chrono::Duration,
) -> Result<(), crate::db::StoreError> {
    crate::db::staff::prune_throttle(conn, now, login_window)?;
    crate::db::permits::prune_client_counts(conn, now)?;
    Ok(())
}

/// Runs blocking work (hashing, QR encoding) off the async workers.
pub(crate) async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    actix_web::rt::task::spawn_blocking(work)
        .await
        .map_err(Error::internal)
}
