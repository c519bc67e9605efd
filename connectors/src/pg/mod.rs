//! The PostgreSQL sink: writes records into a table (optionally `schema.table`) with
//! `INSERT … ON CONFLICT (docket_key) DO NOTHING`, one transaction per batch, decimals as
//! `NUMERIC`, dates as `DATE`, times as `TIME`. Connection failures are retryable
//! (`SinkUnavailable`); constraint and type errors are not (`SinkRejected`).
//!
//! This module must never put the password of the connection string into a message, a log line or
//! [`crate::Sink::describe`], never splice untrusted text into SQL, and never alter an existing
//! table.

mod param;

use std::collections::HashSet;
use std::error::Error as _;
use std::time::Duration;

use postgres::config::Host;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};

use crate::ident::Ident;
use crate::record::{Batch, KEY_COLUMN, ValueKind, WRITTEN_AT_COLUMN, check_batch, check_keys};
use crate::{OutRecord, Sink, SinkError, WriteOutcome};
use param::{ParamMismatch, PgValue, accepts};

/// Applied when the connection string sets none, so an unreachable host fails instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// PostgreSQL's limit on bind parameters in one statement.
const MAX_PARAMS: usize = 65_535;
/// Rows per multi-row INSERT: one round trip each, RETURNING tells which keys were new.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// A table name, optionally schema-qualified; both parts validated identifiers.
#[derive(Debug, Clone)]
struct PgTable {
    schema: Option<Ident>,
    name: Ident,
}

impl PgTable {
    fn parse(s: &str) -> Result<PgTable, SinkError> {
        match s.split_once('.') {
            Some((schema, name)) => Ok(PgTable {
                schema: Some(Ident::parse(schema, "schema")?),
                name: Ident::parse(name, "table")?,
            }),
            None => Ok(PgTable {
                schema: None,
                name: Ident::parse(s, "table")?,
            }),
        }
    }

    fn quoted(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", s.quoted(), self.name.quoted()),
            None => self.name.quoted(),
        }
    }
}

impl std::fmt::Display for PgTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// What a message may say about the server, and the one secret it must not.
struct Target {
    described: String,
    password: Option<String>,
}

impl Target {
    fn new(config: &Config) -> Target {
        Target {
            described: describe_config(config),
            password: config
                .get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .filter(|p| !p.is_empty()),
        }
    }

    /// Belt and braces: the driver's messages do not echo the password, but a server-side
    /// message could (e.g. a password pasted into a wrong option).
    fn redact(&self, text: String) -> String {
        match &self.password {
            Some(p) => text.replace(p.as_str(), "***"),
            None => text,
        }
    }

    fn unavailable(&self, what: &str, e: &postgres::Error) -> SinkError {
        SinkError::unavailable(self.redact(format!(
            "PostgreSQL {} is unreachable ({what}): {}; check that the server is running and the \
             connection string (host, port, dbname, user); pending records stay in the outbox",
            self.described,
            error_text(e)
        )))
    }

    /// Connection, resource and concurrency failures are retryable; everything the server says
    /// about the data or the table (constraints, types, missing objects, permissions) is not.
    fn classify(&self, table: &PgTable, e: &postgres::Error) -> SinkError {
        let retry = match e.as_db_error() {
            Some(db) => {
                let class = &db.code().code()[..2];
                matches!(class, "08" | "28" | "40" | "53" | "55" | "57" | "58" | "XX")
            }
            None => !param_error(e),
        };
        if retry {
            return self.unavailable(&format!("table {table}"), e);
        }
        SinkError::rejected(self.redact(format!(
            "PostgreSQL {} table {table} refused the batch: {}; fix the table or the mapping",
            self.described,
            error_text(e)
        )))
    }
}

fn param_error(e: &postgres::Error) -> bool {
    e.source().is_some_and(|s| {
        s.downcast_ref::<ParamMismatch>().is_some()
            || s.downcast_ref::<postgres::types::WrongType>().is_some()
    })
}

/// The driver's error with its whole cause chain (the top level alone says only "db error").
fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!(" hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

fn describe_config(config: &Config) -> String {
    let user = config.get_user().unwrap_or("(default user)");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or(user);
    format!("postgresql://{user}@{host}:{port}/{db}")
}

/// A connection string with its password removed, for Debug output of configs.
pub(crate) fn redacted_url(url: &str) -> String {
    match url.parse::<Config>() {
        Ok(c) => describe_config(&c),
        Err(_) => "(unparseable connection string)".to_owned(),
    }
}

/// A sink writing into one PostgreSQL database; reconnects after a lost connection.
pub struct PostgresSink {
    config: Config,
    target: Target,
    client: Option<Client>,
}

impl PostgresSink {
    /// Parses `url` (`postgres://user@host/db` or `host=… dbname=…`) and connects.
    pub fn connect(url: &str) -> Result<PostgresSink, SinkError> {
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            SinkError::rejected(format!(
                "the PostgreSQL connection string is invalid: {}; expected \
                 postgres://user@host:port/dbname or host=… user=… dbname=…",
                error_text(&e)
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("docket");
        }
        let target = Target::new(&config);
        let mut sink = PostgresSink {
            config,
            target,
            client: None,
        };
        sink.client()?;
        Ok(sink)
    }

    fn client(&mut self) -> Result<&mut Client, SinkError> {
        connected(&self.config, &self.target, &mut self.client)
    }
}

fn connected<'a>(
    config: &Config,
    target: &Target,
    slot: &'a mut Option<Client>,
) -> Result<&'a mut Client, SinkError> {
    if !matches!(slot, Some(c) if !c.is_closed()) {
        let client = config
            .connect(NoTls)
            .map_err(|e| target.unavailable("connect", &e))?;
        *slot = Some(client);
    }
    slot.as_mut()
        .ok_or_else(|| SinkError::unavailable("PostgreSQL connection was lost; retry"))
}

