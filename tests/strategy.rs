//! proptest strategies for whole pupils: every entity, Polish and Czech diacritics, quotes,
//! delimiters, markup characters and multi-line text, empty optional fields.

use chrono::NaiveDate;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use teczka::{
    Achievement, Address, AddressKind, Assessment, Attendance, AttendanceStatus, Consent, Contract,
    Counselling, CzRegister, Enrolment, Exam, Grade, GradeKind, Guardian, HealthNote, Payment,
    Pupil, Remark, Sex,
};

/// Text as schools write it, with the characters that break naive writers.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůžýáíéČĎĚŇŘŠŤŮŽÝÁÍÉ ]{1,12}",
        "[a-zżółć;,\"'<>&=+@\\-\t ]{1,10}",
        "(Zażółć|gęślą|jaźń|Příliš|žluťoučký|kůň|\"cytat\"|a;b|x,y|<b>&amp;</b>)( |\n|\r\n|; )(Łódź|Brno|ok)",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2030, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn opt_date() -> impl Strategy<Value = Option<NaiveDate>> {
    option::of(date())
}

fn address() -> BoxedStrategy<Address> {
    (
        option::of(prop_oneof![
            Just(AddressKind::Residence),
            Just(AddressKind::Registered),
            Just(AddressKind::Correspondence)
        ]),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        (opt_text(), opt_text(), opt_text()),
    )
        .prop_map(
            |(
                kind,
                (town, street, house_number, flat_number),
                (postcode, post_town, commune, county),
                (region, country, teryt),
            )| Address {
                kind,
                town,
                street,
                house_number,
                flat_number,
                postcode,
                post_town,
                commune,
                county,
                region,
                country,
                teryt,
            },
        )
        .boxed()
}

fn guardian() -> BoxedStrategy<Guardian> {
    (
        (opt_text(), opt_text(), opt_text(), opt_text()),
        (opt_text(), opt_text(), option::of(any::<bool>())),
        option::of(address()),
    )
        .prop_map(
            |((id, relation, surname, first_name), (phone, email, parental_rights), address)| {
                Guardian {
                    id,
                    relation,
                    surname,
                    first_name,
                    phone,
                    email,
                    parental_rights,
                    address,
                }
            },
        )
        .boxed()
}

fn enrolment() -> BoxedStrategy<Enrolment> {
    (
        (opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text()),
        (opt_date(), opt_date(), opt_text(), opt_text(), opt_text()),
    )
        .prop_map(
            |(
                (
                    school_name,
                    school_id,
                    class_level,
                    class_symbol,
                    register_number,
                    pupil_book_number,
                ),
                (admission_date, leaving_date, id_card_number, district_school, next_school),
            )| {
                Enrolment {
                    school_name,
                    school_id,
                    class_level,
                    class_symbol,
                    register_number,
                    pupil_book_number,
                    admission_date,
                    leaving_date,
                    id_card_number,
                    district_school,
                    next_school,
                }
            },
        )
        .boxed()
}

fn grade() -> impl Strategy<Value = Grade> {
    (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        option::of(prop_oneof![Just(GradeKind::MidYear), Just(GradeKind::Final)]),
        option::of(any::<bool>()),
    )
        .prop_map(|(school_year, term, subject, grade, kind, behaviour)| Grade {
            school_year,
            term,
            subject,
            grade,
            kind,
            behaviour,
        })
}

fn attendance() -> impl Strategy<Value = Attendance> {
    let status = prop_oneof![
        Just(AttendanceStatus::Present),
        Just(AttendanceStatus::Absent),
        Just(AttendanceStatus::Excused),
        Just(AttendanceStatus::Late)
    ];
    (opt_date(), opt_text(), option::of(status)).prop_map(|(date, period, status)| Attendance {
        date,
        period,
        status,
    })
}

fn score() -> impl Strategy<Value = Option<f64>> {
    option::of((0u32..=10000).prop_map(|n| f64::from(n) / 100.0))
}

type Lists = (Vec<Remark>, Vec<Exam>, Vec<Achievement>, Vec<Counselling>, Vec<HealthNote>);
type MoreLists = (Vec<Consent>, Vec<Contract>, Vec<Payment>, Vec<Assessment>);

fn lists() -> BoxedStrategy<Lists> {
    (
        vec(
            (opt_date(), opt_text(), opt_text(), opt_text())
                .prop_map(|(date, author, category, text)| Remark { date, author, category, text }),
            0..2,
        ),
        vec(
            (opt_text(), opt_text(), score(), score(), opt_date()).prop_map(
                |(exam, subject, score, percentile, date)| Exam {
                    exam,
                    subject,
                    score,
                    percentile,
                    date,
                },
            ),
            0..2,
        ),
        vec(
            (opt_text(), opt_text(), opt_date()).prop_map(|(title, level, date)| Achievement {
                title,
                level,
                date,
            }),
            0..2,
        ),
        vec(
            (opt_text(), opt_text(), opt_text(), opt_date(), opt_date(), opt_text()).prop_map(
                |(kind, number, issuer, issued_on, valid_until, notes)| Counselling {
                    kind,
                    number,
                    issuer,
                    issued_on,
                    valid_until,
                    notes,
                },
            ),
            0..2,
        ),
        vec(
            (opt_text(), opt_text(), opt_date()).prop_map(|(category, note, recorded_on)| {
                HealthNote { category, note, recorded_on }
            }),
            0..2,
        ),
    )
        .boxed()
}

