//! The runner's view of a flow: the one linear shape v1 runs (ingest → extract → writes →
//! report), resolved from a workflow [`docket_workflow::Plan`] with every path absolute. Keeping
//! this separate from the workflow crate's types lets the runner stay small and lets tests build
//! flows directly. The screen step runs after the linear part, over the records of the run.

use docket_connectors::SinkSpec;
use std::path::PathBuf;

/// Where a written column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnSource {
    /// A field of the record (`record.amount`).
    Record(String),
    /// A document-level field (`fields.account_number`).
    Field(String),
    /// The source file's path as ingested.
    SourcePath,
    /// The source file's SHA-256.
    SourceSha256,
    /// The source file's page count.
    SourcePages,
    /// The run id.
    RunId,
    /// A constant.
    Const(String),
}

/// One write step.
#[derive(Debug, Clone)]
pub struct WriteSpec {
    /// Step id (part of the outbox key space).
    pub step_id: String,
    /// Where to write.
    pub sink: SinkSpec,
    /// Target table.
    pub table: String,
    /// Target column → source, in order.
    pub columns: Vec<(String, ColumnSource)>,
}

/// The screen step: after every file of the run is processed, the run's extracted records are
/// screened with a rule pack.
#[derive(Debug, Clone)]
pub struct ScreenSpec {
    /// Step id.
    pub step_id: String,
    /// Rule pack file; `None` is the built-in pack.
    pub pack: Option<PathBuf>,
    /// IANA zone for record dates without one.
    pub zone: chrono_tz::Tz,
}

/// A flow ready to run.
#[derive(Debug, Clone)]
pub struct FlowSpec {
    /// Flow name.
    pub name: String,
    /// The workflow file.
    pub file: PathBuf,
    /// Fingerprint of the plan, recorded with each run.
    pub fingerprint: String,
    /// Watch folder.
    pub inbox: PathBuf,
    /// Case-insensitive `*`/`?` patterns.
    pub patterns: Vec<String>,
    /// Folder for delivered files.
    pub done: PathBuf,
    /// Folder for rejected files.
    pub quarantine: PathBuf,
    /// Password for encrypted documents (resolved from the secret store; never logged).
    pub password: Option<String>,
    /// Size limit per file.
    pub max_file_bytes: u64,
    /// Schema name or path.
    pub schema: String,
    /// OCR languages.
    pub languages: String,
    /// Hold records of documents whose checks fail.
    pub hold_on_failed_checks: bool,
    /// Write steps.
    pub writes: Vec<WriteSpec>,
    /// Screen step, if the flow has one.
    pub screen: Option<ScreenSpec>,
    /// HTML report path.
    pub report: Option<PathBuf>,
}

/// Matches a file name against a `*`/`?` pattern, case-insensitively.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A description of a sink for the outbox and ledger, without any password.
pub fn describe_sink(spec: &SinkSpec) -> String {
    match spec {
        SinkSpec::Sqlite { path } => format!("sqlite:{}", path.display()),
        SinkSpec::Postgres { url } => format!("{spec:?}").replace(url.as_str(), "<url>"),
        SinkSpec::FileDrop { dir, format } => format!("file:{} ({format:?})", dir.display()),
        SinkSpec::Rest { .. } | SinkSpec::Mysql { .. } => spec.describe(),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn glob_matching() {
        assert!(matches("*.pdf", "March.PDF"));
        assert!(matches("stmt-??.csv", "stmt-01.csv"));
        assert!(!matches("*.pdf", "a.pdf.txt"));
        assert!(matches("*", "anything"));
        assert!(!matches("a*b", "acbx"));
    }
}
