//! Executes a flow once: claim the inbox's files, digitise and extract each, put its records in the
//! outbox, deliver the outbox to every sink, move the file to `done/` (or `quarantine/` with a
//! reason), write the report. Every state change is committed to the run store before the effect
//! it precedes, so a run killed at any point and started again resumes where it stopped: nothing
//! is lost, and sinks dedupe by idempotency key so nothing is written twice.
//!
//! The runner never writes to a back office except through the outbox, and never moves a source
//! file before its records are delivered.

use crate::failure::Failure;
use crate::flow::{ColumnSource, FlowSpec, matches};
use crate::ledger;
use crate::pipeline;
use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_connectors::{OutRecord, Sink, Value};
use docket_core::hash::{sha256_hex, sha256_parts};
use docket_core::{ErrorCode, Extraction};
use docket_documents::DigitiseOptions;
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How a run ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    /// Run id.
    pub run_id: String,
    /// `succeeded`, `review` (some documents need a person), or `failed` (a sink was unreachable).
    pub status: String,
    /// Files seen in the inbox.
    pub files: usize,
    /// Files delivered and moved to done/.
    pub done: usize,
    /// Files held for review.
    pub review: usize,
    /// Files quarantined.
    pub quarantined: usize,
    /// Records newly written across sinks.
    pub written: usize,
    /// Records a sink already had (idempotent re-delivery).
    pub duplicates: usize,
    /// Records of re-ingested documents that an earlier run had already delivered: not sent again.
    pub already_delivered: usize,
    /// Records still pending because a sink failed.
    pub pending: usize,
    /// Alerts raised by the flow's screen step over this run's records (0 without one).
    pub alerts: usize,
    /// Documents a reviewer released since an earlier run whose records this run delivered.
    pub released: usize,
    /// Whether this run resumed an interrupted one.
    pub resumed: bool,
    /// The HTML report, if the flow has one.
    pub report: Option<PathBuf>,
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
/// like SIGKILL) the n-th time `point` is reached. Points: `after_claim`, `after_outbox`,
/// `after_sink_write`, `after_mark_written`, `before_move`.
fn fault(point: &str) {
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
        Some(sc) => Some(crate::commands::screen::load_pack(sc.pack.as_deref())?),
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
    tracing::info!(run = %run_id, resumed, "run started");

    for d in [&flow.done, &flow.quarantine] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let inbox = match only {
        Some(files) => files.to_vec(),
        None => list_inbox(flow)?,
    };
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
        pending: 0,
        alerts: 0,
        released: 0,
        resumed,
        report: flow.report.clone(),
    };
    let schema = pipeline::resolve_schema(&flow.schema)?;
    let opts = DigitiseOptions {
        password: flow.password.clone(),
        languages: flow.languages.clone(),
        max_file_bytes: flow.max_file_bytes,
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
            match pipeline::process_with(path, &schema, &opts, llm.as_ref()) {
                Err(f) if f.code.class() == docket_core::codes::Class::Retry => {
                    // An outside system (the LLM endpoint) failed, not the document: it stays
                    // in the inbox for the next run, which claims it again; the run exits 3.
                    let tx = store.conn_mut().transaction()?;
                    tx.execute(
                        "UPDATE files SET status = 'failed', code = ?3, message = ?4, updated_at = ?5 WHERE run_id = ?1 AND sha256 = ?2",
                        params![run_id, sha, f.code.code(), f.message, now()],
                    )?;
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
                    quarantine(store, &run_id, flow, path, &sha, &f)?;
                    outcome.quarantined += 1;
                    pb.inc(1);
                    continue;
                }
                Ok(ex) => {
                    let (st, earlier) = stage_records(store, &run_id, flow, &ex, &sha)?;
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
                                eprintln!(
                                    "error: {}: {shown}: {m}\n  help: run `docket explain DK-E0302`",
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
                    quarantine(store, &run_id, flow, path, &sha, &f)?;
                    outcome.quarantined += 1;
                    delivered = false;
                    status = "quarantined".into();
                    break;
                }
            }
        }
        if delivered && (status == "extracted" || status == "review" || status == "delivered") {
            let final_status = if status == "review" { "review" } else { "done" };
            finish_file(store, &run_id, flow, path, &sha, final_status)?;
            if final_status == "review" {
                outcome.review += 1;
            } else {
                outcome.done += 1;
            }
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
    if let Some(report) = &flow.report {
        let html = crate::report::render_run(store, &run_id)?;
        atomic_write(report, html.as_bytes())?;
    }
    Ok(outcome)
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
        txns.extend(crate::commands::screen::extraction_txns(
            &doc, sc.zone, &origin,
        )?);
        sources.extend(crate::sources::of_extraction(&doc, path));
        inputs.push((path.clone(), sha.clone()));
    }
    let screening = crate::commands::screen::screen_txns(&mut txns, pack)?;
    crate::commands::screen::persist(store, Some(run_id), &screening, &txns, &inputs, &sources)?;
    tracing::info!(run = %run_id, transactions = txns.len(), alerts = screening.alerts.len(), "screened");
    Ok(screening.alerts.len())
}

