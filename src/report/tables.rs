//! Aggregate tables with cell suppression: the other form a statistics release takes.
//!
//! A municipality mostly wants counts and means — pupils by commune × class level × sex, the
//! mean absences, how many pupils hold a special-needs ruling. A policy declares them
//! (`[[tables]]`); this module counts the pupils as read (no record is kept: memory holds one
//! accumulator per cell) and publishes each table with its row, column and grand totals.
//!
//! **Primary suppression:** a cell (or total) counting 1 to k − 1 pupils is published as `x`,
//! and so is a count of a characteristic (`count-if`) held by 1 to k − 1 of them.
//! **Secondary suppression:** the totals are sums of the cells, so one hidden cell in a row
//! could be recomputed as the total minus the others. The published table is a system of linear
//! equations (each row and column sums to its total, the totals to the grand total) in which
//! the hidden entries are the unknowns; an unknown is recoverable exactly when its unit vector
//! lies in the row space of those equations — for these equations, exactly when the hidden
//! entry lies on no cycle of hidden entries (see `determined`). While any hidden entry is recoverable, the
//! smallest published non-zero entry sharing an equation with it is hidden too. Zeros are
//! published: an empty cell says nothing about a pupil.
//!
//! A mean table hides the same cells as the count table over the same dimensions would, plus
//! its own: a mean times its count is a sum, and sums are additive like counts.

use crate::error::{Error, Result};
use crate::model::Pupil;
use crate::policy::indicators;
use crate::policy::{check_tables, TableMeasure as Measure, TableSpec};
use crate::write::leaves::{Leaf, Leaves};
use crate::write::staged::Store;
use crate::write::{Outgoing, Sink};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a published entry shows in place of a hidden value.
pub const HIDDEN: &str = "x";
/// The label of a total row or column.
pub const TOTAL: &str = "total";

/// Running sums of one cell.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    pupils: u64,
    sum: f64,
    /// Pupils with a value of a `mean` field.
    valued: u64,
    /// Pupils matching a `count-if`.
    hits: u64,
}

struct Table {
    spec: TableSpec,
    measure: Measure,
    cells: BTreeMap<(Vec<String>, String), Acc>,
}

/// The sink that counts pupils into tables and writes them (CSV per table, one HTML page) into
/// a folder when finished.
pub struct TablesWriter {
    folder: PathBuf,
    store: Store,
    k: u64,
    tables: Vec<Table>,
    needs_indicators: bool,
}

impl TablesWriter {
    /// Tables `specs` (checked against the field catalogue) written into `folder` (as private
    /// files, `0600`), hiding counts below `k`.
    pub fn new(folder: &Path, specs: &[TableSpec], k: u64) -> Result<TablesWriter> {
        TablesWriter::new_in(&Store::plain(), folder, specs, k)
    }

    /// [`new`](TablesWriter::new), the files written through `store` (sealed when it is).
    pub fn new_in(
        store: &Store,
        folder: &Path,
        specs: &[TableSpec],
        k: u64,
    ) -> Result<TablesWriter> {
        check_tables(specs).map_err(|m| Error::config("policy", m))?;
        let tables: Vec<Table> = specs
            .iter()
            .map(|spec| Table {
                measure: Measure::parse(&spec.measure).unwrap_or(Measure::Count),
                spec: spec.clone(),
                cells: BTreeMap::new(),
            })
            .collect();
        let needs_indicators = specs.iter().any(|s| {
            s.dimensions
                .iter()
                .chain(std::iter::once(&s.measure))
                .any(|d| d.contains("indicators."))
        });
        Ok(TablesWriter {
            folder: folder.to_path_buf(),
            store: store.clone(),
            k: k.max(1),
            tables,
            needs_indicators,
        })
    }

    /// The tables as computed so far, suppressed (for tests and the HTML page).
    fn published(&self) -> Vec<Published> {
        self.tables.iter().map(|t| publish(t, self.k)).collect()
    }
}

