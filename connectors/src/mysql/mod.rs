//! The MySQL / MariaDB sink: writes records into a table (optionally `db.table`) in one
//! READ COMMITTED transaction per batch, decimals as `DECIMAL(38, s)` bound as exact text, dates as
//! `DATE`, times as `TIME`, with the session in strict SQL mode and UTC.
//!
//! Exactly once without `INSERT IGNORE` (which turns truncation errors into warnings) and without
//! `ON DUPLICATE KEY UPDATE` (which also swallows a clash on any other unique key): inside the
//! transaction the sink reads which keys exist, inserts only the others with plain multi-row
//! INSERTs in key order, and counts the rest as duplicates. A concurrent writer that inserted one of
//! those keys meanwhile makes the INSERT fail on the key index; the transaction is then rolled back
//! and run again (as are deadlocks and lock-wait timeouts), a bounded number of times. Any warning
//! the server raises for an INSERT rolls the batch back as rejected.
//!
//! This module must never put the password of the URL into a message, a log line or
//! [`crate::Sink::describe`], never splice untrusted text into SQL, and never alter an existing
//! table.

mod schema;

use std::collections::HashSet;
use std::time::Duration;

use ::mysql::prelude::Queryable;
use ::mysql::{Conn, IsolationLevel, Opts, OptsBuilder, TxOpts, Value as MyValue};

use crate::ident::Ident;
use crate::record::{Batch, KEY_COLUMN, WRITTEN_AT_COLUMN, check_batch, check_keys};
use crate::{OutRecord, Sink, SinkError, WriteOutcome};
use schema::{TableInfo, check_values, ensure_table, to_mysql};

/// Applied to connecting, so an unreachable host fails instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Applied to every read and write on the socket (a stuck server becomes retryable).
const IO_TIMEOUT: Duration = Duration::from_secs(120);
/// Rows per multi-row INSERT (and keys per lookup).
const MAX_ROWS_PER_STATEMENT: usize = 1_000;
/// The limit on placeholders in one prepared statement.
const MAX_PARAMS: usize = 65_535;
/// Transaction runs per batch when a concurrent writer, a deadlock or a lock wait gets in the way.
const TX_ATTEMPTS: u32 = 8;
/// Set on every connection: errors instead of silent truncation, UTC for the written-at stamp,
/// utf8mb4 for text.
const SESSION_INIT: [&str; 3] = [
    "SET NAMES utf8mb4",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
     ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    "SET SESSION time_zone = '+00:00'",
];
/// Server error codes worth trying again: connection, resource, read-only and lock problems,
/// and access denied (credentials can be fixed in the secret store without losing records).
const RETRY_CODES: &[u16] = &[
    1040, 1041, 1042, 1043, 1044, 1045, 1053, 1077, 1129, 1130, 1152, 1153, 1158, 1159, 1160, 1161,
    1180, 1181, 1203, 1205, 1213, 1223, 1226, 1290, 1317, 1836, 1927, 4031,
];
/// Lock-wait timeout and deadlock: the transaction is run again at once.
const LOCK_CODES: &[u16] = &[1205, 1213];
/// Duplicate entry for a unique key.
const DUP_ENTRY: u16 = 1062;
/// Unknown database; no database selected.
const MISCONFIGURED_CODES: &[u16] = &[1046, 1049];

/// A table name, optionally database-qualified.
#[derive(Debug, Clone)]
pub(crate) struct MyTable {
    db: Option<Ident>,
    name: Ident,
}

fn quote(ident: &Ident) -> String {
    // Safe: identifiers are validated to [A-Za-z0-9_].
    format!("`{}`", ident.as_str())
}

impl MyTable {
    fn parse(s: &str) -> Result<MyTable, SinkError> {
        match s.split_once('.') {
            Some((db, name)) => Ok(MyTable {
                db: Some(Ident::parse(db, "database")?),
                name: Ident::parse(name, "table")?,
            }),
            None => Ok(MyTable {
                db: None,
                name: Ident::parse(s, "table")?,
            }),
        }
    }

