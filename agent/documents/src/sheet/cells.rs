//! Turns a calamine range into a dense [`Sheet`]: numbers become their shortest decimal text,
//! dates ISO strings whatever the file format or epoch, cell errors stay visible as errors.
//! A float must never leave this module: an amount that went through `f64` arithmetic is wrong
//! by construction, so only `Display` (shortest round-trip text) is applied to it.

use crate::DigitiseError;
use calamine::{CellType, DataType, ExcelDateTime, Range};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use docket_core::{CellValue, ErrorCode, Sheet};

/// Numbers at or above this have more digits than a spreadsheet's double keeps exactly (15
/// significant digits): account and card numbers stored as numbers have already lost digits.
const LOST_DIGITS_AT: f64 = 1e15;
/// Warnings kept per sheet before they are summarised, so a column of 200k account numbers
/// does not bury the reviewer.
const MAX_WARNINGS: usize = 20;
/// Refuse grids larger than this: a hostile or broken file can claim a used range of a million
/// rows by sixteen thousand columns, and the dense model would allocate every cell.
const MAX_CELLS: u64 = 50_000_000;

/// Builds one sheet from a calamine range; `index` is the 1-based position in the workbook.
pub(crate) fn build_sheet<D: DataType + CellType>(
    name: &str,
    index: u32,
    range: &Range<D>,
    merged: Vec<(u32, u32, u32, u32)>,
) -> Result<Sheet, DigitiseError> {
    let mut ctx = Ctx {
        sheet: name,
        warnings: Vec::new(),
        dropped: 0,
    };
    let mut rows: Vec<Vec<CellValue>> = Vec::new();
    let (r0, c0, mut width, mut height) = match (range.start(), range.is_empty()) {
        (Some((r, c)), false) => {
            let (r, c) = (r as usize, c as usize);
            (r, c, c + range.width(), r + range.height())
        }
        _ => (0, 0, 0, 0),
    };
    // The grid covers merged ranges too, so every merged coordinate indexes a real cell.
    for &(_, _, last_row, last_col) in &merged {
        height = height.max(last_row as usize + 1);
        width = width.max(last_col as usize + 1);
    }
    {
        if (width as u64).saturating_mul(height as u64) > MAX_CELLS {
            return Err(DigitiseError::new(
                ErrorCode::FileTooLarge,
                format!(
                    "sheet '{name}' spans {height} rows by {width} columns, more than the \
                     {MAX_CELLS} cells Docket reads; delete unused rows and columns and save again"
                ),
            ));
        }
        rows.reserve(height);
        rows.resize_with(r0, || vec![CellValue::Empty; width]);
        for (i, src) in range.rows().enumerate() {
            let mut row = Vec::with_capacity(width);
            row.resize(c0, CellValue::Empty);
            for (j, cell) in src.iter().enumerate() {
                row.push(ctx.convert(cell, (r0 + i) as u32, (c0 + j) as u32));
            }
            row.resize(width, CellValue::Empty);
            rows.push(row);
        }
        rows.resize_with(height, || vec![CellValue::Empty; width]);
    }
    let mut warnings = ctx.warnings;
    if ctx.dropped > 0 {
        warnings.push(format!(
            "sheet '{name}': {} more cells hold numbers too long to be exact (see above)",
            ctx.dropped
        ));
    }
    Ok(Sheet {
        name: name.to_string(),
        index,
        rows,
        merged,
        warnings,
    })
}

struct Ctx<'a> {
    sheet: &'a str,
    warnings: Vec<String>,
    dropped: usize,
}

impl Ctx<'_> {
    fn convert<D: DataType>(&mut self, cell: &D, row: u32, col: u32) -> CellValue {
        if cell.is_empty() {
            return CellValue::Empty;
        }
        if let Some(s) = cell.get_string() {
            return text(s);
        }
        if let Some(f) = cell.get_float() {
            return self.number(f, row, col);
        }
        if let Some(i) = cell.get_int() {
            return self.number(i as f64, row, col);
        }
        if let Some(b) = cell.get_bool() {
            return CellValue::Bool(b);
        }
        if let Some(dt) = cell.get_datetime() {
            return self.excel_datetime(dt, row, col);
        }
        if let Some(s) = cell.get_datetime_iso() {
            return iso_datetime(s);
        }
        if let Some(s) = cell.get_duration_iso() {
            return CellValue::Text(iso_duration(s).unwrap_or_else(|| s.to_string()));
        }
        if let Some(e) = cell.get_error() {
            return CellValue::Error(e.to_string());
        }
        CellValue::Empty
    }

    fn number(&mut self, f: f64, row: u32, col: u32) -> CellValue {
        if !f.is_finite() {
            return CellValue::Error("#NUM!".into());
        }
        // `Display` for f64 is the shortest text that round-trips and never uses exponents.
        let s = if f == 0.0 {
            "0".to_string()
        } else {
            f.to_string()
        };
        if f.abs() >= LOST_DIGITS_AT {
            if self.warnings.len() < MAX_WARNINGS {
                self.warnings.push(format!(
                    "sheet '{}' cell {}: the number {s} has more digits than a spreadsheet \
                     stores exactly (15); its last digits may be lost. Kept as text; if it is an \
                     account or card number, ask for an export that stores it as text",
                    self.sheet,
                    a1(row, col)
                ));
            } else {
                self.dropped += 1;
            }
            return CellValue::Text(s);
        }
        CellValue::Number(s)
    }

    fn excel_datetime(&mut self, dt: ExcelDateTime, row: u32, col: u32) -> CellValue {
        if dt.is_duration() {
            return match dt.as_duration() {
                Some(d) => CellValue::Text(hms((d.num_milliseconds() + 500).div_euclid(1000))),
                None => self.number(dt.as_f64(), row, col),
            };
        }
        match dt.as_datetime() {
            // A serial below 1 has no date part: a time of day formatted as a time.
            Some(t) if (0.0..1.0).contains(&dt.as_f64()) => {
                CellValue::Text(round_to_second(t).time().format("%H:%M:%S").to_string())
            }
            Some(t) => date_or_datetime(round_to_second(t)),
            None => self.number(dt.as_f64(), row, col),
        }
    }
}

