//! Against a real local model served by llama.cpp on loopback (opt-in). Runs when
//! `DOCKET_TEST_LLM_URL` (and optionally `DOCKET_TEST_LLM_MODEL`) points at a server, or when
//! `installer/llm.sh` has installed one (then the test starts it on a free port); otherwise each
//! test prints why it skipped. The shipped model is Gemma 3 270M: it hallucinates, which the
//! tests use — an amount it must invent is rejected by the grounding verifier.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{document, page};
use docket_llm::{LlmClient, LlmExtractor, Message};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Server {
    url: String,
    model: String,
    _child: Option<Child>,
}

fn server() -> Option<&'static Server> {
    static S: OnceLock<Option<Server>> = OnceLock::new();
    S.get_or_init(|| {
        if let Ok(url) = std::env::var("DOCKET_TEST_LLM_URL") {
            let model =
                std::env::var("DOCKET_TEST_LLM_MODEL").unwrap_or_else(|_| "gemma3-270m".into());
            return Some(Server {
                url,
                model,
                _child: None,
            });
        }
        let home = std::env::var("DOCKET_LLM_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(".cache/docket/llm")
            });
        let cmd = std::fs::read_to_string(home.join("server-command")).ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if let Some(i) = parts.iter().position(|p| p == "--port") {
            parts[i + 1] = port.to_string();
        }
        // The server lives in a static that is never dropped, so a small shell watches this test
        // process and stops the server within a second of its exit (no server is left behind).
        let child = Command::new("sh")
            .arg("-c")
            .arg(
                r#"parent=$1; shift; "$@" & srv=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$srv" 2>/dev/null; do sleep 1; done
kill "$srv" 2>/dev/null; wait"#,
            )
            .arg("sh")
            .arg(std::process::id().to_string())
            .args(&parts)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let url = format!("http://127.0.0.1:{port}/v1");
        let deadline = Instant::now() + Duration::from_secs(180);
        while Instant::now() < deadline {
            if reqwest::blocking::get(format!("{url}/models"))
                .is_ok_and(|r| r.status().is_success())
            {
                return Some(Server {
                    url,
                    model: "gemma3-270m".into(),
                    _child: Some(child),
                });
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "the llama.cpp server from {} did not come up within 180 s",
            home.display()
        );
    })
    .as_ref()
}

macro_rules! need_server {
    () => {
        match server() {
            Some(s) => s,
            None => {
                eprintln!(
                    "SKIPPED: no real model (set DOCKET_TEST_LLM_URL or run installer/llm.sh)"
                );
                return;
            }
        }
    };
}

fn settings(s: &Server) -> docket_llm::LlmSettings {
    let mut st = docket_llm::LlmSettings::new(&s.url, &s.model);
    st.client.timeout = Duration::from_secs(600);
    st.client.concurrency = 1;
    st.client.max_tokens = 512;
    st
}

#[test]
fn the_client_gets_schema_constrained_json() {
    let s = need_server!();
    let c = LlmClient::new(settings(s).client).unwrap();
    let schema = json!({"type": "object", "required": ["city", "year"], "additionalProperties": false,
        "properties": {"city": {"type": "string"}, "year": {"type": "integer"}}});
    let a = c
        .chat_json(
            &[Message::new(
                "user",
                "The bank opened in Shanghai in 1908. Give city and year as JSON.",
            )],
            "t",
            &schema,
        )
        .unwrap();
    assert!(
        a.value["city"].is_string() && a.value["year"].is_i64(),
        "{}",
        a.value
    );
    let u = c.usage();
    assert!(
        u.prompt_tokens > 0 && u.completion_tokens > 0 && u.calls == 1,
        "{u:?}"
    );
}

/// A letter with no digits at all and a schema that demands an amount: whatever amount the model
/// writes is invented, and the verifier must refuse it.
#[test]
fn an_invented_amount_is_rejected_by_the_verifier() {
    let s = need_server!();
    let doc = document(
        "letter.pdf",
        vec![page(
            1,
            &[
                vec![(20.0, "Dear customer,")],
                vec![(
                    20.0,
                    "thank you for your enquiry about our transfer services.",
                )],
                vec![(20.0, "A representative will contact you next week.")],
                vec![(20.0, "Kind regards, Riverside Bank")],
            ],
        )],
    );
    let schema = json!({"type": "object", "required": ["fields"], "properties": {"fields": {
        "type": "object", "required": ["amount", "sender"], "additionalProperties": false,
        "properties": {
            "amount": {"type": "number", "description": "Transfer amount."},
            "sender": {"type": ["string", "null"]}}}}});
    let ex = LlmExtractor::new(settings(s)).unwrap();
    let out = ex.extract(&doc, "letter_amount", &schema).unwrap();
    assert!(
        out.fields["amount"].is_null(),
        "an invented amount was written: {}",
        out.fields
    );
    let g = out.checks.iter().find(|c| c.name == "grounding").unwrap();
    assert_eq!(g.status, docket_core::CheckStatus::Fail, "{}", g.message);
    assert!(g.message.contains("fields.amount"), "{}", g.message);
    assert!(out.needs_review);
    eprintln!("rejected: {}", g.message);
}

/// The whole path on a transfer slip: every value that survives is in the document with its box.
#[test]
fn a_transfer_slip_extracts_grounded_values_only() {
    let s = need_server!();
    let doc = document(
        "slip.pdf",
        vec![page(
            1,
            &[
                vec![(20.0, "TRANSFER SLIP"), (300.0, "Ref: TS-2026-0042")],
                vec![(20.0, "Date:"), (120.0, "2026-03-01")],
                vec![(20.0, "Payer:"), (120.0, "Zhang San")],
                vec![(20.0, "Payer account:"), (160.0, "6222 0212 3456 7890")],
                vec![(20.0, "Payee:"), (120.0, "Shanghai Widget Co Ltd")],
                vec![(20.0, "Amount:"), (120.0, "CNY 12,000.00")],
            ],
        )],
    );
    let ex = LlmExtractor::new(settings(s)).unwrap();
    let out = ex
        .extract(&doc, "transfer_slip", &docket_llm::schemas::transfer_slip())
        .unwrap();
    let fields = out.fields.as_object().unwrap();
    let mut kept = 0;
    for (k, v) in fields {
        if v.is_null() {
            continue;
        }
        kept += 1;
        let p = &out.provenance[&format!("fields.{k}")];
        assert_eq!(p.page, 1);
        assert!(p.extractor.starts_with("llm:"));
    }
    eprintln!(
        "kept {kept} grounded value(s): {}",
        Value::Object(fields.clone())
    );
    assert_eq!(ex.usage().calls, 1);
}
