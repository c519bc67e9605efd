//! The `ui` write target: each staged record is typed into a desktop application by replaying a
//! UI script (`docket_desktop`), with before/after screenshots of every step as evidence under
//! `<data dir>/evidence/<run id>/ui-<step>/<key>/`, and journaled so that it is entered exactly
//! once however often the run is resumed.
//!
//! **How a batch runs.** The script has one top-level `for_each`. The steps before it (the
//! *setup*: wait for the form, log in) run once per batch — one document's pending records — and
//! must be safe to repeat, since every batch and every resumed run runs them again; the values
//! they `read_text` are visible to the record steps. The `for_each` then runs as one replay per
//! record (a `for_each` over that one record), so each record's outcome is known the moment its
//! steps end; the steps after the `for_each` (the *teardown*) run once when the batch is done.
//! Record variables are the write step's columns: `{{record.<column>}}`, exact text (amounts keep
//! their scale, never a float).
//!
//! **Exactly once.** A UI has no transaction and no idempotency key, so the sink keeps its own
//! journal, `<data dir>/ui-journal.sqlite` (`synchronous=FULL`), with two tables:
//! - `ui_started`: a row per `(table, docket_key)` committed *before* the record's first step
//!   is replayed, and removed when the agent learns how the entry ended;
//! - `ui_entered`: a row per record whose steps all ran, committed (with the removal of its
//!   `ui_started` row, in one transaction) as soon as they finish.
//!
//! `write_batch` skips keys in `ui_entered` (counted as duplicates) and `already_written`
//! answers from it, so a crash after the journal commit, before the outbox row was marked
//! written, never enters the record again. A key still in `ui_started` when a run reaches it was
//! being entered when an earlier agent stopped (kill -9, a crash, the machine went down): the
//! application may or may not have saved it. It is *in doubt*, and by default it is not entered
//! again: it comes back rejected with DK-E0603 (the interrupted run, when, and its evidence
//! folder), so its document goes to review and an operator checks the application. A target
//! with `in_doubt: reenter` (for scripts that look for the record in the application first)
//! enters it again. A step that fails while the agent is running removes the mark: that record
//! stays pending and is retried (see Failures).
//!
//! **Failures.** A record whose step fails with `on_error: {then: skip_record}` is not
//! journaled: it comes back in [`WriteOutcome::rejected`] with the step and its error, so the
//! runner marks that outbox row `rejected` and sends the document to review while the rest of the
//! batch goes on. Any other failure (no display, the app does not start, a step without
//! `skip_record` fails, the batch exceeds `timeout`) stops the batch as
//! [`docket_core::ErrorCode::SinkUnavailable`]: records already entered stay journaled, the others
//! stay pending and the next run retries them.
//!
//! The app (`sh -c`, its own process group, output to `ui-<step>/app.log` in the evidence folder)
//! is stopped when the sink is dropped at the end of the run. The journal's `ui_processes` table
//! names the app and the owned Xvfb while they run, and the agent process that owns them (each by
//! pid and start time). A sink that opens and finds rows whose owning agent is no longer running
//! (killed, crashed) stops that app (its process group) and display before it starts its own, so
//! a resumed run never works beside a stale second instance; processes of agents still running
//! (another flow in the same daemon, another `docket run`) are left alone.
//!
//! The sink never logs typed text or secrets: secrets come from the secret store (or
//! `DOCKET_SECRET_<NAME>`) when the sink opens and are masked in every screenshot by the replay.

