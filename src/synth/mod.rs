//! Deterministic synthetic pupils for fixtures, property tests and benchmarks.
//!
//! A [`Generator`] turns a [`GeneratorConfig`] and an index into a [`Pupil`]:
//! [`Generator::pupil`] is a pure function of the two, so any range of a data set can be
//! regenerated on its own and generation parallelises without coordination
//! ([`Generator::par_iter`]). Nothing depends on the clock, the platform or the thread count.
//!
//! The pupils look like real school data: Polish pupils have valid PESELs that agree with their
//! birth date and sex, Czech pupils valid rodné čísla; names carry diacritics and the right
//! female surname forms; towns have their real voivodeship or kraj, county, commune, postcode
//! and (in Poland) a TERC code; the class level follows the age; every date is a real date no
//! later than the data set's `reference_date`, and dates that come in pairs are ordered. Some
//! text values contain quotes, semicolons and line breaks, and some optional fields are missing,
//! so writers meet what real exports contain. [`damage`] then breaks one thing on purpose.
//!
//! ```
//! use teczka::{Country, Detail, Generator, GeneratorConfig};
//!
//! let generator = Generator::new(GeneratorConfig {
//!     seed: 7,
//!     country: Country::Pl,
//!     detail: Detail::Minimal,
//!     ..GeneratorConfig::default()
//! });
//! let first = generator.pupil(0);
//! assert_eq!(first, generator.pupil(0));
//! assert_eq!(first.pesel.as_deref().map(str::len), Some(11));
//! assert_eq!(generator.iter(0..10).count(), 10);
//! ```

mod damage;
mod ids;
mod rng;
mod tables;

pub use damage::{damage, Damage};

use self::ids::{BIRTH_NUMBER_SERIALS, PESEL_SERIALS};
use self::rng::{mix, Permutation, Rng, Stream};
use self::tables::{Tables, Town, CZ, PL};
use crate::model::{
    Achievement, Address, AddressKind, Assessment, Attendance, AttendanceStatus, Consent, Contract,
    Counselling, Enrolment, Exam, Grade, GradeKind, Guardian, HealthNote, Payment, Pupil, Remark,
    Sex,
};
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::ops::Range;
use std::str::FromStr;

/// Which country's pupils to generate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Country {
    /// Polish pupils: PESEL, voivodeships, `NN-NNN` postcodes, grades 1–6.
    #[default]
    Pl,
    /// Czech pupils: rodné číslo, kraje, `NNN NN` postcodes, grades 1–5.
    Cz,
    /// Each pupil Polish or Czech with equal odds, decided by the seed and the index.
    Mixed,
}

/// How much of the model each pupil fills in.
///
/// Each level adds to the one below without changing it: the Minimal part of a Typical pupil
/// is the Minimal pupil of the same seed and index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detail {
    /// Identity, addresses, guardians and enrolment.
    Minimal,
    /// Minimal plus the grades sheet of the last completed school year, a few attendance
    /// entries, teacher remarks (most pupils) and consents.
    #[default]
    Typical,
    /// Typical plus every other entity of the model: exams, achievements, counselling, health
    /// notes, contracts, payments and assessments. Every list is non-empty for every pupil —
    /// Full is for coverage, not for realistic proportions (not every pupil has a counselling
    /// ruling), and a pupil without a completed graded year gets the current year's mid-year
    /// grades so that the grades sheet is never empty.
    Full,
}

/// What to generate. Build a [`Generator`] from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// The seed: the same seed and index always give the same pupil.
    pub seed: u64,
    /// Whose pupils.
    pub country: Country,
    /// The "today" of the data set: pupils are 6 to 19 years old on this date, the school year
    /// is the one this date falls in, and no generated date is later.
    pub reference_date: NaiveDate,
    /// How much of the model to fill in.
    pub detail: Detail,
}

impl Default for GeneratorConfig {
    /// Seed 0, Polish pupils, reference date 2025-09-01, [`Detail::Typical`].
    fn default() -> GeneratorConfig {
        GeneratorConfig {
            seed: 0,
            country: Country::Pl,
            reference_date: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap_or_default(),
            detail: Detail::Typical,
        }
    }
}

/// A word given for a [`Country`] or [`Detail`] that is not one of the accepted ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected one of {expected}")]
pub struct UnknownChoice {
    /// The accepted words, formatted for the message.
    expected: &'static str,
}

impl FromStr for Country {
    type Err = UnknownChoice;

    /// `pl`, `cz` or `mixed`, in any case.
    fn from_str(s: &str) -> Result<Country, UnknownChoice> {
        match s.to_ascii_lowercase().as_str() {
            "pl" => Ok(Country::Pl),
            "cz" => Ok(Country::Cz),
            "mixed" => Ok(Country::Mixed),
            _ => Err(UnknownChoice { expected: "`pl`, `cz`, `mixed`" }),
        }
    }
}

impl FromStr for Detail {
    type Err = UnknownChoice;

    /// `minimal`, `typical` or `full`, in any case.
    fn from_str(s: &str) -> Result<Detail, UnknownChoice> {
        match s.to_ascii_lowercase().as_str() {
            "minimal" => Ok(Detail::Minimal),
            "typical" => Ok(Detail::Typical),
            "full" => Ok(Detail::Full),
            _ => Err(UnknownChoice { expected: "`minimal`, `typical`, `full`" }),
        }
    }
}

