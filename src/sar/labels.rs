//! Plain-language names for what the records hold: every catalogue field, every category
//! (entity) and every enum word, in Polish, Czech and English.
//!
//! A parent reads "Data urodzenia", not `birth_date`. The tests hold this table against the
//! field catalogue, so a field added to the model without a label fails the build's tests
//! instead of showing up in a report as a code name.

use super::lang::Lang;
use crate::model::Entity;

/// A category of records (an [`Entity`]) in plain words.
pub fn entity_label(entity: Entity, lang: Lang) -> &'static str {
    lang.pick(match entity {
        Entity::Pupil => [
            "Dane osobowe i przynależność do szkoły",
            "Osobní údaje a zařazení ve škole",
            "Personal details and place in the school",
        ],
        Entity::Address => ["Adresy", "Adresy", "Addresses"],
        Entity::Guardian => {
            ["Rodzice i opiekunowie prawni", "Zákonní zástupci", "Parents and legal guardians"]
        }
        Entity::Grade => {
            ["Oceny (arkusz ocen)", "Hodnocení (katalogový list)", "Grades (grades sheet)"]
        }
        Entity::Attendance => ["Frekwencja", "Docházka", "Attendance"],
        Entity::Remark => ["Uwagi nauczycieli", "Poznámky učitelů", "Teachers' remarks"],
        Entity::Exam => ["Egzaminy zewnętrzne", "Externí zkoušky", "External exams"],
        Entity::Achievement => ["Osiągnięcia", "Úspěchy", "Achievements"],
        Entity::Counselling => [
            "Opinie i orzeczenia poradni (dane szczególnej kategorii)",
            "Zprávy a doporučení poraden (zvláštní kategorie údajů)",
            "Counselling opinions and rulings (special-category data)",
        ],
        Entity::Health => [
            "Informacje o zdrowiu (dane szczególnej kategorii)",
            "Zdravotní údaje (zvláštní kategorie údajů)",
            "Health notes (special-category data)",
        ],
        Entity::Consent => ["Zgody", "Souhlasy", "Consents"],
        Entity::Contract => ["Umowy", "Smlouvy", "Contracts"],
        Entity::Payment => ["Płatności", "Platby", "Payments"],
        Entity::Assessment => {
            ["Oceny poziomu wiedzy", "Hodnocení úrovně znalostí", "Knowledge-level assessments"]
        }
    })
}

/// Whether a category is special-category data (GDPR Art. 9).
pub fn is_special_category(entity: Entity) -> bool {
    matches!(entity, Entity::Counselling | Entity::Health)
}

/// The plain-language label of a catalogue field path (`guardians[].address.town` →
/// "Adres: miejscowość"), or `None` for a path this table does not know.
pub fn field_label(path: &str, lang: Lang) -> Option<String> {
    if path == crate::sar::CHILD_RECORD {
        return Some(
            lang.pick([
                "Cały rekord ucznia (nie został dołączony)",
                "Celý záznam žáka (nebyl přiložen)",
                "The pupil's whole record (not included)",
            ])
            .to_string(),
        );
    }
    if let Some(leaf) = path.strip_prefix("guardians[].address.") {
        let address = lang.pick(["Adres", "Adresa", "Address"]);
        return Some(format!("{address}: {}", lang.pick(address_label(leaf)?)));
    }
    if let Some(leaf) = path.strip_prefix("addresses[].") {
        return address_label(leaf).map(|t| lang.pick(t).to_string());
    }
    FIELD_LABELS.iter().find(|(p, _)| *p == path).map(|(_, t)| lang.pick(*t).to_string())
}

fn address_label(leaf: &str) -> Option<[&'static str; 3]> {
    Some(match leaf {
        "kind" => ["Rodzaj adresu", "Druh adresy", "Kind of address"],
        "town" => ["Miejscowość", "Obec / město", "Town"],
        "street" => ["Ulica", "Ulice", "Street"],
        "house_number" => ["Numer domu", "Číslo domu", "House number"],
        "flat_number" => ["Numer lokalu", "Číslo bytu", "Flat number"],
        "postcode" => ["Kod pocztowy", "PSČ", "Postcode"],
        "post_town" => ["Poczta", "Pošta", "Post town"],
        "commune" => ["Gmina", "Obec", "Commune"],
        "county" => ["Powiat", "Okres", "County"],
        "region" => ["Województwo", "Kraj", "Voivodeship / region"],
        "country" => ["Kraj", "Stát", "Country"],
        "teryt" => ["Kod TERYT gminy", "Kód TERYT (polský územní kód)", "TERYT commune code"],
        _ => return None,
    })
}

