//! The Docket workflow format (v1): parse a workflow YAML file, report every problem at once
//! with its line, column and a stable code, and resolve it into a [`Plan`] the runner executes.
//! The JSON Schema editors use is generated from the same config types.
//!
//! The crate is pure: the caller passes the YAML text and the workflow file's folder, which is
//! only used to join relative paths. It must never read files, the clock or the environment.
//!
//! ```
//! let yaml = "version: 1\nname: demo\nsteps:\n  - id: summary\n    report:\n      html: out/summary.html\n";
//! let plan = docket_workflow::load(yaml, std::path::Path::new("/flows")).unwrap();
//! assert_eq!(plan.steps[0].id, "summary");
//! ```

pub mod config;
mod cron;
pub mod plan;
mod problem;
mod resolve;
mod tree;
mod validate;

use std::path::Path;

pub use config::{
    AlertConfig, BasicAuthConfig, Days, Dedupe, EmailConfig, ExtractConfig, FileFormat, FileSink,
    HeaderAuthConfig, HttpMethod, IngestConfig, LlmConfig, MisfireConfig, MysqlSink,
    OnFailedChecks, PostgresSink, RawWorkflow, ReportConfig, RequiresConfig, RestAuthConfig,
    RestSink, ScheduleConfig, ScreenConfig, Shift, SinkConfig, SmtpTls, SqliteSink, StepConfig,
    StepKind, UiInDoubt, UiSink, WriteConfig,
};
pub use plan::{
    Action, AlertPlan, Column, DbUrl, EmailPlan, ExtractPlan, IngestPlan, LlmPlan, Misfire, Plan,
    PlanStep, PostgresUrl, ReportPlan, Requires, RestAuth, Schedule, SchemaRef, ScreenPlan, Sink,
    Source, StepRef, UiDisplay, UiPlan, WritePlan,
};
pub use problem::{CODES, Pos, Problem, render_problems};
pub use tree::Spans;
pub use validate::BUILTIN_SCHEMAS;
pub use validate::schedule::check_calendar;
pub use validate::ui::{UiScriptFacts, check_ui_scripts};

/// A workflow whose shape is right (keys, types, choices), with the source positions of its
/// parts, ready for [`validate`].
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The workflow as written.
    pub raw: RawWorkflow,
    /// Where each part was in the YAML source (empty when built in code).
    pub spans: Spans,
}

impl From<RawWorkflow> for Parsed {
    fn from(raw: RawWorkflow) -> Self {
        Parsed {
            raw,
            spans: Spans::default(),
        }
    }
}

/// The JSON Schema (draft 2020-12) of workflow files, generated from the config types.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(RawWorkflow);
    serde_json::to_value(schema).unwrap_or_default()
}

/// Check the shape of a workflow file (YAML syntax, keys, types, choices) and deserialise it.
/// Rules across fields (references, cron, paths) are [`validate`]'s.
pub fn parse(yaml: &str) -> Result<Parsed, Vec<Problem>> {
    let checked = tree::check(yaml, &json_schema());
    if !checked.problems.is_empty() {
        return Err(sorted(checked.problems));
    }
    let value = checked.value.unwrap_or_default();
    match serde_json::from_value::<RawWorkflow>(value) {
        Ok(raw) => Ok(Parsed {
            raw,
            spans: checked.spans,
        }),
        Err(e) => Err(vec![internal(&e)]),
    }
}

/// Check every rule the schema cannot express and resolve the workflow into a [`Plan`], joining
/// relative paths onto `base_dir` (the workflow file's folder).
pub fn validate(parsed: &Parsed, base_dir: &Path) -> Result<Plan, Vec<Problem>> {
    let value = match serde_json::to_value(&parsed.raw) {
        Ok(v) => v,
        Err(e) => return Err(vec![internal(&e)]),
    };
    let mut problems = Vec::new();
    validate::check(&value, &parsed.spans, &mut problems);
    if !problems.is_empty() {
        return Err(sorted(problems));
    }
    resolve::build(&parsed.raw, base_dir).ok_or_else(|| vec![internal(&"unresolvable plan")])
}

/// Parse, validate and resolve a workflow file in one go, reporting shape problems and rule
/// problems together, in source order.
pub fn load(yaml: &str, base_dir: &Path) -> Result<Plan, Vec<Problem>> {
    let checked = tree::check(yaml, &json_schema());
    let Some(value) = checked.value else {
        return Err(sorted(checked.problems));
    };
    let mut problems = checked.problems;
    validate::check(&value, &checked.spans, &mut problems);
    if !problems.is_empty() {
        return Err(sorted(problems));
    }
    let raw = serde_json::from_value::<RawWorkflow>(value).map_err(|e| vec![internal(&e)])?;
    resolve::build(&raw, base_dir).ok_or_else(|| vec![internal(&"unresolvable plan")])
}

/// A workflow could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the workflow as YAML: {0}")]
pub struct WriteError(String);

/// Write a workflow as YAML that [`load`] reads back to the same plan (tools such as the
/// recorder use it). Enums are written as plain `key: value` mappings rather than the YAML tags
/// `serde_yaml_ng` would produce for them, which workflow files reject.
pub fn to_yaml(raw: &RawWorkflow) -> Result<String, WriteError> {
    let value = serde_json::to_value(raw).map_err(|e| WriteError(e.to_string()))?;
    serde_yaml_ng::to_string(&value).map_err(|e| WriteError(e.to_string()))
}

fn internal(e: &dyn std::fmt::Display) -> Problem {
    Problem::new("W000", "", Pos::default(), format!("internal error: {e}"))
        .hint("this is a Docket bug; please report it with the workflow file")
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by(|a, b| (a.line, a.column, a.code).cmp(&(b.line, b.column, b.code)));
    problems
}
