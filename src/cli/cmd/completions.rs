//! `teczka completions`: the shell completion script.

use crate::cli::Exit;
use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

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
    std::io::stdout()
        .lock()
        .write_all(&script(args.shell))
        .context("cannot write the completion script to standard output")?;
    Ok(Exit::Clean)
}

/// The completion script of teczka for `shell`, generated from the command definitions.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "teczka", &mut script);
    script
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// Every shell gets a script (clap_complete panics on definitions it cannot express), and
    /// the bash one offers every command and their flags, global ones too.
    #[test]
    fn every_shell_gets_a_script_naming_every_command() {
        for shell in Shell::value_variants() {
            let text = String::from_utf8(script(*shell)).unwrap();
            assert!(text.contains("teczka"), "{shell}: {text:.200}");
        }
        let bash = String::from_utf8(script(Shell::Bash)).unwrap();
        // What `teczka <Tab>` offers: the words of the top level's `opts`.
        let offered = bash.lines().find(|l| l.trim_start().starts_with("opts=\"-q -v -h -V"));
        let offered: Vec<&str> = offered.expect("the top level's opts").split(['"', ' ']).collect();
        for command in crate::cli::Cli::command().get_subcommands() {
            let name = command.get_name();
            assert!(offered.contains(&name), "`teczka <Tab>` lacks {name}: {offered:?}");
        }
        for flag in ["--policy", "--encrypt-to", "--subject-env", "--quiet", "--verbose"] {
            assert!(bash.contains(flag), "bash completion lacks {flag}");
        }
    }
}
