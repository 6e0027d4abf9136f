//! Integration tests: one binary, one module per area, driving the real `teczka` binary.

mod archive_write;
mod cli;
mod convert;
mod export;
mod fixtures;
mod hostile;
mod keys;
mod policy;
mod roundtrip;
mod sign;
mod strategy;
#[allow(dead_code)]
mod util;
