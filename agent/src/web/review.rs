//! The review queue and the document page: the page image with a box on each extracted value,
//! the values beside it (failed-check and low-confidence fields first), corrections and
//! acceptance. Both actions are ledgered with the user (hashes of the old and new value, never
//! the values: the ledger holds no document content); the values themselves are kept in the
//! `review_edits` table for the provenance view. Accepting releases the document's held outbox
//! rows (`held` → `pending`) and marks the file `extracted`.

use super::auth::Cap;
use super::html::{esc, form, page, pager};
use super::pages::{LIMIT, Paging};
use super::session::{CsrfForm, Session};
use super::{App, WebError, with_store};
use crate::ledger;
use crate::store::{Store, now};
use anyhow::{Result, bail};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use docket_core::hash::sha256_hex;
use docket_core::{CheckStatus, Extraction};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Pixels per PDF point of rendered pages (pdftoppm at 144 dpi).
const SCALE: f32 = 2.0;

/// GET /review: documents held for review, oldest first.
pub async fn queue(
    State(app): State<Arc<App>>,
    s: Session,
    Query(p): Query<Paging>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewReview)?;
    let off = p.offset.max(0);
    let body = with_store(&app, move |st, _| {
        let total: i64 = st.conn().query_row(
            "SELECT COUNT(*) FROM files WHERE status = 'review'",
            [],
            |r| r.get(0),
        )?;
        let mut stmt = st.conn().prepare(
            "SELECT run_id, sha256, path, records, updated_at, extraction FROM files WHERE status = 'review' ORDER BY updated_at, run_id, sha256 LIMIT ?1 OFFSET ?2",
        )?;
        let mut q = stmt.query(params![LIMIT, off])?;
        let mut rows = String::new();
        while let Some(r) = q.next()? {
            let (run, sha): (String, String) = (r.get(0)?, r.get(1)?);
            let ex: Option<Extraction> = r
                .get::<_, Option<String>>(5)?
                .and_then(|e| serde_json::from_str(&e).ok());
            let (failed, low) = ex
                .map(|e| {
                    let failed = e.checks.iter().filter(|c| c.status == CheckStatus::Fail).count();
                    let low = e.provenance.values().map(|p| p.confidence).fold(1.0f32, f32::min);
                    (failed, low)
                })
                .unwrap_or((0, 1.0));
            rows.push_str(&format!(
                "<tr><td><a class=doc-link href=\"/doc/{}/{}\">{}</a></td><td>{}</td><td>{}</td><td>{failed}</td><td>{low:.2}</td><td>{}</td></tr>",
                esc(&run), esc(&sha), esc(&r.get::<_, String>(2)?), esc(&run), r.get::<_, i64>(3)?,
                esc(&r.get::<_, String>(4)?)
            ));
        }
        Ok(format!(
            "<table id=queue><tr><th>document</th><th>run</th><th>records</th><th>failed checks</th><th>lowest confidence</th><th>held since</th></tr>{rows}</table>{}",
            pager("/review", off, LIMIT, total)
        ))
    })
    .await?;
    Ok(Html(page(&s.0, "Review queue", &body)))
}

fn load(st: &Store, run: &str, sha: &str) -> Result<Option<(String, String, Extraction)>> {
    let row: Option<(String, String, Option<String>)> = st
        .conn()
        .query_row(
            "SELECT path, status, extraction FROM files WHERE run_id = ?1 AND sha256 = ?2",
            params![run, sha],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((path, status, Some(ex))) = row else {
        return Ok(None);
    };
    Ok(Some((path, status, serde_json::from_str(&ex)?)))
}

/// A field path's value in an extraction (`fields.x`, `records[3].y`).
fn value_at<'a>(ex: &'a Extraction, field: &str) -> Option<&'a serde_json::Value> {
    if let Some(name) = field.strip_prefix("fields.") {
        return ex.fields.get(name);
    }
    let (i, name) = parse_record(field)?;
    ex.records.get(i)?.get(name)
}

fn parse_record(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("records[")?;
    let (i, name) = rest.split_once("].")?;
    Some((i.parse().ok()?, name))
}

