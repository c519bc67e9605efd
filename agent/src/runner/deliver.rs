//! Delivery: pending outbox rows go to their sink in one batch and are marked written (or
//! rejected) with a ledger entry per record; documents a reviewer released are delivered by the
//! flow's next run.

use super::RunOutcome;
use super::stage::typed;
use crate::flow::FlowSpec;
use crate::ledger;
use crate::store::{Store, now};
use anyhow::Result;
use docket_connectors::{OutRecord, Sink};
use docket_core::ErrorCode;
use rusqlite::params;
use serde_json::json;
use std::collections::HashMap;

pub(super) enum Delivery {
    Done {
        written: usize,
        duplicates: usize,
        /// Messages of records the target refused one by one (kept `rejected` in the outbox).
        refused: Vec<String>,
    },
    Retry {
        pending: usize,
        message: String,
    },
    Rejected {
        message: String,
    },
}

/// Writes the document's pending outbox rows of one write step and marks them written.
pub(super) fn deliver(
    store: &mut Store,
    run_id: &str,
    w: &crate::flow::WriteSpec,
    sha: &str,
    sinks: &mut HashMap<String, Box<dyn Sink>>,
) -> Result<Delivery> {
    let rows: Vec<(String, String)> = {
        let mut stmt = store.conn().prepare(
            "SELECT key, payload FROM outbox WHERE step_id = ?1 AND doc_sha256 = ?2 AND status = 'pending' ORDER BY rowid",
        )?;
        stmt.query_map(params![w.step_id, sha], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    if rows.is_empty() {
        return Ok(Delivery::Done {
            written: 0,
            duplicates: 0,
            refused: Vec::new(),
        });
    }
    let mut records = Vec::with_capacity(rows.len());
    for (key, payload) in &rows {
        let cols: Vec<(String, serde_json::Value)> = serde_json::from_str(payload)?;
        let mut values = Vec::with_capacity(cols.len());
        for (col, v) in cols {
            let field = v
                .get("field")
                .and_then(|f| f.as_str())
                .unwrap_or("")
                .to_string();
            let value = typed(&field, v.get("value").unwrap_or(&serde_json::Value::Null))?;
            values.push((col, value));
        }
        records.push(OutRecord {
            key: key.clone(),
            values,
        });
    }
    let sink = match sinks.entry(w.step_id.clone()) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            match super::ui::open(&w.sink, run_id, &w.step_id) {
                Ok(s) => e.insert(s),
                Err(err) => return retry_or_reject(store, run_id, w, sha, rows.len(), err),
            }
        }
    };
    let target = format!("{} {}", sink.describe(), w.table);
    match sink.write_batch(&w.table, &records) {
        Ok(res) => {
            super::fault("after_sink_write");
            let tx = store.conn_mut().transaction()?;
            let ts = now();
            let mut refused = Vec::new();
            for r in &res.rejected {
                tx.execute(
                    "UPDATE outbox SET status = 'rejected', last_error = ?3, attempts = attempts + 1 WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, r.key, r.message],
                )?;
                ledger::append(
                    &tx,
                    Some(run_id),
                    "record_rejected",
                    &json!({ "target": target, "key": r.key, "message": r.message }),
                )?;
                refused.push(format!("record {} refused: {}", r.key, r.message));
            }
            for (key, _) in &rows {
                if res.rejected.iter().any(|r| &r.key == key) {
                    continue;
                }
                tx.execute(
                    "UPDATE outbox SET status = 'written', written_at = ?3, attempts = attempts + 1 WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, key, ts],
                )?;
                ledger::append(
                    &tx,
                    Some(run_id),
                    "record_written",
                    &json!({ "target": target, "key": key }),
                )?;
            }
            tx.execute(
                "UPDATE files SET status = CASE WHEN status = 'extracted' THEN 'delivered' ELSE status END, updated_at = ?3 WHERE run_id = ?1 AND sha256 = ?2",
                params![run_id, sha, ts],
            )?;
            tx.commit()?;
            ledger::write_head(store)?;
            super::fault("after_mark_written");
            Ok(Delivery::Done {
                written: res.inserted,
                duplicates: res.duplicates,
                refused,
            })
        }
        Err(err) => retry_or_reject(store, run_id, w, sha, rows.len(), err),
    }
}

