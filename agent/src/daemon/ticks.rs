//! The daemon's tick journal in the local run store (`ticks` table). A tick is inserted as
//! `running` before its run starts (durable before effectful), so a daemon killed mid-run finds
//! it at the next start and runs it again (the run itself resumes); a tick is never inserted
//! twice (primary key flow + instant), so no tick fires twice; and a missed tick that the misfire
//! policy does not run is inserted as `skipped`, so none is skipped silently.

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde_json::json;

use crate::ledger;
use crate::store::{Store, now};

/// The stored form of an instant: RFC 3339 UTC with a `Z`, which sorts as text.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The flow's latest recorded tick (any status).
pub fn last(store: &Store, flow: &str) -> Result<Option<DateTime<Utc>>> {
    let s: Option<String> = store.conn().query_row(
        "SELECT max(fire_at) FROM ticks WHERE flow = ?1",
        params![flow],
        |r| r.get(0),
    )?;
    Ok(s.as_deref().and_then(parse))
}

/// Ticks left `running` by a daemon that stopped or was killed, oldest first.
pub fn interrupted(store: &Store, flow: &str) -> Result<Vec<(DateTime<Utc>, i64)>> {
    let mut st = store.conn().prepare(
        "SELECT fire_at, attempts FROM ticks WHERE flow = ?1 AND status = 'running' ORDER BY fire_at",
    )?;
    let rows = st.query_map(params![flow], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (s, a) = r?;
        if let Some(t) = parse(&s) {
            out.push((t, a));
        }
    }
    Ok(out)
}

/// Records a tick as started (attempt 1) before its run; `false` if it was already recorded.
pub fn begin(store: &mut Store, flow: &str, at: DateTime<Utc>) -> Result<bool> {
    let tx = store.conn_mut().transaction()?;
    let n = tx.execute(
        "INSERT OR IGNORE INTO ticks (flow, fire_at, status, attempts, started_at) VALUES (?1, ?2, 'running', 0, ?3)",
        params![flow, stamp(at), now()],
    )?;
    if n == 1 {
        ledger::append(
            &tx,
            None,
            "tick_fired",
            &json!({ "flow": flow, "fire_at": stamp(at) }),
        )?;
    }
    tx.commit()?;
    if n == 1 {
        ledger::write_head(store)?;
    }
    Ok(n == 1)
}

/// Records the start of another attempt of a tick.
pub fn attempt(store: &Store, flow: &str, at: DateTime<Utc>, log: &str) -> Result<i64> {
    store.conn().execute(
        "UPDATE ticks SET attempts = attempts + 1, log = ?3 WHERE flow = ?1 AND fire_at = ?2",
        params![flow, stamp(at), log],
    )?;
    Ok(store.conn().query_row(
        "SELECT attempts FROM ticks WHERE flow = ?1 AND fire_at = ?2",
        params![flow, stamp(at)],
        |r| r.get(0),
    )?)
}

/// Records missed ticks that the misfire policy does not run: one row each (so nothing is skipped
/// silently) in one transaction, with one ledger entry for the batch (count, first, last), so a
/// long outage of a per-second schedule costs one commit rather than one per tick.
pub fn skip_many(store: &mut Store, flow: &str, ats: &[DateTime<Utc>], why: &str) -> Result<()> {
    if ats.is_empty() {
        return Ok(());
    }
    let tx = store.conn_mut().transaction()?;
    let mut recorded = 0usize;
    {
        let mut st = tx.prepare(
            "INSERT OR IGNORE INTO ticks (flow, fire_at, status, note, finished_at) VALUES (?1, ?2, 'skipped', ?3, ?4)",
        )?;
        let ts = now();
        for at in ats {
            recorded += st.execute(params![flow, stamp(*at), why, ts])?;
        }
    }
    if recorded > 0 {
        ledger::append(
            &tx,
            None,
            "ticks_skipped",
            &json!({ "flow": flow, "count": recorded, "first": stamp(ats[0]), "last": stamp(ats[ats.len() - 1]), "why": why }),
        )?;
    }
    tx.commit()?;
    if recorded > 0 {
        ledger::write_head(store)?;
    }
    Ok(())
}

