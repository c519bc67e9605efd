//! Spreadsheet forms of a zoo table: an xlsx workbook (text cells, or real dates and numbers when
//! the layout is typed) and a CSV export (comma or semicolon, UTF-8 with or without a byte-order
//! mark, or GB18030), each with the layout's header block above the table when it has one.

use super::render::{Cell, RowKind, Table, Typed};
use super::{Format, Lang, Layout, Role};
use anyhow::{Context, Result};
use chrono::Datelike;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Workbook, Worksheet};

/// xlsx numbers are doubles by format; two-decimal amounts round-trip exactly.
fn double(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    typed: bool,
    date_fmt: &XFormat,
    num_fmt: &XFormat,
) -> Result<()> {
    if cell.text.is_empty() {
        return Ok(());
    }
    match (&cell.typed, typed) {
        (Typed::Number(n), true) => {
            ws.write_number_with_format(row, col, double(*n), num_fmt)?;
        }
        (Typed::Date(d), true) => {
            let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                .with_context(|| format!("date {d} out of Excel's range"))?;
            ws.write_datetime_with_format(row, col, x, date_fmt)?;
        }
        _ => {
            ws.write_string(row, col, &cell.text)?;
        }
    }
    Ok(())
}

/// The table as an xlsx workbook.
pub fn xlsx(l: &Layout, t: &Table) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title("Statement")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2026, 4, 1)?),
    );
    let bold = XFormat::new().set_bold();
    let date_fmt = XFormat::new().set_num_format(if l.european {
        "dd.mm.yyyy"
    } else if l.lang == Lang::Zh {
        "yyyy-mm-dd"
    } else {
        "dd/mm/yyyy"
    });
    let num_fmt = XFormat::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name(match (l.lang, l.index % 3) {
        (Lang::Zh, 0) => "交易明细",
        (Lang::Zh, _) => "Sheet1",
        (Lang::En, 0) => "Statement",
        (Lang::En, 1) => "Transactions",
        (Lang::En, _) => "Sheet1",
    })?;
    let mut r = 0u32;
    if !t.fields.is_empty() {
        ws.write_string_with_format(r, 0, &t.title, &bold)?;
        r += 1;
        for (label, value) in &t.fields {
            ws.write_string_with_format(r, 0, label, &bold)?;
            write_cell(ws, r, 1, value, l.typed, &date_fmt, &num_fmt)?;
            r += 1;
        }
        r += 1;
    }
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, h, &bold)?;
    }
    r += 1;
    for row in &t.rows {
        for (c, cell) in row.cells.iter().enumerate() {
            write_cell(ws, r, c as u16, cell, l.typed, &date_fmt, &num_fmt)?;
        }
        r += 1;
    }
    for (c, role) in t.roles.iter().enumerate() {
        let w = match role {
            Role::Desc | Role::Counterparty => 36.0,
            Role::CpAccount => 22.0,
            _ => 14.0,
        };
        ws.set_column_width(c as u16, w)?;
    }
    wb.save_to_buffer().context("writing the zoo xlsx")
}

fn csv_field(text: &str, sep: char) -> String {
    if text.contains(sep) || text.contains('"') || text.contains('\n') || text.contains(',') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The table as a CSV export in the layout's encoding and separator.
pub fn csv(l: &Layout, t: &Table) -> Result<Vec<u8>> {
    let sep = if l.semicolon { ';' } else { ',' };
    let zh = l.lang == Lang::Zh;
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let joined: Vec<String> = cells.iter().map(|c| csv_field(c, sep)).collect();
        out.push_str(&joined.join(&sep.to_string()));
        out.push_str("\r\n");
    };
    if !t.fields.is_empty() {
        line(vec![t.title.clone()]);
        for (k, (label, value)) in t.fields.iter().enumerate() {
            // Alternate between "label,value" and a single "label：value" cell.
            if (l.labels + k).is_multiple_of(2) || !zh {
                line(vec![label.clone(), value.text.clone()]);
            } else {
                line(vec![format!("{label}：{}", value.text)]);
            }
        }
        line(Vec::new());
    }
    line(t.headers.clone());
    let desc = t.roles.iter().position(|r| *r == Role::Desc);
    for row in &t.rows {
        let cells = row
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if l.wrap_desc && Some(i) == desc && row.kind == RowKind::Txn {
                    match c.text.split_once(' ') {
                        Some((a, b)) => format!("{a}\n{b}"),
                        None => c.text.clone(),
                    }
                } else {
                    c.text.clone()
                }
            })
            .collect();
        line(cells);
    }
    match l.format {
        Format::CsvGb18030 => {
            let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&out);
            anyhow::ensure!(
                !unmappable,
                "a character of the CSV has no GB18030 encoding"
            );
            Ok(bytes.into_owned())
        }
        _ => {
            let mut bytes = if l.bom {
                vec![0xEF, 0xBB, 0xBF]
            } else {
                Vec::new()
            };
            bytes.extend_from_slice(out.as_bytes());
            Ok(bytes)
        }
    }
}
