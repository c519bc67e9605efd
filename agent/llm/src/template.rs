//! Layout templates: for a tabular document the model is asked once per unseen layout which
//! column holds which record field (and whether it holds money out as positive numbers), and by
//! which printed label each header field is introduced. The mapping is stored under the layout
//! fingerprint and schema hash, and the deterministic reader below applies it to every page of
//! this and every later document of the layout: a 300-page statement costs one model call.

use crate::client::Message;
use crate::norm;
use crate::table::{Cell, Table};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// A column's role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnRole {
    /// 0-based column.
    pub column: usize,
    /// Record field it holds, or `none`.
    pub field: String,
    /// The column holds money out as positive numbers: negate for a signed amount.
    #[serde(default)]
    pub negate: bool,
}

/// A header field and the label printed before its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderField {
    /// Field name under `fields`.
    pub field: String,
    /// The printed label (`Account No.`, `户名`).
    pub label: String,
}

/// A learned mapping for one layout and schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Layout fingerprint (see [`crate::table`]).
    pub fingerprint: String,
    /// Hash of the schema it maps to.
    pub schema_sha256: String,
    /// The header labels it was learned from.
    pub header: Vec<String>,
    /// Column roles.
    pub columns: Vec<ColumnRole>,
    /// Header fields by label.
    pub header_fields: Vec<HeaderField>,
    /// The model that proposed it.
    pub model: String,
}

/// Templates stored as JSON files in a directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// A store in `dir` (created on first write).
    pub fn new(dir: &Path) -> Self {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, fingerprint: &str, schema: &str) -> PathBuf {
        let f = fingerprint.get(..24).unwrap_or(fingerprint);
        let s = schema.get(..12).unwrap_or(schema);
        self.dir.join(format!("{f}-{s}.json"))
    }

    /// The template of a layout for a schema, if learned.
    pub fn get(&self, fingerprint: &str, schema: &str) -> Option<Template> {
        let text = std::fs::read_to_string(self.path(fingerprint, schema)).ok()?;
        serde_json::from_str(&text)
            .ok()
            .filter(|t: &Template| t.fingerprint == fingerprint && t.schema_sha256 == schema)
    }

    /// Stores a template atomically.
    pub fn put(&self, t: &Template) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(&t.fingerprint, &t.schema_sha256);
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(t)?)?;
        std::fs::rename(&tmp, path)
    }
}

/// The property maps of a `{fields, records}` schema: `(fields, record item)`.
pub fn parts(schema: &Value) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let props = schema.get("properties")?;
    let records = props
        .pointer("/records/items/properties")?
        .as_object()?
        .clone();
    let fields = props
        .pointer("/fields/properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Some((fields, records))
}

/// The schema of the model's mapping answer.
pub fn answer_schema(fields: &Map<String, Value>, records: &Map<String, Value>) -> Value {
    let mut rnames: Vec<Value> = records.keys().map(|k| json!(k)).collect();
    rnames.push(json!("none"));
    let fnames: Vec<Value> = fields.keys().map(|k| json!(k)).collect();
    json!({
        "type": "object",
        "required": ["columns", "header_fields"],
        "properties": {
            "columns": {"type": "array", "items": {
                "type": "object",
                "required": ["column", "field", "negate"],
                "properties": {
                    "column": {"type": "integer"},
                    "field": {"type": "string", "enum": rnames},
                    "negate": {"type": "boolean"}
                }
            }},
            "header_fields": {"type": "array", "items": {
                "type": "object",
                "required": ["field", "label"],
                "properties": {
                    "field": {"type": "string", "enum": fnames},
                    "label": {"type": "string"}
                }
            }}
        }
    })
}

