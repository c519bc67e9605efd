//! Alerts, cases (timeline and counterparty graph) and STR drafts with four-eyes approval. The
//! approval goes through [`crate::commands::str_state::approve_report`], the same code as
//! `docket report approve`: the approver must differ from the preparer, the file must be
//! unchanged, and the report hash is signed with the ledger key.

use super::auth::Cap;
use super::html::{esc, form, page, pager};
use super::pages::{LIMIT, Paging};
use super::session::{CsrfForm, Session};
use super::{App, WebError, with_store};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeMap;
use std::sync::Arc;

/// GET /alerts: highest score first, with closures.
pub async fn alerts(
    State(app): State<Arc<App>>,
    s: Session,
    Query(p): Query<Paging>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewAlerts)?;
    let off = p.offset.max(0);
    let body = with_store(&app, move |st, _| {
        let total: i64 = st.conn().query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
        let mut stmt = st.conn().prepare(
            "SELECT a.id, a.rule, a.subject, a.score, a.last_seen, c.reason, c.closed_by FROM alerts a
             LEFT JOIN alert_closures c ON c.alert_id = a.id ORDER BY a.score DESC, a.id LIMIT ?1 OFFSET ?2",
        )?;
        let mut q = stmt.query(params![LIMIT, off])?;
        let mut rows = String::new();
        while let Some(r) = q.next()? {
            let closed: Option<String> = r.get(5)?;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><a href=\"/cases/C-{}\">{}</a></td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.get::<_, String>(0)?), esc(&r.get::<_, String>(1)?),
                esc(&r.get::<_, String>(2)?), esc(&r.get::<_, String>(2)?), r.get::<_, f64>(3)?,
                esc(&r.get::<_, String>(4)?),
                closed.map(|c| format!("closed by {}: {}", esc(&r.get::<_, String>(6).unwrap_or_default()), esc(&c))).unwrap_or_else(|| "open".into())
            ));
        }
        Ok(format!(
            "<table id=alerts><tr><th>alert</th><th>rule</th><th>subject</th><th>score</th><th>last seen</th><th>state</th></tr>{rows}</table>{}",
            pager("/alerts", off, LIMIT, total)
        ))
    })
    .await?;
    Ok(Html(page(&s.0, "Alerts", &body)))
}

/// GET /cases.
pub async fn cases(
    State(app): State<Arc<App>>,
    s: Session,
    Query(p): Query<Paging>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewAlerts)?;
    let off = p.offset.max(0);
    let body = with_store(&app, move |st, _| {
        let total: i64 = st.conn().query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?;
        let mut stmt = st.conn().prepare(
            "SELECT id, subject, alerts, status, updated_at FROM cases ORDER BY updated_at DESC LIMIT ?1 OFFSET ?2",
        )?;
        let mut q = stmt.query(params![LIMIT, off])?;
        let mut rows = String::new();
        while let Some(r) = q.next()? {
            let id: String = r.get(0)?;
            let n = serde_json::from_str::<Vec<String>>(&r.get::<_, String>(2)?).map(|v| v.len()).unwrap_or(0);
            rows.push_str(&format!(
                "<tr><td><a href=\"/cases/{}\">{}</a></td><td>{}</td><td>{n}</td><td>{}</td><td>{}</td></tr>",
                esc(&id), esc(&id), esc(&r.get::<_, String>(1)?), esc(&r.get::<_, String>(3)?), esc(&r.get::<_, String>(4)?)
            ));
        }
        Ok(format!(
            "<table id=cases><tr><th>case</th><th>subject</th><th>alerts</th><th>status</th><th>updated</th></tr>{rows}</table>{}",
            pager("/cases", off, LIMIT, total)
        ))
    })
    .await?;
    Ok(Html(page(&s.0, "Cases", &body)))
}

