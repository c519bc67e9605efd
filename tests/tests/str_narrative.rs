//! The STR narrative drafted by an LLM and fact-checked: a `scripted_openai_server` (a stand-in
//! for the model, on loopback: axum answering OpenAI-compatible chat completions with prepared
//! sentences, because the point here is the checker, not the model's prose) returns two sentences
//! that state case facts and two that invent an amount and a date. The goAML report keeps only the
//! first two, the other two are reported and recorded in the ledger, counterparty names never
//! reach the server, and an endpoint that fails leaves the template narrative in place.

#![allow(clippy::expect_used)] // the server thread: a panic is the failure report

mod common;

use anyhow::Result;
use common::{docket, err, out};
use std::sync::{Arc, Mutex};

const ENTITY: [(&str, &str); 2] = [
    ("DOCKET_RENTITY_ID", "1234"),
    ("DOCKET_RENTITY_NAME", "Example Bank"),
];

const SENTENCES: [&str; 4] = [
    "Between 2026-03-10 and 2026-03-11 account MULE received 96,000.00 CNY from 12 payers.",
    "MULE then sent 90000.00 CNY onward to OUT01.",
    "MULE also received 250,000.00 CNY in cash.",
    "On 2026-03-15 PAYER07 met the account holder.",
];

/// Scripted OpenAI-compatible endpoint: records request bodies; `fail` answers 500 to all.
fn scripted_openai_server(fail: bool) -> Result<(String, Arc<Mutex<Vec<String>>>)> {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |body: String| {
            let log = log.clone();
            async move {
                log.lock().expect("lock").push(body);
                if fail {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new());
                }
                let content = serde_json::json!({ "sentences": SENTENCES }).to_string();
                let answer = serde_json::json!({
                    "id": "x", "object": "chat.completion", "model": "scripted",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
                });
                (axum::http::StatusCode::OK, answer.to_string())
            }
        }),
    );
    let addr = common::serve_loopback(app)?;
    Ok((format!("http://{addr}/v1"), seen))
}

fn str_goaml(data: &str, xml: &str, extra: &[(&str, &str)]) -> Result<std::process::Output> {
    let mut env = ENTITY.to_vec();
    env.extend_from_slice(extra);
    docket(
        &[
            "--data-dir",
            data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "goaml",
            "--output",
            xml,
        ],
        &env,
    )
}

#[test]
fn llm_narrative_keeps_only_sentences_that_state_case_facts() -> Result<()> {
    let (url, seen) = scripted_openai_server(false)?;
    let dir = tempfile::tempdir()?;
    let data = common::screened(dir.path(), &common::planted_fan_in_csv("Mule Trading"))?;
    let xml = dir.path().join("str.xml").display().to_string();
    let o = str_goaml(
        &data,
        &xml,
        &[("DOCKET_LLM_URL", &url), ("DOCKET_LLM_MODEL", "scripted")],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = std::fs::read_to_string(&xml)?;
    assert!(text.contains(SENTENCES[0]), "{text}");
    assert!(text.contains(SENTENCES[1]), "{text}");
    assert!(
        !text.contains("250,000.00") && !text.contains("2026-03-15"),
        "{text}"
    );
    assert_eq!(
        err(&o).matches("narrative sentence removed").count(),
        2,
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("250,000.00 is not an amount"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("date 2026-03-15 is not a day of the case"),
        "{}",
        err(&o)
    );

    // The model saw the case's facts, but not the counterparty's name.
    let bodies = seen.lock().map(|b| b.clone()).unwrap_or_default();
    assert!(!bodies.is_empty());
    assert!(
        bodies.iter().all(|b| !b.contains("Mule Trading")),
        "name left the process"
    );
    assert!(
        bodies.iter().any(|b| b.contains("96000.00")),
        "facts were sent"
    );

    let conn = rusqlite::Connection::open(std::path::Path::new(&data).join("docket.db"))?;
    let payload: String = conn.query_row(
        "SELECT payload FROM ledger WHERE kind = 'str_drafted' ORDER BY seq DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let p: serde_json::Value = serde_json::from_str(&payload)?;
    assert_eq!(p["narrative"], "llm");
    assert_eq!(p["narrative_removed"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[test]
fn without_a_working_llm_the_template_narrative_stands() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(dir.path(), &common::planted_fan_in_csv("Mule Trading"))?;
    let xml = dir.path().join("str.xml").display().to_string();
    // Asked for explicitly with no endpoint: refused.
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "goaml",
            "--output",
            &xml,
            "--narrative",
            "llm",
        ],
        &ENTITY,
    )?;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(err(&o).contains("DOCKET_LLM_URL"), "{}", err(&o));
    // An endpoint that fails: the template narrative, with a warning.
    let (url, seen) = scripted_openai_server(true)?;
    let o = str_goaml(&data, &xml, &[("DOCKET_LLM_URL", &url)])?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("using the template narrative"),
        "{}",
        err(&o)
    );
    assert!(!seen.lock().map(|b| b.is_empty()).unwrap_or(true));
    let text = std::fs::read_to_string(&xml)?;
    assert!(
        text.contains("totalling 96000.00 CNY"),
        "template narrative: {text}"
    );
    Ok(())
}
