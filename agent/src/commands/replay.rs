//! `docket replay SCRIPT.yaml`: replays a recorded UI script against a desktop application
//!. Records (`--records`, JSON array or JSON Lines) become `{{record.FIELD}}`: a script
//! with `for_each` runs once and loops over them; a script without one runs once per record.
//! Secrets the script types (`type: {secret: NAME}`) come from the secret store (or
//! `DOCKET_SECRET_NAME`), text signals and `read_text`/`assert_text` use Tesseract. The desktop
//! is `--display` or `$DISPLAY`, or with `--headless` an Xvfb that Docket starts and owns for the
//! job; `--app` starts the application on that display. Every step leaves before/after
//! screenshots (secret fields blacked out) under `<data dir>/evidence/replay-<time>/`; each
//! record entered, skipped or failed is ledgered. A step whose target is not found stops the job
//! with DK-E0602 (exit 1) naming the step, every signal's best score and the screenshot: Docket
//! never clicks where it is unsure. `--dry-run` checks everything that can be checked without a
//! display (script, anchors, secrets, records, OCR) and prints the plan; `--step-through` asks
//! before each step on the terminal.

use anyhow::{Context, Result};
use clap::Args;
use docket_core::ErrorCode;
use docket_desktop::{
    Decision, Observer, RecordOutcome, ReplayError, ReplayInput, ReplayOptions, Report, Script,
    SecretText, StepAction, Vars, X11Desktop,
};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::PathBuf;

use crate::cli::Global;
use crate::failure::Failure;
use crate::ledger;
use crate::store::Store;

/// Arguments of `docket replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The UI script (YAML steps: click, double_click, right_click, type, key, wait_for).
    #[arg(value_name = "SCRIPT.yaml")]
    pub script: PathBuf,
    /// Records to enter, one replay each: a JSON array of objects or JSON Lines; fields become
    /// `{{record.FIELD}}`. Without it the script runs once.
    #[arg(long, value_name = "FILE")]
    pub records: Option<PathBuf>,
    /// Start and own an Xvfb display for the job.
    #[arg(long)]
    pub headless: bool,
    /// Screen size of the headless display.
    #[arg(long, default_value = "1920x1080", value_name = "WxH")]
    pub screen: String,
    /// X display to use (default: $DISPLAY).
    #[arg(long, value_name = ":N")]
    pub display: Option<String>,
    /// Start this command (through `sh -c`) on the display before replaying; stopped afterwards.
    #[arg(long, value_name = "COMMAND")]
    pub app: Option<String>,
    /// Tesseract languages for text targets, read_text and assert_text.
    #[arg(long, default_value = "eng", value_name = "LANGS")]
    pub ocr_languages: String,
    /// Check the script, anchors, secrets, records and OCR, print the plan, touch no display.
    #[arg(long)]
    pub dry_run: bool,
    /// Ask on the terminal before each step: Enter runs it, `s` skips it, `q` stops.
    #[arg(long)]
    pub step_through: bool,
}

/// `--step-through`: asks on stderr/stdin before each step.
struct Terminal;

impl Observer for Terminal {
    fn before_step(&mut self, id: &str, name: &str, record: Option<usize>) -> Decision {
        let rec = record.map(|r| format!(" [record {r}]")).unwrap_or_default();
        eprint!("step {id} ({name}){rec}: Enter = run, s = skip, q = stop > ");
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
            return Decision::Abort;
        }
        match line.trim() {
            "s" | "S" => Decision::Skip,
            "q" | "Q" => Decision::Abort,
            _ => Decision::Run,
        }
    }
}

fn has_for_each(script: &Script) -> bool {
    script
        .steps
        .iter()
        .any(|s| matches!(s.action, StepAction::ForEach(_)))
}

/// The step tree, one line per step, for `--dry-run`.
fn outline(steps: &[docket_desktop::Step], prefix: &str, out: &mut Vec<String>) {
    for (i, s) in steps.iter().enumerate() {
        let id = format!("{prefix}{}", i + 1);
        let depth = id.matches('.').count();
        out.push(format!("{}{id}  {}", "  ".repeat(depth), s.display_name()));
        match &s.action {
            StepAction::ForEach(fe) => outline(&fe.steps, &format!("{id}."), out),
            StepAction::If(b) => {
                outline(&b.then, &format!("{id}."), out);
                outline(&b.otherwise, &format!("{id}.else."), out);
            }
            _ => {}
        }
    }
}

