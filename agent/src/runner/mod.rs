//! Executes a flow once: claim the inbox's files, digitise and extract each, put its records in the
//! outbox, deliver the outbox to every sink, move the file to `done/` (or `quarantine/` with a
//! reason), write the report. Every state change is committed to the run store before the effect
//! it precedes, so a run killed at any point and started again resumes where it stopped: nothing
//! is lost, and sinks dedupe by idempotency key so nothing is written twice. Another file of the
//! same statement is caught earlier, at staging, by its records' natural keys (natural_key.rs).
//!
//! The runner never writes to a back office except through the outbox, and never moves a source
//! file before its records are delivered. A document whose reading killed the process twice is
//! quarantined unread, and one that killed it once is read after the rest (poison.rs).

mod deliver;
mod files;
mod natural_key;
pub mod poison;
mod stage;
pub mod ui;

pub use files::{atomic_write, list_inbox};

use deliver::{Delivery, deliver, deliver_released};
use files::{finish_file, quarantine};
use stage::stage_records;

use crate::failure::Failure;
use crate::flow::FlowSpec;
use crate::ledger;
use crate::pipeline;
use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_connectors::Sink;
use docket_core::ErrorCode;
use docket_core::hash::sha256_hex;
use docket_documents::DigitiseOptions;
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How a run ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    /// Run id.
    pub run_id: String,
    /// `succeeded`, `review` (some documents need a person), or `failed` (a sink was unreachable).
    pub status: String,
    /// Files the run took from the inbox (a resumed run counts those it finished before the
    /// interruption too).
    pub files: usize,
    /// Files delivered and moved to done/.
    pub done: usize,
    /// Files held for review.
    pub review: usize,
    /// Files quarantined.
    pub quarantined: usize,
    /// Records newly written across sinks (a resumed run adds the records it had marked written
    /// before the interruption).
    pub written: usize,
    /// Records a sink already had (idempotent re-delivery).
    pub duplicates: usize,
    /// Records of re-ingested documents that an earlier run had already delivered: not sent again.
    pub already_delivered: usize,
    /// Records not staged because a record of another document (another file of the same
    /// statement) already holds their natural key at the same target (`dedupe: natural_key`):
    /// one per record and write step. The document's ledger entry names them and who had them.
    pub natural_duplicates: usize,
    /// Documents of this run that could not be de-duplicated by natural key (no account number
    /// and no holder printed): their records were staged as before.
    pub not_deduplicated: usize,
    /// Records still pending because a sink failed.
    pub pending: usize,
    /// Alerts raised by the flow's screen step over this run's records (0 without one).
    pub alerts: usize,
    /// Documents a reviewer released since an earlier run whose records this run delivered.
    pub released: usize,
    /// Whether this run resumed an interrupted one.
    pub resumed: bool,
    /// This run's HTML report, if the flow has one: `<report dir>/<run id>/<report file name>`,
    /// never overwritten by a later run.
    pub report: Option<PathBuf>,
    /// The flow's configured report path, a copy of the latest report of a run that took
    /// documents (a run with nothing to do leaves it alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_report: Option<PathBuf>,
    /// What the extract step's language model cost in this run (left out without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmUsage>,
}

/// Model calls and tokens of one run (of this process: a resumed run counts from the resume).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LlmUsage {
    /// Model name (`gguf:<file>` for an in-process model).
    pub model: String,
    /// Answers accepted from the model (cache hits excluded).
    pub calls: u64,
    /// Requests sent, including retries and re-asks.
    pub requests: u64,
    /// Prompt tokens over all requests.
    pub prompt_tokens: u64,
    /// Completion tokens over all requests.
    pub completion_tokens: u64,
    /// Answers taken from the response cache (no model call).
    pub cache_hits: u64,
    /// Documents read with a known layout template (no model call).
    pub template_hits: u64,
    /// Values the grounding verifier rejected (set to null).
    pub ungrounded: u64,
    /// Answers per document (1 or 2).
    pub samples: u32,
    /// Grounded values whose two samples disagreed.
    pub disagreements: u64,
}

impl LlmUsage {
    /// The counts of `l` so far.
    pub fn of(l: &docket_llm::LlmExtractor) -> Self {
        let (u, st) = (l.usage(), l.stats());
        LlmUsage {
            model: l.model().to_string(),
            calls: u.calls,
            requests: u.requests,
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cache_hits: st.cache_hits,
            template_hits: st.template_hits,
            ungrounded: st.ungrounded,
            samples: l.samples(),
            disagreements: st.disagreements,
        }
    }
}

