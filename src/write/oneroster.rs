//! OneRoster 1.2 CSV output: the bulk binding's folder of tables, for a learning platform or
//! e-register that imports rosters.
//!
//! The folder holds `manifest.csv` and nine tables, each with the header the 1.2 CSV binding
//! fixes, in its order ([`TABLES`]): `orgs.csv` (the schools), `academicSessions.csv` (the
//! school year), `courses.csv` (one course per school and class level), `classes.csv` (one
//! homeroom class per level and symbol, `3b`), `users.csv` (pupils, and their guardians as
//! parents or guardians linked by `agentSourcedIds`), `roles.csv` (1.2 moved each user's role
//! and school out of `users.csv` into it), `enrollments.csv` (pupil → class, with admission
//! and leaving dates), `demographics.csv` (birth date, sex, place and country of birth).
//!
//! Decisions where the binding leaves room:
//! * **`sourcedId`s are UUIDv5** ([`sourced_id`]) in a fixed namespace ([`namespace`]) of the
//!   record's id as written: the local id, or the keyed pseudonym when a policy pseudonymises
//!   `id`. The same input gives the same ids in every run; a UUIDv5 is a hash, not a secret,
//!   so whoever knows the local ids can recompute it: pseudonymise `id` to keep them out.
//! * **Bulk mode**: `status` and `dateLastModified` are empty, `manifest.csv` says `bulk` for
//!   the written tables and `absent` for every other table of the binding.
//! * **National ids** (PESEL, rodné číslo, a foreign document) go to `userIds` and the
//!   education id to `userMasterIdentifier` only in a record a policy released: a learning
//!   platform rosters by `sourcedId` and needs no national id, so a plain `convert` leaves them
//!   out (data minimisation) and counts them.
//! * **The school year** of the classes is the one holding the reference date (`--today`):
//!   1 September to 31 August, `schoolYear` being the year it ends in.
//! * **Grades** (CEDS codes): class level `1`–`13` becomes `01`–`13`, `0` becomes `KG`, any
//!   other level `Other`; the level's own text stays in the course's `courseCode`.
//! * Values are written exactly (no spreadsheet formula guard): the tables are for importers.
//!
//! Nothing is dropped silently: every value the tables have no column for is counted per field
//! ([`OneRosterWriter::not_written`]); the commands print the counts.
//!
//! Users, roles, enrollments and demographics stream to their files pupil by pupil; schools,
//! school years, courses and classes are gathered (one row each, a few thousand at most) and
//! written when the output finishes.

use super::leaves::{self, Leaves};
use super::private;
use super::staged::{StagedFile, Store};
use super::{Outgoing, Sink};
use crate::error::{Error, Result};
pub use crate::read::oneroster::spec::*;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashSet};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Counts of values written nowhere, by field; shared with the command that prints them.
pub type NotWritten = Arc<Mutex<BTreeMap<String, u64>>>;

/// One CSV table being streamed.
type Table = csv::Writer<BufWriter<StagedFile>>;

/// Writes pupils as a OneRoster 1.2 bulk CSV folder: `manifest.csv` and nine tables, each with
/// the header the 1.2 CSV binding fixes. Nothing is dropped silently: every value the tables
/// have no column for is counted per field ([`OneRosterWriter::not_written`]).
///
/// # Example
///
/// ```
/// use teczka::{Enrolment, OneRosterWriter, Outgoing, Pupil, Sink};
///
/// let dir = tempfile::tempdir()?;
/// let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
/// let mut writer = OneRosterWriter::create(dir.path(), today)?;
/// let enrolment = Enrolment {
///     class_level: Some("3".into()),
///     class_symbol: Some("b".into()),
///     ..Enrolment::default()
/// };
/// let pupil = Pupil {
///     id: "P1".into(),
///     first_name: Some("Anna".into()),
///     enrolment: Some(enrolment),
///     ..Pupil::default()
/// };
/// writer.write(Outgoing::Pupil(&pupil))?;
/// writer.finish()?;
/// let classes = std::fs::read_to_string(dir.path().join("classes.csv"))?;
/// assert!(classes.contains(",3b,03,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OneRosterWriter {
    dir: PathBuf,
    store: Store,
    streams: Vec<(PathBuf, Table)>,
    /// Rows of the gathered tables, by table, in first-seen order.
    gathered: [Vec<Vec<String>>; 4],
    seen: HashSet<String>,
    year: i32,
    national_ids: bool,
    not_written: NotWritten,
    finished: bool,
}

