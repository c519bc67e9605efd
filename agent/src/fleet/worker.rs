//! An agent's worker loop in fleet mode: lease documents from the shared queue, run them through
//! the ordinary runner (claim → extract → outbox → deliver → move, journaled in this agent's own
//! SQLite store), and report each one done, quarantined or failed. A heartbeat thread on its own
//! connection extends this agent's leases while it works, so only a dead agent's leases expire.
//! A document whose lease expired with its agent dead as often as the runner's poison limit is
//! quarantined by the runner unread: the expiries are recorded as attempts that never completed
//! in this agent's store (`runner::poison::record_expired`) before the run.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::queue::{self, FileItem, Leased};
use super::{AgentId, connect};
use crate::flow::FlowSpec;
use crate::store::Store;
use docket_core::hash::sha256_hex;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Items leased at once (they go through one run).
    pub batch: i64,
    /// Lease length; heartbeats extend it every third of it.
    pub lease: Duration,
    /// Attempts before an item is marked failed.
    pub max_attempts: i32,
    /// First back-off after a failed attempt (doubled per attempt).
    pub backoff: Duration,
    /// Return when nothing is queued or leased any more (tests, batch jobs); otherwise poll.
    pub until_empty: bool,
    /// Sleep between polls of an empty queue.
    pub idle_poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            batch: 8,
            lease: Duration::from_secs(30),
            max_attempts: 5,
            backoff: Duration::from_secs(5),
            until_empty: false,
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WorkerStats {
    /// Items completed by this agent.
    pub done: u64,
    /// Items given back for a retry or failed.
    pub failed: u64,
    /// Items whose document went to quarantine (unreadable, or its lease expired twice).
    pub quarantined: u64,
    /// Items whose lease this agent lost to another (it had been presumed dead).
    pub lost: u64,
    /// Items taken over from agents whose lease expired.
    pub recovered: u64,
    /// Runner invocations.
    pub runs: u64,
}

