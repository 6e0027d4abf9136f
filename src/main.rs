//! The `teczka` command: parse arguments, run the command, map the outcome to an exit code.

mod cli;

/// glibc's allocator spent a third of the anonymising run in malloc and free (perf), much of
/// it on records freed by another thread than the one that built them; mimalloc's per-thread
/// heaps take that cost away.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything is created: every file 0600, every folder 0700, cleanup on signals.
    cli::private::protect_process();
    let args = cli::Cli::parse();
    let ends_with_summary = args.ends_with_summary();
    match cli::run(args) {
        Ok(code) => code.into(),
        Err(error) => {
            // A closed pipe (`teczka convert … -o - | head`) is the reader's choice, not a
            // failure, as ripgrep and xsv treat it.
            if is_broken_pipe(&error) {
                return cli::Exit::Clean.into();
            }
            eprintln!("teczka: {}", message(&error));
            if ends_with_summary {
                eprintln!("{}", cli::summary_of_failed_run(&error));
            }
            cli::Exit::Failure.into()
        }
    }
}

/// The error and its causes joined by `: `, each cause said once: teczka's errors name their
/// cause in their own text (`FILE: No such file or directory`), so anyhow's `{:#}` printed the
/// operating system's words twice.
fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::fs::read("/nonexistent/teczka").unwrap_err();
        let os = io.to_string();
        let error = anyhow::Error::new(teczka::Error::io("in.csv", io)).context("cannot read");
        let text = message(&error);
        assert_eq!(text.matches(&os).count(), 1, "{text}");
        assert!(text.starts_with("cannot read: in.csv: "), "{text}");
    }
}
