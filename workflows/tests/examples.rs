//! The sample workflows under `examples/` load, and the deliberately broken one reports every
//! problem with its position.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use docket_workflow::{
    Action, FileFormat, PostgresUrl, SchemaRef, Sink, Source, load, parse, render_problems,
    validate,
};

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_example(name: &str) -> docket_workflow::Plan {
    let yaml = example(name);
    match load(&yaml, Path::new("/flows/demo")) {
        Ok(plan) => plan,
        Err(problems) => panic!("{}", render_problems(name, &yaml, &problems)),
    }
}

/// Load a deliberately broken example: each line marked `<-` carries at least one problem, and
/// no problem sits on an unmarked line except those `allowed` (e.g. a missing key reported at
/// its parent).
fn broken_example(name: &str, allowed: &[usize]) -> (String, Vec<docket_workflow::Problem>) {
    let yaml = example(name);
    let problems = load(&yaml, Path::new("/flows")).unwrap_err();
    let marked: Vec<usize> = yaml
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("# <-"))
        .map(|(i, _)| i + 1)
        .collect();
    for line in &marked {
        assert!(
            problems.iter().any(|p| p.line == *line),
            "{name}: no problem on line {line}"
        );
    }
    for p in &problems {
        assert!(
            marked.contains(&p.line) || allowed.contains(&p.line),
            "{name}: unexpected problem on line {}: {p:?}",
            p.line
        );
    }
    (yaml, problems)
}

fn problem_table(problems: &[docket_workflow::Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            format!(
                "{}:{} {} {} — {}",
                p.line, p.column, p.code, p.path, p.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn invalid_example_reports_every_marked_problem() {
    // `table` missing is reported at its parent `write:` (line 20).
    let (yaml, problems) = broken_example("invalid.yaml", &[20]);
    insta::assert_snapshot!("invalid_problems", problem_table(&problems));
    insta::assert_snapshot!(
        "invalid_rendered",
        render_problems("invalid.yaml", &yaml, &problems)
    );
}

#[test]
fn invalid_schedule_example_reports_every_marked_problem_without_its_secrets() {
    let (yaml, problems) = broken_example("invalid-schedule.yaml", &[]);
    let table = problem_table(&problems);
    let rendered = render_problems("invalid-schedule.yaml", &yaml, &problems);
    // The passwords written into URLs appear in no message, hint or rendered line.
    for secret in ["hunter2", "S3cret-pw", "abc123"] {
        assert!(!table.contains(secret), "{secret} in:\n{table}");
        assert!(!rendered.contains(secret), "{secret} in:\n{rendered}");
        assert!(
            problems
                .iter()
                .all(|p| !p.hint.as_deref().unwrap_or("").contains(secret))
        );
    }
    assert!(rendered.contains("https://ops:***@ops.bank.example/hook"));
    assert!(rendered.contains("mysql://docket:***@db.bank.example/bo"));
    insta::assert_snapshot!("invalid_schedule_problems", table);
    insta::assert_snapshot!("invalid_schedule_rendered", rendered);
}

#[test]
fn postgres_example_loads() {
    let plan = load_example("postgres-import.yaml");
    let schedule = plan.schedule.as_ref().unwrap();
    assert_eq!(schedule.timezone, "Europe/London");
    let Action::Ingest(i) = &plan.steps[0].action else {
        panic!("scans is an ingest step")
    };
    assert_eq!(
        i.path,
        Path::new("/srv/docket/scans"),
        "absolute paths stay as written"
    );
    assert_eq!(i.max_file_bytes, 200 * 1024 * 1024, "default limit");
    assert_eq!(i.patterns, docket_workflow::config::default_patterns());
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("store is a write step")
    };
    assert_eq!(
        w.sink,
        Sink::Postgres {
            url: PostgresUrl::Secret("backoffice-db".into())
        }
    );
    assert_eq!(w.table, "backoffice.transactions");
    let last = w.columns.last().unwrap();
    assert_eq!(
        (last.name.as_str(), &last.source),
        ("origin", &Source::Const("docket".into()))
    );
    assert!(w.columns.iter().any(|c| c.source == Source::RunId));
    assert!(w.columns.iter().any(|c| c.source == Source::SourcePages));
}

#[test]
fn file_drop_example_loads() {
    let plan = load_example("file-drop-jsonl.yaml");
    assert!(plan.schedule.is_none());
    let Action::Extract(e) = &plan.steps[1].action else {
        panic!("read is an extract step")
    };
    assert_eq!(
        e.schema,
        SchemaRef::File("/flows/demo/schemas/branch_sheet.json".into())
    );
    assert_eq!(e.languages, ["eng"], "default language");
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("export is a write step")
    };
    assert_eq!(
        w.sink,
        Sink::File {
            dir: "/flows/demo/out".into(),
            format: FileFormat::Jsonl
        }
    );
    // A custom schema's fields are not known here, so any field name is accepted.
    assert_eq!(w.columns[2].source, Source::Field("branch_code".into()));
    let Action::Report(r) = &plan.steps[3].action else {
        panic!("summary is a report step")
    };
    assert_eq!(r.html, Path::new("/flows/demo/out/summary.html"));
}

#[test]
fn invoices_llm_example_loads() {
    let plan = load_example("invoices-llm.yaml");
    let Action::Extract(e) = &plan.steps[1].action else {
        panic!("not an extract step");
    };
    let llm = e.llm.as_ref().unwrap();
    assert_eq!(llm.url.as_deref(), Some("http://127.0.0.1:8080/v1"));
    assert_eq!(llm.api_key_secret.as_deref(), Some("llm_api_key"));
    assert!(llm.redact);
    assert_eq!(llm.timeout, Some(std::time::Duration::from_secs(60)));
    assert_eq!(llm.min_confidence, Some(0.6));
    assert!(plan.canonical_json().contains("\"llm\""));
}

#[test]
fn every_example_parses_validates_and_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".yaml") || name.starts_with("invalid") {
            continue;
        }
        seen += 1;
        let yaml = example(&name);
        let parsed =
            parse(&yaml).unwrap_or_else(|p| panic!("{}", render_problems(&name, &yaml, &p)));
        let plan = validate(&parsed, Path::new("/flows/demo")).unwrap();
        assert_eq!(plan, load_example(&name));
        // What a tool writes back (e.g. the recorder) loads to the same plan.
        let written = docket_workflow::to_yaml(&parsed.raw).unwrap();
        let again = load(&written, Path::new("/flows/demo")).unwrap();
        assert_eq!(
            again.fingerprint(),
            plan.fingerprint(),
            "{name} after a write-back:\n{written}"
        );
    }
    assert_eq!(seen, 7);
}

