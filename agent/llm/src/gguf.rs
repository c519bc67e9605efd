//! The in-process model (cargo feature `gguf`): a GGUF file run through llama.cpp (the
//! `llama-cpp-2` crate, which vendors and builds it), for sites with no model server. It answers
//! the same chat messages the HTTP client sends, with the output constrained by the JSON Schema
//! turned into a llama.cpp grammar; the client still validates, coerces and re-asks exactly as for
//! a server. Nothing leaves the process, but redaction stays on by default (it is harmless here
//! and keeps the prompt log free of personal data). It must never load a model per request: the
//! model is loaded once per client and one request runs at a time.

use crate::client::{LlmError, Message};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use serde_json::{Map, Value};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// llama.cpp's process-wide backend: it can be initialised once per process only.
fn backend() -> Result<&'static LlamaBackend, String> {
    static B: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    B.get_or_init(|| {
        // llama.cpp logs every tensor it loads to stderr; the errors that matter come back as
        // return values, so its log is switched off.
        llama_cpp_2::send_logs_to_tracing(
            llama_cpp_2::LogOptions::default().with_logs_enabled(false),
        );
        LlamaBackend::init().map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// One completion of the in-process model.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// Tokens of the prompt (after the chat template).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// `stop` (end of turn or the grammar completed) or `length` (token limit).
    pub finish: &'static str,
}

/// A loaded GGUF model.
pub struct Engine {
    path: PathBuf,
    model: LlamaModel,
    template: LlamaChatTemplate,
    n_ctx: u32,
    threads: i32,
    /// One generation at a time (a context per request; the model is shared read-only).
    busy: Mutex<()>,
    /// JSON Schemas llama.cpp could not turn into a grammar (validated afterwards instead).
    warned: Mutex<bool>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.path)
            .field("n_ctx", &self.n_ctx)
            .finish_non_exhaustive()
    }
}

fn config_err(path: &Path, what: impl std::fmt::Display) -> LlmError {
    LlmError::Config(format!("GGUF model {}: {what}", path.display()))
}

