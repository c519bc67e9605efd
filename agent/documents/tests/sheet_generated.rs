//! Workbooks and CSV files generated here (always run): dates, a merged title, a long account
//! number stored as a number, GB18030 and UTF-16LE text, a truncated workbook and zip bombs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_core::{CellValue, ErrorCode};
use docket_documents::{DigitiseOptions, Kind, digitise_bytes, sheet, text_table};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::io::Write;

fn text(s: &str) -> CellValue {
    CellValue::Text(s.into())
}

fn statement_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let ws = wb.add_worksheet().set_name("流水").unwrap();
    ws.merge_range(0, 0, 0, 3, "Account statement 2026-01", &Format::new())
        .unwrap();
    for (c, h) in ["Date", "Amount", "Account", "Posted"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_datetime_with_format(2, 0, ExcelDateTime::from_ymd(2026, 1, 5).unwrap(), &date)
        .unwrap();
    ws.write_number(2, 1, 1234.5).unwrap();
    ws.write_number(2, 2, 6222020200012345678.0).unwrap();
    let posted = ExcelDateTime::from_ymd(2026, 1, 6)
        .unwrap()
        .and_hms(13, 45, 7)
        .unwrap();
    ws.write_datetime_with_format(2, 3, posted, &stamp).unwrap();
    ws.write_datetime_with_format(3, 0, ExcelDateTime::from_ymd(1999, 12, 31).unwrap(), &date)
        .unwrap();
    ws.write_number(3, 1, -0.1).unwrap();
    ws.write_number(3, 2, 42.0).unwrap();
    ws.write_boolean(3, 3, true).unwrap();
    ws.write_formula(4, 1, Formula::new("=B3+B4").set_result("1234.4"))
        .unwrap();
    // A second sheet whose data starts at C3: the grid must still start at A1.
    let ws2 = wb.add_worksheet().set_name("Offset").unwrap();
    ws2.write_string(2, 2, "\t2026-01-05\t").unwrap();
    ws2.write_number(3, 3, 7.25).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_dates_numbers_merges_and_long_numbers() {
    let bytes = statement_xlsx();
    let doc = digitise_bytes("statement.xlsx", &bytes, &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "xlsx");
    assert_eq!(doc.sheets.len(), 2);
    let s = &doc.sheets[0];
    assert_eq!((s.name.as_str(), s.index), ("流水", 1));
    assert_eq!(s.merged, vec![(0, 0, 0, 3)]);
    assert_eq!(s.rows[0][0], text("Account statement 2026-01"));
    assert_eq!(s.rows[0][1], CellValue::Empty);
    assert!(s.rows.iter().all(|r| r.len() == 4));
    assert_eq!(s.rows[2][0], CellValue::Date("2026-01-05".into()));
    assert_eq!(s.rows[2][1], CellValue::Number("1234.5".into()));
    assert_eq!(
        s.rows[2][3],
        CellValue::DateTime("2026-01-06T13:45:07".into())
    );
    assert_eq!(s.rows[3][0], CellValue::Date("1999-12-31".into()));
    assert_eq!(s.rows[3][1], CellValue::Number("-0.1".into()));
    assert_eq!(s.rows[3][2], CellValue::Number("42".into()));
    assert_eq!(s.rows[3][3], CellValue::Bool(true));
    // Formulas are not evaluated: the cached result is read.
    assert_eq!(s.rows[4][1], CellValue::Number("1234.4".into()));
    // The account number lost digits in the file: kept as text, flagged with sheet and cell.
    assert_eq!(s.rows[2][2], text("6222020200012345000"));
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("'流水'") && s.warnings[0].contains("C3"));

    let o = &doc.sheets[1];
    assert_eq!(o.index, 2);
    assert_eq!(o.rows.len(), 4);
    assert!(o.rows.iter().all(|r| r.len() == 4));
    assert_eq!(o.rows[2][2], text("2026-01-05"));
    assert_eq!(o.rows[3][3], CellValue::Number("7.25".into()));
    assert_eq!(o.rows[0][0], CellValue::Empty);
}

#[test]
fn truncated_xlsx_is_corrupt_workbook() {
    let bytes = statement_xlsx();
    let half = &bytes[..bytes.len() / 2];
    let err = digitise_bytes("in/statement.xlsx", half, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::CorruptWorkbook, "{err}");
    assert!(err.message.contains("in/statement.xlsx"), "{err}");
    // The reader on its own says the same.
    let err = sheet::read(Kind::Xlsx, half, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::CorruptWorkbook, "{err}");
}