#[test]
fn fingerprint_is_stable_and_tracks_behaviour() {
    let yaml = example("sqlite-import.yaml");
    let base = Path::new("/flows/demo");
    let a = load(&yaml, base).unwrap().fingerprint();
    assert_eq!(a.len(), 64);
    assert_eq!(
        a,
        load(&yaml, base).unwrap().fingerprint(),
        "same YAML, same fingerprint"
    );

    // Comments, blank lines and key order are not behaviour.
    let cosmetic = yaml
        .replace("# relative to this file's folder", "")
        .replace(
            "version: 1\nname: daily-statements",
            "name: daily-statements\nversion: 1",
        );
    assert_ne!(cosmetic, yaml);
    assert_eq!(a, load(&cosmetic, base).unwrap().fingerprint());

    let changed_column = yaml.replace("balance: record.balance", "balance: record.amount");
    assert_ne!(a, load(&changed_column, base).unwrap().fingerprint());
    let renamed_column = yaml.replace("source_file: source.path", "source_path: source.path");
    assert_ne!(a, load(&renamed_column, base).unwrap().fingerprint());
    let reordered = yaml.replace(
        "        booking_date: record.date\n        amount: record.amount\n",
        "        amount: record.amount\n        booking_date: record.date\n",
    );
    assert_ne!(reordered, yaml);
    assert_ne!(
        a,
        load(&reordered, base).unwrap().fingerprint(),
        "column order is output order"
    );
    let new_schedule = yaml.replace("0 30 9 * * Mon-Fri", "0 0 9 * * Mon-Fri");
    assert_ne!(a, load(&new_schedule, base).unwrap().fingerprint());
}

