//! The resolved schedule: typed options with their defaults filled in, durations parsed, the
//! calendar path joined onto the workflow's folder, and the failure alert.
//!
//! New fields are left out of the plan's JSON while they hold their default, so a flow that does
//! not use them keeps the fingerprint it had before they existed.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Serialize, Serializer};

pub use crate::config::{Days, Shift, SmtpTls};

use super::lossy_opt_path;

/// A checked schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Cron expression with seconds (6 or 7 fields), shape-checked.
    pub cron: String,
    /// IANA time zone name, checked against the tz database (`UTC` when not given).
    pub timezone: String,
    /// Working-day calendar file (not read or checked here: the daemon loads it); `None` means
    /// Monday to Friday with no holidays.
    #[serde(
        serialize_with = "lossy_opt_path",
        skip_serializing_if = "Option::is_none"
    )]
    pub calendar: Option<PathBuf>,
    /// Which of the cron's days count.
    #[serde(skip_serializing_if = "is_default")]
    pub days: Days,
    /// What happens to a tick on a non-working day.
    #[serde(skip_serializing_if = "is_default")]
    pub shift: Shift,
    /// Only ticks at or before the calendar's cut-off time fire.
    #[serde(skip_serializing_if = "is_default")]
    pub before_cutoff: bool,
    /// What to do about ticks missed while the daemon was down.
    #[serde(skip_serializing_if = "is_default")]
    pub misfire: Misfire,
    /// Whether a run may start while the previous run of the flow still runs.
    #[serde(skip_serializing_if = "is_default")]
    pub overlap: bool,
    /// Longest a run may take; `None` is no limit.
    #[serde(serialize_with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Retries of a failed run (0 to 20).
    #[serde(skip_serializing_if = "is_default")]
    pub retries: u32,
    /// Delay before the first retry, doubled for each further one (jitter is the scheduler's).
    #[serde(serialize_with = "secs", skip_serializing_if = "is_default_backoff")]
    pub retry_backoff: Duration,
    /// Who is told when the flow keeps failing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertPlan>,
}

/// Retry delay when the file names none.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(30);

/// Most catch-up runs when the file names none.
pub const DEFAULT_CATCH_UP_MAX: u32 = 10;

/// What to do about ticks missed while the daemon was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Misfire {
    /// Drop missed ticks.
    Skip,
    /// Run once for all missed ticks.
    #[default]
    RunOnce,
    /// Run once per missed tick, oldest first.
    CatchUp {
        /// Most runs made for missed ticks (1 to 1000); older ticks beyond it are dropped.
        max: u32,
    },
}

/// Who is told when a flow keeps failing. At least one of `webhook` and `email` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertPlan {
    /// `http(s)` URL the alert is POSTed to (no credentials in it).
    pub webhook: Option<String>,
    /// Secret name sent to the webhook as `Authorization: Bearer <secret>`.
    pub webhook_secret: Option<String>,
    /// The alert e-mail.
    pub email: Option<EmailPlan>,
    /// Consecutive failed runs (after retries) that raise the alert (1 to 1000).
    pub after_failures: u32,
}

/// An alert e-mail and the SMTP server that sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailPlan {
    /// SMTP server host name or address (IPv6 without brackets).
    pub smtp_host: String,
    /// SMTP server port.
    pub smtp_port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// Sender address.
    pub from: String,
    /// Recipient addresses (at least one).
    pub to: Vec<String>,
    /// SMTP user name; set exactly when `password_secret` is.
    pub user: Option<String>,
    /// Secret name of the SMTP password; never set with `tls: none`.
    pub password_secret: Option<String>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_default_backoff(d: &Duration) -> bool {
    *d == DEFAULT_RETRY_BACKOFF
}

/// Durations are written as whole seconds (the format has no finer unit).
pub(crate) fn secs<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(d.as_secs())
}

pub(crate) fn opt_secs<S: Serializer>(
    d: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serializer.serialize_some(&d.as_secs()),
        None => serializer.serialize_none(),
    }
}
