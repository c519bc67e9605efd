//! The OpenAI-compatible chat-completions client (vLLM, llama.cpp server, Ollama, hosted APIs):
//! blocking reqwest over rustls, a timeout per request, retries with exponential backoff and
//! jitter on timeouts, connection errors, 429 (honouring `Retry-After`), 5xx, malformed and
//! truncated bodies; a concurrency limit; JSON-Schema-constrained output through
//! `response_format: json_schema`, falling back to `json_object` and then to plain prompting when
//! a server refuses it, with every answer validated and re-asked (with the problems) when it does
//! not conform; token accounting for the whole run. The API key never appears in Debug output,
//! logs or errors. With [`ClientConfig::gguf`] set the same client answers from a GGUF model run
//! in-process (cargo feature `gguf`, see [`crate::gguf`]): same validation, re-asks and counts.

use crate::validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// An API key; its Debug output is `***`.
#[derive(Clone, Default)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Where the model is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL ending in `/v1` (`http://127.0.0.1:8080/v1`).
    pub base_url: String,
    /// Model name sent in each request.
    pub model: String,
    /// Bearer token, if the endpoint needs one.
    pub api_key: Option<ApiKey>,
    /// Time limit of one HTTP request.
    pub timeout: Duration,
    /// Retries of one request after a timeout, 429, 5xx or unreadable body.
    pub max_retries: u32,
    /// First backoff; doubled each retry, with jitter.
    pub backoff: Duration,
    /// Longest wait between two tries (also caps `Retry-After`).
    pub max_backoff: Duration,
    /// Requests in flight at once, across threads.
    pub concurrency: usize,
    /// Times an answer that is not valid JSON for the schema is asked again.
    pub max_invalid_answers: u32,
    /// Output token limit per answer.
    pub max_tokens: u32,
    /// A GGUF model file run in-process instead of an HTTP endpoint (needs the `gguf` feature;
    /// `base_url` is then unused).
    pub gguf: Option<PathBuf>,
    /// Context size (tokens) of the in-process model.
    pub context_tokens: u32,
    /// Temperature of the extra samples (sample index > 0) asked for agreement; the first
    /// sample is always at temperature 0.
    pub sample_temperature: f32,
}

impl ClientConfig {
    /// Defaults for `base_url` and `model`: 120 s timeout, 4 retries from 500 ms up to 30 s,
    /// 2 requests in flight, 2 re-asks, 4,096 output tokens.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(120),
            max_retries: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            concurrency: 2,
            max_invalid_answers: 2,
            max_tokens: 4096,
            gguf: None,
            context_tokens: 8192,
            sample_temperature: 0.7,
        }
    }

    /// Defaults for an in-process GGUF model: the model name is the file's name (it keys the
    /// response cache), one request at a time.
    pub fn gguf(path: impl Into<PathBuf>) -> Self {
        let path: PathBuf = path.into();
        // The name of the file a symlink (`~/.cache/docket/llm/model.gguf`) points at, so two
        // different models behind the same link do not share cached answers.
        let named = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let model = format!(
            "gguf:{}",
            named
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".into())
        );
        let mut c = ClientConfig::new("", model);
        c.gguf = Some(path);
        c.concurrency = 1;
        c
    }
}

/// Why a client configured with `gguf` cannot start in a build without the feature.
pub fn gguf_missing_message(path: &std::path::Path) -> String {
    format!(
        "{} is a GGUF model to run in-process, but this build of docket has no in-process model support: rebuild with `cargo build --release -p docket --features gguf` (needs cmake, a C++ compiler and libclang-dev), or serve the model (installer/llm.sh --serve) and set [llm] url / DOCKET_LLM_URL instead",
        path.display()
    )
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with a role.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// Token and call counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// HTTP requests sent (including retries).
    pub requests: u64,
    /// Answers accepted.
    pub calls: u64,
    /// Prompt tokens reported by the server over all requests.
    pub prompt_tokens: u64,
    /// Completion tokens reported by the server over all requests.
    pub completion_tokens: u64,
    /// Requests retried after a transport failure, 429 or 5xx.
    pub retries: u64,
    /// Answers re-asked because they did not conform to the schema.
    pub reasks: u64,
}

