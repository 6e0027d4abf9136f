//! The controller file: who the school is and what GDPR Art. 15(1)(a)–(h) and 15(2) say about
//! its processing, as the school's data-protection officer writes it once in TOML.
//!
//! Every text may be a plain string, in the file's `default_language`, or a table of
//! translations (`{ pl = "…", en = "…" }`). A translation table must hold the default language,
//! so an answer in a language the school did not translate falls back to it — and says so.
//! Unknown keys are refused (a misspelt `retention` would otherwise drop the retention periods
//! from every answer silently); the messages name the file, line and key.

use super::art30::{DataSubject, SecurityMeasure};
use super::lang::Lang;
use crate::error::{Error, Result};
use crate::model::Entity;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// The controller's country: it picks the public holidays and the supervisory authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Country {
    /// Poland (supervisory authority: UODO).
    Pl,
    /// Czechia (supervisory authority: ÚOOÚ).
    Cz,
}

/// A text given in one or more languages.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Text {
    pl: Option<String>,
    cs: Option<String>,
    en: Option<String>,
    /// A plain string: in the file's default language, whichever that is.
    plain: Option<String>,
}

/// A text resolved for one language: the words, and the language they are really in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The text.
    pub text: &'a str,
    /// The language of `text`: the asked one, or the default when no translation was given.
    pub lang: Lang,
}

impl Text {
    /// A text in one language.
    pub fn new(lang: Lang, text: impl Into<String>) -> Text {
        let mut t = Text::default();
        *t.slot_mut(lang) = Some(text.into());
        t
    }

    fn slot(&self, lang: Lang) -> Option<&String> {
        match lang {
            Lang::Pl => self.pl.as_ref(),
            Lang::Cs => self.cs.as_ref(),
            Lang::En => self.en.as_ref(),
        }
    }

    fn slot_mut(&mut self, lang: Lang) -> &mut Option<String> {
        match lang {
            Lang::Pl => &mut self.pl,
            Lang::Cs => &mut self.cs,
            Lang::En => &mut self.en,
        }
    }

    /// The text in `lang`, else in `default` (the file's default language), else in any
    /// language it was given in.
    pub fn get(&self, lang: Lang, default: Lang) -> Resolved<'_> {
        let given = |l: Lang| {
            self.slot(l)
                .or(if l == default { self.plain.as_ref() } else { None })
                .map(|t| Resolved { text: t.as_str(), lang: l })
        };
        given(lang)
            .or_else(|| given(default))
            .or_else(|| Lang::ALL.into_iter().find_map(given))
            .unwrap_or(Resolved { text: "", lang: default })
    }

    /// Whether the text exists in `default` (the check every text of a file must pass).
    fn has(&self, default: Lang) -> bool {
        self.slot(default).or(self.plain.as_ref()).is_some_and(|t| !t.trim().is_empty())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Text, D::Error> {
        struct TextVisitor;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ByLanguage {
            pl: Option<String>,
            cs: Option<String>,
            en: Option<String>,
        }
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a string, or a table of translations such as { pl = \"…\", en = \"…\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Text, E> {
                Ok(Text { plain: Some(v.to_string()), ..Text::default() })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Text, A::Error> {
                let t = ByLanguage::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text { pl: t.pl, cs: t.cs, en: t.en, plain: None })
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A category of personal data, named as the records name it (`pupils`, `grades`, `health`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Category(pub Entity);

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Category, D::Error> {
        let name = String::deserialize(d)?;
        Entity::from_file_stem(&name).map(Category).ok_or_else(|| {
            let known: Vec<&str> = Entity::ALL.iter().map(|e| e.file_stem()).collect();
            de::Error::custom(format!("unknown category `{name}`: use one of {}", known.join(", ")))
        })
    }
}

/// The controller file, as loaded: the school and its Art. 15 information.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// The country whose holidays and supervisory authority apply.
    pub country: Country,
    /// The language plain strings are written in, and the fallback for missing translations.
    pub default_language: Lang,
    /// The school.
    pub controller: Party,
    /// The data-protection officer.
    pub dpo: Party,
    /// The supervisory authority (UODO, ÚOOÚ).
    pub authority: Authority,
    /// Art. 15(1)(a): purposes and their legal bases.
    pub purposes: Vec<Purpose>,
    /// Art. 15(1)(c) and 15(2): recipients and transfers.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Art. 15(1)(d): how long each kind of data is kept, or the criteria.
    pub retention: Vec<Retention>,
    /// Legal holds: records no retention run may erase or anonymise while the hold lasts
    /// (a court case, an inspection, a pending request); see
    /// [`RetentionSchedule`](crate::retention::Schedule).
    #[serde(default)]
    pub holds: Vec<Hold>,
    /// Art. 15(1)(g): where the data comes from.
    pub source: Text,
    /// Art. 15(1)(h): automated decision-making, including profiling.
    pub automated_decisions: AutomatedDecisions,
    /// Extra words on the data subject's rights (Art. 15(1)(e)), e.g. how to file a request.
    #[serde(default)]
    pub rights: Option<Text>,
    /// Art. 30(1)(a): controllers that jointly determine the purposes and means (Art. 26).
    #[serde(default)]
    pub joint_controllers: Vec<Party>,
    /// Art. 30(1)(a): the representative in the Union (Art. 27), which only a controller
    /// established outside it has.
    #[serde(default)]
    pub representative: Option<Party>,
    /// Art. 30(1)(c): the categories of data subjects (`[[data_subjects]]`).
    #[serde(default)]
    pub data_subjects: Vec<DataSubject>,
    /// Art. 30(1)(g): a general description of the security measures of Art. 32(1)
    /// (`[[security_measures]]`).
    #[serde(default)]
    pub security_measures: Vec<SecurityMeasure>,
    /// The school's tamper-evident log of operations on personal data, if it keeps one.
    #[serde(default)]
    pub log: Option<LogSection>,
}

/// The controller file's `[log]`: where the school's log lies and the key that signs its
/// checkpoints (paths relative to the controller file's folder).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// The log file.
    pub file: std::path::PathBuf,
    /// The minisign secret key that signs the checkpoints.
    pub key: Option<std::path::PathBuf>,
    /// The environment variable holding the key's password, if it is encrypted.
    pub key_password_env: Option<String>,
}

/// A person or body with contact details.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: Text,
    /// Postal address, as the post needs it (one form for every language: addresses are not
    /// translated, so they are never marked as "provided in … only").
    pub address: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// The supervisory authority a complaint goes to (Art. 15(1)(f), Art. 77).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// Name.
    pub name: Text,
    /// Postal address, as the post needs it (not translated).
    pub address: String,
    /// Website (shown as text and a plain link).
    pub website: String,
    /// E-mail or electronic inbox, if given.
    pub email: Option<String>,
}

