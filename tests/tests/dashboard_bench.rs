//! Benchmark (opt-in, `--ignored`; figures in docs/PERFORMANCE.md): server time of the review
//! queue and alerts pages of `docket serve` with 100,000 documents held for review (each with a
//! real extraction) and 10,000 alerts, and the ledger verification rate of `docket audit verify`
//! over 100,000 entries. Prints the figures; asserts only that every page answers 200.
//!
//! `cargo build --release -p docket && cargo test --release -p docket-e2e --test dashboard_bench -- --ignored --nocapture`

mod common;
mod dashboard_fixture;

use anyhow::Result;
use dashboard_fixture::{PASSWORD, fixture, serve};
use docket_core::hash::sha256_parts;
use std::path::Path;
use std::time::Instant;

#[test]
#[ignore = "benchmark: run with -- --ignored --nocapture"]
fn review_and_alert_pages_at_scale() -> Result<()> {
    let fx = fixture()?;
    let conn = rusqlite::Connection::open(Path::new(&fx.data).join("docket.db"))?;
    let t = Instant::now();
    conn.execute_batch("BEGIN")?;
    conn.execute(
        "INSERT INTO files (run_id, path, sha256, status, records, extraction, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
         SELECT f.run_id, 'bulk/' || i || '.pdf', printf('%064x', i), 'review', f.records, f.extraction,
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || i || ' seconds')
         FROM n, (SELECT * FROM files WHERE status = 'review' LIMIT 1) f",
        [],
    )?;
    conn.execute(
        "INSERT INTO alerts (id, rule, subject, score, body, first_seen, last_seen)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
         SELECT a.id || '-' || i, a.rule, a.subject || i, (i % 1000) / 1000.0, a.body, a.first_seen, a.last_seen
         FROM n, (SELECT * FROM alerts LIMIT 1) a",
        [],
    )?;
    // 100,000 more ledger entries, chained like Docket's own.
    let (mut seq, mut prev): (i64, String) = conn.query_row(
        "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    {
        let mut ins = conn.prepare("INSERT INTO ledger (seq, ts, run_id, kind, payload, prev_hash, hash) VALUES (?1, ?2, ?3, 'record_written', ?4, ?5, ?6)")?;
        for i in 0..100_000 {
            seq += 1;
            let ts = "2026-03-01T09:30:00.000Z";
            let payload = format!(
                "{{\"target\":\"sqlite backoffice.db transactions\",\"key\":\"{i:064x}\"}}"
            );
            let h = sha256_parts(&[
                prev.as_bytes(),
                seq.to_string().as_bytes(),
                ts.as_bytes(),
                fx.run.as_bytes(),
                b"record_written",
                payload.as_bytes(),
            ]);
            ins.execute(rusqlite::params![seq, ts, fx.run, payload, prev, h])?;
            prev = h;
        }
    }
    conn.execute_batch("COMMIT")?;
    std::fs::write(
        Path::new(&fx.data).join("ledger.head"),
        format!("{seq} {prev}\n"),
    )?;
    println!("setup: {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let o = common::docket(&["--data-dir", &fx.data, "--json", "audit", "verify"], &[])?;
    let secs = t.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
    assert_eq!(v["ok"], true, "{v}");
    let n = v["entries"].as_f64().unwrap_or(0.0);
    println!(
        "audit verify: {n} entries in {secs:.2} s = {:.0} entries/s (process start and store open included)",
        n / secs
    );

    let srv = serve(&fx.data)?;
    let c = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = c.get(format!("{}/login", srv.base)).send()?;
    let lc = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("docket_login_csrf="))
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    let html = page.text()?;
    let i = html.find("name=csrf value=\"").unwrap_or(0) + 17;
    let token = html[i..].split('"').next().unwrap_or("").to_string();
    let mut cookies = Vec::new();
    for user in ["oper", "alice"] {
        let r = c
            .post(format!("{}/login", srv.base))
            .header("Cookie", &lc)
            .form(&[("name", user), ("password", PASSWORD), ("csrf", &token)])
            .send()?;
        let s = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("docket_session="))
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .to_string();
        cookies.push(s);
    }
    for (cookie, path) in [
        (&cookies[0], "/review"),
        (&cookies[0], "/review?offset=99000"),
        (&cookies[1], "/alerts"),
        (&cookies[1], "/alerts?offset=9950"),
        (&cookies[0], "/ledger"),
    ] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let r = c
                .get(format!("{}{path}", srv.base))
                .header("Cookie", cookie)
                .send()?;
            assert_eq!(r.status(), 200, "{path}");
            let _ = r.bytes()?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "GET {path}: median {:.1} ms, max {:.1} ms (20 requests, loopback)",
            times[10], times[19]
        );
    }
    Ok(())
}
