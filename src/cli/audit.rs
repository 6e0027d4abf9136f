//! This run's entry in the school's tamper-evident log: what the command read and wrote,
//! gathered while it runs, appended when it ends (`--log FILE`, `TECZKA_LOG`, or the
//! controller file's `[log]`).
//!
//! The log is opened and its last checkpoint checked before the command starts, so a wrong key
//! or a tampered log stops the run before anything is done. Failed runs are logged too: an
//! attempt on personal data is an operation on it.

use anyhow::Context;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use teczka::{Counts, FileRef, Log, LogEntry, PolicyRef, SigningKey};
use zeroize::Zeroizing;

use super::say::note;
use super::Exit;

/// Where the run is logged, and who runs it (every command on personal data takes these).
#[derive(Clone, Debug, Default, Args)]
pub struct LogArgs {
    /// Append an entry for this run (files by SHA-256, counts, no value) and a signed
    /// checkpoint to this log; default: the environment variable TECZKA_LOG, or the controller
    /// file's [log].
    #[arg(long, value_name = "FILE", display_order = 800)]
    log: Option<PathBuf>,
    /// The minisign secret key that signs the log's checkpoints (`teczka keygen --minisign`);
    /// default: TECZKA_LOG_KEY, or the controller file's [log] key.
    #[arg(long, value_name = "FILE", display_order = 800)]
    log_key: Option<PathBuf>,
    /// The environment variable holding the password of an encrypted --log-key.
    #[arg(long, value_name = "VAR", display_order = 800)]
    log_key_password_env: Option<String>,
    /// Who runs the command, as the log records it; default: the system user name.
    #[arg(long, value_name = "NAME", display_order = 800)]
    operator: Option<String>,
}

/// What the controller file's `[log]` says, for commands that read one.
#[derive(Clone, Debug, Default)]
pub struct LogDefaults {
    /// The log file.
    pub file: Option<PathBuf>,
    /// The signing key file.
    pub key: Option<PathBuf>,
    /// The variable holding the key's password.
    pub key_password_env: Option<String>,
}

impl LogDefaults {
    /// The `[log]` of the controller file at `controller`, its paths taken from the file's
    /// folder; nothing when the file cannot be read (the command then says why).
    pub fn of_controller(controller: &Path) -> LogDefaults {
        let loaded = teczka::Controller::load(controller).ok().and_then(|c| c.log);
        let Some(log) = loaded else { return LogDefaults::default() };
        let folder = controller.parent().unwrap_or(Path::new(""));
        LogDefaults {
            file: Some(folder.join(log.file)),
            key: log.key.map(|key| folder.join(key)),
            key_password_env: log.key_password_env,
        }
    }
}

/// What the command did, gathered as it goes.
struct Gathered {
    inputs: Vec<PathBuf>,
    outputs: Vec<PathBuf>,
    policy: Option<PolicyRef>,
    key_id: Option<String>,
    counts: BTreeMap<String, u64>,
    subject: Option<String>,
}

static GATHERED: Mutex<Gathered> = Mutex::new(Gathered {
    inputs: Vec::new(),
    outputs: Vec::new(),
    policy: None,
    key_id: None,
    counts: BTreeMap::new(),
    subject: None,
});

fn gathered() -> std::sync::MutexGuard<'static, Gathered> {
    GATHERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The files the run reads and writes (standard input and output, `-`, are not files).
pub fn files(inputs: &[&Path], outputs: &[&Path]) {
    let mut g = gathered();
    let add = |list: &mut Vec<PathBuf>, paths: &[&Path]| {
        for path in paths.iter().filter(|p| **p != Path::new("-")) {
            if !list.iter().any(|known| known == path) {
                list.push(path.to_path_buf());
            }
        }
    };
    add(&mut g.inputs, inputs);
    add(&mut g.outputs, outputs);
}

/// The policy applied: its name and the text it was compiled from.
pub fn policy(name: &str, text: &[u8]) {
    use sha2::Digest;
    let sha256 = teczka::hex(&sha2::Sha256::digest(text));
    gathered().policy = Some(PolicyRef { name: name.to_string(), sha256 });
}

/// The id of the secret key used (pseudonyms, date shifts).
pub fn key_id(id: &str) {
    gathered().key_id = Some(id.to_string());
}

/// A count the run reports beyond the record counts (`found`, `tokens`, …).
pub fn count(name: &str, n: u64) {
    gathered().counts.insert(name.to_string(), n);
}