/// One purpose of processing.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// What the data is used for.
    pub purpose: Text,
    /// The legal basis: the GDPR letter and the national law (`art. 6 ust. 1 lit. c RODO w zw.
    /// z ustawą Prawo oświatowe`).
    pub legal_basis: Text,
    /// The categories of data processed for it.
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// A recipient or category of recipients.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Who receives the data.
    pub name: Text,
    /// Why or on what basis (a processor under Art. 28, a public body by law, …).
    pub role: Option<Text>,
    /// A country outside the EEA the data goes to, if any (Art. 15(2)).
    pub third_country: Option<Text>,
    /// The safeguards of that transfer (Art. 46: standard contractual clauses, an adequacy
    /// decision, …). Required when `third_country` is given.
    pub safeguards: Option<Text>,
}

/// How long one kind of data is kept.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Which data (`arkusze ocen`, `dzienniki lekcyjne`, …).
    pub data: Text,
    /// The period, or the criteria for it.
    pub period: Text,
    /// The categories it covers, if it maps onto the records' categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Machine-readable period, whole years (added to `months`); with `from`, it makes the
    /// entry one `teczka retention` acts on. Entries without it are Art. 15 text only.
    #[serde(default)]
    pub years: Option<u32>,
    /// Machine-readable period, months (added to `years`).
    #[serde(default)]
    pub months: Option<u32>,
    /// The event the period runs from.
    #[serde(default)]
    pub from: Option<RetentionEvent>,
    /// Count the period in whole calendar years from 1 January after the event, as the Polish
    /// office instruction and the Czech archives act count it; default: from the event's day.
    #[serde(default)]
    pub calendar_years: bool,
    /// What happens to an item past its period: `erase` (default) or `anonymise`.
    #[serde(default)]
    pub action: Option<RetentionAction>,
    /// The file-plan code: the Czech skartační znak and lhůta (`S 10`, `V 5`, `A 45`) or the
    /// Polish JRWA archival category (`B5`, `B50`, `A`). Category `A` is archival: past its
    /// period it is handed to the state archive, never erased.
    #[serde(default)]
    pub code: Option<String>,
    /// The legal basis of the period (the file plan, the regulation that sets it).
    #[serde(default)]
    pub basis: Option<Text>,
}