/// The documents in the flow's inbox that match its patterns, sorted by path.
pub fn list_inbox(flow: &FlowSpec) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let rd = std::fs::read_dir(&flow.inbox).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: cannot read the ingest folder {}: {e}",
                flow.file.display(),
                flow.inbox.display()
            ),
        )
    })?;
    for entry in rd {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".reason.txt") {
            continue;
        }
        if flow.patterns.iter().any(|p| matches(p, &name)) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Builds the outbox rows of a document and commits them with the file's new status. Returns the
/// status and how many of its records an earlier run already delivered (re-ingested documents).
fn stage_records(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    ex: &Extraction,
    sha: &str,
) -> Result<(String, usize)> {
    let hold = flow.hold_on_failed_checks && (ex.needs_review || ex.has_failed_checks());
    let row_status = if hold { "held" } else { "pending" };
    let file_status = if hold { "review" } else { "extracted" };
    let extraction = serde_json::to_string(ex)?;
    let tx = store.conn_mut().transaction()?;
    let mut earlier = 0usize;
    for w in &flow.writes {
        let target = format!("{} {}", crate::flow::describe_sink(&w.sink), w.table);
        for (i, rec) in ex.records.iter().enumerate() {
            let canonical = serde_json::to_string(rec)?;
            let key = sha256_parts(&[
                sha.as_bytes(),
                i.to_string().as_bytes(),
                canonical.as_bytes(),
            ]);
            let values = column_values(w, ex, rec, run_id)?;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO outbox (step_id, key, run_id, doc_sha256, target, payload, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![w.step_id, key, run_id, sha, target, serde_json::to_string(&values)?, row_status, now()],
            )?;
            if inserted == 0 {
                let prior: String = tx.query_row(
                    "SELECT status FROM outbox WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, key],
                    |r| r.get(0),
                )?;
                if prior == "written" {
                    earlier += 1;
                }
            }
        }
    }
    tx.execute(
        "UPDATE files SET status = ?3, records = ?4, extraction = ?5, updated_at = ?6 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, file_status, ex.records.len() as i64, extraction, now()],
    )?;
    let failed: Vec<&str> = ex
        .checks
        .iter()
        .filter(|c| c.status == docket_core::CheckStatus::Fail)
        .map(|c| c.name.as_str())
        .collect();
    ledger::append(
        &tx,
        Some(run_id),
        if hold {
            "file_held_for_review"
        } else {
            "file_extracted"
        },
        &json!({ "sha256": sha, "records": ex.records.len(), "failed_checks": failed }),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok((file_status.to_string(), earlier))
}

/// Column values as JSON-tagged pairs for the outbox payload.
fn column_values(
    w: &crate::flow::WriteSpec,
    ex: &Extraction,
    rec: &serde_json::Value,
    run_id: &str,
) -> Result<Vec<(String, serde_json::Value)>> {
    let mut out = Vec::with_capacity(w.columns.len());
    for (col, src) in &w.columns {
        let v = match src {
            ColumnSource::Record(f) => rec.get(f).cloned().unwrap_or(serde_json::Value::Null),
            ColumnSource::Field(f) => ex.fields.get(f).cloned().unwrap_or(serde_json::Value::Null),
            ColumnSource::SourcePath => json!(ex.source.path),
            ColumnSource::SourceSha256 => json!(ex.source.sha256),
            ColumnSource::SourcePages => json!(ex.source.pages),
            ColumnSource::RunId => json!(run_id),
            ColumnSource::Const(c) => json!(c),
        };
        let field = match src {
            ColumnSource::Record(f) | ColumnSource::Field(f) => f.as_str(),
            _ => "",
        };
        out.push((col.clone(), json!({ "field": field, "value": v })));
    }
    Ok(out)
}

/// Turns an outbox payload value into a typed sink value: amounts exact, dates as dates.
fn typed(field: &str, v: &serde_json::Value) -> Result<Value> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Text(n.to_string()),
        },
        serde_json::Value::String(s) => match field {
            "amount" | "balance" | "opening_balance" | "closing_balance" => Value::Decimal(
                rust_decimal::Decimal::from_str(s)
                    .with_context(|| format!("{field}: '{s}' is not a decimal"))?,
            ),
            "date" | "period_start" | "period_end" => Value::Date(
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .with_context(|| format!("{field}: '{s}' is not a date"))?,
            ),
            "time" => Value::Time(
                chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
                    .with_context(|| format!("{field}: '{s}' is not a time"))?,
            ),
            _ => Value::Text(s.clone()),
        },
        other => Value::Text(other.to_string()),
    })
}

