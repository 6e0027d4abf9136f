//! The canonical pupil model: one Rust type tree, the single source of truth.
//!
//! Every later stage sees only these types: readers turn CSV rows, XML elements and JSON lines
//! into a [`Pupil`]; validators, policies and writers work on it. The JSON Schema published in
//! `schemas/` is generated from these types ([`schema`]), and the [`fields`] catalogue — every
//! leaf field with its path, value kind and [`Class`] — is derived from that schema, so the
//! classification written on a field here is the one policies and risk reports obey.
//!
//! Field names are English; Polish and Czech names are input aliases (see `read::mapping`).
//! Identifiers are always text: Excel taught us what happens to PESELs stored as numbers.

mod class;
pub mod fields;
pub mod record;
pub mod released;
pub mod schema;
pub mod tree;
pub mod value;
pub mod walk;

pub use class::Class;
pub use fields::{Entity, FieldSpec, ValueKind};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One pupil's record: identity, addresses, family and everything the school holds about them.
///
/// Only `id` is required; SOU makes only personal data mandatory and real exports are patchy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Pupil", extend("x-teczka-version" = 1))]
pub struct Pupil {
    /// Local id of the pupil in the source system; joins the files of a multi-file export.
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub id: String,
    /// Polish education id (*identyfikator oświatowy*, `id_osw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub education_id: Option<String>,
    /// Polish national id number (PESEL), 11 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub pesel: Option<String>,
    /// Czech birth number (*rodné číslo*), with or without the slash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub birth_number: Option<String>,
    /// Number of a foreign identity document, for pupils with neither PESEL nor rodné číslo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub foreign_document: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub surname: Option<String>,
    /// Family name at birth (*nazwisko rodowe*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub birth_surname: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub first_name: Option<String>,
    /// Second given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub second_name: Option<String>,
    /// Sex as recorded in the register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub sex: Option<Sex>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub birth_date: Option<NaiveDate>,
    /// Place of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub birth_place: Option<String>,
    /// Place of birth in the locative case, as Polish certificates print it (`msc_ur_m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub birth_place_locative: Option<String>,
    /// Voivodeship (PL) or region (CZ) of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub birth_region: Option<String>,
    /// Country of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub birth_country: Option<String>,
    /// Whether the pupil holds the school country's citizenship (`ob_polskie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub national_citizen: Option<bool>,
    /// Whether the pupil holds the citizenship of an EU member state (`ob_ue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub eu_citizen: Option<bool>,
    /// The pupil's addresses (residence, registered, correspondence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Parents and other legal guardians.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardians: Vec<Guardian>,
    /// The pupil's place in the school: school, class, register numbers, dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
    /// The grades sheet (*arkusz ocen*).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<Grade>,
    /// Attendance entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendance: Vec<Attendance>,
    /// Teacher remarks (*uwagi*).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remarks: Vec<Remark>,
    /// External exam results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exams: Vec<Exam>,
    /// Achievements in and outside school.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub achievements: Vec<Achievement>,
    /// Opinions and rulings of counselling centres (special-category data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counselling: Vec<Counselling>,
    /// Health notes such as allergies (special-category data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthNote>,
    /// Consents given by the pupil or the guardians.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<Consent>,
    /// Contracts (language schools, after-school care); their end drives retention.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<Contract>,
    /// Payments received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<Payment>,
    /// Assessments of knowledge level (language schools).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<Assessment>,
    /// Coarse numbers derived from the lists above for statistics releases; filled only by a
    /// policy's `derive` operator, never by the school's own data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Indicators>,
    /// Codes of the Czech school register (*školní matrika*, the MŠMT collections) that have
    /// no other home in the model; filled when a matrika file is read, so nothing of it is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cz_register: Option<CzRegister>,
}

/// Sex as recorded in the school register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Female (`k` in Polish exports, `Ž` in Czech ones).
    Female,
    /// Male (`m` in Polish exports, `M` in Czech ones).
    Male,
}

/// What an address is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    /// Where the person lives (*adres zamieszkania*).
    Residence,
    /// Registered permanent address (*adres zameldowania*, *trvalé bydliště*).
    Registered,
    /// Where letters go (*adres korespondencyjny*).
    Correspondence,
}