/// Text as stored, minus the tab that exports put before or after values to keep Excel from
/// reformatting them.
fn text(s: &str) -> CellValue {
    let t = s.trim_matches('\t');
    if t.trim().is_empty() {
        CellValue::Empty
    } else {
        CellValue::Text(t.to_string())
    }
}

/// ISO text from ODS (`2021-01-01`, `2021-01-01T10:10:10`, `10:10:10`).
fn iso_datetime(s: &str) -> CellValue {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return CellValue::Date(d.format("%Y-%m-%d").to_string());
    }
    if let Ok(t) = s.parse::<NaiveDateTime>() {
        return date_or_datetime(round_to_second(t));
    }
    if let Ok(t) = s.parse::<NaiveTime>() {
        return CellValue::Text(t.format("%H:%M:%S").to_string());
    }
    CellValue::Text(s.to_string())
}

/// `PT10H10M10.5S` as `10:10:11`, the same text an Excel duration gives.
fn iso_duration(s: &str) -> Option<String> {
    let body = s.strip_prefix("PT")?;
    let (mut secs, mut num) = (0.0f64, String::new());
    for c in body.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = num.parse().ok()?;
                secs += v * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                num.clear();
            }
            _ => return None,
        }
    }
    num.is_empty().then(|| hms(secs.round() as i64))
}

fn hms(secs: i64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Midnight means a date cell: the same value reads as `Date` from every format.
fn date_or_datetime(t: NaiveDateTime) -> CellValue {
    if t.time() == NaiveTime::MIN {
        CellValue::Date(t.date().format("%Y-%m-%d").to_string())
    } else {
        CellValue::DateTime(t.format("%Y-%m-%dT%H:%M:%S").to_string())
    }
}

fn round_to_second(t: NaiveDateTime) -> NaiveDateTime {
    let whole = t.with_nanosecond(0).unwrap_or(t);
    if t.nanosecond() >= 500_000_000 {
        whole + chrono::Duration::seconds(1)
    } else {
        whole
    }
}

/// `A1`-style reference of a 0-based cell.
pub(crate) fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        let rem = ((c - 1) % 26) as u8;
        letters.push(b'A' + rem);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row as u64 + 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(9, 25), "Z10");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
    }

    #[test]
    fn iso_dates_and_times() {
        assert_eq!(
            iso_datetime("2021-01-01"),
            CellValue::Date("2021-01-01".into())
        );
        assert_eq!(
            iso_datetime("2021-01-01T00:00:00"),
            CellValue::Date("2021-01-01".into())
        );
        assert_eq!(
            iso_datetime("2021-01-01T10:10:10.9999"),
            CellValue::DateTime("2021-01-01T10:10:11".into())
        );
        assert_eq!(iso_datetime("10:10:10"), CellValue::Text("10:10:10".into()));
        assert_eq!(iso_duration("PT10H10M10.6S").as_deref(), Some("10:10:11"));
        assert_eq!(iso_duration("PT255H10M10S").as_deref(), Some("255:10:10"));
        assert_eq!(iso_duration("P1D"), None);
    }

    #[test]
    fn numbers_are_shortest_text_and_long_ones_warn() {
        let mut ctx = Ctx {
            sheet: "S",
            warnings: Vec::new(),
            dropped: 0,
        };
        assert_eq!(ctx.number(1234.5, 0, 0), CellValue::Number("1234.5".into()));
        assert_eq!(
            ctx.number(0.1 + 0.2, 0, 0),
            CellValue::Number("0.30000000000000004".into())
        );
        assert_eq!(ctx.number(3.0, 0, 0), CellValue::Number("3".into()));
        assert_eq!(ctx.number(-0.0, 0, 0), CellValue::Number("0".into()));
        assert_eq!(
            ctx.number(1e-7, 0, 0),
            CellValue::Number("0.0000001".into())
        );
        assert!(ctx.warnings.is_empty());
        assert_eq!(
            ctx.number(6222020200012345678.0, 4, 1),
            CellValue::Text("6222020200012345000".into())
        );
        assert!(ctx.warnings[0].contains("cell B5"), "{:?}", ctx.warnings);
    }
}
