//! Rough write throughput of the sinks: 20 batches of 1,000 new records, then the same batches
//! again (all duplicates). Prints records per second; asserts nothing about speed.
//!
//! `cargo run --release -p docket-connectors --example throughput` (PostgreSQL from
//! DOCKET_TEST_PG_URL, default `host=localhost user=postgres dbname=test`; DOCKET_TEST_PG=skip to
//! measure SQLite and the file drop only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::NaiveDate;
use docket_connectors::{FileFormat, OutRecord, Sink, SinkSpec, Value, open};
use docket_core::hash::sha256_hex;
use rust_decimal::Decimal;

const BATCHES: usize = 20;
const BATCH: usize = 1_000;

fn batches() -> Vec<Vec<OutRecord>> {
    (0..BATCHES)
        .map(|b| {
            (0..BATCH)
                .map(|i| {
                    let n = b * BATCH + i;
                    OutRecord {
                        key: sha256_hex(format!("bench/{n}").as_bytes()),
                        values: vec![
                            (
                                "booked_on".into(),
                                Value::Date(
                                    NaiveDate::from_ymd_opt(2024, 3, 1 + (n % 28) as u32).unwrap(),
                                ),
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
                    }
                })
                .collect()
        })
        .collect()
}

fn measure(name: &str, sink: &mut dyn Sink, table: &str, data: &[Vec<OutRecord>]) {
    for pass in ["new", "duplicate"] {
        let start = Instant::now();
        let mut inserted = 0;
        for batch in data {
            inserted += sink.write_batch(table, batch).unwrap().inserted;
        }
        let secs = start.elapsed().as_secs_f64();
        let n = (BATCHES * BATCH) as f64;
        println!(
            "{name:<10} {pass:<9} {:>8.0} records/s  ({} batches of {BATCH}, {inserted} inserted, {secs:.2} s)",
            n / secs,
            data.len()
        );
    }
}

fn main() {
    let data = batches();
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = open(&SinkSpec::Sqlite {
        path: dir.path().join("bench.sqlite"),
    })
    .unwrap();
    measure("sqlite", sqlite.as_mut(), "tx", &data);
    let mut drop = open(&SinkSpec::FileDrop {
        dir: dir.path().join("drop"),
        format: FileFormat::Csv,
    })
    .unwrap();
    measure("file-drop", drop.as_mut(), "tx", &data);

    if std::env::var("DOCKET_TEST_PG").is_ok_and(|v| v == "skip") {
        return;
    }
    let url = std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "host=localhost user=postgres dbname=test".to_owned());
    let schema = format!("docket_bench_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let mut pg = open(&SinkSpec::Postgres { url: url.clone() }).unwrap();
    measure("postgres", pg.as_mut(), &format!("{schema}.tx"), &data);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
