//! The REST sink at its edges: a deliberately malformed raw-TCP peer (cut-off, non-UTF-8, non-HTTP
//! and oversized answers; 401, 404, 301), refused connections and settings that cannot work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener as StdListener;
use std::time::Duration;

use common::*;
use docket_connectors::{Backoff, HttpMethod, RestAuth, RestSink, Sink, SinkSpec};
use docket_core::ErrorCode;

const TABLE: &str = "transactions";

fn rest_sink(url: &str, timeout: Duration, attempts: u32) -> RestSink {
    RestSink::new(url, HttpMethod::Post, None, timeout, attempts)
        .unwrap()
        .with_backoff(Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(20),
            retry_after_cap: Duration::from_secs(10),
        })
}

#[test]
fn a_refused_connection_is_unavailable_after_max_attempts() {
    let url = format!("http://127.0.0.1:{}/api/records", closed_port());
    let mut s = rest_sink(&url, Duration::from_secs(5), 3);
    let e = s
        .write_batch(TABLE, &records("rest-refused", 5))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkUnavailable);
    assert!(e.is_retryable());
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert!(e.message.contains("cannot connect"), "{}", e.message);
    // Nothing to ask first: the server deduplicates re-sends.
    let keys: Vec<String> = records("rest-refused", 2)
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert!(s.already_written(TABLE, &keys).unwrap().is_empty());
}

/// A deliberately broken HTTP peer: answers the n-th connection with the n-th canned byte string
/// (the last one repeats) and closes it. It stands in for no real product; it exists to send what
/// no correct server would.
fn malformed_http_server(answers: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<usize>) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/records", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut served = 0;
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            // Read the request head and its body.
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(p + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
            if head.contains("docket-stop") {
                break;
            }
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < head_end + len {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let answer = &answers[served.min(answers.len() - 1)];
            let _ = stream.write_all(answer);
            let _ = stream.flush();
            served += 1;
        }
        served
    });
    (url, handle)
}

fn stop(url: &str, handle: std::thread::JoinHandle<usize>) -> usize {
    let _ = reqwest::blocking::Client::new()
        .get(url)
        .header("docket-stop", "1")
        .timeout(Duration::from_millis(500))
        .send();
    handle.join().unwrap()
}

#[test]
fn truncated_and_malformed_answers_do_not_panic() {
    let mut huge =
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n"
            .to_vec();
    huge.extend(std::iter::repeat_n(b'A', 1_048_576));
    let answers = vec![
        // Record 0: a 2xx whose body is cut short: the status is what counts.
        b"HTTP/1.1 201 Created\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort".to_vec(),
        // Record 1: a 422 with broken UTF-8, NULs and a body cut short.
        b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 80\r\nConnection: close\r\n\r\n\xff\xfe\x00bad\x00\xc3"
            .to_vec(),
        // Record 2: not HTTP at all (retried), then accepted.
        b"this is not http\r\n\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(),
        // Record 3: a megabyte of error body.
        huge,
        // Record 4: a status line and nothing else.
        b"HTTP/1.1 500 Internal Server Error\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    ];
    let (url, handle) = malformed_http_server(answers);
    let mut s = rest_sink(&url, Duration::from_secs(5), 3);
    let recs = records("rest-malformed", 5);
    let out = s.write_batch(TABLE, &recs).unwrap();
    let rejected: Vec<&str> = out.rejected.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(rejected, vec![recs[1].key.as_str(), recs[3].key.as_str()]);
    assert_eq!((out.inserted, out.duplicates), (3, 0));
    for r in &out.rejected {
        assert!(r.message.chars().count() <= 240, "{}", r.message.len());
        assert!(!r.message.chars().any(char::is_control), "{:?}", r.message);
    }
    assert!(
        out.rejected[0].message.contains("bad"),
        "{}",
        out.rejected[0].message
    );
    assert!(
        out.rejected[1].message.ends_with('…'),
        "{}",
        out.rejected[1].message
    );
    assert_eq!(stop(&url, handle), 7);
}

#[test]
fn refused_credentials_keep_records_and_a_wrong_endpoint_is_misconfigured() {
    let (url, handle) = malformed_http_server(vec![
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\nConnection: close\r\n\r\nnope!\n".to_vec(),
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        b"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    ]);
    let mut s = rest_sink(&url, Duration::from_secs(5), 3);
    let recs = records("rest-auth-fail", 3);
    let e = s.write_batch(TABLE, &recs).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkUnavailable, "{}", e.message);
    assert!(
        e.message.contains("401") && e.message.contains("secret"),
        "{}",
        e.message
    );
    let e = s.write_batch(TABLE, &recs).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkMisconfigured, "{}", e.message);
    assert!(e.message.contains("404"), "{}", e.message);
    let e = s.write_batch(TABLE, &recs).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkMisconfigured, "{}", e.message);
    assert!(e.message.contains("301"), "{}", e.message);
    // One request each: none of these is retried.
    assert_eq!(stop(&url, handle), 3);
}

#[test]
fn bad_settings_are_misconfigured_and_the_spec_reads_from_config() {
    for (url, auth) in [
        ("not a url", None),
        ("ftp://host/x", None),
        ("http://user:S3cret@host/x", None),
        (
            "http://host/x",
            Some(RestAuth::Header {
                name: "Bad Name".into(),
                value: "S3cret".into(),
            }),
        ),
        (
            "http://host/x",
            Some(RestAuth::Bearer("S3cret\nInjected: yes".into())),
        ),
    ] {
        let e = RestSink::new(url, HttpMethod::Post, auth, Duration::from_secs(1), 3)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::SinkMisconfigured, "{url}");
        assert!(!e.message.contains("S3cret"), "{}", e.message);
    }
    let e = RestSink::new("http://host/x", HttpMethod::Post, None, Duration::ZERO, 3)
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::SinkMisconfigured);

    let spec: SinkSpec = serde_json::from_value(serde_json::json!({
        "kind": "rest",
        "url": "https://bo.example/api/records",
        "method": "PUT",
        "auth": {"header": {"name": "X-Api-Key", "value": "S3cret"}},
        "timeout_ms": 2500,
        "max_attempts": 7
    }))
    .unwrap();
    let SinkSpec::Rest {
        method,
        timeout,
        max_attempts,
        ..
    } = &spec
    else {
        panic!("{spec:?}")
    };
    assert_eq!(
        (*method, *timeout, *max_attempts),
        (HttpMethod::Put, Duration::from_millis(2500), 7)
    );
    assert_eq!(
        spec.describe(),
        "rest:PUT https://bo.example/api/records (X-Api-Key header)"
    );
    let defaults: SinkSpec =
        serde_json::from_value(serde_json::json!({"kind": "rest", "url": "http://h/x"})).unwrap();
    assert!(matches!(
        defaults,
        SinkSpec::Rest { method: HttpMethod::Post, auth: None, max_attempts: 5, timeout, .. }
            if timeout == Duration::from_secs(30)
    ));
}
