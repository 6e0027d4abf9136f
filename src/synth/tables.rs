//! Static tables the generator draws from: names, towns, streets, subjects and phrases, one set
//! per country.
//!
//! Names are among the most common given to children and adults in each country; towns are
//! real, with their real voivodeship/kraj, county/okres and commune, a real postcode range and,
//! in Poland, a TERC code of the right shape (voivodeship, county, commune, kind).

/// A town or village that pupils live in and schools stand in.
#[derive(Clone, Copy, Debug)]
pub(super) struct Town {
    /// Name.
    pub name: &'static str,
    /// Locative case (`w Krakowie`); Polish only, empty for Czech towns.
    pub locative: &'static str,
    /// Voivodeship (PL) or kraj (CZ).
    pub region: &'static str,
    /// County (powiat) or okres.
    pub county: &'static str,
    /// Commune (gmina) or obec.
    pub commune: &'static str,
    /// TERC code (PL); empty for Czech towns.
    pub teryt: &'static str,
    /// The first postcode, as a number (`31-001` is 31001).
    pub postcode: u32,
    /// The distance between consecutive postcodes of the town.
    pub postcode_step: u32,
    /// How many postcodes the town has.
    pub postcodes: u32,
    /// Relative population (thousands), drives where pupils live and how many schools a town has.
    pub weight: u32,
    /// A village: addresses often have no street, houses have no flats.
    pub village: bool,
}

/// Everything country-specific the generator needs.
#[derive(Debug)]
pub(super) struct Tables {
    /// Girls' first names.
    pub girls: &'static [&'static str],
    /// Boys' first names.
    pub boys: &'static [&'static str],
    /// Women's first names (guardians, teachers).
    pub women: &'static [&'static str],
    /// Men's first names.
    pub men: &'static [&'static str],
    /// Surnames as (male form, female form).
    pub surnames: &'static [(&'static str, &'static str)],
    /// Towns.
    pub towns: &'static [Town],
    /// Town weights, in the order of `towns`.
    pub town_weights: &'static [u32],
    /// Street names.
    pub streets: &'static [&'static str],
    /// E-mail domains.
    pub mail_domains: &'static [&'static str],
    /// First digits of mobile numbers after the country code.
    pub mobile_prefixes: &'static [u32],
    /// Country name in the country's language.
    pub country: &'static str,
    /// Foreign birth places as (town, country, whether people born there are usually citizens
    /// of the school's country: children of emigrants are, refugees are not).
    pub foreign_births: &'static [(&'static str, &'static str, bool)],
    /// (mother, father, legal guardian) in the country's language.
    pub relations: [&'static str; 3],
    /// School patrons or names of streets schools stand on.
    pub patrons: &'static [&'static str],
    /// Subjects as (name, first level, last level) of primary school.
    pub primary_subjects: &'static [(&'static str, u32, u32)],
    /// Subjects as (name, first level, last level) of secondary school.
    pub secondary_subjects: &'static [(&'static str, u32, u32)],
    /// Behaviour grades, best first.
    pub behaviour: &'static [&'static str],
    /// Weights of the behaviour grades, in the order above.
    pub behaviour_weights: &'static [u32],
    /// Weights of a pupil's typical grade, from `1` up: each subject grade is this or a
    /// step either side.
    pub grade_weights: &'static [u32],
    /// Remark categories as (praise, reprimand, information).
    pub remark_categories: [&'static str; 3],
    /// Remark texts for each category, in the order above.
    pub remarks: [&'static [&'static str]; 3],
    /// Teacher title prefix (`mgr`, `Mgr.`).
    pub teacher_title: &'static str,
    /// Consent purposes.
    pub consents: &'static [&'static str],
    /// Exam taken at the end of primary school, and its subjects.
    pub leaving_exam: (&'static str, &'static [&'static str]),
    /// In-school diagnostic test for younger pupils and its subjects.
    pub diagnostic_exam: (&'static str, &'static [&'static str]),
    /// Readiness check for the youngest.
    pub readiness_exam: &'static str,
    /// Achievement titles.
    pub achievements: &'static [&'static str],
    /// Achievement levels, from the school up.
    pub achievement_levels: &'static [&'static str],
    /// Counselling document kinds; the last is only issued to the youngest pupils (early
    /// support, school-start deferral).
    pub counselling_kinds: &'static [&'static str],
    /// Counselling centre names, one `{}` for the town (`w Krakowie` in Polish, `Brno` in
    /// Czech).
    pub counselling_centre: &'static str,
    /// Counselling notes.
    pub counselling_notes: &'static [&'static str],
    /// Health notes as (category, note).
    pub health: &'static [(&'static str, &'static str)],
    /// Contract kinds with their monthly fee in minor units and the payment title stem.
    pub contracts: &'static [(&'static str, i64, &'static str)],
    /// Currency.
    pub currency: &'static str,
    /// Month names in the genitive/nominative used in payment titles, January first.
    pub months: [&'static str; 12],
    /// Foreign languages assessed.
    pub languages: &'static [&'static str],
}

