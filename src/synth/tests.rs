use super::*;
use std::collections::HashSet;

fn generator(seed: u64, country: Country, detail: Detail) -> Generator {
    Generator::new(GeneratorConfig { seed, country, detail, ..GeneratorConfig::default() })
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// What a PESEL says, or why it is invalid. Deliberately independent of `ids`: the validator
/// is written elsewhere, and this checks the generator against the published rules.
fn check_pesel(pesel: &str) -> Result<(NaiveDate, Sex), &'static str> {
    let d: Vec<u32> =
        pesel.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or("digit")?;
    if d.len() != 11 {
        return Err("length");
    }
    let sum: u32 = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3].iter().zip(&d).map(|(w, x)| w * x).sum();
    if (10 - sum % 10) % 10 != d[10] {
        return Err("checksum");
    }
    let (mut year, mut month) = (d[0] * 10 + d[1], d[2] * 10 + d[3]);
    let century = match month / 20 {
        0 => 1900,
        1 => 2000,
        2 => 2100,
        3 => 2200,
        _ => 1800,
    };
    month %= 20;
    year += century;
    let date = NaiveDate::from_ymd_opt(year as i32, month, d[4] * 10 + d[5]).ok_or("date")?;
    Ok((date, if d[9].is_multiple_of(2) { Sex::Female } else { Sex::Male }))
}

/// What a 10-digit rodné číslo written with a slash says, or why it is invalid.
fn check_birth_number(rc: &str) -> Result<(NaiveDate, Sex), &'static str> {
    let (head, tail) = rc.split_once('/').ok_or("slash")?;
    if head.len() != 6 || tail.len() != 4 {
        return Err("shape");
    }
    let n: u64 = format!("{head}{tail}").parse().map_err(|_| "digit")?;
    let first9 = n / 10;
    if first9 % 11 % 10 != n % 10 {
        return Err("checksum");
    }
    let yy = (n / 100_000_000) as i32;
    let mut month = (n / 1_000_000 % 100) as u32;
    let day = (n / 10_000 % 100) as u32;
    let sex = if month > 50 { Sex::Female } else { Sex::Male };
    month = month % 50 % 20;
    let year = if yy >= 54 { 1900 + yy } else { 2000 + yy };
    Ok((NaiveDate::from_ymd_opt(year, month, day).ok_or("date")?, sex))
}

#[test]
fn the_same_seed_and_index_give_the_same_pupil() {
    for country in [Country::Pl, Country::Cz, Country::Mixed] {
        let a = generator(11, country, Detail::Full);
        let b = generator(11, country, Detail::Full);
        for i in [0, 1, 999, 123_456_789] {
            assert_eq!(a.pupil(i), b.pupil(i), "{country:?} {i}");
        }
        assert_ne!(a.pupil(5), generator(12, country, Detail::Full).pupil(5));
    }
    let g = generator(11, Country::Pl, Detail::Typical);
    assert_ne!(g.pupil(0).pesel, g.pupil(1).pesel);
    assert_eq!(g.pupil(0).id, "P-000000");
    assert_eq!(g.pupil(1_234_567).id, "P-1234567");
}

#[test]
fn a_pupil_does_not_depend_on_the_range_it_is_generated_in() {
    let g = generator(3, Country::Mixed, Detail::Typical);
    let all: Vec<Pupil> = g.iter(0..50).collect();
    assert_eq!(g.iter(20..30).collect::<Vec<_>>(), all[20..30]);
    let parallel: Vec<Pupil> = g.par_iter(0..50).collect();
    assert_eq!(parallel, all);
}

