//! `teczka completions`: the shell completion script.

use crate::cli::Exit;
use clap::CommandFactory;
use clap_complete::Shell;

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka completions bash > ~/.local/share/bash-completion/completions/teczka

  teczka completions zsh > ~/.zfunc/_teczka

  teczka completions fish > ~/.config/fish/completions/teczka.fish";

/// Print the completion script for a shell.
///
/// Write it once where the shell looks for completions (the folders below are the usual ones
/// for one user); a new shell then completes teczka's commands, flags and their values.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The shell the script is for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Run `completions`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let mut command = crate::cli::Cli::command();
    clap_complete::generate(args.shell, &mut command, "teczka", &mut std::io::stdout().lock());
    Ok(Exit::Clean)
}
