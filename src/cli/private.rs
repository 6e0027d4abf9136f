//! Personal data stays private on disk, whatever the user's umask and however the run ends.
//!
//! * The process umask is set to `077` before anything is created, so every file teczka makes
//!   (outputs, rejects, reports, token mappings, staging, temporary files) is `0600` and every
//!   folder `0700`: a school server's default `022` would otherwise leave `health.csv` readable
//!   by every local account.
//! * Temporary outputs and staging folders are registered while they exist
//!   ([`teczka::AtomicFile`], [`teczka::AtomicDir`]). `SIGINT`, `SIGTERM` and `SIGHUP` remove
//!   them before the process exits (130, 143, 129), as a normal exit or an error does through
//!   their destructors; what `kill -9` leaves, the next run writing into the folder removes.

/// Make every file and folder this process creates private, and remove registered temporary
/// paths on SIGINT, SIGTERM and SIGHUP. Call once, first thing in `main`.
pub fn protect_process() {
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let signals =
        [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP];
    let Ok(mut incoming) = signal_hook::iterator::Signals::new(signals) else {
        // Without the handler the default action still ends the run; what it leaves is
        // private and removed by the next run (see the module docs).
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = incoming.forever().next() {
            teczka::remove_registered_outputs();
            std::process::exit(128 + signal);
        }
    });
}