/// An SVG of who paid whom in the case's alerted transactions (accounts on a circle).
fn graph(edges: &BTreeMap<(String, String), usize>) -> String {
    let mut nodes: Vec<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    nodes.sort();
    nodes.dedup();
    if nodes.is_empty() {
        return "<p class=muted>No transactions recorded for this case.</p>".into();
    }
    let n = nodes.len() as f64;
    let pos = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / n;
        (300.0 + 220.0 * a.cos(), 260.0 + 220.0 * a.sin())
    };
    let idx = |s: &String| nodes.iter().position(|x| *x == s).unwrap_or(0);
    let mut svg = String::from(
        "<svg id=graph width=600 height=520 viewBox=\"0 0 600 520\" role=img aria-label=\"counterparty graph\"><defs><marker id=arr viewBox=\"0 0 10 10\" refX=10 refY=5 markerWidth=6 markerHeight=6 orient=auto><path d=\"M0,0L10,5L0,10z\"/></marker></defs>",
    );
    for ((a, b), count) in edges {
        let ((x1, y1), (x2, y2)) = (pos(idx(a)), pos(idx(b)));
        svg.push_str(&format!(
            "<line x1={x1:.0} y1={y1:.0} x2={x2:.0} y2={y2:.0} stroke=#888 stroke-width={} marker-end=\"url(#arr)\"><title>{} → {}: {count}</title></line>",
            1 + count.min(&6), esc(a), esc(b)
        ));
    }
    for (i, name) in nodes.iter().enumerate() {
        let (x, y) = pos(i);
        svg.push_str(&format!(
            "<circle cx={x:.0} cy={y:.0} r=6 fill=#17324d /><text x={:.0} y={:.0} font-size=11>{}</text>",
            x + 8.0, y - 6.0, esc(name)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// GET /cases/{id}: alerts, timeline, counterparty graph, reports.
pub async fn case(
    State(app): State<Arc<App>>,
    s: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewAlerts)?;
    let title = format!("Case {id}");
    let body = with_store(&app, move |st, _| {
        let c = st.conn();
        let row: Option<(String, String, String)> = c
            .query_row("SELECT subject, alerts, status FROM cases WHERE id = ?1", params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((subject, ids, status)) = row else { return Ok(None) };
        let ids: Vec<String> = serde_json::from_str(&ids).unwrap_or_default();
        let mut out = format!("<p>subject <b>{}</b> · status <b>{}</b></p><h2>Alerts</h2><table id=case-alerts><tr><th>alert</th><th>rule</th><th>score</th><th>explanation</th></tr>", esc(&subject), esc(&status));
        let mut timeline: Vec<(String, String)> = Vec::new();
        let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
        for aid in &ids {
            let Some((body, first, last)) = c
                .query_row("SELECT body, first_seen, last_seen FROM alerts WHERE id = ?1", params![aid], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .optional()?
            else {
                continue;
            };
            let a: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(aid), esc(a["rule"].as_str().unwrap_or("")), esc(&a["score"].to_string()),
                esc(a["explanation_en"].as_str().unwrap_or(""))
            ));
            timeline.push((first, format!("alert {aid} raised")));
            if last != timeline.last().map(|t| t.0.clone()).unwrap_or_default() {
                timeline.push((last, format!("alert {aid} seen again")));
            }
            for t in a["transactions"].as_array().into_iter().flatten().filter_map(|t| t.as_str()) {
                let txn: Option<String> = c
                    .query_row("SELECT body FROM screened_txns WHERE id = ?1", params![t], |r| r.get(0))
                    .optional()?;
                let txn: serde_json::Value = txn.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default();
                if let (Some(from), Some(to)) = (txn["account"].as_str(), txn["counterparty_account"].as_str()) {
                    let outgoing = txn["amount"].as_str().is_some_and(|a| a.starts_with('-'));
                    let (a, b) = if outgoing { (from, to) } else { (to, from) };
                    *edges.entry((a.to_string(), b.to_string())).or_default() += 1;
                }
                if let Some(ts) = txn["timestamp"].as_str() {
                    timeline.push((ts.to_string(), format!("transaction {t}: {} {}", txn["amount"].as_str().unwrap_or(""), txn["currency"].as_str().unwrap_or(""))));
                }
            }
        }
        let mut stmt = c.prepare("SELECT ts, kind, payload FROM ledger WHERE instr(payload, ?1) > 0 ORDER BY seq")?;
        let mut q = stmt.query(params![format!("\"{id}\"")])?;
        while let Some(r) = q.next()? {
            let p: serde_json::Value = serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default();
            timeline.push((r.get(0)?, format!("{} by {}", r.get::<_, String>(1)?, p["user"].as_str().unwrap_or("-"))));
        }
        timeline.sort();
        out.push_str("</table><h2>Timeline</h2><table id=case-timeline>");
        for (t, what) in &timeline {
            out.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", esc(t), esc(what)));
        }
        out.push_str("</table><h2>Counterparties</h2>");
        out.push_str(&graph(&edges));
        Ok(Some(out))
    })
    .await?
    .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "no such case"))?;
    Ok(Html(page(&s.0, &title, &body)))
}

/// GET /reports: STR drafts, approvals, filings.
pub async fn reports(State(app): State<Arc<App>>, s: Session) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewAlerts)?;
    let me = s.0.clone();
    let body = with_store(&app, move |st, _| {
        let mut rows = String::new();
        for r in crate::commands::str_state::reports(st)? {
            let action = if r.state == "draft" && me.role.can(Cap::ApproveStr) {
                form(&me, &format!("/reports/{}/approve", r.id), "", "Approve", &format!("approve-{}", r.id))
            } else {
                String::new()
            };
            rows.push_str(&format!(
                "<tr id=\"row-{}\"><td>{}</td><td><a href=\"/cases/{}\">{}</a></td><td>{}</td><td class=state>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{action}</td></tr>",
                esc(&r.id), esc(&r.id), esc(&r.case_id), esc(&r.case_id), esc(&r.format), esc(&r.state),
                esc(&r.preparer), esc(r.approver.as_deref().unwrap_or("-")), esc(&r.sha256[..16.min(r.sha256.len())])
            ));
        }
        Ok(format!(
            "<p>Four eyes: a report is approved by someone other than its preparer; the approval signs the report's SHA-256 with the ledger key.</p><table id=reports><tr><th>report</th><th>case</th><th>format</th><th>state</th><th>preparer</th><th>approver</th><th>sha256</th><th></th></tr>{rows}</table>"
        ))
    })
    .await?;
    Ok(Html(page(&s.0, "STR reports", &body)))
}

/// POST /reports/{id}/approve.
pub async fn approve(
    State(app): State<Arc<App>>,
    s: Session,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::ApproveStr)?;
    let user = s.0.name.clone();
    with_store(&app, move |st, _| {
        crate::commands::str_state::approve_report(st, &id, &user).map(|_| ())
    })
    .await?;
    Ok(Redirect::to("/reports"))
}
