//! Finds transaction tables on pages of positioned words: a header line (or two) named by the
//! vocabulary gives each column an x-range, and every later word falls into the column it
//! overlaps most. This module only cuts the page into rows and cells; what the cells mean is
//! decided by [`crate::table`]. It must never read values by position alone without a header.

use crate::parse;
use crate::table::{Piece, RowIn, is_table_header, resolve_roles};
use crate::vocab::{self, Role};
use docket_core::document::Line;
use docket_core::{BBox, Document, TextOrigin, Word};

/// One table found under one header (on one page).
#[derive(Debug, Clone)]
pub struct Area {
    /// Column roles.
    pub roles: Vec<Role>,
    /// Rows below the header, cut into cells.
    pub rows: Vec<RowIn>,
    /// All pieces of each row, for the rows the table reader does not take.
    pub row_pieces: Vec<Vec<Piece>>,
    /// The line right above the header when it titles the table (`Deposits & Other
    /// Credits`, `Checks Paid`): statements split into sections by kind of transaction print
    /// unsigned amounts whose side only the title gives.
    pub title: Option<String>,
}

/// A header candidate: roles, the boxes of its cells and the x-ranges of its columns.
#[derive(Debug, Clone)]
struct Header {
    roles: Vec<Role>,
    boxes: Vec<BBox>,
    ranges: Vec<(f32, f32)>,
}

