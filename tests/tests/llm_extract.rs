//! The LLM extraction step inside a workflow, through the built `docket` binary: an `extract`
//! step with `llm: { url }` reads a text-layer invoice with a model that invents the total. The
//! invented amount never reaches the SQLite back office (the document is held for review, or,
//! with `on_failed_checks: write`, the amount is written as NULL); low-confidence fields hold the
//! document too; the request bodies carry no account or phone number; a second run is answered
//! from the response cache with zero requests; and `docket run --check` reports a bad `llm:`
//! block with its line and column.
//!
//! The model is `scripted_openai_server`, a **scripted stand-in** for an OpenAI-compatible
//! server on loopback: it is not a model, the test decides every answer, so it can count the
//! requests and read the exact bytes the agent sent. Real-model runs are docket-llm's
//! `real_model.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use common::{docket, err, out};
use docket_e2e::samples::layout::{Align, Face, PageLayout, TextItem};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ACCOUNT: &str = "6222 0212 3456 7890";
const PHONE: &str = "13812345678";
const INVENTED: &str = "9999.00";

/// A **scripted stand-in** for an OpenAI-compatible chat-completions server on loopback: it
/// records every request body and answers each with the same extraction, which `answer` builds
/// from the request. Not a model.
struct ScriptedOpenAiServer {
    /// Base URL ending in `/v1`.
    url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedOpenAiServer {
    fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }

    fn all_bytes(&self) -> String {
        let b: Vec<u8> = self.bodies.lock().unwrap().concat();
        String::from_utf8_lossy(&b).into_owned()
    }
}

impl Drop for ScriptedOpenAiServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Shared = (
    Arc<Mutex<Vec<Vec<u8>>>>,
    Arc<dyn Fn(&Value) -> Value + Send + Sync>,
);

async fn chat(State((bodies, answer)): State<Shared>, body: Bytes) -> axum::Json<Value> {
    bodies.lock().unwrap().push(body.to_vec());
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let content = answer(&req).to_string();
    axum::Json(json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    }))
}

/// Starts the stand-in; `answer(request)` is the JSON the "model" replies with.
fn scripted_openai_server(
    answer: impl Fn(&Value) -> Value + Send + Sync + 'static,
) -> ScriptedOpenAiServer {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state: Shared = (bodies.clone(), Arc::new(answer));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new()
                .route("/v1/chat/completions", post(chat))
                // Like llama-cpp-python: one model, listed under its file's path.
                .route(
                    "/v1/models",
                    axum::routing::get(|| async {
                        axum::Json(json!({"object": "list", "data": [{"id": "/models/scripted.gguf", "object": "model"}]}))
                    }),
                )
                .with_state(state);
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
        });
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    ScriptedOpenAiServer {
        url: format!("http://{addr}/v1"),
        bodies,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// The model's answer: the invoice number and the line are copied from the document; the
/// total is `total` (invented unless it is `1200.00`).
fn invoice_answer(total: &'static str) -> impl Fn(&Value) -> Value + Send + Sync {
    move |_| {
        json!({"data": {
            "fields": {"issuer": null, "invoice_number": "INV-2026-0042", "date": null,
                       "amount": total, "amount_untaxed": null, "currency": null},
            "records": [{"name": "Consulting services", "quantity": null, "price_unit": null,
                         "amount": "1200.00"}]},
            "sources": [{"field": "fields.invoice_number", "text": "INV-2026-0042"}]})
    }
}

/// A one-page text-layer invoice with an account and a phone number on it, and `footer` (to
/// tell copies apart).
fn invoice_pdf(footer: &str) -> Result<Vec<u8>> {
    let lines: [&[(f32, &str)]; 7] = [
        &[(50.0, "INVOICE"), (300.0, "No. INV-2026-0042")],
        &[(50.0, "Issued by Acme Supplies Ltd")],
        &[(50.0, "Pay to account"), (300.0, ACCOUNT)],
        &[(50.0, "Phone"), (300.0, PHONE)],
        &[(50.0, "Consulting services"), (300.0, "1,200.00")],
        &[(50.0, "Total due"), (300.0, "1,200.00")],
        &[(50.0, footer)],
    ];
    let mut texts = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for (x, text) in line.iter() {
            texts.push(TextItem {
                x: *x,
                baseline: 80.0 + 20.0 * i as f32,
                size: 11.0,
                face: Face::Latin,
                align: Align::Left,
                text: (*text).to_owned(),
            });
        }
    }
    docket_e2e::samples::pdf::write_pdf(&[PageLayout {
        width: 595.0,
        height: 842.0,
        texts,
        rules: Vec::new(),
    }])
}