#[test]
fn higher_detail_levels_only_add() {
    for country in [Country::Pl, Country::Cz] {
        let minimal = generator(5, country, Detail::Minimal);
        let typical = generator(5, country, Detail::Typical);
        let full = generator(5, country, Detail::Full);
        for i in 0..200 {
            let m = minimal.pupil(i);
            assert!(m.grades.is_empty() && m.consents.is_empty() && m.attendance.is_empty());
            let t = typical.pupil(i);
            let f = full.pupil(i);
            let strip = |p: &Pupil| Pupil {
                grades: Vec::new(),
                attendance: Vec::new(),
                remarks: Vec::new(),
                consents: Vec::new(),
                ..p.clone()
            };
            assert_eq!(strip(&t), m, "{country:?} {i}");
            assert_eq!(
                strip(&Pupil {
                    exams: vec![],
                    achievements: vec![],
                    counselling: vec![],
                    health: vec![],
                    contracts: vec![],
                    payments: vec![],
                    assessments: vec![],
                    ..f.clone()
                }),
                m
            );
            assert!(t.exams.is_empty() && t.counselling.is_empty() && t.payments.is_empty());
            assert_eq!(t.attendance, f.attendance);
            assert_eq!(t.consents, f.consents);
            if !t.grades.is_empty() {
                assert_eq!(t.grades, f.grades);
            }
            if !t.remarks.is_empty() {
                assert_eq!(t.remarks, f.remarks);
            }
        }
    }
}

#[test]
fn polish_pupils_have_valid_pesels_matching_birth_date_and_sex() {
    let g = generator(1, Country::Pl, Detail::Minimal);
    let reference = g.config().reference_date;
    let mut leading_zero = 0;
    for pupil in g.iter(0..10_000) {
        let pesel = pupil.pesel.as_deref().unwrap();
        let (date, sex) = check_pesel(pesel).unwrap_or_else(|e| panic!("{pesel}: {e}"));
        assert_eq!(Some(date), pupil.birth_date, "{pesel}");
        assert_eq!(Some(sex), pupil.sex, "{pesel}");
        assert_eq!(pupil.birth_number, None);
        let age = age_on(date, reference);
        assert!((6..=19).contains(&age), "{pesel}: age {age}");
        leading_zero += usize::from(pesel.starts_with('0'));
    }
    // Born 2006–2009 out of 2005–2019: between a fifth and a third start with a zero.
    assert!((2_000..3_500).contains(&leading_zero), "{leading_zero}");
}

#[test]
fn czech_pupils_have_valid_birth_numbers_matching_birth_date_and_sex() {
    let g = generator(1, Country::Cz, Detail::Minimal);
    for pupil in g.iter(0..10_000) {
        let rc = pupil.birth_number.as_deref().unwrap();
        let (date, sex) = check_birth_number(rc).unwrap_or_else(|e| panic!("{rc}: {e}"));
        assert_eq!(Some(date), pupil.birth_date, "{rc}");
        assert_eq!(Some(sex), pupil.sex, "{rc}");
        assert_eq!(pupil.pesel, None);
        let surname = pupil.surname.as_deref().unwrap();
        if sex == Sex::Female {
            assert!(surname.ends_with("ová") || surname.ends_with('á'), "{surname}");
        } else {
            assert!(!surname.ends_with("ová"), "{surname}");
        }
    }
}

#[test]
fn national_ids_are_unique_over_200_000_indexes() {
    // Through `slot`, the same path `pupil` takes, but without building whole pupils so the
    // test stays fast in debug builds; the sample below ties the two together.
    for (country, seed) in [(Country::Pl, 0), (Country::Cz, 9)] {
        let g = generator(seed, country, Detail::Minimal);
        let mut seen = HashSet::with_capacity(200_000);
        for i in 0..200_000 {
            let (birth, sex, serial) = g.slot(country, i);
            let id = match country {
                Country::Cz => ids::birth_number(birth, sex, serial),
                _ => ids::pesel(birth, sex, serial),
            }
            .unwrap();
            assert!(seen.insert(id), "{country:?}: index {i} repeats an id");
        }
        for i in (0..200_000).step_by(10_007) {
            let p = g.pupil(i);
            let (birth, sex, serial) = g.slot(country, i);
            let id = p.pesel.or(p.birth_number);
            let expected = match country {
                Country::Cz => ids::birth_number(birth, sex, serial),
                _ => ids::pesel(birth, sex, serial),
            };
            assert_eq!(id, expected);
        }
    }
}

#[test]
fn mixed_data_sets_hold_both_countries() {
    let g = generator(2, Country::Mixed, Detail::Minimal);
    let polish = g.iter(0..2_000).filter(|p| p.pesel.is_some()).count();
    assert!((850..1_150).contains(&polish), "{polish}");
    for p in g.iter(0..2_000) {
        let address = &p.addresses[0];
        let code = address.postcode.as_deref().unwrap();
        if p.pesel.is_some() {
            assert_eq!(address.country.as_deref(), Some("Polska"));
            assert!(is_shape(code, "NN-NNN"), "{code}");
        } else {
            assert_eq!(address.country.as_deref(), Some("Česká republika"));
            assert!(is_shape(code, "NNN NN"), "{code}");
        }
    }
}

