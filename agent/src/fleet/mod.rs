//! Fleet mode: several agents, on one or many machines, share one PostgreSQL database
//! (`--store postgres://…`) that holds
//!
//! - the **agents** and their heartbeats and capabilities (`docket_agents`),
//! - the **schedule ticks**: a tick is a row keyed by (flow, fire time), so exactly one agent wins
//!   the insert and runs it, however many agents saw the tick (`docket_ticks`),
//! - the **work queue**: one item per inbox document, leased with `FOR UPDATE SKIP LOCKED`; a
//!   lease lives as long as its agent's heartbeat extends it, so the work of an agent that dies is
//!   taken over when its lease expires, alone, and a document whose lease expired twice is
//!   quarantined instead of killing agent after agent (`docket_work`),
//! - the **fleet ledger**: a hash chain of what the fleet did (ticks fired, items leased, done,
//!   recovered), appended under an advisory lock so that the chain has one order
//!   (`docket_ledger`).
//!
//! Each agent keeps its own SQLite run store for the per-document journal (claim, outbox, write,
//! move) exactly as a single agent does; the sinks' idempotency keys make a document processed
//! twice (its first agent died after writing but before reporting) land once.
//!
//! The password of the connection string never appears in a message: [`describe_url`].

pub mod ledger;
pub mod queue;
pub mod worker;

use anyhow::{Context, Result};
use docket_core::ErrorCode;
use postgres::{Client, Config, NoTls};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::failure::Failure;

/// The tables of the shared store. Idempotent; run by every agent at start under an advisory lock
/// so that two agents starting at once do not race on `CREATE`.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS docket_agents (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    capabilities  TEXT NOT NULL,              -- JSON: {"desktop": bool, "ocr_languages": [..]}
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    stopped_at    TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS docket_ticks (
    flow          TEXT NOT NULL,
    fire_at       TIMESTAMPTZ NOT NULL,        -- the scheduled instant, not when it ran
    agent         TEXT NOT NULL,               -- the one agent that won the tick
    status        TEXT NOT NULL,               -- fired | skipped | succeeded | review | failed
    run_id        TEXT,
    claimed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    note          TEXT,
    PRIMARY KEY (flow, fire_at)
);
CREATE TABLE IF NOT EXISTS docket_work (
    id            BIGSERIAL PRIMARY KEY,
    flow          TEXT NOT NULL,
    item_key      TEXT NOT NULL,               -- sha256 of the document
    payload       TEXT NOT NULL,               -- JSON: {"path", "name", "sha256"}
    requires      TEXT NOT NULL DEFAULT '{}',  -- JSON: {"desktop": bool, "ocr_languages": [..]}
    status        TEXT NOT NULL DEFAULT 'queued', -- queued | leased | done | failed | quarantined
    lease_owner   TEXT,
    lease_until   TIMESTAMPTZ,
    attempts      INTEGER NOT NULL DEFAULT 0,
    recovered     INTEGER NOT NULL DEFAULT 0,  -- times a dead agent's lease was taken over
    last_error    TEXT,
    not_before    TIMESTAMPTZ NOT NULL DEFAULT now(),
    enqueued_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_by       TEXT,
    done_run      TEXT,
    done_at       TIMESTAMPTZ,
    UNIQUE (flow, item_key)
);
-- Leases that expired with their agent dead since the item was queued, and those agents (comma-
-- separated): the second expiry quarantines the document (queue.rs). Added after the first
-- release, hence ALTER.
ALTER TABLE docket_work ADD COLUMN IF NOT EXISTS expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE docket_work ADD COLUMN IF NOT EXISTS expired_owners TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS docket_work_ready ON docket_work (status, not_before, id);
CREATE INDEX IF NOT EXISTS docket_work_owner ON docket_work (lease_owner) WHERE status = 'leased';
CREATE TABLE IF NOT EXISTS docket_ledger (
    seq           BIGINT PRIMARY KEY,
    ts            TEXT NOT NULL,
    agent         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
"#;

/// What an agent can do; work items name what they need ([`Capabilities::satisfies`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// A display is available (X server or Xvfb) for UI steps.
    #[serde(default)]
    pub desktop: bool,
    /// Tesseract languages installed.
    #[serde(default)]
    pub ocr_languages: Vec<String>,
}

