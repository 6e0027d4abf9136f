//! CSV output in a vendor's layout: the files, column names, column order, delimiter and
//! encoding a mapping file ([`Mapping`]) describes — the same file that reads that vendor's
//! export reads back what this writes.
//!
//! This module owns *placing* the model into a layout; quoting, line ends, strict encoding and
//! the formula guard are `write::csv`'s, shared.
//!
//! Decisions:
//! * **Only the mapped files are written**, each with exactly the mapped columns in the
//!   mapping's order; a column mapped to `"-"` is written empty (the vendor's importer expects
//!   it, and teczka has nothing for it).
//! * **Nothing is dropped silently.** A value the layout has no column for is counted per field
//!   path; [`Sink::finish`] then fails, naming every such field with its count and the fix,
//!   unless [`MappedCsvWriter::drop_unmapped`] was asked for — then [`MappedCsvWriter::dropped`]
//!   says what was left out. The check is on the data, not the schema: a mapping for a vendor
//!   who keeps no attendance works as long as the records hold none.
//! * **Inline addresses and guardians** (`ADRES_U_*`, `OPIEKUN1_*` on the pupil row) take a
//!   prefix of the pupil's list, the rest go to the entity's own file (or are dropped), because
//!   the reader puts inline ones first: the order survives a round trip. An address fills an
//!   inline slot only if the slot has a kind column or its kind is the slot's own (`U` is the
//!   residence), as the reader gives an inline address its slot's kind.
//! * Value forms are teczka's (`female`, `2012-05-03`, `true`); the reader takes them back, as
//!   it takes `K`, `03.05.2012` and `tak`. The mapping file has no value translations, so there
//!   is nothing to reverse.

use super::csv::{guarded, link_id, neutralise, Rows};
use super::leaves::{Held, Leaves};
use super::{CsvWriteOptions, Outgoing, Sink};
use crate::error::{Error, Result};
use crate::model::fields::{entity_fields, field, FieldSpec};
use crate::model::Entity;
use crate::read::mapping::{address_slot_kind, FileLayout, Mapping, Target};
use crate::write::private;
use crate::write::staged::{StagedFile, Store};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes pupils into a vendor's CSV layout described by a [`Mapping`].
///
/// # Example
///
/// ```
/// use teczka::{CsvWriteOptions, MappedCsvWriter, Mapping, Outgoing, Pupil, Sink};
///
/// let toml = "delimiter = \";\"\n[pupils]\nfile = \"lista\"\n[pupils.columns]\n\
///             \"Nr\" = \"id\"\n\"Nazwisko\" = \"surname\"\n";
/// let mapping = Mapping::from_reader(toml.as_bytes(), "vendor.toml").unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let options = CsvWriteOptions { delimiter: b';', ..CsvWriteOptions::default() };
/// let mut writer = MappedCsvWriter::create(dir.path(), &mapping, options).unwrap();
/// let pupil = Pupil { id: "P1".into(), surname: Some("=Nowak".into()), ..Pupil::default() };
/// writer.write(Outgoing::Pupil(&pupil)).unwrap();
/// writer.finish().unwrap();
/// let lista = std::fs::read_to_string(dir.path().join("lista.csv")).unwrap();
/// assert_eq!(lista, "Nr;Nazwisko\r\nP1;'=Nowak\r\n");
///
/// // A first name has no column: refused, naming the field.
/// let mut writer = MappedCsvWriter::create(dir.path(), &mapping, CsvWriteOptions::default())
///     .unwrap();
/// writer.write(Outgoing::Pupil(&Pupil { first_name: Some("Ala".into()), ..pupil })).unwrap();
/// let err = writer.finish().unwrap_err().to_string();
/// assert!(err.contains("`first_name` (1 value)"), "{err}");
/// ```
pub struct MappedCsvWriter {
    files: Vec<MappedFile>,
    rows: Rows,
    neutralise_formulas: bool,
    /// Inline address slots on the pupil row, ascending, with whether each has a kind column.
    address_slots: Vec<(usize, bool)>,
    /// Inline guardian numbers on the pupil row, ascending.
    guardian_numbers: Vec<u32>,
    /// Keys each inline slot and guardian number carries.
    slot_keys: BTreeMap<usize, HashSet<&'static str>>,
    guardian_keys: BTreeMap<u32, HashSet<&'static str>>,
    /// Values with no column, by field path.
    dropped: BTreeMap<String, u64>,
    drop_unmapped: bool,
    /// The mapping file, named in errors.
    source: PathBuf,
    /// Pupils written so far, for error messages.
    written: u64,
}

