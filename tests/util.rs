//! The test harness: a temporary working folder and the `teczka` binary.