    fn quoted(&self) -> String {
        match &self.db {
            Some(d) => format!("{}.{}", quote(d), quote(&self.name)),
            None => quote(&self.name),
        }
    }

    fn db_param(&self) -> Option<String> {
        self.db.as_ref().map(|d| d.as_str().to_owned())
    }
}

impl std::fmt::Display for MyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.db {
            Some(d) => write!(f, "{d}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// `mysql://user@host:port/db`: the URL without its password or parameters.
pub(crate) fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "mysql" => {
            let user = if u.username().is_empty() {
                "(default user)"
            } else {
                u.username()
            };
            format!(
                "mysql://{user}@{}:{}{}",
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(3306),
                u.path()
            )
        }
        _ => "(unparseable MySQL URL)".to_owned(),
    }
}

/// What a message may say about the server, and the one secret it must not.
pub(crate) struct Target {
    described: String,
    password: Option<String>,
}

impl Target {
    fn redact(&self, text: String) -> String {
        match &self.password {
            Some(p) => text.replace(p.as_str(), "***"),
            None => text,
        }
    }

    fn unavailable(&self, what: &str, e: &::mysql::Error) -> SinkError {
        SinkError::unavailable(self.redact(format!(
            "MySQL {} is unreachable or busy ({what}): {e}; check that the server is running and \
             the URL (host, port, database, user); pending records stay in the outbox",
            self.described
        )))
    }

    /// Connection, resource and lock failures are retryable; a missing database is a
    /// configuration error; everything the server says about the data or the table is not.
    fn classify(&self, table: &MyTable, e: &::mysql::Error) -> SinkError {
        match e {
            ::mysql::Error::MySqlError(m) if MISCONFIGURED_CODES.contains(&m.code) => {
                SinkError::misconfigured(self.redact(format!(
                    "MySQL {} table {table}: {e}; name an existing database in the URL \
                     (mysql://user@host/db) or qualify the table as db.table",
                    self.described
                )))
            }
            ::mysql::Error::MySqlError(m) if !RETRY_CODES.contains(&m.code) => {
                SinkError::rejected(self.redact(format!(
                    "MySQL {} table {table} refused the batch: {e}; fix the table or the mapping",
                    self.described
                )))
            }
            ::mysql::Error::UrlError(_) => {
                SinkError::misconfigured(self.redact(format!("MySQL {}: {e}", self.described)))
            }
            ::mysql::Error::DriverError(
                ::mysql::DriverError::Params(_)
                | ::mysql::DriverError::MixedParams
                | ::mysql::DriverError::MismatchedStmtParams(..),
            )
            | ::mysql::Error::FromValueError(_)
            | ::mysql::Error::FromRowError(_) => SinkError::rejected(
                self.redact(format!("MySQL {} table {table}: {e}", self.described)),
            ),
            _ => self.unavailable(&format!("table {table}"), e),
        }
    }
}

/// A sink writing into one MySQL or MariaDB database; reconnects after a lost connection.
pub struct MysqlSink {
    opts: Opts,
    target: Target,
    conn: Option<Conn>,
}

impl MysqlSink {
    /// Parses `url` (`mysql://user[:password]@host[:port]/db[?param=…]`, parameters as the
    /// `mysql` crate reads them, e.g. `root_cert_path=` to require TLS) and connects. A URL
    /// that cannot be parsed is `SinkMisconfigured`, an unreachable server `SinkUnavailable`.
    pub fn connect(url: &str) -> Result<MysqlSink, SinkError> {
        let described = redacted_url(url);
        let password = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
            .filter(|p| !p.is_empty());
        let target = Target {
            described,
            password,
        };
        let parsed = Opts::from_url(url).map_err(|e| {
            SinkError::misconfigured(target.redact(format!(
                "the MySQL URL {} is invalid: {e}; expected mysql://user[:password]@host[:port]/db",
                target.described
            )))
        })?;
        let opts: Opts = OptsBuilder::from_opts(parsed)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(IO_TIMEOUT))
            .write_timeout(Some(IO_TIMEOUT))
            .init(SESSION_INIT.to_vec())
            .into();
        let mut sink = MysqlSink {
            opts,
            target,
            conn: None,
        };
        connected(&sink.opts, &sink.target, &mut sink.conn)?;
        Ok(sink)
    }
}

