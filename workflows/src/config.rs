//! The workflow file as written by a process designer (format v1): serde types whose doc comments
//! are the field reference and become the JSON Schema descriptions.
//!
//! These types describe shape only. They must never resolve paths, look up step references or
//! touch the file system: that is `validate`'s job, which turns them into a [`crate::Plan`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Docket workflow file, format version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Docket workflow (format v1)")]
pub struct RawWorkflow {
    /// Format version of this file. Must be `1`.
    pub version: u32,
    /// Name of the flow: lowercase letters, digits and `-`, starting with a letter or digit.
    /// Unique within a flow directory; runs and the ledger refer to the flow by this name.
    pub name: String,
    /// What the flow does, in a sentence, for operators and auditors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the daemon starts the flow on its own. Leave out for flows that only run on demand
    /// (`docket run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleConfig>,
    /// The steps, run in order. A step reads the output of an earlier step named in its `from`.
    pub steps: Vec<StepConfig>,
}

/// When a flow runs on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Cron expression with a mandatory seconds field: `sec min hour day-of-month month
    /// day-of-week [year]`, e.g. `"0 30 9 * * Mon-Fri"`. Write days of the week as names
    /// (`Mon-Fri`): numbers are rejected because they are easy to get wrong (1 is Sunday).
    /// `L` is not supported.
    pub cron: String,
    /// IANA time zone the cron expression is read in, e.g. `Asia/Shanghai`, `Europe/London` or
    /// `UTC` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// One step of a workflow: an id and exactly one step kind.
// `deny_unknown_fields` does not combine with `flatten` in serde; unknown keys are caught by the
// positioned shape check before deserialisation, and editors get `unevaluatedProperties`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("unevaluatedProperties" = false))]
pub struct StepConfig {
    /// Identifier of the step, unique in the file: lowercase letters, digits, `-` and `_`.
    /// Later steps name it in their `from`.
    pub id: String,
    /// What the step does: exactly one of `ingest`, `extract`, `write`, `screen`, `report`.
    #[serde(flatten)]
    pub kind: StepKind,
}

/// The step kinds. This enum is the complete set: the runner maps each to its implementation
/// in one `match`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Pick up documents from a watch folder.
    Ingest(IngestConfig),
    /// Read the documents of an `ingest` step into records of a schema.
    Extract(ExtractConfig),
    /// Write the records of an `extract` step to a back-office sink.
    Write(WriteConfig),
    /// Screen the records of an `extract` step for money-laundering and fraud patterns.
    Screen(ScreenConfig),
    /// Write a report of the run for people.
    Report(ReportConfig),
}

/// Pick up documents from a watch folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Folder to watch, relative to the workflow file's folder (or absolute).
    pub path: String,
    /// File name patterns to pick up (`*` and `?` wildcards, matched case-insensitively).
    /// Defaults to every supported document type: PDF, PNG, JPEG, TIFF, xlsx, xls, ods, csv.
    #[serde(default = "default_patterns")]
    pub patterns: Vec<String>,
    /// Folder processed files are moved to once their records are delivered.
    pub done: String,
    /// Folder files that cannot be processed are moved to, each with a `<name>.reason.txt`.
    pub quarantine: String,
    /// Name of the secret (in Docket's secret store) holding the password of encrypted PDFs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret: Option<String>,
    /// Files larger than this many megabytes are quarantined unread. Default 200.
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: u32,
}

/// The patterns used when an `ingest` step gives none.
pub fn default_patterns() -> Vec<String> {
    [
        "*.pdf", "*.png", "*.jpg", "*.jpeg", "*.tif", "*.tiff", "*.xlsx", "*.xls", "*.ods", "*.csv",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect()
}

fn default_max_file_mb() -> u32 {
    200
}

/// Read documents into records of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    /// Id of the earlier `ingest` step whose documents are read.
    pub from: String,
    /// Built-in schema name (`bank_statement`, `transfer_slip`, `invoice`, `kyc_form`) or the
    /// path of a JSON Schema file (ending in `.json`), relative to the workflow file's folder.
    pub schema: String,
    /// Tesseract languages for scanned pages, joined with `+`, e.g. `eng+chi_sim`. Default `eng`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<String>,
    /// What to do with a document whose checks fail (arithmetic, grounding): `review` holds its
    /// records and marks the document for review (default); `write` writes them anyway, flagged.
    #[serde(default)]
    pub on_failed_checks: OnFailedChecks,
}

/// What to do with the records of a document whose checks fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFailedChecks {
    /// Hold the records and put the document in the review queue.
    #[default]
    Review,
    /// Write the records anyway, flagged as unchecked.
    Write,
}

/// Write records to a back-office sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteConfig {
    /// Id of the earlier `extract` step whose records are written.
    pub from: String,
    /// Where the records go: exactly one of `sqlite`, `postgres`, `file`.
    pub sink: SinkConfig,
    /// Target table (for `file` sinks: the output file's base name). Letters, digits and `_`,
    /// optionally prefixed by a schema (`backoffice.transactions`).
    pub table: String,
    /// Target column → source expression, in output order. Sources: `record.<field>` (a field of
    /// the transaction), `fields.<field>` (a document-level field), `source.path`,
    /// `source.sha256`, `source.pages`, `run.id`, `const:<text>`.
    pub columns: IndexMap<String, String>,
}

/// The sinks. This enum is the complete set of back-office targets a `write` step can name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SinkConfig {
    /// A SQLite database file.
    Sqlite(SqliteSink),
    /// A PostgreSQL database.
    Postgres(PostgresSink),
    /// A file drop: one file per run in a folder.
    File(FileSink),
}

/// A SQLite database file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteSink {
    /// Database file, relative to the workflow file's folder (or absolute).
    pub path: String,
}

/// A PostgreSQL database. Give exactly one of `url` and `url_secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresSink {
    /// Connection URL, `postgres://user@host:port/db`. Keep passwords out of the file: use
    /// `url_secret` for URLs that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Name of the secret (in Docket's secret store) holding the connection URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret: Option<String>,
}

/// A file drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSink {
    /// Folder the files are written to, relative to the workflow file's folder (or absolute).
    pub dir: String,
    /// File format: `csv` (UTF-8, header row) or `jsonl` (one JSON object per line).
    pub format: FileFormat,
}

/// Output format of a file drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Comma-separated values, UTF-8, with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Screen the records extracted in a run with a rule pack, after every file of the run is
/// processed; alerts and cases are kept in Docket's store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenConfig {
    /// Id of the earlier `extract` step whose records are screened.
    pub from: String,
    /// Rule pack YAML file, relative to the workflow file's folder (or absolute). Default: the
    /// built-in pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<String>,
    /// IANA time zone for record dates without one, e.g. `Asia/Shanghai` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// Write a report of the run for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// HTML file to write, relative to the workflow file's folder (or absolute); must end in
    /// `.html`.
    pub html: String,
}
