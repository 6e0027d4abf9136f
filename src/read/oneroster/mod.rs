//! OneRoster 1.2 CSV input: a folder holding `manifest.csv` and the binding's tables, read
//! back into pupils with their demographics, class and guardians.
//!
//! The small tables (`orgs`, `academicSessions`, `courses`, `classes`) and the per-user link
//! tables (`roles`, `enrollments`, `demographics`, and the guardians' rows of `users.csv`) are
//! indexed first; then `users.csv` is streamed and each student becomes one [`Record`]
//! holding its own row and the rows joined to it. Memory grows with the link tables, whose
//! rows keep their text for the rejects (measured: 50,000 pupils, 237,522 rows, in 327 MB,
//! about 5 KB a pupil); a student row is never held past its record. This reader is not
//! bounded in the number of pupils as the CSV, XML and JSON Lines readers are.
//!
//! Referential checks: an enrollment, role or demographics row naming a user that is not in
//! `users.csv`, a guardian no student names, is a record of its own, rejected as an orphan; a
//! student whose enrollment names an unknown class, whose class names an unknown course,
//! school or term, or whose `agentSourcedIds` name an unknown user is rejected with the
//! reason. Every message names the file, line and column, never a value.
//!
//! What the model cannot hold is not taken silently: a second class per pupil (OneRoster
//! enrols pupils in every subject's class; the model keeps one class) is a warning on the
//! record; a sex other than female or male rejects the record.

pub mod spec;

use self::spec::{NO_SCHOOL, USER_ID_TYPES};
use super::{Limits, ReadOptions, Records};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::model::record::{Part, Record, Rule, Severity};
use crate::model::{Enrolment, Entity, Guardian, Sex};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

/// Opens a table of the folder by file stem (`users`); `None` when the file is not there.
pub type Opener = Arc<dyn Fn(&str) -> io::Result<Option<Box<dyn Read + Send>>> + Send + Sync>;

/// Whether `path` is a OneRoster folder (holds `manifest.csv`) or that manifest itself.
pub fn is_oneroster(path: &Path) -> bool {
    path.join("manifest.csv").is_file()
        || path.file_name().is_some_and(|n| n == "manifest.csv") && path.is_file()
}

