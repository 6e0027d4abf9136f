//! Personal data stays private on disk, whatever the user's umask and however the run ends.
//!
//! * The process umask is set to `077` before anything is created, so every file teczka makes
//!   (outputs, rejects, reports, token mappings, staging, temporary files) is `0600` and every
//!   folder `0700`: a school server's default `022` would otherwise leave `health.csv` readable
//!   by every local account.
//! * Temporary outputs and staging folders are registered while they exist. `SIGINT`,
//!   `SIGTERM` and `SIGHUP` remove them before the process exits (130, 143, 129), as a normal
//!   exit or an error does through their destructors.
//! * `kill -9` cannot be caught: what it leaves is private (0700) and named with the process
//!   id (`.teczka-<pid>-…`), and the next run that writes into the same folder removes such
//!   leftovers of processes that no longer exist.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary paths to remove if a signal ends the run.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

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
            remove_registered();
            std::process::exit(128 + signal);
        }
    });
}

/// The prefix of every temporary name this process creates: `.teczka-<pid>-`.
pub fn temp_prefix() -> String {
    format!(".teczka-{}-", std::process::id())
}

/// Remember `path` for removal if a signal ends the run; [`forget`] it once it is committed
/// or removed.
pub fn register(path: &Path) {
    if let Ok(mut paths) = REGISTERED.lock() {
        paths.push(path.to_path_buf());
    }
}

/// Stop tracking `path`.
pub fn forget(path: &Path) {
    if let Ok(mut paths) = REGISTERED.lock() {
        paths.retain(|p| p != path);
    }
}

fn remove_registered() {
    let paths = match REGISTERED.lock() {
        Ok(paths) => paths.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for path in paths {
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// Remove what killed teczka runs left in `folder`: `.teczka-<pid>-…` entries whose process no
/// longer exists. Entries of running processes, and anything else, are left alone.
pub fn remove_leftovers(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = leftover_pid(&name.to_string_lossy()) else { continue };
        if pid == std::process::id() || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        // Only our own leftovers: owned by this user (and private, as every run makes them).
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if !owned_by_us(&meta) {
            continue;
        }
        let _ = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// The process id in a `.teczka-<pid>-…` name.
fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".teczka-")?;
    let (pid, tail) = rest.split_once('-')?;
    (!tail.is_empty()).then_some(())?;
    pid.parse().ok()
}

fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
        || !Path::new("/proc/self").exists() && unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
}

#[cfg(unix)]
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid cannot fail.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn owned_by_us(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_recognised_by_their_process_id() {
        assert_eq!(leftover_pid(".teczka-4242-export-x1"), Some(4242));
        assert_eq!(leftover_pid(".teczka-4242-"), None);
        assert_eq!(leftover_pid(".teczka-abc-x"), None);
        assert_eq!(leftover_pid("teczka-4242-x"), None);
    }

    #[test]
    fn leftovers_of_dead_processes_go_and_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above Linux's pid_max (4194304) never runs.
        let dead = dir.path().join(".teczka-4194305-export-abc");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("pupils.jsonl"), "{}").unwrap();
        let alive = dir.path().join(format!("{}x", temp_prefix()));
        std::fs::write(&alive, "").unwrap();
        let other = dir.path().join("pupils.jsonl");
        std::fs::write(&other, "").unwrap();
        remove_leftovers(dir.path());
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
    }
}
