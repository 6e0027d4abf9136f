//! `teczka keygen`: make the secrets the policy needs — a pseudonym key, an age identity for
//! token mappings, a minisign key pair for signing archives, or a passphrase.

use crate::cli::Exit;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use teczka::{generate_key_pair, generate_passphrase, write_new_age_identity, Key};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka keygen -o school.key

  teczka keygen --age -o controller.age-identity > controller.recipient

  SIGN_PASS=… teczka keygen --minisign --password-env SIGN_PASS \
      -o school-sign.key

  teczka keygen --passphrase";

/// Make a secret: a pseudonym key, an age identity, a signing key pair or a passphrase.
///
/// Without options: a new secret key for keyed pseudonyms and date shifts. With `--age`: an
/// age identity (the private key of age, the file-encryption tool) that token mappings are
/// encrypted to. With `--minisign`: a key pair (for minisign, a small signing tool) that signs
/// archives (`export --sign`). With `--passphrase`: a strong passphrase.
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
/// `--minisign` writes the secret key to the file (mode 0600; encrypted under the password in
/// --password-env VAR if given, as `minisign -G` does) and the public key beside it with the
/// extension `.pub`, and prints the public key: publish it where recipients can trust it,
/// they check archives with `teczka verify --trusted-key` or `minisign -V`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The file to create (it must not exist).
    #[arg(short, long, value_name = "FILE", required_unless_present = "passphrase")]
    output: Option<PathBuf>,
    /// Write an age X25519 identity instead of a pseudonym key; print its recipient.
    #[arg(long, conflicts_with = "passphrase")]
    age: bool,
    /// Write a minisign key pair (FILE and FILE with `.pub`) for signing archives; print the
    /// public key.
    #[arg(long, conflicts_with_all = ["passphrase", "age"])]
    minisign: bool,
    /// The environment variable holding the password to encrypt the --minisign secret key
    /// with (without it the key file is not encrypted: keep it as safe as the other keys).
    #[arg(long, value_name = "VAR", requires = "minisign")]
    password_env: Option<String>,
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
    if args.minisign {
        let password = args
            .password_env
            .as_deref()
            .map(|var| {
                let value = std::env::var(var)
                    .with_context(|| format!("environment variable {var} is not set"))?;
                teczka::check_passphrase(&value)?;
                Ok::<_, anyhow::Error>(zeroize::Zeroizing::new(value))
            })
            .transpose()?;
        let (public, public_path) =
            generate_key_pair(&path, password.as_ref().map(|p| p.as_str()))?;
        writeln!(stdout, "{}", public.base64()).context("cannot write to standard output")?;
        eprintln!("minisign key id: {}", public.id());
        eprintln!(
            "teczka: wrote the minisign secret key to {}{} and the public key to {}; keep the \
             secret key safe (it signs in the school's name), give the public key to recipients",
            path.display(),
            if password.is_some() { " (encrypted)" } else { "" },
            public_path.display()
        );
    } else if args.age {
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
