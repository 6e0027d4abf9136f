//! Column mapping: which CSV header means which model field, and which file holds which entity.
//!
//! This module owns the names. Built in are the headers Polish and Czech tools write (Librus
//! csv2sou: `nazwisko`, `imie`, `data_ur`, `ADRES_U_*`, …; the Czech school register: `RODC`,
//! `POHLAVI`, `TRIDA`, …), the proposed inline guardian columns `OPIEKUNn_*`, Polish aliases of
//! the child files' columns (`przedmiot`, `ocena`, …) and every canonical key of the catalogue
//! (so files written by teczka read back). Other layouts come through a [`Mapping`] file.
//!
//! Header names are compared after [`normalise`]: trimmed, BOM-stripped, lower-cased, Polish and
//! Czech letters folded to ASCII, spaces and dashes turned into `_` — so `Imię`, `IMIE` and
//! ` imie ` are one column. A header that maps to nothing is never silently ignored: the reader
//! reports it (see `read::csv`).
//!
//! Decisions: the locative of an address town (`ADRES_U_msc_m`), the address phone and e-mail
//! (`ADRES_U_tel`, `ADRES_U_e_mail`) have no field in the model, so they are *unknown* columns,
//! reported like any other; a mapping file can map them elsewhere or mark them `"-"` (left out
//! on purpose).

use crate::error::{Error, Result};
use crate::model::fields::{entity_fields, FieldSpec};
use crate::model::Entity;
use encoding_rs::Encoding;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Headers of the pupil file (csv2sou, Librus, the Czech register) and what they mean.
const PUPIL_ALIASES: &[(&str, &str)] = &[
    ("id_ucznia", "id"),
    ("pupil_id", "id"),
    ("uczen_id", "id"),
    ("id_zaka", "id"),
    ("id_osw", "education_id"),
    ("rodne_cislo", "birth_number"),
    ("rc", "birth_number"),
    ("rodc", "birth_number"),
    ("nr_dokumentu", "foreign_document"),
    ("nazwisko", "surname"),
    ("prijmeni", "surname"),
    ("nazwisko_rodowe", "birth_surname"),
    ("imie", "first_name"),
    ("jmeno", "first_name"),
    ("imie2", "second_name"),
    ("drugie_imie", "second_name"),
    ("plec", "sex"),
    ("pohlavi", "sex"),
    ("data_ur", "birth_date"),
    ("data_urodzenia", "birth_date"),
    ("dat_naroz", "birth_date"),
    ("msc_ur", "birth_place"),
    ("miejsce_urodzenia", "birth_place"),
    ("msc_ur_m", "birth_place_locative"),
    ("woj_ur", "birth_region"),
    ("kraj_ur", "birth_country"),
    ("ob_polskie", "national_citizen"),
    ("ob_ue", "eu_citizen"),
    ("poziom", "enrolment.class_level"),
    ("rocnik", "enrolment.class_level"),
    ("klasa_poziom", "enrolment.class_level"),
    ("symbol", "enrolment.class_symbol"),
    ("trida", "enrolment.class_symbol"),
    ("oddzial", "enrolment.class_symbol"),
    ("nr_dz", "enrolment.register_number"),
    ("nr_ku", "enrolment.pupil_book_number"),
    ("nr_leg", "enrolment.id_card_number"),
    ("izo", "enrolment.school_id"),
    ("rspo", "enrolment.school_id"),
    ("regon", "enrolment.school_id"),
    ("szkola_id", "enrolment.school_id"),
    ("szkola", "enrolment.school_name"),
    ("data_przyjecia", "enrolment.admission_date"),
    ("data_prijeti", "enrolment.admission_date"),
    ("data_opuszczenia", "enrolment.leaving_date"),
    ("data_ukonceni", "enrolment.leaving_date"),
];

/// Suffixes of inline address columns (`ADRES_U_<suffix>`, `OPIEKUN1_ADRES_<suffix>`) and of
/// the address file's own columns, mapped to keys of an address.
const ADDRESS_ALIASES: &[(&str, &str)] = &[
    ("ktg", "kind"),
    ("kategoria", "kind"),
    ("rodzaj", "kind"),
    ("miejscowosc", "town"),
    ("obec", "town"),
    ("ulica", "street"),
    ("ulice", "street"),
    ("nr_domu", "house_number"),
    ("cislo_popisne", "house_number"),
    ("nr_lok", "flat_number"),
    ("nr_mieszkania", "flat_number"),
    ("kod", "postcode"),
    ("kod_pocztowy", "postcode"),
    ("psc", "postcode"),
    ("poczta", "post_town"),
    ("posta", "post_town"),
    ("gm", "commune"),
    ("gmina", "commune"),
    ("powiat", "county"),
    ("okres", "county"),
    ("woj", "region"),
    ("wojewodztwo", "region"),
    ("kraj", "country"),
    ("stat", "country"),
    ("teryt", "teryt"),
];

