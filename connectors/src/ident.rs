//! SQL identifiers that are safe to splice into statements. Table and column names come from
//! workflow files, so they are checked against `[A-Za-z_][A-Za-z0-9_]*` (at most 63 bytes, the
//! PostgreSQL limit) and always emitted double-quoted. This module must never let any other text
//! reach SQL: values always travel as bound parameters.

use crate::SinkError;

/// The longest identifier PostgreSQL keeps without truncating; applied to every sink alike so a
/// mapping that works on SQLite also works on PostgreSQL.
const MAX_LEN: usize = 63;

/// A validated SQL identifier (table, schema or column name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    /// Checks `name`; `what` names the role ("table", "column") for the error message.
    pub fn parse(name: &str, what: &str) -> Result<Ident, SinkError> {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok || !rest_ok || name.len() > MAX_LEN {
            return Err(SinkError::rejected(format!(
                "{what} name {name:?} is not a plain identifier: use letters, digits and '_' only, \
                 starting with a letter or '_', at most {MAX_LEN} characters; fix the table mapping \
                 in the workflow"
            )));
        }
        Ok(Ident(name.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name double-quoted for SQL (safe: validation excludes quotes).
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_refuses_everything_else() {
        for ok in ["transactions", "_t1", "Tx_2024", &"a".repeat(63)] {
            assert!(Ident::parse(ok, "table").is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "a b",
            "t; DROP TABLE x",
            "a\"b",
            "a.b",
            "tëst",
            "a-b",
            &"a".repeat(64),
        ] {
            let e = Ident::parse(bad, "table").unwrap_err();
            assert_eq!(e.code, docket_core::ErrorCode::SinkRejected, "{bad}");
        }
    }
}
