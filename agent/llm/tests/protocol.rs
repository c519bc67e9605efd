//! The client against `scripted_openai_server` (a stand-in for protocol edge cases, see
//! tests/common): timeouts, 429 with Retry-After, 500s, malformed bodies, schema violations,
//! answers cut off at the token limit (an immediate failure), truncated bodies, servers without
//! `json_schema` (a GBNF grammar, then `json_object`), `max_tokens` bounded by the schema, the concurrency limit, the key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, scripted_openai_server};
use docket_llm::{ApiKey, LlmClient, LlmError, Message};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::Duration;

fn schema() -> Value {
    json!({"type": "object", "required": ["amount"], "additionalProperties": false,
           "properties": {"amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"}}})
}

fn msgs() -> Vec<Message> {
    vec![Message::new("user", "What is the amount?")]
}

fn client(url: &str, f: impl FnOnce(&mut docket_llm::ClientConfig)) -> LlmClient {
    let mut s = common::settings(url);
    f(&mut s.client);
    LlmClient::new(s.client).unwrap()
}

const GOOD: &str = r#"{"amount": "12.50"}"#;

#[test]
fn a_timeout_is_retried() {
    let srv = scripted_openai_server(|i, _| {
        if i == 0 {
            Reply::Delay(
                Duration::from_secs(5),
                Box::new(Reply::Content(GOOD.into())),
            )
        } else {
            Reply::Content(GOOD.into())
        }
    });
    let c = client(&srv.url, |c| c.timeout = Duration::from_millis(800));
    let a = c.chat_json(&msgs(), "t", &schema()).unwrap();
    assert_eq!(a.value["amount"], "12.50");
    assert_eq!(srv.count(), 2);
    let u = c.usage();
    assert_eq!((u.requests, u.retries, u.calls), (2, 1, 1));
}

#[test]
fn status_429_waits_for_retry_after() {
    let srv = scripted_openai_server(|i, _| {
        if i == 0 {
            Reply::Raw(429, vec![("retry-after", "2".into())], "slow down".into())
        } else {
            Reply::Content(GOOD.into())
        }
    });
    // Backoff of 5 ms: only Retry-After can explain a pause of two seconds.
    let c = client(&srv.url, |_| {});
    c.chat_json(&msgs(), "t", &schema()).unwrap();
    let r = srv.received();
    assert_eq!(r.len(), 2);
    assert!(
        r[1].at.duration_since(r[0].at) >= Duration::from_millis(1900),
        "second try came {:?} after the 429",
        r[1].at.duration_since(r[0].at)
    );
}

