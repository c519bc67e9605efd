//! Poison files: documents whose reading kills the agent. Before a document is digitised an
//! attempt row is committed to the run store's `file_attempts`; the transaction that records what
//! came of the reading (staged, quarantined, deferred) closes it. A row still open when the flow
//! runs again means the process died while reading that document (killed, out of memory, a run
//! time-out). A document with [`LIMIT`] open attempts is quarantined unread (`DK-E0116`) with a
//! reason that lists them; one with fewer is read again, after the rest of the inbox, so that a
//! suspect never holds up the documents sorted after it.
//!
//! In fleet mode the queue reports leases that expired with their agent dead; the worker records
//! them here as open attempts of this agent's store ([`record_expired`]) so that one rule decides.

use crate::failure::Failure;
use crate::store::{Store, now};
use anyhow::Result;
use docket_core::ErrorCode;
use rusqlite::params;
use std::collections::HashSet;

/// Open attempts (reading never completed) after which a document is quarantined unread.
pub const LIMIT: usize = 2;

/// An attempt that never completed.
#[derive(Debug, Clone)]
pub(super) struct Unfinished {
    run_id: Option<String>,
    origin: Option<String>,
    pid: Option<i64>,
    started_at: String,
}

impl Unfinished {
    fn describe(&self) -> String {
        match (&self.origin, &self.run_id) {
            (Some(origin), _) => format!("{origin}, started {}", self.started_at),
            (None, Some(run)) => format!(
                "run {run}, process {}, started {}",
                self.pid
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "?".into()),
                self.started_at
            ),
            (None, None) => format!("started {}", self.started_at),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "run": self.run_id,
            "origin": self.origin,
            "pid": self.pid,
            "started_at": self.started_at,
        })
    }
}

/// The document's attempts that never completed, oldest first.
pub(super) fn unfinished(store: &Store, flow: &str, sha: &str) -> Result<Vec<Unfinished>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT run_id, origin, pid, started_at FROM file_attempts
          WHERE flow_name = ?1 AND sha256 = ?2 AND finished_at IS NULL ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![flow, sha], |r| {
            Ok(Unfinished {
                run_id: r.get(0)?,
                origin: r.get(1)?,
                pid: r.get(2)?,
                started_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Documents of the flow (by SHA-256) with at least one attempt that never completed.
pub(super) fn suspects(store: &Store, flow: &str) -> Result<HashSet<String>> {
    let mut stmt = store.conn().prepare(
        "SELECT DISTINCT sha256 FROM file_attempts WHERE flow_name = ?1 AND finished_at IS NULL",
    )?;
    let rows = stmt
        .query_map(params![flow], |r| r.get(0))?
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(rows)
}

/// Commits a new attempt to read the document (before it is read) and returns its id.
pub(super) fn begin(store: &Store, flow: &str, run_id: &str, sha: &str) -> Result<i64> {
    store.conn().execute(
        "INSERT INTO file_attempts (flow_name, sha256, run_id, pid, started_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![flow, sha, run_id, i64::from(std::process::id()), now()],
    )?;
    Ok(store.conn().last_insert_rowid())
}

/// Closes an attempt inside the transaction that records its outcome; earlier attempts of the
/// same document left open are closed as `crashed` (they are known now not to have completed),
/// so a document read successfully starts afresh if it is ever dropped again.
pub(super) fn finish(
    tx: &rusqlite::Transaction<'_>,
    flow: &str,
    sha: &str,
    attempt: Option<i64>,
    outcome: &str,
) -> Result<()> {
    let ts = now();
    if let Some(id) = attempt {
        tx.execute(
            "UPDATE file_attempts SET finished_at = ?2, outcome = ?3 WHERE id = ?1",
            params![id, ts, outcome],
        )?;
    }
    tx.execute(
        "UPDATE file_attempts SET finished_at = ?3, outcome = 'crashed'
          WHERE flow_name = ?1 AND sha256 = ?2 AND finished_at IS NULL",
        params![flow, sha, ts],
    )?;
    Ok(())
}

/// Records an attempt made elsewhere that never completed (fleet: a lease of the document that
/// expired with its agent dead). `origin` names it and makes the call idempotent.
pub fn record_expired(store: &Store, flow: &str, sha: &str, origin: &str) -> Result<()> {
    store.conn().execute(
        "INSERT OR IGNORE INTO file_attempts (flow_name, sha256, origin, started_at) VALUES (?1, ?2, ?3, ?4)",
        params![flow, sha, origin, now()],
    )?;
    Ok(())
}

/// The failure a poisoned document is quarantined with, and the ledger detail of its attempts.
pub(super) fn failure(shown: &str, attempts: &[Unfinished]) -> (Failure, serde_json::Value) {
    let list = attempts
        .iter()
        .enumerate()
        .map(|(i, a)| format!("  {}. {}", i + 1, a.describe()))
        .collect::<Vec<_>>()
        .join("\n");
    let f = Failure::new(
        ErrorCode::PoisonFile,
        format!(
            "{shown}: {} attempts to read this document never completed: the agent was killed or \
             ran out of memory while reading it.\n{list}\nIt was quarantined unread so that the rest \
             of the inbox goes on. To retry it, give the agent more memory or split the file into \
             smaller documents, then move it back into the inbox.",
            attempts.len()
        ),
    );
    let detail = serde_json::Value::Array(attempts.iter().map(Unfinished::json).collect());
    (f, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_attempts_count_until_one_completes() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(dir.path())?;
        assert!(unfinished(&store, "f", "abc")?.is_empty());
        begin(&store, "f", "r1", "abc")?;
        record_expired(
            &store,
            "f",
            "abc",
            "fleet item 7, lease of agent a1 expired",
        )?;
        record_expired(
            &store,
            "f",
            "abc",
            "fleet item 7, lease of agent a1 expired",
        )?;
        begin(&store, "g", "r2", "abc")?;
        let open = unfinished(&store, "f", "abc")?;
        assert_eq!(open.len(), 2, "idempotent by origin, per flow");
        assert!(suspects(&store, "f")?.contains("abc"));
        let (f, detail) = failure("inbox/a.csv", &open);
        assert_eq!(f.code, ErrorCode::PoisonFile);
        assert!(f.message.contains("2 attempts"), "{}", f.message);
        assert!(f.message.contains("run r1, process"), "{}", f.message);
        assert_eq!(detail.as_array().map(Vec::len), Some(2));

        let id = begin(&store, "f", "r3", "abc")?;
        let tx = store.conn_mut().transaction()?;
        finish(&tx, "f", "abc", Some(id), "staged")?;
        tx.commit()?;
        assert!(unfinished(&store, "f", "abc")?.is_empty());
        let outcomes: Vec<String> = store
            .conn()
            .prepare("SELECT outcome FROM file_attempts WHERE flow_name = 'f' ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        assert_eq!(outcomes, ["crashed", "crashed", "staged"]);
        assert_eq!(unfinished(&store, "g", "abc")?.len(), 1);
        Ok(())
    }
}
