//! The resolved workflow the runner executes: typed, paths joined onto the workflow's folder,
//! step references resolved to indices, column sources parsed.
//!
//! A `Plan` only exists when validation found no problem, so the runner can trust it without
//! re-checking. This module must never touch the file system: joining paths is string work.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::config::{FileFormat, OnFailedChecks};

pub use crate::config::Dedupe;

mod schedule;
mod ui;

pub use crate::config::HttpMethod;
pub use schedule::{
    AlertPlan, DEFAULT_CATCH_UP_MAX, DEFAULT_RETRY_BACKOFF, Days, EmailPlan, Misfire, Schedule,
    Shift, SmtpTls,
};
pub(crate) use ui::parse_screen;
pub use ui::{DEFAULT_UI_SCREEN, DEFAULT_UI_TIMEOUT, UiDisplay, UiPlan};

/// A validated workflow, ready to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Name of the flow.
    pub name: String,
    /// What the flow does, for people.
    pub description: Option<String>,
    /// When the daemon starts the flow on its own.
    pub schedule: Option<Schedule>,
    /// What an agent must have to run the flow (left out of the JSON when nothing is required,
    /// so older plans keep their fingerprint).
    #[serde(skip_serializing_if = "Requires::is_empty")]
    pub requires: Requires,
    /// Folder of the workflow file; every relative path in the plan was joined onto it.
    #[serde(serialize_with = "lossy_path")]
    pub base_dir: PathBuf,
    /// The steps, in file order.
    pub steps: Vec<PlanStep>,
}

/// What an agent must have to run a flow, as declared in its `requires:`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Requires {
    /// The flow needs a display (desktop/UI steps).
    pub desktop: bool,
    /// Tesseract languages the agent must have, as declared (see
    /// [`Plan::needed_ocr_languages`] for these plus the extract steps' languages).
    pub ocr_languages: Vec<String>,
}

impl Requires {
    /// Whether nothing is required (any agent will do).
    pub fn is_empty(&self) -> bool {
        !self.desktop && self.ocr_languages.is_empty()
    }
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
    /// Pixel budget of one decoded image (`max_image_mpx` × 1,000,000).
    pub max_image_pixels: u64,
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
    /// The language model documents are read with (left out of the JSON when the step names
    /// none, so older plans keep their fingerprint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmPlan>,
}

/// The language model of an `extract` step, checked: the URL has no credentials, `redact: false`
/// only goes with a loopback URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmPlan {
    /// Base URL of the OpenAI-compatible API; `None`: the agent's `DOCKET_LLM_URL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Model name; `None`: `DOCKET_LLM_MODEL`, else `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Secret name of the API key; `None`: `DOCKET_LLM_API_KEY`, else the `llm_api_key` secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
    /// Redact personal data before sending (always `true` unless `url` is loopback).
    pub redact: bool,
    /// Longest one request may take; `None`: the client's default (120 s).
    #[serde(
        serialize_with = "schedule::opt_secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Fields below this confidence (0 to 1) send the document to review; `None`: 0.6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f64>,
    /// Answers asked per document (1 or 2; agreement of two lowers disagreeing fields'
    /// confidence); `None`: 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<u32>,
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
    /// Natural-key de-duplication against records other documents staged or delivered to the
    /// same target (left out of the JSON at its default, `natural_key`, so the fingerprints of
    /// flows that do not set it did not change when it was added).
    #[serde(skip_serializing_if = "crate::config::is_default")]
    pub dedupe: Dedupe,
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
    /// A MySQL or MariaDB database.
    Mysql {
        /// Where the connection URL comes from (a literal never carries a password).
        url: DbUrl,
    },
    /// A file drop.
    File {
        /// Output folder.
        #[serde(serialize_with = "lossy_path")]
        dir: PathBuf,
        /// Output format.
        format: FileFormat,
    },
    /// A REST endpoint; records are sent as JSON.
    Rest {
        /// `http(s)` URL of the endpoint (no credentials in it).
        url: String,
        /// HTTP method.
        method: HttpMethod,
        /// How to authenticate; `None` sends no credentials.
        auth: Option<RestAuth>,
        /// Longest a request may take.
        #[serde(serialize_with = "schedule::secs")]
        timeout: Duration,
        /// Attempts per request before the write fails (1 to 50).
        max_attempts: u32,
    },
    /// A desktop application, one form per record (the `ui` target).
    Ui(UiPlan),
}

/// How a REST sink authenticates; every credential is a secret name, resolved by the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestAuth {
    /// `Authorization: Bearer <secret>`.
    Bearer {
        /// Secret name of the token.
        secret: String,
    },
    /// HTTP basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Secret name of the password.
        password_secret: String,
    },
    /// A header carrying a secret.
    Header {
        /// Header name, e.g. `X-Api-Key`.
        name: String,
        /// Secret name of the header's value.
        value_secret: String,
    },
}

/// Where a database connection URL comes from (PostgreSQL and MySQL sinks).
pub type DbUrl = PostgresUrl;

/// Where a PostgreSQL (or, as [`DbUrl`], MySQL) connection URL comes from. A literal never
/// carries a password.
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

    /// Every Tesseract language an agent needs for this flow: the declared
    /// `requires.ocr_languages` followed by the extract steps' languages and the `ui` targets'
    /// `ocr_languages`, without repeats.
    pub fn needed_ocr_languages(&self) -> Vec<String> {
        let extract = self.steps.iter().flat_map(|s| match &s.action {
            Action::Extract(e) => e.languages.clone(),
            _ => Vec::new(),
        });
        let ui = self
            .ui_targets()
            .flat_map(|u| u.ocr_languages.split('+').map(str::to_owned))
            .filter(|l| !l.is_empty());
        let mut out: Vec<String> = Vec::new();
        for lang in self
            .requires
            .ocr_languages
            .iter()
            .cloned()
            .chain(extract)
            .chain(ui)
        {
            if !out.contains(&lang) {
                out.push(lang);
            }
        }
        out
    }

    /// Whether an agent needs a desktop to run this flow: declared by `requires.desktop`, or
    /// implied by a `ui` write target (its application has to be installed where it runs, even
    /// on a headless display the agent starts itself).
    pub fn needs_desktop(&self) -> bool {
        self.requires.desktop || self.ui_targets().next().is_some()
    }

    /// The `ui` write targets of the flow, in step order.
    pub fn ui_targets(&self) -> impl Iterator<Item = &UiPlan> {
        self.steps.iter().filter_map(|s| match &s.action {
            Action::Write(WritePlan {
                sink: Sink::Ui(u), ..
            }) => Some(u),
            _ => None,
        })
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