fn connected<'a>(
    opts: &Opts,
    target: &Target,
    slot: &'a mut Option<Conn>,
) -> Result<&'a mut Conn, SinkError> {
    if slot.is_none() {
        let conn = Conn::new(opts.clone()).map_err(|e| target.unavailable("connect", &e))?;
        *slot = Some(conn);
    }
    slot.as_mut()
        .ok_or_else(|| SinkError::unavailable("MySQL connection was lost; retry"))
}

fn insert_sql(table: &MyTable, batch: &Batch<'_>, rows: usize, stamped: bool) -> String {
    let mut sql = format!("INSERT INTO {} (`{KEY_COLUMN}`", table.quoted());
    for c in &batch.columns {
        sql.push_str(", ");
        sql.push_str(&quote(c));
    }
    if stamped {
        sql.push_str(&format!(", `{WRITTEN_AT_COLUMN}`"));
    }
    sql.push_str(") VALUES ");
    let mut row = String::from("(?");
    for _ in &batch.columns {
        row.push_str(", ?");
    }
    row.push_str(if stamped { ", UTC_TIMESTAMP(6))" } else { ")" });
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&row);
    }
    sql
}

/// The keys among `keys` present in `table`.
fn existing_keys<Q: Queryable>(
    q: &mut Q,
    table: &MyTable,
    keys: &[&str],
) -> Result<HashSet<String>, ::mysql::Error> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(MAX_ROWS_PER_STATEMENT) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!(
            "SELECT `{KEY_COLUMN}` FROM {} WHERE `{KEY_COLUMN}` IN ({marks})",
            table.quoted()
        );
        let params: Vec<MyValue> = chunk.iter().map(|k| MyValue::from(*k)).collect();
        found.extend(q.exec::<String, _, _>(sql, params)?);
    }
    Ok(found)
}

/// Why one transaction run ended without a commit.
enum TxFail {
    /// Run the transaction again (concurrent insert of one of our keys, deadlock, lock wait).
    Again(::mysql::Error),
    /// Give up with this error.
    Stop(SinkError),
}

/// One run of the batch's transaction; returns how many rows it inserted.
fn write_once(
    conn: &mut Conn,
    target: &Target,
    table: &MyTable,
    batch: &Batch<'_>,
    info: &TableInfo,
) -> Result<usize, TxFail> {
    let fail = |e: ::mysql::Error| {
        if let ::mysql::Error::MySqlError(m) = &e {
            let on_key = m.message.ends_with(&format!("'{}'", info.key_index))
                || m.message.ends_with(&format!(".{}'", info.key_index));
            if LOCK_CODES.contains(&m.code) || (m.code == DUP_ENTRY && on_key) {
                return TxFail::Again(e);
            }
        }
        TxFail::Stop(target.classify(table, &e))
    };
    let opts = TxOpts::default().set_isolation_level(Some(IsolationLevel::ReadCommitted));
    let mut tx = conn.start_transaction(opts).map_err(fail)?;
    let keys: Vec<&str> = batch.rows.iter().map(|r| r.key.as_str()).collect();
    let existing = existing_keys(&mut tx, table, &keys).map_err(fail)?;
    let new: Vec<&OutRecord> = batch
        .rows
        .iter()
        .copied()
        .filter(|r| !existing.contains(&r.key))
        .collect();
    let width = batch.columns.len() + 1;
    let per_statement = (MAX_PARAMS / width).clamp(1, MAX_ROWS_PER_STATEMENT);
    for chunk in new.chunks(per_statement) {
        let sql = insert_sql(table, batch, chunk.len(), info.stamped);
        let mut params = Vec::with_capacity(chunk.len() * width);
        for rec in chunk {
            params.push(MyValue::from(rec.key.as_str()));
            params.extend(rec.values.iter().map(|(_, v)| to_mysql(v)));
        }
        tx.exec_drop(sql, params).map_err(fail)?;
        if tx.warnings() > 0 {
            let warnings: Vec<(String, u32, String)> =
                tx.query("SHOW WARNINGS LIMIT 3").unwrap_or_default();
            let text: Vec<String> = warnings
                .iter()
                .map(|(level, code, msg)| format!("{level} {code}: {msg}"))
                .collect();
            return Err(TxFail::Stop(SinkError::rejected(target.redact(format!(
                "MySQL {} table {table} accepted the batch only with changes ({}); nothing was \
                 written; fix the table or the mapping",
                target.described,
                text.join("; ")
            )))));
        }
    }
    tx.commit().map_err(fail)?;
    Ok(new.len())
}

