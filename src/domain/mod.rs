//! The rules of the zone: documents, permits, gates, staff, crossings. No HTTP, no SQL.

pub mod audit;
pub mod crossing;
pub mod device;
pub mod document;
pub mod gate;
pub mod permit;
pub mod scan;
pub mod staff;
pub mod stats;
pub mod violation;
