//! `docket daemon`: runs every scheduled flow of a flow directory on its schedule.
//!
//! One thread per scheduled flow, so a long run of one flow never delays another's tick, and a
//! flow never overlaps with itself (its ticks run one after the other; the runner's per-flow lock
//! makes that hold across processes too). Each tick is
//!
//! 1. decided by the flow's [`docket_schedule::Schedule`] from the last recorded tick and the
//!    clock, with the misfire policy applied to ticks missed while the daemon was down,
//! 2. recorded before anything runs: in the local run store (`ticks`), or — with `--store
//!    postgres://…` — in the shared store, where exactly one agent of the fleet wins it,
//! 3. executed: locally as a child `docket run` with the flow's timeout and retries (exponential
//!    back-off with jitter); in fleet mode by queueing the inbox's documents for all agents,
//! 4. finished with its status; repeated failures alert by webhook and/or e-mail (the flow keeps
//!    its schedule).
//!
//! A daemon killed at any point finds its `running` ticks at the next start and runs them again;
//! the runs resume from their journal, so nothing is lost or written twice.

pub mod exec;
pub mod pause;
pub mod policy;
pub mod ticks;

use anyhow::Result;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::fleet::{self, AgentId, queue};
use crate::store::Store;
use policy::FlowSchedule;

/// How long a fleet tick may stay `fired` (won but not yet queued) before another agent takes it
/// over: its winner must have died in between.
const STALE_TICK: Duration = Duration::from_secs(60);

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The flow directory.
    pub flows_dir: PathBuf,
    /// The local data dir (run store, logs).
    pub data_dir: PathBuf,
    /// The docket executable for child runs.
    pub exe: PathBuf,
    /// Fleet mode: the shared PostgreSQL store.
    pub store_url: Option<String>,
    /// Fleet mode: worker tuning.
    pub worker: fleet::worker::WorkerOptions,
    /// Fleet mode: this agent's name.
    pub agent_name: Option<String>,
}

/// Sleeps until `until` or until `stop` is set, in short steps.
fn sleep_until(until: DateTime<Utc>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let left = until - Utc::now();
        let Ok(left) = left.to_std() else { return };
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(200)));
    }
}

/// Runs the daemon until `stop` is set.
pub fn run(opts: &DaemonOptions, stop: Arc<AtomicBool>) -> Result<()> {
    let flows = crate::flowdir::load(&opts.flows_dir)?;
    let mut scheduled = Vec::new();
    for flow in flows.values() {
        if let Some(fs) = policy::schedule_of(flow)? {
            scheduled.push(fs);
        }
    }
    if scheduled.is_empty() && opts.store_url.is_none() {
        return Err(crate::failure::Failure::new(
            docket_core::ErrorCode::WorkflowInvalid,
            format!(
                "no workflow in {} has a `schedule:`; add one, or use `docket run` for flows that run on demand",
                opts.flows_dir.display()
            ),
        )
        .into());
    }
    let agent = match &opts.store_url {
        Some(url) => {
            let mut client = fleet::connect(url)?;
            fleet::migrate(&mut client)?;
            Some(fleet::register(
                &mut client,
                opts.agent_name.as_deref(),
                fleet::Capabilities::detect(),
            )?)
        }
        None => None,
    };
    for fs in &scheduled {
        let next = fs.schedule.next_after(Utc::now());
        println!(
            "{}: next tick {}",
            fs.flow.spec.name,
            next.map(|t| t.with_timezone(&fs.schedule.spec().timezone).to_rfc3339())
                .unwrap_or_else(|| "never".into())
        );
    }

    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for fs in &scheduled {
            let stop = &stop;
            let agent = agent.as_ref();
            handles.push(scope.spawn(move || {
                let r = match (agent, &opts.store_url) {
                    (Some(a), Some(url)) => fleet_flow_loop(url, a, fs, stop),
                    _ => local_flow_loop(opts, fs, stop),
                };
                if let Err(e) = &r {
                    eprintln!("error: flow {}: {e:#}", fs.flow.spec.name);
                    stop.store(true, Ordering::Relaxed);
                }
                r
            }));
        }
        if let (Some(a), Some(url)) = (agent.as_ref(), &opts.store_url) {
            let stop = &stop;
            let flows: std::collections::BTreeMap<String, crate::flow::FlowSpec> = flows
                .iter()
                .map(|(k, v)| (k.clone(), v.spec.clone()))
                .collect();
            handles.push(scope.spawn(move || {
                let mut store = Store::open(&opts.data_dir)?;
                let r = fleet::worker::work(
                    url,
                    a,
                    &flows,
                    &mut store,
                    &opts.data_dir,
                    &opts.worker,
                    stop,
                );
                if let Err(e) = &r {
                    eprintln!("error: fleet worker: {e:#}");
                    stop.store(true, Ordering::Relaxed);
                }
                r.map(|_| ())
            }));
        }
        let mut first_err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(anyhow::anyhow!("a daemon thread panicked"));
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })?;
    if let (Some(a), Some(url)) = (&agent, &opts.store_url) {
        let mut client = fleet::connect(url)?;
        fleet::unregister(&mut client, &a.id)?;
    }
    Ok(())
}

