//! The package's machine-readable parts — the Art. 15 information and the withholding log as
//! JSON with stable English keys — and its README for the person who receives it.
//!
//! Texts inside the JSON are in the report's language; `texts_in_other_language` lists the keys
//! whose text the controller gave only in its default language, so a machine can tell too.

use super::controller::{Resolved, Text};
use super::labels::{entity_label, field_label, is_special_category};
use super::lang::Lang;
use super::{party_text, reason_code, reason_text, Package};
use crate::model::fields::field;
use crate::model::Entity;
use crate::sar::Role;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Resolves texts for the JSON and remembers which fell back to the default language.
struct Texts<'a> {
    package: &'a Package<'a>,
    fallbacks: Vec<String>,
}

impl Texts<'_> {
    fn text(&mut self, key: &str, text: &Text) -> Value {
        let Resolved { text, lang } = self.package.controller.text(text, self.package.lang());
        if lang != self.package.lang() {
            self.fallbacks.push(key.to_string());
        }
        Value::String(text.to_string())
    }

    fn optional(&mut self, key: &str, text: Option<&Text>) -> Value {
        text.map_or(Value::Null, |t| self.text(key, t))
    }
}

/// The Art. 15(1)(a)–(h) and 15(2) information with the request's reference, dates and whose
/// data it is, as JSON with stable English keys (`art15_1_a_purposes`, …).
pub fn art15_information(package: &Package) -> Value {
    let c = package.controller;
    let mut t = Texts { package, fallbacks: Vec::new() };
    // The controller's texts are resolved in this order, which is the order of
    // `texts_in_other_language`; keep it when adding a step.
    let purposes = t.purposes();
    let recipients = t.recipients();
    let transfers = t.transfers();
    let retention = t.retention();
    let automated = t.automated_decisions();
    let (controller, dpo, authority) = t.parties();
    let source = t.text("source", &c.source);
    let rights_extra = t.optional("rights", c.rights.as_ref());

    json!({
        "format": "teczka-sar-art15/1",
        "language": package.lang(),
        "request": request_json(package),
        "controller": controller,
        "dpo": dpo,
        "subject": subject_json(package),
        "searched": package.disclosure.searched,
        "art15_1_a_purposes": purposes,
        "art15_1_b_categories": categories_held(package),
        "art15_1_c_recipients": recipients,
        "art15_1_d_retention": retention,
        "art15_1_e_rights": {
            "rights": ["rectification", "erasure", "restriction", "objection", "withdraw_consent", "portability"],
            "text": rights_text(package.lang()),
            "controller_notes": rights_extra,
        },
        "art15_1_f_complaint": { "authority": authority },
        "art15_1_g_source": source,
        "art15_1_h_automated_decisions": automated,
        "art15_2_transfers": transfers,
        "texts_in_other_language": t.fallbacks,
    })
}

/// The request's reference and dates, the due date counted for the controller's country.
fn request_json(package: &Package) -> Value {
    let r = package.request;
    let country = package.controller.country;
    json!({
        "reference": r.reference,
        "received": r.received,
        "answered": r.answered,
        "due": r.due(country),
        "initial_due": r.initial_due(country),
        "extension": r.extension.as_ref().map(|e| json!({ "months": e.months, "reason": e.reason })),
    })
}

/// Whose data the answer holds: how the subject was identified, found or not, and as whom.
fn subject_json(package: &Package) -> Value {
    let d = package.disclosure;
    json!({
        "identified_by": d.subject,
        "found": package.found(),
        "role": d.role,
        "on_behalf_of_children": d.on_behalf_of_children,
        "records_disclosed": d.pupils.len(),
        "linked_pupils": d.linked.len(),
    })
}

