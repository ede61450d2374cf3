//! Integration tests: the real server on port 0, on SQLite or (with TEST_DATABASE_URL) PostgreSQL.

mod admin;
mod admin_browser;
mod admin_pages;
mod browser;
mod devices;
mod gate_browser;
mod hardening;
mod health;
mod offline;
mod ops;
mod pages;
mod permits;
mod scans;
mod staff;
mod stats;
mod store;
mod traveler_browser;
// Helpers serve many test modules; not every one uses each.
#[allow(dead_code)]
mod helpers;
mod schema;
