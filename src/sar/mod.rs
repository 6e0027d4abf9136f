//! Subject-access requests (GDPR Art. 15): what a parent or an adult pupil receives when they
//! ask the school what it holds about them — the search and the report in one place.
//!
//! The search ([`Search`], in `search.rs`) looks at every record once, keeps what is about the
//! [`Subject`], checks that everything it gathered is one person, and redacts third parties
//! into a [`Disclosure`]. The rest of this module turns that into what people and machines read:
//!
//! * [`index_html`] — one self-contained page (no scripts, no remote assets), readable on a
//!   phone and printable, in Polish, Czech or English;
//! * [`art15_information`] — the same Art. 15 information as JSON with stable English keys;
//! * [`withholding_log`] — what was left out (other pupils, other guardians, staff) and why;
//! * [`readme_txt`] — the package's README for the recipient.
//!
//! What the controller says about its processing (purposes, recipients, retention, …) comes
//! from a [`Controller`] file; the request's reference and dates from a [`Request`], whose
//! [`Request::due`] counts the one-month deadline as EU law counts months.

mod art15;
mod art30;
mod controller;
mod due;
mod html;
mod labels;
mod lang;
pub mod metadata;
pub(crate) mod page;
mod records;
mod search;

pub use self::art15::{art15_information, readme_txt, withholding_log};
pub use self::art30::MeasureKind;
pub use self::controller::{
    Controller, Hold, Party, Retention, RetentionAction, RetentionEvent, Text,
};
pub use self::due::{Extension, Request};
pub use self::html::index_html;
pub use self::labels::entity_label;
pub use self::labels::is_special_category;
pub use self::lang::Lang;
/// The report pages' stylesheet, shared with the retention protocol page.
pub(crate) use self::page::CSS;
pub use self::search::{Disclosure, Role, Scope, Search, Subject, ThirdParty, CHILD_RECORD};

/// The names, inside the bag's `data/`, that [`readme_txt`] and [`index_html`] refer the reader
/// to; the `sar` command writes its files under these names.
pub mod files {
    /// The report page.
    pub const INDEX_HTML: &str = "index.html";
    /// The Art. 15 information as JSON ([`art15_information`](super::art15_information)).
    pub const ART15_JSON: &str = "art15-information.json";
    /// The withholding log as JSON ([`withholding_log`](super::withholding_log)).
    pub const WITHHELD_JSON: &str = "withheld.json";
    /// The recipient's README ([`readme_txt`](super::readme_txt)).
    pub const README_TXT: &str = "README.txt";
    /// The folder of the records as CSV, JSON and SOU-like XML.
    pub const RECORDS_DIR: &str = "records/";
}

/// Everything one answer is made from.
#[derive(Clone, Copy, Debug)]
pub struct Package<'a> {
    /// The school and its Art. 15 information.
    pub controller: &'a Controller,
    /// The request being answered.
    pub request: &'a Request,
    /// What is disclosed, already redacted.
    pub disclosure: &'a Disclosure,
}

impl Package<'_> {
    /// The report's language.
    fn lang(&self) -> Lang {
        self.request.lang
    }

    /// Whether the subject was found at all (a negative answer otherwise).
    fn found(&self) -> bool {
        self.disclosure.role.is_some()
    }

    /// The subject's name as the records give it, if found.
    fn subject_name(&self) -> Option<String> {
        let d = self.disclosure;
        match d.role? {
            Role::Pupil => d.pupils.first().map(|p| {
                full_name(p.first_name.as_deref(), p.surname.as_deref()).unwrap_or(p.id.clone())
            }),
            Role::Guardian => d
                .guardian
                .first()
                .and_then(|g| full_name(g.first_name.as_deref(), g.surname.as_deref())),
        }
    }
}

