//! The deletion protocol — Polish *protokół brakowania*, Czech *skartační protokol*, English
//! *deletion protocol* — as JSON for machines and one self-contained HTML page for the file.
//!
//! It says what was disposed of and on what authority: per category and schedule entry, the
//! file-plan code, the period and what it runs from, its legal basis, how many items of how
//! many pupils were erased or anonymised and the years they span; the holds respected; who
//! ran it and when; the inputs' SHA-256 digests; and `in = kept + erased + anonymised`. It
//! holds no personal value: no name, no id, no date of any pupil.

use super::apply::{Applied, Reconciliation};
use super::schedule::Schedule;
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::sar::{entity_label, Controller, Lang, RetentionEvent};
use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file names an apply run writes beside the remainder.
pub mod files {
    /// The protocol page.
    pub const HTML: &str = "protocol.html";
    /// The protocol as JSON.
    pub const JSON: &str = "protocol.json";
    /// The minisign signature of [`JSON`].
    pub const SIGNATURE: &str = "protocol.json.minisig";
}

/// An input file and its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    /// The path as given (a folder's files one by one).
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, hexadecimal; `None` for standard input.
    pub sha256: Option<String>,
}

/// The digests of `inputs`, folders expanded to their files (sorted, hidden files skipped).
pub fn digest_inputs(inputs: &[PathBuf]) -> Result<Vec<FileDigest>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| Error::io(input, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(input.clone());
        }
    }
    files.iter().map(|path| digest(path)).collect()
}

fn digest(path: &Path) -> Result<FileDigest> {
    let shown = path.display().to_string();
    if path == Path::new("-") {
        return Ok(FileDigest { path: shown, bytes: 0, sha256: None });
    }
    let file = crate::log::FileRef::of(path)?;
    Ok(FileDigest { path: shown, bytes: file.bytes, sha256: Some(file.sha256) })
}

/// Who ran the disposal, and on what.
#[derive(Clone, Debug)]
pub struct Meta<'a> {
    /// The controller file.
    pub controller: &'a Controller,
    /// The protocol's language.
    pub lang: Lang,
    /// Who carried it out (name and role, as written on the command line).
    pub performed_by: String,
    /// The inputs' digests.
    pub inputs: Vec<FileDigest>,
    /// The retained remainder's name within the output folder.
    pub output: String,
    /// The minisign key id the JSON is signed with, if it is.
    pub signed_with: Option<String>,
}

/// One line: a category disposed of under one schedule entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// From 1.
    pub number: usize,
    /// The category's name in the records (`attendance`).
    pub category: &'static str,
    /// The category in the protocol's language.
    pub category_label: &'static str,
    /// The `[[retention]]` entry (position in the controller file).
    pub entry: usize,
    /// The entry's description of the data.
    pub data: String,
    /// The file-plan code (`B5`, `S 10`).
    pub code: Option<String>,
    /// The period as the entry words it.
    pub period: String,
    /// The period in months.
    pub months: u32,
    /// What it runs from.
    pub from: RetentionEvent,
    /// Counted in whole calendar years from 1 January after the event.
    pub calendar_years: bool,
    /// The legal basis.
    pub basis: Option<String>,
    /// `erased` or `anonymised`.
    pub action: &'static str,
    /// Items disposed of.
    pub items: u64,
    /// Pupils they belonged to.
    pub pupils: u64,
    /// The earliest year their periods ran from.
    pub first_year: Option<i32>,
    /// The latest.
    pub last_year: Option<i32>,
}

/// Archival records of one category past their period: kept, to hand over to the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArchivalLine {
    /// The category's name in the records.
    pub category: &'static str,
    /// The category in the protocol's language.
    pub category_label: &'static str,
    /// The `[[retention]]` entry.
    pub entry: usize,
    /// The file-plan code (`A 45`).
    pub code: Option<String>,
    /// Items.
    pub items: u64,
    /// Pupils they belong to.
    pub pupils: u64,
}

/// A hold and what it kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HoldLine {
    /// The case reference.
    pub case: Option<String>,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub set_by: String,
    /// Since when.
    pub since: Option<NaiveDate>,
    /// Until when.
    pub until: Option<NaiveDate>,
    /// Whether it had lapsed on the run's day (and so kept nothing).
    pub lapsed: bool,
    /// Items it kept.
    pub items: u64,
    /// Pupils it kept (whole or in part).
    pub pupils: u64,
    /// Pupil ids it names that the input did not hold.
    pub unmatched: u64,
}

