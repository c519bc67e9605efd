//! The `schedule:` section and top-level `requires:`: defaults and typed values in the plan, and
//! every rule reported with its code and position.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use docket_workflow::plan::{
    AlertPlan, DEFAULT_RETRY_BACKOFF, Days, EmailPlan, Misfire, Schedule, Shift, SmtpTls,
};
use docket_workflow::{Plan, Problem, load, render_problems};

const TAIL: &str = "steps:\n  - id: r\n    report: { html: r.html }\n";

/// A workflow whose `schedule:` block is `body` (indented by two spaces per line).
fn flow(body: &str) -> String {
    let body: String = body.lines().map(|l| format!("  {l}\n")).collect();
    format!("version: 1\nname: demo\nschedule:\n{body}{TAIL}")
}

fn plan(body: &str) -> Plan {
    let yaml = flow(body);
    load(&yaml, Path::new("/flows/demo"))
        .unwrap_or_else(|p| panic!("{}", render_problems("t.yaml", &yaml, &p)))
}

fn schedule(body: &str) -> Schedule {
    plan(body).schedule.unwrap()
}

fn problems(body: &str) -> Vec<Problem> {
    let yaml = flow(body);
    match load(&yaml, Path::new("/flows/demo")) {
        Ok(_) => panic!("expected problems in:\n{yaml}"),
        Err(p) => p,
    }
}

/// `(code, line, column, path)` of each problem; line 4 is the schedule's first line.
fn summary(body: &str) -> Vec<(&'static str, usize, usize, String)> {
    problems(body)
        .into_iter()
        .map(|p| (p.code, p.line, p.column, p.path))
        .collect()
}

fn codes(body: &str) -> Vec<&'static str> {
    let yaml = flow(body);
    match load(&yaml, Path::new("/flows/demo")) {
        Ok(_) => Vec::new(),
        Err(p) => p.into_iter().map(|p| p.code).collect(),
    }
}

#[test]
fn a_bare_cron_gets_every_default() {
    let s = schedule("cron: '0 30 9 * * Mon-Fri'");
    assert_eq!(
        s,
        Schedule {
            cron: "0 30 9 * * Mon-Fri".into(),
            timezone: "UTC".into(),
            calendar: None,
            days: Days::Any,
            shift: Shift::None,
            before_cutoff: false,
            misfire: Misfire::RunOnce,
            overlap: false,
            timeout: None,
            retries: 0,
            retry_backoff: Duration::from_secs(30),
            alert: None,
        }
    );
    assert_eq!(DEFAULT_RETRY_BACKOFF, Duration::from_secs(30));
}

#[test]
fn every_option_resolves_to_typed_values() {
    let s = schedule(
        "cron: '0 0 18 * * *'
timezone: Europe/London
calendar: calendars/uk.yml
days: last_working
before_cutoff: true
misfire: catch_up
catch_up_max: 1000
overlap: true
timeout: 2h
retries: 20
retry_backoff: 45s
alert:
  email:
    smtp: '[::1]:2525'
    tls: none
    from: docket@localhost
    to: [ops@bank.example]",
    );
    assert_eq!(
        s.calendar,
        Some(PathBuf::from("/flows/demo/calendars/uk.yml"))
    );
    assert_eq!(
        (s.days, s.shift, s.before_cutoff),
        (Days::LastWorking, Shift::None, true)
    );
    assert_eq!(s.misfire, Misfire::CatchUp { max: 1000 });
    assert!(s.overlap);
    assert_eq!(s.timeout, Some(Duration::from_secs(7200)));
    assert_eq!((s.retries, s.retry_backoff), (20, Duration::from_secs(45)));
    assert_eq!(
        s.alert,
        Some(AlertPlan {
            webhook: None,
            webhook_secret: None,
            email: Some(EmailPlan {
                smtp_host: "::1".into(),
                smtp_port: 2525,
                tls: SmtpTls::None,
                from: "docket@localhost".into(),
                to: vec!["ops@bank.example".into()],
                user: None,
                password_secret: None,
            }),
            after_failures: 3,
        })
    );

    // Defaults inside: catch_up without a maximum, an absolute calendar, a webhook-only alert.
    let s = schedule(
        "cron: '0 */15 8-17 * * *'
calendar: /etc/docket/calendars/cn-mainland.yaml
days: working
shift: next_working
misfire: catch_up
alert: { webhook: 'http://127.0.0.1:9000/hook', webhook_secret: hook-token, after_failures: 1 }",
    );
    assert_eq!(
        s.calendar.as_deref(),
        Some(Path::new("/etc/docket/calendars/cn-mainland.yaml")),
        "absolute calendar paths stay as written"
    );
    assert_eq!((s.days, s.shift), (Days::Working, Shift::NextWorking));
    assert_eq!(s.misfire, Misfire::CatchUp { max: 10 });
    let alert = s.alert.unwrap();
    assert_eq!(
        (alert.webhook.as_deref(), alert.webhook_secret.as_deref()),
        (Some("http://127.0.0.1:9000/hook"), Some("hook-token"))
    );
    assert_eq!((alert.after_failures, alert.email), (1, None));

    assert_eq!(
        schedule("cron: '0 0 9 * * *'\nmisfire: skip").misfire,
        Misfire::Skip
    );
}

