//! The zoo's scoring harness: digitise a file's bytes with `docket_documents`, read it with
//! `docket_extract::extract_bank_statement`, and compare with the truth.
//!
//! * **Transaction F1**: predicted and true records are matched as multisets of
//!   `(date, signed amount)`; precision = matched / predicted, recall = matched / true, F1 their
//!   harmonic mean (1 when both are empty, 0 when the reader failed with an error).
//! * **Header-field accuracy** over the 7 fields (holder, account number, currency, period start
//!   and end, opening and closing balance): a field the truth has counts always — right when the
//!   prediction equals it (holder and account compared without spaces, dashes or case) — and a
//!   field the truth has as null counts only when the reader predicted something (always wrong:
//!   the file does not print it). Accuracy = right / counted, pooled over documents.
//! * **Silently wrong**: F1 < 0.9, the extraction is not an error and `needs_review` is false —
//!   a wrong result nobody would be asked to look at.
//!
//! Scores are reported per split (tune / held-out) and format group (digital, scan, sheet) as
//! mean per-document F1 and pooled field accuracy, plus a per-layout table in Markdown.

use super::{Layout, ZooDoc};
use chrono::NaiveDate;
use docket_core::Extraction;
use docket_core::statement::StatementFields;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

/// F1 below this, unflagged and not an error, is "silently wrong".
pub const SILENT_F1: f64 = 0.9;

/// Digitise and extract in-process; an error is `code: message`.
pub fn extract(name: &str, bytes: &[u8]) -> Result<Extraction, String> {
    let opts = docket_documents::DigitiseOptions {
        ocr_threads: 2,
        ..Default::default()
    };
    let doc = docket_documents::digitise_bytes(name, bytes, &opts)
        .map_err(|e| format!("{}: {}", e.code, e.message))?;
    docket_extract::extract_bank_statement(&doc).map_err(|e| format!("{}: {}", e.code, e.message))
}

/// Matching counts of one document.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Match {
    /// True records.
    pub truth: usize,
    /// Predicted records.
    pub predicted: usize,
    /// Matched pairs.
    pub matched: usize,
}

impl Match {
    /// Precision (1 when nothing was predicted and nothing was true).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            if self.truth == 0 { 1.0 } else { 0.0 }
        } else {
            self.matched as f64 / self.predicted as f64
        }
    }

    /// Recall.
    pub fn recall(&self) -> f64 {
        if self.truth == 0 {
            if self.predicted == 0 { 1.0 } else { 0.0 }
        } else {
            self.matched as f64 / self.truth as f64
        }
    }

    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// A record's key: date (None for "Pending" rows) and amount, normalised.
pub type Key = (Option<NaiveDate>, String);

/// Key of an amount.
pub fn key(date: Option<NaiveDate>, amount: Decimal) -> Key {
    (date, amount.normalize().to_string())
}

/// Keys of predicted records (records without a parsable amount get an impossible key).
pub fn predicted_keys(records: &[Value]) -> Vec<Key> {
    records
        .iter()
        .map(|r| {
            let date = r["date"]
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
            let amount = r["amount"]
                .as_str()
                .and_then(|s| Decimal::from_str(s).ok())
                .map(|d| d.normalize().to_string())
                .unwrap_or_else(|| "?".into());
            (date, amount)
        })
        .collect()
}

/// The first 6 characters of a description, without whitespace, lower-cased.
pub fn desc_prefix(d: &str) -> String {
    d.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .take(6)
        .collect()
}

/// Key of a record with its description prefix (the secondary "F1·desc" match).
pub fn key_desc(date: Option<NaiveDate>, amount: Decimal, description: &str) -> Key {
    let (d, a) = key(date, amount);
    (d, format!("{a}|{}", desc_prefix(description)))
}

/// Keys with description prefixes of predicted records.
pub fn predicted_keys_desc(records: &[Value]) -> Vec<Key> {
    predicted_keys(records)
        .into_iter()
        .zip(records)
        .map(|((d, a), r)| {
            (
                d,
                format!(
                    "{a}|{}",
                    desc_prefix(r["description"].as_str().unwrap_or(""))
                ),
            )
        })
        .collect()
}