/// Suffixes of inline guardian columns (`OPIEKUN1_<suffix>`) and the guardian file's columns.
const GUARDIAN_ALIASES: &[(&str, &str)] = &[
    ("id_opiekuna", "id"),
    ("nazwisko", "surname"),
    ("prijmeni", "surname"),
    ("imie", "first_name"),
    ("jmeno", "first_name"),
    ("telefon", "phone"),
    ("tel", "phone"),
    ("email", "email"),
    ("e_mail", "email"),
    ("relacja", "relation"),
    ("stopien", "relation"),
    ("stopien_pokrewienstwa", "relation"),
    ("vztah", "relation"),
    ("wladza", "parental_rights"),
    ("wladza_rodzicielska", "parental_rights"),
];

/// Polish and Czech column names of the child files, per entity.
fn child_aliases(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Pupil => PUPIL_ALIASES,
        Entity::Address => ADDRESS_ALIASES,
        Entity::Guardian => GUARDIAN_ALIASES,
        Entity::Grade => GRADE_ALIASES,
        Entity::Attendance => ATTENDANCE_ALIASES,
        Entity::Remark => REMARK_ALIASES,
        Entity::Exam => EXAM_ALIASES,
        Entity::Achievement => ACHIEVEMENT_ALIASES,
        Entity::Counselling => COUNSELLING_ALIASES,
        Entity::Health => HEALTH_ALIASES,
        Entity::Consent => CONSENT_ALIASES,
        Entity::Contract => CONTRACT_ALIASES,
        Entity::Payment => PAYMENT_ALIASES,
        Entity::Assessment => ASSESSMENT_ALIASES,
    }
}

const GRADE_ALIASES: &[(&str, &str)] = &[
    ("rok_szkolny", "school_year"),
    ("skolni_rok", "school_year"),
    ("semestr", "term"),
    ("okres", "term"),
    ("pololeti", "term"),
    ("przedmiot", "subject"),
    ("predmet", "subject"),
    ("ocena", "grade"),
    ("znamka", "grade"),
    ("rodzaj", "kind"),
    ("rodzaj_oceny", "kind"),
    ("zachowanie", "behaviour"),
    ("chovani", "behaviour"),
];

const ATTENDANCE_ALIASES: &[(&str, &str)] = &[
    ("data", "date"),
    ("datum", "date"),
    ("lekcja", "period"),
    ("godzina_lekcyjna", "period"),
    ("hodina", "period"),
    ("obecnosc", "status"),
    ("frekwencja", "status"),
];

const REMARK_ALIASES: &[(&str, &str)] = &[
    ("data", "date"),
    ("datum", "date"),
    ("autor", "author"),
    ("nauczyciel", "author"),
    ("kategoria", "category"),
    ("typ", "category"),
    ("tresc", "text"),
    ("uwaga", "text"),
    ("text_poznamky", "text"),
];

const EXAM_ALIASES: &[(&str, &str)] = &[
    ("egzamin", "exam"),
    ("zkouska", "exam"),
    ("przedmiot", "subject"),
    ("predmet", "subject"),
    ("wynik", "score"),
    ("wynik_procentowy", "score"),
    ("procent", "score"),
    ("centyl", "percentile"),
    ("percentyl", "percentile"),
    ("data", "date"),
    ("datum", "date"),
];

const ACHIEVEMENT_ALIASES: &[(&str, &str)] = &[
    ("tytul", "title"),
    ("nazwa", "title"),
    ("osiagniecie", "title"),
    ("poziom", "level"),
    ("uroven", "level"),
    ("data", "date"),
    ("datum", "date"),
];

const COUNSELLING_ALIASES: &[(&str, &str)] = &[
    ("rodzaj", "kind"),
    ("typ_dokumentu", "kind"),
    ("numer", "number"),
    ("nr", "number"),
    ("wystawca", "issuer"),
    ("poradnia", "issuer"),
    ("data_wydania", "issued_on"),
    ("wazne_do", "valid_until"),
    ("data_waznosci", "valid_until"),
    ("uwagi", "notes"),
];

const HEALTH_ALIASES: &[(&str, &str)] = &[
    ("kategoria", "category"),
    ("notatka", "note"),
    ("opis", "note"),
    ("uwagi", "note"),
    ("data", "recorded_on"),
    ("data_wpisu", "recorded_on"),
];

const CONSENT_ALIASES: &[(&str, &str)] = &[
    ("cel", "purpose"),
    ("ucel", "purpose"),
    ("data_udzielenia", "given_at"),
    ("udzielona", "given_at"),
    ("data_wycofania", "withdrawn_at"),
    ("wycofana", "withdrawn_at"),
    ("udzielil", "given_by"),
    ("kto_udzielil", "given_by"),
];

const CONTRACT_ALIASES: &[(&str, &str)] = &[
    ("rodzaj", "kind"),
    ("typ", "kind"),
    ("poczatek", "start"),
    ("data_od", "start"),
    ("od", "start"),
    ("koniec", "end"),
    ("data_do", "end"),
    ("do", "end"),
];

// `kwota` (an amount in złoty with decimals) is deliberately absent: the model keeps
// minor units, and guessing the unit could silently multiply money by a hundred.
const PAYMENT_ALIASES: &[(&str, &str)] = &[
    ("data", "date"),
    ("data_wplaty", "date"),
    ("kwota_gr", "amount_minor"),
    ("kwota_grosze", "amount_minor"),
    ("waluta", "currency"),
    ("mena", "currency"),
    ("tytul", "title"),
    ("tytul_wplaty", "title"),
];

