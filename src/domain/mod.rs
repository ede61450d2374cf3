//! The rules of the zone: documents, permits, crossings. No HTTP, no SQL.
