//! A small JSON Schema checker for model answers: `type` (one or a list), `properties`,
//! `required`, `additionalProperties: false`, `items`, `enum`, `pattern`, `format: date`,
//! `minItems`. It covers what schema-constrained decoding can produce and what the built-in
//! schemas use; other keywords are ignored (the grounding verifier is the real gate).

use regex::Regex;
use serde_json::Value;

/// Brings a model's answer into the schema's forms where the meaning is unambiguous: a date
/// string in another format becomes `YYYY-MM-DD`, an amount string (`USD 4.11`, `1,234.56`)
/// becomes a plain decimal. A string that still breaks its `pattern` / `format` where `null` is
/// allowed becomes `null`, and its path is returned (small models put `"true"` or `"USD"` in amount
/// fields even under a grammar that does not enforce patterns).
pub fn coerce(schema: &Value, value: &mut Value) -> Vec<String> {
    let mut dropped = Vec::new();
    coerce_at(schema, value, "$", &mut dropped);
    dropped
}

fn coerce_at(schema: &Value, v: &mut Value, path: &str, dropped: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        return;
    };
    match v {
        Value::Object(map) => {
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, child) in map.iter_mut() {
                    if let Some(cs) = props.get(k) {
                        coerce_at(cs, child, &format!("{path}.{k}"), dropped);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    coerce_at(is, item, &format!("{path}[{i}]"), dropped);
                }
            }
        }
        Value::String(text) => {
            let is_date = s.get("format").and_then(Value::as_str) == Some("date");
            let pattern = s
                .get("pattern")
                .and_then(Value::as_str)
                .and_then(|p| Regex::new(p).ok());
            if is_date
                && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
                && let Some(d) = crate::norm::value_date(text)
            {
                *text = d.format("%Y-%m-%d").to_string();
            }
            if let Some(re) = &pattern
                && !re.is_match(text)
                && let Some(a) = crate::norm::value_amount(text)
                && re.is_match(&a.to_string())
            {
                *text = a.to_string();
            }
            let still_bad = (is_date
                && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err())
                || pattern.as_ref().is_some_and(|re| !re.is_match(text));
            let nullable = match s.get("type") {
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
                Some(Value::String(t)) => t == "null",
                _ => false,
            };
            if still_bad && nullable {
                dropped.push(path.to_string());
                *v = Value::Null;
            }
        }
        _ => {}
    }
}

/// Problems with `value` against `schema`, each naming the path (`$.fields.date`). Empty when it
/// conforms.
pub fn check(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, value, "$", &mut out);
    out
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn walk(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        return;
    };
    if out.len() > 20 {
        return;
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_ok(t, v)),
            _ => true,
        };
        if !ok {
            out.push(format!("{path}: expected type {t}, got {}", kind(v)));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = s.get("enum")
        && !allowed.contains(v)
    {
        out.push(format!(
            "{path}: {v} is not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Value::String(text) = v {
        if let Some(p) = s.get("pattern").and_then(Value::as_str)
            && let Ok(re) = Regex::new(p)
            && !re.is_match(text)
        {
            out.push(format!("{path}: \"{text}\" does not match the pattern {p}"));
        }
        if s.get("format").and_then(Value::as_str) == Some("date")
            && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
        {
            out.push(format!("{path}: \"{text}\" is not a date YYYY-MM-DD"));
        }
    }
    if let Value::Object(map) = v {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    out.push(format!("{path}: missing required property \"{r}\""));
                }
            }
        }
        for (k, child) in map {
            match props.and_then(|p| p.get(k)) {
                Some(cs) => walk(cs, child, &format!("{path}.{k}"), out),
                None => {
                    if s.get("additionalProperties") == Some(&Value::Bool(false)) {
                        out.push(format!("{path}: unexpected property \"{k}\""));
                    }
                }
            }
        }
    }
    if let Value::Array(items) = v {
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            out.push(format!("{path}: fewer than {min} items"));
        }
        if let Some(is) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                walk(is, item, &format!("{path}[{i}]"), out);
            }
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_paths() {
        let s = json!({"type":"object","required":["a"],"additionalProperties":false,
            "properties":{"a":{"type":"string","format":"date"},"b":{"type":"array","items":{"type":"number"}}}});
        assert!(check(&s, &json!({"a":"2026-03-01","b":[1,2]})).is_empty());
        let e = check(&s, &json!({"a":"March","b":["x"],"c":1}));
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(check(&s, &json!({})).iter().any(|m| m.contains("\"a\"")));
    }
}