use anyhow::Result;
use docket_connectors::{OutRecord, Rejected, Sink, SinkError, SinkSpec, WriteOutcome};
use docket_core::ErrorCode;
use docket_core::ocr::Ocr;
use docket_desktop::{
    RecordOutcome, ReplayInput, ReplayOptions, Script, SecretText, StepAction, Vars, X11Desktop,
    Xvfb,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::failure::Failure;

/// Set by `docket run --headless`: targets without `display:` use an owned Xvfb even when
/// `$DISPLAY` is set.
static FORCE_HEADLESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `docket run --headless`: UI targets without an explicit `display:` start their own Xvfb.
pub fn force_headless() {
    FORCE_HEADLESS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Opens the sink of a write step: the `ui` kind here, every other kind through
/// [`docket_connectors::open`].
pub(super) fn open(
    spec: &SinkSpec,
    run_id: &str,
    step_id: &str,
) -> Result<Box<dyn Sink>, SinkError> {
    match spec {
        SinkSpec::Ui { .. } => Ok(Box::new(UiSink::open(
            spec,
            &crate::secrets::process_data_dir(),
            run_id,
            step_id,
        )?)),
        other => docket_connectors::open(other),
    }
}

/// The runner's spec of a `ui` target from the plan; loads the script and checks that every
/// secret it types resolves (DK-E0205 before the run claims anything, like other secrets).
pub fn spec_from_plan(u: &docket_workflow::UiPlan, data_dir: &Path) -> Result<SinkSpec> {
    let script = Script::load(&u.script)
        .map_err(|e| Failure::new(ErrorCode::WorkflowInvalid, format!("ui script: {e}")))?;
    for name in script.secrets() {
        crate::commands::run::secret(data_dir, &name)?;
    }
    let (display, headless) = match &u.display {
        docket_workflow::UiDisplay::Headless => (None, true),
        docket_workflow::UiDisplay::Named(d) => (Some(d.clone()), false),
        docket_workflow::UiDisplay::Default => (None, false),
    };
    Ok(SinkSpec::Ui {
        script: u.script.clone(),
        app: u.app.clone(),
        workdir: u.workdir.clone(),
        display,
        headless,
        screen: u.screen,
        ocr_languages: u.ocr_languages.clone(),
        timeout_secs: u.timeout.as_secs(),
        reenter_in_doubt: u.reenter_in_doubt,
    })
}

/// [`docket_workflow::load`], then, for a workflow that passed, the checks of the files it names:
/// its `ui` targets' scripts ([`check_scripts`]) and its schedule's calendar (W037), so `docket
/// run`, `--check` and flow directories report them with the position of their key.
pub fn load_checked(
    yaml: &str,
    base: &Path,
) -> Result<docket_workflow::Plan, Vec<docket_workflow::Problem>> {
    let plan = docket_workflow::load(yaml, base)?;
    let mut problems = check_scripts(yaml, base).err().unwrap_or_default();
    problems.extend(docket_workflow::check_calendar(yaml, base, &mut |path| {
        docket_schedule::Calendar::load(path)
            .map(drop)
            .map_err(|e| e.to_string())
    }));
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// The script checks of a workflow's `ui` targets (W036, W025): every problem with the position
/// of the target's `script` key.
pub fn check_scripts(yaml: &str, base: &Path) -> Result<(), Vec<docket_workflow::Problem>> {
    let mut load = |path: &Path| {
        let script = Script::load(path).map_err(|e| e.to_string())?;
        let top = script
            .steps
            .iter()
            .filter(|s| matches!(s.action, StepAction::ForEach(_)))
            .count();
        Ok(docket_workflow::UiScriptFacts {
            top_level_for_each: top,
            nested_for_each: nested_loop(&script.steps, false),
            secrets: script.secrets(),
        })
    };
    let problems = docket_workflow::check_ui_scripts(yaml, base, &mut load);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Whether a `for_each` sits below the top level (inside an `if`; the script format refuses a
/// loop inside a loop).
fn nested_loop(steps: &[docket_desktop::Step], inside: bool) -> bool {
    steps.iter().any(|s| match &s.action {
        StepAction::ForEach(_) => inside,
        StepAction::If(i) => nested_loop(&i.then, true) || nested_loop(&i.otherwise, true),
        _ => false,
    })
}

/// A started application, stopped (its whole process group) on drop.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        // `sh -c` may have forked the real program: signal the group the child leads.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What is started on first use and kept for the sink's life (the run).
struct Session {
    // Field order is drop order: the app goes before its display.
    _app: Option<App>,
    desk: X11Desktop,
    _xvfb: Option<Xvfb>,
    ocr: Option<Box<dyn Ocr>>,
    /// The app was just started: the first replay waits longer for it.
    fresh: bool,
}

impl Session {
    /// The processes this session started (the app's group leader, the owned Xvfb).
    fn pids(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self._app.iter().map(|a| a.0.id()).collect();
        out.extend(self._xvfb.iter().map(Xvfb::pid));
        out
    }
}

/// A desktop application as a [`Sink`]; see the module doc.
pub struct UiSink {
    script_path: PathBuf,
    script: Script,
    setup: Script,
    record: Script,
    teardown: Script,
    app: Option<String>,
    workdir: PathBuf,
    display: Option<String>,
    headless: bool,
    screen: [u32; 2],
    ocr_languages: String,
    timeout: Duration,
    secrets: BTreeMap<String, SecretText>,
    reenter_in_doubt: bool,
    journal: Connection,
    evidence: PathBuf,
    run_id: String,
    step_id: String,
    session: Option<Session>,
}

impl Drop for UiSink {
    fn drop(&mut self) {
        // The app, then its display, are stopped here: they are no longer left over.
        if let Some(session) = self.session.take() {
            let pids = session.pids();
            drop(session);
            for pid in pids {
                let _ = self
                    .journal
                    .execute("DELETE FROM ui_processes WHERE pid = ?1", params![pid]);
            }
        }
    }
}

fn unavailable(m: impl Into<String>) -> SinkError {
    SinkError::unavailable(m)
}

impl UiSink {
    /// Loads the script, resolves its secrets, opens the journal and stops what killed agents
    /// left running ([`stop_leftovers`]); starts nothing yet (the display and the app
    /// start with the first record to enter).
    pub fn open(
        spec: &SinkSpec,
        data_dir: &Path,
        run_id: &str,
        step_id: &str,
    ) -> Result<Self, SinkError> {
        let SinkSpec::Ui {
            script,
            app,
            workdir,
            display,
            headless,
            screen,
            ocr_languages,
            timeout_secs,
            reenter_in_doubt,
        } = spec
        else {
            return Err(SinkError::misconfigured("not a ui target"));
        };
        let loaded = Script::load(script).map_err(|e| {
            SinkError::misconfigured(format!("{e}; fix the script and run `docket run --check`"))
        })?;
        let at = loaded
            .steps
            .iter()
            .position(|s| matches!(s.action, StepAction::ForEach(_)))
            .ok_or_else(|| {
                SinkError::misconfigured(format!(
                    "{}: the script has no top-level for_each; the records are entered there",
                    script.display()
                ))
            })?;
        let part = |steps: &[docket_desktop::Step]| {
            let mut s = loaded.clone();
            s.steps = steps.to_vec();
            s
        };
        let (setup, record, teardown) = (
            part(&loaded.steps[..at]),
            part(&loaded.steps[at..=at]),
            part(&loaded.steps[at + 1..]),
        );
        let mut secrets = BTreeMap::new();
        for name in loaded.secrets() {
            let value = crate::commands::run::secret(data_dir, &name)
                .map_err(|e| SinkError::misconfigured(e.to_string()))?;
            secrets.insert(name, SecretText::new(value));
        }
        let journal = open_journal(data_dir)?;
        stop_leftovers(&journal)?;
        Ok(UiSink {
            script_path: script.clone(),
            script: loaded,
            setup,
            record,
            teardown,
            app: app.clone(),
            workdir: workdir.clone(),
            display: display.clone(),
            headless: *headless,
            screen: *screen,
            ocr_languages: ocr_languages.clone(),
            timeout: Duration::from_secs(*timeout_secs),
            secrets,
            reenter_in_doubt: *reenter_in_doubt,
            journal,
            evidence: data_dir
                .join("evidence")
                .join(run_id)
                .join(format!("ui-{step_id}")),
            run_id: run_id.to_owned(),
            step_id: step_id.to_owned(),
            session: None,
        })
    }

    /// Starts the display, the OCR engine and the app, once.
    fn session(&mut self) -> Result<&mut Session, SinkError> {
        if self.session.is_none() {
            let env_display = std::env::var("DISPLAY")
                .ok()
                .filter(|d| !d.is_empty())
                .filter(|_| !FORCE_HEADLESS.load(std::sync::atomic::Ordering::Relaxed));
            let xvfb = match (&self.display, self.headless, &env_display) {
                (None, true, _) | (None, false, None) => {
                    Some(Xvfb::start(self.screen[0], self.screen[1]).map_err(|e| {
                        unavailable(format!(
                            "{}: cannot start a headless display (Xvfb): {e}; install xvfb or \
                             name a `display:`",
                            ErrorCode::DisplayUnavailable.code()
                        ))
                    })?)
                }
                _ => None,
            };
            let name = match (&xvfb, &self.display, env_display) {
                (Some(x), _, _) => x.display().to_owned(),
                (None, Some(d), _) => d.clone(),
                (None, None, Some(d)) => d,
                (None, None, None) => unreachable_display(),
            };
            if let Some(x) = &xvfb {
                register(
                    &self.journal,
                    &self.step_id,
                    Owned::Xvfb,
                    x.pid(),
                    &self.run_id,
                )?;
            }
            let app = match &self.app {
                Some(cmd) => {
                    let child =
                        spawn_app(cmd, &self.workdir, &name, &self.evidence.join("app.log"))?;
                    register(
                        &self.journal,
                        &self.step_id,
                        Owned::App,
                        child.id(),
                        &self.run_id,
                    )?;
                    Some(App(child))
                }
                None => None,
            };
            let desk = X11Desktop::open(&name).map_err(|e| {
                unavailable(format!(
                    "{}: cannot open display {name}: {e}",
                    ErrorCode::DisplayUnavailable.code()
                ))
            })?;
            let ocr: Option<Box<dyn Ocr>> = if self.script.needs_ocr() {
                Some(Box::new(
                    docket_documents::ocr::tesseract::TesseractEngine::new(&self.ocr_languages)
                        .map_err(|e| {
                            SinkError::misconfigured(format!(
                                "the ui script reads text but OCR cannot start: {e}"
                            ))
                        })?,
                ))
            } else {
                None
            };
            tracing::info!(display = %name, app = self.app.is_some(), "ui target started");
            self.session = Some(Session {
                fresh: app.is_some(),
                _app: app,
                desk,
                _xvfb: xvfb,
                ocr,
            });
        }
        self.session
            .as_mut()
            .ok_or_else(|| unavailable("ui session did not start"))
    }

    fn journaled(&self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let mut st = self
            .journal
            .prepare_cached("SELECT 1 FROM ui_entered WHERE target = ?1 AND key = ?2")
            .map_err(journal_err)?;
        let mut out = Vec::new();
        for k in keys {
            if st.exists(params![table, k]).map_err(journal_err)? {
                out.push(k.clone());
            }
        }
        Ok(out)
    }

    /// The in-doubt mark of `key`: an entry that was started and never finished.
    fn started(&self, table: &str, key: &str) -> Result<Option<Started>, SinkError> {
        self.journal
            .query_row(
                "SELECT run_id, started_at, evidence FROM ui_started WHERE target = ?1 AND key = ?2",
                params![table, key],
                |r| {
                    Ok(Started {
                        run_id: r.get(0)?,
                        started_at: r.get(1)?,
                        evidence: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(journal_err)
    }

    /// Marks `key` as being entered (committed before the first step is replayed).
    fn mark_started(&self, table: &str, key: &str, dir: &Path) -> Result<(), SinkError> {
        self.journal
            .execute(
                "INSERT OR REPLACE INTO ui_started (target, key, run_id, started_at, evidence) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![table, key, self.run_id, crate::store::now(), dir.display().to_string()],
            )
            .map(drop)
            .map_err(journal_err)
    }

    fn clear_started(&self, table: &str, key: &str) -> Result<(), SinkError> {
        self.journal
            .execute(
                "DELETE FROM ui_started WHERE target = ?1 AND key = ?2",
                params![table, key],
            )
            .map(drop)
            .map_err(journal_err)
    }

    /// Replays `script` (a part of the full script) with `records`, into `dir`.
    fn replay(
        &mut self,
        which: Part,
        vars: &Vars,
        records: Vec<Vars>,
        dir: PathBuf,
    ) -> Result<docket_desktop::Report, docket_desktop::ReplayError> {
        let input = ReplayInput {
            vars: vars.clone(),
            records,
            secrets: self.secrets.clone(),
        };
        let mut opts = ReplayOptions::new(dir);
        opts.ocr_languages = self.ocr_languages.clone();
        let script = match which {
            Part::Setup => &self.setup,
            Part::Record => &self.record,
            Part::Teardown => &self.teardown,
        };
        let Some(session) = self.session.as_mut() else {
            return Err(docket_desktop::ReplayError::Aborted {
                step: 0,
                name: "ui session not started".into(),
            });
        };
        if session.fresh {
            // The application may still be starting: its first target gets longer.
            opts.click_timeout = Duration::from_secs(30);
        }
        let ocr = session.ocr.as_deref_mut().map(|o| o as &mut dyn Ocr);
        let r = docket_desktop::replay_with(&mut session.desk, script, &input, &opts, ocr, None);
        if r.is_ok() {
            session.fresh = false;
        }
        r
    }
}

/// An entry a run started and never finished (a row of `ui_started`).
struct Started {
    run_id: String,
    started_at: String,
    evidence: String,
}

impl Started {
    /// Why the record is not entered again, and what to do.
    fn message(&self) -> String {
        format!(
            "{}: run {} started entering this record at {} and never finished (the agent \
             stopped mid-record), so the application may already hold it; it is not entered \
             again. Look for it in the application (screenshots of the interrupted entry: {}) \
             and enter it by hand if it is missing; a script that checks the application for \
             the record itself can set `in_doubt: reenter` on the ui target",
            ErrorCode::UiEntryInDoubt.code(),
            self.run_id,
            self.started_at,
            self.evidence
        )
    }
}

#[derive(Clone, Copy)]
enum Part {
    Setup,
    Record,
    Teardown,
}

fn unreachable_display() -> String {
    // (None, false, None) starts an Xvfb above, so this arm is never taken; `:0` keeps the
    // function total without a panic.
    ":0".to_owned()
}

/// Starts `cmd` through `sh -c` in its own process group, its output appended to `log` (never
/// to Docket's own stdout/stderr: an app that outlives an aborted run would otherwise hold the
/// caller's pipes open).
fn spawn_app(cmd: &str, workdir: &Path, display: &str, log: &Path) -> Result<Child, SinkError> {
    use std::os::unix::process::CommandExt;
    let fail = |e: std::io::Error| {
        unavailable(format!(
            "cannot start the ui target's app (sh -c, log {}): {e}",
            log.display()
        ))
    };
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(fail)?;
    let err = out.try_clone().map_err(fail)?;
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(workdir)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(fail)
}

/// A process the sink starts and owns for the run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owned {
    /// The app (`sh -c`, leader of its own process group).
    App,
    /// The headless display.
    Xvfb,
}

impl Owned {
    fn as_str(self) -> &'static str {
        match self {
            Owned::App => "app",
            Owned::Xvfb => "xvfb",
        }
    }
}

/// When process `pid` started, in clock ticks since boot (`/proc/<pid>/stat` field 22), if it is
/// running (a zombie is not): with the pid, it names one process for good, so a recycled pid is
/// never taken for ours.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    if matches!(fields.next(), Some("Z" | "X")) {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// Notes in the journal that this agent process owns process `pid` for `step` of run `run_id`.
fn register(
    journal: &Connection,
    step: &str,
    kind: Owned,
    pid: u32,
    run_id: &str,
) -> Result<(), SinkError> {
    let Some(ticks) = start_ticks(pid) else {
        return Ok(()); // already gone (it failed to start); nothing to stop later
    };
    let me = std::process::id();
    let my_ticks = start_ticks(me).unwrap_or(0);
    journal
        .execute(
            "INSERT OR REPLACE INTO ui_processes (pid, start_ticks, kind, step, owner_pid, owner_ticks, run_id, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![pid, ticks as i64, kind.as_str(), step, me, my_ticks as i64, run_id, crate::store::now()],
        )
        .map(drop)
        .map_err(journal_err)
}

/// Whether process `pid` is running and started at `ticks` (the same process, not a recycled pid).
fn same_process(pid: u32, ticks: i64) -> bool {
    start_ticks(pid).is_some_and(|t| t as i64 == ticks)
}

/// Stops the apps (each its whole process group) and headless displays that killed agents
/// started and could not stop. A sink that ends normally stops its own and removes their rows;
/// a row whose owning agent is no longer running names a process that outlived it, and that
/// process is stopped only if it is still the same one (pid *and* start time). Rows of agents
/// still running are left alone. Without this a resumed run would start a second instance of
/// the app beside the first.
fn stop_leftovers(journal: &Connection) -> Result<(), SinkError> {
    type Row = (u32, i64, String, String, u32, i64, String);
    let rows: Vec<Row> = journal
        .prepare(
            "SELECT pid, start_ticks, kind, step, owner_pid, owner_ticks, run_id FROM ui_processes ORDER BY kind",
        )
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect()
        })
        .map_err(journal_err)?;
    // "app" sorts before "xvfb": an app goes before its display.
    for (pid, ticks, kind, step, owner, owner_ticks, run) in rows {
        if same_process(owner, owner_ticks) {
            continue; // its agent is running and stops it itself
        }
        if same_process(pid, ticks) {
            let target = if kind == Owned::App.as_str() {
                format!("-{pid}") // the process group `sh -c` leads
            } else {
                pid.to_string()
            };
            tracing::warn!(%kind, pid, %step, run = %run, "stopping the {kind} a killed agent left running");
            let signal = |sig: &str| {
                let _ = Command::new("kill")
                    .args([sig, "--", &target])
                    .stderr(Stdio::null())
                    .status();
            };
            signal("-TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while same_process(pid, ticks) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if same_process(pid, ticks) {
                signal("-KILL");
            }
        }
        journal
            .execute(
                "DELETE FROM ui_processes WHERE pid = ?1 AND start_ticks = ?2",
                params![pid, ticks],
            )
            .map_err(journal_err)?;
    }
    Ok(())
}

fn journal_err(e: rusqlite::Error) -> SinkError {
    unavailable(format!("ui journal: {e}"))
}

fn open_journal(data_dir: &Path) -> Result<Connection, SinkError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| unavailable(format!("{}: {e}", data_dir.display())))?;
    let path = data_dir.join("ui-journal.sqlite");
    let conn = Connection::open(&path).map_err(journal_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 10000;
         CREATE TABLE IF NOT EXISTS ui_entered (
             target TEXT NOT NULL,
             key TEXT NOT NULL,
             run_id TEXT NOT NULL,
             entered_at TEXT NOT NULL,
             evidence TEXT NOT NULL,
             PRIMARY KEY (target, key)
         );
         CREATE TABLE IF NOT EXISTS ui_processes (
             pid INTEGER NOT NULL,
             start_ticks INTEGER NOT NULL,
             kind TEXT NOT NULL,
             step TEXT NOT NULL,
             owner_pid INTEGER NOT NULL,
             owner_ticks INTEGER NOT NULL,
             run_id TEXT NOT NULL,
             started_at TEXT NOT NULL,
             PRIMARY KEY (pid, start_ticks)
         );
         CREATE TABLE IF NOT EXISTS ui_started (
             target TEXT NOT NULL,
             key TEXT NOT NULL,
             run_id TEXT NOT NULL,
             started_at TEXT NOT NULL,
             evidence TEXT NOT NULL,
             PRIMARY KEY (target, key)
         );",
    )
    .map_err(journal_err)?;
    Ok(conn)
}

/// `record.<column>` → exact text of each value (null: empty).
fn record_vars(r: &OutRecord) -> Vars {
    r.values
        .iter()
        .map(|(col, v)| (format!("record.{col}"), v.to_text().unwrap_or_default()))
        .collect()
}

/// The first 16 hex digits of a key: the record's evidence folder.
fn short(key: &str) -> &str {
    key.get(..16).unwrap_or(key)
}

impl Sink for UiSink {
    fn describe(&self) -> String {
        format!("ui:{}", self.script_path.display())
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let start = Instant::now();
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(records.len());
        for r in records {
            if seen.insert(r.key.as_str()) {
                unique.push(r);
            }
        }
        let keys: Vec<String> = unique.iter().map(|r| r.key.clone()).collect();
        let done: HashSet<String> = self.journaled(table, &keys)?.into_iter().collect();
        let pending: Vec<&OutRecord> = unique
            .into_iter()
            .filter(|r| !done.contains(&r.key))
            .collect();
        let mut outcome = WriteOutcome::new(0, records.len() - pending.len());
        let Some(first) = pending.first() else {
            return Ok(outcome);
        };
        let batch_dir = self.evidence.join(format!("batch-{}", short(&first.key)));
        self.session()?;
        let setup = if self.setup.steps.is_empty() {
            Vars::new()
        } else {
            self.replay(
                Part::Setup,
                &Vars::new(),
                Vec::new(),
                batch_dir.join("setup"),
            )
            .map_err(|e| {
                unavailable(format!(
                    "ui setup steps (before for_each) failed, nothing entered: {e}"
                ))
            })?
            .read
        };
        let total = pending.len();
        for (n, r) in pending.into_iter().enumerate() {
            if start.elapsed() > self.timeout {
                return Err(unavailable(format!(
                    "ui batch exceeded its timeout of {}s after {n} of {total} record(s); the \
                     rest stay pending for the next run",
                    self.timeout.as_secs()
                )));
            }
            let dir = self.evidence.join(short(&r.key));
            if let Some(started) = self.started(table, &r.key)? {
                if !self.reenter_in_doubt {
                    tracing::warn!(key = %short(&r.key), run = %started.run_id, "ui record in doubt: not entered again");
                    outcome.rejected.push(Rejected {
                        key: r.key.clone(),
                        message: started.message(),
                    });
                    continue;
                }
                tracing::warn!(key = %short(&r.key), run = %started.run_id, "ui record in doubt: entered again (in_doubt: reenter)");
            }
            self.mark_started(table, &r.key, &dir)?;
            super::fault("ui_record_started");
            let replayed = self.replay(Part::Record, &setup, vec![record_vars(r)], dir.clone());
            let report = match replayed {
                Ok(report) => report,
                Err(e) => {
                    // The agent saw the step fail: the record stays pending and is retried (the
                    // in-doubt mark is for a run that never came back to say so).
                    self.clear_started(table, &r.key)?;
                    return Err(unavailable(format!(
                        "{}: record {} of {total} (key {}): {e}; {n} record(s) entered before \
                         it are journaled, the rest stay pending; evidence in {}",
                        ErrorCode::UiStepFailed.code(),
                        n + 1,
                        short(&r.key),
                        dir.display()
                    )));
                }
            };
            match report.records.first() {
                Some(RecordOutcome::Done) => {
                    // The application has the record; a crash from here to the commit below
                    // leaves the in-doubt mark, and the next run does not enter it again.
                    super::fault("before_ui_journal");
                    let tx = self.journal.transaction().map_err(journal_err)?;
                    tx.execute(
                        "INSERT OR IGNORE INTO ui_entered (target, key, run_id, entered_at, evidence) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![table, r.key, self.run_id, crate::store::now(), dir.display().to_string()],
                    )
                    .map_err(journal_err)?;
                    tx.execute(
                        "DELETE FROM ui_started WHERE target = ?1 AND key = ?2",
                        params![table, r.key],
                    )
                    .map_err(journal_err)?;
                    tx.commit().map_err(journal_err)?;
                    outcome.inserted += 1;
                    super::fault("after_ui_record");
                }
                Some(RecordOutcome::Skipped { step, reason }) => {
                    self.clear_started(table, &r.key)?;
                    tracing::warn!(key = %short(&r.key), %step, "ui record skipped");
                    outcome.rejected.push(Rejected {
                        key: r.key.clone(),
                        message: format!(
                            "{}: ui step {step} failed and the script skips the record: \
                             {reason}; not entered; evidence in {}",
                            ErrorCode::UiStepFailed.code(),
                            dir.display()
                        ),
                    });
                }
                None => {
                    self.clear_started(table, &r.key)?;
                    return Err(unavailable(format!(
                        "ui replay of record {} ran no for_each",
                        short(&r.key)
                    )));
                }
            }
        }
        if !self.teardown.steps.is_empty()
            && let Err(e) = self.replay(
                Part::Teardown,
                &setup,
                Vec::new(),
                batch_dir.join("teardown"),
            )
        {
            // Every record is entered and journaled: the batch stands, the failure is logged.
            tracing::warn!(error = %e, "ui steps after for_each failed");
        }
        Ok(outcome)
    }

    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        self.journaled(table, keys)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use docket_connectors::Value;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn record_variables_are_exact_text() {
        let r = OutRecord {
            key: "a".repeat(64),
            values: vec![
                (
                    "amount".into(),
                    Value::Decimal(Decimal::from_str("-45.10").unwrap()),
                ),
                (
                    "date".into(),
                    Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
                ),
                ("counterparty".into(), Value::Null),
            ],
        };
        let v = record_vars(&r);
        assert_eq!(v["record.amount"], "-45.10");
        assert_eq!(v["record.date"], "2026-03-02");
        assert_eq!(v["record.counterparty"], "");
    }

    #[test]
    fn scripts_are_checked_with_the_real_loader() {
        let dir = tempfile::tempdir().unwrap();
        let flow = |script: &str| {
            format!(
                "version: 1\nname: ui\nsteps:\n  - id: inbox\n    ingest: {{path: in, done: done, quarantine: q}}\n  - id: read\n    extract: {{from: inbox, schema: bank_statement}}\n  - id: enter\n    write:\n      from: read\n      sink: {{ui: {{script: {script}, headless: true}}}}\n      table: payments\n      columns: {{date: record.date}}\n"
            )
        };
        let write = |name: &str, yaml: &str| std::fs::write(dir.path().join(name), yaml).unwrap();
        write(
            "ok.yaml",
            "steps:\n  - key: Tab\n  - for_each:\n      steps:\n        - type: {secret: teller-pin}\n",
        );
        write("flat.yaml", "steps:\n  - key: Tab\n");
        write(
            "nested.yaml",
            "steps:\n  - if: {exists: {text: Login}, then: [{for_each: {steps: [{key: Tab}]}}]}\n",
        );
        write("broken.yaml", "steps:\n  - clack: {}\n");
        assert!(check_scripts(&flow("ok.yaml"), dir.path()).is_ok());
        let codes = |name: &str| {
            check_scripts(&flow(name), dir.path())
                .unwrap_err()
                .into_iter()
                .map(|p| (p.code, p.line, p.message))
                .collect::<Vec<_>>()
        };
        let flat = codes("flat.yaml");
        assert_eq!((flat[0].0, flat[0].1), ("W036", 11));
        assert!(
            flat[0].2.contains("0 top-level `for_each`"),
            "{}",
            flat[0].2
        );
        let nested = codes("nested.yaml");
        assert!(nested[0].2.contains("nested"), "{}", nested[0].2);
        let broken = codes("broken.yaml");
        assert!(broken[0].2.contains("broken.yaml"), "{}", broken[0].2);
        let missing = codes("missing.yaml");
        assert_eq!(missing[0].0, "W036");
    }

    /// Real processes: a "sleep" whose agent is gone is stopped with its whole process group; one
    /// whose agent (this test process) is running, and a row whose pid is alive but started at
    /// another time (a recycled pid), are left alone.
    #[test]
    fn leftovers_of_dead_agents_are_stopped_and_nothing_else() {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let journal = open_journal(dir.path()).unwrap();
        let spawn = || {
            Command::new("sh")
                .args(["-c", "sleep 60 & wait"])
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let (mut orphan, mut mine, mut recycled) = (spawn(), spawn(), spawn());
        // An agent that has exited: its pid no longer runs with the ticks recorded.
        let mut gone = Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        gone.wait().unwrap();
        let row = |pid: u32, ticks: i64, owner: u32, owner_ticks: i64| {
            journal
                .execute(
                    "INSERT INTO ui_processes VALUES (?1, ?2, 'app', 'enter', ?3, ?4, 'r1', 't')",
                    params![pid, ticks, owner, owner_ticks],
                )
                .unwrap();
        };
        let ticks = |p: &Child| start_ticks(p.id()).unwrap() as i64;
        row(orphan.id(), ticks(&orphan), gone_pid, 1);
        let me = std::process::id();
        row(mine.id(), ticks(&mine), me, start_ticks(me).unwrap() as i64);
        row(recycled.id(), ticks(&recycled) - 1, gone_pid, 1);
        // The orphan's child (the `sleep` in its group) must go too.
        std::thread::sleep(Duration::from_millis(200));
        // Live (not zombie) members of the process group `p` leads.
        let group = |p: &Child| {
            std::fs::read_dir("/proc")
                .unwrap()
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
                .filter(|stat| {
                    let f: Vec<&str> = stat[stat.rfind(')').unwrap_or(0) + 1..]
                        .split_whitespace()
                        .collect();
                    // state, ppid, pgrp
                    f.len() > 2 && f[0] != "Z" && f[2] == p.id().to_string()
                })
                .count()
        };
        assert_eq!(group(&orphan), 2, "sh and its sleep");

        stop_leftovers(&journal).unwrap();
        let status = orphan.wait().unwrap();
        assert!(!status.success(), "the orphan was signalled: {status:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while group(&orphan) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(group(&orphan), 0, "its whole group is gone");
        assert!(
            mine.try_wait().unwrap().is_none(),
            "a running agent's app stays"
        );
        assert!(
            recycled.try_wait().unwrap().is_none(),
            "a recycled pid is not ours"
        );
        let left: Vec<u32> = journal
            .prepare("SELECT pid FROM ui_processes ORDER BY pid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut want = vec![mine.id()];
        want.sort();
        assert_eq!(
            left, want,
            "the dead agents' rows are gone, the running one's stays"
        );
        for p in [&mut mine, &mut recycled] {
            let _ = Command::new("kill")
                .args(["--", &format!("-{}", p.id())])
                .status();
            let _ = p.wait();
        }
    }

    #[test]
    fn journal_answers_already_written() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_journal(dir.path()).unwrap();
        conn.execute(
            "INSERT INTO ui_entered VALUES ('payments', ?1, 'r1', 't', 'e')",
            params!["b".repeat(64)],
        )
        .unwrap();
        let script = dir.path().join("s.yaml");
        std::fs::write(
            &script,
            "steps:\n  - for_each:\n      steps:\n        - key: Tab\n",
        )
        .unwrap();
        let spec = SinkSpec::Ui {
            script,
            app: None,
            workdir: dir.path().into(),
            display: Some(":999".into()),
            headless: false,
            screen: [800, 600],
            reenter_in_doubt: false,
            ocr_languages: "eng".into(),
            timeout_secs: 60,
        };
        let mut sink = UiSink::open(&spec, dir.path(), "r2", "enter").unwrap();
        let keys = vec!["a".repeat(64), "b".repeat(64)];
        assert_eq!(
            sink.already_written("payments", &keys).unwrap(),
            vec!["b".repeat(64)]
        );
        assert!(sink.already_written("other", &keys).unwrap().is_empty());
        // Every key journaled: nothing to enter, so no display is needed.
        let rec = OutRecord {
            key: "b".repeat(64),
            values: vec![],
        };
        let out = sink.write_batch("payments", &[rec.clone(), rec]).unwrap();
        assert_eq!((out.inserted, out.duplicates), (0, 2));
        assert!(sink.session.is_none());
    }
}