/// A zip holding `xl/workbook.xml` and one deflated entry of `zeros` zero bytes.
fn zip_with_zeros(zeros: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("xl/workbook.xml", opts).unwrap();
    w.write_all(b"<workbook/>").unwrap();
    w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(chunk.len());
        w.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    w.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size of `name` in its local header and central directory entry.
fn forge_size(bytes: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (sig, size_at, name_at) = match &bytes[i..i + 4] {
            b"PK\x03\x04" => ("local", 22, 30),
            b"PK\x01\x02" => ("central", 24, 46),
            _ => continue,
        };
        let len_at = if sig == "local" { 26 } else { 28 };
        let len = u16::from_le_bytes([bytes[i + len_at], bytes[i + len_at + 1]]) as usize;
        if bytes.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "forged both headers of {name}");
}

#[test]
fn zip_bomb_disguised_as_xlsx_is_refused() {
    // 1 MiB of zeros deflates to about 1 KiB; the directory is forged to declare 300 MB, a
    // ratio far above 200:1 on an entry above 50 MB.
    let mut bytes = zip_with_zeros(1 << 20);
    forge_size(&mut bytes, "xl/worksheets/sheet1.xml", 300_000_000);
    let err = digitise_bytes("report.xlsx", &bytes, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ArchiveBomb, "{err}");
    assert!(err.message.contains("sheet1.xml"), "{err}");
}

#[test]
fn zip_declaring_too_much_in_total_is_refused() {
    let mut bytes = zip_with_zeros(1 << 20);
    forge_size(&mut bytes, "xl/worksheets/sheet1.xml", 4_000_000_000);
    let err = sheet::read(Kind::Xlsx, &bytes, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ArchiveBomb, "{err}");
}

#[test]
fn zip_lying_about_its_sizes_is_refused() {
    // Declares 1000 bytes but inflates to 2 MiB: caught while inflating, not by the directory.
    let mut bytes = zip_with_zeros(2 << 20);
    forge_size(&mut bytes, "xl/worksheets/sheet1.xml", 1000);
    let err = sheet::read(Kind::Xlsx, &bytes, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ArchiveBomb, "{err}");
    assert!(err.message.contains("declares 1000 bytes"), "{err}");
}

#[test]
fn gb18030_csv_with_excel_tab_artefacts() {
    let csv = "支付宝交易记录明细查询\n账号:[xx@example.com]\n\n\
               交易时间,交易对方,金额（元）,备注\n\
               2026-01-05 10:00:00\t,上海某某超市,\"1,234.50\",\t\n\
               2026-01-06 11:30:00\t,北京某某科技有限公司,20.00\n";
    let (bytes, _, bad) = encoding_rs::GB18030.encode(csv);
    assert!(!bad);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let doc = digitise_bytes("alipay.csv", &bytes, &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "csv");
    let s = &doc.sheets[0];
    assert_eq!((s.name.as_str(), s.index), ("alipay.csv", 1));
    assert!(
        s.rows.iter().all(|r| r.len() == 4),
        "padded to the widest row"
    );
    assert_eq!(s.rows[0][0], text("支付宝交易记录明细查询"));
    assert_eq!(s.rows[2][1], text("交易对方"));
    assert_eq!(s.rows[3][0], text("2026-01-05 10:00:00"));
    assert_eq!(s.rows[3][2], text("1,234.50"));
    assert_eq!(s.rows[3][3], CellValue::Empty);
    assert_eq!(s.rows[4][1], text("北京某某科技有限公司"));
    assert_eq!(s.rows[4][3], CellValue::Empty);
}

#[test]
fn utf16le_tab_separated_export() {
    let tsv = "日期\t摘要\t金额\r\n2026-01-05\t工资\t8000.00\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in tsv.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let doc = digitise_bytes("export.csv", &bytes, &DigitiseOptions::default()).unwrap();
    let s = &doc.sheets[0];
    assert_eq!(s.rows.len(), 2);
    assert_eq!(s.rows[0], vec![text("日期"), text("摘要"), text("金额")]);
    assert_eq!(s.rows[1][2], text("8000.00"));
    // Named .txt, the content decides between CSV and TSV.
    let doc = digitise_bytes("export.txt", &bytes, &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "tsv");
}

#[test]
fn undecodable_text_names_the_byte_offset() {
    let mut bytes = b"date,amount\n2026-01-05,1.00\n".to_vec();
    let at = bytes.len();
    bytes.extend_from_slice(&[0xFF, 0xFF, b'\n']);
    let err = text_table::read("x.csv", Kind::Csv, &bytes).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadEncoding, "{err}");
    assert!(err.message.contains(&format!("offset {at}")), "{err}");
    let err = digitise_bytes("x.csv", &bytes, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadEncoding, "{err}");
}

#[test]
fn semicolon_csv_with_quoted_newline() {
    let csv = "Datum;Text;Betrag\n05.01.2026;\"Miete\nJanuar\";-950,00\n";
    let s = text_table::read("de.csv", Kind::Csv, csv.as_bytes()).unwrap();
    assert_eq!(s.rows.len(), 2);
    assert_eq!(s.rows[1][1], text("Miete\nJanuar"));
    assert_eq!(s.rows[1][2], text("-950,00"));
}