/// A flow reading `inbox/` with `llm_block` and writing to `backoffice.db`.
fn flow(dir: &Path, llm_block: &str, on_failed: &str) -> Result<PathBuf> {
    let yaml = format!(
        "version: 1
name: invoices
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract:
      from: inbox
      schema: invoice
      on_failed_checks: {on_failed}
      llm: {llm_block}
  - id: store
    write:
      from: read
      sink: {{ sqlite: {{ path: backoffice.db }} }}
      table: invoice_lines
      columns:
        invoice_number: fields.invoice_number
        total: fields.amount
        line: record.name
        line_amount: record.amount
"
    );
    std::fs::create_dir_all(dir.join("inbox"))?;
    let path = dir.join("flow.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path)
}

fn run(dir: &Path, flow: &Path) -> Result<std::process::Output> {
    let data = dir.join("data").display().to_string();
    docket(
        &["--data-dir", &data, "run", &flow.display().to_string()],
        &[("DOCKET_LLM_URL", ""), ("DOCKET_LLM_API_KEY", "")],
    )
}

/// Rows of the back office as (invoice_number, total, line, line_amount) text; empty when
/// nothing was ever written.
fn backoffice(dir: &Path) -> Result<Vec<Vec<Option<String>>>> {
    let db = dir.join("backoffice.db");
    if !db.exists() {
        return Ok(Vec::new());
    }
    let conn = rusqlite::Connection::open(db)?;
    let exists: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'invoice_lines'",
        [],
        |r| r.get(0),
    )?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT CAST(invoice_number AS TEXT), CAST(total AS TEXT), CAST(line AS TEXT), CAST(line_amount AS TEXT) FROM invoice_lines ORDER BY rowid",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((0..4).map(|i| r.get(i)).collect::<Result<Vec<_>, _>>())
        })?
        .collect::<Result<Result<Vec<_>, _>, _>>()??;
    Ok(rows)
}

/// (status, extraction JSON) of every file the run store knows, in order.
fn store_files(dir: &Path) -> Result<Vec<(String, Value)>> {
    let conn = rusqlite::Connection::open(dir.join("data").join("docket.db"))?;
    let mut stmt =
        conn.prepare("SELECT status, COALESCE(extraction, 'null') FROM files ORDER BY rowid")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(s, e)| Ok((s, serde_json::from_str(&e)?)))
        .collect()
}

fn held_rows(dir: &Path) -> Result<i64> {
    let conn = rusqlite::Connection::open(dir.join("data").join("docket.db"))?;
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE status = 'held'",
        [],
        |r| r.get(0),
    )?)
}

