//! The whole extractor against `scripted_openai_server` (a stand-in that answers like a model
//! would, so the tests can count requests and read the exact bytes sent): redaction on the wire,
//! restoration and grounding of the answer, layout templates (a 300-row statement costs one
//! call; a second statement of the layout none), the response cache and the prompt log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, document, page, prompt_of, scripted_openai_server};
use docket_llm::LlmExtractor;
use docket_llm::schemas;
use serde_json::{Value, json};

const ACCOUNT: &str = "6222 0212 3456 7890";
const PAYEE_ACCOUNT: &str = "6217001234567890123";
const PRC_ID: &str = "11010519491231002X";
const PHONE: &str = "13812345678";
const EMAIL: &str = "zhang.san@example.com";

fn slip() -> docket_core::Document {
    document(
        "slip.pdf",
        vec![page(
            1,
            &[
                vec![(20.0, "TRANSFER SLIP"), (300.0, "Ref: TS-2026-0042")],
                vec![(20.0, "Date:"), (120.0, "2026年3月1日")],
                vec![(20.0, "Payer:"), (120.0, "Zhang San")],
                vec![(20.0, "Payer account:"), (160.0, ACCOUNT)],
                vec![(20.0, "ID number:"), (160.0, PRC_ID)],
                vec![(20.0, "Phone:"), (160.0, PHONE), (300.0, EMAIL)],
                vec![(20.0, "Payee:"), (120.0, "Shanghai Widget Co Ltd")],
                vec![(20.0, "Payee account:"), (160.0, PAYEE_ACCOUNT)],
                vec![
                    (20.0, "Amount:"),
                    (120.0, "¥12,000.00"),
                    (300.0, "壹万贰仟元整"),
                ],
                vec![(20.0, "Purpose:"), (120.0, "Invoice 889 settlement")],
            ],
        )],
    )
}

/// Answers like a model that copies the placeholders it was shown.
fn slip_model(invent: bool) -> impl Fn(usize, &Value) -> Reply {
    move |_, req| {
        let p = prompt_of(req);
        let ph = |kind: &str| {
            let start = p.find(&format!("[{kind}_")).unwrap();
            p[start..start + p[start..].find(']').unwrap() + 1].to_string()
        };
        let amount = if invent { "15000.00" } else { "12000.00" };
        Reply::Content(
            json!({"data": {"fields": {
                "reference": "TS-2026-0042", "date": "2026-03-01", "amount": amount, "currency": "CNY",
                "payer_name": ph("NAME"), "payer_account": ph("ACCT"), "payer_bank": null,
                "payee_name": "Shanghai Widget Co Ltd", "payee_account": "[ACCT_2]", "payee_bank": null,
                "purpose": "Invoice 889 settlement"}},
                "sources": [{"field": "fields.amount", "text": "¥12,000.00"}]})
            .to_string(),
        )
    }
}

fn settings(url: &str) -> docket_llm::LlmSettings {
    let mut s = common::settings(url);
    s.redact_names = vec!["Zhang San".into()];
    s
}

#[test]
fn personal_data_never_reaches_the_server_and_comes_back_restored() {
    let srv = scripted_openai_server(slip_model(false));
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&srv.url);
    s.prompt_log = Some(dir.path().join("prompts.jsonl"));
    let ex = LlmExtractor::new(s).unwrap();
    let out = ex
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 1);
    let sent = String::from_utf8(srv.all_bytes()).unwrap();
    let log = std::fs::read_to_string(dir.path().join("prompts.jsonl")).unwrap();
    for secret in [
        ACCOUNT,
        "6222",
        PAYEE_ACCOUNT,
        PRC_ID,
        PHONE,
        EMAIL,
        "Zhang San",
    ] {
        assert!(!sent.contains(secret), "{secret} was sent: {sent}");
        assert!(!log.contains(secret), "{secret} is in the prompt log");
    }
    assert!(sent.contains("[ACCT_1]") && sent.contains("[ID_1]") && sent.contains("[PHONE_1]"));
    assert!(sent.contains("[EMAIL_1]") && sent.contains("[NAME_1]"));
    assert!(log.contains("prompt_sha256") && log.contains("[ACCT_1]"));
    // Restored and grounded.
    assert_eq!(out.fields["payer_name"], "Zhang San");
    assert_eq!(out.fields["payer_account"], ACCOUNT);
    assert_eq!(out.fields["payee_account"], PAYEE_ACCOUNT);
    assert_eq!(out.fields["amount"], "12000.00");
    assert_eq!(out.provenance["fields.amount"].text, "¥12,000.00");
    assert_eq!(out.provenance["fields.payer_account"].page, 1);
    assert!(
        out.provenance["fields.amount"]
            .extractor
            .starts_with("llm:")
    );
    assert!(!out.needs_review, "{:?}", out.checks);
}

#[test]
fn an_invented_amount_is_dropped_and_sent_to_review() {
    let srv = scripted_openai_server(slip_model(true));
    let ex = LlmExtractor::new(settings(&srv.url)).unwrap();
    let out = ex
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert!(out.fields["amount"].is_null());
    assert!(!out.provenance.contains_key("fields.amount"));
    let g = out.checks.iter().find(|c| c.name == "grounding").unwrap();
    assert_eq!(g.status, docket_core::CheckStatus::Fail);
    assert!(
        g.message.contains("fields.amount = \"15000.00\""),
        "{}",
        g.message
    );
    assert!(out.needs_review);
    assert_eq!(ex.stats().ungrounded, 1);
}

