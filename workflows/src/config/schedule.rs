//! The `schedule:` section as written: when a flow runs on its own, which days count, what happens
//! to missed and failed runs, and who is told when a flow keeps failing.
//!
//! Shape only, like the rest of `config`: durations, URLs and addresses stay text here and are
//! checked by `validate`; the calendar file is named, never read.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::is_default;

/// When a flow runs on its own, and what happens to missed, slow and failed runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Cron expression with a seconds field: `sec min hour day-of-month month day-of-week
    /// [year]`, e.g. `"0 30 9 * * Mon-Fri"`, or classic five fields without seconds
    /// (`"30 9 * * Mon-Fri"`, read as second 0). Write days of the week as names
    /// (`Mon-Fri`): numbers are rejected because they are easy to get wrong (1 is Sunday).
    /// `L` is not supported.
    pub cron: String,
    /// IANA time zone the cron expression is read in, e.g. `Asia/Shanghai`, `Europe/London` or
    /// `UTC` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Working-day calendar file (`.yaml` or `.yml`), relative to the workflow file's folder (or
    /// absolute): holidays, make-up working days and the cut-off time, read by the daemon.
    /// Without one, working days are Monday to Friday with no holidays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Which of the cron's days count: `any` (default), `working`, `first_working` (the first
    /// working day of each month) or `last_working`. The last two need `*` or `?` in the cron's
    /// day-of-month and day-of-week fields.
    #[serde(default, skip_serializing_if = "is_default")]
    pub days: Days,
    /// What happens to a tick on a non-working day: `none` (default: it stays where it is) or
    /// `next_working` (it moves to the next working day). Not with `days: first_working` or
    /// `last_working`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub shift: Shift,
    /// Only keep ticks at or before the calendar's cut-off time. Default `false`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub before_cutoff: bool,
    /// What to do about ticks missed while the daemon was down: `skip` them, `run_once` for all
    /// of them (default), or `catch_up` with one run per missed tick (at most `catch_up_max`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub misfire: MisfireConfig,
    /// Most missed ticks run by `misfire: catch_up`, from 1 to 1000. Default 10. Only with
    /// `misfire: catch_up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub catch_up_max: Option<u32>,
    /// Whether a run may start while the previous run of this flow still runs. Default `false`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub overlap: bool,
    /// Longest a run may take before it is stopped and counted as failed: a whole number and a
    /// unit, `s`, `m` or `h` (`30s`, `15m`, `2h`). Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How many times a failed run is retried, from 0 (default) to 20.
    #[serde(default, skip_serializing_if = "is_default")]
    #[schemars(range(max = 20))]
    pub retries: u32,
    /// Delay before the first retry (`30s`, `5m`, `1h`), doubled for each further retry, with
    /// jitter. Default `30s`.
    #[serde(
        default = "default_retry_backoff",
        skip_serializing_if = "is_default_retry_backoff"
    )]
    pub retry_backoff: String,
    /// Tell someone when the flow keeps failing (it keeps its schedule). Give a `webhook`, an
    /// `email`, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertConfig>,
}

fn default_retry_backoff() -> String {
    "30s".to_owned()
}

fn is_default_retry_backoff(s: &str) -> bool {
    s == "30s"
}

/// Which of the cron's days count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Days {
    /// Every day the cron names.
    #[default]
    Any,
    /// Only working days.
    Working,
    /// Only the first working day of each month.
    FirstWorking,
    /// Only the last working day of each month.
    LastWorking,
}

/// What happens to a tick on a non-working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    /// Nothing: the tick stays where it is.
    #[default]
    None,
    /// The tick moves to the same time on the next working day.
    NextWorking,
}

/// What to do about ticks missed while the daemon was down, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MisfireConfig {
    /// Drop missed ticks.
    Skip,
    /// Run once for all missed ticks.
    #[default]
    RunOnce,
    /// Run once per missed tick, oldest first, at most `catch_up_max` runs.
    CatchUp,
}

/// Who is told when a flow keeps failing. Give a `webhook`, an `email`, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Consecutive failed runs (after retries) that raise the alert, from 1 to 1000. Default 3.
    #[serde(default = "default_after_failures")]
    #[schemars(range(min = 1, max = 1000))]
    pub after_failures: u32,
    /// `http://` or `https://` URL the alert is POSTed to as JSON. No user name or password in
    /// it: put a token in the secret store and name it in `webhook_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Name of the secret (in Docket's secret store) sent to the webhook as
    /// `Authorization: Bearer <secret>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Send the alert by e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailConfig>,
}

fn default_after_failures() -> u32 {
    3
}

/// An alert e-mail and the SMTP server that sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server as `host:port`, e.g. `mail.bank.example:587`.
    pub smtp: String,
    /// How the connection to the SMTP server is protected: `none`, `starttls` (default) or `tls`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tls: SmtpTls,
    /// Sender address, e.g. `docket@bank.example`.
    pub from: String,
    /// Recipient addresses, at least one.
    pub to: Vec<String>,
    /// User name for SMTP authentication; give it together with `password_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Name of the secret (in Docket's secret store) holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret: Option<String>,
}

/// How the connection to an SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (only for a relay on the same host or network; no password allowed).
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}
