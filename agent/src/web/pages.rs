//! Runs, schedules, the ledger, evidence files and users. Alerts, cases and STR reports are in
//! [`super::compliance`] (re-exported here for the router).

use super::auth::{self, Cap, Role};
use super::html::{esc, form, page, pager};
use super::session::{CsrfForm, Session};
use super::{App, WebError, with_store};
use crate::ledger;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use std::sync::Arc;

pub use super::compliance::{alerts, approve, case, cases, reports};

/// `?offset=` of paged lists.
#[derive(Debug, Deserialize, Default)]
pub struct Paging {
    /// First row shown.
    #[serde(default)]
    pub offset: i64,
    /// `?verify=1` on the ledger page.
    #[serde(default)]
    pub verify: Option<String>,
}

/// Rows per page.
pub const LIMIT: i64 = 50;

/// GET / → the first page the role may use.
pub async fn home(s: Session) -> Redirect {
    Redirect::to(match s.0.role {
        Role::Operator | Role::Designer => "/review",
        Role::Compliance => "/reports",
        Role::Admin => "/users",
        Role::Auditor => "/runs",
    })
}

/// GET /runs.
pub async fn runs(
    State(app): State<Arc<App>>,
    s: Session,
    Query(p): Query<Paging>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewRuns)?;
    let off = p.offset.max(0);
    let body = with_store(&app, move |st, _| {
        let total: i64 = st.conn().query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        let mut stmt = st.conn().prepare(
            "SELECT id, flow_name, status, started_at, finished_at, resumes FROM runs ORDER BY started_at DESC LIMIT ?1 OFFSET ?2",
        )?;
        let mut rows = String::new();
        let mut q = stmt.query(params![LIMIT, off])?;
        while let Some(r) = q.next()? {
            let id: String = r.get(0)?;
            rows.push_str(&format!(
                "<tr><td><a href=\"/runs/{}\">{}</a></td><td>{}</td><td class=\"st-{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&id), esc(&id), esc(&r.get::<_, String>(1)?), esc(&r.get::<_, String>(2)?),
                esc(&r.get::<_, String>(2)?), esc(&r.get::<_, String>(3)?),
                esc(&r.get::<_, Option<String>>(4)?.unwrap_or_default()), r.get::<_, i64>(5)?
            ));
        }
        Ok(format!(
            "<table id=runs><tr><th>run</th><th>flow</th><th>status</th><th>started</th><th>finished</th><th>resumes</th></tr>{rows}</table>{}",
            pager("/runs", off, LIMIT, total)
        ))
    })
    .await?;
    Ok(Html(page(&s.0, "Runs", &body)))
}

