//! Rules of the `schedule:` section the schema cannot express: the cron and zone, the calendar
//! file name, options that do not go together, durations, and the failure alert.
//!
//! Like the rest of `validate`, it reads the JSON form leniently and never touches the file
//! system: the calendar is named here and read by the caller, which passes a loader to
//! [`check_calendar`] (W037 at the `calendar` key when the file cannot be used).

use std::path::Path;

use serde_json::Value;

use crate::problem::Problem;

use super::values::{self, UrlProblem};
use super::{Push, check_path};
use crate::cron::{check_cron, check_timezone};

/// Check the calendar file of a workflow that [`crate::load`] accepted: `load` reads and parses it
/// (the agent passes `docket_schedule::Calendar::load`; its error text names the file and what is
/// wrong). A calendar that cannot be used is W037 at the position of `schedule.calendar`, so
/// `docket run --check` refuses it like any other problem of the workflow.
pub fn check_calendar(
    yaml: &str,
    base_dir: &Path,
    load: &mut dyn FnMut(&Path) -> Result<(), String>,
) -> Vec<Problem> {
    let checked = crate::tree::check(yaml, &crate::json_schema());
    let Some(doc) = checked.value else {
        return Vec::new();
    };
    let Some(cal) = doc.pointer("/schedule/calendar").and_then(Value::as_str) else {
        return Vec::new();
    };
    let path = "schedule.calendar";
    match load(&super::resolve(base_dir, cal)) {
        Ok(()) => Vec::new(),
        Err(message) => vec![
            Problem::new(
                "W037",
                path,
                checked.spans.value(path),
                format!("the calendar cannot be used: {message}"),
            )
            .hint(
                "check the path (relative to the workflow file's folder); the installed \
                 calendars are in installer/calendars/",
            ),
        ],
    }
}

/// Check `schedule` (the JSON value of the `schedule:` section).
pub(super) fn check(schedule: &Value, push: &mut Push<'_>) {
    let s = |k: &str| schedule.get(k).and_then(Value::as_str);
    let cron = s("cron");
    if let Some(cron) = cron
        && let Err(c) = check_cron(cron)
    {
        push("W014", "schedule.cron", false, c);
    }
    if let Some(tz) = s("timezone")
        && let Err(c) = check_timezone(tz)
    {
        push("W015", "schedule.timezone", false, c);
    }
    if let Some(cal) = s("calendar") {
        if let Err(c) = check_path(cal) {
            push("W016", "schedule.calendar", false, c);
        } else {
            let lower = cal.to_ascii_lowercase();
            if !lower.ends_with(".yaml") && !lower.ends_with(".yml") {
                push(
                    "W016",
                    "schedule.calendar",
                    false,
                    (
                        format!("calendar file `{cal}` must end in `.yaml` or `.yml`"),
                        "calendars are YAML files, e.g. `calendars/cn-mainland.yaml`".to_owned(),
                    ),
                );
            }
        }
    }

    let days = s("days").unwrap_or("any");
    let monthly = matches!(days, "first_working" | "last_working");
    if monthly && let Some(cron) = cron {
        let fields: Vec<&str> = cron.split_whitespace().collect();
        let free = |f: &str| f == "*" || f == "?";
        if matches!(fields.len(), 6 | 7) && !(free(fields[3]) && free(fields[5])) {
            let mut fixed = fields.clone();
            fixed[3] = "*";
            fixed[5] = "*";
            push(
                "W027",
                "schedule.days",
                false,
                (
                    format!(
                        "`days: {days}` picks one day a month, but the cron also picks days (day of month `{}`, day of week `{}`)",
                        fields[3], fields[5]
                    ),
                    format!(
                        "write `*` in the cron's day-of-month and day-of-week fields: `{}`",
                        fixed.join(" ")
                    ),
                ),
            );
        }
    }
    if monthly && s("shift") == Some("next_working") {
        push(
            "W027",
            "schedule.shift",
            false,
            (
                format!("`shift: next_working` does not go with `days: {days}`"),
                format!("`{days}` always lands on a working day: remove `shift`"),
            ),
        );
    }
    if schedule.get("catch_up_max").is_some() && s("misfire") != Some("catch_up") {
        push(
            "W027",
            "schedule.catch_up_max",
            true,
            (
                "`catch_up_max` only applies to `misfire: catch_up`".to_owned(),
                "add `misfire: catch_up`, or remove `catch_up_max`".to_owned(),
            ),
        );
    }
    for key in ["timeout", "retry_backoff"] {
        if let Some(d) = s(key)
            && let Err(c) = values::parse_duration(d)
        {
            push("W026", &format!("schedule.{key}"), false, c);
        }
    }
    if let Some(alert) = schedule.get("alert") {
        check_alert(alert, push);
    }
}