/// The table's oid, or `None` when it does not exist (search_path applies to unqualified names).
fn table_oid(client: &mut Client, table: &PgTable) -> Result<Option<u32>, postgres::Error> {
    let row = client.query_one("SELECT to_regclass($1)::oid", &[&table.quoted()])?;
    row.try_get(0)
}

fn pg_type(kind: Option<ValueKind>) -> &'static str {
    match kind {
        Some(ValueKind::Decimal) => "NUMERIC",
        Some(ValueKind::Date) => "DATE",
        Some(ValueKind::Time) => "TIME",
        Some(ValueKind::Int) => "BIGINT",
        Some(ValueKind::Text) | None => "TEXT",
    }
}

/// Creates the table if missing, else checks it has a unique key column and every mapped column.
/// Returns whether it has a `docket_written_at` column.
fn ensure_table(
    client: &mut Client,
    target: &Target,
    table: &PgTable,
    batch: &Batch<'_>,
) -> Result<bool, SinkError> {
    let err = |e: postgres::Error| target.classify(table, &e);
    let oid = match table_oid(client, table).map_err(err)? {
        Some(oid) => oid,
        None => {
            let mut ddl = format!(
                "CREATE TABLE IF NOT EXISTS {} (\"{KEY_COLUMN}\" TEXT PRIMARY KEY",
                table.quoted()
            );
            for (col, kind) in batch.columns.iter().zip(&batch.kinds) {
                ddl.push_str(&format!(", {} {}", col.quoted(), pg_type(*kind)));
            }
            ddl.push_str(&format!(
                ", \"{WRITTEN_AT_COLUMN}\" TIMESTAMPTZ NOT NULL DEFAULT now())"
            ));
            // Two agents creating the same table at once can collide in the catalog even with
            // IF NOT EXISTS; a transaction-scoped advisory lock on the name serialises them.
            let mut tx = client.transaction().map_err(err)?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))::text",
                &[&table.quoted()],
            )
            .map_err(err)?;
            tx.batch_execute(&ddl).map_err(err)?;
            tx.commit().map_err(err)?;
            tracing::info!(target = %target.described, %table, "created table");
            table_oid(client, table).map_err(err)?.ok_or_else(|| {
                SinkError::unavailable(format!(
                    "PostgreSQL {} table {table} vanished right after it was created; retry",
                    target.described
                ))
            })?
        }
    };
    let columns: Vec<String> = client
        .query(
            "SELECT attname::text FROM pg_attribute \
             WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped",
            &[&oid],
        )
        .map_err(err)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let unique_key: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a \
               ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = $1 AND i.indisunique AND i.indnkeyatts = 1 \
               AND i.indpred IS NULL AND a.attname = $2)",
            &[&oid, &KEY_COLUMN],
        )
        .and_then(|r| r.try_get(0))
        .map_err(err)?;
    if !unique_key {
        return Err(SinkError::rejected(format!(
            "PostgreSQL {} table {table} has no unique {KEY_COLUMN} column, so Docket cannot write \
             each record once; add one: ALTER TABLE {table} ADD COLUMN {KEY_COLUMN} TEXT UNIQUE;",
            target.described
        )));
    }
    for (col, kind) in batch.columns.iter().zip(&batch.kinds) {
        if !columns.iter().any(|c| c == col.as_str()) {
            let near = columns
                .iter()
                .find(|c| c.eq_ignore_ascii_case(col.as_str()))
                .map(|c| format!(" (there is {c:?}: names are case-sensitive)"))
                .unwrap_or_default();
            return Err(SinkError::rejected(format!(
                "PostgreSQL {} table {table} has no column {col}{near}; add it (ALTER TABLE \
                 {table} ADD COLUMN \"{col}\" {}) or remove it from the workflow's mapping",
                target.described,
                pg_type(*kind)
            )));
        }
    }
    Ok(columns.iter().any(|c| c == WRITTEN_AT_COLUMN))
}

