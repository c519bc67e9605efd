//! Page layout of a zoo table for the digital PDF and scan writers: column widths from the
//! content, a narrow date column that wraps the date onto two lines, descriptions wrapped over
//! 2–3 lines, the column header repeated on every page, optional carried/brought-forward rows at
//! page breaks, and page footers. Pages are [`PageLayout`]s, drawn by the existing sample PDF
//! writer and the 200-dpi scan renderer.

use super::render::{RowKind, Table, split_date};
use super::{Lang, Layout, Role};
use crate::samples::layout::{Align, Face, PageLayout, Rule, TextItem, text_width};
use crate::samples::scan::{self, ScanFonts};
use anyhow::Result;

const SIZE: f32 = 10.0;
const LINE: f32 = 12.5;
const ROW_GAP: f32 = 4.0;

struct Col {
    x: f32,
    width: f32,
    align: Align,
    wrap: f32,
}

fn wrap_text(text: &str, face: Face, width: f32) -> Vec<String> {
    if width <= 0.0 || text_width(text, face, SIZE) <= width {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    if face == Face::Cjk && !text.contains(' ') {
        for c in text.chars() {
            let candidate = format!("{current}{c}");
            if !current.is_empty() && text_width(&candidate, face, SIZE) > width {
                lines.push(std::mem::replace(&mut current, c.to_string()));
            } else {
                current = candidate;
            }
        }
    } else {
        for word in text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && text_width(&candidate, face, SIZE) > width {
                lines.push(std::mem::replace(&mut current, word.to_string()));
            } else {
                current = candidate;
            }
        }
    }
    lines.push(current);
    lines
}

fn cell_lines(l: &Layout, role: Role, text: &str, face: Face, col: &Col) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    if role == Role::Date && l.wrap_dates && text_width(text, face, SIZE) > col.width {
        return split_date(text);
    }
    wrap_text(text, face, col.wrap)
}

/// A header on two lines: at its first space, or a 4+ character CJK header after 2 characters.
fn header_split(h: &str, two: bool) -> Vec<String> {
    if !two {
        return vec![h.to_string()];
    }
    if let Some((a, b)) = h.split_once(' ') {
        return vec![a.to_string(), b.to_string()];
    }
    let chars: Vec<char> = h.chars().collect();
    if chars.len() >= 4 && !h.is_ascii() {
        return vec![chars[..2].iter().collect(), chars[2..].iter().collect()];
    }
    vec![h.to_string()]
}

fn item(x: f32, baseline: f32, size: f32, face: Face, align: Align, t: &str) -> TextItem {
    TextItem {
        x,
        baseline,
        size,
        face,
        align,
        text: t.to_string(),
    }
}

