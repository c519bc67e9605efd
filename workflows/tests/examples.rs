//! The sample workflows under `examples/` load, and the deliberately broken one reports every
//! problem with its position.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use docket_workflow::{Action, SchemaRef, Sink, Source, load, render_problems};

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

#[test]
fn invalid_example_render() {
    let yaml = example("invalid.yaml");
    let problems = load(&yaml, Path::new("/flows")).unwrap_err();
    println!("{}", render_problems("invalid.yaml", &yaml, &problems));
}

#[test]
fn sqlite_example_loads() {
    let plan = load_example("sqlite-import.yaml");
    assert_eq!(plan.name, "daily-statements");
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["inbox", "read", "store", "summary"]);
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