/// "First Surname", or whichever part exists.
fn full_name(first: Option<&str>, surname: Option<&str>) -> Option<String> {
    let parts: Vec<&str> =
        [first, surname].into_iter().flatten().filter(|s| !s.trim().is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A stable code for why a field was withheld, for machines.
fn reason_code(party: ThirdParty) -> &'static str {
    match party {
        ThirdParty::Staff => "third-party-staff",
        ThirdParty::OtherGuardian => "third-party-other-guardian",
        ThirdParty::OtherPupil => "third-party-other-pupil",
    }
}

/// Why a field was withheld, in words.
fn reason_text(party: ThirdParty, lang: Lang) -> &'static str {
    lang.pick(match party {
        ThirdParty::Staff => [
            "dane pracownika szkoły (np. autora wpisu) — ich ujawnienie mogłoby naruszyć jego prawa (art. 15 ust. 4 RODO)",
            "údaje zaměstnance školy (např. autora záznamu) — jejich poskytnutí by mohlo nepříznivě ovlivnit jeho práva (čl. 15 odst. 4 GDPR)",
            "data of a member of staff (e.g. who wrote an entry) — disclosing it could adversely affect their rights (Art. 15(4) GDPR)",
        ],
        ThirdParty::OtherGuardian => [
            "dane innego rodzica lub opiekuna, który nie złożył tego żądania (art. 15 ust. 4 RODO)",
            "údaje jiného zákonného zástupce, který tuto žádost nepodal (čl. 15 odst. 4 GDPR)",
            "data of another parent or guardian, who did not make this request (Art. 15(4) GDPR)",
        ],
        ThirdParty::OtherPupil => [
            "dane innego ucznia (art. 15 ust. 4 RODO); dane dziecka można otrzymać, składając żądanie w jego imieniu",
            "údaje jiného žáka (čl. 15 odst. 4 GDPR); údaje dítěte lze získat žádostí podanou jeho jménem",
            "data of another pupil (Art. 15(4) GDPR); a child's data can be requested on the child's behalf",
        ],
    })
}

/// Whose data a withheld field was, in words.
fn party_text(party: ThirdParty, lang: Lang) -> &'static str {
    lang.pick(match party {
        ThirdParty::Staff => ["pracownik szkoły", "zaměstnanec školy", "member of staff"],
        ThirdParty::OtherGuardian => {
            ["inny rodzic lub opiekun", "jiný zákonný zástupce", "another parent or guardian"]
        }
        ThirdParty::OtherPupil => ["inny uczeń", "jiný žák", "another pupil"],
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! A disclosure and controller the module's tests share.

    use super::search::{Searched, Withheld};
    use super::Subject;
    use super::*;
    use crate::model::{Address, Grade, Guardian, HealthNote, Pupil, Remark, Sex};
    use chrono::NaiveDate;

    pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub fn controller(name: &str) -> Controller {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sar").join(name);
        Controller::load(path).unwrap()
    }

    pub fn request(lang: Lang) -> Request {
        Request {
            reference: "SAR/2026/017".into(),
            received: date(2026, 1, 31),
            extension: None,
            lang,
            answered: date(2026, 2, 10),
        }
    }

    pub fn pupil_disclosure() -> Disclosure {
        let pupil = Pupil {
            id: "P-0001".into(),
            pesel: Some("02211307589".into()),
            surname: Some("Żółkiewska".into()),
            first_name: Some("Zażółć gęślą jaźń".into()),
            sex: Some(Sex::Female),
            birth_date: Some(date(2002, 1, 13)),
            addresses: vec![Address {
                town: Some("Łódź".into()),
                postcode: Some("90-001".into()),
                ..Address::default()
            }],
            guardians: vec![Guardian {
                relation: Some("matka".into()),
                surname: Some("Żółkiewska".into()),
                first_name: Some("Jadwiga".into()),
                ..Guardian::default()
            }],
            grades: vec![Grade {
                school_year: Some("2025/2026".into()),
                subject: Some("matematyka".into()),
                grade: Some("5".into()),
                kind: Some(crate::model::GradeKind::Final),
                ..Grade::default()
            }],
            remarks: vec![Remark {
                date: Some(date(2025, 10, 3)),
                text: Some("<script>alert(1)</script> Příliš žluťoučký kůň".into()),
                ..Remark::default()
            }],
            health: vec![HealthNote { category: Some("alergia".into()), ..HealthNote::default() }],
            ..Pupil::default()
        };
        Disclosure {
            subject: Subject::Pesel("02211307589".into()),
            role: Some(Role::Pupil),
            on_behalf_of_children: false,
            pupils: vec![pupil],
            guardian: Vec::new(),
            linked: Vec::new(),
            withheld: vec![
                Withheld {
                    record: "P-0001".into(),
                    field: "guardians[].phone".into(),
                    party: ThirdParty::OtherGuardian,
                    count: 1,
                },
                Withheld {
                    record: "P-0001".into(),
                    field: "remarks[].author".into(),
                    party: ThirdParty::Staff,
                    count: 1,
                },
            ],
            searched: Searched { files: 2, records: 30, unreadable: 0 },
        }
    }

    pub fn negative_disclosure() -> Disclosure {
        Disclosure {
            subject: Subject::Email("nikt@example.pl".into()),
            role: None,
            on_behalf_of_children: false,
            pupils: Vec::new(),
            guardian: Vec::new(),
            linked: Vec::new(),
            withheld: Vec::new(),
            searched: Searched { files: 1, records: 30, unreadable: 2 },
        }
    }
}
