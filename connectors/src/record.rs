//! What the runner hands a sink: records with an idempotency key and typed column values, and the
//! checks every sink applies to a batch before touching its target (key format, one column set,
//! one type per column, keys repeated inside the batch). Pure: this module must never do I/O.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::SinkError;
use crate::ident::Ident;

/// Column names every sink manages itself; a mapping may not write them.
pub const KEY_COLUMN: &str = "docket_key";
/// When the row was written (UTC), filled by the sink.
pub const WRITTEN_AT_COLUMN: &str = "docket_written_at";

/// One typed value. Money is [`Decimal`], never a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL / an empty CSV field / JSON null.
    Null,
    /// Free text.
    Text(String),
    /// An exact decimal (amounts, balances).
    Decimal(Decimal),
    /// A calendar date.
    Date(NaiveDate),
    /// A time of day.
    Time(NaiveTime),
    /// A whole number.
    Int(i64),
}

/// The kind of a non-null [`Value`]; decides the column type when a sink creates a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// [`Value::Text`].
    Text,
    /// [`Value::Decimal`].
    Decimal,
    /// [`Value::Date`].
    Date,
    /// [`Value::Time`].
    Time,
    /// [`Value::Int`].
    Int,
}

impl ValueKind {
    /// Lower-case name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Decimal => "decimal",
            ValueKind::Date => "date",
            ValueKind::Time => "time",
            ValueKind::Int => "integer",
        }
    }
}

impl Value {
    /// The kind, or `None` for [`Value::Null`].
    pub fn kind(&self) -> Option<ValueKind> {
        match self {
            Value::Null => None,
            Value::Text(_) => Some(ValueKind::Text),
            Value::Decimal(_) => Some(ValueKind::Decimal),
            Value::Date(_) => Some(ValueKind::Date),
            Value::Time(_) => Some(ValueKind::Time),
            Value::Int(_) => Some(ValueKind::Int),
        }
    }

    /// The exact text form used wherever a sink stores text: decimals keep their scale
    /// (`0.10` stays `0.10`), dates are ISO `YYYY-MM-DD`, times `HH:MM:SS[.fff]`. `None` for null.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Text(s) => Some(s.clone()),
            Value::Decimal(d) => Some(d.to_string()),
            Value::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            Value::Time(t) => Some(t.format("%H:%M:%S%.f").to_string()),
            Value::Int(i) => Some(i.to_string()),
        }
    }
}

/// One record to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    /// Idempotency key: lower-case hex SHA-256 (64 characters) derived from the source document
    /// and the record. A key already present in the target is never written again.
    pub key: String,
    /// `(column, value)` pairs; every record of a batch has the same columns in the same order.
    pub values: Vec<(String, Value)>,
}

/// What a batch write did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteOutcome {
    /// Records newly written.
    pub inserted: usize,
    /// Records skipped because their key was already in the target or earlier in the batch.
    pub duplicates: usize,
    /// Records the target refused one by one while the rest of the batch went through (only the
    /// REST sink reports these; the database sinks refuse a batch as a whole with an error). The
    /// runner must not retry them unchanged.
    pub rejected: Vec<Rejected>,
}

impl WriteOutcome {
    /// An outcome with nothing rejected.
    pub fn new(inserted: usize, duplicates: usize) -> WriteOutcome {
        WriteOutcome {
            inserted,
            duplicates,
            rejected: Vec::new(),
        }
    }
}

/// One record refused by the target, with the target's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The record's idempotency key.
    pub key: String,
    /// What the target said (status and a short, sanitised excerpt of its answer); never a secret.
    pub message: String,
}

/// A batch that passed the shared checks.
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    /// The mapped columns, in record order.
    pub columns: Vec<Ident>,
    /// The kind of each column (first non-null value); `None` when every value is null.
    pub kinds: Vec<Option<ValueKind>>,
    /// Records with a key not seen earlier in the batch (first occurrence wins).
    pub rows: Vec<&'a OutRecord>,
    /// How many records repeated a key already seen in the batch.
    pub repeated: usize,
}

