//! `teczka log`: check, list and prove from the school's tamper-evident log.

use crate::cli::Exit;
use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use teczka::{
    log_verifier_key, read_log_lines, verify_log, AtomicFile, FileRef, LogLine, LogProof,
    TrustedKey,
};

/// The examples after `--help` and in the manual page's EXAMPLES.
const EXAMPLES: &str = r"Examples:

  teczka log verify teczka.log --trusted-key school-sign.pub

  teczka log verify teczka.log --trusted-key school-sign.pub \
      --checkpoint checkpoint-2026-12.txt

  teczka log show teczka.log

  teczka log show teczka.log --last-checkpoint > checkpoint-2026-12.txt

  teczka log prove przekazanie.zip.age --log teczka.log \
      --trusted-key school-sign.pub -o przekazanie.proof.json";

/// Check, list and prove from the school's tamper-evident log.
///
/// Every run of a command on personal data given --log (or TECZKA_LOG) appends an entry: time,
/// command, operator, the files read and written by SHA-256 and size, policy and key id, record
/// counts, a subject-access request's reference — never a value. After each entry the log
/// holds a checkpoint: the Merkle tree's size and root over all entries so far (RFC 6962
/// hashing, as Certificate Transparency uses), signed with the school's minisign key as a C2SP
/// signed note.
///
/// `verify` recomputes the tree and checks every checkpoint: an entry edited, removed, added
/// or moved fails, naming the first entry that no longer fits (exit 1). A log cut short at an
/// entry boundary is still a log: keep a copy of a recent checkpoint outside the school
/// (`show --last-checkpoint`, printed or sent to the body that runs the school) and give it to
/// `verify --checkpoint`, which then fails if anything it covers is missing or different.
///
/// `prove` writes the proof that the run which wrote an archive is in the log; the recipient
/// checks it with `teczka verify ARCHIVE --log PROOF --log-trusted-key school-sign.pub`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Recompute the tree and check every checkpoint (exit 1 naming the first entry that no
    /// longer fits).
    Verify {
        /// The log file.
        log: PathBuf,
        /// The school's minisign public key (a `.pub` file, or the `RW…` key).
        #[arg(long, value_name = "PUBKEY_FILE_OR_KEY")]
        trusted_key: String,
        /// A checkpoint kept outside the log (`show --last-checkpoint`): the log must still
        /// hold every entry it covers, unchanged.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// List the entries, as text or JSON Lines.
    Show {
        /// The log file.
        log: PathBuf,
        /// Print the entries as JSON Lines, as the log holds them.
        #[arg(long, conflicts_with = "last_checkpoint")]
        json: bool,
        /// Print only the last signed checkpoint, to keep outside the school.
        #[arg(long)]
        last_checkpoint: bool,
        /// Print the log's verifier key (`name+hash+key`, the signed-note form other tools
        /// take) for this public key.
        #[arg(long, value_name = "PUBKEY_FILE_OR_KEY", conflicts_with_all = ["json", "last_checkpoint"])]
        verifier_key: Option<String>,
    },
    /// Write the inclusion proof that the log holds the run which wrote FILE (an archive).
    Prove {
        /// The file a logged run wrote (an exported archive).
        file: PathBuf,
        /// The log file.
        #[arg(long, value_name = "FILE")]
        log: PathBuf,
        /// The school's minisign public key; the log is verified before a proof is made.
        #[arg(long, value_name = "PUBKEY_FILE_OR_KEY")]
        trusted_key: String,
        /// Where to write the proof (JSON); default: standard output.
        #[arg(short, long, value_name = "FILE", default_value = "-")]
        output: PathBuf,
    },
}

/// Run `log`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    match args.action {
        Action::Verify { log, trusted_key, checkpoint } => {
            let key = TrustedKey::from_arg(&trusted_key)?;
            let kept = checkpoint
                .map(|path| {
                    std::fs::read_to_string(&path).with_context(|| {
                        format!("cannot read the kept checkpoint {}", path.display())
                    })
                })
                .transpose()?;
            match verify_log(&log, &key, kept.as_deref())? {
                Ok(verified) => {
                    let against = verified
                        .kept
                        .map(|n| {
                            format!("; the kept checkpoint's {n} entries are all there, unchanged")
                        })
                        .unwrap_or_default();
                    println!(
                        "{}: sound — {} entries, {} signed checkpoints hold{against}",
                        log.display(),
                        verified.entries,
                        verified.checkpoints
                    );
                    Ok(Exit::Clean)
                }
                Err(broken) => {
                    println!("{}: {broken}", log.display());
                    Ok(Exit::Rejects)
                }
            }
        }
        Action::Show { log, json, last_checkpoint, verifier_key: key } => {
            show(&log, json, last_checkpoint, key.as_deref())
        }
        Action::Prove { file, log, trusted_key, output } => {
            let key = TrustedKey::from_arg(&trusted_key)?;
            crate::cli::refuse_overwriting(&[&file, &log], &[&output])?;
            let proof = LogProof::of_output(&log, &FileRef::of(&file)?, &key)?;
            let text = serde_json::to_string_pretty(&proof)? + "\n";
            write_out(&output, text.as_bytes())?;
            Ok(Exit::Clean)
        }
    }
}

fn show(
    log: &std::path::Path,
    json: bool,
    last_checkpoint: bool,
    key: Option<&str>,
) -> anyhow::Result<Exit> {
    if let Some(key) = key {
        println!("{}", log_verifier_key(&TrustedKey::from_arg(key)?));
        return Ok(Exit::Clean);
    }
    let lines = read_log_lines(log)?;
    let mut out = std::io::stdout().lock();
    if last_checkpoint {
        let Some(note) = lines.iter().rev().find_map(|l| match l {
            LogLine::Checkpoint(note) => Some(note),
            _ => None,
        }) else {
            anyhow::bail!("{}: the log holds no checkpoint yet", log.display());
        };
        out.write_all(note.as_bytes())?;
        return Ok(Exit::Clean);
    }
    for line in &lines {
        let LogLine::Entry { raw, entry } = line else { continue };
        if json {
            out.write_all(raw)?;
            out.write_all(b"\n")?;
            continue;
        }
        match &**entry {
            Ok(e) => {
                let counts: Vec<String> =
                    e.counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
                writeln!(
                    out,
                    "{:>5}  {}  {:<10} {:<8} {:<12} files read {}, written {}; {}{}",
                    e.seq,
                    e.time,
                    e.command,
                    e.outcome,
                    e.operator,
                    e.inputs.len(),
                    e.outputs.len(),
                    counts.join(" "),
                    e.subject.as_ref().map(|s| format!(" ref={s}")).unwrap_or_default()
                )?;
            }
            Err(why) => writeln!(out, "    ?  (a line that {why})")?,
        }
    }
    Ok(Exit::Clean)
}

fn write_out(output: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    if output == std::path::Path::new("-") {
        std::io::stdout().write_all(bytes)?;
        return Ok(());
    }
    let mut file = AtomicFile::create(output)?;
    file.file().write_all(bytes).with_context(|| format!("cannot write {}", output.display()))?;
    file.commit()?;
    Ok(())
}
