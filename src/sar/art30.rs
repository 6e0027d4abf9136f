//! The controller file's sections that only the record of processing activities (GDPR
//! Art. 30(1)) needs: the categories of data subjects and the security measures.
//!
//! Both are optional, so a file written for subject-access answers alone still loads; the
//! record then reports them as gaps instead of inventing them. Each entry names, besides its
//! words, what it is in the W3C Data Privacy Vocabulary (DPV), so the machine-readable record
//! says `dpv:Child` or `dpv:TechnicalMeasure` without anyone parsing the words.

use super::controller::{Category, Controller, Text};
use serde::Deserialize;

/// One category of data subjects (Art. 30(1)(c)): `[[data_subjects]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSubject {
    /// Who they are, in words ("Uczniowie szkoły", "Zákonní zástupci žáků").
    pub name: Text,
    /// What they are in DPV terms; none gives the plain `dpv:DataSubject`.
    #[serde(default)]
    pub kinds: Vec<SubjectKind>,
    /// The categories of personal data held about them, when the file says so.
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// What a category of data subjects is, as DPV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// Pupils or students (`dpv:Student`).
    Pupils,
    /// Children: below the age of majority (`dpv:Child`).
    Children,
    /// Adults (`dpv:Adult`), e.g. adult learners of a language school.
    Adults,
    /// Parents of the pupils (`dpv:ParentOfDataSubject`).
    Parents,
    /// Legal guardians of the pupils (`dpv:GuardianOfDataSubject`).
    Guardians,
    /// The school's staff (`dpv:Employee`).
    Staff,
    /// Applicants for admission (`dpv:Applicant`).
    Applicants,
    /// Visitors (`dpv:Visitor`).
    Visitors,
}

impl SubjectKind {
    /// The DPV class (`dpv:Child`, …).
    pub fn dpv(self) -> &'static str {
        match self {
            SubjectKind::Pupils => "dpv:Student",
            SubjectKind::Children => "dpv:Child",
            SubjectKind::Adults => "dpv:Adult",
            SubjectKind::Parents => "dpv:ParentOfDataSubject",
            SubjectKind::Guardians => "dpv:GuardianOfDataSubject",
            SubjectKind::Staff => "dpv:Employee",
            SubjectKind::Applicants => "dpv:Applicant",
            SubjectKind::Visitors => "dpv:Visitor",
        }
    }
}

/// One technical or organisational security measure (Art. 30(1)(g), Art. 32(1)):
/// `[[security_measures]]`. A general description, as Art. 30 asks: what is done, not the
/// configuration an attacker would want.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityMeasure {
    /// The measure, in words ("Szyfrowanie nośników przenośnych", …).
    pub measure: Text,
    /// Its kind; none gives the plain `dpv:TechnicalOrganisationalMeasure`.
    pub kind: Option<MeasureKind>,
}

/// The kind of a security measure, as DPV divides them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureKind {
    /// Technical: encryption, access control, backups, logging (`dpv:TechnicalMeasure`).
    Technical,
    /// Organisational: policies, training, authorisations (`dpv:OrganisationalMeasure`).
    Organisational,
    /// Physical: locked rooms and cabinets (`dpv:PhysicalMeasure`).
    Physical,
    /// Legal: data-processing agreements, confidentiality undertakings (`dpv:LegalMeasure`).
    Legal,
}

impl MeasureKind {
    /// The DPV class (`dpv:TechnicalMeasure`, …).
    pub fn dpv(kind: Option<MeasureKind>) -> &'static str {
        match kind {
            Some(MeasureKind::Technical) => "dpv:TechnicalMeasure",
            Some(MeasureKind::Organisational) => "dpv:OrganisationalMeasure",
            Some(MeasureKind::Physical) => "dpv:PhysicalMeasure",
            Some(MeasureKind::Legal) => "dpv:LegalMeasure",
            None => "dpv:TechnicalOrganisationalMeasure",
        }
    }
}

impl Controller {
    /// Visit the texts of the Art. 30 sections with their keys, for the check that every text
    /// has the default language.
    pub(super) fn each_art30_text(&self, visit: &mut dyn FnMut(String, &Text)) {
        for (i, party) in self.joint_controllers.iter().enumerate() {
            visit(format!("joint_controllers[{i}].name"), &party.name);
        }
        if let Some(party) = &self.representative {
            visit("representative.name".into(), &party.name);
        }
        for (i, s) in self.data_subjects.iter().enumerate() {
            visit(format!("data_subjects[{i}].name"), &s.name);
        }
        for (i, m) in self.security_measures.iter().enumerate() {
            visit(format!("security_measures[{i}].measure"), &m.measure);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Entity;
    use std::path::Path;

    const BASE: &str = r#"
country = "cz"
default_language = "cs"
source = "zákonní zástupci"
[controller]
name = "Škola"
[dpo]
name = "Pověřenec"
[authority]
name = "ÚOOÚ"
address = "Pplk. Sochora 27, 170 00 Praha 7"
website = "https://www.uoou.cz"
[automated_decisions]
exists = false
[[purposes]]
purpose = "vzdělávání"
legal_basis = "čl. 6 odst. 1 písm. c) GDPR"
[[retention]]
data = "matrika"
period = "45 let"
"#;

    fn load(extra: &str) -> Result<Controller, String> {
        Controller::from_toml(&format!("{BASE}{extra}"), Path::new("c.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_art30_sections_are_optional() {
        let c = load("").expect("a file without them loads");
        assert!(c.data_subjects.is_empty() && c.security_measures.is_empty());
        assert!(c.joint_controllers.is_empty() && c.representative.is_none());
    }

    #[test]
    fn data_subjects_and_measures_load_with_their_dpv_kinds() {
        let c = load(
            r#"
[[data_subjects]]
name = "žáci"
kinds = ["pupils", "children"]
categories = ["pupils", "grades"]
[[security_measures]]
measure = "šifrování záloh"
kind = "technical"
[[security_measures]]
measure = "školení"
"#,
        )
        .expect("loads");
        let dpv: Vec<&str> = c.data_subjects[0].kinds.iter().map(|k| k.dpv()).collect();
        assert_eq!(dpv, ["dpv:Student", "dpv:Child"]);
        assert_eq!(c.data_subjects[0].categories[1], Category(Entity::Grade));
        let kinds: Vec<&str> =
            c.security_measures.iter().map(|m| MeasureKind::dpv(m.kind)).collect();
        assert_eq!(kinds, ["dpv:TechnicalMeasure", "dpv:TechnicalOrganisationalMeasure"]);
    }

    #[test]
    fn unknown_kinds_keys_and_untranslated_texts_are_refused() {
        let e = load("[[data_subjects]]\nname = \"žáci\"\nkinds = [\"pupil\"]\n").unwrap_err();
        assert!(e.contains("unknown variant `pupil`") && e.contains("line"), "{e}");
        let e = load("[[security_measures]]\nmeasure = \"x\"\nkind = \"magic\"\n").unwrap_err();
        assert!(e.contains("unknown variant `magic`"), "{e}");
        let e = load("[[security_measures]]\nmesure = \"x\"\n").unwrap_err();
        assert!(e.contains("unknown field `mesure`"), "{e}");
        let e = load("[[data_subjects]]\nname = { en = \"pupils\" }\n").unwrap_err();
        assert!(e.contains("`data_subjects[0].name` has no text in the default language"), "{e}");
        let e = load("[representative]\nname = { en = \"Rep\" }\n").unwrap_err();
        assert!(e.contains("`representative.name`"), "{e}");
    }
}
