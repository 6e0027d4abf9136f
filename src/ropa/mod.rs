//! The record of processing activities (GDPR Art. 30(1)): what the school's data-protection
//! officer keeps and shows the supervisory authority on request, built from the same
//! controller file the subject-access answers come from.
//!
//! [`Ropa::new`] reads the record out of a [`Controller`] and lists, as [`Gap`]s, the items of
//! Art. 30(1) the file does not give — each with the key to add and an example — rather than
//! filling them in: a record that claims security measures nobody described is worse than one
//! that says they are missing. [`html`] lays the record out as one self-contained page (the
//! subject-access page's stylesheet); [`json`] gives it as JSON-LD in the terms of the W3C Data
//! Privacy Vocabulary (DPV, its personal-data extension PD and its GDPR extension), where one
//! fits.
//!
//! The record names the SHA-256 of the controller file and its date, so the same file and
//! date give the same bytes, and anyone can tell which version of the file it shows.

mod dpv;
mod html;

pub use self::dpv::{json, legal_bases};
pub use self::html::html;

use crate::crypto::keys::hex;
use crate::model::Entity;
use crate::sar::{Controller, Lang, Party};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// The names the `ropa` command writes the record under.
pub mod files {
    /// The page.
    pub const HTML: &str = "ropa.html";
    /// The JSON-LD record.
    pub const JSON: &str = "ropa.json";
}

/// A record of processing activities, ready to be laid out.
#[derive(Clone, Debug)]
pub struct Ropa<'a> {
    /// The controller file it is read from.
    pub controller: &'a Controller,
    /// The language it is written in (texts the file lacks in it fall back, marked).
    pub lang: Lang,
    /// The day the record states it is valid on.
    pub date: NaiveDate,
    /// The SHA-256 of the controller file's bytes, in hex.
    pub controller_sha256: String,
    /// Every category of personal data the file names (in purposes or data subjects), in the
    /// records' order.
    pub categories: Vec<Entity>,
    /// What Art. 30(1) asks for that the file does not give, in the article's order.
    pub gaps: Vec<Gap>,
}

impl<'a> Ropa<'a> {
    /// The record of `controller`, parsed from the bytes `file`, in `lang` as of `date`.
    ///
    /// # Example
    ///
    /// ```
    /// use teczka::{ropa_html, Controller, Lang, Ropa};
    ///
    /// let path = std::path::Path::new("fixtures/sar/controller-pl.toml");
    /// let text = std::fs::read_to_string(path)?;
    /// let controller = Controller::from_toml(&text, path)?;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    /// let ropa = Ropa::new(&controller, text.as_bytes(), Lang::En, date);
    /// assert!(ropa.gaps.is_empty(), "{:?}", ropa.gaps);
    /// assert!(ropa_html(&ropa).contains("Art. 30(1)(g)"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(controller: &'a Controller, file: &[u8], lang: Lang, date: NaiveDate) -> Ropa<'a> {
        let named = |e: &Entity| {
            let mut lists = controller.purposes.iter().map(|p| &p.categories);
            let mut subjects = controller.data_subjects.iter().map(|s| &s.categories);
            lists.any(|c| c.iter().any(|c| c.0 == *e))
                || subjects.any(|c| c.iter().any(|c| c.0 == *e))
        };
        let categories: Vec<Entity> = Entity::ALL.into_iter().filter(|e| named(e)).collect();
        let gaps = Gap::ALL
            .into_iter()
            .filter(|g| g.is_missing(controller, categories.is_empty()))
            .collect();
        Ropa {
            controller,
            lang,
            date,
            controller_sha256: hex(&Sha256::digest(file)),
            categories,
            gaps,
        }
    }

    /// Whether every item of Art. 30(1) is given.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// A letter of Art. 30(1): the record's sections, in the article's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Letter {
    /// (a) the controller, joint controllers, representative and DPO, with contact details.
    A,
    /// (b) the purposes of the processing.
    B,
    /// (c) the categories of data subjects and of personal data.
    C,
    /// (d) the categories of recipients.
    D,
    /// (e) transfers to third countries or international organisations, with safeguards.
    E,
    /// (f) the envisaged time limits for erasure.
    F,
    /// (g) a general description of the security measures (Art. 32(1)).
    G,
}

impl Letter {
    /// Every letter, in order.
    pub const ALL: [Letter; 7] =
        [Letter::A, Letter::B, Letter::C, Letter::D, Letter::E, Letter::F, Letter::G];

    /// `a` … `g`.
    pub fn code(self) -> char {
        (b'a' + self as u8) as char
    }