/// A postal address of a pupil or a guardian.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// What the address is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub kind: Option<AddressKind>,
    /// Town or village.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub town: Option<String>,
    /// Street, without the house number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub street: Option<String>,
    /// House number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub house_number: Option<String>,
    /// Flat number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub flat_number: Option<String>,
    /// Postcode: `NN-NNN` in Poland, `NNN NN` in Czechia.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub postcode: Option<String>,
    /// Post office town (*poczta*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub post_town: Option<String>,
    /// Commune (*gmina*, *obec*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub commune: Option<String>,
    /// County (*powiat*, *okres*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub county: Option<String>,
    /// Voivodeship (PL) or region (*kraj*, CZ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub region: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub country: Option<String>,
    /// Polish TERYT territorial code (TERC, 7 digits) of the commune.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub teryt: Option<String>,
}

/// A parent or other legal guardian.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    /// The guardian's id in the source system, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub id: Option<String>,
    /// Relation to the pupil (mother, father, legal guardian, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub relation: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub surname: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub first_name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub email: Option<String>,
    /// Whether the guardian holds parental rights (*władza rodzicielska*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub parental_rights: Option<bool>,
    /// The guardian's address, when it differs from the pupil's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// The pupil's place in the school structure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// School name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub school_name: Option<String>,
    /// School id: RSPO or REGON (PL), IZO (CZ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub school_id: Option<String>,
    /// Class level (*poziom*, *ročník*), e.g. `2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub class_level: Option<String>,
    /// Class symbol (*symbol*, *třída*), e.g. `c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub class_symbol: Option<String>,
    /// Number in the class register (*nr w dzienniku*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub register_number: Option<String>,
    /// Number in the pupil book (*księga uczniów*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub pupil_book_number: Option<String>,
    /// Date of admission to the school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub admission_date: Option<NaiveDate>,
    /// Date of leaving the school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub leaving_date: Option<NaiveDate>,
    /// Pupil ID-card number (*legitymacja*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub id_card_number: Option<String>,
    /// The school whose district (*obwód*) the pupil lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub district_school: Option<String>,
    /// The school the pupil moves on to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub next_school: Option<String>,
}

/// Mid-year or final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GradeKind {
    /// Mid-year (*śródroczna*, *pololetní*).
    MidYear,
    /// Final (*roczna*, *závěrečná*).
    Final,
}

/// One line of the grades sheet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// School year, e.g. `2024/2025`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub school_year: Option<String>,
    /// Term (`1`, `2`), when the grade belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub term: Option<String>,
    /// Subject; empty for a behaviour grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub subject: Option<String>,
    /// The grade as written (`5`, `3+`, `bdb`, `výborný`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub grade: Option<String>,
    /// Mid-year or final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub kind: Option<GradeKind>,
    /// Whether this is the behaviour grade (*ocena z zachowania*) rather than a subject grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub behaviour: Option<bool>,
}

/// Attendance status of one lesson or period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    /// Present.
    Present,
    /// Absent, not excused.
    Absent,
    /// Absent, excused.
    Excused,
    /// Late.
    Late,
}

/// One attendance entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
    /// Lesson number or period name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub period: Option<String>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub status: Option<AttendanceStatus>,
}

/// A teacher remark (*uwaga*). Free text may name other people, so it is classed `direct`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remark {
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
    /// Author (a member of staff: a third party in a subject-access request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub author: Option<String>,
    /// Category (praise, reprimand, information, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub category: Option<String>,
    /// The remark's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"), extend("x-teczka-text" = "free"))]
    pub text: Option<String>,
}

/// An external exam result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exam {
    /// Exam (e.g. *egzamin ósmoklasisty*, *matura*, *přijímací zkouška*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"), extend("x-teczka-text" = "free"))]
    pub exam: Option<String>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub subject: Option<String>,
    /// Score in percent of the maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub score: Option<f64>,
    /// Percentile among all who sat the exam.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub percentile: Option<f64>,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
}

/// An achievement (competition, olympiad, certificate).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Achievement {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"), extend("x-teczka-text" = "free"))]
    pub title: Option<String>,
    /// Level (school, district, voivodeship, national, international).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub level: Option<String>,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
}

/// An opinion or ruling of a counselling centre (special-category data).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Counselling {
    /// Kind of document (opinion, ruling on special education needs, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"), extend("x-teczka-text" = "free"))]
    pub kind: Option<String>,
    /// Document number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub number: Option<String>,
    /// Issuing counselling centre (name or REGON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub issuer: Option<String>,
    /// Issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub issued_on: Option<NaiveDate>,
    /// Valid until.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub valid_until: Option<NaiveDate>,
    /// Notes (disability type, recommendations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"), extend("x-teczka-text" = "free"))]
    pub notes: Option<String>,
}