#[test]
fn sqlite_example_loads() {
    let plan = load_example("sqlite-import.yaml");
    assert_eq!(plan.name, "daily-statements");
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["inbox", "read", "store", "aml", "summary"]);
    let Action::Screen(sc) = &plan.steps[3].action else {
        panic!("aml is a screen step")
    };
    assert_eq!((sc.from.id.as_str(), sc.from.index), ("read", 1));
    assert_eq!(sc.pack, None);
    assert_eq!(sc.zone, "Asia/Shanghai");
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("store is a write step")
    };
    assert_eq!(w.from.index, 1);
    assert_eq!(
        w.sink,
        Sink::Sqlite {
            path: "/flows/demo/backoffice.db".into()
        }
    );
    assert_eq!(w.columns[0].name, "booking_date");
    assert_eq!(w.columns[0].source, Source::Record("date".into()));
    let Action::Extract(e) = &plan.steps[1].action else {
        panic!("read is an extract step")
    };
    assert_eq!(e.schema, SchemaRef::Builtin("bank_statement".into()));
    assert_eq!(e.languages, ["eng", "chi_sim"]);
}

#[test]
fn cn_working_days_rest_example_loads() {
    use docket_workflow::plan::{Days, Misfire, Shift, SmtpTls};
    use docket_workflow::{HttpMethod, RestAuth};
    use std::time::Duration;

    let plan = load_example("cn-working-days-rest.yaml");
    let s = plan.schedule.as_ref().unwrap();
    assert_eq!(
        (s.cron.as_str(), s.timezone.as_str()),
        ("0 30 9 * * *", "Asia/Shanghai")
    );
    // Joined onto the workflow's folder as written; nothing is read or normalised here.
    assert_eq!(
        s.calendar.as_deref(),
        Some(Path::new(
            "/flows/demo/../../installer/calendars/cn-mainland.yaml"
        ))
    );
    assert_eq!(
        (s.days, s.shift, s.before_cutoff),
        (Days::Working, Shift::None, false)
    );
    assert_eq!(s.misfire, Misfire::CatchUp { max: 5 });
    assert!(!s.overlap);
    assert_eq!(s.timeout, Some(Duration::from_secs(30 * 60)));
    assert_eq!((s.retries, s.retry_backoff), (3, Duration::from_secs(60)));
    let alert = s.alert.as_ref().unwrap();
    assert_eq!(alert.after_failures, 2);
    assert_eq!(
        alert.webhook.as_deref(),
        Some("https://ops.bank.example/hooks/docket")
    );
    assert_eq!(alert.webhook_secret.as_deref(), Some("ops-hook-token"));
    let email = alert.email.as_ref().unwrap();
    assert_eq!(
        (email.smtp_host.as_str(), email.smtp_port, email.tls),
        ("mail.bank.example", 587, SmtpTls::Starttls)
    );
    assert_eq!(email.from, "docket@bank.example");
    assert_eq!(email.to, ["ops@bank.example", "payments-desk@bank.example"]);
    assert_eq!(
        (email.user.as_deref(), email.password_secret.as_deref()),
        (Some("docket"), Some("smtp-password"))
    );
    assert!(!plan.requires.desktop);
    assert_eq!(plan.requires.ocr_languages, ["chi_sim"]);
    assert_eq!(plan.needed_ocr_languages(), ["chi_sim", "eng"]);
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("post is a write step")
    };
    assert_eq!(
        w.sink,
        Sink::Rest {
            url: "https://bo.bank.example/api/transactions".into(),
            method: HttpMethod::Post,
            auth: Some(RestAuth::Bearer {
                secret: "bo-token".into()
            }),
            timeout: Duration::from_secs(20),
            max_attempts: 5,
        }
    );
}

#[test]
fn cutoff_mysql_example_loads() {
    use docket_workflow::plan::{DEFAULT_RETRY_BACKOFF, Days, Misfire};
    use std::time::Duration;

    let plan = load_example("cutoff-mysql.yaml");
    let s = plan.schedule.as_ref().unwrap();
    assert_eq!(s.cron, "0 */15 8-17 * * *");
    assert_eq!((s.days, s.before_cutoff), (Days::Working, true));
    assert!(s.calendar.is_some());
    assert_eq!(s.misfire, Misfire::Skip);
    assert_eq!(s.timeout, Some(Duration::from_secs(600)));
    assert_eq!((s.retries, s.retry_backoff), (1, DEFAULT_RETRY_BACKOFF));
    assert_eq!(s.alert, None);
    assert!(plan.requires.is_empty());
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("store is a write step")
    };
    assert_eq!(
        w.sink,
        Sink::Mysql {
            url: docket_workflow::DbUrl::Secret("backoffice-mysql".into())
        }
    );
}
