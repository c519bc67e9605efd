//! Paused schedules: an operator stops a flow's ticks without stopping the daemon or editing the
//! workflow (`docket schedule pause FLOW`, or the dashboard). While a flow is paused the daemon
//! records each of its ticks as `skipped` with who paused it and why, so the pause is visible in
//! the tick journal and nothing is skipped silently; `resume` lets the next tick run. Pause and
//! resume are ledger entries with the user.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

use crate::ledger;
use crate::store::{Store, now};

const TABLE: &str = "CREATE TABLE IF NOT EXISTS flow_pauses (
    flow       TEXT PRIMARY KEY,
    paused_by  TEXT NOT NULL,
    paused_at  TEXT NOT NULL,
    reason     TEXT NOT NULL
)";

/// A pause in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pause {
    /// Who paused the flow.
    pub by: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Why.
    pub reason: String,
}

/// Pauses `flow`; `false` if it was already paused.
pub fn pause(store: &mut Store, flow: &str, user: &str, reason: &str) -> Result<bool> {
    store.conn().execute(TABLE, [])?;
    let tx = store.conn_mut().transaction()?;
    let n = tx.execute(
        "INSERT OR IGNORE INTO flow_pauses (flow, paused_by, paused_at, reason) VALUES (?1, ?2, ?3, ?4)",
        params![flow, user, now(), reason],
    )?;
    if n == 1 {
        ledger::append(
            &tx,
            None,
            "schedule_paused",
            &json!({ "flow": flow, "user": user, "reason": reason }),
        )?;
    }
    tx.commit()?;
    if n == 1 {
        ledger::write_head(store)?;
    }
    Ok(n == 1)
}

/// Resumes `flow`; `false` if it was not paused.
pub fn resume(store: &mut Store, flow: &str, user: &str) -> Result<bool> {
    store.conn().execute(TABLE, [])?;
    let tx = store.conn_mut().transaction()?;
    let n = tx.execute("DELETE FROM flow_pauses WHERE flow = ?1", params![flow])?;
    if n == 1 {
        ledger::append(
            &tx,
            None,
            "schedule_resumed",
            &json!({ "flow": flow, "user": user }),
        )?;
    }
    tx.commit()?;
    if n == 1 {
        ledger::write_head(store)?;
    }
    Ok(n == 1)
}

/// The pause in force for `flow`, if any.
pub fn paused(store: &Store, flow: &str) -> Result<Option<Pause>> {
    store.conn().execute(TABLE, [])?;
    Ok(store
        .conn()
        .query_row(
            "SELECT paused_by, paused_at, reason FROM flow_pauses WHERE flow = ?1",
            params![flow],
            |r| {
                Ok(Pause {
                    by: r.get(0)?,
                    at: r.get(1)?,
                    reason: r.get(2)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_and_resume_are_recorded_once() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(dir.path())?;
        assert_eq!(paused(&store, "f")?, None);
        assert!(pause(&mut store, "f", "olga", "month-end freeze")?);
        assert!(!pause(&mut store, "f", "olga", "again")?);
        let p = paused(&store, "f")?.map(|p| (p.by, p.reason));
        assert_eq!(p, Some(("olga".into(), "month-end freeze".into())));
        assert!(resume(&mut store, "f", "olga")?);
        assert!(!resume(&mut store, "f", "olga")?);
        assert_eq!(paused(&store, "f")?, None);
        let kinds: Vec<String> = {
            let mut st = store
                .conn()
                .prepare("SELECT kind FROM ledger WHERE kind LIKE 'schedule_%' ORDER BY seq")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        assert_eq!(kinds, ["schedule_paused", "schedule_resumed"]);
        assert!(crate::ledger::verify(&store)?.ok);
        Ok(())
    }
}
