//! Finds transaction tables on pages of positioned words: a header line (or two) named by the
//! vocabulary gives each column an x-range, and every later word falls into the column it
//! overlaps most. This module only cuts the page into rows and cells; what the cells mean is
//! decided by [`crate::table`]. It must never read values by position alone without a header.

use crate::parse;
use crate::table::{Piece, RowIn, is_table_header, resolve_roles};
use crate::vocab::{self, Role};
use docket_core::document::Line;
use docket_core::{BBox, Document, Word};

/// One table found under one header (on one page).
#[derive(Debug, Clone)]
pub struct Area {
    /// Column roles.
    pub roles: Vec<Role>,
    /// Rows below the header, cut into cells.
    pub rows: Vec<RowIn>,
    /// All pieces of each row, for the rows the table reader does not take.
    pub row_pieces: Vec<Vec<Piece>>,
}

/// A header candidate: roles and x-ranges of its columns.
#[derive(Debug, Clone)]
struct Header {
    roles: Vec<Role>,
    ranges: Vec<(f32, f32)>,
}

fn piece(w: &Word, page: u32) -> Piece {
    Piece {
        text: w.text.clone(),
        page,
        bbox: w.bbox,
        confidence: w.confidence,
    }
}

/// Groups the words of one or two lines into stacks of horizontally overlapping words (a header
/// split over two lines puts "Paid" above "In").
fn stacks(lines: &[&Line]) -> Vec<Vec<Word>> {
    let mut words: Vec<Word> = lines.iter().flat_map(|l| l.words.clone()).collect();
    words.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
    let mut out: Vec<(BBox, Vec<Word>)> = Vec::new();
    for w in words {
        match out.last_mut() {
            Some((b, ws)) if w.bbox.x0 < b.x1 - 0.5 && lines.len() > 1 => {
                *b = b.union(&w.bbox);
                ws.push(w);
            }
            _ => out.push((w.bbox, vec![w])),
        }
    }
    out.into_iter()
        .map(|(_, mut ws)| {
            ws.sort_by(|a, b| {
                a.bbox
                    .y0
                    .total_cmp(&b.bbox.y0)
                    .then(a.bbox.x0.total_cmp(&b.bbox.x0))
            });
            ws
        })
        .collect()
}

fn stack_text(s: &[Word]) -> String {
    crate::table::join_texts(s.iter().map(|w| w.text.as_str()))
}

fn stack_box(s: &[Word]) -> BBox {
    s.iter()
        .skip(1)
        .fold(s.first().map(|w| w.bbox).unwrap_or_default(), |a, w| {
            a.union(&w.bbox)
        })
}

/// Reads a header from one or two lines, or `None` when they are not a table header.
fn header(lines: &[&Line], page_width: f32) -> Option<Header> {
    let st = stacks(lines);
    let height = lines
        .iter()
        .map(|l| l.bbox.height())
        .fold(1.0_f32, f32::max);
    let mut cells: Vec<(Option<Role>, BBox)> = Vec::new();
    let mut i = 0;
    while i < st.len() {
        let mut taken = 1;
        let mut role = vocab::header_role(&stack_text(&st[i]));
        for len in (2..=8.min(st.len() - i)).rev() {
            let part = &st[i..i + len];
            let tight = part
                .windows(2)
                .all(|p| stack_box(&p[1]).x0 - stack_box(&p[0]).x1 < 0.8 * height);
            if !tight {
                continue;
            }
            let text = crate::table::join_texts(
                part.iter()
                    .map(|s| stack_text(s))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str),
            );
            let exact = vocab::exact_role(&text);
            let loose = vocab::header_role(&text);
            let parts_known = part
                .iter()
                .any(|s| vocab::exact_role(&stack_text(s)).is_some());
            if exact.is_some() || (loose.is_some() && !parts_known) {
                role = exact.or(loose);
                taken = len;
                break;
            }
        }
        let b = st[i..i + taken]
            .iter()
            .map(|s| stack_box(s))
            .reduce(|a, b| a.union(&b))
            .unwrap_or_default();
        let text = stack_text(&st[i]);
        if parse::is_date(&text) || parse::parse_amount(&text).is_some() {
            return None;
        }
        cells.push((role, b));
        i += taken;
    }
    let known = cells.iter().filter(|c| c.0.is_some()).count();
    if known < 3 || known * 2 < cells.len() {
        return None;
    }
    let roles = resolve_roles(&cells.iter().map(|c| c.0).collect::<Vec<_>>());
    if !is_table_header(&roles) {
        return None;
    }
    let n = cells.len();
    let ranges = (0..n)
        .map(|k| {
            let left = if k == 0 {
                0.0
            } else {
                (cells[k - 1].1.x1 + cells[k].1.x0) / 2.0
            };
            let right = if k + 1 == n {
                page_width.max(cells[k].1.x1) + 1.0
            } else {
                (cells[k].1.x1 + cells[k + 1].1.x0) / 2.0
            };
            (left, right)
        })
        .collect();
    Some(Header { roles, ranges })
}

