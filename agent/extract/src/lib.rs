//! Turns Docket documents into schema records: the deterministic bank-statement reader (page
//! layouts and spreadsheets, English and Chinese vocabularies) and the arithmetic checks that
//! decide whether a person must look. Pure: no I/O, no clock, no floats for money; the same
//! document always gives the same extraction.

pub mod checks;
pub mod fields;
pub mod layout;
pub mod parse;
pub mod schema;
pub mod sheet;
pub mod table;
pub mod vocab;

use docket_core::statement::ExtractionSource;
use docket_core::{CheckStatus, Document, ErrorCode, Extraction};
use parse::DateOrder;
use table::{Piece, RowIn};
use vocab::Role;

pub use schema::builtin_schemas;

/// Which schema to extract.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaRef {
    /// The built-in `bank_statement` schema, read by the deterministic reader.
    BankStatement,
    /// A user JSON Schema (filled by the LLM step, which is not part of this crate).
    Custom {
        /// Path of the schema file as given.
        path: String,
        /// The schema.
        schema: serde_json::Value,
    },
}

/// Why a document could not be extracted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ExtractError {
    /// Stable code.
    pub code: ErrorCode,
    /// What went wrong and what to do, naming the file.
    pub message: String,
}

/// Extracts `doc` to `schema`.
pub fn extract(doc: &Document, schema: &SchemaRef) -> Result<Extraction, ExtractError> {
    match schema {
        SchemaRef::BankStatement => extract_bank_statement(doc),
        SchemaRef::Custom { path, .. } => Err(ExtractError {
            code: ErrorCode::NoReaderForSchema,
            message: format!(
                "{}: schema {path} is a custom JSON Schema; only the LLM extraction step fills custom schemas. Configure an LLM endpoint or use --schema bank_statement",
                doc.source.path
            ),
        }),
    }
}

/// A table area from either reader.
struct Area {
    roles: Vec<Role>,
    rows: Vec<RowIn>,
    row_pieces: Vec<Vec<Piece>>,
}

/// Reads a bank statement: header fields, transactions, provenance and checks.
pub fn extract_bank_statement(doc: &Document) -> Result<Extraction, ExtractError> {
    let from_pages = !doc.pages.is_empty();
    let extractor = if from_pages { "layout" } else { "sheet" };
    let (areas, outside): (Vec<Area>, Vec<Vec<Piece>>) = if from_pages {
        let (a, o) = layout::areas(doc);
        let a = a
            .into_iter()
            .map(|a| Area {
                roles: a.roles,
                rows: a.rows,
                row_pieces: a.row_pieces,
            })
            .collect();
        (a, o)
    } else {
        let (a, o) = sheet::areas(doc);
        let a = a
            .into_iter()
            .map(|a| Area {
                roles: a.roles,
                rows: a.rows,
                row_pieces: a.row_pieces,
            })
            .collect();
        (a, o)
    };
    if areas.is_empty() {
        return Err(ExtractError {
            code: ErrorCode::NoStatementFound,
            message: format!(
                "{}: no transaction table found in {} {}: looked for a header row with a date column (Date, Transaction Date, 日期, 交易日期, 记账日期, 交易时间 …) and an amount column (Debit/Credit, Paid In/Paid Out, Amount, 收入/支出, 借方/贷方发生额, 金额 …)",
                doc.source.path,
                doc.page_count(),
                if from_pages { "page(s)" } else { "sheet(s)" }
            ),
        });
    }
    let to_segments = |lines: &[Vec<Piece>]| -> Vec<Vec<Piece>> {
        if from_pages {
            lines.iter().flat_map(|l| layout::segments(l)).collect()
        } else {
            lines.iter().flatten().map(|p| vec![p.clone()]).collect()
        }
    };

    // Date order first: it is a property of the document, not of one row.
    let date_texts: Vec<String> = areas
        .iter()
        .flat_map(|a| {
            let dc = a.roles.iter().position(|r| *r == Role::Date);
            a.rows
                .iter()
                .filter_map(move |r| dc.map(|c| table::cell_text(&r.cells[c])))
        })
        .collect();
    let mut found = fields::Found::default();
    found.read(&to_segments(&outside), DateOrder::DayFirst, extractor);
    let default_order = if found.fields.currency.as_deref() == Some("USD") {
        DateOrder::MonthFirst
    } else {
        DateOrder::DayFirst
    };
    let order = parse::detect_order(date_texts.iter().map(String::as_str), default_order);
    if order != DateOrder::DayFirst {
        found = fields::Found::default();
        found.read(&to_segments(&outside), order, extractor);
    }

    let mut records = Vec::new();
    let mut totals = Vec::new();
    let mut opening = None;
    let mut leftovers = Vec::new();
    for a in &areas {
        let ctx = table::Context {
            order,
            currency: found.fields.currency.clone(),
            extractor,
            records_before: records.len(),
        };
        let built = table::build(&a.roles, &a.rows, &ctx);
        for (i, used) in built.consumed.iter().enumerate() {
            if !used {
                leftovers.push(a.row_pieces[i].clone());
            }
        }
        records.extend(built.records);
        totals.extend(built.totals);
        if opening.is_none() {
            opening = built.opening;
        }
    }
    found.read(&to_segments(&leftovers), order, extractor);
    if found.fields.opening_balance.is_none()
        && let Some((v, p)) = opening
    {
        found.fields.opening_balance = Some(v);
        found.prov.insert("fields.opening_balance".into(), p);
    }

    let currency = found.fields.currency.clone();
    for b in [
        &mut found.fields.opening_balance,
        &mut found.fields.closing_balance,
    ] {
        *b = b.map(|v| parse::with_minor_units(v, currency.as_deref()));
    }
    let checks = checks::run(&found.fields, &records, &totals);
    let mut provenance = found.prov;
    for (i, r) in records.iter().enumerate() {
        for (name, p) in &r.prov {
            provenance.insert(format!("records[{i}].{name}"), p.clone());
        }
    }
    let record_values = records
        .iter()
        .map(|r| serde_json::to_value(&r.tx))
        .collect::<Result<Vec<_>, _>>()
        .map_err(serialise_error)?;
    let needs_review = checks.iter().any(|c| c.status == CheckStatus::Fail);
    Ok(Extraction {
        source: ExtractionSource {
            path: doc.source.path.clone(),
            sha256: doc.source.sha256.clone(),
            pages: doc.page_count(),
        },
        schema: "bank_statement".into(),
        fields: serde_json::to_value(&found.fields).map_err(serialise_error)?,
        records: record_values,
        checks,
        provenance,
        needs_review,
    })
}

fn serialise_error(e: serde_json::Error) -> ExtractError {
    // Serialising plain structs of strings and decimals cannot fail; kept typed all the same.
    ExtractError {
        code: ErrorCode::NoStatementFound,
        message: format!("could not serialise the extraction: {e}"),
    }
}