#[test]
fn repeated_500s_give_up_after_the_retries() {
    let srv = scripted_openai_server(|_, _| Reply::Raw(500, vec![], "boom".into()));
    let c = client(&srv.url, |c| c.max_retries = 3);
    match c.chat_json(&msgs(), "t", &schema()) {
        Err(LlmError::Unavailable { tries, last, .. }) => {
            assert_eq!(tries, 4);
            assert!(last.contains("HTTP 500"), "{last}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(srv.count(), 4);
}

#[test]
fn a_500_then_success_recovers() {
    let srv = scripted_openai_server(|i, _| {
        if i < 2 {
            Reply::Raw(503, vec![], "busy".into())
        } else {
            Reply::Content(GOOD.into())
        }
    });
    let c = client(&srv.url, |_| {});
    assert_eq!(
        c.chat_json(&msgs(), "t", &schema()).unwrap().value["amount"],
        "12.50"
    );
    assert_eq!(c.usage().retries, 2);
}

#[test]
fn a_malformed_body_is_retried() {
    let srv = scripted_openai_server(|i, _| match i {
        0 => Reply::Raw(
            200,
            vec![("content-type", "application/json".into())],
            "{\"choices\": [".into(),
        ),
        1 => Reply::Raw(200, vec![], "{\"no\": \"choices\"}".into()),
        _ => Reply::Content(GOOD.into()),
    });
    let c = client(&srv.url, |_| {});
    assert_eq!(
        c.chat_json(&msgs(), "t", &schema()).unwrap().value["amount"],
        "12.50"
    );
    assert_eq!(srv.count(), 3);
}

#[test]
fn a_schema_violation_is_reasked_with_its_problems() {
    let srv = scripted_openai_server(|i, _| match i {
        0 => Reply::Content(r#"{"amount": "twelve"}"#.into()),
        1 => Reply::Content("Sure! Here is the JSON you asked for.".into()),
        _ => Reply::Content(format!("```json\n{GOOD}\n```")),
    });
    let c = client(&srv.url, |_| {});
    assert_eq!(
        c.chat_json(&msgs(), "t", &schema()).unwrap().value["amount"],
        "12.50"
    );
    let r = srv.received();
    assert_eq!(r.len(), 3);
    let second: Value = serde_json::from_slice(&r[1].body).unwrap();
    let feedback = common::prompt_of(&second);
    assert!(
        feedback.contains("does not match the pattern"),
        "{feedback}"
    );
    assert_eq!(c.usage().reasks, 2);
}

#[test]
fn persistent_violations_are_an_error() {
    let srv = scripted_openai_server(|_, _| Reply::Content(r#"{"amount": 12.5}"#.into()));
    let c = client(&srv.url, |c| c.max_invalid_answers = 2);
    match c.chat_json(&msgs(), "t", &schema()) {
        Err(LlmError::InvalidAnswer { tries, problems }) => {
            assert_eq!(tries, 3);
            assert!(problems.contains("expected type"), "{problems}");
        }
        other => panic!("expected InvalidAnswer, got {other:?}"),
    }
    assert_eq!(srv.count(), 3);
}

/// An answer cut off at the token limit (`finish_reason: length`) is a clear failure at once:
/// asking a looping model again would loop again.
#[test]
fn a_truncated_answer_fails_at_once() {
    let srv = scripted_openai_server(|_, _| Reply::Truncated(r#"{"amou"#.into()));
    let c = client(&srv.url, |_| {});
    let e = c.chat_json(&msgs(), "t", &schema()).unwrap_err();
    assert!(matches!(e, LlmError::Truncated { .. }), "{e:?}");
    assert!(e.to_string().contains("cut off"), "{e}");
    assert_eq!(srv.count(), 1, "not asked again");
}

/// The request's `max_tokens` is what the schema can need, not the configured ceiling.
#[test]
fn max_tokens_is_bounded_by_the_schema() {
    let srv = scripted_openai_server(|_, _| Reply::Content(GOOD.into()));
    let c = client(&srv.url, |_| {});
    c.chat_json(&msgs(), "t", &schema()).unwrap();
    let first: Value = serde_json::from_slice(&srv.received()[0].body).unwrap();
    let m = first["max_tokens"].as_u64().unwrap();
    assert!(
        (20..200).contains(&m),
        "one amount needs a few tokens, got {m}"
    );
}

/// A body shorter than its Content-Length (the connection drops mid-answer) cannot be produced
/// through axum, so this one test serves raw bytes from a plain loopback socket.
#[test]
fn a_truncated_http_body_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for i in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            // Read headers and body (Content-Length).
            loop {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some(h) = text.find("\r\n\r\n") {
                    let len: usize = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if got.len() >= h + 4 + len {
                        break;
                    }
                }
            }
            let body = common::completion(GOOD, "stop").to_string();
            if i == 0 {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                s.write_all(head.as_bytes()).unwrap();
                s.write_all(&body.as_bytes()[..20]).unwrap();
            } else {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                s.write_all(head.as_bytes()).unwrap();
                s.write_all(body.as_bytes()).unwrap();
            }
        }
    });
    let c = client(&format!("http://{addr}/v1"), |_| {});
    let a = c.chat_json(&msgs(), "t", &schema()).unwrap();
    assert_eq!(a.value["amount"], "12.50");
    assert_eq!(c.usage().retries, 1);
    server.join().unwrap();
}

#[test]
fn servers_without_json_schema_fall_back_to_a_gbnf_grammar_then_json_object() {
    // llama-cpp-python answers 500 naming response_format when json_schema is not supported.
    let srv = scripted_openai_server(|_, req| {
        if req["response_format"]["type"] == "json_schema" {
            Reply::Raw(500, vec![], r#"{"error":{"message":"('body', 'response_format', 'type'): Input should be 'text' or 'json_object'"}}"#.into())
        } else {
            Reply::Content(GOOD.into())
        }
    });
    let c = client(&srv.url, |_| {});
    c.chat_json(&msgs(), "t", &schema()).unwrap();
    c.chat_json(&msgs(), "t", &schema()).unwrap();
    let r = srv.received();
    assert_eq!(
        r.len(),
        3,
        "the fallback is remembered: one refused request only"
    );
    let last: Value = serde_json::from_slice(&r[2].body).unwrap();
    assert!(last.get("response_format").is_none(), "{last}");
    let g = last["grammar"].as_str().unwrap();
    assert!(g.starts_with("root ::= \"{\" ws \"\\\"amount\\\"\""), "{g}");

    // A server that refuses the grammar too gets `json_object`, patterns checked locally
    // (llama-cpp-python's grammar converter chokes on them).
    let srv = scripted_openai_server(|_, req| {
        if req["response_format"]["type"] == "json_schema" || req.get("grammar").is_some() {
            Reply::Raw(
                400,
                vec![],
                r#"{"error":{"message":"unknown field: grammar"}}"#.into(),
            )
        } else {
            Reply::Content(GOOD.into())
        }
    });
    let c = client(&srv.url, |_| {});
    c.chat_json(&msgs(), "t", &schema()).unwrap();
    let r = srv.received();
    assert_eq!(r.len(), 3);
    let last: Value = serde_json::from_slice(&r[2].body).unwrap();
    assert_eq!(last["response_format"]["type"], "json_object");
    assert_eq!(
        last["response_format"]["schema"]["properties"]["amount"],
        json!({"type": "string"})
    );
}

#[test]
fn other_4xx_are_not_retried() {
    let srv = scripted_openai_server(|_, _| Reply::Raw(401, vec![], "bad key".into()));
    let c = client(&srv.url, |_| {});
    assert!(matches!(
        c.chat_json(&msgs(), "t", &schema()),
        Err(LlmError::Refused { status: 401, .. })
    ));
    assert_eq!(srv.count(), 1);
}

#[test]
fn the_concurrency_limit_holds() {
    let srv = scripted_openai_server(|_, _| {
        Reply::Delay(
            Duration::from_millis(300),
            Box::new(Reply::Content(GOOD.into())),
        )
    });
    let c = client(&srv.url, |c| c.concurrency = 2);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| c.chat_json(&msgs(), "t", &schema()).unwrap());
        }
    });
    assert_eq!(srv.count(), 6);
    assert!(
        srv.max_in_flight() <= 2,
        "{} in flight",
        srv.max_in_flight()
    );
    assert_eq!(c.usage().calls, 6);
}

#[test]
fn the_key_is_sent_as_bearer_and_never_shown() {
    let srv = scripted_openai_server(|_, _| Reply::Raw(500, vec![], "down".into()));
    let c = client(&srv.url, |c| {
        c.api_key = Some(ApiKey::new("sk-test-4f1d9a"));
        c.max_retries = 0;
    });
    let err = c.chat_json(&msgs(), "t", &schema()).unwrap_err();
    assert_eq!(
        srv.received()[0].authorization.as_deref(),
        Some("Bearer sk-test-4f1d9a")
    );
    assert!(!err.to_string().contains("sk-test"));
    assert!(!format!("{c:?}").contains("sk-test"));
}

#[test]
fn an_unreachable_endpoint_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client(&format!("http://127.0.0.1:{port}/v1"), |c| {
        c.max_retries = 1
    });
    assert!(matches!(
        c.chat_json(&msgs(), "t", &schema()),
        Err(LlmError::Unavailable { tries: 2, .. })
    ));
}
