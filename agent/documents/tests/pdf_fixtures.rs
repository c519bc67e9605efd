//! Opt-in: real supplier invoices from `shared/fixtures/invoices` (invoice2data's test set, MIT).
//! Each PDF's text layer must contain the invoice number and total its `*.json` ground truth
//! gives. Skipped, with a note, when the fixtures folder is not present (fresh clones).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_documents::{DigitiseOptions, pdf};
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/invoices");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "{} not found: skipping the invoice fixture test",
            dir.display()
        );
        None
    }
}

/// `4.11` as it may be printed: `4.11`, `4,11`; whole amounts also as `319`.
fn amount_forms(v: f64) -> Vec<String> {
    let two = format!("{v:.2}");
    let mut forms = vec![two.clone(), two.replace('.', ",")];
    if v.fract() == 0.0 {
        forms.push(format!("{v:.0}"));
    }
    forms
}

/// The first value of `"key":` in the ground-truth JSON, string or number, as text. (The
/// files are flat enough that a parser would add a dependency for nothing.)
fn json_field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        s.split('"').next()
    } else {
        rest.split([',', '\n', '}']).next().map(str::trim)
    }
}

#[test]
fn invoice_pdfs_contain_their_ground_truth() {
    let Some(dir) = fixtures() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pdf") {
            continue;
        }
        let truth = std::fs::read_to_string(path.with_extension("json")).unwrap();
        let pages = pdf::read(&std::fs::read(&path).unwrap(), &DigitiseOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text: String = pages.iter().map(|p| p.text() + "\n").collect();
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let name = path.file_name().unwrap().to_string_lossy();
        if std::env::var_os("PDF_FIXTURE_DUMP").is_some() {
            println!("===== {name}\n{text}");
        }
        let number = json_field(&truth, "invoice_number").unwrap();
        let number_compact: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            compact.contains(&number_compact),
            "{name}: invoice number {number:?} not found in:\n{text}"
        );
        if let Some(amount) = json_field(&truth, "amount").and_then(|a| a.parse::<f64>().ok()) {
            let forms = amount_forms(amount);
            assert!(
                forms.iter().any(|f| text.contains(f.as_str())),
                "{name}: amount {forms:?} not found in:\n{text}"
            );
        }
        assert!(pages.iter().all(|p| p.words.iter().all(|w| {
            w.bbox.x0 >= 0.0
                && w.bbox.y0 >= 0.0
                && w.bbox.x1 <= p.width + 1.0
                && w.bbox.y1 <= p.height + 1.0
        })));
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} invoices found");
}