/// The event a retention period runs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionEvent {
    /// The pupil leaves the school (the recorded leaving date, else the end of the last
    /// school year the record shows).
    Leaving,
    /// The end (31 August) of the school year the item belongs to.
    SchoolYearEnd,
    /// The end of the pupil's last contract (a contract item: its own end).
    ContractEnd,
    /// The item's own date (an attendance day, a payment, a consent's withdrawal).
    Item,
}

/// What happens to data past its retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetentionAction {
    /// Removed from the retained records.
    Erase,
    /// Kept with its direct identifiers, free text and special-category data removed and its
    /// quasi-identifiers generalised.
    #[serde(alias = "anonymize")]
    Anonymise,
}

/// A legal hold: data that must stay whatever its retention period says.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// The case the hold serves (a court file number, an inspection's reference).
    #[serde(default)]
    pub case: Option<String>,
    /// The pupils held, by their id in the records; none: every pupil.
    #[serde(default)]
    pub pupils: Vec<String>,
    /// The categories held; none: every category (the whole record).
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Why the data is held.
    pub reason: Text,
    /// Who set the hold.
    pub set_by: String,
    /// Since when.
    #[serde(default, deserialize_with = "toml_date")]
    pub since: Option<chrono::NaiveDate>,
    /// Until when, if it ends on a known day; a hold past it has lapsed.
    #[serde(default, deserialize_with = "toml_date")]
    pub until: Option<chrono::NaiveDate>,
}

/// A date written as a TOML date (`2025-11-03`) or a string (`"2025-11-03"`).
fn toml_date<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<chrono::NaiveDate>, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::Datetime(dt) => dt.to_string(),
        toml::Value::String(s) => s,
        _ => return Err(de::Error::custom("expected a date such as 2025-11-03")),
    };
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| de::Error::custom(format!("`{text}` is not a date: write it as YYYY-MM-DD")))
}

/// Automated decision-making, including profiling (Art. 22).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomatedDecisions {
    /// Whether any decision about the person is made by automated means alone.
    pub exists: bool,
    /// The logic involved, when it exists (required then).
    pub logic: Option<Text>,
    /// Its significance and envisaged consequences, when it exists.
    pub consequences: Option<Text>,
}