enum Delivery {
    Done {
        written: usize,
        duplicates: usize,
        /// Messages of records the target refused one by one (kept `rejected` in the outbox).
        refused: Vec<String>,
    },
    Retry {
        pending: usize,
        message: String,
    },
    Rejected {
        message: String,
    },
}

/// Writes the document's pending outbox rows of one write step and marks them written.
fn deliver(
    store: &mut Store,
    run_id: &str,
    w: &crate::flow::WriteSpec,
    sha: &str,
    sinks: &mut HashMap<String, Box<dyn Sink>>,
) -> Result<Delivery> {
    let rows: Vec<(String, String)> = {
        let mut stmt = store.conn().prepare(
            "SELECT key, payload FROM outbox WHERE step_id = ?1 AND doc_sha256 = ?2 AND status = 'pending' ORDER BY rowid",
        )?;
        stmt.query_map(params![w.step_id, sha], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    if rows.is_empty() {
        return Ok(Delivery::Done {
            written: 0,
            duplicates: 0,
            refused: Vec::new(),
        });
    }
    let mut records = Vec::with_capacity(rows.len());
    for (key, payload) in &rows {
        let cols: Vec<(String, serde_json::Value)> = serde_json::from_str(payload)?;
        let mut values = Vec::with_capacity(cols.len());
        for (col, v) in cols {
            let field = v
                .get("field")
                .and_then(|f| f.as_str())
                .unwrap_or("")
                .to_string();
            let value = typed(&field, v.get("value").unwrap_or(&serde_json::Value::Null))?;
            values.push((col, value));
        }
        records.push(OutRecord {
            key: key.clone(),
            values,
        });
    }
    let sink = match sinks.entry(w.step_id.clone()) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => match docket_connectors::open(&w.sink) {
            Ok(s) => e.insert(s),
            Err(err) => return retry_or_reject(store, run_id, w, sha, rows.len(), err),
        },
    };
    let target = format!("{} {}", sink.describe(), w.table);
    match sink.write_batch(&w.table, &records) {
        Ok(res) => {
            fault("after_sink_write");
            let tx = store.conn_mut().transaction()?;
            let ts = now();
            let mut refused = Vec::new();
            for r in &res.rejected {
                tx.execute(
                    "UPDATE outbox SET status = 'rejected', last_error = ?3, attempts = attempts + 1 WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, r.key, r.message],
                )?;
                ledger::append(
                    &tx,
                    Some(run_id),
                    "record_rejected",
                    &json!({ "target": target, "key": r.key, "message": r.message }),
                )?;
                refused.push(format!("record {} refused: {}", r.key, r.message));
            }
            for (key, _) in &rows {
                if res.rejected.iter().any(|r| &r.key == key) {
                    continue;
                }
                tx.execute(
                    "UPDATE outbox SET status = 'written', written_at = ?3, attempts = attempts + 1 WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, key, ts],
                )?;
                ledger::append(
                    &tx,
                    Some(run_id),
                    "record_written",
                    &json!({ "target": target, "key": key }),
                )?;
            }
            tx.execute(
                "UPDATE files SET status = CASE WHEN status = 'extracted' THEN 'delivered' ELSE status END, updated_at = ?3 WHERE run_id = ?1 AND sha256 = ?2",
                params![run_id, sha, ts],
            )?;
            tx.commit()?;
            ledger::write_head(store)?;
            fault("after_mark_written");
            Ok(Delivery::Done {
                written: res.inserted,
                duplicates: res.duplicates,
                refused,
            })
        }
        Err(err) => retry_or_reject(store, run_id, w, sha, rows.len(), err),
    }
}

fn retry_or_reject(
    store: &mut Store,
    run_id: &str,
    w: &crate::flow::WriteSpec,
    sha: &str,
    pending: usize,
    err: docket_connectors::SinkError,
) -> Result<Delivery> {
    let retry = err.code.class() == docket_core::codes::Class::Retry;
    let message = err.to_string();
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, status = CASE WHEN ?4 THEN status ELSE 'rejected' END WHERE step_id = ?1 AND doc_sha256 = ?2 AND status = 'pending'",
        params![w.step_id, sha, message, retry],
    )?;
    ledger::append(
        &tx,
        Some(run_id),
        if retry {
            "write_failed_retryable"
        } else {
            "write_rejected"
        },
        &json!({ "step": w.step_id, "sha256": sha, "code": err.code.code(), "message": message }),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok(if retry {
        Delivery::Retry { pending, message }
    } else {
        Delivery::Rejected { message }
    })
}

/// Delivers the records of documents a reviewer released (the review desk sets their held rows
/// `pending` and the file `extracted`; the document itself already sits in done/). They belong
/// to an earlier, finished run of this flow; they are written now, under that run's id in the
/// ledger, and the file is marked done. A sink that is down leaves them pending for the next run.
fn deliver_released(
    store: &mut Store,
    current_run: &str,
    flow: &FlowSpec,
    sinks: &mut HashMap<String, Box<dyn Sink>>,
    outcome: &mut RunOutcome,
) -> Result<()> {
    let released: Vec<(String, String)> = {
        let mut st = store.conn().prepare(
            "SELECT f.run_id, f.sha256 FROM files f JOIN runs r ON r.id = f.run_id
              WHERE r.flow_name = ?1 AND r.status <> 'running' AND f.run_id <> ?2
                AND f.status = 'extracted'
                AND EXISTS (SELECT 1 FROM outbox o WHERE o.doc_sha256 = f.sha256 AND o.status = 'pending')
              ORDER BY f.updated_at",
        )?;
        st.query_map(params![flow.name, current_run], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    };
    for (run_id, sha) in released {
        let mut delivered = true;
        for w in &flow.writes {
            match deliver(store, &run_id, w, &sha, sinks)? {
                Delivery::Done {
                    written,
                    duplicates,
                    ..
                } => {
                    outcome.written += written;
                    outcome.duplicates += duplicates;
                }
                Delivery::Retry { pending, message } => {
                    delivered = false;
                    outcome.pending += pending;
                    eprintln!(
                        "error: {}: released document {sha}: {message}\n  help: run `docket explain DK-E0301`",
                        w.step_id
                    );
                }
                Delivery::Rejected { message } => {
                    delivered = false;
                    eprintln!(
                        "error: {}: released document {sha}: {message}\n  help: run `docket explain DK-E0302`",
                        w.step_id
                    );
                }
            }
        }
        if delivered {
            let tx = store.conn_mut().transaction()?;
            tx.execute(
                "UPDATE files SET status = 'done', updated_at = ?3 WHERE run_id = ?1 AND sha256 = ?2",
                params![run_id, sha, now()],
            )?;
            ledger::append(
                &tx,
                Some(current_run),
                "released_delivered",
                &json!({ "sha256": sha, "held_in_run": run_id }),
            )?;
            tx.commit()?;
            ledger::write_head(store)?;
            outcome.released += 1;
        }
    }
    Ok(())
}

/// Moves the file to done/ after its records are delivered (or held), then records it.
fn finish_file(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    path: &Path,
    sha: &str,
    status: &str,
) -> Result<()> {
    fault("before_move");
    let dest = unique_dest(&flow.done, path);
    move_file(path, &dest)?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE files SET status = ?3, updated_at = ?4 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, status, now()],
    )?;
    ledger::append(
        &tx,
        Some(run_id),
        "file_done",
        &json!({ "sha256": sha, "status": status, "moved_to": dest.display().to_string() }),
    )?;
    tx.commit()?;
    ledger::write_head(store)
}