/// Generates synthetic pupils. Cheap to share between threads: it holds no mutable state.
#[derive(Clone, Debug)]
pub struct Generator {
    config: GeneratorConfig,
    /// The earliest birth date (age 19 on the reference date).
    first_birth: NaiveDate,
    /// How many birth dates there are from `first_birth` to the latest (age 6).
    birth_days: u64,
    /// The year the reference date's school year starts in (September to August).
    school_year: i32,
    /// Hands out (birth date, sex, serial) slots to Polish pupils.
    pl_slots: Permutation,
    /// Hands out (birth date, sex, serial) slots to Czech pupils.
    cz_slots: Permutation,
}

impl Generator {
    /// A generator for `config`.
    ///
    /// Reference dates whose birth years PESEL cannot encode (before 1820 or after 2305) give
    /// Polish pupils no PESEL rather than a wrong one.
    pub fn new(config: GeneratorConfig) -> Generator {
        let reference = config.reference_date;
        let latest = reference.checked_sub_months(Months::new(6 * 12)).unwrap_or(reference);
        let first_birth = reference
            .checked_sub_months(Months::new(20 * 12))
            .and_then(|d| d.succ_opt())
            .unwrap_or(latest)
            .min(latest);
        let birth_days = (latest - first_birth).num_days().unsigned_abs() + 1;
        let school_year =
            if reference.month() >= 9 { reference.year() } else { reference.year() - 1 };
        // National ids are unique because each index gets its own slot: a slot is a
        // (birth date, sex, serial) triple, and the generator deals slots out through a keyed
        // permutation of all of them. A permutation never repeats, so distinct indexes (below
        // the slot count) get distinct triples, and the PESEL / rodné číslo encodes the triple
        // injectively (date in digits 1–6, serial in the rest). Dealing through a permutation
        // rather than in order keeps birth dates and sexes uniformly spread over any range of
        // indexes, so a 1,000-pupil fixture looks like a 1,000,000-pupil one.
        let pl_slots = Permutation::new(birth_days * 2 * PESEL_SERIALS, mix(config.seed ^ 0x504c));
        let cz_slots =
            Permutation::new(birth_days * 2 * BIRTH_NUMBER_SERIALS, mix(config.seed ^ 0x435a));
        Generator { config, first_birth, birth_days, school_year, pl_slots, cz_slots }
    }

    /// The configuration this generator was built from.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// How many consecutive indexes (from any start) get distinct national ids: about 51
    /// million for Polish pupils, 9 million for Czech ones. Beyond that, ids repeat.
    pub fn unique_national_ids(&self) -> u64 {
        match self.config.country {
            Country::Pl => self.pl_slots.size(),
            Country::Cz | Country::Mixed => self.cz_slots.size(),
        }
    }

    /// The pupil number `index`: a pure function of the configuration and the index.
    pub fn pupil(&self, index: u64) -> Pupil {
        let mut build = Build::new(self, self.country_of(index), index);
        let mut pupil = build.core();
        if self.config.detail >= Detail::Typical {
            build.extra(&mut pupil);
        }
        pupil
    }

    /// The country of pupil `index` (never `Mixed`).
    fn country_of(&self, index: u64) -> Country {
        match self.config.country {
            Country::Pl => Country::Pl,
            Country::Cz => Country::Cz,
            Country::Mixed => {
                let mut rng = Rng::new(self.config.seed, index, Stream::Country);
                if rng.percent(50) {
                    Country::Pl
                } else {
                    Country::Cz
                }
            }
        }
    }

    /// The (birth date, sex, serial) slot of pupil `index` of `country`: see `new` for why
    /// slots never repeat.
    fn slot(&self, country: Country, index: u64) -> (NaiveDate, Sex, u64) {
        let slots = if country == Country::Cz { &self.cz_slots } else { &self.pl_slots };
        let slot = slots.apply(index);
        let day = slot % self.birth_days;
        let rest = slot / self.birth_days;
        let sex = if rest.is_multiple_of(2) { Sex::Female } else { Sex::Male };
        (add_days(self.first_birth, day), sex, rest / 2)
    }

    /// The pupils with indexes in `range`, in order.
    pub fn iter(&self, range: Range<u64>) -> impl Iterator<Item = Pupil> + '_ {
        range.map(move |index| self.pupil(index))
    }

    /// The pupils with indexes in `range`, generated on rayon's thread pool. `collect` keeps
    /// index order.
    pub fn par_iter(&self, range: Range<u64>) -> impl ParallelIterator<Item = Pupil> + '_ {
        range.into_par_iter().map(move |index| self.pupil(index))
    }
}

/// Where a pupil is in the school system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Szkoła podstawowa (levels 0–8, 0 being the pre-school year) / základní škola (1–9).
    Primary,
    /// Liceum ogólnokształcące (1–4) / gymnázium (1–4).
    General,
    /// Technikum (1–5) / střední odborná škola (1–4).
    Vocational,
}

impl Stage {
    fn code(self) -> u64 {
        match self {
            Stage::Primary => 0,
            Stage::General => 1,
            Stage::Vocational => 2,
        }
    }
}

/// One pupil under construction: the facts later parts depend on.
struct Build<'g> {
    generator: &'g Generator,
    country: Country,
    t: &'static Tables,
    index: u64,
    birth: NaiveDate,
    sex: Sex,
    serial: u64,
    stage: Stage,
    level: u32,
    town: usize,
    admission: NaiveDate,
    rng: Rng,
}

