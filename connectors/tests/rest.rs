//! The REST sink against real HTTP servers on loopback: an axum "back office" written here that
//! stores records keyed by `Idempotency-Key` and misbehaves on purpose (500s before and after
//! storing, answers slower than the client's timeout, 429 with Retry-After, 422 for negative
//! amounts). Every claim is checked against the server's own state, not the client's counters.
//! Broken answers, refused connections and bad settings are in `rest_edges.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use docket_connectors::{
    Backoff, HttpMethod, OutRecord, RestAuth, RestSink, Sink, SinkSpec, Value, WriteOutcome,
};
use docket_core::ErrorCode;

const TABLE: &str = "transactions";

/// How the back office misbehaves. Percentages apply per request, chosen deterministically from
/// the seed, the key and how many requests for that key came before.
#[derive(Clone, Default)]
struct Behaviour {
    seed: u64,
    /// Answer 500 without storing.
    fail_before_pct: u64,
    /// Store, then answer 500 anyway (the client never learns it worked).
    fail_after_pct: u64,
    /// Sleep this long (longer than the client's timeout), then store.
    slow_pct: u64,
    slow: Duration,
    /// First request of every key gets 429 with this Retry-After value (`{date+N}` = HTTP date N
    /// seconds ahead).
    retry_after: Option<String>,
    /// Answer that first request 503 instead of 429.
    retry_with_503: bool,
    /// Answer 422 for a negative amount, echoing the Authorization header it got in the body.
    reject_negative: bool,
}

#[derive(Debug, Clone)]
struct Seen {
    key: String,
    at: Instant,
    authorization: Option<String>,
    api_key: Option<String>,
    table_header: Option<String>,
    content_type: Option<String>,
}

#[derive(Default)]
struct Ledger {
    stored: HashMap<String, serde_json::Value>,
    /// Requests per key so far (drives the deterministic choice).
    count: HashMap<String, u64>,
    seen: Vec<Seen>,
    /// Same key re-sent with a different body.
    conflicting: usize,
    injected_500: usize,
    injected_slow: usize,
}

struct App {
    behaviour: Behaviour,
    ledger: Mutex<Ledger>,
}

/// FNV-1a of the seed, key and request number, finalised: the same request always gets the same fate.
fn fate(seed: u64, key: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in seed
        .to_le_bytes()
        .iter()
        .chain(key.as_bytes())
        .chain(&n.to_le_bytes())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    // splitmix64's finaliser: FNV alone leaves the last input bytes poorly mixed.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d049bb133111eb);
    (h ^ (h >> 31)) % 100
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Stores once per key; a re-send answers 409 and is compared with what was stored.
fn store(app: &App, key: &str, body: serde_json::Value) -> StatusCode {
    let mut l = app.ledger.lock().unwrap();
    match l.stored.get(key) {
        Some(old) => {
            if *old != body {
                l.conflicting += 1;
            }
            StatusCode::CONFLICT
        }
        None => {
            l.stored.insert(key.to_owned(), body);
            StatusCode::CREATED
        }
    }
}

async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = header(&headers, "idempotency-key") else {
        return (StatusCode::BAD_REQUEST, "no Idempotency-Key").into_response();
    };
    let b = &app.behaviour;
    let n = {
        let mut l = app.ledger.lock().unwrap();
        let c = l.count.entry(key.clone()).or_default();
        let n = *c;
        *c += 1;
        l.seen.push(Seen {
            key: key.clone(),
            at: Instant::now(),
            authorization: header(&headers, "authorization"),
            api_key: header(&headers, "x-api-key"),
            table_header: header(&headers, "docket-table"),
            content_type: header(&headers, "content-type"),
        });
        n
    };
    if let Some(after) = &b.retry_after
        && n == 0
    {
        let value = match after.strip_prefix("{date+") {
            Some(rest) => {
                let secs: u64 = rest.trim_end_matches('}').parse().unwrap();
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
            }
            None => after.clone(),
        };
        let status = if b.retry_with_503 {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        return (status, [("retry-after", value)], "slow down").into_response();
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    };
    if b.reject_negative && json["amount"].as_str().is_some_and(|a| a.starts_with('-')) {
        let auth = header(&headers, "authorization").unwrap_or_default();
        let long = format!(
            "{{\"error\": \"negative amount\",\n\t\"seen_auth\": \"{auth}\", \"detail\": \"{}\"}}\u{7}",
            "x".repeat(500)
        );
        return (StatusCode::UNPROCESSABLE_ENTITY, long).into_response();
    }
    let r = fate(b.seed, &key, n);
    if r < b.fail_before_pct {
        app.ledger.lock().unwrap().injected_500 += 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
    }
    if r < b.fail_before_pct + b.fail_after_pct {
        store(&app, &key, json);
        app.ledger.lock().unwrap().injected_500 += 1;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "stored, but say otherwise",
        )
            .into_response();
    }
    if r < b.fail_before_pct + b.fail_after_pct + b.slow_pct {
        app.ledger.lock().unwrap().injected_slow += 1;
        // Detached, so the record is stored even after the client has hung up.
        let (app2, slow) = (app.clone(), b.slow);
        let task = tokio::spawn(async move {
            tokio::time::sleep(slow).await;
            store(&app2, &key, json)
        });
        return task.await.unwrap().into_response();
    }
    store(&app, &key, json).into_response()
}

