//! The agent's configuration file: `<data dir>/config.toml`, or the file named by
//! `DOCKET_CONFIG`. Today it holds the `[llm]` section, the site-wide default model of the LLM
//! step; environment variables (`DOCKET_LLM_URL`, `DOCKET_LLM_GGUF`, `DOCKET_LLM_MODEL`,
//! `DOCKET_LLM_API_KEY`) and command-line flags override it, and a workflow's `llm:` block
//! overrides it for that flow.
//!
//! ```toml
//! [llm]
//! url = "http://127.0.0.1:8089/v1"   # OpenAI-compatible base URL ending in /v1
//! model = "gemma3-270m"
//! api_key_secret = "llm_api_key"     # a name in `docket secret`, never the key itself
//! # or, instead of url/model, a model run in-process (build with `--features gguf`):
//! # gguf = "/root/.cache/docket/llm/model.gguf"
//! samples = 1                        # 2: ask twice, lower the confidence where answers differ
//! ```
//!
//! A missing file is an empty configuration; a malformed one is DK-E0201 naming the file, line
//! and key.

use docket_core::ErrorCode;
use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The LLM step's default endpoint.
    #[serde(default)]
    pub llm: Option<LlmConfig>,
}

/// `[llm]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL ending in `/v1`.
    pub url: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Name of the secret holding the API key.
    pub api_key_secret: Option<String>,
    /// A GGUF model file run in-process instead of an endpoint (`url`); needs a build with the
    /// `gguf` feature.
    pub gguf: Option<PathBuf>,
    /// Answers asked per document: 1 (default) or 2 (agreement lowers disagreeing fields'
    /// confidence).
    pub samples: Option<u32>,
}

/// The model the LLM step talks to, after precedence.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// An OpenAI-compatible endpoint (base URL).
    Url(String),
    /// A GGUF file run in-process.
    Gguf(PathBuf),
}

/// Picks the model: `url` / `gguf` (flags or the workflow; at most one), else
/// `DOCKET_LLM_URL` / `DOCKET_LLM_GGUF` (at most one), else the file's `url` / `gguf`. `None`:
/// no model configured (the layout reader only).
pub fn pick_model(
    url: Option<&str>,
    gguf: Option<&Path>,
    file: &LlmConfig,
) -> Result<Option<ModelSource>, Failure> {
    let one = |u: Option<String>, g: Option<PathBuf>, what: &str| match (u, g) {
        (Some(_), Some(_)) => Err(Failure::new(
            ErrorCode::LlmMisconfigured,
            format!(
                "{what} name both an LLM endpoint and an in-process GGUF model: keep one of them"
            ),
        )),
        (Some(u), None) => Ok(Some(ModelSource::Url(u))),
        (None, Some(g)) => Ok(Some(ModelSource::Gguf(g))),
        (None, None) => Ok(None),
    };
    if let Some(m) = one(
        url.map(str::to_owned),
        gguf.map(Path::to_path_buf),
        "--llm-url and --llm-gguf",
    )? {
        return Ok(Some(m));
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(m) = one(
        env("DOCKET_LLM_URL"),
        env("DOCKET_LLM_GGUF").map(PathBuf::from),
        "DOCKET_LLM_URL and DOCKET_LLM_GGUF",
    )? {
        return Ok(Some(m));
    }
    one(file.url.clone(), file.gguf.clone(), "[llm] url and gguf")
}

/// Where the file is: `DOCKET_CONFIG`, else `<data dir>/config.toml`.
pub fn path(data_dir: &Path) -> PathBuf {
    std::env::var_os("DOCKET_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("config.toml"))
}

/// Reads the configuration (empty when there is no file).
pub fn load(data_dir: &Path) -> Result<Config, Failure> {
    let p = path(data_dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            return Err(Failure::new(
                ErrorCode::WorkflowInvalid,
                format!("{}: cannot read the configuration: {e}", p.display()),
            ));
        }
    };
    parse(&text, &p)
}

/// Parses a configuration; errors name the file, line and column.
pub fn parse(text: &str, origin: &Path) -> Result<Config, Failure> {
    let cfg: Config = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{}{at}: {}", origin.display(), e.message()),
        )
    })?;
    if let Some(llm) = &cfg.llm
        && llm.url.is_some()
        && llm.gguf.is_some()
    {
        return Err(Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: [llm] has both url (an endpoint) and gguf (an in-process model): keep one",
                origin.display()
            ),
        ));
    }
    if let Some(llm) = &cfg.llm
        && let Some(n) = llm.samples
        && !(1..=2).contains(&n)
    {
        return Err(Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: [llm] samples must be 1 or 2 (2 asks twice and lowers the confidence of fields whose answers disagree), got {n}",
                origin.display()
            ),
        ));
    }
    if let Some(llm) = &cfg.llm
        && let Some(u) = &llm.url
        && u.contains('@')
    {
        return Err(Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: [llm] url must not carry credentials: put the key in the secret store and name it in api_key_secret",
                origin.display()
            ),
        ));
    }
    Ok(cfg)
}

/// The LLM endpoint after precedence: `flag`, then the environment variable `env`, then the
/// file's value.
pub fn pick(flag: Option<&str>, env: &str, file: Option<&String>) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
        .or_else(|| file.cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_section_parses_and_errors_name_the_line() -> Result<(), Failure> {
        let c = parse(
            "[llm]\nurl = \"http://127.0.0.1:8089/v1\"\nmodel = \"m\"\napi_key_secret = \"k\"\n",
            Path::new("c.toml"),
        )?;
        let l = c.llm.unwrap_or_default();
        assert_eq!(l.url.as_deref(), Some("http://127.0.0.1:8089/v1"));
        assert_eq!(l.api_key_secret.as_deref(), Some("k"));
        let e = parse("[llm]\nurl = \"x\"\nmodle = \"m\"\n", Path::new("c.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("c.toml:3") && e.contains("modle"), "{e}");
        let e = parse("[llm]\nurl = \"https://u:p@h/v1\"\n", Path::new("c.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("credentials") && !e.contains("u:p"), "{e}");
        assert!(parse("", Path::new("c.toml"))?.llm.is_none());
        Ok(())
    }

    #[test]
    fn gguf_and_samples_parse_and_conflicts_are_named() -> Result<(), Failure> {
        let c = parse(
            "[llm]\ngguf = \"/models/m.gguf\"\nsamples = 2\n",
            Path::new("c.toml"),
        )?;
        let l = c.llm.unwrap_or_default();
        assert_eq!(l.gguf.as_deref(), Some(Path::new("/models/m.gguf")));
        assert_eq!(l.samples, Some(2));
        let err = |t: &str| {
            parse(t, Path::new("c.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let e = err("[llm]\nurl = \"http://127.0.0.1:1/v1\"\ngguf = \"m.gguf\"\n");
        assert!(e.contains("c.toml") && e.contains("keep one"), "{e}");
        let e = err("[llm]\nsamples = 3\n");
        assert!(e.contains("samples must be 1 or 2"), "{e}");
        // Flags win over the file; two at one level are refused.
        let m = pick_model(Some("http://127.0.0.1:1/v1"), None, &l)?;
        assert_eq!(m, Some(ModelSource::Url("http://127.0.0.1:1/v1".into())));
        assert!(pick_model(Some("http://x/v1"), Some(Path::new("m.gguf")), &l).is_err());
        Ok(())
    }
}
