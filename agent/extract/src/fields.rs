//! Header key/values of a statement (`Account Number: …`, `户名 张三`, `起止日期 2026年1月1日至
//! 2026年1月31日`): labels from the vocabulary, values after a colon on the same segment or in
//! the next segment. A value is only taken when it parses as what its label promises; this module
//! never invents a field from text that is not labelled.

use crate::parse::{self, DateOrder};
use crate::table::{Piece, join_texts, provenance};
use crate::vocab::{FIELD_LABELS, FieldKey};
use docket_core::{Provenance, StatementFields};
use std::collections::BTreeMap;

/// Fields read so far with their provenance, keyed `fields.NAME`.
#[derive(Debug, Default)]
pub struct Found {
    /// The fields.
    pub fields: StatementFields,
    /// `fields.NAME` → provenance.
    pub prov: BTreeMap<String, Provenance>,
}

struct Seg<'a> {
    text: String,
    spans: Vec<(usize, usize, &'a Piece)>,
}

fn seg(pieces: &[Piece]) -> Seg<'_> {
    let mut text = String::new();
    let mut spans = Vec::new();
    for p in pieces {
        let before = text.clone();
        text = join_texts([before.as_str(), p.text.as_str()].into_iter());
        spans.push((text.len() - p.text.trim().len(), text.len(), p));
    }
    Seg { text, spans }
}

impl Seg<'_> {
    fn pieces_in(&self, start: usize, end: usize) -> Vec<Piece> {
        self.spans
            .iter()
            .filter(|(s, e, _)| *s < end && *e > start)
            .map(|(_, _, p)| (*p).clone())
            .collect()
    }
}

struct Hit {
    start: usize,
    end: usize,
    key: FieldKey,
}

fn is_cjk(c: char) -> bool {
    c as u32 >= 0x2E80
}

/// Matches `label` at byte `pos` of `text` (already lower-cased) and returns where it ends.
/// Whitespace inside a label matches any run of whitespace, and OCR's spaces between the
/// characters of a CJK label (`起 止日期`) are skipped.
fn match_label(text: &str, pos: usize, label: &str) -> Option<usize> {
    let mut t = text[pos..].char_indices().peekable();
    let mut prev: Option<char> = None;
    for l in label.chars() {
        if l.is_whitespace() {
            let mut any = false;
            while t.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                t.next();
                any = true;
            }
            if !any {
                return None;
            }
        } else {
            if prev.is_some_and(is_cjk) && is_cjk(l) {
                while t.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    t.next();
                }
            }
            match t.next() {
                Some((_, c)) if c == l => {}
                _ => return None,
            }
        }
        prev = Some(l);
    }
    Some(t.peek().map_or(text.len(), |(i, _)| pos + i))
}

