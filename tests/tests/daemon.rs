//! `docket daemon` end to end, in real time with second-resolution schedules:
//!
//! - the daemon and its running child are killed together with SIGKILL (a machine crash) while
//!   the child writes into the SQLite back office; after a restart every transaction is there
//!   exactly once, the interrupted tick ran again, the ledger verifies, and the tick journal has
//!   one row for every second of the schedule between its first and last tick (fired or
//!   recorded as skipped: nothing skipped silently, nothing fired twice);
//! - the daemon alone is killed with SIGKILL while its child writes: the child dies with it (no
//!   second writer), and after a restart the interrupted tick links to the run that did its work
//!   with that run's real status (`review`: a document was held before the kill);
//! - a flow whose back office is down fails on every tick, retries as configured, and alerts a
//!   webhook (a real HTTP server on loopback) with the bearer token from the secret store after
//!   the configured number of consecutive failures, while keeping its schedule.

#![allow(clippy::expect_used)] // the webhook thread and the test: a panic is the failure report

mod common;

use anyhow::{Context, Result, bail};
use common::{docket, docket_bin, err, out};
use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn write_documents(inbox: &Path, docs: usize, per_doc: usize) -> Result<BTreeSet<String>> {
    std::fs::create_dir_all(inbox)?;
    let mut amounts = BTreeSet::new();
    for d in 0..docs {
        let mut csv = String::from("Date,Description,Counterparty,Amount,Balance\n");
        let mut balance = rust_decimal::Decimal::new(100_000, 2);
        for r in 0..per_doc {
            let amount = rust_decimal::Decimal::new((d * 1000 + r + 1) as i64, 2);
            balance += amount;
            csv.push_str(&format!(
                "2026-04-{:02},Payment {d}-{r},Payer {d},{amount},{balance}\n",
                1 + r % 28
            ));
            amounts.insert(amount.to_string());
        }
        std::fs::write(inbox.join(format!("doc-{d:04}.csv")), csv)?;
    }
    Ok(amounts)
}

fn spawn_daemon(data: &Path, flows: &Path, env: &[(&str, &str)]) -> Result<Child> {
    let mut cmd = Command::new(docket_bin());
    cmd.arg("--data-dir")
        .arg(data)
        .arg("daemon")
        .arg("--flows")
        .arg(flows)
        .env_remove("DOCKET_FAULT")
        .env_remove("DOCKET_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so the test can kill the daemon and its child run together.
        .process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().context("cannot start the daemon")
}

fn collect(child: &mut Child) -> Result<(String, String)> {
    use std::io::Read;
    let (mut o, mut e) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut o)?;
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut e)?;
    }
    Ok((o, e))
}

fn stop(child: &mut Child) -> Result<(String, String)> {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let start = Instant::now();
    while child.try_wait()?.is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            bail!("the daemon did not stop within 2 minutes of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    collect(child)
}

/// SIGKILL to the daemon's whole process group (daemon and child run), after checking that the
/// group is the daemon's own: a wrong group id here would kill the test runner's group.
fn kill_group(pid: u32) -> Result<()> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let pgrp: u32 = after
        .split_whitespace()
        .nth(2)
        .context("no process group in /proc/PID/stat")?
        .parse()?;
    if pgrp != pid || pid <= 1 {
        bail!("the daemon {pid} is not leading its own process group ({pgrp})");
    }
    let st = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgrp}")])
        .status()?;
    if !st.success() {
        bail!("kill -s KILL -- -{pgrp} failed");
    }
    Ok(())
}

fn count_rows(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT count(*) FROM transactions", [], |r| r.get(0)))
        .unwrap_or(0)
}