impl Capabilities {
    /// What this machine offers: a display when `DISPLAY` is set or Xvfb is installed, and the
    /// Tesseract languages found in its data directory.
    pub fn detect() -> Capabilities {
        let desktop =
            std::env::var_os("DISPLAY").is_some() || std::path::Path::new("/usr/bin/Xvfb").exists();
        let mut langs = Vec::new();
        for dir in [
            "/usr/share/tesseract-ocr/5/tessdata",
            "/usr/share/tesseract-ocr/4.00/tessdata",
        ] {
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if let Some(l) = n.strip_suffix(".traineddata")
                        && l != "osd"
                    {
                        langs.push(l.to_owned());
                    }
                }
            }
        }
        langs.sort();
        langs.dedup();
        Capabilities {
            desktop,
            ocr_languages: langs,
        }
    }

    /// Whether an agent with `self` may take work that `needs`.
    pub fn satisfies(&self, needs: &Capabilities) -> bool {
        (!needs.desktop || self.desktop)
            && needs
                .ocr_languages
                .iter()
                .all(|l| self.ocr_languages.contains(l))
    }
}

/// `postgres://user@host:port/db` without the password, for messages.
pub fn describe_url(url: &str) -> String {
    match url.parse::<Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(s) => s.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_default();
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgresql://{}@{host}:{port}/{}",
                c.get_user().unwrap_or(""),
                c.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "(unparseable connection string)".to_owned(),
    }
}

/// Opens a connection to the shared store (with a connect timeout so a dead host fails fast).
pub fn connect(url: &str) -> Result<Client> {
    let mut cfg: Config = url.parse().map_err(|e| {
        Failure::new(
            ErrorCode::StoreUnavailable,
            format!(
                "the --store connection string is invalid ({}): {e}; expected postgres://user@host:port/db",
                describe_url(url)
            ),
        )
    })?;
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(Duration::from_secs(10));
    }
    cfg.connect(NoTls).map_err(|e| {
        Failure::new(
            ErrorCode::StoreUnavailable,
            format!("cannot reach the shared store {}: {e}", describe_url(url)),
        )
        .into()
    })
}

/// Creates the fleet tables if needed (under an advisory lock).
pub fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(7355608001)", &[])?;
    tx.batch_execute(SCHEMA)
        .context("cannot create the fleet tables")?;
    tx.commit()?;
    Ok(())
}

/// This agent's registration in the shared store.
#[derive(Debug, Clone)]
pub struct AgentId {
    /// Unique id: the given name, or `host-pid-random`.
    pub id: String,
    /// What it can do.
    pub caps: Capabilities,
}

/// Registers (or re-registers) an agent and returns its id.
pub fn register(client: &mut Client, name: Option<&str>, caps: Capabilities) -> Result<AgentId> {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    let pid = std::process::id();
    let id = match name {
        Some(n) => n.to_owned(),
        None => {
            let salt = docket_core::hash::sha256_parts(&[
                host.as_bytes(),
                pid.to_string().as_bytes(),
                chrono::Utc::now().to_rfc3339().as_bytes(),
            ]);
            format!("{host}-{pid}-{}", salt.get(..6).unwrap_or("0"))
        }
    };
    let caps_json = serde_json::to_string(&caps)?;
    client.execute(
        "INSERT INTO docket_agents (id, host, pid, capabilities) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
             capabilities = EXCLUDED.capabilities, started_at = now(), heartbeat_at = now(),
             stopped_at = NULL",
        &[&id, &host, &(pid as i32), &caps_json],
    )?;
    ledger::append(
        client,
        &id,
        "agent_started",
        &serde_json::json!({ "host": host, "pid": pid, "capabilities": caps }),
    )?;
    Ok(AgentId { id, caps })
}

/// Marks an agent stopped (a clean exit); a killed agent simply stops heart-beating.
pub fn unregister(client: &mut Client, agent: &str) -> Result<()> {
    client.execute(
        "UPDATE docket_agents SET stopped_at = now() WHERE id = $1",
        &[&agent],
    )?;
    ledger::append(client, agent, "agent_stopped", &serde_json::json!({}))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_gate_work() {
        let agent = Capabilities {
            desktop: false,
            ocr_languages: vec!["eng".into(), "chi_sim".into()],
        };
        assert!(agent.satisfies(&Capabilities::default()));
        assert!(agent.satisfies(&Capabilities {
            desktop: false,
            ocr_languages: vec!["chi_sim".into()]
        }));
        assert!(!agent.satisfies(&Capabilities {
            desktop: true,
            ocr_languages: vec![]
        }));
        assert!(!agent.satisfies(&Capabilities {
            desktop: false,
            ocr_languages: vec!["jpn".into()]
        }));
    }

    #[test]
    fn url_description_hides_the_password() {
        let d = describe_url("postgres://docket:hunter2@db.bank:5433/fleet");
        assert_eq!(d, "postgresql://docket@db.bank:5433/fleet");
        assert!(!d.contains("hunter2"));
    }
}