/// A flow's ticks in single-agent mode: journaled in the local store, run as child processes.
fn local_flow_loop(opts: &DaemonOptions, fs: &FlowSchedule, stop: &AtomicBool) -> Result<()> {
    let name = fs.flow.spec.name.clone();
    let mut store = Store::open(&opts.data_dir)?;
    // Ticks a killed daemon left running come first: their runs resume.
    for (at, _) in ticks::interrupted(&store, &name)? {
        println!(
            "{name}: tick {} was interrupted; running it again",
            ticks::stamp(at)
        );
        execute_local(opts, fs, &mut store, at, stop)?;
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
    }
    let started = Utc::now();
    while !stop.load(Ordering::Relaxed) {
        let now = Utc::now();
        let last = ticks::last(&store, &name)?.or(Some(started));
        let due = fs.schedule.due(last, now);
        ticks::skip_many(&mut store, &name, &due.skipped, fs.skip_reason())?;
        match due.skipped.as_slice() {
            [] => {}
            [one] => println!(
                "{name}: tick {} skipped ({})",
                ticks::stamp(*one),
                fs.skip_reason()
            ),
            [first, .., last] => println!(
                "{name}: {} ticks from {} to {} skipped ({})",
                due.skipped.len(),
                ticks::stamp(*first),
                ticks::stamp(*last),
                fs.skip_reason()
            ),
        }
        for at in &due.fire {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            if let Some(p) = pause::paused(&store, &name)? {
                let why = format!("paused by {} at {}: {}", p.by, p.at, p.reason);
                ticks::skip_many(&mut store, &name, &[*at], &why)?;
                println!("{name}: tick {} skipped ({why})", ticks::stamp(*at));
                continue;
            }
            if ticks::begin(&mut store, &name, *at)? {
                execute_local(opts, fs, &mut store, *at, stop)?;
            }
        }
        let from = due.latest().unwrap_or(now).max(now);
        match fs.schedule.next_after(from) {
            Some(next) => sleep_until(next, stop),
            None => {
                println!("{name}: the schedule has no further tick");
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Runs one recorded tick with retries and records how it ended; alerts after repeated failures.
fn execute_local(
    opts: &DaemonOptions,
    fs: &FlowSchedule,
    store: &mut Store,
    at: DateTime<Utc>,
    stop: &AtomicBool,
) -> Result<()> {
    let name = &fs.flow.spec.name;
    let log = log_path(&opts.data_dir, name, at);
    let mut attempt = 0u32;
    loop {
        ticks::attempt(store, name, at, &log.display().to_string())?;
        let child = exec::run_child(
            &opts.exe,
            &opts.data_dir,
            &fs.flow.file,
            (name, &ticks::stamp(at)),
            &log,
            fs.timeout,
            stop,
        )?;
        let (status, code, note) = match child.ended {
            exec::Ended::Exit(0) => ("succeeded", Some(0), None),
            exec::Ended::Exit(1) => ("review", Some(1), None),
            exec::Ended::Exit(c) => (
                "failed",
                Some(c),
                Some(format!("exit code {c}; see {}", log.display())),
            ),
            exec::Ended::TimedOut => (
                "timed_out",
                None,
                Some(format!(
                    "DK-E0306: the run exceeded its timeout of {}; it resumes at the next attempt",
                    humantime::format_duration(fs.timeout.unwrap_or_default())
                )),
            ),
            exec::Ended::Killed => (
                "failed",
                None,
                Some(format!(
                    "the run was killed by a signal; see {}",
                    log.display()
                )),
            ),
            // The daemon is stopping: the tick stays `running` and is run again at the next start.
            exec::Ended::Stopped => return Ok(()),
        };
        let retryable = matches!(status, "failed" | "timed_out") && code != Some(2);
        if retryable && attempt < fs.retries && !stop.load(Ordering::Relaxed) {
            attempt += 1;
            let wait = policy::backoff(fs.retry_backoff, attempt);
            println!(
                "{name}: tick {} {status}; retry {attempt}/{} in {}",
                ticks::stamp(at),
                fs.retries,
                humantime::format_duration(wait)
            );
            sleep_until(Utc::now() + wait, stop);
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            continue;
        }
        ticks::finish(
            store,
            name,
            at,
            status,
            code,
            child.run_id.as_deref(),
            note.as_deref(),
        )?;
        println!(
            "{name}: tick {} {status}{}",
            ticks::stamp(at),
            child
                .run_id
                .as_deref()
                .map(|r| format!(" (run {r})"))
                .unwrap_or_default()
        );
        if matches!(status, "failed" | "timed_out") {
            let failures = ticks::consecutive_failures(store, name)?;
            policy::maybe_alert(
                opts,
                fs,
                failures,
                note.as_deref().unwrap_or(status),
                child.run_id.as_deref(),
                code,
            );
        }
        return Ok(());
    }
}

fn log_path(data_dir: &Path, flow: &str, at: DateTime<Utc>) -> PathBuf {
    data_dir
        .join("logs")
        .join(flow)
        .join(format!("{}.log", at.format("%Y%m%dT%H%M%SZ")))
}

/// A flow's ticks in fleet mode: the tick row in the shared store decides which agent runs it,
/// and running it means queueing the inbox's documents for every agent.
fn fleet_flow_loop(url: &str, agent: &AgentId, fs: &FlowSchedule, stop: &AtomicBool) -> Result<()> {
    let name = fs.flow.spec.name.clone();
    let requires = crate::commands::fleet::requires_of(&fs.flow);
    let mut client = fleet::connect(url)?;
    let started = Utc::now();
    while !stop.load(Ordering::Relaxed) {
        let now = Utc::now();
        let last = queue::last_tick(&mut client, &name)?.or(Some(started));
        let due = fs.schedule.due(last, now);
        queue::record_skipped(&mut client, &agent.id, &name, &due.skipped)?;
        // Ticks won by an agent that died before queueing their documents.
        let stale = queue::take_over_stale_ticks(&mut client, &agent.id, &name, STALE_TICK)?;
        for (at, from) in &stale {
            println!(
                "{name}: tick {} was left unfinished by {from}; taking it over",
                ticks::stamp(*at)
            );
        }
        let mut mine: Vec<DateTime<Utc>> = stale.into_iter().map(|(at, _)| at).collect();
        for at in &due.fire {
            if queue::claim_tick(&mut client, &agent.id, &name, *at)? {
                mine.push(*at);
            } // else another agent won this tick
        }
        for at in &mine {
            let outcome = crate::fleet::worker::inbox_items(&fs.flow.spec).and_then(|items| {
                queue::enqueue(&mut client, &agent.id, &name, &items, &requires)
                    .map(|q| (items.len(), q))
            });
            match outcome {
                Ok((found, queued)) => {
                    let note = format!("{found} document(s) in the inbox, {queued} queued");
                    queue::finish_tick(&mut client, &name, *at, "enqueued", None, Some(&note))?;
                    println!(
                        "{name}: tick {} won by {}: {note}",
                        ticks::stamp(*at),
                        agent.id
                    );
                }
                Err(e) => {
                    let note = format!("{e:#}");
                    queue::finish_tick(&mut client, &name, *at, "failed", None, Some(&note))?;
                    eprintln!("{name}: tick {} failed: {note}", ticks::stamp(*at));
                }
            }
        }
        let from = due.latest().unwrap_or(now).max(now);
        match fs.schedule.next_after(from) {
            Some(next) => sleep_until(next, stop),
            None => return Ok(()),
        }
    }
    Ok(())
}
