//! The fleet ledger in the shared store: the same SHA-256 hash chain as an agent's own ledger
//! (`crate::ledger`), with the agent in place of the run. Appends take a transaction-scoped
//! advisory lock, so agents on many machines write one chain in one order.

use anyhow::Result;
use postgres::GenericClient;

use crate::ledger::{GENESIS, entry_hash};

/// Lock key of the append lock (an arbitrary constant, documented so operators recognise it in
/// `pg_locks`).
const LEDGER_LOCK: i64 = 7_355_608_002;

/// Appends one entry in its own transaction.
pub fn append(
    client: &mut postgres::Client,
    agent: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    let mut tx = client.transaction()?;
    append_in(&mut tx, agent, kind, payload)?;
    tx.commit()?;
    Ok(())
}

/// Appends one entry inside the caller's transaction (so the entry commits with the change it
/// records).
pub fn append_in(
    tx: &mut impl GenericClient,
    agent: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LEDGER_LOCK])?;
    let last = tx.query_opt(
        "SELECT seq, hash FROM docket_ledger ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (seq, prev) = match last {
        Some(r) => (r.get::<_, i64>(0) + 1, r.get::<_, String>(1)),
        None => (1, GENESIS.to_owned()),
    };
    let ts = crate::store::now();
    let payload = serde_json::to_string(payload)?;
    let hash = entry_hash(&prev, seq, &ts, Some(agent), kind, &payload);
    tx.execute(
        "INSERT INTO docket_ledger (seq, ts, agent, kind, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&seq, &ts, &agent, &kind, &payload, &prev, &hash],
    )?;
    Ok(())
}

/// Result of [`verify`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct FleetVerification {
    /// Entries checked.
    pub entries: i64,
    /// The first entry that does not verify, with the reason.
    pub broken: Option<(i64, String)>,
}

/// Walks the whole chain: sequence without gaps, each `prev_hash` the previous hash, each hash
/// recomputed.
pub fn verify(client: &mut postgres::Client) -> Result<FleetVerification> {
    let mut prev = GENESIS.to_owned();
    let mut entries = 0i64;
    let rows = client.query(
        "SELECT seq, ts, agent, kind, payload, prev_hash, hash FROM docket_ledger ORDER BY seq",
        &[],
    )?;
    for (expected, r) in (1i64..).zip(rows) {
        let seq: i64 = r.get(0);
        let (ts, agent, kind, payload, prev_hash, hash): (
            String,
            String,
            String,
            String,
            String,
            String,
        ) = (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6));
        entries += 1;
        let fail = |why: &str| FleetVerification {
            entries,
            broken: Some((seq, why.to_owned())),
        };
        if seq != expected {
            return Ok(fail(&format!(
                "entry {expected} is missing (next is {seq})"
            )));
        }
        if prev_hash != prev {
            return Ok(fail("its prev_hash is not the previous entry's hash"));
        }
        if entry_hash(&prev, seq, &ts, Some(&agent), &kind, &payload) != hash {
            return Ok(fail("its content does not match its hash (edited)"));
        }
        prev = hash;
    }
    Ok(FleetVerification {
        entries,
        broken: None,
    })
}
