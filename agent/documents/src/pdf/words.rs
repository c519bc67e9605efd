//! Glyphs to words. Consecutive glyphs (in drawing order) form one word while they share a
//! baseline and writing direction and sit closer than a fraction of an em; whitespace codes,
//! wider gaps and jumps break words. CJK runs therefore stay one word unless spaced apart, as
//! statement columns need. Words come out in reading order (lines top to bottom, then left to
//! right), the order [`docket_core::Page::lines`] uses.

use super::PageGeom;
use super::content::{Drawn, Glyph};
use docket_core::geometry::BBox;
use docket_core::{Page, TextOrigin, Word};

/// A gap wider than this many ems between glyphs splits a word. Narrow fonts' spaces are about
/// 0.25 em and TJ-kerned "spaces" are often 0.2–0.3 em; letter gaps stay far below.
const GAP_EM: f32 = 0.18;

/// Extent of a glyph along its writing direction, and its baseline across it.
fn along(g: &Glyph) -> (f32, f32, f32) {
    let [x0, y0, x1, y1] = g.bbox;
    match g.dir {
        1 => (y0, y1, g.origin.0),
        2 => (-x1, -x0, g.origin.1),
        3 => (-y1, -y0, g.origin.0),
        _ => (x0, x1, g.origin.1),
    }
}

struct Current {
    text: String,
    bbox: [f32; 4],
    end: f32,
    base: f32,
    em: f32,
    dir: u8,
    slack: f32,
    last: Option<(u32, u32, f32)>,
}

/// Builds the page's words from its glyphs, in reading order.
pub(super) fn build(drawn: &Drawn, geom: &PageGeom) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut cur: Option<Current> = None;
    let flush = |cur: &mut Option<Current>, words: &mut Vec<Word>| {
        if let Some(c) = cur.take() {
            let text = c.text.trim();
            if !text.is_empty() && text.chars().any(|ch| ch != char::REPLACEMENT_CHARACTER) {
                let [x0, y0, x1, y1] = c.bbox;
                words.push(Word {
                    text: text.to_string(),
                    bbox: BBox::new(x0, y0, x1, y1),
                    confidence: 1.0,
                });
            }
        }
    };
    for g in &drawn.glyphs {
        if g.space {
            flush(&mut cur, &mut words);
            continue;
        }
        let text = &drawn.text[g.start as usize..g.end as usize];
        let (start, end, base) = along(g);
        if let Some(c) = &mut cur {
            let em = c.em.max(g.em).max(0.1);
            let gap = start - c.end - c.slack;
            let same_run = c.dir == g.dir && (base - c.base).abs() < 0.3 * em;
            if same_run && gap <= GAP_EM * em && gap > -0.6 * em {
                // Fake bold draws each glyph twice, a hair apart: keep one.
                if let Some((s, e, prev_start)) = c.last
                    && drawn.text[s as usize..e as usize] == *text
                    && (start - prev_start).abs() < 0.15 * em
                {
                    continue;
                }
                c.text.push_str(text);
                c.bbox = [
                    c.bbox[0].min(g.bbox[0]),
                    c.bbox[1].min(g.bbox[1]),
                    c.bbox[2].max(g.bbox[2]),
                    c.bbox[3].max(g.bbox[3]),
                ];
                c.end = c.end.max(end);
                c.em = c.em.max(g.em);
                c.slack = g.slack;
                c.last = Some((g.start, g.end, start));
                continue;
            }
            flush(&mut cur, &mut words);
        }
        cur = Some(Current {
            text: text.to_string(),
            bbox: g.bbox,
            end,
            base,
            em: g.em,
            dir: g.dir,
            slack: g.slack,
            last: Some((g.start, g.end, start)),
        });
    }
    flush(&mut cur, &mut words);
    // Clip to the page: text drawn outside the visible area is not part of the document.
    words.retain(|w| {
        w.bbox.x1 > 0.0 && w.bbox.y1 > 0.0 && w.bbox.x0 < geom.width && w.bbox.y0 < geom.height
    });
    reading_order(words, geom)
}

fn reading_order(words: Vec<Word>, geom: &PageGeom) -> Vec<Word> {
    let page = Page {
        number: 0,
        width: geom.width,
        height: geom.height,
        origin: TextOrigin::TextLayer,
        words,
        deskew_degrees: 0.0,
    };
    page.lines().into_iter().flat_map(|l| l.words).collect()
}
