//! The risk report as one self-contained HTML page: inline CSS, the class-size histogram as an
//! inline SVG bar chart, no script and nothing fetched. Built with maud, so every text is
//! escaped (policy and field names come from a file someone wrote).

use super::{percent, RiskReport, SizeBin};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::io::{self, Write};

const CSS: &str = "body{font:16px/1.45 system-ui,sans-serif;max-width:60rem;margin:1rem auto;\
padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}\
td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}caption{text-align:left;font-weight:600}\
svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif}.note{color:#555}";

/// Chart geometry: plot area and bars.
const WIDTH: u64 = 640;
const HEIGHT: u64 = 220;
const LEFT: u64 = 40;
const BOTTOM: u64 = 30;
const TOP: u64 = 20;

pub(super) fn write(report: &RiskReport, mut out: impl Write) -> io::Result<()> {
    let page = page(report);
    out.write_all(page.into_string().as_bytes())?;
    writeln!(out)
}

fn page(r: &RiskReport) -> Markup {
    let (b, a) = (&r.before, &r.after);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Re-identification risk: policy " (r.policy) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Re-identification risk" }
                p {
                    "Policy " code { (r.policy) } ", k = " (r.k)
                    @if let Some(l) = r.l { ", l = " (l) }
                    ". Quasi-identifiers: " (r.quasi_labels().join(", ")) ". "
                    "Sensitive attributes: "
                    @if r.sensitive.is_empty() { "none" } @else { (r.sensitive.join(", ")) } "."
                }
                table {
                    caption { "Before and after the policy" }
                    tr { th { "" } th { "before" } th { "after" } }
                    @for (name, before, after) in r.table() {
                        tr { td { (name) } td { (before) } td { (after) } }
                    }
                }
                h2 { "Equivalence classes by size" }
                p.note {
                    "How many groups of pupils share every quasi-identifier value, by the size "
                    "of the group. A group of 1 is a pupil singled out; after a k-anonymous "
                    "release no group is smaller than k."
                }
                (chart(&b.class_sizes, &a.class_sizes))
                table {
                    caption { "Classes (records)" }
                    tr { th { "size" } th { "before" } th { "after" } }
                    @for (bb, ba) in b.class_sizes.iter().zip(&a.class_sizes) {
                        tr {
                            td { (bb.size) }
                            td { (bb.classes) " (" (bb.records) ")" }
                            td { (ba.classes) " (" (ba.records) ")" }
                        }
                    }
                }
                (attack(r))
                h2 { "Journalist risk" }
                @match &r.journalist {
                    Some(j) => p {
                        "A sample of " (j.population) " pupils: highest risk "
                        (format!("{:.3}", j.before.max)) " before, "
                        (format!("{:.3}", j.after.max)) " after; average "
                        (format!("{:.3}", j.before.avg)) " before, "
                        (format!("{:.3}", j.after.avg)) " after."
                    },
                    None => p.note { "Not computed: no population size was given." },
                }
                h2 { "Units of the school hierarchy" }
                table {
                    tr {
                        th { "level" } th { "units" } th { "with pupils in classes below k" }
                        th { "smaller than k" }
                    }
                    @for la in &a.levels {
                        tr {
                            td { (la.level) } td { (la.unit_count) } td { (la.units_below_k) }
                            td { (la.small_units) }
                        }
                    }
                }
                @if r.counts_only {
                    p.note { "Unit names are left out of an anonymised release: counts only." }
                }
            }
        }
    }
}

/// The section on an attacker who knows the quasi-identifiers and one more released fact.
fn attack(r: &RiskReport) -> Markup {
    let (b, a) = (&r.before.attack, &r.after.attack);
    html! {
        h2 { "An attacker who knows one more fact" }
        p.note {
            "Pupils singled out by the quasi-identifiers together with any one other "
            "released field (one item of a list: one exam score), and per field how "
            "many pupils it singles out that the quasi-identifiers alone did not."
        }
        table {
            tr { th { "" } th { "before" } th { "after" } }
            tr {
                td { "pupils singled out" }
                td { (percent(b.singled_out_share)) }
                td { (percent(a.singled_out_share)) }
            }
            @for fa in &a.facts {
                tr {
                    td { (fa.fact) }
                    td {
                        @match b.facts.iter().find(|f| f.fact == fa.fact) {
                            Some(fb) => (fb.newly_unique),
                            None => "-",
                        }
                    }
                    td { (fa.newly_unique) }
                }
            }
        }
    }
}

/// Grouped bars, before (grey) and after (blue), per size bin, each labelled with its number
/// of classes; the height is the number of classes, on one scale for both.
fn chart(before: &[SizeBin], after: &[SizeBin]) -> Markup {
    let max = before.iter().chain(after).map(|b| b.classes).max().unwrap_or(0).max(1);
    let plot = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / before.len().max(1) as u64;
    let bar = slot * 2 / 5;
    let height = |n: u64| n * plot / max;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(HEIGHT)
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-label="equivalence classes by size, before and after" {
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH) y2=(HEIGHT - BOTTOM) stroke="#444" {}
            @for (i, (bb, ba)) in before.iter().zip(after).enumerate() {
                @let x = LEFT + i as u64 * slot + slot / 10;
                rect x=(x) y=(HEIGHT - BOTTOM - height(bb.classes)) width=(bar)
                    height=(height(bb.classes)) fill="#999" {
                    title { "before, size " (bb.size) ": " (bb.classes) " classes" }
                }
                rect x=(x + bar) y=(HEIGHT - BOTTOM - height(ba.classes)) width=(bar)
                    height=(height(ba.classes)) fill="#2a6fb0" {
                    title { "after, size " (ba.size) ": " (ba.classes) " classes" }
                }
                text x=(x) y=(HEIGHT - BOTTOM - height(bb.classes) - 3) { (bb.classes) }
                text x=(x + bar) y=(HEIGHT - BOTTOM - height(ba.classes) - 3) { (ba.classes) }
                text x=(x) y=(HEIGHT - BOTTOM + 16) { (bb.size) }
            }
            rect x=(WIDTH - 150) y="4" width="10" height="10" fill="#999" {}
            text x=(WIDTH - 136) y="13" { "before" }
            rect x=(WIDTH - 80) y="4" width="10" height="10" fill="#2a6fb0" {}
            text x=(WIDTH - 66) y="13" { "after" }
        }
    }
}
