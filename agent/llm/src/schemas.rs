//! The built-in schemas the LLM step fills besides `bank_statement` (which lives in
//! `docket-extract`): `transfer_slip`, `invoice` and `kyc_form`. Each has the extraction shape
//! `{fields, records}`: header values under `fields`, repeated lines (invoice lines) under
//! `records`. Amounts are decimal strings, dates `YYYY-MM-DD`.

use serde_json::{Value, json};

fn text() -> Value {
    json!({"type": ["string", "null"]})
}

fn money() -> Value {
    json!({"type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$"})
}

fn date() -> Value {
    json!({"type": ["string", "null"], "format": "date"})
}

fn currency() -> Value {
    json!({"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."})
}

fn envelope(name: &str, description: &str, fields: Value, records: Option<Value>) -> Value {
    let keys: Vec<Value> = fields
        .as_object()
        .map(|m| m.keys().map(|k| json!(k)).collect())
        .unwrap_or_default();
    let mut props = json!({
        "fields": {
            "type": "object",
            "additionalProperties": false,
            "required": keys,
            "properties": fields,
        }
    });
    let mut required = vec![json!("fields")];
    if let Some(r) = records {
        let rkeys: Vec<Value> = r
            .as_object()
            .map(|m| m.keys().map(|k| json!(k)).collect())
            .unwrap_or_default();
        props["records"] = json!({
            "type": "array",
            "items": {"type": "object", "additionalProperties": false, "required": rkeys, "properties": r}
        });
        required.push(json!("records"));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://docket.invalid/schemas/{name}.json"),
        "title": name,
        "description": description,
        "type": "object",
        "required": required,
        "properties": props,
    })
}

/// A domestic or cross-border transfer slip / remittance advice.
pub fn transfer_slip() -> Value {
    envelope(
        "transfer_slip",
        "A transfer slip or remittance advice: who pays whom, how much, when.",
        json!({
            "reference": text(),
            "date": date(),
            "amount": money(),
            "currency": currency(),
            "payer_name": text(),
            "payer_account": text(),
            "payer_bank": text(),
            "payee_name": text(),
            "payee_account": text(),
            "payee_bank": text(),
            "purpose": text(),
        }),
        None,
    )
}

/// A supplier invoice with its lines.
pub fn invoice() -> Value {
    envelope(
        "invoice",
        "An invoice: issuer, number, date, total amount and currency, and its lines.",
        json!({
            "issuer": text(),
            "invoice_number": text(),
            "date": date(),
            "amount": money(),
            "amount_untaxed": money(),
            "currency": currency(),
        }),
        Some(json!({
            "name": text(),
            "quantity": money(),
            "price_unit": money(),
            "amount": money(),
        })),
    )
}

/// A know-your-customer form.
pub fn kyc_form() -> Value {
    envelope(
        "kyc_form",
        "A know-your-customer / account opening form about one person.",
        json!({
            "full_name": text(),
            "date_of_birth": date(),
            "nationality": text(),
            "id_type": text(),
            "id_number": text(),
            "address": text(),
            "phone": text(),
            "email": text(),
            "occupation": text(),
            "employer": text(),
        }),
        None,
    )
}

/// Every built-in schema by name, `bank_statement` first.
pub fn builtin() -> Vec<(&'static str, Value)> {
    vec![
        ("bank_statement", docket_extract::schema::bank_statement()),
        ("transfer_slip", transfer_slip()),
        ("invoice", invoice()),
        ("kyc_form", kyc_form()),
    ]
}

/// A built-in schema by name.
pub fn by_name(name: &str) -> Option<Value> {
    builtin().into_iter().find(|(n, _)| *n == name).map(|x| x.1)
}
