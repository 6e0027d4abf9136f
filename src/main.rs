//! The `teczka` command.

fn main() {}