#[rustfmt::skip]
const FIELD_LABELS: &[(&str, [&str; 3])] = &[
    ("id", ["Identyfikator w systemie szkoły", "Identifikátor v systému školy", "Id in the school's system"]),
    ("education_id", ["Identyfikator oświatowy", "Polský vzdělávací identifikátor", "Polish education id"]),
    ("pesel", ["PESEL", "PESEL (polské rodné číslo)", "PESEL (Polish national id)"]),
    ("birth_number", ["Czeski numer urodzenia (rodné číslo)", "Rodné číslo", "Czech birth number (rodné číslo)"]),
    ("foreign_document", ["Numer dokumentu zagranicznego", "Číslo zahraničního dokladu", "Foreign identity document number"]),
    ("surname", ["Nazwisko", "Příjmení", "Surname"]),
    ("birth_surname", ["Nazwisko rodowe", "Rodné příjmení", "Family name at birth"]),
    ("first_name", ["Imię", "Jméno", "First name"]),
    ("second_name", ["Drugie imię", "Druhé jméno", "Second name"]),
    ("sex", ["Płeć", "Pohlaví", "Sex"]),
    ("birth_date", ["Data urodzenia", "Datum narození", "Date of birth"]),
    ("birth_place", ["Miejsce urodzenia", "Místo narození", "Place of birth"]),
    ("birth_place_locative", ["Miejsce urodzenia (w miejscowniku)", "Místo narození (polský 6. pád)", "Place of birth (Polish locative form)"]),
    ("birth_region", ["Województwo urodzenia", "Kraj narození", "Voivodeship / region of birth"]),
    ("birth_country", ["Kraj urodzenia", "Stát narození", "Country of birth"]),
    ("national_citizen", ["Obywatelstwo polskie / kraju szkoły", "Státní občanství země školy", "Citizen of the school's country"]),
    ("eu_citizen", ["Obywatelstwo państwa UE", "Občanství státu EU", "Citizen of an EU member state"]),
    ("enrolment.school_name", ["Szkoła", "Škola", "School"]),
    ("enrolment.school_id", ["Identyfikator szkoły (RSPO/REGON/IZO)", "Identifikátor školy (IZO/RSPO/REGON)", "School id (RSPO/REGON/IZO)"]),
    ("enrolment.class_level", ["Klasa (poziom)", "Ročník", "Class level"]),
    ("enrolment.class_symbol", ["Oddział (symbol klasy)", "Třída (označení)", "Class symbol"]),
    ("enrolment.register_number", ["Numer w dzienniku", "Číslo v třídní knize", "Number in the class register"]),
    ("enrolment.pupil_book_number", ["Numer w księdze uczniów", "Číslo v matrice", "Number in the pupil book"]),
    ("enrolment.admission_date", ["Data przyjęcia do szkoły", "Datum přijetí do školy", "Date of admission"]),
    ("enrolment.leaving_date", ["Data opuszczenia szkoły", "Datum odchodu ze školy", "Date of leaving"]),
    ("enrolment.id_card_number", ["Numer legitymacji szkolnej", "Číslo žákovského průkazu", "Pupil ID-card number"]),
    ("enrolment.district_school", ["Szkoła obwodowa", "Spádová škola", "District school"]),
    ("enrolment.next_school", ["Szkoła, do której uczeń przechodzi", "Škola, kam žák přestupuje", "Next school"]),
    ("guardians[].id", ["Identyfikator opiekuna w systemie szkoły", "Identifikátor zástupce v systému školy", "Guardian's id in the school's system"]),
    ("guardians[].relation", ["Pokrewieństwo / rola", "Vztah k žákovi", "Relation to the pupil"]),
    ("guardians[].surname", ["Nazwisko", "Příjmení", "Surname"]),
    ("guardians[].first_name", ["Imię", "Jméno", "First name"]),
    ("guardians[].phone", ["Telefon", "Telefon", "Phone"]),
    ("guardians[].email", ["E-mail", "E-mail", "E-mail"]),
    ("guardians[].parental_rights", ["Władza rodzicielska", "Rodičovská odpovědnost", "Holds parental rights"]),
    ("grades[].school_year", ["Rok szkolny", "Školní rok", "School year"]),
    ("grades[].term", ["Okres (semestr)", "Pololetí", "Term"]),
    ("grades[].subject", ["Przedmiot", "Předmět", "Subject"]),
    ("grades[].grade", ["Ocena", "Známka", "Grade"]),
    ("grades[].kind", ["Rodzaj oceny", "Druh hodnocení", "Kind of grade"]),
    ("grades[].behaviour", ["Ocena z zachowania", "Hodnocení chování", "Behaviour grade"]),
    ("attendance[].date", ["Data", "Datum", "Date"]),
    ("attendance[].period", ["Lekcja", "Vyučovací hodina", "Lesson or period"]),
    ("attendance[].status", ["Obecność", "Docházka", "Status"]),
    ("remarks[].date", ["Data", "Datum", "Date"]),
    ("remarks[].author", ["Autor (nauczyciel)", "Autor (učitel)", "Author (teacher)"]),
    ("remarks[].category", ["Rodzaj uwagi", "Druh poznámky", "Kind of remark"]),
    ("remarks[].text", ["Treść", "Text", "Text"]),
    ("exams[].exam", ["Egzamin", "Zkouška", "Exam"]),
    ("exams[].subject", ["Przedmiot", "Předmět", "Subject"]),
    ("exams[].score", ["Wynik (%)", "Výsledek (%)", "Score (%)"]),
    ("exams[].percentile", ["Centyl", "Percentil", "Percentile"]),
    ("exams[].date", ["Data", "Datum", "Date"]),
    ("achievements[].title", ["Osiągnięcie", "Úspěch", "Achievement"]),
    ("achievements[].level", ["Szczebel", "Úroveň", "Level"]),
    ("achievements[].date", ["Data", "Datum", "Date"]),
    ("counselling[].kind", ["Rodzaj dokumentu", "Druh dokumentu", "Kind of document"]),
    ("counselling[].number", ["Numer dokumentu", "Číslo dokumentu", "Document number"]),
    ("counselling[].issuer", ["Wydająca poradnia", "Vydávající poradna", "Issuing counselling centre"]),
    ("counselling[].issued_on", ["Data wydania", "Datum vydání", "Issue date"]),
    ("counselling[].valid_until", ["Ważne do", "Platné do", "Valid until"]),
    ("counselling[].notes", ["Uwagi i zalecenia", "Poznámky a doporučení", "Notes and recommendations"]),
    ("health[].category", ["Rodzaj informacji", "Druh údaje", "Kind of note"]),
    ("health[].note", ["Treść", "Text", "Note"]),
    ("health[].recorded_on", ["Data wpisu", "Datum záznamu", "Date recorded"]),
    ("consents[].purpose", ["Cel zgody", "Účel souhlasu", "Purpose"]),
    ("consents[].given_at", ["Data udzielenia", "Datum udělení", "Given on"]),
    ("consents[].withdrawn_at", ["Data wycofania", "Datum odvolání", "Withdrawn on"]),
    ("consents[].given_by", ["Kto udzielił", "Kdo udělil", "Given by"]),
    ("contracts[].kind", ["Rodzaj umowy", "Druh smlouvy", "Kind of contract"]),
    ("contracts[].start", ["Początek", "Začátek", "Start"]),
    ("contracts[].end", ["Koniec", "Konec", "End"]),
    ("payments[].date", ["Data", "Datum", "Date"]),
    ("payments[].amount_minor", ["Kwota", "Částka", "Amount"]),
    ("payments[].currency", ["Waluta", "Měna", "Currency"]),
    ("payments[].title", ["Tytuł płatności", "Účel platby", "Payment title"]),
    ("assessments[].date", ["Data", "Datum", "Date"]),
    ("assessments[].subject", ["Przedmiot lub język", "Předmět nebo jazyk", "Subject or language"]),
    ("assessments[].level", ["Osiągnięty poziom", "Dosažená úroveň", "Level reached"]),
    ("indicators.absence_rate", ["Odsetek opuszczonych lekcji (%)", "Podíl zameškaných hodin (%)", "Share of lessons missed (%)"]),
    ("indicators.absences", ["Liczba nieobecności", "Počet absencí", "Absences"]),
    ("indicators.grade_average", ["Średnia ocen końcowych", "Průměr závěrečných známek", "Final grade average"]),
    ("indicators.exam_score", ["Średni wynik egzaminów (%)", "Průměrný výsledek zkoušek (%)", "Mean exam score (%)"]),
    ("indicators.achievement_count", ["Liczba osiągnięć", "Počet úspěchů", "Number of achievements"]),
    ("indicators.achievement_level", ["Najwyższy poziom osiągnięć", "Nejvyšší úroveň úspěchů", "Highest achievement level"]),
    ("indicators.counselling", ["Rodzaje dokumentów poradni (kody)", "Druhy dokumentů poradny (kódy)", "Kinds of counselling documents (codes)"]),
    ("indicators.health", ["Kategorie informacji o zdrowiu (kody)", "Kategorie zdravotních údajů (kódy)", "Health-note categories (codes)"]),
    ("cz_register.collection_date", ["Data zbierania danych MŠMT", "Rozhodné datum sběru", "Register collection date"]),
    ("cz_register.school_part", ["Część szkoły", "Část školy", "Part of the school"]),
    ("cz_register.citizenship", ["Obywatelstwo (kod)", "Státní občanství (kód)", "Citizenship (code)"]),
    ("cz_register.citizenship_kind", ["Rodzaj obywatelstwa (kod)", "Kvalifikátor státního občanství", "Citizenship qualifier"]),
    ("cz_register.previous_education", ["Poprzednie miejsce nauki (kod)", "Předchozí působiště", "Previous education (code)"]),
    ("cz_register.previous_school", ["IZO poprzedniej szkoły", "IZO předchozí školy", "Previous school (IZO)"]),
    ("cz_register.admission_code", ["Sposób przyjęcia (kod)", "Kód zahájení vzdělávání", "Admission (code)"]),
    ("cz_register.leaving_code", ["Sposób zakończenia (kod)", "Kód ukončení vzdělávání", "Leaving (code)"]),
    ("cz_register.field_of_study", ["Kierunek kształcenia (kod)", "Obor vzdělání", "Field of education (code)"]),
    ("cz_register.education_form", ["Forma kształcenia (kod)", "Forma vzdělávání", "Form of education (code)"]),
    ("cz_register.other_items", ["Inne pozycje matriki (kod=wartość)", "Další položky matriky (kód=hodnota)", "Other register items (code=value)"]),
];

