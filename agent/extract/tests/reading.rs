//! The reader on layouts it has no vocabulary for: money columns whose sides only the running
//! balance tells, unknown header words settled by the cells below them, identifiers that must
//! never become amounts, dates that wrap or are printed once per day, and the confidence gate
//! that sends an unconfirmable reading to review instead of writing it as certain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::{line, page, pages_doc, source};
use docket_core::{CellValue, CheckStatus, Document, Extraction, Sheet};
use docket_extract::extract_bank_statement;

fn t(s: &str) -> CellValue {
    if s.is_empty() {
        CellValue::Empty
    } else {
        CellValue::Text(s.into())
    }
}

/// A one-sheet CSV-like document from comma-separated lines (`;` inside a line is not special).
fn csv(lines: &[&str]) -> Document {
    let width = lines.iter().map(|l| l.split(',').count()).max().unwrap();
    let rows = lines
        .iter()
        .map(|l| {
            let mut r: Vec<CellValue> = l.split(',').map(t).collect();
            r.resize(width, CellValue::Empty);
            r
        })
        .collect();
    Document {
        source: source("export.csv", "csv"),
        pages: vec![],
        sheets: vec![Sheet {
            name: "export.csv".into(),
            index: 1,
            rows,
            merged: vec![],
            warnings: vec![],
        }],
    }
}

fn amounts(x: &Extraction) -> Vec<String> {
    x.records
        .iter()
        .map(|r| r["amount"].as_str().unwrap().to_string())
        .collect()
}

fn check<'a>(x: &'a Extraction, name: &str) -> &'a docket_core::Check {
    x.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {:?}", x.checks))
}