#[test]
fn an_invented_amount_is_held_for_review_redacted_on_the_wire_and_cached() -> Result<()> {
    let srv = scripted_openai_server(invoice_answer(INVENTED));
    let dir = tempfile::tempdir()?;
    let flow = flow(dir.path(), &format!("{{ url: '{}' }}", srv.url), "review")?;
    let pdf = invoice_pdf("Original")?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), &pdf)?;

    let o = run(dir.path(), &flow)?;
    assert_eq!(
        o.status.code(),
        Some(1),
        "a document for review exits 1; stdout: {} stderr: {}",
        out(&o),
        err(&o)
    );
    assert!(out(&o).contains("1 for review"), "{}", out(&o));
    assert!(srv.count() >= 1, "the model was asked");
    let first = srv.count();

    // Held: nothing reached the back office, the outbox holds the line, the file is in review
    // with the invented amount dropped to null and a failed grounding check naming it.
    let rows = backoffice(dir.path())?;
    assert!(rows.is_empty(), "held rows were written: {rows:?}");
    assert_eq!(held_rows(dir.path())?, 1);
    let files = store_files(dir.path())?;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "review");
    let ex = &files[0].1;
    assert!(ex["fields"]["amount"].is_null(), "{ex}");
    assert_eq!(ex["fields"]["invoice_number"], "INV-2026-0042");
    assert_eq!(ex["needs_review"], true);
    let grounding = ex["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "grounding"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(grounding["status"], "fail", "{grounding}");
    assert!(
        grounding["message"]
            .as_str()
            .unwrap_or("")
            .contains(INVENTED),
        "{grounding}"
    );

    // Redaction: the document's account and phone number never left the process.
    let sent = srv.all_bytes();
    assert!(sent.contains("INV-2026-0042"), "the document text was sent");
    for secret in [ACCOUNT, "6222", "3456 7890", PHONE] {
        assert!(!sent.contains(secret), "{secret} was sent to the model");
    }
    assert!(
        sent.contains("[ACCT_1]") && sent.contains("[PHONE_1]"),
        "{sent}"
    );

    // A second run of the same document is answered from the cache: zero requests.
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), &pdf)?;
    let o = run(dir.path(), &flow)?;
    assert_eq!(o.status.code(), Some(1), "stderr: {}", err(&o));
    assert_eq!(srv.count(), first, "the second run asked the model again");
    let files = store_files(dir.path())?;
    assert_eq!(files.len(), 2);
    assert_eq!(files[1].0, "review");
    assert!(files[1].1["fields"]["amount"].is_null());
    assert!(backoffice(dir.path())?.is_empty());
    Ok(())
}

#[test]
fn with_on_failed_checks_write_the_invented_amount_is_written_as_null() -> Result<()> {
    let srv = scripted_openai_server(invoice_answer(INVENTED));
    let dir = tempfile::tempdir()?;
    let flow = flow(dir.path(), &format!("{{ url: '{}' }}", srv.url), "write")?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let o = run(dir.path(), &flow)?;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", err(&o));
    let rows = backoffice(dir.path())?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("INV-2026-0042"));
    assert_eq!(rows[0][1], None, "the invented total was written: {rows:?}");
    assert_eq!(rows[0][2].as_deref(), Some("Consulting services"));
    assert!(
        rows[0][3].as_deref().is_some_and(|a| a.starts_with("1200")),
        "{rows:?}"
    );
    Ok(())
}

#[test]
fn low_confidence_fields_hold_a_fully_grounded_document() -> Result<()> {
    // Every value is in the document, but one model sample is trusted at 0.9 at most: with
    // `min_confidence: 0.95` the document goes to review; with the default 0.6 it is written.
    let srv = scripted_openai_server(invoice_answer("1200.00"));
    let dir = tempfile::tempdir()?;
    let strict = flow(
        dir.path(),
        &format!("{{ url: '{}', model: m, min_confidence: 0.95 }}", srv.url),
        "review",
    )?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let o = run(dir.path(), &strict)?;
    assert_eq!(o.status.code(), Some(1), "stderr: {}", err(&o));
    assert!(backoffice(dir.path())?.is_empty());
    let files = store_files(dir.path())?;
    assert_eq!(files[0].0, "review");
    let checks = files[0].1["checks"].as_array().cloned().unwrap_or_default();
    let status = |n: &str| {
        checks
            .iter()
            .find(|c| c["name"] == n)
            .map(|c| c["status"].clone())
    };
    assert_eq!(status("grounding"), Some(json!("pass")), "{checks:?}");
    assert_eq!(status("confidence"), Some(json!("fail")), "{checks:?}");

    // Same flow with the default threshold, overriding the model on the command line.
    let relaxed = flow(dir.path(), &format!("{{ url: '{}' }}", srv.url), "review")?;
    std::fs::write(dir.path().join("inbox/inv-2.pdf"), invoice_pdf("Copy")?)?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "run",
            &relaxed.display().to_string(),
            "--llm-model",
            "other-model",
        ],
        &[("DOCKET_LLM_URL", ""), ("DOCKET_LLM_API_KEY", "")],
    )?;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", err(&o));
    let rows = backoffice(dir.path())?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0][1].as_deref().is_some_and(|a| a.starts_with("1200")));
    assert!(
        srv.all_bytes().contains("\"model\":\"other-model\""),
        "--llm-model reaches the endpoint"
    );
    Ok(())
}