const ASSESSMENT_ALIASES: &[(&str, &str)] = &[
    ("data", "date"),
    ("datum", "date"),
    ("przedmiot", "subject"),
    ("jezyk", "subject"),
    ("poziom", "level"),
    ("uroven", "level"),
];

/// Headers that name the owning pupil in a child file.
const PUPIL_REF_ALIASES: &[&str] = &["pupil_id", "id_ucznia", "uczen_id", "id_zaka"];

/// Names of the entities (file stems and `entity=path` prefixes) in English, Polish and Czech.
const ENTITY_NAMES: &[(&str, Entity)] = &[
    ("uczniowie", Entity::Pupil),
    ("uczen", Entity::Pupil),
    ("zaci", Entity::Pupil),
    ("opiekunowie", Entity::Guardian),
    ("rodzice", Entity::Guardian),
    ("opiekun", Entity::Guardian),
    ("zakonni_zastupci", Entity::Guardian),
    ("zastupci", Entity::Guardian),
    ("adresy", Entity::Address),
    ("adres", Entity::Address),
    ("oceny", Entity::Grade),
    ("znamky", Entity::Grade),
    ("frekwencja", Entity::Attendance),
    ("obecnosci", Entity::Attendance),
    ("dochazka", Entity::Attendance),
    ("uwagi", Entity::Remark),
    ("poznamky", Entity::Remark),
    ("egzaminy", Entity::Exam),
    ("zkousky", Entity::Exam),
    ("osiagniecia", Entity::Achievement),
    ("uspechy", Entity::Achievement),
    ("opinie", Entity::Counselling),
    ("orzeczenia", Entity::Counselling),
    ("poradnia", Entity::Counselling),
    ("zdrowie", Entity::Health),
    ("zdravi", Entity::Health),
    ("zgody", Entity::Consent),
    ("souhlasy", Entity::Consent),
    ("umowy", Entity::Contract),
    ("smlouvy", Entity::Contract),
    ("platnosci", Entity::Payment),
    ("wplaty", Entity::Payment),
    ("platby", Entity::Payment),
    ("oceny_poziomu", Entity::Assessment),
    ("testy", Entity::Assessment),
];

/// Normalise a header or name for comparison: trim, drop a BOM, lower-case, fold Polish and
/// Czech letters to ASCII, and turn spaces and dashes into `_`.
pub fn normalise(name: &str) -> String {
    let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ą' | 'á' => 'a',
            'ć' | 'č' => 'c',
            'ď' => 'd',
            'ę' | 'é' | 'ě' => 'e',
            'í' => 'i',
            'ł' => 'l',
            'ń' | 'ň' => 'n',
            'ó' => 'o',
            'ř' => 'r',
            'ś' | 'š' => 's',
            'ť' => 't',
            'ú' | 'ů' => 'u',
            'ý' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            ' ' | '-' => '_',
            other => other,
        })
        .collect()
}

/// The entity a user-given name denotes (`grades`, `oceny`, `pupils`, `uczniowie`, …).
///
/// Used for `entity=path` inputs; compared after [`normalise`]. Singular element names
/// (`grade`, `guardian`) are accepted too.
pub fn entity_by_name(name: &str) -> Option<Entity> {
    let name = normalise(name);
    Entity::from_file_stem(&name)
        .or_else(|| Entity::ALL.into_iter().find(|e| e.element() == name))
        .or_else(|| ENTITY_NAMES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e))
}

/// The entity a file stem suggests: an exact name ([`entity_by_name`]), else the longest
/// leading run of `_`-separated words that is a name (`oceny_2024` → grades,
/// `oceny_poziomu_3a` → assessments).
pub fn entity_by_stem(stem: &str) -> Option<Entity> {
    let stem = normalise(stem);
    let words: Vec<&str> = stem.split(['_', '.']).collect();
    (1..=words.len()).rev().find_map(|n| entity_by_name(&words[..n].join("_")))
}

/// What one column of a CSV file carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A field of the file's own entity (for the pupil file: the pupil and its enrolment).
    Field(&'static FieldSpec),
    /// In a child file: the id of the pupil the row belongs to.
    PupilRef,
    /// On a pupil row: a field of an inline address (`ADRES_U_*` is slot 0 …).
    Address {
        /// Which inline address: 0 = `U` (residence), 1 = `Z` (registered), 2 = `K`
        /// (correspondence).
        slot: usize,
        /// The address field.
        field: &'static FieldSpec,
    },
    /// On a pupil row: a field of an inline guardian (`OPIEKUN<number>_*`).
    Guardian {
        /// The guardian's number as written in the header.
        number: u32,
        /// The guardian field (`surname`, `address.town`, …).
        field: &'static FieldSpec,
    },
    /// Left out on purpose (mapped to `"-"` in a mapping file).
    Skip,
    /// Maps to nothing: its data is not carried over (and the user is told).
    Unknown,
}

/// The address kind an inline address slot stands for, unless its `ktg` column says otherwise.
pub fn address_slot_kind(slot: usize) -> &'static str {
    match slot {
        0 => "residence",
        1 => "registered",
        _ => "correspondence",
    }
}

