//! Staging: a document's records become outbox rows (one per write step, keyed by document hash,
//! position and content), committed with the file's new status in one transaction.

use crate::flow::{ColumnSource, FlowSpec};
use crate::ledger;
use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_connectors::Value;
use docket_core::Extraction;
use docket_core::hash::sha256_parts;
use rusqlite::params;
use serde_json::json;
use std::str::FromStr;

/// Builds the outbox rows of a document and commits them with the file's new status. Returns the
/// status and how many of its records an earlier run already delivered (re-ingested documents).
pub(super) fn stage_records(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    ex: &Extraction,
    sha: &str,
) -> Result<(String, usize)> {
    let hold = flow.hold_on_failed_checks && (ex.needs_review || ex.has_failed_checks());
    let row_status = if hold { "held" } else { "pending" };
    let file_status = if hold { "review" } else { "extracted" };
    let extraction = serde_json::to_string(ex)?;
    let tx = store.conn_mut().transaction()?;
    let mut earlier = 0usize;
    for w in &flow.writes {
        let target = format!("{} {}", crate::flow::describe_sink(&w.sink), w.table);
        for (i, rec) in ex.records.iter().enumerate() {
            let canonical = serde_json::to_string(rec)?;
            let key = sha256_parts(&[
                sha.as_bytes(),
                i.to_string().as_bytes(),
                canonical.as_bytes(),
            ]);
            let values = column_values(w, ex, rec, run_id)?;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO outbox (step_id, key, run_id, doc_sha256, target, payload, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![w.step_id, key, run_id, sha, target, serde_json::to_string(&values)?, row_status, now()],
            )?;
            if inserted == 0 {
                let prior: String = tx.query_row(
                    "SELECT status FROM outbox WHERE step_id = ?1 AND key = ?2",
                    params![w.step_id, key],
                    |r| r.get(0),
                )?;
                if prior == "written" {
                    earlier += 1;
                }
            }
        }
    }
    tx.execute(
        "UPDATE files SET status = ?3, records = ?4, extraction = ?5, updated_at = ?6 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, file_status, ex.records.len() as i64, extraction, now()],
    )?;
    let failed: Vec<&str> = ex
        .checks
        .iter()
        .filter(|c| c.status == docket_core::CheckStatus::Fail)
        .map(|c| c.name.as_str())
        .collect();
    ledger::append(
        &tx,
        Some(run_id),
        if hold {
            "file_held_for_review"
        } else {
            "file_extracted"
        },
        &json!({ "sha256": sha, "records": ex.records.len(), "failed_checks": failed }),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok((file_status.to_string(), earlier))
}

/// Column values as JSON-tagged pairs for the outbox payload.
pub(super) fn column_values(
    w: &crate::flow::WriteSpec,
    ex: &Extraction,
    rec: &serde_json::Value,
    run_id: &str,
) -> Result<Vec<(String, serde_json::Value)>> {
    let mut out = Vec::with_capacity(w.columns.len());
    for (col, src) in &w.columns {
        let v = match src {
            ColumnSource::Record(f) => rec.get(f).cloned().unwrap_or(serde_json::Value::Null),
            ColumnSource::Field(f) => ex.fields.get(f).cloned().unwrap_or(serde_json::Value::Null),
            ColumnSource::SourcePath => json!(ex.source.path),
            ColumnSource::SourceSha256 => json!(ex.source.sha256),
            ColumnSource::SourcePages => json!(ex.source.pages),
            ColumnSource::RunId => json!(run_id),
            ColumnSource::Const(c) => json!(c),
        };
        let field = match src {
            ColumnSource::Record(f) | ColumnSource::Field(f) => f.as_str(),
            _ => "",
        };
        out.push((col.clone(), json!({ "field": field, "value": v })));
    }
    Ok(out)
}

/// Turns an outbox payload value into a typed sink value: amounts exact, dates as dates.
pub(super) fn typed(field: &str, v: &serde_json::Value) -> Result<Value> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Text(n.to_string()),
        },
        serde_json::Value::String(s) => match field {
            "amount" | "balance" | "opening_balance" | "closing_balance" => Value::Decimal(
                rust_decimal::Decimal::from_str(s)
                    .with_context(|| format!("{field}: '{s}' is not a decimal"))?,
            ),
            "date" | "period_start" | "period_end" => Value::Date(
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .with_context(|| format!("{field}: '{s}' is not a date"))?,
            ),
            "time" => Value::Time(
                chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
                    .with_context(|| format!("{field}: '{s}' is not a time"))?,
            ),
            _ => Value::Text(s.clone()),
        },
        other => Value::Text(other.to_string()),
    })
}
