//! The runner's view of a flow: the one linear shape v1 runs (ingest → extract → writes →
//! report), resolved from a workflow [`docket_workflow::Plan`] with every path absolute. Keeping
//! this separate from the workflow crate's types lets the runner stay small and lets tests build
//! flows directly. The screen step runs after the linear part, over the records of the run.

use crate::failure::Failure;
use docket_connectors::SinkSpec;
use docket_core::ErrorCode;
use docket_llm::{ApiKey, LlmExtractor, LlmSettings};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Natural-key de-duplication against other documents' records (runner/natural_key.rs).
    pub dedupe: docket_workflow::Dedupe,
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
    /// Pixel budget of one decoded image.
    pub max_image_pixels: u64,
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
    /// The extract step's language model (`llm:`, overridden by `--llm-url/--llm-model`);
    /// `None`: the endpoint `DOCKET_LLM_URL` names, if any, else the layout reader only.
    pub llm: Option<LlmSpec>,
}

/// The language model of the extract step, with its API key resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSpec {
    /// Base URL ending in `/v1`; `None`: `DOCKET_LLM_URL`.
    pub url: Option<String>,
    /// Model name; `None`: `DOCKET_LLM_MODEL`, else `default`.
    pub model: Option<String>,
    /// API key (from the secret `api_key_secret` names; Debug prints `***`); `None`:
    /// `DOCKET_LLM_API_KEY`, else the `llm_api_key` secret if stored.
    pub api_key: Option<ApiKeyText>,
    /// Redact personal data before sending (the extractor refuses `false` for a remote URL).
    pub redact: bool,
    /// Time limit of one request; `None`: the client's default.
    pub timeout: Option<Duration>,
    /// Review threshold of field confidence; `None`: the extractor's default (0.6).
    pub min_confidence: Option<f32>,
    /// A GGUF model run in-process (`docket run --llm-gguf`); `None`: `url`, else
    /// `DOCKET_LLM_URL` / `DOCKET_LLM_GGUF`, else the config file.
    pub gguf: Option<PathBuf>,
    /// Answers per document (1 or 2); `None`: the config file's `samples`, else 1.
    pub samples: Option<u32>,
}

impl Default for LlmSpec {
    fn default() -> Self {
        LlmSpec {
            url: None,
            model: None,
            api_key: None,
            redact: true,
            timeout: None,
            min_confidence: None,
            gguf: None,
            samples: None,
        }
    }
}

/// A secret API key as text; its Debug output is `***`.
#[derive(Clone, PartialEq)]
pub struct ApiKeyText(pub String);

impl std::fmt::Debug for ApiKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The LLM extractor of a run: settings from `spec` over `DOCKET_LLM_URL` / `DOCKET_LLM_MODEL` /
/// `DOCKET_LLM_API_KEY` (else the `llm_api_key` secret), with its response cache, layout
/// templates and prompt log under `<data_dir>/llm/`. `None` when no endpoint is configured.
pub fn llm_extractor(
    spec: Option<&LlmSpec>,
    data_dir: &Path,
) -> Result<Option<LlmExtractor>, Failure> {
    let default = LlmSpec::default();
    let spec = spec.unwrap_or(&default);
    let file = crate::config::load(data_dir)?.llm.unwrap_or_default();
    let picked = crate::config::pick_model(spec.url.as_deref(), spec.gguf.as_deref(), &file)?;
    let model = crate::config::pick(
        spec.model.as_deref(),
        "DOCKET_LLM_MODEL",
        file.model.as_ref(),
    );
    let settings = match picked {
        Some(crate::config::ModelSource::Gguf(p)) => Some(LlmSettings::gguf(p)),
        Some(crate::config::ModelSource::Url(u)) => {
            LlmSettings::from_env(Some(&u), model.as_deref())
        }
        None => None,
    };
    let Some(mut settings) = settings else {
        if !spec.redact {
            return Err(Failure::new(
                ErrorCode::LlmMisconfigured,
                "`redact: false` needs an LLM endpoint on this machine (`llm: { url: ... }` or DOCKET_LLM_URL)",
            ));
        }
        return Ok(None);
    };
    if let Some(key) = &spec.api_key {
        // The workflow checks its own `url`; `--llm-url` and `DOCKET_LLM_URL` are checked here.
        let url = &settings.client.base_url;
        if url.to_ascii_lowercase().starts_with("http://") && !docket_llm::config::is_loopback(url)
        {
            return Err(Failure::new(
                ErrorCode::LlmMisconfigured,
                format!(
                    "the LLM API key (`api_key_secret`) would be sent unencrypted to {}: use https:// (plain http only to this machine)",
                    docket_llm::config::display_url(url)
                ),
            ));
        }
        settings.client.api_key = Some(ApiKey::new(key.0.clone()));
    } else if settings.client.gguf.is_none()
        && settings.client.api_key.is_none()
        && let Ok(key) = crate::commands::run::secret(
            data_dir,
            file.api_key_secret
                .as_deref()
                .unwrap_or(crate::pipeline::LLM_KEY_SECRET),
        )
    {
        settings.client.api_key = Some(ApiKey::new(key));
    }
    // In-process models are never sent redacted text (see `LlmSettings::gguf`).
    settings.no_redact = !spec.redact || settings.client.gguf.is_some();
    if let Some(t) = spec.timeout {
        settings.client.timeout = t;
    }
    if let Some(c) = spec.min_confidence {
        settings.review_threshold = c;
    }
    settings.samples = spec.samples.or(file.samples).unwrap_or(1);
    let dir = data_dir.join("llm");
    settings.cache_dir = Some(dir.join("cache"));
    settings.templates_dir = Some(dir.join("templates"));
    settings.prompt_log = Some(dir.join("prompts.jsonl"));
    LlmExtractor::new(settings)
        .map(Some)
        .map_err(|e| crate::pipeline::llm_failure("llm", e))
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
        SinkSpec::Rest { .. } | SinkSpec::Mysql { .. } | SinkSpec::Ui { .. } => spec.describe(),
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