impl<'g> Build<'g> {
    fn new(generator: &'g Generator, country: Country, index: u64) -> Build<'g> {
        let t = if country == Country::Cz { &CZ } else { &PL };
        let (birth, sex, serial) = generator.slot(country, index);
        let mut rng = Rng::new(generator.config.seed, index, Stream::Core);
        let (stage, level) = placement(country, birth, generator.school_year, &mut rng);
        Build {
            generator,
            country,
            t,
            index,
            birth,
            sex,
            serial,
            stage,
            level,
            town: 0,
            admission: generator.config.reference_date,
            rng,
        }
    }

    fn reference(&self) -> NaiveDate {
        self.generator.config.reference_date
    }

    fn female(&self) -> bool {
        self.sex == Sex::Female
    }

    /// September 1st of the school year starting in `year`, or the reference date if the
    /// calendar cannot hold it.
    fn september(&self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, 9, 1).unwrap_or(self.reference())
    }

    fn date(&self, year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or(self.reference()).min(self.reference())
    }

    // -----------------------------------------------------------------------------------------
    // Minimal: identity, addresses, guardians, enrolment
    // -----------------------------------------------------------------------------------------

    fn core(&mut self) -> Pupil {
        let t = self.t;
        let mut pupil = Pupil { id: format!("P-{:06}", self.index), ..Pupil::default() };
        match self.country {
            Country::Cz => {
                pupil.birth_number = ids::birth_number(self.birth, self.sex, self.serial)
            }
            Country::Pl | Country::Mixed => {
                pupil.pesel = ids::pesel(self.birth, self.sex, self.serial);
            }
        }
        let names = if self.female() { t.girls } else { t.boys };
        let first = self.rng.below(names.len() as u64) as usize;
        pupil.first_name = Some(names[first].to_string());
        if self.rng.percent(90) {
            // Any name but the first one.
            let second =
                (first + 1 + self.rng.below(names.len() as u64 - 1) as usize) % names.len();
            pupil.second_name = Some(names[second].to_string());
        }
        let family = self.rng.pick(t.surnames);
        pupil.surname = Some(gendered(family, self.female()).to_string());
        pupil.sex = Some(self.sex);
        pupil.birth_date = Some(self.birth);

        self.town = self.rng.weighted(t.town_weights);
        let home = t.towns[self.town];
        self.birth_place(&mut pupil, home);

        pupil.addresses.push(self.address(AddressKind::Residence, home));
        if self.rng.percent(12) {
            let town = t.towns[self.rng.weighted(t.town_weights)];
            pupil.addresses.push(self.address(AddressKind::Registered, town));
        }
        if self.rng.percent(4) {
            let town = t.towns[self.rng.weighted(t.town_weights)];
            pupil.addresses.push(self.address(AddressKind::Correspondence, town));
        }
        pupil.guardians = self.guardians(family);
        pupil.enrolment = Some(self.enrolment(home));
        pupil
    }

    fn birth_place(&mut self, pupil: &mut Pupil, home: Town) {
        let t = self.t;
        if self.rng.percent(4) {
            let (town, country, citizen) = self.rng.pick(t.foreign_births);
            pupil.birth_place = Some(town.to_string());
            pupil.birth_country = Some(country.to_string());
            pupil.national_citizen = Some(citizen);
            pupil.eu_citizen = Some(citizen);
            return;
        }
        let town =
            if self.rng.percent(55) { home } else { t.towns[self.rng.weighted(t.town_weights)] };
        pupil.birth_place = Some(town.name.to_string());
        if !town.locative.is_empty() {
            pupil.birth_place_locative = Some(town.locative.to_string());
        }
        pupil.birth_region = Some(town.region.to_string());
        pupil.birth_country = Some(t.country.to_string());
        pupil.national_citizen = Some(true);
        pupil.eu_citizen = Some(true);
    }

    fn address(&mut self, kind: AddressKind, town: Town) -> Address {
        let rng = &mut self.rng;
        let street =
            (!town.village || rng.percent(40)).then(|| rng.pick(self.t.streets).to_string());
        let mut house = String::with_capacity(8);
        let number = rng.range(1, if town.village { 260 } else { 140 });
        if self.country == Country::Cz && rng.percent(50) {
            // Czech houses often carry both the registry number (číslo popisné) and the
            // street number (číslo orientační).
            let _ = write!(house, "{}/{number}", rng.range(100, 3_000));
        } else {
            let _ = write!(house, "{number}");
            if rng.percent(5) {
                house.push(if rng.percent(70) { 'A' } else { 'B' });
            }
        }
        let flat = (!town.village && rng.percent(76)).then(|| rng.range(1, 90).to_string());
        let code = town.postcode + town.postcode_step * rng.below(u64::from(town.postcodes)) as u32;
        let postcode = match self.country {
            Country::Cz => format!("{:03} {:02}", code / 100, code % 100),
            Country::Pl | Country::Mixed => format!("{:02}-{:03}", code / 1000, code % 1000),
        };
        Address {
            kind: Some(kind),
            town: Some(town.name.to_string()),
            street,
            house_number: Some(house),
            flat_number: flat,
            postcode: Some(postcode),
            post_town: Some(town.name.to_string()),
            commune: Some(town.commune.to_string()),
            county: Some(town.county.to_string()),
            region: Some(town.region.to_string()),
            country: Some(self.t.country.to_string()),
            teryt: (!town.teryt.is_empty()).then(|| town.teryt.to_string()),
        }
    }

