//! borderpass: entry permits and the one crossing log of the Khorgos border zone.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod files;
pub mod http;
pub mod metrics;
pub mod qr;
pub mod telemetry;
pub mod web;
