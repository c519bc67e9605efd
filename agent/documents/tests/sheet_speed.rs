//! Throughput of the workbook and CSV readers on 200k generated rows. Ignored by default (it
//! only means something in a release build) and it prints figures instead of asserting times:
//! `cargo test -p docket-documents --release --test sheet_speed -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::Reader;
use docket_core::CellValue;
use docket_documents::{DigitiseOptions, Kind, sheet, text_table};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::time::Instant;

const ROWS: u32 = 200_000;

#[test]
#[ignore]
fn xlsx_200k_rows() {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    for (c, h) in ["日期", "摘要", "对方户名", "金额", "余额", "流水号"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let d = ExcelDateTime::from_ymd(2026, 1, 5).unwrap();
    for r in 1..=ROWS {
        ws.write_datetime_with_format(r, 0, &d, &date).unwrap();
        ws.write_string(r, 1, "转账").unwrap();
        ws.write_string(r, 2, format!("客户{}", r % 977)).unwrap();
        ws.write_number(r, 3, (r % 10_000) as f64 / 100.0).unwrap();
        ws.write_number(r, 4, 1_000_000.0 + r as f64 * 0.37)
            .unwrap();
        ws.write_string(r, 5, format!("TX{r:010}")).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();

    let t = Instant::now();
    let sheets = sheet::read(Kind::Xlsx, &bytes, &DigitiseOptions::default()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(sheets[0].rows.len(), ROWS as usize + 1);
    assert_eq!(sheets[0].rows[1][0], CellValue::Date("2026-01-05".into()));

    let t = Instant::now();
    let mut raw: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    let range = raw.worksheet_range("Sheet1").unwrap();
    let calamine_secs = t.elapsed().as_secs_f64();
    assert_eq!(range.height(), ROWS as usize + 1);
    let t = Instant::now();
    let merges = raw.merge_cells_by_sheet_name("Sheet1").unwrap();
    let merge_secs = t.elapsed().as_secs_f64();
    assert!(merges.is_empty());
    let t = Instant::now();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    for i in 0..zip.len() {
        std::io::copy(&mut zip.by_index(i).unwrap(), &mut std::io::sink()).unwrap();
    }
    let inflate_secs = t.elapsed().as_secs_f64();
    println!(
        "  of which: merged-range scan {merge_secs:.3}s, inflating every entry {inflate_secs:.3}s"
    );
    println!(
        "xlsx {} bytes, {ROWS} rows x 6: sheet::read {secs:.3}s = {:.0} rows/s \
         (calamine worksheet_range alone {calamine_secs:.3}s)",
        bytes.len(),
        ROWS as f64 / secs
    );
}

#[test]
#[ignore]
fn csv_200k_rows() {
    let mut text = String::from("交易时间,交易对方,金额,备注\n");
    for r in 0..ROWS {
        text.push_str(&format!(
            "2026-01-05 10:{:02}:{:02}\t,客户{},{}.{:02},\"note, {r}\"\n",
            r / 60 % 60,
            r % 60,
            r % 977,
            r % 5000,
            r % 100
        ));
    }
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    for (label, bytes) in [("utf-8", text.as_bytes()), ("gb18030", &gb[..])] {
        let t = Instant::now();
        let s = text_table::read("x.csv", Kind::Csv, bytes).unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(s.rows.len(), ROWS as usize + 1);
        assert_eq!(s.rows[1][0], CellValue::Text("2026-01-05 10:00:00".into()));
        println!(
            "csv {label} {} bytes, {ROWS} rows x 4: {secs:.3}s = {:.0} rows/s",
            bytes.len(),
            ROWS as f64 / secs
        );
    }
}