fn insert_sql(table: &PgTable, batch: &Batch<'_>, rows: usize, stamped: bool) -> String {
    let mut sql = format!("INSERT INTO {} (\"{KEY_COLUMN}\"", table.quoted());
    for c in &batch.columns {
        sql.push_str(", ");
        sql.push_str(&c.quoted());
    }
    if stamped {
        sql.push_str(&format!(", \"{WRITTEN_AT_COLUMN}\""));
    }
    sql.push_str(") VALUES ");
    let width = batch.columns.len() + 1;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        if stamped {
            sql.push_str(", now()");
        }
        sql.push(')');
    }
    sql.push_str(&format!(
        " ON CONFLICT (\"{KEY_COLUMN}\") DO NOTHING RETURNING 1"
    ));
    sql
}

/// Checks the server's inferred parameter types before sending anything, so a mismatch names the
/// column instead of "parameter 7".
fn check_types(
    target: &Target,
    table: &PgTable,
    batch: &Batch<'_>,
    params: &[Type],
) -> Result<(), SinkError> {
    if let Some(key_ty) = params.first()
        && !accepts(ValueKind::Text, key_ty)
    {
        return Err(SinkError::rejected(format!(
            "PostgreSQL {} table {table} column {KEY_COLUMN} is {}; it must be text",
            target.described,
            key_ty.name()
        )));
    }
    for (i, (col, kind)) in batch.columns.iter().zip(&batch.kinds).enumerate() {
        let (Some(kind), Some(ty)) = (kind, params.get(i + 1)) else {
            continue;
        };
        if !accepts(*kind, ty) {
            return Err(SinkError::rejected(format!(
                "PostgreSQL {} table {table} column {col} is {} but the mapping gives {} values; \
                 change the column type (decimals need NUMERIC) or the mapping",
                target.described,
                ty.name(),
                kind.name()
            )));
        }
    }
    Ok(())
}

impl PostgresSink {
    fn write(&mut self, table: &PgTable, records: &[OutRecord]) -> Result<WriteOutcome, SinkError> {
        let mut batch = check_batch(&table.to_string(), records)?;
        if batch.rows.is_empty() {
            return Ok(WriteOutcome::new(0, batch.repeated));
        }
        // One key order for every writer: two agents inserting overlapping batches then wait on
        // each other in the same order instead of deadlocking.
        batch.rows.sort_by(|a, b| a.key.cmp(&b.key));
        let target = &self.target;
        let client = connected(&self.config, target, &mut self.client)?;
        let stamped = ensure_table(client, target, table, &batch)?;
        let err = |e: postgres::Error| target.classify(table, &e);
        let width = batch.columns.len() + 1;
        let per_statement = (MAX_PARAMS / width).clamp(1, MAX_ROWS_PER_STATEMENT);
        let mut tx = client.transaction().map_err(err)?;
        let mut prepared: Option<(usize, postgres::Statement)> = None;
        let mut inserted = 0;
        for chunk in batch.rows.chunks(per_statement) {
            let stmt = match &prepared {
                Some((n, s)) if *n == chunk.len() => s.clone(),
                _ => {
                    let s = tx
                        .prepare(&insert_sql(table, &batch, chunk.len(), stamped))
                        .map_err(err)?;
                    check_types(target, table, &batch, s.params())?;
                    prepared = Some((chunk.len(), s.clone()));
                    s
                }
            };
            let values: Vec<PgValue<'_>> = chunk
                .iter()
                .flat_map(|r| r.values.iter().map(|(_, v)| PgValue(v)))
                .collect();
            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * width);
            let mut vals = values.iter();
            for rec in chunk {
                params.push(&rec.key);
                for _ in 0..batch.columns.len() {
                    if let Some(v) = vals.next() {
                        params.push(v);
                    }
                }
            }
            inserted += tx.query(&stmt, &params).map_err(err)?.len();
        }
        tx.commit().map_err(err)?;
        Ok(WriteOutcome::new(inserted, records.len() - inserted))
    }

    fn lookup(&mut self, table: &PgTable, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let target = &self.target;
        let client = connected(&self.config, target, &mut self.client)?;
        let err = |e: postgres::Error| target.classify(table, &e);
        if keys.is_empty() || table_oid(client, table).map_err(err)?.is_none() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT \"{KEY_COLUMN}\"::text FROM {} WHERE \"{KEY_COLUMN}\" = ANY($1::text[])",
            table.quoted()
        );
        let found: HashSet<String> = client
            .query(&sql, &[&keys])
            .map_err(err)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        Ok(keys
            .iter()
            .filter(|k| found.contains(*k))
            .cloned()
            .collect())
    }

    /// Drops a connection that failed, so the next call reconnects.
    fn settle<T>(&mut self, result: Result<T, SinkError>) -> Result<T, SinkError> {
        if result.as_ref().is_err_and(SinkError::is_retryable) {
            self.client = None;
        }
        result
    }
}

impl Sink for PostgresSink {
    fn describe(&self) -> String {
        self.target.described.clone()
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let table = PgTable::parse(table)?;
        let result = self.write(&table, records);
        self.settle(result)
    }

    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let table = PgTable::parse(table)?;
        check_keys(keys)?;
        let result = self.lookup(&table, keys);
        self.settle(result)
    }
}
