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
    colon: bool,
}

fn hits(text: &str) -> Vec<Hit> {
    let lower = text.to_lowercase();
    let mut out: Vec<Hit> = Vec::new();
    for (label, key) in FIELD_LABELS {
        let l = label.to_lowercase();
        for (pos, _) in lower.match_indices(&l) {
            let before_ok = lower[..pos].chars().last().is_none_or(|c| {
                c.is_whitespace() || c.is_ascii_punctuation() || "，。；、".contains(c)
            });
            let end = pos + l.len();
            let rest = &lower[end..];
            let after_ok = rest
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() || !l.is_ascii());
            let colon = rest.trim_start().starts_with([':', '：']);
            if before_ok && after_ok && (colon || pos == 0) {
                out.push(Hit {
                    start: pos,
                    end,
                    key: *key,
                    colon,
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
                let value = value
                    .trim_matches(|c| matches!(c, '[' | ']' | '"' | ' ' | '\t'))
                    .to_string();
                if value.is_empty() {
                    continue;
                }
                let typed_ok = self.set(h.key, &value, order, &pieces, extractor);
                let _ = (typed_ok, h.colon);
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
                let v = value.split_whitespace().next().unwrap_or(value).to_string();
                f.account_number = Some(v);
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
                let Some((v, _)) = parse::parse_amount(value) else {
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