/// GET /runs/{id}: files with errors and fix hints, values written (each linked to its
/// document box), and the run's ledger timeline.
pub async fn run(
    State(app): State<Arc<App>>,
    s: Session,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewRuns)?;
    let title = format!("Run {id}");
    let body = with_store(&app, move |st, _| {
        let c = st.conn();
        let head: Option<(String, String, String, Option<String>)> = c
            .query_row(
                "SELECT flow_name, status, started_at, finished_at FROM runs WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((flow, status, started, finished)) = head else {
            return Ok(None);
        };
        let mut out = format!(
            "<p>flow <b>{}</b> · status <b id=status>{}</b> · started {} · finished {}</p><h2>Files</h2><table id=files><tr><th>file</th><th>status</th><th>records</th><th>error</th></tr>",
            esc(&flow), esc(&status), esc(&started), esc(&finished.unwrap_or_default())
        );
        let mut stmt = c.prepare(
            "SELECT path, sha256, status, code, message, records FROM files WHERE run_id = ?1 ORDER BY path",
        )?;
        let mut q = stmt.query(params![id])?;
        while let Some(r) = q.next()? {
            let sha: String = r.get(1)?;
            let code: Option<String> = r.get(3)?;
            let hint = code
                .as_deref()
                .and_then(|c| c.parse::<docket_core::ErrorCode>().ok())
                .map(|c| format!("<br><span class=muted>fix: {}</span>", esc(c.help())))
                .unwrap_or_default();
            out.push_str(&format!(
                "<tr><td><a href=\"/doc/{}/{}\">{}</a></td><td>{}</td><td>{}</td><td>{} {}{hint}</td></tr>",
                esc(&id), esc(&sha), esc(&r.get::<_, String>(0)?), esc(&r.get::<_, String>(2)?),
                r.get::<_, i64>(5)?, esc(&code.clone().unwrap_or_default()),
                esc(&r.get::<_, Option<String>>(4)?.unwrap_or_default())
            ));
        }
        out.push_str("</table><h2>Timeline</h2><table id=timeline><tr><th>#</th><th>time</th><th>step</th><th>details</th></tr>");
        let mut stmt = c.prepare(
            "SELECT seq, ts, kind, payload FROM ledger WHERE run_id = ?1 ORDER BY seq LIMIT 2000",
        )?;
        let mut q = stmt.query(params![id])?;
        while let Some(r) = q.next()? {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                r.get::<_, i64>(0)?, esc(&r.get::<_, String>(1)?), esc(&r.get::<_, String>(2)?),
                esc(&r.get::<_, String>(3)?)
            ));
        }
        out.push_str("</table>");
        Ok(Some(out))
    })
    .await?
    .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "no such run"))?;
    Ok(Html(page(&s.0, &title, &body)))
}

/// GET /schedules: next fire times (when `--flows` was given) and the tick journal.
pub async fn schedules(State(app): State<Arc<App>>, s: Session) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewSchedules)?;
    let me = s.0.clone();
    let body = with_store(&app, move |st, app| {
        let mut out = String::new();
        if let Some(dir) = &app.config.flows {
            out.push_str("<h2>Next fire times</h2><table id=next><tr><th>flow</th><th>cron</th><th>time zone</th><th>next (local)</th><th>state</th></tr>");
            let flows = crate::flowdir::load(dir)?;
            let now = chrono::Utc::now();
            for flow in flows.values() {
                let Some(fs) = crate::daemon::policy::schedule_of(flow)? else {
                    continue;
                };
                let tz = fs.schedule.spec().timezone;
                let next: Vec<String> = fs
                    .schedule
                    .next_n(now, 3)
                    .iter()
                    .map(|n| esc(&n.with_timezone(&tz).to_rfc3339()))
                    .collect();
                let name = &flow.spec.name;
                let manage = me.role.can(Cap::ManageSchedules);
                let state = match crate::daemon::pause::paused(st, name)? {
                    Some(p) => format!(
                        "paused by {} at {}: {}{}",
                        esc(&p.by), esc(&p.at), esc(&p.reason),
                        if manage { form(&me, &format!("/schedules/{name}/resume"), "", "Resume", &format!("resume-{name}")) } else { String::new() }
                    ),
                    None => format!(
                        "active{}",
                        if manage { form(&me, &format!("/schedules/{name}/pause"), "<input name=reason placeholder=\"reason\" required>", "Pause", &format!("pause-{name}")) } else { String::new() }
                    ),
                };
                out.push_str(&format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{state}</td></tr>",
                    esc(name), esc(&fs.schedule.spec().cron), esc(tz.name()),
                    next.join("<br>")
                ));
            }
            out.push_str("</table><p class=muted>A paused flow's ticks are recorded as skipped, with who paused it and why.</p>");
        } else {
            out.push_str("<p class=muted>Start <code>docket serve --flows DIR</code> to see next fire times.</p>");
        }
        out.push_str("<h2>Recent ticks</h2><table id=ticks><tr><th>flow</th><th>fire at</th><th>status</th><th>attempts</th><th>run</th><th>note</th></tr>");
        // The same view as `docket schedule history`: each tick with the runs it caused.
        for t in crate::daemon::ticks::history(st, None, 200)? {
            let runs: Vec<String> = t
                .runs
                .iter()
                .map(|r| format!("<a href=\"/runs/{}\">{}</a> {}", esc(&r.run_id), esc(&r.run_id), esc(&r.status)))
                .collect();
            let runs = if runs.is_empty() {
                t.run_id.map(|id| format!("<a href=\"/runs/{}\">{}</a>", esc(&id), esc(&id))).unwrap_or_default()
            } else {
                runs.join("<br>")
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&t.flow), esc(&t.fire_at), esc(&t.status), t.attempts, runs,
                esc(&t.note.unwrap_or_default())
            ));
        }
        out.push_str("</table>");
        Ok(out)
    })
    .await?;
    Ok(Html(page(&s.0, "Schedules", &body)))
}

