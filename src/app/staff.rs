//! Staff: logging in, who a bearer token speaks for, and the accounts administrators manage.

use chrono::{DateTime, Utc};

use crate::db::staff::{self, AddStaffError, StaffAccess, StaffRow};
use crate::domain::staff::{Admin, Credentials, NewAccount, NewAccountInput, Staff, Username};
use crate::domain::violation::{Violation, ViolationCode};

use super::{gates, off_the_workers, Conflict, Core, Error, Unauthenticated};

/// Failed logins one client address may make, as a multiple of the per-username limit.
pub const ADDRESS_ALLOWANCE: u32 = 4;

/// A staff member whose bearer token verified (signature and expiry), before their account is read.
#[derive(Debug, Clone)]
pub struct StaffIdentity {
    /// The login name the token was issued to.
    pub username: Username,
}

/// Checks a bearer token's signature and expiry, without reading the database.
pub fn identify(core: &Core, bearer: Option<&str>) -> Result<StaffIdentity, Error> {
    let token = bearer.ok_or(Unauthenticated::NoToken)?;
    let key = core
        .keys
        .session_key()
        .ok_or_else(|| Error::Unavailable("the staff-token key is not loaded yet".into()))?;
    let claims = key
        .verify(token, core.clock.now())
        .ok_or(Unauthenticated::InvalidToken)?;
    let username = Username::parse(&claims.sub).ok_or(Unauthenticated::InvalidToken)?;
    Ok(StaffIdentity { username })
}

/// The staff member an account is now: enabled, or refused as gone.
pub fn account_staff(access: Option<StaffAccess>) -> Result<Staff, Error> {
    match access.map(StaffAccess::into_staff).transpose() {
        Ok(Some(Some(staff))) => Ok(staff),
        Ok(_) => Err(Unauthenticated::AccountGone.into()),
        Err(corrupt) => Err(Error::internal(corrupt)),
    }
}

/// Who a bearer token speaks for, as the database says now (disabling is immediate).
pub async fn authenticate(core: &Core, bearer: Option<&str>) -> Result<Staff, Error> {
    let identity = identify(core, bearer)?;
    let access = core
        .store
        .read(move |conn| Ok(staff::access(conn, identity.username.as_str())?))
        .await?;
    account_staff(access)
}

/// A staff access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Logs in: an unknown user and a wrong password fail alike; repeated failures are throttled per
/// username and per client address.
pub async fn login(
    core: &Core,
    credentials: Credentials,
    client: &str,
) -> Result<AccessToken, Error> {
    let Credentials { username, password } = credentials;
    // An address may be shared by a whole gate office behind one router: it gets a larger allowance.
    let max = core.config.login_max_failures;
    let throttle_keys = vec![
        (format!("user:{username}"), max),
        (
            format!("addr:{client}"),
            max.saturating_mul(ADDRESS_ALLOWANCE),
        ),
    ];
    let now = core.clock.now();
    let keys: Vec<String> = throttle_keys.iter().map(|(key, _)| key.clone()).collect();
    let blocked = core
        .store
        .read(move |conn| Ok(staff::blocked_until(conn, &keys, now.naive_utc())?))
        .await?;
    if let Some(until) = blocked {
        let retry_after_secs = (until.and_utc() - now).num_seconds().max(1) as u64;
        return Err(Error::Throttled { retry_after_secs });
    }
    let name = username.clone();
    let row = core
        .store
        .read(move |conn| Ok(staff::find(conn, &name)?))
        .await?;
    let stored = row.filter(|r| !r.disabled).map(|r| r.password_hash);
    let hasher = core.passwords.clone();
    // argon2 takes tens of milliseconds: never on an async worker.
    let ok = off_the_workers(move || hasher.verify(&password, stored.as_deref())).await?;
    if !ok {
        let window = core.config.login_block;
        core.store
            .write(move |conn| {
                Ok(staff::record_failure(
                    conn,
                    &throttle_keys,
                    now.naive_utc(),
                    window,
                )?)
            })
            .await?;
        tracing::info!("login failed");
        return Err(Unauthenticated::BadCredentials.into());
    }
    let user_key = format!("user:{username}");
    core.store
        .write(move |conn| Ok(staff::clear_failures(conn, &user_key)?))
        .await?;
    let key = core
        .keys
        .session_key()
        .ok_or_else(|| Error::Unavailable("the staff-token key is not loaded yet".into()))?;
    let expires_in = core.config.access_token_ttl.num_seconds();
    let token = key
        .issue(&username, now, expires_in)
        .map_err(Error::internal)?;
    Ok(AccessToken { token, expires_in })
}

/// Creates a staff account (from the API, a page or the command line).
pub async fn create_account(core: &Core, input: NewAccountInput) -> Result<StaffRow, Error> {
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let account = NewAccount::parse(input, gate)?;
    let hasher = core.passwords.clone();
    let now: DateTime<Utc> = core.clock.now();
    // Hashing takes tens of milliseconds: off the async workers and off the writer.
    let row = off_the_workers(move || {
        hasher
            .hash(account.password.expose())
            .map(|hash| StaffRow::new(&account, hash, now))
    })
    .await?
    .map_err(Error::internal)?;
    let stored = row.clone();
    core.store
        .write(move |conn| Ok(staff::insert(conn, &stored)))
        .await?
        .map_err(|e| match e {
            AddStaffError::Exists => Conflict::UsernameTaken.into(),
            AddStaffError::Db(e) => Error::from(e),
        })?;
    tracing::info!(role = %row.role, "staff account created");
    Ok(row)
}

/// Disables (its tokens stop working at once) or enables an account.
pub async fn set_disabled(
    core: &Core,
    admin: &Admin,
    username: &str,
    disabled: Option<bool>,
) -> Result<StaffRow, Error> {
    let disabled = disabled.ok_or_else(|| {
        vec![Violation::new(
            "disabled",
            ViolationCode::Required,
            "disabled is required (true or false)",
        )]
    })?;
    let username = username.trim().to_ascii_lowercase();
    admin
        .check_disable(&username, disabled)
        .map_err(|v| vec![v])?;
    let now = core.clock.now().naive_utc();
    let row = core
        .store
        .write(move |conn| Ok(staff::set_disabled(conn, &username, disabled, now)?))
        .await?
        .ok_or(Error::NotFound)?;
    tracing::info!(disabled, "staff account changed");
    Ok(row)
}