impl RunOutcome {
    /// Exit code per DESIGN.md: 0 ok, 1 problems found, 3 an outside system failed.
    pub fn exit_code(&self) -> i32 {
        if self.pending > 0 || self.status == "failed" {
            3
        } else if self.review > 0 || self.quarantined > 0 {
            1
        } else {
            0
        }
    }
}

/// Test hook for crash-safety tests: `DOCKET_FAULT=<point>:<n>` aborts the process (no cleanup,
/// like SIGKILL) the n-th time `point` is reached. Points: `after_claim`, `in_extract` (the
/// attempt to read a document is journaled, reading starts: a document that kills the process),
/// `after_outbox`, `after_sink_write`, `after_mark_written`, `before_move`, and `after_ui_record`
/// (a `ui` target journaled one record, runner/ui.rs).
pub(super) fn fault(point: &str) {
    thread_local! {
        static COUNTS: std::cell::RefCell<HashMap<String, u32>> = std::cell::RefCell::new(HashMap::new());
    }
    let Ok(spec) = std::env::var("DOCKET_FAULT") else {
        return;
    };
    let Some((p, n)) = spec.split_once(':') else {
        return;
    };
    if p != point {
        return;
    }
    let n: u32 = n.parse().unwrap_or(1);
    let hit = COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let e = c.entry(point.to_string()).or_insert(0);
        *e += 1;
        *e
    });
    if hit == n {
        eprintln!("docket: DOCKET_FAULT reached {point}:{n}, aborting");
        if point == "in_extract" {
            // Die the way a document too big for the memory cap kills the agent: an allocation
            // the system refuses (64 GiB, never touched) makes Rust print "memory allocation of
            // … bytes failed" and abort. Where it is granted anyway, abort like the other points.
            let hog: Vec<u8> = Vec::with_capacity(1 << 36);
            std::hint::black_box(&hog);
        }
        std::process::abort();
    }
}

fn new_run_id() -> String {
    let t = chrono::Utc::now();
    let salt = sha256_hex(
        format!(
            "{}{}",
            t.timestamp_nanos_opt().unwrap_or(0),
            std::process::id()
        )
        .as_bytes(),
    );
    format!(
        "r{}-{}",
        t.format("%Y%m%dT%H%M%S"),
        salt.get(..6).unwrap_or("000000")
    )
}

/// Runs `flow` against the store. Holds an exclusive lock per flow for the whole run.
pub fn run(flow: &FlowSpec, store: &mut Store, data_dir: &Path) -> Result<RunOutcome> {
    run_files(flow, store, data_dir, None)
}