#[test]
fn run_check_reports_a_bad_llm_block_with_line_and_column() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let flow = flow(
        dir.path(),
        "{ url: 'https://bob:hunter2@llm.bank.example/v1', redact: false, min_confidence: 2 }",
        "review",
    )?;
    let o = docket(&["run", "--check", &flow.display().to_string()], &[])?;
    assert_ne!(o.status.code(), Some(0));
    let e = err(&o);
    assert!(e.contains("error[W029]"), "{e}");
    assert!(e.contains("flow.yaml:11:19"), "{e}");
    assert!(e.contains("error[W023]"), "{e}");
    assert!(!e.contains("hunter2"), "the password was printed: {e}");
    // A remote URL with `redact: false` is refused on its own.
    let flow2 = flow_file(
        dir.path(),
        "{ url: 'https://llm.bank.example/v1', redact: false }",
    )?;
    let o = docket(&["run", "--check", &flow2.display().to_string()], &[])?;
    let e = err(&o);
    assert_ne!(o.status.code(), Some(0));
    assert!(e.contains("error[W033]"), "{e}");
    assert!(e.contains(":11:"), "{e}");
    Ok(())
}

fn flow_file(dir: &Path, llm_block: &str) -> Result<PathBuf> {
    let sub = dir.join("second");
    std::fs::create_dir_all(&sub)?;
    flow(&sub, llm_block, "review")
}

#[test]
fn an_api_key_is_not_sent_over_plain_http_to_another_machine() -> Result<()> {
    // The workflow's own `url` is checked by `--check` (W032); a `--llm-url` override is checked
    // when the run starts, before it claims any document.
    let dir = tempfile::tempdir()?;
    let flow = flow(dir.path(), "{ api_key_secret: llm_key }", "review")?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "run",
            &flow.display().to_string(),
            "--llm-url",
            "http://192.0.2.1:8080/v1",
        ],
        &[
            ("DOCKET_LLM_URL", ""),
            ("DOCKET_SECRET_LLM_KEY", "sk-very-secret-key"),
        ],
    )?;
    assert_ne!(o.status.code(), Some(0));
    let e = err(&o);
    assert!(e.contains("DK-E0208") && e.contains("unencrypted"), "{e}");
    assert!(!e.contains("sk-very-secret-key") && !out(&o).contains("sk-very-secret-key"));
    assert!(
        dir.path().join("inbox/inv-1.pdf").exists(),
        "the document was not touched"
    );
    Ok(())
}

#[test]
fn an_unreachable_model_leaves_the_document_in_the_inbox_for_the_next_run() -> Result<()> {
    // A port nothing listens on: the endpoint is down, the document is not at fault.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let dir = tempfile::tempdir()?;
    let down = flow(
        dir.path(),
        &format!("{{ url: 'http://{closed}/v1', timeout: 2s }}"),
        "write",
    )?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let o = run(dir.path(), &down)?;
    assert_eq!(
        o.status.code(),
        Some(3),
        "retryable failure expected: {}",
        err(&o)
    );
    assert!(err(&o).contains("DK-E0307"), "{}", err(&o));
    assert!(
        dir.path().join("inbox/inv-1.pdf").exists(),
        "the document stays in the inbox"
    );
    assert!(
        !dir.path().join("quarantine/inv-1.pdf").exists(),
        "a model that is down does not quarantine the document"
    );
    assert!(backoffice(dir.path())?.is_empty());
    // The model is back: the next run reads and writes the document.
    let srv = scripted_openai_server(invoice_answer("1200.00"));
    let up = flow(dir.path(), &format!("{{ url: '{}' }}", srv.url), "write")?;
    let o = run(dir.path(), &up)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(backoffice(dir.path())?.len(), 1);
    assert!(!dir.path().join("inbox/inv-1.pdf").exists());
    Ok(())
}

