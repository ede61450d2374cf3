//! The rules of the zone: documents, permits, crossings. No HTTP, no SQL.

pub mod crossing;
pub mod document;
pub mod permit;
pub mod stats;
pub mod violation;
