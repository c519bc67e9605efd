//! The SQLite sink: writes records into a table of any SQLite file, each key at most once.
//!
//! Decimals are stored as TEXT on purpose. SQLite has no decimal type: a column with NUMERIC or
//! REAL affinity turns `"0.10"` into the binary float 0.1, loses the scale and, past 15
//! significant digits, the value itself. TEXT keeps the exact digits the statement printed;
//! read them back with `rust_decimal` (or `CAST(x AS NUMERIC)` only for rough sorting). For the same
//! reason an existing table whose decimal or text column has numeric affinity is refused rather
//! than silently corrupting amounts and account numbers with leading zeros. Dates are ISO
//! `YYYY-MM-DD` text and times `HH:MM:SS`, which sort correctly as text.
//!
//! This module must never interpolate table or column text other than validated [`Ident`]s, and
//! never change the shape of a table that already exists.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode as SqliteCode, TransactionBehavior, params_from_iter};

use crate::ident::Ident;
use crate::record::{Batch, KEY_COLUMN, ValueKind, WRITTEN_AT_COLUMN, check_batch, check_keys};
use crate::{OutRecord, Sink, SinkError, Value, WriteOutcome};

/// How long a writer waits for another writer's transaction before giving up (then retryable).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Keys per `IN (...)` lookup; well under SQLite's default 32766 host-parameter limit.
const LOOKUP_CHUNK: usize = 500;
/// SQLite's clock, so the written-at stamp needs no clock of ours: UTC, millisecond ISO 8601.
const NOW_SQL: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

/// A sink writing into one SQLite database file.
pub struct SqliteSink {
    path: PathBuf,
    conn: Connection,
}

impl SqliteSink {
    /// Opens (creating if needed) the database at `path` in WAL mode with a busy timeout.
    pub fn open(path: &Path) -> Result<SqliteSink, SinkError> {
        let fail = |e: rusqlite::Error| {
            SinkError::unavailable(format!(
                "cannot open SQLite database {}: {e}; check that its folder exists and is writable",
                path.display()
            ))
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // WAL lets readers (the back office) read while we write; FULL sync because a commit we
        // report as done must survive a power cut: the runner marks the outbox after it.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        Ok(SqliteSink {
            path: path.to_owned(),
            conn,
        })
    }

    fn error(&self, table: &Ident, e: rusqlite::Error) -> SinkError {
        classify(&self.path, table, e)
    }
}

/// Busy, I/O and open failures are the target's state (retry); constraint, type and SQL errors
/// come from the data or the table mapping (reject).
fn classify(path: &Path, table: &Ident, e: rusqlite::Error) -> SinkError {
    let where_ = format!("SQLite {} table {table}", path.display());
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            SqliteCode::DatabaseBusy | SqliteCode::DatabaseLocked => {
                return SinkError::unavailable(format!(
                    "{where_}: database stayed locked by another writer for {}s: {e}; retry later",
                    BUSY_TIMEOUT.as_secs()
                ));
            }
            SqliteCode::ConstraintViolation
            | SqliteCode::TypeMismatch
            | SqliteCode::TooBig
            | SqliteCode::Unknown => {
                return SinkError::rejected(format!(
                    "{where_} refused the batch: {e}; fix the table or the mapping"
                ));
            }
            _ => {}
        }
    }
    SinkError::unavailable(format!(
        "{where_}: {e}; check the file, its folder and free disk space"
    ))
}

/// SQLite's column affinity rules (section 3.1 of "Datatypes In SQLite"); true when text stays
/// text byte for byte.
fn keeps_text(declared: &str) -> bool {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        return false;
    }
    if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        return true;
    }
    t.contains("BLOB") || t.trim().is_empty()
}

fn sql_type(kind: Option<ValueKind>) -> &'static str {
    match kind {
        Some(ValueKind::Int) => "INTEGER",
        _ => "TEXT",
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(*i),
        other => other.to_text().map_or(SqlValue::Null, SqlValue::Text),
    }
}

