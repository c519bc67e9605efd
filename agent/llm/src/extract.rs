//! The LLM extractor: redact, ask (through the cache), restore, verify every value against the
//! document, score each field, and produce the same [`Extraction`] shape as the deterministic
//! reader. Tabular documents go through layout templates (one call per unseen layout); others
//! are sent whole, in chunks of pages when long.

use crate::cache::{self, Cache};
use crate::client::{LlmClient, LlmError, Message, Usage};
use crate::config::LlmSettings;
use crate::grounding::{self, Index};
use crate::promptlog::{Entry, PromptLog};
use crate::redact::{RedactOptions, Redactor};
use crate::template::{self, Template};
use crate::{prompt, table};
use docket_core::hash::sha256_hex;
use docket_core::statement::ExtractionSource;
use docket_core::{Check, CheckStatus, Document, Extraction};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// What the extractor did over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Documents extracted.
    pub documents: u64,
    /// Answers taken from the response cache.
    pub cache_hits: u64,
    /// Documents read with an already known layout template (no model call).
    pub template_hits: u64,
    /// Templates learned (one model call each).
    pub templates_learned: u64,
    /// Documents sent to the model directly (whole or in chunks).
    pub direct: u64,
    /// Values dropped because they were not found in their document.
    pub ungrounded: u64,
    /// Values set to null because they broke their schema's pattern or format beyond repair.
    pub schema_dropped: u64,
}

/// Fills any JSON Schema from documents with a model, grounded and redacted.
#[derive(Debug)]
pub struct LlmExtractor {
    settings: LlmSettings,
    client: LlmClient,
    cache: Option<Cache>,
    store: Option<template::Store>,
    learned: Mutex<HashMap<(String, String), Template>>,
    log: Option<PromptLog>,
    stats: Mutex<Stats>,
}

impl LlmExtractor {
    /// An extractor for `settings` (checks that `--no-redact` targets a loopback endpoint).
    pub fn new(settings: LlmSettings) -> Result<Self, LlmError> {
        settings.check().map_err(LlmError::Config)?;
        let client = LlmClient::new(settings.client.clone())?;
        Ok(LlmExtractor {
            cache: settings.cache_dir.as_deref().map(Cache::new),
            store: settings.templates_dir.as_deref().map(template::Store::new),
            log: settings.prompt_log.as_deref().map(PromptLog::new),
            learned: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            client,
            settings,
        })
    }

    /// The model name.
    pub fn model(&self) -> &str {
        &self.settings.client.model
    }

    /// Token and request counts so far.
    pub fn usage(&self) -> Usage {
        self.client.usage()
    }

    /// Cache, template and grounding counts so far.
    pub fn stats(&self) -> Stats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Asks the model (or the cache) for an answer to `schema`.
    fn ask(&self, purpose: &str, messages: &[Message], schema: &Value) -> Result<Value, LlmError> {
        let prompt_bytes = serde_json::to_vec(messages).unwrap_or_default();
        let prompt_hash = sha256_hex(&prompt_bytes);
        let schema_hash = sha256_hex(&serde_json::to_vec(schema).unwrap_or_default());
        let key = cache::key(self.model(), &prompt_hash, &schema_hash);
        let logged_prompt = (!self.settings.no_redact).then(|| {
            messages
                .iter()
                .map(|m| format!("[{}]\n{}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n")
        });
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(&key)) {
            self.count(|s| s.cache_hits += 1);
            self.log_entry(
                purpose,
                &prompt_hash,
                &schema_hash,
                &hit,
                logged_prompt,
                true,
                0,
                0,
            );
            return Ok(hit);
        }
        let answer = self.client.chat_json(messages, purpose, schema)?;
        if !answer.dropped.is_empty() {
            let n = answer.dropped.len() as u64;
            self.count(|s| s.schema_dropped += n);
            tracing::warn!(paths = ?answer.dropped, "values that broke their schema pattern or format were set to null");
        }
        if let Some(c) = &self.cache
            && let Err(e) = c.put(&key, &answer.value)
        {
            tracing::warn!("cannot write the LLM response cache: {e}");
        }
        self.log_entry(
            purpose,
            &prompt_hash,
            &schema_hash,
            &answer.value,
            logged_prompt,
            false,
            answer.prompt_tokens,
            answer.completion_tokens,
        );
        Ok(answer.value)
    }

