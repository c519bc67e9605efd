//! The document pipeline shared by `docket extract` and the runner: digitise a file, extract it to
//! a schema, and classify the outcome. It reads the file and nothing else; writing is the caller's.

use crate::failure::Failure;
use docket_core::{ErrorCode, Extraction};
use docket_documents::{DigitiseOptions, digitise};
use docket_extract::SchemaRef;
use docket_llm::{LlmError, LlmExtractor, LlmSettings};
use std::path::Path;

/// Name of the secret-store entry read for the LLM API key when `DOCKET_LLM_API_KEY` is unset.
pub const LLM_KEY_SECRET: &str = "llm_api_key";

/// Resolves `--schema` / a workflow's `schema:` into a schema reference: a built-in name or a
/// JSON Schema file.
pub fn resolve_schema(name_or_path: &str) -> Result<SchemaRef, Failure> {
    if name_or_path == "bank_statement" {
        return Ok(SchemaRef::BankStatement);
    }
    if let Some(schema) = docket_llm::schemas::by_name(name_or_path) {
        // transfer_slip, invoice, kyc_form: filled by the LLM step.
        return Ok(SchemaRef::Custom {
            path: name_or_path.to_string(),
            schema,
        });
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                ErrorCode::UnknownSchema,
                format!("{name_or_path}: cannot read schema file: {e}"),
            )
        })?;
        let schema: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                ErrorCode::UnknownSchema,
                format!(
                    "{name_or_path}: not valid JSON Schema (JSON error at line {}, column {}: {e})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if !schema.is_object() {
            return Err(Failure::new(
                ErrorCode::UnknownSchema,
                format!("{name_or_path}: a JSON Schema must be a JSON object"),
            ));
        }
        return Ok(SchemaRef::Custom {
            path: name_or_path.to_string(),
            schema,
        });
    }
    let known: Vec<&str> = docket_llm::schemas::builtin()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Err(Failure::new(
        ErrorCode::UnknownSchema,
        format!(
            "schema '{name_or_path}' is neither a built-in schema ({}) nor an existing JSON Schema file",
            known.join(", ")
        ),
    ))
}

/// Digitises and extracts one file with the deterministic readers only.
pub fn process(
    path: &Path,
    schema: &SchemaRef,
    opts: &DigitiseOptions,
) -> Result<Extraction, Failure> {
    process_with(path, schema, opts, None)
}

/// Digitises and extracts one file. With an LLM extractor, custom and LLM-only built-in schemas
/// go to the model, and a bank statement the layout reader finds no table in is tried with it.
pub fn process_with(
    path: &Path,
    schema: &SchemaRef,
    opts: &DigitiseOptions,
    llm: Option<&LlmExtractor>,
) -> Result<Extraction, Failure> {
    let doc = digitise(path, opts).map_err(|e| Failure::new(e.code, e.message))?;
    let deterministic = docket_extract::extract(&doc, schema).map_err(|e| {
        let message = if e.message.starts_with(&doc.source.path) {
            e.message
        } else {
            format!("{}: {}", doc.source.path, e.message)
        };
        Failure::new(e.code, message)
    });
    let Some(llm) = llm else {
        return deterministic;
    };
    match (&deterministic, schema) {
        (Err(f), SchemaRef::BankStatement) if f.code == ErrorCode::NoStatementFound => {
            let schema = docket_extract::schema::bank_statement();
            llm.extract(&doc, "bank_statement", &schema)
                .map_err(|e| llm_failure(&doc.source.path, e))
        }
        (_, SchemaRef::Custom { path: name, schema }) => llm
            .extract(&doc, name, schema)
            .map_err(|e| llm_failure(&doc.source.path, e)),
        _ => deterministic,
    }
}

/// The failure for an LLM error (messages never hold the key or personal data).
pub fn llm_failure(doc: &str, e: LlmError) -> Failure {
    let code = match &e {
        LlmError::Unavailable { .. } => ErrorCode::LlmUnavailable,
        LlmError::InvalidAnswer { .. } => ErrorCode::LlmAnswerInvalid,
        LlmError::Truncated { .. } => ErrorCode::LlmAnswerTruncated,
        LlmError::Refused { .. } | LlmError::Config(_) => ErrorCode::LlmMisconfigured,
    };
    Failure::new(code, format!("{doc}: {e}"))
}

