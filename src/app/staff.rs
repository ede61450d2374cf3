//! Staff: logging in, who a bearer token speaks for, and the accounts administrators manage.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::db::audit;
use crate::db::staff::{
    self, AddStaffError, DisableOutcome, LoginBlock, Reservation, StaffAccess, StaffRow,
};
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::staff::{
    login_throttle_keys, Admin, Credentials, NewAccount, NewAccountInput, NewPassword, Role, Staff,
    ThrottleKey, Username,
};
use crate::domain::violation::{Violation, ViolationCode, Violations};

use super::{gates, off_the_workers, Conflict, Core, Error, Unauthenticated};

/// A staff member whose bearer token verified (signature and expiry), before their account is read.
#[derive(Debug, Clone)]
pub struct StaffIdentity {
    /// The login name the token was issued to.
    pub username: Username,
    /// The generation of the account's tokens it was issued in.
    pub generation: i64,
}

/// Checks a bearer token's signature and expiry, without reading the database.
pub fn identify(core: &Core, bearer: Option<&str>) -> Result<StaffIdentity, Error> {
    let token = bearer.ok_or(Unauthenticated::NoToken)?;
    let claims = session_key(core)?
        .verify(token, core.clock.now())
        .ok_or(Unauthenticated::InvalidToken)?;
    let username = Username::parse(&claims.sub).ok_or(Unauthenticated::InvalidToken)?;
    Ok(StaffIdentity {
        username,
        generation: claims.gen,
    })
}

fn session_key(core: &Core) -> Result<crate::crypto::staff_token::SessionKey, Error> {
    core.keys.session_key().ok_or_else(|| {
        Error::Unavailable(
            "the staff-token key is not loaded (see the log: it may be sealed under another key-encryption key)"
                .into(),
        )
    })
}

/// The staff member an account is now for a token of `generation`: enabled, of the token's
/// generation, or refused as gone.
pub fn account_staff(access: Option<StaffAccess>, generation: i64) -> Result<Staff, Error> {
    match access.map(|a| a.into_staff(generation)).transpose() {
        Ok(Some(Some(staff))) => Ok(staff),
        Ok(_) => Err(Unauthenticated::AccountGone.into()),
        Err(corrupt) => Err(Error::internal(corrupt)),
    }
}

/// Who a bearer token speaks for, as the database says now (disabling and logout are immediate).
pub async fn authenticate(core: &Core, bearer: Option<&str>) -> Result<Staff, Error> {
    let identity = identify(core, bearer)?;
    let name = identity.username.clone();
    let access = core
        .store
        .read(move |conn| Ok(staff::access(conn, name.as_str())?))
        .await?;
    account_staff(access, identity.generation)
}

/// A staff access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Logs in: an unknown user and a wrong password fail alike. The attempt is reserved against the
/// throttle (the account at this client, and the client) before any hashing, and at most
/// `max_concurrent_hashes` hashes run at once.
pub async fn login(
    core: &Core,
    credentials: Credentials,
    client: IpAddr,
) -> Result<AccessToken, Error> {
    let Credentials { username, password } = credentials;
    let row = check_password(core, &username, &password, client).await?;
    issue_token(core, &row)
}

/// Logs in on the administrators' pages: as [`login`], and only an administrator gets a token
/// (other staff are refused, `Forbidden`, after their password was checked like any login's).
pub async fn login_admin(
    core: &Core,
    credentials: Credentials,
    client: IpAddr,
) -> Result<AccessToken, Error> {
    let Credentials { username, password } = credentials;
    let row = check_password(core, &username, &password, client).await?;
    if Role::parse(&row.role) != Some(Role::Admin) {
        tracing::info!("administrators' login refused: not an administrator");
        return Err(crate::domain::staff::Refusal::NeedsAdmin.into());
    }
    issue_token(core, &row)
}

/// Checks `username`'s password as a login does (throttled, bounded); the account when it matches.
async fn check_password(
    core: &Core,
    username: &str,
    password: &str,
    client: IpAddr,
) -> Result<StaffRow, Error> {
    let place = core
        .hashing_place()
        .inspect_err(|_| core.metrics.login("busy"))?;
    let (account_key, client_key) = login_throttle_keys(
        username,
        &client.to_string(),
        core.config.login_max_failures,
    );
    let now = core.clock.now().naive_utc();
    let window = core.config.login_block;
    let keys: Vec<ThrottleKey> = account_key
        .iter()
        .cloned()
        .chain([client_key.clone()])
        .collect();
    let prune = core.prune_due();
    let reserved = core
        .store
        .write(move |conn| {
            if prune {
                super::prune_throttles(conn, now, window)?;
            }
            Ok(staff::reserve_login(conn, &keys, now, window)?)
        })
        .await?;
    if let Reservation::Blocked { until } = reserved {
        let retry_after_secs = (until - now).num_seconds().max(1) as u64;
        core.metrics.login("throttled");
        tracing::info!("login refused: too many failures");
        return Err(Error::Throttled { retry_after_secs });
    }
    let name = username.to_owned();
    let row = core
        .store
        .read(move |conn| Ok(staff::find(conn, &name)?))
        .await?
        .filter(|r| !r.disabled);
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let hasher = core.passwords.clone();
    let password = password.to_owned();
    let ok = hash_in(place, move || hasher.verify(&password, stored.as_deref())).await?;
    match row {
        Some(row) if ok => {
            core.store
                .write(move |conn| {
                    Ok(staff::forgive_login(
                        conn,
                        account_key.as_ref(),
                        &client_key,
                    )?)
                })
                .await?;
            core.metrics.login("ok");
            Ok(row)
        }
        _ => {
            core.metrics.login("failed");
            tracing::info!("login failed");
            Err(Unauthenticated::BadCredentials.into())
        }
    }
}