    #[allow(clippy::too_many_arguments)]
    fn log_entry(
        &self,
        purpose: &str,
        prompt_hash: &str,
        schema_hash: &str,
        answer: &Value,
        redacted_prompt: Option<String>,
        cached: bool,
        pt: u64,
        ct: u64,
    ) {
        let Some(log) = &self.log else { return };
        let e = Entry {
            model: self.model().to_string(),
            purpose: purpose.to_string(),
            prompt_sha256: prompt_hash.to_string(),
            schema_sha256: schema_hash.to_string(),
            answer_sha256: sha256_hex(&serde_json::to_vec(answer).unwrap_or_default()),
            redacted_prompt,
            cached,
            prompt_tokens: pt,
            completion_tokens: ct,
        };
        if let Err(err) = log.write(&e) {
            tracing::warn!("cannot write the prompt log: {err}");
        }
    }

    /// The template of a layout: stored, learned in this run, or asked for now.
    fn template(
        &self,
        tbl: &table::Table,
        schema_hash: &str,
        fields: &Map<String, Value>,
        records: &Map<String, Value>,
        redactor: &mut Redactor,
    ) -> Result<Template, LlmError> {
        let key = (tbl.fingerprint.clone(), schema_hash.to_string());
        let known = self
            .learned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
            .or_else(|| self.store.as_ref().and_then(|s| s.get(&key.0, &key.1)));
        if let Some(t) = known {
            self.count(|s| s.template_hits += 1);
            return Ok(t);
        }
        let no_redact = self.settings.no_redact;
        let mut redact = |t: &str| {
            if no_redact {
                t.to_string()
            } else {
                redactor.redact(t)
            }
        };
        let msgs = template::messages(tbl, fields, records, &mut redact);
        let schema = template::answer_schema(fields, records);
        let answer = self.ask("template", &msgs, &schema)?;
        let mut t: Template = Template {
            fingerprint: key.0.clone(),
            schema_sha256: key.1.clone(),
            header: tbl.header.clone(),
            columns: serde_json::from_value(answer["columns"].clone()).unwrap_or_default(),
            header_fields: serde_json::from_value(answer["header_fields"].clone())
                .unwrap_or_default(),
            model: self.model().to_string(),
        };
        for hf in &mut t.header_fields {
            hf.label = redactor.restore_text(&hf.label);
        }
        t.columns
            .retain(|c| c.column < tbl.header.len() && c.field != "none");
        self.count(|s| s.templates_learned += 1);
        if let Some(s) = &self.store
            && let Err(e) = s.put(&t)
        {
            tracing::warn!("cannot store the layout template: {e}");
        }
        self.learned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, t.clone());
        Ok(t)
    }

    /// Sends the document (in chunks of pages when long) and merges the answers.
    fn direct(
        &self,
        doc: &Document,
        name: &str,
        schema: &Value,
        redactor: &mut Redactor,
    ) -> Result<Value, LlmError> {
        let pages = prompt::document_pages(doc);
        let mut chunks: Vec<String> = Vec::new();
        for (_, text) in pages {
            let text = if self.settings.no_redact {
                text
            } else {
                redactor.redact(&text)
            };
            match chunks.last_mut() {
                Some(c) if c.len() + text.len() <= self.settings.max_prompt_chars => {
                    c.push('\n');
                    c.push_str(&text);
                }
                _ => chunks.push(text),
            }
        }
        let answer_schema = prompt::answer_schema(schema);
        let mut merged = Value::Null;
        for chunk in &chunks {
            let msgs = prompt::extraction_messages(name, schema, chunk);
            let mut answer = self.ask("extract", &msgs, &answer_schema)?;
            let mut data = answer["data"].take();
            redactor.restore(&mut data);
            merge(&mut merged, data);
        }
        self.count(|s| s.direct += 1);
        Ok(merged)
    }

    /// Extracts `doc` to the schema `schema` named `name`.
    pub fn extract(
        &self,
        doc: &Document,
        name: &str,
        schema: &Value,
    ) -> Result<Extraction, LlmError> {
        let mut redactor = Redactor::new(&RedactOptions {
            names: self.settings.redact_names.clone(),
        });
        let schema_hash = sha256_hex(&serde_json::to_vec(schema).unwrap_or_default());
        let tabular = self
            .settings
            .templates
            .then(|| template::parts(schema))
            .flatten()
            .and_then(|p| table::find(doc, 3).map(|t| (p, t)));
        let (mut fields, mut records, extractor, agreement) = match tabular {
            Some(((fprops, rprops), tbl)) => {
                let t = self.template(&tbl, &schema_hash, &fprops, &rprops, &mut redactor)?;
                let (f, r) = template::apply(&t, &tbl, &fprops, &rprops);
                let fp = t.fingerprint.get(..12).unwrap_or("").to_string();
                (
                    Value::Object(f),
                    r,
                    format!("template:{fp}:{}", self.model()),
                    1.0,
                )
            }
            None => {
                let v = self.direct(doc, name, schema, &mut redactor)?;
                let (f, r) = split(v);
                (f, r, format!("llm:{}", self.model()), 0.9)
            }
        };
        // Agreement with the deterministic reader, where one exists for the schema.
        let layout = (name == "bank_statement")
            .then(|| docket_extract::extract_bank_statement(doc).ok())
            .flatten();

        let index = Index::new(doc);
        let mut verdicts = vec![grounding::verify(&index, &mut fields, "fields")];
        for (i, r) in records.iter_mut().enumerate() {
            verdicts.push(grounding::verify(&index, r, &format!("records[{i}]")));
        }
        let mut provenance = BTreeMap::new();
        let mut low = Vec::new();
        let mut ungrounded = Vec::new();
        for v in verdicts {
            for (path, f) in v.found {
                let agree = match (&layout, path.strip_prefix("fields.")) {
                    (Some(l), Some(k)) => match l.fields.get(k) {
                        Some(Value::Null) | None => agreement,
                        Some(lv) => {
                            if same_value(lv, fields.get(k).unwrap_or(&Value::Null)) {
                                1.0
                            } else {
                                0.5
                            }
                        }
                    },
                    _ => agreement,
                };
                let conf = (f.ocr_confidence * f.quality * agree).clamp(0.0, 1.0);
                if conf < self.settings.review_threshold {
                    low.push(format!("{path} ({conf:.2})"));
                }
                provenance.insert(path, grounding::provenance(&f, &extractor, conf));
            }
            ungrounded.extend(v.ungrounded);
        }
        let n_ungrounded = ungrounded.len() as u64;
        self.count(|s| {
            s.documents += 1;
            s.ungrounded += n_ungrounded;
        });
        let mut checks = vec![if ungrounded.is_empty() {
            Check {
                name: "grounding".into(),
                status: CheckStatus::Pass,
                message: format!("all {} values were found in the document", provenance.len()),
                records: vec![],
            }
        } else {
            Check {
                name: "grounding".into(),
                status: CheckStatus::Fail,
                message: format!(
                    "{} value(s) the model returned are not in the document and were set to null: {}",
                    ungrounded.len(),
                    ungrounded
                        .iter()
                        .take(20)
                        .map(|u| format!("{} = {}", u.path, short(&u.value)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                records: record_indexes(ungrounded.iter().map(|u| u.path.as_str())),
            }
        }];
        checks.push(if low.is_empty() {
            Check {
                name: "confidence".into(),
                status: CheckStatus::Pass,
                message: format!(
                    "every value has confidence ≥ {:.2}",
                    self.settings.review_threshold
                ),
                records: vec![],
            }
        } else {
            Check {
                name: "confidence".into(),
                status: CheckStatus::Fail,
                message: format!(
                    "{} value(s) below the review threshold {:.2}: {}",
                    low.len(),
                    self.settings.review_threshold,
                    low.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
                ),
                records: record_indexes(low.iter().map(String::as_str)),
            }
        });
        let needs_review = checks.iter().any(|c| c.status == CheckStatus::Fail);
        Ok(Extraction {
            source: ExtractionSource {
                path: doc.source.path.clone(),
                sha256: doc.source.sha256.clone(),
                pages: doc.page_count(),
            },
            schema: name.to_string(),
            fields,
            records,
            checks,
            provenance,
            needs_review,
        })
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn record_indexes<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut out: Vec<usize> = paths
        .filter_map(|p| p.strip_prefix("records[")?.split(']').next()?.parse().ok())
        .collect();
    out.dedup();
    out
}

/// Equal values, comparing amounts and dates by meaning.
fn same_value(a: &Value, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match (text(a), text(b)) {
        (Some(x), Some(y)) => {
            x == y
                || matches!((crate::norm::value_amount(&x), crate::norm::value_amount(&y)), (Some(p), Some(q)) if p == q)
        }
        _ => a == b,
    }
}

/// Splits an answer into `fields` and `records`.
pub fn split(v: Value) -> (Value, Vec<Value>) {
    match v {
        Value::Object(mut m) => {
            let records = match m.remove("records") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            let fields = match m.remove("fields") {
                Some(f @ Value::Object(_)) => f,
                Some(other) => {
                    m.insert("fields".into(), other);
                    Value::Object(m)
                }
                None => Value::Object(m),
            };
            (fields, records)
        }
        other => (other, Vec::new()),
    }
}

/// Merges the answer for a later chunk: first non-null value wins, arrays concatenate.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (slot @ Value::Null, v) => *slot = v,
        _ => {}
    }
}
