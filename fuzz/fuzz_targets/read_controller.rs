//! Any text as a SAR controller file and any text as a `--subject`: loading must accept or
//! refuse with a message, and an accepted controller must render a (negative) answer in every
//! language — never panic.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use teczka::sar::{Scope, Search};
use teczka::sar::{index_html, Controller, Lang, Package, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let subject = text.lines().next().unwrap_or_default().parse().ok();
    let Ok(controller) = Controller::from_toml(text, Path::new("fuzz.toml")) else { return };
    let subject = subject.unwrap_or(teczka::sar::Subject::Id("x".into()));
    let Ok(disclosure) = Search::new(subject, 1).disclose(Scope::Own) else { return };
    let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
    for lang in [Lang::Pl, Lang::Cs, Lang::En] {
        let request =
            Request { reference: "R".into(), received: day, extension: None, lang, answered: day };
        let package = Package { controller: &controller, request: &request, disclosure: &disclosure };
        let _ = index_html(&package);
    }
});
