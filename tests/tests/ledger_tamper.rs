//! The run ledger detects an edited entry, a deleted entry and a truncated tail:
//! `docket audit verify` exits 1 and names the entry.

mod common;

use anyhow::Result;
use common::{docket, out, sqlite_flow};
use docket_e2e::samples::{self, Flavour, Spec, Statement};

fn run_once() -> Result<(tempfile::TempDir, String)> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "ledger")?.display().to_string();
    let s = samples::xlsx(
        "x.xlsx",
        &Statement::generate(&Spec::march_2026(Flavour::English, "USD", 31, 12)),
    )?;
    samples::write_samples(&[s], &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", common::err(&o));
    Ok((dir, data))
}

fn ledger_db(data: &str) -> Result<rusqlite::Connection> {
    Ok(rusqlite::Connection::open(
        std::path::Path::new(data).join("docket.db"),
    )?)
}

#[test]
fn intact_ledger_verifies_and_records_every_write() -> Result<()> {
    let (_dir, data) = run_once()?;
    let o = docket(&["--data-dir", &data, "--json", "audit", "verify"], &[])?;
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["ok"], true);
    let conn = ledger_db(&data)?;
    let writes: i64 = conn.query_row(
        "SELECT COUNT(*) FROM ledger WHERE kind = 'record_written'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(writes, 12, "one ledger entry per written record");
    let claims: i64 = conn.query_row(
        "SELECT COUNT(*) FROM ledger WHERE kind = 'file_claimed' AND payload LIKE '%sha256%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(claims, 1, "the input file's hash is recorded");
    Ok(())
}

#[test]
fn edited_entry_is_detected_and_named() -> Result<()> {
    let (_dir, data) = run_once()?;
    ledger_db(&data)?.execute(
        "UPDATE ledger SET payload = replace(payload, 'sqlite', 'SQLITE') WHERE seq = (SELECT MIN(seq) FROM ledger WHERE kind = 'record_written')",
        [],
    )?;
    let seq: i64 = ledger_db(&data)?.query_row(
        "SELECT MIN(seq) FROM ledger WHERE kind = 'record_written'",
        [],
        |r| r.get(0),
    )?;
    let o = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains(&format!("entry {seq}")),
        "names entry {seq}: {}",
        out(&o)
    );
    Ok(())
}

#[test]
fn deleted_entry_and_truncated_tail_are_detected() -> Result<()> {
    let (_dir, data) = run_once()?;
    ledger_db(&data)?.execute("DELETE FROM ledger WHERE seq = 4", [])?;
    let o = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("entry 4"), "{}", out(&o));

    let (_dir2, data2) = run_once()?;
    ledger_db(&data2)?.execute(
        "DELETE FROM ledger WHERE seq = (SELECT MAX(seq) FROM ledger)",
        [],
    )?;
    let o = docket(&["--data-dir", &data2, "audit", "verify"], &[])?;
    assert_eq!(
        o.status.code(),
        Some(1),
        "cutting off the last entry is detected: {}",
        out(&o)
    );
    Ok(())
}
