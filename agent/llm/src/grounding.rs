//! The grounding verifier: no model, no I/O. Every value an LLM returns must be found in the
//! document's own tokens — amounts and dates through [`crate::norm`]'s normalisations, text with
//! whitespace, case and light punctuation ignored — and then carries the page and box it was
//! found at. A value that is not found is set to `null` and reported: it is never written.

use crate::norm::{self, DateForm};
use docket_core::{BBox, Document, Provenance};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The longest run of adjacent words on a line read as one printed value (`¥ 1 234,56`).
const MAX_WINDOW: usize = 4;

/// A run of adjacent words (or one spreadsheet cell).
#[derive(Debug, Clone)]
struct Span {
    page: u32,
    bbox: BBox,
    text: String,
    confidence: f32,
}

/// One line of text with the box of every character run, for substring search.
#[derive(Debug, Clone)]
struct LineText {
    page: u32,
    /// Squashed text of the line.
    squashed: String,
    /// For each byte of `squashed`: the index of the word it came from.
    owner: Vec<usize>,
    words: Vec<(BBox, f32, String)>,
}

/// Where a value was found, and how well it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// 1-based page (sheet index for workbooks).
    pub page: u32,
    /// Box on the page (for sheets `[col,row,col,row]`).
    pub bbox: BBox,
    /// The document's text the value matched.
    pub text: String,
    /// Lowest OCR confidence of the matched words (1 for text layers and cells).
    pub ocr_confidence: f32,
    /// 0..=1: 1 for the identical text, less for normalised, sign-flipped or year-less matches.
    pub quality: f32,
}

/// An index of a document's tokens for grounding many values quickly.
#[derive(Debug)]
pub struct Index {
    spans: Vec<Span>,
    lines: Vec<LineText>,
    amounts: HashMap<String, Vec<usize>>,
    dates: HashMap<DateForm, Vec<usize>>,
    exact: HashMap<String, Vec<usize>>,
}

fn amount_key(d: &Decimal) -> String {
    d.normalize().to_string()
}