/// Why the model could not give an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The endpoint did not answer usefully after every retry (timeouts, 429, 5xx, bad bodies).
    #[error("LLM endpoint {url} unavailable after {tries} tries: {last}")]
    Unavailable {
        /// Endpoint (base URL without credentials).
        url: String,
        /// Tries made.
        tries: u32,
        /// The last problem.
        last: String,
    },
    /// The endpoint refused the request (4xx other than 429).
    #[error("LLM endpoint {url} refused the request with HTTP {status}: {message}")]
    Refused {
        /// Endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// An excerpt of the answer.
        message: String,
    },
    /// Every answer broke the schema.
    #[error("the model's answers did not conform to the schema after {tries} tries: {problems}")]
    InvalidAnswer {
        /// Answers received.
        tries: u32,
        /// The problems of the last one.
        problems: String,
    },
    /// The model used every token it was allowed and its answer is cut off: asking again
    /// would loop the same way, so the document goes to a person at once.
    #[error(
        "the model's answer was cut off at its limit of {max_tokens} output tokens (what the schema can need for this document) after {completion_tokens} tokens: the model is looping or the document is too long for it"
    )]
    Truncated {
        /// The request's output limit.
        max_tokens: u32,
        /// Tokens the model produced.
        completion_tokens: u64,
    },
    /// The configuration cannot work.
    #[error("LLM configuration: {0}")]
    Config(String),
}

/// A schema-conforming answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The parsed JSON.
    pub value: Value,
    /// The raw text of the answer.
    pub raw: String,
    /// Prompt tokens of the accepted request.
    pub prompt_tokens: u64,
    /// Completion tokens of the accepted request.
    pub completion_tokens: u64,
    /// Paths (`$.data.fields.amount`) whose values broke their pattern or format beyond repair
    /// and were set to null (see [`validate::coerce`]).
    pub dropped: Vec<String>,
}

/// A counting semaphore for the concurrency limit.
#[derive(Debug)]
struct Permits {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Permits);

impl Permits {
    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.cv.notify_one();
    }
}

/// Output-constraint modes, from the most to the least constrained: `response_format:
/// json_schema`; a GBNF `grammar` of the schema (llama.cpp's server and llama-cpp-python accept
/// it where they refuse JSON Schema mode); `response_format: json_object`; plain prompting.
const MODE_SCHEMA: u8 = 0;
const MODE_GRAMMAR: u8 = 1;
const MODE_OBJECT: u8 = 2;
const MODE_PLAIN: u8 = 3;

/// The shape of the document in the request's user messages: an array in the answer has at
/// most one item per line, a value is no longer than the longest line (see
/// [`crate::budget::max_tokens`]). Only the lines between [`crate::prompt::DOCUMENT_HEADING`] and
/// the closing instructions count when a message has it (the schema shown above is not the
/// document).
fn document_shape(messages: &[Message]) -> crate::budget::DocShape {
    let mut shape = crate::budget::DocShape::default();
    for m in messages.iter().filter(|m| m.role == "user") {
        let text = match m.content.split_once(crate::prompt::DOCUMENT_HEADING) {
            // The answer instructions follow the document as its last paragraph.
            Some((_, doc)) => doc.trim_end().rsplit_once("\n\n").map_or(doc, |(d, _)| d),
            None => m.content.as_str(),
        };
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            shape.lines += 1;
            shape.longest = shape.longest.max(l.chars().count());
        }
    }
    shape
}

/// The client. Cheap to share between threads (`&LlmClient`).
#[derive(Debug)]
pub struct LlmClient {
    cfg: ClientConfig,
    http: reqwest::blocking::Client,
    permits: Permits,
    mode: AtomicU8,
    usage: Mutex<Usage>,
    #[cfg(feature = "gguf")]
    engine: Option<crate::gguf::Engine>,
}

enum Try {
    Ok(String, u64, u64, Option<String>),
    Retry(String, Option<Duration>),
    Refused(u16, String),
    Downgrade,
}

