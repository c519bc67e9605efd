//! What the MySQL/MariaDB sink needs to know about a table: its columns' types (read from
//! `information_schema`), whether `docket_key` is unique, and whether every value of a batch fits
//! its column exactly. A missing table is created from the batch's value types; an existing one is
//! never altered. This module must never let a value reach a column that would round, truncate or
//! convert it: MySQL turns many such cases into mere warnings.

use ::mysql::prelude::Queryable;
use ::mysql::{Conn, Value as MyValue};
use chrono::Timelike;
use rust_decimal::Decimal;

use super::{MyTable, Target};
use crate::record::{Batch, KEY_COLUMN, ValueKind, WRITTEN_AT_COLUMN};
use crate::{SinkError, Value};

/// Most digits a created DECIMAL column holds; rust_decimal's largest value has 29.
const PRECISION: u32 = 38;
/// Fewest decimal places of a created DECIMAL column: amounts in whole units still get cents.
const MIN_SCALE: u32 = 2;

/// One column as `information_schema.COLUMNS` describes it.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub name: String,
    /// Lower-case `DATA_TYPE` (`decimal`, `varchar`, `date` …).
    pub data_type: String,
    pub precision: Option<u64>,
    pub scale: Option<u64>,
    /// Fractional-second digits of TIME/DATETIME columns.
    pub fsp: Option<u64>,
    /// `COLUMN_TYPE` mentions `unsigned`.
    pub unsigned: bool,
}

/// The parts of a table a write needs.
#[derive(Debug)]
pub(super) struct TableInfo {
    /// The mapped columns, in batch order.
    pub mapped: Vec<Column>,
    /// Whether the table has a `docket_written_at` column to stamp.
    pub stamped: bool,
    /// Name of the single-column unique index on `docket_key` (`PRIMARY` for created tables).
    pub key_index: String,
}

fn column_type(kind: Option<ValueKind>, scale: u32) -> String {
    match kind {
        Some(ValueKind::Decimal) => format!("DECIMAL({PRECISION}, {scale})"),
        Some(ValueKind::Date) => "DATE".to_owned(),
        Some(ValueKind::Time) => "TIME".to_owned(),
        Some(ValueKind::Int) => "BIGINT".to_owned(),
        Some(ValueKind::Text) | None => "TEXT".to_owned(),
    }
}

/// Decimal places of a new DECIMAL column: the most any value of the batch uses, at least 2.
fn batch_scale(batch: &Batch<'_>, col: usize) -> u32 {
    batch
        .rows
        .iter()
        .filter_map(|r| match &r.values[col].1 {
            Value::Decimal(d) => Some(d.normalize().scale()),
            _ => None,
        })
        .fold(MIN_SCALE, u32::max)
}

fn read_columns(conn: &mut Conn, table: &MyTable) -> Result<Vec<Column>, ::mysql::Error> {
    type Row = (
        String,
        String,
        Option<u64>,
        Option<u64>,
        Option<u64>,
        String,
    );
    let rows: Vec<Row> = conn.exec(
        "SELECT COLUMN_NAME, LOWER(DATA_TYPE), NUMERIC_PRECISION, NUMERIC_SCALE, \
         DATETIME_PRECISION, LOWER(COLUMN_TYPE) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
         ORDER BY ORDINAL_POSITION",
        (table.db_param(), table.name.as_str()),
    )?;
    Ok(rows
        .into_iter()
        .map(|(name, data_type, precision, scale, fsp, ty)| Column {
            name,
            data_type,
            precision,
            scale,
            fsp,
            unsigned: ty.contains("unsigned"),
        })
        .collect())
}

/// Names of unique indexes made of `docket_key` alone (full column, no prefix).
fn key_indexes(conn: &mut Conn, table: &MyTable) -> Result<Vec<String>, ::mysql::Error> {
    conn.exec(
        "SELECT INDEX_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND NON_UNIQUE = 0 \
         GROUP BY INDEX_NAME \
         HAVING COUNT(*) = 1 AND LOWER(MAX(COLUMN_NAME)) = ? AND MAX(SUB_PART) IS NULL",
        (table.db_param(), table.name.as_str(), KEY_COLUMN),
    )
}

/// Whether a column of type `c` holds values of `kind` without conversion.
fn accepts(kind: ValueKind, c: &Column) -> bool {
    let t = c.data_type.as_str();
    match kind {
        ValueKind::Text => matches!(
            t,
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext"
        ),
        ValueKind::Decimal => t == "decimal",
        ValueKind::Date => t == "date",
        ValueKind::Time => t == "time",
        ValueKind::Int => {
            matches!(t, "tinyint" | "smallint" | "mediumint" | "int" | "bigint")
                || (t == "decimal" && c.scale == Some(0))
        }
    }
}