fn shown(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// `?field=` to highlight one value.
#[derive(Debug, Deserialize, Default)]
pub struct DocQuery {
    field: Option<String>,
}

/// GET /doc/{run}/{sha}: the document page (editable while held, for roles that may edit).
pub async fn document(
    State(app): State<Arc<App>>,
    s: Session,
    Path((run, sha)): Path<(String, String)>,
    Query(q): Query<DocQuery>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewReview)?;
    let me = s.0.clone();
    let (title, body) = with_store(&app, move |st, _| {
        let Some((path, status, ex)) = load(st, &run, &sha)? else {
            return Ok(None);
        };
        let editable = status == "review" && me.role.can(Cap::EditReview);
        let failing: std::collections::HashSet<usize> = ex
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .flat_map(|c| c.records.iter().copied())
            .collect();
        let mut fields: Vec<(&String, &docket_core::Provenance, bool)> = ex
            .provenance
            .iter()
            .map(|(k, p)| (k, p, parse_record(k).is_some_and(|(i, _)| failing.contains(&i))))
            .collect();
        fields.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then(a.1.confidence.total_cmp(&b.1.confidence))
                .then(a.0.cmp(b.0))
        });
        let mut edits: std::collections::HashMap<String, (String, String)> = Default::default();
        let mut stmt = st.conn().prepare(
            "SELECT field, user_name, action FROM review_edits WHERE run_id = ?1 AND sha256 = ?2 ORDER BY id",
        )?;
        let mut qr = stmt.query(params![run, sha])?;
        while let Some(r) = qr.next()? {
            edits.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
        let is_pdf = path.to_ascii_lowercase().ends_with(".pdf");
        let mut boxes = String::new();
        let mut rows = String::new();
        for (k, p, fail) in &fields {
            let id = esc(k);
            if is_pdf && p.page == 1 {
                boxes.push_str(&format!(
                    "<div class=\"box{}\" id=\"box-{id}\" title=\"{id}\" style=\"left:{:.0}px;top:{:.0}px;width:{:.0}px;height:{:.0}px\"></div>",
                    if q.field.as_deref() == Some(k.as_str()) { " sel" } else { "" },
                    p.bbox.x0 * SCALE, p.bbox.y0 * SCALE, p.bbox.width() * SCALE, p.bbox.height() * SCALE
                ));
            }
            let value = shown(value_at(&ex, k));
            let cell = if editable {
                form(&me, &format!("/doc/{run}/{sha}/correct"),
                    &format!("<input type=hidden name=field value=\"{id}\"><input name=value value=\"{}\" aria-label=\"{id}\"> ", esc(&value)),
                    "Save", &format!("save-{k}"))
            } else {
                format!("<span class=value>{}</span>", esc(&value))
            };
            let by = edits.get(*k).map(|(u, a)| format!("{} by {}", esc(a), esc(u))).unwrap_or_default();
            rows.push_str(&format!(
                "<tr data-field=\"{id}\" class=\"{}{}\"><td>{id}</td><td>{cell}</td><td>{}</td><td>{:.2}</td><td>p{} <code>{}</code></td><td>{by}</td></tr>",
                if *fail { "fail" } else { "" },
                if q.field.as_deref() == Some(k.as_str()) { " sel" } else { "" },
                esc(&p.extractor), p.confidence, p.page, esc(&p.text)
            ));
        }
        let checks: String = ex.checks.iter().map(|c| format!(
            "<li class=\"{}\">{}: {}</li>",
            if c.status == CheckStatus::Fail { "error" } else { "ok" }, esc(&c.name), esc(&c.message))).collect();
        let image = if is_pdf {
            format!("<div class=page><img id=page src=\"/doc/{}/{}/page/1\" alt=\"page 1\">{boxes}</div>", esc(&run), esc(&sha))
        } else {
            "<p class=muted>No page image for this kind of document; the source cell of each value is shown beside it.</p>".into()
        };
        let next: Option<(String, String)> = st.conn().query_row(
            "SELECT run_id, sha256 FROM files WHERE status = 'review' AND NOT (run_id = ?1 AND sha256 = ?2) ORDER BY updated_at LIMIT 1",
            params![run, sha], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let next = next.map(|(r, h)| format!("<a id=next href=\"/doc/{}/{}\">next document (n)</a>", esc(&r), esc(&h))).unwrap_or_default();
        let accept = if editable {
            form(&me, &format!("/doc/{run}/{sha}/accept"), "", "Accept and release (a)", "accept")
        } else {
            String::new()
        };
        let body = format!(
            "<p>status <b id=doc-status>{}</b> · sha256 <code>{}</code> · run <a href=\"/runs/{}\">{}</a> · {next}</p><ul id=checks>{checks}</ul>{accept}<p class=muted>Keys: j/k move, Enter edits, a accepts, n next.</p><div class=doc>{image}<table id=fields><tr><th>field</th><th>value</th><th>extractor</th><th>confidence</th><th>source</th><th>reviewed</th></tr>{rows}</table></div>",
            esc(&status), esc(&sha), esc(&run), esc(&run)
        );
        Ok(Some((path, body)))
    })
    .await?
    .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "no such document"))?;
    Ok(Html(page(&s.0, &title, &body)))
}

