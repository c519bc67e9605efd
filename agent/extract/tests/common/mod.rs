//! Builds documents by hand, laid out like real statements: words at the x positions a PDF text
//! layer gives, 10 pt high, Latin characters 5 pt wide and CJK characters 10 pt wide.

#![allow(dead_code)]

use docket_core::{BBox, Document, Page, SourceInfo, TextOrigin, Word};

pub fn source(path: &str, kind: &str) -> SourceInfo {
    SourceInfo {
        path: path.into(),
        sha256: "0".repeat(64),
        kind: kind.into(),
    }
}

fn width(t: &str) -> f32 {
    t.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 10.0 } else { 5.0 })
        .sum()
}

/// A line at `y`: each `(x, text)` becomes one word per space-separated token, placed left to
/// right from `x`; `(x, text)` with `x < 0` is right-aligned to `-x`.
pub fn line(y: f32, cells: &[(f32, &str)]) -> Vec<Word> {
    let mut out = Vec::new();
    for (x, text) in cells {
        let total = width(text);
        let mut cx = if *x < 0.0 { -x - total } else { *x };
        for tok in text.split(' ').filter(|t| !t.is_empty()) {
            let w = width(tok);
            out.push(Word {
                text: tok.into(),
                bbox: BBox::new(cx, y, cx + w, y + 10.0),
                confidence: 0.97,
            });
            cx += w + 5.0;
        }
    }
    out
}

pub fn page(number: u32, lines: Vec<Vec<Word>>) -> Page {
    Page {
        number,
        width: 595.0,
        height: 842.0,
        origin: TextOrigin::TextLayer,
        words: lines.into_iter().flatten().collect(),
        deskew_degrees: 0.0,
    }
}

pub fn pages_doc(path: &str, pages: Vec<Page>) -> Document {
    Document {
        source: source(path, "pdf"),
        pages,
        sheets: vec![],
    }
}
