//! The run store: one SQLite file under the data dir (WAL) that journals runs, the files each run
//! claimed, the outbox of records waiting for a back office (with the natural keys its records
//! claimed), and the hash-chained ledger. It is the durable memory that lets a run killed with
//! SIGKILL resume without losing or repeating a record.
//!
//! Rule: every state change that precedes an outside effect (a back-office write, moving a source
//! file) is committed here first. This module never talks to a back office itself.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Schema version stored in `PRAGMA user_version`. Migrations are additive (`CREATE … IF NOT
/// EXISTS` in [`SCHEMA`], applied on every open); the version only stops an older Docket from
/// using a store it would not keep consistent. 2: `natural_keys` and `natural_duplicates`
/// (natural-key de-duplication across documents: an older agent would stage records without
/// claiming their keys). 3: `file_attempts` (an older agent would read a document without
/// journaling the attempt, so a document that kills it would never be quarantined).
const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS runs (
    id               TEXT PRIMARY KEY,
    flow_name        TEXT NOT NULL,
    flow_path        TEXT NOT NULL,
    plan_fingerprint TEXT NOT NULL,
    status           TEXT NOT NULL,          -- running | succeeded | review | failed
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    resumes          INTEGER NOT NULL DEFAULT 0,
    summary          TEXT
);
CREATE INDEX IF NOT EXISTS runs_flow ON runs(flow_name, status);

CREATE TABLE IF NOT EXISTS files (
    run_id      TEXT NOT NULL,
    path        TEXT NOT NULL,               -- path in the inbox when claimed
    sha256      TEXT NOT NULL,
    status      TEXT NOT NULL,               -- claimed | extracted | delivered | done | review | quarantined | failed
    code        TEXT,
    message     TEXT,
    records     INTEGER NOT NULL DEFAULT 0,
    extraction  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, sha256)
);
CREATE INDEX IF NOT EXISTS files_status ON files(status, updated_at);

CREATE TABLE IF NOT EXISTS outbox (
    step_id     TEXT NOT NULL,
    key         TEXT NOT NULL,               -- idempotency key (doc hash + record position + content)
    run_id      TEXT NOT NULL,
    doc_sha256  TEXT NOT NULL,
    target      TEXT NOT NULL,               -- sink description + table, never a password
    payload     TEXT NOT NULL,               -- JSON of the column values
    status      TEXT NOT NULL,               -- pending | written | held | rejected
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    written_at  TEXT,
    PRIMARY KEY (step_id, key)
);
CREATE INDEX IF NOT EXISTS outbox_doc ON outbox(doc_sha256, status);

-- Natural keys (runner/natural_key.rs) claimed by staged records, per write target; a claim is
-- inserted in the transaction that stages its outbox row. Only hashes: no account or amount.
CREATE TABLE IF NOT EXISTS natural_keys (
    target      TEXT NOT NULL,               -- the sink as described (never a password) + table
    nkey        TEXT NOT NULL,               -- sha256(account, date, time, amount, balance, occurrence)
    step_id     TEXT NOT NULL,               -- the outbox row holding the record: (step_id, outbox_key)
    outbox_key  TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    doc_sha256  TEXT NOT NULL,
    record      INTEGER NOT NULL,            -- 0-based index of the record in its document
    created_at  TEXT NOT NULL,
    PRIMARY KEY (target, nkey)
);

-- Records not staged because another document's record holds their natural key.
CREATE TABLE IF NOT EXISTS natural_duplicates (
    run_id      TEXT NOT NULL,
    doc_sha256  TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    record      INTEGER NOT NULL,            -- 0-based index of the skipped record
    target      TEXT NOT NULL,
    nkey        TEXT NOT NULL,
    of_run      TEXT NOT NULL,               -- the run, document and record that hold the key
    of_doc      TEXT NOT NULL,
    of_record   INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (run_id, doc_sha256, step_id, record)
);

-- Attempts to read a document (runner/poison.rs): a row is committed before the document is
-- digitised and closed in the transaction that records what came of it. A row left open means
-- the process died while reading it (killed, out of memory); two open rows quarantine it.
CREATE TABLE IF NOT EXISTS file_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    run_id      TEXT,                        -- the run that made it (NULL: reported by the fleet)
    origin      TEXT,                        -- NULL: this agent; fleet: the expired lease
    pid         INTEGER,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,                        -- staged | quarantined | deferred | crashed
    UNIQUE (flow_name, sha256, origin)
);
CREATE INDEX IF NOT EXISTS file_attempts_open ON file_attempts(flow_name, sha256, finished_at);

