//! The `ui` write target: the example loads into a plan, every rule the schema cannot express is
//! a positioned problem (W034 display/headless/screen, W035 literal secrets in `app`, W026, W021),
//! and the script checks the agent runs through [`docket_workflow::check_ui_scripts`] report a
//! missing script, a script without one top-level `for_each` and a bad secret name at the
//! `script` key (W036, W025); a `ui` target makes the flow need a desktop. The real script loader is exercised by the e2e test `ui_flow`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use docket_workflow::{
    Action, Sink, UiDisplay, UiScriptFacts, check_ui_scripts, load, render_problems,
};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn flow(sink: &str) -> String {
    format!(
        "version: 1\nname: ui\nsteps:\n  - id: inbox\n    ingest: {{path: in, done: done, quarantine: q}}\n  - id: read\n    extract: {{from: inbox, schema: bank_statement}}\n  - id: enter\n    write:\n      from: read\n      sink:\n        ui: {sink}\n      table: payments\n      columns: {{date: record.date, amount: record.amount}}\n"
    )
}

fn codes(yaml: &str) -> Vec<(&'static str, usize)> {
    match load(yaml, Path::new("/flows")) {
        Ok(_) => Vec::new(),
        Err(ps) => ps.iter().map(|p| (p.code, p.line)).collect(),
    }
}

#[test]
fn desktop_form_example_loads_into_a_ui_plan() {
    let yaml = std::fs::read_to_string(examples().join("desktop-form.yaml")).unwrap();
    let plan = match load(&yaml, Path::new("/flows/demo")) {
        Ok(p) => p,
        Err(ps) => panic!("{}", render_problems("desktop-form.yaml", &yaml, &ps)),
    };
    let Action::Write(w) = &plan.steps[2].action else {
        panic!("third step is the write")
    };
    let Sink::Ui(ui) = &w.sink else {
        panic!("ui sink, got {:?}", w.sink)
    };
    assert_eq!(
        ui.script,
        Path::new("/flows/demo/desktop-form/payment.yaml")
    );
    assert_eq!(ui.workdir, Path::new("/flows/demo"));
    assert_eq!(ui.display, UiDisplay::Headless);
    assert_eq!(ui.screen, [1920, 1080]);
    assert_eq!(ui.ocr_languages, "eng");
    assert_eq!(ui.timeout, Duration::from_secs(600));
    // The application the example starts exists (relative to the workflow's folder, its
    // working folder).
    let app = ui.app.as_deref().unwrap();
    let programs: Vec<&str> = app
        .split_whitespace()
        .filter(|t| t.ends_with(".py"))
        .collect();
    assert_eq!(programs.len(), 1, "{app}");
    for p in programs {
        assert!(examples().join(p).is_file(), "{app}: {p} does not exist");
    }
    // The example's script exists next to it (its loading is checked by the agent's tests).
    assert!(examples().join("desktop-form/payment.yaml").is_file());
    for a in ["date", "save", "empty"] {
        assert!(
            examples()
                .join(format!("desktop-form/anchors/{a}.png"))
                .is_file()
        );
    }
}

#[test]
fn defaults_and_display_choice() {
    let plan = load(&flow("{script: s.yaml}"), Path::new("/f")).unwrap();
    let Action::Write(w) = &plan.steps[2].action else {
        panic!()
    };
    let Sink::Ui(ui) = &w.sink else { panic!() };
    assert_eq!(ui.display, UiDisplay::Default);
    assert_eq!(ui.screen, [1920, 1080]);
    assert_eq!(ui.timeout, Duration::from_secs(600));
    let plan = load(&flow("{script: s.yaml, display: \":5\"}"), Path::new("/f")).unwrap();
    let Action::Write(w) = &plan.steps[2].action else {
        panic!()
    };
    assert!(matches!(&w.sink, Sink::Ui(u) if u.display == UiDisplay::Named(":5".into())));
    // A record an agent was killed in the middle of goes to review unless `in_doubt: reenter`.
    let in_doubt = |yaml: &str| {
        let plan = load(&flow(yaml), Path::new("/f")).unwrap();
        let Action::Write(w) = &plan.steps[2].action else {
            panic!()
        };
        let Sink::Ui(ui) = &w.sink else { panic!() };
        (ui.reenter_in_doubt, plan.fingerprint())
    };
    let (default, fp) = in_doubt("{script: s.yaml}");
    assert!(!default);
    assert_eq!(
        in_doubt("{script: s.yaml, in_doubt: review}"),
        (false, fp.clone())
    );
    let (reenter, fp_reenter) = in_doubt("{script: s.yaml, in_doubt: reenter}");
    assert!(reenter);
    assert_ne!(fp_reenter, fp, "a behaviour change changes the fingerprint");
}