/// Lay a zoo table out on pages.
pub fn pages(l: &Layout, t: &Table) -> Vec<PageLayout> {
    let zh = l.lang == Lang::Zh;
    let face = if zh { Face::Cjk } else { Face::Latin };
    let bold = if zh { Face::Cjk } else { Face::LatinBold };
    let numeric = |r: Role| matches!(r, Role::Debit | Role::Credit | Role::Amount | Role::Balance);

    // Header lines: one, or two when the layout sets headers on two lines.
    let header_lines: Vec<Vec<String>> = t
        .headers
        .iter()
        .map(|h| header_split(h, l.wrap_headers))
        .collect();
    let band = (header_lines.iter().map(Vec::len).max().unwrap_or(1) - 1) as f32 * LINE;
    // Natural widths.
    let mut widths: Vec<f32> = Vec::with_capacity(t.roles.len());
    let mut wraps: Vec<f32> = Vec::with_capacity(t.roles.len());
    for (i, role) in t.roles.iter().enumerate() {
        let header = header_lines[i]
            .iter()
            .map(|h| text_width(h, bold, SIZE))
            .fold(0.0f32, f32::max);
        let content = t
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::Txn)
            .map(|r| text_width(&r.cells[i].text, face, SIZE))
            .fold(0.0f32, f32::max);
        let (w, wrap) = match role {
            Role::Date if l.wrap_dates => {
                let part = t
                    .rows
                    .iter()
                    .filter_map(|r| split_date(&r.cells[i].text).first().cloned())
                    .map(|p| text_width(&p, face, SIZE))
                    .fold(0.0f32, f32::max);
                (header.max(part).min(content), 0.0)
            }
            Role::Desc | Role::Counterparty => {
                let cap = match (role, l.wrap_desc, zh) {
                    (Role::Desc, true, false) => 95.0,
                    (Role::Desc, true, true) => 60.0,
                    (Role::Counterparty, true, _) => 70.0,
                    (Role::Desc, false, _) => 170.0,
                    _ => 120.0,
                };
                let w = content.min(cap).max(header);
                (w, w)
            }
            _ => (content.max(header), 0.0),
        };
        widths.push(w);
        wraps.push(wrap);
    }
    let mut gap = 14.0;
    let total =
        |gap: f32, widths: &[f32]| widths.iter().sum::<f32>() + gap * (widths.len() as f32 - 1.0);
    let portrait = (595.28f32, 841.89f32);
    let landscape = (841.89f32, 595.28f32);
    let margin = 32.0;
    let (width, height) = if total(gap, &widths) <= portrait.0 - 2.0 * margin && !zh {
        portrait
    } else {
        landscape
    };
    while total(gap, &widths) > width - 2.0 * margin && gap > 6.0 {
        gap -= 1.0;
    }
    let mut x = margin;
    let cols: Vec<Col> = t
        .roles
        .iter()
        .zip(widths.iter().zip(&wraps))
        .map(|(r, (w, wrap))| {
            let align = if numeric(*r) {
                Align::Right
            } else {
                Align::Left
            };
            let c = Col {
                x: if align == Align::Right { x + w } else { x },
                width: *w,
                align,
                wrap: *wrap,
            };
            x += w + gap;
            c
        })
        .collect();
    let right = (x - gap).max(width - margin);

    let bottom = height - 56.0;
    let mut pages: Vec<PageLayout> = Vec::new();
    let new_page = |pages: &mut Vec<PageLayout>| -> f32 {
        let mut page = PageLayout {
            width,
            height,
            texts: Vec::new(),
            rules: Vec::new(),
        };
        let top = if pages.is_empty() {
            header_block(l, t, &mut page, margin)
        } else {
            page.texts.push(item(
                margin,
                44.0,
                11.0,
                bold,
                Align::Left,
                &format!("{}{}", t.title, if zh { "（续）" } else { " (continued)" }),
            ));
            64.0
        };
        for (c, hl) in cols.iter().zip(&header_lines) {
            for (k, h) in hl.iter().enumerate() {
                page.texts.push(item(
                    c.x,
                    top + 12.0 + k as f32 * LINE,
                    SIZE,
                    bold,
                    c.align,
                    h,
                ));
            }
        }
        for y in [top, top + 17.0 + band] {
            page.rules.push(Rule {
                x0: margin,
                y0: y,
                x1: right,
                y1: y,
                width: 0.8,
            });
        }
        pages.push(page);
        top + 17.0 + band + LINE + 2.0
    };

    let carry_label = |brought: bool| -> &'static str {
        match (zh, brought) {
            (false, false) => "Balance carried forward",
            (false, true) => "Balance brought forward",
            (true, false) => "过次页",
            (true, true) => "承前页",
        }
    };
    let desc_col = t.roles.iter().position(|r| *r == Role::Desc).unwrap_or(0);
    let bal_col = t.roles.iter().position(|r| *r == Role::Balance);

    let mut y = new_page(&mut pages);
    let mut last_balance = None;
    let mut ruled = false;
    for row in &t.rows {
        let lines: Vec<Vec<String>> = row
            .cells
            .iter()
            .zip(&cols)
            .zip(&t.roles)
            .map(|((c, col), role)| cell_lines(l, *role, &c.text, face, col))
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = (n - 1) as f32 * LINE;
        let reserve = if l.carried { LINE + ROW_GAP } else { 0.0 };
        if y + h + reserve > bottom {
            if let (true, Some(b), Some(bc), Some(page)) =
                (l.carried, last_balance, bal_col, pages.last_mut())
            {
                page.texts.push(item(
                    cols[desc_col].x,
                    y,
                    SIZE,
                    face,
                    cols[desc_col].align,
                    carry_label(false),
                ));
                page.texts.push(item(
                    cols[bc].x,
                    y,
                    SIZE,
                    face,
                    cols[bc].align,
                    &super::render::fmt_num(l, b),
                ));
            }
            y = new_page(&mut pages);
            if let (true, Some(b), Some(bc), Some(page)) =
                (l.carried, last_balance, bal_col, pages.last_mut())
            {
                page.texts.push(item(
                    cols[desc_col].x,
                    y,
                    SIZE,
                    face,
                    cols[desc_col].align,
                    carry_label(true),
                ));
                page.texts.push(item(
                    cols[bc].x,
                    y,
                    SIZE,
                    face,
                    cols[bc].align,
                    &super::render::fmt_num(l, b),
                ));
                y += LINE + ROW_GAP;
            }
        }
        let Some(page) = pages.last_mut() else {
            break;
        };
        if row.kind == RowKind::Total && !ruled {
            ruled = true;
            page.rules.push(Rule {
                x0: margin,
                y0: y - LINE + 2.0,
                x1: right,
                y1: y - LINE + 2.0,
                width: 0.6,
            });
        }
        let row_face = if row.kind == RowKind::Total {
            bold
        } else {
            face
        };
        for ((parts, c), _) in lines.iter().zip(&cols).zip(&t.roles) {
            for (k, part) in parts.iter().enumerate() {
                page.texts.push(item(
                    c.x,
                    y + k as f32 * LINE,
                    SIZE,
                    row_face,
                    c.align,
                    part,
                ));
            }
        }
        if row.balance.is_some() && row.kind != RowKind::Total {
            last_balance = row.balance;
        }
        y += h + LINE + ROW_GAP;
    }

    let n = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let footer = match (zh, l.index % 3) {
            (false, 0) => format!("Page {} of {}", i + 1, n),
            (false, 1) => format!("Page {}/{}", i + 1, n),
            (false, _) => format!("- {} -", i + 1),
            (true, 0) => format!("第{}页 共{}页", i + 1, n),
            (true, _) => format!("第 {} / {} 页", i + 1, n),
        };
        page.texts.push(item(
            width / 2.0,
            height - 25.0,
            9.0,
            face,
            Align::Center,
            &footer,
        ));
    }
    pages
}

