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
//! journal: the SQLite table `ui_entered` in `<data dir>/ui-journal.sqlite`, one row per
//! `(table, docket_key)` written (synchronously, `synchronous=FULL`) as soon as that record's
//! steps have finished. `write_batch` skips journaled keys (counted as duplicates) and
//! `already_written` answers from the journal, so a crash after the application saved and the
//! journal was written, but before the outbox row was marked written, never enters the record
//! again. The window that remains is between the application's own save and the journal write
//! (one SQLite commit): a crash exactly there enters that one record a second time on resume.
//! Closing it needs the application's help (e.g. a `read_text` check of its list before typing),
//! which a generic replay cannot assume.
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
//! is stopped when the sink is dropped at the end of the run. A killed agent cannot stop it: the
//! resumed run starts a second instance, so scripts should find their window by anchor, not
//! assume a single instance.
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
use rusqlite::{Connection, params};
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
    })
}

/// [`docket_workflow::load`], then, for a workflow that passed, the checks of its `ui` targets'
/// scripts ([`check_scripts`]), so `docket run`, `--check` and flow directories report them
/// with the position of the target's `script` key.
pub fn load_checked(
    yaml: &str,
    base: &Path,
) -> Result<docket_workflow::Plan, Vec<docket_workflow::Problem>> {
    let plan = docket_workflow::load(yaml, base)?;
    check_scripts(yaml, base)?;
    Ok(plan)
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
    journal: Connection,
    evidence: PathBuf,
    run_id: String,
    session: Option<Session>,
}

fn unavailable(m: impl Into<String>) -> SinkError {
    SinkError::unavailable(m)
}

impl UiSink {
    /// Loads the script, resolves its secrets and opens the journal; starts nothing yet (the
    /// display and the app start with the first record to enter).
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
            journal,
            evidence: data_dir
                .join("evidence")
                .join(run_id)
                .join(format!("ui-{step_id}")),
            run_id: run_id.to_owned(),
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
            let app = match &self.app {
                Some(cmd) => Some(App(spawn_app(
                    cmd,
                    &self.workdir,
                    &name,
                    &self.evidence.join("app.log"),
                )?)),
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
            let report = self
                .replay(Part::Record, &setup, vec![record_vars(r)], dir.clone())
                .map_err(|e| {
                    unavailable(format!(
                        "{}: record {} of {total} (key {}): {e}; {n} record(s) entered before \
                         it are journaled, the rest stay pending; evidence in {}",
                        ErrorCode::UiStepFailed.code(),
                        n + 1,
                        short(&r.key),
                        dir.display()
                    ))
                })?;
            match report.records.first() {
                Some(RecordOutcome::Done) => {
                    self.journal
                        .execute(
                            "INSERT OR IGNORE INTO ui_entered (target, key, run_id, entered_at, evidence) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![table, r.key, self.run_id, crate::store::now(), dir.display().to_string()],
                        )
                        .map_err(journal_err)?;
                    outcome.inserted += 1;
                    super::fault("after_ui_record");
                }
                Some(RecordOutcome::Skipped { step, reason }) => {
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
