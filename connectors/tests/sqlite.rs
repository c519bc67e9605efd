//! The SQLite sink against real database files in temp folders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use docket_connectors::{Sink, SinkSpec, SqliteSink, open};
use docket_core::ErrorCode;

fn sink(path: &Path) -> Box<dyn Sink> {
    open(&SinkSpec::Sqlite {
        path: path.to_owned(),
    })
    .unwrap()
}

#[test]
fn writes_47_records_once_with_exact_text_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let recs = records("stmt-a", 47);
    let mut s = sink(&db);
    assert_eq!(s.describe(), format!("sqlite:{}", db.display()));

    let first = s.write_batch("transactions", &recs).unwrap();
    assert_eq!((first.inserted, first.duplicates), (47, 0));
    let again = s.write_batch("transactions", &recs).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 47));
    // A fresh sink (a resumed run) also writes nothing.
    let third = sink(&db).write_batch("transactions", &recs).unwrap();
    assert_eq!((third.inserted, third.duplicates), (0, 47));

    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM transactions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 47);
    for (i, rec) in recs.iter().enumerate() {
        let (amount, kind, day, at, line, stamp): (
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
        ) = conn
            .query_row(
                "SELECT amount, typeof(amount), booked_on, booked_at, line_no, docket_written_at \
                 FROM transactions WHERE docket_key = ?1",
                [&rec.key],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(amount, amount_of(i), "record {i}");
        assert_eq!(kind, "text");
        assert_eq!(day, date(i).format("%Y-%m-%d").to_string());
        assert_eq!(at.is_none(), i.is_multiple_of(3));
        assert_eq!(line, i as i64);
        assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{stamp}");
    }
    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    assert_eq!(s.already_written("transactions", &keys).unwrap(), keys);
}

fn amount_of(i: usize) -> &'static str {
    amount(i)
}

#[test]
fn a_key_repeated_inside_a_batch_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let mut recs = records("stmt-b", 5);
    recs.push(recs[2].clone());
    recs.push(recs[0].clone());
    let out = sink(&db).write_batch("tx", &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (5, 2));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM tx", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 5);
}

#[test]
fn an_existing_table_is_used_as_is_and_a_missing_column_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE ledger (id INTEGER PRIMARY KEY, docket_key TEXT UNIQUE, booked_on TEXT, \
         booked_at TEXT, description TEXT, line_no INTEGER, note TEXT DEFAULT 'from bank');",
    )
    .unwrap();
    let e = sink(&db)
        .write_batch("ledger", &records("stmt-c", 3))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("ledger") && e.message.contains("amount"),
        "{}",
        e.message
    );
    assert!(e.message.contains("ALTER TABLE"), "{}", e.message);

    // After the operator adds it, the same batch goes in; the table keeps its own columns.
    conn.execute_batch("ALTER TABLE ledger ADD COLUMN amount TEXT;")
        .unwrap();
    let out = sink(&db)
        .write_batch("ledger", &records("stmt-c", 3))
        .unwrap();
    assert_eq!(out.inserted, 3);
    let (note, amount): (String, String) = conn
        .query_row(
            "SELECT note, amount FROM ledger WHERE line_no = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((note.as_str(), amount.as_str()), ("from bank", "-1234.56"));
}

#[test]
fn tables_that_would_lose_exactness_or_idempotency_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE floaty (docket_key TEXT PRIMARY KEY, booked_on TEXT, booked_at TEXT, \
         description TEXT, amount REAL, line_no INTEGER);
         CREATE TABLE nokey (docket_key TEXT, booked_on TEXT, booked_at TEXT, \
         description TEXT, amount TEXT, line_no INTEGER);",
    )
    .unwrap();
    let recs = records("stmt-d", 2);
    let e = sink(&db).write_batch("floaty", &recs).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("amount") && e.message.contains("TEXT"),
        "{}",
        e.message
    );
    let e = sink(&db).write_batch("nokey", &recs).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(e.message.contains("unique docket_key"), "{}", e.message);
    let n: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM floaty) + (SELECT count(*) FROM nokey)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn hostile_table_and_column_names_are_rejected_before_any_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let mut s = sink(&db);
    s.write_batch("victim", &records("stmt-e", 1)).unwrap();
    for name in [
        "victim; DROP TABLE victim",
        "victim\"; DROP TABLE victim; --",
        "x'",
        "",
        "main.victim",
        "1table",
        "tab le",
        "ta\u{0}ble",
    ] {
        let e = s.write_batch(name, &records("stmt-e", 2)).unwrap_err();
        assert_eq!(e.code, ErrorCode::SinkRejected, "{name:?}");
        assert!(e.message.contains("identifier"), "{}", e.message);
        assert!(s.already_written(name, &[]).is_err());
    }
    let mut bad_col = records("stmt-e", 1);
    bad_col[0].values[0].0 = "amount) VALUES (1); --".into();
    assert_eq!(
        s.write_batch("victim", &bad_col).unwrap_err().code,
        ErrorCode::SinkRejected
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, vec!["victim".to_owned()]);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM victim", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn two_concurrent_writers_with_the_same_keys_store_each_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let recs = records("stmt-f", 600);
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let recs = &recs;
                let db = &db;
                scope.spawn(move || {
                    let mut s = SqliteSink::open(db).unwrap();
                    let mut total = (0, 0);
                    for chunk in recs.chunks(50) {
                        let o = s.write_batch("tx", chunk).unwrap();
                        total.0 += o.inserted;
                        total.1 += o.duplicates;
                    }
                    total
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let inserted: usize = outcomes.iter().map(|o| o.0).sum();
    let duplicates: usize = outcomes.iter().map(|o| o.1).sum();
    assert_eq!((inserted, duplicates), (600, 600), "{outcomes:?}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (n, distinct): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT docket_key) FROM tx",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, distinct), (600, 600));
}

#[test]
fn empty_batches_and_unknown_tables_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bo.sqlite");
    let mut s = sink(&db);
    let out = s.write_batch("tx", &[]).unwrap();
    assert_eq!((out.inserted, out.duplicates), (0, 0));
    assert!(s.already_written("tx", &[key("x", 1)]).unwrap().is_empty());
    let bad = s.already_written("tx", &["not-a-key".into()]).unwrap_err();
    assert_eq!(bad.code, ErrorCode::SinkRejected);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn an_unopenable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("no/such/folder/bo.sqlite");
    let e = SqliteSink::open(&db).err().unwrap();
    assert_eq!(e.code, ErrorCode::SinkUnavailable);
    assert!(e.message.contains("no/such/folder"), "{}", e.message);
}
