//! `teczka man`: the manual pages, from the same definitions as `--help`.

use crate::cli::say::note;
use crate::cli::Exit;
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;
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
///
/// The pages are written with the usual permissions, not the private ones of teczka's record
/// outputs (`write::output`): they hold no personal data, and pages installed for every user
/// (`sudo teczka man -o /usr/local/share/man/man1`) must be readable by every user.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let pages = pages(crate::cli::Cli::command())?;
    let Some(dir) = args.output else {
        let top = pages.first().map_or("", |p| p.roff.as_str());
        std::io::stdout()
            .lock()
            .write_all(top.as_bytes())
            .context("cannot write to standard output")?;
        return Ok(Exit::Clean);
    };
    std::fs::create_dir_all(&dir).with_context(|| {
        format!(
            "{}: cannot create the folder for the manual pages: give another -o DIR",
            dir.display()
        )
    })?;
    for page in &pages {
        let path = dir.join(&page.file);
        std::fs::write(&path, &page.roff)
            .with_context(|| format!("{}: cannot write the manual page", path.display()))?;
    }
    note!("teczka: {} manual pages written to {}", pages.len(), dir.display());
    Ok(Exit::Clean)
}

/// One manual page.
pub struct Page {
    /// Its file name: `teczka.1`, `teczka-export.1`, `teczka-policy-show.1`, ….
    pub file: String,
    /// The page in roff, as `man` reads it.
    pub roff: String,
}

/// The page of `command` and of each of its commands, nested ones included, the top page
/// first. A command's examples (its `after_long_help`) become the page's EXAMPLES section, one
/// unfilled block per example, so they read and paste as in `--help`.
pub fn pages(command: clap::Command) -> anyhow::Result<Vec<Page>> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect(&command, &mut pages)?;
    Ok(pages)
}

fn collect(command: &clap::Command, pages: &mut Vec<Page>) -> anyhow::Result<()> {
    let examples = command.get_after_long_help().map(ToString::to_string);
    let man = clap_mangen::Man::new(command.clone().after_long_help(None::<&str>))
        .source(concat!("teczka ", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff).context("cannot render the manual page")?;
    let mut roff = String::from_utf8(roff).context("the manual page is not UTF-8")?;
    if let Some(examples) = examples {
        // Before VERSION, where man pages keep their examples.
        let at = roff.find("\n.SH VERSION").map_or(roff.len(), |at| at + 1);
        roff.insert_str(at, &examples_section(&examples));
    }
    pages.push(Page { file: man.get_filename(), roff });
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages)?;
    }
    Ok(())
}

/// The EXAMPLES section of a page from the `Examples:` text of `--help`: blocks separated by
/// blank lines, each set line by line (`.nf`), with dashes and apostrophes as the ASCII
/// characters a shell needs.
///
/// The blocks are indented two columns from the margin (`.in 2n`), as in `--help`, rather than
/// the section's usual seven: the example lines are written to fit 80 columns at that indent,
/// and unfilled lines are never wrapped, so at seven the longest ran past an 80-column
/// terminal and broke there mid-command.
fn examples_section(text: &str) -> String {
    use clap_mangen::roff::{roman, Roff};
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    let body = text.strip_prefix("Examples:").unwrap_or(text);
    for block in body.split("\n\n").filter(|block| !block.trim().is_empty()) {
        roff.control("PP", []).control("nf", []).control("in", ["2n"]);
        for line in block.trim_matches('\n').lines() {
            roff.text([roman(line.strip_prefix("  ").unwrap_or(line))]);
        }
        roff.control("in", []).control("fi", []);
    }
    // `to_roff` leaves `'` as it is, which man shows as a typographic quote; the page's preamble
    // (written by `Man::render`) defines `\*(Aq` as the straight one.
    roff.to_roff().replace('\'', r"\*(Aq")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page for teczka and for every command, nested ones included, each titled with its
    /// name; examples as an EXAMPLES section set line by line, never as clap's EXTRA.
    #[test]
    fn every_command_has_a_page_with_its_examples() {
        let pages = pages(crate::cli::Cli::command()).unwrap();
        let page = |file: &str| {
            let found = pages.iter().find(|p| p.file == file);
            &found.unwrap_or_else(|| panic!("no page {file}")).roff
        };
        assert_eq!(pages[0].file, "teczka.1");
        for command in crate::cli::Cli::command().get_subcommands() {
            let name = command.get_name();
            if name == "help" {
                continue;
            }
            let roff = page(&format!("teczka-{name}.1"));
            assert!(roff.contains(&format!(".TH teczka-{name} 1")), "{name}: {roff:.300}");
            assert!(roff.contains(".SH EXAMPLES\n.PP\n.nf\n.in 2n\n"), "{name} has no examples");
            assert!(!roff.contains(".SH EXTRA"), "{name}: examples rendered as EXTRA");
            let top = page("teczka.1");
            assert!(top.contains(&format!("teczka\\-{name}(1)")), "teczka.1 lacks {name}");
        }
        assert!(page("teczka-policy-show.1").contains(".TH teczka-policy-show 1"));
        assert!(!pages.iter().any(|p| p.file.contains("help")), "a page for `help`");
        // Options as the shell needs them: ASCII dashes and straight quotes, a continuation
        // backslash escaped; the examples before VERSION.
        let convert = page("teczka-convert.1");
        let example = r"teczka convert pupils.xml \-\-to csv \-\-out\-delimiter \*(Aq;\*(Aq \\";
        assert!(convert.contains(&format!("\n{example}\n    \\-\\-out\\-encoding")), "{convert}");
        let examples = convert.find(".SH EXAMPLES").unwrap();
        assert!(convert.find(".SH VERSION").is_none_or(|version| version > examples));
    }
}