impl Engine {
    /// Loads `path` with a context of up to `n_ctx` tokens (capped by the model's training
    /// context).
    pub fn load(path: &Path, n_ctx: u32) -> Result<Self, LlmError> {
        if !path.is_file() {
            return Err(config_err(
                path,
                "no such file: set [llm] gguf (or DOCKET_LLM_GGUF / --llm-gguf) to a .gguf model file; `installer/llm.sh --model-only` fetches Gemma 3 270M to ~/.cache/docket/llm/model.gguf",
            ));
        }
        let backend = backend().map_err(|e| config_err(path, e))?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                config_err(
                    path,
                    format!("llama.cpp cannot load it ({e}); is it a GGUF file?"),
                )
            })?;
        let template = match model.chat_template(None) {
            Ok(t) => t,
            Err(_) => {
                // Some GGUF packages carry no chat template (the Gemma 3 270M one on PyPI is
                // such): use the Llama 2 format, which is what llama-cpp-python's server falls
                // back to. Measured on the AWS invoice, Gemma 3 270M answers it with the right
                // number, date, amount and currency, and echoes the schema's keys as values
                // with Gemma's own turn markers or ChatML.
                LlamaChatTemplate::new("llama2").map_err(|e| config_err(path, e))?
            }
        };
        let n_ctx = n_ctx.min(model.n_ctx_train()).max(512);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get() as i32)
            .unwrap_or(2);
        Ok(Engine {
            path: path.to_path_buf(),
            model,
            template,
            n_ctx,
            threads,
            busy: Mutex::new(()),
            warned: Mutex::new(false),
        })
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, what: impl std::fmt::Display) -> LlmError {
        LlmError::Unavailable {
            url: format!("gguf:{}", self.path.display()),
            tries: 1,
            last: what.to_string(),
        }
    }

    /// The llama.cpp grammar for `schema` (bounded, see [`bounded`]), with its patterns if
    /// llama.cpp can convert them, else without (they are validated afterwards); `None` when
    /// llama.cpp cannot convert the schema at all.
    fn grammar(&self, schema: &Value) -> Option<String> {
        let with = llama_cpp_2::json_schema_to_grammar(&bounded(schema).to_string());
        let without = || {
            llama_cpp_2::json_schema_to_grammar(
                &bounded(&crate::client::without_patterns(schema)).to_string(),
            )
        };
        match with.or_else(|_| without()) {
            Ok(g) => Some(compact(&g)),
            Err(e) => {
                let mut w = self.warned.lock().unwrap_or_else(|e| e.into_inner());
                if !*w {
                    *w = true;
                    tracing::warn!(
                        "llama.cpp cannot turn this JSON Schema into a grammar ({e}); answers are validated and re-asked instead"
                    );
                }
                None
            }
        }
    }

    /// Generates an answer to `messages`. With `schema`, the output is constrained to JSON that
    /// the schema's grammar accepts. `temperature` 0 is greedy (deterministic); above 0 samples
    /// with `seed`.
    pub fn complete(
        &self,
        messages: &[Message],
        schema: Option<&Value>,
        temperature: f32,
        seed: u32,
        max_tokens: u32,
    ) -> Result<Completion, LlmError> {
        let _one = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let chat = messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.fail(format!("message text: {e}")))?;
        let prompt = self
            .model
            .apply_chat_template(&self.template, &chat, true)
            .map_err(|e| self.fail(format!("chat template: {e}")))?;
        let tokens = self.model.vocab().tokenize(prompt.as_bytes(), true, true);
        let n_prompt = tokens.len() as u32;
        if n_prompt + 16 > self.n_ctx {
            return Err(LlmError::Config(format!(
                "the prompt has {n_prompt} tokens, more than the in-process model's context of {} tokens: lower max_prompt_chars so long documents are sent in smaller chunks",
                self.n_ctx
            )));
        }
        let budget = max_tokens.min(self.n_ctx - n_prompt);
        let n_batch = 512u32;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(self.n_ctx))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        let backend = backend().map_err(|e| self.fail(e))?;
        let mut ctx = self
            .model
            .new_context(backend, params)
            .map_err(|e| self.fail(format!("cannot create a context: {e}")))?;

        let mut batch = LlamaBatch::new(n_batch as usize, 1);
        let last = tokens.len().saturating_sub(1);
        for (c, chunk) in tokens.chunks(n_batch as usize).enumerate() {
            batch.clear();
            for (j, t) in chunk.iter().enumerate() {
                let i = c * n_batch as usize + j;
                batch
                    .add(*t, i as i32, &[0], i == last)
                    .map_err(|e| self.fail(e))?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| self.fail(format!("decode: {e}")))?;
        }

        let mut grammar = schema.and_then(|s| self.grammar(s)).and_then(|g| {
            match LlamaSampler::grammar(&self.model, &g, "root") {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("llama.cpp refused the schema's grammar: {e}");
                    None
                }
            }
        });
        // A mild repetition penalty over the last 64 tokens (llama-cpp-python's server default):
        // without it a small model fills an array with the same item until the token limit.
        let penalties = LlamaSampler::penalties(self.model.n_vocab(), 64, REPEAT_PENALTY, 0.0, 0.0);
        let mut pick = if temperature > 0.0 {
            LlamaSampler::chain_simple([
                penalties,
                LlamaSampler::top_k(40),
                LlamaSampler::temp(temperature),
                LlamaSampler::dist(seed),
            ])
        } else {
            LlamaSampler::chain_simple([penalties, LlamaSampler::greedy()])
        };

        let vocab = self.model.vocab();
        let mut out: Vec<u8> = Vec::new();
        let mut pos = n_prompt as i32;
        let mut generated = 0u32;
        let mut finish = "length";
        while generated < budget {
            let idx = batch.n_tokens() - 1;
            // Grammar last, as llama.cpp's own sampler does: checking one token against the
            // grammar is cheap, filtering the whole vocabulary (262k tokens for Gemma) is not, so
            // the vocabulary is filtered only when the unconstrained choice breaks the grammar.
            let mut token = choose(&ctx, idx, &mut pick, None);
            if let Some(g) = grammar.as_mut() {
                let mut one =
                    LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 1.0, 0.0)], false);
                one.apply_sampler(g);
                if one.data.first().is_none_or(|d| d.logit().is_infinite()) {
                    token = choose(&ctx, idx, &mut pick, Some(g));
                }
                g.accept(token);
            }
            pick.accept(token);
            if vocab.is_eog(token) {
                finish = "stop";
                break;
            }
            out.extend(vocab.token_to_piece(token, false, None));
            generated += 1;
            batch.clear();
            batch
                .add(token, pos, &[0], true)
                .map_err(|e| self.fail(e))?;
            pos += 1;
            ctx.decode(&mut batch)
                .map_err(|e| self.fail(format!("decode: {e}")))?;
        }
        Ok(Completion {
            text: String::from_utf8_lossy(&out).into_owned(),
            prompt_tokens: u64::from(n_prompt),
            completion_tokens: u64::from(generated),
            finish,
        })
    }
}