fn is_shape(value: &str, shape: &str) -> bool {
    value.len() == shape.len()
        && value.bytes().zip(shape.bytes()).all(|(v, s)| match s {
            b'N' => v.is_ascii_digit(),
            _ => v == s,
        })
}

#[test]
fn addresses_guardians_and_school_look_real() {
    for country in [Country::Pl, Country::Cz] {
        let pl = country == Country::Pl;
        let g = generator(4, country, Detail::Minimal);
        let mut second_names = 0;
        let mut no_flat = 0;
        let mut pupils_with_two = 0;
        for p in g.iter(0..5_000) {
            second_names += usize::from(p.second_name.is_some());
            assert_ne!(p.second_name, p.first_name);
            let home = &p.addresses[0];
            assert_eq!(home.kind, Some(AddressKind::Residence));
            no_flat += usize::from(home.flat_number.is_none());
            assert!(home.town.is_some() && home.commune.is_some() && home.county.is_some());
            assert!(home.region.is_some() && home.house_number.is_some());
            if pl {
                let teryt = home.teryt.as_deref().unwrap();
                assert!(is_shape(teryt, "NNNNNNN"), "{teryt}");
            } else {
                assert_eq!(home.teryt, None);
            }

            assert!((1..=2).contains(&p.guardians.len()));
            pupils_with_two += usize::from(p.guardians.len() == 2);
            for guardian in &p.guardians {
                if let Some(phone) = &guardian.phone {
                    let shape = if pl { "+48 NNN NNN NNN" } else { "+420 NNN NNN NNN" };
                    assert!(is_shape(phone, shape), "{phone}");
                }
                if let Some(email) = &guardian.email {
                    let (local, domain) = email.split_once('@').unwrap();
                    assert!(!local.is_empty() && domain.contains('.'), "{email}");
                    assert!(email.is_ascii() && !email.contains(' '), "{email}");
                }
            }

            let e = p.enrolment.as_ref().unwrap();
            let school_id = e.school_id.as_deref().unwrap();
            assert!(school_id.bytes().all(|b| b.is_ascii_digit()), "{school_id}");
            if !pl {
                assert_eq!(school_id.len(), 9, "IZO {school_id}");
            }
            let symbol = e.class_symbol.as_deref().unwrap();
            let symbols = if pl { "abcde" } else { "ABCDE" };
            assert!(symbol.len() == 1 && symbols.contains(symbol), "{symbol}");
            let register: u32 = e.register_number.as_deref().unwrap().parse().unwrap();
            assert!((1..=28).contains(&register));
        }
        assert!((4_250..4_750).contains(&second_names), "{country:?}: {second_names}");
        assert!((1_000..2_000).contains(&no_flat), "{country:?}: {no_flat}");
        assert!((3_500..4_000).contains(&pupils_with_two), "{country:?}: {pupils_with_two}");
    }
}

#[test]
fn polish_names_take_the_female_surname_form() {
    let g = generator(8, Country::Pl, Detail::Minimal);
    let forms: HashSet<(&str, &str)> = PL.surnames.iter().copied().collect();
    for p in g.iter(0..2_000) {
        let surname = p.surname.as_deref().unwrap();
        let female = p.sex == Some(Sex::Female);
        assert!(
            forms.iter().any(|&(m, f)| if female { f == surname } else { m == surname }),
            "{surname}"
        );
        let names = if female { PL.girls } else { PL.boys };
        assert!(names.contains(&p.first_name.as_deref().unwrap()));
    }
    // The fixed examples of the brief.
    assert!(forms.contains(&("Kowalski", "Kowalska")) && forms.contains(&("Nowak", "Nowak")));
}