fn field_of(entity: Entity, key: &str) -> Option<&'static FieldSpec> {
    entity_fields(entity).find(|f| f.key == key)
}

fn alias(table: &[(&str, &'static str)], name: &str) -> Option<&'static str> {
    table.iter().find(|(a, _)| *a == name).map(|(_, k)| *k)
}

/// The address field a suffix (`miejscowosc`, `town`, `kod`) denotes.
fn address_field(suffix: &str) -> Option<&'static FieldSpec> {
    let key = alias(ADDRESS_ALIASES, suffix).unwrap_or(suffix);
    field_of(Entity::Address, key)
}

/// The guardian field a suffix (`nazwisko`, `surname`, `adres_kod`, `address.town`) denotes.
fn guardian_field(suffix: &str) -> Option<&'static FieldSpec> {
    if let Some(rest) = suffix.strip_prefix("adres_") {
        let address = address_field(rest)?;
        return field_of(Entity::Guardian, &format!("address.{}", address.key));
    }
    let key = alias(GUARDIAN_ALIASES, suffix).unwrap_or(suffix);
    field_of(Entity::Guardian, key)
}

/// Whether `entity`'s items have their own `id` (then `id` in its file is not the pupil's).
fn has_own_id(entity: Entity) -> bool {
    field_of(entity, "id").is_some()
}

/// What a (normalised) header means in a file of `entity`, by the built-in names only.
fn resolve_builtin(entity: Entity, name: &str) -> Target {
    if entity == Entity::Pupil {
        return resolve_pupil(name);
    }
    if PUPIL_REF_ALIASES.contains(&name) || (name == "id" && !has_own_id(entity)) {
        return Target::PupilRef;
    }
    let key = alias(child_aliases(entity), name).unwrap_or(name);
    if let Some(field) = field_of(entity, key) {
        return Target::Field(field);
    }
    if entity == Entity::Address {
        if let Some(field) = address_field(name) {
            return Target::Field(field);
        }
    }
    if entity == Entity::Guardian {
        if let Some(field) = guardian_field(name) {
            return Target::Field(field);
        }
    }
    Target::Unknown
}

fn resolve_pupil(name: &str) -> Target {
    let key = alias(PUPIL_ALIASES, name).unwrap_or(name);
    if let Some(field) = field_of(Entity::Pupil, key) {
        return Target::Field(field);
    }
    if let Some(rest) = name.strip_prefix("adres_") {
        let slot = match rest.get(..2) {
            Some("u_") => Some(0),
            Some("z_") => Some(1),
            Some("k_") => Some(2),
            _ => None,
        };
        if let (Some(slot), Some(suffix)) = (slot, rest.get(2..)) {
            if let Some(field) = address_field(suffix) {
                return Target::Address { slot, field };
            }
        }
        return Target::Unknown;
    }
    if let Some(rest) = name.strip_prefix("opiekun") {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if let (Ok(number), Some(suffix)) =
            (rest[..digits].parse::<u32>(), rest[digits..].strip_prefix('_'))
        {
            if let Some(field) = guardian_field(suffix) {
                return Target::Guardian { number, field };
            }
        }
    }
    Target::Unknown
}

/// A column-name mapping for non-default CSV layouts, read from a TOML file.
///
/// One table per entity, named by its English file stem (`[pupils]`, `[grades]`, …), each with
/// an optional `file` (the stem of the file that holds the entity, e.g. `"oceny_2024"`) and a
/// `columns` table of `"header as written" = "target"`. A target is a canonical key of that
/// entity (`surname`, `enrolment.class_level`, `address.town`), any built-in column name
/// (`ADRES_U_ulica`, `OPIEKUN1_nazwisko`), `pupil_id` in a child file, or `"-"` for a column
/// left out on purpose. Unmapped headers still go through the built-in names.
///
/// ```toml
/// [pupils]
/// file = "lista_uczniow"
/// [pupils.columns]
/// "Nazwisko ucznia" = "surname"
/// "Ulica" = "ADRES_U_ulica"
/// "Notatki sekretariatu" = "-"
///
/// [grades]
/// file = "arkusz"
/// [grades.columns]
/// "Nr ucznia" = "pupil_id"
/// "Przedmiot nauczania" = "subject"
/// ```
///
/// # Example
///
/// ```
/// use teczka::Mapping;
///
/// let toml = "[grades]\nfile = \"arkusz\"\n[grades.columns]\n\"Nr ucznia\" = \"pupil_id\"\n";
/// let mapping = Mapping::from_reader(toml.as_bytes(), "map.toml").unwrap();
/// assert_eq!(mapping.entity_for_stem("Arkusz"), Some(teczka::Entity::Grade));
///
/// let bad = "[grades.columns]\n\"X\" = \"shoe_size\"\n";
/// let err = Mapping::from_reader(bad.as_bytes(), "map.toml").unwrap_err();
/// assert!(err.to_string().contains("`shoe_size`"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping {
    source: PathBuf,
    entities: BTreeMap<Entity, EntityMapping>,
    /// The layout keys for writing: delimiter, encoding, byte-order mark.
    layout: LayoutConfig,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct EntityMapping {
    /// The normalised file stem, when given.
    file: Option<String>,
    /// The file stem as written, for naming the file on write.
    file_as_written: Option<String>,
    /// Normalised header → target as written (a key, a built-in name, `pupil_id` or `-`).
    columns: HashMap<String, String>,
    /// Header as written and what it means, in the order the mapping file lists them.
    ordered: Vec<(String, Target)>,
}

/// How a vendor's files are written: the mapping file's top-level keys.
#[derive(Clone, Debug, Default, PartialEq)]
struct LayoutConfig {
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
    bom: Option<bool>,
}

/// The mapping file as written; built into a [`Mapping`] after validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingConfig {
    /// Delimiter of the written files: one ASCII character, or `tab`.
    delimiter: Option<String>,
    /// Encoding of the written files (`utf-8`, `windows-1250`, …).
    encoding: Option<String>,
    /// Whether written UTF-8 files start with a byte-order mark.
    bom: Option<bool>,
    pupils: Option<EntityConfig>,
    addresses: Option<EntityConfig>,
    guardians: Option<EntityConfig>,
    grades: Option<EntityConfig>,
    attendance: Option<EntityConfig>,
    remarks: Option<EntityConfig>,
    exams: Option<EntityConfig>,
    achievements: Option<EntityConfig>,
    counselling: Option<EntityConfig>,
    health: Option<EntityConfig>,
    consents: Option<EntityConfig>,
    contracts: Option<EntityConfig>,
    payments: Option<EntityConfig>,
    assessments: Option<EntityConfig>,
}

