//! borderpass: entry permits and the one crossing log of the Khorgos border zone.

pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod telemetry;
