//! Broken documents: every problem is reported at once, with the right code, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use docket_workflow::{Problem, load, parse, render_problems, validate};

fn problems(yaml: &str) -> Vec<Problem> {
    match load(yaml, Path::new("/flows")) {
        Ok(_) => panic!("expected problems in:\n{yaml}"),
        Err(p) => p,
    }
}

/// `(code, line, column, path)` of each problem, for compact assertions.
fn summary(yaml: &str) -> Vec<(&'static str, usize, usize, String)> {
    problems(yaml)
        .into_iter()
        .map(|p| (p.code, p.line, p.column, p.path))
        .collect()
}

const GOOD_TAIL: &str = "
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
";

#[test]
fn unknown_keys_wrong_types_and_missing_keys_together() {
    let yaml = "version: 1
name: demo
colour: blue
steps:
  - id: inbox
    ingest:
      path: [inbox]
      quarantine: q
      max_file_mb: -3
      patern: '*.pdf'
";
    assert_eq!(
        summary(yaml),
        vec![
            ("W002", 3, 1, "colour".to_owned()),
            ("W004", 6, 5, "steps[0].ingest.done".to_owned()),
            ("W003", 7, 13, "steps[0].ingest.path".to_owned()),
            ("W023", 9, 20, "steps[0].ingest.max_file_mb".to_owned()),
            ("W002", 10, 7, "steps[0].ingest.patern".to_owned()),
        ]
    );
    let p = problems(yaml);
    assert_eq!(
        p[4].hint
            .as_deref()
            .map(|h| h.starts_with("did you mean `patterns`?")),
        Some(true)
    );
}

#[test]
fn missing_top_level_keys_point_at_the_document_and_empty_steps() {
    assert_eq!(
        summary("description: nothing else\n"),
        vec![
            ("W004", 1, 1, "version".to_owned()),
            ("W004", 1, 1, "name".to_owned()),
            ("W004", 1, 1, "steps".to_owned()),
        ]
    );
    assert_eq!(
        summary("version: 1\nname: demo\nsteps: []\n"),
        vec![("W008", 3, 1, "steps".to_owned())]
    );
}

#[test]
fn version_and_step_kinds() {
    let yaml = format!(
        "version: 3\nname: demo\nsteps:{GOOD_TAIL}  - id: nothing\n  - id: Bad Id\n    report: {{ html: r.html }}\n"
    );
    assert_eq!(
        summary(&yaml),
        vec![
            ("W006", 1, 10, "version".to_owned()),
            ("W017", 6, 5, "steps[1]".to_owned()),
            ("W018", 7, 9, "steps[2].id".to_owned()),
        ]
    );
}

#[test]
fn references_duplicates_and_columns() {
    let yaml = "version: 1
name: demo
steps:
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: inbox
    extract: { from: nowhere, schema: custom/schema.json }
  - id: store
    write:
      from: read
      sink: { sqlite: { path: db.sqlite } }
      table: transactions
      columns:
        amount: record.amonut
        account: fields.account_number
        run: run.id
        note: 'const:imported by docket'
        bad column: source.path
        pages: source.page
";
    assert_eq!(
        summary(yaml),
        vec![
            ("W011", 5, 22, "steps[0].extract.from".to_owned()),
            ("W009", 8, 9, "steps[2].id".to_owned()),
            ("W010", 9, 22, "steps[2].extract.from".to_owned()),
            ("W013", 16, 17, "steps[3].write.columns.amount".to_owned()),
            (
                "W024",
                20,
                9,
                "steps[3].write.columns.bad column".to_owned()
            ),
            ("W013", 21, 16, "steps[3].write.columns.pages".to_owned()),
        ]
    );
    let p = problems(yaml);
    assert_eq!(p[3].hint.as_deref(), Some("did you mean `record.amount`?"));
    assert!(
        p[5].hint
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `source.pages`?")
    );
}

#[test]
fn schedule_sinks_and_choices() {
    let yaml = "version: 1
name: demo
schedule:
  cron: '0 0 9 * * 1-5'
  timezone: Mars/Olympus
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement, on_failed_checks: maybe }
  - id: pg
    write:
      from: read
      sink:
        postgres: { url: 'postgres://u@h/db', url_secret: db }
      table: t
      columns: { a: record.amount }
  - id: two
    write:
      from: read
      sink: { sqlite: { path: a.db }, file: { dir: out, format: csv } }
      table: t
      columns: { a: record.amount }
";
    assert_eq!(
        summary(yaml),
        vec![
            ("W014", 4, 9, "schedule.cron".to_owned()),
            ("W015", 5, 13, "schedule.timezone".to_owned()),
            (
                "W005",
                10,
                71,
                "steps[1].extract.on_failed_checks".to_owned()
            ),
            ("W019", 15, 9, "steps[2].write.sink.postgres".to_owned()),
            ("W017", 21, 39, "steps[3].write.sink.file".to_owned()),
        ]
    );
    let p = problems(yaml);
    assert!(p[0].message.contains("day of week `1`"), "{}", p[0].message);
    assert_eq!(p[2].hint.as_deref(), Some("allowed values: review, write"));
}