#[test]
fn class_level_follows_age() {
    let g = generator(6, Country::Pl, Detail::Minimal);
    let mut levels = HashSet::new();
    for p in g.iter(0..3_000) {
        let birth = p.birth_date.unwrap();
        let e = p.enrolment.unwrap();
        let level: i32 = e.class_level.unwrap().parse().unwrap();
        let school = e.school_name.unwrap();
        let years = (2025 - birth.year() - 6).min(13);
        if years <= 8 {
            assert!(school.starts_with("Szkoła Podstawowa"), "{school}");
            assert_eq!(level, years);
        } else {
            assert!(school.contains("Liceum") || school.starts_with("Technikum"), "{school}");
            assert_eq!(level, (years - 8).min(5));
        }
        levels.insert(level);
    }
    assert_eq!(levels.len(), 9, "{levels:?}"); // 0..=8

    let g = generator(6, Country::Cz, Detail::Minimal);
    for p in g.iter(0..3_000) {
        let age_at_start = age_on(p.birth_date.unwrap(), ymd(2025, 8, 31));
        let level: i32 = p.enrolment.unwrap().class_level.unwrap().parse().unwrap();
        let expected = (age_at_start - 5).clamp(1, 14);
        assert_eq!(level, if expected <= 9 { expected } else { (expected - 9).min(4) });
    }
}

/// Every date of a pupil, each with the rule that must hold for it.
fn check_dates(p: &Pupil, reference: NaiveDate) {
    let birth = p.birth_date.unwrap();
    let in_range = |d: Option<NaiveDate>, what: &str| {
        if let Some(d) = d {
            assert!(
                birth <= d && d <= reference,
                "{}: {what} {d} outside {birth}..{reference}",
                p.id
            );
        }
    };
    let e = p.enrolment.as_ref().unwrap();
    in_range(e.admission_date, "admission");
    in_range(e.leaving_date, "leaving");
    assert!(birth < e.admission_date.unwrap());
    if let Some(leaving) = e.leaving_date {
        assert!(leaving > e.admission_date.unwrap(), "{}", p.id);
    }
    for c in &p.consents {
        in_range(c.given_at, "consent");
        in_range(c.withdrawn_at, "withdrawal");
        if let Some(w) = c.withdrawn_at {
            assert!(w > c.given_at.unwrap(), "{}", p.id);
        }
    }
    for c in &p.contracts {
        in_range(c.start, "contract start");
        in_range(c.end, "contract end");
        assert!(c.end.unwrap() >= c.start.unwrap(), "{}", p.id);
    }
    for c in &p.counselling {
        in_range(c.issued_on, "issue");
        in_range(c.valid_until, "validity");
        if let Some(v) = c.valid_until {
            assert!(v > c.issued_on.unwrap(), "{}", p.id);
        }
    }
    for a in &p.attendance {
        in_range(a.date, "attendance");
        // Weekends only when the pupil's school days so far are a weekend (admitted today).
        let date = a.date.unwrap();
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        assert!(!weekend || date + Days::new(2) >= reference, "{}: {date}", p.id);
    }
    p.remarks.iter().for_each(|r| in_range(r.date, "remark"));
    p.exams.iter().for_each(|x| in_range(x.date, "exam"));
    p.achievements.iter().for_each(|x| in_range(x.date, "achievement"));
    p.health.iter().for_each(|x| in_range(x.recorded_on, "health"));
    p.assessments.iter().for_each(|x| in_range(x.date, "assessment"));
    for pay in &p.payments {
        in_range(pay.date, "payment");
        let within = p.contracts.iter().any(|c| c.start <= pay.date && pay.date <= c.end);
        assert!(within, "{}: payment outside every contract", p.id);
    }
}

#[test]
fn dates_are_real_ordered_and_never_after_the_reference_date() {
    for (country, reference) in [
        (Country::Pl, ymd(2025, 9, 1)),
        (Country::Cz, ymd(2026, 2, 28)),
        (Country::Mixed, ymd(2024, 6, 30)),
    ] {
        let g = Generator::new(GeneratorConfig {
            seed: 21,
            country,
            reference_date: reference,
            detail: Detail::Full,
        });
        for p in g.iter(0..2_000) {
            check_dates(&p, reference);
        }
    }
}

#[test]
fn full_detail_fills_every_entity_of_every_pupil() {
    for country in [Country::Pl, Country::Cz] {
        let g = generator(13, country, Detail::Full);
        for p in g.iter(0..500) {
            let value = serde_json::to_value(&p).unwrap();
            for entity in crate::Entity::ALL {
                if let Some(collection) = entity.collection() {
                    let len = value.get(collection).and_then(|v| v.as_array()).map_or(0, Vec::len);
                    assert!(len > 0, "{country:?} {}: no {collection}", p.id);
                }
            }
            assert!(p.grades.iter().any(|g| g.behaviour == Some(true) && g.subject.is_none()));
        }
    }
}