fn tick_rows(data: &Path, flow: &str) -> Result<Vec<(String, String)>> {
    let c = rusqlite::Connection::open(data.join("docket.db"))?;
    let mut st = c.prepare("SELECT fire_at, status FROM ticks WHERE flow = ?1 ORDER BY fire_at")?;
    let rows = st.query_map([flow], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[test]
fn daemon_killed_mid_write_resumes_without_loss_or_duplicates() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let amounts = write_documents(&dir.path().join("inbox"), 240, 3)?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    std::fs::write(
        flows.join("import.yaml"),
        r#"version: 1
name: every-second
schedule:
  cron: "* * * * * *"
  timezone: Asia/Shanghai
  misfire: run_once
steps:
  - id: inbox
    ingest: { path: ../inbox, done: ../done, quarantine: ../quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: store
    write:
      from: read
      sink: { sqlite: { path: ../backoffice.db } }
      table: transactions
      columns:
        booking_date: record.date
        amount: record.amount
        description: record.description
"#,
    )?;
    let data = dir.path().join("data");
    let db = dir.path().join("backoffice.db");

    // Crash: kill the daemon and its child run together once part of the records are written.
    let mut d = spawn_daemon(&data, &flows, &[])?;
    let start = Instant::now();
    loop {
        let n = count_rows(&db);
        if n > 0 && n < amounts.len() as i64 {
            break;
        }
        if n >= amounts.len() as i64 {
            bail!("the first run finished before it could be interrupted; make the batch larger");
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = d.kill();
            bail!("the daemon wrote nothing within 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    kill_group(d.id())?;
    d.wait()?;
    let partial = count_rows(&db);
    let before = tick_rows(&data, "every-second")?;
    let interrupted: Vec<&(String, String)> =
        before.iter().filter(|(_, s)| s == "running").collect();
    assert_eq!(
        interrupted.len(),
        1,
        "one tick was running when killed: {before:?}"
    );
    let interrupted_at = interrupted[0].0.clone();

    // Stay down for a few ticks (misfire: run_once runs the latest missed one and records the
    // others as skipped), then restart and wait until every document is delivered.
    std::thread::sleep(Duration::from_secs(4));
    let mut d = spawn_daemon(&data, &flows, &[])?;
    let start = Instant::now();
    while count_rows(&db) < amounts.len() as i64
        || std::fs::read_dir(dir.path().join("inbox"))?.count() > 0
    {
        if start.elapsed() > Duration::from_secs(600) {
            let _ = stop(&mut d);
            bail!("not everything was delivered within 10 minutes after the restart");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2)); // a few more (empty) ticks
    let (stdout, stderr) = stop(&mut d)?;
    assert!(
        stdout.contains(&format!(
            "tick {interrupted_at} was interrupted; running it again"
        )),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("daemon stopped"), "{stdout}\n{stderr}");

    // Exactly once, exact amounts.
    let c = rusqlite::Connection::open(&db)?;
    let mut st = c.prepare("SELECT amount, docket_key FROM transactions")?;
    let rows: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    assert!(partial > 0 && partial < rows.len() as i64);
    assert_eq!(rows.len(), amounts.len());
    let keys: BTreeSet<&String> = rows.iter().map(|(_, k)| k).collect();
    assert_eq!(keys.len(), amounts.len(), "no record twice");
    let got: BTreeSet<String> = rows.into_iter().map(|(a, _)| a).collect();
    assert_eq!(got, amounts);
    assert_eq!(std::fs::read_dir(dir.path().join("done"))?.count(), 240);

    // The tick journal: the interrupted tick finished; one row per second, no gap.
    let ticks = tick_rows(&data, "every-second")?;
    let status_of = |at: &str| ticks.iter().find(|(t, _)| t == at).map(|(_, s)| s.clone());
    assert_eq!(status_of(&interrupted_at).as_deref(), Some("succeeded"));
    assert!(ticks.iter().all(|(_, s)| s != "running"), "{ticks:?}");
    let instants: Vec<chrono::DateTime<chrono::Utc>> = ticks
        .iter()
        .map(|(t, _)| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.to_utc()))
        .collect::<Result<_, _>>()?;
    for w in instants.windows(2) {
        assert_eq!(
            (w[1] - w[0]).num_seconds(),
            1,
            "tick journal has a gap or a repeat between {} and {}",
            w[0],
            w[1]
        );
    }
    assert!(
        ticks.iter().any(|(_, s)| s == "skipped"),
        "ticks missed while down are recorded"
    );

    let o = docket(
        &["--data-dir", &data.display().to_string(), "audit", "verify"],
        &[],
    )?;
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "--json",
            "schedule",
            "history",
            "--limit",
            "5",
        ],
        &[],
    )?;
    let h: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(h["ticks"].as_array().map(Vec::len), Some(5));
    Ok(())
}

/// Child processes of `pid` (all threads), from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(c) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(c.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next().map(|st| st != "Z"))
        })
        .unwrap_or(false)
}