/// Open the OneRoster folder at `path` (or the folder of the `manifest.csv` at `path`).
pub fn open(path: &Path, options: &ReadOptions) -> Result<Records> {
    let dir = if path.is_file() { path.parent().unwrap_or(Path::new(".")) } else { path };
    let dir = dir.to_path_buf();
    let name = dir.display().to_string();
    let opener: Opener = Arc::new(move |stem: &str| {
        let file = dir.join(format!("{stem}.csv"));
        match std::fs::File::open(&file) {
            Ok(f) => Ok(Some(Box::new(io::BufReader::new(f)) as Box<dyn Read + Send>)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    });
    Ok(Box::new(OneRosterReader::new(&name, opener, options.limits)?))
}

/// One data row of a table: its cells by column and where it is.
struct Row {
    cells: Vec<String>,
    location: Location,
}

/// A table being read: its columns by name, and the rows.
struct Table {
    name: Arc<str>,
    columns: HashMap<String, usize>,
    width: usize,
    reader: csv::Reader<Box<dyn Read + Send>>,
    raw: csv::ByteRecord,
    limits: Limits,
    /// Whether rows end in CRLF: the CSV reader then reports each row from the `\n` that
    /// ended the previous one, a line and a byte early.
    crlf: bool,
}

impl Table {
    /// Open `stem`.csv, checking its header has every column of `required`.
    fn open(
        folder: &str,
        opener: &Opener,
        stem: &str,
        required: &[&str],
        limits: Limits,
    ) -> Result<Option<Table>> {
        let name: Arc<str> = format!("{folder}/{stem}.csv").into();
        let Some(input) = opener(stem).map_err(|e| Error::io(&*name, e))? else {
            return Ok(None);
        };
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        let mut raw = csv::ByteRecord::new();
        let start = Location::start_of(Arc::clone(&name));
        if !reader.read_byte_record(&mut raw).map_err(|e| csv_error(&start, e))? {
            return Err(Error::syntax(start, "the file is empty: it needs its header row"));
        }
        let mut columns = HashMap::new();
        for (i, field) in raw.iter().enumerate() {
            let field = field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field);
            let text = std::str::from_utf8(field).map_err(|_| encoding(&start))?;
            columns.entry(text.trim().to_string()).or_insert(i);
        }
        if let Some(missing) = required.iter().find(|c| !columns.contains_key(**c)) {
            return Err(Error::syntax(
                start,
                format!("the header has no `{missing}` column, which the OneRoster 1.2 table has"),
            ));
        }
        let width = raw.len();
        // After a header ending in LF the reader stands on line 2; after CRLF, still on 1.
        let crlf = reader.position().line() == 1 && reader.position().byte() > 0;
        Ok(Some(Table { name, columns, width, reader, raw, limits, crlf }))
    }

    /// The next data row, or `None` at the end.
    fn next(&mut self) -> Result<Option<Row>> {
        let here = Location::start_of(Arc::clone(&self.name));
        if !self.reader.read_byte_record(&mut self.raw).map_err(|e| csv_error(&here, e))? {
            return Ok(None);
        }
        let position = self.raw.position().cloned().unwrap_or_else(csv::Position::new);
        let skew = u64::from(self.crlf);
        let location = Location {
            source: Arc::clone(&self.name),
            record: position.record().saturating_sub(1),
            line: position.line() + skew,
            byte: position.byte() + skew,
            sheet: None,
        };
        if self.raw.as_slice().len() > self.limits.max_record_bytes {
            let hint = "raise it with --max-record-bytes if the row is genuine";
            return Err(Error::limit(
                location,
                "row size",
                self.limits.max_record_bytes as u64,
                hint,
            ));
        }
        if let Some(long) = self.raw.iter().find(|f| f.len() > self.limits.max_field_bytes) {
            let hint = "raise it with --max-field-bytes if the value is genuine";
            let what = format!("a cell of {} bytes", long.len());
            return Err(Error::limit(location, &what, self.limits.max_field_bytes as u64, hint));
        }
        let mut cells = Vec::with_capacity(self.raw.len());
        for field in self.raw.iter() {
            cells.push(std::str::from_utf8(field).map_err(|_| encoding(&location))?.to_string());
        }
        Ok(Some(Row { cells, location }))
    }

    /// The cell of `column` in `row` (empty when the row is short).
    fn cell<'r>(&self, row: &'r Row, column: &str) -> &'r str {
        self.columns.get(column).and_then(|&i| row.cells.get(i)).map_or("", String::as_str)
    }

    /// `column N `name``, for messages.
    fn column(&self, name: &str) -> String {
        match self.columns.get(name) {
            Some(i) => format!("column {} `{name}`", i + 1),
            None => format!("column `{name}`"),
        }
    }

    /// The row as CSV text, for the rejects.
    fn original(row: &Row) -> String {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = out.write_record(&row.cells);
        let bytes = out.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string()
    }

    fn part(&self, row: &Row, entity: Entity) -> Part {
        Part { entity, location: row.location.clone(), original: Table::original(row) }
    }
}

fn encoding(location: &Location) -> Error {
    Error::from(ErrorKind::Encoding { location: location.clone(), encoding: "UTF-8" })
}

fn csv_error(at: &Location, e: csv::Error) -> Error {
    let mut location = at.clone();
    if let Some(position) = e.position() {
        location.line = position.line();
        location.byte = position.byte();
        location.record = position.record().saturating_sub(1);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(&*location.source, e),
        csv::ErrorKind::Utf8 { .. } => encoding(&location),
        _ => Error::syntax(location, "the CSV cannot be split into rows"),
    }
}

/// A class as `classes.csv` gives it.
struct Class {
    code: String,
    course: String,
    school: String,
    terms: String,
    location: Location,
}

/// Reject `record` for a link its class row makes to nothing, at the class row.
fn dangling_class_link(record: &mut Record, class: &Class, message: String) {
    record.report_at(class.location.clone(), "enrolment", Rule::Orphan, Severity::Error, message);
}

/// A user row joined to a student: a guardian, an enrollment or a demographics row.
struct Joined<T> {
    value: T,
    part: Part,
    used: bool,
}

/// An enrollment row.
struct Enrollment {
    class: String,
    school: String,
    begin: String,
    end: String,
}

/// A demographics row.
struct Demographics {
    birth: String,
    sex: String,
    country: String,
    city: String,
}

/// Everything looked up while the students stream.
#[derive(Default)]
struct Index {
    orgs: HashMap<String, (String, String)>,
    sessions: HashSet<String>,
    courses: HashMap<String, String>,
    classes: HashMap<String, Class>,
    /// Users of `users.csv` by `sourcedId`, with their primary role.
    roles: HashMap<String, (String, Part)>,
    users: HashSet<String>,
    guardians: HashMap<String, Joined<Guardian>>,
    enrollments: HashMap<String, Vec<Joined<Enrollment>>>,
    demographics: HashMap<String, Joined<Demographics>>,
    /// Column names of the tables, for messages.
    columns: HashMap<&'static str, HashMap<String, usize>>,
    folder: String,
}