#[test]
fn the_config_file_names_the_site_endpoint_and_doctor_shows_it() -> Result<()> {
    let srv = scripted_openai_server(invoice_answer("1200.00"));
    let dir = tempfile::tempdir()?;
    // A flow without an `llm:` block …
    let f = flow(dir.path(), "{}", "write")?;
    let yaml = std::fs::read_to_string(&f)?.replace("      llm: {}\n", "");
    std::fs::write(&f, yaml)?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    // … and the site's endpoint in <data dir>/config.toml.
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\nurl = \"{}\"\nmodel = \"site-model\"\n", srv.url),
    )?;
    let o = run(dir.path(), &f)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(backoffice(dir.path())?.len(), 1);
    let d = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "--json",
            "doctor",
        ],
        &[("DOCKET_LLM_URL", "")],
    )?;
    let text = String::from_utf8_lossy(&d.stdout).into_owned();
    assert!(text.contains("site-model"), "{text}");
    // A broken config file is refused, naming the file and line.
    std::fs::write(
        data.join("config.toml"),
        "[llm]\nurl = \"x\"\nmodle = \"m\"\n",
    )?;
    std::fs::write(dir.path().join("inbox/inv-2.pdf"), invoice_pdf("Second")?)?;
    let o = run(dir.path(), &f)?;
    assert_ne!(o.status.code(), Some(0));
    assert!(err(&o).contains("config.toml:3"), "{}", err(&o));
    Ok(())
}

fn run_json(dir: &Path, flow: &Path) -> Result<(std::process::Output, Value)> {
    let data = dir.join("data").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "run",
            &flow.display().to_string(),
        ],
        &[
            ("DOCKET_LLM_URL", ""),
            ("DOCKET_LLM_GGUF", ""),
            ("DOCKET_LLM_API_KEY", ""),
        ],
    )?;
    let v = serde_json::from_str(out(&o).trim()).unwrap_or(Value::Null);
    Ok((o, v))
}

#[test]
fn run_output_counts_model_calls_tokens_and_cache_hits() -> Result<()> {
    // The stand-in reports 100 prompt + 20 completion tokens per answer.
    let srv = scripted_openai_server(invoice_answer("1200.00"));
    let dir = tempfile::tempdir()?;
    let f = flow(
        dir.path(),
        &format!("{{ url: '{}', model: m }}", srv.url),
        "write",
    )?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    std::fs::write(dir.path().join("inbox/inv-2.pdf"), invoice_pdf("Second")?)?;
    let (o, v) = run_json(dir.path(), &f)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(srv.count(), 2);
    let l = &v["llm"];
    assert_eq!(l["model"], "m", "{v}");
    assert_eq!(l["calls"], 2, "{v}");
    assert_eq!(l["requests"], 2, "{v}");
    assert_eq!(l["prompt_tokens"], 200, "{v}");
    assert_eq!(l["completion_tokens"], 40, "{v}");
    assert_eq!(l["cache_hits"], 0, "{v}");
    assert_eq!(l["ungrounded"], 0, "{v}");
    assert_eq!(l["samples"], 1, "{v}");

    // The first document again, in a new run: the cache answers, the summary says so.
    std::fs::write(dir.path().join("inbox/inv-3.pdf"), invoice_pdf("Original")?)?;
    let o = run(dir.path(), &f)?;
    assert_eq!(srv.count(), 2, "the cache should have answered");
    assert!(
        out(&o).contains(
            "llm m: 0 call(s) (0 request(s)), 0 prompt + 0 completion tokens, 1 cache hit(s)"
        ),
        "stdout: {}\nstderr: {}",
        out(&o),
        err(&o)
    );
    Ok(())
}