impl MysqlSink {
    fn write(&mut self, table: &MyTable, records: &[OutRecord]) -> Result<WriteOutcome, SinkError> {
        let mut batch = check_batch(&table.to_string(), records)?;
        if batch.rows.is_empty() {
            return Ok(WriteOutcome::new(0, batch.repeated));
        }
        // One key order for every writer, so overlapping batches wait instead of deadlocking.
        batch.rows.sort_by(|a, b| a.key.cmp(&b.key));
        let target = &self.target;
        let conn = connected(&self.opts, target, &mut self.conn)?;
        let info = ensure_table(conn, target, table, &batch)?;
        check_values(target, table, &info, &batch)?;
        let mut last = None;
        for attempt in 1..=TX_ATTEMPTS {
            match write_once(conn, target, table, &batch, &info) {
                Ok(inserted) => return Ok(WriteOutcome::new(inserted, records.len() - inserted)),
                Err(TxFail::Stop(e)) => return Err(e),
                Err(TxFail::Again(e)) => {
                    tracing::debug!(target = %target.described, %table, attempt, error = %e, "MySQL batch runs again");
                    std::thread::sleep(Duration::from_millis(fastrand::u64(
                        0..=10u64 << attempt.min(6),
                    )));
                    last = Some(e);
                }
            }
        }
        Err(match last {
            Some(e) => target.unavailable(
                &format!("table {table}: still contended after {TX_ATTEMPTS} attempts"),
                &e,
            ),
            None => SinkError::unavailable("MySQL batch was not written; retry"),
        })
    }

    fn lookup(&mut self, table: &MyTable, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let target = &self.target;
        let conn = connected(&self.opts, target, &mut self.conn)?;
        let err = |e: ::mysql::Error| target.classify(table, &e);
        let exists: Option<u8> = conn
            .exec_first(
                "SELECT 1 FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
                (table.db_param(), table.name.as_str()),
            )
            .map_err(err)?;
        if keys.is_empty() || exists.is_none() {
            return Ok(Vec::new());
        }
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let found = existing_keys(conn, table, &refs).map_err(err)?;
        Ok(keys
            .iter()
            .filter(|k| found.contains(*k))
            .cloned()
            .collect())
    }

    /// Drops a connection that failed, so the next call reconnects.
    fn settle<T>(&mut self, result: Result<T, SinkError>) -> Result<T, SinkError> {
        if result.as_ref().is_err_and(SinkError::is_retryable) {
            self.conn = None;
        }
        result
    }
}

impl Sink for MysqlSink {
    fn describe(&self) -> String {
        self.target.described.clone()
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let table = MyTable::parse(table)?;
        let result = self.write(&table, records);
        self.settle(result)
    }

    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let table = MyTable::parse(table)?;
        check_keys(keys)?;
        let result = self.lookup(&table, keys);
        self.settle(result)
    }
}