/// The gathered tables, as indexes into [`OneRosterWriter::gathered`].
const SESSIONS: usize = 0;
const ORG_ROWS: usize = 1;
const COURSE_ROWS: usize = 2;
const CLASS_ROWS: usize = 3;

/// The streamed tables, as indexes into [`OneRosterWriter::streams`].
const USER_ROWS: usize = 0;
const ROLE_ROWS: usize = 1;
const ENROLLMENT_ROWS: usize = 2;
const DEMOGRAPHIC_ROWS: usize = 3;

impl OneRosterWriter {
    /// Create the folder (`0700`) and the streamed tables (`0600`) with their headers; the
    /// classes belong to the school year holding `today`.
    pub fn create(dir: &Path, today: NaiveDate) -> Result<OneRosterWriter> {
        OneRosterWriter::create_in(&Store::plain(), dir, today)
    }

    /// [`create`](OneRosterWriter::create), the files written through `store` (sealed when
    /// it is).
    pub fn create_in(store: &Store, dir: &Path, today: NaiveDate) -> Result<OneRosterWriter> {
        private::create_dir_all(dir)?;
        let mut streams = Vec::new();
        for (stem, header) in [("users", USERS), ("roles", ROLES)]
            .into_iter()
            .chain([("enrollments", ENROLLMENTS), ("demographics", DEMOGRAPHICS)])
        {
            let path = dir.join(format!("{stem}.csv"));
            let mut table = csv::Writer::from_writer(BufWriter::new(store.create(&path)?));
            table.write_record(header).map_err(|e| csv_error(&path, e))?;
            streams.push((path, table));
        }
        Ok(OneRosterWriter {
            dir: dir.to_path_buf(),
            store: store.clone(),
            streams,
            gathered: Default::default(),
            seen: HashSet::new(),
            year: school_year_start(today),
            national_ids: false,
            not_written: NotWritten::default(),
            finished: false,
        })
    }

    /// Write national ids (PESEL, rodné číslo, education id) also for pupils written as read,
    /// not only for records a policy released.
    pub fn national_ids(mut self, yes: bool) -> OneRosterWriter {
        self.national_ids = yes;
        self
    }

    /// The counts of values the tables have no column for, by field (e.g. `grades`,
    /// `enrolment.register_number`); filled as pupils are written.
    pub fn not_written(&self) -> NotWritten {
        Arc::clone(&self.not_written)
    }

    /// Write one pupil given as its present values (as read, or as released).
    fn put(&mut self, pupil: &Leaves, ids: bool) -> Result<()> {
        let Some(id) = text(pupil, "id") else {
            // Every user of a roster is someone: without an id all would share one sourcedId.
            // Named by the format: the folder is still a temporary one.
            return Err(Error::config(
                "oneroster",
                "a record without `id` cannot be a OneRoster user (a roster names each pupil): \
                 OneRoster output needs a policy that keeps or pseudonymises `id`, not an \
                 anonymised release",
            ));
        };
        let student = sourced_id("student", &id);
        let field = |name: &str| text(pupil, &format!("enrolment.{name}"));
        let school = self.school(field("school_name"), field("school_id"));
        let year = self.session();
        let class = self.class(&school, field("class_level"), field("class_symbol"), &year);
        let guardians = pupil.items_of("guardians");
        let agents: Vec<String> =
            guardians.iter().enumerate().map(|(i, g)| guardian_id(&id, pupil, g, i)).collect();
        let grades = field("class_level").map(|l| grade_code(&l)).unwrap_or_default();
        let mut user = vec![String::new(); USERS.len()];
        user[0] = student.clone();
        user[3] = "true".into();
        user[4] = id.clone();
        user[6] = text(pupil, "first_name").unwrap_or_default();
        user[7] = text(pupil, "surname").unwrap_or_default();
        user[8] = text(pupil, "second_name").unwrap_or_default();
        user[9] = id.clone();
        user[13] = agents.join(",");
        user[14] = grades;
        user[20] = school.clone();
        if ids {
            user[5] = user_ids(pupil);
            user[16] = text(pupil, "education_id").filter(|v| id_safe(v)).unwrap_or_default();
        }
        self.stream(USER_ROWS, &user)?;
        self.role(&student, "student", &school)?;
        for (guardian, sid) in guardians.iter().zip(&agents) {
            self.guardian(pupil, guardian, sid, &student, &school)?;
        }
        if let Some(class) = &class {
            let date = |name| field(name).filter(|d| is_date(d));
            let (begin, end) = (date("admission_date"), date("leaving_date"));
            let sid = sourced_id("enrollment", &format!("{student}\0{class}"));
            let row = [&sid, "", "", class, &school, &student, "student", "", &or(begin), &or(end)];
            self.stream(ENROLLMENT_ROWS, &row.map(String::from))?;
        }
        self.demographics(pupil, &student)?;
        self.count_unwritten(pupil, Columns { ids, class: class.is_some() });
        Ok(())
    }