#[test]
fn grades_use_the_country_scale_and_subjects() {
    for (country, top, subject) in
        [(Country::Pl, 6, "język polski"), (Country::Cz, 5, "český jazyk a literatura")]
    {
        let g = generator(14, country, Detail::Typical);
        let mut subjects = HashSet::new();
        let mut with_grades = 0;
        for p in g.iter(0..1_000) {
            with_grades += usize::from(!p.grades.is_empty());
            let mid = p.grades.iter().filter(|g| g.kind == Some(GradeKind::MidYear)).count();
            let fin = p.grades.iter().filter(|g| g.kind == Some(GradeKind::Final)).count();
            assert_eq!(mid, fin, "{}", p.id);
            for g in &p.grades {
                assert_eq!(g.school_year.as_deref(), Some("2024/2025"));
                if g.behaviour == Some(true) {
                    assert_eq!(g.subject, None);
                    continue;
                }
                let value: u32 = g.grade.as_deref().unwrap().parse().unwrap();
                assert!((1..=top).contains(&value), "{value}");
                subjects.insert(g.subject.clone().unwrap());
            }
        }
        assert!(subjects.contains(subject), "{subjects:?}");
        assert!(with_grades > 700, "{with_grades}");
    }
}

#[test]
fn text_values_exercise_quoting() {
    let g = generator(15, Country::Pl, Detail::Full);
    let (mut newline, mut quote, mut semicolon) = (false, false, false);
    for p in g.iter(0..500) {
        let text = serde_json::to_string(&p).unwrap();
        newline |= text.contains("\\n");
        quote |= text.contains("\\\"");
        semicolon |= p.remarks.iter().any(|r| r.text.as_deref().unwrap_or("").contains(';'));
    }
    assert!(newline && quote && semicolon);
}

#[test]
fn ascii_folding_keeps_addresses_readable() {
    let mut out = String::new();
    fold_ascii("Źródłowska-Żak Łucja Čeněk Řehoř", &mut out);
    assert_eq!(out, "zrodlowska-zaklucjacenekrehor");
}

#[test]
fn choices_parse_from_flags() {
    assert_eq!("PL".parse::<Country>(), Ok(Country::Pl));
    assert_eq!("mixed".parse::<Country>(), Ok(Country::Mixed));
    assert_eq!("Full".parse::<Detail>(), Ok(Detail::Full));
    let err = "sk".parse::<Country>().unwrap_err();
    assert_eq!(err.to_string(), "expected one of `pl`, `cz`, `mixed`");
}

#[test]
fn damaged_pupils_break_exactly_one_rule() {
    let g = generator(16, Country::Pl, Detail::Typical);
    let mut stripped = 0;
    for i in 0..200 {
        let pupil = g.pupil(i);
        let pesel = pupil.pesel.clone().unwrap();

        let mut p = pupil.clone();
        let applied = damage(&mut p, Damage::ExcelStrippedPeselZero);
        assert_eq!(applied, pesel.starts_with('0'));
        if applied {
            stripped += 1;
            assert_eq!(format!("0{}", p.pesel.unwrap()), pesel);
        }

        let mut p = pupil.clone();
        assert!(damage(&mut p, Damage::BadPeselChecksum));
        assert_eq!(check_pesel(p.pesel.as_deref().unwrap()), Err("checksum"));

        let mut p = pupil.clone();
        assert!(damage(&mut p, Damage::PeselSexMismatch));
        let (date, sex) = check_pesel(p.pesel.as_deref().unwrap()).unwrap();
        assert_eq!(Some(date), p.birth_date);
        assert_ne!(Some(sex), p.sex);

        let mut p = pupil.clone();
        assert!(damage(&mut p, Damage::BadPostcode));
        assert!(!is_shape(p.addresses[0].postcode.as_deref().unwrap(), "NN-NNN"));

        let mut p = pupil.clone();
        assert!(damage(&mut p, Damage::ConsentBeforeGiven));
        assert!(p.consents[0].withdrawn_at < p.consents[0].given_at);
    }
    assert!(stripped > 20, "{stripped}");
}