fn more_lists() -> BoxedStrategy<MoreLists> {
    (
        vec(
            (opt_text(), opt_date(), opt_date(), opt_text()).prop_map(
                |(purpose, given_at, withdrawn_at, given_by)| Consent {
                    purpose,
                    given_at,
                    withdrawn_at,
                    given_by,
                },
            ),
            0..2,
        ),
        vec(
            (opt_text(), opt_date(), opt_date()).prop_map(|(kind, start, end)| Contract {
                kind,
                start,
                end,
            }),
            0..2,
        ),
        vec(
            (opt_date(), option::of(-100_000i64..10_000_000), option::of("[A-Z]{3}"), opt_text())
                .prop_map(|(date, amount_minor, currency, title)| Payment {
                    date,
                    amount_minor,
                    currency,
                    title,
                }),
            0..2,
        ),
        vec(
            (opt_date(), opt_text(), opt_text()).prop_map(|(date, subject, level)| Assessment {
                date,
                subject,
                level,
            }),
            0..2,
        ),
    )
        .boxed()
}

fn identity() -> BoxedStrategy<Pupil> {
    (
        "[A-Za-z0-9-]{1,10}",
        (opt_text(), option::of("[0-9]{11}"), option::of("[0-9]{6}/[0-9]{4}"), opt_text()),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        option::of(prop_oneof![Just(Sex::Female), Just(Sex::Male)]),
        (opt_date(), opt_text(), opt_text(), opt_text(), opt_text()),
        (option::of(any::<bool>()), option::of(any::<bool>())),
    )
        .prop_map(|(id, ids, names, sex, birth, citizen)| {
            let (education_id, pesel, birth_number, foreign_document) = ids;
            let (surname, birth_surname, first_name, second_name) = names;
            let (birth_date, birth_place, birth_place_locative, birth_region, birth_country) =
                birth;
            let (national_citizen, eu_citizen) = citizen;
            Pupil {
                id,
                education_id,
                pesel,
                birth_number,
                foreign_document,
                surname,
                birth_surname,
                first_name,
                second_name,
                sex,
                birth_date,
                birth_place,
                birth_place_locative,
                birth_region,
                birth_country,
                national_citizen,
                eu_citizen,
                ..Pupil::default()
            }
        })
        .boxed()
}

/// A Czech register code: one valid for its item (`valid`) or any text.
fn code(valid: &'static str) -> impl Strategy<Value = Option<String>> {
    option::of(prop_oneof![3 => valid, 1 => text()])
}

/// The codes of the Czech školní matrika, mostly valid ones.
pub fn cz_register() -> BoxedStrategy<CzRegister> {
    (
        (opt_date(), code("0[1-9]"), code("[0-9]{3}"), code("[1-7]"), code("[0-9]{3}")),
        (code("[0-9]{9}"), code("[0-9A-Z]{1,2}"), code("[0-9A-Z]{1,2}")),
        (
            code("[0-9]{2}-[0-9]{2}-[A-Z]/[0-9]{2}"),
            code("[0-9]{2}"),
            option::of(
                "([A-Z][A-Z0-9_]{0,6}=[0-9A-Za-z]{0,4}\n){0,2}[A-Z][A-Z0-9_]{0,6}=[0-9A-Za-z]{1,4}",
            ),
        ),
    )
        .prop_map(|(a, b, c)| {
            let (collection_date, school_part, citizenship, citizenship_kind, previous_education) =
                a;
            let (previous_school, admission_code, leaving_code) = b;
            let (field_of_study, education_form, other_items) = c;
            CzRegister {
                collection_date,
                school_part,
                citizenship,
                citizenship_kind,
                previous_education,
                previous_school,
                admission_code,
                leaving_code,
                field_of_study,
                education_form,
                other_items,
            }
        })
        .boxed()
}

/// A pupil with every entity possible, each list short.
pub fn pupil() -> BoxedStrategy<Pupil> {
    (
        identity(),
        vec(address(), 0..3).boxed(),
        vec(guardian(), 0..3).boxed(),
        option::of(enrolment()).boxed(),
        vec(grade(), 0..4).boxed(),
        vec(attendance(), 0..3).boxed(),
        lists(),
        more_lists(),
        option::of(cz_register()),
    )
        .prop_map(|(p, addresses, guardians, enrolment, grades, attendance, lists, more, cz)| {
            let (remarks, exams, achievements, counselling, health) = lists;
            let (consents, contracts, payments, assessments) = more;
            Pupil {
                cz_register: cz,
                addresses,
                guardians,
                enrolment,
                grades,
                attendance,
                remarks,
                exams,
                achievements,
                counselling,
                health,
                consents,
                contracts,
                payments,
                assessments,
                ..p
            }
        })
        .boxed()
}
