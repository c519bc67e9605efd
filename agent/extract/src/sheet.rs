//! Finds transaction tables in spreadsheets and CSV exports: title rows, notes and blank rows
//! above the header are skipped, a header split over two rows (a merged `交易金额` above
//! `收入 | 支出`) is joined, vertically merged cells are filled down. Cells keep their grid
//! position as provenance (`[col,row,col,row]`). It must never read a sheet without a header.

use crate::table::{Piece, RowIn, is_table_header, resolve_roles};
use crate::vocab::{self, Role};
use docket_core::{BBox, Document, Sheet};

/// One table found in one sheet.
#[derive(Debug, Clone)]
pub struct Area {
    /// Column roles.
    pub roles: Vec<Role>,
    /// Rows below the header.
    pub rows: Vec<RowIn>,
    /// All pieces of each row, for the rows the table reader does not take.
    pub row_pieces: Vec<Vec<Piece>>,
}

/// The sheet as text, with merged values filled: down the first column of a vertical merge, and
/// across a horizontal merge only for header detection (`across`).
fn grid(sheet: &Sheet, across: bool) -> Vec<Vec<String>> {
    let mut g: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.as_text().trim().to_string()).collect())
        .collect();
    for &(r0, c0, r1, c1) in &sheet.merged {
        let (r0, c0, r1, c1) = (r0 as usize, c0 as usize, r1 as usize, c1 as usize);
        let Some(v) = g.get(r0).and_then(|r| r.get(c0)).cloned() else {
            continue;
        };
        for (r, row) in g.iter_mut().enumerate().take(r1 + 1).skip(r0) {
            let last = if across { c1 } else { c0 };
            for cell in row.iter_mut().take(last + 1).skip(c0) {
                if (across || r != r0) && cell.is_empty() {
                    *cell = v.clone();
                }
            }
        }
    }
    g
}

fn known_headers(cells: &[String]) -> usize {
    cells
        .iter()
        .filter(|c| vocab::header_role(c).is_some())
        .count()
}

fn header_roles(cells: &[String]) -> Option<Vec<Role>> {
    let non_blank = cells.iter().filter(|c| !c.is_empty()).count();
    let raw: Vec<Option<Role>> = cells.iter().map(|c| vocab::header_role(c)).collect();
    let known = raw.iter().filter(|r| r.is_some()).count();
    if known < 3 || known * 2 < non_blank {
        return None;
    }
    let roles = resolve_roles(&raw);
    is_table_header(&roles).then_some(roles)
}

fn find_header(g: &[Vec<String>]) -> Option<(usize, usize, Vec<Role>)> {
    for r in 0..g.len() {
        if let Some(roles) = header_roles(&g[r]) {
            return Some((r, 1, roles));
        }
        // A key/value line (`起止日期：…`) right above the header is not part of it.
        // A title line (`中国银行信用卡账单(2025年01月)`) above a complete header is not part of
        // it either: the join must name more columns than the next row alone does.
        if let Some(next) = g.get(r + 1)
            && !g[r].iter().any(|c| c.contains([':', '：']))
            && (header_roles(next).is_none() || known_headers(&g[r]) > 0)
        {
            let joined: Vec<String> = g[r]
                .iter()
                .zip(next)
                .map(|(a, b)| if a == b { a.clone() } else { format!("{a}{b}") })
                .collect();
            if let Some(roles) = header_roles(&joined) {
                return Some((r, 2, roles));
            }
        }
    }
    None
}

fn pieces(sheet: &Sheet, row: &[String], r: usize) -> Vec<Vec<Piece>> {
    row.iter()
        .enumerate()
        .map(|(c, t)| {
            if t.is_empty() {
                Vec::new()
            } else {
                vec![Piece {
                    text: t.clone(),
                    page: sheet.index,
                    bbox: BBox::new(c as f32, r as f32, c as f32, r as f32),
                    confidence: 1.0,
                }]
            }
        })
        .collect()
}

/// Finds the table of every sheet that has one, and returns the cells outside tables.
pub fn areas(doc: &Document) -> (Vec<Area>, Vec<Vec<Piece>>) {
    let mut out = Vec::new();
    let mut outside = Vec::new();
    for sheet in &doc.sheets {
        let g = grid(sheet, false);
        let gh = grid(sheet, true);
        let Some((hr, n, roles)) = find_header(&gh) else {
            for (r, row) in g.iter().enumerate() {
                outside.push(pieces(sheet, row, r).into_iter().flatten().collect());
            }
            continue;
        };
        for (r, row) in g.iter().enumerate().take(hr) {
            outside.push(pieces(sheet, row, r).into_iter().flatten().collect());
        }
        let mut area = Area {
            roles: roles.clone(),
            rows: Vec::new(),
            row_pieces: Vec::new(),
        };
        for (r, row) in g.iter().enumerate().skip(hr + n) {
            let mut cells = pieces(sheet, row, r);
            cells.resize(roles.len(), Vec::new());
            area.row_pieces
                .push(cells.iter().flatten().cloned().collect());
            area.rows.push(RowIn {
                cells,
                continuation_ok: false,
            });
        }
        out.push(area);
    }
    (out, outside)
}
