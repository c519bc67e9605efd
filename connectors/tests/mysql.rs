//! The MySQL/MariaDB sink against the real server on 127.0.0.1:3306 (DOCKET_TEST_MYSQL_URL to point
//! elsewhere; default `mysql://root@127.0.0.1:3306/test`). Each test uses its own table names,
//! dropped afterwards. An unreachable server fails the test with instructions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{NaiveDate, NaiveTime};
use common::*;
use docket_connectors::{MysqlSink, OutRecord, Sink, SinkSpec, Value, open};
use docket_core::ErrorCode;
use mysql::prelude::Queryable;

fn sink(url: &str) -> Box<dyn Sink> {
    open(&SinkSpec::Mysql {
        url: url.to_owned(),
    })
    .unwrap()
}

fn count(db: &mut MyDb, table: &str) -> (i64, i64) {
    db.admin()
        .query_first(format!(
            "SELECT COUNT(*), COUNT(DISTINCT docket_key) FROM `{table}`"
        ))
        .unwrap()
        .unwrap()
}

#[test]
fn decimals_dates_and_times_round_trip_exactly() {
    let mut db = MyDb::new("roundtrip");
    let table = db.table("tx");
    let mut recs = records("my-a", 47);
    for (i, a) in ["12345678901234.56", "-0.01"].iter().enumerate() {
        recs[i].values[3].1 = Value::Decimal(dec(a));
    }
    let mut s = sink(&db.url);
    let out = s.write_batch(&table, &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (47, 0));
    assert!(out.rejected.is_empty());

    let types: Vec<(String, String)> = db
        .admin()
        .exec(
            "SELECT COLUMN_NAME, LOWER(COLUMN_TYPE) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (&table,),
        )
        .unwrap();
    let types: Vec<(&str, &str)> = types
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("docket_key", "varchar(64)"),
            ("booked_on", "date"),
            ("booked_at", "time"),
            ("description", "text"),
            ("amount", "decimal(38,2)"),
            ("line_no", "bigint(20)"),
            ("docket_written_at", "datetime(6)"),
        ]
    );
    type Row = (String, String, String, Option<String>, String, i64, String);
    let rows: Vec<Row> = db
        .admin()
        .query(format!(
            "SELECT docket_key, CAST(amount AS CHAR), DATE_FORMAT(booked_on, '%Y-%m-%d'), \
             CAST(booked_at AS CHAR), description, line_no, CAST(docket_written_at AS CHAR) \
             FROM `{table}` ORDER BY line_no"
        ))
        .unwrap();
    assert_eq!(rows.len(), 47);
    for (i, (key, amt, day, time, text, line, written)) in rows.into_iter().enumerate() {
        assert_eq!(key, recs[i].key);
        let want = match i {
            0 => "12345678901234.56",
            1 => "-0.01",
            _ => amount(i),
        };
        assert_eq!(amt, want, "record {i}");
        assert_eq!(day, date(i).format("%Y-%m-%d").to_string());
        match &recs[i].values[1].1 {
            Value::Time(t) => assert_eq!(time.unwrap(), t.format("%H:%M:%S").to_string()),
            _ => assert!(time.is_none()),
        }
        assert_eq!(text, format!("Transfer {i} 转账 \"quoted\", comma"));
        assert_eq!(line, i as i64);
        assert!(written.len() >= 19, "{written}");
    }

    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    let mut probe = keys.clone();
    probe.insert(3, key("never-written", 0));
    assert_eq!(s.already_written(&table, &probe).unwrap(), keys);
    assert!(
        s.already_written(&db.table("nope"), &keys)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_rewritten_batch_counts_duplicates_and_changes_nothing() {
    let mut db = MyDb::new("rewrite");
    let table = db.table("tx");
    let recs = records("my-b", 30);
    let mut s = sink(&db.url);
    s.write_batch(&table, &recs[..12]).unwrap();
    let checksum = |db: &mut MyDb| -> String {
        db.admin()
            .query_first(format!(
                "SELECT SHA2(GROUP_CONCAT(CONCAT_WS('|', docket_key, amount, booked_on, \
                 IFNULL(booked_at, '-'), description, line_no, docket_written_at) \
                 ORDER BY docket_key SEPARATOR '\\n'), 256) FROM `{table}`"
            ))
            .unwrap()
            .unwrap()
    };
    let before = checksum(&mut db);
    let again = s.write_batch(&table, &recs[..12]).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 12));
    let fresh = sink(&db.url).write_batch(&table, &recs[..12]).unwrap();
    assert_eq!((fresh.inserted, fresh.duplicates), (0, 12));
    assert_eq!(checksum(&mut db), before, "a re-written batch changed rows");

    // A batch overlapping the stored part, with a key repeated inside it.
    let mut mixed = recs.clone();
    mixed.push(recs[20].clone());
    let out = s.write_batch(&table, &mixed).unwrap();
    assert_eq!((out.inserted, out.duplicates), (18, 13));
    assert_eq!(count(&mut db, &table), (30, 30));
}

