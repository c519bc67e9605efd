//! The project's own generated statements — digital PDFs, scans at 200 dpi with noise and a slight
//! rotation, xlsx and GB18030 CSV, English and Chinese — extract through the real `docket extract`
//! (real lopdf, real Tesseract, real calamine) to exactly the transactions they were generated
//! from: every date, amount, balance and counterparty.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use docket_e2e::samples;
use serde_json::Value;

/// Text without whitespace: OCR cannot know how many spaces a printed gap stood for, so for
/// scanned sources descriptions are compared with spaces removed (every character must match).
fn squash(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::String(s.split_whitespace().collect()),
        None => v.clone(),
    }
}

fn compare(name: &str, got: &Value, truth: &Value) -> Vec<String> {
    let scanned = name.starts_with("scan-");
    let mut problems = Vec::new();
    let grecs = got["records"].as_array().cloned().unwrap_or_default();
    let trecs = truth["records"].as_array().cloned().unwrap_or_default();
    if grecs.len() != trecs.len() {
        problems.push(format!(
            "{name}: {} records, expected {}",
            grecs.len(),
            trecs.len()
        ));
    }
    for (i, (g, t)) in grecs.iter().zip(trecs.iter()).enumerate() {
        for key in [
            "date",
            "time",
            "amount",
            "balance",
            "counterparty",
            "counterparty_account",
            "currency",
            "description",
        ] {
            let (gv, tv) = if scanned && key == "description" {
                (squash(&g[key]), squash(&t[key]))
            } else {
                (g[key].clone(), t[key].clone())
            };
            if gv != tv {
                problems.push(format!(
                    "{name}: records[{i}].{key} = {} expected {}",
                    g[key], t[key]
                ));
            }
        }
    }
    for key in [
        "account_holder",
        "account_number",
        "currency",
        "period_start",
        "period_end",
        "opening_balance",
        "closing_balance",
    ] {
        if got["fields"][key] != truth["fields"][key] {
            problems.push(format!(
                "{name}: fields.{key} = {} expected {}",
                got["fields"][key], truth["fields"][key]
            ));
        }
    }
    problems
}

#[test]
fn demo_set_extracts_exactly_the_generated_transactions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let set = samples::demo_set()?;
    let paths = samples::write_samples(&set, dir.path(), None)?;
    let mut problems = Vec::new();
    for (sample, path) in set.iter().zip(paths.iter()) {
        let o = docket(&["extract", "--json", &path.display().to_string()], &[])?;
        let stdout = out(&o);
        let got: Value = match serde_json::from_str(stdout.trim()) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "{}: no JSON ({e}); stderr: {}",
                    sample.name,
                    err(&o)
                ));
                continue;
            }
        };
        if let Some(e) = got.get("error") {
            problems.push(format!("{}: error {e}", sample.name));
            continue;
        }
        let truth = serde_json::to_value(&sample.truth)?;
        problems.extend(compare(&sample.name, &got, &truth));
        assert_eq!(got["source"]["pages"], sample.pages, "{}", sample.name);
        assert_eq!(got["schema"], "bank_statement");
        let failed: Vec<&Value> = got["checks"]
            .as_array()
            .map(|c| c.iter().filter(|c| c["status"] == "fail").collect())
            .unwrap_or_default();
        if !failed.is_empty() {
            problems.push(format!("{}: failed checks {failed:?}", sample.name));
        }
        // Every record's amount is traced to a page and box.
        for i in 0..got["records"].as_array().map(Vec::len).unwrap_or(0) {
            let p = &got["provenance"][format!("records[{i}].amount")];
            if !(p["page"].as_u64().unwrap_or(0) >= 1
                && p["bbox"].as_array().map(Vec::len) == Some(4))
            {
                problems.push(format!(
                    "{}: records[{i}].amount has no provenance",
                    sample.name
                ));
                break;
            }
        }
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: exit code; stderr {}",
            sample.name,
            err(&o)
        );
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    Ok(())
}