#[test]
fn daemon_killed_alone_takes_its_child_with_it_and_history_shows_the_real_run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let inbox = dir.path().join("inbox");
    let amounts = write_documents(&inbox, 200, 3)?;
    // First in name order, so it is finished before the kill: its balance does not add up, so it
    // is held for review.
    std::fs::write(
        inbox.join("a-held.csv"),
        "Date,Description,Counterparty,Amount,Balance\n2026-04-01,Fee,Bank,10.00,1010.00\n2026-04-02,Fee,Bank,10.00,1030.00\n",
    )?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    std::fs::write(
        flows.join("import.yaml"),
        r#"version: 1
name: orphan-free
schedule:
  cron: "* * * * * *"
  misfire: run_once
steps:
  - id: inbox
    ingest: { path: ../inbox, done: ../done, quarantine: ../quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement, on_failed_checks: review }
  - id: store
    write:
      from: read
      sink: { sqlite: { path: ../backoffice.db } }
      table: transactions
      columns:
        booking_date: record.date
        amount: record.amount
        description: record.description
"#,
    )?;
    let data = dir.path().join("data");
    let db = dir.path().join("backoffice.db");

    let mut d = spawn_daemon(&data, &flows, &[])?;
    let start = Instant::now();
    let child = loop {
        let n = count_rows(&db);
        let kids = children_of(d.id());
        if n > 0 && n < amounts.len() as i64 && kids.len() == 1 {
            break kids[0];
        }
        if n >= amounts.len() as i64 {
            bail!("the run finished before it could be interrupted; make the batch larger");
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = d.kill();
            bail!("the daemon wrote nothing within 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    d.kill()?; // SIGKILL to the daemon alone
    d.wait()?;
    let start = Instant::now();
    while alive(child) {
        if start.elapsed() > Duration::from_secs(5) {
            let _ = Command::new("kill")
                .args(["-KILL", &child.to_string()])
                .status();
            bail!("the child run {child} outlived its daemon");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let partial = count_rows(&db);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        count_rows(&db),
        partial,
        "nobody writes while the daemon is down"
    );
    let interrupted = tick_rows(&data, "orphan-free")?
        .into_iter()
        .find(|(_, s)| s == "running")
        .map(|(t, _)| t)
        .context("a tick was running when the daemon was killed")?;

    let mut d = spawn_daemon(&data, &flows, &[])?;
    let start = Instant::now();
    while count_rows(&db) < amounts.len() as i64 || std::fs::read_dir(&inbox)?.count() > 0 {
        if start.elapsed() > Duration::from_secs(600) {
            let _ = stop(&mut d);
            bail!("not everything was delivered within 10 minutes after the restart");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2)); // a few more (empty) ticks
    stop(&mut d)?;
    assert_eq!(count_rows(&db), amounts.len() as i64, "each record once");

    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "--json",
            "schedule",
            "history",
            "--limit",
            "1000",
        ],
        &[],
    )?;
    let h: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let ticks = h["ticks"].as_array().context("ticks")?;
    let tick = ticks
        .iter()
        .find(|t| t["fire_at"] == interrupted.as_str())
        .context("the interrupted tick is in the history")?;
    assert_eq!(tick["status"], "review", "{tick}");
    let run_id = tick["run_id"].as_str().context("linked to a run")?;
    let run = tick["runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["run_id"] == run_id))
        .context("the run is among the tick's runs")?;
    assert_eq!(run["status"], "review", "{tick}");
    assert_eq!(run["files"], 201, "the run that did the work: {tick}");
    // Empty ticks after it link to their own (empty, succeeded) runs.
    assert!(
        ticks
            .iter()
            .filter(|t| t["fire_at"].as_str() > Some(interrupted.as_str())
                && t["status"] == "succeeded")
            .all(|t| t["run_id"] != run_id),
        "{h}"
    );
    let text = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "schedule",
            "history",
        ],
        &[],
    )?;
    assert!(
        out(&text).contains(&format!("{interrupted}  orphan-free  review")),
        "{}",
        out(&text)
    );
    Ok(())
}

