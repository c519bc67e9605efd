//! Reads CSV/TSV bank exports into one [`Sheet`] of text cells. Decoding is strict (see
//! [`decode`]); the delimiter is guessed for CSV from the table part, not the title block (see
//! [`delimiter`]); rows are padded to the widest row; quoted fields keep their line breaks. Cells
//! stay text: the extractor parses amounts and dates with the column's context, which a reader
//! here does not have. Nothing here guesses values or drops rows.
//!
//! Exports "in disguise" are read too: delimited text or an HTML table or Excel 2003 XML saved
//! under a workbook name (`.xls`, `.xlsx`) is read as what it is (see [`markup`]), with a warning
//! on the sheet saying so.

pub(crate) mod decode;
pub(crate) mod delimiter;
pub(crate) mod markup;

pub use delimiter::guess_delimiter;

use crate::{DigitiseError, Kind};
use docket_core::{CellValue, ErrorCode, Sheet};

/// Reads a delimited text file into one sheet named `name` (index 1).
pub fn read(name: &str, kind: Kind, bytes: &[u8]) -> Result<Sheet, DigitiseError> {
    if bytes.is_empty() {
        return Err(DigitiseError::new(
            ErrorCode::EmptyFile,
            "file is empty (0 bytes); fetch the document again",
        ));
    }
    let text = decode::decode(bytes)?;
    let disguised = workbook_extension(name);
    if let Some(markup) = markup::sniff_markup(&text) {
        return read_markup(name, markup, &text, disguised);
    }
    let delim = match kind {
        Kind::Tsv if disguised.is_none() => b'\t',
        _ => delimiter::guess_delimiter(&text),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows: Vec<Vec<CellValue>> = Vec::new();
    let mut width = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let row: Vec<CellValue> = record.iter().map(clean_cell).collect();
                width = width.max(row.len());
                rows.push(row);
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(DigitiseError::new(
                    ErrorCode::BadEncoding,
                    format!("cannot split line {line} into fields: {e}; re-export the file"),
                ));
            }
        }
    }
    for row in &mut rows {
        row.resize(width, CellValue::Empty);
    }
    let mut warnings = Vec::new();
    if let Some(ext) = disguised {
        let what = match delim {
            b'\t' => "tab-separated text",
            b';' => "semicolon-separated text",
            b'|' => "pipe-separated text",
            _ => "comma-separated text",
        };
        warnings.push(format!("named .{ext} but is {what}; read as text"));
    }
    Ok(Sheet {
        name: name.to_string(),
        index: 1,
        rows,
        merged: Vec::new(),
        warnings,
    })
}

fn read_markup(
    name: &str,
    markup: markup::Markup,
    text: &str,
    disguised: Option<String>,
) -> Result<Sheet, DigitiseError> {
    let grid = match markup {
        markup::Markup::Html => markup::read_html(text),
        markup::Markup::SpreadsheetMl => markup::read_spreadsheet_ml(text),
    };
    if grid.rows.iter().all(|r| r.iter().all(CellValue::is_blank)) {
        let msg = match (markup, grid.tables) {
            (markup::Markup::Html, 0) => {
                "is an HTML page without a table (perhaps a sign-in or error page saved instead \
                 of the export); sign in to the bank's site and download the export again"
            }
            (markup::Markup::Html, _) => {
                "is an HTML page whose tables have no cells; download the export again, or \
                 choose CSV or Excel as the export format"
            }
            (markup::Markup::SpreadsheetMl, _) => {
                "is an Excel 2003 XML spreadsheet whose first worksheet has no cells; open it \
                 in Excel, check the data is there and save it as .xlsx"
            }
        };
        return Err(DigitiseError::new(ErrorCode::UnsupportedFile, msg));
    }
    let mut rows = grid.rows;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut rows {
        row.resize(width, CellValue::Empty);
    }
    let mut warnings = Vec::new();
    if let Some(ext) = disguised {
        warnings.push(format!(
            "named .{ext} but is {}; read as text",
            markup.description()
        ));
    }
    if markup == markup::Markup::Html && grid.tables > 1 {
        warnings.push(format!(
            "the page holds {} tables; their rows follow one another in this sheet",
            grid.tables
        ));
    }
    warnings.extend(grid.warnings);
    Ok(Sheet {
        name: name.to_string(),
        index: 1,
        rows,
        merged: grid.merged,
        warnings,
    })
}

/// The workbook extension (`xls`, `xlsx`, ...) of a file name, if it has one: text under such
/// a name is an export in disguise, and the sheet says so.
fn workbook_extension(name: &str) -> Option<String> {
    let ext = std::path::Path::new(name)
        .extension()?
        .to_string_lossy()
        .to_ascii_lowercase();
    matches!(ext.as_str(), "xls" | "xlsx" | "xlsm" | "xlsb" | "ods").then_some(ext)
}

/// Trims a field and undoes the tricks exports use to stop Excel from reformatting values: a
/// tab or spaces before or after the value (`"2026-01-05\t"`, common in Chinese bank, Alipay
/// and JD exports), the `="00123"` formula wrapper and the leading apostrophe (`'0001234`, and
/// BMO's `'5191230192200110'` with a closing one too). The result is always text: such a cell
/// is an identifier or a date the export wanted kept as written, never a number to compute.
pub fn clean_cell(field: &str) -> CellValue {
    let mut s = field.trim();
    let unwrapped;
    if let Some(inner) = s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        // Inside the formula's string literal a quote is written twice.
        unwrapped = inner.replace("\"\"", "\"");
        s = unwrapped.trim();
    } else if let Some(inner) = s.strip_prefix('\'')
        && inner
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '='))
    {
        s = inner.strip_suffix('\'').unwrap_or(inner).trim();
    }
    if s.is_empty() {
        CellValue::Empty
    } else {
        CellValue::Text(s.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cleans_excel_text_tricks() {
        assert_eq!(
            clean_cell("\t2026-01-05\t"),
            CellValue::Text("2026-01-05".into())
        );
        assert_eq!(
            clean_cell("=\"0012345\""),
            CellValue::Text("0012345".into())
        );
        assert_eq!(clean_cell("  \t "), CellValue::Empty);
        assert_eq!(
            clean_cell("=\"1000345234234223\t\"\t"),
            CellValue::Text("1000345234234223".into())
        );
        assert_eq!(
            clean_cell("=\"a \"\"b\"\"\""),
            CellValue::Text("a \"b\"".into())
        );
        assert_eq!(clean_cell("=\"\""), CellValue::Empty);
        assert_eq!(clean_cell("'0001234"), CellValue::Text("0001234".into()));
        assert_eq!(
            clean_cell("'5191230192200110'"),
            CellValue::Text("5191230192200110".into())
        );
        // An apostrophe before words is punctuation, not Excel's text marker.
        assert_eq!(
            clean_cell("'Tis the season"),
            CellValue::Text("'Tis the season".into())
        );
        assert_eq!(
            clean_cell("\u{3000}¥12.50\u{a0}"),
            CellValue::Text("¥12.50".into())
        );
    }
}
