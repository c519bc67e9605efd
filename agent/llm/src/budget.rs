//! What a JSON Schema lets a model say, turned into two limits on the answer:
//!
//! - [`max_tokens`]: an upper bound of the output tokens a conforming answer needs (keys, a
//!   generous length per value, one array item per non-empty line of the document at most), so a
//!   small model that loops is cut off after a few hundred tokens instead of the client's
//!   configured ceiling (a free-text value is no longer than the document's longest line);
//! - [`gbnf`]: a GBNF grammar (llama.cpp's grammar format) of the JSON the schema allows, for
//!   servers that refuse `response_format: json_schema` but accept a `grammar` (llama.cpp's
//!   server, llama-cpp-python). Keys come in the schema's order, every declared key is written,
//!   and `format: date`, decimal-amount and currency patterns have exact rules; other patterns are
//!   left to the local validation (a grammar converter that mistranslates regex escapes is what
//!   made servers die on them).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Tokens allowed for a free-text value (a name, an address, a description).
const TEXT_TOKENS: u32 = 48;
/// Items assumed for an array when the document gives no better bound.
const MAX_ITEMS: u32 = 400;
/// Braces, commas and a little slack around the whole answer.
const OVERHEAD: u32 = 32;

/// The shape of the document a request carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocShape {
    /// Non-empty lines: an array of the answer holds at most one item per line.
    pub lines: usize,
    /// Characters of the longest line: no copied value is longer.
    pub longest: usize,
}

/// The output tokens an answer to `schema` can need for a document of shape `doc`, never above
/// `ceiling`.
pub fn max_tokens(schema: &Value, doc: DocShape, ceiling: u32) -> u32 {
    let b = Bounds {
        items: (doc.lines as u32).clamp(1, MAX_ITEMS),
        text: ((doc.longest as u32).div_ceil(2) + 4).min(TEXT_TOKENS),
    };
    (OVERHEAD.saturating_add(value_tokens(schema, b))).min(ceiling)
}

#[derive(Clone, Copy)]
struct Bounds {
    items: u32,
    text: u32,
}

fn key_tokens(key: &str) -> u32 {
    // Quotes, colon, comma, and about one token per three characters.
    3 + (key.chars().count() as u32).div_ceil(3)
}

fn value_tokens(schema: &Value, b: Bounds) -> u32 {
    let items = b.items;
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        return 2 + props
            .iter()
            .map(|(k, v)| key_tokens(k).saturating_add(value_tokens(v, b)))
            .fold(0u32, u32::saturating_add);
    }
    if types(schema).contains(&"array") {
        let n = schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .map(|m| m.min(u64::from(items)) as u32)
            .unwrap_or(items);
        let each = schema
            .get("items")
            .map(|i| value_tokens(i, b))
            .unwrap_or(b.text);
        return 2u32.saturating_add(n.saturating_mul(each.saturating_add(1)));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return e
            .iter()
            .map(|v| (v.to_string().chars().count() as u32).div_ceil(2) + 1)
            .max()
            .unwrap_or(2);
    }
    if schema.get("format").and_then(Value::as_str) == Some("date") {
        return 8;
    }
    if schema.get("pattern").is_some() {
        return 12;
    }
    if let Some(m) = schema.get("maxLength").and_then(Value::as_u64) {
        return 2 + (m as u32).div_ceil(2);
    }
    let t = types(schema);
    if t.contains(&"string") {
        b.text
    } else if t.iter().any(|x| matches!(*x, "number" | "integer")) {
        10
    } else {
        4
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Decimal amounts as the built-in schemas write them.
const MONEY_PATTERN: &str = "^-?[0-9]+(\\.[0-9]+)?$";
/// ISO 4217 codes.
const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";

/// The GBNF grammar of the JSON values `schema` allows (root rule `root`).
pub fn gbnf(schema: &Value) -> String {
    let mut g = Grammar::default();
    let root = g.rule_for(schema, "root");
    let mut out = String::new();
    if root != "root" {
        let _ = writeln!(out, "root ::= {root}");
    }
    for (name, body) in &g.rules {
        let _ = writeln!(out, "{name} ::= {body}");
    }
    out.push_str(BASE_RULES);
    out
}

/// Shared rules: whitespace, strings, numbers, dates, amounts.
const BASE_RULES: &str = r#"ws ::= ( [ \t\n] [ \t\n]? )?
char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])
string ::= "\"" char* "\""
number ::= "-"? ([0-9] | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
integer ::= "-"? ([0-9] | [1-9] [0-9]*)
boolean ::= "true" | "false"
null ::= "null"
date ::= "\"" [0-9] [0-9] [0-9] [0-9] "-" [0-9] [0-9] "-" [0-9] [0-9] "\""
money ::= "\"" "-"? [0-9]+ ("." [0-9]+)? "\""
currency ::= "\"" [A-Z] [A-Z] [A-Z] "\""
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
"#;

#[derive(Default)]
struct Grammar {
    rules: BTreeMap<String, String>,
}

impl Grammar {
    /// A rule name (or inline expression) for `schema`; `hint` names new rules.
    fn rule_for(&mut self, schema: &Value, hint: &str) -> String {
        let t = types(schema);
        let nullable = t.contains(&"null");
        let mut alts: Vec<String> = Vec::new();
        if let Some(e) = schema.get("enum").and_then(Value::as_array) {
            alts.extend(e.iter().map(|v| literal(&v.to_string())));
        } else if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            let mut parts = Vec::new();
            for (i, (k, v)) in props.iter().enumerate() {
                let sub = self.rule_for(v, &format!("{hint}-{}", clean(k)));
                let sep = if i == 0 { "" } else { "\",\" ws " };
                parts.push(format!(
                    "{sep}{} ws \":\" ws {sub} ws",
                    literal(&Value::String(k.clone()).to_string())
                ));
            }
            let body = format!("\"{{\" ws {} \"}}\"", parts.join(" "));
            alts.push(self.define(hint, body));
        } else if t.contains(&"array") {
            let item = match schema.get("items") {
                Some(i) => self.rule_for(i, &format!("{hint}-item")),
                None => "value".to_owned(),
            };
            let body = format!("\"[\" ws ( {item} ( ws \",\" ws {item} )* )? ws \"]\"");
            alts.push(self.define(hint, body));
        } else if t.contains(&"string") {
            let pattern = schema.get("pattern").and_then(Value::as_str);
            alts.push(
                if schema.get("format").and_then(Value::as_str) == Some("date") {
                    "date"
                } else if pattern == Some(MONEY_PATTERN) {
                    "money"
                } else if pattern == Some(CURRENCY_PATTERN) {
                    "currency"
                } else {
                    "string"
                }
                .to_owned(),
            );
        }
        for (ty, rule) in [
            ("integer", "integer"),
            ("number", "number"),
            ("boolean", "boolean"),
        ] {
            if t.contains(&ty) && !(ty == "integer" && t.contains(&"number")) {
                alts.push(rule.to_owned());
            }
        }
        if nullable {
            alts.push("null".to_owned());
        }
        match alts.len() {
            0 => "value".to_owned(),
            1 => alts.remove(0),
            _ => format!("( {} )", alts.join(" | ")),
        }
    }

    fn define(&mut self, hint: &str, body: String) -> String {
        let mut name = hint.to_owned();
        let mut i = 2;
        while self.rules.contains_key(&name) {
            name = format!("{hint}{i}");
            i += 1;
        }
        self.rules.insert(name.clone(), body);
        name
    }
}