#[test]
fn calendar_options_without_a_calendar_are_allowed() {
    // The crate has no warnings: without a calendar, working days are Monday to Friday with no
    // holidays (the daemon's default calendar), so these are meaningful and load.
    let s = schedule("cron: '0 0 9 * * *'\ndays: first_working\nbefore_cutoff: true");
    assert_eq!(
        (s.calendar, s.days, s.before_cutoff),
        (None, Days::FirstWorking, true)
    );
    let s = schedule("cron: '0 0 9 * * *'\nshift: next_working");
    assert_eq!(s.shift, Shift::NextWorking);
}

#[test]
fn plans_that_use_no_new_option_keep_their_json_and_fingerprint() {
    // The canonical JSON of a flow using none of the schedule options, sinks or requirements
    // added later is what it was before they existed, so its fingerprint does not change.
    let p = plan("cron: '0 30 9 * * Mon-Fri'\ntimezone: Asia/Shanghai");
    assert_eq!(
        p.canonical_json(),
        r#"{"name":"demo","description":null,"schedule":{"cron":"0 30 9 * * Mon-Fri","timezone":"Asia/Shanghai"},"base_dir":"/flows/demo","steps":[{"id":"r","index":0,"action":{"report":{"html":"/flows/demo/r.html"}}}]}"#
    );
    // Each new option changes it.
    let base = p.fingerprint();
    for extra in [
        "days: working",
        "calendar: c.yaml",
        "misfire: skip",
        "timeout: 5m",
        "retry_backoff: 31s",
        "overlap: true",
        "alert: { webhook: 'https://h.example/x' }",
    ] {
        let other = plan(&format!(
            "cron: '0 30 9 * * Mon-Fri'\ntimezone: Asia/Shanghai\n{extra}"
        ));
        assert_ne!(other.fingerprint(), base, "{extra}");
    }
}

#[test]
fn monthly_days_need_free_day_fields_and_no_shift() {
    assert_eq!(
        summary("cron: '0 0 9 1 * *'\ndays: first_working\nshift: next_working"),
        vec![
            ("W027", 5, 9, "schedule.days".to_owned()),
            ("W027", 6, 10, "schedule.shift".to_owned()),
        ]
    );
    let p = problems("cron: '0 0 9 ? * Mon-Fri 2030'\ndays: last_working");
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].hint.as_deref(),
        Some("write `*` in the cron's day-of-month and day-of-week fields: `0 0 9 * * * 2030`")
    );
    assert!(codes("cron: '0 0 9 ? * ?'\ndays: last_working").is_empty());
    assert!(codes("cron: '0 0 9 * * Mon-Fri'\ndays: working\nshift: next_working").is_empty());
    // A broken cron is reported once, as a cron problem.
    assert_eq!(codes("cron: '0 9 * *'\ndays: first_working"), ["W014"]);
}

#[test]
fn catch_up_max_only_with_catch_up_and_in_range() {
    assert_eq!(
        summary("cron: '0 0 9 * * *'\ncatch_up_max: 5"),
        vec![("W027", 5, 3, "schedule.catch_up_max".to_owned())]
    );
    assert_eq!(
        codes("cron: '0 0 9 * * *'\nmisfire: run_once\ncatch_up_max: 5"),
        ["W027"]
    );
    assert_eq!(
        summary("cron: '0 0 9 * * *'\nmisfire: catch_up\ncatch_up_max: 1001"),
        vec![("W023", 6, 17, "schedule.catch_up_max".to_owned())]
    );
    assert_eq!(
        codes("cron: '0 0 9 * * *'\nmisfire: catch_up\ncatch_up_max: 0"),
        ["W023"]
    );
    assert_eq!(codes("cron: '0 0 9 * * *'\nmisfire: later"), ["W005"]);
    assert_eq!(codes("cron: '0 0 9 * * *'\nretries: 21"), ["W023"]);
    assert_eq!(codes("cron: '0 0 9 * * *'\nretries: -1"), ["W023"]);
    assert_eq!(
        codes("cron: '0 0 9 * * *'\nalert: { webhook: 'https://h.example', after_failures: 0 }"),
        ["W023"]
    );
}