/// The protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Protocol {
    /// `teczka retention protocol`.
    pub document: &'static str,
    /// The protocol's title in its language.
    pub title: &'static str,
    /// Its language.
    pub language: Lang,
    /// The day of the disposal (`--today`).
    pub date: NaiveDate,
    /// The controller.
    pub controller: String,
    /// Its address.
    pub controller_address: Option<String>,
    /// Its data-protection officer.
    pub dpo: String,
    /// Who carried it out.
    pub performed_by: String,
    /// teczka and its version.
    pub tool: String,
    /// The inputs, which were not changed.
    pub inputs: Vec<FileDigest>,
    /// The retained remainder.
    pub output: String,
    /// What was disposed of.
    pub lines: Vec<Line>,
    /// Archival records (file-plan category `A`) past their period: kept, to be offered to
    /// the state archive (the Czech *skartační návrh* lists them beside those destroyed).
    pub archival: Vec<ArchivalLine>,
    /// The holds.
    pub holds: Vec<HoldLine>,
    /// Items: in = kept + erased + anonymised.
    pub items: Reconciliation,
    /// Pupils: in = kept + erased + anonymised.
    pub pupils: Reconciliation,
    /// The minisign key id `protocol.json.minisig` is made with.
    pub signed_with: Option<String>,
}

const TITLE: [&str; 3] = [
    "Protokół brakowania — usunięcia i anonimizacji danych osobowych",
    "Skartační protokol — výmaz a anonymizace osobních údajů",
    "Deletion protocol — erasure and anonymisation of personal data",
];

impl Protocol {
    /// The protocol of `applied`, run with `schedule`.
    pub fn new(applied: &Applied, schedule: &Schedule, meta: Meta<'_>) -> Protocol {
        let c = meta.controller;
        let lang = meta.lang;
        let text = |t: &crate::sar::Text| c.text(t, lang).text.to_string();
        Protocol {
            document: "teczka retention protocol",
            title: lang.pick(TITLE),
            language: lang,
            date: schedule.today,
            controller: text(&c.controller.name),
            controller_address: c.controller.address.clone(),
            dpo: text(&c.dpo.name),
            performed_by: meta.performed_by,
            tool: format!("teczka {}", env!("CARGO_PKG_VERSION")),
            inputs: meta.inputs,
            output: meta.output,
            lines: lines(applied, schedule, c, lang),
            archival: archival(applied, c, lang),
            holds: holds(applied, schedule, c, lang),
            items: applied.items,
            pupils: applied.pupils,
            signed_with: meta.signed_with,
        }
    }