/// GET /ledger: newest entries first; `?verify=1` walks chain and signatures.
pub async fn ledger(
    State(app): State<Arc<App>>,
    s: Session,
    Query(p): Query<Paging>,
) -> Result<Html<String>, WebError> {
    s.need(Cap::ViewLedger)?;
    let off = p.offset.max(0);
    let verify = p.verify.is_some();
    let body = with_store(&app, move |st, _| {
        let mut out = String::new();
        if verify {
            let v = ledger::verify(st)?;
            out.push_str(&if v.ok {
                format!(
                    "<p class=ok id=verdict>Ledger verified: {} entries, {} signed checkpoints through entry {} (key {}).</p>",
                    v.entries, v.signatures, v.signed_through,
                    esc(v.key_fingerprint.as_deref().unwrap_or("none"))
                )
            } else {
                format!(
                    "<p class=error id=verdict>DK-E0401: {}</p>",
                    esc(v.problem.as_deref().unwrap_or(""))
                )
            });
        } else {
            out.push_str("<p><a href=\"/ledger?verify=1\" id=verify>Verify chain and signatures</a></p>");
        }
        let total: i64 = st.conn().query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))?;
        out.push_str("<table id=ledger><tr><th>#</th><th>time</th><th>run</th><th>kind</th><th>details</th><th>hash</th></tr>");
        let mut stmt = st.conn().prepare(
            "SELECT l.seq, l.ts, l.run_id, l.kind, l.payload, l.hash, s.seq IS NOT NULL FROM ledger l
             LEFT JOIN ledger_signatures s ON s.seq = l.seq ORDER BY l.seq DESC LIMIT ?1 OFFSET ?2",
        )?;
        let mut q = stmt.query(params![LIMIT, off])?;
        while let Some(r) = q.next()? {
            let signed: bool = r.get(6)?;
            out.push_str(&format!(
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                r.get::<_, i64>(0)?, if signed { " ✔ signed" } else { "" },
                esc(&r.get::<_, String>(1)?), esc(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
                esc(&r.get::<_, String>(3)?), esc(&r.get::<_, String>(4)?),
                esc(&r.get::<_, String>(5)?[..16])
            ));
        }
        out.push_str("</table>");
        out.push_str(&pager("/ledger", off, LIMIT, total));
        Ok(out)
    })
    .await?;
    Ok(Html(page(&s.0, "Ledger", &body)))
}

/// True when `rel` is a plain relative path (no `..`, root, drive, backslash or NUL).
pub fn safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && !rel.contains('\0')
        && std::path::Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// GET /evidence/{*path}: a file under `<data_dir>/evidence/` (screenshots, exported pages).
/// Anything that would leave that folder is refused.
pub async fn evidence(
    State(app): State<Arc<App>>,
    s: Session,
    Path(rel): Path<String>,
) -> Result<Response, WebError> {
    s.need(Cap::ViewRuns)?;
    if !safe_relative(&rel) {
        return Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "not an evidence path",
        ));
    }
    let base = app.config.data_dir.join("evidence");
    let path = base.join(&rel);
    let (Ok(base), Ok(real)) = (base.canonicalize(), path.canonicalize()) else {
        return Err(WebError::new(
            StatusCode::NOT_FOUND,
            "no such evidence file",
        ));
    };
    if !real.starts_with(&base) || !real.is_file() {
        return Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "not an evidence path",
        ));
    }
    let bytes = tokio::fs::read(&real)
        .await
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "no such evidence file"))?;
    let ct = match real.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("pdf") => "application/pdf",
        Some("txt" | "log") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}