/// Heart-beats on its own connection until dropped.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(url: &str, agent: &str, lease: Duration) -> Result<Heartbeat> {
        let mut client = connect(url)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, agent) = (stop.clone(), agent.to_owned());
        let every = (lease / 3).max(Duration::from_millis(100));
        let handle = std::thread::spawn(move || {
            let tick = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                waited += tick;
                if waited >= every {
                    waited = Duration::ZERO;
                    if let Err(e) = queue::heartbeat(&mut client, &agent, lease) {
                        tracing::warn!("heartbeat failed: {e:#}");
                    }
                }
            }
        });
        Ok(Heartbeat {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Where a leased document is now.
enum Found {
    /// Still in the inbox with the same bytes: process it.
    Inbox(PathBuf),
    /// Already moved to done/ or quarantine/ by an agent that then died before reporting.
    Finished(&'static str),
    /// Gone, or replaced by different bytes.
    Missing(String),
}

fn locate(flow: &FlowSpec, item: &FileItem) -> Result<Found> {
    let path = PathBuf::from(&item.path);
    if let Ok(bytes) = std::fs::read(&path) {
        return Ok(if sha256_hex(&bytes) == item.sha256 {
            Found::Inbox(path)
        } else {
            Found::Missing(format!(
                "{} changed since it was queued (sha256 differs); the new version is queued separately",
                item.path
            ))
        });
    }
    for (dir, what) in [(&flow.done, "done"), (&flow.quarantine, "quarantined")] {
        let mut candidate = dir.join(&item.name);
        let mut i = 1;
        while candidate.exists() {
            if std::fs::read(&candidate).map(|b| sha256_hex(&b)).ok() == Some(item.sha256.clone()) {
                return Ok(Found::Finished(what));
            }
            candidate = dir.join(format!("{}.{i}", item.name));
            i += 1;
        }
    }
    Ok(Found::Missing(format!(
        "{} is no longer in the inbox nor in {}",
        item.path,
        flow.done.display()
    )))
}

/// Runs the worker loop until `stop` is set (or, with `until_empty`, the queue drains).
pub fn work(
    url: &str,
    agent: &AgentId,
    flows: &BTreeMap<String, FlowSpec>,
    store: &mut Store,
    data_dir: &Path,
    opts: &WorkerOptions,
    stop: &AtomicBool,
) -> Result<WorkerStats> {
    let mut client = connect(url)?;
    let _hb = Heartbeat::start(url, &agent.id, opts.lease)?;
    let mut stats = WorkerStats::default();
    while !stop.load(Ordering::Relaxed) {
        let leased = queue::lease(&mut client, &agent.id, &agent.caps, opts.batch, opts.lease)?;
        if leased.is_empty() {
            if opts.until_empty {
                let c = queue::counts(&mut client, None)?;
                if c.queued == 0 && c.leased == 0 {
                    break;
                }
            }
            std::thread::sleep(opts.idle_poll);
            continue;
        }
        stats.recovered += leased.iter().filter(|l| l.recovered_from.is_some()).count() as u64;
        let mut by_flow: BTreeMap<&str, Vec<&Leased>> = BTreeMap::new();
        for l in &leased {
            by_flow.entry(l.flow.as_str()).or_default().push(l);
        }
        for (name, items) in by_flow {
            let Some(flow) = flows.get(name) else {
                for l in items {
                    let msg = format!(
                        "flow '{name}' is not in this agent's flow directory; give every agent the same flows"
                    );
                    queue::fail(&mut client, &agent.id, l.id, &msg, 1, opts.backoff)?;
                    stats.failed += 1;
                }
                continue;
            };
            process_batch(
                &mut client,
                agent,
                flow,
                &items,
                store,
                data_dir,
                opts,
                &mut stats,
            )?;
        }
    }
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn process_batch(
    client: &mut postgres::Client,
    agent: &AgentId,
    flow: &FlowSpec,
    items: &[&Leased],
    store: &mut Store,
    data_dir: &Path,
    opts: &WorkerOptions,
    stats: &mut WorkerStats,
) -> Result<()> {
    let backoff = |attempts: i32| opts.backoff * 2u32.saturating_pow((attempts - 1).max(0) as u32);
    let mut to_run: Vec<(&Leased, PathBuf)> = Vec::new();
    for l in items {
        match locate(flow, &l.item)? {
            Found::Inbox(p) => {
                if l.expired >= crate::runner::poison::LIMIT as i32 {
                    for (n, owner) in l.expired_owners.iter().enumerate() {
                        let origin = format!(
                            "fleet work item {}: lease {} held by agent {owner} expired (the agent died)",
                            l.id,
                            n + 1
                        );
                        crate::runner::poison::record_expired(
                            store,
                            &flow.name,
                            &l.item.sha256,
                            &origin,
                        )?;
                    }
                }
                to_run.push((l, p))
            }
            Found::Finished(how) => {
                tracing::info!(
                    item = l.id,
                    how,
                    "document already handled by an earlier agent"
                );
                if how == "quarantined" {
                    let held = queue::quarantine_many(client, &agent.id, &[l.id], "-")?;
                    stats.quarantined += held.len() as u64;
                    stats.lost += 1 - held.len() as u64;
                } else if queue::complete(client, &agent.id, l.id, "-")? {
                    stats.done += 1;
                } else {
                    stats.lost += 1;
                }
            }
            Found::Missing(msg) => {
                queue::fail(client, &agent.id, l.id, &msg, 1, opts.backoff)?;
                stats.failed += 1;
            }
        }
    }
    if to_run.is_empty() {
        return Ok(());
    }
    let paths: Vec<PathBuf> = to_run.iter().map(|(_, p)| p.clone()).collect();
    stats.runs += 1;
    let outcome = match crate::runner::run_files(flow, store, data_dir, Some(&paths)) {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("{e:#}");
            for (l, _) in &to_run {
                queue::fail(
                    client,
                    &agent.id,
                    l.id,
                    &msg,
                    opts.max_attempts,
                    backoff(l.attempts),
                )?;
                stats.failed += 1;
            }
            return Ok(());
        }
    };
    let mut finished = Vec::new();
    let mut quarantined = Vec::new();
    for (l, _) in &to_run {
        let status: Option<String> = store
            .conn()
            .query_row(
                "SELECT status FROM files WHERE run_id = ?1 AND sha256 = ?2",
                rusqlite::params![outcome.run_id, l.item.sha256],
                |r| r.get(0),
            )
            .ok();
        match status.as_deref() {
            Some("done" | "review") => finished.push(l.id),
            Some("quarantined") => quarantined.push(l.id),
            other => {
                let msg = format!(
                    "run {} left the document {} (records pending: the back office did not take them; they stay in this agent's outbox and the item is retried)",
                    outcome.run_id,
                    other.unwrap_or("unclaimed")
                );
                queue::fail(
                    client,
                    &agent.id,
                    l.id,
                    &msg,
                    opts.max_attempts,
                    backoff(l.attempts),
                )?;
                stats.failed += 1;
            }
        }
    }
    let held = queue::complete_many(client, &agent.id, &finished, &outcome.run_id)
        .context("cannot report items done")?;
    stats.done += held.len() as u64;
    stats.lost += (finished.len() - held.len()) as u64;
    let held = queue::quarantine_many(client, &agent.id, &quarantined, &outcome.run_id)
        .context("cannot report items quarantined")?;
    stats.quarantined += held.len() as u64;
    stats.lost += (quarantined.len() - held.len()) as u64;
    Ok(())
}

/// Lists a flow's inbox as queue items (the documents matching its patterns, hashed).
pub fn inbox_items(flow: &FlowSpec) -> Result<Vec<FileItem>> {
    let mut out = Vec::new();
    for path in crate::runner::list_inbox(flow)? {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        out.push(FileItem {
            path: path.display().to_string(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: sha256_hex(&bytes),
        });
    }
    Ok(out)
}
