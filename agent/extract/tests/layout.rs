//! The layout reader on hand-built pages laid out like real statements: an English statement on
//! two pages with a repeated header, a wrapped description and a totals row; a Chinese statement
//! with header key/values; a header split over two lines.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::{line, page, pages_doc};
use docket_core::{BBox, CheckStatus, Document, ErrorCode, Extraction, Page, TextOrigin, Word};
use docket_extract::{SchemaRef, extract, extract_bank_statement};
use serde_json::json;

fn english(third_balance: &str) -> Document {
    let header = |y| {
        line(
            y,
            &[
                (40.0, "Date"),
                (110.0, "Description"),
                (-360.0, "Debit"),
                (-430.0, "Credit"),
                (-510.0, "Balance"),
            ],
        )
    };
    let p1 = page(
        1,
        vec![
            line(20.0, &[(40.0, "Example Bank plc")]),
            line(40.0, &[(40.0, "Account Holder: John Smith")]),
            line(
                55.0,
                &[
                    (40.0, "Account Number: 12-3456-7890"),
                    (300.0, "Currency: GBP"),
                ],
            ),
            line(
                70.0,
                &[(40.0, "Statement Period: 01/01/2026 to 31/01/2026")],
            ),
            line(85.0, &[(40.0, "Opening Balance: 1,000.00")]),
            header(110.0),
            line(
                125.0,
                &[
                    (40.0, "02/01/2026"),
                    (110.0, "Coffee Shop London"),
                    (-360.0, "4.50"),
                    (-510.0, "995.50"),
                ],
            ),
            line(
                140.0,
                &[
                    (40.0, "05/01/2026"),
                    (110.0, "Salary ACME Corporation"),
                    (-430.0, "2,500.00"),
                    (-510.0, "3,495.50"),
                ],
            ),
            line(
                155.0,
                &[
                    (40.0, "07/01/2026"),
                    (110.0, "Transfer to savings"),
                    (-360.0, "500.00"),
                    (-510.0, third_balance),
                ],
            ),
            line(167.0, &[(110.0, "ref 778812 monthly")]),
            line(800.0, &[(270.0, "Page 1 of 2")]),
        ],
    );
    let p2 = page(
        2,
        vec![
            line(20.0, &[(40.0, "Example Bank plc")]),
            header(40.0),
            line(
                55.0,
                &[
                    (40.0, "15/01/2026"),
                    (110.0, "Card payment TESCO"),
                    (-360.0, "45.20"),
                    (-510.0, "2,950.30"),
                ],
            ),
            line(
                70.0,
                &[
                    (40.0, "20/01/2026"),
                    (110.0, "Refund"),
                    (-430.0, "10.00"),
                    (-510.0, "2,960.30"),
                ],
            ),
            line(
                85.0,
                &[(40.0, "Total"), (-360.0, "549.70"), (-430.0, "2,510.00")],
            ),
            line(100.0, &[(40.0, "Closing Balance: 2,960.30")]),
            line(800.0, &[(270.0, "Page 2 of 2")]),
        ],
    );
    pages_doc("statement-en.pdf", vec![p1, p2])
}

fn status(x: &Extraction, name: &str) -> CheckStatus {
    x.checks
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {name}: {:?}", x.checks))
}