impl TablesWriter {
    /// Count one pupil as read into every table's cell.
    fn count(&mut self, pupil: &Pupil) -> Result<()> {
        let mut value = Leaves::of(Outgoing::Pupil(pupil))?;
        if self.needs_indicators {
            // The indicators as computed from the record replace any the record carries.
            let derived = Pupil { indicators: Some(indicators::derive(pupil)), ..Pupil::default() };
            let computed = Leaves::of(Outgoing::Pupil(&derived))?;
            let is_indicator = |leaf: &Leaf| leaf.spec.path.starts_with("indicators.");
            value.leaves.retain(|leaf| !is_indicator(leaf));
            value.leaves.extend(computed.leaves.into_iter().filter(is_indicator));
        }
        for table in &mut self.tables {
            let mut dims: Vec<String> =
                table.spec.dimensions.iter().map(|d| first_value(&value, d)).collect();
            let column =
                if dims.len() > 1 { dims.pop().unwrap_or_default() } else { String::new() };
            let acc = table.cells.entry((dims, column)).or_default();
            acc.pupils += 1;
            match &table.measure {
                Measure::Count => {}
                Measure::Mean(path) => {
                    if let Ok(number) = first_value(&value, path).parse::<f64>() {
                        acc.sum += number;
                        acc.valued += 1;
                    }
                }
                Measure::CountIf(path, wanted) => {
                    let held = first_value(&value, path);
                    if held == *wanted || held.split('+').any(|code| code == wanted) {
                        acc.hits += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The tables count every accepted pupil as read, before any policy released it or the
/// anonymiser left it out: the pipeline feeds them as its `as_read` sink
/// ([`crate::pipeline::Outputs::as_read`]), never the released pupils.
impl Sink for TablesWriter {
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        match pupil {
            Outgoing::Pupil(pupil) => self.count(pupil),
            Outgoing::Released(_) => Err(Error::input(
                "tables",
                "aggregate tables count pupils as read, not as released: a bug",
            )),
        }
    }

    fn finish(&mut self) -> Result<()> {
        let published = self.published();
        for table in &published {
            let path = self.folder.join(format!("{}.csv", table.name));
            self.store.write(&path, table.to_csv())?;
        }
        self.store.write(&self.folder.join("tables.html"), html_page(&published, self.k))
    }
}

/// The text of the first value `path` holds in a pupil (the first non-empty one of a list
/// field), or the empty string.
fn first_value(pupil: &Leaves, path: &str) -> String {
    pupil.of_field(path).map(|leaf| leaf.value.text()).find(|v| !v.is_empty()).unwrap_or_default()
}

/// A table as published: labels, entries (`None` = hidden) with totals.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// The table's file name.
    pub name: String,
    /// Its heading.
    pub title: String,
    /// The row dimensions' names.
    pub row_names: Vec<String>,
    /// The column dimension's name (empty for a one-dimension table).
    pub column_name: String,
    /// Row labels (one value per row dimension), then the total row.
    pub rows: Vec<Vec<String>>,
    /// Column labels, then the total column.
    pub columns: Vec<String>,
    /// `entries[r][c]`, totals last in both directions; `None` where hidden.
    pub entries: Vec<Vec<Option<String>>>,
    /// The totals of the count table (for the chart): one per row, the total row last.
    pub row_counts: Vec<Option<u64>>,
}

/// Every entry of the grid with its count, additive value and primary suppression.
struct Grid {
    /// `[r][c]` pupils, totals last.
    pupils: Vec<Vec<u64>>,
    /// `[r][c]` the additive value a reader could sum (count, hits, or sum of the mean field).
    value: Vec<Vec<f64>>,
    valued: Vec<Vec<u64>>,
    hidden: Vec<Vec<bool>>,
}

fn publish(table: &Table, k: u64) -> Published {
    let rows: Vec<Vec<String>> =
        table.cells.keys().map(|(r, _)| r.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let columns: Vec<String> =
        table.cells.keys().map(|(_, c)| c.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let (nr, nc) = (rows.len() + 1, columns.len() + 1);
    let mut grid = Grid {
        pupils: vec![vec![0; nc]; nr],
        value: vec![vec![0.0; nc]; nr],
        valued: vec![vec![0; nc]; nr],
        hidden: vec![vec![false; nc]; nr],
    };
    for (r, row) in rows.iter().enumerate() {
        for (c, column) in columns.iter().enumerate() {
            let acc = table.cells.get(&(row.clone(), column.clone())).copied().unwrap_or_default();
            let value = match table.measure {
                Measure::Count => acc.pupils as f64,
                Measure::Mean(_) => acc.sum,
                Measure::CountIf(..) => acc.hits as f64,
            };
            for (rr, cc) in [(r, c), (r, nc - 1), (nr - 1, c), (nr - 1, nc - 1)] {
                grid.pupils[rr][cc] += acc.pupils;
                grid.value[rr][cc] += value;
                grid.valued[rr][cc] += acc.valued;
            }
        }
    }
    for r in 0..nr {
        for c in 0..nc {
            let pupils = grid.pupils[r][c];
            let small = |n: u64| n > 0 && n < k;
            grid.hidden[r][c] = small(pupils)
                || match table.measure {
                    Measure::Count => false,
                    Measure::Mean(_) => small(grid.valued[r][c]),
                    // A characteristic held by nearly everyone in a cell is disclosed too.
                    Measure::CountIf(..) => {
                        let hits = grid.value[r][c] as u64;
                        small(hits) || small(pupils - hits)
                    }
                };
        }
    }
    protect(&mut grid);
    let entries = (0..nr)
        .map(|r| {
            (0..nc)
                .map(|c| {
                    if grid.hidden[r][c] {
                        return None;
                    }
                    Some(match table.measure {
                        Measure::Count | Measure::CountIf(..) => {
                            format!("{}", grid.value[r][c] as u64)
                        }
                        Measure::Mean(_) if grid.valued[r][c] == 0 => String::new(),
                        Measure::Mean(_) => {
                            format!("{:.2}", grid.value[r][c] / grid.valued[r][c] as f64)
                        }
                    })
                })
                .collect()
        })
        .collect();
    let mut row_labels = rows;
    row_labels.push(vec![TOTAL.to_string(); table.spec.dimensions.len().saturating_sub(1).max(1)]);
    let mut column_labels = if table.spec.dimensions.len() > 1 { columns } else { vec![] };
    if column_labels.is_empty() {
        column_labels.push(table.spec.measure.clone());
    }
    column_labels.push(TOTAL.to_string());
    let dims = &table.spec.dimensions;
    let (row_names, column_name) = if dims.len() > 1 {
        (dims[..dims.len() - 1].to_vec(), dims[dims.len() - 1].clone())
    } else {
        (dims.clone(), String::new())
    };
    Published {
        name: table.spec.name.clone(),
        title: table.spec.title.clone().unwrap_or_else(|| table.spec.name.clone()),
        row_names,
        column_name,
        row_counts: (0..nr)
            .map(|r| (!grid.hidden[r][nc - 1]).then_some(grid.pupils[r][nc - 1]))
            .collect(),
        rows: row_labels,
        columns: column_labels,
        entries,
    }
}

/// Secondary suppression: hide more entries until no hidden one can be recomputed from the
/// published ones (see the module docs).
fn protect(grid: &mut Grid) {
    let nr = grid.pupils.len();
    let nc = grid.pupils.first().map_or(0, Vec::len);
    // The cheap, classic rule first: no row or column may hold exactly one hidden entry.
    loop {
        let lone: Vec<(usize, usize)> = lines(nr, nc)
            .filter_map(|line| {
                let mut hidden = line.filter(|&(r, c)| grid.hidden[r][c]);
                match (hidden.next(), hidden.next()) {
                    (Some(cell), None) => Some(cell),
                    _ => None,
                }
            })
            .collect();
        let mut changed = false;
        for cell in lone {
            if let Some((rr, cc)) = partner(grid, cell) {
                changed |= !grid.hidden[rr][cc];
                grid.hidden[rr][cc] = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Then the exact test, which also catches recoveries through several equations.
    while let Some((r, c)) = recoverable(&grid.hidden) {
        match partner(grid, (r, c)) {
            Some((rr, cc)) => grid.hidden[rr][cc] = true,
            // Every other entry of its row and column is zero or already hidden: hide the
            // smallest entry still shown anywhere (a zero if need be) until nothing is
            // recoverable.
            None => {
                let Some((rr, cc)) = (0..nr)
                    .flat_map(|rr| (0..nc).map(move |cc| (rr, cc)))
                    .filter(|&(rr, cc)| !grid.hidden[rr][cc])
                    .min_by_key(|&(rr, cc)| (grid.pupils[rr][cc], rr, cc))
                else {
                    break;
                };
                grid.hidden[rr][cc] = true;
            }
        }
    }
}

/// The published table's equations as the entries of each line: every row of cells with its
/// total, every column with its total (the line of totals with the grand total among them).
fn lines(nr: usize, nc: usize) -> impl Iterator<Item = Line> {
    let rows = (0..nr).map(move |r| Line::Row(r, 0..nc));
    let columns = (0..nc).map(move |c| Line::Column(c, 0..nr));
    rows.chain(columns)
}

/// The cells of one row or one column of the grid.
enum Line {
    Row(usize, std::ops::Range<usize>),
    Column(usize, std::ops::Range<usize>),
}

impl Iterator for Line {
    type Item = (usize, usize);
    fn next(&mut self) -> Option<(usize, usize)> {
        match self {
            Line::Row(r, columns) => columns.next().map(|c| (*r, c)),
            Line::Column(c, rows) => rows.next().map(|r| (r, *c)),
        }
    }
}

/// The entry to hide alongside `cell`: the smallest non-zero entry still shown in its row or
/// its column (smallest, so the least information is lost).
fn partner(grid: &Grid, (r, c): (usize, usize)) -> Option<(usize, usize)> {
    let nr = grid.pupils.len();
    let nc = grid.pupils.first().map_or(0, Vec::len);
    Line::Row(r, 0..nc)
        .chain(Line::Column(c, 0..nr))
        .filter(|&(rr, cc)| !grid.hidden[rr][cc] && grid.pupils[rr][cc] > 0)
        .min_by(|a, b| grid.pupils[a.0][a.1].cmp(&grid.pupils[b.0][b.1]).then(a.cmp(b)))
}

/// The first hidden entry (in row-major order) that the published entries determine, if any.
fn recoverable(hidden: &[Vec<bool>]) -> Option<(usize, usize)> {
    determined(hidden).into_iter().next()
}

/// Every hidden entry that the published entries determine, in row-major order.
///
/// Each row says its cells sum to its total and each column likewise; flipping the sign of the
/// total row and the total column turns both into "the line sums to zero". The hidden entries
/// are then the edges of a bipartite graph between rows and columns, and an assignment of
/// them that keeps every line's sum is a circulation: a sum of alternating cycles. So a hidden
/// entry can change without changing any published number exactly when it lies on a cycle of
/// hidden entries, and it is determined exactly when it is a bridge of that graph — found in
/// linear time, where row-reducing the equations cost cubic time per step.
fn determined(hidden: &[Vec<bool>]) -> Vec<(usize, usize)> {
    let nr = hidden.len();
    let nc = hidden.first().map_or(0, Vec::len);
    // Vertices: rows 0..nr, columns nr..nr + nc; one edge per hidden entry.
    let mut edges = Vec::new();
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); nr + nc];
    for (r, row) in hidden.iter().enumerate() {
        for (c, _) in row.iter().enumerate().filter(|(_, h)| **h) {
            incident[r].push(edges.len());
            incident[nr + c].push(edges.len());
            edges.push((r, nr + c));
        }
    }
    let bridges = bridges(&edges, &incident);
    edges
        .iter()
        .zip(bridges)
        .filter(|(_, bridge)| *bridge)
        .map(|(&(r, c), _)| (r, c - nr))
        .collect()
}

/// Which of `edges` are bridges (Tarjan's low-link, iterative so a long table cannot overflow
/// the stack); `incident[v]` lists the edges at vertex `v`.
fn bridges(edges: &[(usize, usize)], incident: &[Vec<usize>]) -> Vec<bool> {
    const UNSEEN: usize = usize::MAX;
    let mut order = vec![UNSEEN; incident.len()];
    let mut low = vec![0; incident.len()];
    let mut is_bridge = vec![false; edges.len()];
    let mut next = 0;
    for root in 0..incident.len() {
        if order[root] != UNSEEN {
            continue;
        }
        // (vertex, the edge it was reached by, how many of its edges are explored)
        let mut stack = vec![(root, UNSEEN, 0)];
        order[root] = next;
        low[root] = next;
        next += 1;
        while let Some(&mut (v, via, ref mut explored)) = stack.last_mut() {
            if let Some(&e) = incident[v].get(*explored) {
                *explored += 1;
                if e == via {
                    continue;
                }
                let (a, b) = edges[e];
                let w = if a == v { b } else { a };
                if order[w] == UNSEEN {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push((w, e, 0));
                } else {
                    low[v] = low[v].min(order[w]);
                }
            } else {
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    low[parent] = low[parent].min(low[v]);
                    if low[v] > order[parent] {
                        is_bridge[via] = true;
                    }
                }
            }
        }
    }
    is_bridge
}

impl Published {
    /// The table as CSV: the row dimensions, then one column per column value and `total`;
    /// hidden entries are `x`.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = self.row_names.clone();
        header.extend(self.columns.iter().map(|c| {
            if self.column_name.is_empty() || c == TOTAL {
                c.clone()
            } else {
                format!("{}={c}", self.column_name)
            }
        }));
        out.push_str(&csv_line(&header));
        for (labels, entries) in self.rows.iter().zip(&self.entries) {
            let mut line = labels.clone();
            line.extend(entries.iter().map(|e| e.clone().unwrap_or_else(|| HIDDEN.to_string())));
            out.push_str(&csv_line(&line));
        }
        out
    }
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            // No cell starts a spreadsheet formula.
            let c = if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                format!("'{c}")
            } else {
                c.clone()
            };
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect();
    quoted.join(",") + "\r\n"
}

/// One self-contained page: every table, and a bar chart (inline SVG, no scripts) of each
/// table's pupils per row.
fn html_page(tables: &[Published], k: u64) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"pl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>teczka: tables</title><style>body{font-family:sans-serif;margin:1.5em;max-width:60em}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:.2em .5em;\
         text-align:right}th{background:#eee}td.l{text-align:left}</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>Tables</h1><p>Counts of fewer than {k} pupils, and the entries that would let them \
         be recomputed from the totals, are shown as <b>{HIDDEN}</b>.</p>"
    );
    for table in tables {
        let _ = writeln!(out, "<h2>{}</h2>\n<table><tr>", escape(&table.title));
        for name in &table.row_names {
            let _ = write!(out, "<th>{}</th>", escape(name));
        }
        for column in &table.columns {
            let _ = write!(out, "<th>{}</th>", escape(column));
        }
        out.push_str("</tr>\n");
        for (labels, entries) in table.rows.iter().zip(&table.entries) {
            out.push_str("<tr>");
            for label in labels {
                let _ = write!(out, "<td class=\"l\">{}</td>", escape(label));
            }
            for entry in entries {
                let _ = write!(out, "<td>{}</td>", escape(entry.as_deref().unwrap_or(HIDDEN)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        out.push_str(&bar_chart(table));
    }
    out.push_str("</body></html>\n");
    out
}

/// Pupils per row as horizontal bars; a hidden row total is drawn as no bar, labelled `x`.
fn bar_chart(table: &Published) -> String {
    let rows: Vec<(String, Option<u64>)> = table
        .rows
        .iter()
        .zip(&table.row_counts)
        .take(table.rows.len().saturating_sub(1))
        .map(|(labels, count)| (labels.join(" / "), *count))
        .collect();
    let max = rows.iter().filter_map(|(_, c)| *c).max().unwrap_or(1).max(1) as f64;
    let (bar, label_width, width) = (18, 220.0, 360.0);
    let height = rows.len() * bar + 10;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" height=\"{height}\" \
         aria-label=\"{}: pupils per row\">",
        label_width + width + 60.0,
        escape(&table.title)
    );
    for (i, (label, count)) in rows.iter().enumerate() {
        let y = i * bar + 4;
        let _ =
            write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>", y + 12, escape(label));
        match count {
            Some(n) => {
                let w = width * (*n as f64) / max;
                let _ = write!(
                    svg,
                    "<rect x=\"{label_width}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" \
                     fill=\"#4a78a8\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{n}</text>",
                    bar - 4,
                    label_width + w + 4.0,
                    y + 12
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{label_width}\" y=\"{}\" font-size=\"12\">{HIDDEN}</text>",
                    y + 12
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(dimensions: &[&str], measure: &str) -> TableSpec {
        TableSpec {
            name: "t".into(),
            title: None,
            dimensions: dimensions.iter().map(|d| d.to_string()).collect(),
            measure: measure.into(),
        }
    }

    fn pupil(commune: &str, sex: &str) -> Pupil {
        serde_json::from_value(json!({"id": "P", "sex": sex, "addresses": [{"commune": commune}]}))
            .unwrap()
    }

    fn table(pupils: &[(&str, &str, usize)], k: u64) -> Published {
        let dir = tempfile::tempdir().unwrap();
        let mut w =
            TablesWriter::new(dir.path(), &[spec(&["addresses[].commune", "sex"], "count")], k)
                .unwrap();
        for (commune, sex, n) in pupils {
            for _ in 0..*n {
                w.write(Outgoing::Pupil(&pupil(commune, sex))).unwrap();
            }
        }
        w.published().remove(0)
    }

    #[test]
    fn small_cells_are_hidden_and_cannot_be_recomputed_from_the_totals() {
        let t = table(
            &[("A", "female", 10), ("A", "male", 2), ("B", "female", 7), ("B", "male", 9)],
            5,
        );
        // A/male (2) is below k; alone in its row and column it would be total minus the rest,
        // so a partner in each is hidden as well.
        let hidden: Vec<(usize, usize)> = t
            .entries
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.iter().enumerate().filter(|(_, e)| e.is_none()).map(move |(c, _)| (r, c))
            })
            .collect();
        assert!(hidden.contains(&(0, 1)), "{hidden:?}");
        assert!(hidden.len() >= 4, "{hidden:?}");
        let grid: Vec<Vec<bool>> =
            t.entries.iter().map(|row| row.iter().map(Option::is_none).collect()).collect();
        assert_eq!(recoverable(&grid), None);
        assert_eq!(determined_by_elimination(&grid), vec![]);
        assert_eq!(t.entries[2][2].as_deref(), Some("28"), "the grand total stays");
    }

    #[test]
    fn a_lone_hidden_cell_is_found_recoverable() {
        let mut hidden = vec![vec![false; 3]; 3];
        hidden[0][1] = true;
        assert_eq!(recoverable(&hidden), Some((0, 1)));
        hidden[0][0] = true;
        hidden[1][0] = true;
        hidden[1][1] = true;
        assert_eq!(recoverable(&hidden), None, "a rectangle is safe");
        hidden[2][2] = true;
        assert_eq!(recoverable(&hidden), Some((2, 2)), "the grand total alone is not");
    }

    /// The oracle: row-reduce the table's equations over the hidden entries; an entry is
    /// determined when its pivot row has no other non-zero coefficient.
    fn determined_by_elimination(hidden: &[Vec<bool>]) -> Vec<(usize, usize)> {
        let (nr, nc) = (hidden.len(), hidden[0].len());
        let unknowns: Vec<(usize, usize)> = (0..nr)
            .flat_map(|r| (0..nc).map(move |c| (r, c)))
            .filter(|&(r, c)| hidden[r][c])
            .collect();
        let mut matrix: Vec<Vec<f64>> = lines(nr, nc)
            .map(|line| {
                let cells: Vec<(usize, usize)> = line.collect();
                let mut row = vec![0.0; unknowns.len()];
                for (i, cell) in cells.iter().enumerate() {
                    if let Some(j) = unknowns.iter().position(|u| u == cell) {
                        row[j] += if i == cells.len() - 1 { -1.0 } else { 1.0 };
                    }
                }
                row
            })
            .filter(|row| row.iter().any(|v| *v != 0.0))
            .collect();
        let mut pivots = Vec::new();
        let mut row = 0;
        for column in 0..unknowns.len() {
            let Some(best) = (row..matrix.len())
                .max_by(|&a, &b| matrix[a][column].abs().total_cmp(&matrix[b][column].abs()))
            else {
                break;
            };
            if matrix[best][column].abs() < 1e-9 {
                continue;
            }
            matrix.swap(row, best);
            let scale = matrix[row][column];
            matrix[row].iter_mut().for_each(|v| *v /= scale);
            let pivot_row = matrix[row].clone();
            for (other, values) in matrix.iter_mut().enumerate() {
                let factor = values[column];
                if other != row && factor.abs() > 1e-12 {
                    values.iter_mut().zip(&pivot_row).for_each(|(v, p)| *v -= factor * p);
                }
            }
            pivots.push(column);
            row += 1;
        }
        pivots
            .iter()
            .zip(&matrix)
            .filter(|(&column, row)| {
                row.iter().enumerate().all(|(j, v)| j == column || v.abs() < 1e-9)
            })
            .map(|(&column, _)| unknowns[column])
            .collect()
    }

    fn hidden_patterns() -> impl proptest::strategy::Strategy<Value = Vec<Vec<bool>>> {
        use proptest::prelude::*;
        (2usize..7, 2usize..7).prop_flat_map(|(nr, nc)| {
            proptest::collection::vec(
                proptest::collection::vec(proptest::bool::weighted(0.4), nc),
                nr,
            )
        })
    }

    proptest::proptest! {
        /// The bridge test finds exactly what row reduction finds, on any hidden pattern.
        #[test]
        fn bridges_find_exactly_the_entries_row_reduction_finds(hidden in hidden_patterns()) {
            let mut oracle = determined_by_elimination(&hidden);
            oracle.sort();
            proptest::prop_assert_eq!(determined(&hidden), oracle, "{:?}", hidden);
        }
    }

    #[test]
    fn tables_check_their_specs_and_write_csv_without_formulas() {
        assert!(check_tables(&[spec(&["nope"], "count")]).unwrap_err().contains("`nope`"));
        assert!(check_tables(&[spec(&["sex"], "median")]).unwrap_err().contains("measure"));
        let mut bad = spec(&["sex"], "count");
        bad.name = "../x".into();
        assert!(check_tables(&[bad]).is_err());
        let t = table(&[("=cmd", "female", 6)], 5);
        assert!(t.to_csv().contains("'=cmd"), "{}", t.to_csv());
    }
}
