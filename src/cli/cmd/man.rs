//! `teczka man`: the manual pages, from the same definitions as `--help`.

use crate::cli::say::note;
use crate::cli::Exit;
use anyhow::Context;
use clap::CommandFactory;
use std::path::PathBuf;

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka man -o ~/.local/share/man/man1 && man teczka-export

  teczka man | man -l -";

/// Write the manual pages: teczka.1 and one page per command (teczka-export.1, …).
///
/// Without -o, the top page goes to standard output. The pages say what `--help` says; put
/// them in a folder on the manual path (`manpath` lists it) to read them with `man`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Folder to write every page into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Run `man`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let command = crate::cli::Cli::command();
    let Some(dir) = args.output else {
        clap_mangen::Man::new(command)
            .render(&mut std::io::stdout().lock())
            .context("cannot write to standard output")?;
        return Ok(Exit::Clean);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    clap_mangen::generate_to(command, &dir)
        .with_context(|| format!("{}: cannot write the manual pages", dir.display()))?;
    note!("teczka: manual pages written to {}", dir.display());
    Ok(Exit::Clean)
}