#[test]
fn durations_are_a_number_and_one_unit() {
    let check = |d: &str| codes(&format!("cron: '0 0 9 * * *'\ntimeout: '{d}'"));
    for ok in ["1s", "30s", "15m", "2h", "8784h"] {
        assert!(check(ok).is_empty(), "{ok}");
    }
    for bad in [
        "90", "1h30m", "0s", "0m", "5d", "-5s", "s", "1.5h", "15 m", "8785h",
    ] {
        assert_eq!(check(bad), ["W026"], "{bad}");
    }
    assert_eq!(
        summary("cron: '0 0 9 * * *'\nretry_backoff: soon"),
        vec![("W026", 5, 18, "schedule.retry_backoff".to_owned())]
    );
    let p = problems("cron: '0 0 9 * * *'\ntimeout: 90");
    assert_eq!(
        p[0].hint.as_deref(),
        Some("did you mean `90s`? write a whole number and one unit: `30s`, `15m` or `2h`")
    );
}

#[test]
fn calendar_must_be_a_yaml_file_path() {
    assert_eq!(
        summary("cron: '0 0 9 * * *'\ncalendar: calendars/cn.json"),
        vec![("W016", 5, 13, "schedule.calendar".to_owned())]
    );
    assert_eq!(codes("cron: '0 0 9 * * *'\ncalendar: ~/cn.yaml"), ["W016"]);
    assert_eq!(
        codes("cron: '0 0 9 * * *'\ncalendar: $CAL/cn.yaml"),
        ["W016"]
    );
    assert!(codes("cron: '0 0 9 * * *'\ncalendar: CN.YML").is_empty());
}

#[test]
fn an_alert_tells_somebody() {
    assert_eq!(
        summary("cron: '0 0 9 * * *'\nalert:\n  after_failures: 2"),
        vec![("W031", 5, 3, "schedule.alert".to_owned())]
    );
    assert_eq!(
        summary(
            "cron: '0 0 9 * * *'\nalert:\n  webhook_secret: hook\n  email:\n    smtp: m.example:25\n    from: a@b.example\n    to: [c@d.example]"
        ),
        vec![("W031", 6, 5, "schedule.alert.webhook_secret".to_owned())]
    );
}

#[test]
fn webhooks_are_http_urls_without_credentials() {
    let check = |url: &str, secret: bool| {
        let secret = if secret { ", webhook_secret: hook" } else { "" };
        codes(&format!(
            "cron: '0 0 9 * * *'\nalert: {{ webhook: '{url}'{secret} }}"
        ))
    };
    assert!(check("https://ops.example/hooks/docket?flow=a", true).is_empty());
    assert!(check("http://localhost:8080/hook", true).is_empty());
    assert!(check("http://[::1]:8080/hook", true).is_empty());
    assert!(
        check("http://ops.example/hook", false).is_empty(),
        "no secret, no leak"
    );
    assert_eq!(check("http://ops.example/hook", true), ["W032"]);
    assert_eq!(check("ftp://ops.example/hook", false), ["W028"]);
    assert_eq!(check("ops.example/hook", false), ["W028"]);
    assert_eq!(check("https:///hook", false), ["W028"]);
    assert_eq!(check("https://ops.example:99999/hook", false), ["W028"]);
    assert_eq!(check("https://token@ops.example/hook", false), ["W029"]);
    assert_eq!(check("https://user:p/w@ops.example/hook", false), ["W029"]);

    let p =
        problems("cron: '0 0 9 * * *'\nalert:\n  webhook: https://user:pw-123@ops.example/hook");
    assert_eq!(
        (p[0].code, p[0].line, p[0].column, p[0].path.as_str()),
        ("W029", 6, 14, "schedule.alert.webhook")
    );
    assert_eq!(
        p[0].hint.as_deref(),
        Some(
            "put the token in the secret store and name it in `webhook_secret`: `docket secret set NAME`"
        )
    );
    assert!(!format!("{p:?}").contains("pw-123"));
}

#[test]
fn secret_names_follow_the_secret_store_rule_and_are_not_repeated() {
    let p = problems(
        "cron: '0 0 9 * * *'\nalert: { webhook: 'https://h.example', webhook_secret: 'Tr0ub4dor&3' }",
    );
    assert_eq!(
        (p[0].code, p[0].path.as_str()),
        ("W025", "schedule.alert.webhook_secret")
    );
    assert!(!p[0].message.contains("Tr0ub4dor"));
    let yaml = flow(
        "cron: '0 0 9 * * *'\nalert: { webhook: 'https://h.example', webhook_secret: 'Tr0ub4dor&3' }",
    );
    let rendered = render_problems("t.yaml", &yaml, &p);
    assert!(!rendered.contains("Tr0ub4dor"), "{rendered}");
    assert!(
        rendered.contains("webhook_secret: *************"),
        "{rendered}"
    );
}

