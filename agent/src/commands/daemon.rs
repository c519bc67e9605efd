//! `docket daemon` (run every scheduled flow of a folder, alone or as part of a fleet) and
//! `docket schedule list|history` (next fire times; ticks recorded).

use anyhow::Result;
use chrono::Utc;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cli::Global;
use crate::commands::fleet::WorkerArgs;
use crate::daemon::{self, DaemonOptions, policy, ticks};
use crate::store::Store;

/// `docket daemon`
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Folder of workflow files; those with a `schedule:` run on it.
    #[arg(long, value_name = "DIR")]
    pub flows: PathBuf,
    /// Fleet mode: share ticks, the work queue and the fleet ledger with other agents through
    /// this PostgreSQL database (`postgres://user@host:port/db`).
    #[arg(long, env = "DOCKET_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// Fleet worker tuning.
    #[command(flatten)]
    pub worker: WorkerArgs,
}

/// `docket schedule …`
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// The next fire times of every scheduled flow, in its zone and in UTC.
    #[command(
        after_help = "Examples:\n  docket schedule list --flows flows/\n  docket schedule list --flows flows/ --count 10 --json"
    )]
    List(ListArgs),
    /// Ticks the daemon recorded (fired, skipped, failed), newest first.
    History(HistoryArgs),
    /// Stop a flow's ticks until `resume` (each is recorded as skipped, with who and why).
    #[command(
        after_help = "Examples:\n  docket schedule pause month-end-recon --reason 'ledger migration tonight' --user olga"
    )]
    Pause(PauseArgs),
    /// Let a paused flow's ticks run again.
    Resume(PauseArgs),
}

/// `docket schedule pause|resume`
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The flow's name.
    pub flow: String,
    /// Why (recorded with every skipped tick and in the ledger).
    #[arg(long, default_value = "paused by an operator")]
    pub reason: String,
    /// Who acts.
    #[command(flatten)]
    pub user: crate::commands::str_state::UserArg,
}

/// `docket schedule pause`
pub fn pause(g: &Global, args: &PauseArgs) -> Result<i32> {
    let user = args.user.resolve()?;
    let mut store = Store::open(&g.data_dir())?;
    if daemon::pause::pause(&mut store, &args.flow, &user, &args.reason)? {
        println!("{}: paused by {user} ({})", args.flow, args.reason);
    } else {
        println!("{}: already paused", args.flow);
    }
    Ok(0)
}

/// `docket schedule resume`
pub fn resume(g: &Global, args: &PauseArgs) -> Result<i32> {
    let user = args.user.resolve()?;
    let mut store = Store::open(&g.data_dir())?;
    if daemon::pause::resume(&mut store, &args.flow, &user)? {
        println!("{}: resumed by {user}", args.flow);
    } else {
        println!("{}: was not paused", args.flow);
    }
    Ok(0)
}

/// `docket schedule list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Folder of workflow files.
    #[arg(long, value_name = "DIR")]
    pub flows: PathBuf,
    /// How many fire times per flow.
    #[arg(long, default_value_t = 5)]
    pub count: usize,
}

/// `docket schedule history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this flow.
    #[arg(long)]
    pub flow: Option<String>,
    /// How many ticks.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
}

/// Runs `docket daemon` until SIGTERM or Ctrl-C.
pub fn run(g: &Global, args: &DaemonArgs) -> Result<i32> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let opts = DaemonOptions {
        flows_dir: args.flows.clone(),
        data_dir: g.data_dir(),
        exe: std::env::current_exe()?,
        store_url: args.store.clone(),
        worker: args.worker.options(false),
        agent_name: args.worker.name.clone(),
    };
    daemon::run(&opts, stop)?;
    println!("daemon stopped");
    Ok(0)
}

/// `docket schedule list`
pub fn list(g: &Global, args: &ListArgs) -> Result<i32> {
    let flows = crate::flowdir::load(&args.flows)?;
    let now = Utc::now();
    let mut out = Vec::new();
    for flow in flows.values() {
        let Some(fs) = policy::schedule_of(flow)? else {
            continue;
        };
        let tz = fs.schedule.spec().timezone;
        let next = fs.schedule.next_n(now, args.count);
        let cal = fs.schedule.calendar();
        let uncovered = next
            .iter()
            .any(|n| !cal.covers(n.with_timezone(&tz).date_naive()));
        out.push(serde_json::json!({
            "flow": flow.spec.name,
            "file": flow.file.display().to_string(),
            "cron": fs.schedule.spec().cron,
            "timezone": tz.name(),
            "calendar": cal.name(),
            "calendar_covers_next": !uncovered,
            "next": next.iter().map(|n| serde_json::json!({
                "local": n.with_timezone(&tz).to_rfc3339(),
                "utc": ticks::stamp(*n),
            })).collect::<Vec<_>>(),
        }));
    }
    if g.json {
        println!("{}", serde_json::json!({ "flows": out }));
        return Ok(0);
    }
    if out.is_empty() {
        println!("no flow in {} has a schedule", args.flows.display());
    }
    for f in &out {
        println!(
            "{} ({}; {} in {}, calendar {})",
            f["flow"].as_str().unwrap_or(""),
            f["file"].as_str().unwrap_or(""),
            f["cron"].as_str().unwrap_or(""),
            f["timezone"].as_str().unwrap_or(""),
            f["calendar"].as_str().unwrap_or("")
        );
        if f["calendar_covers_next"] == false {
            println!(
                "  warning: the calendar does not cover some of these dates; add the coming year's holidays"
            );
        }
        for n in f["next"].as_array().into_iter().flatten() {
            println!(
                "  {}  ({})",
                n["local"].as_str().unwrap_or(""),
                n["utc"].as_str().unwrap_or("")
            );
        }
    }
    Ok(0)
}

/// `docket schedule history`
pub fn history(g: &Global, args: &HistoryArgs) -> Result<i32> {
    let store = Store::open(&g.data_dir())?;
    let rows = ticks::history(&store, args.flow.as_deref(), args.limit)?;
    if g.json {
        println!("{}", serde_json::json!({ "ticks": rows }));
        return Ok(0);
    }
    for r in rows {
        let runs = if r.runs.len() > 1 {
            let all: Vec<String> = r
                .runs
                .iter()
                .map(|x| format!("{} {} ({} files)", x.run_id, x.status, x.files))
                .collect();
            format!("  runs {}", all.join(", "))
        } else {
            r.run_id.map(|x| format!("  run {x}")).unwrap_or_default()
        };
        println!(
            "{}  {}  {}{}{}",
            r.fire_at,
            r.flow,
            r.status,
            runs,
            r.note.map(|x| format!("  ({x})")).unwrap_or_default()
        );
    }
    Ok(0)
}
