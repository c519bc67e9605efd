//! The `llm:` block of an `extract` step: typed plan values with their defaults, the fingerprint
//! of flows without it unchanged, and every rule with its code, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use docket_workflow::{Action, LlmPlan, Problem, load, render_problems};

/// A workflow whose extract step (line 7) carries `extra` (keys of the extract mapping, written
/// from column 7 on line 8 onwards).
fn flow(extra: &str) -> String {
    format!(
        "version: 1
name: demo
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract:
      from: inbox
      schema: invoice
{extra}"
    )
}

fn llm(extra: &str) -> Option<LlmPlan> {
    let yaml = flow(extra);
    let plan = load(&yaml, Path::new("/flows"))
        .unwrap_or_else(|p| panic!("{}", render_problems("t.yaml", &yaml, &p)));
    match &plan.steps[1].action {
        Action::Extract(e) => e.llm.clone(),
        other => panic!("not an extract step: {other:?}"),
    }
}

fn problems(extra: &str) -> Vec<Problem> {
    match load(&flow(extra), Path::new("/flows")) {
        Ok(_) => panic!("expected problems with:\n{extra}"),
        Err(p) => p,
    }
}

fn summary(extra: &str) -> Vec<(&'static str, usize, usize, String)> {
    problems(extra)
        .into_iter()
        .map(|p| (p.code, p.line, p.column, p.path))
        .collect()
}

#[test]
fn full_block_resolves_with_types() {
    let l = llm("      llm:
        url: http://127.0.0.1:8080/v1
        model: gemma3
        api_key_secret: llm_key
        redact: false
        timeout: 60s
        min_confidence: 0.75
        samples: 2
")
    .unwrap();
    assert_eq!(
        l,
        LlmPlan {
            url: Some("http://127.0.0.1:8080/v1".into()),
            model: Some("gemma3".into()),
            api_key_secret: Some("llm_key".into()),
            redact: false,
            timeout: Some(Duration::from_secs(60)),
            min_confidence: Some(0.75),
            samples: Some(2),
        }
    );
}

#[test]
fn empty_block_takes_defaults_and_no_block_keeps_the_fingerprint() {
    let l = llm("      llm: {}\n").unwrap();
    assert_eq!(
        l,
        LlmPlan {
            url: None,
            model: None,
            api_key_secret: None,
            redact: true,
            timeout: None,
            min_confidence: None,
            samples: None,
        }
    );
    assert_eq!(llm(""), None);
    let plain = load(&flow(""), Path::new("/flows")).unwrap();
    assert!(!plain.canonical_json().contains("llm"));
    let with = load(&flow("      llm: {}\n"), Path::new("/flows")).unwrap();
    assert_ne!(plain.fingerprint(), with.fingerprint());
    // Integer confidences are numbers too.
    assert_eq!(
        llm("      llm: { min_confidence: 1 }\n")
            .unwrap()
            .min_confidence,
        Some(1.0)
    );
}

#[test]
fn samples_is_one_or_two() {
    assert_eq!(llm("      llm: { samples: 1 }\n").unwrap().samples, Some(1));
    for bad in ["3", "0", "two"] {
        let p = summary(&format!("      llm: {{ samples: {bad} }}\n"));
        assert_eq!(p.len(), 1, "samples: {bad}: {p:?}");
        assert_eq!(
            p[0].3, "steps[1].extract.llm.samples",
            "samples: {bad}: {p:?}"
        );
    }
}

#[test]
fn credentials_in_the_url_are_refused_without_echoing_them() {
    let p = problems("      llm:\n        url: https://bob:hunter2@llm.bank.example/v1\n");
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].code, p[0].line, p[0].column), ("W029", 11, 14));
    assert_eq!(p[0].path, "steps[1].extract.llm.url");
    assert!(!p[0].message.contains("hunter2"));
    let rendered = render_problems(
        "t.yaml",
        &flow("      llm:\n        url: https://bob:hunter2@llm.bank.example/v1\n"),
        &p,
    );
    assert!(!rendered.contains("hunter2"), "{rendered}");
}

#[test]
fn redact_false_only_towards_this_machine() {
    assert_eq!(
        summary("      llm:\n        url: https://llm.bank.example/v1\n        redact: false\n"),
        vec![("W033", 12, 17, "steps[1].extract.llm.redact".to_owned())]
    );
    assert_eq!(
        summary("      llm: { redact: false }\n"),
        vec![("W033", 10, 22, "steps[1].extract.llm.redact".to_owned())]
    );
    for url in [
        "http://localhost:11434/v1",
        "http://127.0.0.1:8080/v1",
        "http://[::1]:8000/v1",
    ] {
        let l = llm(&format!("      llm: {{ url: '{url}', redact: false }}\n")).unwrap();
        assert!(!l.redact);
    }
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let extra = "      llm:
        url: ftp://llm.bank.example/v1
        model: ' '
        api_key_secret: Bad Name
        timeout: 60
        min_confidence: 1.5
        temperature: 0
";
    assert_eq!(
        summary(extra),
        vec![
            ("W028", 11, 14, "steps[1].extract.llm.url".to_owned()),
            ("W025", 12, 16, "steps[1].extract.llm.model".to_owned()),
            (
                "W025",
                13,
                25,
                "steps[1].extract.llm.api_key_secret".to_owned()
            ),
            ("W026", 14, 18, "steps[1].extract.llm.timeout".to_owned()),
            (
                "W023",
                15,
                25,
                "steps[1].extract.llm.min_confidence".to_owned()
            ),
            ("W002", 16, 9, "steps[1].extract.llm.temperature".to_owned()),
        ]
    );
    assert_eq!(
        summary("      llm: { min_confidence: high }\n"),
        vec![(
            "W003",
            10,
            30,
            "steps[1].extract.llm.min_confidence".to_owned()
        )]
    );
}

#[test]
fn api_key_over_plain_http_to_another_machine_is_refused() {
    assert_eq!(
        summary("      llm: { url: 'http://llm.bank.example/v1', api_key_secret: llm_key }\n"),
        vec![("W032", 10, 19, "steps[1].extract.llm.url".to_owned())]
    );
    assert!(
        llm("      llm: { url: 'https://llm.bank.example/v1', api_key_secret: llm_key }\n")
            .is_some()
    );
}
