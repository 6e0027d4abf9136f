//! `teczka completions`: the shell completion script.

use crate::cli::Exit;
use clap::CommandFactory;
use clap_complete::Shell;

/// Print the completion script for a shell.
///
/// Install it once, for example:
///
///   teczka completions bash > ~/.local/share/bash-completion/completions/teczka
///
///   teczka completions zsh > ~/.zfunc/_teczka
///
///   teczka completions fish > ~/.config/fish/completions/teczka.fish
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
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