fn find_header(lines: &[Line], page_width: f32) -> Option<(usize, usize, Header)> {
    for i in 0..lines.len() {
        if let Some(h) = header(&[&lines[i]], page_width) {
            return Some((i, 1, h));
        }
        if let Some(next) = lines.get(i + 1) {
            let gap = next.bbox.y0 - lines[i].bbox.y1;
            if gap < lines[i].bbox.height()
                && let Some(h) = header(&[&lines[i], next], page_width)
            {
                return Some((i, 2, h));
            }
        }
    }
    None
}

fn cut(line: &Line, header: &Header, page: u32) -> Vec<Vec<Piece>> {
    let mut cells = vec![Vec::new(); header.roles.len()];
    for w in &line.words {
        let best = header
            .ranges
            .iter()
            .enumerate()
            .map(|(k, (l, r))| (k, (w.bbox.x1.min(*r) - w.bbox.x0.max(*l)).max(0.0)))
            .fold((0, -1.0_f32), |acc, x| if x.1 > acc.1 { x } else { acc });
        cells[best.0].push(piece(w, page));
    }
    cells
}

/// Cuts every page into table areas and the lines outside them (returned as pieces per line).
pub fn areas(doc: &Document) -> (Vec<Area>, Vec<Vec<Piece>>) {
    let mut out: Vec<Area> = Vec::new();
    let mut outside: Vec<Vec<Piece>> = Vec::new();
    let mut active: Option<Header> = None;
    for page in &doc.pages {
        let lines = page.lines();
        let start = match find_header(&lines, page.width) {
            Some((i, n, h)) => {
                for l in &lines[..i] {
                    outside.push(l.words.iter().map(|w| piece(w, page.number)).collect());
                }
                active = Some(h);
                i + n
            }
            None => 0,
        };
        let Some(h) = &active else {
            for l in &lines {
                outside.push(l.words.iter().map(|w| piece(w, page.number)).collect());
            }
            continue;
        };
        let mut area = Area {
            roles: h.roles.clone(),
            rows: Vec::new(),
            row_pieces: Vec::new(),
        };
        let mut prev: Option<&Line> = None;
        for l in &lines[start..] {
            let continuation_ok = prev.is_some_and(|p| {
                l.bbox.y0 - p.bbox.y1 < 0.8 * l.bbox.height().max(p.bbox.height())
            });
            area.rows.push(RowIn {
                cells: cut(l, h, page.number),
                continuation_ok,
            });
            area.row_pieces
                .push(l.words.iter().map(|w| piece(w, page.number)).collect());
            prev = Some(l);
        }
        out.push(area);
    }
    (out, outside)
}

/// Splits a line's pieces into segments at wide gaps (label and value printed apart).
pub fn segments(line: &[Piece]) -> Vec<Vec<Piece>> {
    let mut out: Vec<Vec<Piece>> = Vec::new();
    for p in line {
        match out.last_mut() {
            Some(seg)
                if seg.last().is_some_and(|q| {
                    p.bbox.x0 - q.bbox.x1 < 1.2 * q.bbox.height().max(p.bbox.height())
                }) =>
            {
                seg.push(p.clone())
            }
            _ => out.push(vec![p.clone()]),
        }
    }
    out
}
