//! Integration tests: one binary, one module per area, driving the real `teczka` binary.

mod util;
