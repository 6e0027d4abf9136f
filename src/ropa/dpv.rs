//! `ropa.json`: the record as JSON-LD in the W3C Data Privacy Vocabulary (DPV 2.x,
//! <https://w3id.org/dpv>), its personal-data extension (`pd:`) and its GDPR extension
//! (`eu-gdpr:`).
//!
//! A term is used only where it fits: a category of records maps to the `pd:` classes that
//! describe it (grades and remarks are `pd:School`, "grades obtained … conduct"; health notes
//! `pd:HealthRecord`), and a category with no fitting class (consents, contracts) stays a plain
//! `dpv:PersonalData` with its label. A legal basis keeps its words and, when they cite a GDPR
//! letter of Art. 6(1) or 9(2) in the usual Polish, Czech or English form, the matching
//! `eu-gdpr:` concept. Texts are JSON-LD value objects whose `@language` is the language the
//! words are really in — a text the file gives only in Polish says `pl` in an English record.
//!
//! Keys outside the vocabularies (`complete`, `gaps`, `controller_file_sha256`, `generator`)
//! are teczka's; a JSON-LD processor ignores them, a script reads them as plain JSON.

use super::{Gap, Ropa};
use crate::model::Entity;
use crate::sar::{entity_label, is_special_category, MeasureKind, Party, Text};
use serde_json::{json, Map, Value};

/// The `pd:` classes a category of records holds; empty where none fits.
pub fn personal_data_terms(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Pupil => {
            &["pd:Name", "pd:OfficialID", "pd:BirthDate", "pd:BirthPlace", "pd:Citizenship"]
        }
        Entity::Address => &["pd:PhysicalAddress"],
        Entity::Guardian => &["pd:Parent", "pd:Name", "pd:Contact"],
        // PD's `School`: "name of school, conduct, or grades obtained".
        Entity::Grade | Entity::Remark | Entity::Assessment => &["pd:School"],
        Entity::Attendance | Entity::Achievement => &["pd:EducationExperience"],
        Entity::Exam => &["pd:EducationQualification"],
        // Counselling centres' opinions and rulings rest on diagnoses, special education
        // needs among them most often a disability.
        Entity::Counselling => &["pd:HealthRecord", "pd:Disability"],
        Entity::Health => &["pd:HealthRecord"],
        Entity::Payment => &["pd:Transaction"],
        Entity::Consent | Entity::Contract => &[],
    }
}

/// The GDPR legal bases `text` cites, as `eu-gdpr:` concepts (`eu-gdpr:A6-1-c`,
/// `eu-gdpr:A9-2-h`), in the order cited, each once.
///
/// Recognises `art. 6 ust. 1 lit. c`, `čl. 6 odst. 1 písm. c)` and `Art. 6(1)(c)`, for Art. 6(1)
/// letters a–f and Art. 9(2) letters a–j; other articles and laws are left to the words.
///
/// # Example
///
/// ```
/// let cited = teczka::legal_bases("art. 9 ust. 2 lit. h RODO; Art. 6(1)(e) GDPR");
/// assert_eq!(cited, ["eu-gdpr:A9-2-h", "eu-gdpr:A6-1-e"]);
/// ```
pub fn legal_bases(text: &str) -> Vec<String> {
    const FILLER: [&str; 6] = ["ust", "odst", "lit", "písm", "paragraph", "point"];
    let lower = text.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && !FILLER.contains(t))
        .collect();
    let mut found = Vec::new();
    for w in tokens.windows(4) {
        let (article, paragraph, letters) = match (w[1], w[2]) {
            ("6", "1") => ("6", "1", 'a'..='f'),
            ("9", "2") => ("9", "2", 'a'..='j'),
            _ => continue,
        };
        let cites = matches!(w[0], "art" | "čl" | "article");
        let mut letter = w[3].chars();
        if let (true, Some(l), None) = (cites, letter.next(), letter.next()) {
            let term = format!("eu-gdpr:A{article}-{paragraph}-{l}");
            if letters.contains(&l) && !found.contains(&term) {
                found.push(term);
            }
        }
    }
    found
}

