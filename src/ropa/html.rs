//! `ropa.html`: the record as the DPO prints it or shows it to the supervisory authority.
//!
//! One self-contained page in the subject-access page's style (`sar/page.rs`: the same
//! stylesheet, escaping and fallback marks): what is missing first, in a red box, then one
//! section per letter of Art. 30(1), each saying what the controller file gives — or, where it
//! gives nothing, that the item is missing and which key to add, never a placeholder that could
//! pass for an answer.

use super::{Gap, Letter, Ropa};
use crate::sar::page;
use crate::sar::{entity_label, Lang, MeasureKind, Text};
use maud::{html, Markup, DOCTYPE};

const TITLE: [&str; 3] = [
    "Rejestr czynności przetwarzania (art. 30 ust. 1 RODO)",
    "Záznamy o činnostech zpracování (čl. 30 odst. 1 GDPR)",
    "Record of processing activities (Art. 30(1) GDPR)",
];

/// What this page adds to the shared stylesheet: the TOML examples in the gaps wrap on a phone.
const CSS: &str = "pre{white-space:pre-wrap;overflow-wrap:anywhere}";

/// The whole page as UTF-8 HTML.
pub fn html(ropa: &Ropa) -> String {
    Page { r: ropa, lang: ropa.lang }.render().into_string()
}

/// The section heading of each letter.
#[rustfmt::skip]
fn title(letter: Letter) -> [&'static str; 3] {
    match letter {
        Letter::A => ["Administrator, współadministratorzy, przedstawiciel i inspektor ochrony danych", "Správce, společní správci, zástupce a pověřenec pro ochranu osobních údajů", "Controller, joint controllers, representative and data-protection officer"],
        Letter::B => ["Cele przetwarzania", "Účely zpracování", "Purposes of the processing"],
        Letter::C => ["Kategorie osób, których dane dotyczą, i kategorie danych osobowych", "Kategorie subjektů údajů a kategorie osobních údajů", "Categories of data subjects and of personal data"],
        Letter::D => ["Kategorie odbiorców", "Kategorie příjemců", "Categories of recipients"],
        Letter::E => ["Przekazywanie danych do państw trzecich lub organizacji międzynarodowych", "Předávání do třetích zemí nebo mezinárodním organizacím", "Transfers to third countries or international organisations"],
        Letter::F => ["Planowane terminy usunięcia danych", "Plánované lhůty pro výmaz", "Envisaged time limits for erasure"],
        Letter::G => ["Ogólny opis technicznych i organizacyjnych środków bezpieczeństwa", "Obecný popis technických a organizačních bezpečnostních opatření", "General description of the technical and organisational security measures"],
    }
}

fn measure_kind(kind: Option<MeasureKind>) -> [&'static str; 3] {
    match kind {
        Some(MeasureKind::Technical) => ["techniczny", "technické", "technical"],
        Some(MeasureKind::Organisational) => ["organizacyjny", "organizační", "organisational"],
        Some(MeasureKind::Physical) => ["fizyczny", "fyzické", "physical"],
        Some(MeasureKind::Legal) => ["prawny", "právní", "legal"],
        None => [
            "techniczny i organizacyjny",
            "technické a organizační",
            "technical and organisational",
        ],
    }
}

struct Page<'a> {
    r: &'a Ropa<'a>,
    lang: Lang,
}