    /// The protocol as pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The protocol as one self-contained HTML page (the subject-access report's stylesheet,
    /// no script, nothing fetched).
    pub fn to_html(&self) -> String {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        html! {
            (DOCTYPE)
            html lang=(self.language.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="generator" content="teczka";
                    title { (self.title) }
                    // The report's stylesheet, with room for the protocol's nine columns.
                    style { (PreEscaped(crate::sar::CSS)) "main{max-width:72rem}" }
                }
                body {
                    main {
                        h1 { (self.title) }
                        (self.parties())
                        h2 { (t(["Wybrakowane dane", "Skartované údaje", "Data disposed of"])) }
                        (self.lines_table())
                        h2 { (t(["Blokady prawne", "Právní blokace", "Legal holds"])) }
                        @if !self.archival.is_empty() {
                            h2 { (t([
                                "Materiały archiwalne do przekazania do archiwum",
                                "Archiválie k předání do archivu",
                                "Archival records to hand over to the archive",
                            ])) }
                            (self.archival_list())
                        }
                        (self.holds_list())
                        h2 { (t(["Uzgodnienie liczb", "Kontrola počtů", "Counts reconciled"])) }
                        (self.reconciliation())
                        h2 { (t(["Dane wejściowe", "Vstupní data", "Inputs"])) }
                        (self.inputs_list())
                    }
                }
            }
        }
        .into_string()
    }

    fn parties(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        html! {
            div.box {
                dl.rows {
                    dt { (t(["Administrator", "Správce", "Controller"])) }
                    dd {
                        (self.controller)
                        @if let Some(address) = &self.controller_address { br; (address) }
                    }
                    dt { (t(["Inspektor ochrony danych", "Pověřenec", "Data-protection officer"])) }
                    dd { (self.dpo) }
                    dt { (t(["Data", "Datum", "Date"])) }
                    dd { (self.language.date(self.date)) }
                    dt { (t(["Wykonał(a)", "Provedl(a)", "Carried out by"])) }
                    dd { (self.performed_by) }
                    dt { (t(["Narzędzie", "Nástroj", "Tool"])) }
                    dd { (self.tool) }
                    dt { (t(["Zachowane dane zapisano w", "Zachovaná data uložena v", "Retained data written to"])) }
                    dd { code { (self.output) } }
                    @if let Some(key) = &self.signed_with {
                        dt { (t(["Podpis (minisign)", "Podpis (minisign)", "Signature (minisign)"])) }
                        dd { code { (key) } }
                    }
                }
            }
            p.note {
                (t([
                    "Protokół nie zawiera danych osobowych uczniów: tylko kategorie, liczby i lata.",
                    "Protokol neobsahuje osobní údaje žáků: jen kategorie, počty a roky.",
                    "The protocol holds no pupil's personal data: categories, counts and years only.",
                ]))
            }
        }
    }

    fn lines_table(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        if self.lines.is_empty() {
            return html! { p { (t(["Nic nie wybrakowano.", "Nic nebylo skartováno.", "Nothing was disposed of."])) } };
        }
        html! {
            div.scroll { table {
                thead { tr {
                    th { (t(["Lp.", "Č.", "No."])) }
                    th { (t(["Kategoria danych", "Kategorie údajů", "Category"])) }
                    th { (t(["Symbol / kategoria archiwalna", "Skartační znak", "File-plan code"])) }
                    th { (t(["Okres przechowywania", "Skartační lhůta", "Retention period"])) }
                    th { (t(["Podstawa prawna", "Právní základ", "Legal basis"])) }
                    th { (t(["Czynność", "Úkon", "Action"])) }
                    th { (t(["Liczba pozycji", "Počet položek", "Items"])) }
                    th { (t(["Liczba uczniów", "Počet žáků", "Pupils"])) }
                    th { (t(["Daty skrajne", "Časový rozsah", "Years"])) }
                } }
                tbody { @for line in &self.lines { tr {
                    td { (line.number) }
                    td { (line.category_label) br; span.note { (line.data) } }
                    td { (line.code.as_deref().unwrap_or("—")) }
                    td { (line.period) }
                    td { (line.basis.as_deref().unwrap_or("—")) }
                    td { (self.action_word(line.action)) }
                    td { (line.items) }
                    td { (line.pupils) }
                    td {
                        @match (line.first_year, line.last_year) {
                            (Some(a), Some(b)) if a == b => { (a) }
                            (Some(a), Some(b)) => { (a) "–" (b) }
                            _ => { "—" }
                        }
                    }
                } } }
            } }
        }
    }

    fn action_word(&self, action: &str) -> &'static str {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        if action == "anonymised" {
            t(["zanonimizowano", "anonymizováno", "anonymised"])
        } else {
            t(["usunięto", "vymazáno", "erased"])
        }
    }

    fn archival_list(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        html! { ul { @for line in &self.archival { li {
            (line.category_label) " (" (line.code.as_deref().unwrap_or("A")) "): "
            (line.items) " " (t(["pozycji", "položek", "items"])) ", "
            (line.pupils) " " (t(["uczniów", "žáků", "pupils"])) " — "
            (t(["zachowano, nie usunięto", "zachováno, nevymazáno", "kept, not erased"]))
        } } } }
    }

    fn holds_list(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        if self.holds.is_empty() {
            return html! { p { (t(["Brak blokad.", "Žádné blokace.", "No holds."])) } };
        }
        html! { ul { @for hold in &self.holds { li {
            @if let Some(case) = &hold.case { strong { (case) } ": " }
            (hold.reason) " (" (t(["ustanowił(a)", "stanovil(a)", "set by"])) " " (hold.set_by) ")"
            @if hold.lapsed {
                " — " (t(["wygasła, nie zastosowano", "pominula, neuplatněna", "lapsed, not applied"]))
            } @else {
                " — " (t(["zachowano pozycji", "zachováno položek", "items kept"])) ": " (hold.items)
                ", " (t(["uczniów", "žáků", "pupils"])) ": " (hold.pupils)
                @if hold.unmatched > 0 {
                    span.special { " — " (t([
                        "identyfikatorów nieobecnych w danych",
                        "identifikátorů chybějících v datech",
                        "ids not found in the input",
                    ])) ": " (hold.unmatched) }
                }
            }
        } } } }
    }

    fn reconciliation(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        let row = |label: &'static str, r: &Reconciliation| {
            html! { tr {
                th { (label) } td { (r.input) } td { (r.kept) } td { (r.erased) } td { (r.anonymised) }
            } }
        };
        html! { div.scroll { table {
            thead { tr {
                th {}
                th { (t(["wejście", "vstup", "in"])) }
                th { (t(["zachowano", "zachováno", "kept"])) }
                th { (t(["usunięto", "vymazáno", "erased"])) }
                th { (t(["zanonimizowano", "anonymizováno", "anonymised"])) }
            } }
            tbody {
                (row(t(["pozycje", "položky", "items"]), &self.items))
                (row(t(["uczniowie", "žáci", "pupils"]), &self.pupils))
            }
        } } }
    }

    fn inputs_list(&self) -> Markup {
        let t = |texts: [&'static str; 3]| self.language.pick(texts);
        html! {
            p.note { (t([
                "Pliki wejściowe nie zostały zmienione; skróty SHA-256 pozwalają to sprawdzić.",
                "Vstupní soubory nebyly změněny; otisky SHA-256 to umožňují ověřit.",
                "The input files were not changed; their SHA-256 digests let anyone check.",
            ])) }
            ul { @for input in &self.inputs { li {
                code { (input.path) } " (" (input.bytes) " B)"
                @if let Some(sha) = &input.sha256 { br; code.note { (sha) } }
            } } }
        }
    }
}