#[test]
fn english_two_pages_with_repeated_header_and_wrapped_description() {
    let x = extract_bank_statement(&english("2,995.50")).unwrap();
    assert_eq!(
        x.fields,
        json!({
            "account_holder": "John Smith",
            "account_number": "12-3456-7890",
            "currency": "GBP",
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "opening_balance": "1000.00",
            "closing_balance": "2960.30"
        })
    );
    let rows: Vec<(String, String, String, String)> = x
        .records
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
                r["amount"].as_str().unwrap().to_string(),
                r["balance"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("2026-01-02", "Coffee Shop London", "-4.50", "995.50"),
        (
            "2026-01-05",
            "Salary ACME Corporation",
            "2500.00",
            "3495.50",
        ),
        (
            "2026-01-07",
            "Transfer to savings ref 778812 monthly",
            "-500.00",
            "2995.50",
        ),
        ("2026-01-15", "Card payment TESCO", "-45.20", "2950.30"),
        ("2026-01-20", "Refund", "10.00", "2960.30"),
    ];
    assert_eq!(rows.len(), want.len(), "{rows:?}");
    for (got, w) in rows.iter().zip(want) {
        assert_eq!(
            (
                got.0.as_str(),
                got.1.as_str(),
                got.2.as_str(),
                got.3.as_str()
            ),
            w
        );
    }
    for r in &x.records {
        assert!(r["time"].is_null());
        assert_eq!(r["currency"], "GBP");
        assert!(r["counterparty"].is_null());
    }
    for name in [
        "balance_equation",
        "running_balance",
        "totals_row",
        "record_count",
    ] {
        assert_eq!(
            status(&x, name),
            CheckStatus::Pass,
            "{name}: {:?}",
            x.checks
        );
    }
    assert!(!x.needs_review);
    // Provenance: the wrapped description spans both lines; page 2 values point at page 2.
    let p = &x.provenance["records[2].description"];
    assert_eq!(p.page, 1);
    assert_eq!(p.text, "Transfer to savings ref 778812 monthly");
    assert_eq!((p.bbox.y0, p.bbox.y1), (155.0, 177.0));
    assert_eq!(p.extractor, "layout");
    assert!((p.confidence - 0.97).abs() < 1e-6);
    let a = &x.provenance["records[3].amount"];
    assert_eq!((a.page, a.text.as_str()), (2, "45.20"));
    assert_eq!(x.provenance["fields.closing_balance"].text, "2,960.30");
    assert_eq!(x.provenance["fields.closing_balance"].page, 2);
    insta::assert_json_snapshot!("english_two_pages", x);
}

#[test]
fn a_wrong_running_balance_is_named_and_sends_to_review() {
    let x = extract_bank_statement(&english("2,959.50")).unwrap();
    let c = x
        .checks
        .iter()
        .find(|c| c.name == "running_balance")
        .unwrap();
    assert_eq!(c.status, CheckStatus::Fail);
    // Record 2 prints 2,959.50 where 3,495.50 − 500 = 2,995.50; record 3 then does not follow it.
    assert_eq!(c.records, vec![2, 3]);
    assert!(c.message.contains("[2, 3]"), "{}", c.message);
    assert!(x.needs_review);
}

fn chinese() -> Document {
    let p = page(
        1,
        vec![
            line(20.0, &[(200.0, "个人账户交易明细")]),
            line(
                50.0,
                &[
                    (40.0, "户名：张三"),
                    (150.0, "账号：6222020012345678"),
                    (400.0, "币种：人民币"),
                ],
            ),
            line(65.0, &[(40.0, "起止日期：2026年1月1日至2026年1月31日")]),
            line(
                80.0,
                &[(40.0, "期初余额：5,000.00"), (300.0, "期末余额：6,180.00")],
            ),
            line(
                105.0,
                &[
                    (40.0, "交易日期"),
                    (120.0, "摘要"),
                    (200.0, "对方户名"),
                    (-380.0, "收入"),
                    (-450.0, "支出"),
                    (-530.0, "余额"),
                ],
            ),
            line(
                120.0,
                &[
                    (40.0, "2026-01-03"),
                    (120.0, "工资"),
                    (200.0, "某某科技有限公司"),
                    (-380.0, "8,000.00"),
                    (-530.0, "13,000.00"),
                ],
            ),
            line(
                135.0,
                &[
                    (40.0, "2026-01-10"),
                    (120.0, "房租"),
                    (200.0, "李四"),
                    (-450.0, "3,500.00"),
                    (-530.0, "9,500.00"),
                ],
            ),
            line(
                150.0,
                &[
                    (40.0, "2026-01-15"),
                    (120.0, "消费"),
                    (200.0, "某某超市"),
                    (-450.0, "320.00"),
                    (-530.0, "9,180.00"),
                ],
            ),
            line(
                165.0,
                &[
                    (40.0, "2026-01-20"),
                    (120.0, "转账"),
                    (200.0, "王五"),
                    (-450.0, "3,000.00"),
                    (-530.0, "6,180.00"),
                ],
            ),
            line(
                180.0,
                &[
                    (40.0, "本页合计"),
                    (-380.0, "8,000.00"),
                    (-450.0, "6,820.00"),
                ],
            ),
        ],
    );
    pages_doc("statement-cn.pdf", vec![p])
}

