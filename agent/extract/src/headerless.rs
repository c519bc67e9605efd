//! Pages whose table has no header the vocabulary can name (or none at all): the columns are
//! inferred from the value lines themselves. A value line starts with a date and holds at least
//! one amount; amounts are placed in columns by their right edges (banks right-align money), the
//! words between the date and the first amount are the description, and the roles come from the
//! same content rules as a headerless spreadsheet ([`crate::sheet::infer_roles`]: one signed
//! amount column, or debit and credit told apart by the running balance). Used only when no
//! header was found anywhere in the document; it never guesses when the content is ambiguous,
//! and a table read this way is marked inferred, so that without arithmetic to confirm it the
//! document goes to review.

use crate::layout::{Area, piece};
use crate::parse;
use crate::table::{Piece, RowIn};
use docket_core::{Document, Word};

/// How many leading words of `words` make a date (1 to 3), if any.
fn leading_date(words: &[Word]) -> Option<usize> {
    (1..=3.min(words.len())).rev().find(|&n| {
        let text = words[..n]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        parse::is_date(&text)
    })
}

/// A money token: an amount with a decimal or thousands separator (a bare integer is more
/// often a reference than money).
fn is_money(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
        && t.contains(['.', ','])
        && parse::parse_amount(t).is_some()
        && !parse::is_date(t)
}

struct ValueLine {
    page: u32,
    date: Vec<Word>,
    desc: Vec<Word>,
    amounts: Vec<Word>,
}

/// Reads the tables of a document without a header. Returns the areas (one per document) and
/// the lines outside them, or `None` when the value lines do not make one unambiguous table.
pub fn areas(doc: &Document) -> Option<(Vec<Area>, Vec<Vec<Piece>>)> {
    let mut values: Vec<(usize, ValueLine)> = Vec::new();
    let mut all: Vec<(u32, docket_core::document::Line)> = Vec::new();
    for page in &doc.pages {
        for line in page.lines() {
            let idx = all.len();
            if let Some(n) = leading_date(&line.words) {
                let rest = &line.words[n..];
                let amounts: Vec<Word> =
                    rest.iter().filter(|w| is_money(&w.text)).cloned().collect();
                if !amounts.is_empty() {
                    let desc = rest
                        .iter()
                        .filter(|w| !is_money(&w.text))
                        .cloned()
                        .collect();
                    values.push((
                        idx,
                        ValueLine {
                            page: page.number,
                            date: line.words[..n].to_vec(),
                            desc,
                            amounts,
                        },
                    ));
                }
            }
            all.push((page.number, line));
        }
    }
    if values.len() < 3 {
        return None;
    }
    // Columns of money by right edge: edges closer than two average character widths are one
    // column.
    let mut edges: Vec<f32> = values
        .iter()
        .flat_map(|(_, v)| v.amounts.iter().map(|w| w.bbox.x1))
        .collect();
    edges.sort_by(f32::total_cmp);
    let char_w = values
        .iter()
        .flat_map(|(_, v)| &v.amounts)
        .map(|w| w.bbox.width() / w.text.chars().count().max(1) as f32)
        .sum::<f32>()
        / edges.len().max(1) as f32;
    let tol = (2.0 * char_w).max(2.0);
    let mut columns: Vec<(f32, f32)> = Vec::new();
    for x in edges {
        match columns.last_mut() {
            Some(c) if x - c.1 <= tol => c.1 = x,
            _ => columns.push((x, x)),
        }
    }
    if columns.len() > 4 {
        return None;
    }
    let slot = |x: f32| {
        columns
            .iter()
            .position(|(a, b)| x >= a - tol && x <= b + tol)
            .unwrap_or(0)
    };
    let width = 2 + columns.len();
    let grid: Vec<Vec<String>> = values
        .iter()
        .map(|(_, v)| {
            let mut row = vec![String::new(); width];
            row[0] = v
                .date
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            row[1] = crate::table::join_texts(v.desc.iter().map(|w| w.text.as_str()));
            for w in &v.amounts {
                row[2 + slot(w.bbox.x1)] = w.text.clone();
            }
            row
        })
        .collect();
    let (_, roles) = crate::sheet::infer_roles(&grid)?;
    let (first, last) = (values.first()?.0, values.last()?.0);
    let mut area = Area {
        roles,
        rows: Vec::new(),
        row_pieces: Vec::new(),
        title: None,
    };
    let mut outside = Vec::new();
    let mut vi = values.iter().peekable();
    let mut prev: Option<(u32, f32)> = None;
    for (idx, (page, line)) in all.iter().enumerate() {
        let pieces: Vec<Piece> = line.words.iter().map(|w| piece(w, *page)).collect();
        if idx < first || idx > last {
            outside.push(pieces);
            continue;
        }
        let mut cells: Vec<Vec<Piece>> = vec![Vec::new(); width];
        let (y0, y1) = (line.bbox.y0, line.bbox.y1);
        if let Some((_, v)) = vi.next_if(|(i, _)| *i == idx) {
            cells[0] = v.date.iter().map(|w| piece(w, v.page)).collect();
            cells[1] = v.desc.iter().map(|w| piece(w, v.page)).collect();
            for w in &v.amounts {
                cells[2 + slot(w.bbox.x1)].push(piece(w, v.page));
            }
        } else {
            // A line inside the table without a date and money: wrapped description text.
            cells[1] = pieces.clone();
        }
        let continuation_ok = prev.is_some_and(|(p, py1)| p == *page && y0 - py1 < 0.8 * (y1 - y0));
        area.rows.push(RowIn {
            cells,
            continuation_ok,
        });
        area.row_pieces.push(pieces);
        prev = Some((*page, y1));
    }
    Some((vec![area], outside))
}