/// The loopback back office; stops when dropped.
struct BackOffice {
    addr: SocketAddr,
    app: Arc<App>,
    _rt: tokio::runtime::Runtime,
}

impl BackOffice {
    fn start(behaviour: Behaviour) -> BackOffice {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = Arc::new(App {
            behaviour,
            ledger: Mutex::new(Ledger::default()),
        });
        let router = axum::Router::new()
            .route("/api/records", axum::routing::post(receive).put(receive))
            .with_state(app.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, router).await.unwrap() });
        BackOffice { addr, app, _rt: rt }
    }

    fn url(&self) -> String {
        format!("http://{}/api/records", self.addr)
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.app.ledger.lock().unwrap()
    }
}

fn quick() -> Backoff {
    Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(20),
        retry_after_cap: Duration::from_secs(10),
    }
}

fn rest_sink(url: &str, auth: Option<RestAuth>, timeout: Duration, attempts: u32) -> RestSink {
    RestSink::new(url, HttpMethod::Post, auth, timeout, attempts)
        .unwrap()
        .with_backoff(quick())
}

/// What the back office must hold for `rec`, built independently of the sink.
fn expected_body(rec: &OutRecord) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (name, v) in &rec.values {
        let j = match v {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => serde_json::json!(i),
            Value::Decimal(d) => serde_json::json!(d.to_string()),
            Value::Date(d) => serde_json::json!(d.format("%Y-%m-%d").to_string()),
            Value::Time(t) => serde_json::json!(t.format("%H:%M:%S").to_string()),
            Value::Text(s) => serde_json::json!(s),
        };
        m.insert(name.clone(), j);
    }
    m.insert("docket_key".into(), serde_json::json!(rec.key));
    m.insert("table".into(), serde_json::json!(TABLE));
    serde_json::Value::Object(m)
}

#[test]
fn two_thousand_records_through_a_flaky_back_office_land_exactly_once() {
    let server = BackOffice::start(Behaviour {
        seed: 20_240_601,
        fail_before_pct: 15,
        fail_after_pct: 15,
        slow_pct: 5,
        slow: Duration::from_millis(600),
        ..Behaviour::default()
    });
    let recs = records("rest-flaky", 2_000);
    let mut sink = rest_sink(&server.url(), None, Duration::from_millis(150), 5);
    let mut unavailable = 0;
    for batch in recs.chunks(100) {
        // Like the runner's outbox: a batch that failed retryably is sent again, whole.
        let mut rounds = 0;
        let outcome: WriteOutcome = loop {
            rounds += 1;
            assert!(rounds <= 60, "batch never went through");
            match sink.write_batch(TABLE, batch) {
                Ok(o) => break o,
                Err(e) => {
                    assert_eq!(e.code, ErrorCode::SinkUnavailable, "{}", e.message);
                    assert!(e.message.contains("Idempotency-Key"), "{}", e.message);
                    unavailable += 1;
                    eprintln!("round {rounds}: {}", e.message);
                }
            }
        };
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        assert_eq!(outcome.inserted + outcome.duplicates, batch.len());
    }
    // Let answers that were still sleeping when the client gave up finish.
    std::thread::sleep(Duration::from_millis(800));
    let l = server.ledger();
    assert!(
        l.injected_500 > 300 && l.injected_slow > 50 && unavailable > 0,
        "the faults must really have happened: {} 500s, {} slow, {unavailable} batches re-sent",
        l.injected_500,
        l.injected_slow
    );
    assert_eq!(l.stored.len(), 2_000, "distinct keys stored");
    assert_eq!(l.conflicting, 0, "a re-send carried a different body");
    for rec in &recs {
        let got = l.stored.get(&rec.key).expect("record lost");
        assert_eq!(*got, expected_body(rec));
    }
    // Amount strings exact, scale kept ("0.10", "0.00").
    for (i, rec) in recs.iter().enumerate().take(9) {
        assert_eq!(l.stored[&rec.key]["amount"], serde_json::json!(amount(i)));
    }
    let keys: HashSet<&str> = l.seen.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys.len(),
        2_000,
        "no request carried a key of its own making"
    );
    assert!(l.seen.iter().all(|s| {
        s.table_header.as_deref() == Some(TABLE)
            && s.content_type.as_deref() == Some("application/json")
    }));
}

fn gaps(server: &BackOffice) -> Vec<Duration> {
    let l = server.ledger();
    let mut by_key: HashMap<&str, Vec<Instant>> = HashMap::new();
    for s in &l.seen {
        by_key.entry(&s.key).or_default().push(s.at);
    }
    by_key
        .values()
        .map(|v| {
            assert_eq!(v.len(), 2, "one 429, then one accepted request");
            v[1] - v[0]
        })
        .collect()
}