/// A GBNF string literal of `text` (already JSON: quotes escaped for the grammar).
fn literal(json_text: &str) -> String {
    let mut s = String::from("\"");
    for c in json_text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A rule-name fragment: lowercase letters, digits and `-`.
fn clean(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn invoice_budget_grows_with_the_lines_and_stays_under_the_ceiling() {
        let s = crate::schemas::invoice();
        let doc = |lines| DocShape { lines, longest: 80 };
        let small = max_tokens(&s, doc(10), 4096);
        let large = max_tokens(&s, doc(60), 4096);
        assert!(small < large, "{small} {large}");
        assert!(small < 1500, "{small}");
        assert_eq!(max_tokens(&s, doc(10_000), 4096), 4096);
        let slip = max_tokens(&crate::schemas::transfer_slip(), doc(200), 4096);
        assert!(slip < 700, "no array: the lines do not matter ({slip})");
    }

    #[test]
    fn invoice_grammar_names_every_key_in_order_with_exact_value_rules() {
        let g = gbnf(&crate::schemas::invoice());
        let root = g.lines().find(|l| l.starts_with("root ::=")).unwrap();
        let f = root.find("\\\"fields\\\"").unwrap();
        let r = root.find("\\\"records\\\"").unwrap();
        assert!(f < r, "{root}");
        assert!(g.contains("( date | null )"), "{g}");
        assert!(g.contains("( money | null )"), "{g}");
        assert!(g.contains("( currency | null )"), "{g}");
        // Every rule used is defined.
        let defined: Vec<&str> = g
            .lines()
            .filter_map(|l| l.split_once(" ::= ").map(|(n, _)| n))
            .collect();
        for l in g.lines() {
            let body = l.split_once(" ::= ").map(|(_, b)| b).unwrap_or("");
            let (mut in_str, mut in_class, mut escaped) = (false, false, false);
            let mut word = String::new();
            for c in body.chars().chain(std::iter::once(' ')) {
                if in_str || in_class {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if (in_str && c == '"') || (in_class && c == ']') {
                        in_str = false;
                        in_class = false;
                    }
                } else if c == '"' {
                    in_str = true;
                } else if c == '[' {
                    in_class = true;
                } else if c.is_ascii_alphanumeric() || c == '-' {
                    word.push(c);
                } else {
                    if word.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                        assert!(defined.contains(&word.as_str()), "{word} undefined in {l}");
                    }
                    word.clear();
                }
            }
        }
    }
}
