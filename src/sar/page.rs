//! What the self-contained pages teczka writes share: the stylesheet, the page's head, and a
//! controller text or party laid out the same way on each — the subject-access answer
//! (`index.html`) and the record of processing activities (`ropa.html`).
//!
//! Every value goes through maud's auto-escaping `html!`; the only unescaped string is the
//! constant stylesheet below.

use super::controller::{Controller, Party, Recipient, Resolved, Text};
use super::lang::Lang;
use maud::{html, Markup, PreEscaped};

/// The stylesheet: readable type (18 px), one column on phones, two-column rows from 40 rem,
/// lists as tables that scroll sideways inside their box when wider than the screen (no
/// fixed widths), and a print layout without colours that keeps each record item and table
/// row on one page and repeats a table's header on every page.
pub(crate) const CSS: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;font:18px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',\
'DejaVu Sans',Arial,sans-serif;color:#1a1a1a;background:#fff}\
main{max-width:46rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}\
h2{font-size:1.25rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:2px solid #1d4f91}\
h3{font-size:1.1rem;margin:1.5rem 0 .5rem}\
h4{font-size:1rem;margin:1rem 0 .25rem}\
p,li,dd,dt{overflow-wrap:anywhere}\
dl{margin:0}\
dt{font-weight:600}\
dd{margin:0 0 .5rem}\
.item{border:1px solid #c8cfd8;border-radius:.4rem;padding:.5rem .75rem;margin:.5rem 0}\
.box{background:#eef3fa;border-left:4px solid #1d4f91;padding:.75rem 1rem;margin:1rem 0}\
.box.late{background:#fdecea;border-left-color:#a4161a}\
.negative{border-left-color:#8a5a00;background:#fdf6e3}\
.note{color:#555;font-size:.9rem}\
.fallback{color:#6b4e00;font-size:.85rem;font-style:italic}\
.special{color:#8a1c1c;font-size:.9rem}\
ul{padding-left:1.25rem}\
a{color:#1d4f91}\
nav ol{margin:.25rem 0;padding-left:1.5rem}\
nav li{margin:.25rem 0}\
nav .chips{list-style:none;padding:0;margin:.25rem 0 .5rem}\
nav .chips li{display:inline-block;margin:0 .3rem .3rem 0}\
nav .chips a{display:inline-block;padding:.1rem .5rem;border:1px solid #c8cfd8;\
border-radius:.3rem;font-size:.9rem;text-decoration:none}\
.scroll{overflow-x:auto;margin:.5rem 0}\
table{border-collapse:collapse;width:100%;font-size:.9rem;line-height:1.35}\
th,td{border:1px solid #c8cfd8;padding:.25rem .4rem;text-align:left;vertical-align:top}\
thead th{background:#eef3fa}\
tbody tr:nth-child(even){background:#f6f8fb}\
@media (min-width:40rem){.rows{display:grid;grid-template-columns:minmax(10rem,38%) 1fr;\
column-gap:1rem}.rows dd{margin:0 0 .35rem}}\
@media print{body{font-size:11pt;color:#000}main{max-width:none;padding:0}\
.box,.negative{background:none;border:1px solid #000}h2{border-top:1px solid #000;\
break-after:avoid}h3,h4{break-after:avoid}.item{break-inside:avoid}\
a[href^='http']::after{content:' (' attr(href) ')'}\
.scroll{overflow:visible}table{font-size:9pt}thead{display:table-header-group}\
tr{break-inside:avoid}thead th,tbody tr:nth-child(n){background:none}th,td{border-color:#000}\
nav .chips a{border:none;padding:0}\
.rows{display:grid;grid-template-columns:38% 1fr;column-gap:1em}}";

/// The `<head>`: UTF-8, the phone viewport, the stylesheet inline (with the page's `extra`
/// rules after it), and `title`.
pub(crate) fn head(title: &str, extra: &'static str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="generator" content="teczka";
            title { (title) }
            style { (PreEscaped(CSS)) (PreEscaped(extra)) }
        }
    }
}

/// A controller text in `lang`, marked "(provided in Polish only)" when the file does not
/// have it in `lang`.
pub(crate) fn text(controller: &Controller, text: &Text, lang: Lang) -> Markup {
    let Resolved { text, lang: given } = controller.text(text, lang);
    html! {
        (text)
        @if given != lang {
            " " span.fallback lang=(lang.code()) { "(" (provided_only(lang, given)) ")" }
        }
    }
}

/// "provided in Polish only", in `lang`.
fn provided_only(lang: Lang, given: Lang) -> String {
    let name = lang.in_language(given);
    match lang {
        Lang::Pl => format!("podano tylko {name}"),
        Lang::Cs => format!("uvedeno pouze {name}"),
        Lang::En => format!("provided {name} only"),
    }
}

/// Each recipient in a third country with the country and the transfer's safeguards (Art.
/// 46), one box each: the same on the answer to a parent (Art. 15(2)) and in the record of
/// processing (Art. 30(1)(e)).
pub(crate) fn transfers(controller: &Controller, transfers: &[&Recipient], lang: Lang) -> Markup {
    let t = |texts: [&'static str; 3]| lang.pick(texts);
    html! {
        @for r in transfers {
            div.item {
                dl {
                    dt { (t(["Odbiorca", "Příjemce", "Recipient"])) }
                    dd { (text(controller, &r.name, lang)) }
                    @if let Some(country) = &r.third_country {
                        dt { (t(["Państwo trzecie", "Třetí země", "Third country"])) }
                        dd { (text(controller, country, lang)) }
                    }
                    @if let Some(safeguards) = &r.safeguards {
                        dt { (t(["Zabezpieczenia (art. 46 RODO)", "Záruky (čl. 46 GDPR)", "Safeguards (Art. 46 GDPR)"])) }
                        dd { (text(controller, safeguards, lang)) }
                    }
                }
            }
        }
    }
}

/// Each kind of data with how long it is kept, as the controller file words it: the same on
/// the answer to a parent (Art. 15(1)(d)) and in the record of processing (Art. 30(1)(f)).
pub(crate) fn retention(controller: &Controller, lang: Lang) -> Markup {
    html! {
        @for r in &controller.retention {
            div.item {
                dl {
                    dt { (text(controller, &r.data, lang)) }
                    dd { (text(controller, &r.period, lang)) }
                }
            }
        }
    }
}

/// A party's name and each contact detail it has, one per line.
pub(crate) fn party(controller: &Controller, party: &Party, lang: Lang) -> Markup {
    html! {
        (text(controller, &party.name, lang))
        @if let Some(address) = &party.address { br; (address) }
        @if let Some(email) = &party.email {
            br; "e-mail: " a href={ "mailto:" (email) } { (email) }
        }
        @if let Some(phone) = &party.phone {
            br; (lang.pick(["tel. ", "tel. ", "phone "])) (phone)
        }
    }
}
