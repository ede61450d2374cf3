//! Staff accounts and the login throttle, shared by every instance through the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::{login_throttle, staff};
use super::DbConnection;
use crate::domain::gate::GateId;
use crate::domain::staff::{NewAccount, Role, Staff, ThrottleKey, Username};

/// A staff account as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff)]
pub struct StaffRow {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `officer` or `admin`.
    pub role: String,
    /// The officer's gate.
    pub gate_id: Option<String>,
    /// A disabled account cannot log in, and its tokens stop working.
    pub disabled: bool,
    /// When made.
    pub created_at: Stamp,
    /// When last changed.
    pub updated_at: Stamp,
    /// Only tokens of this generation work.
    pub token_generation: i64,
}

/// What an authenticated request needs of its account: whether it may act, and where.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff)]
pub struct StaffAccess {
    /// Login name.
    pub username: String,
    /// `officer` or `admin`.
    pub role: String,
    /// The officer's gate.
    pub gate_id: Option<String>,
    /// A disabled account's tokens stop working.
    pub disabled: bool,
    /// Only tokens of this generation work.
    pub token_generation: i64,
}

/// A stored account that no longer reads as one (edited by hand).
#[derive(Debug, thiserror::Error)]
#[error("stored account has an invalid {0}")]
pub struct CorruptAccount(&'static str);

impl StaffAccess {
    /// The staff member this account is for a token of `generation`, or `None` when the account
    /// is disabled or the token is of an older generation.
    pub fn into_staff(self, generation: i64) -> Result<Option<Staff>, CorruptAccount> {
        if self.disabled || self.token_generation != generation {
            return Ok(None);
        }
        Ok(Some(Staff {
            username: Username::parse(&self.username).ok_or(CorruptAccount("username"))?,
            role: Role::parse(&self.role).ok_or(CorruptAccount("role"))?,
            gate: match self.gate_id.as_deref() {
                Some(id) => Some(GateId::parse(id).ok_or(CorruptAccount("gate"))?),
                None => None,
            },
        }))
    }
}

impl StaffRow {
    /// The row of a new, enabled account made at `now` with its hashed password.
    pub fn new(
        account: &NewAccount,
        password_hash: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            username: account.username.to_string(),
            password_hash,
            role: account.role.as_str().to_owned(),
            gate_id: account.gate.as_ref().map(GateId::to_string),
            disabled: false,
            created_at: now.into(),
            updated_at: now.into(),
            token_generation: 0,
        }
    }
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum AddStaffError {
    /// The username is taken.
    #[error("the username is taken")]
    Exists,
    /// A statement failed.
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Creates an account. A taken username is told by the statement inserting nothing, not by a
/// failed statement: on PostgreSQL that would abort the transaction the write shares with others.
pub fn insert(conn: &mut DbConnection, row: &StaffRow) -> Result<(), AddStaffError> {
    let added = super::on_backend!(
        conn,
        diesel::insert_into(staff::table)
            .values(row)
            .on_conflict_do_nothing()
    )?;
    match added {
        0 => Err(AddStaffError::Exists),
        _ => Ok(()),
    }
}

/// The access of account `username` (read on every authenticated request and every scan; not the
/// password hash or timestamps, which only login and the user admin need).
pub fn access(conn: &mut DbConnection, username: &str) -> QueryResult<Option<StaffAccess>> {
    // Straight to the backend (see `on_backend!`).
    super::on_backend!(conn, |c| staff::table
        .find(username)
        .select(StaffAccess::as_select())
        .get_result(c)
        .optional())
}

/// The access of each of `usernames` that exists (one statement for a batch of scans).
pub fn access_all(conn: &mut DbConnection, usernames: &[&str]) -> QueryResult<Vec<StaffAccess>> {
    super::on_backend!(conn, |c| staff::table
        .filter(staff::username.eq_any(usernames))
        .select(StaffAccess::as_select())
        .load(c))
}

/// The account `username`.
pub fn find(conn: &mut DbConnection, username: &str) -> QueryResult<Option<StaffRow>> {
    // Read at login and by the user admin: straight to the backend (see `on_backend!`).
    super::on_backend!(conn, |c| staff::table
        .find(username)
        .select(StaffRow::as_select())
        .get_result(c)
        .optional())
}

/// Every account, by username.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<StaffRow>> {
    staff::table
        .order(staff::username)
        .select(StaffRow::as_select())
        .load(conn)
}

/// What changing whether an account is disabled did.
#[derive(Debug)]
pub enum DisableOutcome {
    /// Changed (or already so); the account afterwards, its old tokens no longer working.
    Changed(StaffRow),
    /// Refused: it is the last enabled administrator.
    LastAdmin,
    /// No such account.
    Unknown,
}

/// Disables or enables an account, and ends its tokens either way; never disables the last enabled
/// administrator. The enabled administrators' rows are locked first (on PostgreSQL; SQLite has one
/// writer), so two administrators disabling each other at once leave one enabled.
pub fn set_disabled(
    conn: &mut DbConnection,
    username: &str,
    disabled: bool,
    now: NaiveDateTime,
) -> QueryResult<DisableOutcome> {
    conn.transaction(|c| {
        let Some(account) = find(c, username)? else {
            return Ok(DisableOutcome::Unknown);
        };
        if disabled && !account.disabled && account.role == Role::Admin.as_str() {
            let enabled_admins = staff::table
                .filter(staff::role.eq(Role::Admin.as_str()))
                .filter(staff::disabled.eq(false))
                .select(staff::username);
            let admins: Vec<String> = match c {
                DbConnection::Postgres(pg) => enabled_admins.for_update().load(pg)?,
                DbConnection::Sqlite(sqlite) => enabled_admins.load(sqlite)?,
            };
            if admins.iter().all(|a| a == username) {
                return Ok(DisableOutcome::LastAdmin);
            }
        }
        diesel::update(staff::table.find(username))
            .set((
                staff::disabled.eq(disabled),
                staff::updated_at.eq(now),
                staff::token_generation.eq(staff::token_generation + 1),
            ))
            .execute(c)?;
        Ok(find(c, username)?.map_or(DisableOutcome::Unknown, DisableOutcome::Changed))
    })
}

/// Sets an account's password hash and ends its tokens; false when there is no such account.
pub fn set_password(
    conn: &mut DbConnection,
    username: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(staff::table.find(username))
        .set((
            staff::password_hash.eq(password_hash),
            staff::updated_at.eq(now),
            staff::token_generation.eq(staff::token_generation + 1),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Ends every token of an account (logout).
pub fn end_tokens(conn: &mut DbConnection, username: &str) -> QueryResult<()> {
    diesel::update(staff::table.find(username))
        .set(staff::token_generation.eq(staff::token_generation + 1))
        .execute(conn)
        .map(drop)
}

/// What reserving a login attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt counts against every key until it succeeds.
    Granted,
    /// A key is at its limit: no attempt until then.
    Blocked {
        /// When the block ends.
        until: NaiveDateTime,
    },
}

/// Reserves one login attempt against every key, in one transaction and before any password is
/// hashed: parallel attempts each see the ones before them. A key at its limit is blocked for
/// `window` (if not already) and nothing is reserved; a window or block that has ended starts
/// again. On PostgreSQL each key's row is locked by the first update.
pub fn reserve_login(
    conn: &mut DbConnection,
    keys: &[ThrottleKey],
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<Reservation> {
    conn.transaction(|c| {
        let hashes: Vec<&str> = keys.iter().map(|k| k.hash.as_str()).collect();
        for key in keys {
            start_counting(c, key, now, window)?;
        }
        let mut blocked = None;
        for key in keys {
            // A key at its limit is blocked from now (a block in force stays as it is).
            diesel::update(login_throttle::table.find(&key.hash))
                .filter(login_throttle::attempts.ge(key.limit as i32))
                .filter(login_throttle::blocked_until.is_null())
                .set(login_throttle::blocked_until.eq(Some(now + window)))
                .execute(c)?;
            let until: Option<NaiveDateTime> = login_throttle::table
                .find(&key.hash)
                .select(login_throttle::blocked_until)
                .get_result(c)?;
            blocked = blocked.max(until);
        }
        if let Some(until) = blocked {
            return Ok(Reservation::Blocked { until });
        }
        diesel::update(login_throttle::table.filter(login_throttle::key_hash.eq_any(&hashes)))
            .set(login_throttle::attempts.eq(login_throttle::attempts + 1))
            .execute(c)?;
        Ok(Reservation::Granted)
    })
}

/// Makes `key`'s row if it has none, locks it (PostgreSQL), and starts its count again when its
/// window or its block has ended.
fn start_counting(
    c: &mut DbConnection,
    key: &ThrottleKey,
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<()> {
    let fresh = diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::key_hash.eq(&key.hash),
            login_throttle::username.eq(key.username.as_deref()),
            login_throttle::client.eq(&key.client),
            login_throttle::attempts.eq(0),
            login_throttle::window_started_at.eq(now),
        ))
        .on_conflict(login_throttle::key_hash)
        .do_nothing();
    super::on_backend!(c, fresh)?;
    // Locks the key's row (PostgreSQL) before it is read: parallel attempts take turns.
    diesel::update(login_throttle::table.find(&key.hash))
        .set(login_throttle::attempts.eq(login_throttle::attempts))
        .execute(c)?;
    let ended = login_throttle::blocked_until
        .is_null()
        .and(login_throttle::window_started_at.le(now - window))
        .or(login_throttle::blocked_until.le(now));
    diesel::update(login_throttle::table.find(&key.hash))
        .filter(ended)
        .set((
            login_throttle::attempts.eq(0),
            login_throttle::window_started_at.eq(now),
            login_throttle::blocked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

/// What the throttle holds for some keys at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThrottleState {
    /// When the last block in force among the keys ends, if one is.
    pub blocked_until: Option<NaiveDateTime>,
    /// The keys (their hashes) with failures counted.
    pub counting: Vec<String>,
}

/// What the throttle holds for `keys` at `now`.
pub fn throttle_state(
    conn: &mut DbConnection,
    keys: &[ThrottleKey],
    now: NaiveDateTime,
) -> QueryResult<ThrottleState> {
    let hashes: Vec<&str> = keys.iter().map(|k| k.hash.as_str()).collect();
    let rows: Vec<(String, i32, Option<NaiveDateTime>)> = login_throttle::table
        .filter(login_throttle::key_hash.eq_any(&hashes))
        .select((
            login_throttle::key_hash,
            login_throttle::attempts,
            login_throttle::blocked_until,
        ))
        .load(conn)?;
    Ok(ThrottleState {
        blocked_until: rows
            .iter()
            .filter_map(|(_, _, until)| *until)
            .filter(|until| *until > now)
            .max(),
        counting: rows
            .into_iter()
            .filter(|(_, attempts, _)| *attempts > 0)
            .map(|(hash, _, _)| hash)
            .collect(),
    })
}

/// Forgets what `key` counted.
pub fn forget(conn: &mut DbConnection, key: &ThrottleKey) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(&key.hash))
        .execute(conn)
        .map(drop)
}

/// Counts one failure against every key, in one transaction; a key that reaches its limit is
/// blocked for `window`. For checks where only failures count (a success reserves nothing, so
/// parallel successes never block each other).
pub fn record_failure(
    conn: &mut DbConnection,
    keys: &[ThrottleKey],
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<()> {
    conn.transaction(|c| {
        for key in keys {
            start_counting(c, key, now, window)?;
            diesel::update(login_throttle::table.find(&key.hash))
                .set(login_throttle::attempts.eq(login_throttle::attempts + 1))
                .execute(c)?;
            diesel::update(login_throttle::table.find(&key.hash))
                .filter(login_throttle::attempts.ge(key.limit as i32))
                .filter(login_throttle::blocked_until.is_null())
                .set(login_throttle::blocked_until.eq(Some(now + window)))
                .execute(c)?;
        }
        Ok(())
    })
}

/// After a successful login: the account key's attempts are forgotten, and the client's
/// reservation is given back.
pub fn forgive_login(
    conn: &mut DbConnection,
    account: Option<&ThrottleKey>,
    client: &ThrottleKey,
) -> QueryResult<()> {
    if let Some(account) = account {
        diesel::delete(login_throttle::table.find(&account.hash)).execute(conn)?;
    }
    diesel::update(login_throttle::table.find(&client.hash))
        .filter(login_throttle::attempts.gt(0))
        .set(login_throttle::attempts.eq(login_throttle::attempts - 1))
        .execute(conn)
        .map(drop)
}

/// A login block in force.
#[derive(Debug, Clone, Queryable)]
pub struct LoginBlock {
    /// The account's name, for a block of one account at one client.
    pub username: Option<String>,
    /// The client address.
    pub client: String,
    /// Attempts counted in the window.
    pub attempts: i32,
    /// When the block ends.
    pub blocked_until: Option<NaiveDateTime>,
}

/// The blocks in force at `now`, longest first.
pub fn blocks(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<LoginBlock>> {
    login_throttle::table
        .filter(login_throttle::blocked_until.gt(now))
        .order(login_throttle::blocked_until.desc())
        .select((
            login_throttle::username,
            login_throttle::client,
            login_throttle::attempts,
            login_throttle::blocked_until,
        ))
        .load(conn)
}

/// Lifts the blocks and counted attempts of `username` (at any client) and of `client` (for
/// any account, and the client's own); the number of keys forgotten.
pub fn lift(
    conn: &mut DbConnection,
    username: Option<&str>,
    client: Option<&str>,
) -> QueryResult<usize> {
    let mut lifted = 0;
    if let Some(username) = username {
        lifted +=
            diesel::delete(login_throttle::table.filter(login_throttle::username.eq(username)))
                .execute(conn)?;
    }
    if let Some(client) = client {
        lifted += diesel::delete(login_throttle::table.filter(login_throttle::client.eq(client)))
            .execute(conn)?;
    }
    Ok(lifted)
}

/// Forgets keys whose window ended more than `window` ago and that are not blocked.
pub fn prune_throttle(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<usize> {
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::window_started_at.le(now - window - window))
            .filter(
                login_throttle::blocked_until
                    .is_null()
                    .or(login_throttle::blocked_until.le(now)),
            ),
    )
    .execute(conn)
}