/// GET /doc/{run}/{sha}/page/{n}: the page rendered to PNG by pdftoppm (cached under the data
/// dir). The document is found through the store and checked against its recorded hash.
pub async fn page_image(
    State(app): State<Arc<App>>,
    s: Session,
    Path((run, sha, n)): Path<(String, String, u32)>,
) -> Result<Response, WebError> {
    s.need(Cap::ViewReview)?;
    if !sha.chars().all(|c| c.is_ascii_hexdigit()) || sha.len() != 64 || n == 0 {
        return Err(WebError::new(StatusCode::BAD_REQUEST, "bad document id"));
    }
    let png = with_store(&app, move |st, app| {
        let Some((path, _, _)) = load(st, &run, &sha)? else {
            return Ok(None);
        };
        let cache = app.config.data_dir.join("cache").join("pages");
        let out = cache.join(format!("{sha}-{n}.png"));
        if let Ok(b) = std::fs::read(&out) {
            return Ok(Some(b));
        }
        let Some(doc) = ledger::export::locate_document(st, &run, &sha, &path) else {
            return Ok(None);
        };
        std::fs::create_dir_all(&cache)?;
        let prefix = cache.join(format!("{sha}-{n}.tmp.{}", std::process::id()));
        let status = std::process::Command::new("pdftoppm")
            .args([
                "-png",
                "-r",
                "144",
                "-singlefile",
                "-f",
                &n.to_string(),
                "-l",
                &n.to_string(),
            ])
            .arg(&doc)
            .arg(&prefix)
            .status()?;
        let made = prefix.with_extension(format!(
            "{}.png",
            prefix.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        if !status.success() {
            bail!("pdftoppm could not render page {n}");
        }
        std::fs::rename(&made, &out)?;
        Ok(Some(std::fs::read(&out)?))
    })
    .await?
    .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "no page image for this document"))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The correction form.
#[derive(Debug, Deserialize)]
pub struct Correction {
    #[serde(default)]
    csrf: String,
    field: String,
    value: String,
}

/// The new value with the old one's JSON type: numbers stay numbers, decimals stay strings.
fn typed_like(old: Option<&serde_json::Value>, new: &str) -> serde_json::Value {
    match old {
        Some(serde_json::Value::Number(_)) => {
            serde_json::from_str::<serde_json::Number>(new.trim())
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| json!(new))
        }
        Some(serde_json::Value::Bool(_)) => new
            .trim()
            .parse::<bool>()
            .map(|b| json!(b))
            .unwrap_or_else(|_| json!(new)),
        _ if new.is_empty() && matches!(old, Some(serde_json::Value::Null) | None) => {
            serde_json::Value::Null
        }
        _ => json!(new),
    }
}