/// One file of the layout.
struct MappedFile {
    entity: Entity,
    path: PathBuf,
    out: BufWriter<StagedFile>,
    columns: Vec<Target>,
    /// Keys of the entity this file has a column for.
    keys: HashSet<&'static str>,
}

impl CsvWriteOptions {
    /// The options a mapping file's `delimiter`, `encoding` and `bom` keys give, over the
    /// defaults (`,`, UTF-8, no BOM, formulas neutralised).
    pub fn from_mapping(mapping: &Mapping) -> CsvWriteOptions {
        let default = CsvWriteOptions::default();
        CsvWriteOptions {
            delimiter: mapping.delimiter().unwrap_or(default.delimiter),
            encoding: mapping.encoding().unwrap_or(default.encoding),
            bom: mapping.bom().unwrap_or(default.bom),
            ..default
        }
    }
}

impl MappedCsvWriter {
    /// Check the mapping can lay out pupils, create the folder (if needed, `0700`) and every
    /// mapped file (`0600`) with its header row.
    ///
    /// Refused (with the mapping file named): no `[pupils]` columns; child files without a
    /// `pupil_id` column, or a pupil file without an `id` column when child files exist
    /// (the rows could not be joined back).
    pub fn create(
        dir: &Path,
        mapping: &Mapping,
        options: CsvWriteOptions,
    ) -> Result<MappedCsvWriter> {
        let layouts: Vec<FileLayout<'_>> = mapping.layouts().collect();
        check_joinable(mapping.source(), &layouts)?;
        // Private files (`0600`) in a private folder (`0700`), whatever the umask.
        let store = Store::plain();
        private::create_dir_all(dir)?;
        let mut writer = MappedCsvWriter {
            files: Vec::new(),
            rows: Rows::new(dir, &options)?,
            neutralise_formulas: options.neutralise_formulas,
            address_slots: Vec::new(),
            guardian_numbers: Vec::new(),
            slot_keys: BTreeMap::new(),
            guardian_keys: BTreeMap::new(),
            dropped: BTreeMap::new(),
            drop_unmapped: false,
            source: mapping.source().to_path_buf(),
            written: 0,
        };
        for layout in &layouts {
            let path = dir.join(format!("{}.csv", layout.stem));
            let file = store.create(&path)?;
            let mut out = BufWriter::new(file);
            writer.rows.start(&mut out, &path, options.bom)?;
            let names: Vec<&str> = layout.columns.iter().map(|(h, _)| h.as_str()).collect();
            writer.rows.write_header(&mut out, &path, &names)?;
            let columns: Vec<Target> = layout.columns.iter().map(|(_, t)| t.clone()).collect();
            let mut keys = HashSet::new();
            for target in &columns {
                match target {
                    Target::Field(f) => {
                        keys.insert(f.key.as_str());
                    }
                    Target::Address { slot, field } => {
                        writer.slot_keys.entry(*slot).or_default().insert(field.key.as_str());
                    }
                    Target::Guardian { number, field } => {
                        writer.guardian_keys.entry(*number).or_default().insert(field.key.as_str());
                    }
                    Target::PupilRef | Target::Skip | Target::Unknown => {}
                }
            }
            writer.files.push(MappedFile { entity: layout.entity, path, out, columns, keys });
        }
        writer.address_slots =
            writer.slot_keys.iter().map(|(slot, keys)| (*slot, keys.contains("kind"))).collect();
        writer.guardian_numbers = writer.guardian_keys.keys().copied().collect();
        Ok(writer)
    }

    /// Leave out values the layout has no column for instead of failing at
    /// [`Sink::finish`]; [`MappedCsvWriter::dropped`] then says what was left out.
    pub fn drop_unmapped(mut self, drop: bool) -> MappedCsvWriter {
        self.drop_unmapped = drop;
        self
    }

    /// The values the layout had no column for so far: field path (`guardians[].phone`) and
    /// how many values.
    pub fn dropped(&self) -> &BTreeMap<String, u64> {
        &self.dropped
    }
}