impl LlmClient {
    /// A client for `cfg`.
    pub fn new(cfg: ClientConfig) -> Result<Self, LlmError> {
        #[cfg(not(feature = "gguf"))]
        if let Some(p) = &cfg.gguf {
            return Err(LlmError::Config(gguf_missing_message(p)));
        }
        #[cfg(feature = "gguf")]
        let engine = match &cfg.gguf {
            Some(p) => Some(crate::gguf::Engine::load(p, cfg.context_tokens)?),
            None => None,
        };
        if cfg.gguf.is_none()
            && !(cfg.base_url.starts_with("http://") || cfg.base_url.starts_with("https://"))
        {
            return Err(LlmError::Config(format!(
                "the LLM URL must start with http:// or https:// and end in /v1, got {}",
                crate::config::display_url(&cfg.base_url)
            )));
        }
        if cfg.model.trim().is_empty() {
            return Err(LlmError::Config(
                "no model name (DOCKET_LLM_MODEL or --llm-model)".into(),
            ));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(LlmClient {
            permits: Permits {
                free: Mutex::new(cfg.concurrency.max(1)),
                cv: Condvar::new(),
            },
            cfg,
            http,
            mode: AtomicU8::new(MODE_SCHEMA),
            usage: Mutex::new(Usage::default()),
            #[cfg(feature = "gguf")]
            engine,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Counts so far.
    pub fn usage(&self) -> Usage {
        *self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut Usage)) {
        f(&mut self.usage.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn url(&self) -> String {
        match &self.cfg.gguf {
            Some(p) => format!("gguf:{}", p.display()),
            None => crate::config::display_url(&self.cfg.base_url),
        }
    }

    /// True when answers come from an in-process GGUF model.
    pub fn in_process(&self) -> bool {
        self.cfg.gguf.is_some()
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.cfg.backoff.saturating_mul(1 << attempt.min(16));
        let capped = base.min(self.cfg.max_backoff);
        // Equal jitter: half fixed, half random, so parallel clients spread out.
        let half = capped / 2;
        half + Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64))
    }

    /// The output tokens a request may use: what the schema can need for this document, never
    /// above [`ClientConfig::max_tokens`].
    pub fn max_tokens_for(&self, messages: &[Message], schema: &Value) -> u32 {
        crate::budget::max_tokens(schema, document_shape(messages), self.cfg.max_tokens)
    }

    /// The request body for the current mode.
    fn body(&self, messages: &[Message], name: &str, schema: &Value, sample: u32) -> Value {
        let mut body = json!({
            "model": self.cfg.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens_for(messages, schema),
        });
        if sample > 0 {
            body["temperature"] = json!(self.cfg.sample_temperature);
            body["seed"] = json!(sample);
        }
        match self.mode.load(Ordering::Relaxed) {
            MODE_SCHEMA => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": name, "strict": true, "schema": schema},
                });
            }
            MODE_GRAMMAR => {
                body["grammar"] = json!(crate::budget::gbnf(schema));
            }
            MODE_OBJECT => {
                // llama-cpp-python's grammar converter mistranslates regex escapes (`\.`) and the
                // server dies on the grammar: patterns stay local (validate + coerce) in this mode.
                body["response_format"] =
                    json!({"type": "json_object", "schema": without_patterns(schema)});
            }
            _ => {}
        }
        body
    }