/// The record as JSON-LD.
pub fn json(ropa: &Ropa) -> Value {
    let c = ropa.controller;
    let t = |text: &Text| value(ropa, text);
    let mut record = json!({
        "@context": {
            "dpv": "https://w3id.org/dpv#",
            "pd": "https://w3id.org/dpv/pd#",
            "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
            "dct": "http://purl.org/dc/terms/",
            "skos": "http://www.w3.org/2004/02/skos/core#",
        },
        "@type": "dpv:ROPA",
        "dct:title": ropa.lang.pick([
            "Rejestr czynności przetwarzania (art. 30 ust. 1 RODO)",
            "Záznamy o činnostech zpracování (čl. 30 odst. 1 GDPR)",
            "Record of processing activities (Art. 30(1) GDPR)",
        ]),
        "dct:language": ropa.lang.code(),
        "dct:created": ropa.date.to_string(),
        "generator": format!("teczka {}", env!("CARGO_PKG_VERSION")),
        "controller_file_sha256": ropa.controller_sha256,
        "complete": ropa.is_complete(),
        "gaps": ropa.gaps.iter().map(|g| gap(*g)).collect::<Vec<_>>(),
        "dpv:hasDataController": party(ropa, &c.controller, "dpv:DataController"),
        "dpv:hasDataProtectionOfficer": party(ropa, &c.dpo, "dpv:DataProtectionOfficer"),
    });
    let map = record.as_object_mut().expect("an object");
    if !c.joint_controllers.is_empty() {
        let joint = c.joint_controllers.iter().map(|p| party(ropa, p, "dpv:DataController"));
        let joint = json!({ "@type": "dpv:JointDataControllers",
            "dpv:hasDataController": joint.collect::<Vec<_>>() });
        map.insert("dpv:hasJointDataControllers".into(), joint);
    }
    if let Some(p) = &c.representative {
        map.insert("dpv:hasRepresentative".into(), party(ropa, p, "dpv:Representative"));
    }
    map.insert("dpv:hasProcess".into(), processes(ropa));
    map.insert("dpv:hasDataSubject".into(), data_subjects(ropa));
    let all = categories(ropa, ropa.categories.iter().copied());
    map.insert("dpv:hasPersonalData".into(), all);
    map.insert("dpv:hasRecipient".into(), recipients(ropa));
    map.insert("dpv:hasStorageCondition".into(), storage(ropa));
    let measures = c
        .security_measures
        .iter()
        .map(|m| json!({ "@type": MeasureKind::dpv(m.kind), "dct:description": t(&m.measure) }));
    map.insert("dpv:hasTechnicalOrganisationalMeasure".into(), measures.collect());
    record
}

/// Each purpose as a process: the purpose, its legal bases, the data it covers.
fn processes(ropa: &Ropa) -> Value {
    let t = |text: &Text| value(ropa, text);
    let list = ropa.controller.purposes.iter().map(|p| {
        let mut bases: Vec<Value> = legal_bases_of(ropa, &p.legal_basis)
            .into_iter()
            .map(|id| json!({ "@id": id }))
            .collect();
        bases.push(json!({ "@type": "dpv:LegalBasis", "dct:description": t(&p.legal_basis) }));
        json!({
            "@type": "dpv:Process",
            "dpv:hasPurpose": { "@type": "dpv:Purpose", "dct:description": t(&p.purpose) },
            "dpv:hasLegalBasis": bases,
            "dpv:hasPersonalData": categories(ropa, p.categories.iter().map(|c| c.0)),
        })
    });
    list.collect()
}

/// The categories of data subjects, typed by their DPV kinds.
fn data_subjects(ropa: &Ropa) -> Value {
    let list = ropa.controller.data_subjects.iter().map(|s| {
        let mut kinds: Vec<&str> = s.kinds.iter().map(|k| k.dpv()).collect();
        if kinds.is_empty() {
            kinds.push("dpv:DataSubject");
        }
        json!({
            "@type": kinds,
            "dct:description": value(ropa, &s.name),
            "dpv:hasPersonalData": categories(ropa, s.categories.iter().map(|c| c.0)),
        })
    });
    list.collect()
}

/// The retention periods as storage durations.
fn storage(ropa: &Ropa) -> Value {
    let t = |text: &Text| value(ropa, text);
    let list = ropa.controller.retention.iter().map(|r| {
        json!({
            "@type": "dpv:StorageDuration",
            "dct:description": t(&r.data),
            "dpv:hasDuration": { "@type": "dpv:Duration", "dct:description": t(&r.period) },
            "dpv:hasPersonalData": categories(ropa, r.categories.iter().map(|c| c.0)),
        })
    });
    list.collect()
}