fn check_alert(alert: &Value, push: &mut Push<'_>) {
    let base = "schedule.alert";
    let webhook = alert.get("webhook").and_then(Value::as_str);
    let secret = alert.get("webhook_secret").and_then(Value::as_str);
    let email = alert.get("email");
    if webhook.is_none() && email.is_none() {
        push(
            "W031",
            base,
            true,
            (
                "`alert` names nobody to tell".to_owned(),
                "add a `webhook:` URL or an `email:` section (or both)".to_owned(),
            ),
        );
    }
    if let Some(url) = webhook {
        let path = format!("{base}.webhook");
        match values::http_url(url, "the webhook", "`webhook_secret`") {
            Err(UrlProblem::Shape(c)) => push("W028", &path, false, c),
            Err(UrlProblem::Credentials(c)) => push("W029", &path, false, c),
            Ok(u) if u.scheme == "http" && !u.is_loopback() && secret.is_some() => push(
                "W032",
                &path,
                false,
                (
                    "the webhook token would be sent unencrypted over `http://`".to_owned(),
                    "use `https://` (plain `http` is only allowed to this machine: localhost, 127.0.0.1, ::1)"
                        .to_owned(),
                ),
            ),
            Ok(_) => {}
        }
    }
    if let Some(name) = secret {
        let path = format!("{base}.webhook_secret");
        if let Err(c) = values::secret_name(name) {
            push("W025", &path, false, c);
        }
        if webhook.is_none() {
            push(
                "W031",
                &path,
                true,
                (
                    "`webhook_secret` without a `webhook`".to_owned(),
                    "add the `webhook:` URL the token is sent to, or remove `webhook_secret`"
                        .to_owned(),
                ),
            );
        }
    }
    if let Some(email) = email {
        check_email(email, &format!("{base}.email"), push);
    }
}

fn check_email(email: &Value, base: &str, push: &mut Push<'_>) {
    let s = |k: &str| email.get(k).and_then(Value::as_str);
    if let Some(smtp) = s("smtp") {
        let path = format!("{base}.smtp");
        if smtp.contains("://") {
            push(
                "W028",
                &path,
                false,
                (
                    format!("`smtp` is `host:port`, not a URL: `{smtp}`"),
                    "e.g. `mail.bank.example:587`; choose the protection with `tls:`".to_owned(),
                ),
            );
        } else if let Err((m, h)) = values::host_port(smtp, true) {
            push("W028", &path, false, (format!("`smtp`: {m}"), h));
        }
    }
    if let Some(from) = s("from")
        && let Err(c) = values::email(from)
    {
        push("W030", &format!("{base}.from"), false, c);
    }
    if let Some(to) = email.get("to").and_then(Value::as_array) {
        if to.is_empty() {
            push(
                "W030",
                &format!("{base}.to"),
                false,
                (
                    "`to` lists nobody".to_owned(),
                    "add at least one address, e.g. `to: [ops@bank.example]`".to_owned(),
                ),
            );
        }
        for (i, addr) in to.iter().enumerate() {
            if let Some(addr) = addr.as_str()
                && let Err(c) = values::email(addr)
            {
                push("W030", &format!("{base}.to[{i}]"), false, c);
            }
        }
    }
    let user = s("user");
    let password = s("password_secret");
    if let Some(u) = user
        && u.trim().is_empty()
    {
        push(
            "W025",
            &format!("{base}.user"),
            false,
            (
                "`user` is empty".to_owned(),
                "give the SMTP user name, or remove `user` and `password_secret`".to_owned(),
            ),
        );
    }
    if let Some(p) = password
        && let Err(c) = values::secret_name(p)
    {
        push("W025", &format!("{base}.password_secret"), false, c);
    }
    match (user, password) {
        (Some(_), None) => push(
            "W031",
            &format!("{base}.user"),
            true,
            (
                "`user` without `password_secret`".to_owned(),
                "SMTP authentication needs both: add `password_secret: NAME`, or remove `user`"
                    .to_owned(),
            ),
        ),
        (None, Some(_)) => push(
            "W031",
            &format!("{base}.password_secret"),
            true,
            (
                "`password_secret` without `user`".to_owned(),
                "SMTP authentication needs both: add `user:`, or remove `password_secret`"
                    .to_owned(),
            ),
        ),
        _ => {}
    }
    if password.is_some() && s("tls") == Some("none") {
        push(
            "W032",
            &format!("{base}.tls"),
            false,
            (
                "with `tls: none` the SMTP password would be sent unencrypted".to_owned(),
                "use `tls: starttls` or `tls: tls`, or a relay that needs no password".to_owned(),
            ),
        );
    }
}
