//! The PostgreSQL sink against the real server on localhost (DOCKET_TEST_PG_URL to point
//! elsewhere; DOCKET_TEST_PG=skip to skip). Each test works in its own schema, dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{NaiveDate, NaiveTime};
use common::*;
use docket_connectors::{PostgresSink, Sink, SinkSpec, open};
use docket_core::ErrorCode;
use rust_decimal::Decimal;

fn sink(url: &str) -> Box<dyn Sink> {
    open(&SinkSpec::Postgres {
        url: url.to_owned(),
    })
    .unwrap()
}

#[test]
fn writes_47_records_once_with_exact_numeric_amounts() {
    let Some(mut pg) = PgSchema::new("roundtrip") else {
        return;
    };
    let table = pg.table("transactions");
    let recs = records("stmt-a", 47);
    let mut s = sink(&pg.url);
    // The description names user, host, port and database, never a password (the CI URL carries
    // one: postgres://docket:docket@127.0.0.1/docket_test).
    let d = s.describe();
    assert!(d.starts_with("postgresql://") && d.contains('@'), "{d}");
    assert!(!d.contains(":docket@") && !d.contains("password"), "{d}");

    let first = s.write_batch(&table, &recs).unwrap();
    assert_eq!((first.inserted, first.duplicates), (47, 0));
    let again = s.write_batch(&table, &recs).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 47));
    let third = sink(&pg.url).write_batch(&table, &recs).unwrap();
    assert_eq!((third.inserted, third.duplicates), (0, 47));

    let schema = pg.schema.clone();
    let types: Vec<(String, String)> = pg
        .client()
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'transactions' ORDER BY ordinal_position",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let types: Vec<(&str, &str)> = types
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("docket_key", "text"),
            ("booked_on", "date"),
            ("booked_at", "time without time zone"),
            ("description", "text"),
            ("amount", "numeric"),
            ("line_no", "bigint"),
            ("docket_written_at", "timestamp with time zone"),
        ]
    );
    let rows = pg
        .client()
        .query(
            &format!(
                "SELECT docket_key, amount, amount::text, booked_on, booked_at, description, line_no \
                 FROM {} ORDER BY line_no",
                table
            ),
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 47);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.get::<_, String>(0), recs[i].key);
        assert_eq!(row.get::<_, Decimal>(1), dec(amount(i)));
        assert_eq!(
            row.get::<_, String>(2),
            amount(i),
            "scale kept for record {i}"
        );
        assert_eq!(row.get::<_, NaiveDate>(3), date(i));
        assert_eq!(
            row.get::<_, Option<NaiveTime>>(4).is_none(),
            i.is_multiple_of(3)
        );
        assert_eq!(
            row.get::<_, String>(5),
            format!("Transfer {i} 转账 \"quoted\", comma")
        );
        assert_eq!(row.get::<_, i64>(6), i as i64);
    }
    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    let mut probe = keys.clone();
    probe.push(key("never-written", 0));
    assert_eq!(s.already_written(&table, &probe).unwrap(), keys);
    assert!(
        s.already_written(&pg.table("nope"), &keys)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_key_repeated_inside_a_batch_is_written_once() {
    let Some(mut pg) = PgSchema::new("dupbatch") else {
        return;
    };
    let table = pg.table("tx");
    let mut recs = records("stmt-b", 5);
    recs.insert(1, recs[4].clone());
    recs.push(recs[0].clone());
    let out = sink(&pg.url).write_batch(&table, &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (5, 2));
    let n: i64 = pg
        .client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 5);
}