    /// The user and role rows of the guardian at `guardian` (`guardians.0`).
    fn guardian(
        &mut self,
        pupil: &Leaves,
        guardian: &str,
        sid: &str,
        student: &str,
        school: &str,
    ) -> Result<()> {
        let field = |name: &str| text(pupil, &format!("{guardian}.{name}"));
        let email = field("email").unwrap_or_default();
        let local = field("id").unwrap_or_default();
        let username = [&email, &local].into_iter().find(|v| !v.is_empty()).cloned();
        let username = username.unwrap_or_else(|| sid.to_string());
        let mut user = vec![String::new(); USERS.len()];
        user[0] = sid.into();
        user[3] = "true".into();
        user[4] = username;
        user[6] = field("first_name").unwrap_or_default();
        user[7] = field("surname").unwrap_or_default();
        user[9] = local;
        user[10] = email;
        user[12] = field("phone").unwrap_or_default();
        user[13] = student.into();
        user[20] = school.into();
        self.stream(USER_ROWS, &user)?;
        let role = guardian_role(field("relation").as_deref());
        self.role(sid, role, school)
    }

    /// A user's primary role at the school.
    fn role(&mut self, user: &str, role: &str, school: &str) -> Result<()> {
        let sid = sourced_id("role", user);
        let row = [sid.as_str(), "", "", user, "primary", role, "", "", school, ""];
        self.stream(ROLE_ROWS, &row.map(String::from))
    }

    /// The demographics row of a pupil who has any of its values.
    fn demographics(&mut self, pupil: &Leaves, student: &str) -> Result<()> {
        let birth = text(pupil, "birth_date").filter(|d| is_date(d)).unwrap_or_default();
        let sex = text(pupil, "sex").filter(|s| s == "female" || s == "male").unwrap_or_default();
        let city = text(pupil, "birth_place").unwrap_or_default();
        let country = text(pupil, "birth_country").filter(|c| is_country(c)).unwrap_or_default();
        if [&birth, &sex, &city, &country].iter().all(|v| v.is_empty()) {
            return Ok(());
        }
        let mut row = vec![String::new(); DEMOGRAPHICS.len()];
        row[0] = student.into();
        row[3] = birth;
        row[4] = sex;
        row[12] = country;
        row[14] = city;
        self.stream(DEMOGRAPHIC_ROWS, &row)
    }

    /// The school's org, gathered once; its `sourcedId`.
    fn school(&mut self, name: Option<String>, id: Option<String>) -> String {
        let key = id.clone().or_else(|| name.clone()).unwrap_or_default();
        let sid = sourced_id("org", &key);
        let name = match (name, &id) {
            (Some(name), _) => name,
            (None, Some(id)) => id.clone(),
            (None, None) => NO_SCHOOL.into(),
        };
        let row = [&sid, "", "", &name, "school", id.as_deref().unwrap_or(""), ""];
        self.gather(ORG_ROWS, row.map(String::from).to_vec());
        sid
    }