/// Runs argon2 `work` (tens of milliseconds) off the async workers and off the writer, holding its
/// hashing `place` until it is done.
async fn hash_in<T: Send + 'static>(
    place: tokio::sync::OwnedSemaphorePermit,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    off_the_workers(move || {
        let done = work();
        drop(place);
        done
    })
    .await
}

/// A token for `row`'s account, of its current generation.
fn issue_token(core: &Core, row: &StaffRow) -> Result<AccessToken, Error> {
    let expires_in = core.config.access_token_ttl.num_seconds();
    let token = session_key(core)?
        .issue(
            &row.username,
            row.token_generation,
            core.clock.now(),
            expires_in,
        )
        .map_err(Error::internal)?;
    Ok(AccessToken { token, expires_in })
}

/// A fresh token for the session `token` once more than half its life has gone, so the pages keep
/// an administrator logged in while they work; `None` while it is young or when it does not verify.
/// The fresh token is of the same generation: disabling the account or logging out ends it too.
pub fn renew(core: &Core, token: &str) -> Option<AccessToken> {
    let key = session_key(core).ok()?;
    let now = core.clock.now();
    let claims = key.verify(token, now)?;
    let ttl = core.config.access_token_ttl.num_seconds();
    if claims.exp - now.timestamp() > ttl / 2 {
        return None;
    }
    let token = key.issue(&claims.sub, claims.gen, now, ttl).ok()?;
    Some(AccessToken {
        token,
        expires_in: ttl,
    })
}

/// Ends every token of the caller's account (on every device).
pub async fn logout(core: &Core, staff: &Staff) -> Result<(), Error> {
    let name = staff.username.to_string();
    core.store
        .write(move |conn| Ok(staff::end_tokens(conn, &name)?))
        .await?;
    tracing::info!("staff logged out");
    Ok(())
}

/// A staff member changes their own password (the current one checked like a login); every older
/// token stops working, and a fresh one is answered.
pub async fn change_password(
    core: &Core,
    staff: &Staff,
    current: Option<&str>,
    new: Option<&str>,
    client: IpAddr,
) -> Result<AccessToken, Error> {
    let mut p = Violations::default();
    if current.is_none() {
        p.missing("current_password");
    }
    let new = match new {
        None => {
            p.missing("new_password");
            None
        }
        Some(raw) => NewPassword::parse(raw, "new_password")
            .map_err(|v| p.extend(None, [v]))
            .ok(),
    };
    let (Some(current), Some(new)) = (current, new) else {
        return Err(p.into_vec().into());
    };
    check_password(core, staff.username.as_str(), current, client)
        .await
        .map_err(|e| match e {
            // A wrong current password is a field problem, not a failed login.
            Error::Unauthenticated(Unauthenticated::BadCredentials) => vec![Violation::new(
                "current_password",
                ViolationCode::Mismatch,
                "the current password is wrong",
            )]
            .into(),
            other => other,
        })?;
    let row = store_password(core, staff.username.as_str(), new, None).await?;
    tracing::info!("staff password changed");
    issue_token(core, &row)
}

/// An administrator sets a new password for an account; its tokens stop working.
pub async fn reset_password(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
    username: &str,
    new: Option<&str>,
) -> Result<StaffRow, Error> {
    let new = match new {
        None => Err(vec![Violation::new(
            "new_password",
            ViolationCode::Required,
            "new_password is required",
        )]),
        Some(raw) => NewPassword::parse(raw, "new_password").map_err(|v| vec![v]),
    }?;
    let username = username.trim().to_ascii_lowercase();
    let entry = Entry::new(
        &Actor::staff(admin.staff(), client),
        Action::UserPasswordReset,
        &username,
        serde_json::json!({}),
    );
    let row = store_password(core, &username, new, Some(entry)).await?;
    tracing::info!("staff password reset by an administrator");
    Ok(row)
}