#[test]
fn a_workflow_with_samples_2_asks_twice_per_document_and_counts_it() -> Result<()> {
    let srv = scripted_openai_server(invoice_answer("1200.00"));
    let dir = tempfile::tempdir()?;
    let f = flow(
        dir.path(),
        &format!("{{ url: '{}', model: m, samples: 2 }}", srv.url),
        "review",
    )?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let (o, v) = run_json(dir.path(), &f)?;
    // The stand-in answers the same at any temperature: the samples agree, nothing to review.
    assert_eq!(o.status.code(), Some(0), "{v} {}", err(&o));
    assert_eq!(srv.count(), 2);
    let bodies: Vec<Value> = srv
        .bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
        .collect();
    assert!(bodies[0].get("seed").is_none(), "{}", bodies[0]);
    assert_eq!(bodies[1]["seed"], 1, "{}", bodies[1]);
    assert_eq!(v["llm"]["samples"], 2, "{v}");
    assert_eq!(v["llm"]["calls"], 2, "{v}");
    assert_eq!(v["llm"]["disagreements"], 0, "{v}");
    Ok(())
}

#[test]
fn a_gguf_model_in_a_build_without_the_feature_is_a_precise_error() -> Result<()> {
    // The default build has no in-process model support: `--llm-gguf`, `DOCKET_LLM_GGUF` and
    // `[llm] gguf` must say so (DK-E0208) and name the rebuild, not fall back silently.
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let pdf = dir.path().join("inv.pdf");
    std::fs::write(&pdf, invoice_pdf("Original")?)?;
    let model = dir.path().join("m.gguf");
    std::fs::write(&model, b"GGUF")?;
    let model_s = model.display().to_string();
    let says_what_to_do = |text: &str| {
        text.contains("DK-E0208") && text.contains(&model_s) && text.contains("--features gguf")
    };
    let env = [
        ("DOCKET_LLM_URL", ""),
        ("DOCKET_LLM_GGUF", ""),
        ("DOCKET_LLM_API_KEY", ""),
    ];
    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "extract",
            "--schema",
            "invoice",
            "--llm-gguf",
            &model_s,
            &pdf.display().to_string(),
        ],
        &env,
    )?;
    assert_ne!(o.status.code(), Some(0));
    assert!(says_what_to_do(&err(&o)), "stderr: {}", err(&o));
    // `docket run --llm-gguf` stops before claiming anything, with the same error.
    let f = flow(dir.path(), "{}", "review")?;
    std::fs::write(dir.path().join("inbox/inv-1.pdf"), invoice_pdf("Original")?)?;
    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "run",
            &f.display().to_string(),
            "--llm-gguf",
            &model_s,
        ],
        &env,
    )?;
    assert_ne!(o.status.code(), Some(0));
    assert!(says_what_to_do(&err(&o)), "stderr: {}", err(&o));
    assert!(
        dir.path().join("inbox/inv-1.pdf").exists(),
        "the file stays in the inbox"
    );

    // The same model named in the config file: doctor fails the extractors check with the fix.
    std::fs::create_dir_all(&data)?;
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\ngguf = \"{model_s}\"\n"),
    )?;
    let d = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "--json",
            "doctor",
        ],
        &env,
    )?;
    let v: Value = serde_json::from_str(out(&d).trim())?;
    let x = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["check"] == "extractors"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(x["status"], "fail", "{x}");
    assert!(says_what_to_do(&x.to_string()), "{x}");
    // `url` and `gguf` together are refused, naming the file.
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\nurl = \"http://127.0.0.1:9/v1\"\ngguf = \"{model_s}\"\n"),
    )?;
    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "extract",
            "--schema",
            "invoice",
            &pdf.display().to_string(),
        ],
        &env,
    )?;
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err(&o).contains("config.toml") && err(&o).contains("keep one"),
        "{}",
        err(&o)
    );
    Ok(())
}

