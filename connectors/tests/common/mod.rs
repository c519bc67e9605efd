//! Shared test data and fixtures: statement-like records with awkward exact amounts, and a
//! throw-away PostgreSQL schema per test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDate, NaiveTime};
use docket_connectors::{OutRecord, Value};
use docket_core::hash::sha256_hex;
use rust_decimal::Decimal;

/// Amounts that a float would mangle or that carry a meaningful trailing zero.
pub const AMOUNTS: &[&str] = &[
    "-1234.56",
    "0.10",
    "99999999999.99",
    "0.01",
    "-0.10",
    "1000000.00",
    "123456789012345.67",
    "-99999999999.99",
    "0.00",
];

pub fn key(doc: &str, i: usize) -> String {
    sha256_hex(format!("{doc}/record-{i}").as_bytes())
}

pub fn amount(i: usize) -> &'static str {
    AMOUNTS[i % AMOUNTS.len()]
}

pub fn date(i: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap()
}

pub fn record(doc: &str, i: usize) -> OutRecord {
    OutRecord {
        key: key(doc, i),
        values: vec![
            ("booked_on".into(), Value::Date(date(i))),
            (
                "booked_at".into(),
                if i.is_multiple_of(3) {
                    Value::Null
                } else {
                    Value::Time(NaiveTime::from_hms_opt(9, (i % 60) as u32, 5).unwrap())
                },
            ),
            (
                "description".into(),
                Value::Text(format!("Transfer {i} 转账 \"quoted\", comma")),
            ),
            ("amount".into(), Value::Decimal(amount(i).parse().unwrap())),
            ("line_no".into(), Value::Int(i as i64)),
        ],
    }
}

pub fn records(doc: &str, n: usize) -> Vec<OutRecord> {
    (0..n).map(|i| record(doc, i)).collect()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A unique PostgreSQL schema, dropped when the fixture goes out of scope.
pub struct PgSchema {
    pub url: String,
    pub schema: String,
    admin: postgres::Client,
}

impl PgSchema {
    /// `None` only when DOCKET_TEST_PG=skip; an unreachable server fails the test with a how-to.
    pub fn new(test: &str) -> Option<PgSchema> {
        if std::env::var("DOCKET_TEST_PG").is_ok_and(|v| v == "skip") {
            eprintln!("DOCKET_TEST_PG=skip: skipping PostgreSQL test {test}");
            return None;
        }
        let url = pg_url();
        let mut admin = match postgres::Client::connect(&url, postgres::NoTls) {
            Ok(c) => c,
            Err(e) => panic!(
                "PostgreSQL is not reachable with {url:?}: {e}. Start it (Debian: `service \
                 postgresql start` or `pg_ctlcluster 15 main start`), or set DOCKET_TEST_PG_URL \
                 to a server where you may create schemas, or set DOCKET_TEST_PG=skip to skip \
                 the PostgreSQL tests."
            ),
        };
        static N: AtomicUsize = AtomicUsize::new(0);
        let schema = format!(
            "docket_test_{}_{}_{test}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .unwrap();
        Some(PgSchema { url, schema, admin })
    }

    pub fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.schema)
    }

    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.admin
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema));
    }
}

pub fn pg_url() -> String {
    std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "host=localhost user=postgres dbname=test".to_owned())
}

/// The MariaDB/MySQL server the MySQL tests use.
pub fn mysql_url() -> String {
    std::env::var("DOCKET_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

/// Unique table names in the MySQL test database, dropped when the fixture goes out of scope.
pub struct MyDb {
    pub url: String,
    prefix: String,
    admin: mysql::Conn,
}

impl MyDb {
    /// Connects as the test administrator; an unreachable server fails the test with a how-to.
    pub fn new(test: &str) -> MyDb {
        let url = mysql_url();
        let opts = mysql::Opts::from_url(&url).expect("DOCKET_TEST_MYSQL_URL");
        let admin = match mysql::Conn::new(opts) {
            Ok(c) => c,
            Err(e) => panic!(
                "MariaDB is not reachable with {url:?}: {e}. Install and start it (Debian: \
                 `apt-get install mariadb-server && service mariadb start`; the test database \
                 `test` must exist and root may log in from 127.0.0.1 without a password: \
                 `mariadb -e 'CREATE DATABASE IF NOT EXISTS test'`), or set \
                 DOCKET_TEST_MYSQL_URL to a server where you may create tables."
            ),
        };
        static N: AtomicUsize = AtomicUsize::new(0);
        let prefix = format!(
            "dk_{}_{}_{test}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        MyDb { url, prefix, admin }
    }

    /// A table name unique to this test.
    pub fn table(&self, name: &str) -> String {
        format!("{}_{name}", self.prefix)
    }

    pub fn admin(&mut self) -> &mut mysql::Conn {
        &mut self.admin
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        use mysql::prelude::Queryable;
        let tables: Vec<String> = self
            .admin
            .exec(
                "SELECT TABLE_NAME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE CONCAT(?, '%')",
                (self.prefix.replace('_', "\\_"),),
            )
            .unwrap_or_default();
        for t in tables {
            let _ = self.admin.query_drop(format!("DROP TABLE `{t}`"));
        }
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
