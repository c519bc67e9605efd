//! Write throughput of the sinks, records per second: the REST sink against a loopback axum
//! back office that stores each record once by `Idempotency-Key` (no injected failures), the
//! MySQL/MariaDB sink, and SQLite and PostgreSQL for comparison. Each sink gets the same records
//! in batches of 1,000, first new, then the same batches again (all duplicates). Asserts the
//! counts, nothing about speed.
//!
//! `cargo run --release -p docket-connectors --example sink_bench [-- RECORDS]` (default 20,000;
//! MySQL from DOCKET_TEST_MYSQL_URL, default `mysql://root@127.0.0.1:3306/test`; PostgreSQL from
//! DOCKET_TEST_PG_URL, default `host=localhost user=postgres dbname=test`; a server that cannot be
//! reached is reported and skipped).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use docket_connectors::{HttpMethod, OutRecord, Sink, SinkSpec, Value, open};
use docket_core::hash::sha256_hex;
use mysql::prelude::Queryable;
use rust_decimal::Decimal;

const BATCH: usize = 1_000;

fn records(n: usize) -> Vec<OutRecord> {
    (0..n)
        .map(|n| OutRecord {
            key: sha256_hex(format!("sink-bench/{n}").as_bytes()),
            values: vec![
                (
                    "booked_on".into(),
                    Value::Date(NaiveDate::from_ymd_opt(2024, 3, 1 + (n % 28) as u32).unwrap()),
                ),
                ("description".into(), Value::Text(format!("Payment {n}"))),
                (
                    "amount".into(),
                    Value::Decimal(Decimal::new(n as i64 * 7 - 5000, 2)),
                ),
                (
                    "balance".into(),
                    Value::Decimal(Decimal::new(n as i64 * 131, 2)),
                ),
            ],
        })
        .collect()
}

fn measure(name: &str, sink: &mut dyn Sink, table: &str, data: &[OutRecord]) {
    for (pass, want_new) in [("new", data.len()), ("duplicate", 0)] {
        let start = Instant::now();
        let (mut inserted, mut duplicates) = (0, 0);
        for batch in data.chunks(BATCH) {
            let o = sink.write_batch(table, batch).unwrap();
            assert!(o.rejected.is_empty());
            inserted += o.inserted;
            duplicates += o.duplicates;
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(inserted, want_new, "{name} {pass}");
        assert_eq!(inserted + duplicates, data.len(), "{name} {pass}");
        println!(
            "{name:<10} {pass:<9} {:>8.0} records/s  ({} records in batches of {BATCH}, {secs:.2} s)",
            data.len() as f64 / secs,
            data.len()
        );
    }
}

/// The loopback back office: stores the body under its Idempotency-Key once, 409 for a repeat.
async fn receive(
    State(store): State<Arc<Mutex<HashMap<String, Bytes>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut s = store.lock().unwrap();
    if s.contains_key(key) {
        return StatusCode::CONFLICT;
    }
    s.insert(key.to_owned(), body);
    StatusCode::CREATED
}

fn rest(data: &[OutRecord]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let store = Arc::new(Mutex::new(HashMap::new()));
    let router = axum::Router::new()
        .route("/records", axum::routing::post(receive))
        .with_state(store.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/records", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, router).await.unwrap() });
    let mut sink = open(&SinkSpec::Rest {
        url,
        method: HttpMethod::Post,
        auth: None,
        timeout: Duration::from_secs(10),
        max_attempts: 3,
    })
    .unwrap();
    measure("rest", sink.as_mut(), "tx", data);
    assert_eq!(store.lock().unwrap().len(), data.len());
}

fn mysql(data: &[OutRecord]) {
    let url = std::env::var("DOCKET_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
    let mut admin = match mysql::Opts::from_url(&url).map(mysql::Conn::new) {
        Ok(Ok(c)) => c,
        other => {
            println!("mysql      skipped: cannot connect ({:?})", other.err());
            return;
        }
    };
    let table = format!("docket_bench_{}", std::process::id());
    let mut sink = open(&SinkSpec::Mysql { url }).unwrap();
    measure("mysql", sink.as_mut(), &table, data);
    admin.query_drop(format!("DROP TABLE `{table}`")).unwrap();
}

fn postgres(data: &[OutRecord]) {
    let url = std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "host=localhost user=postgres dbname=test".to_owned());
    let mut admin = match postgres::Client::connect(&url, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            println!("postgres   skipped: cannot connect ({e})");
            return;
        }
    };
    let schema = format!("docket_bench_{}", std::process::id());
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let mut sink = open(&SinkSpec::Postgres { url }).unwrap();
    measure("postgres", sink.as_mut(), &format!("{schema}.tx"), data);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(20_000, |a| a.parse().expect("RECORDS must be a number"));
    let data = records(n);
    rest(&data);
    mysql(&data);
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = open(&SinkSpec::Sqlite {
        path: dir.path().join("bench.sqlite"),
    })
    .unwrap();
    measure("sqlite", sqlite.as_mut(), "tx", &data);
    postgres(&data);
}
