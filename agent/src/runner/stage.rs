//! Staging: a document's records become outbox rows (one per write step, keyed by document hash,
//! position and content), committed with the file's new status in one transaction. A write step
//! with `dedupe: natural_key` (the default) first claims each record's natural key
//! (natural_key.rs) for its target in that same transaction: a record whose key another
//! document's record already holds is not staged but recorded in `natural_duplicates`, so a kill
//! at any point can neither stage a duplicate nor lose a record.

use super::natural_key;
use crate::flow::{ColumnSource, FlowSpec};
use crate::ledger;
use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_connectors::Value;
use docket_core::Extraction;
use docket_core::hash::sha256_parts;
use docket_workflow::Dedupe;
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use std::str::FromStr;

/// A record not staged because another document's record holds its natural key.
struct Duplicate {
    step_id: String,
    record: usize,
    of_run: String,
    of_doc: String,
    of_record: i64,
}

/// Builds the outbox rows of a document and commits them with the file's new status. Returns the
/// status and how many of its records an earlier run already delivered (re-ingested documents).
/// The attempt to read the document (poison.rs) is closed in the same transaction.
pub(super) fn stage_records(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    ex: &Extraction,
    sha: &str,
    attempt: Option<i64>,
) -> Result<(String, usize)> {
    let hold = flow.hold_on_failed_checks && (ex.needs_review || ex.has_failed_checks());
    let row_status = if hold { "held" } else { "pending" };
    let file_status = if hold { "review" } else { "extracted" };
    let extraction = serde_json::to_string(ex)?;
    let dedupe = flow.writes.iter().any(|w| w.dedupe == Dedupe::NaturalKey);
    let natural = if dedupe {
        Some(natural_key::document_keys(ex))
    } else {
        None
    };
    let tx = store.conn_mut().transaction()?;
    let mut earlier = 0usize;
    let mut duplicates: Vec<Duplicate> = Vec::new();
    for w in &flow.writes {
        let target = format!("{} {}", crate::flow::describe_sink(&w.sink), w.table);
        // The scope of natural keys: the sink's own description (a database URL without its
        // password, not the redacted form the outbox shows) and the table.
        let scope = format!("{} {}", w.sink.describe(), w.table);
        for (i, rec) in ex.records.iter().enumerate() {
            let canonical = serde_json::to_string(rec)?;
            let key = sha256_parts(&[
                sha.as_bytes(),
                i.to_string().as_bytes(),
                canonical.as_bytes(),
            ]);
            let nkey = match (&natural, w.dedupe) {
                (Some(n), Dedupe::NaturalKey) => n.keys.get(i).cloned().flatten(),
                _ => None,
            };
            if let Some(nkey) = nkey
                && let Some(d) = claim(&tx, &scope, &nkey, w, &key, run_id, sha, i)?
            {
                duplicates.push(d);
                continue;
            }
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
    let unkeyed = natural.as_ref().and_then(|n| n.unkeyed);
    let note = dedupe_note(&duplicates, unkeyed);
    tx.execute(
        "UPDATE files SET status = ?3, records = ?4, extraction = ?5, updated_at = ?6, message = COALESCE(?7, message) WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, file_status, ex.records.len() as i64, extraction, now(), note],
    )?;
    let failed: Vec<&str> = ex
        .checks
        .iter()
        .filter(|c| c.status == docket_core::CheckStatus::Fail)
        .map(|c| c.name.as_str())
        .collect();
    let mut payload =
        json!({ "sha256": sha, "records": ex.records.len(), "failed_checks": failed });
    // Left out when there is nothing to say, so the entries of flows without duplicates keep
    // their shape.
    if !duplicates.is_empty() {
        payload["duplicates"] = duplicates
            .iter()
            .map(|d| {
                json!({
                    "step": d.step_id,
                    "record": d.record,
                    "delivered_by": { "sha256": d.of_doc, "run": d.of_run, "record": d.of_record },
                })
            })
            .collect();
    }
    if let Some(why) = unkeyed {
        payload["dedupe"] = json!({ "skipped": why });
    }
    super::poison::finish(&tx, &flow.name, sha, attempt, "staged")?;
    ledger::append(
        &tx,
        Some(run_id),
        if hold {
            "file_held_for_review"
        } else {
            "file_extracted"
        },
        &payload,
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok((file_status.to_string(), earlier))
}

/// Claims `nkey` in `scope` for the record `i` of document `sha` (outbox row `(w.step_id, key)`),
/// inside the staging transaction. Returns the duplicate when another record holds the key: a
/// different outbox row that is staged (pending or held) or written. A claim whose row was
/// rejected (the target refused it) or is gone passes to this record, which is then staged. The
/// same row claiming again (the same document re-ingested) is no duplicate: the outbox's own key
/// handles it.
#[allow(clippy::too_many_arguments)]
fn claim(
    tx: &rusqlite::Transaction<'_>,
    scope: &str,
    nkey: &str,
    w: &crate::flow::WriteSpec,
    key: &str,
    run_id: &str,
    sha: &str,
    i: usize,
) -> Result<Option<Duplicate>> {
    let ts = now();
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO natural_keys (target, nkey, step_id, outbox_key, run_id, doc_sha256, record, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![scope, nkey, w.step_id, key, run_id, sha, i as i64, ts],
    )?;
    if inserted == 1 {
        return Ok(None);
    }
    let (c_step, c_key, c_run, c_doc, c_record): (String, String, String, String, i64) = tx
        .query_row(
            "SELECT step_id, outbox_key, run_id, doc_sha256, record FROM natural_keys WHERE target = ?1 AND nkey = ?2",
            params![scope, nkey],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    if c_step == w.step_id && c_key == key {
        return Ok(None);
    }
    let holder: Option<String> = tx
        .query_row(
            "SELECT status FROM outbox WHERE step_id = ?1 AND key = ?2",
            params![c_step, c_key],
            |r| r.get(0),
        )
        .optional()?;
    if matches!(holder.as_deref(), None | Some("rejected")) {
        tx.execute(
            "UPDATE natural_keys SET step_id = ?3, outbox_key = ?4, run_id = ?5, doc_sha256 = ?6, record = ?7, created_at = ?8 WHERE target = ?1 AND nkey = ?2",
            params![scope, nkey, w.step_id, key, run_id, sha, i as i64, ts],
        )?;
        return Ok(None);
    }
    tx.execute(
        "INSERT OR IGNORE INTO natural_duplicates (run_id, doc_sha256, step_id, record, target, nkey, of_run, of_doc, of_record, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![run_id, sha, w.step_id, i as i64, scope, nkey, c_run, c_doc, c_record, ts],
    )?;
    Ok(Some(Duplicate {
        step_id: w.step_id.clone(),
        record: i,
        of_run: c_run,
        of_doc: c_doc,
        of_record: c_record,
    }))
}

/// The note on the document's `files` row (the run report and the dashboard show it): which
/// records were not written again and which documents had them, or why the document could not
/// be de-duplicated.
fn dedupe_note(duplicates: &[Duplicate], unkeyed: Option<&str>) -> Option<String> {
    if unkeyed == Some(natural_key::NO_ACCOUNT) {
        return Some(
            "not de-duplicated: the document prints no account number and no account holder".into(),
        );
    }
    let first = duplicates.first()?;
    let mut earlier: Vec<(&str, &str)> = Vec::new();
    for d in duplicates {
        if !earlier.contains(&(d.of_doc.as_str(), d.of_run.as_str())) {
            earlier.push((d.of_doc.as_str(), d.of_run.as_str()));
        }
    }
    let from = earlier
        .iter()
        .map(|(doc, run)| format!("document {}… (run {run})", doc.get(..12).unwrap_or(doc)))
        .collect::<Vec<_>>()
        .join(", ");
    let records = duplicates
        .iter()
        .filter(|d| d.step_id == first.step_id)
        .count();
    Some(format!(
        "{records} record(s) not written again: duplicates of {from}"
    ))
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