#[test]
fn two_unnamed_amount_columns_get_their_sides_from_the_running_balance() {
    // `Amount A` / `Amount B` say nothing about sides; the balance column does.
    let x = extract_bank_statement(&csv(&[
        "Date,Details,Amount A,Amount B,Balance",
        "2026-06-01,Salary,,1000.00,1500.00",
        "2026-06-02,Rent,600.00,,900.00",
        "2026-06-03,Coffee,3.50,,896.50",
        "2026-06-04,Refund,,10.00,906.50",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["1000.00", "-600.00", "-3.50", "10.00"]);
    assert!(!x.needs_review, "{:?}", x.checks);
    let r = check(&x, "reading");
    assert_eq!(r.status, CheckStatus::Pass);
    assert!(
        r.message.contains("running balances reconciled"),
        "{}",
        r.message
    );
    assert!(r.message.contains("second money in"), "{}", r.message);
}

#[test]
fn a_mislabelled_debit_column_is_corrected_by_the_balances_and_reported() {
    let x = extract_bank_statement(&csv(&[
        "Date,Description,Debit,Credit,Balance",
        "2026-06-01,Salary,1000.00,,1500.00",
        "2026-06-02,Rent,,600.00,900.00",
        "2026-06-03,Coffee,,3.50,896.50",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["1000.00", "-600.00", "-3.50"]);
    assert!(check(&x, "reading").message.contains("swapped"));
    assert!(!x.needs_review);
}

#[test]
fn chinese_income_and_expense_columns_are_read_by_side() {
    let x = extract_bank_statement(&csv(&[
        "交易日期,摘要,收入金额,支出金额,账户余额",
        "2026-06-01,工资,8000.00,,9000.00",
        "2026-06-02,房租,,3000.00,6000.00",
        "2026-06-03,超市,,123.45,5876.55",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["8000.00", "-3000.00", "-123.45"]);
    assert_eq!(check(&x, "running_balance").status, CheckStatus::Pass);
}

#[test]
fn unknown_headers_with_unambiguous_content_are_read() {
    // A BMO-style export: `Date Posted` as 20260105, a leading space in ` Transaction Amount`.
    let x = extract_bank_statement(&csv(&[
        "First Bank Account,Type,Date Posted, Transaction Amount,Description",
        "'5191,CREDIT,20260105,250.00,[DN]PAYROLL",
        "'5191,DEBIT,20260107,-42.17,[PR]GROCERY",
        "'5191,DEBIT,20260109,-9.99,[PR]STREAMING",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["250.00", "-42.17", "-9.99"]);
    assert_eq!(x.records[0]["date"], "2026-01-05");
    assert_eq!(x.records[2]["description"], "[PR]STREAMING");
}

#[test]
fn a_payment_app_export_with_a_direction_column_and_yuan_signs() {
    let x = extract_bank_statement(&csv(&[
        "美团账单明细",
        "导出时间：2026-06-30 10:00:00",
        "",
        "交易创建时间,交易类型,订单标题,收/支,支付方式,实付金额,交易单号",
        "2026-06-01 12:30:11,支付,午餐,支出,零钱,¥25.50,1000345234234223",
        "2026-06-02 08:10:00,退款,午餐退款,收入,零钱,¥25.50,1000345234234224",
        "2026-06-03 19:45:02,支付,外卖,支出,银行卡,¥38.00,1000345234234225",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["-25.50", "25.50", "-38.00"]);
    assert_eq!(x.records[0]["time"], "12:30:11");
    assert!(check(&x, "reading").message.contains("direction column"));
}

#[test]
fn an_order_number_is_never_an_amount() {
    // A JD-style export whose amount header is not recognised and whose order numbers carry
    // trailing tabs: the 16-digit number must not become the amount.
    let x = extract_bank_statement(&csv(&[
        "交易时间,商户名称,交易说明,价格,收/支,商家订单号\t",
        "2026-06-01 10:00:00,京东,手机壳,29.90\t,支出\t,1000345234234223\t",
        "2026-06-02 11:00:00,京东,耳机,199.00\t,支出\t,1000345234234224\t",
    ]))
    .unwrap();
    for a in amounts(&x) {
        assert!(a.len() < 10, "an identifier was read as an amount: {a}");
    }
    assert_eq!(amounts(&x), ["-29.90", "-199.00"]);
}

#[test]
fn unsigned_amounts_without_any_arithmetic_go_to_review_with_the_reason() {
    let x = extract_bank_statement(&csv(&[
        "Date,Description,Amount",
        "2026-06-01,Hotel,120.00",
        "2026-06-02,Taxi,18.40",
        "2026-06-03,Dinner,55.10",
    ]))
    .unwrap();
    assert!(
        x.needs_review,
        "nothing says whether these are money in or out"
    );
    let r = check(&x, "reading");
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(r.message.contains("unsigned"), "{}", r.message);
}

#[test]
fn signed_amounts_are_trusted_from_the_header_alone() {
    let x = extract_bank_statement(&csv(&[
        "Date,Description,Amount",
        "2026-06-01,Salary,1200.00",
        "2026-06-02,Taxi,-18.40",
    ]))
    .unwrap();
    assert!(!x.needs_review, "{:?}", x.checks);
    assert!(
        check(&x, "reading")
            .message
            .contains("amounts carry their signs")
    );
}

#[test]
fn a_wrapped_date_in_a_narrow_column_is_joined() {
    let header = line(
        100.0,
        &[
            (40.0, "Date"),
            (100.0, "Description"),
            (-400.0, "Money out"),
            (-470.0, "Money in"),
            (-540.0, "Balance"),
        ],
    );
    let rows = vec![
        header,
        line(
            120.0,
            &[
                (40.0, "2026-06-"),
                (100.0, "Opening deposit"),
                (-470.0, "500.00"),
                (-540.0, "500.00"),
            ],
        ),
        line(130.0, &[(40.0, "01")]),
        line(
            145.0,
            &[
                (40.0, "2026-06-"),
                (100.0, "Card payment"),
                (-400.0, "20.00"),
                (-540.0, "480.00"),
            ],
        ),
        line(155.0, &[(40.0, "02"), (100.0, "COFFEE HOUSE")]),
        line(
            170.0,
            &[
                (40.0, "2026-06-"),
                (100.0, "Transfer"),
                (-400.0, "80.00"),
                (-540.0, "400.00"),
            ],
        ),
        line(180.0, &[(40.0, "03")]),
    ];
    let x = extract_bank_statement(&pages_doc("wrapped.pdf", vec![page(1, rows)])).unwrap();
    assert_eq!(amounts(&x), ["500.00", "-20.00", "-80.00"]);
    let dates: Vec<&str> = x
        .records
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-06-01", "2026-06-02", "2026-06-03"]);
    assert_eq!(x.records[1]["description"], "Card payment COFFEE HOUSE");
    assert_eq!(check(&x, "running_balance").status, CheckStatus::Pass);
}

#[test]
fn a_date_printed_once_per_day_dates_the_rows_below_it() {
    let header = line(
        100.0,
        &[
            (40.0, "Date"),
            (120.0, "Details"),
            (-400.0, "Paid out"),
            (-470.0, "Paid in"),
            (-540.0, "Balance"),
        ],
    );
    let rows = vec![
        header,
        line(
            120.0,
            &[
                (40.0, "01 Jun 2026"),
                (120.0, "Salary"),
                (-470.0, "900.00"),
                (-540.0, "1,000.00"),
            ],
        ),
        line(
            135.0,
            &[(120.0, "Coffee"), (-400.0, "4.00"), (-540.0, "996.00")],
        ),
        line(
            150.0,
            &[
                (40.0, "02 Jun 2026"),
                (120.0, "Rent"),
                (-400.0, "500.00"),
                (-540.0, "496.00"),
            ],
        ),
        line(170.0, &[(120.0, "Closing balance"), (-540.0, "496.00")]),
    ];
    let x = extract_bank_statement(&pages_doc("daily.pdf", vec![page(1, rows)])).unwrap();
    assert_eq!(amounts(&x), ["900.00", "-4.00", "-500.00"]);
    assert_eq!(x.records[1]["date"], "2026-06-01");
    assert_eq!(check(&x, "date_carried").records, vec![1]);
    assert_eq!(check(&x, "running_balance").status, CheckStatus::Pass);
}

#[test]
fn an_unreadable_or_misread_amount_is_repaired_from_the_balances_and_sent_to_review() {
    // OCR read `5.11` as `Sat` and lost the leading digit of `1,372.22`.
    let x = extract_bank_statement(&csv(&[
        "Date,Description,Paid out,Paid in,Balance",
        "2026-09-01,Salary,,1000.00,1500.00",
        "2026-09-02,Fee,Sat,,1494.89",
        "2026-09-03,Lunch,4.89,,1490.00",
        "2026-09-04,Rent,372.22,,117.78",
        "2026-09-05,Coffee,2.78,,115.00",
    ]))
    .unwrap();
    assert_eq!(
        amounts(&x),
        ["1000.00", "-5.11", "-4.89", "-1372.22", "-2.78"]
    );
    let c = check(&x, "amount_from_balance");
    assert_eq!(c.status, CheckStatus::Fail);
    assert_eq!(c.records, vec![1, 3]);
    assert!(c.message.contains("\"Sat\""), "{}", c.message);
    assert!(x.needs_review, "a repaired amount is confirmed by a person");
}

#[test]
fn a_different_number_is_never_repaired_into_the_balance_difference() {
    // 800.00 is not a near miss of 12.50: the row stays as read and the running balance fails.
    let x = extract_bank_statement(&csv(&[
        "Date,Description,Paid out,Paid in,Balance",
        "2026-09-01,Salary,,1000.00,1500.00",
        "2026-09-02,Lunch,800.00,,1487.50",
        "2026-09-03,Coffee,2.50,,1485.00",
    ]))
    .unwrap();
    assert_eq!(amounts(&x), ["1000.00", "-800.00", "-2.50"]);
    assert!(x.checks.iter().all(|c| c.name != "amount_from_balance"));
    assert_eq!(check(&x, "running_balance").status, CheckStatus::Fail);
}

#[test]
fn a_page_without_a_header_is_read_from_its_value_lines_and_confirmed_by_the_balances() {
    // Column captions in a language the vocabulary does not know (and drawn as an image in many
    // real statements): only the value lines say what the columns are.
    let rows = vec![
        line(
            100.0,
            &[
                (40.0, "Dátum"),
                (120.0, "Leírás"),
                (-400.0, "Terhelés"),
                (-470.0, "Jóváírás"),
                (-540.0, "Egyenleg"),
            ],
        ),
        line(
            120.0,
            &[
                (40.0, "01/06/2026"),
                (120.0, "Fizetés"),
                (-470.0, "900.00"),
                (-540.0, "1,000.00"),
            ],
        ),
        line(
            135.0,
            &[
                (40.0, "02/06/2026"),
                (120.0, "Kávé"),
                (-400.0, "4.00"),
                (-540.0, "996.00"),
            ],
        ),
        line(
            150.0,
            &[
                (40.0, "03/06/2026"),
                (120.0, "Bérleti díj"),
                (-400.0, "500.00"),
                (-540.0, "496.00"),
            ],
        ),
        line(
            165.0,
            &[
                (40.0, "04/06/2026"),
                (120.0, "Visszatérítés"),
                (-470.0, "4.00"),
                (-540.0, "500.00"),
            ],
        ),
    ];
    let x = extract_bank_statement(&pages_doc("hu.pdf", vec![page(1, rows)])).unwrap();
    assert_eq!(amounts(&x), ["900.00", "-4.00", "-500.00", "4.00"]);
    assert_eq!(check(&x, "running_balance").status, CheckStatus::Pass);
    assert_eq!(check(&x, "header_inferred").status, CheckStatus::Pass);
    assert!(!x.needs_review, "{:?}", x.checks);
}

#[test]
fn a_headerless_page_without_balances_is_not_guessed() {
    let rows = vec![
        line(
            120.0,
            &[(40.0, "01/06/2026"), (120.0, "Fizetés"), (-470.0, "900.00")],
        ),
        line(
            135.0,
            &[(40.0, "02/06/2026"), (120.0, "Kávé"), (-400.0, "4.00")],
        ),
        line(
            150.0,
            &[
                (40.0, "03/06/2026"),
                (120.0, "Bérleti díj"),
                (-400.0, "500.00"),
            ],
        ),
    ];
    let e = extract_bank_statement(&pages_doc("hu.pdf", vec![page(1, rows)])).unwrap_err();
    assert_eq!(e.code, docket_core::ErrorCode::NoStatementFound);
}
