//! Fleet mode on a real PostgreSQL: three agent processes share one work queue and process
//! 10,000 documents into a PostgreSQL back office; one agent is killed with SIGKILL mid-way. Every
//! document's transaction must land exactly once (asserted on the target table), the dead agent's
//! leases must be taken over by the others (asserted on the queue and the fleet ledger), and the
//! fleet ledger must verify.
//!
//! Each test gets its own database (created with the test role, dropped at the end), because the
//! fleet tables have fixed names.

mod common;

use anyhow::{Context, Result, bail};
use common::{docket, docket_bin, err, out};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn admin_url() -> String {
    std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://docket:docket@127.0.0.1:5432/docket_test".into())
}

/// A fresh database for one test, dropped when the guard goes.
struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    fn create(tag: &str) -> Result<TestDb> {
        let admin = admin_url();
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).with_context(|| {
            format!("PostgreSQL at {admin} is not reachable: start it with installer/install.sh --test or set DOCKET_TEST_PG_URL")
        })?;
        let name = format!("docket_{tag}_{}", std::process::id());
        // Separate statements: DROP/CREATE DATABASE may not share a (implicit) transaction.
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        c.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Ok(TestDb {
            url: format!("{base}/{name}"),
            name,
        })
    }

    fn client(&self) -> Result<postgres::Client> {
        Ok(postgres::Client::connect(&self.url, postgres::NoTls)?)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&admin_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// One statement per document, one transaction each, with amounts that name the document.
fn write_documents(inbox: &Path, n: usize) -> Result<BTreeSet<String>> {
    std::fs::create_dir_all(inbox)?;
    let mut amounts = BTreeSet::new();
    for i in 0..n {
        let amount = format!("{}.{:02}", 1000 + i / 100, i % 100);
        let balance = format!("{}.{:02}", 51000 + i / 100, i % 100);
        std::fs::write(
            inbox.join(format!("stmt-{i:05}.csv")),
            format!(
                "Date,Description,Counterparty,Amount,Balance\n2026-03-{:02},Invoice {i:05},Customer {i},{amount},{balance}\n",
                1 + i % 28
            ),
        )?;
        amounts.insert(amount);
    }
    Ok(amounts)
}

fn flow_yaml(table: &str) -> String {
    format!(
        r#"version: 1
name: fleet-import
steps:
  - id: inbox
    ingest: {{ path: ../inbox, done: ../done, quarantine: ../quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
  - id: store
    write:
      from: read
      sink: {{ postgres: {{ url_secret: backoffice }} }}
      table: {table}
      columns:
        booking_date: record.date
        amount: record.amount
        description: record.description
        source_sha256: source.sha256
"#
    )
}

fn agent(data: &Path, flows: &Path, store: &str, name: &str, backoffice: &str) -> Result<Child> {
    agent_with_fault(data, flows, store, name, backoffice, None)
}

/// An agent whose process dies (`DOCKET_FAULT`) at the given point, if any.
fn agent_with_fault(
    data: &Path,
    flows: &Path,
    store: &str,
    name: &str,
    backoffice: &str,
    fault: Option<&str>,
) -> Result<Child> {
    let mut cmd = Command::new(docket_bin());
    if let Some(f) = fault {
        cmd.env("DOCKET_FAULT", f);
    } else {
        cmd.env_remove("DOCKET_FAULT");
    }
    cmd.arg("--data-dir")
        .arg(data)
        .args([
            "fleet",
            "work",
            "--until-empty",
            "--batch",
            "20",
            "--lease",
            "3s",
        ])
        .args([
            "--backoff",
            "200ms",
            "--name",
            name,
            "--store",
            store,
            "--flows",
        ])
        .arg(flows)
        .env("DOCKET_SECRET_BACKOFFICE", backoffice)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start an agent")
}

fn wait_for(child: &mut Child, limit: Duration) -> Result<std::process::Output> {
    let start = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            let mut stdout = String::new();
            let mut stderr = String::new();
            use std::io::Read;
            if let Some(mut o) = child.stdout.take() {
                o.read_to_string(&mut stdout)?;
            }
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut stderr)?;
            }
            let status = child.wait()?;
            return Ok(std::process::Output {
                status,
                stdout: stdout.into_bytes(),
                stderr: stderr.into_bytes(),
            });
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            bail!("an agent did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn three_agents_process_ten_thousand_documents_exactly_once_despite_a_sigkill() -> Result<()> {
    const N: usize = 10_000;
    let db = TestDb::create("fleet")?;
    let dir = tempfile::tempdir()?;
    let amounts = write_documents(&dir.path().join("inbox"), N)?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    std::fs::write(flows.join("import.yaml"), flow_yaml("transactions"))?;

    let o = docket(
        &[
            "--json",
            "fleet",
            "enqueue",
            &flows.join("import.yaml").display().to_string(),
            "--store",
            &db.url,
        ],
        &[("DOCKET_SECRET_BACKOFFICE", db.url.as_str())],
    )?;
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["queued"], N as u64, "{v}");
    // Enqueueing again queues nothing: each document is on the queue once.
    let o = docket(
        &[
            "--json",
            "fleet",
            "enqueue",
            &flows.join("import.yaml").display().to_string(),
            "--store",
            &db.url,
        ],
        &[("DOCKET_SECRET_BACKOFFICE", db.url.as_str())],
    )?;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(out(&o).trim())?["queued"],
        0
    );

    let mut agents = Vec::new();
    for i in 1..=3 {
        agents.push(agent(
            &dir.path().join(format!("data-{i}")),
            &flows,
            &db.url,
            &format!("agent-{i}"),
            &db.url,
        )?);
    }
    // Kill agent-1 once it has finished some work and holds leases.
    let mut c = db.client()?;
    let start = Instant::now();
    loop {
        let done: i64 = c
            .query_one(
                "SELECT count(*) FROM docket_work WHERE status = 'done' AND done_by = 'agent-1'",
                &[],
            )?
            .get(0);
        let held: i64 = c
            .query_one(
                "SELECT count(*) FROM docket_work WHERE status = 'leased' AND lease_owner = 'agent-1'",
                &[],
            )?
            .get(0);
        if done >= 200 && held > 0 {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            bail!("agent-1 did not get going within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    agents[0].kill()?; // SIGKILL
    agents[0].wait()?;
    let orphaned: i64 = c
        .query_one(
            "SELECT count(*) FROM docket_work WHERE status = 'leased' AND lease_owner = 'agent-1'",
            &[],
        )?
        .get(0);

    for a in agents.iter_mut().skip(1) {
        let o = wait_for(a, Duration::from_secs(1800))?;
        assert!(o.status.success(), "agent failed: {}\n{}", out(&o), err(&o));
    }

    // The target table: every document's transaction exactly once, amounts exact.
    let rows = c.query("SELECT amount::text, docket_key FROM transactions", &[])?;
    assert_eq!(rows.len(), N, "rows in the back office");
    let keys: BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(1)).collect();
    assert_eq!(keys.len(), N, "each record once");
    let got: BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    assert_eq!(got, amounts);

    // The queue: all done, none failed; the dead agent's leases were taken over.
    let r = c.query_one(
        "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status <> 'done'),
                COALESCE(sum(recovered), 0)::bigint FROM docket_work",
        &[],
    )?;
    assert_eq!(r.get::<_, i64>(0), N as i64);
    assert_eq!(r.get::<_, i64>(1), 0);
    assert!(orphaned > 0, "agent-1 held leases when it was killed");
    assert!(
        r.get::<_, i64>(2) >= orphaned,
        "every lease agent-1 held was recovered ({} of {orphaned})",
        r.get::<_, i64>(2)
    );
    let recovered_from_1: i64 = c
        .query_one(
            "SELECT count(*) FROM docket_ledger WHERE kind = 'lease_recovered' AND payload LIKE '%\"from\":\"agent-1\"%'",
            &[],
        )?
        .get(0);
    assert!(
        recovered_from_1 > 0,
        "the fleet ledger records the take-over"
    );

    // Every document left the inbox and is in done/ exactly once.
    assert_eq!(std::fs::read_dir(dir.path().join("inbox"))?.count(), 0);
    assert_eq!(std::fs::read_dir(dir.path().join("done"))?.count(), N);

    let o = docket(&["fleet", "verify", "--store", &db.url], &[])?;
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = docket(&["--json", "fleet", "status", "--store", &db.url], &[])?;
    let status: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(status["queue"]["done"], N as u64);
    Ok(())
}

#[test]
fn agents_only_take_work_they_can_do() -> Result<()> {
    let db = TestDb::create("caps")?;
    let dir = tempfile::tempdir()?;
    write_documents(&dir.path().join("inbox"), 3)?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    // A flow that needs an OCR language no agent here has.
    let yaml = flow_yaml("t").replace("steps:", "requires:\n  ocr_languages: [klingon]\nsteps:");
    std::fs::write(flows.join("import.yaml"), yaml)?;
    let o = docket(
        &[
            "fleet",
            "enqueue",
            &flows.join("import.yaml").display().to_string(),
            "--store",
            &db.url,
        ],
        &[("DOCKET_SECRET_BACKOFFICE", db.url.as_str())],
    )?;
    assert!(o.status.success(), "{}", err(&o));
    let mut a = agent(
        &dir.path().join("data"),
        &flows,
        &db.url,
        "agent-x",
        &db.url,
    )?;
    // The agent polls but may not lease: stop it after a few polls.
    std::thread::sleep(Duration::from_secs(3));
    Command::new("kill")
        .args(["-TERM", &a.id().to_string()])
        .status()?;
    let o = wait_for(&mut a, Duration::from_secs(60))?;
    assert!(o.status.success(), "{}", err(&o));
    let mut c = db.client()?;
    let queued: i64 = c
        .query_one(
            "SELECT count(*) FROM docket_work WHERE status = 'queued' AND attempts = 0",
            &[],
        )?
        .get(0);
    assert_eq!(queued, 3, "no agent without klingon took the documents");
    assert_eq!(std::fs::read_dir(dir.path().join("inbox"))?.count(), 3);
    Ok(())
}

fn spawn_daemon(data: &Path, flows: &Path, store: &str, name: &str) -> Result<Child> {
    Command::new(docket_bin())
        .arg("--data-dir")
        .arg(data)
        .args([
            "daemon", "--lease", "3s", "--batch", "10", "--name", name, "--store", store,
        ])
        .arg("--flows")
        .arg(flows)
        .env("DOCKET_SECRET_BACKOFFICE", store)
        .env_remove("DOCKET_FAULT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start a daemon")
}

#[test]
fn two_fleet_daemons_share_ticks_one_winner_each_and_deliver_once() -> Result<()> {
    const N: usize = 150;
    let db = TestDb::create("ticks")?;
    let dir = tempfile::tempdir()?;
    let amounts = write_documents(&dir.path().join("inbox"), N)?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    let yaml = flow_yaml("transactions").replace(
        "steps:",
        "schedule:\n  cron: \"*/2 * * * * *\"\n  misfire: run_once\nsteps:",
    );
    std::fs::write(flows.join("import.yaml"), yaml)?;
    let mut daemons = vec![
        spawn_daemon(&dir.path().join("d1"), &flows, &db.url, "daemon-1")?,
        spawn_daemon(&dir.path().join("d2"), &flows, &db.url, "daemon-2")?,
    ];
    let mut c = db.client()?;
    let start = Instant::now();
    loop {
        let done: i64 = c
            .query_one(
                "SELECT count(*) FROM docket_work WHERE status = 'done'",
                &[],
            )
            .map(|r| r.get(0))
            .unwrap_or(0);
        if done == N as i64 && std::fs::read_dir(dir.path().join("inbox"))?.count() == 0 {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            for d in &mut daemons {
                let _ = d.kill();
            }
            bail!("the fleet did not finish {N} documents within 10 minutes ({done} done)");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(4)); // a couple more ticks with an empty inbox
    let mut won = Vec::new();
    for d in &mut daemons {
        Command::new("kill")
            .args(["-TERM", &d.id().to_string()])
            .status()?;
        let o = wait_for(d, Duration::from_secs(120))?;
        assert!(o.status.success(), "{}\n{}", out(&o), err(&o));
        won.extend(
            out(&o)
                .lines()
                .filter(|l| l.contains(" won by "))
                .map(|l| l.split(" won by ").next().unwrap_or("").to_owned()),
        );
    }
    // No tick was won twice across the two daemons.
    let distinct: BTreeSet<&String> = won.iter().collect();
    assert_eq!(distinct.len(), won.len(), "a tick was run twice: {won:?}");
    // The tick journal: one row per 2-second instant from the first to the last, each with one
    // agent; fired ticks were all queued.
    let ticks = c.query(
        "SELECT fire_at, agent, status FROM docket_ticks WHERE flow = 'fleet-import' ORDER BY fire_at",
        &[],
    )?;
    assert!(ticks.len() >= 3, "{} ticks", ticks.len());
    let times: Vec<chrono::DateTime<chrono::Utc>> = ticks.iter().map(|r| r.get(0)).collect();
    for w in times.windows(2) {
        assert_eq!(
            (w[1] - w[0]).num_seconds(),
            2,
            "gap or repeat between {} and {}",
            w[0],
            w[1]
        );
    }
    for r in &ticks {
        let status: String = r.get(2);
        assert!(
            status == "enqueued" || status == "skipped",
            "tick status {status}"
        );
    }
    let rows = c.query("SELECT amount::text, docket_key FROM transactions", &[])?;
    assert_eq!(rows.len(), N);
    let keys: BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(1)).collect();
    assert_eq!(keys.len(), N);
    let got: BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    assert_eq!(got, amounts);
    Ok(())
}

/// A document that kills every agent that reads it: agent-1 leases the three documents and dies
/// on the first; agent-2 takes that expired lease over alone and dies too; agent-3 finds the
/// lease expired twice and quarantines the document unread, then delivers the other two (whose
/// leases expired once). Nothing goes back to the queue forever, nothing is lost, each record
/// lands once.
#[test]
fn a_document_whose_lease_expired_twice_is_quarantined_not_requeued() -> Result<()> {
    let db = TestDb::create("poison")?;
    let dir = tempfile::tempdir()?;
    let amounts = write_documents(&dir.path().join("inbox"), 3)?;
    let bad = "stmt-00000.csv";
    let bad_bytes = std::fs::read(dir.path().join("inbox").join(bad))?;
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows)?;
    std::fs::write(flows.join("import.yaml"), flow_yaml("transactions"))?;
    let o = docket(
        &[
            "fleet",
            "enqueue",
            &flows.join("import.yaml").display().to_string(),
            "--store",
            &db.url,
        ],
        &[("DOCKET_SECRET_BACKOFFICE", db.url.as_str())],
    )?;
    assert!(o.status.success(), "{}", err(&o));

    for name in ["agent-1", "agent-2"] {
        let mut a = agent_with_fault(
            &dir.path().join(format!("data-{name}")),
            &flows,
            &db.url,
            name,
            &db.url,
            Some("in_extract:1"),
        )?;
        let o = wait_for(&mut a, Duration::from_secs(300))?;
        assert!(
            o.status.code().is_none(),
            "{name} must die reading {bad}: {}",
            err(&o)
        );
    }
    let mut c = db.client()?;
    let r = c.query_one(
        "SELECT status, expired, expired_owners FROM docket_work WHERE item_key = $1",
        &[&docket_core::hash::sha256_hex(&bad_bytes)],
    )?;
    assert_eq!(r.get::<_, String>(0), "leased");
    assert_eq!(r.get::<_, i32>(1), 1, "agent-2 took over agent-1's lease");
    assert_eq!(r.get::<_, String>(2), "agent-1");

    let data3 = dir.path().join("data-agent-3");
    let mut a = agent(&data3, &flows, &db.url, "agent-3", &db.url)?;
    let o = wait_for(&mut a, Duration::from_secs(300))?;
    assert!(o.status.success(), "agent-3: {}\n{}", out(&o), err(&o));

    // The poison document is in quarantine with its bytes and its reason; the others are done.
    let q = dir.path().join("quarantine").join(bad);
    assert_eq!(std::fs::read(&q)?, bad_bytes);
    let reason = std::fs::read_to_string(
        dir.path()
            .join("quarantine")
            .join(format!("{bad}.reason.txt")),
    )?;
    for want in [
        "DK-E0116",
        "2 attempts",
        "agent agent-1",
        "agent agent-2",
        "more memory",
    ] {
        assert!(reason.contains(want), "reason names {want:?}:\n{reason}");
    }
    assert_eq!(std::fs::read_dir(dir.path().join("inbox"))?.count(), 0);
    assert_eq!(std::fs::read_dir(dir.path().join("done"))?.count(), 2);
    let rows = c.query("SELECT amount::text FROM transactions", &[])?;
    let got: BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    assert_eq!(rows.len(), 2, "each good record once");
    let want: BTreeSet<String> = amounts.into_iter().skip(1).collect();
    assert_eq!(got, want);

    // The queue: the poison item quarantined after two expiries, the others done, nothing queued.
    let r = c.query_one(
        "SELECT status, expired, expired_owners FROM docket_work WHERE item_key = $1",
        &[&docket_core::hash::sha256_hex(&bad_bytes)],
    )?;
    assert_eq!(r.get::<_, String>(0), "quarantined");
    assert_eq!(r.get::<_, i32>(1), 2);
    assert_eq!(r.get::<_, String>(2), "agent-1,agent-2");
    let done: i64 = c
        .query_one(
            "SELECT count(*) FROM docket_work WHERE status = 'done'",
            &[],
        )?
        .get(0);
    assert_eq!(done, 2);
    let entries: i64 = c
        .query_one(
            "SELECT count(*) FROM docket_ledger WHERE kind = 'work_quarantined'",
            &[],
        )?
        .get(0);
    assert_eq!(entries, 1, "the fleet ledger records the quarantine");
    let o = docket(&["fleet", "verify", "--store", &db.url], &[])?;
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = docket(
        &[
            "--data-dir",
            &data3.display().to_string(),
            "audit",
            "verify",
        ],
        &[],
    )?;
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = docket(&["--json", "fleet", "status", "--store", &db.url], &[])?;
    let status: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(status["queue"]["quarantined"], 1, "{status}");
    Ok(())
}