    fn guardians(&mut self, family: (&'static str, &'static str)) -> Vec<Guardian> {
        let t = self.t;
        let roll = self.rng.below(100);
        let mut out = Vec::with_capacity(2);
        if roll < 2 {
            // A legal guardian instead of the parents, usually a relative with another surname.
            let woman = self.rng.percent(70);
            let surname = gendered(self.rng.pick(t.surnames), woman).to_string();
            out.push(self.guardian(t.relations[2], woman, surname, 1));
            return out;
        }
        let mother = roll >= 7; // 5% father only
        let father = roll < 82; // 18% mother only
        let mut n = 1;
        if mother {
            let married = family.1;
            let surname = match self.rng.below(100) {
                0..=87 => married.to_string(),
                88..=95 => self.rng.pick(t.surnames).1.to_string(),
                _ => format!("{married}-{}", self.rng.pick(t.surnames).1),
            };
            out.push(self.guardian(t.relations[0], true, surname, n));
            n += 1;
        }
        if father {
            let surname = if self.rng.percent(95) { family.0 } else { self.rng.pick(t.surnames).0 };
            let mut guardian = self.guardian(t.relations[1], false, surname.to_string(), n);
            if self.rng.percent(10) {
                let town = t.towns[self.rng.weighted(t.town_weights)];
                guardian.address = Some(self.address(AddressKind::Residence, town));
            }
            out.push(guardian);
        }
        out
    }

    fn guardian(&mut self, relation: &str, woman: bool, surname: String, n: u32) -> Guardian {
        let t = self.t;
        let first = self.rng.pick(if woman { t.women } else { t.men });
        let phone = self.rng.percent(97).then(|| self.phone());
        let email = self.rng.percent(88).then(|| self.email(first, &surname));
        let parental_rights = if relation == t.relations[2] {
            None
        } else {
            match self.rng.below(100) {
                0..=91 => Some(true),
                92..=94 => Some(false),
                _ => None,
            }
        };
        Guardian {
            id: Some(format!("G-{:06}-{n}", self.index)),
            relation: Some(relation.to_string()),
            surname: Some(surname),
            first_name: Some(first.to_string()),
            phone,
            email,
            parental_rights,
            address: None,
        }
    }

    fn phone(&mut self) -> String {
        let rng = &mut self.rng;
        let prefix = rng.pick(self.t.mobile_prefixes);
        let code = if self.country == Country::Cz { "+420" } else { "+48" };
        format!("{code} {prefix}{} {:03} {:03}", rng.below(10), rng.below(1000), rng.below(1000))
    }

    fn email(&mut self, first: &str, surname: &str) -> String {
        let mut out = String::with_capacity(first.len() + surname.len() + 16);
        match self.rng.below(4) {
            0 => {
                fold_ascii(first, &mut out);
                out.push('.');
                fold_ascii(surname, &mut out);
            }
            1 => {
                fold_ascii(first, &mut out);
                fold_ascii(surname, &mut out);
                let _ = write!(out, "{}", self.rng.range(1, 99));
            }
            2 => {
                fold_ascii(
                    first.get(..first.chars().next().map_or(0, char::len_utf8)).unwrap_or(""),
                    &mut out,
                );
                out.push('.');
                fold_ascii(surname, &mut out);
            }
            _ => {
                fold_ascii(surname, &mut out);
                out.push('_');
                fold_ascii(first, &mut out);
            }
        }
        out.push('@');
        out.push_str(self.rng.pick(self.t.mail_domains));
        out
    }

    fn enrolment(&mut self, home: Town) -> Enrolment {
        let t = self.t;
        let reference = self.reference();
        let sy = self.generator.school_year;
        // Most pupils go to school where they live; villagers and a few others commute.
        let school_town = if home.weight >= 20 && self.rng.percent(85) {
            self.town
        } else {
            self.rng.weighted(t.town_weights)
        };
        let count = school_count(t.towns[school_town], self.stage);
        let number = 1 + self.rng.below(count);
        let (school_name, school_id) = self.school(school_town, self.stage, number);

        let started = match (self.stage, self.country) {
            (Stage::Primary, Country::Pl | Country::Mixed) => sy - (self.level.max(1) as i32 - 1),
            _ => sy - (self.level as i32 - 1),
        };
        let standard = self.september(started).min(reference);
        self.admission = if self.rng.percent(12) {
            // Transferred in from another school at some point since.
            school_day(self.between(standard, reference), standard, reference)
        } else {
            standard
        };
        let leaving = (self.admission < reference && self.rng.percent(2))
            .then(|| self.between(add_days(self.admission, 1), reference));
        let next_school = leaving.map(|_| {
            let town = self.rng.weighted(t.town_weights);
            let n = 1 + self.rng.below(school_count(t.towns[town], self.stage));
            self.school(town, self.stage, n).0
        });
        let symbols = match t.towns[school_town].weight {
            150.. => 5,
            40..150 => 3,
            _ => 1,
        };
        let symbol = b'a' + self.rng.below(symbols) as u8;
        let symbol = if self.country == Country::Cz { symbol.to_ascii_uppercase() } else { symbol };
        let pl = self.country != Country::Cz;
        let district_school = (pl && self.stage == Stage::Primary && self.rng.percent(80))
            .then(|| school_name.clone());
        Enrolment {
            school_name: Some(school_name),
            school_id: Some(school_id),
            class_level: Some(self.level.to_string()),
            class_symbol: Some(char::from(symbol).to_string()),
            register_number: Some(self.rng.range(1, 28).to_string()),
            pupil_book_number: Some(format!(
                "{}/{}",
                self.rng.range(1, 600),
                self.admission.year()
            )),
            admission_date: Some(self.admission),
            leaving_date: leaving,
            id_card_number: pl
                .then(|| format!("{}/{}", self.rng.range(1, 900), self.admission.year())),
            district_school,
            next_school,
        }
    }