pub(super) fn retry_or_reject(
    store: &mut Store,
    run_id: &str,
    w: &crate::flow::WriteSpec,
    sha: &str,
    pending: usize,
    err: docket_connectors::SinkError,
) -> Result<Delivery> {
    let retry = err.code.class() == docket_core::codes::Class::Retry;
    let message = err.to_string();
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, status = CASE WHEN ?4 THEN status ELSE 'rejected' END WHERE step_id = ?1 AND doc_sha256 = ?2 AND status = 'pending'",
        params![w.step_id, sha, message, retry],
    )?;
    ledger::append(
        &tx,
        Some(run_id),
        if retry {
            "write_failed_retryable"
        } else {
            "write_rejected"
        },
        &json!({ "step": w.step_id, "sha256": sha, "code": err.code.code(), "message": message }),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok(if retry {
        Delivery::Retry { pending, message }
    } else {
        Delivery::Rejected { message }
    })
}

/// Delivers the records of documents a reviewer released (the review desk sets their held rows
/// `pending` and the file `extracted`; the document itself already sits in done/). They belong
/// to an earlier, finished run of this flow; they are written now, under that run's id in the
/// ledger, and the file is marked done. A sink that is down leaves them pending for the next run.
pub(super) fn deliver_released(
    store: &mut Store,
    current_run: &str,
    flow: &FlowSpec,
    sinks: &mut HashMap<String, Box<dyn Sink>>,
    outcome: &mut RunOutcome,
) -> Result<()> {
    let released: Vec<(String, String)> = {
        let mut st = store.conn().prepare(
            "SELECT f.run_id, f.sha256 FROM files f JOIN runs r ON r.id = f.run_id
              WHERE r.flow_name = ?1 AND r.status <> 'running' AND f.run_id <> ?2
                AND f.status = 'extracted'
                AND EXISTS (SELECT 1 FROM outbox o WHERE o.doc_sha256 = f.sha256 AND o.status = 'pending')
              ORDER BY f.updated_at",
        )?;
        st.query_map(params![flow.name, current_run], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    };
    for (run_id, sha) in released {
        let mut delivered = true;
        for w in &flow.writes {
            match deliver(store, &run_id, w, &sha, sinks)? {
                Delivery::Done {
                    written,
                    duplicates,
                    ..
                } => {
                    outcome.written += written;
                    outcome.duplicates += duplicates;
                }
                Delivery::Retry { pending, message } => {
                    delivered = false;
                    outcome.pending += pending;
                    eprintln!(
                        "error: {}: released document {sha}: {message}\n  help: run `docket explain DK-E0301`",
                        w.step_id
                    );
                }
                Delivery::Rejected { message } => {
                    delivered = false;
                    let code = ErrorCode::named_in(&message).unwrap_or(ErrorCode::SinkRejected);
                    eprintln!(
                        "error: {}: released document {sha}: {message}\n  help: run `docket explain {code}`",
                        w.step_id
                    );
                }
            }
        }
        if delivered {
            let tx = store.conn_mut().transaction()?;
            tx.execute(
                "UPDATE files SET status = 'done', updated_at = ?3 WHERE run_id = ?1 AND sha256 = ?2",
                params![run_id, sha, now()],
            )?;
            ledger::append(
                &tx,
                Some(current_run),
                "released_delivered",
                &json!({ "sha256": sha, "held_in_run": run_id }),
            )?;
            tx.commit()?;
            ledger::write_head(store)?;
            outcome.released += 1;
        }
    }
    Ok(())
}