/// A page word as a table piece.
pub(crate) fn piece(w: &Word, page: u32) -> Piece {
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

/// Reads a header from one or two lines, or `None` when they are not a table header. On a scan
/// (`ocr`), a header cell OCR could not read stands for the description when no other column
/// does: Tesseract garbles short CJK words such as `摘要` more than any other header.
fn header(lines: &[&Line], page_width: f32, ocr: bool) -> Option<Header> {
    // Value lines are never headers; most lines of a statement are value lines, so this cheap
    // test comes first (every line of every page is tried as a header).
    let valued = lines.iter().flat_map(|l| &l.words).any(|w| {
        // A bare number (`Table 1`) may title a header; a decimal amount or a date never.
        w.text.chars().any(|c| c.is_ascii_digit())
            && ((w.text.contains(['.', ',']) && parse::parse_amount(&w.text).is_some())
                || parse::is_date(&w.text))
    });
    if valued {
        return None;
    }
    // A header names at least three columns, so at least two of its words name a role on
    // their own; prose and description lines rarely do.
    let named = lines
        .iter()
        .flat_map(|l| &l.words)
        .filter(|w| vocab::header_role(&w.text).is_some())
        .take(2)
        .count();
    if named < 2 {
        return None;
    }
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
            // Words join into one header cell when the words they are made of do not name
            // other columns: `Date Posted` (a date word and an unknown one), `Transaction
            // Details`, but never `Debit Credit`.
            let dated = |r: Role| {
                matches!(
                    r,
                    Role::Date | Role::BookingDate | Role::DateOrTime | Role::Time
                )
            };
            // A trailing amount word qualifies a side (`Withdrawal Amt`), never a balance.
            let parts_agree = loose.is_some_and(|whole| {
                part.iter().enumerate().all(|(k, s)| {
                    vocab::header_role(&stack_text(s)).is_none_or(|r| {
                        r == whole
                            || (dated(r) && dated(whole))
                            // `Date Credited`: a side word qualifies a date.
                            || (dated(whole) && matches!(r, Role::Debit | Role::Credit))
                            || (r == Role::Amount
                                && k + 1 == part.len()
                                && matches!(whole, Role::Debit | Role::Credit))
                    })
                })
            });
            if exact.is_some() || parts_agree {
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
    let mut raw: Vec<Option<Role>> = cells.iter().map(|c| c.0).collect();
    if ocr
        && !raw.contains(&Some(Role::Description))
        && let Some(unread) = raw.iter_mut().find(|r| r.is_none())
    {
        *unread = Some(Role::Description);
    }
    let roles = resolve_roles(&raw);
    // A column named like a direction may hold the signed amounts (`Withdrawals / Deposits`);
    // the table reader settles that from its content.
    let direction_only = roles.contains(&Role::Date) && roles.contains(&Role::Direction);
    if !is_table_header(&roles) && !direction_only {
        return None;
    }
    let boxes: Vec<BBox> = cells.iter().map(|c| c.1).collect();
    let ranges = ranges(&boxes, &[], page_width);
    Some(Header {
        roles,
        boxes,
        ranges,
    })
}

/// The x-range of every column. Each boundary lies between two header cells, in the widest gap
/// the `body` words leave there (the fewest words crossed, then the widest gap): header words
/// are narrower than their columns (`Date` over `01 Mar 2026`), so a boundary half-way between
/// header words would cut values in two.
fn ranges(boxes: &[BBox], body: &[BBox], page_width: f32) -> Vec<(f32, f32)> {
    let n = boxes.len();
    let cuts: Vec<f32> = boxes
        .windows(2)
        .map(|p| gutter(p[0].x1, p[1].x0, body))
        .collect();
    (0..n)
        .map(|k| {
            let left = if k == 0 { 0.0 } else { cuts[k - 1] };
            let right = if k + 1 == n {
                page_width.max(boxes[k].x1) + 1.0
            } else {
                cuts[k]
            };
            (left, right)
        })
        .collect()
}

/// The middle of the emptiest, widest stretch of `a..b` that the `body` boxes leave.
fn gutter(a: f32, b: f32, body: &[BBox]) -> f32 {
    if b <= a {
        return (a + b) / 2.0;
    }
    let inside: Vec<&BBox> = body.iter().filter(|w| w.x1 > a && w.x0 < b).collect();
    let mut points: Vec<f32> = vec![a, b];
    for w in &inside {
        points.extend([w.x0, w.x1].into_iter().filter(|x| *x > a && *x < b));
    }
    points.sort_by(f32::total_cmp);
    points.dedup();
    // Elementary stretches with the number of words over each.
    let stretches: Vec<(f32, f32, usize)> = points
        .windows(2)
        .filter(|p| p[1] > p[0])
        .map(|p| {
            let m = (p[0] + p[1]) / 2.0;
            (
                p[0],
                p[1],
                inside.iter().filter(|w| w.x0 < m && w.x1 > m).count(),
            )
        })
        .collect();
    let Some(least) = stretches.iter().map(|s| s.2).min() else {
        return (a + b) / 2.0;
    };
    let mut best = (a, a);
    let mut run: Option<(f32, f32)> = None;
    for s in &stretches {
        run = if s.2 == least {
            Some(run.map_or((s.0, s.1), |r| (r.0, s.1)))
        } else {
            None
        };
        if let Some(r) = run
            && r.1 - r.0 > best.1 - best.0
        {
            best = r;
        }
    }
    (best.0 + best.1) / 2.0
}

/// Lines that hold a value (a date or an amount with a decimal or thousands separator): the table
/// rows, not page footers or notes, whose words place the column boundaries.
fn value_lines(lines: &[Line]) -> impl Iterator<Item = &Line> {
    lines.iter().filter(|l| {
        l.words.iter().any(|w| {
            let t = w.text.as_str();
            parse::is_date(t) || (t.contains(['.', ',']) && parse::parse_amount(t).is_some())
        }) || l
            .words
            .windows(3)
            .any(|p| parse::is_date(&crate::table::join_texts(p.iter().map(|w| w.text.as_str()))))
    })
}

/// The header that starts at line `i` (one line, or two when the first alone is not a header),
/// with the number of lines it takes.
fn header_at(lines: &[Line], i: usize, page_width: f32, ocr: bool) -> Option<(usize, Header)> {
    if let Some(h) = header(&[&lines[i]], page_width, ocr) {
        return Some((1, h));
    }
    // A line right above a complete header is not part of it (a period line over the table).
    let next = lines.get(i + 1)?;
    if header(&[next], page_width, ocr).is_some() {
        return None;
    }
    let gap = next.bbox.y0 - lines[i].bbox.y1;
    if gap < lines[i].bbox.height() {
        return header(&[&lines[i], next], page_width, ocr).map(|h| (2, h));
    }
    None
}

/// The title of a table: the nearest line above its header, when it is a short line of words
/// (no amounts) within three line heights.
fn title_above(lines: &[Line], i: usize) -> Option<String> {
    let above = lines[..i].last()?;
    let gap = lines[i].bbox.y0 - above.bbox.y1;
    let text = above.text();
    let has_value = above
        .words
        .iter()
        .any(|w| parse::parse_amount(&w.text).is_some());
    (gap < 3.0 * lines[i].bbox.height().max(1.0) && !has_value && text.chars().count() < 80)
        .then_some(text)
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
/// A page may hold several tables (a statement in sections: credits, debits, checks), each
/// under its own header; a page without a header continues the last table.
pub fn areas(doc: &Document) -> (Vec<Area>, Vec<Vec<Piece>>) {
    let mut out: Vec<Area> = Vec::new();
    let mut outside: Vec<Vec<Piece>> = Vec::new();
    let mut active: Option<Header> = None;
    let mut title: Option<String> = None;
    for page in &doc.pages {
        let lines = page.lines();
        let ocr = page.origin == TextOrigin::Ocr;
        let starts: Vec<(usize, usize, Header)> = {
            let mut v = Vec::new();
            let mut i = 0;
            while i < lines.len() {
                match header_at(&lines, i, page.width, ocr) {
                    Some((n, h)) => {
                        v.push((i, n, h));
                        i += n;
                    }
                    None => i += 1,
                }
            }
            v
        };
        // Segments of the page: before the first header (continuing the last table, if any),
        // then one per header.
        let first = starts.first().map_or(lines.len(), |s| s.0);
        let mut segments: Vec<(usize, usize, Option<Header>, Option<String>)> =
            vec![(0, first, None, None)];
        for (k, (i, n, h)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(lines.len(), |s| s.0);
            let mut h = h.clone();
            let body: Vec<BBox> = value_lines(&lines[i + n..end])
                .flat_map(|l| l.words.iter().map(|w| w.bbox))
                .collect();
            h.ranges = ranges(&h.boxes, &body, page.width);
            segments.push((i + n, end, Some(h), title_above(&lines, *i)));
        }
        for (start, end, header, seg_title) in segments {
            if let Some(h) = header {
                active = Some(h);
                title = seg_title;
            }
            let Some(h) = &active else {
                for l in &lines[start..end] {
                    outside.push(l.words.iter().map(|w| piece(w, page.number)).collect());
                }
                continue;
            };
            let mut area = Area {
                roles: h.roles.clone(),
                rows: Vec::new(),
                row_pieces: Vec::new(),
                title: title.clone(),
            };
            let mut prev: Option<&Line> = None;
            for l in &lines[start..end] {
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
            if !area.rows.is_empty() {
                out.push(area);
            }
        }
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
