//! The grounding verifier on documents built from positioned words: every normalisation the
//! issue lists (number formats, ¥/元/万, Chinese numerals, date formats, whitespace) grounds with
//! its page and box; values that are not printed are set to null and listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{document, page};
use docket_llm::grounding::{Index, verify};
use serde_json::{Value, json};

fn doc() -> docket_core::Document {
    document(
        "g.pdf",
        vec![
            page(
                1,
                &[
                    vec![(20.0, "Issuer:"), (80.0, "Amazon Web Services, Inc.")],
                    vec![(20.0, "Total"), (300.0, "1,234.56")],
                    vec![(20.0, "Summe"), (300.0, "7.654,32")],
                    vec![(20.0, "Montant"), (300.0, "1 234,75")],
                    vec![(20.0, "人民币"), (300.0, "¥8,888.00")],
                    vec![(20.0, "合计"), (300.0, "3,500元")],
                    vec![(20.0, "约"), (300.0, "1.2万")],
                    vec![(20.0, "大写"), (300.0, "壹万贰仟叁佰元整")],
                ],
            ),
            page(
                2,
                &[
                    vec![(20.0, "Date"), (300.0, "2026-03-01")],
                    vec![(20.0, "Value date"), (300.0, "15/04/2026")],
                    vec![(20.0, "日期"), (300.0, "2026年5月6日")],
                    vec![(20.0, "Posted"), (300.0, "07 MAR")],
                    vec![(20.0, "Due"), (300.0, "Aug 3, 2014")],
                    vec![(20.0, "Debit"), (300.0, "450.00")],
                ],
            ),
        ],
    )
}

fn grounds(ix: &Index, v: Value, page: u32, text: &str) {
    let f = ix.ground(&v).unwrap_or_else(|| panic!("{v} not grounded"));
    assert_eq!(f.page, page, "{v}");
    assert_eq!(f.text, text, "{v}");
    assert!(
        f.bbox.x0 >= 20.0 && f.bbox.x1 > f.bbox.x0 && f.bbox.y1 > f.bbox.y0,
        "{v}: {:?}",
        f.bbox
    );
}

#[test]
fn number_formats_ground() {
    let ix = Index::new(&doc());
    grounds(&ix, json!("1234.56"), 1, "1,234.56");
    grounds(&ix, json!(1234.56), 1, "1,234.56");
    grounds(&ix, json!("7654.32"), 1, "7.654,32");
    grounds(&ix, json!("1234.75"), 1, "1 234,75");
    grounds(&ix, json!("8888"), 1, "¥8,888.00");
    grounds(&ix, json!("3500.00"), 1, "3,500元");
    grounds(&ix, json!("12000"), 1, "1.2万");
    grounds(&ix, json!("12300"), 1, "壹万贰仟叁佰元整");
    // A debit returned signed, printed unsigned: found, with lower quality.
    let f = ix.ground(&json!("-450.00")).unwrap();
    assert_eq!((f.page, f.text.as_str()), (2, "450.00"));
    assert!(f.quality < 0.9);
    // Exactly printed values match with quality 1.
    assert_eq!(ix.ground(&json!("450.00")).unwrap().quality, 1.0);
}

#[test]
fn date_formats_ground() {
    let ix = Index::new(&doc());
    grounds(&ix, json!("2026-03-01"), 2, "2026-03-01");
    grounds(&ix, json!("2026-04-15"), 2, "15/04/2026");
    grounds(&ix, json!("2026-05-06"), 2, "2026年5月6日");
    grounds(&ix, json!("2014-08-03"), 2, "Aug 3, 2014");
    let f = ix.ground(&json!("2026-03-07")).unwrap();
    assert_eq!(f.text, "07 MAR");
    assert!(f.quality < 0.9, "a year-less match is weaker");
}

#[test]
fn text_grounds_across_whitespace_and_case() {
    let ix = Index::new(&doc());
    let f = ix.ground(&json!("Amazon Web Services, Inc.")).unwrap();
    assert_eq!(f.text, "Amazon Web Services, Inc.");
    assert_eq!(f.quality, 1.0);
    let f = ix.ground(&json!("amazon  web   services")).unwrap();
    assert_eq!((f.page, f.text.as_str()), (1, "Amazon Web Services,"));
    assert!(f.quality < 1.0);
    // Currency codes ground on their printed sign.
    let f = ix.ground(&json!("CNY")).unwrap();
    assert!(
        ["¥8,888.00", "人民币", "3,500元"].contains(&f.text.as_str()),
        "{}",
        f.text
    );
    assert!(ix.ground(&json!("EUR")).is_none());
}

#[test]
fn invented_values_become_null_and_are_listed() {
    let ix = Index::new(&doc());
    let mut v = json!({
        "issuer": "Amazon Web Services",
        "amount": "1234.56",
        "invented_amount": "99999.99",
        "invented_date": "2031-12-24",
        "invented_name": "Globex Corporation",
        "flag": true,
        "missing": null,
    });
    let verdict = verify(&ix, &mut v, "fields");
    let paths: Vec<&str> = verdict.ungrounded.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "fields.invented_amount",
            "fields.invented_date",
            "fields.invented_name"
        ]
    );
    assert!(
        v["invented_amount"].is_null()
            && v["invented_date"].is_null()
            && v["invented_name"].is_null()
    );
    assert_eq!(v["amount"], "1234.56");
    assert_eq!(v["flag"], true);
    assert_eq!(verdict.found["fields.amount"].page, 1);
    assert!(verdict.found.contains_key("fields.issuer"));
    assert_eq!(verdict.ungrounded[0].value, json!("99999.99"));
}
