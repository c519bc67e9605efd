//! The shared work queue and schedule ticks in PostgreSQL.
//!
//! Leasing is one statement: the ready rows are chosen with `FOR UPDATE SKIP LOCKED` (so agents
//! never wait on each other, nor take the same row) and updated to `leased` with an expiry. A
//! row is ready when it is `queued` and its back-off has passed, or when it is `leased` but its
//! lease expired: its agent stopped heart-beating (killed, frozen, cut off), and the row is taken
//! over and counted in `recovered`. Completing a row checks that the caller still owns the lease,
//! so an agent that was presumed dead and comes back cannot mark another agent's work.
//!
//! Poison documents: an expired lease is taken over **alone** (never in a batch with other
//! items), so that if its new agent dies too the second expiry names that one document. A row's
//! `expired` counts the expiries since it was queued and `expired_owners` the dead agents; the
//! agent that takes a row over with `expired` at the runner's limit (two) quarantines the
//! document instead of reading it (worker.rs) and the row ends `quarantined`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use postgres::Client;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::{Capabilities, ledger};

/// A queued document, as the payload of a work item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileItem {
    /// Where the document was when it was enqueued (the flow's inbox).
    pub path: String,
    /// Its file name, to find it again in the done folder.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// A leased work item.
#[derive(Debug, Clone)]
pub struct Leased {
    /// Row id.
    pub id: i64,
    /// Flow name.
    pub flow: String,
    /// The document.
    pub item: FileItem,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// The agent whose expired lease this one replaces, if any.
    pub recovered_from: Option<String>,
    /// Leases of this item that expired with their agent dead since it was queued.
    pub expired: i32,
    /// Those agents, oldest first.
    pub expired_owners: Vec<String>,
}

/// Puts items on the queue; an item already queued or leased for the flow is left alone, and one
/// that was done or failed is queued again (the same document dropped again: the sinks' keys
/// make its second processing write nothing, and it is moved out of the inbox). Returns how many
/// rows were queued.
pub fn enqueue(
    client: &mut Client,
    agent: &str,
    flow: &str,
    items: &[FileItem],
    requires: &Capabilities,
) -> Result<u64> {
    let requires = serde_json::to_string(requires)?;
    let mut tx = client.transaction()?;
    let stmt = tx.prepare(
        "INSERT INTO docket_work (flow, item_key, payload, requires) VALUES ($1, $2, $3, $4)
         ON CONFLICT (flow, item_key) DO UPDATE
             SET status = 'queued', payload = EXCLUDED.payload, requires = EXCLUDED.requires,
                 attempts = 0, last_error = NULL, not_before = now(), enqueued_at = now(),
                 expired = 0, expired_owners = ''
             WHERE docket_work.status IN ('done', 'failed', 'quarantined')",
    )?;
    let mut queued = 0;
    for it in items {
        let payload = serde_json::to_string(it)?;
        queued += tx.execute(&stmt, &[&flow, &it.sha256, &payload, &requires])?;
    }
    if queued > 0 {
        ledger::append_in(
            &mut tx,
            agent,
            "work_enqueued",
            &serde_json::json!({ "flow": flow, "items": queued }),
        )?;
    }
    tx.commit()?;
    Ok(queued)
}

