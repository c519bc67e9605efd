//! Runs one tick of a flow as a child process (`docket run FLOW.yaml --json`), so that a run can
//! be given a time limit (the child is stopped with SIGTERM, then SIGKILL) and a crash of one run
//! cannot take the daemon down. The child journals in the same run store; a run that was stopped
//! resumes at the next attempt. Its output goes to a log file under the data dir.
//!
//! A child dies with the daemon: it is started with [`PARENT_ENV`] naming the daemon's pid, and
//! [`die_with_parent`] (called by the child before it touches the journal) asks the kernel for
//! SIGKILL when that parent goes (PR_SET_PDEATHSIG), so a daemon killed with SIGKILL leaves no
//! orphan run working beside the run its restart resumes. The child is also told which tick it
//! serves ([`TICK_ENV`]), so the run links itself to that tick in the journal.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The environment variable that carries the daemon's pid to its child run.
pub const PARENT_ENV: &str = "DOCKET_DAEMON_PID";

/// The environment variable that carries the tick (`FLOW` and the RFC 3339 instant, separated by
/// a space) a child run serves.
pub const TICK_ENV: &str = "DOCKET_TICK";

/// In a child run of the daemon: asks the kernel to SIGKILL this process when the daemon dies,
/// and exits at once if the daemon is already gone. Does nothing outside a daemon's child.
pub fn die_with_parent() -> Result<()> {
    let Some(parent) = std::env::var_os(PARENT_ENV) else {
        return Ok(());
    };
    let parent: i32 = parent
        .to_str()
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("{PARENT_ENV} is not a process id"))?;
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .context("cannot ask to die with the daemon (PR_SET_PDEATHSIG)")?;
    // The daemon may have died before the request: then nobody will send the signal.
    let ppid = rustix::process::getppid().map(|p| p.as_raw_nonzero().get());
    if ppid != Some(parent) {
        anyhow::bail!("the daemon (pid {parent}) that started this run is gone; not running");
    }
    Ok(())
}

/// In a child run of the daemon: the tick it serves (flow name, instant), if any.
pub fn served_tick() -> Option<(String, String)> {
    let v = std::env::var(TICK_ENV).ok()?;
    let (flow, at) = v.rsplit_once(' ')?;
    Some((flow.to_owned(), at.to_owned()))
}

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

/// Runs `docket run FLOW --json` with the daemon's data dir for the tick `tick` (flow name,
/// stamped instant); waits at most `timeout`. Must be called from the thread that waits for the
/// child: the kernel's parent-death signal follows the thread that started it.
pub fn run_child(
    exe: &Path,
    data_dir: &Path,
    flow_file: &Path,
    tick: (&str, &str),
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
        .env(PARENT_ENV, std::process::id().to_string())
        .env(TICK_ENV, format!("{} {}", tick.0, tick.1))
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
