//! What teczka says on standard error besides errors and the summary line, by the verbosity
//! the user chose (`--quiet`, `--verbose`), and the progress shown while it works.
//!
//! Errors, safety warnings (an archive in the clear, a late answer) and the summary line are
//! always said: scripts and people rely on them. `--quiet` drops the rest; `--verbose` lists
//! every problem instead of the first few, and the notices of reports written to files.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

/// How much to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors, safety warnings and the summary line only; no progress.
    Quiet,
    /// Also what was done, the first problems, progress on a terminal.
    #[default]
    Normal,
    /// Also every problem and every notice.
    Verbose,
}

static LEVEL: OnceLock<Verbosity> = OnceLock::new();

/// Set the verbosity for the rest of the process (once, from the command line).
pub fn set(level: Verbosity) {
    let _ = LEVEL.set(level);
}

/// The verbosity in force.
pub fn level() -> Verbosity {
    LEVEL.get().copied().unwrap_or_default()
}

/// Print a line about what was done, unless `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::cli::say::level() > $crate::cli::say::Verbosity::Quiet {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// A spinner saying what the command is doing (`sealing the archive`), drawn only on a
/// terminal and never under `--quiet`; clear it with `finish_and_clear`.
pub fn spinner(what: &str) -> ProgressBar {
    if level() == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_says_least_and_verbose_most() {
        assert!(Verbosity::Quiet < Verbosity::Normal && Verbosity::Normal < Verbosity::Verbose);
        assert_eq!(Verbosity::default(), Verbosity::Normal);
    }
}
