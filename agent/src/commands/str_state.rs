//! Report states for STR drafts: `docket report approve|file|close-alert|list`. A draft
//! written by `docket report str` is recorded with its preparer and file hash; it can be approved
//! once by a different person (four eyes) while the file is unchanged, then filed once. An alert
//! that does not deserve a report is closed with a mandatory reason, because PBOC requires the
//! reason for not reporting to be kept.
//!
//! Every transition is committed together with its ledger entry (user and SHA-256), so the store
//! and the hash chain never disagree. This module must never move a report backwards, let the
//! preparer approve their own draft, or approve/file a file whose bytes differ from the ones
//! recorded.

use crate::cli::Global;
use crate::failure::Failure;
use crate::ledger;
use crate::store::{Store, now};
use anyhow::Result;
use clap::Args;
use docket_core::ErrorCode;
use docket_core::hash::sha256_hex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

/// `--user`: who is acting. Shared by every command that records a person.
#[derive(Debug, Clone, Args)]
pub struct UserArg {
    /// Who is acting (recorded in the store and the ledger); default: DOCKET_USER, then the OS
    /// user (USER).
    #[arg(long, env = "DOCKET_USER", value_name = "NAME")]
    pub user: Option<String>,
}

impl UserArg {
    /// The acting user: `--user`, `DOCKET_USER`, then the OS user (`USER`, `LOGNAME`,
    /// `USERNAME`, else the account of the process's uid); an error when none is known.
    pub fn resolve(&self) -> Result<String> {
        let nonempty = |u: String| Some(u.trim().to_string()).filter(|u| !u.is_empty());
        let named = self
            .user
            .clone()
            .and_then(nonempty)
            .or_else(|| {
                ["USER", "LOGNAME", "USERNAME"]
                    .iter()
                    .find_map(|k| std::env::var(k).ok().and_then(nonempty))
            })
            .or_else(os_account);
        named.ok_or_else(|| {
            Failure::new(
                ErrorCode::BadUsage,
                "no acting user: pass --user NAME or set DOCKET_USER",
            )
            .into()
        })
    }
}

/// The account name of this process's uid. Containers and services often run without `USER`;
/// the uid still names who acted.
#[cfg(unix)]
fn os_account() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id = f.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid-{uid}")))
}

#[cfg(not(unix))]
fn os_account() -> Option<String> {
    None
}

/// Arguments of `docket report approve` and `docket report file`.
#[derive(Debug, Args)]
pub struct ReportIdArgs {
    /// The report id printed by `docket report str` or `docket report list`, e.g. `R-1`.
    #[arg(value_name = "REPORT_ID")]
    pub report: String,
    /// Who is acting.
    #[command(flatten)]
    pub user: UserArg,
}

/// Arguments of `docket report close-alert`.
#[derive(Debug, Args)]
pub struct CloseAlertArgs {
    /// The alert id printed by `docket screen`, e.g. `A-fan_in-MULE-F01`.
    #[arg(value_name = "ALERT_ID")]
    pub alert: String,
    /// Why no report is filed (mandatory: PBOC requires the reason for not reporting).
    #[arg(long)]
    pub reason: Option<String>,
    /// Who is acting.
    #[command(flatten)]
    pub user: UserArg,
}

/// One report as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Display id, `R-<n>`.
    pub id: String,
    /// The case it reports.
    pub case_id: String,
    /// goaml | camlmac | html.
    pub format: String,
    /// The report file.
    pub file: String,
    /// SHA-256 of the file as drafted.
    pub sha256: String,
    /// draft | approved | filed.
    pub state: String,
    /// Who drafted it.
    pub preparer: String,
    /// Who approved it.
    pub approver: Option<String>,
    /// When it was filed.
    pub filed_at: Option<String>,
    /// When it was drafted.
    pub created_at: String,
}

fn fail(code: ErrorCode, msg: impl Into<String>) -> anyhow::Error {
    Failure::new(code, msg).into()
}

