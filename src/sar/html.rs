//! `index.html`: the answer as a person reads it, on a phone or on paper.
//!
//! One self-contained page: inline CSS, no script, no font or image to fetch, so it opens
//! offline years later and leaks nothing when opened. Every value goes through maud's
//! auto-escaping `html!` templates — a pupil named `<script>` is shown as text — and the only
//! unescaped string is the constant stylesheet below. The layout is one column with stacked
//! label/value rows, so nothing overflows a 360-pixel screen; on a wide screen and in print
//! the rows become two columns.
//!
//! The order serves the person on a phone (issue 14): the short answer (dates, a late answer's
//! warning, whose data this is, found or not), a table of contents linking every section, the
//! person's data — lists such as grades and attendance as tables, one row per entry, which
//! scroll sideways inside their box when wider than the screen — and then the Art. 15
//! information and the rights. The fullest fixture record (fixtures/multi-file, P-000018) took
//! 34 phone screens with its data ten screens down; now 20, the data on the third
//! (`scripts/sar-phone-screens.sh` measures it).

use super::art15::{held_counts, rights_text};
use super::controller::{Party, Text};
use super::labels::{entity_label, field_label, is_special_category};
use super::lang::Lang;
use super::page;
use super::records::{groups, guardian_item, table, Group, Item, Table};
use super::{full_name, party_text, reason_text, Package};
use crate::model::fields::field;
use crate::model::Entity;
use crate::sar::Role;
use maud::{html, Markup, DOCTYPE};

/// The whole report page as UTF-8 HTML.
pub fn index_html(package: &Package) -> String {
    let lang = package.lang();
    let groups = package.disclosure.pupils.iter().map(|p| groups(p, lang)).collect();
    Page { p: package, lang, groups }.render().into_string()
}

// The headings of the page's sections. The sections and the table of contents both take their
// titles from here, so a link always reads as the heading it leads to.
const CONTENTS: [&str; 3] = ["Spis treści", "Obsah", "Contents"];
const RECORDS: [&str; 3] =
    ["Kopia Twoich danych", "Kopie vašich osobních údajů", "A copy of your data"];
const OWN_GUARDIAN: [&str; 3] = [
    "Twoje dane jako rodzica lub opiekuna",
    "Vaše údaje jako zákonného zástupce",
    "Your data as a parent or guardian",
];
const CHILDREN: [&str; 3] = ["Dane Twoich dzieci", "Údaje vašich dětí", "Your children's records"];
const LINKED: [&str; 3] = [
    "Dzieci powiązane z Tobą w dokumentacji szkoły",
    "Děti, s nimiž jste ve školní dokumentaci spojen(a)",
    "Pupils you are linked to in the school's records",
];
const WITHHELD: [&str; 3] =
    ["Co pominęliśmy i dlaczego", "Co jsme vynechali a proč", "What we left out, and why"];
const ART15: [&str; 3] = [
    "Informacje o przetwarzaniu Twoich danych (art. 15 RODO)",
    "Informace o zpracování vašich osobních údajů (čl. 15 GDPR)",
    "How we process your data (Art. 15 GDPR)",
];
const RIGHTS: [&str; 3] = [
    "Twoje prawa i jak złożyć skargę",
    "Vaše práva a jak podat stížnost",
    "Your rights and how to complain",
];

/// The sections of the Art. 15 information, in the article's order; each one's id, heading
/// and table-of-contents entry come from here.
#[derive(Clone, Copy)]
enum Art15 {
    Purposes,
    Categories,
    Recipients,
    Retention,
    Rights,
    Complaint,
    Source,
    Automated,
    Transfers,
}

impl Art15 {
    const ALL: [Art15; 9] = [
        Art15::Purposes,
        Art15::Categories,
        Art15::Recipients,
        Art15::Retention,
        Art15::Rights,
        Art15::Complaint,
        Art15::Source,
        Art15::Automated,
        Art15::Transfers,
    ];

    /// `art15-1-a` … `art15-1-h`, `art15-2`.
    fn id(self) -> &'static str {
        self.provision_and_id().0
    }

    /// "Art. 15 ust. 1 lit. a RODO" in the three languages.
    fn provision(self) -> [&'static str; 3] {
        self.provision_and_id().1
    }

    #[rustfmt::skip]
    fn provision_and_id(self) -> (&'static str, [&'static str; 3]) {
        match self {
            Art15::Purposes => ("art15-1-a", ["Art. 15 ust. 1 lit. a RODO", "Čl. 15 odst. 1 písm. a) GDPR", "Art. 15(1)(a) GDPR"]),
            Art15::Categories => ("art15-1-b", ["Art. 15 ust. 1 lit. b RODO", "Čl. 15 odst. 1 písm. b) GDPR", "Art. 15(1)(b) GDPR"]),
            Art15::Recipients => ("art15-1-c", ["Art. 15 ust. 1 lit. c RODO", "Čl. 15 odst. 1 písm. c) GDPR", "Art. 15(1)(c) GDPR"]),
            Art15::Retention => ("art15-1-d", ["Art. 15 ust. 1 lit. d RODO", "Čl. 15 odst. 1 písm. d) GDPR", "Art. 15(1)(d) GDPR"]),
            Art15::Rights => ("art15-1-e", ["Art. 15 ust. 1 lit. e RODO", "Čl. 15 odst. 1 písm. e) GDPR", "Art. 15(1)(e) GDPR"]),
            Art15::Complaint => ("art15-1-f", ["Art. 15 ust. 1 lit. f RODO", "Čl. 15 odst. 1 písm. f) GDPR", "Art. 15(1)(f) GDPR"]),
            Art15::Source => ("art15-1-g", ["Art. 15 ust. 1 lit. g RODO", "Čl. 15 odst. 1 písm. g) GDPR", "Art. 15(1)(g) GDPR"]),
            Art15::Automated => ("art15-1-h", ["Art. 15 ust. 1 lit. h RODO", "Čl. 15 odst. 1 písm. h) GDPR", "Art. 15(1)(h) GDPR"]),
            Art15::Transfers => ("art15-2", ["Art. 15 ust. 2 RODO", "Čl. 15 odst. 2 GDPR", "Art. 15(2) GDPR"]),
        }
    }

    #[rustfmt::skip]
    fn title(self) -> [&'static str; 3] {
        match self {
            Art15::Purposes => ["Cele przetwarzania i podstawy prawne", "Účely zpracování a právní základy", "Purposes of processing and legal bases"],
            Art15::Categories => ["Kategorie danych osobowych", "Kategorie osobních údajů", "Categories of personal data"],
            Art15::Recipients => ["Odbiorcy danych", "Příjemci", "Recipients"],
            Art15::Retention => ["Okres przechowywania danych", "Doba uložení", "How long we keep the data"],
            Art15::Rights => ["Prawo do sprostowania, usunięcia, ograniczenia przetwarzania i sprzeciwu", "Právo na opravu, výmaz, omezení zpracování a vznesení námitky", "Rights to rectification, erasure, restriction and objection"],
            Art15::Complaint => ["Prawo wniesienia skargi do organu nadzorczego", "Právo podat stížnost u dozorového úřadu", "Right to complain to the supervisory authority"],
            Art15::Source => ["Źródło danych", "Zdroj osobních údajů", "Where the data comes from"],
            Art15::Automated => ["Zautomatyzowane podejmowanie decyzji, w tym profilowanie", "Automatizované rozhodování, včetně profilování", "Automated decision-making, including profiling"],
            Art15::Transfers => ["Przekazywanie danych do państw trzecich i zabezpieczenia", "Předávání do třetích zemí a záruky", "Transfers to third countries and safeguards"],
        }
    }
}

