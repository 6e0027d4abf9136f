//! `teczka keygen`: make the secrets the policy needs — a pseudonym key, an age identity for
//! token mappings, or a passphrase.

use crate::cli::Exit;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use teczka::policy::keys::{generate_passphrase, Key};
use teczka::policy::tokens::write_new_age_identity;

/// Make a secret: a pseudonym key, an age identity (`--age`) or a passphrase.
///
/// Without options: a new secret key for keyed pseudonyms and date shifts. With `--age`: an
/// age identity that token mappings are encrypted to. With `--passphrase`: a strong passphrase.
///
/// The key file is created with mode 0600 and never overwritten: the same key gives the same
/// pupil the same pseudonym in every export, so losing or replacing it breaks that link, and
/// anyone holding it can test guesses against the pseudonyms. Only its id (`k1-…`) is printed;
/// the id may go into archives and reports, the key never.
///
/// `--age` writes an identity file (as `age-keygen` does) and prints its public recipient
/// (`age1…`) on standard output: give that to the run that tokenises; keep the file with the
/// controller, it alone opens the mappings.
///
/// Examples:
///
///   teczka keygen -o school.key
///
///   teczka keygen --age -o controller.age-identity > controller.recipient
///
///   teczka keygen --passphrase
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The file to create (it must not exist).
    #[arg(short, long, value_name = "FILE", required_unless_present = "passphrase")]
    output: Option<PathBuf>,
    /// Write an age X25519 identity instead of a pseudonym key; print its recipient.
    #[arg(long, conflicts_with = "passphrase")]
    age: bool,
    /// Print a new random passphrase (about 100 bits, five groups of four characters) on
    /// standard output instead of writing a file.
    #[arg(long, conflicts_with = "output")]
    passphrase: bool,
}

/// Run `keygen`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let mut stdout = std::io::stdout().lock();
    if args.passphrase {
        writeln!(stdout, "{}", generate_passphrase()).context("cannot write to standard output")?;
        return Ok(Exit::Clean);
    }
    let Some(path) = args.output else {
        anyhow::bail!("give the file to create with -o FILE");
    };
    if args.age {
        let recipient = write_new_age_identity(&path)?;
        writeln!(stdout, "{recipient}").context("cannot write to standard output")?;
        eprintln!(
            "teczka: wrote an age identity to {}; keep it secret and safe: it alone opens the \
             token mappings encrypted to the recipient printed above",
            path.display()
        );
    } else {
        let key = Key::generate();
        key.write_new(&path)?;
        eprintln!("key id: {}", key.id());
        eprintln!(
            "teczka: wrote the key to {}; keep it secret, back it up, never put it in an \
             archive: without it later exports no longer link, with it anyone can test guesses",
            path.display()
        );
    }
    Ok(Exit::Clean)
}