/// Creates the table if missing, else checks that it can take the batch.
pub(super) fn ensure_table(
    conn: &mut Conn,
    target: &Target,
    table: &MyTable,
    batch: &Batch<'_>,
) -> Result<TableInfo, SinkError> {
    let err = |e: ::mysql::Error| target.classify(table, &e);
    let mut columns = read_columns(conn, table).map_err(err)?;
    if columns.is_empty() {
        let mut ddl = format!(
            "CREATE TABLE IF NOT EXISTS {} (`{KEY_COLUMN}` VARCHAR(64) CHARACTER SET ascii \
             COLLATE ascii_bin NOT NULL PRIMARY KEY",
            table.quoted()
        );
        for (i, (col, kind)) in batch.columns.iter().zip(&batch.kinds).enumerate() {
            let ty = column_type(*kind, batch_scale(batch, i));
            ddl.push_str(&format!(", {} {ty} NULL", super::quote(col)));
        }
        ddl.push_str(&format!(
            ", `{WRITTEN_AT_COLUMN}` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ));
        conn.query_drop(&ddl).map_err(err)?;
        tracing::info!(target = %target.described, %table, "created table");
        columns = read_columns(conn, table).map_err(err)?;
    }
    let keys = key_indexes(conn, table).map_err(err)?;
    let find = |name: &str| columns.iter().find(|c| c.name.eq_ignore_ascii_case(name));
    let (Some(_), Some(key_index)) = (find(KEY_COLUMN), keys.first()) else {
        return Err(SinkError::rejected(format!(
            "MySQL {} table {table} has no unique {KEY_COLUMN} column, so Docket cannot write \
             each record once; add one: ALTER TABLE {table} ADD COLUMN {KEY_COLUMN} VARCHAR(64) \
             UNIQUE;",
            target.described
        )));
    };
    let mut mapped = Vec::with_capacity(batch.columns.len());
    for (i, (col, kind)) in batch.columns.iter().zip(&batch.kinds).enumerate() {
        let Some(c) = find(col.as_str()) else {
            return Err(SinkError::rejected(format!(
                "MySQL {} table {table} has no column {col}; add it (ALTER TABLE {table} ADD \
                 COLUMN `{col}` {}) or remove it from the workflow's mapping",
                target.described,
                column_type(*kind, batch_scale(batch, i))
            )));
        };
        if let Some(kind) = kind
            && !accepts(*kind, c)
        {
            return Err(SinkError::rejected(format!(
                "MySQL {} table {table} column {col} is {} but the mapping gives {} values; \
                 change the column type (decimals need DECIMAL(p, s), dates DATE, times TIME) or \
                 the mapping",
                target.described,
                c.data_type.to_uppercase(),
                kind.name()
            )));
        }
        mapped.push(c.clone());
    }
    Ok(TableInfo {
        mapped,
        stamped: find(WRITTEN_AT_COLUMN).is_some(),
        key_index: key_index.clone(),
    })
}

/// Digits before the decimal point (0 for |d| < 1).
fn integer_digits(d: &Decimal) -> u64 {
    let t = d.trunc().abs();
    if t.is_zero() {
        0
    } else {
        t.to_string().len() as u64
    }
}

/// Refuses, before anything is sent, a value that its column would round or cut: a decimal
/// with more places or digits than the column, a negative into an unsigned column, a time with
/// more fractional digits than the column keeps.
pub(super) fn check_values(
    target: &Target,
    table: &MyTable,
    info: &TableInfo,
    batch: &Batch<'_>,
) -> Result<(), SinkError> {
    for rec in &batch.rows {
        for ((name, v), c) in rec.values.iter().zip(&info.mapped) {
            let problem = match v {
                Value::Decimal(d) if c.data_type == "decimal" => {
                    let scale = c.scale.unwrap_or(0);
                    let precision = c.precision.unwrap_or(10);
                    if u64::from(d.normalize().scale()) > scale {
                        Some(format!("has {} decimal places", d.normalize().scale()))
                    } else if integer_digits(d) > precision.saturating_sub(scale) {
                        Some(format!("has {} integer digits", integer_digits(d)))
                    } else if c.unsigned && d.is_sign_negative() && !d.is_zero() {
                        Some("is negative".to_owned())
                    } else {
                        None
                    }
                    .map(|p| {
                        format!(
                            "{d} {p} but column {name} is DECIMAL({precision}, {scale}){}",
                            if c.unsigned { " UNSIGNED" } else { "" }
                        )
                    })
                }
                Value::Time(t) if t.nanosecond() != 0 => {
                    let fsp = c.fsp.unwrap_or(0);
                    let nanos = t.nanosecond();
                    let kept = 10u32.pow(9 - u32::try_from(fsp.min(6)).unwrap_or(0));
                    (nanos % kept != 0).then(|| {
                        format!(
                            "time {v:?} has fractional seconds but column {name} is TIME({fsp})"
                        )
                    })
                }
                _ => None,
            };
            if let Some(p) = problem {
                return Err(SinkError::rejected(format!(
                    "MySQL {} table {table}: record {}: {p}; the value would be rounded or cut, \
                     so nothing of the batch was written; widen the column or fix the mapping",
                    target.described, rec.key
                )));
            }
        }
    }
    Ok(())
}

/// The value bound to a parameter: decimals travel as their exact text (the server converts text
/// to DECIMAL without float), dates and times as MySQL temporal values.
pub(super) fn to_mysql(v: &Value) -> MyValue {
    match v {
        Value::Null => MyValue::NULL,
        Value::Int(i) => MyValue::Int(*i),
        Value::Date(d) => {
            use chrono::Datelike;
            MyValue::Date(
                u16::try_from(d.year()).unwrap_or(0),
                u8::try_from(d.month()).unwrap_or(0),
                u8::try_from(d.day()).unwrap_or(0),
                0,
                0,
                0,
                0,
            )
        }
        Value::Time(t) => MyValue::Time(
            false,
            0,
            u8::try_from(t.hour()).unwrap_or(0),
            u8::try_from(t.minute()).unwrap_or(0),
            u8::try_from(t.second()).unwrap_or(0),
            t.nanosecond() / 1_000,
        ),
        other => other
            .to_text()
            .map_or(MyValue::NULL, |s| MyValue::Bytes(s.into_bytes())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn integer_digits_counts_only_the_whole_part() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(integer_digits(&d("0.01")), 0);
        assert_eq!(integer_digits(&d("-12345678901234.56")), 14);
        assert_eq!(integer_digits(&d("100")), 3);
    }
}
