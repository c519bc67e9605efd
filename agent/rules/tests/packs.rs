//! Rule-pack validation: the shipped pack, and every problem reported with line and column.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use docket_rules::RulePack;

#[test]
fn default_pack_equals_builtin_defaults() {
    let p = RulePack::default_pack().expect("valid");
    assert_eq!(p, RulePack::builtin_defaults());
}

#[test]
fn every_problem_has_line_and_column() {
    let yaml = "version: 1\nrules:\n  structuring:\n    window: 3 parsecs\n    min_share: 80\n  money_mule:\n    x: 1\n  fan_in:\n    min_manny: 10\n  cycle:\n    max_hops: -2\n";
    let problems = RulePack::from_yaml(yaml).expect_err("invalid");
    let got: Vec<(usize, usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column, p.path.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (4, 13, "rules.structuring.window"),
            (5, 16, "rules.structuring.min_share"),
            (6, 3, "rules.money_mule"),
            (9, 5, "rules.fan_in.min_manny"),
            (11, 15, "rules.cycle.max_hops"),
        ],
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("parsecs"));
    assert!(problems[2].message.contains("unknown rule"));
    assert!(problems[3].message.contains("allowed"));
}

#[test]
fn yaml_syntax_error_has_position() {
    let problems = RulePack::from_yaml("rules:\n  cycle: [\n").expect_err("invalid");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].line >= 2, "{problems:?}");
}