CREATE TABLE IF NOT EXISTS alerts (
    id          TEXT PRIMARY KEY,            -- deterministic: A-<rule>-<subject>-<first txn>
    rule        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    score       REAL NOT NULL,               -- a ranking in 0..1, not money
    body        TEXT NOT NULL,               -- the alert as JSON (transactions, explanation)
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cases (
    id          TEXT PRIMARY KEY,            -- C-<subject>
    subject     TEXT NOT NULL,
    alerts      TEXT NOT NULL,               -- JSON list of alert ids
    status      TEXT NOT NULL,               -- open
    updated_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS screened_txns (
    id          TEXT PRIMARY KEY,            -- the screened transaction's id, as alerts name it
    body        TEXT NOT NULL                -- the docket-rules Txn as JSON (STR drafts read it back)
);

CREATE TABLE IF NOT EXISTS str_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- shown as R-<id>
    case_id     TEXT NOT NULL,
    format      TEXT NOT NULL,               -- goaml | camlmac | html
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,               -- of the file as drafted
    state       TEXT NOT NULL,               -- draft | approved | filed
    preparer    TEXT NOT NULL,
    approver    TEXT,
    approved_sha256 TEXT,                    -- of the file when approved
    approved_at TEXT,
    filed_by    TEXT,
    filed_at    TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS str_reports_case ON str_reports(case_id);

CREATE TABLE IF NOT EXISTS alert_closures (
    alert_id    TEXT PRIMARY KEY,            -- closed without a report (PBOC: reason is recorded)
    reason      TEXT NOT NULL,
    closed_by   TEXT NOT NULL,
    closed_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS ticks (
    flow        TEXT NOT NULL,
    fire_at     TEXT NOT NULL,               -- scheduled instant, RFC 3339 UTC (sorts as text)
    status      TEXT NOT NULL,               -- running | succeeded | review | failed | timed_out | skipped
    attempts    INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER,
    run_id      TEXT,
    log         TEXT,                        -- the run's output, under the data dir's logs/
    note        TEXT,
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (flow, fire_at)
);

-- The runs each daemon tick caused (a tick retried or resumed after a crash may cause several);
-- written by the child run itself when it starts or resumes, so a killed run is linked too.
CREATE TABLE IF NOT EXISTS tick_runs (
    flow        TEXT NOT NULL,
    fire_at     TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    PRIMARY KEY (flow, fire_at, run_id)
);

CREATE TABLE IF NOT EXISTS ledger (
    seq         INTEGER PRIMARY KEY,
    ts          TEXT NOT NULL,
    run_id      TEXT,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS ledger_signatures (
    seq         INTEGER PRIMARY KEY,         -- the ledger entry signed (a checkpoint)
    hash        TEXT NOT NULL,               -- that entry's hash
    prev_seq    INTEGER NOT NULL,            -- the checkpoint before (0 for the first), signed too
    public_key  TEXT NOT NULL,               -- ed25519 public key, hex
    signature   TEXT NOT NULL,               -- ed25519 signature of ledger::sign::message, hex
    ts          TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,               -- operator | designer | compliance | auditor | admin
    password    TEXT NOT NULL,               -- argon2id PHC string, never the password
    failures    INTEGER NOT NULL DEFAULT 0,  -- failed logins since the last success
    locked_at   TEXT,                        -- set after 5 failures; an admin unlocks
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS review_edits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL,
    sha256      TEXT NOT NULL,               -- the document
    field       TEXT NOT NULL,               -- fields.x | records[i].y | * (whole document accepted)
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    action      TEXT NOT NULL,               -- corrected | accepted
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_edits_doc ON review_edits(run_id, sha256);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,            -- SHA-256 of the cookie value, never the value
    user_name   TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
"#;

/// An open run store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating and migrating) the store at `data_dir/docket.db`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let path = data_dir.join("docket.db");
        let conn = Connection::open(&path)
            .with_context(|| format!("cannot open run store {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            anyhow::bail!(
                "run store {} was written by a newer Docket (schema {version} > {SCHEMA_VERSION}); upgrade docket",
                path.display()
            );
        }
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("cannot migrate run store {}", path.display()))?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Self { conn, path })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for modules of this crate (ledger, runner) that own their queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The mutable connection, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The run of `flow_name` that was left `running` by a process that died, if any.
    pub fn interrupted_run(&self, flow_name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE flow_name = ?1 AND status = 'running' ORDER BY started_at DESC LIMIT 1",
                params![flow_name],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// Current time as RFC 3339 UTC with milliseconds, the form stored everywhere in the store.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_version_1_store() -> Result<()> {
        let dir = tempfile::tempdir()?;
        {
            let s = Store::open(dir.path())?;
            s.conn().execute_batch(
                "DROP TABLE natural_keys; DROP TABLE natural_duplicates; DROP TABLE file_attempts; PRAGMA user_version = 1;",
            )?;
        }
        let s = Store::open(dir.path())?;
        let v: i64 = s
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(v, SCHEMA_VERSION);
        let n: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM natural_keys", [], |r| r.get(0))?;
        assert_eq!(n, 0);
        let n: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM file_attempts", [], |r| r.get(0))?;
        assert_eq!(n, 0);
        Ok(())
    }

    #[test]
    fn opens_twice_and_refuses_newer_schema() -> Result<()> {
        let dir = tempfile::tempdir()?;
        {
            let s = Store::open(dir.path())?;
            s.conn().pragma_update(None, "user_version", 99)?;
        }
        let err = Store::open(dir.path()).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("newer Docket"));
        Ok(())
    }
}