#[test]
fn a_ui_target_implies_a_desktop_and_its_ocr_languages() {
    // Declared nothing: the ui target alone makes the flow need a desktop (fleet routing) and
    // its OCR languages, after the extract step's.
    let plan = load(
        &flow("{script: s.yaml, headless: true, ocr_languages: eng+chi_sim}"),
        Path::new("/f"),
    )
    .unwrap();
    assert!(!plan.requires.desktop, "nothing declared");
    assert!(plan.needs_desktop());
    assert_eq!(plan.ui_targets().count(), 1);
    let langs = plan.needed_ocr_languages();
    assert!(langs.ends_with(&["chi_sim".to_string()]), "{langs:?}");
    assert!(langs.contains(&"eng".to_string()), "{langs:?}");
    // A flow without one does not.
    let plain = flow("{script: s.yaml}").replace(
        "sink:\n        ui: {script: s.yaml}",
        "sink:\n        sqlite: {path: out.db}",
    );
    let plan = load(&plain, Path::new("/f")).unwrap();
    assert!(!plan.needs_desktop());
    assert_eq!(plan.ui_targets().count(), 0);
}

#[test]
fn ui_rules_are_positioned_problems() {
    assert_eq!(
        codes(&flow("{script: s.yaml, display: \":5\", headless: true}")),
        [("W034", 12)]
    );
    assert_eq!(
        codes(&flow("{script: s.yaml, display: \"five\"}")),
        [("W034", 12)]
    );
    assert_eq!(
        codes(&flow(
            "{script: s.yaml, headless: true, screen: 1920by1080}"
        )),
        [("W034", 12)]
    );
    assert_eq!(
        codes(&flow("{script: s.yaml, timeout: 10 minutes}")),
        [("W026", 12)]
    );
    assert_eq!(
        codes(&flow("{script: s.yaml, ocr_languages: \"eng chi\"}")),
        [("W021", 12)]
    );
    assert_eq!(codes(&flow("{script: \"~/s.yaml\"}")), [("W016", 12)]);
    let bad = codes(&flow("{script: s.yaml, in_doubt: maybe}"));
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].1, 12, "{bad:?}");
    assert_eq!(codes(&flow("{headless: true}")), [("W004", 12)]);
    let yaml = flow("{script: s.yaml, app: \"legacy.exe --password hunter2\"}");
    let problems = load(&yaml, Path::new("/f")).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, "W035");
    let shown = render_problems("flow.yaml", &yaml, &problems);
    assert!(!problems[0].message.contains("hunter2"), "{shown}");
    assert!(shown.contains("type: {secret: NAME}"), "{shown}");
}

#[test]
fn script_checks_are_reported_at_the_script_key() {
    let yaml = flow("{script: forms/pay.yaml, headless: true}");
    let mut seen = Vec::new();
    let mut ok = |p: &Path| {
        seen.push(p.to_path_buf());
        Ok(UiScriptFacts {
            top_level_for_each: 1,
            nested_for_each: false,
            secrets: vec!["teller-pin".into()],
        })
    };
    assert!(check_ui_scripts(&yaml, Path::new("/f"), &mut ok).is_empty());
    assert_eq!(seen, [PathBuf::from("/f/forms/pay.yaml")]);

    let mut missing = |p: &Path| Err(format!("{}: No such file or directory", p.display()));
    let ps = check_ui_scripts(&yaml, Path::new("/f"), &mut missing);
    assert_eq!(ps.len(), 1);
    assert_eq!((ps[0].code, ps[0].line), ("W036", 12));
    assert!(
        ps[0].message.contains("/f/forms/pay.yaml"),
        "{}",
        ps[0].message
    );
    assert_eq!(ps[0].path, "steps[2].write.sink.ui.script");

    let mut no_loop = |_: &Path| {
        Ok(UiScriptFacts {
            top_level_for_each: 0,
            nested_for_each: false,
            secrets: vec!["Not A Name".into()],
        })
    };
    let ps = check_ui_scripts(&yaml, Path::new("/f"), &mut no_loop);
    let got: Vec<&str> = ps.iter().map(|p| p.code).collect();
    assert_eq!(got, ["W036", "W025"]);
    assert!(ps[0].message.contains("for_each"), "{}", ps[0].message);
    assert!(!ps[1].message.contains("Not A Name"));
}