/// Reads a OneRoster 1.2 CSV folder (`manifest.csv` and the binding's tables) back into pupils
/// with their demographics, class and guardians. A row that refers to what is not there is
/// rejected with the reason, named by file, line and column, never by a value.
pub struct OneRosterReader {
    index: Index,
    users: Option<Table>,
    tail: VecDeque<Record>,
    tail_built: bool,
    done: bool,
}

impl OneRosterReader {
    /// Read the folder named `folder` whose tables `opener` opens: the manifest and the
    /// link tables now, the students as the iterator is driven.
    pub fn new(folder: &str, opener: Opener, limits: Limits) -> Result<OneRosterReader> {
        check_manifest(folder, &opener, limits)?;
        let mut index = Index { folder: folder.to_string(), ..Index::default() };
        index.read_small_tables(&opener, limits)?;
        index.read_links(&opener, limits)?;
        index.read_guardians(&opener, limits)?;
        let users = Table::open(
            folder,
            &opener,
            "users",
            &["sourcedId", "givenName", "familyName"],
            limits,
        )?;
        let Some(users) = users else {
            let name = format!("{folder}/users.csv");
            return Err(Error::input(
                name,
                "the OneRoster folder has no users.csv: nothing to read",
            ));
        };
        Ok(OneRosterReader {
            index,
            users: Some(users),
            tail: VecDeque::new(),
            tail_built: false,
            done: false,
        })
    }

    fn step(&mut self) -> Result<Option<Record>> {
        while let Some(users) = self.users.as_mut() {
            let Some(row) = users.next()? else {
                self.users = None;
                break;
            };
            let id = users.cell(&row, "sourcedId").to_string();
            let role = self.index.roles.get(&id).map(|(r, _)| r.as_str());
            if matches!(role, Some("parent" | "guardian" | "relative")) {
                continue;
            }
            if role.is_some_and(|r| r != "student") {
                // Staff are no pupils: the row is rejected with its reason, not dropped.
                let message = "a user whose role in roles.csv is not student, parent, guardian \
                               or relative (staff): teczka holds pupils and their guardians";
                let part = users.part(&row, Entity::Pupil);
                let mut record = Record { parts: vec![part], ..Record::default() };
                record.report("id", Rule::UnknownField, Severity::Error, message);
                return Ok(Some(record));
            }
            let users = self.users.as_ref().ok_or_else(|| Error::input("users.csv", "closed"))?;
            return Ok(Some(self.index.student(users, &row, &id)));
        }
        if !self.tail_built {
            self.tail_built = true;
            self.tail = self.index.orphans().into();
        }
        Ok(self.tail.pop_front())
    }
}

impl Iterator for OneRosterReader {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        let step = self.step();
        super::fused(&mut self.done, step)
    }
}

/// `manifest.csv` must say OneRoster 1.2 and have `users` present.
fn check_manifest(folder: &str, opener: &Opener, limits: Limits) -> Result<()> {
    let Some(mut manifest) =
        Table::open(folder, opener, "manifest", &["propertyName", "value"], limits)?
    else {
        let name = format!("{folder}/manifest.csv");
        return Err(Error::input(name, "a OneRoster folder needs its manifest.csv"));
    };
    let mut version = None;
    let mut users = None;
    while let Some(row) = manifest.next()? {
        match manifest.cell(&row, "propertyName") {
            "oneroster.version" => {
                version = Some((manifest.cell(&row, "value").to_string(), row.location))
            }
            "file.users" => users = Some((manifest.cell(&row, "value").to_string(), row.location)),
            _ => {}
        }
    }
    let start = Location::start_of(Arc::clone(&manifest.name));
    match version {
        Some((v, _)) if v == "1.2" => {}
        Some((_, at)) => {
            return Err(Error::syntax(
                at,
                "`oneroster.version` is not 1.2: teczka reads the OneRoster 1.2 CSV binding",
            ))
        }
        None => {
            return Err(Error::syntax(
                start,
                "no `oneroster.version` property: is this a OneRoster 1.2 manifest?",
            ))
        }
    }
    match users {
        Some((mode, _)) if mode == "bulk" => Ok(()),
        Some((_, at)) => Err(Error::syntax(
            at,
            "`file.users` is not `bulk`: teczka reads bulk exports (a delta holds only changes)",
        )),
        None => {
            Err(Error::syntax(start, "no `file.users` property: the manifest must list users.csv"))
        }
    }
}