/// The token `pick` chooses from the logits of output `idx`, after `grammar` when given.
fn choose(
    ctx: &llama_cpp_2::context::LlamaContext<'_>,
    idx: i32,
    pick: &mut LlamaSampler,
    grammar: Option<&mut LlamaSampler>,
) -> LlamaToken {
    let mut all = ctx.token_data_array_ith(idx);
    if let Some(g) = grammar {
        all.apply_sampler(g);
    }
    all.apply_sampler(pick);
    all.selected_token()
        .or_else(|| all.data.first().map(LlamaTokenData::id))
        .unwrap_or(LlamaToken(0))
}

/// The grammar with JSON's optional whitespace reduced to at most one space: llama.cpp's
/// converter allows newlines and indentation, which a small model spends a third of its tokens
/// on (pretty-printed answers); the answer means the same either way.
fn compact(grammar: &str) -> String {
    grammar
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("space ::=") {
                "space ::= \" \"?".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Repetition penalty of greedy and sampled decoding (1.0 would be none).
const REPEAT_PENALTY: f32 = 1.1;

/// Longest string the grammar lets the model write where the schema sets no limit.
const MAX_STRING: u64 = 160;
/// Most items of an array where the schema sets no limit.
const MAX_ITEMS: u64 = 64;
/// Most digits of a `[0-9]+` run in a pattern.
const MAX_DIGITS: &str = "[0-9]{1,15}";

/// The schema with limits a small model cannot loop past: constrained decoding does not
/// guarantee termination, and a 270M model given an unbounded string or array repeats itself
/// until the token limit (`"amount": "1000000…"`). Strings without a limit get
/// [`MAX_STRING`] characters, arrays [`MAX_ITEMS`] items, digit runs in patterns 15 digits. Only
/// the grammar is bounded; the answer is still validated against the real schema.
pub fn bounded(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out: Map<String, Value> = m
                .iter()
                .map(|(k, c)| {
                    let c = match (k.as_str(), c) {
                        ("pattern", Value::String(p)) => {
                            Value::String(p.replace("[0-9]+", MAX_DIGITS))
                        }
                        _ => bounded(c),
                    };
                    (k.clone(), c)
                })
                .collect();
            let has_type = |t: &str| match m.get("type") {
                Some(Value::String(s)) => s == t,
                Some(Value::Array(a)) => a.iter().any(|x| x == t),
                _ => false,
            };
            let free = ["maxLength", "pattern", "format", "enum", "const"]
                .iter()
                .all(|k| !m.contains_key(*k));
            if has_type("string") && free {
                out.insert("maxLength".into(), MAX_STRING.into());
            }
            if has_type("array") && !m.contains_key("maxItems") {
                out.insert("maxItems".into(), MAX_ITEMS.into());
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(bounded).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounded_limits_strings_arrays_and_digit_runs_only_where_unlimited() {
        let s = json!({"type": "object", "properties": {
            "name": {"type": ["string", "null"]},
            "code": {"type": "string", "maxLength": 3},
            "amount": {"type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
            "date": {"type": "string", "format": "date"},
            "lines": {"type": "array", "items": {"type": "string"}}}});
        let b = bounded(&s);
        let p = &b["properties"];
        assert_eq!(p["name"]["maxLength"], json!(MAX_STRING));
        assert_eq!(p["code"]["maxLength"], json!(3));
        assert_eq!(
            p["amount"]["pattern"],
            json!("^-?[0-9]{1,15}(\\.[0-9]{1,15})?$")
        );
        assert!(p["amount"].get("maxLength").is_none());
        assert!(p["date"].get("maxLength").is_none());
        assert_eq!(p["lines"]["maxItems"], json!(MAX_ITEMS));
        assert_eq!(p["lines"]["items"]["maxLength"], json!(MAX_STRING));
    }
}
