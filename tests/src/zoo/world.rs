//! Scoring real statement documents against answer keys (`<file>.expected.json`: `kind`,
//! `currency`, `opening_balance`, `closing_balance` and `transactions` of `{date, amount}` with
//! credits positive) with the same matching as the zoo: transaction F1 over `(date, amount)`
//! multisets, accuracy of the three header fields an answer key gives, and the silently-wrong
//! rule (F1 < 0.9, not an error, not flagged for review).

use super::score::{Key, Match, SILENT_F1, extract, key, match_keys, misses, predicted_keys};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Score of one real document.
#[derive(Debug, Clone)]
pub struct WorldScore {
    /// Path relative to the set's root.
    pub file: String,
    /// The answer key's `kind`.
    pub kind: String,
    /// Record matching.
    pub m: Match,
    /// Header fields right (of currency, opening, closing; counted as in the zoo).
    pub fields_right: usize,
    /// Header fields counted.
    pub fields_counted: usize,
    /// Review flag.
    pub needs_review: bool,
    /// Reader error.
    pub error: Option<String>,
    /// A few unmatched keys.
    pub sample_misses: String,
}

impl WorldScore {
    /// F1 < 0.9, no error, no review flag.
    pub fn silently_wrong(&self) -> bool {
        self.error.is_none() && !self.needs_review && self.m.f1() < SILENT_F1
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            files(&p, out)?;
        } else if p.to_string_lossy().ends_with(".expected.json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Score every document under `root` that has an answer key, in path order.
pub fn score_dir(root: &Path) -> Result<Vec<WorldScore>> {
    let mut keys = Vec::new();
    files(root, &mut keys)?;
    keys.sort();
    let mut out = Vec::new();
    for key_path in keys {
        let doc_path = PathBuf::from(
            key_path
                .to_string_lossy()
                .trim_end_matches(".expected.json")
                .to_string(),
        );
        let answer: Value = serde_json::from_slice(&std::fs::read(&key_path)?)
            .with_context(|| format!("parsing {}", key_path.display()))?;
        let bytes =
            std::fs::read(&doc_path).with_context(|| format!("reading {}", doc_path.display()))?;
        out.push(score_one(root, &doc_path, &bytes, &answer));
    }
    Ok(out)
}

fn score_one(root: &Path, path: &Path, bytes: &[u8], answer: &Value) -> WorldScore {
    let truth: Vec<Key> = answer["transactions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    let amount = Decimal::from_str(t["amount"].as_str()?).ok()?;
                    let date = t["date"]
                        .as_str()
                        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
                    Some(key(date, amount))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut s = WorldScore {
        file: path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string(),
        kind: answer["kind"].as_str().unwrap_or("?").to_string(),
        m: Match {
            truth: truth.len(),
            ..Match::default()
        },
        fields_right: 0,
        fields_counted: 0,
        needs_review: false,
        error: None,
        sample_misses: String::new(),
    };
    match extract(&path.display().to_string(), bytes) {
        Err(e) => s.error = Some(e),
        Ok(x) => {
            let pred = predicted_keys(&x.records);
            s.m = match_keys(&truth, &pred);
            s.sample_misses = misses(&truth, &pred);
            s.needs_review = x.needs_review;
            for (k, gk) in [
                ("currency", "currency"),
                ("opening_balance", "opening_balance"),
                ("closing_balance", "closing_balance"),
            ] {
                let t = answer[k].as_str();
                let g = x.fields[gk].as_str();
                if t.is_none() && g.is_none() {
                    continue;
                }
                s.fields_counted += 1;
                let same = match (t, g) {
                    (Some(a), Some(b)) if k == "currency" => a == b,
                    (Some(a), Some(b)) => Decimal::from_str(a)
                        .ok()
                        .is_some_and(|a| Decimal::from_str(b).ok() == Some(a)),
                    _ => false,
                };
                if same {
                    s.fields_right += 1;
                }
            }
        }
    }
    s
}

/// A Markdown table of the scores, the mean F1 by kind and the silently-wrong list.
pub fn report(scores: &[WorldScore]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| file | kind | true | pred | F1 | fields | review | notes |\n|---|---|---:|---:|---:|---:|---|---|\n",
    );
    for s in scores {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {}/{} | {} | {} |",
            s.file,
            s.kind,
            s.m.truth,
            s.m.predicted,
            s.m.f1(),
            s.fields_right,
            s.fields_counted,
            if s.needs_review { "yes" } else { "no" },
            s.error
                .as_deref()
                .map(|e| format!("ERROR {}", e.chars().take(80).collect::<String>()))
                .unwrap_or_else(|| s.sample_misses.clone())
                .replace('|', "/")
        );
    }
    let mut kinds: Vec<&str> = scores.iter().map(|s| s.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    out.push_str("\n| kind | docs | mean F1 |\n|---|---:|---:|\n");
    for k in kinds {
        let v: Vec<f64> = scores
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| s.m.f1())
            .collect();
        let _ = writeln!(
            out,
            "| {k} | {} | {:.3} |",
            v.len(),
            v.iter().sum::<f64>() / v.len() as f64
        );
    }
    let silent: Vec<&WorldScore> = scores.iter().filter(|s| s.silently_wrong()).collect();
    let _ = writeln!(out, "\nSilently wrong ({}):", silent.len());
    for s in silent {
        let _ = writeln!(out, "- {} (F1 {:.3}) {}", s.file, s.m.f1(), s.sample_misses);
    }
    out
}