/// Creates the table if missing, else checks it can take the batch; returns whether the table
/// has a `docket_written_at` column.
fn ensure_table(
    conn: &Connection,
    path: &Path,
    table: &Ident,
    batch: &Batch<'_>,
) -> Result<bool, SinkError> {
    let err = |e| classify(path, table, e);
    let mut stmt = conn
        .prepare("SELECT name, type FROM pragma_table_info(?1)")
        .map_err(err)?;
    let existing: Vec<(String, String)> = stmt
        .query_map([table.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    if existing.is_empty() {
        let mut ddl = format!(
            "CREATE TABLE {} ({} TEXT PRIMARY KEY NOT NULL",
            table.quoted(),
            Ident::parse(KEY_COLUMN, "column")?.quoted()
        );
        for (col, kind) in batch.columns.iter().zip(&batch.kinds) {
            ddl.push_str(&format!(", {} {}", col.quoted(), sql_type(*kind)));
        }
        ddl.push_str(&format!(", \"{WRITTEN_AT_COLUMN}\" TEXT NOT NULL)"));
        conn.execute(&ddl, []).map_err(err)?;
        tracing::info!(path = %path.display(), %table, "created table");
        return Ok(true);
    }
    let find = |name: &str| existing.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
    let has_unique_key: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_index_list(?1) AS il \
             WHERE il.\"unique\" = 1 AND il.partial = 0 \
             AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1 \
             AND (SELECT name FROM pragma_index_info(il.name)) = ?2 COLLATE NOCASE)",
            [table.as_str(), KEY_COLUMN],
            |r| r.get(0),
        )
        .map_err(err)?;
    if find(KEY_COLUMN).is_none() || !has_unique_key {
        return Err(SinkError::rejected(format!(
            "SQLite {} table {table} has no unique {KEY_COLUMN} column, so Docket cannot write each \
             record once; add one: ALTER TABLE {table} ADD COLUMN {KEY_COLUMN} TEXT; CREATE UNIQUE \
             INDEX {table}_{KEY_COLUMN} ON {table}({KEY_COLUMN});",
            path.display()
        )));
    }
    for (col, kind) in batch.columns.iter().zip(&batch.kinds) {
        let Some((_, declared)) = find(col.as_str()) else {
            return Err(SinkError::rejected(format!(
                "SQLite {} table {table} has no column {col}; add it (ALTER TABLE {table} ADD \
                 COLUMN {col} {}) or remove it from the workflow's mapping",
                path.display(),
                sql_type(*kind)
            )));
        };
        if matches!(kind, Some(ValueKind::Decimal | ValueKind::Text)) && !keeps_text(declared) {
            return Err(SinkError::rejected(format!(
                "SQLite {} table {table} column {col} is declared {declared:?}, which makes SQLite \
                 turn {} text into numbers (\"0.10\" becomes 0.1, \"00123\" becomes 123); declare \
                 the column TEXT",
                path.display(),
                kind.map_or("", ValueKind::name)
            )));
        }
    }
    Ok(find(WRITTEN_AT_COLUMN).is_some())
}

impl Sink for SqliteSink {
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let table = Ident::parse(table, "table")?;
        let batch = check_batch(table.as_str(), records)?;
        if batch.rows.is_empty() {
            return Ok(WriteOutcome::new(0, batch.repeated));
        }
        let path = self.path.clone();
        let err = |e| classify(&path, &table, e);
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
        // then upgrades can fail with SQLITE_BUSY without the busy handler ever waiting.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let stamped = ensure_table(&tx, &path, &table, &batch)?;
        let mut sql = format!("INSERT INTO {} (\"{KEY_COLUMN}\"", table.quoted());
        for c in &batch.columns {
            sql.push_str(", ");
            sql.push_str(&c.quoted());
        }
        if stamped {
            sql.push_str(&format!(", \"{WRITTEN_AT_COLUMN}\""));
        }
        sql.push_str(") VALUES (?1");
        for i in 0..batch.columns.len() {
            sql.push_str(&format!(", ?{}", i + 2));
        }
        if stamped {
            sql.push_str(", ");
            sql.push_str(NOW_SQL);
        }
        sql.push_str(&format!(") ON CONFLICT(\"{KEY_COLUMN}\") DO NOTHING"));
        let mut inserted = 0;
        {
            let mut stmt = tx.prepare(&sql).map_err(err)?;
            for rec in &batch.rows {
                let params = std::iter::once(SqlValue::Text(rec.key.clone()))
                    .chain(rec.values.iter().map(|(_, v)| to_sql(v)));
                inserted += stmt.execute(params_from_iter(params)).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(WriteOutcome::new(inserted, records.len() - inserted))
    }

    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let table = Ident::parse(table, "table")?;
        check_keys(keys)?;
        let exists: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1))",
                [table.as_str()],
                |r| r.get(0),
            )
            .map_err(|e| self.error(&table, e))?;
        if !exists || keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = HashSet::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT \"{KEY_COLUMN}\" FROM {} WHERE \"{KEY_COLUMN}\" IN ({marks})",
                table.quoted()
            );
            let mut stmt = self.conn.prepare(&sql).map_err(|e| self.error(&table, e))?;
            let rows = stmt
                .query_map(params_from_iter(chunk), |r| r.get::<_, String>(0))
                .map_err(|e| classify(&self.path, &table, e))?;
            for k in rows {
                found.insert(k.map_err(|e| classify(&self.path, &table, e))?);
            }
        }
        Ok(keys
            .iter()
            .filter(|k| found.contains(*k))
            .cloned()
            .collect())
    }
}