/// Records how a tick ended.
pub fn finish(
    store: &mut Store,
    flow: &str,
    at: DateTime<Utc>,
    status: &str,
    exit_code: Option<i32>,
    run_id: Option<&str>,
    note: Option<&str>,
) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE ticks SET status = ?3, exit_code = ?4, run_id = ?5, note = ?6, finished_at = ?7 WHERE flow = ?1 AND fire_at = ?2",
        params![flow, stamp(at), status, exit_code, run_id, note, now()],
    )?;
    ledger::append(
        &tx,
        run_id,
        "tick_finished",
        &json!({ "flow": flow, "fire_at": stamp(at), "status": status, "exit_code": exit_code }),
    )?;
    tx.commit()?;
    ledger::write_head(store)
}

/// How many of the flow's latest finished ticks failed in a row (skipped ticks are passed over).
pub fn consecutive_failures(store: &Store, flow: &str) -> Result<u32> {
    let mut st = store.conn().prepare(
        "SELECT status FROM ticks WHERE flow = ?1 AND status NOT IN ('skipped', 'running') ORDER BY fire_at DESC LIMIT 1000",
    )?;
    let rows = st.query_map(params![flow], |r| r.get::<_, String>(0))?;
    let mut n = 0;
    for r in rows {
        match r?.as_str() {
            "failed" | "timed_out" => n += 1,
            _ => break,
        }
    }
    Ok(n)
}

/// One stored tick, for `docket schedule history` and tests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TickRow {
    /// Flow name.
    pub flow: String,
    /// Scheduled instant.
    pub fire_at: String,
    /// running | succeeded | review | failed | timed_out | skipped: what the tick's exit said,
    /// made worse by the status of a run it caused (a run that went to review makes the tick
    /// `review` even if a later attempt found nothing left to do).
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The run that did the tick's work: the one of [`TickRow::runs`] that took documents, else
    /// the last one.
    pub run_id: Option<String>,
    /// Every run the tick caused, in the order they started, with their status in the run store.
    pub runs: Vec<TickRun>,
    /// Why it was skipped or failed.
    pub note: Option<String>,
}

/// A run caused by a tick.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TickRun {
    /// Run id.
    pub run_id: String,
    /// running | succeeded | review | failed
    pub status: String,
    /// Documents the run took.
    pub files: i64,
}

/// How bad a status is, to combine a tick's own status with its runs'.
fn severity(status: &str) -> u8 {
    match status {
        "succeeded" => 0,
        "review" => 1,
        "running" => 2,
        _ => 3,
    }
}

/// The latest `limit` ticks of a flow (all flows when `None`), newest first.
pub fn history(store: &Store, flow: Option<&str>, limit: i64) -> Result<Vec<TickRow>> {
    let mut st = store.conn().prepare(
        "SELECT flow, fire_at, status, attempts, run_id, note FROM ticks
          WHERE ?1 IS NULL OR flow = ?1 ORDER BY fire_at DESC, flow LIMIT ?2",
    )?;
    let rows = st.query_map(params![flow, limit], |r| {
        Ok(TickRow {
            flow: r.get(0)?,
            fire_at: r.get(1)?,
            status: r.get(2)?,
            attempts: r.get(3)?,
            run_id: r.get(4)?,
            runs: Vec::new(),
            note: r.get(5)?,
        })
    })?;
    let mut rows: Vec<TickRow> = rows.collect::<Result<_, _>>()?;
    let mut runs = store.conn().prepare(
        "SELECT t.run_id, r.status, (SELECT COUNT(*) FROM files f WHERE f.run_id = t.run_id)
           FROM tick_runs t JOIN runs r ON r.id = t.run_id
          WHERE t.flow = ?1 AND t.fire_at = ?2 ORDER BY r.started_at, r.rowid",
    )?;
    for row in &mut rows {
        row.runs = runs
            .query_map(params![row.flow, row.fire_at], |r| {
                Ok(TickRun {
                    run_id: r.get(0)?,
                    status: r.get(1)?,
                    files: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        if let Some(worked) = row
            .runs
            .iter()
            .rev()
            .find(|r| r.files > 0)
            .or(row.runs.last())
        {
            row.run_id = Some(worked.run_id.clone());
        }
        if !matches!(row.status.as_str(), "running" | "skipped") {
            for r in &row.runs {
                if r.status != "running" && severity(&r.status) > severity(&row.status) {
                    row.status = r.status.clone();
                }
            }
        }
    }
    Ok(rows)
}

/// Whether a tick row exists (tests, diagnostics).
pub fn exists(store: &Store, flow: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(store
        .conn()
        .query_row(
            "SELECT 1 FROM ticks WHERE flow = ?1 AND fire_at = ?2",
            params![flow, stamp(at)],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