/// A loopback port where nothing listens (bound, then released).
fn closed_port_url() -> Result<String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = l.local_addr()?;
    drop(l);
    Ok(format!("http://{addr}/v1"))
}

fn doctor_extractors(data: &Path) -> Result<(Option<i32>, Value)> {
    let d = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "--json",
            "doctor",
        ],
        &[("DOCKET_LLM_URL", ""), ("DOCKET_LLM_MODEL", "")],
    )?;
    let v: Value = serde_json::from_str(out(&d).trim())?;
    let x = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["check"] == "extractors"))
        .cloned()
        .unwrap_or(Value::Null);
    Ok((d.status.code(), x))
}

/// `docket doctor` asks the configured endpoint for its models: nothing listening there, or a
/// server that lists other models than the configured one, fails the extractors check; the
/// scripted stand-in (one model, like llama-cpp-python) passes. `docket extract` with no
/// endpoint answering exits 3 (DK-E0307, an outside system), not 2.
#[test]
fn doctor_probes_the_endpoint_and_extract_exits_3_when_it_does_not_answer() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let down = closed_port_url()?;
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\nurl = \"{down}\"\nmodel = \"gemma-3-270m\"\n"),
    )?;
    let (code, x) = doctor_extractors(&data)?;
    assert_eq!(x["status"], "fail", "{x}");
    assert_ne!(code, Some(0));
    assert!(
        x["detail"]
            .as_str()
            .unwrap_or("")
            .contains("connection failed"),
        "{x}"
    );
    assert!(
        x["fix"].as_str().unwrap_or("").contains("installer/llm.sh"),
        "{x}"
    );

    let srv = scripted_openai_server(invoice_answer("1200.00"));
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\nurl = \"{}\"\nmodel = \"gemma-3-270m\"\n", srv.url),
    )?;
    let (_, x) = doctor_extractors(&data)?;
    assert_eq!(x["status"], "ok", "{x}");

    // A server listing several models, none of them ours.
    let many = common::serve_loopback(Router::new().route(
        "/v1/models",
        axum::routing::get(|| async {
            axum::Json(
                json!({"object": "list", "data": [{"id": "llama-3-8b"}, {"id": "qwen-2.5-7b"}]}),
            )
        }),
    ))?;
    std::fs::write(
        data.join("config.toml"),
        format!("[llm]\nurl = \"http://{many}/v1\"\nmodel = \"gemma-3-270m\"\n"),
    )?;
    let (_, x) = doctor_extractors(&data)?;
    assert_eq!(x["status"], "fail", "{x}");
    assert!(
        x["detail"]
            .as_str()
            .unwrap_or("")
            .contains("does not serve the model 'gemma-3-270m'"),
        "{x}"
    );

    let pdf = dir.path().join("inv.pdf");
    std::fs::write(&pdf, invoice_pdf("Original")?)?;
    let o = docket(
        &[
            "--data-dir",
            &data.display().to_string(),
            "extract",
            "--schema",
            "invoice",
            "--llm-url",
            &down,
            "--llm-model",
            "gemma-3-270m",
            &pdf.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(err(&o).contains("DK-E0307"), "{}", err(&o));
    Ok(())
}

/// Requests seen by [`llama_cpp_python_like_server`].
type Seen = Arc<Mutex<Vec<Value>>>;

/// A **stand-in** on loopback that behaves like the documented local model server
/// (`installer/llm.sh`: llama-cpp-python), which is not built on every machine: it refuses
/// `response_format: json_schema` with llama-cpp-python's HTTP 500 ("Input should be 'text' or
/// 'json_object'"), and answers a request carrying a GBNF `grammar` either with the invoice
/// (`looping: false`) or like a small model that loops: text up to the request's `max_tokens`,
/// `finish_reason: length`. Not a model.
fn llama_cpp_python_like_server(looping: bool) -> Result<(String, Seen)> {
    let seen: Seen = Arc::default();
    let store = seen.clone();
    let answer = invoice_answer("1200.00")(&Value::Null).to_string();
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |body: Bytes| {
            let store = store.clone();
            let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            store.lock().unwrap().push(req.clone());
            let content = answer.clone();
            async move {
                use axum::response::IntoResponse;
                if req["response_format"]["type"] == "json_schema" {
                    return (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"error":{"message":"[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]"}}"#,
                    )
                        .into_response();
                }
                let max = req["max_tokens"].as_u64().unwrap_or(0);
                let (content, finish, tokens) = if looping {
                    ("{\"data\": {\"fields\": {\"issuer\": \"Acme Acme Acme".to_string(), "length", max)
                } else {
                    (content, "stop", 60)
                };
                axum::Json(json!({
                    "id": "chatcmpl-like", "object": "chat.completion", "model": "gemma-3-270m",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 300, "completion_tokens": tokens, "total_tokens": 300 + tokens}
                }))
                .into_response()
            }
        }),
    );
    let addr = common::serve_loopback(app)?;
    Ok((format!("http://{addr}/v1"), seen))
}