#[test]
fn two_concurrent_writers_of_overlapping_batches_store_each_key_once() {
    let mut db = MyDb::new("concurrent");
    let table = db.table("tx");
    let recs = records("my-c", 600);
    // Create the table first so both writers race on rows, not on the DDL (record 1: no column
    // is null, so every column gets its real type).
    sink(&db.url).write_batch(&table, &recs[1..2]).unwrap();
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (recs, url, table) = (&recs, &db.url, &table);
                scope.spawn(move || {
                    let mut s = MysqlSink::connect(url).unwrap();
                    let mut mine = recs.clone();
                    if t == 1 {
                        mine.reverse();
                    }
                    let mut total = (0, 0);
                    // Batches of 100 that overlap between the writers (and by 50 within each).
                    let mut start = 0;
                    while start < mine.len() {
                        let end = (start + 100).min(mine.len());
                        let o = s.write_batch(table, &mine[start..end]).unwrap();
                        assert!(o.rejected.is_empty());
                        total.0 += o.inserted;
                        total.1 += o.duplicates;
                        start += 50;
                    }
                    total
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let inserted: usize = outcomes.iter().map(|o| o.0).sum();
    let offered: usize = outcomes.iter().map(|o| o.0 + o.1).sum();
    assert_eq!(inserted, 599, "{outcomes:?}");
    // Each writer offers 12 windows: 11 of 100 records and the last of 50.
    assert_eq!(offered, 2 * (11 * 100 + 50), "{outcomes:?}");
    assert_eq!(count(&mut db, &table), (600, 600));
}

#[test]
fn a_large_batch_spans_several_statements_in_one_transaction() {
    let mut db = MyDb::new("large");
    let table = db.table("tx");
    let recs = records("my-d", 2_500);
    let mut s = sink(&db.url);
    s.write_batch(&table, &recs[..1_200]).unwrap();
    let out = s.write_batch(&table, &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (1_300, 1_200));
    assert_eq!(count(&mut db, &table), (2_500, 2_500));
}

#[test]
fn values_a_column_would_round_or_cut_reject_the_whole_batch() {
    let mut db = MyDb::new("exact");
    let table = db.table("ledger");
    db.admin()
        .query_drop(format!(
            "CREATE TABLE `{table}` (id INT AUTO_INCREMENT PRIMARY KEY, docket_key VARCHAR(64) \
             NOT NULL UNIQUE, booked_on DATE, booked_at TIME, description VARCHAR(10), \
             amount DECIMAL(12, 2), line_no INT, UNIQUE KEY uniq_line (line_no))"
        ))
        .unwrap();
    let mut s = sink(&db.url);
    // Record 6 carries 123456789012345.67: 15 integer digits do not fit DECIMAL(12, 2).
    let e = s.write_batch(&table, &records("my-e", 8)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("DECIMAL(12, 2)") && e.message.contains("integer digits"),
        "{}",
        e.message
    );
    // A third decimal place would be rounded away.
    let mut r = records("my-e", 2);
    r[1].values[3].1 = Value::Decimal(dec("10.005"));
    let e = s.write_batch(&table, &r).unwrap_err();
    assert!(e.message.contains("3 decimal places"), "{}", e.message);
    // Text longer than VARCHAR(10): strict mode makes the server refuse it.
    let e = s.write_batch(&table, &records("my-e", 2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(e.message.contains("description"), "{}", e.message);
    assert_eq!(count(&mut db, &table), (0, 0), "nothing of a refused batch");

    // A clash on another unique key is a rejection, never a silent "duplicate".
    db.admin()
        .query_drop(format!(
            "ALTER TABLE `{table}` MODIFY description TEXT, MODIFY amount DECIMAL(20, 2)"
        ))
        .unwrap();
    let first = records("my-e", 3);
    assert_eq!(s.write_batch(&table, &first).unwrap().inserted, 3);
    let mut clash = records("my-f", 3);
    clash.truncate(2);
    let e = s.write_batch(&table, &clash).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected, "{}", e.message);
    assert!(e.message.contains("uniq_line"), "{}", e.message);
    assert_eq!(count(&mut db, &table), (3, 3));
}

#[test]
fn an_existing_table_missing_a_column_or_of_the_wrong_type_is_rejected() {
    let mut db = MyDb::new("existing");
    let table = db.table("ledger");
    db.admin()
        .query_drop(format!(
            "CREATE TABLE `{table}` (docket_key VARCHAR(64) PRIMARY KEY, booked_on DATE, \
             booked_at TIME, description TEXT, line_no BIGINT)"
        ))
        .unwrap();
    let mut s = sink(&db.url);
    let e = s.write_batch(&table, &records("my-g", 2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SinkRejected);
    assert!(
        e.message.contains("no column amount") && e.message.contains("ALTER TABLE"),
        "{}",
        e.message
    );
    db.admin()
        .query_drop(format!("ALTER TABLE `{table}` ADD COLUMN amount DOUBLE"))
        .unwrap();
    let e = s.write_batch(&table, &records("my-g", 2)).unwrap_err();
    assert!(
        e.message.contains("column amount is DOUBLE") && e.message.contains("DECIMAL"),
        "{}",
        e.message
    );
    let no_key = db.table("nokey");
    db.admin()
        .query_drop(format!("CREATE TABLE `{no_key}` (docket_key TEXT)"))
        .unwrap();
    let e = s.write_batch(&no_key, &records("my-g", 2)).unwrap_err();
    assert!(e.message.contains("no unique docket_key"), "{}", e.message);
}

#[test]
fn hostile_table_names_are_rejected() {
    let mut db = MyDb::new("hostile");
    let victim = db.table("victim");
    let mut s = sink(&db.url);
    s.write_batch(&victim, &records("my-h", 2)[1..]).unwrap();
    for name in [
        format!("{victim}; DROP TABLE {victim}"),
        format!("{victim}`; DROP TABLE `{victim}"),
        format!("test.{victim}.x"),
        "".to_owned(),
        format!("{victim}'"),
    ] {
        let e = s.write_batch(&name, &records("my-h", 2)).unwrap_err();
        assert_eq!(e.code, ErrorCode::SinkRejected, "{name:?}");
        assert!(e.message.contains("identifier"), "{}", e.message);
    }
    // A database-qualified name is fine (the database of the test URL).
    let url = common::mysql_url();
    let database = url
        .rsplit('/')
        .next()
        .unwrap_or("test")
        .split('?')
        .next()
        .unwrap_or("test");
    let out = s
        .write_batch(&format!("{database}.{victim}"), &records("my-h", 2))
        .unwrap();
    assert_eq!((out.inserted, out.duplicates), (1, 1));
    assert_eq!(count(&mut db, &victim), (2, 2));
}

#[test]
fn an_unreachable_server_is_retryable_and_a_bad_url_is_misconfigured() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("mysql://docket:S3cret-pw@127.0.0.1:{port}/backoffice");
    let e = MysqlSink::connect(&url).err().unwrap();
    assert_eq!(e.code, ErrorCode::SinkUnavailable);
    assert!(e.is_retryable());
    assert!(!e.message.contains("S3cret"), "{}", e.message);
    assert!(
        e.message
            .contains(&format!("mysql://docket@127.0.0.1:{port}/backoffice")),
        "{}",
        e.message
    );
    let spec = SinkSpec::Mysql { url };
    assert!(!format!("{spec:?}").contains("S3cret"));
    assert!(!spec.describe().contains("S3cret"));

    for bad in [
        "mysql://docket:S3cret-pw@127.0.0.1:notaport/db",
        "postgres://docket:S3cret-pw@127.0.0.1/db",
        "mysql://docket:S3cret-pw@127.0.0.1/db?no_such_option=S3cret-pw",
        "docket:S3cret-pw@127.0.0.1/db",
    ] {
        let e = MysqlSink::connect(bad).err().unwrap();
        assert_eq!(e.code, ErrorCode::SinkMisconfigured, "{bad}: {}", e.message);
        assert!(!e.message.contains("S3cret"), "{}", e.message);
        let spec = SinkSpec::Mysql { url: bad.into() };
        assert!(!format!("{spec:?}").contains("S3cret"));
    }
}

#[test]
fn with_a_password_describe_and_errors_never_show_it() {
    let mut db = MyDb::new("password");
    // One user per test process, so parallel runs do not drop each other's.
    let user = format!("dk_pw_{}", std::process::id());
    let database: String = db
        .admin()
        .query_first("SELECT DATABASE()")
        .unwrap()
        .unwrap();
    db.admin()
        .query_drop(format!(
            "CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'Hunter2-S3cret'"
        ))
        .unwrap();
    db.admin()
        .query_drop(format!("GRANT ALL ON `{database}`.* TO '{user}'@'%'"))
        .unwrap();
    let base = after_credentials(&db.url);
    let url = format!("mysql://{user}:Hunter2-S3cret@{base}");
    let mut s = sink(&url);
    assert!(!s.describe().contains("Hunter2"), "{}", s.describe());
    assert!(
        s.describe().contains(&format!("{user}@")),
        "{}",
        s.describe()
    );
    let table = db.table("tx");
    assert_eq!(
        s.write_batch(&table, &records("my-i", 3)).unwrap().inserted,
        3
    );
    // A refusal from the server carries no password either.
    let mut bad = records("my-i", 1);
    bad[0].values.push(("missing".into(), Value::Int(1)));
    let e = s.write_batch(&table, &bad).unwrap_err();
    assert!(!e.message.contains("Hunter2"), "{}", e.message);
    let wrong = format!("mysql://{user}:Wrong-Hunter2@{base}");
    let e = MysqlSink::connect(&wrong).err().unwrap();
    assert_eq!(e.code, ErrorCode::SinkUnavailable, "{}", e.message);
    assert!(!e.message.contains("Hunter2"), "{}", e.message);
    drop(s);
    db.admin()
        .query_drop(format!("DROP USER '{user}'@'%'"))
        .unwrap();
}

/// `host:port/db` of the test URL (the part after the credentials).
fn after_credentials(url: &str) -> String {
    url.rsplit_once('@')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_else(|| url.trim_start_matches("mysql://").to_owned())
}

#[test]
fn dates_times_and_nulls_bind_as_temporal_values() {
    let mut db = MyDb::new("temporal");
    let table = db.table("tx");
    let rec = |i: usize, d: Value, t: Value| OutRecord {
        key: key("my-j", i),
        values: vec![("d".into(), d), ("t".into(), t)],
    };
    let recs = vec![
        rec(
            0,
            Value::Date(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()),
            Value::Time(NaiveTime::from_hms_opt(23, 59, 59).unwrap()),
        ),
        rec(1, Value::Null, Value::Null),
        rec(
            2,
            Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
            Value::Time(NaiveTime::from_hms_opt(0, 0, 0).unwrap()),
        ),
    ];
    sink(&db.url).write_batch(&table, &recs).unwrap();
    let rows: Vec<(String, Option<String>, Option<String>)> = db
        .admin()
        .query(format!(
            "SELECT docket_key, CAST(d AS CHAR), CAST(t AS CHAR) FROM `{table}` ORDER BY d"
        ))
        .unwrap();
    let got: Vec<(Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|(_, d, t)| (d.as_deref(), t.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (None, None),
            (Some("1999-12-31"), Some("23:59:59")),
            (Some("2024-02-29"), Some("00:00:00")),
        ]
    );
}