#[test]
fn no_redact_is_refused_for_remote_endpoints() {
    let mut s = settings("https://llm.example.invalid/v1");
    s.no_redact = true;
    assert!(LlmExtractor::new(s).is_err());
}

#[test]
fn the_cache_answers_a_rerun_without_requests() {
    let srv = scripted_openai_server(slip_model(false));
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&srv.url);
    s.cache_dir = Some(dir.path().join("cache"));
    let first = LlmExtractor::new(s.clone())
        .unwrap()
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 1);
    let again = LlmExtractor::new(s).unwrap();
    let second = again
        .extract(&slip(), "transfer_slip", &schemas::transfer_slip())
        .unwrap();
    assert_eq!(srv.count(), 1, "the second run made a request");
    assert_eq!(again.stats().cache_hits, 1);
    assert_eq!(again.usage().requests, 0);
    assert_eq!(first, second);
}

/// A statement of `rows` rows, 30 per page, the header repeated on every page.
fn statement(path: &str, rows: usize, seed: u32) -> docket_core::Document {
    let mut pages = Vec::new();
    let mut balance = 100_000i64 * 100;
    let mut lines: Vec<Vec<(f32, String)>> = Vec::new();
    let header = |lines: &mut Vec<Vec<(f32, String)>>| {
        lines.push(vec![
            (20.0, "Date".into()),
            (100.0, "Description".into()),
            (300.0, "Debit".into()),
            (380.0, "Credit".into()),
            (460.0, "Balance".into()),
        ]);
    };
    lines.push(vec![
        (20.0, "Account Holder:".into()),
        (140.0, "Li Lei".into()),
    ]);
    lines.push(vec![
        (20.0, "Account No:".into()),
        (140.0, "6222021234567890123".into()),
    ]);
    header(&mut lines);
    for i in 0..rows {
        let cents = i64::from(seed) * 7 + (i as i64 * 1_379) % 90_000 + 100;
        let debit = i % 3 != 0;
        balance += if debit { -cents } else { cents };
        let money = |c: i64| format!("{}.{:02}", c / 100, c % 100);
        let day = 1 + (i % 28);
        let mut row = vec![
            (20.0, format!("2026-03-{day:02}")),
            (100.0, format!("Payment ref {seed}-{i}")),
        ];
        row.push(if debit {
            (300.0, money(cents))
        } else {
            (380.0, money(cents))
        });
        row.push((460.0, money(balance)));
        lines.push(row);
        if lines.len() >= 32 || i + 1 == rows {
            let borrowed: Vec<Vec<(f32, &str)>> = lines
                .iter()
                .map(|l| l.iter().map(|(x, t)| (*x, t.as_str())).collect())
                .collect();
            pages.push(page(pages.len() as u32 + 1, &borrowed));
            lines.clear();
            header(&mut lines);
        }
    }
    document(path, pages)
}

fn template_model() -> impl Fn(usize, &Value) -> Reply {
    |_, req| {
        assert_eq!(
            req["response_format"]["json_schema"]["name"], "template",
            "only template requests expected"
        );
        Reply::Content(
            json!({
                "columns": [
                    {"column": 0, "field": "date", "negate": false},
                    {"column": 1, "field": "description", "negate": false},
                    {"column": 2, "field": "amount", "negate": true},
                    {"column": 3, "field": "amount", "negate": false},
                    {"column": 4, "field": "balance", "negate": false}],
                "header_fields": [
                    {"field": "account_holder", "label": "Account Holder:"},
                    {"field": "account_number", "label": "Account No:"}]
            })
            .to_string(),
        )
    }
}

#[test]
fn a_300_row_statement_costs_one_call_and_the_next_none() {
    let srv = scripted_openai_server(template_model());
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&srv.url);
    s.templates_dir = Some(dir.path().join("templates"));
    let schema = schemas::by_name("bank_statement").unwrap();
    let ex = LlmExtractor::new(s.clone()).unwrap();
    let out = ex
        .extract(&statement("a.pdf", 300, 1), "bank_statement", &schema)
        .unwrap();
    assert_eq!(srv.count(), 1);
    assert_eq!(out.records.len(), 300);
    assert!(out.source.pages >= 10);
    assert_eq!(out.fields["account_holder"], "Li Lei");
    assert_eq!(out.fields["account_number"], "6222021234567890123");
    let r1 = &out.records[1];
    assert_eq!(r1["date"], "2026-03-02");
    assert!(
        r1["amount"].as_str().unwrap().starts_with('-'),
        "debits are negative: {r1}"
    );
    assert!(
        out.records[0]["amount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    assert!(
        out.provenance["records[299].amount"]
            .extractor
            .starts_with("template:")
    );
    assert!(!out.needs_review, "{:?}", out.checks);
    // The account number never left the process in the one request.
    assert!(
        !String::from_utf8(srv.all_bytes())
            .unwrap()
            .contains("6222021234567890123")
    );

    // A second statement of the layout: zero calls, in this process and in a new one.
    let out2 = ex
        .extract(&statement("b.pdf", 120, 2), "bank_statement", &schema)
        .unwrap();
    assert_eq!(out2.records.len(), 120);
    let fresh = LlmExtractor::new(s).unwrap();
    let out3 = fresh
        .extract(&statement("c.pdf", 45, 3), "bank_statement", &schema)
        .unwrap();
    assert_eq!(out3.records.len(), 45);
    assert_eq!(srv.count(), 1, "a seen layout made a model call");
    assert_eq!(fresh.stats().template_hits, 1);
    assert_eq!(fresh.usage().requests, 0);
}
