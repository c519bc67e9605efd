//! `docket replay SCRIPT.yaml`: replays a recorded UI script against a desktop application, once
//! per record, with `record.<field>` variables (issue 7, first slice). The desktop is `--display`
//! or `$DISPLAY`, or with `--headless` an Xvfb that Docket starts and owns for the job; `--app`
//! starts the application on that display. Every step leaves before/after screenshots under
//! `<data dir>/evidence/replay-<time>/record-<n>/`; each record replayed and a failing step are
//! ledgered. A step whose anchor is not found stops the job with DK-E0602 (exit 1) naming the
//! step, the best score and the screenshot: Docket never clicks where it is unsure.

use anyhow::{Context, Result};
use clap::Args;
use docket_core::ErrorCode;
use docket_desktop::{ReplayError, ReplayOptions, Script, Vars, X11Desktop, Xvfb};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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
}

struct AppGuard(Option<Child>);

impl Drop for AppGuard {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
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
        None => vec![Vars::new()],
    };
    let (w, h) = args
        .screen
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::BadUsage,
                format!(
                    "--screen '{}': write WIDTHxHEIGHT, e.g. 1920x1080",
                    args.screen
                ),
            )
        })?;
    let xvfb = if args.headless {
        Some(Xvfb::start(w, h).map_err(|e| {
            Failure::new(
                ErrorCode::DisplayUnavailable,
                format!("cannot start Xvfb: {e}"),
            )
        })?)
    } else {
        None
    };
    let display = match (&xvfb, &args.display) {
        (Some(x), _) => x.display().to_owned(),
        (None, Some(d)) => d.clone(),
        (None, None) => std::env::var("DISPLAY").map_err(|_| {
            Failure::new(
                ErrorCode::DisplayUnavailable,
                "no display: set DISPLAY, pass --display :N, or use --headless",
            )
        })?,
    };
    let _app = AppGuard(match &args.app {
        Some(cmd) => Some(
            Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .env("DISPLAY", &display)
                .env_remove("WAYLAND_DISPLAY")
                .env_remove("XDG_SESSION_TYPE")
                .stdin(Stdio::null())
                .spawn()
                .with_context(|| "cannot start --app".to_string())?,
        ),
        None => None,
    });
    let mut desk = X11Desktop::open(&display).map_err(|e| {
        Failure::new(
            ErrorCode::DisplayUnavailable,
            format!("cannot open display {display}: {e}"),
        )
    })?;
    let data_dir = g.data_dir();
    let mut store = Store::open(&data_dir)?;
    let job = format!("replay-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"));
    let evidence = data_dir.join("evidence").join(&job);
    let script_sha = docket_core::hash::sha256_hex(&std::fs::read(&args.script)?);
    let mut done = 0usize;
    for (i, vars) in recs.iter().enumerate() {
        let dir = evidence.join(format!("record-{:04}", i + 1));
        // The first record waits longer: the application may still be starting.
        let mut opts = ReplayOptions::new(&dir);
        if i == 0 && args.app.is_some() {
            opts.click_timeout = std::time::Duration::from_secs(30);
        }
        match docket_desktop::replay(&mut desk, &script, vars, &opts) {
            Ok(report) => {
                done += 1;
                let scores: Vec<Value> = report
                    .steps
                    .iter()
                    .filter_map(|s| {
                        s.anchor.as_ref().map(
                            |a| json!({"step": s.step, "name": s.name, "score": a.found.score}),
                        )
                    })
                    .collect();
                ledger::record(
                    &mut store,
                    None,
                    "replay_record",
                    json!({"job": job, "script_sha256": script_sha, "record": i + 1,
                           "steps": report.steps.len(), "anchors": scores,
                           "evidence": dir.display().to_string()}),
                )?;
            }
            Err(e) => {
                let code = match e {
                    ReplayError::AnchorNotFound { .. } => ErrorCode::UiStepFailed,
                    _ => ErrorCode::WorkflowInvalid,
                };
                ledger::record(
                    &mut store,
                    None,
                    "replay_failed",
                    json!({"job": job, "script_sha256": script_sha, "record": i + 1,
                           "code": code.code(), "message": e.to_string(),
                           "evidence": dir.display().to_string()}),
                )?;
                let summary = json!({"job": job, "records": recs.len(), "done": done, "failed_record": i + 1});
                if g.json {
                    println!("{summary}");
                }
                return Err(Failure::new(
                    code,
                    format!(
                        "{}: record {} of {}: {e} ({done} record(s) entered before it)",
                        args.script.display(),
                        i + 1,
                        recs.len()
                    ),
                )
                .into());
            }
        }
    }
    if g.json {
        println!(
            "{}",
            json!({"job": job, "records": recs.len(), "done": done, "evidence": evidence.display().to_string()})
        );
    } else {
        println!(
            "replayed {} for {done} record(s); evidence in {}",
            args.script.display(),
            evidence.display()
        );
    }
    Ok(0)
}