/// The protocol's lines: one per category and schedule entry that disposed of something.
fn lines(applied: &Applied, schedule: &Schedule, c: &Controller, lang: Lang) -> Vec<Line> {
    let text = |t: &crate::sar::Text| c.text(t, lang).text.to_string();
    let line = |(i, d): (usize, &super::Disposal)| {
        let entry = c.retention.get(d.entry)?;
        let rule = schedule.rule(d.category)?;
        Some(Line {
            number: i + 1,
            category: d.category.file_stem(),
            category_label: entity_label(d.category, lang),
            entry: d.entry,
            data: text(&entry.data),
            code: entry.code.clone(),
            period: text(&entry.period),
            months: rule.period.months,
            from: rule.from,
            calendar_years: rule.period.calendar_years,
            basis: entry.basis.as_ref().map(text),
            action: if d.anonymised { "anonymised" } else { "erased" },
            items: d.count.items,
            pupils: d.count.pupils,
            first_year: d.years.map(|y| y.0),
            last_year: d.years.map(|y| y.1),
        })
    };
    applied.disposals.iter().enumerate().filter_map(line).collect()
}

/// The holds in force with what each kept, then the lapsed ones.
fn holds(applied: &Applied, schedule: &Schedule, c: &Controller, lang: Lang) -> Vec<HoldLine> {
    let line = |h: &crate::sar::Hold, lapsed: bool, counts: Option<&super::HoldCounts>| HoldLine {
        case: h.case.clone(),
        reason: c.text(&h.reason, lang).text.to_string(),
        set_by: h.set_by.clone(),
        since: h.since,
        until: h.until,
        lapsed,
        items: counts.map_or(0, |n| n.items),
        pupils: counts.map_or(0, |n| n.pupils),
        unmatched: counts.map_or(0, |n| n.unmatched),
    };
    let in_force = schedule.holds().iter().enumerate();
    let mut holds: Vec<HoldLine> =
        in_force.map(|(i, h)| line(h, false, applied.report.holds.get(i))).collect();
    holds.extend(schedule.lapsed.iter().map(|h| line(h, true, None)));
    holds
}

/// Archival records past their period, per category.
fn archival(applied: &Applied, c: &Controller, lang: Lang) -> Vec<ArchivalLine> {
    Entity::ALL
        .into_iter()
        .zip(&applied.report.categories)
        .filter(|(_, counts)| counts.archival.items > 0)
        .filter_map(|(entity, counts)| {
            let entry = counts.entry?;
            Some(ArchivalLine {
                category: entity.file_stem(),
                category_label: entity_label(entity, lang),
                entry,
                code: c.retention.get(entry).and_then(|r| r.code.clone()),
                items: counts.archival.items,
                pupils: counts.archival.pupils,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::testing::{controller, d, schedule};

    const SCHEDULE: &str = r#"
[[retention]]
data = "dzienniki"
period = "5 lat"
categories = ["attendance"]
years = 5
from = "item"
code = "B5"
"#;

    #[test]
    fn the_page_escapes_what_people_typed_and_says_when_nothing_was_disposed_of() {
        let c = controller(SCHEDULE);
        let s = schedule(SCHEDULE, d(2030, 1, 1));
        let meta = Meta {
            controller: &c,
            lang: Lang::En,
            performed_by: "<script>alert(1)</script>".into(),
            inputs: vec![FileDigest { path: "-".into(), bytes: 0, sha256: None }],
            output: "records.jsonl".into(),
            signed_with: None,
        };
        let protocol = Protocol::new(&Applied::default(), &s, meta);
        let html = protocol.to_html();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("Nothing was disposed of.") && html.contains("No holds."), "{html}");
        let json: serde_json::Value = serde_json::from_str(&protocol.to_json()).unwrap();
        assert_eq!(json["date"], "2030-01-01");
        assert_eq!(
            json["items"],
            serde_json::json!({"in": 0, "kept": 0, "erased": 0, "anonymised": 0})
        );
    }
}