/// A health note, e.g. an allergy (special-category data).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthNote {
    /// Category (allergy, diet, chronic condition, medication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"), extend("x-teczka-text" = "free"))]
    pub category: Option<String>,
    /// The note's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"), extend("x-teczka-text" = "free"))]
    pub note: Option<String>,
    /// Date recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub recorded_on: Option<NaiveDate>,
}

/// A consent to one purpose.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Purpose (image, marketing, newsletter, trips, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"), extend("x-teczka-text" = "free"))]
    pub purpose: Option<String>,
    /// When the consent was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub given_at: Option<NaiveDate>,
    /// When it was withdrawn, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub withdrawn_at: Option<NaiveDate>,
    /// Who gave it (the pupil or a guardian, by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub given_by: Option<String>,
}

/// A contract with the pupil or the family.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Kind of contract (course, after-school care, meals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"), extend("x-teczka-text" = "free"))]
    pub kind: Option<String>,
    /// Start date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub start: Option<NaiveDate>,
    /// End date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub end: Option<NaiveDate>,
}

/// A payment received.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
    /// Amount in minor units (grosze, haléře), so sums are exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub amount_minor: Option<i64>,
    /// ISO 4217 currency code (`PLN`, `CZK`, `EUR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub currency: Option<String>,
    /// Title of the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"), extend("x-teczka-text" = "free"))]
    pub title: Option<String>,
}

/// An assessment of knowledge level (language schools).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub date: Option<NaiveDate>,
    /// Subject or language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub subject: Option<String>,
    /// Level reached (e.g. CEFR `B1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub level: Option<String>,
}

/// Indicators a statistics release publishes instead of event lists: each one a single coarse
/// value per pupil, computed from the pupil's own lists by a policy's `derive` operator, so a
/// known olympiad date or exam score never singles a child out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Share of recorded lesson periods missed (absent, excused or late), in percent. Means
    /// something only where the register records every period, present ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub absence_rate: Option<f64>,
    /// Lesson periods recorded as absent or excused: the measure for registers that record
    /// only the exceptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub absences: Option<i64>,
    /// Mean of the numeric final grades, on the school's own scale (1–6 in Poland, 1–5 in
    /// Czechia); mid-year grades and behaviour are left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub grade_average: Option<f64>,
    /// Mean score of the external exams, in percent of the maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub exam_score: Option<f64>,
    /// Number of achievements recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub achievement_count: Option<i64>,
    /// Highest level reached: 1 school, 2 district, 3 regional, 4 national, 5 international.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub achievement_level: Option<i64>,
    /// Coded kinds of counselling documents, sorted and joined by `+` (`ruling+opinion`), or
    /// `none`: never the document's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub counselling: Option<String>,
    /// Coded health-note categories, sorted and joined by `+` (`allergy+diet`), or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "sensitive"))]
    pub health: Option<String>,
}

/// What a record (*věta*) of the Czech MŠMT školní matrika holds beyond the rest of the model:
/// each field keeps the code exactly as the register writes it (see `read::matrika` for the
/// code lists), so a file read and written again carries the same codes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CzRegister {
    /// The collection's reference date (`RDAT`: 30 September or 31 March).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "plain"))]
    pub collection_date: Option<NaiveDate>,
    /// Part of the school (`CAST`, `01`, `02`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub school_part: Option<String>,
    /// Citizenship as a numeric country code (`STPR`, `203` for Czechia).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub citizenship: Option<String>,
    /// Citizenship qualifier (`KSTPR`: citizen, foreigner with or without permanent residence,
    /// temporary protection, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub citizenship_kind: Option<String>,
    /// Where the pupil was before admission (`ODHL`: `010` nursery school, `600` a school
    /// abroad, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub previous_education: Option<String>,
    /// IZO of the previous school (`IZOZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub previous_school: Option<String>,
    /// How education at the school began (`KOD_ZAH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub admission_code: Option<String>,
    /// How education at the school ended (`KOD_UKON`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub leaving_code: Option<String>,
    /// Field of education (`OBOR`, a KKOV code such as `79-01-C/01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub field_of_study: Option<String>,
    /// Form of education (`FST`: daily, evening, distance, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "quasi"))]
    pub education_form: Option<String>,
    /// Items of the record teczka has no field for, in file order, carried so that nothing
    /// is lost: one `CODE=value` per line, `%`, `=` and line breaks in a value written as
    /// `%25`, `%3D`, `%0A` and `%0D` (`ZPUSOB=1\nFIN=3`). What they hold is not known, so
    /// they are classed as direct identifiers: a policy must say what becomes of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-teczka-class" = "direct"))]
    pub other_items: Option<String>,
}
