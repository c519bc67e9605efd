//! Spreadsheet exports: an xlsx workbook laid out like a bank's "download as Excel" (title row,
//! key/value header, blank row, table with real dates and numbers, totals, a second sheet) and a
//! GB18030 CSV like a Chinese bank's export. Neither may carry a timestamp of when it was made.

use super::layout::{en_date, money};
use super::model::{Flavour, Statement};
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

/// Worksheets in [`xlsx`]'s workbook: the statement and an informational summary.
pub const XLSX_SHEETS: usize = 2;

/// A statement as an xlsx workbook: sheet "Statement" (English) or "交易明细" (Chinese), in the
/// flavour's vocabulary and columns, plus an unrelated "Summary" sheet.
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

    let zh = s.flavour == Flavour::Chinese;
    let ws = wb.add_worksheet();
    ws.set_name(if zh { "交易明细" } else { "Statement" })?;
    let (title_text, headers, keys): (String, &[&str], [&str; 6]) = if zh {
        (
            format!("{} 个人账户交易明细", s.bank),
            &[
                "交易日期",
                "交易时间",
                "摘要",
                "对方户名",
                "对方账号",
                "收入",
                "支出",
                "余额",
            ],
            ["户名", "账号", "币种", "起止日期", "期初余额", "期末余额"],
        )
    } else {
        (
            format!("{} - Current Account Statement", s.bank),
            &[
                "Date",
                "Description",
                "Counterparty",
                "Paid Out",
                "Paid In",
                "Balance",
            ],
            [
                "Account Holder",
                "Account Number",
                "Currency",
                "Statement Period",
                "Opening Balance",
                "Closing Balance",
            ],
        )
    };
    let last_col = headers.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last_col, &title_text, &title)?;
    let currency = if zh && s.currency == "CNY" {
        "人民币".to_string()
    } else {
        s.currency.clone()
    };
    let period = if zh {
        format!(
            "{} 至 {}",
            s.period_start.format("%Y-%m-%d"),
            s.period_end.format("%Y-%m-%d")
        )
    } else {
        format!("{} to {}", en_date(s.period_start), en_date(s.period_end))
    };
    for (r, (key, value)) in keys
        .iter()
        .zip([&s.holder, &s.account_number, &currency, &period])
        .enumerate()
    {
        ws.write_string_with_format(1 + r as u32, 0, *key, &bold)?;
        ws.write_string(1 + r as u32, 1, value)?;
    }
    ws.write_string_with_format(5, 0, keys[4], &bold)?;
    ws.write_number_with_format(5, 1, cell_number(s.opening_balance), &amount)?;
    ws.write_string_with_format(6, 0, keys[5], &bold)?;
    ws.write_number_with_format(6, 1, cell_number(s.closing_balance()), &amount)?;

    let header_row = 8;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, *h, &bold)?;
    }
    // Column of each role: (time, description, counterparty, account, paid out, paid in, balance).
    let (time_col, desc_col, cp_col, acct_col, out_col, in_col, bal_col) = if zh {
        (Some(1), 2, 3, Some(4), 6, 5, 7)
    } else {
        (None, 1, 2, None, 3, 4, 5)
    };
    let mut row = header_row + 1;
    for e in &s.entries {
        ws.write_datetime_with_format(row, 0, excel_date(e.date)?, &date)?;
        if let (Some(c), Some(t)) = (time_col, e.time) {
            // Banks export times as text; a reader must not need Excel's day fractions.
            ws.write_string(row, c, t.format("%H:%M:%S").to_string())?;
        }
        ws.write_string(row, desc_col, &e.description)?;
        if let Some(cp) = &e.counterparty {
            ws.write_string(row, cp_col, cp)?;
        }
        if let (Some(c), Some(a)) = (acct_col, &e.counterparty_account) {
            ws.write_string(row, c, a)?;
        }
        let col = if e.amount.is_sign_negative() {
            out_col
        } else {
            in_col
        };
        ws.write_number_with_format(row, col, cell_number(e.amount.abs()), &amount)?;
        ws.write_number_with_format(row, bal_col, cell_number(e.balance), &amount)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, if zh { "合计" } else { "Total" }, &bold)?;
    ws.write_number_with_format(row, out_col, cell_number(s.total_debits()), &bold_amount)?;
    ws.write_number_with_format(row, in_col, cell_number(s.total_credits()), &bold_amount)?;
    ws.set_column_width(0, 12)?;
    ws.set_column_width(desc_col, if zh { 14 } else { 48 })?;
    ws.set_column_width(cp_col, 26)?;
    if let Some(c) = acct_col {
        ws.set_column_width(c, 22)?;
    }
    for c in out_col.min(in_col)..=bal_col {
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
