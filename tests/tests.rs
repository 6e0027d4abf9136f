//! Integration tests: one binary, one module per area, driving the real `teczka` binary.

mod anonymity;
mod archive_write;
mod browser;
mod cli;
mod convert;
mod export;
mod fixtures;
mod honest_input;
mod hostile;
mod import_mapping;
mod keys;
mod limits;
mod log;
mod matrika;
mod oneroster;
mod parquet;
mod policy;
mod readme;
mod retention;
mod ropa;
mod roundtrip;
mod sar;
mod security;
mod sheets;
mod sign;
mod strategy;
mod tables;
mod tampered;
mod trust;
#[allow(dead_code)]
mod util;
