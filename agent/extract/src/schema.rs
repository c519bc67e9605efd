//! The JSON Schemas of the built-in extraction schemas, as `docket schema NAME` prints them.
//! Hand-written to mirror `docket_core::statement` exactly; a test checks that a real extraction
//! validates against the required keys. It must never drift from the contract in DESIGN.md.

use serde_json::{Value, json};

/// The JSON Schema of `bank_statement` (an extraction document's `fields` and `records`).
pub fn bank_statement() -> Value {
    let money = json!({"type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$"});
    let date = json!({"type": ["string", "null"], "format": "date"});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://docket.invalid/schemas/bank_statement.json",
        "title": "bank_statement",
        "description": "A bank statement: header fields and transactions. Amounts are decimal strings; credits (money in) are positive, debits negative.",
        "type": "object",
        "required": ["fields", "records"],
        "properties": {
            "fields": {
                "type": "object",
                "additionalProperties": false,
                "required": ["account_holder", "account_number", "currency", "period_start", "period_end", "opening_balance", "closing_balance"],
                "properties": {
                    "account_holder": {"type": ["string", "null"], "description": "Name of the account holder (户名)."},
                    "account_number": {"type": ["string", "null"], "description": "Account or card number as printed (账号/卡号)."},
                    "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."},
                    "period_start": date.clone(),
                    "period_end": date.clone(),
                    "opening_balance": money.clone(),
                    "closing_balance": money.clone()
                }
            },
            "records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["date", "time", "description", "counterparty", "counterparty_account", "amount", "balance", "currency"],
                    "properties": {
                        "date": {"type": "string", "format": "date", "description": "Booking or transaction date, YYYY-MM-DD."},
                        "time": {"type": ["string", "null"], "pattern": "^[0-9]{2}:[0-9]{2}:[0-9]{2}$", "description": "Time of day, HH:MM:SS, when printed."},
                        "description": {"type": "string"},
                        "counterparty": {"type": ["string", "null"]},
                        "counterparty_account": {"type": ["string", "null"]},
                        "amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "Signed amount: credit positive, debit negative."},
                        "balance": money,
                        "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"}
                    }
                }
            }
        }
    })
}

/// Every built-in schema by name.
pub fn builtin_schemas() -> Vec<(&'static str, Value)> {
    vec![("bank_statement", bank_statement())]
}