/// One entity's table in the mapping file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityConfig {
    /// The stem of the file holding this entity.
    #[serde(default)]
    file: Option<String>,
    /// Header as written → target, in the order the file lists them (the order columns are
    /// written in).
    #[serde(default)]
    columns: Columns,
}

/// The `columns` table in document order: a `BTreeMap` would sort the headers, and the order
/// a vendor's importer expects is the order the mapping lists.
#[derive(Debug, Default)]
struct Columns(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Columns;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of \"header\" = \"target\"")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Columns, A::Error> {
                let mut columns = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    columns.push(entry);
                }
                Ok(Columns(columns))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

impl MappingConfig {
    fn into_tables(self) -> Vec<(Entity, EntityConfig)> {
        let tables = [
            (Entity::Pupil, self.pupils),
            (Entity::Address, self.addresses),
            (Entity::Guardian, self.guardians),
            (Entity::Grade, self.grades),
            (Entity::Attendance, self.attendance),
            (Entity::Remark, self.remarks),
            (Entity::Exam, self.exams),
            (Entity::Achievement, self.achievements),
            (Entity::Counselling, self.counselling),
            (Entity::Health, self.health),
            (Entity::Consent, self.consents),
            (Entity::Contract, self.contracts),
            (Entity::Payment, self.payments),
            (Entity::Assessment, self.assessments),
        ];
        tables.into_iter().filter_map(|(e, t)| t.map(|t| (e, t))).collect()
    }
}