/// GET /users (admin).
pub async fn users(State(app): State<Arc<App>>, s: Session) -> Result<Html<String>, WebError> {
    s.need(Cap::ManageUsers)?;
    let me = s.0.clone();
    let body = with_store(&app, move |st, _| {
        let mut out = String::from("<table id=users><tr><th>name</th><th>role</th><th>failed logins</th><th>locked</th><th></th></tr>");
        let mut stmt = st.conn().prepare("SELECT name, role, failures, locked_at FROM users ORDER BY name")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let name: String = r.get(0)?;
            let locked: Option<String> = r.get(3)?;
            let unlock = if locked.is_some() {
                form(&me, &format!("/users/{name}/unlock"), "", "Unlock", &format!("unlock-{name}"))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{unlock}</td></tr>",
                esc(&name), esc(&r.get::<_, String>(1)?), r.get::<_, i64>(2)?, esc(&locked.unwrap_or_default())
            ));
        }
        let roles: String = Role::ALL
            .iter()
            .map(|r| format!("<option>{}</option>", r.name()))
            .collect();
        out.push_str("</table><h2>Add a user</h2>");
        out.push_str(&form(
            &me,
            "/users",
            &format!("<label>Name <input name=name required></label> <label>Role <select name=role>{roles}</select></label> <label>Password <input name=password type=password minlength=10 required></label> "),
            "Add",
            "add-user",
        ));
        Ok(out)
    })
    .await?;
    Ok(Html(page(&s.0, "Users", &body)))
}

/// The add-user form.
#[derive(Deserialize)]
pub struct AddUser {
    #[serde(default)]
    csrf: String,
    name: String,
    role: String,
    password: String,
}

/// POST /users (admin).
pub async fn add_user(
    State(app): State<Arc<App>>,
    s: Session,
    Form(f): Form<AddUser>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::ManageUsers)?;
    let role = Role::parse(&f.role)
        .ok_or_else(|| WebError::new(StatusCode::BAD_REQUEST, "unknown role"))?;
    let by = s.0.name.clone();
    with_store(&app, move |st, _| {
        auth::add_user(st, &f.name, role, &f.password, &by)
    })
    .await?;
    Ok(Redirect::to("/users"))
}

/// POST /users/{name}/unlock (admin).
pub async fn unlock(
    State(app): State<Arc<App>>,
    s: Session,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::ManageUsers)?;
    let by = s.0.name.clone();
    with_store(&app, move |st, _| auth::unlock_user(st, &name, &by)).await?;
    Ok(Redirect::to("/users"))
}

/// The pause form.
#[derive(Deserialize)]
pub struct PauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// POST /schedules/{flow}/pause (operator, designer): the daemon skips the flow's ticks.
pub async fn pause_schedule(
    State(app): State<Arc<App>>,
    s: Session,
    Path(flow): Path<String>,
    Form(f): Form<PauseForm>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::ManageSchedules)?;
    let reason = f.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "a pause needs a reason; it is recorded with every skipped tick",
        ));
    }
    let by = s.0.name.clone();
    with_store(&app, move |st, _| {
        crate::daemon::pause::pause(st, &flow, &by, &reason).map(|_| ())
    })
    .await?;
    Ok(Redirect::to("/schedules"))
}

/// POST /schedules/{flow}/resume (operator, designer).
pub async fn resume_schedule(
    State(app): State<Arc<App>>,
    s: Session,
    Path(flow): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, WebError> {
    s.check_csrf(&f.csrf)?;
    s.need(Cap::ManageSchedules)?;
    let by = s.0.name.clone();
    with_store(&app, move |st, _| {
        crate::daemon::pause::resume(st, &flow, &by).map(|_| ())
    })
    .await?;
    Ok(Redirect::to("/schedules"))
}