/// Alerts received: body and Authorization header.
type Received = Arc<Mutex<Vec<(serde_json::Value, String)>>>;

/// A real HTTP server (axum) on loopback that records each alert and its Authorization header.
fn webhook_receiver() -> Result<(String, Received)> {
    let seen: Received = Arc::default();
    let store = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
                let store = store.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    store.lock().expect("lock").push((body.0, auth));
                    "ok"
                }
            },
        ),
    );
    let addr = common::serve_loopback(app)?;
    Ok((format!("http://{addr}/hook"), seen))
}

#[test]
fn failing_flow_retries_alerts_a_webhook_and_keeps_its_schedule() -> Result<()> {
    let (hook, seen) = webhook_receiver()?;
    let dir = tempfile::tempdir()?;
    write_documents(&dir.path().join("inbox"), 1, 2)?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    // Port 9 on loopback: nothing listens, the back office is "down".
    std::fs::write(
        flows.join("down.yaml"),
        format!(
            r#"version: 1
name: backoffice-down
schedule:
  cron: "*/2 * * * * *"
  misfire: skip
  retries: 1
  retry_backoff: 1s
  alert:
    after_failures: 2
    webhook: {hook}
    webhook_secret: ops-hook
steps:
  - id: inbox
    ingest: {{ path: ../inbox, done: ../done, quarantine: ../quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
  - id: store
    write:
      from: read
      sink: {{ postgres: {{ url: "postgres://docket@127.0.0.1:9/none?connect_timeout=2" }} }}
      table: transactions
      columns:
        amount: record.amount
"#
        ),
    )?;
    let data = dir.path().join("data");
    let token = "hook-token-3f9a";
    let mut d = spawn_daemon(&data, &flows, &[("DOCKET_SECRET_OPS_HOOK", token)])?;
    let start = Instant::now();
    while seen.lock().map(|s| s.is_empty()).unwrap_or(true) {
        if start.elapsed() > Duration::from_secs(180) {
            let (o, e) = stop(&mut d)?;
            bail!("no alert within 3 minutes\n{o}\n{e}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (stdout, stderr) = stop(&mut d)?;
    let alerts = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let (body, auth) = &alerts[0];
    assert_eq!(body["flow"], "backoffice-down", "{body}");
    assert_eq!(body["consecutive_failures"], 2, "{body}");
    assert_eq!(body["last_error_code"], "DK-E0301", "{body}");
    assert_eq!(auth, &format!("Bearer {token}"));
    assert!(
        stdout.contains("alert sent after 2 consecutive failure(s)"),
        "{stdout}\n{stderr}"
    );
    assert!(!stdout.contains(token) && !stderr.contains(token));

    // Every finished tick failed after its retry; the document is still in the inbox (nothing
    // lost) and the schedule went on.
    let c = rusqlite::Connection::open(data.join("docket.db"))?;
    let mut st = c.prepare(
        "SELECT status, attempts FROM ticks WHERE flow = 'backoffice-down' AND status <> 'skipped' AND status <> 'running'",
    )?;
    let finished: Vec<(String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    assert!(finished.len() >= 2, "{finished:?}");
    assert!(
        finished.iter().all(|(s, a)| s == "failed" && *a == 2),
        "{finished:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path().join("inbox"))?.count(), 1);
    Ok(())
}

#[test]
fn schedule_list_shows_working_day_fire_times() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let cal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../installer/calendars/cn-mainland.yaml");
    std::fs::write(
        dir.path().join("daily.yaml"),
        format!(
            r#"version: 1
name: daily-0930
schedule:
  cron: "0 30 9 * * *"
  timezone: Asia/Shanghai
  calendar: {}
  days: working
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
"#,
            cal.display()
        ),
    )?;
    let o = docket(
        &[
            "--json",
            "schedule",
            "list",
            "--flows",
            &dir.path().display().to_string(),
            "--count",
            "7",
        ],
        &[],
    )?;
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let next = v["flows"][0]["next"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(next.len(), 7, "{v}");
    assert_eq!(v["flows"][0]["calendar"], "cn-mainland");
    for n in &next {
        let local = n["local"].as_str().unwrap_or("");
        assert!(local.contains("T09:30:00+08:00"), "{local}");
    }
    Ok(())
}

/// `docket run --check` reads the schedule's calendar like the daemon does: a calendar file that
/// does not exist is refused (exit 2, W037) at the line and column of `calendar:`.
#[test]
fn run_check_refuses_a_calendar_that_does_not_exist() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = dir.path().join("daily.yaml");
    std::fs::write(
        &flow,
        r#"version: 1
name: daily-0930
schedule:
  cron: "0 30 9 * * *"
  timezone: Asia/Shanghai
  calendar: calendars/nowhere.yaml
  days: working
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement }
"#,
    )?;
    let f = flow.display().to_string();
    let o = docket(&["run", "--check", &f], &[])?;
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    let e = err(&o);
    assert!(e.contains(&format!("{f}:6:13")), "line and column: {e}");
    assert!(e.contains("W037") && e.contains("nowhere.yaml"), "{e}");
    Ok(())
}

#[test]
fn a_paused_flow_records_its_ticks_as_skipped_until_resumed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("inbox"))?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    std::fs::write(
        flows.join("f.yaml"),
        r#"version: 1
name: every-second
schedule:
  cron: "* * * * * *"
  misfire: skip
steps:
  - id: inbox
    ingest: { path: ../inbox, done: ../done, quarantine: ../quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement }
"#,
    )?;
    let data = dir.path().join("data");
    let d_str = data.display().to_string();
    let cli = |args: &[&str]| -> Result<std::process::Output> {
        let mut a = vec!["--data-dir", d_str.as_str(), "schedule"];
        a.extend_from_slice(args);
        docket(&a, &[])
    };
    let o = cli(&[
        "pause",
        "every-second",
        "--reason",
        "ledger migration",
        "--user",
        "olga",
    ])?;
    assert!(o.status.success(), "{}", err(&o));
    let mut d = spawn_daemon(&data, &flows, &[])?;
    std::thread::sleep(Duration::from_secs(4));
    let o = cli(&["resume", "every-second", "--user", "olga"])?;
    assert!(o.status.success(), "{}", err(&o));
    let start = Instant::now();
    while !tick_rows(&data, "every-second")?
        .iter()
        .any(|(_, s)| s == "succeeded")
    {
        if start.elapsed() > Duration::from_secs(120) {
            let (o, e) = stop(&mut d)?;
            bail!("no tick ran after resume\n{o}\n{e}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (stdout, _) = stop(&mut d)?;
    assert!(stdout.contains("paused by olga"), "{stdout}");
    let c = rusqlite::Connection::open(data.join("docket.db"))?;
    let paused: i64 = c.query_row(
        "SELECT count(*) FROM ticks WHERE status = 'skipped' AND note LIKE 'paused by olga%ledger migration'",
        [],
        |r| r.get(0),
    )?;
    assert!(
        paused >= 2,
        "ticks while paused are recorded as skipped: {paused}"
    );
    // Nothing ran while paused: every succeeded tick is later than every paused one.
    let last_paused: String = c.query_row(
        "SELECT max(fire_at) FROM ticks WHERE note LIKE 'paused by%'",
        [],
        |r| r.get(0),
    )?;
    let first_run: String = c.query_row(
        "SELECT min(fire_at) FROM ticks WHERE status = 'succeeded'",
        [],
        |r| r.get(0),
    )?;
    assert!(first_run > last_paused, "{first_run} vs {last_paused}");
    let o = docket(&["--data-dir", &d_str, "audit", "verify"], &[])?;
    assert!(o.status.success(), "{}", out(&o));
    Ok(())
}