    /// The name and id of school `number` of `stage` in town `town`: the same arguments always
    /// give the same school, so pupils of one school share its name and id.
    fn school(&self, town: usize, stage: Stage, number: u64) -> (String, String) {
        let t = self.t;
        let place = t.towns[town];
        let patron =
            t.patrons[(town * 7 + number as usize * 13 + stage.code() as usize) % t.patrons.len()];
        let single = school_count(place, stage) == 1;
        let linear = (town as u64 * 4 + stage.code()) * 256 + number;
        match self.country {
            Country::Cz => {
                let name = match stage {
                    Stage::Primary if single => format!("Základní škola {}", place.name),
                    Stage::Primary if number.is_multiple_of(3) => format!(
                        "Základní škola {}, {patron} {number}, příspěvková organizace",
                        place.name
                    ),
                    Stage::Primary => format!("Základní škola {}, {patron} {number}", place.name),
                    Stage::General => format!("Gymnázium {}, {patron} {number}", place.name),
                    Stage::Vocational => {
                        format!("Střední odborná škola {}, {patron} {number}", place.name)
                    }
                };
                // IZO: 9 digits. 7919 is prime and shares no factor with the modulus, so
                // distinct schools get distinct ids.
                (name, format!("{:09}", 102_000_000 + (linear * 7919) % 897_000_000))
            }
            Country::Pl | Country::Mixed => {
                let name = match stage {
                    Stage::Primary if single => {
                        format!("Szkoła Podstawowa im. {patron} {}", in_town(place))
                    }
                    Stage::Primary => {
                        format!("Szkoła Podstawowa nr {number} im. {patron} {}", in_town(place))
                    }
                    Stage::General => format!(
                        "{} Liceum Ogólnokształcące im. {patron} {}",
                        roman(number),
                        in_town(place)
                    ),
                    Stage::Vocational => {
                        format!("Technikum nr {number} im. {patron} {}", in_town(place))
                    }
                };
                // RSPO: a plain positive number; the same coprime scrambling keeps it unique.
                (name, (10_000 + (linear * 7919) % 190_000).to_string())
            }
        }
    }

    /// A date in `lo..=hi` (`hi` when the range is empty).
    fn between(&mut self, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
        if hi <= lo {
            return hi;
        }
        let span = (hi - lo).num_days().unsigned_abs();
        add_days(lo, self.rng.below(span + 1))
    }

    /// A school day from `lo` to the reference date: a weekday outside the summer holidays,
    /// when the range has one.
    fn term_day(&mut self, lo: NaiveDate) -> NaiveDate {
        let hi = self.reference();
        let mut day = self.between(lo, hi);
        if matches!(day.month(), 7 | 8) {
            // Into June of the same year, when that is still in range.
            let june_day = 1 + self.rng.below(20) as u32;
            let june = self.date(day.year(), 6, june_day);
            if june >= lo {
                day = june;
            }
        }
        school_day(day, lo, hi)
    }

    // -----------------------------------------------------------------------------------------
    // Typical and Full
    // -----------------------------------------------------------------------------------------

    fn extra(&mut self, pupil: &mut Pupil) {
        // A separate stream, so the Minimal part above is the same at every detail level.
        self.rng = Rng::new(self.generator.config.seed, self.index, Stream::Extra);
        let full = self.generator.config.detail >= Detail::Full;
        let reference = self.reference();
        let sy = self.generator.school_year;
        // Entries of the current and the previous school year, while at this school.
        let window = self.september(sy - 1).max(self.admission).min(reference);

        pupil.grades = self.grades(false);

        let entries = self.rng.range(2, 6);
        pupil.attendance = (0..entries).map(|_| self.attendance(window)).collect();

        let remarks = match self.rng.below(100) {
            0..=34 => 0,
            35..=69 => 1,
            70..=89 => 2,
            _ => 3,
        };
        pupil.remarks = (0..remarks).map(|_| self.remark(window)).collect();

        pupil.consents = self.consents(pupil);

        if full {
            self.full(pupil, window);
        }
    }