/// An enum value of the model (`female`, `mid_year`, `excused`, …) in words, or `None` for a
/// word this table does not know.
pub fn enum_word(word: &str, lang: Lang) -> Option<&'static str> {
    let texts = match word {
        "female" => ["kobieta", "žena", "female"],
        "male" => ["mężczyzna", "muž", "male"],
        "residence" => ["adres zamieszkania", "bydliště", "residence"],
        "registered" => ["adres zameldowania", "trvalý pobyt", "registered address"],
        "correspondence" => {
            ["adres do korespondencji", "korespondenční adresa", "correspondence address"]
        }
        "mid_year" => ["śródroczna", "pololetní", "mid-year"],
        "final" => ["roczna (końcowa)", "závěrečná", "final"],
        "present" => ["obecny", "přítomen", "present"],
        "absent" => {
            ["nieobecny (nieusprawiedliwiony)", "nepřítomen (neomluveno)", "absent (not excused)"]
        }
        "excused" => ["nieobecność usprawiedliwiona", "omluvená absence", "absent (excused)"],
        "late" => ["spóźniony", "pozdní příchod", "late"],
        _ => return None,
    };
    Some(lang.pick(texts))
}

/// Yes or no in words.
pub fn yes_no(value: bool, lang: Lang) -> &'static str {
    if value {
        lang.pick(["tak", "ano", "yes"])
    } else {
        lang.pick(["nie", "ne", "no"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::fields;
    use crate::model::ValueKind;

    #[test]
    fn every_catalogue_field_has_a_label_in_every_language() {
        let mut missing = Vec::new();
        for field in fields() {
            for lang in Lang::ALL {
                match field_label(&field.path, lang) {
                    Some(label) if !label.trim().is_empty() => {}
                    _ => missing.push(format!("{} ({lang})", field.path)),
                }
            }
        }
        assert!(missing.is_empty(), "fields without a label in labels.rs: {missing:?}");
    }

    #[test]
    fn every_enum_word_of_the_catalogue_has_words_in_every_language() {
        for field in fields() {
            if let ValueKind::Enum(words) = &field.kind {
                for word in words {
                    for lang in Lang::ALL {
                        assert!(
                            enum_word(word, lang).is_some(),
                            "{}: `{word}` ({lang})",
                            field.path
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn labels_table_names_only_catalogue_fields() {
        for (path, _) in FIELD_LABELS {
            assert!(crate::model::fields::field(path).is_some(), "stale label for `{path}`");
        }
    }

    #[test]
    fn guardian_address_labels_are_composed() {
        assert_eq!(
            field_label("guardians[].address.town", Lang::Pl).as_deref(),
            Some("Adres: Miejscowość")
        );
        assert_eq!(field_label("addresses[].postcode", Lang::Cs).as_deref(), Some("PSČ"));
    }
}