/// Records a new draft inside the caller's transaction and returns its display id.
pub fn record_draft(
    conn: &Connection,
    case_id: &str,
    format: &str,
    file: &str,
    sha256: &str,
    preparer: &str,
) -> Result<String> {
    conn.execute(
        "INSERT INTO str_reports (case_id, format, file, sha256, state, preparer, created_at)
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6)",
        params![case_id, format, file, sha256, preparer, now()],
    )?;
    Ok(format!("R-{}", conn.last_insert_rowid()))
}

fn parse_id(s: &str) -> Result<i64> {
    let digits = s.trim().trim_start_matches("R-").trim_start_matches("r-");
    digits.parse::<i64>().map_err(|_| {
        fail(
            ErrorCode::BadUsage,
            format!("'{s}' is not a report id: ids look like R-1 (see `docket report list`)"),
        )
    })
}

const COLUMNS: &str =
    "id, case_id, format, file, sha256, state, preparer, approver, filed_at, created_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    Ok(Report {
        id: format!("R-{}", r.get::<_, i64>(0)?),
        case_id: r.get(1)?,
        format: r.get(2)?,
        file: r.get(3)?,
        sha256: r.get(4)?,
        state: r.get(5)?,
        preparer: r.get(6)?,
        approver: r.get(7)?,
        filed_at: r.get(8)?,
        created_at: r.get(9)?,
    })
}

fn load(store: &Store, id: &str) -> Result<(i64, Report)> {
    let n = parse_id(id)?;
    let report = store
        .conn()
        .query_row(
            &format!("SELECT {COLUMNS} FROM str_reports WHERE id = ?1"),
            params![n],
            row,
        )
        .optional()?;
    match report {
        Some(r) => Ok((n, r)),
        None => Err(fail(
            ErrorCode::BadUsage,
            format!(
                "no report {id} in the run store {}: `docket report list` shows the reports",
                store.path().display()
            ),
        )),
    }
}

/// The file's SHA-256 now, or DK-E0705 when it cannot be read.
fn current_sha(report: &Report) -> Result<String> {
    match std::fs::read(&report.file) {
        Ok(bytes) => Ok(sha256_hex(&bytes)),
        Err(e) => Err(fail(
            ErrorCode::ReportChanged,
            format!(
                "report {}: cannot read its file {} ({e}); draft it again",
                report.id, report.file
            ),
        )),
    }
}

/// Runs `docket report approve`.
pub fn approve(g: &Global, args: &ReportIdArgs) -> Result<i32> {
    let user = args.user.resolve()?;
    let mut store = Store::open(&g.data_dir())?;
    let (r, sha) = approve_report(&mut store, &args.report, &user)?;
    say(
        g,
        json!({"report": r.id, "state": "approved", "approver": user, "sha256": sha}),
        format!(
            "approved report {} (prepared by {}) as {user}",
            r.id, r.preparer
        ),
    );
    Ok(0)
}

/// The message the ledger key signs when `approver` approves report `id` with file hash `sha`.
pub fn approval_message(id: &str, sha: &str, approver: &str) -> String {
    format!("docket-str-approval-v1 report={id} sha256={sha} approver={approver}\n")
}