/// Runs `flow` on the given documents of its inbox (fleet mode: the ones this agent leased), or
/// on the whole inbox when `only` is `None`.
pub fn run_files(
    flow: &FlowSpec,
    store: &mut Store,
    data_dir: &Path,
    only: Option<&[PathBuf]>,
) -> Result<RunOutcome> {
    let lock_dir = data_dir.join("locks");
    std::fs::create_dir_all(&lock_dir)?;
    let lock_file = std::fs::File::create(lock_dir.join(format!("{}.lock", flow.name)))?;
    // The daemon's child runs wait for a run of the same flow that is still finishing (one left
    // behind by a daemon that was killed); an operator's `docket run` fails fast instead.
    if std::env::var_os("DOCKET_WAIT_LOCK").is_some() {
        lock_file.lock()?;
    }
    lock_file.try_lock().map_err(|_| {
        Failure::new(
            ErrorCode::BadUsage,
            format!(
                "another run of flow '{}' is in progress (lock held in {})",
                flow.name,
                lock_dir.display()
            ),
        )
    })?;

    // A bad rule pack stops the run before it claims anything.
    let pack = match &flow.screen {
        Some(sc) => Some(crate::screening::load_pack(sc.pack.as_deref())?),
        None => None,
    };

    // One LLM extractor per run (its cache, templates and prompt log live in the run's data
    // dir); a misconfigured endpoint stops the run before it claims anything, like a bad pack.
    let llm = crate::flow::llm_extractor(flow.llm.as_ref(), data_dir)?;

    let (run_id, resumed) = match store.interrupted_run(&flow.name)? {
        Some(id) => {
            store.conn().execute(
                "UPDATE runs SET resumes = resumes + 1 WHERE id = ?1",
                params![id],
            )?;
            ledger::record(
                store,
                Some(&id),
                "run_resumed",
                json!({ "flow": flow.name }),
            )?;
            (id, true)
        }
        None => {
            let id = new_run_id();
            store.conn().execute(
                "INSERT INTO runs (id, flow_name, flow_path, plan_fingerprint, status, started_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
                params![id, flow.name, flow.file.display().to_string(), flow.fingerprint, now()],
            )?;
            ledger::record(
                store,
                Some(&id),
                "run_started",
                json!({ "flow": flow.name, "file": flow.file.display().to_string(), "fingerprint": flow.fingerprint }),
            )?;
            (id, false)
        }
    };
    if let Some((tick_flow, at)) = crate::daemon::exec::served_tick()
        && tick_flow == flow.name
    {
        store.conn().execute(
            "INSERT OR IGNORE INTO tick_runs (flow, fire_at, run_id) VALUES (?1, ?2, ?3)",
            params![tick_flow, at, run_id],
        )?;
    }
    tracing::info!(run = %run_id, resumed, "run started");

    for d in [&flow.done, &flow.quarantine] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let mut inbox = match only {
        Some(files) => files.to_vec(),
        None => list_inbox(flow)?,
    };
    defer_suspects(store, flow, &mut inbox)?;
    let mut outcome = RunOutcome {
        run_id: run_id.clone(),
        status: "succeeded".into(),
        files: inbox.len(),
        done: 0,
        review: 0,
        quarantined: 0,
        written: 0,
        duplicates: 0,
        already_delivered: 0,
        natural_duplicates: 0,
        not_deduplicated: 0,
        pending: 0,
        alerts: 0,
        released: 0,
        resumed,
        report: flow.report.as_deref().map(|r| run_report_path(r, &run_id)),
        latest_report: flow.report.clone(),
        llm: None,
    };
    if resumed {
        outcome.written = store.conn().query_row(
            "SELECT COUNT(*) FROM outbox WHERE run_id = ?1 AND status = 'written'",
            params![run_id],
            |r| r.get::<_, i64>(0),
        )? as usize;
    }
    let schema = pipeline::resolve_schema(&flow.schema)?;
    let opts = DigitiseOptions {
        password: flow.password.clone(),
        languages: flow.languages.clone(),
        max_file_bytes: flow.max_file_bytes,
        max_image_pixels: flow.max_image_pixels,
        ..DigitiseOptions::default()
    };
    let mut sinks: HashMap<String, Box<dyn Sink>> = HashMap::new();
    let pb = crate::progress::bar(inbox.len() as u64, true);

    for path in &inbox {
        pb.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let sha = sha256_hex(&bytes);
        drop(bytes);
        let shown = path.display().to_string();

        let status: Option<String> = store
            .conn()
            .query_row(
                "SELECT status FROM files WHERE run_id = ?1 AND sha256 = ?2",
                params![run_id, sha],
                |r| r.get(0),
            )
            .optional()?;
        if status.is_none() {
            let tx = store.conn_mut().transaction()?;
            tx.execute(
                "INSERT INTO files (run_id, path, sha256, status, updated_at) VALUES (?1, ?2, ?3, 'claimed', ?4)",
                params![run_id, shown, sha, now()],
            )?;
            ledger::append(
                &tx,
                Some(&run_id),
                "file_claimed",
                &json!({ "path": shown, "sha256": sha }),
            )?;
            tx.commit()?;
            ledger::write_head(store)?;
            fault("after_claim");
        }
        let mut status = status.unwrap_or_else(|| "claimed".into());

        if status == "claimed" {
            let crashed = poison::unfinished(store, &flow.name, &sha)?;
            if crashed.len() >= poison::LIMIT {
                let (f, attempts) = poison::failure(&shown, &crashed);
                quarantine(store, &run_id, flow, path, &sha, &f, None, Some(attempts))?;
                pb.inc(1);
                continue;
            }
            let attempt = poison::begin(store, &flow.name, &run_id, &sha)?;
            fault("in_extract");
            match pipeline::process_with(path, &schema, &opts, llm.as_ref()) {
                Err(f) if f.code.class() == docket_core::codes::Class::Retry => {
                    // An outside system (the LLM endpoint) failed, not the document: it stays
                    // in the inbox for the next run, which claims it again; the run exits 3.
                    let tx = store.conn_mut().transaction()?;
                    tx.execute(
                        "UPDATE files SET status = 'failed', code = ?3, message = ?4, updated_at = ?5 WHERE run_id = ?1 AND sha256 = ?2",
                        params![run_id, sha, f.code.code(), f.message, now()],
                    )?;
                    poison::finish(&tx, &flow.name, &sha, Some(attempt), "deferred")?;
                    ledger::append(
                        &tx,
                        Some(&run_id),
                        "file_deferred",
                        &json!({ "sha256": sha, "code": f.code.code(), "message": f.message }),
                    )?;
                    tx.commit()?;
                    ledger::write_head(store)?;
                    pb.suspend(|| {
                        eprintln!(
                            "error: {shown}: {f}\n  help: the document stays in the inbox; run `docket explain {}`",
                            f.code
                        )
                    });
                    outcome.pending += 1;
                    pb.inc(1);
                    continue;
                }
                Err(f) => {
                    quarantine(store, &run_id, flow, path, &sha, &f, Some(attempt), None)?;
                    pb.inc(1);
                    continue;
                }
                Ok(ex) => {
                    let (st, earlier) =
                        stage_records(store, &run_id, flow, &ex, &sha, Some(attempt))?;
                    status = st;
                    outcome.already_delivered += earlier;
                    fault("after_outbox");
                }
            }
        }

        let mut delivered = true;
        for w in &flow.writes {
            match deliver(store, &run_id, w, &sha, &mut sinks)? {
                Delivery::Done {
                    written,
                    duplicates,
                    refused,
                } => {
                    outcome.written += written;
                    outcome.duplicates += duplicates;
                    if !refused.is_empty() {
                        // Some records were refused one by one (REST 4xx): the rest went through;
                        // the document goes to review with the refusals in the outbox.
                        status = "review".into();
                        pb.suspend(|| {
                            for m in &refused {
                                // A refusal that names its own code (a UI record in doubt,
                                // DK-E0603; a skipped record, DK-E0602) is explained by it.
                                let code =
                                    ErrorCode::named_in(m).unwrap_or(ErrorCode::SinkRejected);
                                eprintln!(
                                    "error: {}: {shown}: {m}\n  help: run `docket explain {code}`",
                                    w.step_id
                                );
                            }
                        });
                    }
                }
                Delivery::Retry { pending, message } => {
                    delivered = false;
                    outcome.pending += pending;
                    pb.suspend(|| {
                        eprintln!(
                            "error: {}: {message}\n  help: run `docket explain DK-E0301`",
                            w.step_id
                        )
                    });
                }
                Delivery::Rejected { message } => {
                    let f = Failure::new(ErrorCode::SinkRejected, format!("{shown}: {message}"));
                    quarantine(store, &run_id, flow, path, &sha, &f, None, None)?;
                    delivered = false;
                    status = "quarantined".into();
                    break;
                }
            }
        }
        if delivered && (status == "extracted" || status == "review" || status == "delivered") {
            let final_status = if status == "review" { "review" } else { "done" };
            finish_file(store, &run_id, flow, path, &sha, final_status)?;
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if only.is_none() {
        deliver_released(store, &run_id, flow, &mut sinks, &mut outcome)?;
    }

    if let (Some(sc), Some(pack)) = (&flow.screen, &pack) {
        outcome.alerts = screen_run(store, &run_id, sc, pack)?;
    }

    // From the store, not counted on the way: a resumed run counts the documents it finished or
    // staged before the interruption too (a document held for review before a crash makes the
    // resumed run's status `review`).
    let files = file_counts(store, &run_id)?;
    outcome.files = outcome.files.max(files.total);
    outcome.done = files.done;
    outcome.review = files.review;
    outcome.quarantined = files.quarantined;
    (outcome.natural_duplicates, outcome.not_deduplicated) = dedupe_counts(store, &run_id)?;
    outcome.llm = llm.as_ref().map(LlmUsage::of);
    outcome.status = if outcome.pending > 0 {
        "failed".into()
    } else if outcome.review > 0 || outcome.quarantined > 0 {
        "review".into()
    } else {
        "succeeded".into()
    };
    let summary = serde_json::to_string(&outcome)?;
    {
        let tx = store.conn_mut().transaction()?;
        tx.execute(
            "UPDATE runs SET status = ?2, finished_at = ?3, summary = ?4 WHERE id = ?1",
            params![run_id, outcome.status, now(), summary],
        )?;
        ledger::append(
            &tx,
            Some(&run_id),
            "run_finished",
            &serde_json::from_str::<serde_json::Value>(&summary)?,
        )?;
        tx.commit()?;
    }
    ledger::write_head(store)?;
    if let (Some(latest), Some(own)) = (&flow.report, &outcome.report) {
        let html = crate::report::render_run(store, &run_id)?;
        atomic_write(own, html.as_bytes())?;
        // An empty tick must not hide the summary of the run that did the work.
        if outcome.files > 0 || outcome.released > 0 || !latest.exists() {
            atomic_write(latest, html.as_bytes())?;
        }
    }
    Ok(outcome)
}

/// Moves the documents whose reading killed an earlier process (poison.rs) to the end of the
/// inbox, keeping the name order within each group, so that they cannot hold up the others.
fn defer_suspects(store: &Store, flow: &FlowSpec, inbox: &mut [PathBuf]) -> Result<()> {
    let suspects = poison::suspects(store, &flow.name)?;
    if suspects.is_empty() {
        return Ok(());
    }
    let mut suspect = HashMap::new();
    for p in inbox.iter() {
        let sha = std::fs::read(p)
            .map(|b| sha256_hex(&b))
            .with_context(|| format!("cannot read {}", p.display()))?;
        suspect.insert(p.clone(), suspects.contains(&sha));
    }
    inbox.sort_by_key(|p| suspect.get(p).copied().unwrap_or(false));
    Ok(())
}

/// Where a run's own report goes: the configured report's folder, then the run id, then the
/// configured file name (`reports/summary.html` → `reports/<run id>/summary.html`).
fn run_report_path(configured: &Path, run_id: &str) -> PathBuf {
    let name = configured
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("summary.html"));
    configured
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(run_id)
        .join(name)
}

/// How many of a run's files there are in all and in each final state.
struct FileCounts {
    total: usize,
    done: usize,
    review: usize,
    quarantined: usize,
}

fn file_counts(store: &Store, run_id: &str) -> Result<FileCounts> {
    Ok(store.conn().query_row(
        "SELECT COUNT(*),
                COALESCE(SUM(status = 'done'), 0),
                COALESCE(SUM(status = 'review'), 0),
                COALESCE(SUM(status = 'quarantined'), 0)
           FROM files WHERE run_id = ?1",
        params![run_id],
        |r| {
            Ok(FileCounts {
                total: r.get::<_, i64>(0)? as usize,
                done: r.get::<_, i64>(1)? as usize,
                review: r.get::<_, i64>(2)? as usize,
                quarantined: r.get::<_, i64>(3)? as usize,
            })
        },
    )?)
}

/// Natural-key duplicates skipped in the run, and its documents that could not be de-duplicated
/// (their staging ledger entry says `dedupe.skipped`).
fn dedupe_counts(store: &Store, run_id: &str) -> Result<(usize, usize)> {
    let duplicates: i64 = store.conn().query_row(
        "SELECT COUNT(*) FROM natural_duplicates WHERE run_id = ?1",
        params![run_id],
        |r| r.get(0),
    )?;
    let unkeyed: i64 = store.conn().query_row(
        "SELECT COUNT(DISTINCT json_extract(payload, '$.sha256')) FROM ledger WHERE run_id = ?1 AND kind IN ('file_extracted', 'file_held_for_review') AND json_extract(payload, '$.dedupe.skipped') IS NOT NULL",
        params![run_id],
        |r| r.get(0),
    )?;
    Ok((
        usize::try_from(duplicates).unwrap_or(0),
        usize::try_from(unkeyed).unwrap_or(0),
    ))
}

/// Screens the records extracted in this run (files done, delivered or extracted; held files
/// wait for review) and persists alerts and cases. Returns the number of alerts. Re-running it on
/// a resumed run updates the same alerts rather than duplicating them.
fn screen_run(
    store: &mut Store,
    run_id: &str,
    sc: &crate::flow::ScreenSpec,
    pack: &docket_rules::RulePack,
) -> Result<usize> {
    let docs: Vec<(String, String, String)> = {
        let mut stmt = store.conn().prepare(
            "SELECT path, sha256, extraction FROM files WHERE run_id = ?1 AND status IN ('done', 'delivered', 'extracted') AND extraction IS NOT NULL ORDER BY rowid",
        )?;
        stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut txns = Vec::new();
    let mut inputs = Vec::with_capacity(docs.len());
    let mut sources = crate::sources::Sources::new();
    for (path, sha, extraction) in &docs {
        let doc: serde_json::Value = serde_json::from_str(extraction)
            .with_context(|| format!("{path}: stored extraction is not JSON"))?;
        let origin = format!("{} ({path})", sc.step_id);
        txns.extend(crate::screening::extraction_txns(&doc, sc.zone, &origin)?);
        sources.extend(crate::sources::of_extraction(&doc, path));
        inputs.push((path.clone(), sha.clone()));
    }
    let screening = crate::screening::screen_txns(&mut txns, pack)?;
    crate::screening::persist(store, Some(run_id), &screening, &txns, &inputs, &sources)?;
    tracing::info!(run = %run_id, transactions = txns.len(), alerts = screening.alerts.len(), "screened");
    Ok(screening.alerts.len())
}
