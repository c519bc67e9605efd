//! The LLM extractor: redact, ask (through the cache), restore, verify every value against the
//! document, score each field, and produce the same [`Extraction`] shape as the deterministic
//! reader. Tabular documents go through layout templates (one call per unseen layout); others
//! are sent whole, in chunks of pages when long — twice when two samples are configured, and a
//! field whose two answers disagree gets a lower confidence.

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
    /// Extra answers asked for agreement (`samples = 2`), cached or not.
    pub extra_samples: u64,
    /// Grounded values whose two samples disagreed (confidence lowered to send them to review).
    pub disagreements: u64,
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

    /// True when the model runs in-process (a GGUF file) rather than behind an endpoint.
    pub fn in_process(&self) -> bool {
        self.client.in_process()
    }

    /// [`LlmClient::probe`]: whether the endpoint answers and serves the model.
    pub fn probe(&self, timeout: std::time::Duration) -> Result<Vec<String>, LlmError> {
        self.client.probe(timeout)
    }

    /// The GGUF file of an in-process model.
    pub fn gguf_path(&self) -> Option<&std::path::Path> {
        self.settings.client.gguf.as_deref()
    }

    /// Answers asked per document (1 or 2).
    pub fn samples(&self) -> u32 {
        self.settings.samples
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

    /// Asks the model (or the cache) for sample `sample` of an answer to `schema` (0: the
    /// deterministic one; 1: the extra sample for agreement).
    fn ask(
        &self,
        purpose: &str,
        messages: &[Message],
        schema: &Value,
        sample: u32,
    ) -> Result<Value, LlmError> {
        let prompt_bytes = serde_json::to_vec(messages).unwrap_or_default();
        let prompt_hash = sha256_hex(&prompt_bytes);
        let schema_hash = sha256_hex(&serde_json::to_vec(schema).unwrap_or_default());
        let key = cache::sample_key(self.model(), &prompt_hash, &schema_hash, sample);
        let logged_purpose = if sample == 0 {
            purpose.to_string()
        } else {
            format!("{purpose}:sample{sample}")
        };
        let purpose = logged_purpose.as_str();
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
        let answer = self
            .client
            .chat_json_sample(messages, purpose, schema, sample)?;
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
        let answer = self.ask("template", &msgs, &schema, 0)?;
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

    /// Sends the document (in chunks of pages when long) and merges the answers; with two
    /// samples configured, also the merged second sample.
    fn direct(
        &self,
        doc: &Document,
        name: &str,
        schema: &Value,
        redactor: &mut Redactor,
    ) -> Result<(Value, Option<Value>), LlmError> {
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
        let mut second = (self.settings.samples > 1).then_some(Value::Null);
        for chunk in &chunks {
            let msgs = prompt::extraction_messages(name, schema, chunk);
            let mut answer = self.ask("extract", &msgs, &answer_schema, 0)?;
            let mut data = answer["data"].take();
            redactor.restore(&mut data);
            merge(&mut merged, data);
            if let Some(into) = &mut second {
                let mut answer = self.ask("extract", &msgs, &answer_schema, 1)?;
                let mut data = answer["data"].take();
                redactor.restore(&mut data);
                merge(into, data);
                self.count(|s| s.extra_samples += 1);
            }
        }
        self.count(|s| s.direct += 1);
        Ok((merged, second))
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
        // The second sample's answer, when two are configured (direct extraction only: a
        // template read is deterministic).
        let mut second: Option<Value> = None;
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
                let (v, other) = self.direct(doc, name, schema, &mut redactor)?;
                let (f, r) = split(v);
                second = other.map(|o| {
                    let (f2, r2) = split(o);
                    serde_json::json!({ "fields": f2, "records": r2 })
                });
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
        let first = second
            .as_ref()
            .map(|_| serde_json::json!({ "fields": fields.clone(), "records": records.clone() }));
        let mut provenance = BTreeMap::new();
        let mut low = Vec::new();
        let mut ungrounded = Vec::new();
        let mut disagreements = 0u64;
        for v in verdicts {
            for (path, f) in v.found {
                // Agreement of the two samples: 1.0 when they give the same value, 0.5 when
                // they do not (or the second has none).
                let samples = match (&first, &second) {
                    (Some(a), Some(b)) => {
                        let same = matches!((at_path(a, &path), at_path(b, &path)), (Some(x), Some(y)) if samples_agree(x, y));
                        if !same {
                            disagreements += 1;
                        }
                        Some(if same { 1.0 } else { 0.5 })
                    }
                    _ => None,
                };
                let base = samples.unwrap_or(agreement);
                let agree = match (&layout, path.strip_prefix("fields.")) {
                    (Some(l), Some(k)) => match l.fields.get(k) {
                        Some(Value::Null) | None => base,
                        Some(lv) => {
                            let reader = if same_value(lv, fields.get(k).unwrap_or(&Value::Null)) {
                                1.0
                            } else {
                                0.5
                            };
                            f32::min(reader, samples.unwrap_or(1.0))
                        }
                    },
                    _ => base,
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
            s.disagreements += disagreements;
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

/// The value at a verifier path (`fields.amount`, `records[2].date`, `fields.lines[0].name`).
fn at_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = root;
    for part in path.split('.') {
        let mut pieces = part.split('[');
        let key = pieces.next()?;
        if !key.is_empty() {
            v = v.get(key)?;
        }
        for idx in pieces {
            v = v.get(idx.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(v)
}

/// Text compared modulo case, whitespace and light punctuation (as the verifier reads text).
fn loose(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Two samples agree: [`same_value`], or the same text modulo case, spaces and punctuation
/// when neither is an amount (amounts compare by value only: `12.00` is not `1200`).
fn samples_agree(a: &Value, b: &Value) -> bool {
    if same_value(a, b) {
        return true;
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => {
            crate::norm::value_amount(x).is_none()
                && crate::norm::value_amount(y).is_none()
                && !loose(x).is_empty()
                && loose(x) == loose(y)
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_of_the_verifier_find_their_values() {
        let v = json!({"fields": {"amount": "1.00", "lines": [{"name": "a"}, {"name": "b"}]},
                       "records": [{"date": "2026-03-01"}, {"date": "2026-03-02"}]});
        assert_eq!(at_path(&v, "fields.amount"), Some(&json!("1.00")));
        assert_eq!(at_path(&v, "fields.lines[1].name"), Some(&json!("b")));
        assert_eq!(at_path(&v, "records[1].date"), Some(&json!("2026-03-02")));
        assert_eq!(at_path(&v, "records[5].date"), None);
        assert_eq!(at_path(&v, "fields.missing"), None);
    }

    #[test]
    fn samples_agree_by_meaning_not_by_spelling() {
        let agree = |a: Value, b: Value| samples_agree(&a, &b);
        assert!(agree(json!("12000.00"), json!("12,000.00")));
        assert!(agree(json!("12000.00"), json!(12000)));
        assert!(agree(
            json!("Shanghai Widget Co. Ltd"),
            json!("shanghai widget co ltd")
        ));
        assert!(!agree(json!("12.00"), json!("1200")));
        assert!(!agree(json!("12000.00"), json!("1200.00")));
        assert!(!agree(
            json!("Invoice 889 settlement"),
            json!("TRANSFER SLIP")
        ));
        assert!(!agree(json!("a"), Value::Null));
    }
}