#[test]
fn chinese_statement_with_header_key_values() {
    let x = extract_bank_statement(&chinese()).unwrap();
    assert_eq!(
        x.fields,
        json!({
            "account_holder": "张三",
            "account_number": "6222020012345678",
            "currency": "CNY",
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "opening_balance": "5000.00",
            "closing_balance": "6180.00"
        })
    );
    let got: Vec<_> = x
        .records
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap(),
                r["description"].as_str().unwrap(),
                r["counterparty"].as_str().unwrap(),
                r["amount"].as_str().unwrap(),
                r["balance"].as_str().unwrap(),
                r["currency"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2026-01-03",
                "工资",
                "某某科技有限公司",
                "8000.00",
                "13000.00",
                "CNY"
            ),
            ("2026-01-10", "房租", "李四", "-3500.00", "9500.00", "CNY"),
            (
                "2026-01-15",
                "消费",
                "某某超市",
                "-320.00",
                "9180.00",
                "CNY"
            ),
            ("2026-01-20", "转账", "王五", "-3000.00", "6180.00", "CNY"),
        ]
    );
    for name in [
        "balance_equation",
        "running_balance",
        "totals_row",
        "record_count",
    ] {
        assert_eq!(
            status(&x, name),
            CheckStatus::Pass,
            "{name}: {:?}",
            x.checks
        );
    }
    assert_eq!(x.provenance["records[1].counterparty"].text, "李四");
    assert_eq!(x.provenance["fields.account_holder"].page, 1);
}

