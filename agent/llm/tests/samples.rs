//! Agreement between two samples as a confidence component (`samples = 2`), against
//! `scripted_openai_server` (a **scripted stand-in** for an OpenAI-compatible server on loopback,
//! not a model): the first request is at temperature 0, the second at a temperature above 0 with
//! a seed; where the two answers disagree the field's confidence drops below the review
//! threshold and the document goes to review; both answers are cached under keys of their own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, document, page, scripted_openai_server};
use docket_core::CheckStatus;
use docket_llm::LlmExtractor;
use docket_llm::schemas;
use serde_json::{Value, json};

fn slip() -> docket_core::Document {
    document(
        "slip.pdf",
        vec![page(
            1,
            &[
                vec![(20.0, "TRANSFER SLIP"), (300.0, "Ref: TS-2026-0042")],
                vec![(20.0, "Date:"), (120.0, "2026-03-01")],
                vec![(20.0, "Payee:"), (120.0, "Shanghai Widget Co Ltd")],
                vec![(20.0, "Amount:"), (120.0, "CNY 12,000.00")],
                vec![(20.0, "Purpose:"), (120.0, "Invoice 889 settlement")],
            ],
        )],
    )
}

/// Answers like two samples of a model: the greedy one (no `seed`) reads the purpose line, the
/// sampled one (with a `seed`) takes the slip's title for the purpose and writes the amount
/// differently (same value). Both are grounded: only agreement can tell them apart.
fn two_minded_model(_: usize, req: &Value) -> Reply {
    let sampled = req.get("seed").is_some();
    let (purpose, amount) = if sampled {
        ("TRANSFER SLIP", "12,000.00")
    } else {
        ("Invoice 889 settlement", "12000.00")
    };
    Reply::Content(
        json!({"data": {"fields": {
            "reference": "TS-2026-0042", "date": "2026-03-01", "amount": amount, "currency": "CNY",
            "payer_name": null, "payer_account": null, "payer_bank": null,
            "payee_name": "Shanghai Widget Co Ltd", "payee_account": null, "payee_bank": null,
            "purpose": purpose}}, "sources": []})
        .to_string(),
    )
}

#[test]
fn scripted_server_two_samples_that_disagree_send_the_field_to_review() {
    let srv = scripted_openai_server(two_minded_model);
    let dir = tempfile::tempdir().unwrap();
    let mut s = common::settings(&srv.url);
    s.samples = 2;
    s.cache_dir = Some(dir.path().join("cache"));
    let ex = LlmExtractor::new(s.clone()).unwrap();
    let out = ex
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();

    // Two requests: greedy first, then sampled with a seed.
    let bodies: Vec<Value> = srv
        .received()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["temperature"], json!(0));
    assert!(bodies[0].get("seed").is_none());
    assert!(bodies[1]["temperature"].as_f64().unwrap() > 0.0);
    assert_eq!(bodies[1]["seed"], json!(1));
    assert_eq!(bodies[0]["messages"], bodies[1]["messages"]);

    // The first sample's values are kept; the disagreeing field is below the threshold.
    assert_eq!(out.fields["purpose"], "Invoice 889 settlement");
    let conf = |k: &str| out.provenance[&format!("fields.{k}")].confidence;
    assert!(conf("purpose") < 0.6, "purpose {}", conf("purpose"));
    // Same amount written two ways, same text: agreement, full confidence.
    assert!(conf("amount") > 0.9, "amount {}", conf("amount"));
    assert!(conf("payee_name") > 0.9, "payee {}", conf("payee_name"));
    let c = out.checks.iter().find(|c| c.name == "confidence").unwrap();
    assert_eq!(c.status, CheckStatus::Fail, "{}", c.message);
    assert!(c.message.contains("fields.purpose"), "{}", c.message);
    assert!(!c.message.contains("fields.amount"), "{}", c.message);
    assert!(out.needs_review);
    let st = ex.stats();
    assert_eq!((st.extra_samples, st.disagreements), (1, 1), "{st:?}");
    assert_eq!(ex.usage().calls, 2);

    // A re-run is answered from the cache, both samples (keys include the sample index).
    let again = LlmExtractor::new(s).unwrap();
    let second = again
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 2, "the re-run made a request");
    assert_eq!(again.stats().cache_hits, 2);
    assert_eq!(second, out);
}

#[test]
fn scripted_server_two_samples_that_agree_raise_confidence_above_one_sample() {
    // The stand-in answers the same whatever the temperature.
    let same = |_: usize, _: &Value| two_minded_model(0, &json!({}));
    let srv = scripted_openai_server(same);
    let mut s = common::settings(&srv.url);
    let one = LlmExtractor::new(s.clone())
        .unwrap()
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 1, "one sample is one request");
    s.samples = 2;
    let two = LlmExtractor::new(s)
        .unwrap()
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 3);
    assert!(!two.needs_review, "{:?}", two.checks);
    for (path, p) in &two.provenance {
        assert!(
            p.confidence > one.provenance[path].confidence,
            "{path}: {} vs {}",
            p.confidence,
            one.provenance[path].confidence
        );
    }
}

#[test]
fn samples_other_than_one_or_two_are_refused() {
    let mut s = common::settings("http://127.0.0.1:9/v1");
    s.samples = 3;
    let e = LlmExtractor::new(s).unwrap_err().to_string();
    assert!(e.contains("samples must be 1 or 2"), "{e}");
}