    fn send_once(&self, body: &Value) -> Try {
        let _permit = self.permits.acquire();
        self.count(|u| u.requests += 1);
        let mut req = self
            .http
            .post(format!("{}/chat/completions", self.cfg.base_url))
            .json(body);
        if let Some(ApiKey(k)) = &self.cfg.api_key {
            req = req.bearer_auth(k);
        }
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Try::Retry(format!("no answer within {:?}", self.cfg.timeout), None);
            }
            Err(e) => return Try::Retry(format!("connection failed: {}", e.without_url()), None),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match resp.text() {
            Ok(t) => t,
            Err(e) => {
                return Try::Retry(
                    format!("answer body unreadable (truncated?): {}", e.without_url()),
                    None,
                );
            }
        };
        let lower = text.to_lowercase();
        // Servers without structured output answer 400 (vLLM, hosted) or 500 (llama-cpp-python)
        // naming the field: fall back to a less constrained mode, validated all the same.
        if (status.is_client_error() || status.is_server_error())
            && status.as_u16() != 429
            && self.mode.load(Ordering::Relaxed) < MODE_PLAIN
            && (lower.contains("response_format")
                || lower.contains("json_schema")
                || lower.contains("grammar"))
        {
            return Try::Downgrade;
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Try::Retry(
                format!("HTTP {}: {}", status.as_u16(), excerpt(&text)),
                retry_after,
            );
        }
        if status.is_client_error() {
            return Try::Refused(status.as_u16(), excerpt(&text));
        }
        let parsed: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                return Try::Retry(
                    format!("answer is not JSON ({e}): {}", excerpt(&text)),
                    None,
                );
            }
        };
        let Some(content) = parsed
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
        else {
            return Try::Retry(
                format!(
                    "answer has no choices[0].message.content: {}",
                    excerpt(&text)
                ),
                None,
            );
        };
        let pt = parsed
            .pointer("/usage/prompt_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let ct = parsed
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        self.count(|u| {
            u.prompt_tokens += pt;
            u.completion_tokens += ct;
        });
        let finish = parsed
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string);
        Try::Ok(content.to_string(), pt, ct, finish)
    }

    /// Runs one request on the in-process model (no retries: nothing transient can fail).
    #[cfg(feature = "gguf")]
    fn send_in_process(
        &self,
        engine: &crate::gguf::Engine,
        messages: &[Message],
        schema: &Value,
        sample: u32,
    ) -> Result<(String, u64, u64, Option<String>), LlmError> {
        let _permit = self.permits.acquire();
        self.count(|u| u.requests += 1);
        let temperature = if sample > 0 {
            self.cfg.sample_temperature
        } else {
            0.0
        };
        let c = engine.complete(
            messages,
            Some(schema),
            temperature,
            sample,
            self.max_tokens_for(messages, schema),
        )?;
        self.count(|u| {
            u.prompt_tokens += c.prompt_tokens;
            u.completion_tokens += c.completion_tokens;
        });
        Ok((
            c.text,
            c.prompt_tokens,
            c.completion_tokens,
            Some(c.finish.to_string()),
        ))
    }

    /// Sends one chat request with retries; returns the answer text and token counts.
    fn send(
        &self,
        messages: &[Message],
        name: &str,
        schema: &Value,
        sample: u32,
    ) -> Result<(String, u64, u64, Option<String>), LlmError> {
        #[cfg(feature = "gguf")]
        if let Some(engine) = &self.engine {
            return self.send_in_process(engine, messages, schema, sample);
        }
        let mut tries = 0;
        let mut attempt = 0;
        loop {
            tries += 1;
            match self.send_once(&self.body(messages, name, schema, sample)) {
                Try::Ok(c, pt, ct, f) => return Ok((c, pt, ct, f)),
                Try::Downgrade => {
                    let m = self.mode.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        url = %self.url(),
                        "endpoint refused response_format mode {m}; falling back to a less constrained mode with validation"
                    );
                }
                Try::Refused(status, message) => {
                    return Err(LlmError::Refused {
                        url: self.url(),
                        status,
                        message,
                    });
                }
                Try::Retry(why, wait) => {
                    if attempt >= self.cfg.max_retries {
                        return Err(LlmError::Unavailable {
                            url: self.url(),
                            tries,
                            last: why,
                        });
                    }
                    let pause = wait
                        .map(|w| w.min(self.cfg.max_backoff))
                        .unwrap_or_else(|| self.backoff(attempt));
                    tracing::info!(url = %self.url(), attempt, ?pause, "retrying LLM request: {why}");
                    self.count(|u| u.retries += 1);
                    std::thread::sleep(pause);
                    attempt += 1;
                }
            }
        }
    }

    /// Checks that the endpoint answers and serves the configured model: one `GET {base}/models`
    /// (OpenAI-compatible servers list their models there) with a short timeout, no retries.
    /// Returns the models the server lists. An in-process model is not probed (empty list).
    pub fn probe(&self, timeout: Duration) -> Result<Vec<String>, LlmError> {
        if self.in_process() {
            return Ok(Vec::new());
        }
        let unavailable = |last: String| LlmError::Unavailable {
            url: self.url(),
            tries: 1,
            last,
        };
        let mut req = self
            .http
            .get(format!("{}/models", self.cfg.base_url))
            .timeout(timeout);
        if let Some(ApiKey(k)) = &self.cfg.api_key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().map_err(|e| {
            unavailable(if e.is_timeout() {
                format!("no answer within {timeout:?}")
            } else {
                format!("connection failed: {}", e.without_url())
            })
        })?;
        let status = resp.status();
        let text = resp
            .text()
            .map_err(|e| unavailable(format!("answer unreadable: {}", e.without_url())))?;
        if !status.is_success() {
            return Err(unavailable(format!(
                "GET /models answered HTTP {}: {}",
                status.as_u16(),
                excerpt(&text)
            )));
        }
        let models: Vec<String> = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("data").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        // Servers that serve one model answer to any name (llama-cpp-python lists the file's
        // path); a list that names several models must name ours.
        if models.len() > 1 && !models.iter().any(|m| m == &self.cfg.model) {
            return Err(LlmError::Config(format!(
                "the endpoint {} does not serve the model '{}' (it lists {})",
                self.url(),
                self.cfg.model,
                models.join(", ")
            )));
        }
        Ok(models)
    }

    /// Asks for a JSON answer conforming to `schema`; re-asks with the problems when it does not.
    pub fn chat_json(
        &self,
        messages: &[Message],
        name: &str,
        schema: &Value,
    ) -> Result<Answer, LlmError> {
        self.chat_json_sample(messages, name, schema, 0)
    }

    /// [`Self::chat_json`] for sample `sample`: sample 0 at temperature 0, later samples at
    /// [`ClientConfig::sample_temperature`] with the sample index as seed (for agreement).
    pub fn chat_json_sample(
        &self,
        messages: &[Message],
        name: &str,
        schema: &Value,
        sample: u32,
    ) -> Result<Answer, LlmError> {
        let mut convo = messages.to_vec();
        let mut problems = String::new();
        for round in 0..=self.cfg.max_invalid_answers {
            let (raw, pt, ct, finish) = self.send(&convo, name, schema, sample)?;
            let cut_off = finish.as_deref() == Some("length");
            let issues = match parse_json_answer(&raw) {
                Some(mut v) => {
                    let dropped = validate::coerce(schema, &mut v);
                    let errs = validate::check(schema, &v);
                    if errs.is_empty() {
                        self.count(|u| u.calls += 1);
                        return Ok(Answer {
                            value: v,
                            raw,
                            prompt_tokens: pt,
                            completion_tokens: ct,
                            dropped,
                        });
                    }
                    errs.join("; ")
                }
                None => "the answer is not a JSON object".to_string(),
            };
            if cut_off {
                return Err(LlmError::Truncated {
                    max_tokens: self.max_tokens_for(&convo, schema),
                    completion_tokens: ct,
                });
            }
            problems = issues;
            if round < self.cfg.max_invalid_answers {
                self.count(|u| u.reasks += 1);
                convo.push(Message::new("assistant", excerpt(&raw)));
                convo.push(Message::new(
                    "user",
                    format!(
                        "That answer is invalid: {problems}. Reply again with only one JSON object that conforms to the schema."
                    ),
                ));
            }
        }
        Err(LlmError::InvalidAnswer {
            tries: self.cfg.max_invalid_answers + 1,
            problems,
        })
    }
}

