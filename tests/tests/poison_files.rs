//! A document that kills `docket run` (out of memory under a `ulimit -v` cap) must not poison the
//! inbox: the run after the first crash reads the other documents first, and the run after the
//! second crash quarantines it unread with a reason, so the statement sorted after it reaches the
//! back office exactly once and the inbox ends empty. The crash is the `in_extract` fault point:
//! the process asks for more memory than the cap allows while it reads the document, and Rust
//! aborts ("memory allocation of … bytes failed") exactly as it does on a document too big for
//! the machine.

mod common;

use anyhow::Result;
use common::{backoffice_rows, docket_bin, err, out, sqlite_flow};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use std::path::Path;
use std::process::{Command, Output};

/// `docket ARGS` under `ulimit -v 2000000` (2 GB of address space, the operator's cap), with
/// `DOCKET_FAULT` set when given.
fn capped(args: &[&str], fault: Option<&str>) -> Result<Output> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2000000 && exec \"$0\" \"$@\"")
        .arg(docket_bin())
        .args(args)
        .env_remove("DOCKET_FAULT")
        .env_remove("DOCKET_DATA_DIR");
    if let Some(f) = fault {
        cmd.env("DOCKET_FAULT", f);
    }
    Ok(cmd.output()?)
}

fn ledger_kinds(data: &Path) -> Result<Vec<(String, String)>> {
    let conn = rusqlite::Connection::open(data.join("docket.db"))?;
    let mut stmt = conn.prepare("SELECT kind, payload FROM ledger ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[test]
fn a_document_that_kills_the_run_twice_is_quarantined_and_the_rest_goes_on() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "poison")?.display().to_string();
    let huge = samples::xlsx(
        "a-huge-export.xlsx",
        &Statement::generate(&Spec::march_2026(Flavour::English, "USD", 41, 300)),
    )?;
    let good = samples::digital_pdf(
        "b-good.pdf",
        &Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 42, 12)),
    )?;
    let inbox = dir.path().join("inbox");
    samples::write_samples(&[huge.clone(), good.clone()], &inbox, None)?;
    let data_path = dir.path().join("data");
    let data = data_path.display().to_string();
    let run = ["--data-dir", data.as_str(), "run", flow.as_str()];

    // Run 1: the first document in name order kills the process while it is read; nothing after
    // it was processed.
    let o = capped(&run, Some("in_extract:1"))?;
    assert!(o.status.code().is_none(), "run 1 must die: {}", err(&o));
    assert!(
        err(&o).contains("memory allocation of"),
        "died of a refused allocation: {}",
        err(&o)
    );
    assert!(inbox.join(&huge.name).is_file() && inbox.join(&good.name).is_file());
    assert!(
        !dir.path().join("backoffice.db").exists()
            || backoffice_rows(&dir.path().join("backoffice.db"))?.is_empty()
    );

    // Run 2 (resumes run 1): the suspect is read last, so the good statement is delivered before
    // the suspect kills the process a second time (the 2nd reading of this run).
    let o = capped(&run, Some("in_extract:2"))?;
    assert!(o.status.code().is_none(), "run 2 must die: {}", err(&o));
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(
        rows.len(),
        good.truth.records.len(),
        "good statement delivered in run 2"
    );
    assert!(dir.path().join("done").join(&good.name).is_file());
    assert!(
        inbox.join(&huge.name).is_file(),
        "the suspect is still in the inbox"
    );

    // Run 3: two attempts never completed: quarantined unread, with its reason; exit 1 (a file
    // needs a person).
    let o = capped(&run, None)?;
    assert_eq!(o.status.code(), Some(1), "run 3: {}\n{}", out(&o), err(&o));
    let q = dir.path().join("quarantine").join(&huge.name);
    assert_eq!(
        std::fs::read(&q)?,
        huge.bytes,
        "the quarantined file keeps its bytes"
    );
    let reason = std::fs::read_to_string(
        dir.path()
            .join("quarantine")
            .join(format!("{}.reason.txt", huge.name)),
    )?;
    for want in [
        "DK-E0116",
        "2 attempts",
        "killed or ran out of memory",
        "more memory",
        "split",
        "back into the inbox",
    ] {
        assert!(reason.contains(want), "reason names {want:?}:\n{reason}");
    }
    let left: Vec<_> = std::fs::read_dir(&inbox)?.collect::<Result<_, _>>()?;
    assert!(left.is_empty(), "inbox empty: {left:?}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(
        rows.len(),
        good.truth.records.len(),
        "good statement exactly once"
    );

    let ledger = ledger_kinds(&data_path)?;
    let quarantined: Vec<&(String, String)> = ledger
        .iter()
        .filter(|(k, _)| k == "file_quarantined")
        .collect();
    assert_eq!(quarantined.len(), 1, "{ledger:?}");
    let payload: serde_json::Value = serde_json::from_str(&quarantined[0].1)?;
    assert_eq!(payload["code"], "DK-E0116");
    assert_eq!(
        payload["sha256"],
        docket_core::hash::sha256_hex(&huge.bytes)
    );
    assert_eq!(
        payload["attempts"].as_array().map(Vec::len),
        Some(2),
        "{payload}"
    );
    let v = common::docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "ledger verifies: {}", out(&v));

    // The operator gives the agent more memory and moves the file back: it is read again.
    std::fs::rename(&q, inbox.join(&huge.name))?;
    let o = common::docket(&run, &[])?;
    assert_eq!(o.status.code(), Some(0), "retry: {}\n{}", out(&o), err(&o));
    assert!(dir.path().join("done").join(&huge.name).is_file());
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(
        rows.len(),
        good.truth.records.len() + huge.truth.records.len(),
        "each record exactly once"
    );
    Ok(())
}
