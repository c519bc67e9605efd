//! The [`Document`]: what every digitiser (PDF text layer, OCR, spreadsheet reader) produces and
//! every extractor reads. Pages carry words with boxes and confidences; sheets carry typed cells.
//! Nothing here knows where the bytes came from beyond [`SourceInfo`]; nothing here does I/O.

use crate::geometry::BBox;
use serde::{Deserialize, Serialize};

/// Where a document came from: enough for provenance and idempotency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Path as given by the user (not canonicalised, so output stays readable).
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Detected kind: `pdf`, `png`, `jpeg`, `tiff`, `xlsx`, `xls`, `xlsb`, `ods`, `csv`, `tsv`,
    /// `ofx`, `mt940`, `camt053`.
    pub kind: String,
}

/// How the words of a page were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOrigin {
    /// From the PDF's content stream (exact text, confidence 1).
    TextLayer,
    /// From OCR of a page image.
    Ocr,
}

/// One word (or CJK run) with its box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    /// The text, without surrounding whitespace.
    pub text: String,
    /// Where it is on the page.
    pub bbox: BBox,
    /// 0..=1; 1 for text-layer words, Tesseract's word confidence / 100 for OCR.
    pub confidence: f32,
}

/// A page of a PDF or an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// Page width in points.
    pub width: f32,
    /// Page height in points.
    pub height: f32,
    /// Whether the words came from the text layer or OCR.
    pub origin: TextOrigin,
    /// Words in reading order (top to bottom, left to right within a line).
    pub words: Vec<Word>,
    /// Rotation in degrees that was removed before OCR (deskew), 0 for text-layer pages.
    #[serde(default)]
    pub deskew_degrees: f32,
}

/// A line of words that share a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The words of the line, left to right.
    pub words: Vec<Word>,
    /// Union of the word boxes.
    pub bbox: BBox,
}

impl Line {
    /// Words joined with single spaces.
    pub fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Page {
    /// Groups the page's words into lines: words whose vertical extents overlap by more than half
    /// of the smaller height belong to one line. Lines come top to bottom, words left to right.
    pub fn lines(&self) -> Vec<Line> {
        let mut words: Vec<&Word> = self.words.iter().collect();
        words.sort_by(|a, b| a.bbox.cy().total_cmp(&b.bbox.cy()));
        let mut lines: Vec<Line> = Vec::new();
        for w in words {
            let h = w.bbox.height().max(0.1);
            let found = lines.iter_mut().rev().take(3).find(|l| {
                let lh = l.bbox.height().max(0.1);
                l.bbox.y_overlap(&w.bbox) > 0.5 * h.min(lh)
            });
            match found {
                Some(line) => {
                    line.bbox = line.bbox.union(&w.bbox);
                    line.words.push(w.clone());
                }
                None => lines.push(Line {
                    words: vec![w.clone()],
                    bbox: w.bbox,
                }),
            }
        }
        for l in &mut lines {
            l.words.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        }
        lines.sort_by(|a, b| a.bbox.y0.total_cmp(&b.bbox.y0));
        lines
    }

    /// All text of the page, one line per line.
    pub fn text(&self) -> String {
        self.lines()
            .iter()
            .map(Line::text)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A typed spreadsheet cell value. Numbers are kept as their shortest decimal text so that no
/// float ever reaches an amount; dates are ISO strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CellValue {
    /// No value.
    Empty,
    /// Text as stored.
    Text(String),
    /// A number, as the shortest decimal text that round-trips (`"1234.5"`).
    Number(String),
    /// A date, `YYYY-MM-DD`.
    Date(String),
    /// A date and time, `YYYY-MM-DDTHH:MM:SS`.
    DateTime(String),
    /// A boolean.
    Bool(bool),
    /// A cell error such as `#DIV/0!`.
    Error(String),
}

impl CellValue {
    /// The value as display text (empty for `Empty`).
    pub fn as_text(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Text(s)
            | CellValue::Number(s)
            | CellValue::Date(s)
            | CellValue::DateTime(s)
            | CellValue::Error(s) => s.clone(),
            CellValue::Bool(b) => b.to_string(),
        }
    }

    /// True for `Empty` and for text that is only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// One cell of a sheet with its 0-based position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// 0-based row.
    pub row: u32,
    /// 0-based column.
    pub col: u32,
    /// The value.
    pub value: CellValue,
}

/// A worksheet (or the single table of a CSV file): a dense grid of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    /// Sheet name (the file name for CSV).
    pub name: String,
    /// 1-based sheet index, used as the "page" in provenance.
    pub index: u32,
    /// Rows of cells; every row has the same length.
    pub rows: Vec<Vec<CellValue>>,
    /// Merged ranges `(first_row, first_col, last_row, last_col)`, 0-based inclusive; the value
    /// sits in the top-left cell only.
    #[serde(default)]
    pub merged: Vec<(u32, u32, u32, u32)>,
    /// Problems noticed while reading that a reviewer should see (e.g. a long number stored as a
    /// float that lost digits).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A digitised document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Where it came from.
    pub source: SourceInfo,
    /// Pages of a PDF or image (empty for spreadsheets).
    pub pages: Vec<Page>,
    /// Sheets of a workbook or CSV (empty for PDFs and images).
    pub sheets: Vec<Sheet>,
}

impl Document {
    /// Number of pages, or sheets for a workbook: the "pages" reported in `source`.
    pub fn page_count(&self) -> usize {
        if self.pages.is_empty() {
            self.sheets.len()
        } else {
            self.pages.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> Word {
        Word {
            text: t.into(),
            bbox: BBox::new(x0, y0, x1, y1),
            confidence: 1.0,
        }
    }

    #[test]
    fn lines_group_by_vertical_overlap_and_sort_left_to_right() {
        let page = Page {
            number: 1,
            width: 600.0,
            height: 800.0,
            origin: TextOrigin::TextLayer,
            words: vec![
                w("world", 60.0, 10.5, 90.0, 20.5),
                w("second", 10.0, 30.0, 50.0, 40.0),
                w("hello", 10.0, 10.0, 50.0, 20.0),
            ],
            deskew_degrees: 0.0,
        };
        let lines = page.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "hello world");
        assert_eq!(page.text(), "hello world\nsecond");
    }
}