#[test]
fn a_429_or_503_waits_at_least_retry_after_seconds_or_until_the_http_date() {
    for (value, floor, with_503) in [("1", 1, false), ("{date+2}", 1, false), ("1", 1, true)] {
        let server = BackOffice::start(Behaviour {
            retry_after: Some(value.to_owned()),
            retry_with_503: with_503,
            ..Behaviour::default()
        });
        let recs = records("rest-429", 2);
        let out = rest_sink(&server.url(), None, Duration::from_secs(10), 3)
            .write_batch(TABLE, &recs)
            .unwrap();
        assert_eq!((out.inserted, out.duplicates), (2, 0));
        for gap in gaps(&server) {
            // A lower bound only: the backoff alone would have waited ≤ 20 ms.
            assert!(
                gap >= Duration::from_secs(floor),
                "{value} {with_503}: {gap:?}"
            );
        }
        assert_eq!(server.ledger().stored.len(), 2);
    }
}

#[test]
fn negative_amounts_are_rejected_one_by_one_and_the_rest_is_written() {
    let server = BackOffice::start(Behaviour {
        reject_negative: true,
        ..Behaviour::default()
    });
    let recs = records("rest-422", 9);
    let token = "tok-Very-S3cret-123";
    let mut sink = rest_sink(
        &server.url(),
        Some(RestAuth::Bearer(token.into())),
        Duration::from_secs(10),
        3,
    );
    let out = sink.write_batch(TABLE, &recs).unwrap();
    let negative: Vec<&str> = recs
        .iter()
        .enumerate()
        .filter(|(i, _)| amount(*i).starts_with('-'))
        .map(|(_, r)| r.key.as_str())
        .collect();
    assert_eq!(negative.len(), 3);
    let rejected: Vec<&str> = out.rejected.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(rejected, negative);
    assert_eq!((out.inserted, out.duplicates), (6, 0));
    for r in &out.rejected {
        assert!(r.message.starts_with("HTTP 422"), "{}", r.message);
        assert!(r.message.contains("negative amount"), "{}", r.message);
        // The server echoed the Authorization header: scrubbed, folded, short.
        assert!(!r.message.contains("S3cret"), "{}", r.message);
        assert!(!r.message.chars().any(char::is_control), "{:?}", r.message);
        let snippet = r
            .message
            .trim_start_matches("HTTP 422 Unprocessable Entity: ");
        assert!(snippet.chars().count() <= 200, "{}", snippet.len());
    }
    let l = server.ledger();
    let stored: HashSet<&str> = l.stored.keys().map(String::as_str).collect();
    let want: HashSet<&str> = recs
        .iter()
        .map(|r| r.key.as_str())
        .filter(|k| !negative.contains(k))
        .collect();
    assert_eq!(stored, want);
}

#[test]
fn credentials_arrive_and_never_show_in_describe_debug_or_errors() {
    let server = BackOffice::start(Behaviour::default());
    let cases = [
        (
            RestAuth::Bearer("tok-Very-S3cret-123".into()),
            "authorization",
            "Bearer tok-Very-S3cret-123",
        ),
        (
            RestAuth::Basic {
                user: "docket".into(),
                password: "pw-Very-S3cret".into(),
            },
            "authorization",
            // base64("docket:pw-Very-S3cret")
            "Basic ZG9ja2V0OnB3LVZlcnktUzNjcmV0",
        ),
        (
            RestAuth::Header {
                name: "X-Api-Key".into(),
                value: "key-Very-S3cret".into(),
            },
            "x-api-key",
            "key-Very-S3cret",
        ),
    ];
    for (i, (auth, where_, want)) in cases.into_iter().enumerate() {
        let rec = [record("rest-auth", i)];
        let spec = SinkSpec::Rest {
            url: server.url(),
            method: HttpMethod::Put,
            auth: Some(auth.clone()),
            timeout: Duration::from_secs(10),
            max_attempts: 2,
        };
        let mut s = docket_connectors::open(&spec).unwrap();
        assert_eq!(s.write_batch(TABLE, &rec).unwrap().inserted, 1);
        let seen = server.ledger().seen.last().cloned().unwrap();
        let got = match where_ {
            "authorization" => seen.authorization,
            _ => seen.api_key,
        };
        assert_eq!(got.as_deref(), Some(want));
        for shown in [s.describe(), spec.describe(), format!("{spec:?}")] {
            assert!(!shown.contains("S3cret"), "{shown}");
        }
        // The same credentials against a closed port: the error names the target, not them.
        let closed = SinkSpec::Rest {
            url: format!(
                "http://127.0.0.1:{}/api/records?api_key=Q-S3cret",
                closed_port()
            ),
            method: HttpMethod::Post,
            auth: Some(auth),
            timeout: Duration::from_secs(5),
            max_attempts: 2,
        };
        let mut s = docket_connectors::open(&closed).unwrap();
        let e = s.write_batch(TABLE, &rec).unwrap_err();
        assert!(!e.message.contains("S3cret"), "{}", e.message);
    }
    let l = server.ledger();
    assert!(
        l.seen
            .iter()
            .all(|s| s.content_type.as_deref() == Some("application/json"))
    );
}