#[test]
fn cron_and_timezone_rules() {
    let tail = "steps:\n  - id: r\n    report: { html: r.html }\n";
    let check = |cron: &str, tz: &str| {
        let yaml = format!(
            "version: 1\nname: demo\nschedule: {{ cron: '{cron}', timezone: {tz} }}\n{tail}"
        );
        match load(&yaml, Path::new("/f")) {
            Ok(_) => vec![],
            Err(p) => p.into_iter().map(|p| p.code).collect::<Vec<_>>(),
        }
    };
    assert_eq!(
        check("0 30 9 * * Mon-Fri", "Asia/Shanghai"),
        Vec::<&str>::new()
    );
    assert_eq!(
        check("*/15 0-59/5 8-18 1,15 Jan-Jun,Dec ? 2030", "UTC"),
        Vec::<&str>::new()
    );
    assert_eq!(check("0 30 9 * * Mon-Fri", "utc"), ["W015"]);
    // Classic five fields are read at second 0; four or eight fields are refused.
    assert_eq!(check("30 9 * * Mon-Fri", "UTC"), Vec::<&str>::new());
    assert_eq!(check("30 61 * * Mon-Fri", "UTC"), ["W014"]);
    assert_eq!(check("30 9 * *", "UTC"), ["W014"]);
    assert_eq!(check("0 0 30 9 * * Mon 2030", "UTC"), ["W014"]);
    assert_eq!(check("60 30 9 * * Mon", "UTC"), ["W014"]);
    assert_eq!(check("0 30 9 L * Mon", "UTC"), ["W014"]);
    assert_eq!(check("0 30 9 * * Fri-Mon", "UTC"), ["W014"]);
    assert_eq!(check("0 30 9 * * Mon/0", "UTC"), ["W014"]);
}

#[test]
fn yaml_syntax_errors_anchors_and_duplicate_keys_have_positions() {
    let bad_indent = "version: 1\nname: demo\nsteps:\n  - id: a\n   report: x\n";
    let p = problems(bad_indent);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].code, p[0].line), ("W001", 5));

    let anchors = "version: 1\nname: &n demo\nsteps: []\n";
    let p = problems(anchors);
    assert_eq!((p[0].code, p[0].line), ("W001", 2));

    let alias = "version: 1\nname: *n\nsteps: []\n";
    let p = problems(alias);
    assert_eq!(p[0].code, "W001");

    let dup = "version: 1\nname: demo\nname: other\nsteps: []\n";
    let p = problems(dup);
    assert_eq!((p[0].code, p[0].line, p[0].column), ("W001", 3, 1));

    let list = "- version: 1\n";
    assert_eq!(problems(list)[0].code, "W001");

    let empty = "";
    assert!(!problems(empty).is_empty());
}

#[test]
fn parse_then_validate_gives_the_same_problems_for_rule_errors() {
    let yaml = "version: 1\nname: demo\nsteps:\n  - id: w\n    write: { from: x, sink: { sqlite: { path: a.db } }, table: t, columns: { a: b } }\n";
    let parsed = parse(yaml).expect("shape is fine");
    let split = validate(&parsed, Path::new("/f")).unwrap_err();
    assert_eq!(split, problems(yaml));
    assert_eq!(
        split.iter().map(|p| p.code).collect::<Vec<_>>(),
        ["W010", "W013"]
    );
    // The same workflow built in code (no source) still gets every problem, without positions.
    let unpositioned = validate(&parsed.raw.clone().into(), Path::new("/f")).unwrap_err();
    assert_eq!(unpositioned.len(), 2);
    assert!(unpositioned.iter().all(|p| p.line == 0));
}

#[test]
fn rendering_points_at_the_token() {
    let yaml = "version: 1\nname: demo\nsteps:\n  - id: r\n    report: { html: summary.txt }\n";
    let p = problems(yaml);
    let text = render_problems("flows/demo.yaml", yaml, &p);
    assert_eq!(
        text,
        "error[W016]: report file `summary.txt` must end in `.html`\n \
         --> flows/demo.yaml:5:21\n  |\n5 |     report: { html: summary.txt }\n  |                     ^^^^^^^^^^^\n  \
         = at: steps[0].report.html\n  = hint: e.g. `summary.html`\n\n"
    );
}

#[test]
fn screen_step_reads_an_earlier_extract_and_checks_its_zone_and_keys() {
    let yaml = "version: 1
name: demo
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: aml
    screen: { from: inbox, zone: Mars/Olympus, pack: ~/packs/p.yaml }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: aml2
    screen:
      from: read
      packs: p.yaml
";
    let got = summary(yaml);
    let codes: Vec<&str> = got.iter().map(|p| p.0).collect();
    assert!(
        codes.contains(&"W012"),
        "screen reading an ingest step: {got:?}"
    );
    assert!(
        got.iter()
            .any(|p| p.0 == "W015" && p.1 == 7 && p.3 == "steps[1].screen.zone"),
        "bad zone with its line: {got:?}"
    );
    assert!(
        got.iter()
            .any(|p| p.0 == "W016" && p.3 == "steps[1].screen.pack"),
        "`~` path: {got:?}"
    );
    assert!(
        got.iter().any(|p| p.1 == 13 && p.3.contains("packs")),
        "unknown key `packs` at line 13: {got:?}"
    );

    let ok = "version: 1
name: demo
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: aml
    screen: { from: read, pack: packs/aml.yaml, zone: Europe/London }
";
    let plan = load(ok, Path::new("/flows")).expect("valid");
    let docket_workflow::Action::Screen(s) = &plan.steps[2].action else {
        panic!("screen step")
    };
    assert_eq!(s.pack.as_deref(), Some(Path::new("/flows/packs/aml.yaml")));
    assert_eq!(s.zone, "Europe/London");
}
