//! Finds the repeated table of a tabular document (a statement, a ledger export) without knowing
//! its vocabulary: a line of labels followed by lines that hold dates or amounts gives the
//! columns; every later line (on every page, re-anchored where the header repeats) that holds a
//! date or an amount is a row. The header's labels make the layout fingerprint under which a
//! learned template is stored.

use crate::norm;
use crate::prompt::line_cells;
use docket_core::hash::sha256_parts;
use docket_core::{BBox, Document};

/// One cell of a row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// The cell's text (words joined by spaces), empty when nothing is in the column.
    pub text: String,
    /// Page (sheet index).
    pub page: u32,
    /// Box of the words (for sheets `[col,row,col,row]`).
    pub bbox: BBox,
}

/// A table found in a document.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Header labels, one per column.
    pub header: Vec<String>,
    /// Data rows, every row with one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Lines outside the table (above, between and below), cells separated, for header fields.
    pub outside: Vec<Vec<Cell>>,
    /// Hash of the header labels: equal for documents of one layout.
    pub fingerprint: String,
}

fn is_value(text: &str) -> bool {
    !norm::amount_candidates(text).is_empty() || !norm::date_candidates(text).is_empty()
}

fn is_label(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !is_value(text)
}

/// Cells of one page line with their boxes.
fn cells_of(line: &docket_core::document::Line, page: u32) -> Vec<Cell> {
    let texts = line_cells(line);
    let mut out = Vec::with_capacity(texts.len());
    let mut words = line.words.iter();
    for t in texts {
        let n = t.split(' ').count();
        let ws: Vec<_> = words.by_ref().take(n).collect();
        let bbox = ws
            .iter()
            .skip(1)
            .fold(ws.first().map(|w| w.bbox).unwrap_or_default(), |b, w| {
                b.union(&w.bbox)
            });
        out.push(Cell {
            text: t,
            page,
            bbox,
        });
    }
    out
}

fn fingerprint(kind: &str, header: &[String]) -> String {
    let mut parts: Vec<Vec<u8>> = vec![kind.as_bytes().to_vec()];
    parts.extend(header.iter().map(|h| norm::squash(h).into_bytes()));
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    sha256_parts(&refs)
}

/// Assigns the words of a line to columns bounded by the midpoints between header cells.
fn to_columns(line: &docket_core::document::Line, page: u32, header: &[Cell]) -> Vec<Cell> {
    let mut row: Vec<Cell> = header
        .iter()
        .map(|_| Cell {
            page,
            ..Cell::default()
        })
        .collect();
    for w in &line.words {
        let cx = w.bbox.cx();
        let mut col = header.len() - 1;
        for i in 0..header.len() - 1 {
            let boundary = (header[i].bbox.x1 + header[i + 1].bbox.x0) / 2.0;
            if cx < boundary {
                col = i;
                break;
            }
        }
        let c = &mut row[col];
        if c.text.is_empty() {
            c.bbox = w.bbox;
        } else {
            c.text.push(' ');
            c.bbox = c.bbox.union(&w.bbox);
        }
        c.text.push_str(&w.text);
    }
    row
}

/// The table of a document of pages or sheets, if it has one with at least `min_rows` rows.
pub fn find(doc: &Document, min_rows: usize) -> Option<Table> {
    let t = if doc.pages.is_empty() {
        find_in_sheets(doc)
    } else {
        find_in_pages(doc)
    }?;
    (t.rows.len() >= min_rows).then_some(t)
}

fn find_in_pages(doc: &Document) -> Option<Table> {
    let mut table = Table::default();
    let mut header: Option<Vec<Cell>> = None;
    let mut wanted: Vec<String> = Vec::new();
    for page in &doc.pages {
        let lines = page.lines();
        for (i, line) in lines.iter().enumerate() {
            let cells = cells_of(line, page.number);
            let squashed: Vec<String> = cells.iter().map(|c| norm::squash(&c.text)).collect();
            if !wanted.is_empty() && squashed == wanted {
                header = Some(cells);
                continue;
            }
            if header.is_none()
                && cells.len() >= 3
                && cells.iter().all(|c| is_label(&c.text))
                && lines.get(i + 1).is_some_and(|next| {
                    cells_of(next, page.number)
                        .iter()
                        .filter(|c| is_value(&c.text))
                        .count()
                        >= 2
                })
            {
                table.header = cells.iter().map(|c| c.text.clone()).collect();
                wanted = squashed;
                header = Some(cells);
                continue;
            }
            match &header {
                Some(h) if cells.iter().any(|c| is_value(&c.text)) && cells.len() >= 2 => {
                    table.rows.push(to_columns(line, page.number, h));
                }
                _ => table.outside.push(cells),
            }
        }
    }
    if table.header.is_empty() {
        return None;
    }
    table.fingerprint = fingerprint("pages", &table.header);
    Some(table)
}

fn find_in_sheets(doc: &Document) -> Option<Table> {
    let mut table = Table::default();
    for sheet in &doc.sheets {
        let mut cols: Option<usize> = None;
        for (r, row) in sheet.rows.iter().enumerate() {
            let cells: Vec<Cell> = row
                .iter()
                .enumerate()
                .map(|(c, v)| Cell {
                    text: v.as_text(),
                    page: sheet.index,
                    bbox: BBox::new(c as f32, r as f32, c as f32, r as f32),
                })
                .collect();
            let filled: Vec<&Cell> = cells.iter().filter(|c| !c.text.trim().is_empty()).collect();
            if cols.is_none()
                && table.header.is_empty()
                && filled.len() >= 3
                && filled.iter().all(|c| is_label(&c.text))
                && sheet
                    .rows
                    .get(r + 1)
                    .is_some_and(|n| n.iter().filter(|v| is_value(&v.as_text())).count() >= 2)
            {
                table.header = cells.iter().map(|c| c.text.clone()).collect();
                cols = Some(cells.len());
                continue;
            }
            if cols.is_none() && !table.header.is_empty() {
                let texts: Vec<String> = cells.iter().map(|c| c.text.clone()).collect();
                if texts == table.header {
                    cols = Some(cells.len());
                    continue;
                }
            }
            match cols {
                Some(_) if filled.iter().any(|c| is_value(&c.text)) => table.rows.push(cells),
                _ => {
                    if !filled.is_empty() {
                        table.outside.push(filled.into_iter().cloned().collect());
                    }
                }
            }
        }
    }
    if table.header.is_empty() {
        return None;
    }
    table.fingerprint = fingerprint("sheets", &table.header);
    Some(table)
}
