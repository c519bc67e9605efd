//! The resolved workflow the runner executes: typed, paths joined onto the workflow's folder,
//! step references resolved to indices, column sources parsed.
//!
//! A `Plan` only exists when validation found no problem, so the runner can trust it without
//! re-checking. This module must never touch the file system: joining paths is string work.

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::config::{FileFormat, OnFailedChecks};

/// A validated workflow, ready to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Name of the flow.
    pub name: String,
    /// What the flow does, for people.
    pub description: Option<String>,
    /// When the daemon starts the flow on its own.
    pub schedule: Option<Schedule>,
    /// Folder of the workflow file; every relative path in the plan was joined onto it.
    #[serde(serialize_with = "lossy_path")]
    pub base_dir: PathBuf,
    /// The steps, in file order.
    pub steps: Vec<PlanStep>,
}

/// A checked schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Cron expression with seconds (6 or 7 fields), shape-checked.
    pub cron: String,
    /// IANA time zone name, checked against the tz database (`UTC` when not given).
    pub timezone: String,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// The step's id from the file.
    pub id: String,
    /// Position of the step in [`Plan::steps`].
    pub index: usize,
    /// What the step does.
    pub action: Action,
}

/// What a step does; one variant per step kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pick up documents from a watch folder.
    Ingest(IngestPlan),
    /// Read documents into records.
    Extract(ExtractPlan),
    /// Write records to a sink.
    Write(WritePlan),
    /// Screen records with a rule pack.
    Screen(ScreenPlan),
    /// Write a report of the run.
    Report(ReportPlan),
}

/// A reference to an earlier step, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRef {
    /// The referenced step's id.
    pub id: String,
    /// The referenced step's index in [`Plan::steps`]; always smaller than the referring step's.
    pub index: usize,
}

/// A resolved `ingest` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestPlan {
    /// Folder to watch.
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// File name patterns (`*`, `?`), matched case-insensitively.
    pub patterns: Vec<String>,
    /// Folder processed files move to.
    #[serde(serialize_with = "lossy_path")]
    pub done: PathBuf,
    /// Folder bad files move to, with a `.reason.txt`.
    #[serde(serialize_with = "lossy_path")]
    pub quarantine: PathBuf,
    /// Secret name of the PDF password, if any.
    pub password_secret: Option<String>,
    /// Largest file accepted, in bytes (`max_file_mb` × 1 MiB).
    pub max_file_bytes: u64,
}

/// A resolved `extract` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractPlan {
    /// The `ingest` step whose documents are read.
    pub from: StepRef,
    /// The schema records are extracted to.
    pub schema: SchemaRef,
    /// Tesseract languages, e.g. `["eng", "chi_sim"]`.
    pub languages: Vec<String>,
    /// What to do when a document's checks fail.
    pub on_failed_checks: OnFailedChecks,
}

/// The schema of an `extract` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaRef {
    /// A schema built into Docket, by name (e.g. `bank_statement`).
    Builtin(String),
    /// A JSON Schema file (not read or checked here: the runner loads it).
    File(#[serde(serialize_with = "lossy_path")] PathBuf),
}

/// A resolved `write` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WritePlan {
    /// The `extract` step whose records are written.
    pub from: StepRef,
    /// Where records go.
    pub sink: Sink,
    /// Target table (file sinks: the file's base name).
    pub table: String,
    /// Target columns in output order.
    pub columns: Vec<Column>,
}

/// A resolved sink.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sink {
    /// A SQLite database file.
    Sqlite {
        /// Database file.
        #[serde(serialize_with = "lossy_path")]
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// Where the connection URL comes from.
        url: PostgresUrl,
    },
    /// A file drop.
    File {
        /// Output folder.
        #[serde(serialize_with = "lossy_path")]
        dir: PathBuf,
        /// Output format.
        format: FileFormat,
    },
}

/// Where a PostgreSQL connection URL comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostgresUrl {
    /// Written in the workflow file.
    Literal(String),
    /// Held in the secret store under this name.
    Secret(String),
}

/// One target column and where its value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Target column name.
    pub name: String,
    /// Source of the value.
    pub source: Source,
}

/// The source of a column value, parsed from expressions like `record.amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `record.<field>`: a field of the record (transaction).
    Record(String),
    /// `fields.<name>`: a document-level field (e.g. the account number).
    Field(String),
    /// `source.path`: path of the source document.
    SourcePath,
    /// `source.sha256`: SHA-256 of the source document (hex).
    SourceSha256,
    /// `source.pages`: page count of the source document.
    SourcePages,
    /// `run.id`: id of the run that wrote the value.
    RunId,
    /// `const:<text>`: the literal text.
    Const(String),
}

impl Source {
    /// The expression as written in a workflow file; `Source::parse(s.expression())` gives `s`.
    pub fn expression(&self) -> String {
        match self {
            Source::Record(f) => format!("record.{f}"),
            Source::Field(f) => format!("fields.{f}"),
            Source::SourcePath => "source.path".to_owned(),
            Source::SourceSha256 => "source.sha256".to_owned(),
            Source::SourcePages => "source.pages".to_owned(),
            Source::RunId => "run.id".to_owned(),
            Source::Const(t) => format!("const:{t}"),
        }
    }
}

/// A resolved `screen` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreenPlan {
    /// The `extract` step whose records are screened.
    pub from: StepRef,
    /// Rule pack file (not read or checked here: the runner loads it); `None` is the built-in
    /// pack.
    #[serde(serialize_with = "lossy_opt_path")]
    pub pack: Option<PathBuf>,
    /// IANA time zone for record dates without one (`Asia/Shanghai` when not given).
    pub zone: String,
}

/// A resolved `report` step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPlan {
    /// HTML file to write.
    #[serde(serialize_with = "lossy_path")]
    pub html: PathBuf,
}

impl Plan {
    /// Stable identity of this plan: hex SHA-256 of its canonical JSON (fields in declaration
    /// order, columns in file order). Runs record it so an auditor can tell which version of a
    /// flow ran; any change that alters behaviour (a column, a path, the schedule) changes it,
    /// while comments and key order in the YAML do not.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// The canonical JSON the fingerprint is computed over.
    pub fn canonical_json(&self) -> String {
        // Serialising this tree cannot fail: every map key is a string and paths are written
        // lossily; the fallback keeps the function total rather than panicking.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The step with this id, if any.
    pub fn step(&self, id: &str) -> Option<&PlanStep> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Paths are written as (lossy) UTF-8 so non-UTF-8 folders cannot make serialisation fail.
fn lossy_path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn lossy_opt_path<S: Serializer>(path: &Option<PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => serializer.serialize_some(&p.to_string_lossy()),
        None => serializer.serialize_none(),
    }
}
