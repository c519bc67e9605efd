//! The committed JSON Schema (`schema/workflow-v1.json`) is the one the config types generate.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::Path;

#[test]
fn committed_schema_matches_generated() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/workflow-v1.json");
    let generated = serde_json::to_string_pretty(&docket_workflow::json_schema())
        .expect("schema serialises")
        + "\n";
    if std::env::var_os("DOCKET_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with the config types; regenerate it with\n    DOCKET_BLESS=1 cargo test -p docket-workflow --test schema\nand commit the result",
        path.display()
    );
}

#[test]
fn schema_describes_every_field() {
    // Every property in the schema carries the field's doc comment: the schema is the editor's
    // documentation.
    fn walk(v: &serde_json::Value, path: &str, missing: &mut Vec<String>) {
        if let Some(props) = v.get("properties").and_then(|p| p.as_object()) {
            for (k, p) in props {
                let is_variant_wrapper = p.get("$ref").is_some() && props.len() == 1;
                if p.get("description").is_none() && !is_variant_wrapper {
                    missing.push(format!("{path}.{k}"));
                }
                walk(p, &format!("{path}.{k}"), missing);
            }
        }
        for key in ["$defs", "oneOf", "anyOf"] {
            match v.get(key) {
                Some(serde_json::Value::Object(m)) => {
                    for (k, d) in m {
                        walk(d, k, missing);
                    }
                }
                Some(serde_json::Value::Array(a)) => {
                    for d in a {
                        walk(d, path, missing);
                    }
                }
                _ => {}
            }
        }
    }
    let mut missing = Vec::new();
    walk(&docket_workflow::json_schema(), "", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without description: {missing:?}"
    );
}

#[test]
fn schema_closes_every_object() {
    // The schema closes every object: a key the types do not know is not in it.
    let schema = docket_workflow::json_schema();
    let step = &schema["$defs"]["StepConfig"];
    assert_eq!(
        step["unevaluatedProperties"],
        serde_json::Value::Bool(false)
    );
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}
