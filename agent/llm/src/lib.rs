//! Docket's LLM extraction step: reads any document into any JSON Schema with an
//! OpenAI-compatible model (vLLM, llama.cpp server, Ollama, hosted APIs) — without letting the
//! model invent a value, without sending personal data out unredacted, and without one model call
//! per page.
//!
//! - [`client`]: the HTTP client (retries with backoff and jitter, `Retry-After`, concurrency
//!   limit, schema-constrained output with validate-and-retry fallback, token accounting).
//! - [`redact`]: account/ID/phone/e-mail/name placeholders before sending, restored after.
//! - [`prompt`]: page text with layout (reading order, lines, table cells).
//! - [`grounding`] and [`norm`]: the verifier; every value must be in the document's tokens.
//! - [`table`] and [`template`]: layout fingerprints and learned column mappings.
//! - [`cache`]: answers keyed by (model, prompt hash, schema hash).
//! - [`extract`]: the [`LlmExtractor`] tying it together.
//! - `gguf` (cargo feature `gguf`): a GGUF model run in-process through llama.cpp, behind the
//!   same client, for sites with no model server.

pub mod budget;
pub mod cache;
pub mod client;
pub mod config;
pub mod extract;
#[cfg(feature = "gguf")]
pub mod gguf;
pub mod grounding;
pub mod norm;
pub mod prompt;
pub mod promptlog;
pub mod redact;
pub mod schemas;
pub mod table;
pub mod template;
pub mod validate;

/// Whether this build runs GGUF models in-process (cargo feature `gguf`).
pub const GGUF_SUPPORTED: bool = cfg!(feature = "gguf");

pub use client::{ApiKey, ClientConfig, LlmClient, LlmError, Message, Usage};
pub use config::LlmSettings;
pub use extract::{LlmExtractor, Stats};