// Positional on purpose: it keeps each town of the tables below on one line.
#[allow(clippy::too_many_arguments)]
const fn town(
    name: &'static str,
    locative: &'static str,
    region: &'static str,
    county: &'static str,
    commune: &'static str,
    teryt: &'static str,
    postcode: (u32, u32, u32),
    weight: u32,
    village: bool,
) -> Town {
    Town {
        name,
        locative,
        region,
        county,
        commune,
        teryt,
        postcode: postcode.0,
        postcode_step: postcode.1,
        postcodes: postcode.2,
        weight,
        village,
    }
}

/// Weights of `towns`, computed at compile time so the table stays the single source.
const fn weights<const N: usize>(towns: &[Town; N]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut i = 0;
    while i < N {
        out[i] = towns[i].weight;
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Poland
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const PL_TOWNS: [Town; 47] = [
    town("Warszawa", "Warszawie", "mazowieckie", "Warszawa", "Warszawa", "1465011", (1, 1, 4998), 1860, false),
    town("Kraków", "Krakowie", "małopolskie", "Kraków", "Kraków", "1261011", (30001, 1, 1999), 800, false),
    town("Łódź", "Łodzi", "łódzkie", "Łódź", "Łódź", "1061011", (90001, 1, 4999), 660, false),
    town("Wrocław", "Wrocławiu", "dolnośląskie", "Wrocław", "Wrocław", "0264011", (50001, 1, 4999), 670, false),
    town("Poznań", "Poznaniu", "wielkopolskie", "Poznań", "Poznań", "3064011", (60001, 1, 1999), 540, false),
    town("Gdańsk", "Gdańsku", "pomorskie", "Gdańsk", "Gdańsk", "2261011", (80001, 1, 999), 490, false),
    town("Szczecin", "Szczecinie", "zachodniopomorskie", "Szczecin", "Szczecin", "3262011", (70001, 1, 1999), 390, false),
    town("Bydgoszcz", "Bydgoszczy", "kujawsko-pomorskie", "Bydgoszcz", "Bydgoszcz", "0461011", (85001, 1, 899), 330, false),
    town("Lublin", "Lublinie", "lubelskie", "Lublin", "Lublin", "0663011", (20001, 1, 999), 330, false),
    town("Białystok", "Białymstoku", "podlaskie", "Białystok", "Białystok", "2061011", (15001, 1, 999), 290, false),
    town("Katowice", "Katowicach", "śląskie", "Katowice", "Katowice", "2469011", (40001, 1, 999), 280, false),
    town("Gdynia", "Gdyni", "pomorskie", "Gdynia", "Gdynia", "2262011", (81001, 1, 599), 240, false),
    town("Częstochowa", "Częstochowie", "śląskie", "Częstochowa", "Częstochowa", "2464011", (42200, 1, 100), 210, false),
    town("Radom", "Radomiu", "mazowieckie", "Radom", "Radom", "1463011", (26600, 1, 100), 200, false),
    town("Toruń", "Toruniu", "kujawsko-pomorskie", "Toruń", "Toruń", "0463011", (87100, 1, 100), 195, false),
    town("Kielce", "Kielcach", "świętokrzyskie", "Kielce", "Kielce", "2661011", (25001, 1, 999), 185, false),
    town("Rzeszów", "Rzeszowie", "podkarpackie", "Rzeszów", "Rzeszów", "1863011", (35001, 1, 999), 197, false),
    town("Olsztyn", "Olsztynie", "warmińsko-mazurskie", "Olsztyn", "Olsztyn", "2862011", (10001, 1, 999), 170, false),
    town("Opole", "Opolu", "opolskie", "Opole", "Opole", "1661011", (45001, 1, 999), 127, false),
    town("Zielona Góra", "Zielonej Górze", "lubuskie", "Zielona Góra", "Zielona Góra", "0862011", (65001, 1, 999), 139, false),
    town("Gorzów Wielkopolski", "Gorzowie Wielkopolskim", "lubuskie", "Gorzów Wielkopolski", "Gorzów Wielkopolski", "0861011", (66400, 1, 71), 120, false),
    town("Zamość", "Zamościu", "lubelskie", "Zamość", "Zamość", "0664011", (22400, 1, 71), 60, false),
    town("Łomża", "Łomży", "podlaskie", "Łomża", "Łomża", "2062011", (18400, 1, 21), 62, false),
    town("Przemyśl", "Przemyślu", "podkarpackie", "Przemyśl", "Przemyśl", "1862011", (37700, 1, 21), 58, false),
    town("Sopot", "Sopocie", "pomorskie", "Sopot", "Sopot", "2264011", (81701, 1, 99), 35, false),
    town("Wieliczka", "Wieliczce", "małopolskie", "wielicki", "Wieliczka", "1219064", (32020, 1, 1), 24, false),
    town("Zakopane", "Zakopanem", "małopolskie", "tatrzański", "Zakopane", "1217011", (34500, 1, 1), 26, false),
    town("Nowy Targ", "Nowym Targu", "małopolskie", "nowotarski", "Nowy Targ", "1211011", (34400, 1, 1), 33, false),
    town("Piaseczno", "Piasecznie", "mazowieckie", "piaseczyński", "Piaseczno", "1418064", (5500, 1, 1), 48, false),
    town("Pruszków", "Pruszkowie", "mazowieckie", "pruszkowski", "Pruszków", "1421011", (5800, 1, 1), 62, false),
    town("Kartuzy", "Kartuzach", "pomorskie", "kartuski", "Kartuzy", "2205054", (83300, 1, 1), 15, false),
    town("Żywiec", "Żywcu", "śląskie", "żywiecki", "Żywiec", "2417011", (34300, 1, 1), 31, false),
    town("Gniezno", "Gnieźnie", "wielkopolskie", "gnieźnieński", "Gniezno", "3003011", (62200, 1, 1), 66, false),
    town("Kłodzko", "Kłodzku", "dolnośląskie", "kłodzki", "Kłodzko", "0208011", (57300, 1, 1), 26, false),
    town("Ełk", "Ełku", "warmińsko-mazurskie", "ełcki", "Ełk", "2804011", (19300, 1, 1), 61, false),
    town("Sandomierz", "Sandomierzu", "świętokrzyskie", "sandomierski", "Sandomierz", "2609011", (27600, 1, 1), 23, false),
    town("Brzeg", "Brzegu", "opolskie", "brzeski", "Brzeg", "1601011", (49300, 1, 1), 35, false),
    town("Świebodzin", "Świebodzinie", "lubuskie", "świebodziński", "Świebodzin", "0809044", (66200, 1, 1), 21, false),
    town("Kołobrzeg", "Kołobrzegu", "zachodniopomorskie", "kołobrzeski", "Kołobrzeg", "3208011", (78100, 1, 1), 46, false),
    town("Dobczyce", "Dobczycach", "małopolskie", "myślenicki", "Dobczyce", "1209024", (32410, 1, 1), 6, false),
    town("Zielonki", "Zielonkach", "małopolskie", "krakowski", "Zielonki", "1206152", (32087, 1, 1), 12, true),
    town("Michałowice", "Michałowicach", "mazowieckie", "pruszkowski", "Michałowice", "1421032", (5816, 1, 1), 8, true),
    town("Kosakowo", "Kosakowie", "pomorskie", "pucki", "Kosakowo", "2211032", (81198, 1, 1), 7, true),
    town("Stare Babice", "Starych Babicach", "mazowieckie", "warszawski zachodni", "Stare Babice", "1432052", (5082, 1, 1), 6, true),
    town("Suchy Las", "Suchym Lesie", "wielkopolskie", "poznański", "Suchy Las", "3021145", (62002, 1, 1), 7, true),
    town("Wilkowice", "Wilkowicach", "śląskie", "bielski", "Wilkowice", "2402102", (43365, 1, 1), 5, true),
    town("Lipnica Murowana", "Lipnicy Murowanej", "małopolskie", "bocheński", "Lipnica Murowana", "1201052", (32724, 1, 1), 3, true),
];

const PL_TOWN_WEIGHTS: [u32; 47] = weights(&PL_TOWNS);

/// Polish tables.
pub(super) static PL: Tables = Tables {
    girls: &[
        "Zuzanna",
        "Julia",
        "Zofia",
        "Hanna",
        "Maja",
        "Lena",
        "Alicja",
        "Maria",
        "Amelia",
        "Oliwia",
        "Laura",
        "Pola",
        "Wiktoria",
        "Emilia",
        "Natalia",
        "Aleksandra",
        "Antonina",
        "Gabriela",
        "Nadia",
        "Liliana",
        "Helena",
        "Jagoda",
        "Łucja",
        "Iga",
        "Agata",
        "Kinga",
        "Marcelina",
        "Weronika",
        "Małgorzata",
        "Ewa",
    ],
    boys: &[
        "Antoni",
        "Jan",
        "Aleksander",
        "Franciszek",
        "Nikodem",
        "Jakub",
        "Szymon",
        "Stanisław",
        "Filip",
        "Mikołaj",
        "Wojciech",
        "Kacper",
        "Adam",
        "Michał",
        "Marcel",
        "Leon",
        "Wiktor",
        "Ignacy",
        "Piotr",
        "Tymon",
        "Maciej",
        "Bartłomiej",
        "Jędrzej",
        "Józef",
        "Paweł",
        "Łukasz",
        "Krzysztof",
        "Mateusz",
        "Oskar",
        "Igor",
    ],
    women: &[
        "Anna",
        "Katarzyna",
        "Magdalena",
        "Agnieszka",
        "Joanna",
        "Monika",
        "Małgorzata",
        "Ewa",
        "Aleksandra",
        "Justyna",
        "Marta",
        "Beata",
        "Dorota",
        "Karolina",
        "Paulina",
        "Sylwia",
        "Izabela",
        "Renata",
        "Elżbieta",
        "Żaneta",
        "Urszula",
        "Grażyna",
    ],
    men: &[
        "Piotr",
        "Tomasz",
        "Paweł",
        "Michał",
        "Marcin",
        "Krzysztof",
        "Łukasz",
        "Grzegorz",
        "Mariusz",
        "Jarosław",
        "Andrzej",
        "Dariusz",
        "Marek",
        "Rafał",
        "Robert",
        "Sebastian",
        "Przemysław",
        "Wojciech",
        "Bartosz",
        "Jacek",
        "Zbigniew",
        "Sławomir",
    ],
    surnames: &[
        ("Nowak", "Nowak"),
        ("Kowalski", "Kowalska"),
        ("Wiśniewski", "Wiśniewska"),
        ("Wójcik", "Wójcik"),
        ("Kowalczyk", "Kowalczyk"),
        ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
        ("Zieliński", "Zielińska"),
        ("Szymański", "Szymańska"),
        ("Woźniak", "Woźniak"),
        ("Dąbrowski", "Dąbrowska"),
        ("Kozłowski", "Kozłowska"),
        ("Jankowski", "Jankowska"),
        ("Mazur", "Mazur"),
        ("Wojciechowski", "Wojciechowska"),
        ("Kwiatkowski", "Kwiatkowska"),
        ("Krawczyk", "Krawczyk"),
        ("Kaczmarek", "Kaczmarek"),
        ("Piotrowski", "Piotrowska"),
        ("Grabowski", "Grabowska"),
        ("Zając", "Zając"),
        ("Pawłowski", "Pawłowska"),
        ("Michalski", "Michalska"),
        ("Król", "Król"),
        ("Wieczorek", "Wieczorek"),
        ("Jabłoński", "Jabłońska"),
        ("Wróbel", "Wróbel"),
        ("Nowakowski", "Nowakowska"),
        ("Majewski", "Majewska"),
        ("Olszewski", "Olszewska"),
        ("Stępień", "Stępień"),
        ("Malinowski", "Malinowska"),
        ("Jaworski", "Jaworska"),
        ("Adamczyk", "Adamczyk"),
        ("Dudek", "Dudek"),
        ("Nowicki", "Nowicka"),
        ("Pawlak", "Pawlak"),
        ("Górski", "Górska"),
        ("Witkowski", "Witkowska"),
        ("Walczak", "Walczak"),
        ("Sikora", "Sikora"),
        ("Baran", "Baran"),
        ("Rutkowski", "Rutkowska"),
        ("Michalak", "Michalak"),
        ("Szewczyk", "Szewczyk"),
        ("Ostrowski", "Ostrowska"),
        ("Tomaszewski", "Tomaszewska"),
        ("Pietrzak", "Pietrzak"),
        ("Zalewski", "Zalewska"),
        ("Wróblewski", "Wróblewska"),
        ("Jasiński", "Jasińska"),
        ("Marciniak", "Marciniak"),
        ("Bąk", "Bąk"),
        ("Zawadzki", "Zawadzka"),
        ("Sadowski", "Sadowska"),
        ("Jakubowski", "Jakubowska"),
        ("Duda", "Duda"),
        ("Włodarczyk", "Włodarczyk"),
        ("Chmielewski", "Chmielewska"),
        ("Sokołowski", "Sokołowska"),
        ("Szczepański", "Szczepańska"),
        ("Sawicki", "Sawicka"),
        ("Lis", "Lis"),
        ("Kubiak", "Kubiak"),
        ("Kaźmierczak", "Kaźmierczak"),
        ("Czarnecki", "Czarnecka"),
        ("Ziółkowski", "Ziółkowska"),
        ("Błaszczyk", "Błaszczyk"),
        ("Żak", "Żak"),
        ("Gołębiowski", "Gołębiowska"),
        ("Żukowski", "Żukowska"),
        ("Źródłowski", "Źródłowska"),
    ],
    towns: &PL_TOWNS,
    town_weights: &PL_TOWN_WEIGHTS,
    streets: &[
        "Adama Mickiewicza",
        "Długa",
        "Tadeusza Kościuszki",
        "Polna",
        "Leśna",
        "Słoneczna",
        "Krótka",
        "Szkolna",
        "Ogrodowa",
        "Lipowa",
        "Brzozowa",
        "Łąkowa",
        "Kwiatowa",
        "Jana Pawła II",
        "Władysława Reymonta",
        "Marii Skłodowskiej-Curie",
        "3 Maja",
        "Kolejowa",
        "Stefana Żeromskiego",
        "Wiejska",
        "Źródlana",
        "Henryka Sienkiewicza",
        "Bolesława Prusa",
        "Armii Krajowej",
        "Zielona",
        "Parkowa",
        "Różana",
        "Spacerowa",
    ],
    mail_domains: &["gmail.com", "wp.pl", "o2.pl", "onet.pl", "interia.pl", "op.pl", "poczta.fm"],
    mobile_prefixes: &[50, 51, 53, 57, 60, 66, 69, 72, 78, 79, 88],
    country: "Polska",
    foreign_births: &[
        ("Londyn", "Wielka Brytania", true),
        ("Dublin", "Irlandia", true),
        ("Berlin", "Niemcy", true),
        ("Lwów", "Ukraina", false),
        ("Oslo", "Norwegia", true),
        ("Chicago", "Stany Zjednoczone", true),
    ],
    relations: ["matka", "ojciec", "opiekun prawny"],
    patrons: &[
        "Adama Mickiewicza",
        "Marii Konopnickiej",
        "Jana Pawła II",
        "Janusza Korczaka",
        "Henryka Sienkiewicza",
        "Tadeusza Kościuszki",
        "Marii Skłodowskiej-Curie",
        "Kornela Makuszyńskiego",
        "Jana Brzechwy",
        "Juliana Tuwima",
        "Polskich Olimpijczyków",
        "Bohaterów Westerplatte",
        "Noblistów Polskich",
        "\"Szarych Szeregów\"",
        "Orląt Lwowskich",
        "Mikołaja Kopernika",
        "Stefana Żeromskiego",
        "Jana Kochanowskiego",
    ],
    primary_subjects: &[
        ("edukacja wczesnoszkolna", 1, 3),
        ("język polski", 4, 8),
        ("matematyka", 4, 8),
        ("język angielski", 1, 8),
        ("historia", 4, 8),
        ("przyroda", 4, 4),
        ("biologia", 5, 8),
        ("geografia", 5, 8),
        ("plastyka", 4, 7),
        ("muzyka", 4, 7),
        ("technika", 4, 6),
        ("informatyka", 4, 8),
        ("wychowanie fizyczne", 4, 8),
        ("fizyka", 7, 8),
        ("chemia", 7, 8),
        ("język niemiecki", 7, 8),
        ("wiedza o społeczeństwie", 8, 8),
        ("edukacja dla bezpieczeństwa", 8, 8),
        ("religia", 1, 8),
    ],
    secondary_subjects: &[
        ("język polski", 1, 5),
        ("matematyka", 1, 5),
        ("język angielski", 1, 5),
        ("język niemiecki", 1, 4),
        ("historia", 1, 4),
        ("historia i teraźniejszość", 1, 2),
        ("biologia", 1, 3),
        ("chemia", 1, 3),
        ("fizyka", 1, 3),
        ("geografia", 1, 3),
        ("informatyka", 1, 3),
        ("wychowanie fizyczne", 1, 5),
        ("edukacja dla bezpieczeństwa", 1, 1),
        ("biznes i zarządzanie", 3, 4),
        ("religia", 1, 5),
    ],
    behaviour: &["wzorowe", "bardzo dobre", "dobre", "poprawne", "nieodpowiednie", "naganne"],
    behaviour_weights: &[25, 35, 24, 11, 4, 1],
    grade_weights: &[0, 8, 24, 34, 25, 9],
    remark_categories: ["pochwała", "uwaga negatywna", "informacja"],
    remarks: [
        &[
            "Pomoc w organizacji szkolnego \"Dnia Ziemi\".",
            "Bardzo dobrze przygotowany występ na akademii; dziękujemy!",
            "Udział w zbiórce dla schroniska.\nZebrano 3 kartony karmy.",
            "Wzorowe zachowanie podczas wycieczki do Torunia.",
        ],
        &[
            "Rozmawia na lekcjach; nie reaguje na upomnienia.",
            "Nie odrobił pracy domowej (trzeci raz w miesiącu).",
            "Bójka na przerwie z kolegą z klasy.\nRodzice poinformowani telefonicznie.",
            "Używanie telefonu podczas sprawdzianu; praca oceniona na \"1\".",
        ],
        &[
            "Zwolniony z lekcji wychowania fizycznego do końca semestru.",
            "Rodzic zgłosił zmianę numeru telefonu.",
            "Uczeń dojeżdża autobusem szkolnym; kurs \"Linia 2\".",
        ],
    ],
    teacher_title: "mgr",
    consents: &[
        "publikacja wizerunku",
        "udział w wycieczkach",
        "newsletter szkolny",
        "przetwarzanie danych w dzienniku elektronicznym",
        "marketing; oferty partnerów",
    ],
    leaving_exam: ("egzamin ósmoklasisty", &["język polski", "matematyka", "język angielski"]),
    diagnostic_exam: ("diagnoza kompetencji", &["język polski", "matematyka"]),
    readiness_exam: "diagnoza gotowości szkolnej",
    achievements: &[
        "Kangur Matematyczny – wyróżnienie",
        "Olimpiada Przedmiotowa z Języka Polskiego – finalista",
        "Konkurs recytatorski \"Warszawska Syrenka\" – I miejsce",
        "Zawody w piłce nożnej; II miejsce drużynowo",
        "Konkurs plastyczny \"Moja mała ojczyzna\"",
        "Olimpiada Wiedzy o Polsce i Świecie Współczesnym – laureat",
    ],
    achievement_levels: &["szkolny", "powiatowy", "wojewódzki", "ogólnopolski", "międzynarodowy"],
    counselling_kinds: &[
        "opinia",
        "orzeczenie o potrzebie kształcenia specjalnego",
        "orzeczenie o potrzebie indywidualnego nauczania",
        "opinia o potrzebie wczesnego wspomagania rozwoju",
    ],
    counselling_centre: "Poradnia Psychologiczno-Pedagogiczna {}",
    counselling_notes: &[
        "dysleksja rozwojowa; zalecenia: wydłużenie czasu pracy",
        "zaburzenia koncentracji uwagi; miejsce w pierwszej ławce",
        "niepełnosprawność ruchowa; dostosowanie sali \"na parterze\"",
        "dyskalkulia",
        "trudności adaptacyjne;\nzalecane zajęcia rozwijające kompetencje emocjonalno-społeczne",
    ],
    health: &[
        ("alergia", "uczulenie na orzeszki ziemne"),
        ("alergia", "alergia na pyłki traw; sezonowo leki"),
        ("dieta", "dieta bezglutenowa"),
        ("choroba przewlekła", "astma oskrzelowa; inhalator w plecaku"),
        ("choroba przewlekła", "cukrzyca typu 1 – pompa insulinowa"),
        ("leki", "lek przeciwpadaczkowy rano i wieczorem"),
    ],
    contracts: &[
        ("świetlica", 15_000, "opłata za świetlicę"),
        ("stołówka", 18_000, "obiady"),
        ("zajęcia dodatkowe: język angielski", 24_000, "zajęcia \"English Club\""),
    ],
    currency: "PLN",
    months: [
        "styczeń",
        "luty",
        "marzec",
        "kwiecień",
        "maj",
        "czerwiec",
        "lipiec",
        "sierpień",
        "wrzesień",
        "październik",
        "listopad",
        "grudzień",
    ],
    languages: &["język angielski", "język niemiecki", "język hiszpański"],
};

// ---------------------------------------------------------------------------------------------
// Czechia
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const CZ_TOWNS: [Town; 25] = [
    town("Praha", "", "Hlavní město Praha", "Hlavní město Praha", "Praha", "", (11000, 100, 90), 1380, false),
    town("Brno", "", "Jihomoravský kraj", "Brno-město", "Brno", "", (60200, 100, 44), 400, false),
    town("Ostrava", "", "Moravskoslezský kraj", "Ostrava-město", "Ostrava", "", (70200, 100, 24), 280, false),
    town("Plzeň", "", "Plzeňský kraj", "Plzeň-město", "Plzeň", "", (30100, 100, 25), 185, false),
    town("Liberec", "", "Liberecký kraj", "Liberec", "Liberec", "", (46001, 1, 15), 105, false),
    town("Olomouc", "", "Olomoucký kraj", "Olomouc", "Olomouc", "", (77200, 100, 8), 102, false),
    town("České Budějovice", "", "Jihočeský kraj", "České Budějovice", "České Budějovice", "", (37001, 1, 11), 97, false),
    town("Hradec Králové", "", "Královéhradecký kraj", "Hradec Králové", "Hradec Králové", "", (50002, 1, 11), 93, false),
    town("Ústí nad Labem", "", "Ústecký kraj", "Ústí nad Labem", "Ústí nad Labem", "", (40001, 1, 11), 92, false),
    town("Pardubice", "", "Pardubický kraj", "Pardubice", "Pardubice", "", (53002, 1, 11), 92, false),
    town("Zlín", "", "Zlínský kraj", "Zlín", "Zlín", "", (76001, 1, 5), 75, false),
    town("Jihlava", "", "Kraj Vysočina", "Jihlava", "Jihlava", "", (58601, 1, 1), 51, false),
    town("Karlovy Vary", "", "Karlovarský kraj", "Karlovy Vary", "Karlovy Vary", "", (36001, 1, 21), 48, false),
    town("Kladno", "", "Středočeský kraj", "Kladno", "Kladno", "", (27201, 1, 1), 69, false),
    town("Kolín", "", "Středočeský kraj", "Kolín", "Kolín", "", (28002, 1, 1), 32, false),
    town("Třebíč", "", "Kraj Vysočina", "Třebíč", "Třebíč", "", (67401, 1, 1), 35, false),
    town("Tábor", "", "Jihočeský kraj", "Tábor", "Tábor", "", (39001, 1, 1), 34, false),
    town("Kroměříž", "", "Zlínský kraj", "Kroměříž", "Kroměříž", "", (76701, 1, 1), 28, false),
    town("Opava", "", "Moravskoslezský kraj", "Opava", "Opava", "", (74601, 1, 1), 55, false),
    town("Znojmo", "", "Jihomoravský kraj", "Znojmo", "Znojmo", "", (66902, 1, 1), 33, false),
    town("Říčany", "", "Středočeský kraj", "Praha-východ", "Říčany", "", (25101, 1, 1), 17, false),
    town("Černošice", "", "Středočeský kraj", "Praha-západ", "Černošice", "", (25228, 1, 1), 8, false),
    town("Velké Meziříčí", "", "Kraj Vysočina", "Žďár nad Sázavou", "Velké Meziříčí", "", (59401, 1, 1), 11, false),
    town("Dolní Břežany", "", "Středočeský kraj", "Praha-západ", "Dolní Břežany", "", (25241, 1, 1), 4, true),
    town("Lelekovice", "", "Jihomoravský kraj", "Brno-venkov", "Lelekovice", "", (66431, 1, 1), 2, true),
];

const CZ_TOWN_WEIGHTS: [u32; 25] = weights(&CZ_TOWNS);

/// Czech tables.
pub(super) static CZ: Tables = Tables {
    girls: &[
        "Eliška",
        "Anna",
        "Tereza",
        "Adéla",
        "Natálie",
        "Karolína",
        "Sofie",
        "Viktorie",
        "Kristýna",
        "Barbora",
        "Klára",
        "Ema",
        "Lucie",
        "Veronika",
        "Nela",
        "Julie",
        "Amálie",
        "Rozálie",
        "Marie",
        "Zuzana",
        "Štěpánka",
        "Kateřina",
    ],
    boys: &[
        "Jakub",
        "Jan",
        "Tomáš",
        "Matyáš",
        "Adam",
        "Vojtěch",
        "Ondřej",
        "Filip",
        "Lukáš",
        "Matěj",
        "David",
        "Šimon",
        "Daniel",
        "Dominik",
        "Štěpán",
        "Antonín",
        "František",
        "Vít",
        "Jiří",
        "Kryštof",
        "Tadeáš",
        "Čeněk",
    ],
    women: &[
        "Jana",
        "Petra",
        "Lenka",
        "Lucie",
        "Kateřina",
        "Martina",
        "Hana",
        "Veronika",
        "Markéta",
        "Monika",
        "Eva",
        "Zuzana",
        "Michaela",
        "Andrea",
        "Ivana",
        "Barbora",
        "Jitka",
        "Pavla",
        "Alena",
        "Radka",
    ],
    men: &[
        "Jiří",
        "Jan",
        "Petr",
        "Josef",
        "Pavel",
        "Martin",
        "Tomáš",
        "Jaroslav",
        "Miroslav",
        "Zdeněk",
        "Václav",
        "Michal",
        "František",
        "Milan",
        "Lukáš",
        "Roman",
        "Radek",
        "Marek",
        "Ondřej",
        "Vladimír",
    ],
    surnames: &[
        ("Novák", "Nováková"),
        ("Svoboda", "Svobodová"),
        ("Novotný", "Novotná"),
        ("Dvořák", "Dvořáková"),
        ("Černý", "Černá"),
        ("Procházka", "Procházková"),
        ("Kučera", "Kučerová"),
        ("Veselý", "Veselá"),
        ("Horák", "Horáková"),
        ("Němec", "Němcová"),
        ("Marek", "Marková"),
        ("Pospíšil", "Pospíšilová"),
        ("Pokorný", "Pokorná"),
        ("Hájek", "Hájková"),
        ("Král", "Králová"),
        ("Jelínek", "Jelínková"),
        ("Růžička", "Růžičková"),
        ("Beneš", "Benešová"),
        ("Fiala", "Fialová"),
        ("Sedláček", "Sedláčková"),
        ("Doležal", "Doležalová"),
        ("Zeman", "Zemanová"),
        ("Kolář", "Kolářová"),
        ("Navrátil", "Navrátilová"),
        ("Čermák", "Čermáková"),
        ("Vaněk", "Vaňková"),
        ("Urban", "Urbanová"),
        ("Blažek", "Blažková"),
        ("Kříž", "Křížová"),
        ("Kovář", "Kovářová"),
        ("Bartoš", "Bartošová"),
        ("Vlček", "Vlčková"),
        ("Polák", "Poláková"),
        ("Musil", "Musilová"),
        ("Kopecký", "Kopecká"),
        ("Šimek", "Šimková"),
        ("Konečný", "Konečná"),
        ("Malý", "Malá"),
        ("Holub", "Holubová"),
        ("Štěpánek", "Štěpánková"),
        ("Kadlec", "Kadlecová"),
        ("Žák", "Žáková"),
    ],
    towns: &CZ_TOWNS,
    town_weights: &CZ_TOWN_WEIGHTS,
    streets: &[
        "Masarykova",
        "Husova",
        "Nádražní",
        "Školní",
        "Palackého",
        "Komenského",
        "Jiráskova",
        "Smetanova",
        "Tyršova",
        "Zahradní",
        "Lipová",
        "Krátká",
        "Sokolská",
        "Havlíčkova",
        "Žižkova",
        "Dlouhá",
        "Polní",
        "Luční",
        "Nerudova",
        "Čechova",
        "Riegrova",
        "Štefánikova",
    ],
    mail_domains: &["seznam.cz", "email.cz", "gmail.com", "centrum.cz", "volny.cz", "post.cz"],
    mobile_prefixes: &[60, 70, 72, 73, 77, 77, 60, 79],
    country: "Česká republika",
    foreign_births: &[
        ("Bratislava", "Slovensko", false),
        ("Vídeň", "Rakousko", true),
        ("Kyjev", "Ukrajina", false),
        ("Mnichov", "Německo", true),
        ("Londýn", "Spojené království", true),
    ],
    relations: ["matka", "otec", "poručník"],
    patrons: &[
        "Masarykova",
        "Komenského",
        "Palackého",
        "Husova",
        "Jiráskova",
        "Sokolská",
        "Školní",
        "Nám. Míru",
        "Tyršova",
        "Smetanova",
    ],
    primary_subjects: &[
        ("český jazyk a literatura", 1, 9),
        ("matematika", 1, 9),
        ("anglický jazyk", 3, 9),
        ("prvouka", 1, 3),
        ("přírodověda", 4, 5),
        ("vlastivěda", 4, 5),
        ("dějepis", 6, 9),
        ("zeměpis", 6, 9),
        ("přírodopis", 6, 9),
        ("fyzika", 6, 9),
        ("chemie", 8, 9),
        ("německý jazyk", 7, 9),
        ("informatika", 4, 9),
        ("hudební výchova", 1, 9),
        ("výtvarná výchova", 1, 9),
        ("tělesná výchova", 1, 9),
        ("pracovní činnosti", 1, 9),
        ("výchova k občanství", 6, 9),
    ],
    secondary_subjects: &[
        ("český jazyk a literatura", 1, 4),
        ("matematika", 1, 4),
        ("anglický jazyk", 1, 4),
        ("německý jazyk", 1, 4),
        ("dějepis", 1, 3),
        ("zeměpis", 1, 2),
        ("biologie", 1, 3),
        ("chemie", 1, 3),
        ("fyzika", 1, 3),
        ("základy společenských věd", 2, 4),
        ("informatika", 1, 2),
        ("tělesná výchova", 1, 4),
    ],
    behaviour: &["1", "2", "3"],
    behaviour_weights: &[93, 6, 1],
    // Czech grades run 1 (best) to 5; weights are listed from `1` up.
    grade_weights: &[34, 32, 22, 10, 2],
    remark_categories: ["pochvala", "napomenutí", "informace"],
    remarks: [
        &[
            "Pochvala třídního učitele za reprezentaci školy v soutěži \"Mladý chemik\".",
            "Vzorná příprava na výuku; aktivní přístup.",
            "Pomoc při organizaci sbírky pro útulek.\nDěkujeme!",
        ],
        &[
            "Opakované zapomínání pomůcek; rodiče informováni.",
            "Nevhodné chování o přestávce.\nŘešeno se zákonnými zástupci.",
            "Používání mobilního telefonu při písemce; práce hodnocena \"5\".",
        ],
        &[
            "Uvolněn z tělesné výchovy do konce pololetí.",
            "Změna telefonního čísla zákonného zástupce.",
        ],
    ],
    teacher_title: "Mgr.",
    consents: &[
        "zveřejnění fotografií",
        "účast na výletech",
        "zasílání zpravodaje",
        "zpracování údajů v elektronické žákovské knížce",
        "marketing; nabídky partnerů",
    ],
    leaving_exam: ("jednotná přijímací zkouška", &["český jazyk a literatura", "matematika"]),
    diagnostic_exam: ("národní testování", &["český jazyk", "matematika"]),
    readiness_exam: "posouzení školní zralosti",
    achievements: &[
        "Matematická olympiáda – úspěšný řešitel",
        "Pythagoriáda; 2. místo",
        "Recitační soutěž \"Dětská scéna\"",
        "Olympiáda v českém jazyce – vítěz",
        "Florbalový turnaj škol – 1. místo",
    ],
    achievement_levels: &["školní", "okresní", "krajský", "celostátní", "mezinárodní"],
    counselling_kinds: &[
        "doporučení ke vzdělávání žáka se SVP",
        "zpráva z vyšetření",
        "doporučení k odkladu povinné školní docházky",
    ],
    counselling_centre: "Pedagogicko-psychologická poradna {}",
    counselling_notes: &[
        "specifické poruchy učení (dyslexie); podpůrná opatření 2. stupně",
        "ADHD; asistent pedagoga",
        "dysgrafie; povolit psaní na počítači",
        "zdravotní znevýhodnění;\nupravit rozvrh tělesné výchovy",
    ],
    health: &[
        ("alergie", "alergie na arašídy"),
        ("alergie", "pylová alergie; sezónně antihistaminika"),
        ("dieta", "bezlepková dieta"),
        ("chronické onemocnění", "astma; inhalátor v aktovce"),
        ("chronické onemocnění", "diabetes 1. typu – inzulinová pumpa"),
    ],
    contracts: &[
        ("školní družina", 30_000, "úplata za družinu"),
        ("školní jídelna", 70_000, "stravné"),
        ("kroužek angličtiny", 40_000, "kroužek \"English Club\""),
    ],
    currency: "CZK",
    months: [
        "leden",
        "únor",
        "březen",
        "duben",
        "květen",
        "červen",
        "červenec",
        "srpen",
        "září",
        "říjen",
        "listopad",
        "prosinec",
    ],
    languages: &["anglický jazyk", "německý jazyk", "španělský jazyk"],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_non_empty_and_well_formed() {
        for t in [&PL, &CZ] {
            for list in [t.girls, t.boys, t.women, t.men, t.streets, t.mail_domains, t.patrons] {
                assert!(!list.is_empty());
            }
            assert!(!t.surnames.is_empty() && !t.towns.is_empty());
            assert!(!t.consents.is_empty() && !t.achievements.is_empty());
            assert!(!t.counselling_notes.is_empty() && !t.health.is_empty());
            assert!(!t.contracts.is_empty() && !t.languages.is_empty());
            assert!(!t.foreign_births.is_empty() && !t.mobile_prefixes.is_empty());
            assert!(t.remarks.iter().all(|r| !r.is_empty()));
            assert!(t.counselling_centre.contains("{}"));
            assert_eq!(t.towns.len(), t.town_weights.len());
            for town in t.towns {
                assert!(town.postcodes >= 1 && town.weight >= 1, "{}", town.name);
                let last = town.postcode + town.postcode_step * (town.postcodes - 1);
                assert!(last <= 99_999, "{}", town.name);
            }
        }
    }

    #[test]
    fn polish_towns_have_terc_codes_of_the_right_shape() {
        for town in PL.towns {
            let t = town.teryt.as_bytes();
            assert_eq!(t.len(), 7, "{}", town.name);
            assert!(t.iter().all(u8::is_ascii_digit), "{}", town.name);
            let voivodeship = u32::from(t[0] - b'0') * 10 + u32::from(t[1] - b'0');
            assert!(voivodeship % 2 == 0 && (2..=32).contains(&voivodeship), "{}", town.name);
            assert!(b"1234589".contains(&t[6]), "{}", town.name);
            assert!(!town.locative.is_empty(), "{}", town.name);
        }
    }
}
