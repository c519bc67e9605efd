//! A flow over a batch that mixes good statements with every kind of bad file: each bad file gets
//! its own error code, is quarantined with a reason file, and the rest of the batch is written to
//! the SQLite back office exactly once — also when the flow runs again.

mod common;

use anyhow::Result;
use common::{backoffice_rows, docket, err, out, sqlite_flow};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use std::collections::HashSet;

#[test]
fn bad_files_are_quarantined_with_their_own_codes_and_the_batch_completes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "batch")?;
    let inbox = dir.path().join("inbox");
    let en = Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 11, 47));
    let zh = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 12, 20));
    let good = vec![
        samples::digital_pdf("good-en.pdf", &en)?,
        samples::xlsx("good-zh.xlsx", &zh)?,
    ];
    samples::write_samples(&good, &inbox, None)?;
    let bad = samples::bad_files(&inbox)?;
    assert!(bad.len() >= 7, "expected the seven kinds of bad file");

    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let o = docket(
        &["--data-dir", &data_s, "run", &flow.display().to_string()],
        &[],
    )?;
    assert_eq!(
        o.status.code(),
        Some(1),
        "quarantined files make exit code 1; stderr: {}",
        err(&o)
    );

    for (path, code) in &bad {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let reason = dir
            .path()
            .join("quarantine")
            .join(format!("{name}.reason.txt"));
        let text = std::fs::read_to_string(&reason).map_err(|e| {
            anyhow::anyhow!(
                "{}: no reason file ({e}); stderr: {}",
                reason.display(),
                err(&o)
            )
        })?;
        assert!(
            text.starts_with(code),
            "{name}: expected {code}, reason file says:\n{text}"
        );
        assert!(
            text.contains("What to do:"),
            "{name}: reason must say what to do"
        );
        assert!(
            dir.path().join("quarantine").join(&name).is_file(),
            "{name} moved to quarantine"
        );
        assert!(!path.exists(), "{name} left the inbox");
    }
    for s in &good {
        assert!(
            dir.path().join("done").join(&s.name).is_file(),
            "{} moved to done/",
            s.name
        );
    }

    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    let expected: Vec<String> = good
        .iter()
        .flat_map(|s| s.truth.records.iter().map(|r| r.amount.to_string()))
        .collect();
    assert_eq!(rows.len(), 47 + 20, "all 67 transactions landed");
    let got: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    assert_eq!(
        got, expected,
        "amounts exactly as generated, in document order"
    );
    let keys: HashSet<&String> = rows.iter().map(|r| &r.4).collect();
    assert_eq!(keys.len(), rows.len(), "idempotency keys are unique");

    // Put the same good files back and run again: nothing is written twice.
    samples::write_samples(&good, &inbox, None)?;
    let o = docket(
        &[
            "--data-dir",
            &data_s,
            "--json",
            "run",
            &flow.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", err(&o));
    let summary: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(summary["written"], 0);
    assert_eq!(
        summary["duplicates"], 0,
        "already-written outbox rows are not even re-sent"
    );
    assert_eq!(
        backoffice_rows(&dir.path().join("backoffice.db"))?.len(),
        67
    );

    let html = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    assert!(html.contains("good-en.pdf"));

    let v = docket(&["--data-dir", &data_s, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    Ok(())
}

/// Every run writes its own summary under `reports/<run id>/`; the configured
/// `reports/summary.html` is the latest run that took documents, so a run with an empty inbox (a
/// quiet scheduled tick) does not erase the summary of the run that did the work.
#[test]
fn an_empty_run_keeps_the_summary_of_the_run_that_did_the_work() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "summaries")?.display().to_string();
    let st = Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 31, 5));
    samples::write_samples(
        &[samples::digital_pdf("worked.pdf", &st)?],
        &dir.path().join("inbox"),
        None,
    )?;
    let data = dir.path().join("data").display().to_string();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let o = docket(&["--data-dir", &data, "--json", "run", &flow], &[])?;
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
        runs.push(v);
    }
    assert_eq!(runs[1]["files"], 0, "the second run found nothing");
    let mut ids = Vec::new();
    for v in &runs {
        let id = v["run_id"].as_str().unwrap_or_default().to_string();
        let own = dir.path().join("reports").join(&id).join("summary.html");
        assert_eq!(v["report"].as_str(), own.to_str(), "{v}");
        let html = std::fs::read_to_string(&own)?;
        assert!(html.contains(&id), "the run's own summary names it");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
    let latest = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    assert!(
        latest.contains(&ids[0]),
        "latest is the run that did the work"
    );
    assert!(latest.contains("worked.pdf"));
    assert!(
        !latest.contains(&ids[1]),
        "the empty run did not replace it"
    );
    Ok(())
}