/// The LLM extractor configured by flags over `DOCKET_LLM_URL` / `DOCKET_LLM_GGUF` /
/// `DOCKET_LLM_MODEL` / `DOCKET_LLM_API_KEY` over the `[llm]` section of the config file (key:
/// its `api_key_secret`, else the `llm_api_key` secret), with its response cache, layout
/// templates and prompt log under `<data_dir>/llm/`. `None` when no model is configured.
pub fn llm_extractor(
    data_dir: &Path,
    url: Option<&str>,
    gguf: Option<&Path>,
    model: Option<&str>,
    no_redact: bool,
) -> Result<Option<LlmExtractor>, Failure> {
    let file = crate::config::load(data_dir)?.llm.unwrap_or_default();
    let picked = crate::config::pick_model(url, gguf, &file)?;
    let model = crate::config::pick(model, "DOCKET_LLM_MODEL", file.model.as_ref());
    let settings = match picked {
        Some(crate::config::ModelSource::Gguf(p)) => Some(LlmSettings::gguf(p)),
        Some(crate::config::ModelSource::Url(u)) => {
            LlmSettings::from_env(Some(&u), model.as_deref())
        }
        None => None,
    };
    let Some(mut settings) = settings else {
        if no_redact {
            return Err(Failure::new(
                ErrorCode::BadUsage,
                "--no-redact needs an LLM endpoint (--llm-url or DOCKET_LLM_URL)",
            ));
        }
        return Ok(None);
    };
    if settings.client.gguf.is_none()
        && settings.client.api_key.is_none()
        && let Ok(key) = crate::commands::run::secret(
            data_dir,
            file.api_key_secret.as_deref().unwrap_or(LLM_KEY_SECRET),
        )
    {
        settings.client.api_key = Some(docket_llm::ApiKey::new(key));
    }
    // In-process models are never sent redacted text (see `LlmSettings::gguf`).
    settings.no_redact = no_redact || settings.client.gguf.is_some();
    settings.samples = file.samples.unwrap_or(1);
    let dir = data_dir.join("llm");
    settings.cache_dir = Some(dir.join("cache"));
    settings.templates_dir = Some(dir.join("templates"));
    settings.prompt_log = Some(dir.join("prompts.jsonl"));
    LlmExtractor::new(settings)
        .map(Some)
        .map_err(|e| llm_failure("llm", e))
}

/// One line naming the active extractors, for `docket doctor` and `--verbose` output.
pub fn extractors_summary(llm: Option<&LlmExtractor>, url: Option<&str>) -> String {
    match (llm, url) {
        (Some(l), _) if l.in_process() => format!(
            "layout reader (bank_statement) + LLM {} in-process from {} (llama.cpp, no server; transfer_slip, invoice, kyc_form, custom JSON Schemas, unknown statement layouts; grounded){}",
            l.model(),
            l.gguf_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            if l.samples() > 1 {
                "; 2 samples per document"
            } else {
                ""
            }
        ),
        (Some(l), Some(u)) => format!(
            "layout reader (bank_statement) + LLM {} at {} (transfer_slip, invoice, kyc_form, custom JSON Schemas, unknown statement layouts; grounded, redacted){}",
            l.model(),
            docket_llm::config::display_url(u),
            if l.samples() > 1 {
                "; 2 samples per document"
            } else {
                ""
            }
        ),
        _ => format!(
            "built-in layout reader (bank_statement); no LLM configured (DOCKET_LLM_URL, or DOCKET_LLM_GGUF {}): transfer_slip, invoice, kyc_form and custom schemas answer DK-E0203",
            if docket_llm::GGUF_SUPPORTED {
                "for an in-process model"
            } else {
                "in a build with --features gguf"
            }
        ),
    }
}