/// Approves a draft as `user` (four eyes, unchanged file), signs the report hash with the ledger
/// key and records both in one ledger entry. Shared by the CLI and the dashboard.
pub fn approve_report(store: &mut Store, report: &str, user: &str) -> Result<(Report, String)> {
    let user = user.to_string();
    let (n, r) = load(store, report)?;
    if r.state != "draft" {
        return Err(fail(
            ErrorCode::ReportState,
            format!(
                "report {} is {}, only a draft can be approved",
                r.id, r.state
            ),
        ));
    }
    if r.preparer == user {
        return Err(fail(
            ErrorCode::FourEyes,
            format!(
                "report {} was prepared by {user}; a different person must approve it (--user NAME)",
                r.id
            ),
        ));
    }
    let sha = current_sha(&r)?;
    if sha != r.sha256 {
        return Err(fail(
            ErrorCode::ReportChanged,
            format!(
                "report {}: {} changed since it was drafted (sha256 {} at drafting, {sha} now); not approved",
                r.id, r.file, r.sha256
            ),
        ));
    }
    let data_dir = store
        .path()
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let key = ledger::sign::LedgerKey::load_or_create(&data_dir)?;
    let signature = key.sign_hex(approval_message(&r.id, &sha, &user).as_bytes());
    let tx = store.conn_mut().transaction()?;
    let changed = tx.execute(
        "UPDATE str_reports SET state = 'approved', approver = ?1, approved_sha256 = ?2, approved_at = ?3
         WHERE id = ?4 AND state = 'draft'",
        params![user, sha, now(), n],
    )?;
    if changed != 1 {
        return Err(fail(
            ErrorCode::ReportState,
            format!("report {} changed state while it was being approved", r.id),
        ));
    }
    ledger::append(
        &tx,
        None,
        "str_approved",
        &json!({"report": r.id, "case": r.case_id, "user": user, "preparer": r.preparer,
                "sha256": sha, "file": r.file, "signature": signature,
                "key": ledger::sign::fingerprint(&key.verifying())}),
    )?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok((r, sha))
}

/// Runs `docket report file`.
pub fn file(g: &Global, args: &ReportIdArgs) -> Result<i32> {
    let user = args.user.resolve()?;
    let mut store = Store::open(&g.data_dir())?;
    let (n, r) = load(&store, &args.report)?;
    if r.state != "approved" {
        return Err(fail(
            ErrorCode::ReportState,
            format!(
                "report {} is {}, only an approved report can be filed",
                r.id, r.state
            ),
        ));
    }
    let approved: String = store.conn().query_row(
        "SELECT approved_sha256 FROM str_reports WHERE id = ?1",
        params![n],
        |row| row.get(0),
    )?;
    let sha = current_sha(&r)?;
    if sha != approved {
        return Err(fail(
            ErrorCode::ReportChanged,
            format!(
                "report {}: {} changed since it was approved (sha256 {approved} then, {sha} now); not filed",
                r.id, r.file
            ),
        ));
    }
    let at = now();
    let tx = store.conn_mut().transaction()?;
    let changed = tx.execute(
        "UPDATE str_reports SET state = 'filed', filed_by = ?1, filed_at = ?2
         WHERE id = ?3 AND state = 'approved'",
        params![user, at, n],
    )?;
    if changed != 1 {
        return Err(fail(
            ErrorCode::ReportState,
            format!("report {} changed state while it was being filed", r.id),
        ));
    }
    // The case has been reported: it leaves the open work list (new alerts reopen it).
    tx.execute(
        "UPDATE cases SET status = 'reported', updated_at = ?2 WHERE id = ?1",
        params![r.case_id, at],
    )?;
    ledger::append(
        &tx,
        None,
        "str_filed",
        &json!({"report": r.id, "case": r.case_id, "user": user, "sha256": sha,
                "file": r.file, "filed_at": at}),
    )?;
    tx.commit()?;
    ledger::write_head(&store)?;
    say(
        g,
        json!({"report": r.id, "state": "filed", "filed_by": user, "filed_at": at, "sha256": sha}),
        format!("filed report {} at {at} as {user}", r.id),
    );
    Ok(0)
}