fn extract_invoice(dir: &Path, url: &str) -> Result<(std::process::Output, std::time::Duration)> {
    let pdf = dir.join("inv.pdf");
    std::fs::write(&pdf, invoice_pdf("Original")?)?;
    let data = dir.join("data").display().to_string();
    let started = std::time::Instant::now();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "extract",
            "--schema",
            "invoice",
            "--llm-url",
            url,
            "--llm-model",
            "gemma-3-270m",
            &pdf.display().to_string(),
        ],
        &[("DOCKET_LLM_URL", ""), ("DOCKET_LLM_MODEL", "")],
    )?;
    Ok((o, started.elapsed()))
}

/// Against a llama-cpp-python-like loopback server: the refused JSON Schema mode is followed by
/// one request with a GBNF grammar and a `max_tokens` bounded by the invoice schema; the answer
/// comes back with the time the document took. A model that loops to its limit is a clear
/// DK-E0503 in seconds, after one request, not re-asked.
#[test]
fn llama_cpp_python_like_server_gets_a_grammar_and_a_looping_model_fails_in_seconds() -> Result<()>
{
    let (url, seen) = llama_cpp_python_like_server(false)?;
    let dir = tempfile::tempdir()?;
    let (o, _) = extract_invoice(dir.path(), &url)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Value = serde_json::from_str(out(&o).trim())?;
    assert!(v["elapsed_ms"].as_u64().is_some(), "time per document: {v}");
    let reqs = seen.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2, "one refused, one with a grammar");
    let g = reqs[1]["grammar"].as_str().unwrap_or("");
    assert!(g.starts_with("root ::= "), "{}", reqs[1]);
    assert!(g.contains("money"), "amounts have their own rule: {g}");
    let max = reqs[1]["max_tokens"].as_u64().unwrap_or(0);
    assert!(
        (100..2000).contains(&max),
        "bounded by the schema and the page: {max}"
    );

    let (url, seen) = llama_cpp_python_like_server(true)?;
    let dir = tempfile::tempdir()?;
    let (o, took) = extract_invoice(dir.path(), &url)?;
    assert_eq!(o.status.code(), Some(1), "a person must look: {}", err(&o));
    assert!(err(&o).contains("DK-E0503"), "{}", err(&o));
    let v: Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["error"]["code"], "DK-E0503", "{v}");
    assert!(v["elapsed_ms"].as_u64().is_some(), "{v}");
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "not re-asked after the cut-off"
    );
    assert!(
        took < Duration::from_secs(20),
        "seconds, not minutes: {took:?}"
    );
    Ok(())
}
