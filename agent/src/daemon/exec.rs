//! Runs one tick of a flow as a child process (`docket run FLOW.yaml --json`), so that a run can
//! be given a time limit (the child is stopped with SIGTERM, then SIGKILL) and a crash of one run
//! cannot take the daemon down. The child journals in the same run store; a run that was stopped
//! resumes at the next attempt. Its output goes to a log file under the data dir.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a child run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code (0 ok, 1 review, 2 bad input, 3 outside system failed).
    Exit(i32),
    /// It ran past its time limit and was stopped.
    TimedOut,
    /// It was killed by a signal (not ours).
    Killed,
    /// The daemon is stopping; the child was stopped and its run resumes at the next start.
    Stopped,
}

/// A finished child run.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// How it ended.
    pub ended: Ended,
    /// The run id it printed, if it got that far.
    pub run_id: Option<String>,
    /// Its log file.
    pub log: PathBuf,
}

fn terminate(child: &mut std::process::Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `docket run FLOW --json` with the daemon's data dir; waits at most `timeout`.
pub fn run_child(
    exe: &Path,
    data_dir: &Path,
    flow_file: &Path,
    log: &Path,
    timeout: Option<Duration>,
    stop: &AtomicBool,
) -> Result<ChildRun> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open the run log {}", log.display()))?;
    let err = out.try_clone()?;
    let mut child = Command::new(exe)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .arg("run")
        .arg(flow_file)
        // A run of the same flow still finishing (e.g. left by a daemon that was killed) is
        // waited for instead of failing this tick.
        .env("DOCKET_WAIT_LOCK", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let started = Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait()? {
            break match status.code() {
                Some(c) => Ended::Exit(c),
                None => Ended::Killed,
            };
        }
        if stop.load(Ordering::Relaxed) {
            terminate(&mut child);
            break Ended::Stopped;
        }
        if timeout.is_some_and(|t| started.elapsed() >= t) {
            terminate(&mut child);
            break Ended::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(ChildRun {
        ended,
        run_id: run_id_from_log(log),
        log: log.to_path_buf(),
    })
}

/// The `run_id` of the last JSON outcome line the child printed.
fn run_id_from_log(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find_map(|l| {
        serde_json::from_str::<serde_json::Value>(l)
            .ok()?
            .get("run_id")?
            .as_str()
            .map(str::to_owned)
    })
}