/// Leases ready items this agent can do, for `lease`: one item whose lease expired (its agent
/// died), alone, if there is one; otherwise up to `max` queued items.
pub fn lease(
    client: &mut Client,
    agent: &str,
    caps: &Capabilities,
    max: i64,
    lease: Duration,
) -> Result<Vec<Leased>> {
    let langs = serde_json::to_string(&caps.ocr_languages)?;
    let lease_ms = lease.as_millis() as i64;
    let mut tx = client.transaction()?;
    let mut rows = tx.query(
        "WITH picked AS (
             SELECT id, lease_owner AS old_owner FROM docket_work
             WHERE status = 'leased' AND lease_until < now()
               AND (NOT COALESCE((requires::jsonb ->> 'desktop')::boolean, false) OR $2)
               AND COALESCE(requires::jsonb -> 'ocr_languages', '[]'::jsonb) <@ ($3::text)::jsonb
             ORDER BY id
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
         UPDATE docket_work w
            SET lease_owner = $1,
                lease_until = now() + ($4::bigint * interval '1 millisecond'),
                attempts = w.attempts + 1,
                recovered = w.recovered + 1,
                expired = w.expired + 1,
                expired_owners = CASE WHEN w.expired_owners = '' THEN COALESCE(picked.old_owner, '?')
                                      ELSE w.expired_owners || ',' || COALESCE(picked.old_owner, '?') END
           FROM picked
          WHERE w.id = picked.id
      RETURNING w.id, w.flow, w.payload, w.attempts, picked.old_owner, w.expired, w.expired_owners",
        &[&agent, &caps.desktop, &langs, &lease_ms],
    )?;
    if rows.is_empty() {
        rows = tx.query(
            "WITH picked AS (
                 SELECT id FROM docket_work
                 WHERE status = 'queued' AND not_before <= now()
                   AND (NOT COALESCE((requires::jsonb ->> 'desktop')::boolean, false) OR $2)
                   AND COALESCE(requires::jsonb -> 'ocr_languages', '[]'::jsonb) <@ ($3::text)::jsonb
                 ORDER BY id
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             UPDATE docket_work w
                SET status = 'leased', lease_owner = $1,
                    lease_until = now() + ($5::bigint * interval '1 millisecond'),
                    attempts = w.attempts + 1
               FROM picked
              WHERE w.id = picked.id
          RETURNING w.id, w.flow, w.payload, w.attempts, NULL::text, w.expired, w.expired_owners",
            &[&agent, &caps.desktop, &langs, &max, &lease_ms],
        )?;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let payload: String = r.get(2);
        let owners: String = r.get(6);
        out.push(Leased {
            id: r.get(0),
            flow: r.get(1),
            item: serde_json::from_str(&payload)?,
            attempts: r.get(3),
            recovered_from: r.get(4),
            expired: r.get(5),
            expired_owners: owners
                .split(',')
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    let recovered: Vec<serde_json::Value> = out
        .iter()
        .filter_map(|l| {
            l.recovered_from
                .as_ref()
                .map(|from| serde_json::json!({ "id": l.id, "from": from, "expired": l.expired }))
        })
        .collect();
    if !recovered.is_empty() {
        ledger::append_in(
            &mut tx,
            agent,
            "lease_recovered",
            &serde_json::json!({ "items": recovered }),
        )?;
    }
    tx.commit()?;
    out.sort_by_key(|l| l.id);
    Ok(out)
}

/// Extends the leases this agent holds and records its heartbeat. Returns the number of leases
/// extended.
pub fn heartbeat(client: &mut Client, agent: &str, lease: Duration) -> Result<u64> {
    let lease_ms = lease.as_millis() as i64;
    client.execute(
        "UPDATE docket_agents SET heartbeat_at = now() WHERE id = $1",
        &[&agent],
    )?;
    Ok(client.execute(
        "UPDATE docket_work SET lease_until = now() + ($2::bigint * interval '1 millisecond')
          WHERE status = 'leased' AND lease_owner = $1",
        &[&agent, &lease_ms],
    )?)
}

/// Marks an item done; `false` when this agent no longer holds its lease (it expired and another
/// agent took the item over; that agent completes it).
pub fn complete(client: &mut Client, agent: &str, id: i64, run_id: &str) -> Result<bool> {
    let n = client.execute(
        "UPDATE docket_work SET status = 'done', done_by = $2, done_run = $3, done_at = now(),
                lease_owner = NULL, lease_until = NULL, last_error = NULL
          WHERE id = $1 AND status = 'leased' AND lease_owner = $2",
        &[&id, &agent, &run_id],
    )?;
    Ok(n == 1)
}

/// Gives an item back after a failure: queued again after `backoff` while attempts remain,
/// otherwise `failed` with the error kept for the operator.
pub fn fail(
    client: &mut Client,
    agent: &str,
    id: i64,
    error: &str,
    max_attempts: i32,
    backoff: Duration,
) -> Result<()> {
    let backoff_ms = backoff.as_millis() as i64;
    let mut tx = client.transaction()?;
    let row = tx.query_opt(
        "UPDATE docket_work
            SET status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'queued' END,
                not_before = now() + ($5::bigint * interval '1 millisecond'),
                lease_owner = NULL, lease_until = NULL, last_error = $3
          WHERE id = $1 AND status = 'leased' AND lease_owner = $2
      RETURNING status, flow",
        &[&id, &agent, &error, &max_attempts, &backoff_ms],
    )?;
    if let Some(r) = row {
        let status: String = r.get(0);
        let flow: String = r.get(1);
        ledger::append_in(
            &mut tx,
            agent,
            if status == "failed" {
                "work_failed"
            } else {
                "work_retry"
            },
            &serde_json::json!({ "id": id, "flow": flow, "error": error }),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Counts of the queue by status, for `docket fleet status` and for waiting until it drains.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueCounts {
    /// Waiting.
    pub queued: i64,
    /// Being worked on.
    pub leased: i64,
    /// Finished.
    pub done: i64,
    /// Gave up after the last attempt.
    pub failed: i64,
    /// The document was moved to quarantine (unreadable, or its lease expired twice).
    pub quarantined: i64,
    /// Leases taken over from dead agents, in total.
    pub recovered: i64,
}

/// Queue counts, optionally for one flow.
pub fn counts(client: &mut Client, flow: Option<&str>) -> Result<QueueCounts> {
    let mut c = QueueCounts::default();
    for r in client.query(
        "SELECT status, count(*), COALESCE(sum(recovered), 0)::bigint FROM docket_work
          WHERE $1::text IS NULL OR flow = $1 GROUP BY status",
        &[&flow],
    )? {
        let status: String = r.get(0);
        let n: i64 = r.get(1);
        c.recovered += r.get::<_, i64>(2);
        match status.as_str() {
            "queued" => c.queued = n,
            "leased" => c.leased = n,
            "done" => c.done = n,
            "failed" => c.failed = n,
            "quarantined" => c.quarantined = n,
            _ => {}
        }
    }
    Ok(c)
}

/// Claims a schedule tick for this agent: `true` for exactly one agent per (flow, instant),
/// however many saw it. The row is the durable record of the tick, written before the run
/// starts.
pub fn claim_tick(
    client: &mut Client,
    agent: &str,
    flow: &str,
    fire_at: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = client.transaction()?;
    let n = tx.execute(
        "INSERT INTO docket_ticks (flow, fire_at, agent, status) VALUES ($1, $2, $3, 'fired')
         ON CONFLICT (flow, fire_at) DO NOTHING",
        &[&flow, &fire_at, &agent],
    )?;
    if n == 1 {
        ledger::append_in(
            &mut tx,
            agent,
            "tick_fired",
            &serde_json::json!({ "flow": flow, "fire_at": fire_at.to_rfc3339() }),
        )?;
    }
    tx.commit()?;
    Ok(n == 1)
}

/// Records how a tick's run ended.
pub fn finish_tick(
    client: &mut Client,
    flow: &str,
    fire_at: DateTime<Utc>,
    status: &str,
    run_id: Option<&str>,
    note: Option<&str>,
) -> Result<()> {
    client.execute(
        "UPDATE docket_ticks SET status = $3, run_id = $4, note = $5, finished_at = now()
          WHERE flow = $1 AND fire_at = $2",
        &[&flow, &fire_at, &status, &run_id, &note],
    )?;
    Ok(())
}

/// The scheduled instant of the flow's latest recorded tick (fired or skipped), from which the
/// misfire policy decides what was missed.
pub fn last_tick(client: &mut Client, flow: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(client
        .query_one(
            "SELECT max(fire_at) FROM docket_ticks WHERE flow = $1",
            &[&flow],
        )?
        .get(0))
}

/// Marks several items done in one transaction (one WAL flush for the whole batch); returns the
/// ids this agent still held (the others were taken over and are completed by their new owner).
pub fn complete_many(
    client: &mut Client,
    agent: &str,
    ids: &[i64],
    run_id: &str,
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client.query(
        "UPDATE docket_work SET status = 'done', done_by = $2, done_run = $3, done_at = now(),
                lease_owner = NULL, lease_until = NULL, last_error = NULL
          WHERE id = ANY($1) AND status = 'leased' AND lease_owner = $2
      RETURNING id",
        &[&ids, &agent, &run_id],
    )?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Marks items whose document this agent's run quarantined (unreadable, or poison: its lease
/// expired twice) as `quarantined`, with one fleet ledger entry; returns the ids this agent still
/// held. Enqueueing the document again (it was moved back into the inbox) queues it afresh.
pub fn quarantine_many(
    client: &mut Client,
    agent: &str,
    ids: &[i64],
    run_id: &str,
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = client.transaction()?;
    let rows = tx.query(
        "UPDATE docket_work SET status = 'quarantined', done_by = $2, done_run = $3, done_at = now(),
                lease_owner = NULL, lease_until = NULL
          WHERE id = ANY($1) AND status = 'leased' AND lease_owner = $2
      RETURNING id, flow, item_key, expired",
        &[&ids, &agent, &run_id],
    )?;
    let held: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.get::<_, i64>(0),
                "flow": r.get::<_, String>(1),
                "sha256": r.get::<_, String>(2),
                "expired_leases": r.get::<_, i32>(3),
            })
        })
        .collect();
    if !items.is_empty() {
        ledger::append_in(
            &mut tx,
            agent,
            "work_quarantined",
            &serde_json::json!({ "run": run_id, "items": items }),
        )?;
    }
    tx.commit()?;
    Ok(held)
}

/// Takes over ticks another agent won but never finished (`fired` for longer than `stale`: the
/// agent died between winning the tick and queueing its documents). Returns their instants; the
/// caller queues the inbox again (queueing is idempotent) and finishes them.
pub fn take_over_stale_ticks(
    client: &mut Client,
    agent: &str,
    flow: &str,
    stale: Duration,
) -> Result<Vec<(DateTime<Utc>, String)>> {
    let stale_ms = stale.as_millis() as i64;
    let mut tx = client.transaction()?;
    let rows = tx.query(
        "WITH stale AS (
             SELECT flow, fire_at, agent AS old_agent FROM docket_ticks
              WHERE flow = $2 AND status = 'fired'
                AND claimed_at < now() - ($3::bigint * interval '1 millisecond')
              FOR UPDATE SKIP LOCKED)
         UPDATE docket_ticks t SET agent = $1, claimed_at = now()
           FROM stale WHERE t.flow = stale.flow AND t.fire_at = stale.fire_at
       RETURNING t.fire_at, stale.old_agent",
        &[&agent, &flow, &stale_ms],
    )?;
    let out: Vec<(DateTime<Utc>, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for (at, from) in &out {
        ledger::append_in(
            &mut tx,
            agent,
            "tick_taken_over",
            &serde_json::json!({ "flow": flow, "fire_at": at.to_rfc3339(), "from": from }),
        )?;
    }
    tx.commit()?;
    Ok(out)
}

/// Records missed ticks the misfire policy does not run, in one transaction with one fleet ledger
/// entry; ticks another agent already recorded are left as they are.
pub fn record_skipped(
    client: &mut Client,
    agent: &str,
    flow: &str,
    ats: &[DateTime<Utc>],
) -> Result<u64> {
    if ats.is_empty() {
        return Ok(0);
    }
    let mut tx = client.transaction()?;
    let st = tx.prepare(
        "INSERT INTO docket_ticks (flow, fire_at, agent, status) VALUES ($1, $2, $3, 'skipped')
         ON CONFLICT (flow, fire_at) DO NOTHING",
    )?;
    let mut n = 0;
    for at in ats {
        n += tx.execute(&st, &[&flow, at, &agent])?;
    }
    if n > 0 {
        ledger::append_in(
            &mut tx,
            agent,
            "ticks_skipped",
            &serde_json::json!({ "flow": flow, "count": n, "first": ats[0].to_rfc3339(), "last": ats[ats.len() - 1].to_rfc3339() }),
        )?;
    }
    tx.commit()?;
    Ok(n)
}