impl Mapping {
    /// Read and validate a mapping file.
    pub fn from_path(path: &Path) -> Result<Mapping> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Mapping::from_reader(file, path)
    }

    /// Read and validate a mapping from any reader; `name` names it in errors.
    pub fn from_reader(mut reader: impl Read, name: impl Into<PathBuf>) -> Result<Mapping> {
        let source = name.into();
        let mut text = String::new();
        reader.read_to_string(&mut text).map_err(|e| Error::io(&source, e))?;
        let config: MappingConfig = toml::from_str(&text).map_err(|e| {
            Error::config(
                &source,
                format!("not a valid mapping file: {}", crate::error::toml_reason(&text, &e)),
            )
        })?;
        let layout = LayoutConfig {
            delimiter: config.delimiter.as_deref().map(|d| delimiter(&source, d)).transpose()?,
            encoding: config.encoding.as_deref().map(|e| encoding(&source, e)).transpose()?,
            bom: config.bom,
        };
        let mut mapping = Mapping { source: source.clone(), entities: BTreeMap::new(), layout };
        let mut stems: HashMap<String, Entity> = HashMap::new();
        for (entity, table) in config.into_tables() {
            let file = table.file.as_deref().map(normalise);
            if let Some(stem) = &file {
                if let Some(other) = stems.insert(stem.clone(), entity) {
                    return Err(Error::config(
                        &source,
                        format!(
                            "`{other}` and `{entity}` both claim the file `{stem}`: give each \
                             entity its own file"
                        ),
                    ));
                }
            }
            let mut columns = HashMap::new();
            let mut ordered = Vec::new();
            for (header, target) in table.columns.0 {
                let Some(resolved) = resolve_target(entity, &target) else {
                    return Err(Error::config(
                        &source,
                        format!(
                            "[{entity}]: column `{header}` maps to `{target}`, which {entity} do \
                             not have: use one of {}{}, or \"-\" to leave the column out",
                            if entity == Entity::Pupil { "" } else { "pupil_id, " },
                            entity_fields(entity)
                                .map(|f| f.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                // Two spellings of one header would be one column when reading and two when
                // writing: refuse rather than let the last one win.
                if columns.insert(normalise(&header), target).is_some() {
                    return Err(Error::config(
                        &source,
                        format!(
                            "[{entity}]: column `{header}` is listed twice (headers are compared \
                             ignoring case, accents and spaces): keep one"
                        ),
                    ));
                }
                ordered.push((header, resolved));
            }
            let file_as_written = table.file.map(|f| f.trim().to_string());
            if let Some(name) = file_as_written.as_deref().filter(|f| !is_plain_file_name(f)) {
                // The writer creates `<file>.csv` inside the output folder: a shared mapping
                // must not be able to write anywhere else.
                return Err(Error::config(
                    &source,
                    format!(
                        "[{entity}]: file = \"{}\" is not a plain file name: give the name \
                         without folders, `..`, drive letters or a leading dot",
                        name.escape_debug()
                    ),
                ));
            }
            mapping
                .entities
                .insert(entity, EntityMapping { file, file_as_written, columns, ordered });
        }
        Ok(mapping)
    }

    /// The file the mapping was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The entity whose `file` is `stem` (compared trimmed, lower-cased, with Polish and Czech
    /// letters folded to ASCII and spaces and dashes as `_`), if any.
    pub fn entity_for_stem(&self, stem: &str) -> Option<Entity> {
        let stem = normalise(stem);
        self.entities.iter().find(|(_, m)| m.file.as_deref() == Some(&stem)).map(|(e, _)| *e)
    }

    /// The files a writer lays out with this mapping: every entity with columns, pupils
    /// first, each with its file stem (as written, else the entity's English stem) and its
    /// columns in the order the mapping lists them.
    pub fn layouts(&self) -> impl Iterator<Item = FileLayout<'_>> {
        self.entities.iter().filter(|(_, m)| !m.ordered.is_empty()).map(|(entity, m)| FileLayout {
            entity: *entity,
            stem: m.file_as_written.as_deref().unwrap_or(entity.file_stem()),
            columns: &m.ordered,
        })
    }

    /// The delimiter the mapping's `delimiter` key asks written files to use.
    pub fn delimiter(&self) -> Option<u8> {
        self.layout.delimiter
    }

    /// The encoding the mapping's `encoding` key asks written files to use.
    pub fn encoding(&self) -> Option<&'static Encoding> {
        self.layout.encoding
    }

    /// Whether the mapping's `bom` key asks written UTF-8 files to start with a byte-order
    /// mark.
    pub fn bom(&self) -> Option<bool> {
        self.layout.bom
    }
}

/// One file of a vendor layout: which entity, under which name, with which columns.
#[derive(Clone, Copy, Debug)]
pub struct FileLayout<'a> {
    /// The entity the file holds.
    pub entity: Entity,
    /// The file's stem as the mapping writes it (`lista_uczniow`); the file is `<stem>.csv`.
    pub stem: &'a str,
    /// Header as written and what the column carries, in order.
    pub columns: &'a [(String, Target)],
}

/// The `delimiter` key: one ASCII character other than a quote or line break, or `tab`.
fn delimiter(source: &Path, text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && !matches!(text, "\"" | "'" | "\r" | "\n") => {
            Ok(text.as_bytes()[0])
        }
        _ => Err(Error::config(
            source,
            format!(
                "`delimiter = \"{}\"` is not one ASCII character: write \";\", \",\" or \"tab\"",
                text.escape_default()
            ),
        )),
    }
}

/// The `encoding` key: a WHATWG label or one of the names `--encoding` takes.
fn encoding(source: &Path, name: &str) -> Result<&'static Encoding> {
    super::encoding_by_name(name).ok_or_else(|| {
        Error::config(
            source,
            format!(
                "`encoding = \"{}\"` is not an encoding: write \"windows-1250\" (Polish and \
                 Czech Excel), \"utf-8\" or \"iso-8859-2\"",
                name.escape_default()
            ),
        )
    })
}

/// What a mapping-file target means for `entity`; `None` if it means nothing.
fn resolve_target(entity: Entity, target: &str) -> Option<Target> {
    if target.trim() == "-" {
        return Some(Target::Skip);
    }
    match resolve_builtin(entity, &normalise(target)) {
        Target::Unknown => None,
        found => Some(found),
    }
}

/// What the header `header` means in a file of `entity`: the mapping file first, then the
/// built-in names.
pub fn resolve(entity: Entity, header: &str, mapping: Option<&Mapping>) -> Target {
    let name = normalise(header);
    if let Some(target) =
        mapping.and_then(|m| m.entities.get(&entity)).and_then(|m| m.columns.get(&name))
    {
        if let Some(found) = resolve_target(entity, target) {
            return found;
        }
    }
    resolve_builtin(entity, &name)
}

/// The entity a CSV file holds: the mapping file's `file` stems first, then the built-in
/// names ([`entity_by_stem`]).
pub fn entity_for_file(path: &Path, mapping: Option<&Mapping>) -> Option<Entity> {
    let stem = path.file_stem()?.to_str()?;
    mapping.and_then(|m| m.entity_for_stem(stem)).or_else(|| entity_by_stem(stem))
}

