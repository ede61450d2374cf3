//! Reading the audit trail (writing it is part of each audited use case, in its transaction).

use crate::db::audit::{self, AuditRow};
use crate::domain::audit::{TrailFilter, TrailQuery};
use crate::domain::staff::Admin;
use crate::domain::stats::Paging;
use crate::domain::violation::Violations;

use super::{Core, Error};

/// Entries on one page of the trail.
pub const PER_PAGE: u32 = 50;

/// One page of the trail, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditRow>,
    /// This page and its size.
    pub paging: Paging,
    /// Entries the filters select, on every page.
    pub total: i64,
}

/// The entries `query` selects, page `page` of them (50 a page), newest first.
pub async fn list(
    core: &Core,
    _admin: &Admin,
    query: &TrailQuery,
    page: Option<&str>,
) -> Result<AuditPage, Error> {
    let mut p = Violations::default();
    let filter = p.take(None, TrailFilter::parse(query, core.config.zone_tz));
    let paging = p.take(None, Paging::parse(page, None, PER_PAGE, PER_PAGE));
    let (Some(filter), Some(paging)) = (filter, paging) else {
        return Err(p.into_vec().into());
    };
    let (offset, limit) = (paging.offset(), i64::from(paging.per_page));
    let (items, total) = core
        .store
        .read(move |conn| Ok(audit::page(conn, &filter, offset, limit)?))
        .await?;
    Ok(AuditPage {
        items,
        paging,
        total,
    })
}
