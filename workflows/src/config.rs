//! The workflow file as written by a process designer (format v1): serde types whose doc comments
//! are the field reference and become the JSON Schema descriptions.
//!
//! These types describe shape only. They must never resolve paths, look up step references or
//! touch the file system: that is `validate`'s job, which turns them into a [`crate::Plan`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod schedule;
mod ui;

pub use schedule::{AlertConfig, Days, EmailConfig, MisfireConfig, ScheduleConfig, Shift, SmtpTls};
pub use ui::{UiInDoubt, UiSink};

/// Whether a value is its type's default (serde leaves such fields out when writing).
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

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
    /// What an agent must have to run this flow; in fleet mode an agent only takes flows it can
    /// run. Leave out when any agent will do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<RequiresConfig>,
    /// The steps, run in order. A step reads the output of an earlier step named in its `from`.
    pub steps: Vec<StepConfig>,
}

/// What an agent must have to run a flow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiresConfig {
    /// The flow needs a display (it has steps that drive desktop applications). Default `false`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub desktop: bool,
    /// Tesseract languages the agent must have installed, e.g. `[chi_sim]`: lowercase letters
    /// and `_`. Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocr_languages: Vec<String>,
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
    /// Images (PNG, JPEG, TIFF pages, the scans inside PDF pages) with more than this many million
    /// pixels are quarantined before they are decoded (about 4.5 bytes per pixel). Default 100.
    #[serde(default = "default_max_image_mpx")]
    pub max_image_mpx: u32,
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

fn default_max_image_mpx() -> u32 {
    100
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
    /// Read the documents with a language model (an OpenAI-compatible endpoint) where the layout
    /// reader cannot: the built-in `transfer_slip`, `invoice`, `kyc_form` and JSON Schema files,
    /// and bank statements without a table. Every value is checked against the document's text;
    /// unfound or low-confidence values send the document to review. Leave out to use the layout
    /// reader only (or the endpoint `DOCKET_LLM_URL` names, when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmConfig>,
}

/// The language model an `extract` step reads documents with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible API, usually ending in `/v1`, e.g.
    /// `http://127.0.0.1:8080/v1`. No user name or password in it: use `api_key_secret`.
    /// Default: the `DOCKET_LLM_URL` environment variable of the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Model name sent with each request. Default: `DOCKET_LLM_MODEL`, else `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Name of the secret (in Docket's secret store) holding the API key, sent as
    /// `Authorization: Bearer <key>`. Default: `DOCKET_LLM_API_KEY`, else the `llm_api_key`
    /// secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
    /// Replace account, ID and phone numbers, e-mail addresses and configured names by
    /// placeholders before text leaves the machine. Default `true`; `false` is only allowed with
    /// a `url` on this machine (localhost, 127.0.0.1, ::1).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub redact: bool,
    /// Longest one request to the model may take (`60s`, `5m`): a whole number and a unit, `s`,
    /// `m` or `h`. Default `120s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Fields read with a confidence below this (0 to 1) send the document to review. Default
    /// 0.6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_confidence: Option<f64>,
    /// Answers asked per document: 1 (default) or 2. With 2 the model is asked a second time at
    /// a temperature above 0, and a field whose two answers disagree gets a lower confidence
    /// (so, with the default `min_confidence`, the document goes to review). Costs one more call
    /// per document (cached like the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2))]
    pub samples: Option<u32>,
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
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
    /// Where the records go: exactly one of `sqlite`, `postgres`, `mysql`, `file`, `rest`, `ui`.
    pub sink: SinkConfig,
    /// Target table (for `file` sinks: the output file's base name). Letters, digits and `_`,
    /// optionally prefixed by a schema (`backoffice.transactions`).
    pub table: String,
    /// Target column → source expression, in output order. Sources: `record.<field>` (a field of
    /// the transaction), `fields.<field>` (a document-level field), `source.path`,
    /// `source.sha256`, `source.pages`, `run.id`, `const:<text>`.
    pub columns: IndexMap<String, String>,
    /// Whether records another document already staged or delivered to the same target are
    /// skipped: `natural_key` (default) or `off`. The same statement often arrives twice as
    /// different files (a re-scan, the PDF and the xlsx of one period); with `natural_key` a
    /// record whose account (the normalised `account_number`, else holder and currency), date,
    /// time, signed amount and balance match a record written earlier, counted among equal rows
    /// of its document, is reported as a duplicate and not written again. Documents without an
    /// account number or holder are not de-duplicated. `off` writes every document's records.
    #[serde(default, skip_serializing_if = "is_default")]
    pub dedupe: Dedupe,
}

