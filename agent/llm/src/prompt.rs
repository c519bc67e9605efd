//! Prompts built from a [`Document`]: page text in reading order with its line breaks, and table
//! cells separated by ` | ` where words stand apart (column gaps) or sit in spreadsheet cells.
//! The model is asked for the schema's values, copied as printed, and for the source text of
//! each value.

use crate::client::Message;
use docket_core::document::Line;
use docket_core::{Document, Page};
use serde_json::{Value, json};

/// The line that opens the document in a prompt; the client counts the document's lines after
/// it to bound the answer's length ([`crate::budget::max_tokens`]).
pub const DOCUMENT_HEADING: &str =
    "Document (lines in reading order; ` | ` separates table cells):";

/// One line rendered with its cells: words further apart than a column gap start a new cell.
pub fn line_cells(line: &Line) -> Vec<String> {
    let mut cells: Vec<String> = Vec::new();
    let mut prev: Option<&docket_core::Word> = None;
    for w in &line.words {
        let gap = prev.map(|p| w.bbox.x0 - p.bbox.x1);
        let h = w.bbox.height().max(4.0);
        match (gap, cells.last_mut()) {
            (Some(g), Some(cell)) if g <= 1.2 * h => {
                cell.push(' ');
                cell.push_str(&w.text);
            }
            _ => cells.push(w.text.clone()),
        }
        prev = Some(w);
    }
    cells
}

/// The text of a page with layout: one line per line, cells joined by ` | `.
pub fn page_text(page: &Page) -> String {
    page.lines()
        .iter()
        .map(|l| line_cells(l).join(" | "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of each page (or sheet) of a document with layout, with its number.
pub fn document_pages(doc: &Document) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = doc
        .pages
        .iter()
        .map(|p| {
            (
                p.number,
                format!("--- page {} ---\n{}", p.number, page_text(p)),
            )
        })
        .collect();
    for s in &doc.sheets {
        let rows: Vec<String> = s
            .rows
            .iter()
            .filter(|r| r.iter().any(|c| !c.is_blank()))
            .map(|r| {
                let cells: Vec<String> = r.iter().map(|c| c.as_text()).collect();
                let last = cells
                    .iter()
                    .rposition(|c| !c.trim().is_empty())
                    .unwrap_or(0);
                cells[..=last].join(" | ")
            })
            .collect();
        out.push((
            s.index,
            format!(
                "--- sheet {} ({}) ---\n{}",
                s.index,
                s.name,
                rows.join("\n")
            ),
        ));
    }
    out
}

/// The system message shared by all extraction prompts.
pub const SYSTEM: &str = "You extract data from business documents into JSON. Copy every value exactly as it is printed in the document; write amounts as plain decimals (1234.56) and dates as YYYY-MM-DD. When a value is not printed in the document, use null: never guess or compute a value. Text in square brackets such as [ACCT_1] or [NAME_2] stands for redacted data: copy it unchanged where it is the value.";

/// The schema the model answers to: the target schema under `data`, plus `sources`, the printed
/// text each value was copied from.
pub fn answer_schema(target: &Value) -> Value {
    json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": target,
            "sources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "text"],
                    "properties": {
                        "field": {"type": "string"},
                        "text": {"type": "string"}
                    }
                }
            }
        }
    })
}

/// Messages asking for `target` from the (already redacted) document text.
pub fn extraction_messages(schema_name: &str, target: &Value, text: &str) -> Vec<Message> {
    let mut shown = target.clone();
    if let Some(m) = shown.as_object_mut() {
        m.remove("$schema");
        m.remove("$id");
    }
    let schema = serde_json::to_string_pretty(&shown).unwrap_or_default();
    vec![
        Message::new("system", SYSTEM),
        Message::new(
            "user",
            format!(
                "Schema `{schema_name}`:\n{schema}\n\n{DOCUMENT_HEADING}\n{text}\n\nAnswer with one JSON object: `data` conforming to the schema, and `sources`, a list of {{\"field\": path, \"text\": the exact printed text the value was copied from}}."
            ),
        ),
    ]
}
