//! `teczka policy`: print the presets and check policy files.

use crate::cli::Exit;
use anyhow::bail;
use clap::Subcommand;
use teczka::{fields, op_name, preset, Policy, PRESETS};

/// The examples after `--help` and in the manual page's EXAMPLES: each line, as written,
/// fits 80 columns and pastes into a shell.
const EXAMPLES: &str = r"Examples:

  teczka policy list

  teczka policy show statistics > gmina.toml

  teczka policy check gmina.toml";

/// Print the shipped policy presets, or check a policy file against the model.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List the presets with their purpose.
    List,
    /// Print a preset's TOML, to start a policy of your own from it.
    Show {
        /// `transfer`, `sar` or `statistics`.
        name: String,
    },
    /// Check a policy file (or preset): every rule, and which fields each operator covers.
    Check {
        /// A policy file or a preset name.
        policy: String,
    },
}

/// Run `policy`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let today = chrono::Local::now().date_naive();
    match args.action {
        Action::List => {
            for (name, _) in PRESETS {
                let policy = Policy::load(name, today)?;
                let description = policy.file.policy.description.clone().unwrap_or_default();
                println!("{name:<12} {description}");
            }
        }
        Action::Show { name } => match preset(&name) {
            Some(text) => print!("{text}"),
            None => {
                let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                bail!("no preset `{name}`: the presets are {}", names.join(", "));
            }
        },
        Action::Check { policy } => {
            let policy = Policy::load(&policy, today)?;
            println!(
                "policy `{}` ({}, purpose {}): valid",
                policy.name(),
                policy.origin,
                policy.purpose().as_str()
            );
            let mut by_op: Vec<(&str, Vec<&str>)> = Vec::new();
            for (i, field) in fields().iter().enumerate() {
                let Some(rule) = policy.rule(i) else { continue };
                let name = op_name(&rule.op);
                match by_op.iter_mut().find(|(op, _)| *op == name) {
                    Some((_, paths)) => paths.push(&field.path),
                    None => by_op.push((name, vec![&field.path])),
                }
            }
            for (op, paths) in by_op {
                println!("  {op:<13} {} fields: {}", paths.len(), paths.join(", "));
            }
            let uncovered = policy.uncovered_fields();
            if !uncovered.is_empty() {
                let paths: Vec<&str> = uncovered.iter().map(|f| f.path.as_str()).collect();
                println!(
                    "  not covered   {} fields (a run stops if the data holds one): {}",
                    paths.len(),
                    paths.join(", ")
                );
            }
            if let Some(a) = policy.anonymity() {
                let quasi: Vec<&str> = a.quasi.iter().map(|(p, _)| p.as_str()).collect();
                println!(
                    "  anonymity     k = {}{}, at most {:.1} % suppressed, quasi-identifiers: {}",
                    a.k,
                    a.l.map(|l| format!(", l = {l}")).unwrap_or_default(),
                    a.max_suppression * 100.0,
                    quasi.join(", ")
                );
            }
        }
    }
    Ok(Exit::Clean)
}
