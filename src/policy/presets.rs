//! The policies that ship with teczka, one per job; `teczka policy show NAME` prints them so a
//! user can start a policy of their own from one.

/// Every preset: name and TOML text.
pub const PRESETS: [(&str, &str); 3] = [
    ("transfer", include_str!("../../policies/transfer.toml")),
    ("sar", include_str!("../../policies/sar.toml")),
    ("statistics", include_str!("../../policies/statistics.toml")),
];

/// The text of the preset called `name`.
pub fn preset(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}