/// Runs `docket report close-alert`.
pub fn close_alert(g: &Global, args: &CloseAlertArgs) -> Result<i32> {
    let user = args.user.resolve()?;
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            fail(
                ErrorCode::BadUsage,
                format!(
                    "closing alert {} without a report needs --reason TEXT: PBOC requires the reason for not reporting to be recorded",
                    args.alert
                ),
            )
        })?;
    let mut store = Store::open(&g.data_dir())?;
    let body: Option<String> = store
        .conn()
        .query_row(
            "SELECT body FROM alerts WHERE id = ?1",
            params![args.alert],
            |r| r.get(0),
        )
        .optional()?;
    let Some(body) = body else {
        return Err(fail(
            ErrorCode::BadUsage,
            format!(
                "no alert '{}' in the run store {}: `docket screen --json` prints alert ids",
                args.alert,
                store.path().display()
            ),
        ));
    };
    let sha = sha256_hex(body.as_bytes());
    let at = now();
    let tx = store.conn_mut().transaction()?;
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO alert_closures (alert_id, reason, closed_by, closed_at) VALUES (?1, ?2, ?3, ?4)",
        params![args.alert, reason, user, at],
    )?;
    if inserted != 1 {
        return Err(fail(
            ErrorCode::ReportState,
            format!("alert {} is already closed", args.alert),
        ));
    }
    let closed_cases = close_finished_cases(&tx, &args.alert, &at)?;
    ledger::append(
        &tx,
        None,
        "alert_closed",
        &json!({"alert": args.alert, "user": user, "reason": reason, "sha256": sha,
                "cases_closed": closed_cases}),
    )?;
    tx.commit()?;
    for c in &closed_cases {
        if !g.json {
            println!("case {c} closed: every alert of it is closed");
        }
    }
    ledger::write_head(&store)?;
    say(
        g,
        json!({"alert": args.alert, "closed_by": user, "closed_at": at, "reason": reason}),
        format!("closed alert {} without a report as {user}", args.alert),
    );
    Ok(0)
}

/// All reports, oldest first.
pub fn reports(store: &Store) -> Result<Vec<Report>> {
    let mut stmt = store
        .conn()
        .prepare(&format!("SELECT {COLUMNS} FROM str_reports ORDER BY id"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Runs `docket report list`.
pub fn list(g: &Global) -> Result<i32> {
    let store = Store::open(&g.data_dir())?;
    let all = reports(&store)?;
    if g.json {
        println!("{}", serde_json::to_string(&all)?);
        return Ok(0);
    }
    if all.is_empty() {
        println!("no reports: draft one with `docket report str CASE_ID …`");
        return Ok(0);
    }
    println!("id\tcase\tformat\tstate\tpreparer\tapprover\tfiled_at\tfile");
    for r in &all {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            r.case_id,
            r.format,
            r.state,
            r.preparer,
            r.approver.as_deref().unwrap_or("-"),
            r.filed_at.as_deref().unwrap_or("-"),
            r.file
        );
    }
    Ok(0)
}

fn say(g: &Global, json: serde_json::Value, text: String) {
    if g.json {
        println!("{json}");
    } else {
        println!("{text}");
    }
}

/// Closes the cases that hold `alert` once every one of their alerts is closed (PBOC: a case is
/// done when each alert was reported or closed with a reason). Returns the cases closed.
fn close_finished_cases(
    tx: &rusqlite::Transaction<'_>,
    alert: &str,
    at: &str,
) -> Result<Vec<String>> {
    let holding: Vec<(String, String)> = {
        let mut st = tx.prepare(
            "SELECT id, alerts FROM cases WHERE status = 'open' AND instr(alerts, ?1) > 0",
        )?;
        st.query_map(params![format!("\"{alert}\"")], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut closed = Vec::new();
    for (case, alerts) in holding {
        let ids: Vec<String> = serde_json::from_str(&alerts)?;
        let mut all = true;
        for id in &ids {
            let n: i64 = tx.query_row(
                "SELECT count(*) FROM alert_closures WHERE alert_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            all &= n == 1;
        }
        if all && ids.iter().any(|i| i == alert) {
            tx.execute(
                "UPDATE cases SET status = 'closed', updated_at = ?2 WHERE id = ?1",
                params![case, at],
            )?;
            closed.push(case);
        }
    }
    Ok(closed)
}