impl Index {
    fn read_small_tables(&mut self, opener: &Opener, limits: Limits) -> Result<()> {
        let folder = self.folder.clone();
        if let Some(mut t) = Table::open(&folder, opener, "orgs", &["sourcedId", "name"], limits)? {
            while let Some(row) = t.next()? {
                let value =
                    (t.cell(&row, "name").to_string(), t.cell(&row, "identifier").to_string());
                self.orgs.insert(t.cell(&row, "sourcedId").to_string(), value);
            }
        }
        if let Some(mut t) =
            Table::open(&folder, opener, "academicSessions", &["sourcedId"], limits)?
        {
            while let Some(row) = t.next()? {
                self.sessions.insert(t.cell(&row, "sourcedId").to_string());
            }
        }
        if let Some(mut t) = Table::open(&folder, opener, "courses", &["sourcedId"], limits)? {
            while let Some(row) = t.next()? {
                self.courses.insert(
                    t.cell(&row, "sourcedId").to_string(),
                    t.cell(&row, "courseCode").to_string(),
                );
            }
        }
        let required = ["sourcedId", "courseSourcedId", "schoolSourcedId"];
        if let Some(mut t) = Table::open(&folder, opener, "classes", &required, limits)? {
            while let Some(row) = t.next()? {
                let class = Class {
                    code: t.cell(&row, "classCode").to_string(),
                    course: t.cell(&row, "courseSourcedId").to_string(),
                    school: t.cell(&row, "schoolSourcedId").to_string(),
                    terms: t.cell(&row, "termSourcedIds").to_string(),
                    location: row.location.clone(),
                };
                self.classes.insert(t.cell(&row, "sourcedId").to_string(), class);
            }
            self.columns.insert("classes", t.columns.clone());
        }
        Ok(())
    }

    /// Roles, enrollments and demographics, by user.
    fn read_links(&mut self, opener: &Opener, limits: Limits) -> Result<()> {
        let folder = self.folder.clone();
        if let Some(mut t) =
            Table::open(&folder, opener, "roles", &["userSourcedId", "role"], limits)?
        {
            while let Some(row) = t.next()? {
                let primary = matches!(t.cell(&row, "roleType"), "primary" | "");
                let user = t.cell(&row, "userSourcedId").to_string();
                if primary || !self.roles.contains_key(&user) {
                    let part = t.part(&row, Entity::Pupil);
                    self.roles.insert(user, (t.cell(&row, "role").to_string(), part));
                }
            }
        }
        let required = ["userSourcedId", "classSourcedId"];
        if let Some(mut t) = Table::open(&folder, opener, "enrollments", &required, limits)? {
            while let Some(row) = t.next()? {
                let value = Enrollment {
                    class: t.cell(&row, "classSourcedId").to_string(),
                    school: t.cell(&row, "schoolSourcedId").to_string(),
                    begin: t.cell(&row, "beginDate").to_string(),
                    end: t.cell(&row, "endDate").to_string(),
                };
                let joined = Joined { value, part: t.part(&row, Entity::Pupil), used: false };
                self.enrollments
                    .entry(t.cell(&row, "userSourcedId").to_string())
                    .or_default()
                    .push(joined);
            }
            self.columns.insert("enrollments", t.columns.clone());
        }
        if let Some(mut t) = Table::open(&folder, opener, "demographics", &["sourcedId"], limits)? {
            while let Some(row) = t.next()? {
                let value = Demographics {
                    birth: t.cell(&row, "birthDate").to_string(),
                    sex: t.cell(&row, "sex").to_string(),
                    country: t.cell(&row, "countryOfBirthCode").to_string(),
                    city: t.cell(&row, "cityOfBirth").to_string(),
                };
                let joined = Joined { value, part: t.part(&row, Entity::Pupil), used: false };
                self.demographics.insert(t.cell(&row, "sourcedId").to_string(), joined);
            }
            self.columns.insert("demographics", t.columns.clone());
        }
        Ok(())
    }

    /// The first pass over `users.csv`: every user's id, and the guardians' rows.
    fn read_guardians(&mut self, opener: &Opener, limits: Limits) -> Result<()> {
        let folder = self.folder.clone();
        let Some(mut t) = Table::open(&folder, opener, "users", &["sourcedId"], limits)? else {
            return Ok(());
        };
        while let Some(row) = t.next()? {
            let id = t.cell(&row, "sourcedId").to_string();
            self.users.insert(id.clone());
            let role = self.roles.get(&id).map(|(r, _)| r.clone());
            let Some(role @ ("parent" | "guardian" | "relative")) = role.as_deref() else {
                continue;
            };
            let non_empty = |c: &str| Some(t.cell(&row, c).to_string()).filter(|v| !v.is_empty());
            let value = Guardian {
                id: non_empty("identifier"),
                relation: Some(role.to_string()),
                surname: non_empty("familyName"),
                first_name: non_empty("givenName"),
                phone: non_empty("phone"),
                email: non_empty("email"),
                ..Guardian::default()
            };
            self.guardians
                .insert(id, Joined { value, part: t.part(&row, Entity::Guardian), used: false });
        }
        self.columns.insert("users", t.columns.clone());
        Ok(())
    }