fn describe(props: &Map<String, Value>) -> String {
    props
        .iter()
        .map(|(k, v)| {
            let d = v.get("description").and_then(Value::as_str).unwrap_or("");
            format!("- {k}: {d}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The mapping request: header, three sample rows and the text outside the table, every cell
/// passed through `redact`.
pub fn messages(
    table: &Table,
    fields: &Map<String, Value>,
    records: &Map<String, Value>,
    redact: &mut dyn FnMut(&str) -> String,
) -> Vec<Message> {
    let header: Vec<String> = table
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| format!("{i}: {}", redact(h)))
        .collect();
    let samples: Vec<String> = table
        .rows
        .iter()
        .take(3)
        .map(|r| {
            r.iter()
                .map(|c| redact(&c.text))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let outside: Vec<String> = table
        .outside
        .iter()
        .take(20)
        .map(|l| {
            l.iter()
                .map(|c| redact(&c.text))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    vec![
        Message::new(
            "system",
            "You map the columns of a table and the labelled values around it to the fields of a schema. Answer with JSON only.",
        ),
        Message::new(
            "user",
            format!(
                "Table columns:\n{}\n\nFirst rows (cells separated by ` | `):\n{}\n\nText around the table:\n{}\n\nRecord fields (one per row):\n{}\n\nHeader fields (once per document):\n{}\n\nFor every column give the record field it holds (`none` if no field fits) and `negate`: true when it holds money going out printed as positive numbers (a debit / withdrawal / 支出 column) while the field is a signed amount. For every header field that is printed in the text around the table, give the label printed just before its value, copied exactly.",
                header.join("\n"),
                samples.join("\n"),
                outside.join("\n"),
                describe(records),
                describe(fields)
            ),
        ),
    ]
}

/// What kind of value a schema property holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Money,
    Date,
    Time,
    Text,
}

fn kind(prop: &Value) -> Kind {
    let types = prop.get("type").map(|t| t.to_string()).unwrap_or_default();
    if prop.get("format").and_then(Value::as_str) == Some("date") {
        return Kind::Date;
    }
    let pattern = prop.get("pattern").and_then(Value::as_str).unwrap_or("");
    if pattern.contains(":[0-9]") {
        return Kind::Time;
    }
    if pattern.contains("[0-9]+(\\.") || types.contains("number") {
        return Kind::Money;
    }
    Kind::Text
}

/// Converts a cell's text to the property's kind; `None` when it does not read as one.
fn convert(text: &str, prop: &Value, negate: bool) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let number = prop
        .get("type")
        .map(|x| x.to_string().contains("number"))
        .unwrap_or(false);
    match kind(prop) {
        Kind::Money => {
            let v = *norm::amount_candidates(t).first()?;
            let v = if negate { -v } else { v };
            Some(if number {
                serde_json::from_str(&v.to_string()).ok()?
            } else {
                json!(v.to_string())
            })
        }
        Kind::Date => {
            let parts: Vec<&str> = t.split_whitespace().collect();
            let d = norm::value_date(t).or_else(|| norm::value_date(parts.first()?))?;
            Some(json!(d.format("%Y-%m-%d").to_string()))
        }
        Kind::Time => {
            let last = t.split_whitespace().last()?;
            let ok = last.len() == 8 && last.chars().filter(|c| *c == ':').count() == 2;
            ok.then(|| json!(last))
        }
        Kind::Text => Some(json!(t)),
    }
}

/// Applies a template to a table: the records and the header fields.
pub fn apply(
    t: &Template,
    table: &Table,
    fields: &Map<String, Value>,
    records: &Map<String, Value>,
) -> (Map<String, Value>, Vec<Value>) {
    let mut out_rows = Vec::new();
    for row in &table.rows {
        let mut rec: Map<String, Value> =
            records.keys().map(|k| (k.clone(), Value::Null)).collect();
        let mut any = false;
        for role in &t.columns {
            let (Some(prop), Some(cell)) = (records.get(&role.field), row.get(role.column)) else {
                continue;
            };
            if !rec.get(&role.field).is_some_and(Value::is_null) {
                continue;
            }
            if let Some(v) = convert(&cell.text, prop, role.negate) {
                rec.insert(role.field.clone(), v);
                any = true;
            }
        }
        // A row missing a required, non-nullable value is not a record (a totals line).
        let complete = records.iter().all(|(k, p)| {
            let nullable = p
                .get("type")
                .map(|x| x.to_string().contains("null"))
                .unwrap_or(true);
            nullable || !rec.get(k).is_some_and(Value::is_null)
        });
        if any && complete {
            for (k, p) in records {
                if rec.get(k).is_some_and(Value::is_null)
                    && p.get("type").and_then(Value::as_str) == Some("string")
                {
                    rec.insert(k.clone(), json!(""));
                }
            }
            out_rows.push(Value::Object(rec));
        }
    }
    let mut out_fields: Map<String, Value> =
        fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    for hf in &t.header_fields {
        let Some(prop) = fields.get(&hf.field) else {
            continue;
        };
        if let Some(text) = labelled_value(&table.outside, &hf.label)
            && let Some(v) = convert(&text, prop, false)
        {
            out_fields.insert(hf.field.clone(), v);
        }
    }
    (out_fields, out_rows)
}

/// The text printed after `label` on its line (same cell after the label, else the next cell).
fn labelled_value(lines: &[Vec<Cell>], label: &str) -> Option<String> {
    let want = norm::squash(label);
    if want.is_empty() {
        return None;
    }
    for line in lines {
        for (i, cell) in line.iter().enumerate() {
            let sq = norm::squash(&cell.text);
            if !sq.contains(&want) {
                continue;
            }
            let lower = cell.text.to_lowercase();
            let after = lower
                .find(&label.to_lowercase())
                .and_then(|p| cell.text.get(p + label.len()..))
                .map(str::to_string)
                .unwrap_or_default();
            let after = after
                .trim()
                .trim_start_matches([':', '：'])
                .trim()
                .to_string();
            if !after.is_empty() {
                return Some(after);
            }
            if let Some(next) = line.get(i + 1) {
                return Some(
                    next.text
                        .trim()
                        .trim_start_matches([':', '：'])
                        .trim()
                        .to_string(),
                );
            }
        }
    }
    None
}