/// Hashes `new` and stores it for `username`, ending the account's tokens; `audited` is appended
/// to the audit trail with it.
async fn store_password(
    core: &Core,
    username: &str,
    new: NewPassword,
    audited: Option<Entry>,
) -> Result<StaffRow, Error> {
    let place = core.wait_for_hashing_place().await?;
    let hasher = core.passwords.clone();
    let hash = hash_in(place, move || hasher.hash(new.expose()))
        .await?
        .map_err(Error::internal)?;
    let now = core.clock.now();
    let name = username.to_owned();
    core.store
        .write(move |conn| {
            Ok(
                match staff::set_password(conn, &name, &hash, now.naive_utc())? {
                    true => {
                        if let Some(entry) = &audited {
                            audit::append(conn, entry, now)?;
                        }
                        staff::find(conn, &name)?
                    }
                    false => None,
                },
            )
        })
        .await?
        .ok_or(Error::NotFound)
}

/// The login blocks in force now.
pub async fn blocks(core: &Core, _admin: &Admin) -> Result<Vec<LoginBlock>, Error> {
    let now = core.clock.now().naive_utc();
    Ok(core
        .store
        .read(move |conn| Ok(staff::blocks(conn, now)?))
        .await?)
}

/// Lifts the login blocks of an account (at every client) or of a client address; how many
/// counts were forgotten.
pub async fn lift_block(
    core: &Core,
    admin: &Admin,
    from: IpAddr,
    username: Option<&str>,
    client: Option<&str>,
) -> Result<usize, Error> {
    let username = username
        .map(|u| u.trim().to_ascii_lowercase())
        .filter(|u| !u.is_empty());
    let client = match client.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<IpAddr>()
                .map_err(|_| {
                    vec![Violation::new(
                        "client",
                        ViolationCode::InvalidValue,
                        "client is an IP address",
                    )]
                })?
                .to_string(),
        ),
    };
    if username.is_none() && client.is_none() {
        return Err(vec![Violation::new(
            "username",
            ViolationCode::Required,
            "name a username, a client address, or both",
        )]
        .into());
    }
    let entry = Entry {
        actor: Actor::staff(admin.staff(), from),
        action: Action::LoginBlockLifted,
        target: username.clone().or_else(|| client.clone()),
        detail: serde_json::json!({ "username": username, "client": client }),
    };
    let now = core.clock.now();
    let lifted = core
        .store
        .write(move |conn| {
            let lifted = staff::lift(conn, username.as_deref(), client.as_deref())?;
            audit::append(conn, &entry, now)?;
            Ok(lifted)
        })
        .await?;
    tracing::info!(lifted, "login blocks lifted");
    Ok(lifted)
}

/// Creates a staff account (from the API, a page or the command line), recorded in the audit trail.
pub async fn create_account(
    core: &Core,
    by: &Actor,
    input: NewAccountInput,
) -> Result<StaffRow, Error> {
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let account = NewAccount::parse(input, gate)?;
    let hasher = core.passwords.clone();
    let now: DateTime<Utc> = core.clock.now();
    let place = core.wait_for_hashing_place().await?;
    let row = hash_in(place, move || {
        hasher
            .hash(account.password.expose())
            .map(|hash| StaffRow::new(&account, hash, now))
    })
    .await?
    .map_err(Error::internal)?;
    let stored = row.clone();
    let entry = Entry::new(
        by,
        Action::UserCreated,
        &row.username,
        serde_json::json!({ "role": row.role, "gate_id": row.gate_id }),
    );
    core.store
        .write(move |conn| {
            let added = staff::insert(conn, &stored);
            if added.is_ok() {
                audit::append(conn, &entry, now)?;
            }
            Ok(added)
        })
        .await?
        .map_err(|e| match e {
            AddStaffError::Exists => Conflict::UsernameTaken.into(),
            AddStaffError::Db(e) => Error::from(e),
        })?;
    tracing::info!(role = %row.role, "staff account created");
    Ok(row)
}

/// Every staff account, by username.
pub async fn list(core: &Core, _admin: &Admin) -> Result<Vec<StaffRow>, Error> {
    Ok(core.store.read(|conn| Ok(staff::all(conn)?)).await?)
}

/// Every staff account, and the gates an officer or supervisor may be bound to (the accounts
/// page).
pub async fn roster(
    core: &Core,
    admin: &Admin,
) -> Result<(Vec<StaffRow>, Vec<crate::db::gates::GateRow>), Error> {
    Ok((list(core, admin).await?, gates::list(core).await?))
}

/// Disables (its tokens stop working at once) or enables an account.
pub async fn set_disabled(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
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
    let now = core.clock.now();
    let action = if disabled {
        Action::UserDisabled
    } else {
        Action::UserEnabled
    };
    let entry = Entry::new(
        &Actor::staff(admin.staff(), client),
        action,
        &username,
        serde_json::json!({}),
    );
    let outcome = core
        .store
        .write(move |conn| {
            let outcome = staff::set_disabled(conn, &username, disabled, now.naive_utc())?;
            if let DisableOutcome::Changed(_) = outcome {
                audit::append(conn, &entry, now)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        DisableOutcome::Changed(row) => {
            tracing::info!(disabled, "staff account changed");
            Ok(row)
        }
        DisableOutcome::LastAdmin => Err(Conflict::LastAdmin.into()),
        DisableOutcome::Unknown => Err(Error::NotFound),
    }
}