impl Page<'_> {
    fn t(&self, texts: [&'static str; 3]) -> &'static str {
        self.lang.pick(texts)
    }

    fn text(&self, text: &Text) -> Markup {
        page::text(self.r.controller, text, self.lang)
    }

    fn render(&self) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                (page::head(self.t(TITLE), CSS))
                body {
                    main {
                        h1 { (self.t(TITLE)) }
                        (self.header())
                        (self.gaps())
                        @for letter in Letter::ALL {
                            section id={ "art30-1-" (letter.code()) } {
                                h2 { (letter.provision(self.lang)) " — " (self.t(title(letter))) }
                                (self.body(letter))
                                @for gap in self.r.gaps.iter().filter(|g| g.letter() == letter) {
                                    (self.missing(*gap))
                                }
                            }
                        }
                        (self.footer())
                    }
                }
            }
        }
    }

    fn header(&self) -> Markup {
        html! {
            dl.rows {
                dt { (self.t(["Administrator danych", "Správce osobních údajů", "Controller"])) }
                dd { (self.text(&self.r.controller.controller.name)) }
                dt { (self.t(["Stan na dzień", "Stav ke dni", "As of"])) }
                dd { (self.lang.date(self.r.date)) }
            }
        }
    }

    /// The gaps first: a record with gaps must not read as a finished one.
    fn gaps(&self) -> Markup {
        let gaps = &self.r.gaps;
        html! {
            @if gaps.is_empty() {
                p.box { (self.t([
                    "Plik administratora zawiera wszystkie informacje wymagane przez art. 30 ust. 1 RODO.",
                    "Soubor správce obsahuje všechny informace, které vyžaduje čl. 30 odst. 1 GDPR.",
                    "The controller file gives every item Art. 30(1) GDPR requires.",
                ])) }
            } @else {
                div.box.late {
                    p { strong { (self.t([
                        "Rejestr jest niekompletny. W pliku administratora brakuje:",
                        "Záznamy nejsou úplné. V souboru správce chybí:",
                        "The record is incomplete. The controller file lacks:",
                    ])) } }
                    ul {
                        @for gap in gaps {
                            li {
                                a href={ "#art30-1-" (gap.letter().code()) } { (gap.letter().provision(self.lang)) }
                                " — " (gap.what(self.lang)) " (" code { (gap.key()) } ")"
                            }
                        }
                    }
                }
            }
        }
    }

    fn missing(&self, gap: Gap) -> Markup {
        html! {
            div.box.negative {
                p {
                    strong { (self.t(["Brak: ", "Chybí: ", "Missing: "])) } (gap.what(self.lang)) ". "
                    (self.t(["Dodaj do pliku administratora klucz ", "Doplňte do souboru správce klíč ", "Add to the controller file the key "]))
                    code { (gap.key()) } (self.t([", np.:", ", např.:", ", e.g.:"]))
                }
                pre { (gap.example()) }
            }
        }
    }

    fn body(&self, letter: Letter) -> Markup {
        match letter {
            Letter::A => self.parties(),
            Letter::B => self.purposes(),
            Letter::C => self.subjects(),
            Letter::D => self.recipients(),
            Letter::E => self.transfers(),
            Letter::F => self.retention(),
            Letter::G => self.measures(),
        }
    }

    /// (a): the controller, any joint controllers and representative, the DPO.
    fn parties(&self) -> Markup {
        let c = self.r.controller;
        let party = |p| page::party(c, p, self.lang);
        html! {
            dl.rows {
                dt { (self.t(["Administrator", "Správce", "Controller"])) }
                dd { (party(&c.controller)) }
                @for joint in &c.joint_controllers {
                    dt { (self.t(["Współadministrator (art. 26 RODO)", "Společný správce (čl. 26 GDPR)", "Joint controller (Art. 26 GDPR)"])) }
                    dd { (party(joint)) }
                }
                @if let Some(representative) = &c.representative {
                    dt { (self.t(["Przedstawiciel (art. 27 RODO)", "Zástupce (čl. 27 GDPR)", "Representative (Art. 27 GDPR)"])) }
                    dd { (party(representative)) }
                }
                dt { (self.t(["Inspektor ochrony danych", "Pověřenec pro ochranu osobních údajů", "Data-protection officer"])) }
                dd { (party(&c.dpo)) }
            }
        }
    }

    /// (b): each purpose, with its legal basis and the categories it covers.
    fn purposes(&self) -> Markup {
        html! {
            @for p in &self.r.controller.purposes {
                div.item {
                    dl {
                        dt { (self.t(["Cel", "Účel", "Purpose"])) }
                        dd { (self.text(&p.purpose)) }
                        dt { (self.t(["Podstawa prawna", "Právní základ", "Legal basis"])) }
                        dd { (self.text(&p.legal_basis)) }
                        @if !p.categories.is_empty() {
                            dt { (self.t(["Kategorie danych", "Kategorie údajů", "Categories of data"])) }
                            dd { (self.labels(p.categories.iter().map(|c| c.0))) }
                        }
                    }
                }
            }
        }
    }

    /// (c): the categories of data subjects, then every category of personal data.
    fn subjects(&self) -> Markup {
        let c = self.r.controller;
        html! {
            @for s in &c.data_subjects {
                div.item {
                    dl {
                        dt { (self.text(&s.name)) }
                        @if !s.categories.is_empty() {
                            dd { (self.labels(s.categories.iter().map(|c| c.0))) }
                        }
                    }
                }
            }
            @if !self.r.categories.is_empty() {
                h3 { (self.t(["Kategorie danych osobowych", "Kategorie osobních údajů", "Categories of personal data"])) }
                ul {
                    // The labels of special categories say so themselves ("… (special-category data)").
                    @for entity in &self.r.categories {
                        li { (entity_label(*entity, self.lang)) }
                    }
                }
            }
        }
    }

    fn labels(&self, entities: impl Iterator<Item = crate::model::Entity>) -> String {
        entities.map(|e| entity_label(e, self.lang)).collect::<Vec<_>>().join("; ")
    }

    /// (d): who receives the data, and on what footing.
    fn recipients(&self) -> Markup {
        html! {
            ul {
                @for r in &self.r.controller.recipients {
                    li {
                        (self.text(&r.name))
                        @if let Some(role) = &r.role { " — " (self.text(role)) }
                    }
                }
            }
        }
    }

    /// (e): the transfers the file names, with their safeguards, or that it names none.
    fn transfers(&self) -> Markup {
        let recipients = &self.r.controller.recipients;
        let transfers: Vec<_> = recipients.iter().filter(|r| r.third_country.is_some()).collect();
        html! {
            @if transfers.is_empty() {
                p { (self.t([
                    "Plik administratora nie wskazuje żadnego odbiorcy w państwie trzecim ani organizacji międzynarodowej.",
                    "Soubor správce neuvádí žádného příjemce ve třetí zemi ani mezinárodní organizaci.",
                    "The controller file names no recipient in a third country or international organisation.",
                ])) }
            }
            (page::transfers(self.r.controller, &transfers, self.lang))
        }
    }

    /// (f): how long each kind of data is kept.
    fn retention(&self) -> Markup {
        page::retention(self.r.controller, self.lang)
    }

    /// (g): the security measures, each with its kind.
    fn measures(&self) -> Markup {
        html! {
            ul {
                @for m in &self.r.controller.security_measures {
                    li {
                        strong { (self.t(measure_kind(m.kind))) ": " }
                        (self.text(&m.measure))
                    }
                }
            }
        }
    }

    fn footer(&self) -> Markup {
        html! {
            footer.note {
                p {
                    (self.t(["Sporządzono programem teczka ", "Vytvořeno programem teczka ", "Produced by teczka "]))
                    (env!("CARGO_PKG_VERSION"))
                    (self.t([" z pliku administratora o skrócie SHA-256 ", " ze souboru správce s otiskem SHA-256 ", " from the controller file with SHA-256 "]))
                    code { (self.r.controller_sha256) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{date, fixture, without_art30};
    use super::*;

    fn render(name: &str, lang: Lang) -> String {
        let (c, text) = fixture(name);
        html(&Ropa::new(&c, text.as_bytes(), lang, date()))
    }

    #[test]
    fn the_page_is_self_contained_and_has_every_letter() {
        let page = render("controller-pl.toml", Lang::Pl);
        assert!(page.starts_with("<!DOCTYPE html><html lang=\"pl\">"));
        assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("<link"));
        for l in 'a'..='g' {
            assert!(page.contains(&format!("id=\"art30-1-{l}\"")), "{l}");
            assert!(page.contains(&format!("art. 30 ust. 1 lit. {l} RODO")), "{l}");
        }
        assert!(page.contains("Stan na dzień") && page.contains("01.09.2026"));
        assert!(page.contains("Szyfrowanie nośników przenośnych"));
        assert!(page.contains("zawiera wszystkie informacje") && !page.contains("box late"));
    }

    #[test]
    fn czech_and_english_pages_speak_their_language() {
        let cs = render("controller-cz.toml", Lang::Cs);
        assert!(
            cs.contains("čl. 30 odst. 1 písm. g) GDPR") && cs.contains("zákona č. 110/2019 Sb.")
        );
        assert!(cs.contains("Spojené státy americké") && cs.contains("1. 9. 2026"));
        let en = render("controller-cz.toml", Lang::En);
        assert!(en.contains("Art. 30(1)(e) GDPR") && en.contains("United States"));
        assert!(en.contains("1 September 2026") && en.contains("<html lang=\"en\">"));
    }

    #[test]
    fn gaps_come_first_and_their_sections_say_missing_without_inventing() {
        let (c, text) = without_art30(|t| t);
        let page = html(&Ropa::new(&c, text.as_bytes(), Lang::En, date()));
        let incomplete = page.find("The record is incomplete").expect("the gaps box");
        assert!(incomplete < page.find("id=\"art30-1-a\"").unwrap());
        let g = &page[page.find("id=\"art30-1-g\"").unwrap()..];
        assert!(g.contains("Missing: </strong>a general description of the technical"), "{g}");
        assert!(
            g.contains("<code>security_measures</code>") && g.contains("[[security_measures]]")
        );
        assert!(!g.contains("<li>"), "no measure is listed: none was given");
    }

    #[test]
    fn every_value_is_escaped() {
        let (c, text) =
            without_art30(|t| t.replace("Dostawca dziennika", "<b>Dostawca</b> dziennika"));
        let page = html(&Ropa::new(&c, text.as_bytes(), Lang::Pl, date()));
        assert!(page.contains("&lt;b&gt;Dostawca&lt;/b&gt;") && !page.contains("<b>Dostawca"));
    }
}
