//! Document provenance of screened transactions: for a transaction that came from an extracted
//! document, the document's SHA-256 and path, the record's position, and the page, box, printed
//! text, extractor and confidence of its amount. Alerts carry these so that a compliance officer
//! (and the STR page) can go from an alerted transaction straight to the line of the statement
//! it was read from. Stored in the run store's `txn_sources` table, keyed by transaction id.

use anyhow::Result;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Transaction id → its source (JSON object).
pub type Sources = HashMap<String, Value>;

const TABLE: &str = "CREATE TABLE IF NOT EXISTS txn_sources (
    txn_id  TEXT PRIMARY KEY,   -- as alerts name it: <doc sha256 prefix>:<record index>
    body    TEXT NOT NULL       -- {document_sha256, path, record, page, bbox, text, extractor, confidence}
)";

/// The sources of the transactions `screen::extraction_txns` derives from `doc` (same ids).
pub fn of_extraction(doc: &Value, path: &str) -> Vec<(String, Value)> {
    if doc.get("error").is_some() {
        return Vec::new();
    }
    let sha = doc["source"]["sha256"].as_str().unwrap_or("");
    let short = sha.get(..12).unwrap_or("");
    let records = doc["records"].as_array().map(Vec::len).unwrap_or(0);
    (0..records)
        .map(|i| {
            let prov = ["amount", "date", "description"]
                .iter()
                .map(|f| &doc["provenance"][format!("records[{i}].{f}")])
                .find(|p| p.is_object())
                .cloned()
                .unwrap_or(Value::Null);
            (
                format!("{short}:{i}"),
                json!({
                    "document_sha256": sha,
                    "path": path,
                    "record": i,
                    "page": prov.get("page").cloned().unwrap_or(Value::Null),
                    "bbox": prov.get("bbox").cloned().unwrap_or(Value::Null),
                    "text": prov.get("text").cloned().unwrap_or(Value::Null),
                    "extractor": prov.get("extractor").cloned().unwrap_or(Value::Null),
                    "confidence": prov.get("confidence").cloned().unwrap_or(Value::Null),
                }),
            )
        })
        .collect()
}

/// Stores the sources of the given transactions (re-screening replaces them).
pub fn store<'a>(
    conn: &Connection,
    sources: &Sources,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    conn.execute(TABLE, [])?;
    let mut st = conn.prepare(
        "INSERT INTO txn_sources (txn_id, body) VALUES (?1, ?2)
         ON CONFLICT(txn_id) DO UPDATE SET body = excluded.body",
    )?;
    for id in ids {
        if let Some(src) = sources.get(id) {
            st.execute(params![id, serde_json::to_string(src)?])?;
        }
    }
    Ok(())
}

/// The stored sources of `ids` (those that came from documents).
pub fn load<'a>(conn: &Connection, ids: impl IntoIterator<Item = &'a str>) -> Result<Sources> {
    conn.execute(TABLE, [])?;
    let mut st = conn.prepare("SELECT body FROM txn_sources WHERE txn_id = ?1")?;
    let mut out = Sources::new();
    for id in ids {
        let body: Option<String> = st.query_row(params![id], |r| r.get(0)).ok();
        if let Some(b) = body {
            out.insert(id.to_owned(), serde_json::from_str(&b)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_follow_the_record_ids_and_provenance() -> Result<()> {
        let doc = json!({
            "source": {"sha256": "abcdef0123456789ffff", "path": "x.pdf"},
            "records": [{"amount": "1.00"}, {"amount": "2.00"}],
            "provenance": {
                "records[1].amount": {"page": 2, "bbox": [10.0, 20.0, 30.0, 28.0], "text": "2.00",
                                      "extractor": "pdf_text", "confidence": 1.0}
            }
        });
        let s: Sources = of_extraction(&doc, "inbox/x.pdf").into_iter().collect();
        assert_eq!(s.len(), 2);
        let one = &s["abcdef012345:1"];
        assert_eq!(one["page"], 2);
        assert_eq!(one["text"], "2.00");
        assert_eq!(one["path"], "inbox/x.pdf");
        assert_eq!(s["abcdef012345:0"]["page"], Value::Null);
        let conn = Connection::open_in_memory()?;
        store(&conn, &s, ["abcdef012345:1"])?;
        let back = load(&conn, ["abcdef012345:1", "abcdef012345:0"])?;
        assert_eq!(back.len(), 1);
        assert_eq!(back["abcdef012345:1"]["bbox"][2], 30.0);
        Ok(())
    }
}
