//! The OneRoster 1.2 CSV binding as teczka reads and writes it: the tables' headers, the
//! manifest's tables, and how ids, grades, roles and school years are coded.
//!
//! The reader ([`super`]) and the writer ([`crate::write::oneroster`]) both take the binding
//! from here, so they cannot drift apart; the writer's module documentation gives the choices
//! made where the binding leaves room.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

/// `academicSessions.csv`'s header.
pub const ACADEMIC_SESSIONS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "type",
    "startDate",
    "endDate",
    "parentSourcedId",
    "schoolYear",
];
/// `orgs.csv`'s header.
pub const ORGS: &[&str] =
    &["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"];
/// `courses.csv`'s header.
pub const COURSES: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "schoolYearSourcedId",
    "title",
    "courseCode",
    "grades",
    "orgSourcedId",
    "subjects",
    "subjectCodes",
];
/// `classes.csv`'s header.
pub const CLASSES: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "grades",
    "courseSourcedId",
    "classCode",
    "classType",
    "location",
    "schoolSourcedId",
    "termSourcedIds",
    "subjects",
    "subjectCodes",
    "periods",
];
/// `users.csv`'s header (1.2: roles and orgs moved to `roles.csv`).
pub const USERS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
    "userMasterIdentifier",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
];
/// `roles.csv`'s header.
pub const ROLES: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "userSourcedId",
    "roleType",
    "role",
    "beginDate",
    "endDate",
    "orgSourcedId",
    "userProfileSourcedId",
];
/// `enrollments.csv`'s header.
pub const ENROLLMENTS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
];
/// `demographics.csv`'s header.
pub const DEMOGRAPHICS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];

/// Every table teczka writes, by file stem, with its header.
pub const TABLES: &[(&str, &[&str])] = &[
    ("academicSessions", ACADEMIC_SESSIONS),
    ("classes", CLASSES),
    ("courses", COURSES),
    ("demographics", DEMOGRAPHICS),
    ("enrollments", ENROLLMENTS),
    ("orgs", ORGS),
    ("roles", ROLES),
    ("users", USERS),
];

/// The tables of the 1.2 CSV binding teczka has nothing for: `absent` in the manifest.
pub const ABSENT: &[&str] = &[
    "categories",
    "classResources",
    "courseResources",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "scoreScales",
    "userProfiles",
    "userResources",
];

/// The name of the org written for pupils whose school the records do not name (`roles.csv`
/// requires an org for every role).
pub const NO_SCHOOL: &str = "(school not recorded)";

/// The UUIDv5 namespace of teczka's `sourcedId`s: the UUIDv5 of the URL
/// `urn:teczka:oneroster:1` in the URL namespace, `24fe5023-609d-5720-a77a-d913b1215a93`.
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:teczka:oneroster:1")
}

/// The `sourcedId` of a record of `kind` (`student`, `guardian`, `org`, …) whose key is `key`:
/// the UUIDv5 of `kind`, a 0 byte and `key` in [`namespace`].
pub fn sourced_id(kind: &str, key: &str) -> String {
    let mut name = Vec::with_capacity(kind.len() + key.len() + 1);
    name.extend_from_slice(kind.as_bytes());
    name.push(0);
    name.extend_from_slice(key.as_bytes());
    Uuid::new_v5(&namespace(), &name).to_string()
}

/// The CEDS grade code of a class level: `1`–`13` as `01`–`13`, `0` as `KG`, else `Other`.
pub fn grade_code(level: &str) -> String {
    match level.trim().parse::<u32>() {
        Ok(0) => "KG".into(),
        Ok(n @ 1..=13) => format!("{n:02}"),
        _ => "Other".into(),
    }
}

/// The OneRoster role of a guardian's relation: `guardian` for a legal guardian (Polish
/// *opiekun*, Czech *poručník*, *pěstoun*, *zákonný zástupce*), else `parent`.
pub fn guardian_role(relation: Option<&str>) -> &'static str {
    let relation = relation.unwrap_or("").to_lowercase();
    let guardian = ["opiekun", "guardian", "poručník", "pěstoun", "zákonný", "kurator"];
    if guardian.iter().any(|g| relation.contains(g)) {
        "guardian"
    } else {
        "parent"
    }
}

/// The school year holding `date`, by the year it starts in (1 September).
pub fn school_year_start(date: NaiveDate) -> i32 {
    if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The `userIds` labels of the national ids.
pub const USER_ID_TYPES: [(&str, &str); 3] =
    [("pesel", "PESEL"), ("birth_number", "rodneCislo"), ("foreign_document", "foreignDocument")];
