//! CJK clean-up of Tesseract output. Tesseract reports every Chinese character as its own word
//! (its text output puts spaces between them); a statement's `交易日期` must come back as one
//! word for the layout reader to match headers. It also returns the full-width colon `：` as an
//! ASCII `:`.
//!
//! Only characters are joined and only colons that follow a CJK character are changed: this
//! module must never touch Latin text, digits or amounts (`12:30`, `1,234.56` stay as read).

use super::tesseract::TsvWord;
use docket_core::Word;

/// A horizontal gap below this fraction of the line height joins two CJK words. Inter-character
/// gaps in CJK fonts are ~0–0.2 em; a table column gap is several em.
pub const MAX_GAP_RATIO: f32 = 0.6;

/// Whether `c` is a CJK ideograph, kana, hangul or CJK/full-width punctuation.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F   // CJK symbols and punctuation
        | 0x3040..=0x30FF // kana
        | 0x3400..=0x4DBF // ext A
        | 0x4E00..=0x9FFF // unified ideographs
        | 0xAC00..=0xD7AF // hangul
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 // full-width punct.
        | 0x20000..=0x2FA1F)
}

fn starts_cjk(s: &str) -> bool {
    s.chars().next().is_some_and(is_cjk)
}

fn ends_cjk(s: &str) -> bool {
    s.chars().next_back().is_some_and(is_cjk)
}

/// A bare colon Tesseract split off after a CJK label.
fn is_colon(s: &str) -> bool {
    s == ":" || s == "："
}

/// Merges horizontally adjacent CJK words of one line (box = union, confidence = min) and fixes
/// colons after CJK characters; returns the words in Tesseract's reading order.
pub fn merge_lines(words: Vec<TsvWord>) -> Vec<Word> {
    let mut out: Vec<(Word, (u32, u32, u32), f32)> = Vec::with_capacity(words.len());
    for tw in words {
        let h = tw.word.bbox.height();
        if let Some((prev, line, line_h)) = out.last_mut()
            && *line == tw.line
        {
            let lh = line_h.max(h);
            let gap = tw.word.bbox.x0 - prev.bbox.x1;
            let joinable =
                ends_cjk(&prev.text) && (starts_cjk(&tw.word.text) || is_colon(&tw.word.text));
            if joinable && gap < MAX_GAP_RATIO * lh && gap > -0.5 * lh {
                prev.text.push_str(&tw.word.text);
                prev.bbox = prev.bbox.union(&tw.word.bbox);
                prev.confidence = prev.confidence.min(tw.word.confidence);
                *line_h = lh;
                continue;
            }
        }
        out.push((tw.word, tw.line, h));
    }
    out.into_iter()
        .map(|(mut w, _, _)| {
            w.text = full_width_colons(&w.text);
            w
        })
        .collect()
}

/// Replaces `:` by `：` where it directly follows a CJK character (`户名:` → `户名：`); a colon
/// between digits or Latin letters is left alone.
pub fn full_width_colons(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if c == ':' && prev.is_some_and(|p| is_cjk(p) && p != '：') {
            out.push('：');
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use docket_core::geometry::BBox;

    fn tw(text: &str, line: u32, x0: f32, x1: f32) -> TsvWord {
        TsvWord {
            line: (1, 1, line),
            word: Word {
                text: text.into(),
                bbox: BBox::new(x0, 100.0, x1, 130.0),
                confidence: 0.9 - x0 / 10_000.0,
            },
        }
    }

    #[test]
    fn adjacent_cjk_characters_merge_but_columns_and_latin_do_not() {
        let words = vec![
            tw("交", 1, 10.0, 40.0),
            tw("易", 1, 42.0, 72.0),
            tw("日期", 1, 74.0, 134.0),
            tw("摘", 1, 300.0, 330.0), // a column gap: stays apart
            tw("要", 1, 332.0, 362.0),
            tw("1,234.56", 1, 370.0, 450.0), // Latin after CJK: never joined
            tw("收", 2, 10.0, 40.0),         // next line
        ];
        let out = merge_lines(words);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["交易日期", "摘要", "1,234.56", "收"]);
        assert_eq!(out[0].bbox, BBox::new(10.0, 100.0, 134.0, 130.0));
        assert!((out[0].confidence - (0.9 - 74.0 / 10_000.0)).abs() < 1e-6);
    }

    #[test]
    fn colons_after_cjk_become_full_width_only_there() {
        let out = merge_lines(vec![tw("户名", 1, 10.0, 70.0), tw(":", 1, 71.0, 76.0)]);
        assert_eq!(out[0].text, "户名：");
        assert_eq!(full_width_colons("时间:12:30"), "时间：12:30");
        assert_eq!(full_width_colons("Time:12:30"), "Time:12:30");
    }
}