/// Applies a correction to the stored extraction and the document's held outbox rows.
pub fn apply_correction(
    st: &mut Store,
    run: &str,
    sha: &str,
    field: &str,
    value: &str,
    user: &str,
) -> Result<()> {
    let Some((_, status, mut ex)) = load(st, run, sha)? else {
        bail!("no such document")
    };
    if status != "review" {
        bail!("this document is {status}: only documents held for review can be corrected");
    }
    if !ex.provenance.contains_key(field) {
        bail!("'{field}' is not an extracted field of this document");
    }
    let old = value_at(&ex, field).cloned();
    let new = typed_like(old.as_ref(), value);
    let (record, name) = match parse_record(field) {
        Some((i, name)) => {
            if let Some(obj) = ex.records.get_mut(i).and_then(|r| r.as_object_mut()) {
                obj.insert(name.to_string(), new.clone());
            }
            (Some(i), name.to_string())
        }
        None => {
            let name = field.trim_start_matches("fields.").to_string();
            if let Some(obj) = ex.fields.as_object_mut() {
                obj.insert(name.clone(), new.clone());
            }
            (None, name)
        }
    };
    let tx = st.conn_mut().transaction()?;
    // Outbox rows of a document are staged in record order per write step.
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare("SELECT step_id, key, payload FROM outbox WHERE doc_sha256 = ?1 AND status = 'held' ORDER BY step_id, rowid")?;
        stmt.query_map(params![sha], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut pos: std::collections::HashMap<String, usize> = Default::default();
    for (step, key, payload) in rows {
        let i = *pos.entry(step.clone()).and_modify(|n| *n += 1).or_insert(0);
        if record.is_some_and(|r| r != i) {
            continue;
        }
        let mut cols: Vec<(String, serde_json::Value)> = serde_json::from_str(&payload)?;
        let mut changed = false;
        for (_, v) in cols.iter_mut() {
            let in_record = ex.records.get(i).and_then(|r| r.get(&name)).is_some();
            if v["field"] == json!(name) && (record.is_some() || !in_record) {
                v["value"] = new.clone();
                changed = true;
            }
        }
        if changed {
            tx.execute(
                "UPDATE outbox SET payload = ?3 WHERE step_id = ?1 AND key = ?2",
                params![step, key, serde_json::to_string(&cols)?],
            )?;
        }
    }
    tx.execute(
        "UPDATE files SET extraction = ?3, updated_at = ?4 WHERE run_id = ?1 AND sha256 = ?2",
        params![run, sha, serde_json::to_string(&ex)?, now()],
    )?;
    tx.execute("INSERT INTO review_edits (run_id, sha256, field, old_value, new_value, user_name, action, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'corrected', ?7)",
        params![run, sha, field, shown(old.as_ref()), shown(Some(&new)), user, now()])?;
    ledger::append(
        &tx,
        Some(run),
        "review_corrected",
        &json!({
            "user": user, "sha256": sha, "field": field,
            "old_sha256": sha256_hex(shown(old.as_ref()).as_bytes()), "new_sha256": sha256_hex(shown(Some(&new)).as_bytes()),
        }),
    )?;
    tx.commit()?;
    ledger::write_head(st)
}

/// POST /doc/{run}/{sha}/correct.
pub async fn correct(
    State(app): State<Arc<App>>,
    s: Session,
    Path((run, sha)): Path<(String, String)>,
    Form(f): Form<Correction>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::EditReview)?;
    let user = s.0.name.clone();
    let (r, h, field) = (run.clone(), sha.clone(), f.field.clone());
    with_store(&app, move |st, _| {
        apply_correction(st, &r, &h, &f.field, &f.value, &user)
    })
    .await
    .map_err(|e| WebError::new(StatusCode::BAD_REQUEST, e.message))?;
    Ok(Redirect::to(&format!(
        "/doc/{run}/{sha}?field={}",
        urlencode(&field)
    )))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Accepts a held document as `user`: releases its outbox rows.
pub fn apply_accept(st: &mut Store, run: &str, sha: &str, user: &str) -> Result<usize> {
    let Some((_, status, _)) = load(st, run, sha)? else {
        bail!("no such document")
    };
    if status != "review" {
        bail!("this document is {status}: only documents held for review can be accepted");
    }
    let tx = st.conn_mut().transaction()?;
    let released = tx.execute(
        "UPDATE outbox SET status = 'pending' WHERE doc_sha256 = ?1 AND status = 'held'",
        params![sha],
    )?;
    tx.execute(
        "UPDATE files SET status = 'extracted', updated_at = ?3 WHERE run_id = ?1 AND sha256 = ?2",
        params![run, sha, now()],
    )?;
    let corrections: i64 = tx.query_row("SELECT COUNT(*) FROM review_edits WHERE run_id = ?1 AND sha256 = ?2 AND action = 'corrected'", params![run, sha], |r| r.get(0))?;
    tx.execute("INSERT INTO review_edits (run_id, sha256, field, old_value, new_value, user_name, action, at) VALUES (?1, ?2, '*', '', '', ?3, 'accepted', ?4)",
        params![run, sha, user, now()])?;
    ledger::append(
        &tx,
        Some(run),
        "review_accepted",
        &json!({"user": user, "sha256": sha, "released": released, "corrections": corrections}),
    )?;
    tx.commit()?;
    ledger::write_head(st)?;
    Ok(released)
}

/// POST /doc/{run}/{sha}/accept.
pub async fn accept(
    State(app): State<Arc<App>>,
    s: Session,
    Path((run, sha)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::EditReview)?;
    let user = s.0.name.clone();
    let (r, h) = (run.clone(), sha.clone());
    with_store(&app, move |st, _| apply_accept(st, &r, &h, &user))
        .await
        .map_err(|e| WebError::new(StatusCode::BAD_REQUEST, e.message))?;
    Ok(Redirect::to(&format!("/doc/{run}/{sha}")))
}
