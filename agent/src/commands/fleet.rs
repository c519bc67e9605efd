//! `docket fleet …`: agents sharing one PostgreSQL store. `enqueue` puts a flow's inbox on the
//! shared queue, `work` runs an agent's worker loop, `status` shows agents and the queue, `verify`
//! checks the fleet ledger. The daemon (`docket daemon --store …`) does `enqueue` on each schedule
//! tick it wins and `work` in between.

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::cli::Global;
use crate::fleet::{self, Capabilities, queue, worker};
use crate::store::Store;

/// The shared store.
#[derive(Debug, Clone, Args)]
pub struct StoreArg {
    /// PostgreSQL shared by the fleet: `postgres://user@host:port/db` (a password is better kept
    /// in ~/.pgpass than in the URL; it is never printed either way).
    #[arg(long, env = "DOCKET_STORE", value_name = "URL")]
    pub store: String,
}

/// `docket fleet …`
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Put the documents in a flow's inbox on the shared queue (each document once).
    #[command(
        after_help = "Examples:\n  docket fleet enqueue flows/statements.yaml --store postgres://docket@db/docket"
    )]
    Enqueue(EnqueueArgs),
    /// Run this agent's worker: lease documents, process them, report them done.
    #[command(
        after_help = "Examples:\n  docket fleet work --flows flows/ --store postgres://docket@db/docket\n  docket fleet work --flows flows/ --until-empty --name agent-2\n\nStop with SIGTERM or Ctrl-C: the current batch finishes first. A killed agent's documents are taken over by the others when its lease expires."
    )]
    Work(WorkArgs),
    /// Agents (alive or not), queue counts and recent failures.
    Status(StoreArg),
    /// Verify the fleet ledger's hash chain; exit 1 naming the first entry that fails.
    Verify(StoreArg),
    /// Measure the queue: work items per second with 1, 2 and 4 agents (no document work).
    #[command(
        after_help = "Examples:\n  docket fleet bench --store postgres://docket@127.0.0.1/scratch --items 20000 --agents 1,2,4"
    )]
    Bench(BenchArgs),
}

/// `docket fleet enqueue`
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// The workflow whose inbox is queued.
    #[arg(value_name = "FLOW.yaml")]
    pub flow: PathBuf,
    /// The shared store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// Worker tuning shared by `fleet work` and `daemon`.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// This agent's name in the fleet (default: host-pid-random).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Documents leased at once.
    #[arg(long, default_value_t = 8)]
    pub batch: i64,
    /// Lease length; a dead agent's documents are taken over after it.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub lease: Duration,
    /// Attempts per document before it is marked failed.
    #[arg(long, default_value_t = 5)]
    pub max_attempts: i32,
    /// First wait before retrying a failed document (doubles each attempt).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub backoff: Duration,
}

impl WorkerArgs {
    /// Worker options from the arguments.
    pub fn options(&self, until_empty: bool) -> worker::WorkerOptions {
        worker::WorkerOptions {
            batch: self.batch.max(1),
            lease: self.lease.max(Duration::from_millis(300)),
            max_attempts: self.max_attempts.max(1),
            backoff: self.backoff,
            until_empty,
            idle_poll: Duration::from_millis(250),
        }
    }
}

/// `docket fleet work`
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Folder of workflows this agent can run (every agent should have the same).
    #[arg(long, value_name = "DIR")]
    pub flows: PathBuf,
    /// Return when nothing is queued or leased any more instead of waiting for work.
    #[arg(long)]
    pub until_empty: bool,
    /// Worker tuning.
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// The shared store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// The requirements a flow's documents put on agents.
pub fn requires_of(flow: &crate::flowdir::LoadedFlow) -> Capabilities {
    Capabilities {
        desktop: flow.plan.needs_desktop(),
        ocr_languages: flow.plan.needed_ocr_languages(),
    }
}