fn hits(text: &str) -> Vec<Hit> {
    let lower = text.to_lowercase();
    // Lower-casing may change byte lengths; positions are only meaningful when it does not.
    if lower.len() != text.len() {
        return Vec::new();
    }
    let mut out: Vec<Hit> = Vec::new();
    for (label, key) in FIELD_LABELS {
        let l = label.to_lowercase();
        let Some(first) = l.chars().next() else {
            continue;
        };
        for (pos, _) in lower.match_indices(first) {
            let Some(end) = match_label(&lower, pos, &l) else {
                continue;
            };
            let before_ok = lower[..pos].chars().last().is_none_or(|c| {
                c.is_whitespace() || c.is_ascii_punctuation() || "，。；、".contains(c)
            });
            let rest = &lower[end..];
            let after_ok = rest
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() || !l.is_ascii());
            let colon = rest.trim_start().starts_with([':', '：']);
            // A CJK label needs no colon (OCR drops it); an English word does, unless it opens
            // the segment, for `Name` and `Period` also occur in prose.
            let cjk_label = l.chars().any(is_cjk);
            if before_ok && after_ok && (colon || pos == 0 || cjk_label) {
                out.push(Hit {
                    start: pos,
                    end,
                    key: *key,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
    });
    let mut kept: Vec<Hit> = Vec::new();
    for h in out {
        if kept.last().is_none_or(|k| h.start >= k.end) {
            kept.push(h);
        }
    }
    kept
}

/// An account number as printed: its first token, and the groups that follow it when they are
/// digits or masks (`6222 0212 3456 7890`, `6222 **** **** 7890`), joined by single spaces.
pub fn account_number(value: &str) -> String {
    let mut tokens = value.split_whitespace();
    let Some(first) = tokens.next() else {
        return String::new();
    };
    let group = |t: &str| {
        t.chars().any(|c| c.is_ascii_digit() || c == '*')
            && t.chars().all(|c| c.is_ascii_digit() || c == '*')
    };
    let mut out = first.to_string();
    if group(first) {
        for t in tokens.take_while(|t| group(t)) {
            out.push(' ');
            out.push_str(t);
        }
    }
    out
}

impl Found {
    /// Reads labelled values from segments in reading order; a field already found is kept.
    pub fn read(&mut self, segments: &[Vec<Piece>], order: DateOrder, extractor: &str) {
        let segs: Vec<Seg<'_>> = segments.iter().map(|s| seg(s)).collect();
        let mut k = 0;
        while k < segs.len() {
            let s = &segs[k];
            let hs = hits(&s.text);
            let mut used_next = false;
            for (i, h) in hs.iter().enumerate() {
                let mut vs = h.end;
                let rest = &s.text[vs..];
                let trimmed = rest.trim_start_matches([' ', ':', '：', '\t']);
                vs += rest.len() - trimmed.len();
                let ve = hs.get(i + 1).map_or(s.text.len(), |n| n.start);
                let raw = s.text[vs..ve.max(vs)].trim();
                let (value, pieces) = if raw.is_empty() && i + 1 == hs.len() {
                    match segs.get(k + 1) {
                        Some(n) if hits(&n.text).is_empty() => {
                            used_next = true;
                            (n.text.trim().to_string(), n.pieces_in(0, n.text.len()))
                        }
                        _ => continue,
                    }
                } else {
                    (raw.to_string(), s.pieces_in(vs, ve))
                };
                let value = parse::strip_edge_noise(
                    value.trim_matches(|c| matches!(c, '[' | ']' | '"' | ' ' | '\t')),
                );
                if value.is_empty() {
                    continue;
                }
                let typed_ok = self.set(h.key, &value, order, &pieces, extractor);
                // `Beginning Balance on May 3, 2003 ........ $7,126.11`: the amount stands
                // apart, in the next segment of the line.
                if !typed_ok
                    && i + 1 == hs.len()
                    && matches!(h.key, FieldKey::Opening | FieldKey::Closing)
                    && let Some(n) = segs.get(k + 1)
                    && hits(&n.text).is_empty()
                    && parse::parse_amount(n.text.trim()).is_some()
                    && self.set(
                        h.key,
                        n.text.trim(),
                        order,
                        &n.pieces_in(0, n.text.len()),
                        extractor,
                    )
                {
                    used_next = true;
                }
            }
            k += if used_next { 2 } else { 1 };
        }
    }

    fn put(&mut self, name: &str, pieces: &[Piece], extractor: &str) {
        if let Some(p) = provenance(pieces, extractor) {
            self.prov.entry(format!("fields.{name}")).or_insert(p);
        }
    }

    fn set(
        &mut self,
        key: FieldKey,
        value: &str,
        order: DateOrder,
        pieces: &[Piece],
        ex: &str,
    ) -> bool {
        let f = &mut self.fields;
        match key {
            FieldKey::Holder if f.account_holder.is_none() => {
                f.account_holder = Some(value.to_string());
                self.put("account_holder", pieces, ex);
            }
            FieldKey::Number if f.account_number.is_none() => {
                // An account number holds digits (`Account Type: Checking` is not one).
                let number = account_number(value);
                if number.chars().filter(char::is_ascii_digit).count() < 4 {
                    return false;
                }
                f.account_number = Some(number);
                self.put("account_number", pieces, ex);
            }
            FieldKey::Currency if f.currency.is_none() => {
                let Some(c) = parse::currency_code(value) else {
                    return false;
                };
                f.currency = Some(c);
                self.put("currency", pieces, ex);
            }
            FieldKey::Period if f.period_start.is_none() => {
                let Some((a, b)) = parse::parse_period(value, order) else {
                    return false;
                };
                f.period_start = Some(a);
                f.period_end = Some(b);
                self.put("period_start", pieces, ex);
                self.put("period_end", pieces, ex);
            }
            FieldKey::PeriodStart | FieldKey::PeriodEnd => {
                let Some((d, _)) = parse::parse_datetime(value, order) else {
                    return false;
                };
                if key == FieldKey::PeriodStart && f.period_start.is_none() {
                    f.period_start = Some(d);
                    self.put("period_start", pieces, ex);
                } else if key == FieldKey::PeriodEnd && f.period_end.is_none() {
                    f.period_end = Some(d);
                    self.put("period_end", pieces, ex);
                }
            }
            FieldKey::Opening | FieldKey::Closing => {
                // `Beginning Balance on May 3, 2003  $7,126.11`: the amount ends the value.
                let last = value.split_whitespace().last().unwrap_or_default();
                let money_like = last.contains(['.', ',', '$', '€', '£', '¥']);
                let Some((v, _)) = parse::parse_amount(value).or_else(|| {
                    parse::parse_amount(last).filter(|_| money_like && !parse::is_date(last))
                }) else {
                    return false;
                };
                if key == FieldKey::Opening && f.opening_balance.is_none() {
                    f.opening_balance = Some(v);
                    self.put("opening_balance", pieces, ex);
                } else if key == FieldKey::Closing && f.closing_balance.is_none() {
                    f.closing_balance = Some(v);
                    self.put("closing_balance", pieces, ex);
                }
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use docket_core::BBox;

    fn pieces(words: &[&str]) -> Vec<Piece> {
        words
            .iter()
            .enumerate()
            .map(|(i, w)| Piece {
                text: (*w).into(),
                page: 1,
                bbox: BBox::new(i as f32 * 30.0, 0.0, i as f32 * 30.0 + 25.0, 10.0),
                confidence: 0.9,
            })
            .collect()
    }

    #[test]
    fn account_numbers_keep_their_groups_and_masks() {
        assert_eq!(account_number("6222 0212 3456 7890"), "6222 0212 3456 7890");
        assert_eq!(account_number("6230 6389 0813"), "6230 6389 0813");
        assert_eq!(account_number("6222 **** **** 7890"), "6222 **** **** 7890");
        assert_eq!(account_number("46223709"), "46223709");
        assert_eq!(account_number("12-3456-7890 GBP"), "12-3456-7890");
        assert_eq!(account_number("6222 0212 mth: ART"), "6222 0212");
    }

    #[test]
    fn ocr_header_labels_with_spaces_without_colons_and_with_ascii_colons() {
        let mut f = Found::default();
        let segs = vec![
            pieces(&["户", "名：", "陈思远"]),
            pieces(&["账号:", "6222", "0212", "7262", "6484"]),
            pieces(&["币 种", "人民币"]),
            pieces(&["起 止日期:", "2026-03-01", "3", "2026-03-31"]),
            pieces(&["期未余额：", "979.23"]),
        ];
        f.read(&segs, DateOrder::DayFirst, "layout");
        let x = &f.fields;
        assert_eq!(x.account_holder.as_deref(), Some("陈思远"));
        assert_eq!(x.account_number.as_deref(), Some("6222 0212 7262 6484"));
        assert_eq!(x.currency.as_deref(), Some("CNY"));
        assert_eq!(
            x.period_start.map(|d| d.to_string()).as_deref(),
            Some("2026-03-01")
        );
        assert_eq!(
            x.period_end.map(|d| d.to_string()).as_deref(),
            Some("2026-03-31")
        );
        assert_eq!(
            x.closing_balance.map(|d| d.to_string()).as_deref(),
            Some("979.23")
        );
    }

    #[test]
    fn english_words_in_prose_are_not_labels() {
        let mut f = Found::default();
        f.read(
            &[pieces(&[
                "Thank", "you", "for", "banking.", "Name", "changes", "take", "a", "day",
            ])],
            DateOrder::DayFirst,
            "layout",
        );
        assert_eq!(f.fields.account_holder, None);
    }
}