    /// The school year's session, gathered once; its `sourcedId`.
    fn session(&mut self) -> String {
        let (start, end) = (self.year, self.year + 1);
        let title = format!("{start}/{end}");
        let sid = sourced_id("session", &title);
        let row = [
            sid.clone(),
            String::new(),
            String::new(),
            title,
            "schoolYear".into(),
            format!("{start}-09-01"),
            format!("{end}-08-31"),
            String::new(),
            end.to_string(),
        ];
        self.gather(SESSIONS, row.to_vec());
        sid
    }

    /// The class (and its level's course), gathered once; the class's `sourcedId`, or `None`
    /// when the pupil has neither a level nor a symbol.
    fn class(
        &mut self,
        school: &str,
        level: Option<String>,
        symbol: Option<String>,
        year: &str,
    ) -> Option<String> {
        if level.is_none() && symbol.is_none() {
            return None;
        }
        let (level, symbol) = (level.unwrap_or_default(), symbol.unwrap_or_default());
        let grade = if level.is_empty() { String::new() } else { grade_code(&level) };
        let course = sourced_id("course", &format!("{school}\0{year}\0{level}"));
        let title = format!("Class level {level}");
        let row = [&course, "", "", year, &title, &level, &grade, school, "", ""];
        self.gather(COURSE_ROWS, row.map(String::from).to_vec());
        let class = sourced_id("class", &format!("{school}\0{year}\0{level}\0{symbol}"));
        let title = format!("{level}{symbol}");
        let row = [
            &class, "", "", &title, &grade, &course, &symbol, "homeroom", "", school, year, "", "",
            "",
        ];
        self.gather(CLASS_ROWS, row.map(String::from).to_vec());
        Some(class)
    }

    fn gather(&mut self, table: usize, row: Vec<String>) {
        if self.seen.insert(row[0].clone()) {
            self.gathered[table].push(row);
        }
    }

    fn stream(&mut self, table: usize, row: &[String]) -> Result<()> {
        let Some((path, out)) = self.streams.get_mut(table) else {
            return Err(Error::input(&*self.dir, "a pupil written after the output was finished"));
        };
        out.write_record(row).map_err(|e| csv_error(path, e))
    }

    /// Count every value of `pupil` that no column took.
    fn count_unwritten(&self, pupil: &Leaves, held: Columns) {
        let mut counts = BTreeMap::new();
        for leaf in &pupil.leaves {
            let text = match &leaf.value {
                leaves::Held::Text(text) => text.as_str(),
                leaves::Held::Bool(_) | leaves::Held::Number(_) => "",
            };
            if !is_written(&leaf.spec.path, text, held) {
                *counts.entry(count_key(&leaf.spec.path)).or_insert(0) += 1;
            }
        }
        if counts.is_empty() {
            return;
        }
        if let Ok(mut total) = self.not_written.lock() {
            for (key, n) in counts {
                *total.entry(key).or_insert(0) += n;
            }
        }
    }

    /// Write a gathered table and close it.
    fn write_gathered(&self, stem: &str, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let path = self.dir.join(format!("{stem}.csv"));
        let mut out = csv::Writer::from_writer(BufWriter::new(self.store.create(&path)?));
        out.write_record(header).map_err(|e| csv_error(&path, e))?;
        for row in rows {
            out.write_record(row).map_err(|e| csv_error(&path, e))?;
        }
        close(&path, out)
    }

    /// `manifest.csv`: versions, then every table of the binding as `bulk` or `absent`.
    fn write_manifest(&self) -> Result<()> {
        let mut files: Vec<(&str, &str)> = TABLES.iter().map(|(stem, _)| (*stem, "bulk")).collect();
        files.extend(ABSENT.iter().map(|stem| (*stem, "absent")));
        files.sort_by_key(|(stem, _)| stem.to_ascii_lowercase());
        let mut rows =
            vec![("manifest.version".to_string(), "1.0"), ("oneroster.version".to_string(), "1.2")];
        rows.extend(files.into_iter().map(|(stem, mode)| (format!("file.{stem}"), mode)));
        rows.push(("source.systemName".into(), "teczka"));
        rows.push(("source.systemCode".into(), "teczka"));
        let path = self.dir.join("manifest.csv");
        let mut out = csv::Writer::from_writer(BufWriter::new(self.store.create(&path)?));
        out.write_record(["propertyName", "value"]).map_err(|e| csv_error(&path, e))?;
        for (name, value) in rows {
            out.write_record([name.as_str(), value]).map_err(|e| csv_error(&path, e))?;
        }
        close(&path, out)
    }
}