#[test]
fn header_split_over_two_lines_and_signed_amount_with_direction() {
    let p = page(
        1,
        vec![
            line(
                100.0,
                &[
                    (40.0, "Value"),
                    (110.0, "Details"),
                    (-330.0, "Paid"),
                    (-400.0, "Paid"),
                    (-480.0, "Balance"),
                ],
            ),
            line(111.0, &[(40.0, "Date"), (-330.0, "Out"), (-400.0, "In")]),
            line(
                130.0,
                &[
                    (40.0, "5 Jan 2026"),
                    (110.0, "Rent"),
                    (-330.0, "(700.00)"),
                    (-480.0, "300.00"),
                ],
            ),
            line(
                145.0,
                &[
                    (40.0, "6-Jan-26"),
                    (110.0, "Interest"),
                    (-400.0, "1.25"),
                    (-480.0, "301.25"),
                ],
            ),
        ],
    );
    let x = extract_bank_statement(&pages_doc("split.pdf", vec![p])).unwrap();
    let amounts: Vec<_> = x
        .records
        .iter()
        .map(|r| r["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, vec!["-700.00", "1.25"]);
    assert_eq!(x.records[1]["date"], "2026-01-06");
    let c = x
        .checks
        .iter()
        .find(|c| c.name == "balance_equation")
        .unwrap();
    assert_eq!(c.status, CheckStatus::Skipped);
    assert_eq!(status(&x, "running_balance"), CheckStatus::Pass);
}

#[test]
fn no_table_and_custom_schemas_are_typed_errors() {
    let p = page(
        1,
        vec![line(
            40.0,
            &[(40.0, "Dear customer, thank you for banking with us.")],
        )],
    );
    let doc = pages_doc("letter.pdf", vec![p]);
    let e = extract_bank_statement(&doc).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoStatementFound);
    assert!(
        e.message.contains("letter.pdf") && e.message.contains("date column"),
        "{}",
        e.message
    );
    let e = extract(
        &doc,
        &SchemaRef::Custom {
            path: "invoice.json".into(),
            schema: json!({"type": "object"}),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoReaderForSchema);
    assert!(e.message.contains("invoice.json"));
}

/// The generator's English layout: `Date` is narrower than `01 Mar 2026`, so a boundary half-way
/// between the header words would cut `2026` into the description.
#[test]
fn columns_reach_as_far_as_their_values_not_their_header_words() {
    let p = page(
        1,
        vec![
            line(
                40.0,
                &[
                    (36.0, "Account Number: 6222 0212 3456 7890"),
                    (330.0, "Currency: GBP"),
                ],
            ),
            line(
                60.0,
                &[
                    (36.0, "Date"),
                    (100.0, "Description"),
                    (252.0, "Counterparty"),
                    (-420.0, "Paid Out"),
                    (-490.0, "Paid In"),
                    (-559.0, "Balance"),
                ],
            ),
            line(
                80.0,
                &[
                    (36.0, "01 Mar 2026"),
                    (100.0, "Interest paid"),
                    (-490.0, "5.45"),
                    (-559.0, "3,394.46"),
                ],
            ),
            line(
                100.0,
                &[
                    (36.0, "02 Mar 2026"),
                    (100.0, "Online purchase"),
                    (252.0, "Amazon EU"),
                    (-420.0, "92.77"),
                    (-559.0, "3,301.69"),
                ],
            ),
            line(800.0, &[(270.0, "Page 1 of 1")]),
        ],
    );
    let x = extract_bank_statement(&pages_doc("s.pdf", vec![p])).unwrap();
    assert_eq!(x.fields["account_number"], "6222 0212 3456 7890");
    assert_eq!(
        x.records,
        vec![
            json!({"date": "2026-03-01", "time": null, "description": "Interest paid", "counterparty": null,
                   "counterparty_account": null, "amount": "5.45", "balance": "3394.46", "currency": "GBP"}),
            json!({"date": "2026-03-02", "time": null, "description": "Online purchase", "counterparty": "Amazon EU",
                   "counterparty_account": null, "amount": "-92.77", "balance": "3301.69", "currency": "GBP"}),
        ]
    );
}

fn ocr_word(x0: f32, x1: f32, y: f32, text: &str) -> Word {
    Word {
        text: text.into(),
        bbox: BBox::new(x0, y, x1, y + 16.0),
        confidence: 0.8,
    }
}

/// What Tesseract made of the generator's Chinese scan: `摘要` read as `we`, stray quotes before
/// cells, `ATM` and `取现` as two touching words, a speck before the time, colons dropped.
#[test]
fn a_scanned_chinese_table_survives_ocr_noise() {
    let words = vec![
        ocr_word(30.0, 53.0, 60.0, "户"),
        ocr_word(44.0, 55.0, 60.0, "名："),
        ocr_word(63.0, 89.0, 60.0, "陈思远"),
        ocr_word(300.0, 328.0, 60.0, "币种"),
        ocr_word(332.0, 360.0, 60.0, "人民币"),
        ocr_word(30.0, 70.0, 110.0, "交易日期"),
        ocr_word(98.0, 137.0, 110.0, "交易"),
        ocr_word(122.0, 139.0, 110.0, "时间"),
        ocr_word(152.0, 171.0, 110.0, "we"),
        ocr_word(228.0, 266.0, 110.0, "对方户名"),
        ocr_word(570.0, 589.0, 110.0, "收入"),
        ocr_word(670.0, 689.0, 110.0, "支出"),
        ocr_word(791.0, 810.0, 110.0, "余额"),
        ocr_word(30.0, 79.0, 130.0, "2026-03-02"),
        ocr_word(98.0, 136.0, 130.0, "07:00:23"),
        ocr_word(145.0, 211.0, 130.0, "”水电燃气缴费"),
        ocr_word(228.0, 328.0, 130.0, "”城市公用事业缴费中心"),
        ocr_word(660.0, 689.0, 130.0, "235.59"),
        ocr_word(767.0, 810.0, 130.0, "12,611.06"),
        ocr_word(30.0, 79.0, 150.0, "2026-03-23"),
        ocr_word(88.0, 94.0, 150.0, "。"),
        ocr_word(98.0, 136.0, 150.0, "19:07:58"),
        ocr_word(144.0, 168.0, 150.0, "”ATM"),
        ocr_word(170.0, 186.0, 150.0, "取现"),
        ocr_word(651.0, 689.0, 150.0, "2,644.69"),
        ocr_word(767.0, 810.0, 150.0, "9,966.37"),
    ];
    let doc = pages_doc(
        "scan.png",
        vec![Page {
            number: 1,
            width: 842.0,
            height: 595.0,
            origin: TextOrigin::Ocr,
            words,
            deskew_degrees: 0.0,
        }],
    );
    let x = extract_bank_statement(&doc).unwrap();
    assert_eq!(x.fields["account_holder"], "陈思远");
    assert_eq!(x.fields["currency"], "CNY");
    assert_eq!(
        x.records,
        vec![
            json!({"date": "2026-03-02", "time": "07:00:23", "description": "水电燃气缴费",
                   "counterparty": "城市公用事业缴费中心", "counterparty_account": null,
                   "amount": "-235.59", "balance": "12611.06", "currency": "CNY"}),
            json!({"date": "2026-03-23", "time": "19:07:58", "description": "ATM取现",
                   "counterparty": null, "counterparty_account": null,
                   "amount": "-2644.69", "balance": "9966.37", "currency": "CNY"}),
        ]
    );
}
