//! The document pipeline shared by `docket extract` and the runner: digitise a file, extract it to
//! a schema, and classify the outcome. It reads the file and nothing else; writing is the caller's.

use crate::failure::Failure;
use docket_core::{ErrorCode, Extraction};
use docket_documents::{DigitiseOptions, digitise};
use docket_extract::SchemaRef;
use std::path::Path;

/// Resolves `--schema` / a workflow's `schema:` into a schema reference: a built-in name or a
/// JSON Schema file.
pub fn resolve_schema(name_or_path: &str) -> Result<SchemaRef, Failure> {
    if name_or_path == "bank_statement" {
        return Ok(SchemaRef::BankStatement);
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                ErrorCode::UnknownSchema,
                format!("{name_or_path}: cannot read schema file: {e}"),
            )
        })?;
        let schema: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                ErrorCode::UnknownSchema,
                format!(
                    "{name_or_path}: not valid JSON Schema (JSON error at line {}, column {}: {e})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if !schema.is_object() {
            return Err(Failure::new(
                ErrorCode::UnknownSchema,
                format!("{name_or_path}: a JSON Schema must be a JSON object"),
            ));
        }
        return Ok(SchemaRef::Custom {
            path: name_or_path.to_string(),
            schema,
        });
    }
    let known: Vec<&str> = docket_extract::builtin_schemas()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Err(Failure::new(
        ErrorCode::UnknownSchema,
        format!(
            "schema '{name_or_path}' is neither a built-in schema ({}) nor an existing JSON Schema file",
            known.join(", ")
        ),
    ))
}

/// Digitises and extracts one file.
pub fn process(
    path: &Path,
    schema: &SchemaRef,
    opts: &DigitiseOptions,
) -> Result<Extraction, Failure> {
    let doc = digitise(path, opts).map_err(|e| Failure::new(e.code, e.message))?;
    docket_extract::extract(&doc, schema).map_err(|e| {
        let message = if e.message.starts_with(&doc.source.path) {
            e.message
        } else {
            format!("{}: {}", doc.source.path, e.message)
        };
        Failure::new(e.code, message)
    })
}
