//! Any text as a SAR controller file and any text as a `--subject`: loading must accept or
//! refuse with a message, and an accepted controller must render a (negative) answer in every
//! language — never panic.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use teczka::{
    sar_index_html, Controller, Lang, SarPackage, SarRequest, SarScope, SarSearch, SarSubject,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let subject = text.lines().next().unwrap_or_default().parse().ok();
    let Ok(controller) = Controller::from_toml(text, Path::new("fuzz.toml")) else { return };
    let subject = subject.unwrap_or(SarSubject::Id("x".into()));
    let Ok(disclosure) = SarSearch::new(subject, 1).disclose(SarScope::Own) else { return };
    let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
    for lang in [Lang::Pl, Lang::Cs, Lang::En] {
        let request =
            SarRequest { reference: "R".into(), received: day, extension: None, lang, answered: day };
        let package = SarPackage { controller: &controller, request: &request, disclosure: &disclosure };
        let _ = sar_index_html(&package);
    }
});