    /// "art. 30 ust. 1 lit. g RODO", "čl. 30 odst. 1 písm. g) GDPR", "Art. 30(1)(g) GDPR".
    pub fn provision(self, lang: Lang) -> String {
        let l = self.code();
        match lang {
            Lang::Pl => format!("art. 30 ust. 1 lit. {l} RODO"),
            Lang::Cs => format!("čl. 30 odst. 1 písm. {l}) GDPR"),
            Lang::En => format!("Art. 30(1)({l}) GDPR"),
        }
    }
}

/// An item of Art. 30(1) the controller file does not give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// The controller has no address, e-mail or phone.
    ControllerContact,
    /// The data-protection officer has no address, e-mail or phone.
    DpoContact,
    /// No `[[data_subjects]]`.
    DataSubjects,
    /// Neither a purpose nor a category of data subjects names a category of personal data.
    DataCategories,
    /// No `[[recipients]]`.
    Recipients,
    /// No `[[security_measures]]`.
    SecurityMeasures,
}

impl Gap {
    /// Every gap there can be, in the article's order.
    pub const ALL: [Gap; 6] = [
        Gap::ControllerContact,
        Gap::DpoContact,
        Gap::DataSubjects,
        Gap::DataCategories,
        Gap::Recipients,
        Gap::SecurityMeasures,
    ];

    fn is_missing(self, c: &Controller, no_categories: bool) -> bool {
        let no_contact = |p: &Party| p.address.is_none() && p.email.is_none() && p.phone.is_none();
        match self {
            Gap::ControllerContact => no_contact(&c.controller),
            Gap::DpoContact => no_contact(&c.dpo),
            Gap::DataSubjects => c.data_subjects.is_empty(),
            Gap::DataCategories => no_categories,
            // A school discloses to someone by law (its governing body, the education
            // information system): an empty list is far likelier a forgotten one than a true
            // "none", and the file cannot tell the two apart.
            Gap::Recipients => c.recipients.is_empty(),
            Gap::SecurityMeasures => c.security_measures.is_empty(),
        }
    }

    /// The letter of Art. 30(1) it leaves out.
    pub fn letter(self) -> Letter {
        match self {
            Gap::ControllerContact | Gap::DpoContact => Letter::A,
            Gap::DataSubjects | Gap::DataCategories => Letter::C,
            Gap::Recipients => Letter::D,
            Gap::SecurityMeasures => Letter::G,
        }
    }