/// A file name with no folder, drive, parent or hidden-file part, and no control characters.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_cannot_name_a_file_outside_the_output_folder() {
        for bad in ["../escaped", "/etc/x", "C:evil", "sub\\\\x", ".hidden", "a\\u0007b", ""] {
            let text =
                format!("[grades]\nfile = \"{bad}\"\n[grades.columns]\n\"id\" = \"pupil_id\"\n");
            let result = Mapping::from_reader(text.as_bytes(), Path::new("evil.toml"));
            let message = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("not a plain file name"), "{bad:?}: {message}");
        }
        assert!(is_plain_file_name("arkusz_ocen") && is_plain_file_name("Lista uczniów 2026"));
    }
    use crate::model::fields::fields;

    fn key(target: Target) -> String {
        match target {
            Target::Field(f) => f.key.clone(),
            Target::Address { slot, field } => format!("address{slot}.{}", field.key),
            Target::Guardian { number, field } => format!("guardian{number}.{}", field.key),
            Target::PupilRef => "<pupil>".into(),
            Target::Skip => "<skip>".into(),
            Target::Unknown => "<unknown>".into(),
        }
    }

    #[test]
    fn every_builtin_alias_points_at_a_catalogue_key() {
        for entity in Entity::ALL {
            for (alias, target) in child_aliases(entity) {
                let ok = match entity {
                    Entity::Address => field_of(Entity::Address, target).is_some(),
                    Entity::Guardian => guardian_field(target).is_some(),
                    _ => field_of(entity, target).is_some(),
                };
                assert!(ok, "{entity}: `{alias}` → `{target}` is not in the catalogue");
            }
        }
    }

    #[test]
    fn pupil_headers_resolve_case_insensitively_with_diacritics_and_bom() {
        let cases = [
            ("\u{feff}Nazwisko", "surname"),
            (" IMIE ", "first_name"),
            ("Imię", "first_name"),
            ("RODC", "birth_number"),
            ("POHLAVI", "sex"),
            ("DAT_NAROZ", "birth_date"),
            ("poziom", "enrolment.class_level"),
            ("TRIDA", "enrolment.class_symbol"),
            ("IZO", "enrolment.school_id"),
            ("enrolment.class_level", "enrolment.class_level"),
            ("id", "id"),
            ("id_ucznia", "id"),
            ("ADRES_U_miejscowosc", "address0.town"),
            ("ADRES_Z_kod", "address1.postcode"),
            ("adres_k_ktg", "address2.kind"),
            ("ADRES_U_gmina", "address0.commune"),
            ("OPIEKUN1_nazwisko", "guardian1.surname"),
            ("OPIEKUN12_e_mail", "guardian12.email"),
            ("OPIEKUN2_ADRES_miejscowosc", "guardian2.address.town"),
            ("OPIEKUN2_stopien", "guardian2.relation"),
            ("OPIEKUN1_wladza", "guardian1.parental_rights"),
            ("ADRES_U_msc_m", "<unknown>"),
            ("ADRES_U_tel", "<unknown>"),
            ("ADRES_U_e_mail", "<unknown>"),
            ("ADRES_X_ulica", "<unknown>"),
            ("OPIEKUN_nazwisko", "<unknown>"),
            ("shoe_size", "<unknown>"),
        ];
        for (header, expected) in cases {
            assert_eq!(key(resolve(Entity::Pupil, header, None)), expected, "{header}");
        }
    }

    #[test]
    fn child_headers_resolve_with_pupil_ref_and_polish_names() {
        let cases = [
            (Entity::Grade, "id_ucznia", "<pupil>"),
            (Entity::Grade, "ID", "<pupil>"),
            (Entity::Grade, "Przedmiot", "subject"),
            (Entity::Grade, "rok_szkolny", "school_year"),
            (Entity::Grade, "zachowanie", "behaviour"),
            (Entity::Attendance, "lekcja", "period"),
            (Entity::Remark, "treść", "text"),
            (Entity::Guardian, "id", "id"),
            (Entity::Guardian, "pupil_id", "<pupil>"),
            (Entity::Guardian, "address.town", "address.town"),
            (Entity::Guardian, "adres_kod", "address.postcode"),
            (Entity::Address, "ktg", "kind"),
            (Entity::Address, "town", "town"),
            (Entity::Payment, "kwota", "<unknown>"),
            (Entity::Payment, "kwota_gr", "amount_minor"),
        ];
        for (entity, header, expected) in cases {
            assert_eq!(key(resolve(entity, header, None)), expected, "{entity} {header}");
        }
        // Every canonical key reads back as itself: what teczka writes, it reads.
        for f in fields() {
            assert_eq!(key(resolve(f.entity, &f.key, None)), f.key, "{}", f.path);
        }
    }

    #[test]
    fn entity_names_in_english_polish_and_czech_and_from_stems() {
        assert_eq!(entity_by_name("grades"), Some(Entity::Grade));
        assert_eq!(entity_by_name("Oceny"), Some(Entity::Grade));
        assert_eq!(entity_by_name("uczniowie"), Some(Entity::Pupil));
        assert_eq!(entity_by_name("osiągnięcia"), Some(Entity::Achievement));
        assert_eq!(entity_by_name("oceny_poziomu"), Some(Entity::Assessment));
        assert_eq!(entity_by_name("wplaty"), Some(Entity::Payment));
        assert_eq!(entity_by_name("orzeczenia"), Some(Entity::Counselling));
        assert_eq!(entity_by_name("stuff"), None);
        assert_eq!(entity_by_stem("oceny_2024"), Some(Entity::Grade));
        assert_eq!(entity_by_stem("oceny_poziomu_3a"), Some(Entity::Assessment));
        assert_eq!(entity_by_stem("export"), None);
        for entity in Entity::ALL {
            assert_eq!(entity_by_name(entity.file_stem()), Some(entity));
        }
    }

    const EXAMPLE: &str = r#"
