//! `cargo run --release -p docket-llm --example bench`: grounding verification speed (values/s)
//! and model calls / tokens per document with and without layout templates, against an in-process
//! loopback HTTP responder that answers every request with a fixed mapping or an echo of the
//! document's values (a stand-in for the model: only calls and request sizes are measured, and
//! tokens are estimated as prompt bytes / 4 because the stand-in does not tokenize).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_core::{BBox, Document, Page, SourceInfo, TextOrigin, Word};
use docket_llm::grounding::{Index, verify};
use docket_llm::{LlmExtractor, LlmSettings, schemas};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn page(number: u32, lines: &[Vec<(f32, String)>]) -> Page {
    let mut words = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let y = 40.0 + 14.0 * i as f32;
        for (x, text) in line {
            let mut x = *x;
            for w in text.split(' ') {
                let width = 6.0 * w.chars().count() as f32;
                words.push(Word {
                    text: w.into(),
                    bbox: BBox::new(x, y, x + width, y + 10.0),
                    confidence: 1.0,
                });
                x += width + 4.0;
            }
        }
    }
    Page {
        number,
        width: 600.0,
        height: 800.0,
        origin: TextOrigin::TextLayer,
        words,
        deskew_degrees: 0.0,
    }
}

fn statement(path: &str, pages: usize, seed: u64) -> Document {
    let mut out = Vec::new();
    let mut balance: i64 = 10_000_000;
    for p in 0..pages {
        let mut lines = vec![vec![
            (20.0, "Date".to_string()),
            (100.0, "Description".into()),
            (300.0, "Debit".into()),
            (380.0, "Credit".into()),
            (460.0, "Balance".into()),
        ]];
        if p == 0 {
            lines.insert(
                0,
                vec![
                    (20.0, "Account No:".into()),
                    (140.0, format!("62220212345678{seed:05}")),
                ],
            );
        }
        for i in 0..30u64 {
            let c = ((seed * 31 + p as u64 * 97 + i * 1_379) % 90_000 + 100) as i64;
            let debit = i % 3 != 0;
            balance += if debit { -c } else { c };
            let m = |c: i64| format!("{}.{:02}", c / 100, c % 100);
            lines.push(vec![
                (20.0, format!("2026-03-{:02}", 1 + i % 28)),
                (100.0, format!("Payment ref {p}-{i}")),
                if debit { (300.0, m(c)) } else { (380.0, m(c)) },
                (460.0, m(balance)),
            ]);
        }
        out.push(page(p as u32 + 1, &lines));
    }
    Document {
        source: SourceInfo {
            path: path.into(),
            sha256: format!("{seed:064}"),
            kind: "pdf".into(),
        },
        pages: out,
        sheets: vec![],
    }
}

/// A loopback HTTP/1.1 responder: template requests get the mapping, extraction requests an
/// empty statement. Counts requests and request bytes.
fn responder(requests: Arc<AtomicU64>, bytes: Arc<AtomicU64>) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let mut s = s.unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            let body = loop {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let t = String::from_utf8_lossy(&got).to_string();
                if let Some(h) = t.find("\r\n\r\n") {
                    let len: usize = t[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if got.len() >= h + 4 + len {
                        break got[h + 4..].to_vec();
                    }
                }
            };
            requests.fetch_add(1, Ordering::SeqCst);
            bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
            let req: Value = serde_json::from_slice(&body).unwrap();
            let content = if req["response_format"]["json_schema"]["name"] == "template" {
                json!({"columns": [
                    {"column": 0, "field": "date", "negate": false}, {"column": 1, "field": "description", "negate": false},
                    {"column": 2, "field": "amount", "negate": true}, {"column": 3, "field": "amount", "negate": false},
                    {"column": 4, "field": "balance", "negate": false}],
                    "header_fields": [{"field": "account_number", "label": "Account No:"}]})
            } else {
                json!({"data": {"fields": {"account_holder": null, "account_number": null, "currency": null, "period_start": null, "period_end": null, "opening_balance": null, "closing_balance": null}, "records": []}})
            };
            let resp = json!({"choices": [{"message": {"role": "assistant", "content": content.to_string()}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": body.len() / 4, "completion_tokens": content.to_string().len() / 4}}).to_string();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{resp}",
                resp.len()
            );
        }
    });
    format!("http://{addr}/v1")
}

fn main() {
    // 1. Grounding speed.
    let doc = statement("g.pdf", 100, 7);
    let t = Instant::now();
    let ix = Index::new(&doc);
    let index_ms = t.elapsed().as_secs_f64() * 1e3;
    let values: Vec<Value> = doc
        .pages
        .iter()
        .flat_map(|p| p.words.iter())
        .filter(|w| w.text.contains('.'))
        .map(|w| json!(w.text.replace(',', "")))
        .collect();
    let mut v = Value::Array(values.clone());
    let t = Instant::now();
    let verdict = verify(&ix, &mut v, "v");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "grounding: index of 100 pages ({} words) in {index_ms:.1} ms; {} values verified in {:.1} ms = {:.0} values/s ({} ungrounded)",
        doc.pages.iter().map(|p| p.words.len()).sum::<usize>(),
        values.len(),
        secs * 1e3,
        values.len() as f64 / secs,
        verdict.ungrounded.len()
    );

    // 2. Calls and tokens per document.
    let schema = schemas::by_name("bank_statement").unwrap();
    for (label, templates, max_chars) in [
        ("templates", true, 12_000),
        ("no templates, chunked", false, 12_000),
        ("naive: one call per page", false, 1),
    ] {
        let (rq, by) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let url = responder(rq.clone(), by.clone());
        let mut s = LlmSettings::new(&url, "bench");
        s.templates = templates;
        s.max_prompt_chars = max_chars;
        let ex = LlmExtractor::new(s).unwrap();
        let t = Instant::now();
        ex.extract(
            &statement("new-layout.pdf", 100, 1),
            "bank_statement",
            &schema,
        )
        .unwrap();
        let one = t.elapsed().as_secs_f64();
        let (r1, b1) = (rq.load(Ordering::SeqCst), by.load(Ordering::SeqCst));
        let t = Instant::now();
        for d in 0..20 {
            ex.extract(
                &statement(&format!("batch-{d}.pdf"), 1 + d % 5, 100 + d as u64),
                "bank_statement",
                &schema,
            )
            .unwrap();
        }
        let batch = t.elapsed().as_secs_f64();
        let pages: usize = (0..20).map(|d| 1 + d % 5).sum();
        let (r2, b2) = (
            rq.load(Ordering::SeqCst) - r1,
            by.load(Ordering::SeqCst) - b1,
        );
        println!(
            "{label}: 100-page statement of a new layout: {r1} call(s), ~{} prompt tokens, {:.1} ms/page wall (stand-in model ≈0); batch of 20 statements ({pages} pages, same layout): {r2} call(s), ~{} prompt tokens, {:.1} ms/page",
            b1 / 4,
            one * 1e3 / 100.0,
            b2 / 4,
            batch * 1e3 / pages as f64
        );
    }
}