    fn grades(&mut self, full: bool) -> Vec<Grade> {
        let t = self.t;
        let sy = self.generator.school_year;
        let pl = self.country != Country::Cz;
        // The last completed year: the level below, or the last year of primary school for
        // first-years of a secondary school.
        let (stage, level, year, kind_filter) = match (self.stage, self.level) {
            (Stage::Primary, 0 | 1) | (Stage::General | Stage::Vocational, 0) => {
                if !full {
                    return Vec::new();
                }
                // Full only: the current year's mid-year grades (see `Detail::Full`).
                (Stage::Primary, self.level.max(1), sy, Some(GradeKind::MidYear))
            }
            (Stage::General | Stage::Vocational, 1) => {
                (Stage::Primary, if pl { 8 } else { 9 }, sy - 1, None)
            }
            (stage, level) => (stage, level - 1, sy - 1, None),
        };
        let subjects =
            if stage == Stage::Primary { t.primary_subjects } else { t.secondary_subjects };
        let school_year = format!("{year}/{}", year + 1);
        let religion = !pl || self.rng.percent(80);
        // Pupils are consistently good or weak: each has a typical grade, and each subject's
        // grade is that or a step either side.
        let centre = self.rng.weighted(t.grade_weights) as i64 + 1;
        let top = t.grade_weights.len() as i64;
        let mut out = Vec::with_capacity(2 * subjects.len() + 2);
        let kinds: &[GradeKind] = match kind_filter {
            Some(GradeKind::MidYear) => &[GradeKind::MidYear],
            _ => &[GradeKind::MidYear, GradeKind::Final],
        };
        for &(subject, first, last) in subjects {
            if !(first..=last).contains(&level) || (subject == "religia" && !religion) {
                continue;
            }
            let base = centre + self.rng.weighted(&[20, 60, 20]) as i64 - 1;
            // The final grade sometimes moves a step from the mid-year one.
            let drift = self.rng.weighted(&[5, 90, 5]) as i64 - 1;
            for &kind in kinds {
                let shift = if kind == GradeKind::Final { drift } else { 0 };
                let digit = (base + shift).clamp(1, top);
                out.push(grade(&school_year, Some(subject), digit.to_string(), kind));
            }
        }
        let behaviour = self.rng.weighted(t.behaviour_weights);
        for &kind in kinds {
            let mut g = grade(&school_year, None, t.behaviour[behaviour].to_string(), kind);
            g.behaviour = Some(true);
            out.push(g);
        }
        out
    }

    fn attendance(&mut self, window: NaiveDate) -> Attendance {
        let day = self.term_day(window);
        let status = match self.rng.weighted(&[10, 20, 50, 20]) {
            0 => AttendanceStatus::Present,
            1 => AttendanceStatus::Absent,
            2 => AttendanceStatus::Excused,
            _ => AttendanceStatus::Late,
        };
        Attendance {
            date: Some(day),
            period: Some(self.rng.range(1, 8).to_string()),
            status: Some(status),
        }
    }

    fn remark(&mut self, window: NaiveDate) -> Remark {
        let t = self.t;
        let category = self.rng.weighted(&[40, 35, 25]);
        let teacher = self.teacher();
        Remark {
            date: Some(self.term_day(window)),
            author: Some(teacher),
            category: Some(t.remark_categories[category].to_string()),
            text: Some(self.rng.pick(t.remarks[category]).to_string()),
        }
    }

    fn teacher(&mut self) -> String {
        let t = self.t;
        let woman = self.rng.percent(80);
        let first = self.rng.pick(if woman { t.women } else { t.men });
        let surname = gendered(self.rng.pick(t.surnames), woman);
        format!("{} {first} {surname}", t.teacher_title)
    }

    fn consents(&mut self, pupil: &Pupil) -> Vec<Consent> {
        let t = self.t;
        let reference = self.reference();
        let count = self.rng.range(1, 3) as usize;
        let start = self.rng.below(t.consents.len() as u64) as usize;
        let adult = age_on(self.birth, reference) >= 16;
        let mut out = Vec::with_capacity(count);
        for i in 0..count.min(t.consents.len()) {
            let purpose = t.consents[(start + i) % t.consents.len()];
            let given = self.between(self.admission, add_days(self.admission, 14)).min(reference);
            let withdrawn = (given < reference && self.rng.percent(12))
                .then(|| self.between(add_days(given, 1), reference));
            let given_by = if adult && self.rng.percent(30) {
                full_name(pupil.first_name.as_deref(), pupil.surname.as_deref())
            } else {
                let who = self.rng.below(pupil.guardians.len() as u64) as usize;
                pupil
                    .guardians
                    .get(who)
                    .and_then(|g| full_name(g.first_name.as_deref(), g.surname.as_deref()))
            };
            out.push(Consent {
                purpose: Some(purpose.to_string()),
                given_at: Some(given),
                withdrawn_at: withdrawn,
                given_by,
            });
        }
        out
    }

    fn full(&mut self, pupil: &mut Pupil, window: NaiveDate) {
        let t = self.t;
        let reference = self.reference();
        let sy = self.generator.school_year;
        // Full fills what Typical may leave empty, drawing after everything Typical drew so
        // that the Typical part stays the same.
        if pupil.grades.is_empty() {
            pupil.grades = self.grades(true);
        }
        if pupil.remarks.is_empty() {
            pupil.remarks.push(self.remark(window));
        }
        pupil.exams = self.exams();

        let achievements = self.rng.range(1, 2);
        for _ in 0..achievements {
            let level = self.rng.weighted(&[50, 25, 15, 8, 2]);
            pupil.achievements.push(Achievement {
                title: Some(self.rng.pick(t.achievements).to_string()),
                level: Some(t.achievement_levels[level].to_string()),
                date: Some(self.between(self.september(sy - 1).min(reference), reference)),
            });
        }

        let counselling = self.counselling();
        pupil.counselling.push(counselling);

        let notes = self.rng.range(1, 2);
        for _ in 0..notes {
            let (category, note) = self.rng.pick(t.health);
            pupil.health.push(HealthNote {
                category: Some(category.to_string()),
                note: Some(note.to_string()),
                recorded_on: Some(self.between(self.admission.min(reference), reference)),
            });
        }

        self.contracts(pupil);

        let age = age_on(self.birth, reference);
        let levels: &[&str] = match age {
            0..=8 => &["Pre-A1", "A1"],
            9..=12 => &["A1", "A2"],
            13..=15 => &["A2", "B1"],
            _ => &["B1", "B2", "C1"],
        };
        pupil.assessments.push(Assessment {
            date: Some(self.between(window, reference)),
            subject: Some(self.rng.pick(t.languages).to_string()),
            level: Some(self.rng.pick(levels).to_string()),
        });
    }

