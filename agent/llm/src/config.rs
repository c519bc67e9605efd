//! Settings of the LLM step: endpoint, model, key, redaction switch and the directories of the
//! response cache and layout templates. Read from the environment (`DOCKET_LLM_URL`,
//! `DOCKET_LLM_MODEL`, `DOCKET_LLM_API_KEY`) and overridden by command-line flags; the key may
//! also come from the secret store (the agent resolves it).

use crate::client::{ApiKey, ClientConfig};
use std::path::PathBuf;

/// Everything the LLM extractor needs.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// Client settings (URL, model, key, retries, timeouts).
    pub client: ClientConfig,
    /// Send text unredacted (allowed only for loopback endpoints).
    pub no_redact: bool,
    /// Names to redact wherever they appear.
    pub redact_names: Vec<String>,
    /// Directory of the response cache (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Directory of layout templates (`None`: templates are learned per run only).
    pub templates_dir: Option<PathBuf>,
    /// JSON-lines prompt log (redacted text and hashes only).
    pub prompt_log: Option<PathBuf>,
    /// Fields with a confidence below this send the document to review.
    pub review_threshold: f32,
    /// Largest prompt (characters of document text) sent in one call; longer documents are sent
    /// in chunks of pages.
    pub max_prompt_chars: usize,
    /// Use layout templates for tabular documents (one call per unseen layout).
    pub templates: bool,
    /// Answers asked per prompt (1 or 2). With 2, the second is sampled at a temperature above
    /// 0 and a field whose two values disagree gets a lower confidence (agreement 0.5).
    pub samples: u32,
}

impl LlmSettings {
    /// Settings for an endpoint and model with the defaults: redaction on, threshold 0.6,
    /// 12,000 characters per prompt, templates on, no cache or template directory.
    pub fn new(base_url: &str, model: &str) -> Self {
        LlmSettings {
            client: ClientConfig::new(base_url, model),
            no_redact: false,
            redact_names: Vec::new(),
            cache_dir: None,
            templates_dir: None,
            prompt_log: None,
            review_threshold: 0.6,
            max_prompt_chars: 12_000,
            templates: true,
            samples: 1,
        }
    }

    /// Settings for a GGUF model run in-process (see [`ClientConfig::gguf`]); otherwise the
    /// defaults of [`LlmSettings::new`], except that the text is not redacted: it never leaves
    /// the process, and placeholders such as `[ACCT_1]` make a small model loop (measured with
    /// Gemma 3 270M on the AWS invoice: 155 tokens and the right answer unredacted, a record
    /// repeated to the token limit redacted). The prompt log then keeps hashes only. Set
    /// `no_redact = false` to redact anyway.
    pub fn gguf(path: impl Into<PathBuf>) -> Self {
        let mut s = LlmSettings::new("", "");
        s.client = ClientConfig::gguf(path);
        s.no_redact = true;
        s
    }

    /// URL and model from `DOCKET_LLM_URL` / `DOCKET_LLM_MODEL` (overridden by `url` / `model`
    /// when given) and the key from `DOCKET_LLM_API_KEY`. `None` when no URL is configured.
    pub fn from_env(url: Option<&str>, model: Option<&str>) -> Option<Self> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let url = url.map(str::to_string).or_else(|| env("DOCKET_LLM_URL"))?;
        let model = model
            .map(str::to_string)
            .or_else(|| env("DOCKET_LLM_MODEL"))
            .unwrap_or_else(|| "default".into());
        let mut s = LlmSettings::new(&url, &model);
        s.client.api_key = env("DOCKET_LLM_API_KEY").map(ApiKey::new);
        Some(s)
    }

    /// Refuses `no_redact` for anything but a loopback endpoint or an in-process model, and a
    /// number of samples other than 1 or 2.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=2).contains(&self.samples) {
            return Err(format!(
                "samples must be 1 or 2 (2 asks twice and lowers the confidence of fields whose answers disagree), got {}",
                self.samples
            ));
        }
        if self.no_redact && self.client.gguf.is_none() && !is_loopback(&self.client.base_url) {
            return Err(format!(
                "--no-redact is allowed only for a local endpoint (127.0.0.1, ::1, localhost); {} is not",
                display_url(&self.client.base_url)
            ));
        }
        Ok(())
    }
}

/// Host of an http(s) URL.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    if let Some(v6) = hostport.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    hostport.split(':').next().unwrap_or("")
}

/// True for `127.*`, `::1` and `localhost`.
pub fn is_loopback(url: &str) -> bool {
    let h = host(url);
    h == "localhost" || h == "::1" || h.starts_with("127.")
}

/// The URL without credentials or query (safe to print).
pub fn display_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = authority.rsplit('@').next().unwrap_or("");
    if scheme.is_empty() {
        format!("{authority}{path}")
    } else {
        format!("{scheme}://{authority}{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(is_loopback("http://127.0.0.1:8080/v1"));
        assert!(is_loopback("http://localhost/v1"));
        assert!(is_loopback("http://[::1]:80/v1"));
        assert!(!is_loopback("https://api.example.com/v1"));
        assert_eq!(
            display_url("https://u:pw@h.example/v1?key=1"),
            "https://h.example/v1"
        );
        let mut s = LlmSettings::new("https://h.example/v1", "m");
        s.no_redact = true;
        assert!(s.check().is_err());
    }
}
