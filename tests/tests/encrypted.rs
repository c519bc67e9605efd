//! Password-protected statements: without a password the file is quarantined as DK-E0104; with
//! the password from the secret named in the workflow (`password_secret`) it is read and written;
//! a wrong password is DK-E0105. The password never appears in the output, the report or the
//! ledger.

mod common;

use anyhow::Result;
use common::{backoffice_rows, docket, encrypted_statement, err, out};
use docket_e2e::samples::bad::ENCRYPTED_PDF_PASSWORD;

#[test]
fn extract_with_and_without_the_password() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (bytes, s) = encrypted_statement()?;
    let path = dir.path().join("locked.pdf");
    std::fs::write(&path, bytes)?;
    let p = path.display().to_string();

    let o = docket(&["extract", "--json", &p], &[])?;
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("DK-E0104"), "{}", out(&o));

    let o = docket(
        &["extract", "--json", &p],
        &[("DOCKET_DOCUMENT_PASSWORD", "not-it")],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("DK-E0105"), "{}", out(&o));
    assert!(
        !out(&o).contains("not-it") && !err(&o).contains("not-it"),
        "password never printed"
    );

    let o = docket(
        &["extract", "--json", &p],
        &[("DOCKET_DOCUMENT_PASSWORD", ENCRYPTED_PDF_PASSWORD)],
    )?;
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let amounts: Vec<String> = v["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r["amount"].as_str().unwrap_or("").to_string())
        .collect();
    let want: Vec<String> = s.entries.iter().map(|e| e.amount.to_string()).collect();
    assert_eq!(
        amounts,
        want,
        "decrypted statement reads like the plain one; stderr {}",
        err(&o)
    );
    Ok(())
}

#[test]
fn flow_reads_the_password_from_the_named_secret() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let yaml = r#"version: 1
name: locked
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine, password_secret: statement-pw }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: store
    write:
      from: read
      sink: { sqlite: { path: backoffice.db } }
      table: transactions
      columns: { booking_date: record.date, amount: record.amount, balance: record.balance, description: record.description }
  - id: summary
    report: { html: reports/summary.html }
"#;
    std::fs::create_dir_all(dir.path().join("inbox"))?;
    std::fs::write(dir.path().join("flow.yaml"), yaml)?;
    let (bytes, s) = encrypted_statement()?;
    std::fs::write(dir.path().join("inbox/locked.pdf"), bytes)?;
    let data = dir.path().join("data").display().to_string();
    let flow = dir.path().join("flow.yaml").display().to_string();

    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    assert_eq!(
        o.status.code(),
        Some(2),
        "a missing secret is a configuration error: {}",
        err(&o)
    );
    assert!(
        err(&o).contains("DOCKET_SECRET_STATEMENT_PW"),
        "{}",
        err(&o)
    );

    let o = docket(
        &["--data-dir", &data, "run", &flow],
        &[("DOCKET_SECRET_STATEMENT_PW", ENCRYPTED_PDF_PASSWORD)],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), s.entries.len());
    let mut db = Vec::new();
    for e in std::fs::read_dir(dir.path().join("data"))? {
        let p = e?.path();
        if p.is_file() {
            db.extend(std::fs::read(p)?);
        }
    }
    let html = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    let needle = ENCRYPTED_PDF_PASSWORD.as_bytes();
    assert!(
        !db.windows(needle.len()).any(|w| w == needle),
        "the password is not in the run store, its WAL or the ledger head"
    );
    assert!(!html.contains(ENCRYPTED_PDF_PASSWORD));
    Ok(())
}