/// The controller file's sections as JSON, each text resolved (and its fallback remembered)
/// under the key it has in the file (`purposes[0].purpose`, …).
impl Texts<'_> {
    /// Art. 15(1)(a): purposes, legal bases and the categories each covers.
    fn purposes(&mut self) -> Vec<Value> {
        let c = self.package.controller;
        c.purposes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({
                    "purpose": self.text(&format!("purposes[{i}].purpose"), &p.purpose),
                    "legal_basis": self.text(&format!("purposes[{i}].legal_basis"), &p.legal_basis),
                    "categories": p.categories.iter().map(|c| c.0.file_stem()).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    /// Art. 15(1)(c): every recipient, with its third country if any.
    fn recipients(&mut self) -> Vec<Value> {
        let c = self.package.controller;
        c.recipients
            .iter()
            .enumerate()
            .map(|(i, rc)| {
                json!({
                    "name": self.text(&format!("recipients[{i}].name"), &rc.name),
                    "role": self.optional(&format!("recipients[{i}].role"), rc.role.as_ref()),
                    "third_country": self.optional(&format!("recipients[{i}].third_country"), rc.third_country.as_ref()),
                })
            })
            .collect()
    }

    /// Art. 15(2): the recipients in third countries, with their safeguards.
    fn transfers(&mut self) -> Vec<Value> {
        let c = self.package.controller;
        c.recipients
            .iter()
            .enumerate()
            .filter(|(_, rc)| rc.third_country.is_some())
            .map(|(i, rc)| {
                json!({
                    "recipient": self.text(&format!("recipients[{i}].name"), &rc.name),
                    "third_country": self.optional(&format!("recipients[{i}].third_country"), rc.third_country.as_ref()),
                    "safeguards": self.optional(&format!("recipients[{i}].safeguards"), rc.safeguards.as_ref()),
                })
            })
            .collect()
    }

    /// Art. 15(1)(d): how long each kind of data is kept.
    fn retention(&mut self) -> Vec<Value> {
        let c = self.package.controller;
        c.retention
            .iter()
            .enumerate()
            .map(|(i, rt)| {
                json!({
                    "data": self.text(&format!("retention[{i}].data"), &rt.data),
                    "period": self.text(&format!("retention[{i}].period"), &rt.period),
                    "categories": rt.categories.iter().map(|c| c.0.file_stem()).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    /// Art. 15(1)(h): automated decisions, their logic and consequences.
    fn automated_decisions(&mut self) -> Value {
        let ad = &self.package.controller.automated_decisions;
        json!({
            "exists": ad.exists,
            "logic": self.optional("automated_decisions.logic", ad.logic.as_ref()),
            "consequences": self.optional("automated_decisions.consequences", ad.consequences.as_ref()),
        })
    }

    /// The controller, its data-protection officer and the supervisory authority.
    fn parties(&mut self) -> (Value, Value, Value) {
        let c = self.package.controller;
        let controller = json!({
            "name": self.text("controller.name", &c.controller.name),
            "address": c.controller.address,
            "email": c.controller.email,
            "phone": c.controller.phone,
            "country": c.country,
        });
        let dpo = json!({
            "name": self.text("dpo.name", &c.dpo.name),
            "address": c.dpo.address,
            "email": c.dpo.email,
            "phone": c.dpo.phone,
        });
        let authority = json!({
            "name": self.text("authority.name", &c.authority.name),
            "address": c.authority.address,
            "website": c.authority.website,
            "email": c.authority.email,
        });
        (controller, dpo, authority)
    }
}

/// The categories of data actually held about the person, with how many items each: this is
/// Art. 15(1)(b) for this person, not the school's whole catalogue.
fn categories_held(package: &Package) -> Vec<Value> {
    let lang = package.lang();
    held_counts(package)
        .into_iter()
        .map(|(entity, count)| {
            json!({
                "category": entity.file_stem(),
                "label": entity_label(entity, lang),
                "items": count,
                "special_category": is_special_category(entity),
            })
        })
        .collect()
}

/// Each category that holds data in the disclosed records, with its item count.
pub(super) fn held_counts(package: &Package) -> Vec<(Entity, usize)> {
    let d = package.disclosure;
    // A guardian asking about themselves: the children's stubs are theirs, not the guardian's.
    if d.role == Some(Role::Guardian) && !d.on_behalf_of_children {
        return vec![(Entity::Guardian, d.guardian.len())];
    }
    // Each record walked once, not once per category.
    let records: Vec<Value> =
        d.pupils.iter().map(|p| serde_json::to_value(p).unwrap_or(Value::Null)).collect();
    Entity::ALL
        .into_iter()
        .filter_map(|entity| {
            let count: usize = match entity.collection() {
                None => records.len(),
                Some(collection) => records
                    .iter()
                    .map(|v| v.get(collection).and_then(Value::as_array).map_or(0, Vec::len))
                    .sum(),
            };
            (count > 0).then_some((entity, count))
        })
        .collect()
}

/// The rights of Art. 15(1)(e) (and consent withdrawal, portability) in plain words.
pub(super) fn rights_text(lang: Lang) -> &'static str {
    lang.pick([
        "Masz prawo żądać sprostowania swoich danych (art. 16 RODO), ich usunięcia (art. 17), \
         ograniczenia przetwarzania (art. 18) oraz wnieść sprzeciw wobec przetwarzania (art. 21) — \
         w zakresie, w jakim prawa te przysługują przy danej podstawie prawnej: danych, które szkoła \
         musi prowadzić z mocy prawa oświatowego, nie usuwa się przed upływem okresu ich \
         przechowywania. Zgodę możesz wycofać w każdej chwili; nie wpływa to na zgodność z prawem \
         przetwarzania przed jej wycofaniem (art. 7 ust. 3). Dane przetwarzane na podstawie zgody \
         lub umowy w sposób zautomatyzowany możesz otrzymać w formacie nadającym się do \
         przeniesienia (art. 20).",
        "Máte právo požadovat opravu svých údajů (čl. 16 GDPR), jejich výmaz (čl. 17), omezení \
         zpracování (čl. 18) a vznést námitku proti zpracování (čl. 21) — v rozsahu, v jakém tato \
         práva náleží podle příslušného právního základu: údaje, které škola vede ze zákona \
         (školní matrika), se před uplynutím doby jejich uložení nevymazávají. Souhlas můžete \
         kdykoli odvolat; zákonnost zpracování před jeho odvoláním tím není dotčena (čl. 7 odst. 3). \
         Údaje zpracovávané automatizovaně na základě souhlasu nebo smlouvy můžete získat ve formátu \
         vhodném k přenosu (čl. 20).",
        "You have the right to have your data rectified (Art. 16 GDPR), erased (Art. 17), its \
         processing restricted (Art. 18), and to object to processing (Art. 21) — as far as these \
         rights apply under the legal basis concerned: records a school must keep by law are not \
         erased before their retention period ends. You may withdraw consent at any time, without \
         affecting the lawfulness of processing before the withdrawal (Art. 7(3)). Data processed \
         by automated means on the basis of consent or a contract can be given to you in a \
         portable format (Art. 20).",
    ])
}

/// The withholding log: one entry per withheld field of a record — the record, the field path,
/// its label, whose data it was, the reason in the report language with a stable code, and how
/// many values. Never a withheld value (the disclosure does not hold them).
pub fn withholding_log(package: &Package) -> Value {
    let lang = package.lang();
    let d = package.disclosure;
    let entries: Vec<Value> = d
        .withheld
        .iter()
        .map(|w| {
            let category = field(&w.field).map(|f| f.entity);
            let mut entry = Map::new();
            entry.insert("record".into(), json!(w.record));
            entry.insert("field".into(), json!(w.field));
            entry.insert(
                "label".into(),
                json!(field_label(&w.field, lang).unwrap_or_else(|| w.field.clone())),
            );
            entry.insert("category".into(), json!(category.map(|e| e.file_stem())));
            entry.insert("category_label".into(), json!(category.map(|e| entity_label(e, lang))));
            entry.insert("party".into(), json!(w.party));
            entry.insert("party_label".into(), json!(party_text(w.party, lang)));
            entry.insert("reason_code".into(), json!(reason_code(w.party)));
            entry.insert("reason".into(), json!(reason_text(w.party, lang)));
            entry.insert("count".into(), json!(w.count));
            Value::Object(entry)
        })
        .collect();
    let parties: BTreeSet<_> = d.withheld.iter().map(|w| w.party).collect();
    json!({
        "format": "teczka-sar-withheld/1",
        "language": lang,
        "request": package.request.reference,
        "legal_basis": "GDPR Art. 15(4)",
        "values_withheld": d.withheld.iter().map(|w| w.count).sum::<usize>(),
        "parties": parties,
        "entries": entries,
    })
}

/// The bag's README.txt for the recipient: what the package holds and how to read it, in the
/// report's language.
pub fn readme_txt(package: &Package) -> String {
    let lang = package.lang();
    let c = package.controller;
    let r = package.request;
    let name = c.text(&c.controller.name, lang).text;
    let (title, body) = match lang {
        Lang::Pl => (
            "Odpowiedź na żądanie dostępu do danych osobowych (art. 15 RODO)",
            "Ten pakiet zawiera odpowiedź administratora na Twoje żądanie.\n\n\
             Zacznij od pliku data/index.html — otwórz go w dowolnej przeglądarce (także w telefonie);\n\
             można go wydrukować. Nie wymaga internetu i nie zawiera skryptów.\n\n\
             Pozostałe pliki w katalogu data/:\n\
             - art15-information.json  informacje z art. 15 RODO w formacie do odczytu maszynowego\n\
             - withheld.json           rejestr pominięć: które dane innych osób pominięto i dlaczego\n\
             - records/                Twoje dane jako CSV (dla arkusza kalkulacyjnego), JSON i XML\n\
             - README.txt              ten plik\n\n\
             Pliki bagit.txt, bag-info.txt i manifest-*.txt pozwalają sprawdzić, że nic nie zostało\n\
             zmienione (format BagIt, RFC 8493; np. `teczka verify` lub bagit.py --validate).",
        ),
        Lang::Cs => (
            "Odpověď na žádost o přístup k osobním údajům (čl. 15 GDPR)",
            "Tento balíček obsahuje odpověď správce na vaši žádost.\n\n\
             Začněte souborem data/index.html — otevřete jej v libovolném prohlížeči (i v telefonu);\n\
             lze jej vytisknout. Nepotřebuje internet a neobsahuje skripty.\n\n\
             Další soubory ve složce data/:\n\
             - art15-information.json  informace podle čl. 15 GDPR ve strojově čitelné podobě\n\
             - withheld.json           záznam o vynechaných údajích jiných osob a důvodech\n\
             - records/                vaše údaje jako CSV (pro tabulkový procesor), JSON a XML\n\
             - README.txt              tento soubor\n\n\
             Soubory bagit.txt, bag-info.txt a manifest-*.txt umožňují ověřit, že nic nebylo\n\
             změněno (formát BagIt, RFC 8493; např. `teczka verify` nebo bagit.py --validate).",
        ),
        Lang::En => (
            "Answer to a subject-access request (GDPR Art. 15)",
            "This package holds the controller's answer to your request.\n\n\
             Start with data/index.html — open it in any web browser (a phone will do); it can be\n\
             printed. It needs no internet connection and contains no scripts.\n\n\
             The other files in data/:\n\
             - art15-information.json  the Art. 15 GDPR information, machine-readable\n\
             - withheld.json           what other people's data was left out, and why\n\
             - records/                your data as CSV (for spreadsheets), JSON and XML\n\
             - README.txt              this file\n\n\
             bagit.txt, bag-info.txt and manifest-*.txt let anyone check that nothing was changed\n\
             (the BagIt format, RFC 8493; e.g. `teczka verify` or bagit.py --validate).",
        ),
    };
    let labels = lang.pick([
        ["Administrator", "Sygnatura żądania", "Data otrzymania", "Data odpowiedzi"],
        ["Správce", "Číslo jednací", "Datum doručení", "Datum odpovědi"],
        ["Controller", "Request reference", "Received", "Answered"],
    ]);
    let negative = (!package.found()).then(|| {
        lang.pick([
            "Nie przetwarzamy danych osoby wskazanej w żądaniu — szczegóły w data/index.html.",
            "Osobní údaje osoby uvedené v žádosti nezpracováváme — podrobnosti v data/index.html.",
            "We hold no data about the person named in the request — see data/index.html.",
        ])
    });
    let mut out = format!(
        "{title}\n\n{}: {name}\n{}: {}\n{}: {}\n{}: {}\n\n",
        labels[0],
        labels[1],
        r.reference,
        labels[2],
        lang.date(r.received),
        labels[3],
        lang.date(r.answered)
    );
    if let Some(line) = negative {
        out.push_str(line);
        out.push_str("\n\n");
    }
    out.push_str(body);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn art15_json_has_stable_keys_and_the_requests_dates() {
        let controller = controller("controller-pl.toml");
        let request = request(Lang::En);
        let disclosure = pupil_disclosure();
        let package =
            Package { controller: &controller, request: &request, disclosure: &disclosure };
        let info = art15_information(&package);
        for key in [
            "art15_1_a_purposes",
            "art15_1_b_categories",
            "art15_1_c_recipients",
            "art15_1_d_retention",
            "art15_1_e_rights",
            "art15_1_f_complaint",
            "art15_1_g_source",
            "art15_1_h_automated_decisions",
            "art15_2_transfers",
        ] {
            assert!(info.get(key).is_some(), "{key}");
        }
        assert_eq!(info["request"]["received"], "2026-01-31");
        assert_eq!(info["request"]["due"], "2026-03-02");
        assert_eq!(info["subject"]["role"], "pupil");
        assert_eq!(info["subject"]["identified_by"]["kind"], "pesel");
        let health = info["art15_1_b_categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == "health")
            .unwrap();
        assert_eq!(health["special_category"], true);
        assert!(info["art15_1_f_complaint"]["authority"]["address"]
            .as_str()
            .unwrap()
            .contains("Stawki 2"));
    }

    #[test]
    fn withholding_log_names_fields_and_reasons_never_values() {
        let controller = controller("controller-pl.toml");
        let request = request(Lang::Pl);
        let disclosure = pupil_disclosure();
        let package =
            Package { controller: &controller, request: &request, disclosure: &disclosure };
        let log = withholding_log(&package);
        let first = &log["entries"][0];
        assert_eq!(first["field"], "guardians[].phone");
        assert_eq!(first["label"], "Telefon");
        assert_eq!(first["reason_code"], "third-party-other-guardian");
        assert_eq!(first["party"], "other_guardian");
        assert_eq!(log["values_withheld"], 2);
        assert!(first["reason"].as_str().unwrap().contains("art. 15 ust. 4 RODO"));
    }

    #[test]
    fn readme_speaks_the_report_language_and_says_a_negative_answer() {
        let controller = controller("controller-cz.toml");
        let request = request(Lang::Cs);
        let disclosure = negative_disclosure();
        let package =
            Package { controller: &controller, request: &request, disclosure: &disclosure };
        let readme = readme_txt(&package);
        assert!(readme.starts_with("Odpověď na žádost o přístup"));
        assert!(readme.contains("31. 1. 2026"));
        assert!(readme.contains("nezpracováváme"));
    }

    #[test]
    fn readme_names_every_file_of_the_package_in_every_language() {
        use super::super::files::*;
        let controller = controller("controller-pl.toml");
        let disclosure = pupil_disclosure();
        for lang in Lang::ALL {
            let request = request(lang);
            let package =
                Package { controller: &controller, request: &request, disclosure: &disclosure };
            let readme = readme_txt(&package);
            for name in [INDEX_HTML, ART15_JSON, WITHHELD_JSON, README_TXT, RECORDS_DIR] {
                assert!(readme.contains(name), "{lang}: {name}");
            }
        }
    }
}
