//! The run ledger: an append-only list of what Docket did (run start/end, every input file hash,
//! every back-office write with its target and key, every failure), each entry hash-chained to the
//! one before with SHA-256 so that an edited, deleted or reordered entry is detected by
//! [`verify`]. A head file beside the store (`ledger.head`) records the last sequence number and
//! hash, so that cutting entries off the end is detected too.
//!
//! The ledger never stores secrets or document contents: only hashes, paths, keys and codes.
//!
//! Checkpoints signed with the agent's ed25519 key ([`sign`]) make the chain provable to someone
//! who only trusts the public key; [`export`] writes a self-contained bundle for auditors.

use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_core::hash::sha256_parts;
use rusqlite::{Connection, params};
use serde::Serialize;
use std::path::Path;

pub mod export;
pub mod sign;

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger entry as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Position, from 1, without gaps.
    pub seq: i64,
    /// When it was written (RFC 3339 UTC).
    pub ts: String,
    /// The run it belongs to, if any.
    pub run_id: Option<String>,
    /// What happened: `run_started`, `file_claimed`, `record_written`, `file_quarantined`, …
    pub kind: String,
    /// Details as canonical JSON.
    pub payload: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The entry hash of both the run ledger and the fleet ledger (where the agent stands in the
/// run's place).
pub(crate) fn entry_hash(
    prev: &str,
    seq: i64,
    ts: &str,
    run_id: Option<&str>,
    kind: &str,
    payload: &str,
) -> String {
    sha256_parts(&[
        prev.as_bytes(),
        seq.to_string().as_bytes(),
        ts.as_bytes(),
        run_id.unwrap_or("").as_bytes(),
        kind.as_bytes(),
        payload.as_bytes(),
    ])
}

/// Appends an entry inside the caller's connection or transaction. Call [`write_head`] after the
/// transaction commits.
pub fn append(
    conn: &Connection,
    run_id: Option<&str>,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(i64, String)> {
    let (last_seq, prev): (i64, String) = conn
        .query_row(
            "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS.to_string())),
            other => Err(other),
        })?;
    let seq = last_seq + 1;
    let ts = now();
    let payload = serde_json::to_string(payload)?;
    let hash = entry_hash(&prev, seq, &ts, run_id, kind, &payload);
    conn.execute(
        "INSERT INTO ledger (seq, ts, run_id, kind, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, ts, run_id, kind, payload, prev, hash],
    )
    .context("cannot append to the ledger")?;
    Ok((seq, hash))
}

/// Records the ledger head (last seq and hash) in `ledger.head` next to the store, atomically.
pub fn write_head(store: &Store) -> Result<()> {
    let head: Option<(i64, String, String)> = store
        .conn()
        .query_row(
            "SELECT seq, hash, kind FROM ledger ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok();
    let Some((seq, hash, kind)) = head else {
        return Ok(());
    };
    let path = head_path(store.path());
    let tmp = path.with_extension(format!("head.tmp.{}", std::process::id()));
    std::fs::write(&tmp, format!("{seq} {hash}\n"))?;
    std::fs::rename(&tmp, &path)?;
    sign::maybe_sign(store, seq, &kind)
}

/// Appends one entry in its own transaction and updates the head: for events outside a
/// transaction.
pub fn record(
    store: &mut Store,
    run_id: Option<&str>,
    kind: &str,
    payload: serde_json::Value,
) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    append(&tx, run_id, kind, &payload)?;
    tx.commit()?;
    write_head(store)
}

fn head_path(db: &Path) -> std::path::PathBuf {
    db.with_file_name("ledger.head")
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// True when the chain, every hash and the head hold.
    pub ok: bool,
    /// The first problem, naming the entry.
    pub problem: Option<String>,
    /// Sequence number of the first entry that fails, when one does.
    pub failed_seq: Option<i64>,
    /// Signed checkpoints checked (0 for a store written before signatures existed).
    pub signatures: i64,
    /// The last entry covered by a verified signature (0 when none).
    pub signed_through: i64,
    /// Fingerprint of the ledger's public key, when there is one.
    pub key_fingerprint: Option<String>,
}

/// Walks the whole ledger and checks sequence, chain, hashes and head.
pub fn verify(store: &Store) -> Result<Verification> {
    let mut stmt = store.conn().prepare(
        "SELECT seq, ts, run_id, kind, payload, prev_hash, hash FROM ledger ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    let mut count = 0i64;
    let fail = |count: i64, seq: i64, msg: String| Verification {
        entries: count,
        ok: false,
        problem: Some(msg),
        failed_seq: Some(seq),
        signatures: 0,
        signed_through: 0,
        key_fingerprint: None,
    };
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let ts: String = r.get(1)?;
        let run_id: Option<String> = r.get(2)?;
        let kind: String = r.get(3)?;
        let payload: String = r.get(4)?;
        let prev_hash: String = r.get(5)?;
        let hash: String = r.get(6)?;
        if seq != expected_seq {
            return Ok(fail(
                count,
                expected_seq,
                format!(
                    "entry {expected_seq} is missing (next entry found is {seq}): entries were deleted"
                ),
            ));
        }
        if prev_hash != prev {
            return Ok(fail(
                count,
                seq,
                format!(
                    "entry {seq} ({kind}) does not chain to entry {}: the previous entry was altered or removed",
                    seq - 1
                ),
            ));
        }
        let computed = entry_hash(&prev_hash, seq, &ts, run_id.as_deref(), &kind, &payload);
        if computed != hash {
            return Ok(fail(
                count,
                seq,
                format!(
                    "entry {seq} ({kind}) was altered after it was written: its content does not match its hash"
                ),
            ));
        }
        prev = hash;
        expected_seq += 1;
        count += 1;
    }
    let head = std::fs::read_to_string(head_path(store.path())).ok();
    if let Some(head) = head {
        let mut parts = head.split_whitespace();
        let hseq: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
        let hhash = parts.next().unwrap_or("");
        if hseq > count {
            return Ok(fail(
                count,
                count + 1,
                format!(
                    "the ledger ends at entry {count} but its head records entry {hseq}: entries {}..={hseq} were deleted",
                    count + 1
                ),
            ));
        }
        if hseq == count && hhash != prev {
            return Ok(fail(
                count,
                count,
                format!("the last entry {count} does not match the recorded ledger head"),
            ));
        }
    } else if count > 0 {
        return Ok(fail(
            count,
            count,
            "the ledger head file (ledger.head) is missing: the end of the ledger cannot be proven"
                .into(),
        ));
    }
    drop(rows);
    drop(stmt);
    match sign::verify_checkpoints(store, count)? {
        Ok((signatures, signed_through, key_fingerprint)) => Ok(Verification {
            entries: count,
            ok: true,
            problem: None,
            failed_seq: None,
            signatures,
            signed_through,
            key_fingerprint,
        }),
        Err((seq, msg)) => Ok(fail(count, seq, msg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filled() -> Result<(tempfile::TempDir, Store)> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(dir.path())?;
        for i in 0..5 {
            record(&mut store, Some("r1"), "test", json!({ "i": i }))?;
        }
        Ok((dir, store))
    }

    #[test]
    fn intact_ledger_verifies() -> Result<()> {
        let (_d, store) = filled()?;
        let v = verify(&store)?;
        assert!(v.ok, "{:?}", v.problem);
        assert_eq!(v.entries, 5);
        Ok(())
    }

    #[test]
    fn edited_entry_is_named() -> Result<()> {
        let (_d, store) = filled()?;
        store
            .conn()
            .execute("UPDATE ledger SET payload = '{\"i\":42}' WHERE seq = 3", [])?;
        let v = verify(&store)?;
        assert!(!v.ok);
        assert_eq!(v.failed_seq, Some(3));
        Ok(())
    }

    #[test]
    fn deleted_entry_and_truncated_tail_are_detected() -> Result<()> {
        let (_d, store) = filled()?;
        store
            .conn()
            .execute("DELETE FROM ledger WHERE seq = 2", [])?;
        let v = verify(&store)?;
        assert_eq!(v.failed_seq, Some(2));
        store
            .conn()
            .execute("DELETE FROM ledger WHERE seq >= 2", [])?;
        let v = verify(&store)?;
        assert!(!v.ok);
        assert!(v.problem.unwrap_or_default().contains("deleted"));
        Ok(())
    }
}