/// Moves a bad file to quarantine/ with a `.reason.txt` and records why.
fn quarantine(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    path: &Path,
    sha: &str,
    f: &Failure,
) -> Result<()> {
    let dest = unique_dest(&flow.quarantine, path);
    let reason = format!(
        "{code}: {title}\n\n{msg}\n\nWhat to do: {help}\n\nsha256: {sha}\nrun: {run_id}\n",
        code = f.code,
        title = f.code.title(),
        msg = f.message,
        help = f.code.help()
    );
    let mut reason_path = dest.clone().into_os_string();
    reason_path.push(".reason.txt");
    atomic_write(Path::new(&reason_path), reason.as_bytes())?;
    move_file(path, &dest)?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE files SET status = 'quarantined', code = ?3, message = ?4, updated_at = ?5 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, f.code.code(), f.message, now()],
    )?;
    ledger::append(
        &tx,
        Some(run_id),
        "file_quarantined",
        &json!({ "sha256": sha, "code": f.code.code(), "message": f.message, "moved_to": dest.display().to_string() }),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    eprintln!("quarantined: {f}");
    Ok(())
}

fn unique_dest(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let mut dest = dir.join(&name);
    let mut i = 1;
    while dest.exists() {
        let mut n = name.clone();
        n.push(format!(".{i}"));
        dest = dir.join(n);
        i += 1;
    }
    dest
}

fn move_file(from: &Path, to: &Path) -> Result<()> {
    if std::fs::rename(from, to).is_err() {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        std::fs::remove_file(from).with_context(|| format!("cannot remove {}", from.display()))?;
    }
    Ok(())
}

/// Writes a file atomically (temp file in the same folder, then rename).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