    /// `column N `name`` of `table`, for messages.
    fn column(&self, table: &str, name: &str) -> String {
        match self.columns.get(table).and_then(|c| c.get(name)) {
            Some(i) => format!("column {} `{name}`", i + 1),
            None => format!("column `{name}`"),
        }
    }

    /// A student row with everything joined to it.
    fn student(&mut self, users: &Table, row: &Row, id: &str) -> Record {
        let mut record =
            Record { parts: vec![users.part(row, Entity::Pupil)], ..Record::default() };
        if row.cells.len() != users.width {
            record.pupil.id = id.to_string();
            let message =
                format!("the row has {} cells, the header {}", row.cells.len(), users.width);
            record.report("id", Rule::RaggedRow, Severity::Error, message);
            return record;
        }
        let text = |c: &str| Some(users.cell(row, c).to_string()).filter(|v| !v.is_empty());
        let pupil = &mut record.pupil;
        pupil.id = text("identifier").unwrap_or_else(|| id.to_string());
        pupil.first_name = text("givenName");
        pupil.surname = text("familyName");
        pupil.second_name = text("middleName");
        pupil.education_id = text("userMasterIdentifier");
        let user_ids = users.cell(row, "userIds").to_string();
        self.user_ids(&mut record, users, row, &user_ids);
        if !self.roles.contains_key(id) {
            let message =
                format!("{}: the user has no role in roles.csv", users.column("sourcedId"));
            record.report("id", Rule::Orphan, Severity::Warning, message);
        }
        let agents = users.cell(row, "agentSourcedIds").to_string();
        self.guardians_of(&mut record, users, row, &agents);
        self.demographics_of(&mut record, id);
        self.enrolment_of(&mut record, id);
        if record.pupil.enrolment.is_none() {
            let org = users.cell(row, "primaryOrgSourcedId").to_string();
            if !org.is_empty() {
                let mut enrolment = Enrolment::default();
                self.school(
                    &mut record,
                    &mut enrolment,
                    &org,
                    &row.location,
                    &users.column("primaryOrgSourcedId"),
                );
                record.pupil.enrolment = Some(enrolment).filter(|e| *e != Enrolment::default());
            }
        }
        record
    }

    /// `{PESEL:…},{rodneCislo:…}` into the national ids.
    fn user_ids(&self, record: &mut Record, users: &Table, row: &Row, cell: &str) {
        // Space between entries is allowed; a value inside the braces is taken as it is.
        for entry in cell.split(',').filter(|e| !e.trim().is_empty()) {
            let inner =
                entry.trim_start().strip_prefix('{').and_then(|e| e.trim_end().strip_suffix('}'));
            let Some((label, value)) = inner.and_then(|e| e.split_once(':')) else {
                let message =
                    format!("{}: an entry is not `{{type:identifier}}`", users.column("userIds"));
                record.report_at(row.location.clone(), "id", Rule::Type, Severity::Error, message);
                continue;
            };
            let field = USER_ID_TYPES.iter().find(|(_, l)| *l == label.trim()).map(|(f, _)| *f);
            let value = Some(value.to_string());
            match field {
                Some("pesel") => record.pupil.pesel = value,
                Some("birth_number") => record.pupil.birth_number = value,
                Some("foreign_document") => record.pupil.foreign_document = value,
                _ => {
                    let message = format!(
                        "{}: an identifier of a type the model has no field for (it holds PESEL, \
                         rodneCislo, foreignDocument)",
                        users.column("userIds")
                    );
                    record.report_at(
                        row.location.clone(),
                        "id",
                        Rule::UnknownField,
                        Severity::Error,
                        message,
                    );
                }
            }
        }
    }