/// Natural-key de-duplication of a `write` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dedupe {
    /// Skip records that another document already staged or delivered to the same target (same
    /// account, date, time, signed amount, balance and occurrence among equal rows).
    #[default]
    NaturalKey,
    /// Write every document's records; only the same file (same bytes) is never written twice.
    Off,
}

/// The sinks. This enum is the complete set of back-office targets a `write` step can name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SinkConfig {
    /// A SQLite database file.
    Sqlite(SqliteSink),
    /// A PostgreSQL database.
    Postgres(PostgresSink),
    /// A MySQL or MariaDB database.
    Mysql(MysqlSink),
    /// A file drop: one file per run in a folder.
    File(FileSink),
    /// A REST endpoint of the back office: records are sent as JSON.
    Rest(RestSink),
    /// A desktop application: each record is typed into its form by a UI script.
    Ui(UiSink),
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
    /// Connection URL, `postgres://user@host:port/db`. Passwords are not allowed in the file:
    /// use `url_secret` for URLs that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Name of the secret (in Docket's secret store) holding the connection URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret: Option<String>,
}

/// A MySQL or MariaDB database. Give exactly one of `url` and `url_secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlSink {
    /// Connection URL, `mysql://user@host:3306/db`. Passwords are not allowed in the file: use
    /// `url_secret` for URLs that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Name of the secret (in Docket's secret store) holding the connection URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret: Option<String>,
}

/// A REST endpoint records are sent to as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestSink {
    /// `http://` or `https://` URL of the endpoint. No user name or password in it: use `auth`.
    pub url: String,
    /// HTTP method: `POST` (default) or `PUT`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub method: HttpMethod,
    /// How Docket authenticates: exactly one of `bearer_secret`, `basic`, `header`. Leave out
    /// for endpoints without authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<RestAuthConfig>,
    /// Longest a request may take (`10s`, `2m`): a whole number and a unit, `s`, `m` or `h`.
    /// Default `10s`.
    #[serde(
        default = "default_rest_timeout",
        skip_serializing_if = "is_default_rest_timeout"
    )]
    pub timeout: String,
    /// Attempts per request before the write fails, from 1 to 50. Default 5.
    #[serde(
        default = "default_max_attempts",
        skip_serializing_if = "is_default_max_attempts"
    )]
    #[schemars(range(min = 1, max = 50))]
    pub max_attempts: u32,
}

fn default_rest_timeout() -> String {
    "10s".to_owned()
}

fn is_default_rest_timeout(s: &str) -> bool {
    s == "10s"
}

fn default_max_attempts() -> u32 {
    5
}

fn is_default_max_attempts(n: &u32) -> bool {
    *n == 5
}

/// HTTP method of a REST sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `POST` (create).
    #[default]
    Post,
    /// `PUT` (create or replace).
    Put,
}

/// How a REST sink authenticates. Secrets are named here; their values live in Docket's secret
/// store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestAuthConfig {
    /// Name of the secret sent as `Authorization: Bearer <secret>`.
    BearerSecret(
        /// Name of the secret (in Docket's secret store) sent as `Authorization: Bearer
        /// <secret>`.
        String,
    ),
    /// HTTP basic authentication.
    Basic(BasicAuthConfig),
    /// A header of your choice carrying a secret, e.g. `X-Api-Key`.
    Header(HeaderAuthConfig),
}

/// HTTP basic authentication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthConfig {
    /// User name (without `:`).
    pub user: String,
    /// Name of the secret (in Docket's secret store) holding the password.
    pub password_secret: String,
}

/// A header carrying a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderAuthConfig {
    /// Header name, e.g. `X-Api-Key`.
    pub name: String,
    /// Name of the secret (in Docket's secret store) sent as the header's value.
    pub value_secret: String,
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