[pupils]
file = "lista_uczniow"
[pupils.columns]
"Nazwisko ucznia" = "surname"
"Ulica" = "ADRES_U_ulica"
"Notatki" = "-"

[grades]
file = "arkusz"
[grades.columns]
"Nr ucznia" = "pupil_id"
"Przedmiot nauczania" = "subject"
"#;

    #[test]
    fn mapping_file_maps_headers_and_stems() {
        let mapping = Mapping::from_reader(EXAMPLE.as_bytes(), "map.toml").unwrap();
        let m = Some(&mapping);
        assert_eq!(key(resolve(Entity::Pupil, "NAZWISKO UCZNIA", m)), "surname");
        assert_eq!(key(resolve(Entity::Pupil, "ulica", m)), "address0.street");
        assert_eq!(key(resolve(Entity::Pupil, "Notatki", m)), "<skip>");
        assert_eq!(key(resolve(Entity::Pupil, "imie", m)), "first_name");
        assert_eq!(key(resolve(Entity::Grade, "Nr ucznia", m)), "<pupil>");
        assert_eq!(entity_for_file(Path::new("in/arkusz.csv"), m), Some(Entity::Grade));
        assert_eq!(entity_for_file(Path::new("in/oceny.csv"), m), Some(Entity::Grade));
        assert_eq!(entity_for_file(Path::new("in/lista_uczniow.csv"), m), Some(Entity::Pupil));
    }

    #[test]
    fn layouts_keep_headers_as_written_in_the_order_listed_with_the_layout_keys() {
        let toml = "delimiter = \";\"\nencoding = \"windows-1250\"\n\
                    [grades]\nfile = \"Arkusz_Ocen\"\n[grades.columns]\n\
                    \"Ż\" = \"grade\"\n\"A\" = \"pupil_id\"\n\"M\" = \"-\"\n\
                    [pupils.columns]\n\"Nr\" = \"id\"\n";
        let mapping = Mapping::from_reader(toml.as_bytes(), "m.toml").unwrap();
        assert_eq!(mapping.delimiter(), Some(b';'));
        assert_eq!(mapping.encoding(), Some(encoding_rs::WINDOWS_1250));
        assert_eq!(mapping.bom(), None);
        let layouts: Vec<FileLayout<'_>> = mapping.layouts().collect();
        assert_eq!(layouts.len(), 2);
        assert_eq!((layouts[0].entity, layouts[0].stem), (Entity::Pupil, "pupils"));
        assert_eq!((layouts[1].entity, layouts[1].stem), (Entity::Grade, "Arkusz_Ocen"));
        let grades: Vec<(&str, String)> =
            layouts[1].columns.iter().map(|(h, t)| (h.as_str(), key(t.clone()))).collect();
        assert_eq!(
            grades,
            [("Ż", "grade".to_string()), ("A", "<pupil>".into()), ("M", "<skip>".into())]
        );
    }

    #[test]
    fn layout_keys_and_doubled_headers_are_checked() {
        let err =
            |toml: &str| Mapping::from_reader(toml.as_bytes(), "m.toml").unwrap_err().to_string();
        assert!(err("delimiter = \"||\"\n").contains("`delimiter = \"||\"` is not one ASCII"));
        assert!(err("delimiter = \"\\\"\"\n").contains("is not one ASCII character"));
        assert!(err("encoding = \"klingon\"\n").contains("`encoding = \"klingon\"` is not an"));
        let doubled = err("[pupils.columns]\n\"Imię\" = \"first_name\"\n\"IMIE\" = \"surname\"\n");
        assert!(
            doubled.starts_with("m.toml: [pupils]: column `IMIE` is listed twice"),
            "{doubled}"
        );
        let tab = Mapping::from_reader(&b"delimiter = \"tab\"\nbom = true\n"[..], "m").unwrap();
        assert_eq!((tab.delimiter(), tab.bom()), (Some(b'\t'), Some(true)));
    }

    #[test]
    fn mapping_file_errors_name_file_entity_and_key() {
        let err = Mapping::from_reader(&b"[grades.columns]\nX = \"town\"\n"[..], "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.toml: [grades]: column `X` maps to `town`"), "{err}");
        assert!(err.contains("school_year"), "{err}");

        let err = Mapping::from_reader(&b"[pupilz]\n"[..], "m.toml").unwrap_err().to_string();
        assert!(err.contains("unknown field `pupilz`"), "{err}");
        let err = Mapping::from_reader(&b"[pupils]\nfiles = \"x\"\n"[..], "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `files`"), "{err}");
        let err = Mapping::from_reader(&b"[pupils]\nfile=\"a\"\n[grades]\nfile=\"A\"\n"[..], "m")
            .unwrap_err()
            .to_string();
        assert!(err.contains("both claim the file `a`"), "{err}");
    }
}