impl Sink for OneRosterWriter {
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        // National ids only where a policy released the record, or when asked.
        let ids = self.national_ids || !matches!(pupil, Outgoing::Pupil(_));
        self.put(&Leaves::of(pupil)?, ids)
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        for (path, out) in self.streams.drain(..) {
            close(&path, out)?;
        }
        let gathered = std::mem::take(&mut self.gathered);
        let stems = [
            ("academicSessions", ACADEMIC_SESSIONS),
            ("orgs", ORGS),
            ("courses", COURSES),
            ("classes", CLASSES),
        ];
        for ((stem, header), rows) in stems.into_iter().zip(&gathered) {
            self.write_gathered(stem, header, rows)?;
        }
        self.write_manifest()
    }
}

/// Flush a table and close its file.
fn close(path: &Path, out: Table) -> Result<()> {
    let buffered = out.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    let mut file = buffered.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    file.close()
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(path, e),
        other => Error::io(path, std::io::Error::other(format!("{other:?}"))),
    }
}

fn or(value: Option<String>) -> String {
    value.unwrap_or_default()
}

/// A leaf's value as text (text when not empty, numbers and booleans printed).
fn text(pupil: &Leaves, path: &str) -> Option<String> {
    pupil.get(path).map(leaves::Held::text).filter(|text| !text.is_empty())
}

/// A guardian's `sourcedId`: per pupil, by the guardian's own id or position.
fn guardian_id(pupil_id: &str, pupil: &Leaves, guardian: &str, index: usize) -> String {
    let key = text(pupil, &format!("{guardian}.id")).unwrap_or_else(|| format!("#{index}"));
    sourced_id("guardian", &format!("{pupil_id}\0{key}"))
}

/// `{PESEL:…},{rodneCislo:…}`: the national ids a `userIds` cell can hold.
fn user_ids(pupil: &Leaves) -> String {
    let ids = USER_ID_TYPES.iter().filter_map(|(field, label)| {
        text(pupil, field).filter(|v| id_safe(v)).map(|v| format!("{{{label}:{v}}}"))
    });
    ids.collect::<Vec<_>>().join(",")
}

/// Whether a value fits a `userIds` entry or an id column unambiguously.
fn id_safe(value: &str) -> bool {
    !value.is_empty() && !value.contains(['{', '}', ':', ',', '"', '\n', '\r'])
}

