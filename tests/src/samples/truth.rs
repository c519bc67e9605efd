//! Ground truth for a generated file: the `fields` and `records` of `docket extract` output
//! (DESIGN.md "Contracts"), built from docket-core's own types so the shape cannot drift. Truth
//! must only ever contain what the file prints: a field a flavour or format omits is null.

use super::model::{Flavour, Statement};
use docket_core::statement::{StatementFields, Transaction};
use serde::Serialize;

/// Which header values a file format prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printed {
    /// Opening and closing balances appear in the header.
    pub balances: bool,
}

impl Printed {
    /// Every header field is printed (PDFs, scans, workbooks).
    pub const ALL: Printed = Printed { balances: true };
}

/// `{"fields": …, "records": […]}` for one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    /// Header fields.
    pub fields: StatementFields,
    /// Transactions in document order.
    pub records: Vec<Transaction>,
}

impl Truth {
    /// The truth of `statement` as printed by a format that shows `printed`.
    pub fn of(statement: &Statement, printed: Printed) -> Truth {
        let fields = StatementFields {
            account_holder: Some(statement.holder.clone()),
            account_number: Some(statement.account_number.clone()),
            currency: Some(statement.currency.clone()),
            period_start: Some(statement.period_start),
            period_end: Some(statement.period_end),
            opening_balance: printed.balances.then_some(statement.opening_balance),
            closing_balance: printed.balances.then(|| statement.closing_balance()),
        };
        let records = statement
            .entries
            .iter()
            .map(|e| Transaction {
                date: e.date,
                time: e.time,
                description: e.description.clone(),
                counterparty: e.counterparty.clone(),
                counterparty_account: match statement.flavour {
                    Flavour::English => None,
                    Flavour::Chinese => e.counterparty_account.clone(),
                },
                amount: e.amount,
                balance: Some(e.balance),
                currency: Some(statement.currency.clone()),
            })
            .collect();
        Truth { fields, records }
    }

    /// Pretty JSON with a trailing newline, as committed next to the demo files.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}
