//! The README's commands work as documented: explain, schema, doctor, version, run --check on the
//! demo flow and the workflow examples, a bad workflow reported with line and column, and the
//! demo itself (twice: the second run writes nothing).

mod common;

use anyhow::Result;
use common::{docket, err, out};
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn explain_schema_version_and_doctor() -> Result<()> {
    let o = docket(&["explain", "DK-E0104"], &[])?;
    assert_eq!(o.status.code(), Some(0));
    assert!(out(&o).contains("password"), "{}", out(&o));
    let o = docket(&["explain", "DK-E9999"], &[])?;
    assert_eq!(o.status.code(), Some(2));
    let o = docket(&["schema", "workflow"], &[])?;
    let v: serde_json::Value = serde_json::from_str(&out(&o))?;
    assert!(v.get("properties").is_some() || v.get("$defs").is_some());
    let o = docket(&["schema", "bank_statement"], &[])?;
    assert!(out(&o).contains("opening_balance"));
    let o = docket(&["version"], &[])?;
    assert!(out(&o).contains("tesseract 5"), "{}", out(&o));
    let dir = tempfile::tempdir()?;
    let o = docket(
        &[
            "--data-dir",
            &dir.path().display().to_string(),
            "--json",
            "doctor",
        ],
        &[],
    )?;
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let checks = v["checks"].as_array().cloned().unwrap_or_default();
    assert!(
        checks.iter().any(|c| c["check"] == "ocr language"
            && c["detail"] == "chi_sim"
            && c["status"] == "ok"),
        "{v}"
    );
    Ok(())
}

#[test]
fn workflow_examples_validate_and_a_broken_one_names_line_and_column() -> Result<()> {
    let mut flows = vec![repo().join("installer/demo/flow.yaml")];
    for e in std::fs::read_dir(repo().join("workflows/examples"))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "yaml") && !p.to_string_lossy().contains("invalid") {
            flows.push(p);
        }
    }
    for f in &flows {
        let o = docket(
            &["run", "--check", &f.display().to_string()],
            &[("DOCKET_SECRET_BACKOFFICE_DB", "postgres://x@127.0.0.1/x")],
        )?;
        assert_eq!(o.status.code(), Some(0), "{}: {}", f.display(), err(&o));
    }
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\nname: bad\nsteps:\n  - id: a\n    ingest: { path: in, done: d, quarantine: q, colour: red }\n  - id: b\n    extract: { from: nowhere, schema: bank_statement }\n",
    )?;
    let o = docket(&["run", "--check", &bad.display().to_string()], &[])?;
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(e.contains("DK-E0201"), "{e}");
    assert!(
        e.contains(":5:") && e.contains("colour"),
        "unknown key reported at line 5: {e}"
    );
    assert!(
        e.contains(":7:") && e.contains("nowhere"),
        "bad reference at line 7: {e}"
    );
    Ok(())
}

#[test]
fn demo_runs_and_is_idempotent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = dir.path().join("demo").display().to_string();
    let o = docket(&["--json", "demo", &demo], &[])?;
    assert_eq!(o.status.code(), Some(0), "demo: {}\n{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["quarantined"], 0);
    assert_eq!(v["review"], 0);
    let written = v["written"].as_u64().unwrap_or(0);
    assert!(
        written > 100,
        "the demo writes the sample transactions: {v}"
    );
    let rows = common::backoffice_rows(&dir.path().join("demo/backoffice.db"))?;
    assert_eq!(rows.len() as u64, written);
    assert!(dir.path().join("demo/reports/summary.html").is_file());
    let o = docket(&["--json", "demo", &demo], &[])?;
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["written"], 0, "second demo run writes nothing new: {v}");
    assert_eq!(v["already_delivered"].as_u64(), Some(written), "{v}");
    assert_eq!(
        common::backoffice_rows(&dir.path().join("demo/backoffice.db"))?.len() as u64,
        written
    );
    Ok(())
}

#[test]
fn custom_json_schema_is_accepted_but_needs_an_extractor() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let schema = dir.path().join("slip.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"amount":{"type":"string"}}}"#,
    )?;
    let doc = dir.path().join("s.xlsx");
    let s = docket_e2e::samples::xlsx(
        "s.xlsx",
        &docket_e2e::samples::Statement::generate(&docket_e2e::samples::Spec::march_2026(
            docket_e2e::samples::Flavour::English,
            "USD",
            51,
            5,
        )),
    )?;
    std::fs::write(&doc, &s.bytes)?;
    let o = docket(
        &[
            "extract",
            "--json",
            "--schema",
            &schema.display().to_string(),
            &doc.display().to_string(),
        ],
        &[],
    )?;
    assert!(
        out(&o).contains("DK-E0203"),
        "custom schema reaches the extractor stage: {}",
        out(&o)
    );
    let o = docket(
        &[
            "extract",
            "--schema",
            "no-such-schema",
            &doc.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0202"), "{}", err(&o));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json")?;
    let o = docket(
        &[
            "extract",
            "--schema",
            &bad.display().to_string(),
            &doc.display().to_string(),
        ],
        &[],
    )?;
    assert!(
        err(&o).contains("line 1"),
        "a broken schema file names the position: {}",
        err(&o)
    );
    Ok(())
}
