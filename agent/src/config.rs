//! The agent's configuration file: `<data dir>/config.toml`, or the file named by
//! `DOCKET_CONFIG`. Today it holds the `[llm]` section, the site-wide default endpoint of the LLM
//! step; environment variables (`DOCKET_LLM_URL`, `DOCKET_LLM_MODEL`, `DOCKET_LLM_API_KEY`) and
//! command-line flags override it, and a workflow's `llm:` block overrides it for that flow.
//!
//! ```toml
//! [llm]
//! url = "http://127.0.0.1:8089/v1"   # OpenAI-compatible base URL ending in /v1
//! model = "gemma3-270m"
//! api_key_secret = "llm_api_key"     # a name in `docket secret`, never the key itself
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
}