fn records(path: &PathBuf) -> Result<Vec<Vars>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the records {}", path.display()))?;
    let bad = |m: String| Failure::new(ErrorCode::BadUsage, format!("{}: {m}", path.display()));
    let items: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(a)) => a,
        _ => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| bad(format!("line {}: not a JSON object ({e})", i + 1)))
            })
            .collect::<Result<_, _>>()?,
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let obj = v
                .as_object()
                .ok_or_else(|| bad(format!("record {} is not an object", i + 1)))?;
            Ok(obj
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (format!("record.{k}"), text)
                })
                .collect())
        })
        .collect()
}

fn anchor_scores(report: &Report, record: Option<usize>) -> Vec<Value> {
    report
        .steps
        .iter()
        .filter(|s| record.is_none() || s.record == record)
        .filter_map(|s| {
            s.anchor.as_ref().map(|a| {
                json!({"step": s.id, "name": s.name, "score": a.found.score,
                       "matched_by": a.matched_by, "template_score": a.template_score,
                       "text_score": a.text_score})
            })
        })
        .collect()
}

/// Runs `docket replay`.
pub fn run(g: &Global, args: &ReplayArgs) -> Result<i32> {
    let script = Script::load(&args.script).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{}: {e}", args.script.display()),
        )
    })?;
    let recs = match &args.records {
        Some(p) => records(p)?,
        None => Vec::new(),
    };
    let data_dir = g.data_dir();
    // Everything that can be checked without a display, before anything is started.
    let mut finder = docket_desktop::signals::Finder::new(&script.base_dir, None, "eng");
    let problems: Vec<String> = script
        .anchors()
        .iter()
        .filter_map(|a| {
            finder
                .template(a)
                .err()
                .map(|e| format!("anchor {}: {e}", a.display()))
        })
        .collect();
    if !problems.is_empty() {
        return Err(Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: {} (re-record the step or fix the path; paths are relative to the script)",
                args.script.display(),
                problems.join("; ")
            ),
        )
        .into());
    }
    let mut secrets = std::collections::BTreeMap::new();
    for name in script.secrets() {
        let value = crate::commands::run::secret(&data_dir, &name)?;
        secrets.insert(name, SecretText::new(value));
    }
    let mut ocr = if script.needs_ocr() {
        Some(
            docket_documents::ocr::TesseractEngine::new(&args.ocr_languages).map_err(|e| {
                Failure::new(
                    ErrorCode::OcrUnavailable,
                    format!(
                        "{}: the script reads text on screen: {}",
                        args.script.display(),
                        e.message
                    ),
                )
            })?,
        )
    } else {
        None
    };
    let looped = has_for_each(&script);
    if args.dry_run {
        let mut lines = Vec::new();
        outline(&script.steps, "", &mut lines);
        let runs = if looped { 1 } else { recs.len().max(1) };
        if g.json {
            println!(
                "{}",
                json!({"script": args.script.display().to_string(), "steps": lines,
                       "records": recs.len(), "runs": runs, "for_each": looped,
                       "anchors": script.anchors().len(), "secrets": script.secrets(),
                       "ocr": ocr.is_some()})
            );
        } else {
            println!("{}: ok", args.script.display());
            for l in &lines {
                println!("  {l}");
            }
            println!(
                "{} record(s), {runs} replay(s){}; {} anchor(s) load; secrets present: {}; OCR: {}",
                recs.len(),
                if looped { " (for_each)" } else { "" },
                script.anchors().len(),
                if script.secrets().is_empty() {
                    "none needed".to_string()
                } else {
                    script.secrets().join(", ")
                },
                if ocr.is_some() {
                    format!("Tesseract ({})", args.ocr_languages)
                } else {
                    "not needed".to_string()
                }
            );
        }
        return Ok(0);
    }
    let screen = super::desktop_session::parse_screen(&args.screen)?;
    let session = super::desktop_session::open(
        args.headless,
        screen,
        args.display.as_deref(),
        args.app.as_deref(),
    )?;
    let display = session.display.clone();
    let mut desk = X11Desktop::open(&display).map_err(|e| {
        Failure::new(
            ErrorCode::DisplayUnavailable,
            format!("cannot open display {display}: {e}"),
        )
    })?;
    let mut store = Store::open(&data_dir)?;
    let job = format!("replay-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"));
    let evidence = data_dir.join("evidence").join(&job);
    let script_sha = docket_core::hash::sha256_hex(&std::fs::read(&args.script)?);
    // One replay looping over all records, or one replay per record (at least one).
    let runs: Vec<(Option<usize>, ReplayInput)> = if looped {
        vec![(
            None,
            ReplayInput {
                vars: Vars::new(),
                records: recs.clone(),
                secrets: secrets.clone(),
            },
        )]
    } else {
        let per: Vec<Vars> = if recs.is_empty() {
            vec![Vars::new()]
        } else {
            recs.clone()
        };
        per.into_iter()
            .enumerate()
            .map(|(i, vars)| {
                (
                    Some(i + 1),
                    ReplayInput {
                        vars,
                        records: Vec::new(),
                        secrets: secrets.clone(),
                    },
                )
            })
            .collect()
    };
    let total = if looped { recs.len() } else { runs.len() };
    let mut done = 0usize;
    let mut skipped: Vec<String> = Vec::new();
    let mut terminal = Terminal;
    for (i, (record, input)) in runs.iter().enumerate() {
        let dir = match record {
            Some(n) => evidence.join(format!("record-{n:04}")),
            None => evidence.clone(),
        };
        let mut opts = ReplayOptions::new(&dir);
        opts.ocr_languages = args.ocr_languages.clone();
        // The first replay waits longer: the application may still be starting.
        if i == 0 && args.app.is_some() {
            opts.click_timeout = std::time::Duration::from_secs(30);
        }
        let observer: Option<&mut dyn Observer> = if args.step_through {
            Some(&mut terminal)
        } else {
            None
        };
        let engine = ocr.as_mut().map(|o| o as &mut dyn docket_core::ocr::Ocr);
        match docket_desktop::replay_with(&mut desk, &script, input, &opts, engine, observer) {
            Ok(report) => {
                if let Some(n) = record {
                    done += 1;
                    ledger::record(
                        &mut store,
                        None,
                        "replay_record",
                        json!({"job": job, "script_sha256": script_sha, "record": n,
                               "steps": report.steps.len(), "anchors": anchor_scores(&report, None),
                               "skipped_steps": report.skipped_steps,
                               "evidence": dir.display().to_string()}),
                    )?;
                    continue;
                }
                for (k, outcome) in report.records.iter().enumerate() {
                    let n = k + 1;
                    match outcome {
                        RecordOutcome::Done => {
                            done += 1;
                            let steps = report.steps.iter().filter(|s| s.record == Some(n)).count();
                            ledger::record(
                                &mut store,
                                None,
                                "replay_record",
                                json!({"job": job, "script_sha256": script_sha, "record": n,
                                       "steps": steps, "anchors": anchor_scores(&report, Some(n)),
                                       "evidence": dir.display().to_string()}),
                            )?;
                        }
                        RecordOutcome::Skipped { step, reason } => {
                            skipped.push(format!("record {n} (step {step}): {reason}"));
                            ledger::record(
                                &mut store,
                                None,
                                "replay_skipped",
                                json!({"job": job, "script_sha256": script_sha, "record": n,
                                       "step": step, "reason": reason,
                                       "evidence": dir.display().to_string()}),
                            )?;
                        }
                    }
                }
            }
            Err(e) => {
                let code = match e {
                    ReplayError::AnchorNotFound { .. }
                    | ReplayError::StillThere { .. }
                    | ReplayError::WindowNotFound { .. }
                    | ReplayError::TextMismatch { .. }
                    | ReplayError::Aborted { .. } => ErrorCode::UiStepFailed,
                    ReplayError::Desktop { .. } | ReplayError::Evidence { .. } => {
                        ErrorCode::UiStepFailed
                    }
                    ReplayError::MissingSecret { .. } => ErrorCode::SecretMissing,
                    ReplayError::Ocr { .. } => ErrorCode::OcrUnavailable,
                    _ => ErrorCode::WorkflowInvalid,
                };
                let which = record.unwrap_or(done + skipped.len() + 1);
                ledger::record(
                    &mut store,
                    None,
                    "replay_failed",
                    json!({"job": job, "script_sha256": script_sha, "record": which,
                           "code": code.code(), "message": e.to_string(),
                           "evidence": dir.display().to_string()}),
                )?;
                let summary = json!({"job": job, "records": total, "done": done,
                                     "skipped": skipped.len(), "failed_record": which});
                if g.json {
                    println!("{summary}");
                }
                return Err(Failure::new(
                    code,
                    format!(
                        "{}: record {which} of {total}: {e} ({done} record(s) entered before it)",
                        args.script.display(),
                    ),
                )
                .into());
            }
        }
    }
    if g.json {
        println!(
            "{}",
            json!({"job": job, "records": total, "done": done, "skipped": skipped,
                   "evidence": evidence.display().to_string()})
        );
    } else {
        println!(
            "replayed {} for {done} record(s); evidence in {}",
            args.script.display(),
            evidence.display()
        );
    }
    if !skipped.is_empty() {
        return Err(Failure::new(
            ErrorCode::UiStepFailed,
            format!(
                "{}: {} of {total} record(s) skipped: {}",
                args.script.display(),
                skipped.len(),
                skipped.join("; ")
            ),
        )
        .into());
    }
    Ok(0)
}