/// The subject-access request's reference (never the subject's identifier).
pub fn subject(reference: &str) {
    gathered().subject = Some(reference.to_string());
}

/// The log this run appends to, opened and checked before the command runs.
pub struct Session {
    command: &'static str,
    log: Log,
    key: SigningKey,
    operator: String,
}

impl Session {
    /// Open the log named by `args`, the environment or `defaults`; `None` when no log is
    /// asked for. Refuses a log without a key, or whose last checkpoint does not hold.
    pub fn start(
        command: &'static str,
        args: &LogArgs,
        defaults: &LogDefaults,
    ) -> anyhow::Result<Option<Session>> {
        let env_path =
            |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
        let Some(path) =
            args.log.clone().or_else(|| env_path("TECZKA_LOG")).or(defaults.file.clone())
        else {
            return Ok(None);
        };
        let key_path =
            args.log_key.clone().or_else(|| env_path("TECZKA_LOG_KEY")).or(defaults.key.clone());
        let Some(key_path) = key_path else {
            anyhow::bail!(
                "{}: the log's checkpoints are signed: give the school's minisign secret key with \
                 --log-key FILE or TECZKA_LOG_KEY (make one with `teczka keygen --minisign -o \
                 school-sign.key`)",
                path.display()
            );
        };
        let password_var =
            args.log_key_password_env.as_ref().or(defaults.key_password_env.as_ref());
        let password = password_var
            .map(|var| {
                std::env::var(var).map(Zeroizing::new).with_context(|| {
                    format!("environment variable {var} (--log-key-password-env) is not set")
                })
            })
            .transpose()?;
        let key = SigningKey::read(&key_path, password.as_ref().map(|p| p.as_str()))?;
        let log = Log::new(path);
        log.check_head(&key)?;
        let operator = args.operator.clone().unwrap_or_else(system_user);
        Ok(Some(Session { command, log, key, operator }))
    }

    /// Append the run's entry; the run's outcome stays the caller's to return.
    pub fn finish(self, outcome: &anyhow::Result<Exit>) -> anyhow::Result<()> {
        let g = std::mem::replace(&mut *gathered(), empty());
        let refs = |paths: &[PathBuf]| -> anyhow::Result<Vec<FileRef>> {
            let mut refs = Vec::new();
            for path in paths.iter().filter(|p| p.exists()) {
                refs.extend(FileRef::all_under(path)?);
            }
            Ok(refs)
        };
        let mut counts = g.counts;
        if let Some(run) = super::cmd::run_counts() {
            insert_counts(&mut counts, run);
        }
        let entry = LogEntry {
            seq: 0,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            command: self.command.to_string(),
            operator: self.operator,
            outcome: match outcome {
                Ok(Exit::Clean) => "ok",
                Ok(Exit::Rejects) => "rejects",
                Ok(Exit::Failure) | Err(_) => "failed",
            }
            .to_string(),
            inputs: refs(&g.inputs)?,
            outputs: refs(&g.outputs)?,
            policy: g.policy,
            key_id: g.key_id,
            counts,
            subject: g.subject,
        };
        let appended = self.log.append(entry, &self.key).with_context(|| {
            "the run finished, but its log entry could not be written".to_string()
        })?;
        if appended.cut_torn_bytes > 0 {
            note!(
                "teczka: the log ended with an unfinished line (a crash while appending): its {} \
                 bytes were cut away first",
                appended.cut_torn_bytes
            );
        }
        note!("teczka: logged as entry {} of {}", appended.seq, self.log.path().display());
        Ok(())
    }
}

fn empty() -> Gathered {
    Gathered {
        inputs: Vec::new(),
        outputs: Vec::new(),
        policy: None,
        key_id: None,
        counts: BTreeMap::new(),
        subject: None,
    }
}

fn insert_counts(counts: &mut BTreeMap<String, u64>, run: &Counts) {
    counts.insert("in".into(), run.input);
    counts.insert("out".into(), run.output);
    counts.insert("rejected".into(), run.rejected);
    counts.insert("suppressed".into(), run.suppressed);
}

/// The operating system's name for the user running teczka: the login's variables, else the
/// process's user id looked up in /etc/passwd (services and containers set no `USER`).
fn system_user() -> String {
    if let Some(name) = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
    {
        return name;
    }
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m))
    else {
        return "unknown".to_string();
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.get(2) == Some(&uid.to_string().as_str()))
        .and_then(|fields| fields.first().map(|name| name.to_string()))
        .unwrap_or_else(|| format!("uid {uid}"))
}