impl Controller {
    /// Load and check a controller file.
    ///
    /// Errors name the file and, for syntax, unknown or missing keys, the line; for missing
    /// translations and inconsistent entries the key (`purposes[2].legal_basis`), with the fix.
    pub fn load(path: impl AsRef<Path>) -> Result<Controller> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Controller::from_toml(&text, path)
    }

    /// Parse and check a controller file's text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Controller> {
        let controller: Controller = toml::from_str(text).map_err(|e| {
            Error::config(
                origin,
                format!(
                    "not a valid controller file: {}\nsee fixtures/sar/controller-pl.toml for \
                     every key",
                    crate::error::toml_reason(text, &e)
                ),
            )
        })?;
        controller.check().map_err(|m| Error::config(origin, m))?;
        Ok(controller)
    }

    /// Check what the types cannot: every text has the default language, transfers have
    /// safeguards, automated decisions have their logic.
    fn check(&self) -> std::result::Result<(), String> {
        let default = self.default_language;
        let mut missing = Vec::new();
        self.each_text(&mut |key, text| {
            if !text.has(default) {
                missing.push(key);
            }
        });
        if let Some(key) = missing.first() {
            return Err(format!(
                "`{key}` has no text in the default language `{default}`{}: give it as a plain \
                 string or add `{default} = \"…\"` to its table",
                if missing.len() > 1 {
                    format!(" (nor have {} other texts)", missing.len() - 1)
                } else {
                    String::new()
                }
            ));
        }
        if self.purposes.is_empty() {
            return Err("no `[[purposes]]`: Art. 15(1)(a) requires at least one purpose with its \
                        legal basis"
                .into());
        }
        if self.retention.is_empty() {
            return Err("no `[[retention]]`: Art. 15(1)(d) requires the retention period or its \
                        criteria"
                .into());
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if r.third_country.is_some() && r.safeguards.is_none() {
                return Err(format!(
                    "`recipients[{i}]` names a third country but no `safeguards`: Art. 15(2) \
                     requires them; add `safeguards = \"…\"` (e.g. standard contractual clauses)"
                ));
            }
        }
        self.check_schedule()?;
        let ad = &self.automated_decisions;
        if ad.exists && ad.logic.is_none() {
            return Err(
                "`automated_decisions.exists = true` needs `logic = \"…\"`: Art. 15(1)(h) \
                        requires meaningful information about the logic involved"
                    .into(),
            );
        }
        Ok(())
    }

    /// Check the machine-readable retention fields and the holds: an entry that gives any of
    /// them gives a period, its event and its categories; a hold names its case or pupils.
    fn check_schedule(&self) -> std::result::Result<(), String> {
        for (i, r) in self.retention.iter().enumerate() {
            let machine = r.years.is_some()
                || r.months.is_some()
                || r.from.is_some()
                || r.action.is_some()
                || r.calendar_years;
            if !machine {
                continue;
            }
            if r.years.unwrap_or(0) == 0 && r.months.unwrap_or(0) == 0 {
                return Err(format!(
                    "`retention[{i}]` has retention fields but no period: add `years = N` or \
                     `months = N` (above 0)"
                ));
            }
            if r.from.is_none() {
                return Err(format!(
                    "`retention[{i}]` has a period but no `from`: say what it runs from, one of \
                     \"leaving\", \"school-year-end\", \"contract-end\", \"item\""
                ));
            }
            if r.categories.is_empty() {
                return Err(format!(
                    "`retention[{i}]` has a period but no `categories`: name the records it \
                     covers (e.g. categories = [\"attendance\"])"
                ));
            }
        }
        for (i, h) in self.holds.iter().enumerate() {
            if h.case.is_none() && h.pupils.is_empty() {
                return Err(format!(
                    "`holds[{i}]` names neither a `case` nor `pupils`: give the case reference \
                     or the pupils' ids, so the hold says what it protects"
                ));
            }
            if h.set_by.trim().is_empty() {
                return Err(format!("`holds[{i}].set_by` is empty: say who set the hold"));
            }
        }
        Ok(())
    }

    /// Visit every text of the file with its key, as a person would write it.
    fn each_text(&self, visit: &mut dyn FnMut(String, &Text)) {
        for (name, party) in [("controller", &self.controller), ("dpo", &self.dpo)] {
            visit(format!("{name}.name"), &party.name);
        }
        visit("authority.name".into(), &self.authority.name);
        for (i, p) in self.purposes.iter().enumerate() {
            visit(format!("purposes[{i}].purpose"), &p.purpose);
            visit(format!("purposes[{i}].legal_basis"), &p.legal_basis);
        }
        for (i, r) in self.recipients.iter().enumerate() {
            visit(format!("recipients[{i}].name"), &r.name);
            let optional = [("role", &r.role), ("third_country", &r.third_country)];
            for (key, text) in optional.into_iter().chain([("safeguards", &r.safeguards)]) {
                if let Some(t) = text {
                    visit(format!("recipients[{i}].{key}"), t);
                }
            }
        }
        for (i, r) in self.retention.iter().enumerate() {
            visit(format!("retention[{i}].data"), &r.data);
            visit(format!("retention[{i}].period"), &r.period);
            if let Some(basis) = &r.basis {
                visit(format!("retention[{i}].basis"), basis);
            }
        }
        for (i, h) in self.holds.iter().enumerate() {
            visit(format!("holds[{i}].reason"), &h.reason);
        }
        visit("source".into(), &self.source);
        let ad = &self.automated_decisions;
        for (key, text) in [("logic", &ad.logic), ("consequences", &ad.consequences)] {
            if let Some(t) = text {
                visit(format!("automated_decisions.{key}"), t);
            }
        }
        if let Some(t) = &self.rights {
            visit("rights".into(), t);
        }
        self.each_art30_text(visit);
    }

    /// A text of this file in `lang`, falling back to the default language.
    pub fn text<'a>(&self, text: &'a Text, lang: Lang) -> Resolved<'a> {
        text.get(lang, self.default_language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sar").join(name)
    }

    #[test]
    fn both_fixture_controllers_load() {
        let pl = Controller::load(fixture("controller-pl.toml")).expect("controller-pl.toml");
        assert_eq!((pl.country, pl.default_language), (Country::Pl, Lang::Pl));
        assert!(pl.authority.address.contains("Stawki 2"));
        assert!(pl.purposes.len() >= 4);
        let cz = Controller::load(fixture("controller-cz.toml")).expect("controller-cz.toml");
        assert_eq!((cz.country, cz.default_language), (Country::Cz, Lang::Cs));
        assert!(cz.authority.address.contains("Pplk. Sochora 27"));
        assert_eq!(cz.authority.website, "https://www.uoou.cz");
    }

    #[test]
    fn a_missing_translation_falls_back_to_the_default_language_and_says_so() {
        let text = Text { pl: Some("cel".into()), en: Some("purpose".into()), ..Text::default() };
        assert_eq!(text.get(Lang::En, Lang::Pl), Resolved { text: "purpose", lang: Lang::En });
        assert_eq!(text.get(Lang::Cs, Lang::Pl), Resolved { text: "cel", lang: Lang::Pl });
        let plain = Text { plain: Some("účel".into()), ..Text::default() };
        assert_eq!(plain.get(Lang::En, Lang::Cs), Resolved { text: "účel", lang: Lang::Cs });
    }

    fn load_err(text: &str) -> String {
        Controller::from_toml(text, Path::new("c.toml")).unwrap_err().to_string()
    }

    const MINIMAL: &str = r#"
