//! A flow with a `screen` step: after the run's statements are written, their records are screened
//! with the rule pack, the run summary counts the alerts and the ledger records the screening for
//! the run; a rule pack with a unit error fails `docket run --check` (and the run itself) with
//! DK-E0702 and the pack's line and column, before any file is claimed.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use std::path::Path;

fn flow(dir: &Path, pack: Option<&str>) -> Result<std::path::PathBuf> {
    let pack = pack.map(|p| format!(", pack: {p}")).unwrap_or_default();
    let yaml = format!(
        r#"version: 1
name: screened
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement, languages: eng+chi_sim }}
  - id: store
    write:
      from: read
      sink: {{ sqlite: {{ path: backoffice.db }} }}
      table: transactions
      columns:
        booking_date: record.date
        amount: record.amount
        source_sha256: source.sha256
  - id: aml
    screen: {{ from: read, zone: Asia/Shanghai{pack} }}
"#
    );
    std::fs::create_dir_all(dir.join("inbox"))?;
    let path = dir.join("flow.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path)
}

fn ledger(data: &Path, kind: &str) -> Result<Vec<(Option<String>, serde_json::Value)>> {
    let conn = rusqlite::Connection::open(data.join("docket.db"))?;
    let mut stmt =
        conn.prepare("SELECT run_id, payload FROM ledger WHERE kind = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([kind], |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut v = Vec::new();
    for row in rows {
        let (run, p) = row?;
        v.push((run, serde_json::from_str(&p)?));
    }
    Ok(v)
}

#[test]
fn screen_step_screens_the_runs_records_and_counts_alerts() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = flow(dir.path(), None)?;
    let en = Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 21, 30));
    let zh = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 22, 25));
    let files = vec![
        samples::xlsx("en.xlsx", &en)?,
        samples::xlsx("zh.xlsx", &zh)?,
    ];
    samples::write_samples(&files, &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let f = flow.display().to_string();

    let o = docket(&["--data-dir", &data_s, "run", "--check", &f], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    let o = docket(&["--data-dir", &data_s, "--json", "run", &f], &[])?;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["done"], 2, "{v}");
    let alerts = v["alerts"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no `alerts` count in the run JSON: {v}"))?;
    let run_id = v["run_id"].as_str().unwrap_or_default().to_string();

    let screenings = ledger(&data, "screening")?;
    assert_eq!(screenings.len(), 1, "one screening entry: {screenings:?}");
    let (run, payload) = &screenings[0];
    assert_eq!(
        run.as_deref(),
        Some(run_id.as_str()),
        "ledgered for the run"
    );
    let inputs = payload["inputs"].as_array().cloned().unwrap_or_default();
    assert_eq!(inputs.len(), 2, "both statements screened: {payload}");
    assert_eq!(
        payload["alerts"].as_array().map(Vec::len),
        Some(alerts as usize),
        "the ledger names as many alerts as the summary counts"
    );
    let conn = rusqlite::Connection::open(data.join("docket.db"))?;
    let stored: i64 = conn.query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
    assert_eq!(stored as u64, alerts, "every alert is stored");
    Ok(())
}

#[test]
fn a_pack_with_a_unit_error_fails_check_and_run_with_its_position() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("pack.yaml"),
        "timezone: Asia/Shanghai\nrules:\n  structuring:\n    window: 3 parsecs\n",
    )?;
    let flow = flow(dir.path(), Some("pack.yaml"))?;
    let zh = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 23, 10));
    samples::write_samples(
        &[samples::xlsx("zh.xlsx", &zh)?],
        &dir.path().join("inbox"),
        None,
    )?;
    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let f = flow.display().to_string();

    let o = docket(&["--data-dir", &data_s, "run", "--check", &f], &[])?;
    assert_eq!(o.status.code(), Some(2), "stderr: {}", err(&o));
    assert!(
        err(&o).contains("DK-E0702") && err(&o).contains("pack.yaml:4:"),
        "names the pack's line 4: {}",
        err(&o)
    );

    let o = docket(&["--data-dir", &data_s, "run", &f], &[])?;
    assert_eq!(o.status.code(), Some(2), "stderr: {}", err(&o));
    assert!(err(&o).contains("DK-E0702"), "{}", err(&o));
    assert!(
        dir.path().join("inbox").join("zh.xlsx").exists(),
        "no file is claimed or moved when the pack is bad"
    );
    Ok(())
}
