//! Kill -9 during a run, at every point where state changes, then start it again: the back-office
//! table holds every record exactly once and every file ends in done/. The crash is an `abort()`
//! at a named point (`DOCKET_FAULT`, no cleanup runs, like SIGKILL); one more scenario kills the
//! process with a real SIGKILL from outside while it works.

mod common;

use anyhow::Result;
use common::{backoffice_rows, docket, docket_bin, err, sqlite_flow};
use docket_e2e::samples::{self, Flavour, Sample, Spec, Statement};
use std::collections::HashSet;
use std::path::Path;

fn batch() -> Result<Vec<Sample>> {
    Ok(vec![
        samples::digital_pdf(
            "a-en.pdf",
            &Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 21, 30)),
        )?,
        samples::digital_pdf(
            "b-zh.pdf",
            &Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 22, 25)),
        )?,
        samples::xlsx(
            "c-en.xlsx",
            &Statement::generate(&Spec::march_2026(Flavour::English, "USD", 23, 20)),
        )?,
        samples::gb18030_csv(
            "d-zh.csv",
            &Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 24, 15)),
        )?,
    ])
}

fn assert_exactly_once(dir: &Path, set: &[Sample]) -> Result<()> {
    let rows = backoffice_rows(&dir.join("backoffice.db"))?;
    let expected: usize = set.iter().map(|s| s.truth.records.len()).sum();
    assert_eq!(rows.len(), expected, "every record exactly once");
    let keys: HashSet<&String> = rows.iter().map(|r| &r.4).collect();
    assert_eq!(keys.len(), expected);
    let mut want: Vec<String> = set
        .iter()
        .flat_map(|s| s.truth.records.iter().map(|r| r.amount.to_string()))
        .collect();
    let mut got: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    for s in set {
        assert!(
            dir.join("done").join(&s.name).is_file(),
            "{} in done/",
            s.name
        );
        assert!(
            !dir.join("inbox").join(&s.name).exists(),
            "{} left the inbox",
            s.name
        );
    }
    Ok(())
}

#[test]
fn killed_at_every_point_resumes_without_loss_or_duplicates() -> Result<()> {
    let set = batch()?;
    let points = [
        ("after_claim", 2),
        ("after_outbox", 1),
        ("after_outbox", 3),
        ("after_sink_write", 1),
        ("after_sink_write", 4),
        ("after_mark_written", 2),
        ("before_move", 1),
        ("before_move", 3),
    ];
    for (point, n) in points {
        let dir = tempfile::tempdir()?;
        let flow = sqlite_flow(dir.path(), "crash")?.display().to_string();
        samples::write_samples(&set, &dir.path().join("inbox"), None)?;
        let data = dir.path().join("data").display().to_string();
        let fault = format!("{point}:{n}");
        let o = docket(
            &["--data-dir", &data, "run", &flow],
            &[("DOCKET_FAULT", &fault)],
        )?;
        assert!(
            o.status.code().is_none(),
            "{fault}: the process must have died; stderr {}",
            err(&o)
        );
        let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
        assert_eq!(
            o.status.code(),
            Some(0),
            "{fault}: resumed run; stderr {}",
            err(&o)
        );
        assert!(
            common::out(&o).contains("(resumed)"),
            "{fault}: the interrupted run was resumed"
        );
        assert_exactly_once(dir.path(), &set)?;
        let v = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
        assert_eq!(
            v.status.code(),
            Some(0),
            "{fault}: ledger verifies after the crash: {}",
            common::out(&v)
        );
    }
    Ok(())
}

#[test]
fn real_sigkill_mid_run_then_restart_writes_each_record_once() -> Result<()> {
    let set = batch()?;
    for delay_ms in [150u64, 400, 900] {
        let dir = tempfile::tempdir()?;
        let flow = sqlite_flow(dir.path(), "sigkill")?.display().to_string();
        samples::write_samples(&set, &dir.path().join("inbox"), None)?;
        let data = dir.path().join("data").display().to_string();
        let mut child = std::process::Command::new(docket_bin())
            .args(["--data-dir", &data, "run", &flow])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill()?; // SIGKILL
        child.wait()?;
        let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
        assert_eq!(
            o.status.code(),
            Some(0),
            "after SIGKILL at ~{delay_ms} ms: {}",
            err(&o)
        );
        assert_exactly_once(dir.path(), &set)?;
    }
    Ok(())
}

/// A document held for review before the crash still counts after the resume: the resumed run's
/// status is `review`, its counts include the held and the delivered documents, and it exits 1.
#[test]
fn a_document_held_before_a_crash_makes_the_resumed_run_review() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "held")?.display().to_string();
    let mut broken = Statement::generate(&Spec::march_2026(Flavour::English, "USD", 11, 6));
    broken.entries[2].amount += rust_decimal::Decimal::ONE; // the running balance no longer adds up
    let set = vec![
        samples::digital_pdf("a-held.pdf", &broken)?,
        samples::digital_pdf(
            "b-good.pdf",
            &Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 21, 8)),
        )?,
    ];
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    // The held document is finished (moved to done/ as `review`); the crash hits before the
    // second document moves.
    let o = docket(
        &["--data-dir", &data, "run", &flow],
        &[("DOCKET_FAULT", "before_move:2")],
    )?;
    assert!(o.status.code().is_none(), "died: {}", err(&o));
    assert!(dir.path().join("done/a-held.pdf").is_file());
    let o = docket(&["--data-dir", &data, "--json", "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(1), "review exits 1: {}", err(&o));
    let v: serde_json::Value = serde_json::from_str(common::out(&o).trim())?;
    assert_eq!(v["resumed"], true, "{v}");
    assert_eq!(v["status"], "review", "{v}");
    assert_eq!(v["review"], 1, "{v}");
    assert_eq!(v["done"], 1, "{v}");
    assert_eq!(v["files"], 2, "{v}");
    assert_eq!(
        v["written"].as_u64(),
        Some(set[1].truth.records.len() as u64),
        "the good document's records, written before the crash: {v}"
    );
    let conn = rusqlite::Connection::open(dir.path().join("data/docket.db"))?;
    let status: String = conn.query_row(
        "SELECT status FROM runs WHERE id = ?1",
        [v["run_id"].as_str().unwrap_or_default()],
        |r| r.get(0),
    )?;
    assert_eq!(status, "review");
    Ok(())
}