/// Page-1 title and header block in one of three arrangements; returns the table's top y.
fn header_block(l: &Layout, t: &Table, page: &mut PageLayout, m: f32) -> f32 {
    let zh = l.lang == Lang::Zh;
    let face = if zh { Face::Cjk } else { Face::Latin };
    let bold = if zh { Face::Cjk } else { Face::LatinBold };
    page.texts
        .push(item(m, 46.0, 15.0, bold, Align::Left, &t.title));
    page.rules.push(Rule {
        x0: m,
        y0: 56.0,
        x1: page.width - m,
        y1: 56.0,
        width: 1.2,
    });
    if t.fields.is_empty() {
        return 76.0;
    }
    let colon = if zh { "：" } else { ": " };
    let mut y = 76.0;
    match l.labels % 3 {
        // Two columns of "Label: value".
        0 => {
            let half = t.fields.len().div_ceil(2);
            for (k, (label, value)) in t.fields.iter().enumerate() {
                let (x, row) = if k < half {
                    (m, k)
                } else {
                    (page.width / 2.0, k - half)
                };
                page.texts.push(item(
                    x,
                    76.0 + row as f32 * 15.0,
                    SIZE,
                    face,
                    Align::Left,
                    &format!("{label}{colon}{}", value.text),
                ));
            }
            y += half as f32 * 15.0;
        }
        // Label and value as separate strings, values aligned.
        1 => {
            for (label, value) in &t.fields {
                page.texts.push(item(m, y, SIZE, bold, Align::Left, label));
                page.texts
                    .push(item(m + 120.0, y, SIZE, face, Align::Left, &value.text));
                y += 15.0;
            }
        }
        // One "Label: value" per line.
        _ => {
            for (label, value) in &t.fields {
                page.texts.push(item(
                    m,
                    y,
                    SIZE,
                    face,
                    Align::Left,
                    &format!("{label}{colon}{}", value.text),
                ));
                y += 14.0;
            }
        }
    }
    y + 8.0
}

/// A scanned PDF of the table: each page rasterised at 200 dpi, degraded, JPEG-encoded.
pub fn scan(l: &Layout, t: &Table, fonts: &ScanFonts) -> Result<Vec<u8>> {
    let pages = pages(l, t);
    let mut jpegs = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let img = scan::degrade(
            &scan::rasterise(page, fonts),
            l.seed.wrapping_add(i as u64),
            true,
        );
        jpegs.push((img.width(), img.height(), scan::jpeg(&img)?));
    }
    scan::pdf_of_jpegs(&jpegs)
}
