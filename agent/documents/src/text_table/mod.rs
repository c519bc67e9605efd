//! Reads CSV/TSV bank exports into one [`Sheet`] of text cells. Decoding is strict (see
//! [`decode`]); the delimiter is guessed for CSV (see [`delimiter`]); rows are padded to the
//! widest row. Cells stay text: the extractor parses amounts and dates with the column's
//! context, which a reader here does not have. Nothing here guesses values or drops rows.

pub(crate) mod decode;
pub(crate) mod delimiter;

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
    let delim = match kind {
        Kind::Tsv => b'\t',
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
    Ok(Sheet {
        name: name.to_string(),
        index: 1,
        rows,
        merged: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Trims a field and undoes the tricks exports use to stop Excel from reformatting values: a
/// tab before or after the value (`"2026-01-05\t"`, common in Chinese bank and Alipay exports)
/// and the `="00123"` formula wrapper.
pub(crate) fn clean_cell(field: &str) -> CellValue {
    let mut s = field.trim();
    if let Some(inner) = s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        s = inner.trim();
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
    }
}