/// Refuse a layout whose files could not be read back as one export.
fn check_joinable(source: &Path, layouts: &[FileLayout<'_>]) -> Result<()> {
    let Some(pupils) = layouts.iter().find(|l| l.entity == Entity::Pupil) else {
        return Err(Error::config(
            source,
            "the mapping has no [pupils.columns]: a layout to write needs the pupil file's \
             columns, e.g. [pupils.columns] \"Nr ewidencyjny\" = \"id\"",
        ));
    };
    let has = |layout: &FileLayout<'_>, wanted: &dyn Fn(&Target) -> bool| {
        layout.columns.iter().any(|(_, t)| wanted(t))
    };
    let children: Vec<&FileLayout<'_>> =
        layouts.iter().filter(|l| l.entity != Entity::Pupil).collect();
    let is_pupil_id = |t: &Target| matches!(t, Target::Field(f) if f.key == "id");
    if !children.is_empty() && !has(pupils, &is_pupil_id) {
        return Err(Error::config(
            source,
            format!(
                "[pupils] has no column for `id`, so the rows of {} could not be joined to their \
                 pupils: add one, e.g. \"Nr ewidencyjny\" = \"id\"",
                children.iter().map(|l| format!("[{}]", l.entity)).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    for child in children {
        if !has(child, &|t| *t == Target::PupilRef) {
            return Err(Error::config(
                source,
                format!(
                    "[{}] has no `pupil_id` column, so its rows could not be joined to their \
                     pupils: add one, e.g. \"Nr ucznia\" = \"pupil_id\"",
                    child.entity
                ),
            ));
        }
    }
    Ok(())
}

/// A pupil's values looked up by item and key: an item is a concrete path (`guardians.1`;
/// `""` for the pupil itself), a key a field's path within its item (`address.town`).
struct Values<'a> {
    leaves: &'a Leaves,
    by_item: HashMap<(&'a str, &'a str), &'a Held>,
}

impl<'a> Values<'a> {
    fn of(leaves: &'a Leaves) -> Values<'a> {
        let by_item = leaves
            .leaves
            .iter()
            .map(|leaf| {
                let key = leaf.spec.key.as_str();
                let item = leaf.path.strip_suffix(key).unwrap_or_default();
                ((item.strip_suffix('.').unwrap_or(item), key), &leaf.value)
            })
            .collect();
        Values { leaves, by_item }
    }

    /// The value of `key` in `item`, if present.
    fn at(&self, item: &str, key: &str) -> Option<&'a Held> {
        self.by_item.get(&(item, key)).copied()
    }

    /// The items of the pupil's list `collection` (`addresses.0`, …).
    fn items(&self, collection: &str) -> Vec<&'a str> {
        self.leaves.items_of(collection)
    }
}

/// Where a pupil's addresses or guardians go: `inline[i]` is the item for the i-th inline
/// slot (slot order), `rest` the items for the entity's own file.
struct Placement<'a> {
    inline: Vec<(usize, &'a str)>,
    rest: Vec<&'a str>,
}

impl<'a> Placement<'a> {
    /// The item in the inline slot (or guardian number) `at`, if any.
    fn at(&self, at: usize) -> Option<&'a str> {
        self.inline.iter().find(|(slot, _)| *slot == at).map(|(_, item)| *item)
    }
}

/// Inline address slots take a prefix of the addresses, skipping slots whose kind does not
/// fit; the first address that fits no later slot, and all after it, go to the file.
fn place_addresses<'a>(values: &Values<'a>, slots: &[(usize, bool)]) -> Placement<'a> {
    let mut placement = Placement { inline: Vec::new(), rest: Vec::new() };
    let mut next = 0;
    for address in values.items("addresses") {
        if !placement.rest.is_empty() {
            placement.rest.push(address);
            continue;
        }
        let kind = match values.at(address, "kind") {
            Some(Held::Text(kind)) => Some(kind.as_str()),
            _ => None,
        };
        let fits =
            |(slot, has_kind): &(usize, bool)| *has_kind || kind == Some(address_slot_kind(*slot));
        match slots[next..].iter().position(fits) {
            Some(offset) => {
                placement.inline.push((slots[next + offset].0, address));
                next += offset + 1;
            }
            None => placement.rest.push(address),
        }
    }
    placement
}

