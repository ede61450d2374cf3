//! Reading the audit trail (writing it is part of each audited use case, in its transaction).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::db::audit::{self, AuditFilter, AuditRow};
use crate::domain::audit::Action;
use crate::domain::staff::Admin;
use crate::domain::violation::{ViolationCode, Violations};

use super::{Core, Error};

/// Entries on one page of the trail.
pub const PER_PAGE: i64 = 50;

/// What an administrator asks of the trail, as typed.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// An instant (RFC 3339) or a date (the zone's calendar): entries from then on.
    pub from: Option<String>,
    /// An instant, or a date (that whole day, in the zone's calendar): entries up to then.
    pub to: Option<String>,
    /// Only this actor's (a username, or `cli`).
    pub actor: Option<String>,
    /// Only this action (`user.created`, ...).
    pub action: Option<String>,
    /// Page, from 1.
    pub page: Option<String>,
}

/// One page of the trail, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditRow>,
    /// This page, from 1.
    pub page: i64,
    /// Entries a page.
    pub per_page: i64,
    /// Entries the filters select, on every page.
    pub total: i64,
}

/// Where a bound of the trail's range lies: an instant as given, or a date's start (`end`: the
/// start of the day after) in `tz`.
fn bound(raw: &str, tz: chrono_tz::Tz, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc) + chrono::Duration::nanoseconds(i64::from(end)));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let day = if end { day.succ_opt()? } else { day };
    let midnight = day.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The bound `field` gives (`raw`), or its problem in `p`.
fn range(
    p: &mut Violations,
    field: &str,
    raw: Option<&str>,
    tz: chrono_tz::Tz,
    end: bool,
) -> Option<DateTime<Utc>> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let at = bound(raw, tz, end);
    if at.is_none() {
        p.push(
            field,
            ViolationCode::InvalidValue,
            format!("{field} is a date (YYYY-MM-DD) or an RFC 3339 instant"),
        );
    }
    at
}

/// The entries `query` selects, a page of them, newest first.
pub async fn list(core: &Core, _admin: &Admin, query: AuditQuery) -> Result<AuditPage, Error> {
    let tz = core.config.zone_tz;
    let mut p = Violations::default();
    let from = range(&mut p, "from", query.from.as_deref(), tz, false);
    let before = range(&mut p, "to", query.to.as_deref(), tz, true);
    if let (Some(from), Some(before)) = (from, before) {
        if before <= from {
            p.push("to", ViolationCode::InvalidRange, "to is before from");
        }
    }
    let action = match query.action.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match Action::parse(raw) {
            Some(action) => Some(action.as_str().to_owned()),
            None => {
                p.push(
                    "action",
                    ViolationCode::InvalidValue,
                    "action is one of the trail's actions (docs/admin.md)",
                );
                None
            }
        },
    };
    let actor = query
        .actor
        .as_deref()
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty());
    let page = parse_page(&mut p, query.page.as_deref());
    if !p.is_empty() {
        return Err(p.into_vec().into());
    }
    let filter = AuditFilter {
        from,
        before,
        actor,
        action,
    };
    let offset = (page - 1) * PER_PAGE;
    let (items, total) = core
        .store
        .read(move |conn| Ok(audit::page(conn, &filter, offset, PER_PAGE)?))
        .await?;
    Ok(AuditPage {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// The page number of `raw` (1 when absent), or its problem in `p`.
pub fn parse_page(p: &mut Violations, raw: Option<&str>) -> i64 {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => 1,
        Some(raw) => match raw.parse::<i64>() {
            Ok(page) if (1..=1_000_000).contains(&page) => page,
            _ => {
                p.push(
                    "page",
                    ViolationCode::InvalidValue,
                    "page is a number from 1",
                );
                1
            }
        },
    }
}
