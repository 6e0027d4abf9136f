//! `teczka generate`: deterministic synthetic pupils for fixtures, demos and benchmarks.

use crate::cli::say::note;
use crate::cli::{Exit, FormatArg};
use anyhow::Context;
use rayon::prelude::*;
use std::path::PathBuf;
use teczka::{
    damage, open_output, Country, CsvWriteOptions, Damage, Detail, Format, Generator,
    GeneratorConfig, Outgoing, Sink,
};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka generate -n 1000 --to sou -o pupils.xml

  teczka generate -n 1000000 --detail minimal --to jsonl -o big.jsonl

  teczka generate -n 200 --to csv --out-delimiter ';' \
      --out-encoding windows-1250 -o export/

  teczka generate -n 100 --damage-every 10 --to jsonl -o broken.jsonl";

/// Generate synthetic pupil records: the same seed always gives the same bytes.
///
/// Valid PESELs or rodná čísla consistent with birth date and sex, real Polish and Czech
/// names and towns, guardians, grades; no real person is described.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Number of pupils.
    #[arg(short = 'n', long, default_value_t = 100)]
    count: u64,
    /// Seed: the same seed gives the same pupils.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Polish, Czech or mixed pupils.
    #[arg(long, default_value = "pl")]
    country: Country,
    /// How much of the model each pupil fills in: minimal, typical or full.
    #[arg(long, default_value = "typical")]
    detail: Detail,
    /// Break every Nth pupil in one of the ways schools' data breaks (Excel-stripped PESEL
    /// zero, bad checksum, bad postcode, …), cycling through them; for broken fixtures.
    #[arg(long, value_name = "N")]
    damage_every: Option<u64>,
    /// Output format.
    #[arg(long, value_enum)]
    to: FormatArg,
    /// Output file, or folder for `--to csv`.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Delimiter of CSV output.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = crate::cli::parse_delimiter)]
    out_delimiter: u8,
    /// Encoding of CSV output.
    #[arg(long, value_name = "NAME", default_value = "utf-8", value_parser = crate::cli::parse_encoding)]
    out_encoding: &'static encoding_rs::Encoding,
}

/// Pupils generated in parallel per chunk, then written in order.
const CHUNK: u64 = 8192;

/// Run `generate`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let generator = Generator::new(GeneratorConfig {
        seed: args.seed,
        country: args.country,
        detail: args.detail,
        ..GeneratorConfig::default()
    });
    let options = CsvWriteOptions {
        delimiter: args.out_delimiter,
        encoding: args.out_encoding,
        ..CsvWriteOptions::default()
    };
    let mut out = open_output(Format::from(args.to), &args.output, options)?;
    write_all(&generator, &args, out.sink())?;
    out.commit()?;
    let into = match args.output.as_os_str() == "-" {
        true => "standard output".to_string(),
        false => args.output.display().to_string(),
    };
    note!("teczka: generated {} pupils into {into}", args.count);
    Ok(Exit::Clean)
}

fn write_all(generator: &Generator, args: &Args, sink: &mut dyn Sink) -> anyhow::Result<()> {
    let mut start = 0;
    while start < args.count {
        let end = (start + CHUNK).min(args.count);
        let pupils: Vec<_> = (start..end)
            .into_par_iter()
            .map(|index| {
                let mut pupil = generator.pupil(index);
                if let Some(kind) = damage_for(index, args.damage_every) {
                    damage(&mut pupil, kind);
                }
                pupil
            })
            .collect();
        for pupil in &pupils {
            sink.write(Outgoing::Pupil(pupil)).context("cannot write a generated pupil")?;
        }
        start = end;
    }
    sink.finish()?;
    Ok(())
}

/// Every `every`th pupil (the last of each group) gets the next kind of damage in turn.
fn damage_for(index: u64, every: Option<u64>) -> Option<Damage> {
    let every = every.filter(|n| *n > 0)?;
    if !(index + 1).is_multiple_of(every) {
        return None;
    }
    let turn = ((index + 1) / every - 1) as usize;
    Some(Damage::ALL[turn % Damage::ALL.len()])
}
