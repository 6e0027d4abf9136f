//! Money: amounts are integer minor units (`amount_minor`) with an ISO 4217 currency code.

use super::{text, Findings, Item, Problem};
use crate::model::record::Rule;
use crate::model::Pupil;

const CURRENCY_SHAPE: Problem = Problem::error(
    Rule::Currency,
    "a currency is written as its three-letter ISO 4217 code in capitals (PLN, CZK, EUR): \
     correct it",
);
const CURRENCY_MISSING: Problem = Problem::error(
    Rule::Currency,
    "an amount without a currency cannot be read: fill in `currency` (PLN, CZK, EUR)",
);

/// Whether `code` has the shape of an ISO 4217 code (three capital ASCII letters).
fn currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Check the currencies of `pupil`'s payments.
pub(super) fn check(pupil: &Pupil, out: &mut Findings) {
    for (i, payment) in pupil.payments.iter().enumerate() {
        let item = Item::Nth("payment", i);
        match text(&payment.currency) {
            Some(code) if !currency(code) => out.add("payments[].currency", item, CURRENCY_SHAPE),
            None if payment.amount_minor.is_some() => {
                out.add("payments[].currency", item, CURRENCY_MISSING)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Payment;

    #[test]
    fn currency_codes_are_three_capitals() {
        table! { currency:
            "PLN" => true;
            "CZK" => true;
            "pln" => false;
            "zł" => false;
            "PL" => false;
            "PLNN" => false;
            "P1N" => false;
            "ZŁO" => false;
        }
    }

    #[test]
    fn check_needs_a_currency_for_an_amount() {
        let pay = |amount: Option<i64>, currency: Option<&str>| Payment {
            amount_minor: amount,
            currency: currency.map(String::from),
            ..Payment::default()
        };
        let pupil = Pupil {
            payments: vec![
                pay(Some(100), Some("PLN")),
                pay(Some(100), Some("zł")),
                pay(Some(100), None),
                pay(None, None),
            ],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check(&pupil, &mut out);
        let got: Vec<_> = out.items.iter().map(|f| (f.field.as_ref(), f.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("payments[].currency", format!("payment 2: {}", CURRENCY_SHAPE.message)),
                ("payments[].currency", format!("payment 3: {}", CURRENCY_MISSING.message)),
            ]
        );
    }
}