/// Recipients, with the third country and the transfer's safeguards where there is one.
fn recipients(ropa: &Ropa) -> Value {
    let t = |text: &Text| value(ropa, text);
    let list = ropa.controller.recipients.iter().map(|r| {
        let mut entry = Map::new();
        entry.insert("@type".into(), "dpv:Recipient".into());
        entry.insert("dpv:hasName".into(), t(&r.name));
        if let Some(role) = &r.role {
            entry.insert("dct:description".into(), t(role));
        }
        if let Some(country) = &r.third_country {
            let country = json!({ "@type": "dpv:ThirdCountry", "dct:description": t(country) });
            entry.insert("dpv:hasThirdCountry".into(), country);
        }
        if let Some(safeguards) = &r.safeguards {
            let measure =
                json!({ "@type": "dpv:SafeguardForDataTransfer", "dct:description": t(safeguards) });
            entry.insert("dpv:hasTechnicalOrganisationalMeasure".into(), measure);
        }
        Value::Object(entry)
    });
    list.collect()
}

/// Every GDPR basis cited in any language the text is given in.
fn legal_bases_of(ropa: &Ropa, text: &Text) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for lang in crate::sar::Lang::ALL {
        let words = text.get(lang, ropa.controller.default_language).text;
        for term in legal_bases(words) {
            if !found.contains(&term) {
                found.push(term);
            }
        }
    }
    found
}

/// A text as a JSON-LD value object in the language it is really in.
fn value(ropa: &Ropa, text: &Text) -> Value {
    let resolved = ropa.controller.text(text, ropa.lang);
    json!({ "@value": resolved.text, "@language": resolved.lang.code() })
}

fn party(ropa: &Ropa, p: &Party, kind: &str) -> Value {
    let mut entry = Map::new();
    entry.insert("@type".into(), kind.into());
    entry.insert("dpv:hasName".into(), value(ropa, &p.name));
    if let Some(address) = &p.address {
        entry.insert("dpv:hasAddress".into(), address.as_str().into());
    }
    let mut contact = Map::new();
    for (key, v) in [("email", &p.email), ("telephone", &p.phone)] {
        if let Some(v) = v {
            contact.insert(key.into(), v.as_str().into());
        }
    }
    if !contact.is_empty() {
        entry.insert("dpv:hasContact".into(), Value::Object(contact));
    }
    Value::Object(entry)
}

/// Categories of records as personal data: their `pd:` classes, special categories marked.
fn categories(ropa: &Ropa, entities: impl Iterator<Item = Entity>) -> Value {
    let list = entities.map(|e| {
        let mut kinds: Vec<&str> = personal_data_terms(e).to_vec();
        if is_special_category(e) {
            kinds.push("dpv:SpecialCategoryPersonalData");
        }
        if kinds.is_empty() {
            kinds.push("dpv:PersonalData");
        }
        json!({
            "@type": kinds,
            "dct:identifier": e.file_stem(),
            "skos:prefLabel": { "@value": entity_label(e, ropa.lang), "@language": ropa.lang.code() },
        })
    });
    list.collect()
}