/// `docket fleet enqueue`
pub fn enqueue(g: &Global, args: &EnqueueArgs) -> Result<i32> {
    let loaded = crate::flowdir::load_file(&args.flow)?;
    let mut client = fleet::connect(&args.store.store)?;
    fleet::migrate(&mut client)?;
    let items = worker::inbox_items(&loaded.spec)?;
    let queued = queue::enqueue(
        &mut client,
        "cli",
        &loaded.spec.name,
        &items,
        &requires_of(&loaded),
    )?;
    if g.json {
        println!(
            "{}",
            serde_json::json!({ "flow": loaded.spec.name, "documents": items.len(), "queued": queued })
        );
    } else {
        println!(
            "{}: {} document(s) in the inbox, {queued} queued on {}",
            loaded.spec.name,
            items.len(),
            fleet::describe_url(&args.store.store)
        );
    }
    Ok(0)
}

/// `docket fleet work`
pub fn work(g: &Global, args: &WorkArgs) -> Result<i32> {
    let flows: std::collections::BTreeMap<String, crate::flow::FlowSpec> =
        crate::flowdir::load(&args.flows)?
            .into_iter()
            .map(|(k, v)| (k, v.spec))
            .collect();
    let data_dir = g.data_dir();
    let mut store = Store::open(&data_dir)?;
    let mut client = fleet::connect(&args.store.store)?;
    fleet::migrate(&mut client)?;
    let agent = fleet::register(
        &mut client,
        args.worker.name.as_deref(),
        Capabilities::detect(),
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    tracing::info!(agent = %agent.id, "worker started");
    let stats = worker::work(
        &args.store.store,
        &agent,
        &flows,
        &mut store,
        &data_dir,
        &args.worker.options(args.until_empty),
        &stop,
    )?;
    fleet::unregister(&mut client, &agent.id)?;
    if g.json {
        println!(
            "{}",
            serde_json::json!({ "agent": agent.id, "stats": stats })
        );
    } else {
        println!(
            "agent {}: {} done, {} quarantined, {} given back, {} taken over from dead agents, {} lost to others, {} run(s)",
            agent.id,
            stats.done,
            stats.quarantined,
            stats.failed,
            stats.recovered,
            stats.lost,
            stats.runs
        );
    }
    Ok(0)
}

/// `docket fleet status`
pub fn status(g: &Global, args: &StoreArg) -> Result<i32> {
    let mut client = fleet::connect(&args.store)?;
    fleet::migrate(&mut client)?;
    let counts = queue::counts(&mut client, None)?;
    let mut agents = Vec::new();
    for r in client.query(
        "SELECT id, host, capabilities, EXTRACT(EPOCH FROM now() - heartbeat_at)::float8,
                stopped_at IS NOT NULL
           FROM docket_agents ORDER BY id",
        &[],
    )? {
        let (id, host, caps, age, stopped): (String, String, String, f64, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        agents.push(serde_json::json!({
            "id": id, "host": host, "capabilities": serde_json::from_str::<serde_json::Value>(&caps)?,
            "heartbeat_seconds_ago": age.round() as i64,
            "state": if stopped { "stopped" } else if age > 120.0 { "silent" } else { "alive" },
        }));
    }
    let mut failures = Vec::new();
    for r in client.query(
        "SELECT id, flow, payload, last_error FROM docket_work WHERE status = 'failed' ORDER BY id DESC LIMIT 20",
        &[],
    )? {
        let payload: String = r.get(2);
        let item: queue::FileItem = serde_json::from_str(&payload)?;
        failures.push(serde_json::json!({
            "id": r.get::<_, i64>(0), "flow": r.get::<_, String>(1), "path": item.path,
            "error": r.get::<_, Option<String>>(3),
        }));
    }
    if g.json {
        println!(
            "{}",
            serde_json::json!({ "agents": agents, "queue": counts, "failed": failures })
        );
    } else {
        println!("store: {}", fleet::describe_url(&args.store));
        println!(
            "queue: {} queued, {} leased, {} done, {} quarantined, {} failed ({} lease(s) taken over from dead agents)",
            counts.queued,
            counts.leased,
            counts.done,
            counts.quarantined,
            counts.failed,
            counts.recovered
        );
        for a in &agents {
            println!(
                "agent {} on {}: {} (heartbeat {} s ago)",
                a["id"].as_str().unwrap_or(""),
                a["host"].as_str().unwrap_or(""),
                a["state"].as_str().unwrap_or(""),
                a["heartbeat_seconds_ago"]
            );
        }
        for f in &failures {
            println!(
                "failed: #{} {} {}: {}",
                f["id"],
                f["flow"].as_str().unwrap_or(""),
                f["path"].as_str().unwrap_or(""),
                f["error"].as_str().unwrap_or("")
            );
        }
    }
    Ok(0)
}

/// `docket fleet verify`
pub fn verify(g: &Global, args: &StoreArg) -> Result<i32> {
    let mut client = fleet::connect(&args.store)?;
    fleet::migrate(&mut client)?;
    let v = fleet::ledger::verify(&mut client)?;
    if g.json {
        println!("{}", serde_json::to_string(&v)?);
    }
    match &v.broken {
        None => {
            if !g.json {
                println!("fleet ledger intact: {} entries", v.entries);
            }
            Ok(0)
        }
        Some((seq, why)) => {
            eprintln!(
                "error: DK-E0401: fleet ledger entry {seq} does not verify: {why}\n  help: run `docket explain DK-E0401`"
            );
            Ok(1)
        }
    }
}

/// `docket fleet bench`
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Synthetic work items per measurement.
    #[arg(long, default_value_t = 20_000)]
    pub items: usize,
    /// Agent counts to measure (each agent is a thread with its own connection).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub agents: Vec<usize>,
    /// Items leased at once.
    #[arg(long, default_value_t = 8)]
    pub batch: i64,
    /// The shared store (a scratch database: the bench's rows are removed afterwards).
    #[command(flatten)]
    pub store: StoreArg,
}

/// `docket fleet bench`: work items per second through the PostgreSQL queue (enqueue, then
/// lease → complete by N concurrent agents), without document processing, so the figure is the
/// queue's own ceiling.
pub fn bench(g: &Global, args: &BenchArgs) -> Result<i32> {
    let mut client = fleet::connect(&args.store.store)?;
    fleet::migrate(&mut client)?;
    let mut results = Vec::new();
    for &n in &args.agents {
        let flow = format!("bench-{}-{n}", std::process::id());
        let items: Vec<queue::FileItem> = (0..args.items)
            .map(|i| queue::FileItem {
                path: format!("/bench/{i}"),
                name: format!("{i}"),
                sha256: format!("{i:064}"),
            })
            .collect();
        let t0 = std::time::Instant::now();
        queue::enqueue(
            &mut client,
            "bench",
            &flow,
            &items,
            &Capabilities::default(),
        )?;
        let enqueue_s = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let mut hs = Vec::new();
            for a in 0..n {
                let url = args.store.store.clone();
                let batch = args.batch;
                hs.push(s.spawn(move || -> Result<u64> {
                    let mut c = fleet::connect(&url)?;
                    let me = format!("bench-agent-{a}");
                    let caps = Capabilities::default();
                    let mut done = 0u64;
                    loop {
                        let got = queue::lease(&mut c, &me, &caps, batch, Duration::from_secs(60))?;
                        if got.is_empty() {
                            return Ok(done);
                        }
                        let ids: Vec<i64> = got.iter().map(|l| l.id).collect();
                        done += queue::complete_many(&mut c, &me, &ids, "bench")?.len() as u64;
                    }
                }));
            }
            for h in hs {
                h.join()
                    .map_err(|_| anyhow::anyhow!("bench agent panicked"))??;
            }
            Ok(())
        })?;
        let work_s = t1.elapsed().as_secs_f64();
        client.execute("DELETE FROM docket_work WHERE flow = $1", &[&flow])?;
        let r = serde_json::json!({
            "agents": n, "items": args.items, "batch": args.batch,
            "enqueue_per_s": (args.items as f64 / enqueue_s).round(),
            "lease_complete_per_s": (args.items as f64 / work_s).round(),
        });
        if !g.json {
            println!(
                "{n} agent(s): enqueue {:.0} items/s; lease+complete {:.0} items/s ({} items, batch {})",
                args.items as f64 / enqueue_s,
                args.items as f64 / work_s,
                args.items,
                args.batch
            );
        }
        results.push(r);
    }
    if g.json {
        println!("{}", serde_json::json!({ "results": results }));
    }
    Ok(0)
}