impl Index {
    /// Builds the index of `doc`: every run of up to four adjacent words of a line, and every
    /// non-empty cell of every sheet.
    pub fn new(doc: &Document) -> Self {
        let mut ix = Index {
            spans: Vec::new(),
            lines: Vec::new(),
            amounts: HashMap::new(),
            dates: HashMap::new(),
            exact: HashMap::new(),
        };
        for page in &doc.pages {
            for line in page.lines() {
                let words = &line.words;
                for i in 0..words.len() {
                    let mut bbox = words[i].bbox;
                    let mut text = String::new();
                    let mut conf = 1.0f32;
                    for (k, w) in words.iter().enumerate().skip(i).take(MAX_WINDOW) {
                        if k > i {
                            text.push(' ');
                        }
                        text.push_str(&w.text);
                        bbox = bbox.union(&w.bbox);
                        conf = conf.min(w.confidence);
                        ix.push(Span {
                            page: page.number,
                            bbox,
                            text: text.clone(),
                            confidence: conf,
                        });
                    }
                }
                let mut lt = LineText {
                    page: page.number,
                    squashed: String::new(),
                    owner: Vec::new(),
                    words: Vec::new(),
                };
                for (wi, w) in words.iter().enumerate() {
                    let s = norm::squash(&w.text);
                    lt.owner.extend(std::iter::repeat_n(wi, s.len()));
                    lt.squashed.push_str(&s);
                    lt.words.push((w.bbox, w.confidence, w.text.clone()));
                }
                ix.lines.push(lt);
            }
        }
        for sheet in &doc.sheets {
            for (r, row) in sheet.rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if cell.is_blank() {
                        continue;
                    }
                    let text = cell.as_text();
                    let (c, r) = (c as f32, r as f32);
                    let bbox = BBox::new(c, r, c, r);
                    ix.push(Span {
                        page: sheet.index,
                        bbox,
                        text: text.clone(),
                        confidence: 1.0,
                    });
                    let squashed = norm::squash(&text);
                    ix.lines.push(LineText {
                        page: sheet.index,
                        owner: vec![0; squashed.len()],
                        squashed,
                        words: vec![(bbox, 1.0, text)],
                    });
                }
            }
        }
        ix
    }

    fn push(&mut self, span: Span) {
        let id = self.spans.len();
        for a in norm::amount_candidates(&span.text) {
            self.amounts.entry(amount_key(&a)).or_default().push(id);
        }
        for d in norm::date_candidates(&span.text) {
            self.dates.entry(d).or_default().push(id);
        }
        self.exact
            .entry(norm::squash(&span.text))
            .or_default()
            .push(id);
        self.spans.push(span);
    }

    fn found(&self, id: usize, quality: f32) -> Found {
        let s = &self.spans[id];
        Found {
            page: s.page,
            bbox: s.bbox,
            text: s.text.clone(),
            ocr_confidence: s.confidence,
            quality,
        }
    }

    /// The best (shortest, then first) span among `ids`.
    fn best(&self, ids: &[usize], quality: f32, wanted: &str) -> Option<Found> {
        let id = ids.iter().copied().min_by_key(|i| {
            let s = &self.spans[*i];
            (usize::from(s.text != wanted), s.text.len(), *i)
        })?;
        let q = if self.spans[id].text == wanted {
            1.0
        } else {
            quality
        };
        Some(self.found(id, q))
    }

    /// Grounds an amount: the same value printed in any format (quality 0.95), or its negation
    /// (a debit printed unsigned in a debit column; quality 0.85).
    pub fn ground_amount(&self, value: Decimal, printed: &str) -> Option<Found> {
        if let Some(ids) = self.amounts.get(&amount_key(&value)) {
            return self.best(ids, 0.95, printed);
        }
        let ids = self.amounts.get(&amount_key(&(-value)))?;
        self.best(ids, 0.85, printed)
    }

    /// Grounds a date: a complete date in any format (0.95), or day and month printed without a
    /// year (0.8).
    pub fn ground_date(&self, value: chrono::NaiveDate, printed: &str) -> Option<Found> {
        use chrono::Datelike;
        if let Some(ids) = self.dates.get(&DateForm::Full(value)) {
            return self.best(ids, 0.95, printed);
        }
        let ids = self
            .dates
            .get(&DateForm::MonthDay(value.month(), value.day()))?;
        self.best(ids, 0.8, printed)
    }

    /// Grounds text: the squashed value inside one line (quality 1 when the words match exactly,
    /// else 0.9), or an ISO currency code by its printed sign (0.8).
    pub fn ground_text(&self, value: &str) -> Option<Found> {
        let wanted = norm::squash(value);
        if wanted.is_empty() {
            return None;
        }
        if let Some(ids) = self.exact.get(&wanted) {
            return self.best(ids, 0.9, value.trim());
        }
        for lt in &self.lines {
            if let Some(pos) = lt.squashed.find(&wanted) {
                let first = lt.owner[pos];
                let last = lt.owner[pos + wanted.len() - 1];
                let words = &lt.words[first..=last];
                let bbox = words.iter().skip(1).fold(words[0].0, |b, w| b.union(&w.0));
                let conf = words.iter().map(|w| w.1).fold(1.0f32, f32::min);
                let text = words
                    .iter()
                    .map(|w| w.2.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                return Some(Found {
                    page: lt.page,
                    bbox,
                    quality: if text == value.trim() { 1.0 } else { 0.9 },
                    text,
                    ocr_confidence: conf,
                });
            }
        }
        let code = value.trim();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
            for form in norm::currency_forms(code) {
                let f = norm::squash(form);
                for lt in &self.lines {
                    if let Some(pos) = lt.squashed.find(&f) {
                        let (bbox, conf, text) = &lt.words[lt.owner[pos]];
                        return Some(Found {
                            page: lt.page,
                            bbox: *bbox,
                            text: text.clone(),
                            ocr_confidence: *conf,
                            quality: 0.8,
                        });
                    }
                }
            }
        }
        None
    }

    /// Grounds one returned value, trying it as an amount, a date, then as text.
    pub fn ground(&self, value: &Value) -> Option<Found> {
        let printed = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if printed.is_empty() {
            return None;
        }
        if let Some(d) = norm::value_date(&printed)
            && let Some(f) = self.ground_date(d, &printed)
        {
            return Some(f);
        }
        if let Some(a) = norm::value_amount(&printed)
            && let Some(f) = self.ground_amount(a, &printed)
        {
            return Some(f);
        }
        self.ground_text(&printed)
    }
}

/// A value that could not be found in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Ungrounded {
    /// Field path (`fields.amount`, `records[2].date`).
    pub path: String,
    /// What the model returned (after restoring redacted placeholders).
    pub value: Value,
}

/// The verdict on one extraction.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Field path → where it was found.
    pub found: BTreeMap<String, Found>,
    /// Values that were set to `null`.
    pub ungrounded: Vec<Ungrounded>,
}

/// Verifies every string and number leaf of `value` (in place): grounded leaves stay and get an
/// entry in [`Verdict::found`]; ungrounded ones become `null` and are listed. Booleans and nulls
/// and empty strings are left alone. `prefix` names the root (`fields`, `records[3]`).
pub fn verify(index: &Index, value: &mut Value, prefix: &str) -> Verdict {
    let mut v = Verdict::default();
    walk(index, value, prefix, &mut v);
    v
}

fn walk(index: &Index, value: &mut Value, path: &str, out: &mut Verdict) {
    match value {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(index, child, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk(index, child, &format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) if s.trim().is_empty() => {}
        Value::String(_) | Value::Number(_) => match index.ground(value) {
            Some(f) => {
                out.found.insert(path.to_string(), f);
            }
            None => {
                out.ungrounded.push(Ungrounded {
                    path: path.to_string(),
                    value: value.take(),
                });
            }
        },
        Value::Null | Value::Bool(_) => {}
    }
}

/// A [`Provenance`] for a found value.
pub fn provenance(f: &Found, extractor: &str, confidence: f32) -> Provenance {
    Provenance {
        page: f.page,
        bbox: f.bbox,
        text: f.text.clone(),
        extractor: extractor.to_string(),
        confidence,
    }
}