/// One entry of the table of contents: the id of a section, its heading, its subsections.
struct Entry {
    id: String,
    title: String,
    children: Vec<Entry>,
}

impl Entry {
    fn new(id: impl Into<String>, title: impl Into<String>) -> Entry {
        Entry { id: id.into(), title: title.into(), children: Vec::new() }
    }

    fn with(self, children: Vec<Entry>) -> Entry {
        Entry { children, ..self }
    }
}

/// The id of the `index`th disclosed pupil's record (`p1`, `p2`, …).
fn pupil_id(index: usize) -> String {
    format!("p{}", index + 1)
}

/// The id of one category of the `index`th pupil's record (`p1-grades`).
fn group_id(index: usize, entity: Entity) -> String {
    format!("p{}-{}", index + 1, entity.file_stem())
}

/// Whether a category is shown as a table, one row per entry, rather than as a card per entry.
/// Every list is, except addresses: a few entries of up to twelve fields each, which as a table
/// a phone would have to scroll sideways to read, while a card per address fits the screen.
fn tabular(entity: Entity) -> bool {
    entity.collection().is_some() && entity != Entity::Address
}

struct Page<'a> {
    p: &'a Package<'a>,
    lang: Lang,
    /// The categories of each disclosed pupil's record, laid out once for both the records and
    /// the table of contents.
    groups: Vec<Vec<Group>>,
}