/// Inline guardians take the first guardians in number order; the rest go to the file.
fn place_guardians<'a>(values: &Values<'a>, numbers: &[u32]) -> Placement<'a> {
    let guardians = values.items("guardians");
    let split = guardians.len().min(numbers.len());
    let (inline, rest) = guardians.split_at(split);
    Placement {
        inline: inline.iter().zip(numbers).map(|(g, n)| (*n as usize, *g)).collect(),
        rest: rest.to_vec(),
    }
}

/// Count the values of `item` (an item of `entity`) whose key is not in `placed`; `implied`
/// is a key the placement itself carries (an inline slot's kind).
fn count_dropped(
    dropped: &mut BTreeMap<String, u64>,
    entity: Entity,
    (values, item): (&Values<'_>, &str),
    placed: Option<&HashSet<&'static str>>,
    implied: Option<&str>,
) {
    for field in entity_fields(entity) {
        let has_value = values.at(item, &field.key).is_some();
        let is_placed = placed.is_some_and(|keys| keys.contains(field.key.as_str()))
            || implied == Some(field.key.as_str());
        if has_value && !is_placed {
            *dropped.entry(field.path.clone()).or_default() += 1;
        }
    }
}

impl MappedCsvWriter {
    /// The cell for `field` of `item`, formatted and guarded.
    fn cell(&self, field: &FieldSpec, value: Option<&Held>) -> Option<String> {
        Some(guarded(field, value?.text(), self.neutralise_formulas))
    }

    /// Write one pupil (as read or released): its row, then its children's rows in each
    /// mapped file.
    fn write_pupil(&mut self, leaves: &Leaves, id: &str) -> Result<()> {
        let values = Values::of(leaves);
        let addresses = place_addresses(&values, &self.address_slots);
        let guardians = place_guardians(&values, &self.guardian_numbers);
        let record = self.written + 1;
        let mut files = std::mem::take(&mut self.files);
        let result = (|| {
            for file in &mut files {
                let rows: Vec<&str> = match file.entity {
                    Entity::Pupil => vec![""],
                    Entity::Address => addresses.rest.clone(),
                    Entity::Guardian => guardians.rest.clone(),
                    entity => entity.collection().map(|c| values.items(c)).unwrap_or_default(),
                };
                for item in rows {
                    let cells: Vec<(Option<String>, &str)> = file
                        .columns
                        .iter()
                        .map(|target| {
                            self.target_cell(target, (&values, item), id, &addresses, &guardians)
                        })
                        .collect();
                    self.rows.write(&mut file.out, &file.path, &cells, record, id)?;
                }
            }
            Ok(())
        })();
        self.account(&values, &files, &addresses, &guardians);
        self.files = files;
        self.written += 1;
        result
    }

    /// The cell a column gets on the row of `item` (the pupil itself on the pupil row).
    fn target_cell<'t>(
        &self,
        target: &'t Target,
        (values, item): (&Values<'_>, &str),
        id: &str,
        addresses: &Placement<'_>,
        guardians: &Placement<'_>,
    ) -> (Option<String>, &'t str) {
        let inline = |placed: Option<&str>, key: &str| placed.and_then(|i| values.at(i, key));
        match target {
            Target::Field(field) => (self.cell(field, values.at(item, &field.key)), &field.path),
            Target::PupilRef => {
                let id = id.to_string();
                (Some(if self.neutralise_formulas { neutralise(id) } else { id }), "id")
            }
            Target::Address { slot, field } => {
                (self.cell(field, inline(addresses.at(*slot), &field.key)), &field.path)
            }
            Target::Guardian { number, field } => {
                let guardian = guardians.at(*number as usize);
                (self.cell(field, inline(guardian, &field.key)), &field.path)
            }
            Target::Skip | Target::Unknown => (None, ""),
        }
    }

    /// Count every value of the pupil that no column of `files` received.
    fn account(
        &mut self,
        values: &Values<'_>,
        files: &[MappedFile],
        addresses: &Placement<'_>,
        guardians: &Placement<'_>,
    ) {
        let keys_of = |entity: Entity| files.iter().find(|f| f.entity == entity).map(|f| &f.keys);
        let dropped = &mut self.dropped;
        count_dropped(dropped, Entity::Pupil, (values, ""), keys_of(Entity::Pupil), None);
        for (slot, address) in &addresses.inline {
            let keys = self.slot_keys.get(slot);
            count_dropped(dropped, Entity::Address, (values, address), keys, Some("kind"));
        }
        for (number, guardian) in &guardians.inline {
            let keys = u32::try_from(*number).ok().and_then(|n| self.guardian_keys.get(&n));
            count_dropped(dropped, Entity::Guardian, (values, guardian), keys, None);
        }
        for (entity, rest) in
            [(Entity::Address, &addresses.rest), (Entity::Guardian, &guardians.rest)]
        {
            for item in rest {
                count_dropped(dropped, entity, (values, item), keys_of(entity), None);
            }
        }
        for entity in Entity::ALL {
            if matches!(entity, Entity::Pupil | Entity::Address | Entity::Guardian) {
                continue;
            }
            for item in entity.collection().map(|c| values.items(c)).unwrap_or_default() {
                count_dropped(dropped, entity, (values, item), keys_of(entity), None);
            }
        }
    }

    /// The error for values with no column: every field with its count, grouped by the
    /// table a column for it goes in, and the two fixes.
    fn unmapped_error(&self) -> Error {
        let mut tables: BTreeMap<Entity, Vec<String>> = BTreeMap::new();
        for (path, n) in &self.dropped {
            let (entity, key) = match field(path) {
                Some(spec) => (spec.entity, spec.key.as_str()),
                None => (Entity::Pupil, path.as_str()),
            };
            let plural = if *n == 1 { "" } else { "s" };
            tables.entry(entity).or_default().push(format!("`{key}` ({n} value{plural})"));
        }
        let listed: Vec<String> = tables
            .iter()
            .map(|(entity, keys)| format!("[{entity}.columns] {}", keys.join(", ")))
            .collect();
        let count = self.dropped.len();
        Error::config(
            &self.source,
            format!(
                "the layout has no column for {count} field{} that hold data: {}; add a column \
                 for each to its table (e.g. \"Miejsce urodzenia\" = \"birth_place\"; an inline \
                 one such as \"ADRES_U_ulica\" takes only the address of its own kind), or leave \
                 them out on purpose with --drop-unmapped",
                if count == 1 { "" } else { "s" },
                listed.join("; ")
            ),
        )
    }
}

impl Sink for MappedCsvWriter {
    /// A released pupil without an `id` links its rows by its position in the output, as
    /// [`CsvWriter`](super::CsvWriter) does.
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        let id = match pupil {
            Outgoing::Pupil(pupil) => pupil.id.clone(),
            Outgoing::Released(pupil) => link_id(pupil, self.written),
        };
        self.write_pupil(&Leaves::of(pupil)?, &id)
    }

    /// Flush every file; fails if values had no column and dropping them was not asked for.
    fn finish(&mut self) -> Result<()> {
        for file in &mut self.files {
            file.out.flush().map_err(|e| Error::io(&file.path, e))?;
            file.out.get_mut().close()?;
        }
        if !self.dropped.is_empty() && !self.drop_unmapped {
            return Err(self.unmapped_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::fields;
    use crate::model::{Address, AddressKind, Guardian, Pupil};
    use crate::read::{open, Input, ReadOptions};
    use crate::write::csv::tests::full_pupil;

    fn mapping(toml: &str) -> Mapping {
        Mapping::from_reader(toml.as_bytes(), "vendor.toml").unwrap()
    }

    fn write_all(dir: &Path, mapping: &Mapping, pupils: &[Pupil]) -> Result<MappedCsvWriter> {
        let options = CsvWriteOptions {
            neutralise_formulas: false,
            ..CsvWriteOptions::from_mapping(mapping)
        };
        let mut writer = MappedCsvWriter::create(dir, mapping, options)?;
        for pupil in pupils {
            writer.write(Outgoing::Pupil(pupil))?;
        }
        writer.finish()?;
        Ok(writer)
    }

    fn read_back(dir: &Path, mapping: &Mapping) -> Vec<Pupil> {
        let inputs = [Input { path: dir.to_path_buf(), entity: None }];
        let options = ReadOptions { mapping: Some(mapping.clone()), ..ReadOptions::default() };
        let opened = open(&inputs, &options).unwrap();
        let records: Vec<_> = opened.records.collect::<Result<_>>().unwrap();
        for record in &records {
            assert!(record.problems.is_empty(), "{:?}", record.problems);
        }
        records.into_iter().map(|r| r.pupil).collect()
    }

    /// A mapping placing every field of the catalogue, under made-up headers listed in
    /// reverse catalogue order, each entity in a file with a Polish-looking name.
    fn full_mapping(inline: &str) -> String {
        let mut toml = String::from("delimiter = \"tab\"\nencoding = \"windows-1250\"\n");
        for entity in Entity::ALL {
            toml.push_str(&format!("[{entity}]\nfile = \"plik_{entity}\"\n[{entity}.columns]\n"));
            if entity == Entity::Pupil {
                toml.push_str(inline);
            }
            let keys: Vec<&str> = entity_fields(entity).map(|f| f.key.as_str()).collect();
            for (i, key) in keys.iter().enumerate().rev() {
                toml.push_str(&format!("\"Kolumna {i} ({entity})\" = \"{key}\"\n"));
            }
            if entity != Entity::Pupil {
                toml.push_str("\"Nr ucznia\" = \"pupil_id\"\n");
            }
        }
        toml
    }

    #[test]
    fn a_layout_placing_every_field_round_trips_through_the_reader() {
        let mapping = mapping(&full_mapping(""));
        let pupils = vec![full_pupil("P1"), Pupil { id: "P2".into(), ..Pupil::default() }];
        let dir = tempfile::tempdir().unwrap();
        let writer = write_all(dir.path(), &mapping, &pupils).unwrap();
        assert!(writer.dropped().is_empty(), "{:?}", writer.dropped());
        assert_eq!(read_back(dir.path(), &mapping), pupils);
        // Tab-delimited, Windows-1250, headers as the mapping lists them.
        let bytes = std::fs::read(dir.path().join("plik_grades.csv")).unwrap();
        assert!(bytes.starts_with(b"Kolumna 5 (grades)\tKolumna 4 (grades)\t"));
        let pupils_file = std::fs::read(dir.path().join("plik_pupils.csv")).unwrap();
        let (text, _, bad) = encoding_rs::WINDOWS_1250.decode(&pupils_file);
        assert!(!bad && text.contains("\tŻółć-Řeháková\t"), "{text}");
        assert!(pupils_file.windows(2).any(|w| w == b"\xAF\xF3"), "Żó in Windows-1250");
    }

    #[test]
    fn inline_slots_take_a_prefix_that_fits_and_the_rest_go_to_the_file_in_order() {
        // Slot U (residence, no kind column) cannot take the registered address; slot Z can.
        let inline = "\"Ulica zamieszkania\" = \"ADRES_U_ulica\"\n\
                      \"Ulica zameldowania\" = \"ADRES_Z_ulica\"\n\
                      \"Opiekun 1\" = \"OPIEKUN1_nazwisko\"\n";
        let mapping = mapping(&full_mapping(inline));
        let mut pupil = full_pupil("P1");
        let street = |kind| Address {
            kind,
            street: Some("ul. Żółkiewskiego; róg \"Kościuszki\", 2".into()),
            ..Address::default()
        };
        pupil.addresses = vec![street(Some(AddressKind::Registered)), street(None)];
        pupil.guardians[0] =
            Guardian { surname: Some("Řeháková".into()), ..Guardian::default() };
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &mapping, std::slice::from_ref(&pupil)).unwrap();
        assert_eq!(read_back(dir.path(), &mapping), vec![pupil.clone()]);
        let file = |name: &str| {
            let bytes = std::fs::read(dir.path().join(name)).unwrap();
            encoding_rs::WINDOWS_1250.decode(&bytes).0.into_owned()
        };
        let row = file("plik_pupils.csv").lines().nth(1).unwrap().to_string();
        // Slot U empty, slot Z the registered address, guardian 1 inline.
        let expected = "\t\"ul. Żółkiewskiego; róg \"\"Kościuszki\"\", 2\"\tŘeháková\t";
        assert!(row.starts_with(expected), "{row}");
        // The second address (no kind) and guardian went to their files.
        assert_eq!(file("plik_addresses.csv").lines().count(), 2);
        assert_eq!(file("plik_guardians.csv").lines().count(), 2);
    }

    #[test]
    fn values_without_a_column_are_refused_with_counts_or_dropped_when_asked() {
        let layout = "[pupils.columns]\n\"Nr\" = \"id\"\n\"Ulica\" = \"ADRES_U_ulica\"\n\
                      \"Uwagi\" = \"-\"\n";
        let mapping = mapping(layout);
        let registered = Address {
            kind: Some(AddressKind::Registered),
            street: Some("Długa".into()),
            ..Address::default()
        };
        let pupil = |id: &str| Pupil {
            id: id.into(),
            surname: Some("Nowak".into()),
            addresses: vec![registered.clone()],
            ..Pupil::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let err =
            write_all(dir.path(), &mapping, &[pupil("P1"), pupil("P2")]).err().unwrap().to_string();
        assert!(
            err.starts_with(
                "vendor.toml: the layout has no column for 3 fields that hold data: \
                 [pupils.columns] `surname` (2 values); [addresses.columns] `kind` (2 values), \
                 `street` (2 values); add a column"
            ),
            "{err}"
        );
        assert!(err.contains("--drop-unmapped"), "{err}");
        assert!(!err.contains("Nowak") && !err.contains("Długa"), "never a value: {err}");

        let options = CsvWriteOptions::from_mapping(&mapping);
        let mut writer =
            MappedCsvWriter::create(dir.path(), &mapping, options).unwrap().drop_unmapped(true);
        writer.write(Outgoing::Pupil(&pupil("P1"))).unwrap();
        writer.finish().unwrap();
        assert_eq!(writer.dropped().get("surname"), Some(&1));
        let pupils = std::fs::read_to_string(dir.path().join("pupils.csv")).unwrap();
        assert_eq!(pupils, "Nr,Ulica,Uwagi\r\nP1,,\r\n");
    }

    #[test]
    fn a_header_the_encoding_cannot_hold_is_named() {
        let mapping = mapping("encoding = \"windows-1250\"\n[pupils.columns]\n\"Nr ✓\" = \"id\"\n");
        let dir = tempfile::tempdir().unwrap();
        let options = CsvWriteOptions::from_mapping(&mapping);
        let err = MappedCsvWriter::create(dir.path(), &mapping, options).err().unwrap();
        assert!(
            err.to_string().ends_with(
                "pupils.csv: the header row: column `Nr ✓` has a character that windows-1250 \
                 cannot represent: write UTF-8 instead (`--out-encoding utf-8`); nothing was \
                 replaced"
            ),
            "{err}"
        );
    }

    #[test]
    fn layouts_that_could_not_be_joined_back_are_refused() {
        let cases = [
            ("[grades.columns]\n\"Nr\" = \"pupil_id\"\n", "no [pupils.columns]"),
            (
                "[pupils.columns]\nN = \"surname\"\n[grades.columns]\nNr = \"pupil_id\"\n",
                "[pupils] has no column for `id`, so the rows of [grades] could not be joined",
            ),
            (
                "[pupils.columns]\nN = \"id\"\n[grades.columns]\nP = \"subject\"\n",
                "[grades] has no `pupil_id` column",
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (toml, expected) in cases {
            let mapping = mapping(toml);
            let err = MappedCsvWriter::create(dir.path(), &mapping, CsvWriteOptions::default())
                .err()
                .unwrap()
                .to_string();
            assert!(err.starts_with("vendor.toml: "), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn the_formula_guard_is_the_shared_one_and_spares_numbers() {
        let mapping =
            mapping("[pupils.columns]\nNr = \"id\"\nN = \"surname\"\nT = \"ADRES_U_ulica\"\n");
        let dir = tempfile::tempdir().unwrap();
        let options = CsvWriteOptions::from_mapping(&mapping);
        let mut writer = MappedCsvWriter::create(dir.path(), &mapping, options).unwrap();
        let pupil = Pupil {
            id: "@1".into(),
            surname: Some("=HYPERLINK(\"x\")".into()),
            addresses: vec![Address {
                kind: Some(AddressKind::Residence),
                street: Some("-cmd".into()),
                ..Address::default()
            }],
            ..Pupil::default()
        };
        writer.write(Outgoing::Pupil(&pupil)).unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(dir.path().join("pupils.csv")).unwrap();
        assert_eq!(text, "Nr,N,T\r\n'@1,\"'=HYPERLINK(\"\"x\"\")\",'-cmd\r\n");
        // Every field of the catalogue is reachable by some mapping target.
        assert!(fields().iter().all(|f| entity_fields(f.entity).any(|g| g.key == f.key)));
    }
}
