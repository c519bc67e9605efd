//! Second reading of mostly-CJK pages. With several languages loaded (`eng+chi_sim`, the default)
//! Tesseract chooses a model per word, and on short CJK words the Latin model often wins with
//! confident junk: `结息` → `48`, `代发工资` → `RIF`, `币种：人民币` → `mth: ART`. Language order
//! does not change that: on the generated Chinese scan `eng+chi_sim` and `chi_sim+eng` give
//! byte-identical TSV (Tesseract 5.3), so putting the CJK language first is no remedy. Reading the
//! page with the CJK language alone gets every CJK word right but reads Latin text less well
//! (stray `”` before times, weaker English), so the two readings are combined word by word: the
//! CJK-only reading decides where it sees CJK text; where both see Latin letters or digits the
//! more confident of the two words is kept (the mixed reading also garbles some long numbers:
//! `3158966558844418` → `—«23:158966558844418`).
//!
//! This module must never invent text: every word it returns is a word one of the two readings
//! produced, with that reading's own box and confidence.

use super::cjk::is_cjk;
use super::tesseract::TsvWord;
use docket_core::geometry::BBox;

/// CJK languages that can read a page on their own (their models include Latin and digits).
const CJK_LANGUAGES: &[&str] = &["chi_sim", "chi_tra", "jpn", "kor"];

/// A page whose letters are at least this share CJK gets the second reading. Counting letters
/// (not digits or punctuation) keeps number-heavy Chinese tables above it and English pages
/// with a Chinese name or two below it.
pub const CJK_PAGE_SHARE: f32 = 0.3;

/// Boxes overlapping at least this much (intersection over union) are the same word.
const SAME_WORD_IOU: f32 = 0.5;

/// The CJK language to re-read a page with, when `languages` mixes one with others.
pub fn cjk_language(languages: &str) -> Option<&str> {
    let langs: Vec<&str> = languages.split('+').filter(|l| !l.is_empty()).collect();
    if langs.len() < 2 {
        return None;
    }
    langs.into_iter().find(|l| CJK_LANGUAGES.contains(l))
}

/// Share of the letters in `words` that are CJK (0 when there are no letters).
pub fn cjk_share(words: &[TsvWord]) -> f32 {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for c in words.iter().flat_map(|w| w.word.text.chars()) {
        if is_cjk(c) && c.is_alphabetic() {
            cjk += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters == 0 {
        0.0
    } else {
        cjk as f32 / letters as f32
    }
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| is_cjk(c) && c.is_alphabetic())
}

fn iou(a: &BBox, b: &BBox) -> f32 {
    let w = (a.x1.min(b.x1) - a.x0.max(b.x0)).max(0.0);
    let h = (a.y1.min(b.y1) - a.y0.max(b.y0)).max(0.0);
    let inter = w * h;
    let union = a.width() * a.height() + b.width() * b.height() - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Combines a mixed-language reading and a CJK-only reading of the same page: the CJK-only
/// words are kept (with their line ids, so the CJK merge still works), except that a word it
/// reads without CJK characters is replaced by the mixed reading's word in the same place when
/// that one has no CJK characters either and at least the same confidence.
pub fn combine(mixed: &[TsvWord], cjk_only: Vec<TsvWord>) -> Vec<TsvWord> {
    cjk_only
        .into_iter()
        .map(|mut w| {
            if has_cjk(&w.word.text) {
                return w;
            }
            let best = mixed
                .iter()
                .filter(|m| !has_cjk(&m.word.text))
                .map(|m| (iou(&m.word.bbox, &w.word.bbox), m))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((overlap, m)) = best
                && overlap >= SAME_WORD_IOU
                && m.word.confidence >= w.word.confidence
            {
                w.word = m.word.clone();
            }
            w
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use docket_core::Word;

    fn tw(text: &str, x0: f32, x1: f32, conf: f32) -> TsvWord {
        TsvWord {
            line: (1, 1, 1),
            word: Word {
                text: text.into(),
                bbox: BBox::new(x0, 100.0, x1, 130.0),
                confidence: conf,
            },
        }
    }

    #[test]
    fn only_mixed_cjk_language_lists_get_a_second_reading() {
        assert_eq!(cjk_language("eng+chi_sim"), Some("chi_sim"));
        assert_eq!(cjk_language("chi_sim+eng"), Some("chi_sim"));
        assert_eq!(cjk_language("chi_sim"), None);
        assert_eq!(cjk_language("eng+deu"), None);
    }

    #[test]
    fn share_counts_letters_not_digits() {
        let page = [
            tw("结息", 0.0, 40.0, 0.9),
            tw("2026-03-28", 50.0, 150.0, 0.9),
        ];
        assert_eq!(cjk_share(&page), 1.0);
        let page = [tw("Interest", 0.0, 40.0, 0.9), tw("结息", 50.0, 90.0, 0.9)];
        assert!((cjk_share(&page) - 0.2).abs() < 1e-6);
        assert_eq!(cjk_share(&[tw("1,234.56", 0.0, 40.0, 0.9)]), 0.0);
    }

    #[test]
    fn cjk_reading_wins_on_cjk_and_mixed_reading_on_latin() {
        let mixed = [
            tw("48", 10.0, 50.0, 0.48),
            tw("07:00:23", 60.0, 140.0, 0.8),
            tw("ATM", 150.0, 190.0, 0.9),
            tw("—«23:1589", 200.0, 290.0, 0.3),
        ];
        let cjk_only = vec![
            tw("结息", 10.0, 52.0, 0.63),
            tw("”07:00:23", 56.0, 140.0, 0.5),
            tw("ATN", 150.0, 190.0, 0.4),
            tw("31589", 202.0, 290.0, 0.91), // more confident than the mixed reading: kept
            tw("18.84", 300.0, 340.0, 0.93), // only in this reading: kept as read
        ];
        let out = combine(&mixed, cjk_only);
        let texts: Vec<&str> = out.iter().map(|w| w.word.text.as_str()).collect();
        assert_eq!(texts, ["结息", "07:00:23", "ATM", "31589", "18.84"]);
        assert_eq!(out[1].word.confidence, 0.8);
        assert_eq!(out[0].word.confidence, 0.63);
    }
}