    /// The controller file's key to add.
    pub fn key(self) -> &'static str {
        match self {
            Gap::ControllerContact => "controller.email",
            Gap::DpoContact => "dpo.email",
            Gap::DataSubjects => "data_subjects",
            Gap::DataCategories => "purposes[].categories",
            Gap::Recipients => "recipients",
            Gap::SecurityMeasures => "security_measures",
        }
    }

    /// What is missing, in `lang`.
    #[rustfmt::skip]
    pub fn what(self, lang: Lang) -> &'static str {
        lang.pick(match self {
            Gap::ControllerContact => ["dane kontaktowe administratora (adres, e-mail lub telefon)", "kontaktní údaje správce (adresa, e-mail nebo telefon)", "the controller's contact details (address, e-mail or phone)"],
            Gap::DpoContact => ["dane kontaktowe inspektora ochrony danych", "kontaktní údaje pověřence pro ochranu osobních údajů", "the data-protection officer's contact details"],
            Gap::DataSubjects => ["kategorie osób, których dane dotyczą", "kategorie subjektů údajů", "the categories of data subjects"],
            Gap::DataCategories => ["kategorie danych osobowych", "kategorie osobních údajů", "the categories of personal data"],
            Gap::Recipients => ["kategorie odbiorców danych", "kategorie příjemců", "the categories of recipients"],
            Gap::SecurityMeasures => ["ogólny opis technicznych i organizacyjnych środków bezpieczeństwa (art. 32 ust. 1 RODO)", "obecný popis technických a organizačních bezpečnostních opatření (čl. 32 odst. 1 GDPR)", "a general description of the technical and organisational security measures (Art. 32(1) GDPR)"],
        })
    }

    /// What to add to the controller file, as TOML.
    pub fn example(self) -> &'static str {
        match self {
            Gap::ControllerContact => "[controller]\nemail = \"sekretariat@szkola.example.pl\"",
            Gap::DpoContact => "[dpo]\nemail = \"iod@szkola.example.pl\"",
            Gap::DataSubjects => {
                "[[data_subjects]]\nname = \"Uczniowie\"\nkinds = [\"pupils\", \"children\"]\n\
                 categories = [\"pupils\", \"grades\"]"
            }
            Gap::DataCategories => "[[purposes]]\ncategories = [\"pupils\", \"grades\"]",
            Gap::Recipients => {
                "[[recipients]]\nname = \"Organ prowadzący szkołę\"\nrole = \"z mocy prawa\""
            }
            Gap::SecurityMeasures => {
                "[[security_measures]]\nkind = \"technical\"\nmeasure = \"Szyfrowanie kopii \
                 zapasowych\""
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    pub fn fixture(name: &str) -> (Controller, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sar").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        (Controller::from_toml(&text, &path).unwrap(), text)
    }

    pub fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
    }

    /// The Polish fixture with everything after the Art. 30 comment cut off, and `edit`.
    pub fn without_art30(edit: impl Fn(String) -> String) -> (Controller, String) {
        let (_, text) = fixture("controller-pl.toml");
        let cut = text.find("# Sections for `teczka ropa`").unwrap();
        let text = edit(text[..cut].to_string());
        (Controller::from_toml(&text, Path::new("c.toml")).unwrap(), text)
    }

    #[test]
    fn both_fixtures_give_a_complete_record() {
        for name in ["controller-pl.toml", "controller-cz.toml"] {
            let (c, text) = fixture(name);
            let ropa = Ropa::new(&c, text.as_bytes(), Lang::En, date());
            assert!(ropa.is_complete(), "{name}: {:?}", ropa.gaps);
            assert!(ropa.categories.contains(&Entity::Health), "{name}");
            assert_eq!(ropa.controller_sha256.len(), 64);
        }
    }

    #[test]
    fn a_file_without_the_art30_sections_has_gaps_c_and_g_and_nothing_invented() {
        let (c, text) = without_art30(|t| t);
        let ropa = Ropa::new(&c, text.as_bytes(), Lang::Pl, date());
        assert_eq!(ropa.gaps, [Gap::DataSubjects, Gap::SecurityMeasures]);
        let letters: Vec<char> = ropa.gaps.iter().map(|g| g.letter().code()).collect();
        assert_eq!(letters, ['c', 'g']);
    }

    /// The keys that make a `[[retention]]` entry a schedule `teczka retention` runs.
    const SCHEDULE_KEYS: [&str; 7] =
        ["years =", "months =", "from =", "calendar_years =", "action =", "code =", "basis ="];

    #[test]
    fn missing_contacts_recipients_and_categories_are_gaps_too() {
        let (c, text) = without_art30(|t| {
            let recipients = t.find("[[recipients]]").unwrap();
            let retention = t.find("[[retention]]").unwrap();
            let t = format!("{}{}", &t[..recipients], &t[retention..]);
            let lines = t.lines().filter(|l| {
                !l.starts_with("email =")
                    && !l.starts_with("phone =")
                    && !l.starts_with("address = \"ul. Źródłowa")
                    && !l.starts_with("categories =")
                    // A retention schedule needs categories: without them, no schedule.
                    && !SCHEDULE_KEYS.iter().any(|k| l.starts_with(k))
            });
            lines.collect::<Vec<_>>().join("\n")
        });
        let ropa = Ropa::new(&c, text.as_bytes(), Lang::Cs, date());
        assert_eq!(ropa.gaps, Gap::ALL);
        assert!(ropa.categories.is_empty());
    }

    #[test]
    fn the_hash_is_of_the_files_bytes() {
        let (c, text) = fixture("controller-cz.toml");
        let a = Ropa::new(&c, text.as_bytes(), Lang::Cs, date());
        let b = Ropa::new(&c, format!("{text}\n").as_bytes(), Lang::Cs, date());
        assert_ne!(a.controller_sha256, b.controller_sha256);
        assert_eq!(Sha256::digest(b"").len(), 32);
        assert_eq!(
            Ropa::new(&c, b"", Lang::Cs, date()).controller_sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn provisions_read_as_each_language_cites_them() {
        assert_eq!(Letter::G.provision(Lang::Pl), "art. 30 ust. 1 lit. g RODO");
        assert_eq!(Letter::A.provision(Lang::Cs), "čl. 30 odst. 1 písm. a) GDPR");
        assert_eq!(Letter::C.provision(Lang::En), "Art. 30(1)(c) GDPR");
    }

    #[test]
    fn every_gaps_example_is_valid_toml_with_its_key() {
        for gap in Gap::ALL {
            let value: toml::Table =
                toml::from_str(gap.example()).unwrap_or_else(|e| panic!("{gap:?}: {e}"));
            let top = gap.key().split(['.', '[']).next().unwrap();
            assert!(value.contains_key(top), "{gap:?}: {}", gap.example());
        }
    }
}
