//! Report states on the planted fan-in of `report_str.rs`: a draft by alice cannot be approved by
//! alice (DK-E0704), bob approves it, it is filed once and only once, a draft whose file was edited
//! after drafting is refused (DK-E0705), an alert is closed only with a reason, which is recorded,
//! every transition is in the ledger with user and hash, and the ledger verifies at the end.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use std::path::Path;

/// Drafts an HTML report of C-MULE as `user` (via DOCKET_USER) and returns its report id.
fn draft(data: &str, file: &Path, user: &str) -> Result<String> {
    let f = file.display().to_string();
    let o = docket(
        &[
            "--data-dir",
            data,
            "--json",
            "report",
            "str",
            "C-MULE",
            "--format",
            "html",
            "--output",
            &f,
        ],
        &[("DOCKET_USER", user)],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["preparer"], user);
    Ok(v["report"].as_str().unwrap_or_default().to_string())
}

fn ledger(data: &str, kind: &str) -> Result<Vec<serde_json::Value>> {
    let conn = rusqlite::Connection::open(Path::new(data).join("docket.db"))?;
    let mut stmt = conn.prepare("SELECT payload FROM ledger WHERE kind = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([kind], |r| r.get::<_, String>(0))?;
    let mut v = Vec::new();
    for p in rows {
        v.push(serde_json::from_str(&p?)?);
    }
    Ok(v)
}

#[test]
fn four_eyes_approval_filing_and_tampering() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(dir.path(), &common::planted_fan_in_csv("Mule Trading"))?;
    let file = dir.path().join("case.html");
    let id = draft(&data, &file, "alice")?;
    assert_eq!(id, "R-1");

    // Filing a draft skips approval: refused.
    let o = docket(
        &["--data-dir", &data, "report", "file", &id, "--user", "bob"],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0706"), "{}", err(&o));

    // The preparer cannot approve their own draft, whether named by flag or environment.
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "approve",
            &id,
            "--user",
            "alice",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0704") && err(&o).contains("alice"),
        "{}",
        err(&o)
    );
    let o = docket(
        &["--data-dir", &data, "report", "approve", &id],
        &[("DOCKET_USER", "alice")],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0704"), "{}", err(&o));

    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "approve",
            &id,
            "--user",
            "bob",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // Approved once only.
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "approve",
            &id,
            "--user",
            "carol",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0706"), "{}", err(&o));

    let case_status = |data: &str| -> Result<Vec<String>> {
        let conn = rusqlite::Connection::open(Path::new(data).join("docket.db"))?;
        let mut st = conn.prepare("SELECT status FROM cases ORDER BY id")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    assert_eq!(case_status(&data)?, ["open"]);
    let o = docket(
        &["--data-dir", &data, "report", "file", &id, "--user", "bob"],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        case_status(&data)?,
        ["reported"],
        "a filed report closes its case as reported"
    );
    let o = docket(
        &["--data-dir", &data, "report", "file", &id, "--user", "bob"],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0706") && err(&o).contains("filed"),
        "{}",
        err(&o)
    );

    // A second draft whose file is edited after drafting cannot be approved.
    let file2 = dir.path().join("case2.html");
    let id2 = draft(&data, &file2, "alice")?;
    assert_eq!(id2, "R-2");
    let mut page = std::fs::read_to_string(&file2)?;
    page = page.replace("MULE", "MULF");
    std::fs::write(&file2, page)?;
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "approve",
            &id2,
            "--user",
            "bob",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0705") && err(&o).contains("case2.html"),
        "{}",
        err(&o)
    );

    let o = docket(&["--data-dir", &data, "--json", "report", "list"], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let list: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(list[0]["id"], "R-1");
    assert_eq!(list[0]["state"], "filed");
    assert_eq!(list[0]["preparer"], "alice");
    assert_eq!(list[0]["approver"], "bob");
    assert!(list[0]["filed_at"].is_string());
    assert_eq!(list[1]["state"], "draft");
    assert!(list[1]["approver"].is_null());
    let o = docket(&["--data-dir", &data, "report", "list"], &[])?;
    assert!(
        out(&o).contains("R-1\tC-MULE\thtml\tfiled\talice\tbob"),
        "{}",
        out(&o)
    );

    let drafted = ledger(&data, "str_drafted")?;
    assert_eq!(drafted.len(), 2);
    assert_eq!(drafted[0]["user"], "alice");
    let approved = ledger(&data, "str_approved")?;
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0]["user"], "bob");
    assert_eq!(approved[0]["sha256"], drafted[0]["sha256"]);
    let filed = ledger(&data, "str_filed")?;
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0]["user"], "bob");
    assert_eq!(filed[0]["sha256"], drafted[0]["sha256"]);

    let v = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    Ok(())
}