/// The schema without `pattern` keywords (checked locally instead).
pub(crate) fn without_patterns(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "pattern")
                .map(|(k, v)| (k.clone(), without_patterns(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_patterns).collect()),
        other => other.clone(),
    }
}

/// Parses an answer that should be one JSON object, tolerating code fences and text around it.
pub fn parse_json_answer(raw: &str) -> Option<Value> {
    let t = raw.trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    let start = t.find('{')?;
    let end = t.rfind('}')?;
    if end <= start {
        return None;
    }
    match serde_json::from_str::<Value>(&t[start..=end]) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn excerpt(s: &str) -> String {
    let t: String = s.chars().take(300).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn answers_in_fences_parse() {
        assert!(parse_json_answer("```json\n{\"a\":1}\n```").is_some());
        assert!(parse_json_answer("{\"a\":").is_none());
    }

    #[cfg(not(feature = "gguf"))]
    #[test]
    fn a_gguf_model_without_the_feature_says_how_to_rebuild() {
        let e = LlmClient::new(ClientConfig::gguf("/models/m.gguf"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("/models/m.gguf") && e.contains("--features gguf"),
            "{e}"
        );
    }

    #[test]
    fn a_second_sample_is_sampled_with_a_seed() {
        let c = match LlmClient::new(ClientConfig::new("http://127.0.0.1:1/v1", "m")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let msgs = [Message::new("user", "x")];
        let b0 = c.body(&msgs, "t", &json!({}), 0);
        let b1 = c.body(&msgs, "t", &json!({}), 1);
        assert_eq!(b0["temperature"], json!(0));
        assert!(b0.get("seed").is_none());
        assert!(b1["temperature"].as_f64().unwrap_or(0.0) > 0.0);
        assert_eq!(b1["seed"], json!(1));
    }

    #[test]
    fn api_key_is_hidden() {
        let mut c = ClientConfig::new("http://127.0.0.1:1/v1", "m");
        c.api_key = Some(ApiKey::new("sk-very-secret"));
        assert!(!format!("{c:?}").contains("sk-very"));
    }
}