#[test]
fn an_existing_table_missing_a_column_or_of_the_wrong_type_is_rejected() {
    let Some(mut pg) = PgSchema::new("existing") else {
        return;
    };
    let table = pg.table("ledger");
    pg.client()
        .batch_execute(&format!(
            "CREATE TABLE {table} (id serial PRIMARY KEY, docket_key text UNIQUE, booked_on date, \
             booked_at time, description varchar(200), line_no integer)"
        ))
        .unwrap();
    let mut s = sink(&pg.url);
    let e = s.write_batch(&table, &records("stmt-c", 3)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("ledger") && e.message.contains("amount"),
        "{}",
        e.message
    );
    assert!(e.message.contains("ALTER TABLE"), "{}", e.message);

    pg.client()
        .batch_execute(&format!("ALTER TABLE {table} ADD COLUMN amount text"))
        .unwrap();
    let e = s.write_batch(&table, &records("stmt-c", 3)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("column amount is text") && e.message.contains("NUMERIC"),
        "{}",
        e.message
    );

    // Fixed by the operator: integer (int4) line numbers and varchar text are fine.
    pg.client()
        .batch_execute(&format!(
            "ALTER TABLE {table} ALTER COLUMN amount TYPE numeric(17,2) USING amount::numeric"
        ))
        .unwrap();
    let out = s.write_batch(&table, &records("stmt-c", 3)).unwrap();
    assert_eq!(out.inserted, 3);
    let a: String = pg
        .client()
        .query_one(
            &format!("SELECT amount::text FROM {table} WHERE line_no = 1"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(a, "0.10");
}

#[test]
fn constraint_violations_are_rejected_and_roll_back_the_batch() {
    let Some(mut pg) = PgSchema::new("constraint") else {
        return;
    };
    let table = pg.table("tx");
    pg.client()
        .batch_execute(&format!(
            "CREATE TABLE {table} (docket_key text PRIMARY KEY, booked_on date, booked_at time, \
             description text, amount numeric CHECK (amount > -5000), line_no bigint)"
        ))
        .unwrap();
    // Record 7 carries -99999999999.99, which the CHECK refuses.
    let e = sink(&pg.url)
        .write_batch(&table, &records("stmt-g", 10))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(e.message.contains("23514"), "{}", e.message);
    let n: i64 = pg
        .client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "the whole batch rolled back");
}

#[test]
fn hostile_table_names_are_rejected() {
    let Some(mut pg) = PgSchema::new("hostile") else {
        return;
    };
    let mut s = sink(&pg.url);
    let victim = pg.table("victim");
    s.write_batch(&victim, &records("stmt-e", 1)).unwrap();
    for name in [
        format!("{victim}; DROP TABLE {victim}"),
        format!("{victim}\"; DROP TABLE {victim}; --"),
        format!("{}.public.victim", pg.schema),
        "pg_catalog.pg_class x".to_owned(),
        "".to_owned(),
        ".victim".to_owned(),
        "victim'".to_owned(),
    ] {
        let e = s.write_batch(&name, &records("stmt-e", 2)).unwrap_err();
        assert_eq!(e.code, ErrorCode::SinkRejected, "{name:?}");
        assert!(e.message.contains("identifier"), "{}", e.message);
    }
    let n: i64 = pg
        .client()
        .query_one(&format!("SELECT count(*) FROM {victim}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn an_unreachable_server_is_retryable_and_never_shows_the_password() {
    if std::env::var("DOCKET_TEST_PG").is_ok_and(|v| v == "skip") {
        return;
    }
    for url in [
        "postgres://docket:S3cret-pw@127.0.0.1:1/backoffice",
        "host=127.0.0.1 port=1 user=docket password=S3cret-pw dbname=backoffice",
    ] {
        let e = PostgresSink::connect(url).err().unwrap();
        assert_eq!(e.code, ErrorCode::SinkUnavailable);
        assert!(e.is_retryable());
        assert!(!e.message.contains("S3cret"), "{}", e.message);
        assert!(
            e.message.contains("127.0.0.1:1/backoffice"),
            "{}",
            e.message
        );
        let spec = SinkSpec::Postgres {
            url: url.to_owned(),
        };
        assert!(!format!("{spec:?}").contains("S3cret"));
    }
    let bad = PostgresSink::connect("postgres://x:S3cret@host:notaport/db")
        .err()
        .unwrap();
    assert!(!bad.message.contains("S3cret"), "{}", bad.message);
}

#[test]
fn describe_omits_the_password() {
    let Some(pg) = PgSchema::new("describe") else {
        return;
    };
    // Trust auth ignores the password, so this connects and must still never show it.
    let url = if pg.url.contains('=') {
        format!("{} password=hunter2", pg.url)
    } else {
        return;
    };
    let s = sink(&url);
    assert!(!s.describe().contains("hunter2"), "{}", s.describe());
}

#[test]
fn two_concurrent_writers_with_the_same_keys_store_each_key_once() {
    let Some(mut pg) = PgSchema::new("concurrent") else {
        return;
    };
    let table = pg.table("tx");
    let recs = records("stmt-f", 600);
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (recs, url, table) = (&recs, &pg.url, &table);
                scope.spawn(move || {
                    let mut s = PostgresSink::connect(url).unwrap();
                    let mut total = (0, 0);
                    // Opposite orders: the sink's key ordering must keep them from deadlocking.
                    let mut mine = recs.clone();
                    if t == 1 {
                        mine.reverse();
                    }
                    for chunk in mine.chunks(100) {
                        let o = s.write_batch(table, chunk).unwrap();
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
    let row = pg
        .client()
        .query_one(
            &format!("SELECT count(*), count(DISTINCT docket_key) FROM {table}"),
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (600, 600));
}

#[test]
fn a_large_batch_spans_several_statements_in_one_transaction() {
    let Some(mut pg) = PgSchema::new("large") else {
        return;
    };
    let table = pg.table("tx");
    let recs = records("stmt-h", 2_500);
    let mut s = sink(&pg.url);
    s.write_batch(&table, &recs[..1_200]).unwrap();
    let out = s.write_batch(&table, &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (1_300, 1_200));
    let n: i64 = pg
        .client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2_500);
}