#[test]
fn alerts_close_only_with_a_recorded_reason() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(dir.path(), &common::planted_fan_in_csv("Mule Trading"))?;
    let db = Path::new(&data).join("docket.db");
    let alert: String = rusqlite::Connection::open(&db)?.query_row(
        "SELECT id FROM alerts ORDER BY id LIMIT 1",
        [],
        |r| r.get(0),
    )?;

    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "close-alert",
            &alert,
            "--user",
            "alice",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--reason") && err(&o).contains("PBOC"),
        "{}",
        err(&o)
    );
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "close-alert",
            &alert,
            "--reason",
            "  ",
            "--user",
            "alice",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2), "a blank reason is no reason");
    assert!(ledger(&data, "alert_closed")?.is_empty());

    let reason = "payments are rent collected for a known landlord";
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "close-alert",
            &alert,
            "--reason",
            reason,
            "--user",
            "alice",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let (stored, by): (String, String) = rusqlite::Connection::open(&db)?.query_row(
        "SELECT reason, closed_by FROM alert_closures WHERE alert_id = ?1",
        [&alert],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!((stored.as_str(), by.as_str()), (reason, "alice"));
    let closed = ledger(&data, "alert_closed")?;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["alert"], alert.as_str());
    assert_eq!(closed[0]["reason"], reason);
    assert_eq!(closed[0]["user"], "alice");
    assert_eq!(closed[0]["sha256"].as_str().unwrap_or("").len(), 64);

    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "close-alert",
            &alert,
            "--reason",
            reason,
            "--user",
            "bob",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0706"), "{}", err(&o));
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "close-alert",
            "A-nope",
            "--reason",
            reason,
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("A-nope"), "{}", err(&o));

    let v = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    Ok(())
}

#[test]
fn closing_every_alert_of_a_case_closes_the_case() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(dir.path(), &common::planted_fan_in_csv("Mule Trading"))?;
    let db = Path::new(&data).join("docket.db");
    let (case, alerts): (String, String) = rusqlite::Connection::open(&db)?.query_row(
        "SELECT id, alerts FROM cases ORDER BY id LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let alerts: Vec<String> = serde_json::from_str(&alerts)?;
    assert!(!alerts.is_empty());
    let status = || -> Result<String> {
        Ok(rusqlite::Connection::open(&db)?.query_row(
            "SELECT status FROM cases WHERE id = ?1",
            [&case],
            |r| r.get(0),
        )?)
    };
    for (i, a) in alerts.iter().enumerate() {
        assert_eq!(status()?, "open", "before closing alert {i}");
        let o = docket(
            &[
                "--data-dir",
                &data,
                "report",
                "close-alert",
                a,
                "--reason",
                "known payroll",
                "--user",
                "alice",
            ],
            &[],
        )?;
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        if i + 1 == alerts.len() {
            assert!(
                out(&o).contains(&format!("case {case} closed")),
                "{}",
                out(&o)
            );
        }
    }
    assert_eq!(status()?, "closed");
    let closed = ledger(&data, "alert_closed")?;
    assert_eq!(
        closed.last().map(|c| c["cases_closed"][0].clone()),
        Some(serde_json::json!(case))
    );
    Ok(())
}