    /// One counselling document from the centre in the pupil's town.
    fn counselling(&mut self) -> Counselling {
        let (t, reference) = (self.t, self.reference());
        let town = t.towns[self.town];
        let place = if town.locative.is_empty() { town.name.to_string() } else { in_town(town) };
        let earliest = add_years(self.birth, 3).min(reference);
        let issued = self.between(add_years(reference, -3).max(earliest), reference);
        let number = self.rng.range(1, 2_500);
        Counselling {
            kind: Some(self.counselling_kind().to_string()),
            number: Some(match self.country {
                Country::Cz => format!("PPP/{number}/{}", issued.year()),
                Country::Pl | Country::Mixed => format!("PPP.4211.{number}.{}", issued.year()),
            }),
            issuer: Some(t.counselling_centre.replace("{}", &place)),
            issued_on: Some(issued),
            // Rulings expire at the end of a stage; opinions do not. Kept no later than the
            // reference date like every other date, so fixtures never trip a future-date rule.
            valid_until: (issued < reference && self.rng.percent(50))
                .then(|| self.between(add_days(issued, 1), reference)),
            notes: Some(self.rng.pick(t.counselling_notes).to_string()),
        }
    }

    /// Contracts of the previous school year, so that both ends are in the past, each with
    /// its payments.
    fn contracts(&mut self, pupil: &mut Pupil) {
        let (t, reference, sy) = (self.t, self.reference(), self.generator.school_year);
        let contracts = self.rng.range(1, 2) as usize;
        let first = self.rng.below(t.contracts.len() as u64) as usize;
        for i in 0..contracts.min(t.contracts.len()) {
            let (kind, fee, title) = t.contracts[(first + i) % t.contracts.len()];
            let year_start = self.september(sy - 1).min(reference);
            let start = self.between(year_start, add_days(year_start, 60).min(reference));
            let end = self.date(sy, 6, 30).max(start);
            let end = if self.rng.percent(10) { self.between(start, end) } else { end };
            pupil.contracts.push(Contract {
                kind: Some(kind.to_string()),
                start: Some(start),
                end: Some(end),
            });
            let payments = self.rng.range(1, 3);
            for p in 0..payments {
                let date =
                    self.between(add_days(start, p * 30), add_days(start, p * 30 + 9)).min(end);
                let amount = if self.rng.percent(10) { fee / 2 } else { fee };
                let mut title_text = String::with_capacity(title.len() + 24);
                title_text.push_str(title);
                let month = t.months[date.month0() as usize];
                let _ = if self.rng.percent(15) {
                    write!(title_text, "; {month} {}", date.year())
                } else {
                    write!(title_text, " – {month} {}", date.year())
                };
                pupil.payments.push(Payment {
                    date: Some(date),
                    amount_minor: Some(amount),
                    currency: Some(t.currency.to_string()),
                    title: Some(title_text),
                });
            }
        }
    }

    /// A counselling document kind; the last kind of the table only for the youngest.
    fn counselling_kind(&mut self) -> &'static str {
        let kinds = self.t.counselling_kinds;
        let young = self.stage == Stage::Primary && self.level <= 1;
        let usable = if young { kinds.len() } else { kinds.len().saturating_sub(1).max(1) };
        self.rng.pick(&kinds[..usable.min(kinds.len())])
    }

    fn exams(&mut self) -> Vec<Exam> {
        let t = self.t;
        let sy = self.generator.school_year;
        let pl = self.country != Country::Cz;
        let past_primary = self.stage != Stage::Primary;
        let (name, subjects, date) = if past_primary {
            // Taken in the spring of the last year of primary school.
            let year = sy - (self.level.max(1) as i32 - 1);
            let (month, day) = if pl { (5, 13) } else { (4, 14) };
            (t.leaving_exam.0, t.leaving_exam.1, self.date(year, month, day))
        } else if (pl && self.level <= 1) || (!pl && self.level == 1) {
            (t.readiness_exam, &[][..], self.date(sy, 4, 10))
        } else {
            (t.diagnostic_exam.0, t.diagnostic_exam.1, self.date(sy, 5, 20))
        };
        let mut out = Vec::with_capacity(subjects.len().max(1));
        let subjects: &[&str] = if subjects.is_empty() { &[""] } else { subjects };
        for (i, subject) in subjects.iter().enumerate() {
            out.push(Exam {
                exam: Some(name.to_string()),
                subject: (!subject.is_empty()).then(|| subject.to_string()),
                score: Some(self.rng.range(150, 1000) as f64 / 10.0),
                percentile: Some(self.rng.range(1, 99) as f64),
                date: Some(add_days(date, i as u64).min(self.reference())),
            });
        }
        out
    }
}