impl Page<'_> {
    /// Pick the report language's entry of a `[pl, cs, en]` triple.
    fn t(&self, texts: [&'static str; 3]) -> &'static str {
        self.lang.pick(texts)
    }

    fn date(&self, date: chrono::NaiveDate) -> String {
        self.lang.date(date)
    }

    /// A controller text, marked when it is not in the report's language.
    fn text(&self, text: &Text) -> Markup {
        page::text(self.p.controller, text, self.lang)
    }

    fn render(&self) -> Markup {
        let title = self.t([
            "Odpowiedź na żądanie dostępu do danych osobowych (art. 15 RODO)",
            "Odpověď na žádost o přístup k osobním údajům (čl. 15 GDPR)",
            "Answer to your request for access to personal data (Art. 15 GDPR)",
        ]);
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                (page::head(&format!("{title} — {}", self.p.request.reference), ""))
                body {
                    main {
                        // The short answer first, then the way around the page, then the
                        // person's data, and the legal information after it (issue 14: the
                        // data used to start ten phone screens down).
                        (self.header(title))
                        (self.confirmation())
                        @if self.p.found() {
                            (self.contents())
                            (self.records())
                            (self.linked())
                            (self.withheld())
                            (self.art15_sections())
                        }
                        (self.rights_and_complaints())
                        (self.footer())
                    }
                }
            }
        }
    }

    fn header(&self, title: &str) -> Markup {
        let c = self.p.controller;
        let r = self.p.request;
        let country = c.country;
        html! {
            header {
                h1 { (title) }
                dl.rows {
                    dt { (self.t(["Administrator danych", "Správce osobních údajů", "Controller"])) }
                    dd { (self.party(&c.controller)) }
                    dt { (self.t(["Sygnatura żądania", "Číslo jednací žádosti", "Request reference"])) }
                    dd { (r.reference) }
                    dt { (self.t(["Data otrzymania żądania", "Datum doručení žádosti", "Request received"])) }
                    dd { (self.date(r.received)) }
                    dt { (self.t(["Data tej odpowiedzi", "Datum této odpovědi", "Date of this answer"])) }
                    dd { (self.date(r.answered)) }
                    dt { (self.t(["Termin odpowiedzi", "Lhůta pro odpověď", "Answer due by"])) }
                    dd { strong { (self.date(r.due(country))) } }
                }
                @if r.is_late(country) {
                    p.box.late { strong { (self.late_text(r.due(country))) } }
                }
                @if let Some(ext) = &r.extension {
                    p.box {
                        (self.extension_text(ext.months, r.due(country), r.initial_due(country)))
                        " "
                        (self.t(["Przyczyna:", "Důvod:", "Reason:"])) " " (ext.reason)
                    }
                }
                p.box { (self.whose_data()) }
            }
        }
    }

    fn party(&self, party: &Party) -> Markup {
        page::party(self.p.controller, party, self.lang)
    }

    fn deadline_rule(&self) -> &'static str {
        self.t([
            "Administrator odpowiada bez zbędnej zwłoki, nie później niż w ciągu miesiąca od \
             otrzymania żądania (art. 12 ust. 3 RODO); gdy ostatni dzień terminu przypada w sobotę, \
             niedzielę lub święto, termin upływa następnego dnia roboczego. W razie potrzeby — ze \
             względu na skomplikowany charakter żądania lub liczbę żądań — termin można przedłużyć \
             o kolejne dwa miesiące; o przedłużeniu i jego przyczynach administrator informuje w \
             ciągu miesiąca od otrzymania żądania.",
            "Správce odpoví bez zbytečného odkladu, nejpozději do jednoho měsíce od obdržení \
             žádosti (čl. 12 odst. 3 GDPR); připadne-li konec lhůty na sobotu, neděli nebo svátek, \
             končí lhůta nejbližší následující pracovní den. Je-li to nutné s ohledem na složitost \
             a počet žádostí, lze lhůtu prodloužit o další dva měsíce; o prodloužení a jeho \
             důvodech správce informuje do jednoho měsíce od obdržení žádosti.",
            "The controller answers without undue delay and at the latest within one month of \
             receiving the request (Art. 12(3) GDPR); when the last day falls on a Saturday, Sunday \
             or public holiday, the period ends on the next working day. Where necessary, taking \
             into account the complexity and number of requests, it may be extended by two further \
             months; the controller must give the extension and its reasons within one month of \
             receiving the request.",
        ])
    }

    fn late_text(&self, due: chrono::NaiveDate) -> String {
        let due = self.date(due);
        match self.lang {
            Lang::Pl => format!(
                "Ta odpowiedź jest udzielana po terminie, który upłynął {due} (art. 12 ust. 3 RODO)."
            ),
            Lang::Cs => format!(
                "Tato odpověď je poskytována po lhůtě, která uplynula {due} (čl. 12 odst. 3 GDPR)."
            ),
            Lang::En => format!(
                "This answer is given after its deadline, which passed on {due} (Art. 12(3) GDPR)."
            ),
        }
    }

    fn extension_text(
        &self,
        months: u8,
        due: chrono::NaiveDate,
        initial: chrono::NaiveDate,
    ) -> String {
        let (due, initial) = (self.date(due), self.date(initial));
        let months = months.min(2);
        match self.lang {
            Lang::Pl => format!(
                "Termin przedłużono o {months} {} — do {due}. Informację o przedłużeniu i jego \
                 przyczynach należało przekazać do {initial}.",
                if months == 1 { "miesiąc" } else { "miesiące" }
            ),
            Lang::Cs => format!(
                "Lhůta byla prodloužena o {months} {} — do {due}. Informace o prodloužení a jeho \
                 důvodech měla být sdělena do {initial}.",
                if months == 1 { "měsíc" } else { "měsíce" }
            ),
            Lang::En => format!(
                "The deadline was extended by {months} {} — to {due}. The extension and its \
                 reasons had to be given by {initial}.",
                if months == 1 { "month" } else { "months" }
            ),
        }
    }

    /// Whose data the package holds, said explicitly; for a guardian, whether the children's
    /// records are included.
    fn whose_data(&self) -> Markup {
        let d = self.p.disclosure;
        let name = self.p.subject_name().unwrap_or_else(|| d.subject.to_string());
        let children = d
            .linked
            .iter()
            .filter_map(|l| full_name(l.first_name.as_deref(), l.surname.as_deref()))
            .collect::<Vec<_>>()
            .join(", ");
        html! {
            @match d.role {
                Some(Role::Pupil) => {
                    (self.t(["Ta odpowiedź dotyczy danych ucznia: ", "Tato odpověď se týká údajů žáka: ", "This answer is about the data of the pupil "]))
                    strong { (name) } "."
                }
                Some(Role::Guardian) if d.on_behalf_of_children => {
                    (self.t(["Ta odpowiedź dotyczy danych rodzica lub opiekuna prawnego ", "Tato odpověď se týká údajů zákonného zástupce ", "This answer is about the data of the parent or guardian "]))
                    strong { (name) }
                    (self.t([
                        " oraz — ponieważ żądanie złożono także w imieniu dzieci — pełnych danych jego dzieci",
                        " a — protože žádost byla podána i jménem dětí — úplných údajů jeho dětí",
                        " and — because the request was also made on the children's behalf — the full records of their children",
                    ]))
                    @if !children.is_empty() { ": " (children) }
                    "."
                }
                Some(Role::Guardian) => {
                    (self.t(["Ta odpowiedź dotyczy wyłącznie danych rodzica lub opiekuna prawnego ", "Tato odpověď se týká pouze údajů zákonného zástupce ", "This answer is only about the data of the parent or guardian "]))
                    strong { (name) } ". "
                    (self.t([
                        "Dane dzieci nie zostały ujawnione — dzieci są tylko wymienione; dane dziecka można otrzymać, składając żądanie w jego imieniu.",
                        "Údaje dětí nebyly poskytnuty — děti jsou pouze uvedeny; údaje dítěte lze získat žádostí podanou jeho jménem.",
                        "The children's records are not included — the children are only named; a child's records can be requested on the child's behalf.",
                    ]))
                }
                None => {
                    (self.t(["Osoba wskazana w żądaniu: ", "Osoba uvedená v žádosti: ", "The person named in the request: "]))
                    strong { (d.subject.to_string()) } "."
                }
            }
        }
    }

    /// "We searched 30 records in 14 files.", in the report language.
    fn searched_text(&self) -> String {
        let s = &self.p.disclosure.searched;
        let (records, files) = (s.records, s.files as u64);
        match self.lang {
            Lang::Pl => format!(
                "Przeszukaliśmy {records} {} w {files} {}.",
                plural(self.lang, records, ["rekord", "rekordy", "rekordów"]),
                plural(self.lang, files, ["pliku", "plikach", "plikach"])
            ),
            Lang::Cs => format!(
                "Prohledali jsme {records} {} v {files} {}.",
                plural(self.lang, records, ["záznam", "záznamy", "záznamů"]),
                plural(self.lang, files, ["souboru", "souborech", "souborech"])
            ),
            Lang::En => format!(
                "We searched {records} {} in {files} {}.",
                plural(self.lang, records, ["record", "records", "records"]),
                plural(self.lang, files, ["file", "files", "files"])
            ),
        }
    }

    /// That some values about the person could not be read, when some could not.
    fn unreadable_text(&self) -> Option<String> {
        let s = &self.p.disclosure.searched;
        (s.unreadable > 0).then(|| match self.lang {
            Lang::Pl => format!(
                "Niektórych wartości w rekordach dotyczących tej osoby ({}) nie dało się \
                 odczytać, więc brakuje ich w tej kopii; szkoła sprawdza je ręcznie i uzupełni \
                 odpowiedź.",
                s.unreadable
            ),
            Lang::Cs => format!(
                "Některé hodnoty v záznamech o této osobě ({}) nebylo možné přečíst, a proto v \
                 této kopii chybí; škola je zkontroluje ručně a odpověď doplní.",
                s.unreadable
            ),
            Lang::En => format!(
                "Some values in records about this person ({}) could not be read and so are \
                 missing from this copy; the school checks them by hand and will complete this \
                 answer.",
                s.unreadable
            ),
        })
    }

    fn confirmation(&self) -> Markup {
        let d = self.p.disclosure;
        let (searched, unreadable) = (self.searched_text(), self.unreadable_text());
        html! {
            section #confirmation {
                h2 { (self.t(["Czy przetwarzamy Twoje dane?", "Zpracováváme vaše osobní údaje?", "Do we process your personal data?"])) }
                @if self.p.found() {
                    p.box {
                        (self.t([
                            "Tak. Przetwarzamy Twoje dane osobowe. Poniżej znajdziesz kopię wszystkich danych, które o Tobie przechowujemy, a po niej informacje z art. 15 ust. 1 RODO.",
                            "Ano. Zpracováváme vaše osobní údaje. Níže najdete kopii všech údajů, které o vás uchováváme, a za ní informace podle čl. 15 odst. 1 GDPR.",
                            "Yes. We process your personal data. Below is a copy of all the data we hold about you, followed by the information of Art. 15(1) GDPR.",
                        ]))
                    }
                } @else {
                    p.box.negative #not-found {
                        strong {
                            (self.t(["Nie przetwarzamy żadnych danych osobowych dotyczących osoby wskazanej jako ", "Nezpracováváme žádné osobní údaje osoby uvedené jako ", "We hold no personal data about the person identified as "]))
                            (d.subject.to_string()) "."
                        }
                        " "
                        (self.t([
                            "To pełna odpowiedź na żądanie z art. 15 RODO: skoro danych nie przetwarzamy, nie ma czego udostępnić ani o czym informować w zakresie art. 15 ust. 1 lit. a–h. Jeśli sądzisz, że to pomyłka (np. dane zapisano pod innym identyfikatorem), skontaktuj się z inspektorem ochrony danych.",
                            "To je úplná odpověď na žádost podle čl. 15 GDPR: protože údaje nezpracováváme, není co poskytnout ani o čem informovat podle čl. 15 odst. 1 písm. a) až h). Pokud se domníváte, že jde o omyl (např. údaje jsou vedeny pod jiným identifikátorem), obraťte se na pověřence pro ochranu osobních údajů.",
                            "This is a full answer under Art. 15 GDPR: as we process no data about you, there is nothing to copy and the information of Art. 15(1)(a)–(h) does not apply. If you think this is a mistake (for example, your data is held under another identifier), contact the data-protection officer.",
                        ]))
                    }
                }
                p.note { (searched) @if let Some(u) = unreadable { " " (u) } }
            }
        }
    }

    /// The Art. 15(1)(a)–(h) and 15(2) information: one section per provision, under one
    /// heading, after the person's data.
    fn art15_sections(&self) -> Markup {
        html! {
            section #art15 {
                h2 { (self.t(ART15)) }
                @for s in Art15::ALL {
                    section id=(s.id()) {
                        h3 { (self.t(s.provision())) " — " (self.t(s.title())) }
                        (self.art15_body(s))
                    }
                }
            }
        }
    }

    fn art15_body(&self, section: Art15) -> Markup {
        match section {
            Art15::Purposes => self.purposes(),
            Art15::Categories => self.categories(),
            Art15::Recipients => self.recipients(),
            Art15::Retention => self.retention(),
            Art15::Rights => self.rights(),
            Art15::Complaint => self.complaint(),
            Art15::Source => html! { p { (self.text(&self.p.controller.source)) } },
            Art15::Automated => self.automated_decisions(),
            Art15::Transfers => self.transfers(),
        }
    }

    /// Art. 15(1)(a): each purpose with its legal basis and the categories it covers.
    fn purposes(&self) -> Markup {
        html! {
            @for p in &self.p.controller.purposes {
                div.item {
                    dl {
                        dt { (self.t(["Cel", "Účel", "Purpose"])) }
                        dd { (self.text(&p.purpose)) }
                        dt { (self.t(["Podstawa prawna", "Právní základ", "Legal basis"])) }
                        dd { (self.text(&p.legal_basis)) }
                        @if !p.categories.is_empty() {
                            dt { (self.t(["Kategorie danych", "Kategorie údajů", "Categories of data"])) }
                            dd { (p.categories.iter().map(|c| entity_label(c.0, self.lang)).collect::<Vec<_>>().join("; ")) }
                        }
                    }
                }
            }
        }
    }

    /// Art. 15(1)(b): the categories held about this person, with their counts.
    fn categories(&self) -> Markup {
        let held = held_counts(self.p);
        html! {
            p { (self.t(["Przetwarzamy o Tobie następujące kategorie danych (liczba wpisów):", "Zpracováváme o vás tyto kategorie údajů (počet záznamů):", "We process these categories of data about you (number of entries):"])) }
            ul {
                @for (entity, count) in &held {
                    li {
                        (entity_label(*entity, self.lang)) " (" (count) ")"
                        @if is_special_category(*entity) {
                            " " span.special { (self.t(["— dane szczególnej kategorii (art. 9 RODO)", "— zvláštní kategorie údajů (čl. 9 GDPR)", "— special-category data (Art. 9 GDPR)"])) }
                        }
                    }
                }
            }
        }
    }

    /// Art. 15(1)(c): who receives the data.
    fn recipients(&self) -> Markup {
        let c = self.p.controller;
        html! {
            @if c.recipients.is_empty() {
                p { (self.t(["Nie udostępniamy Twoich danych odbiorcom.", "Vaše údaje nepředáváme žádným příjemcům.", "We do not disclose your data to recipients."])) }
            } @else {
                ul {
                    @for r in &c.recipients {
                        li {
                            (self.text(&r.name))
                            @if let Some(role) = &r.role { " — " (self.text(role)) }
                        }
                    }
                }
            }
        }
    }

    /// Art. 15(1)(d): how long each kind of data is kept.
    fn retention(&self) -> Markup {
        page::retention(self.p.controller, self.lang)
    }

    /// Art. 15(1)(e): the rights, and what the controller adds about them.
    fn rights(&self) -> Markup {
        html! {
            p { (rights_text(self.lang)) }
            @if let Some(extra) = &self.p.controller.rights { p { (self.text(extra)) } }
        }
    }

    /// Art. 15(1)(f): the right to complain, and to whom.
    fn complaint(&self) -> Markup {
        html! {
            p { (self.t([
                "Masz prawo wnieść skargę do organu nadzorczego, jeśli uważasz, że przetwarzanie Twoich danych narusza RODO (art. 77 RODO):",
                "Máte právo podat stížnost u dozorového úřadu, pokud se domníváte, že zpracování vašich údajů porušuje GDPR (čl. 77 GDPR):",
                "You have the right to lodge a complaint with the supervisory authority if you consider that the processing of your data infringes the GDPR (Art. 77 GDPR):",
            ])) }
            (self.authority())
        }
    }

    /// Art. 15(1)(h): automated decisions, or that there are none.
    fn automated_decisions(&self) -> Markup {
        let ad = &self.p.controller.automated_decisions;
        html! {
            @if ad.exists {
                p { (self.t(["Podejmujemy wobec Ciebie decyzje w sposób zautomatyzowany.", "Provádíme automatizované rozhodování, které se vás týká.", "We make automated decisions about you."])) }
                @if let Some(logic) = &ad.logic {
                    p { strong { (self.t(["Zasady (logika): ", "Použitý postup: ", "Logic involved: "])) } (self.text(logic)) }
                }
                @if let Some(consequences) = &ad.consequences {
                    p { strong { (self.t(["Znaczenie i skutki: ", "Význam a důsledky: ", "Significance and consequences: "])) } (self.text(consequences)) }
                }
            } @else {
                p { (self.t([
                    "Nie podejmujemy wobec Ciebie decyzji opartych wyłącznie na zautomatyzowanym przetwarzaniu, w tym profilowaniu (art. 22 RODO).",
                    "Neprovádíme rozhodování založené výhradně na automatizovaném zpracování, včetně profilování (čl. 22 GDPR).",
                    "We make no decisions about you based solely on automated processing, including profiling (Art. 22 GDPR).",
                ])) }
                @if let Some(logic) = &ad.logic { p { (self.text(logic)) } }
            }
        }
    }

    /// Art. 15(2): transfers to third countries and their safeguards, or that there are none.
    fn transfers(&self) -> Markup {
        let c = self.p.controller;
        let transfers: Vec<_> = c.recipients.iter().filter(|r| r.third_country.is_some()).collect();
        html! {
            @if transfers.is_empty() {
                p { (self.t([
                    "Nie przekazujemy Twoich danych do państw spoza Europejskiego Obszaru Gospodarczego ani do organizacji międzynarodowych.",
                    "Vaše údaje nepředáváme do zemí mimo Evropský hospodářský prostor ani mezinárodním organizacím.",
                    "We do not transfer your data to countries outside the European Economic Area or to international organisations.",
                ])) }
            } @else {
                (page::transfers(self.p.controller, &transfers, self.lang))
            }
        }
    }

    fn authority(&self) -> Markup {
        let a = &self.p.controller.authority;
        html! {
            p.box {
                strong { (self.text(&a.name)) } br;
                (a.address) br;
                a href=(a.website) { (a.website) }
                @if let Some(email) = &a.email { br; (email) }
            }
        }
    }

    /// The table of contents: a link to every section below it.
    fn contents(&self) -> Markup {
        html! {
            nav #contents aria-labelledby="contents-title" {
                h2 #contents-title { (self.t(CONTENTS)) }
                (toc(&self.outline()))
            }
        }
    }

    /// The sections after the table of contents, as it lists them.
    fn outline(&self) -> Vec<Entry> {
        let mut entries = vec![Entry::new("records", self.t(RECORDS)).with(self.records_outline())];
        if !self.p.disclosure.linked.is_empty() {
            entries.push(Entry::new("linked", self.t(LINKED)));
        }
        entries.push(Entry::new("withheld", self.t(WITHHELD)));
        let art15 = Art15::ALL.iter().map(|s| Entry::new(s.id(), self.t(s.title()))).collect();
        entries.push(Entry::new("art15", self.t(ART15)).with(art15));
        entries.push(Entry::new("rights", self.t(RIGHTS)));
        entries
    }

    fn records_outline(&self) -> Vec<Entry> {
        let pupils: Vec<Entry> = (0..self.groups.len()).map(|i| self.pupil_entry(i)).collect();
        if self.p.disclosure.role != Some(Role::Guardian) {
            return pupils;
        }
        let mut entries = vec![Entry::new("own-guardian", self.t(OWN_GUARDIAN))];
        if self.childrens_records_shown() {
            entries.push(Entry::new("children", self.t(CHILDREN)).with(pupils));
        }
        entries
    }

    fn pupil_entry(&self, index: usize) -> Entry {
        let categories = self.groups[index]
            .iter()
            .map(|g| Entry::new(group_id(index, g.entity), self.group_title(g)))
            .collect();
        Entry::new(pupil_id(index), self.pupil_name(index)).with(categories)
    }

    /// A guardian asking on the children's behalf gets their records too.
    fn childrens_records_shown(&self) -> bool {
        let d = self.p.disclosure;
        d.on_behalf_of_children && !d.pupils.is_empty()
    }

    fn records(&self) -> Markup {
        let d = self.p.disclosure;
        let pupils = html! { @for i in 0..d.pupils.len() { (self.pupil(i)) } };
        html! {
            section #records {
                h2 { (self.t(RECORDS)) }
                p.note { (self.t([
                    "Te same dane znajdziesz w katalogu records/ jako CSV, JSON i XML.",
                    "Tytéž údaje najdete ve složce records/ jako CSV, JSON a XML.",
                    "The same data is in the records/ folder as CSV, JSON and XML.",
                ])) }
                @if d.role == Some(Role::Guardian) {
                    h3 #own-guardian { (self.t(OWN_GUARDIAN)) }
                    @for g in &d.guardian { (self.item(&guardian_item(g, self.lang))) }
                    @if self.childrens_records_shown() {
                        h3 #children { (self.t(CHILDREN)) }
                        (pupils)
                    }
                } @else {
                    (pupils)
                }
            }
        }
    }

    fn pupil_name(&self, index: usize) -> String {
        let pupil = &self.p.disclosure.pupils[index];
        full_name(pupil.first_name.as_deref(), pupil.surname.as_deref())
            .unwrap_or_else(|| pupil.id.clone())
    }

    fn pupil(&self, index: usize) -> Markup {
        html! {
            article.pupil id=(pupil_id(index)) {
                h3 { (self.pupil_name(index)) }
                @for group in &self.groups[index] { (self.group(index, group)) }
            }
        }
    }

    /// A category's heading: its name, and how many entries it has when more than one.
    fn group_title(&self, group: &Group) -> String {
        let label = entity_label(group.entity, self.lang);
        match group.items.len() {
            1 => label.to_string(),
            n => format!("{label} ({n})"),
        }
    }

    fn group(&self, index: usize, group: &Group) -> Markup {
        let id = group_id(index, group.entity);
        html! {
            h4 id=(id) { (self.group_title(group)) }
            @if tabular(group.entity) {
                (self.table(&table(group), &id))
            } @else {
                @for item in &group.items { (self.item(item)) }
            }
        }
    }

    /// A list as a table labelled by its heading `heading`. The wrapper scrolls sideways when
    /// the table is wider than the screen, and takes the keyboard focus so that it can.
    fn table(&self, table: &Table, heading: &str) -> Markup {
        html! {
            div.scroll role="region" aria-labelledby=(heading) tabindex="0" {
                table aria-labelledby=(heading) {
                    thead { tr { @for column in &table.columns { th scope="col" { (column) } } } }
                    tbody {
                        @for row in &table.rows {
                            tr { @for cell in row { td { (cell) } } }
                        }
                    }
                }
            }
        }
    }

    fn item(&self, item: &Item) -> Markup {
        html! {
            div.item {
                dl.rows {
                    @for row in &item.rows {
                        dt { (row.label) }
                        dd { (row.value) }
                    }
                }
            }
        }
    }

    fn linked(&self) -> Markup {
        let d = self.p.disclosure;
        if d.linked.is_empty() {
            return html! {};
        }
        html! {
            section #linked {
                h2 { (self.t(LINKED)) }
                @for l in &d.linked {
                    div.item {
                        dl.rows {
                            @if let Some(name) = full_name(l.first_name.as_deref(), l.surname.as_deref()) {
                                dt { (self.t(["Uczeń", "Žák", "Pupil"])) } dd { (name) }
                            }
                            @if let Some(school) = &l.school { dt { (self.t(["Szkoła", "Škola", "School"])) } dd { (school) } }
                            @if let Some(class) = &l.class { dt { (self.t(["Klasa", "Třída", "Class"])) } dd { (class) } }
                            @if let Some(relation) = &l.relation { dt { (self.t(["Twoja rola", "Váš vztah", "Your relation"])) } dd { (relation) } }
                        }
                    }
                }
            }
        }
    }

    fn withheld(&self) -> Markup {
        let d = self.p.disclosure;
        html! {
            section #withheld {
                h2 { (self.t(WITHHELD)) }
                @if d.withheld.is_empty() {
                    p { (self.t(["Niczego nie pominęliśmy.", "Nic jsme nevynechali.", "We left nothing out."])) }
                } @else {
                    p { (self.t([
                        "Kopia nie może naruszać praw i wolności innych osób (art. 15 ust. 4 RODO). Dlatego pominęliśmy następujące dane innych osób — podajemy, gdzie były i dlaczego je pominęliśmy, ale nie ich treść:",
                        "Kopie nesmí nepříznivě ovlivnit práva a svobody jiných osob (čl. 15 odst. 4 GDPR). Proto jsme vynechali následující údaje jiných osob — uvádíme, kde byly a proč jsme je vynechali, nikoli jejich obsah:",
                        "The copy must not adversely affect the rights and freedoms of others (Art. 15(4) GDPR). So we left out the following data of other people — we say where it was and why, not what it was:",
                    ])) }
                    ul {
                        @for w in &d.withheld {
                            li {
                                strong { (self.field_name(&w.field)) }
                                " — " (self.t(["rekord", "záznam", "record"])) " " (w.record)
                                " — " (self.t(["pominięto", "vynecháno", "left out"])) ": " (w.count)
                                " — " (party_text(w.party, self.lang)) ": " (reason_text(w.party, self.lang))
                            }
                        }
                    }
                }
            }
        }
    }

    /// "Category: field" in words for a field path.
    fn field_name(&self, path: &str) -> String {
        let label = field_label(path, self.lang).unwrap_or_else(|| path.to_string());
        match field(path) {
            Some(spec) => format!("{}: {label}", entity_label(spec.entity, self.lang)),
            None => label,
        }
    }

    fn rights_and_complaints(&self) -> Markup {
        let c = self.p.controller;
        html! {
            section #rights {
                h2 { (self.t(RIGHTS)) }
                @if !self.p.found() { p { (rights_text(self.lang)) } }
                p { (self.t([
                    "W sprawie swoich danych i praw możesz skontaktować się z inspektorem ochrony danych:",
                    "Ve věcech svých údajů a práv se můžete obrátit na pověřence pro ochranu osobních údajů:",
                    "About your data and your rights, you can contact the data-protection officer:",
                ])) }
                p.box { (self.party(&c.dpo)) }
                p { (self.t([
                    "Masz też prawo wnieść skargę do organu nadzorczego:",
                    "Máte také právo podat stížnost u dozorového úřadu:",
                    "You also have the right to complain to the supervisory authority:",
                ])) }
                (self.authority())
                // How the due date at the top is counted: legal text, so after the data.
                p.note { (self.deadline_rule()) }
            }
        }
    }

    fn footer(&self) -> Markup {
        html! {
            footer.note {
                p {
                    (self.t(["Sygnatura: ", "Č. j.: ", "Reference: "])) (self.p.request.reference)
                    " · " (self.t(["Wygenerowano programem teczka ", "Vytvořeno programem teczka ", "Produced by teczka "])) (env!("CARGO_PKG_VERSION"))
                }
            }
        }
    }
}

