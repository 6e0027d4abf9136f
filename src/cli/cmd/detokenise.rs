//! `teczka detokenise`: put the original values back in place of tokens, with the encrypted
//! mapping written by the run that tokenised.

use crate::cli::Exit;
use anyhow::{bail, Context};
use clap::ValueEnum;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use teczka::{AgeIdentity, AtomicFile, TokenMap, TokenTextFormat};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka detokenise out.jsonl --mapping out.tokens.age --identity me.age \
      -o plain.jsonl

  read -rs MAPPING_PASS; export MAPPING_PASS
  teczka detokenise pupils.xml --mapping m.age --passphrase-env MAPPING_PASS \
      -o plain.xml";

/// Restore tokenised values with the encrypted token mapping.
///
/// Replaces every token (`tok_…`) in INPUT by the value it stands
/// for, read from the age-encrypted mapping written with the export, and write the result to
/// OUT. Only the controller, who holds the identity or the passphrase, can do this.
///
/// Works on teczka's JSON Lines, XML and CSV output (one file at a time; for a CSV folder run
/// it per file); values are escaped for the format. CSV must be UTF-8; its cells are written
/// back quoted only where needed.
///
/// Ends with `tokens: replaced=N unknown=N` on standard error. Exit codes: 0 every token was
/// restored; 1 some token-shaped strings are not in the mapping (another run's?) and were left
/// as they are; 2 failure (wrong identity or passphrase, unreadable file, …).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
#[command(group = clap::ArgGroup::new("opener").required(true).args(["identity", "passphrase_env"]))]
pub struct Args {
    /// Where this run is logged.
    #[command(flatten)]
    pub log: crate::cli::audit::LogArgs,
    /// The tokenised file: JSON Lines, XML or CSV.
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// The encrypted token mapping (age) written with the export.
    #[arg(long, value_name = "FILE")]
    mapping: PathBuf,
    /// The age identity file the mapping was encrypted to (`teczka keygen --age`).
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// The environment variable holding the passphrase the mapping was encrypted with (never
    /// the passphrase itself: command lines are visible to other users and kept in histories).
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// The restored file to write.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// The format of INPUT, instead of guessing from its extension.
    #[arg(long, value_enum)]
    format: Option<TextFormatArg>,
    /// CSV delimiter: `;`, `,`, `tab` or any single character; guessed from the first line
    /// when absent.
    #[arg(long, value_name = "CHAR", value_parser = crate::cli::parse_delimiter)]
    delimiter: Option<u8>,
}

/// A text format on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextFormatArg {
    /// JSON Lines (or one JSON document).
    #[value(alias = "json")]
    Jsonl,
    /// XML.
    #[value(alias = "sou")]
    Xml,
    /// Delimited text, UTF-8.
    Csv,
}

/// Run `detokenise`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    crate::cli::refuse_overwriting(&[&args.input, &args.mapping], &[&args.output])?;
    let format = match args.format.or_else(|| guess_format(&args.input)) {
        Some(TextFormatArg::Jsonl) => TokenTextFormat::Json,
        Some(TextFormatArg::Xml) => TokenTextFormat::Xml,
        Some(TextFormatArg::Csv) => TokenTextFormat::Csv { delimiter: args.delimiter },
        None => bail!(
            "{}: cannot tell the format from the file name: give --format jsonl, xml or csv",
            args.input.display()
        ),
    };
    let identity = match (&args.identity, &args.passphrase_env) {
        (Some(path), _) => AgeIdentity::File(path.clone()),
        (None, Some(var)) => match std::env::var(var) {
            Ok(passphrase) => AgeIdentity::Passphrase(passphrase),
            Err(_) => bail!(
                "environment variable `{var}` is not set (or not text): put the mapping's \
                 passphrase in it"
            ),
        },
        (None, None) => bail!("give --identity FILE or --passphrase-env VAR"),
    };

    let mapping = File::open(&args.mapping)
        .with_context(|| format!("{}: cannot open the token mapping", args.mapping.display()))?;
    let map = TokenMap::read(BufReader::new(mapping), &identity)
        .with_context(|| args.mapping.display().to_string())?;

    let input = File::open(&args.input)
        .with_context(|| format!("{}: cannot open the input", args.input.display()))?;
    let mut output = AtomicFile::create(&args.output)?;
    let counts = map
        .detokenise(BufReader::with_capacity(64 * 1024, input), &mut output, format)
        .with_context(|| args.input.display().to_string())?;
    output.commit()?;

    if counts.unknown > 0 {
        eprintln!(
            "teczka: {} token-shaped strings are not in this mapping (made by another run?) and \
             were left as they are",
            counts.unknown
        );
    }
    eprintln!("tokens: replaced={} unknown={}", counts.replaced, counts.unknown);
    Ok(if counts.unknown > 0 { Exit::Rejects } else { Exit::Clean })
}

/// The format a file name suggests.
fn guess_format(path: &Path) -> Option<TextFormatArg> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "jsonl" | "ndjson" | "json" => Some(TextFormatArg::Jsonl),
        "xml" => Some(TextFormatArg::Xml),
        "csv" | "tsv" | "txt" => Some(TextFormatArg::Csv),
        _ => None,
    }
}
