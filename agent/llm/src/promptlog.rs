//! The prompt log: one JSON line per model request with the model, the hashes of prompt, schema
//! and answer, token counts and whether the cache answered. The prompt text is logged only when
//! it was redacted; with redaction off only hashes are kept. It never holds the API key.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One line of the log.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Model name.
    pub model: String,
    /// What the call was for (`extract`, `template`).
    pub purpose: String,
    /// SHA-256 of the prompt messages as sent.
    pub prompt_sha256: String,
    /// SHA-256 of the answer schema.
    pub schema_sha256: String,
    /// SHA-256 of the answer text.
    pub answer_sha256: String,
    /// The prompt as sent, only when it was redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted_prompt: Option<String>,
    /// Answered from the cache.
    pub cached: bool,
    /// Prompt tokens (0 when cached).
    pub prompt_tokens: u64,
    /// Completion tokens (0 when cached).
    pub completion_tokens: u64,
}

/// An append-only JSON-lines file.
#[derive(Debug)]
pub struct PromptLog {
    path: PathBuf,
    lock: Mutex<()>,
}

impl PromptLog {
    /// A log at `path` (created on first write).
    pub fn new(path: &Path) -> Self {
        PromptLog {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        }
    }

    /// Appends one entry; failures are reported to the caller, never fatal to extraction.
    pub fn write(&self, e: &Entry) -> std::io::Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let mut line = serde_json::to_vec(e)?;
        line.push(b'\n');
        f.write_all(&line)
    }
}