/// The table of contents' list: an entry's subsections nested under it, and a list of
/// sections without subsections of their own laid out as a row of buttons (`.chips`), which
/// keeps the contents short on a phone.
fn toc(entries: &[Entry]) -> Markup {
    let leaves = entries.iter().all(|e| e.children.is_empty());
    html! {
        ol.chips[leaves] {
            @for e in entries {
                li {
                    a href={ "#" (e.id) } { (e.title) }
                    @if !e.children.is_empty() { (toc(&e.children)) }
                }
            }
        }
    }
}

/// The form of a noun after a number: `[one, few, many]`. Polish and Czech have three
/// (1 rekord, 2 rekordy, 5 rekordów; Polish 22 is "few" again, 12–14 are "many").
fn plural(lang: Lang, n: u64, forms: [&'static str; 3]) -> &'static str {
    let few = match lang {
        Lang::Pl => (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)),
        Lang::Cs => (2..=4).contains(&n),
        Lang::En => false,
    };
    if n == 1 {
        forms[0]
    } else if few {
        forms[1]
    } else {
        forms[2]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::Extension;
    use super::*;

    fn render(controller: &str, lang: Lang, disclosure: &crate::sar::Disclosure) -> String {
        let controller = super::super::testing::controller(controller);
        let request = request(lang);
        index_html(&Package { controller: &controller, request: &request, disclosure })
    }

    #[test]
    fn page_is_self_contained_and_escapes_every_value() {
        let html = render("controller-pl.toml", Lang::Pl, &pupil_disclosure());
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"pl\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("name=\"viewport\""));
        assert!(!html.to_ascii_lowercase().contains("<script"), "a value got through unescaped");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("src=") && !html.contains("@import") && !html.contains("url("));
        for needle in ["Zażółć gęślą jaźń", "Příliš žluťoučký kůň", "Żółkiewska", "Łódź"]
        {
            assert!(html.contains(needle), "{needle}");
        }
    }

    #[test]
    fn polish_page_has_every_art15_section_the_due_date_and_the_records() {
        let html = render("controller-pl.toml", Lang::Pl, &pupil_disclosure());
        for id in [
            "art15-1-a",
            "art15-1-b",
            "art15-1-c",
            "art15-1-d",
            "art15-1-e",
            "art15-1-f",
            "art15-1-g",
            "art15-1-h",
            "art15-2",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("Art. 15 ust. 1 lit. a RODO — Cele przetwarzania i podstawy prawne"));
        // Received 31.01.2026: 28.02.2026 is a Saturday, so 02.03.2026.
        assert!(html.contains("02.03.2026"));
        assert!(html.contains("Data urodzenia") && html.contains("13.01.2002"));
        assert!(html.contains("kobieta"));
        assert!(html.contains("Informacje o zdrowiu"));
        assert!(html.contains("Rodzice i opiekunowie prawni: Telefon"));
        assert!(html.contains("ul. Stawki 2, 00-193 Warszawa"));
        assert!(html.contains("ucznia: <strong>Zażółć gęślą jaźń Żółkiewska</strong>"));
    }

    #[test]
    fn czech_and_english_pages_speak_their_language_and_mark_untranslated_texts() {
        let cs = render("controller-cz.toml", Lang::Cs, &pupil_disclosure());
        assert!(cs.contains("Čl. 15 odst. 1 písm. h) GDPR — Automatizované rozhodování"));
        assert!(cs.contains("2. 3. 2026"));
        assert!(cs.contains("Pplk. Sochora 27"));
        // The Polish school wrote no Czech: its texts come in Polish, marked as such.
        let cs_from_pl = render("controller-pl.toml", Lang::Cs, &pupil_disclosure());
        assert!(cs_from_pl.contains("uvedeno pouze v polštině"));
        let en = render("controller-pl.toml", Lang::En, &pupil_disclosure());
        assert!(en.contains("Art. 15(1)(d) GDPR — How long we keep the data"));
        assert!(en.contains("2 March 2026"));
        assert!(
            !en.contains("provided in Polish only"),
            "the Polish fixture is translated to English"
        );
    }

    #[test]
    fn a_negative_answer_says_so_and_still_gives_rights_and_contacts() {
        let html = render("controller-pl.toml", Lang::En, &negative_disclosure());
        assert!(html.contains("id=\"not-found\""));
        assert!(html.contains(
            "We hold no personal data about the person identified as e-mail nikt@example.pl"
        ));
        assert!(html.contains("person (2) could not be read"));
        assert!(!html.contains("id=\"art15-1-a\""));
        assert!(html.contains("Your rights and how to complain"));
        assert!(html.contains("www.uodo.gov.pl"));
    }

    #[test]
    fn a_guardians_answer_says_whether_the_childrens_records_are_included() {
        use crate::model::Guardian;
        use crate::sar::search::LinkedPupil;
        let mut d = negative_disclosure();
        d.role = Some(Role::Guardian);
        d.guardian = vec![Guardian {
            first_name: Some("Jadwiga".into()),
            surname: Some("Żółkiewska".into()),
            email: Some("j@example.pl".into()),
            ..Guardian::default()
        }];
        d.linked = vec![LinkedPupil {
            id: "P-0001".into(),
            first_name: Some("Zofia".into()),
            surname: Some("Żółkiewska".into()),
            class: Some("4b".into()),
            ..LinkedPupil::default()
        }];
        let html = render("controller-pl.toml", Lang::En, &d);
        assert!(html.contains(
            "only about the data of the parent or guardian <strong>Jadwiga Żółkiewska</strong>"
        ));
        assert!(html.contains("The children's records are not included"));
        assert!(
            html.contains("Your data as a parent or guardian") && html.contains("j@example.pl")
        );
        assert!(html.contains("Pupils you are linked to") && html.contains("4b"));
        d.on_behalf_of_children = true;
        d.pupils = pupil_disclosure().pupils;
        let html = render("controller-pl.toml", Lang::En, &d);
        assert!(html.contains("the full records of their children: Zofia Żółkiewska"));
        assert!(html.contains("Your children's records") && html.contains("02211307589"));
    }

    /// Every value of the attribute `name` in `html`, in order.
    fn attrs<'h>(html: &'h str, name: &str) -> Vec<&'h str> {
        let start = format!(" {name}=\"");
        html.match_indices(&start)
            .map(|(at, _)| {
                let value = &html[at + start.len()..];
                &value[..value.find('"').expect("attribute closed")]
            })
            .collect()
    }

    /// Where `needle` first is in `html`.
    fn at(html: &str, needle: &str) -> usize {
        html.find(needle).unwrap_or_else(|| panic!("`{needle}` is not on the page"))
    }

    /// A guardian's own answer, or one on the children's behalf with the child's record.
    fn guardian_disclosure(on_behalf_of_children: bool) -> crate::sar::Disclosure {
        use crate::model::Guardian;
        use crate::sar::search::LinkedPupil;
        let mut d = negative_disclosure();
        d.role = Some(Role::Guardian);
        d.guardian = vec![Guardian {
            first_name: Some("Jadwiga".into()),
            email: Some("j@example.pl".into()),
            ..Guardian::default()
        }];
        d.linked = vec![LinkedPupil {
            id: "P-0001".into(),
            first_name: Some("Zofia".into()),
            ..LinkedPupil::default()
        }];
        if on_behalf_of_children {
            d.on_behalf_of_children = true;
            d.pupils = pupil_disclosure().pupils;
        }
        d
    }

    #[test]
    fn every_section_after_the_contents_is_listed_and_every_link_leads_to_one() {
        let cases = [
            ("pupil", pupil_disclosure()),
            ("guardian", guardian_disclosure(false)),
            ("guardian for the children", guardian_disclosure(true)),
        ];
        for (case, d) in &cases {
            for lang in Lang::ALL {
                let html = render("controller-pl.toml", lang, d);
                let (nav, end) = (at(&html, "<nav id=\"contents\""), at(&html, "</nav>"));
                let links: Vec<&str> = attrs(&html[nav..end], "href")
                    .into_iter()
                    .map(|href| href.strip_prefix('#').expect("an in-page link"))
                    .collect();
                let ids = attrs(&html, "id");
                for link in &links {
                    let targets = ids.iter().filter(|id| *id == link).count();
                    assert_eq!(targets, 1, "{case} ({lang}): #{link} has {targets} targets");
                }
                // Every section below the contents is listed, in the page's order.
                let below = attrs(&html[end..], "id");
                assert!(below.len() > 12, "{case} ({lang}): {below:?}");
                assert_eq!(links, below, "{case} ({lang})");
            }
        }
        // The links read as the headings they lead to.
        let html = render("controller-pl.toml", Lang::En, &cases[2].1);
        assert!(html.contains("<a href=\"#children\">Your children's records</a>"));
        assert!(html.contains("<h3 id=\"children\">Your children's records</h3>"));
        assert!(html.contains("<a href=\"#p1-grades\">Grades (grades sheet)</a>"));
    }

    #[test]
    fn the_late_box_comes_first_then_the_contents_the_data_and_the_legal_information() {
        let controller = super::super::testing::controller("controller-pl.toml");
        let d = pupil_disclosure();
        for lang in Lang::ALL {
            let mut request = request(lang);
            // Received 31.01.2026, due 02.03.2026.
            request.answered = date(2026, 3, 3);
            let html =
                index_html(&Package { controller: &controller, request: &request, disclosure: &d });
            let late = at(&html, "class=\"box late\"");
            assert_eq!(at(&html, "class=\"box"), late, "{lang}: the late box is the first box");
            let order = [
                late,
                at(&html, "id=\"confirmation\""),
                at(&html, "id=\"contents\""),
                at(&html, "id=\"records\""),
                at(&html, "id=\"p1-grades\""),
                at(&html, "id=\"withheld\""),
                at(&html, "id=\"art15\""),
                at(&html, "id=\"art15-1-a\""),
                at(&html, "id=\"art15-2\""),
                at(&html, "id=\"rights\""),
            ];
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{lang}: {order:?}");
        }
    }

    #[test]
    fn lists_are_tables_with_one_row_per_entry_and_addresses_stay_cards() {
        use crate::model::{Grade, GradeKind};
        let mut d = pupil_disclosure();
        let subjects = ["matematyka", "fizyka", "<script>alert(3)</script>"];
        d.pupils[0].grades = subjects
            .iter()
            .map(|subject| Grade {
                subject: Some(subject.to_string()),
                grade: Some("4".into()),
                kind: Some(GradeKind::MidYear),
                ..Grade::default()
            })
            .collect();
        let html = render("controller-pl.toml", Lang::Pl, &d);
        let grades = &html[at(&html, "id=\"p1-grades\"")..];
        let grades = &grades[..at(grades, "</table>")];
        assert!(grades.starts_with("id=\"p1-grades\">Oceny (arkusz ocen) (3)</h4>"), "{grades}");
        assert!(grades.contains(
            "<thead><tr><th scope=\"col\">Przedmiot</th><th scope=\"col\">Ocena</th>\
             <th scope=\"col\">Rodzaj oceny</th></tr></thead>"
        ));
        let body = &grades[at(grades, "<tbody>")..];
        assert_eq!(body.matches("<tr>").count(), 3, "{body}");
        assert!(body.contains("<tr><td>fizyka</td><td>4</td><td>śródroczna</td></tr>"));
        assert!(body.contains("<td>&lt;script&gt;alert(3)&lt;/script&gt;</td>"));
        let addresses = &html[at(&html, "id=\"p1-addresses\"")..];
        assert!(addresses.starts_with("id=\"p1-addresses\">Adresy</h4><div class=\"item\">"));
        assert!(!html.to_ascii_lowercase().contains("<script"));
    }

    #[test]
    fn a_name_is_text_in_the_contents_and_the_headings() {
        let mut d = guardian_disclosure(true);
        d.pupils[0].first_name = Some("<script>alert(4)</script>".into());
        let html = render("controller-pl.toml", Lang::Cs, &d);
        assert!(!html.to_ascii_lowercase().contains("<script"), "a name got through unescaped");
        let name = "&lt;script&gt;alert(4)&lt;/script&gt; Żółkiewska";
        assert!(html.contains(&format!("<a href=\"#p1\">{name}</a>")), "in the contents");
        assert!(html.contains(&format!("<h3>{name}</h3>")), "as the record's heading");
    }

    #[test]
    fn numbers_take_the_right_plural_form() {
        let forms = ["rekord", "rekordy", "rekordów"];
        let words: Vec<&str> = [1, 2, 4, 5, 12, 14, 22, 25, 1_000_000]
            .iter()
            .map(|&n| plural(Lang::Pl, n, forms))
            .collect();
        assert_eq!(
            words,
            [
                "rekord",
                "rekordy",
                "rekordy",
                "rekordów",
                "rekordów",
                "rekordów",
                "rekordy",
                "rekordów",
                "rekordów"
            ]
        );
        let czech: Vec<&str> = [1, 3, 5, 22]
            .iter()
            .map(|&n| plural(Lang::Cs, n, ["záznam", "záznamy", "záznamů"]))
            .collect();
        assert_eq!(czech, ["záznam", "záznamy", "záznamů", "záznamů"]);
        assert_eq!(plural(Lang::En, 1, ["file", "files", "files"]), "file");
    }

    #[test]
    fn an_extension_gives_the_new_date_and_the_reason() {
        let controller = super::super::testing::controller("controller-pl.toml");
        let mut request = request(Lang::Pl);
        request.extension = Some(Extension { months: 2, reason: "duża liczba żądań".into() });
        let d = pupil_disclosure();
        let html =
            index_html(&Package { controller: &controller, request: &request, disclosure: &d });
        // 31.01.2026 + 3 months = 30.04.2026 (a Thursday).
        assert!(html.contains("Termin przedłużono o 2 miesiące — do 30.04.2026"), "{html}");
        assert!(html.contains("należało przekazać do 02.03.2026"));
        assert!(html.contains("duża liczba żądań"));
    }
}
