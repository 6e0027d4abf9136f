//! `teczka schema`: print the published schemas.

use crate::cli::Exit;
use anyhow::Context;
use std::io::Write;

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka schema > pupil.schema.json

  teczka schema --xsd > pupils.xsd";

/// Print the JSON Schema of a pupil record, or with `--xsd` the XSD of the SOU-like XML.
///
/// The JSON Schema is generated from the model.
///
/// Every field carries `x-teczka-class`: direct, quasi, sensitive or plain.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Print the XSD of the SOU-like XML instead.
    #[arg(long)]
    xsd: bool,
}

/// Run `schema`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let text = if args.xsd { teczka::PUPILS_XSD.to_string() } else { teczka::pupil_schema_text() };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    Ok(Exit::Clean)
}