    fn guardians_of(&mut self, record: &mut Record, users: &Table, row: &Row, agents: &str) {
        for agent in agents.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            match self.guardians.get_mut(agent) {
                Some(joined) => {
                    record.pupil.guardians.push(joined.value.clone());
                    if !joined.used {
                        joined.used = true;
                        record.parts.push(joined.part.clone());
                    }
                }
                None => {
                    let what = if self.users.contains(agent) {
                        "a user who is not a parent or guardian"
                    } else {
                        "a user not in users.csv"
                    };
                    let message = format!("{}: names {what}", users.column("agentSourcedIds"));
                    record.report_at(
                        row.location.clone(),
                        "guardians",
                        Rule::Orphan,
                        Severity::Error,
                        message,
                    );
                }
            }
        }
    }

    fn demographics_of(&mut self, record: &mut Record, id: &str) {
        let column = |c| self.column("demographics", c);
        let (birth_col, sex_col) = (column("birthDate"), column("sex"));
        let Some(joined) = self.demographics.get_mut(id) else { return };
        joined.used = true;
        record.parts.push(joined.part.clone());
        let at = joined.part.location.clone();
        let d = &joined.value;
        if !d.birth.is_empty() {
            match NaiveDate::parse_from_str(&d.birth, "%Y-%m-%d") {
                Ok(date) => record.pupil.birth_date = Some(date),
                Err(_) => record.report_at(
                    at.clone(),
                    "birth_date",
                    Rule::Type,
                    Severity::Error,
                    format!("{birth_col}: not a date (YYYY-MM-DD)"),
                ),
            }
        }
        match d.sex.as_str() {
            "female" => record.pupil.sex = Some(Sex::Female),
            "male" => record.pupil.sex = Some(Sex::Male),
            "" | "unspecified" => {}
            _ => record.report_at(
                at,
                "sex",
                Rule::Type,
                Severity::Error,
                format!(
                    "{sex_col}: a value the model has no counterpart for (it holds female, male)"
                ),
            ),
        }
        record.pupil.birth_place = Some(d.city.clone()).filter(|c| !c.is_empty());
        record.pupil.birth_country = Some(d.country.clone()).filter(|c| !c.is_empty());
    }

    /// The pupil's class, course and school from their enrollments.
    fn enrolment_of(&mut self, record: &mut Record, id: &str) {
        let Some(list) = self.enrollments.get_mut(id) else { return };
        let mut chosen: Option<(Enrollment, Location)> = None;
        for joined in list.iter_mut() {
            joined.used = true;
            record.parts.push(joined.part.clone());
            let e = &joined.value;
            let copy = Enrollment {
                class: e.class.clone(),
                school: e.school.clone(),
                begin: e.begin.clone(),
                end: e.end.clone(),
            };
            if chosen.is_none() {
                chosen = Some((copy, joined.part.location.clone()));
            } else {
                let message = "a further class for this pupil: the model holds one class, this enrollment is not carried over";
                record.report_at(
                    joined.part.location.clone(),
                    "enrolment",
                    Rule::UnknownField,
                    Severity::Warning,
                    message,
                );
            }
        }
        let Some((e, at)) = chosen else { return };
        let mut enrolment = Enrolment::default();
        let date =
            |text: &str, field: &str, column: String, record: &mut Record| -> Option<NaiveDate> {
                if text.is_empty() {
                    return None;
                }
                let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
                if parsed.is_none() {
                    record.report_at(
                        at.clone(),
                        field,
                        Rule::Type,
                        Severity::Error,
                        format!("enrollments.csv {column}: not a date (YYYY-MM-DD)"),
                    );
                }
                parsed
            };
        enrolment.admission_date = date(
            &e.begin,
            "enrolment.admission_date",
            self.column("enrollments", "beginDate"),
            record,
        );
        enrolment.leaving_date =
            date(&e.end, "enrolment.leaving_date", self.column("enrollments", "endDate"), record);
        self.class_of(record, &mut enrolment, &e, &at);
        record.pupil.enrolment = Some(enrolment);
    }

    fn class_of(
        &self,
        record: &mut Record,
        enrolment: &mut Enrolment,
        e: &Enrollment,
        at: &Location,
    ) {
        let Some(class) = self.classes.get(&e.class) else {
            let message = format!(
                "enrollments.csv {}: names a class not in classes.csv",
                self.column("enrollments", "classSourcedId")
            );
            record.report_at(at.clone(), "enrolment", Rule::Orphan, Severity::Error, message);
            return;
        };
        enrolment.class_symbol = Some(class.code.clone()).filter(|c| !c.is_empty());
        match self.courses.get(&class.course) {
            Some(code) => enrolment.class_level = Some(code.clone()).filter(|c| !c.is_empty()),
            None => {
                let column = self.column("classes", "courseSourcedId");
                let message = format!("classes.csv {column}: names a course not in courses.csv");
                dangling_class_link(record, class, message);
            }
        }
        for term in class.terms.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !self.sessions.contains(term) {
                let column = self.column("classes", "termSourcedIds");
                let message =
                    format!("classes.csv {column}: names a session not in academicSessions.csv");
                dangling_class_link(record, class, message);
            }
        }
        let school = if e.school.is_empty() { &class.school } else { &e.school };
        let column = self.column("enrollments", "schoolSourcedId");
        self.school(record, enrolment, school, at, &format!("enrollments.csv {column}"));
    }

    /// The school's name and id from `orgs.csv`.
    fn school(
        &self,
        record: &mut Record,
        enrolment: &mut Enrolment,
        org: &str,
        at: &Location,
        column: &str,
    ) {
        let Some((name, identifier)) = self.orgs.get(org) else {
            let message = format!("{column}: names an org not in orgs.csv");
            record.report_at(at.clone(), "enrolment", Rule::Orphan, Severity::Error, message);
            return;
        };
        let no_school =
            name == NO_SCHOOL && identifier.is_empty() && org == spec::sourced_id("org", "");
        if no_school {
            return;
        }
        enrolment.school_id = Some(identifier.clone()).filter(|i| !i.is_empty());
        // teczka writes the id as the name when the records name no school.
        enrolment.school_name =
            Some(name.clone()).filter(|n| !n.is_empty() && Some(n) != enrolment.school_id.as_ref());
    }

    /// Rows no student took: each a record of its own, rejected as an orphan.
    fn orphans(&mut self) -> Vec<Record> {
        let mut out = Vec::new();
        let mut orphan = |part: Part, message: String| {
            let mut record = Record { parts: vec![part], ..Record::default() };
            record.report("id", Rule::Orphan, Severity::Error, message);
            out.push(record);
        };
        let mut guardians: Vec<_> =
            self.guardians.values().filter(|g| !g.used).map(|g| g.part.clone()).collect();
        guardians.sort_by(|a, b| a.location.cmp(&b.location));
        for part in guardians {
            orphan(part, "a parent or guardian no student names in `agentSourcedIds`".into());
        }
        let mut rows: Vec<(Part, String)> = Vec::new();
        for (user, list) in &self.enrollments {
            for joined in list.iter().filter(|j| !j.used) {
                rows.push((
                    joined.part.clone(),
                    self.unknown_user(user, "enrollments", "userSourcedId"),
                ));
            }
        }
        for (user, joined) in self.demographics.iter().filter(|(_, j)| !j.used) {
            rows.push((joined.part.clone(), self.unknown_user(user, "demographics", "sourcedId")));
        }
        rows.sort_by(|a, b| a.0.location.cmp(&b.0.location));
        for (part, message) in rows {
            orphan(part, message);
        }
        out
    }

    fn unknown_user(&self, user: &str, table: &str, column: &str) -> String {
        let what = if self.users.contains(user) {
            "a user who is not a student"
        } else {
            "a user not in users.csv"
        };
        format!("{}: names {what}", self.column(table, column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opener(files: &'static [(&'static str, &'static str)]) -> Opener {
        Arc::new(move |stem: &str| {
            let file = files.iter().find(|(name, _)| *name == stem);
            Ok(file.map(|(_, text)| {
                Box::new(io::Cursor::new(text.as_bytes())) as Box<dyn Read + Send>
            }))
        })
    }

    #[test]
    fn rows_are_placed_by_line_and_byte_with_lf_and_crlf() {
        for (text, second) in [("a,b\n1,2\n3,4\n", (3, 8)), ("a,b\r\n1,2\r\n3,4\r\n", (3, 10))] {
            let files: &'static [(&str, &str)] = Box::leak(Box::new([("x", text)]));
            let mut t =
                Table::open("f", &opener(files), "x", &["a"], Limits::default()).unwrap().unwrap();
            let first = t.next().unwrap().unwrap().location;
            assert_eq!((first.record, first.line), (0, 2), "{text:?}");
            let next = t.next().unwrap().unwrap().location;
            assert_eq!((next.line, next.byte), second, "{text:?}");
            assert!(t.next().unwrap().is_none());
        }
    }

    const MANIFEST: &str = "propertyName,value\noneroster.version,1.2\nfile.users,bulk\n";
    const USERS: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,\
                         familyName,middleName,identifier,email,sms,phone,agentSourcedIds\n";

    /// The records of an in-memory folder, or the error that stopped it.
    fn read(files: &'static [(&'static str, &'static str)]) -> Result<Vec<Record>> {
        OneRosterReader::new("or", opener(files), Limits::default())?.collect()
    }

    macro_rules! refused {
        ($name:ident, $files:expr, $message:expr) => {
            #[test]
            fn $name() {
                let error = read($files).err().expect("refused").to_string();
                assert!(error.contains($message), "{error}");
            }
        };
    }

    refused!(no_manifest, &[("users", USERS)], "or/manifest.csv: a OneRoster folder needs");
    refused!(
        version_1_1,
        &[("manifest", "propertyName,value\noneroster.version,1.1\n"), ("users", USERS)],
        "or/manifest.csv: record 1 (line 2, byte 19): `oneroster.version` is not 1.2"
    );
    refused!(
        delta,
        &[("manifest", "propertyName,value\noneroster.version,1.2\nfile.users,delta\n")],
        "`file.users` is not `bulk`"
    );
    refused!(no_users, &[("manifest", MANIFEST)], "or/users.csv: the OneRoster folder has no");
    refused!(
        header_without_a_column,
        &[("manifest", MANIFEST), ("users", "sourcedId,givenName\n")],
        "or/users.csv: record 1 (line 1, byte 0): the header has no `familyName` column"
    );
    fn problems(record: &Record) -> Vec<String> {
        record
            .problems
            .iter()
            .map(|v| format!("{}: {}: {}", v.location.line, v.rule.code(), v.message))
            .collect()
    }

    #[test]
    fn a_student_gets_ids_demographics_class_and_guardian_and_strays_are_orphans() {
        let roles =
            "sourcedId,userSourcedId,roleType,role\nr1,s1,primary,student\nr2,g1,primary,parent\n\
                     r3,g2,primary,guardian\n";
        let files: &'static [(&str, &str)] = Box::leak(Box::new([
            ("manifest", MANIFEST),
            ("users", Box::leak(format!("{USERS}s1,,,true,P1,\"{{PESEL:05210112345}}, {{x:1}}\",Anna,Nowak,,P1,,,,g1\n\
                                  g1,,,true,m,,Ewa,Nowak,,,,,,s1\ng2,,,true,m,,Jan,Lis,,,,,,\ns2,,,true\n").into_boxed_str())),
            ("roles", roles),
            ("demographics", "sourcedId,birthDate,sex\ns1,2015-02-30,other\nzz,2015-01-01,male\n"),
            ("enrollments", "sourcedId,classSourcedId,schoolSourcedId,userSourcedId\ne1,c1,,s1\ne2,c9,,s1\n"),
            ("classes", "sourcedId,courseSourcedId,schoolSourcedId,classCode\nc1,k1,o1,b\n"),
            ("courses", "sourcedId,courseCode\nk1,3\n"),
            ("orgs", "sourcedId,name,identifier\no1,SP 1,123\n"),
        ]));
        let records = read(files).unwrap();
        let pupil = &records[0].pupil;
        assert_eq!(pupil.pesel.as_deref(), Some("05210112345"));
        assert_eq!(pupil.guardians[0].relation.as_deref(), Some("parent"));
        let enrolment = pupil.enrolment.as_ref().unwrap();
        assert_eq!(
            (enrolment.class_level.as_deref(), enrolment.class_symbol.as_deref()),
            (Some("3"), Some("b"))
        );
        assert_eq!(enrolment.school_name.as_deref(), Some("SP 1"));
        assert_eq!(
            problems(&records[0]),
            [
                "2: unknown-field: column 6 `userIds`: an identifier of a type the model has no field for (it holds PESEL, rodneCislo, foreignDocument)",
                "2: type: column 2 `birthDate`: not a date (YYYY-MM-DD)",
                "2: type: column 3 `sex`: a value the model has no counterpart for (it holds female, male)",
                "3: unknown-field: a further class for this pupil: the model holds one class, this enrollment is not carried over",
            ]
        );
        assert_eq!(
            records[0].input_count(),
            5,
            "the user, guardian, demographics and both enrollment rows"
        );
        assert_eq!(problems(&records[1]), ["5: ragged-row: the row has 4 cells, the header 14"]);
        assert_eq!(
            problems(&records[2]),
            ["4: orphan: a parent or guardian no student names in `agentSourcedIds`"]
        );
        assert_eq!(
            problems(&records[3]),
            ["3: orphan: column 1 `sourcedId`: names a user not in users.csv"]
        );
        assert_eq!(records.len(), 4);
    }

    #[test]
    fn staff_are_rejected_with_the_reason_and_long_cells_stop_the_run() {
        let files: &'static [(&str, &str)] = &[
            ("manifest", MANIFEST),
            ("users", "sourcedId,givenName,familyName\nt1,Ola,Lis\n"),
            ("roles", "sourcedId,userSourcedId,role\nr1,t1,teacher\n"),
        ];
        let records = read(files).unwrap();
        assert!(records[0].is_rejected(), "{:?}", records[0].problems);
        assert!(records[0].problems[0].message.contains("(staff)"));
        let opener = opener(&[
            ("manifest", MANIFEST),
            ("users", "sourcedId,givenName,familyName\nt1,Olaaaaaaaaaaaaaaaaaaaaaa,Lis\n"),
        ]);
        let limits = Limits { max_field_bytes: 20, ..Limits::default() };
        let error = OneRosterReader::new("or", opener, limits).err().unwrap().to_string();
        assert!(
            error.contains("or/users.csv: record 1 (line 2, byte 31): a cell of 24 bytes exceeds"),
            "{error}"
        );
    }
}