fn is_date(text: &str) -> bool {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// An ISO 3166-1 alpha-2 shape (`PL`, `CZ`): what `countryOfBirthCode` holds.
fn is_country(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// What a pupil's tables hold beyond the fixed columns.
#[derive(Clone, Copy)]
struct Columns {
    /// National ids are written.
    ids: bool,
    /// The pupil has a class, so an enrollment (with its dates).
    class: bool,
}

/// Whether a value of the catalogue field `path` has a column; `text` is the value when it is
/// text, else empty.
fn is_written(path: &str, text: &str, held: Columns) -> bool {
    let ids = held.ids;
    match path {
        "enrolment.admission_date" | "enrolment.leaving_date" => held.class && is_date(text),
        "id" | "first_name" | "surname" | "second_name" | "birth_place" => true,
        "sex" => matches!(text, "female" | "male"),
        "birth_date" => is_date(text),
        "birth_country" => is_country(text),
        "pesel" | "birth_number" | "foreign_document" | "education_id" => ids && id_safe(text),
        "enrolment.school_name" | "enrolment.school_id" | "enrolment.class_level" => true,
        "enrolment.class_symbol" => true,
        "guardians[].id" | "guardians[].first_name" | "guardians[].surname" => true,
        "guardians[].phone" | "guardians[].email" => true,
        _ => false,
    }
}

/// The key a value of the catalogue field `path` with no column is counted under, without list
/// marks: a guardian's address as one, the enrolment and guardians field by field, other
/// lists and groups whole.
fn count_key(path: &str) -> String {
    let path = path.replace("[]", "");
    let path = path.as_str();
    match path.split_once('.') {
        Some(("guardians", rest)) if rest.starts_with("address.") => "guardians.address".into(),
        Some(("enrolment" | "guardians", _)) => path.to_string(),
        Some((top, _)) => top.to_string(),
        None => path.to_string(),
    }
}

/// Why the values of a field were not written, for the run's notice.
pub fn reason(field: &str) -> &'static str {
    match field {
        "pesel" | "birth_number" | "foreign_document" | "education_id" => {
            "national ids go to userIds only in records a policy released"
        }
        "birth_country" => "countryOfBirthCode takes a two-letter ISO 3166 code, not a name",
        "sex" | "birth_date" => "not in the form OneRoster takes (female or male, a full date)",
        "enrolment.admission_date" | "enrolment.leaving_date" => {
            "a date goes to enrollments.csv, and the pupil has no class (or it is not a full date)"
        }
        "guardians.relation" => "OneRoster keeps only the role (parent or guardian)",
        _ => "OneRoster has no home for them",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_namespace_and_ids_are_fixed() {
        assert_eq!(namespace().to_string(), NAMESPACE_TEXT);
        let a = sourced_id("student", "P1");
        assert_eq!(a, sourced_id("student", "P1"));
        assert_ne!(a, sourced_id("guardian", "P1"));
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }

    const NAMESPACE_TEXT: &str = "24fe5023-609d-5720-a77a-d913b1215a93";

    #[test]
    fn guardians_are_users_by_place_and_what_has_no_column_is_counted_alike_when_released() {
        use crate::model::released::ReleasedPupil;
        use crate::model::{Address, Guardian, Pupil};
        let pupil = Pupil {
            id: "P1".into(),
            pesel: Some("14231501234".into()),
            guardians: vec![
                Guardian::default(),
                Guardian {
                    email: Some("ewa@example.pl".into()),
                    relation: Some("matka".into()),
                    address: Some(Address { town: Some("Łódź".into()), ..Address::default() }),
                    ..Guardian::default()
                },
            ],
            ..Pupil::default()
        };
        let released = ReleasedPupil::of(&pupil).unwrap();
        let run = |outgoing: Outgoing<'_>| {
            let dir = tempfile::tempdir().unwrap();
            let today = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
            let mut writer =
                OneRosterWriter::create_in(&Store::plain(), dir.path(), today).unwrap();
            writer.write(outgoing).unwrap();
            writer.finish().unwrap();
            let counts = writer.not_written().lock().unwrap().clone();
            (std::fs::read_to_string(dir.path().join("users.csv")).unwrap(), counts)
        };
        let (users, counts) = run(Outgoing::Pupil(&pupil));
        let rows: Vec<&str> = users.lines().skip(1).collect();
        assert_eq!(rows.len(), 3, "the pupil and both guardians: {users}");
        assert!(rows[1].starts_with(&sourced_id("guardian", "P1\0#0")), "{users}");
        assert!(rows[2].contains(",ewa@example.pl,"), "{users}");
        let expected: BTreeMap<String, u64> =
            [("guardians.address", 1), ("guardians.relation", 1), ("pesel", 1)]
                .map(|(k, n)| (k.to_string(), n))
                .into();
        assert_eq!(counts, expected);
        let (released_users, released_counts) = run(Outgoing::Released(&released));
        assert!(released_users.contains("{PESEL:14231501234}"), "released: ids are written");
        assert_eq!(released_counts.get("pesel"), None);
        assert_eq!(released_counts.get("guardians.address"), Some(&1));
    }

    #[test]
    fn levels_become_ceds_grades_and_years_start_in_september() {
        assert_eq!(grade_code("3"), "03");
        assert_eq!(grade_code("0"), "KG");
        assert_eq!(grade_code("IV"), "Other");
        let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        assert_eq!(school_year_start(day(8, 31)), 2024);
        assert_eq!(school_year_start(day(9, 1)), 2025);
        assert_eq!(guardian_role(Some("Opiekun prawny")), "guardian");
        assert_eq!(guardian_role(Some("matka")), "parent");
    }
}