/// True for a lower-case hex SHA-256.
pub(crate) fn is_key(key: &str) -> bool {
    key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a key list given to `already_written`.
pub(crate) fn check_keys(keys: &[String]) -> Result<(), SinkError> {
    match keys.iter().find(|k| !is_key(k)) {
        Some(bad) => Err(bad_key(bad)),
        None => Ok(()),
    }
}

fn bad_key(key: &str) -> SinkError {
    SinkError::rejected(format!(
        "idempotency key {key:?} is not a lower-case hex SHA-256 (64 characters); keys are \
         derived by the runner from the document hash and the record, do not hand-craft them"
    ))
}

/// Validates a batch for `table` (already validated; used in messages).
pub(crate) fn check_batch<'a>(
    table: &str,
    records: &'a [OutRecord],
) -> Result<Batch<'a>, SinkError> {
    let Some(first) = records.first() else {
        return Ok(Batch {
            columns: Vec::new(),
            kinds: Vec::new(),
            rows: Vec::new(),
            repeated: 0,
        });
    };
    let mut columns = Vec::with_capacity(first.values.len());
    for (name, _) in &first.values {
        if name.eq_ignore_ascii_case(KEY_COLUMN) || name.eq_ignore_ascii_case(WRITTEN_AT_COLUMN) {
            return Err(SinkError::rejected(format!(
                "table {table}: column {name} is managed by Docket and cannot be mapped; rename \
                 the mapped column in the workflow"
            )));
        }
        let ident = Ident::parse(name, &format!("table {table}: column"))?;
        if columns
            .iter()
            .any(|c: &Ident| c.as_str().eq_ignore_ascii_case(name))
        {
            return Err(SinkError::rejected(format!(
                "table {table}: column {name} is mapped twice; map each column once"
            )));
        }
        columns.push(ident);
    }
    let mut kinds: Vec<Option<ValueKind>> = vec![None; columns.len()];
    let mut seen = HashSet::with_capacity(records.len());
    let mut rows = Vec::with_capacity(records.len());
    let mut repeated = 0;
    for rec in records {
        if !is_key(&rec.key) {
            return Err(bad_key(&rec.key));
        }
        let same_columns = rec.values.len() == columns.len()
            && rec
                .values
                .iter()
                .zip(&columns)
                .all(|((n, _), c)| n == c.as_str());
        if !same_columns {
            return Err(SinkError::rejected(format!(
                "table {table}: record {} has columns {:?} but the batch started with {:?}; every \
                 record of a batch must map the same columns in the same order",
                rec.key,
                rec.values
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
                columns.iter().map(Ident::as_str).collect::<Vec<_>>(),
            )));
        }
        for (i, (name, value)) in rec.values.iter().enumerate() {
            let Some(kind) = value.kind() else { continue };
            match kinds[i] {
                None => kinds[i] = Some(kind),
                Some(k) if k == kind => {}
                Some(k) => {
                    return Err(SinkError::rejected(format!(
                        "table {table}: column {name} holds {} in one record and {} in record {}; \
                         a column has one type, fix the mapping",
                        k.name(),
                        kind.name(),
                        rec.key
                    )));
                }
            }
        }
        if seen.insert(rec.key.as_str()) {
            rows.push(rec);
        } else {
            repeated += 1;
            tracing::warn!(table, key = %rec.key, "key repeated inside one batch; keeping the first");
        }
    }
    Ok(Batch {
        columns,
        kinds,
        rows,
        repeated,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(n: u8) -> String {
        format!("{:064x}", n)
    }

    #[test]
    fn repeated_keys_are_counted_and_mixed_types_refused() {
        let rec = |k, v| OutRecord {
            key: key(k),
            values: vec![("amount".into(), v)],
        };
        let recs = [
            rec(1, Value::Decimal(Decimal::ONE)),
            rec(1, Value::Null),
            rec(2, Value::Null),
        ];
        let b = check_batch("t", &recs).unwrap();
        assert_eq!((b.rows.len(), b.repeated), (2, 1));
        assert_eq!(b.kinds, vec![Some(ValueKind::Decimal)]);

        let e = check_batch(
            "t",
            &[rec(1, Value::Decimal(Decimal::ONE)), rec(2, Value::Int(1))],
        )
        .unwrap_err();
        assert!(e.message.contains("amount"), "{}", e.message);
    }

    #[test]
    fn bad_keys_and_managed_columns_are_refused() {
        let bad = OutRecord {
            key: "ABC".into(),
            values: vec![],
        };
        assert!(check_batch("t", &[bad]).is_err());
        let managed = OutRecord {
            key: key(1),
            values: vec![("docket_key".into(), Value::Null)],
        };
        assert!(check_batch("t", &[managed]).is_err());
    }

    #[test]
    fn text_forms_are_exact() {
        let d: Decimal = "0.10".parse().unwrap();
        assert_eq!(Value::Decimal(d).to_text().unwrap(), "0.10");
        let t = NaiveTime::from_hms_opt(9, 5, 0).unwrap();
        assert_eq!(Value::Time(t).to_text().unwrap(), "09:05:00");
    }
}