/// A schedule whose alert is only the e-mail section `email` (a flow mapping).
fn email(email: &str) -> String {
    format!("cron: '0 0 9 * * *'\nalert:\n  email: {{ {email} }}")
}

#[test]
fn alert_emails_are_checked() {
    let ok = "smtp: 'mail.bank.example:587', from: docket@bank.example, to: [ops@bank.example]";
    assert!(codes(&email(ok)).is_empty());
    assert!(
        codes(&email(&format!(
            "{ok}, user: docket, password_secret: smtp-pw, tls: tls"
        )))
        .is_empty()
    );
    assert_eq!(
        summary(&email(
            "smtp: 'mail.bank.example', from: 'Ops <ops@bank.example>', to: [ops@bank.example, 'x@', '@y', 'a b@c.example']"
        )),
        vec![
            ("W028", 6, 20, "schedule.alert.email.smtp".to_owned()),
            ("W030", 6, 47, "schedule.alert.email.from".to_owned()),
            ("W030", 6, 96, "schedule.alert.email.to[1]".to_owned()),
            ("W030", 6, 102, "schedule.alert.email.to[2]".to_owned()),
            ("W030", 6, 108, "schedule.alert.email.to[3]".to_owned()),
        ]
    );
    for smtp in [
        "smtp://mail.example:25",
        "mail.example:0",
        "mail.example:65536",
        ":25",
        "mail example:25",
    ] {
        assert_eq!(
            codes(&email(&format!(
                "smtp: '{smtp}', from: a@b.example, to: [c@d.example]"
            ))),
            ["W028"],
            "{smtp}"
        );
    }
    assert_eq!(
        codes(&email("smtp: 'm.example:25', from: a@b.example, to: []")),
        ["W030"]
    );
    assert_eq!(
        codes(&email(
            "smtp: 'm.example:25', from: a@b.example, to: [c@d.example], user: docket"
        )),
        ["W031"]
    );
    assert_eq!(
        codes(&email(
            "smtp: 'm.example:25', from: a@b.example, to: [c@d.example], password_secret: pw"
        )),
        ["W031"]
    );
    assert_eq!(
        codes(&email(
            "smtp: 'm.example:25', from: a@b.example, to: [c@d.example], user: docket, password_secret: pw, tls: none"
        )),
        ["W032"]
    );
    assert!(
        codes(&email(
            "smtp: 'localhost:25', from: a@b.example, to: [c@d.example], tls: none"
        ))
        .is_empty(),
        "a relay without a password may be plain"
    );
    assert_eq!(
        codes(&email(
            "smtp: 'm.example:25', from: a@b.example, to: [c@d.example], tls: ssl"
        )),
        ["W005"]
    );
    assert_eq!(
        codes(&email(
            "smtp: 'm.example:25', from: a@b.example, to: c@d.example"
        )),
        ["W003"],
        "`to` is a list"
    );
    assert_eq!(
        codes(&email("smtp: 'm.example:25', to: [c@d.example]")),
        ["W004"],
        "`from` is required"
    );
}

#[test]
fn requires_declares_desktop_and_ocr_languages() {
    let yaml = "version: 1\nname: demo\nrequires:\n  desktop: true\n  ocr_languages: [chi_sim, chi_tra]\nsteps:\n  - id: inbox\n    ingest: { path: in, done: done, quarantine: q }\n  - id: read\n    extract: { from: inbox, schema: bank_statement, languages: eng+chi_sim }\n";
    let plan = load(yaml, Path::new("/f")).unwrap();
    assert!(plan.requires.desktop);
    assert_eq!(plan.requires.ocr_languages, ["chi_sim", "chi_tra"]);
    assert_eq!(plan.needed_ocr_languages(), ["chi_sim", "chi_tra", "eng"]);

    let none = load(&format!("version: 1\nname: demo\n{TAIL}"), Path::new("/f")).unwrap();
    assert!(none.requires.is_empty());
    assert_eq!(none.requires, docket_workflow::Requires::default());

    let bad = format!(
        "version: 1\nname: demo\nrequires:\n  ocr_languages: [chi_sim, Eng, eng+fra, '']\n  gpu: true\n{TAIL}"
    );
    let got: Vec<_> = load(&bad, Path::new("/f"))
        .unwrap_err()
        .into_iter()
        .map(|p| (p.code, p.line, p.column, p.path))
        .collect();
    assert_eq!(
        got,
        vec![
            ("W021", 4, 28, "requires.ocr_languages[1]".to_owned()),
            ("W021", 4, 33, "requires.ocr_languages[2]".to_owned()),
            ("W003", 4, 42, "requires.ocr_languages[3]".to_owned()),
            ("W002", 5, 3, "requires.gpu".to_owned()),
        ]
    );
}