/// Multiset match of predicted against true keys.
pub fn match_keys(truth: &[Key], predicted: &[Key]) -> Match {
    let mut left: HashMap<&Key, usize> = HashMap::new();
    for k in truth {
        *left.entry(k).or_default() += 1;
    }
    let mut matched = 0;
    for k in predicted {
        if let Some(n) = left.get_mut(k).filter(|n| **n > 0) {
            *n -= 1;
            matched += 1;
        }
    }
    Match {
        truth: truth.len(),
        predicted: predicted.len(),
        matched,
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// (right, counted, descriptions of the misses) for the 7 header fields.
pub fn score_fields(truth: &StatementFields, got: &Value) -> (usize, usize, Vec<String>) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let dec = |v: &Value| v.as_str().and_then(|s| Decimal::from_str(s).ok());
    let date = |v: &Value| {
        v.as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let g = |k: &str| &got[k];
    let cases: Vec<(&str, Option<String>, Option<String>, bool)> = vec![
        (
            "holder",
            truth.account_holder.clone(),
            text(g("account_holder")),
            squash_eq(&truth.account_holder, &text(g("account_holder"))),
        ),
        (
            "account",
            truth.account_number.clone(),
            text(g("account_number")),
            squash_eq(&truth.account_number, &text(g("account_number"))),
        ),
        (
            "currency",
            truth.currency.clone(),
            text(g("currency")),
            truth.currency == text(g("currency")),
        ),
        (
            "period_start",
            truth.period_start.map(|d| d.to_string()),
            text(g("period_start")),
            truth.period_start == date(g("period_start")),
        ),
        (
            "period_end",
            truth.period_end.map(|d| d.to_string()),
            text(g("period_end")),
            truth.period_end == date(g("period_end")),
        ),
        (
            "opening",
            truth.opening_balance.map(|d| d.to_string()),
            text(g("opening_balance")),
            truth.opening_balance == dec(g("opening_balance")),
        ),
        (
            "closing",
            truth.closing_balance.map(|d| d.to_string()),
            text(g("closing_balance")),
            truth.closing_balance == dec(g("closing_balance")),
        ),
    ];
    let (mut right, mut counted, mut misses) = (0, 0, Vec::new());
    for (name, t, p, ok) in cases {
        if t.is_none() && p.is_none() {
            continue;
        }
        counted += 1;
        if ok {
            right += 1;
        } else {
            misses.push(format!(
                "{name}={}≠{}",
                p.as_deref().unwrap_or("null"),
                t.as_deref().unwrap_or("null")
            ));
        }
    }
    (right, counted, misses)
}

fn squash_eq(t: &Option<String>, p: &Option<String>) -> bool {
    match (t, p) {
        (Some(a), Some(b)) => squash(a) == squash(b),
        (None, None) => true,
        _ => false,
    }
}

/// Score of one zoo document.
#[derive(Debug, Clone)]
pub struct DocScore {
    /// Layout id.
    pub id: String,
    /// `tune` / `held-out`.
    pub split: &'static str,
    /// `digital` / `scan` / `sheet`.
    pub group: &'static str,
    /// What the layout exercises.
    pub features: String,
    /// Record matching.
    pub m: Match,
    /// Record matching with description prefixes.
    pub m_desc: Match,
    /// Header fields right.
    pub fields_right: usize,
    /// Header fields counted.
    pub fields_counted: usize,
    /// Header-field misses (`name=got≠truth`).
    pub field_misses: Vec<String>,
    /// The extraction asked for review.
    pub needs_review: bool,
    /// Names of failed checks.
    pub failed_checks: Vec<String>,
    /// The reader's error, if any.
    pub error: Option<String>,
    /// A few unmatched keys, for diagnosis.
    pub sample_misses: String,
}

impl DocScore {
    /// F1 < 0.9, no error and no review flag.
    pub fn silently_wrong(&self) -> bool {
        self.error.is_none() && !self.needs_review && self.m.f1() < SILENT_F1
    }
}

/// Extract and score one zoo document.
pub fn score_doc(doc: &ZooDoc) -> DocScore {
    let truth: Vec<Key> = doc
        .truth
        .records
        .iter()
        .map(|r| key(Some(r.date), r.amount))
        .collect();
    let truth_desc: Vec<Key> = doc
        .truth
        .records
        .iter()
        .map(|r| key_desc(Some(r.date), r.amount, &r.description))
        .collect();
    score_layout(
        &doc.layout,
        &doc.name,
        &doc.bytes,
        (&truth, &truth_desc),
        &doc.truth.fields,
    )
}

fn score_layout(
    l: &Layout,
    name: &str,
    bytes: &[u8],
    (truth, truth_desc): (&[Key], &[Key]),
    fields: &StatementFields,
) -> DocScore {
    let mut s = DocScore {
        id: l.id.clone(),
        split: l.split(),
        group: l.format.group(),
        features: l.features(),
        m: Match {
            truth: truth.len(),
            ..Match::default()
        },
        m_desc: Match {
            truth: truth.len(),
            ..Match::default()
        },
        fields_right: 0,
        fields_counted: 0,
        field_misses: Vec::new(),
        needs_review: false,
        failed_checks: Vec::new(),
        error: None,
        sample_misses: String::new(),
    };
    match extract(name, bytes) {
        Err(e) => {
            s.error = Some(e);
            s.fields_counted = 7 - [
                fields.account_holder.is_none(),
                fields.account_number.is_none(),
                fields.currency.is_none(),
                fields.period_start.is_none(),
                fields.period_end.is_none(),
                fields.opening_balance.is_none(),
                fields.closing_balance.is_none(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
        }
        Ok(x) => {
            let pred = predicted_keys(&x.records);
            s.m = match_keys(truth, &pred);
            s.m_desc = match_keys(truth_desc, &predicted_keys_desc(&x.records));
            s.sample_misses = misses(truth, &pred);
            let (r, c, m) = score_fields(fields, &x.fields);
            s.fields_right = r;
            s.fields_counted = c;
            s.field_misses = m;
            s.needs_review = x.needs_review;
            s.failed_checks = x
                .checks
                .iter()
                .filter(|c| c.status == docket_core::CheckStatus::Fail)
                .map(|c| c.name.clone())
                .collect();
        }
    }
    s
}

/// Up to three true keys not predicted and three predicted keys not true.
pub fn misses(truth: &[Key], pred: &[Key]) -> String {
    let mut left: HashMap<&Key, usize> = HashMap::new();
    for k in pred {
        *left.entry(k).or_default() += 1;
    }
    let mut missing = Vec::new();
    for k in truth {
        match left.get_mut(k).filter(|n| **n > 0) {
            Some(n) => *n -= 1,
            None => missing.push(k),
        }
    }
    let mut left: HashMap<&Key, usize> = HashMap::new();
    for k in truth {
        *left.entry(k).or_default() += 1;
    }
    let mut extra = Vec::new();
    for k in pred {
        match left.get_mut(k).filter(|n| **n > 0) {
            Some(n) => *n -= 1,
            None => extra.push(k),
        }
    }
    let show = |v: &[&Key]| -> String {
        v.iter()
            .take(3)
            .map(|(d, a)| format!("{} {a}", d.map_or("-".into(), |d| d.to_string())))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if missing.is_empty() && extra.is_empty() {
        return String::new();
    }
    format!(
        "missed {} [{}], extra {} [{}]",
        missing.len(),
        show(&missing),
        extra.len(),
        show(&extra)
    )
}

/// Aggregate of a set of documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Documents.
    pub docs: usize,
    /// Mean per-document F1.
    pub mean_f1: f64,
    /// Mean per-document F1 with description prefixes.
    pub mean_f1_desc: f64,
    /// Pooled header-field accuracy.
    pub field_accuracy: f64,
    /// Documents flagged for review.
    pub review: usize,
    /// Documents the reader failed on.
    pub errors: usize,
    /// Silently wrong documents.
    pub silent: usize,
}

/// Summarise the documents `keep` selects.
pub fn summarise(scores: &[DocScore], keep: impl Fn(&DocScore) -> bool) -> Summary {
    let chosen: Vec<&DocScore> = scores.iter().filter(|s| keep(s)).collect();
    let n = chosen.len();
    let right: usize = chosen.iter().map(|s| s.fields_right).sum();
    let counted: usize = chosen.iter().map(|s| s.fields_counted).sum();
    Summary {
        docs: n,
        mean_f1: if n == 0 {
            0.0
        } else {
            chosen.iter().map(|s| s.m.f1()).sum::<f64>() / n as f64
        },
        mean_f1_desc: if n == 0 {
            0.0
        } else {
            chosen.iter().map(|s| s.m_desc.f1()).sum::<f64>() / n as f64
        },
        field_accuracy: if counted == 0 {
            1.0
        } else {
            right as f64 / counted as f64
        },
        review: chosen.iter().filter(|s| s.needs_review).count(),
        errors: chosen.iter().filter(|s| s.error.is_some()).count(),
        silent: chosen.iter().filter(|s| s.silently_wrong()).count(),
    }
}

/// The Markdown report: summary by split × format group, the per-layout table and the
/// silently-wrong list.
pub fn report(scores: &[DocScore]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Layout zoo scores\n");
    let _ = writeln!(
        out,
        "| split | format | docs | mean F1 | F1·desc | header acc | review | errors | silently wrong |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for split in ["tune", "held-out", "all"] {
        for group in ["digital", "scan", "sheet", "digital+sheet", "all"] {
            let s = summarise(scores, |d| {
                (split == "all" || d.split == split)
                    && match group {
                        "all" => true,
                        "digital+sheet" => d.group != "scan",
                        g => d.group == g,
                    }
            });
            if s.docs == 0 {
                continue;
            }
            let _ = writeln!(
                out,
                "| {split} | {group} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} |",
                s.docs, s.mean_f1, s.mean_f1_desc, s.field_accuracy, s.review, s.errors, s.silent
            );
        }
    }
    let _ = writeln!(out, "\n### Per layout\n");
    let _ = writeln!(
        out,
        "| id | split | features | true | pred | P | R | F1 | F1·desc | fields | review | notes |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    );
    for s in scores {
        let mut notes = Vec::new();
        if let Some(e) = &s.error {
            notes.push(format!("ERROR {}", e.chars().take(90).collect::<String>()));
        }
        if s.silently_wrong() {
            notes.push("**SILENTLY WRONG**".into());
        }
        if !s.failed_checks.is_empty() {
            notes.push(format!("failed: {}", s.failed_checks.join(",")));
        }
        if !s.sample_misses.is_empty() {
            notes.push(s.sample_misses.clone());
        }
        if !s.field_misses.is_empty() {
            notes.push(s.field_misses.join(" "));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.3} | {:.3} | {}/{} | {} | {} |",
            s.id,
            s.split,
            s.features,
            s.m.truth,
            s.m.predicted,
            s.m.precision(),
            s.m.recall(),
            s.m.f1(),
            s.m_desc.f1(),
            s.fields_right,
            s.fields_counted,
            if s.needs_review { "yes" } else { "no" },
            notes.join("; ").replace('|', "/")
        );
    }
    let silent: Vec<&DocScore> = scores.iter().filter(|s| s.silently_wrong()).collect();
    let _ = writeln!(out, "\n### Silently wrong ({})\n", silent.len());
    for s in silent {
        let _ = writeln!(out, "- {} (F1 {:.3}): {}", s.id, s.m.f1(), s.sample_misses);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;

    #[test]
    fn multiset_matching() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1);
        let a = |s: &str| key(d, Decimal::from_str(s).unwrap());
        let truth = vec![a("-1.50"), a("-1.5"), a("2")];
        let pred = vec![a("-1.5"), a("2.00"), a("2.00"), a("9")];
        let m = match_keys(&truth, &pred);
        assert_eq!(m.matched, 2);
        assert!((m.precision() - 0.5).abs() < 1e-9);
        assert!((m.recall() - 2.0 / 3.0).abs() < 1e-9);
    }
}
