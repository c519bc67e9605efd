//! Opt-in: real workbooks and bank exports from `../shared/fixtures` (see its SOURCES.md).
//! Each test prints a note and passes when the folder is absent (a fresh clone).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_core::{CellValue, Document, ErrorCode};
use docket_documents::{DigitiseError, DigitiseOptions, digitise};
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} absent, real-fixture test skipped", dir.display());
        None
    }
}

fn open(rel: &str) -> Result<Document, DigitiseError> {
    open_with(rel, &DigitiseOptions::default())
}

fn open_with(rel: &str, opts: &DigitiseOptions) -> Result<Document, DigitiseError> {
    let root = fixtures().unwrap();
    digitise(&root.join(rel), opts)
}

fn text(s: &str) -> CellValue {
    CellValue::Text(s.into())
}

#[test]
fn dates_agree_across_xlsx_xls_and_ods() {
    if fixtures().is_none() {
        return;
    }
    let xlsx = open("spreadsheets/date.xlsx").unwrap();
    let xls = open("spreadsheets/date.xls").unwrap();
    let ods = open("spreadsheets/date.ods").unwrap();
    assert_eq!(xlsx.sheets[0].rows, xls.sheets[0].rows);
    let first = vec![
        CellValue::Date("2021-01-01".into()),
        CellValue::Number("15".into()),
    ];
    for d in [&xlsx, &xls, &ods] {
        assert_eq!(d.sheets[0].rows[0], first, "{}", d.source.kind);
    }
    // Durations read the same way from an Excel serial and an ODS ISO duration.
    assert_eq!(xlsx.sheets[0].rows[2][0], text("255:10:10"));
    assert_eq!(ods.sheets[0].rows[2][0], text("10:10:10"));
    assert_eq!(
        ods.sheets[0].rows[1][0],
        CellValue::DateTime("2021-01-01T10:10:10".into())
    );
}

#[test]
fn merged_ranges_errors_and_header_rows() {
    if fixtures().is_none() {
        return;
    }
    let m = open("spreadsheets/merge_cells.xlsx").unwrap();
    let s = &m.sheets[0];
    assert_eq!(s.merged, vec![(0, 0, 0, 1), (1, 0, 3, 0), (1, 1, 3, 3)]);
    assert_eq!(s.rows[0][0], text("Row Merge"));
    assert_eq!(s.rows.len(), 4, "grid covers the merged ranges");
    assert!(s.rows.iter().all(|r| r.len() == 4));

    let e = open("spreadsheets/errors.xlsx").unwrap();
    let col: Vec<CellValue> = e.sheets[0].rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(col[0], CellValue::Error("#DIV/0!".into()));
    assert_eq!(col[1], CellValue::Error("#NAME?".into()));
    assert_eq!(col[5], CellValue::Error("#NUM!".into()));

    let h = open("spreadsheets/header-row.xlsx").unwrap();
    assert_eq!(h.sheets[0].rows[2][2], text("Note 1"));
}

#[test]
fn password_protected_workbook() {
    if fixtures().is_none() {
        return;
    }
    let err = open("spreadsheets/pass_protected.xlsx").unwrap_err();
    assert_eq!(err.code, ErrorCode::Encrypted, "{err}");
    assert!(err.message.contains("password-protected workbook"), "{err}");
    assert!(err.message.contains("pass_protected.xlsx"), "{err}");
    let wrong = DigitiseOptions {
        password: Some("wrong".into()),
        ..Default::default()
    };
    let err = open_with("spreadsheets/pass_protected.xlsx", &wrong).unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassword, "{err}");
    assert!(
        !err.message.contains("wrong"),
        "password never in messages: {err}"
    );
    // The password of calamine's test file.
    let right = DigitiseOptions {
        password: Some("123".into()),
        ..Default::default()
    };
    let doc = open_with("spreadsheets/pass_protected.xlsx", &right).unwrap();
    assert_eq!(doc.source.kind, "xlsx");
    assert_eq!(doc.sheets[0].name, "Sheet1");
}

#[test]
fn docling_workbooks_read() {
    if fixtures().is_none() {
        return;
    }
    for f in [
        "xlsx_05_table_with_title.xlsx",
        "xlsx_06_edge_cases_.xlsx",
        "xlsx_09_section_label_header.xlsx",
    ] {
        let d = open(&format!("spreadsheets/docling/{f}")).unwrap();
        assert!(!d.sheets.is_empty(), "{f}");
        for s in &d.sheets {
            let w = s.rows.first().map_or(0, Vec::len);
            assert!(s.rows.iter().all(|r| r.len() == w), "{f} {} dense", s.name);
        }
    }
    let d = open("spreadsheets/docling/xlsx_06_edge_cases_.xlsx").unwrap();
    assert_eq!(d.sheets[0].rows[0][1], text("Sub-category"));
}

#[test]
fn chinese_bank_csv_exports() {
    let Some(root) = fixtures() else { return };
    let alipay = open("statements-cn/alipay/example-alipay-records.csv").unwrap();
    let s = &alipay.sheets[0];
    let header = s
        .rows
        .iter()
        .position(|r| r[0] == text("交易时间"))
        .expect("Alipay header row");
    assert_eq!(s.rows[header][6], text("金额"));
    assert_eq!(s.rows[header + 1][0], text("2023-02-12 21:32:14"));
    assert_eq!(s.rows[header + 1][6], text("49.74"));
    // The tab Alipay appends to order numbers is gone.
    assert_eq!(s.rows[header + 1][9], text("202302xxxxxx0011000103xxxxxx"));

    let dir = root.join("statements-cn");
    let mut n = 0;
    for bank in std::fs::read_dir(&dir).unwrap() {
        let bank = bank.unwrap().path();
        let mut stack = vec![bank];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            } else if p.extension().is_some_and(|e| e == "csv") {
                let d = digitise(&p, &DigitiseOptions::default())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(d.sheets[0].rows.len() > 1, "{}", p.display());
                n += 1;
            }
        }
    }
    assert!(n >= 10, "read {n} CSV exports");
}

#[test]
fn citic_xls_and_wechat_xlsx() {
    if fixtures().is_none() {
        return;
    }
    let c = open("statements-cn/citic/credit/example-citic-records.xls").unwrap();
    assert_eq!(c.source.kind, "xls");
    let s = &c.sheets[0];
    assert_eq!(s.merged, vec![(0, 0, 0, 7)]);
    assert_eq!(s.rows[1][0], text("交易日期"));
    assert_eq!(s.rows[1][7], text("结算金额"));
    assert_eq!(s.rows[2][7], text("5.90"));

    let w = open("statements-cn/wechat/example-wechat-records.xlsx").unwrap();
    let s = w.sheets.iter().find(|s| s.name == "Sheet1").unwrap();
    assert_eq!(s.rows[0][0], text("微信支付账单明细"));
    assert!(s.merged.contains(&(0, 0, 0, 10)));
}
