//! From a workflow's `schedule:` to what the daemon needs: the [`Schedule`] (cron, zone,
//! calendar, days, shift, cut-off, misfire), the run's timeout and retries, and the failure alert
//! with its secrets resolved from the secret store.

use anyhow::Result;
use docket_connectors::{Alert, EmailTarget, Notifier, WebhookTarget};
use docket_core::ErrorCode;
use docket_schedule::{Calendar, Days, Misfire, Schedule, ScheduleSpec, Shift};
use docket_workflow::plan::{self as wf, AlertPlan};
use std::sync::Arc;
use std::time::Duration;

use super::DaemonOptions;
use crate::failure::Failure;
use crate::flowdir::LoadedFlow;

/// A scheduled flow as the daemon runs it.
#[derive(Debug, Clone)]
pub struct FlowSchedule {
    /// The flow.
    pub flow: LoadedFlow,
    /// When it runs.
    pub schedule: Schedule,
    /// Longest a run may take.
    pub timeout: Option<Duration>,
    /// Retries of a failed run.
    pub retries: u32,
    /// First retry delay (doubled each time, with jitter).
    pub retry_backoff: Duration,
    /// Who to tell when it keeps failing.
    pub alert: Option<AlertPlan>,
}

impl FlowSchedule {
    /// Why a missed tick is recorded as skipped, for the tick journal.
    pub fn skip_reason(&self) -> &'static str {
        match self.schedule.spec().misfire {
            Misfire::Skip => {
                "missed while the daemon was down or the previous run was still going (misfire: skip)"
            }
            Misfire::RunOnce => {
                "missed while the daemon was down or busy; only the latest ran (misfire: run_once)"
            }
            Misfire::CatchUp { .. } => {
                "missed while the daemon was down or busy, beyond catch_up_max (misfire: catch_up)"
            }
        }
    }
}

/// The flow's schedule, or `None` for flows that only run on demand. A calendar that cannot be
/// read is DK-E0207 naming the file and line.
pub fn schedule_of(flow: &LoadedFlow) -> Result<Option<FlowSchedule>> {
    let Some(s) = &flow.plan.schedule else {
        return Ok(None);
    };
    let tz: chrono_tz::Tz = s.timezone.parse().map_err(|_| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: schedule.timezone '{}' is not an IANA zone",
                flow.file.display(),
                s.timezone
            ),
        )
    })?;
    let mut spec = ScheduleSpec::new(s.cron.clone(), tz);
    if let Some(path) = &s.calendar {
        let cal = Calendar::load(path).map_err(|e| {
            Failure::new(
                ErrorCode::CalendarInvalid,
                format!("{}: schedule.calendar: {e}", flow.file.display()),
            )
        })?;
        spec.calendar = Some(Arc::new(cal));
    }
    spec.days = match s.days {
        wf::Days::Any => Days::Any,
        wf::Days::Working => Days::Working,
        wf::Days::FirstWorking => Days::FirstWorking,
        wf::Days::LastWorking => Days::LastWorking,
    };
    spec.shift = match s.shift {
        wf::Shift::None => Shift::None,
        wf::Shift::NextWorking => Shift::NextWorking,
    };
    spec.before_cutoff = s.before_cutoff;
    spec.misfire = match s.misfire {
        wf::Misfire::Skip => Misfire::Skip,
        wf::Misfire::RunOnce => Misfire::RunOnce,
        wf::Misfire::CatchUp { max } => Misfire::CatchUp { max },
    };
    let schedule = Schedule::new(spec).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{}: schedule: {e}", flow.file.display()),
        )
    })?;
    Ok(Some(FlowSchedule {
        flow: flow.clone(),
        schedule,
        timeout: s.timeout,
        retries: s.retries,
        retry_backoff: s.retry_backoff,
        alert: s.alert.clone(),
    }))
}

/// Delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, capped at one hour,
/// with ±20 % jitter so that flows failing together do not retry in lockstep.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    let d = base.saturating_mul(factor).min(Duration::from_secs(3600));
    let jitter = 0.8 + 0.4 * fastrand::f64();
    d.mul_f64(jitter)
}

/// Sends the flow's failure alert when `failures` consecutive failures reach the threshold
/// (and again at each further multiple of it, so a flow failing all day does not alert on every
/// tick). A notifier that cannot deliver is reported on stderr; the schedule goes on.
pub fn maybe_alert(
    opts: &DaemonOptions,
    fs: &FlowSchedule,
    failures: u32,
    last_error: &str,
    run_id: Option<&str>,
    exit_code: Option<i32>,
) {
    let Some(plan) = &fs.alert else { return };
    let every = plan.after_failures.max(1);
    if failures == 0 || !failures.is_multiple_of(every) {
        return;
    }
    let code = match exit_code {
        Some(3) => ErrorCode::SinkUnavailable.code(),
        Some(2) => ErrorCode::WorkflowInvalid.code(),
        None if last_error.starts_with("DK-E0306") => ErrorCode::RunTimedOut.code(),
        _ => "DK-E0000",
    };
    let alert = Alert {
        flow: fs.flow.spec.name.clone(),
        consecutive_failures: failures,
        last_error_code: code.to_owned(),
        last_error: last_error.to_owned(),
        run_id: run_id.unwrap_or("-").to_owned(),
        at: chrono::Utc::now(),
    };
    match notifier(opts, plan).and_then(|n| {
        n.send(&alert)
            .map_err(|e| Failure::new(e.code, e.message).into())
    }) {
        Ok(()) => println!(
            "{}: alert sent after {failures} consecutive failure(s)",
            alert.flow
        ),
        Err(e) => eprintln!("warning: {}: {e:#}", alert.flow),
    }
}

fn notifier(opts: &DaemonOptions, plan: &AlertPlan) -> Result<Notifier> {
    let webhook = match &plan.webhook {
        Some(url) => Some(WebhookTarget {
            url: url.clone(),
            bearer: match &plan.webhook_secret {
                Some(n) => Some(crate::commands::run::secret(&opts.data_dir, n)?),
                None => None,
            },
            timeout: Duration::from_secs(10),
        }),
        None => None,
    };
    let email = match &plan.email {
        Some(e) => Some(EmailTarget {
            host: e.smtp_host.clone(),
            port: Some(e.smtp_port),
            tls: match e.tls {
                wf::SmtpTls::None => docket_connectors::SmtpTls::None,
                wf::SmtpTls::Starttls => docket_connectors::SmtpTls::Starttls,
                wf::SmtpTls::Tls => docket_connectors::SmtpTls::Tls,
            },
            user: e.user.clone(),
            password: match &e.password_secret {
                Some(n) => Some(crate::commands::run::secret(&opts.data_dir, n)?),
                None => None,
            },
            from: e.from.clone(),
            to: e.to.clone(),
            timeout: Duration::from_secs(15),
        }),
        None => None,
    };
    Notifier::new(webhook, email).map_err(|e| Failure::new(e.code, e.message).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        for attempt in 1..=4u32 {
            let d = backoff(Duration::from_secs(10), attempt).as_secs_f64();
            let nominal = 10.0 * f64::from(2u32.pow(attempt - 1));
            assert!(
                d >= nominal * 0.8 - 1e-9 && d <= nominal * 1.2 + 1e-9,
                "{attempt}: {d}"
            );
        }
        assert!(backoff(Duration::from_secs(600), 30) <= Duration::from_secs(4320));
    }
}