fn gap(g: Gap) -> Value {
    json!({
        "provision": g.letter().provision(crate::sar::Lang::En),
        "key": g.key(),
        "missing": g.what(crate::sar::Lang::En),
        "example": g.example(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{date, fixture, without_art30};
    use super::*;
    use crate::sar::Lang;

    #[test]
    fn legal_bases_are_read_in_each_languages_form() {
        let pl = "art. 6 ust. 1 lit. c RODO w zw. z art. 127 ustawy; art. 9 ust. 2 lit. a RODO";
        assert_eq!(legal_bases(pl), ["eu-gdpr:A6-1-c", "eu-gdpr:A9-2-a"]);
        let cs = "čl. 9 odst. 2 písm. g) GDPR ve spojení s § 16 školského zákona";
        assert_eq!(legal_bases(cs), ["eu-gdpr:A9-2-g"]);
        assert_eq!(legal_bases("Art. 6(1)(e) GDPR, Art. 6(1)(e) again"), ["eu-gdpr:A6-1-e"]);
        // Not a letter of the article, another article, another paragraph: words only.
        assert!(legal_bases("Art. 6(1)(z); Art. 28 GDPR; art. 6 ust. 2 lit. a").is_empty());
        assert!(legal_bases("ustawa z dnia 14 grudnia 2016 r. – Prawo oświatowe").is_empty());
    }

    #[test]
    fn the_record_uses_dpv_terms_and_fits_pd_classes() {
        let (c, text) = fixture("controller-pl.toml");
        let v = json(&Ropa::new(&c, text.as_bytes(), Lang::En, date()));
        assert_eq!(v["@type"], "dpv:ROPA");
        assert_eq!(v["complete"], true);
        assert_eq!(v["dct:created"], "2026-09-01");
        assert_eq!(v["dpv:hasDataController"]["@type"], "dpv:DataController");
        assert_eq!(
            v["dpv:hasDataProtectionOfficer"]["dpv:hasContact"]["email"],
            "iod@sp12.lodz.example.pl"
        );
        let health = &v["dpv:hasProcess"][2];
        assert_eq!(health["dpv:hasLegalBasis"][0]["@id"], "eu-gdpr:A9-2-h");
        assert_eq!(health["dpv:hasLegalBasis"][1]["@id"], "eu-gdpr:A9-2-a");
        let data = &health["dpv:hasPersonalData"][0];
        assert_eq!(data["@type"], json!(["pd:HealthRecord", "dpv:SpecialCategoryPersonalData"]));
        assert_eq!(v["dpv:hasDataSubject"][0]["@type"], json!(["dpv:Student", "dpv:Child"]));
        let parents = &v["dpv:hasDataSubject"][1]["@type"];
        assert_eq!(parents, &json!(["dpv:ParentOfDataSubject", "dpv:GuardianOfDataSubject"]));
        assert_eq!(v["dpv:hasStorageCondition"][0]["@type"], "dpv:StorageDuration");
        let measures = v["dpv:hasTechnicalOrganisationalMeasure"].as_array().unwrap();
        assert_eq!(measures[1]["@type"], "dpv:TechnicalMeasure");
        assert_eq!(measures[1]["dct:description"]["@language"], "en");
    }

    #[test]
    fn a_transfer_names_its_third_country_and_safeguards() {
        let (c, text) = fixture("controller-cz.toml");
        let v = json(&Ropa::new(&c, text.as_bytes(), Lang::Cs, date()));
        let vendor = &v["dpv:hasRecipient"][2];
        assert_eq!(vendor["dpv:hasThirdCountry"]["@type"], "dpv:ThirdCountry");
        let safeguard = &vendor["dpv:hasTechnicalOrganisationalMeasure"];
        assert_eq!(safeguard["@type"], "dpv:SafeguardForDataTransfer");
        assert_eq!(safeguard["dct:description"]["@language"], "cs");
        assert!(v["dpv:hasRecipient"][0].get("dpv:hasThirdCountry").is_none());
    }

    #[test]
    fn gaps_are_listed_and_nothing_is_invented_for_them() {
        // The purpose's categories only: the retention schedule needs its own.
        let (c, text) = without_art30(|t| t.replacen("categories = [\"consents\"]\n", "", 1));
        let v = json(&Ropa::new(&c, text.as_bytes(), Lang::Pl, date()));
        assert_eq!(v["complete"], false);
        let keys: Vec<&str> =
            v["gaps"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["data_subjects", "security_measures"]);
        assert_eq!(v["gaps"][1]["provision"], "Art. 30(1)(g) GDPR");
        assert_eq!(v["dpv:hasTechnicalOrganisationalMeasure"], json!([]));
        assert_eq!(v["dpv:hasDataSubject"], json!([]));
    }

    #[test]
    fn a_text_given_only_in_the_default_language_says_so() {
        let english = ", en = \"Primary School No. 12 (Maria Skłodowska-Curie) in Łódź\"";
        let (c, text) = without_art30(|t| {
            assert!(t.contains(english));
            t.replace(english, "")
        });
        assert_eq!(c.default_language, Lang::Pl);
        let v = json(&Ropa::new(&c, text.as_bytes(), Lang::En, date()));
        let name = &v["dpv:hasDataController"]["dpv:hasName"];
        let polish = "Szkoła Podstawowa nr 12 im. Marii Skłodowskiej-Curie w Łodzi";
        assert_eq!(name, &json!({ "@value": polish, "@language": "pl" }));
    }
}
