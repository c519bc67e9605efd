//! The HTML run summary: what a run read, what it wrote, what it quarantined and why, and what
//! waits for review — for people. It reads the run store only; it embeds no document images and
//! no secrets, and escapes every value taken from a document.

use crate::store::Store;
use anyhow::Result;
use rusqlite::params;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

struct FileRow {
    path: String,
    sha256: String,
    status: String,
    code: Option<String>,
    message: Option<String>,
    records: i64,
    extraction: Option<String>,
}

/// Renders the summary of `run_id` as a standalone HTML page.
pub fn render_run(store: &Store, run_id: &str) -> Result<String> {
    let conn = store.conn();
    let (flow, status, started, finished, resumes, fingerprint): (String, String, String, Option<String>, i64, String) = conn.query_row(
        "SELECT flow_name, status, started_at, finished_at, resumes, plan_fingerprint FROM runs WHERE id = ?1",
        params![run_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT path, sha256, status, code, message, records, extraction FROM files WHERE run_id = ?1 ORDER BY path",
    )?;
    let files: Vec<FileRow> = stmt
        .query_map(params![run_id], |r| {
            Ok(FileRow {
                path: r.get(0)?,
                sha256: r.get(1)?,
                status: r.get(2)?,
                code: r.get(3)?,
                message: r.get(4)?,
                records: r.get(5)?,
                extraction: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let count = |st: &str| -> Result<i64> {
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE run_id = ?1 AND status = ?2",
            params![run_id, st],
            |r| r.get(0),
        )?)
    };
    let (written, held, pending) = (count("written")?, count("held")?, count("pending")?);
    let duplicates: i64 = conn.query_row(
        "SELECT COUNT(*) FROM natural_duplicates WHERE run_id = ?1",
        params![run_id],
        |r| r.get(0),
    )?;
    let ledger_entries: i64 = conn.query_row(
        "SELECT COUNT(*) FROM ledger WHERE run_id = ?1",
        params![run_id],
        |r| r.get(0),
    )?;

    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Docket run {rid}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}td.num{{text-align:right;font-variant-numeric:tabular-nums}}
.done{{color:#176b2c}}.quarantined,.failed{{color:#a31515}}.review{{color:#9a6700}}code{{font-size:90%}}</style></head><body>
<h1>Run of <code>{flow}</code></h1>
<p>Run <code>{rid}</code> — status <strong class="{st}">{st}</strong>; started {started}; finished {finished}; resumed {resumes} time(s); flow fingerprint <code>{fp}</code>.</p>
<p>{nfiles} file(s); {written} record(s) written; {held} held for review; {duplicates} duplicate(s) of other files not written; {pending} pending delivery; {ledger_entries} ledger entries.</p>
"#,
        rid = esc(run_id),
        flow = esc(&flow),
        st = esc(&status),
        started = esc(&started),
        finished = esc(finished.as_deref().unwrap_or("—")),
        fp = esc(fingerprint.get(..16).unwrap_or(&fingerprint)),
        nfiles = files.len(),
    );
    h.push_str("<h2>Files</h2><table><tr><th>file</th><th>sha256</th><th>status</th><th>records</th><th>why</th></tr>");
    for f in &files {
        let why = match (&f.code, &f.message) {
            (Some(c), Some(m)) => format!("<code>{}</code> {}", esc(c), esc(m)),
            (None, Some(m)) => esc(m),
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}…</code></td><td class=\"{st}\">{st}</td><td class=\"num\">{}</td><td>{why}</td></tr>",
            esc(&f.path),
            esc(f.sha256.get(..12).unwrap_or("")),
            f.records,
            st = esc(&f.status),
        );
    }
    h.push_str("</table>");
    for f in &files {
        let Some(ex) = f
            .extraction
            .as_deref()
            .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        else {
            continue;
        };
        let _ = write!(h, "<h3>{}</h3>", esc(&f.path));
        if let Some(fields) = ex.get("fields").and_then(|v| v.as_object()) {
            h.push_str("<table>");
            for (k, v) in fields {
                let val = v.as_str().map(str::to_string).unwrap_or_else(|| {
                    if v.is_null() {
                        "—".into()
                    } else {
                        v.to_string()
                    }
                });
                let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&val));
            }
            h.push_str("</table>");
        }
        if let Some(checks) = ex.get("checks").and_then(|v| v.as_array()) {
            h.push_str("<ul>");
            for c in checks {
                let s = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let _ = write!(
                    h,
                    "<li><strong>{}</strong> {}: {}</li>",
                    esc(&s("status")),
                    esc(&s("name")),
                    esc(&s("message"))
                );
            }
            h.push_str("</ul>");
        }
        if let Some(records) = ex.get("records").and_then(|v| v.as_array()) {
            h.push_str("<table><tr><th>#</th><th>date</th><th>description</th><th>counterparty</th><th>amount</th><th>balance</th></tr>");
            for (i, r) in records.iter().enumerate() {
                let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let _ = write!(
                    h,
                    "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    i + 1,
                    esc(&s("date")),
                    esc(&s("description")),
                    esc(&s("counterparty")),
                    esc(&s("amount")),
                    esc(&s("balance"))
                );
            }
            h.push_str("</table>");
        }
    }
    h.push_str("<p><small>Generated by Docket. Verify the ledger with <code>docket audit verify</code>.</small></p></body></html>\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_from_documents() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