country = "pl"
default_language = "pl"
source = "rodzice"
[controller]
name = "Szkoła"
[dpo]
name = "IOD"
email = "iod@example.pl"
[authority]
name = "Prezes UODO"
address = "ul. Stawki 2, 00-193 Warszawa"
website = "https://www.uodo.gov.pl"
[[purposes]]
purpose = "edukacja"
legal_basis = { pl = "art. 6 ust. 1 lit. c RODO", en = "Art. 6(1)(c) GDPR" }
categories = ["pupils", "grades"]
[[retention]]
data = "arkusze ocen"
period = "50 lat"
[automated_decisions]
exists = false
"#;

    #[test]
    fn a_minimal_file_loads() {
        let c = Controller::from_toml(MINIMAL, Path::new("c.toml")).expect("minimal");
        assert_eq!(
            c.purposes[0].categories,
            vec![Category(Entity::Pupil), Category(Entity::Grade)]
        );
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let typo = MINIMAL.replace("[[retention]]", "[[retencja]]");
        let e = load_err(&typo);
        assert!(e.starts_with("c.toml: not a valid controller file"), "{e}");
        assert!(e.contains("retencja") && e.contains("line"), "{e}");

        let missing = MINIMAL.replace("website = \"https://www.uodo.gov.pl\"\n", "");
        let e = load_err(&missing);
        assert!(e.contains("missing field `website`") && e.contains("line"), "{e}");

        let untranslated = MINIMAL.replace("{ pl = \"art. 6 ust. 1 lit. c RODO\", ", "{ ");
        let e = load_err(&untranslated);
        assert!(
            e.contains("`purposes[0].legal_basis` has no text in the default language `pl`"),
            "{e}"
        );

        let category = MINIMAL.replace("\"grades\"]", "\"marks\"]");
        let e = load_err(&category);
        assert!(e.contains("unknown category `marks`") && e.contains("line"), "{e}");

        let language = MINIMAL.replace("en = \"Art. 6(1)(c) GDPR\"", "de = \"x\"");
        assert!(load_err(&language).contains("unknown field `de`"));

        let automated = MINIMAL.replace("exists = false", "exists = true");
        assert!(load_err(&automated).contains("needs `logic"));
    }

    #[test]
    fn retention_periods_and_holds_load_and_their_mistakes_are_named() {
        let schedule = MINIMAL.replace(
            "period = \"50 lat\"",
            "period = \"50 lat\"\ncategories = [\"grades\"]\nyears = 50\nfrom = \"leaving\"\n\
             code = \"B50\"\naction = \"anonymize\"",
        ) + "[[holds]]\ncase = \"I C 1/25\"\nreason = \"sąd\"\nset_by = \"IOD\"\nsince = 2025-11-03\n";
        let c = Controller::from_toml(&schedule, Path::new("c.toml")).expect("schedule");
        let r = &c.retention[0];
        assert_eq!(
            (r.years, r.from, r.action),
            (Some(50), Some(RetentionEvent::Leaving), Some(RetentionAction::Anonymise))
        );
        assert_eq!(c.holds[0].since, chrono::NaiveDate::from_ymd_opt(2025, 11, 3));

        let e = load_err(&schedule.replace("from = \"leaving\"\n", ""));
        assert!(e.contains("`retention[0]` has a period but no `from`"), "{e}");
        let e = load_err(&schedule.replace("years = 50", "years = 0"));
        assert!(e.contains("`retention[0]` has retention fields but no period"), "{e}");
        let e = load_err(&schedule.replace("\"leaving\"", "\"graduation\""));
        assert!(e.contains("unknown variant `graduation`") && e.contains("line"), "{e}");
        let e = load_err(&schedule.replace("case = \"I C 1/25\"\n", ""));
        assert!(e.contains("`holds[0]` names neither a `case` nor `pupils`"), "{e}");
        let e = load_err(&schedule.replace("set_by", "who"));
        assert!(e.contains("unknown field `who`") && e.contains("line"), "{e}");
        let e = load_err(&schedule.replace("since = 2025-11-03", "since = \"3.11.2025\""));
        assert!(e.contains("write it as YYYY-MM-DD"), "{e}");
    }
}
