//! A flow that drops JSON Lines files for a back office that polls a folder: every transaction
//! appears once across the dropped files, files are complete (no temp files left), and running the
//! flow again over the same statements drops nothing new.

mod common;

use anyhow::Result;
use common::{docket, err};
use docket_e2e::samples::{self, Flavour, Spec, Statement};

fn dropped_amounts(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut amounts = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = name.ends_with(".tmp") || (name.starts_with('.') && name.contains("tmp"));
        assert!(!temp, "no temp file left: {name}");
        if p.extension().is_some_and(|x| x == "jsonl") {
            for line in std::fs::read_to_string(&p)?.lines() {
                let v: serde_json::Value = serde_json::from_str(line)?;
                amounts.push(v["amount"].as_str().unwrap_or("").to_string());
            }
        }
    }
    amounts.sort();
    Ok(amounts)
}

#[test]
fn jsonl_file_drop_is_complete_and_idempotent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let yaml = r#"version: 1
name: drop
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: drop
    write:
      from: read
      sink: { file: { dir: outbox, format: jsonl } }
      table: transactions
      columns: { booking_date: record.date, amount: record.amount, account: fields.account_number, source: source.sha256 }
"#;
    std::fs::write(dir.path().join("flow.yaml"), yaml)?;
    let set = vec![
        samples::digital_pdf(
            "a.pdf",
            &Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 61, 22)),
        )?,
        samples::gb18030_csv(
            "b.csv",
            &Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 62, 9)),
        )?,
    ];
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    let flow = dir.path().join("flow.yaml").display().to_string();
    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let mut want: Vec<String> = set
        .iter()
        .flat_map(|s| s.truth.records.iter().map(|r| r.amount.to_string()))
        .collect();
    want.sort();
    assert_eq!(dropped_amounts(&dir.path().join("outbox"))?, want);

    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        dropped_amounts(&dir.path().join("outbox"))?,
        want,
        "nothing dropped twice"
    );
    Ok(())
}
