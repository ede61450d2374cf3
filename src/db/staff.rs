//! Staff accounts and the login throttle, shared by every instance through the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::{login_failures, staff};
use super::DbConnection;
use crate::domain::gate::GateId;
use crate::domain::staff::{NewAccount, Role, Staff, Username};

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
}

/// A stored account that no longer reads as one (edited by hand).
#[derive(Debug, thiserror::Error)]
#[error("stored account has an invalid {0}")]
pub struct CorruptAccount(&'static str);

impl StaffAccess {
    /// The staff member this account is, or `None` when it is disabled.
    pub fn into_staff(self) -> Result<Option<Staff>, CorruptAccount> {
        if self.disabled {
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

/// Creates an account.
pub fn insert(conn: &mut DbConnection, row: &StaffRow) -> Result<(), AddStaffError> {
    match diesel::insert_into(staff::table).values(row).execute(conn) {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AddStaffError::Exists),
        Err(e) => Err(e.into()),
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

/// The account `username`.
pub fn find(conn: &mut DbConnection, username: &str) -> QueryResult<Option<StaffRow>> {
    // Read at login and by the user admin: straight to the backend (see `on_backend!`).
    super::on_backend!(conn, |c| staff::table
        .find(username)
        .select(StaffRow::as_select())
        .get_result(c)
        .optional())
}

/// Disables or enables an account; the account afterwards, if it exists.
pub fn set_disabled(
    conn: &mut DbConnection,
    username: &str,
    disabled: bool,
    now: NaiveDateTime,
) -> QueryResult<Option<StaffRow>> {
    conn.transaction(|c| {
        diesel::update(staff::table.find(username))
            .set((staff::disabled.eq(disabled), staff::updated_at.eq(now)))
            .execute(c)?;
        find(c, username)
    })
}

/// The latest instant until which any of `keys` is blocked, if one is blocked at `now`.
pub fn blocked_until(
    conn: &mut DbConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let until: Vec<Option<NaiveDateTime>> = login_failures::table
        .filter(login_failures::throttle_key.eq_any(keys))
        .filter(login_failures::blocked_until.gt(now))
        .select(login_failures::blocked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().max())
}

/// Counts a failed login for each `(key, limit)`; a key reaching its limit within `window` is
/// blocked for `window`. Runs in one transaction; each row is locked by its update.
pub fn record_failure(
    conn: &mut DbConnection,
    keys: &[(String, u32)],
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<()> {
    conn.transaction(|c| {
        for (key, max_failures) in keys {
            let fresh = diesel::insert_into(login_failures::table)
                .values((
                    login_failures::throttle_key.eq(key),
                    login_failures::failures.eq(0),
                    login_failures::window_started_at.eq(now),
                ))
                .on_conflict(login_failures::throttle_key)
                .do_nothing();
            super::on_backend!(c, fresh)?;
            // A window that has passed starts again.
            diesel::update(login_failures::table.find(key))
                .filter(login_failures::window_started_at.le(now - window))
                .set((
                    login_failures::failures.eq(0),
                    login_failures::window_started_at.eq(now),
                ))
                .execute(c)?;
            diesel::update(login_failures::table.find(key))
                .set(login_failures::failures.eq(login_failures::failures + 1))
                .execute(c)?;
            diesel::update(login_failures::table.find(key))
                .filter(login_failures::failures.ge(*max_failures as i32))
                .set(login_failures::blocked_until.eq(Some(now + window)))
                .execute(c)?;
        }
        Ok(())
    })
}

/// Forgets the failures counted for `key` (after a successful login).
pub fn clear_failures(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(key))
        .execute(conn)
        .map(drop)
}