/// The male or the female form of a surname.
fn gendered((male, female): (&'static str, &'static str), woman: bool) -> &'static str {
    if woman {
        female
    } else {
        male
    }
}

fn grade(school_year: &str, subject: Option<&str>, value: String, kind: GradeKind) -> Grade {
    Grade {
        school_year: Some(school_year.to_string()),
        term: (kind == GradeKind::MidYear).then(|| "1".to_string()),
        subject: subject.map(str::to_string),
        grade: Some(value),
        kind: Some(kind),
        behaviour: None,
    }
}

/// The stage and class level of a pupil born on `birth` in the school year starting in `sy`.
///
/// Poland: a child starts class 1 in the calendar year it turns 7, after a pre-school year
/// (level 0) in primary school; eight years of primary school, then four of liceum or five of
/// technikum. Czechia: a child starts on the 1st of September after turning 6; nine years of
/// základní škola, then four of gymnázium or secondary vocational school. The oldest pupils of
/// the 6–19 window are placed in the last secondary year, as if they had repeated a year.
fn placement(country: Country, birth: NaiveDate, sy: i32, rng: &mut Rng) -> (Stage, u32) {
    let secondary = if rng.percent(55) { Stage::General } else { Stage::Vocational };
    match country {
        Country::Cz => {
            let after_august = (birth.month(), birth.day()) > (8, 31);
            let age = sy - birth.year() - i32::from(after_august);
            let level = (age - 5).clamp(1, 14) as u32;
            if level <= 9 {
                (Stage::Primary, level)
            } else {
                (secondary, (level - 9).min(4))
            }
        }
        Country::Pl | Country::Mixed => {
            let years = (sy - birth.year() - 6).clamp(0, 14) as u32;
            match years {
                0..=8 => (Stage::Primary, years),
                13.. => (Stage::Vocational, 5),
                _ => (secondary, years - 8),
            }
        }
    }
}

/// "in the town" in Polish: `w Krakowie`, but `we Wrocławiu` — the preposition takes an `e`
/// before a `w` or `f` followed by a consonant.
fn in_town(town: Town) -> String {
    let mut letters = town.locative.chars().map(|c| c.to_lowercase().next().unwrap_or(c));
    let cluster = matches!(letters.next(), Some('w' | 'f'))
        && letters.next().is_some_and(|c| !"aąeęioóuy".contains(c));
    format!("{} {}", if cluster { "we" } else { "w" }, town.locative)
}

/// How many schools of `stage` a town has: the bigger the town, the more.
fn school_count(town: Town, stage: Stage) -> u64 {
    let n = match stage {
        Stage::Primary => 1 + town.weight / 8,
        Stage::General => 1 + town.weight / 40,
        Stage::Vocational => 1 + town.weight / 60,
    };
    // Liceum numbers are written in Roman numerals; keep them within the table below.
    u64::from(if stage == Stage::General { n.min(20) } else { n })
}

fn roman(n: u64) -> &'static str {
    const ROMAN: [&str; 21] = [
        "", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
        "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX",
    ];
    ROMAN.get(n as usize).copied().unwrap_or("XX")
}

fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    let months = Months::new(years.unsigned_abs() * 12);
    if years >= 0 { date.checked_add_months(months) } else { date.checked_sub_months(months) }
        .unwrap_or(date)
}

/// `date` if it is a weekday, else the nearest weekday in `lo..=hi` (the Friday before, or
/// failing that the Monday after), else `date` itself.
fn school_day(date: NaiveDate, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let (back, forward) = match date.weekday() {
        Weekday::Sat => (1, 2),
        Weekday::Sun => (2, 1),
        _ => return date,
    };
    let before = date.checked_sub_days(Days::new(back)).filter(|d| *d >= lo);
    let after = date.checked_add_days(Days::new(forward)).filter(|d| *d <= hi);
    before.or(after).unwrap_or(date)
}

/// Completed years of age on `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
    on.year() - birth.year() - i32::from(before_birthday)
}

fn full_name(first: Option<&str>, surname: Option<&str>) -> Option<String> {
    Some(format!("{} {}", first?, surname?))
}

/// Appends `s` in lower-case ASCII, with Polish and Czech letters folded to their base letters
/// and anything that cannot appear in the local part of an address dropped (a hyphen is kept).
fn fold_ascii(s: &str, out: &mut String) {
    for c in s.chars() {
        let folded = match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            'ą' | 'Ą' | 'á' | 'Á' => 'a',
            'ć' | 'Ć' | 'č' | 'Č' => 'c',
            'ď' | 'Ď' => 'd',
            'ę' | 'Ę' | 'é' | 'É' | 'ě' | 'Ě' => 'e',
            'í' | 'Í' => 'i',
            'ł' | 'Ł' => 'l',
            'ń' | 'Ń' | 'ň' | 'Ň' => 'n',
            'ó' | 'Ó' => 'o',
            'ř' | 'Ř' => 'r',
            'ś' | 'Ś' | 'š' | 'Š' => 's',
            'ť' | 'Ť' => 't',
            'ú' | 'Ú' | 'ů' | 'Ů' => 'u',
            'ý' | 'Ý' => 'y',
            'ź' | 'Ź' | 'ż' | 'Ż' | 'ž' | 'Ž' => 'z',
            _ => continue,
        };
        out.push(folded);
    }
}

#[cfg(test)]
mod tests;
