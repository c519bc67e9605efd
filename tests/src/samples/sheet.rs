//! Spreadsheet exports: an xlsx workbook laid out like a bank's "download as Excel" (title row,
//! key/value header, blank row, table with real dates and numbers, totals, a second sheet) and a
//! GB18030 CSV like a Chinese bank's export. Neither may carry a timestamp of when it was made.

use super::layout::{en_date, money};
use super::model::Statement;
use anyhow::{Context, Result};
use chrono::Datelike;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

/// xlsx cells are IEEE doubles by format; the conversion happens here and nowhere else, and
/// two-decimal amounts round-trip exactly through the 15 significant digits Excel keeps.
fn cell_number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
        .with_context(|| format!("date {d} out of Excel's range"))
}

/// An English statement as an xlsx workbook (sheet "Statement" plus an unrelated "Summary").
pub fn xlsx(s: &Statement) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // A fixed creation time keeps the bytes identical from run to run.
    wb.set_properties(
        &DocProperties::new()
            .set_title("Account statement")
            .set_author("Docket sample generator")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2026, 4, 1)?),
    );
    let bold = Format::new().set_bold();
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let amount = Format::new().set_num_format("#,##0.00");
    let bold_amount = Format::new().set_bold().set_num_format("#,##0.00");

    let ws = wb.add_worksheet();
    ws.set_name("Statement")?;
    ws.merge_range(
        0,
        0,
        0,
        5,
        &format!("{} - Current Account Statement", s.bank),
        &title,
    )?;
    ws.write_string_with_format(1, 0, "Account Holder", &bold)?;
    ws.write_string(1, 1, &s.holder)?;
    ws.write_string_with_format(2, 0, "Account Number", &bold)?;
    ws.write_string(2, 1, &s.account_number)?;
    ws.write_string_with_format(3, 0, "Currency", &bold)?;
    ws.write_string(3, 1, &s.currency)?;
    ws.write_string_with_format(4, 0, "Statement Period", &bold)?;
    ws.write_string(
        4,
        1,
        format!("{} to {}", en_date(s.period_start), en_date(s.period_end)),
    )?;
    ws.write_string_with_format(5, 0, "Opening Balance", &bold)?;
    ws.write_number_with_format(5, 1, cell_number(s.opening_balance), &amount)?;
    ws.write_string_with_format(6, 0, "Closing Balance", &bold)?;
    ws.write_number_with_format(6, 1, cell_number(s.closing_balance()), &amount)?;

    let header_row = 8;
    for (c, h) in [
        "Date",
        "Description",
        "Counterparty",
        "Paid Out",
        "Paid In",
        "Balance",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(header_row, c as u16, *h, &bold)?;
    }
    let mut row = header_row + 1;
    for e in &s.entries {
        ws.write_datetime_with_format(row, 0, excel_date(e.date)?, &date)?;
        ws.write_string(row, 1, &e.description)?;
        if let Some(cp) = &e.counterparty {
            ws.write_string(row, 2, cp)?;
        }
        let col = if e.amount.is_sign_negative() { 3 } else { 4 };
        ws.write_number_with_format(row, col, cell_number(e.amount.abs()), &amount)?;
        ws.write_number_with_format(row, 5, cell_number(e.balance), &amount)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Total", &bold)?;
    ws.write_number_with_format(row, 3, cell_number(s.total_debits()), &bold_amount)?;
    ws.write_number_with_format(row, 4, cell_number(s.total_credits()), &bold_amount)?;
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 48)?;
    ws.set_column_width(2, 24)?;
    for c in 3..=5 {
        ws.set_column_width(c, 13)?;
    }

    let summary = wb.add_worksheet();
    summary.set_name("Summary")?;
    summary.write_string_with_format(0, 0, "Branch", &bold)?;
    summary.write_string(0, 1, "Sample Branch 042")?;
    summary.write_string_with_format(1, 0, "Relationship manager", &bold)?;
    summary.write_string(1, 1, "R. Patel")?;
    summary.write_string_with_format(2, 0, "Rewards points", &bold)?;
    summary.write_number(2, 1, 1280)?;
    summary.write_string(
        4,
        0,
        "This sheet is informational and is not part of your statement.",
    )?;
    wb.save_to_buffer().context("writing the xlsx workbook")
}

/// A Chinese statement as a bank-portal CSV export in GB18030: `#` title lines with the header
/// fields (no opening or closing balance, as such exports usually omit them), a 收/支 direction
/// column, quoted amounts with thousands separators, CRLF line ends.
pub fn gb18030_csv(s: &Statement) -> Result<Vec<u8>> {
    let currency = if s.currency == "CNY" {
        "人民币"
    } else {
        &s.currency
    };
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push_str("\r\n");
    };
    line(format!("# {} 个人账户交易明细", s.bank));
    line(format!("# 户名：{}", s.holder));
    line(format!("# 账号：{}", s.account_number));
    line(format!("# 币种：{currency}"));
    line(format!(
        "# 起止日期：{} 至 {}",
        s.period_start.format("%Y-%m-%d"),
        s.period_end.format("%Y-%m-%d")
    ));
    line(String::new());
    line("交易日期,交易时间,收/支,交易金额,账户余额,摘要,对方户名,对方账号".to_string());
    for e in &s.entries {
        let direction = if e.amount.is_sign_negative() {
            "支出"
        } else {
            "收入"
        };
        line(format!(
            "{},{},{},\"{}\",\"{}\",{},{},{}",
            e.date.format("%Y-%m-%d"),
            e.time
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            direction,
            money(e.amount),
            money(e.balance),
            e.description,
            e.counterparty.as_deref().unwrap_or(""),
            e.counterparty_account.as_deref().unwrap_or(""),
        ));
    }
    line(format!(
        "# 收入合计：{}  支出合计：{}  共{}笔",
        money(s.total_credits()),
        money(s.total_debits()),
        s.entries.len()
    ));
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&t);
    anyhow::ensure!(
        !unmappable,
        "a character of the CSV has no GB18030 encoding"
    );
    Ok(bytes.into_owned())
}
