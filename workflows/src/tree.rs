//! Shape check: walks the positioned YAML tree against the JSON Schema generated from the config
//! types and reports every unknown key, wrong type, missing key and bad choice with its line and
//! column, producing a JSON value (invalid parts dropped) to deserialise afterwards.
//!
//! Driving the walk from the generated schema keeps one source of truth for the shape: the
//! config types. This module must never apply rules the schema cannot express (references,
//! cron, paths): those belong to `validate`.

use std::collections::HashMap;

use marked_yaml::types::MarkedScalarNode;
use marked_yaml::{LoadError, LoaderOptions, Node};
use serde_json::{Map, Value};

use crate::problem::{Pos, Problem};

/// Source positions of every node seen, by document path (`steps[2].write.table`).
#[derive(Debug, Clone, Default)]
pub struct Spans {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl Spans {
    /// Position of the value at `path`, or of its nearest ancestor that has one.
    pub fn value(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.values.get(p) {
                return *pos;
            }
            match parent(p) {
                Some(up) => p = up,
                None => return Pos::default(),
            }
        }
    }

    /// Position of the key that introduces `path`, falling back to the value's position.
    pub fn key(&self, path: &str) -> Pos {
        self.keys
            .get(path)
            .copied()
            .unwrap_or_else(|| self.value(path))
    }
}

/// The path one level up: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    match path.rfind(['.', '[']) {
        Some(i) => Some(&path[..i]),
        None => Some(""),
    }
}

/// Join a key onto a path.
pub fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// What the shape check found.
pub struct Checked {
    /// The document as JSON, with every invalid part left out; `None` if the YAML did not parse.
    pub value: Option<Value>,
    /// Where each node was.
    pub spans: Spans,
    /// Shape problems, in document order.
    pub problems: Vec<Problem>,
}

/// Parse `yaml` and check it against `schema` (the generated workflow schema).
pub fn check(yaml: &str, schema: &Value) -> Checked {
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    let root = match marked_yaml::parse_yaml_with_options(0, yaml, options) {
        Ok(root) => root,
        Err(e) => {
            return Checked {
                value: None,
                spans: Spans::default(),
                problems: vec![load_problem(&e)],
            };
        }
    };
    let empty = Map::new();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut walker = Walker {
        defs,
        spans: Spans::default(),
        problems: Vec::new(),
    };
    let value = walker.walk(&root, schema, "");
    Checked {
        value: Some(value.unwrap_or(Value::Object(Map::new()))),
        spans: walker.spans,
        problems: walker.problems,
    }
}

fn pos_of(marker: Option<&marked_yaml::Marker>) -> Pos {
    marker.map_or(Pos::default(), |m| Pos {
        line: m.line(),
        column: m.column(),
    })
}

fn load_problem(e: &LoadError) -> Problem {
    let (pos, message, hint) = match e {
        LoadError::TopLevelMustBeMapping(m) => (
            pos_of(Some(m)),
            "a workflow file must be a mapping (`version: 1`, `name: …`, `steps: …`)".to_owned(),
            None,
        ),
        LoadError::TopLevelMustBeSequence(m) => (
            pos_of(Some(m)),
            "unexpected top-level list".to_owned(),
            None,
        ),
        LoadError::UnexpectedAnchor(m) => (
            pos_of(Some(m)),
            "YAML anchors and aliases are not allowed in workflow files".to_owned(),
            Some("write the value out in full, so each step reads on its own".to_owned()),
        ),
        LoadError::UnexpectedTag(m) => (
            pos_of(Some(m)),
            "YAML tags (`!name`) are not allowed in workflow files".to_owned(),
            None,
        ),
        LoadError::MappingKeyMustBeScalar(m) => (
            pos_of(Some(m)),
            "mapping keys must be plain text".to_owned(),
            None,
        ),
        LoadError::DuplicateKey(inner) => (
            pos_of(inner.key.span().start()),
            format!(
                "key `{}` appears twice in the same mapping (first on line {})",
                inner.key.as_str(),
                pos_of(inner.prev_key.span().start()).line
            ),
            Some("remove one of them".to_owned()),
        ),
        LoadError::ScanError(m, se) => (
            pos_of(Some(m)),
            format!("not valid YAML: {}", se.info()),
            Some("check indentation and quoting on this line or the one before".to_owned()),
        ),
    };
    let p = Problem::new("W001", "", pos, message);
    match hint {
        Some(h) => p.hint(h),
        None => p,
    }
}

/// The schema that accepts anything (`items` left out).
static ANY: Value = Value::Bool(true);

struct Walker<'a> {
    defs: &'a Map<String, Value>,
    spans: Spans,
    problems: Vec<Problem>,
}

/// The last path segment, for messages (`steps[2].write.format` → `format`).
fn leaf(path: &str) -> &str {
    path.rsplit(['.']).next().unwrap_or(path)
}

fn is_null(s: &MarkedScalarNode) -> bool {
    s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

fn describe(node: &Node) -> String {
    match node {
        Node::Mapping(_) => "a mapping".to_owned(),
        Node::Sequence(_) => "a list".to_owned(),
        Node::Scalar(s) if is_null(s) => "nothing".to_owned(),
        Node::Scalar(s) => format!("`{}`", s.as_str()),
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The variants of a `oneOf` that are all string constants, i.e. a unit-variant enum.
fn const_choices(schema: &Value) -> Option<Vec<&str>> {
    let variants = schema.get("oneOf")?.as_array()?;
    variants
        .iter()
        .map(|v| v.get("const").and_then(Value::as_str))
        .collect()
}

/// The variants of a `oneOf` that are single-key objects, i.e. an externally tagged enum:
/// `(tag, schema of the tag's value)`.
fn tagged_variants(schema: &Value) -> Option<Vec<(&str, &Value)>> {
    let variants = schema.get("oneOf")?.as_array()?;
    variants
        .iter()
        .map(|v| {
            let props = v.get("properties")?.as_object()?;
            if props.len() != 1 {
                return None;
            }
            props.iter().next().map(|(k, s)| (k.as_str(), s))
        })
        .collect()
}

/// Closest candidate within edit distance 2, for "did you mean" hints.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn resolve<'a>(defs: &'a Map<String, Value>, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    // Bounded: definitions here never chain more than a couple of references.
    for _ in 0..8 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix("#/$defs/").and_then(|n| defs.get(n)) {
                Some(def) => s = def,
                None => return s,
            },
            None => return s,
        }
    }
    s
}

impl<'a> Walker<'a> {
    fn problem(
        &mut self,
        code: &'static str,
        path: &str,
        pos: Pos,
        message: String,
    ) -> &mut Problem {
        self.problems.push(Problem::new(code, path, pos, message));
        let last = self.problems.len() - 1;
        &mut self.problems[last]
    }

    fn walk(&mut self, node: &Node, schema: &'a Value, path: &str) -> Option<Value> {
        // A block mapping's own start mark lands after its first key; its first key is where
        // a reader looks for it.
        let first_key = match node {
            Node::Mapping(m) => m.keys().next().map(|k| pos_of(k.span().start())),
            _ => None,
        };
        let pos = first_key.unwrap_or_else(|| pos_of(node.span().start()));
        self.spans.values.insert(path.to_owned(), pos);
        let schema = resolve(self.defs, schema);

        // `Option<T>` of a struct: `anyOf: [T, null]`.
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
            if let Node::Scalar(s) = node
                && is_null(s)
                && any.iter().any(|a| types(a).contains(&"null"))
            {
                return Some(Value::Null);
            }
            let inner = any.iter().find(|a| !types(a).contains(&"null"))?;
            return self.walk(node, inner, path);
        }

        if let Some(choices) = const_choices(schema) {
            return self.walk_choice(node, &choices, path, pos);
        }

        let ts = types(schema);
        let is_object = ts.contains(&"object") || schema.get("oneOf").is_some();
        if is_object {
            return self.walk_mapping(node, schema, path, pos);
        }
        if ts.contains(&"array") {
            let Node::Sequence(seq) = node else {
                let found = describe(node);
                self.problem(
                    "W003",
                    path,
                    pos,
                    format!("`{}` must be a list, found {found}", leaf(path)),
                )
                .hint = Some(format!(
                    "write it as `{}: [a, b]` or one `- item` per line",
                    leaf(path)
                ));
                return None;
            };
            let items = schema.get("items").unwrap_or(&ANY);
            let out = seq
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.walk(item, items, &format!("{path}[{i}]")))
                .collect();
            return Some(Value::Array(out));
        }
        self.walk_scalar(node, schema, &ts, path, pos)
    }

    fn walk_choice(
        &mut self,
        node: &Node,
        choices: &[&str],
        path: &str,
        pos: Pos,
    ) -> Option<Value> {
        let allowed = choices.join(", ");
        match node {
            Node::Scalar(s) if choices.contains(&s.as_str()) => {
                Some(Value::String(s.as_str().to_owned()))
            }
            _ => {
                let found = describe(node);
                let mut hint = format!("allowed values: {allowed}");
                if let Node::Scalar(s) = node
                    && let Some(c) = suggest(s.as_str(), choices.iter().copied())
                {
                    hint = format!("did you mean `{c}`? allowed values: {allowed}");
                }
                self.problem(
                    "W005",
                    path,
                    pos,
                    format!("{found} is not a valid `{}`", leaf(path)),
                )
                .hint = Some(hint);
                None
            }
        }
    }

    fn walk_scalar(
        &mut self,
        node: &Node,
        schema: &Value,
        ts: &[&str],
        path: &str,
        pos: Pos,
    ) -> Option<Value> {
        let name = leaf(path);
        let wanted = if ts.contains(&"integer") {
            "a whole number"
        } else if ts.contains(&"number") {
            "a number"
        } else if ts.contains(&"boolean") {
            "`true` or `false`"
        } else {
            "text"
        };
        let s = match node {
            Node::Scalar(s) => s,
            other => {
                let found = describe(other);
                self.problem(
                    "W003",
                    path,
                    pos,
                    format!("`{name}` must be {wanted}, found {found}"),
                );
                return None;
            }
        };
        if is_null(s) {
            if ts.contains(&"null") {
                return Some(Value::Null);
            }
            self.problem(
                "W003",
                path,
                pos,
                format!("`{name}` must be {wanted}, found nothing"),
            );
            return None;
        }
        if ts.contains(&"integer") {
            let parsed = if s.may_coerce() {
                s.as_str().parse::<i64>().ok()
            } else {
                None
            };
            let Some(n) = parsed else {
                self.problem(
                    "W003",
                    path,
                    pos,
                    format!("`{name}` must be a whole number, found `{}`", s.as_str()),
                );
                return None;
            };
            let min = schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MIN);
            let format_max = match schema.get("format").and_then(Value::as_str) {
                Some("uint32") => i64::from(u32::MAX),
                _ => i64::MAX,
            };
            let max = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .map_or(format_max, |m| m.min(format_max));
            if n < min || n > max {
                self.problem(
                    "W023",
                    path,
                    pos,
                    format!("`{name}` must be between {min} and {max}, found {n}"),
                );
                return None;
            }
            return Some(Value::from(n));
        }
        if ts.contains(&"number") {
            let parsed = if s.may_coerce() {
                s.as_str().parse::<f64>().ok().filter(|n| n.is_finite())
            } else {
                None
            };
            let Some(n) = parsed else {
                self.problem(
                    "W003",
                    path,
                    pos,
                    format!("`{name}` must be a number, found `{}`", s.as_str()),
                );
                return None;
            };
            let min = schema.get("minimum").and_then(Value::as_f64);
            let max = schema.get("maximum").and_then(Value::as_f64);
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                let range = match (min, max) {
                    (Some(a), Some(b)) => format!("between {a} and {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    (None, None) => String::new(),
                };
                self.problem(
                    "W023",
                    path,
                    pos,
                    format!("`{name}` must be {range}, found {n}"),
                );
                return None;
            }
            return serde_json::Number::from_f64(n).map(Value::Number);
        }
        if ts.contains(&"boolean") {
            let Some(b) = s.as_bool() else {
                self.problem(
                    "W003",
                    path,
                    pos,
                    format!("`{name}` must be `true` or `false`, found `{}`", s.as_str()),
                );
                return None;
            };
            return Some(Value::Bool(b));
        }
        // Plain scalars such as `123` or `yes` are accepted as text: YAML's typing of
        // unquoted words surprises people and the schema says what is meant.
        Some(Value::String(s.as_str().to_owned()))
    }

    fn walk_mapping(
        &mut self,
        node: &Node,
        schema: &'a Value,
        path: &str,
        pos: Pos,
    ) -> Option<Value> {
        let Node::Mapping(map) = node else {
            let found = describe(node);
            let what = if path.is_empty() {
                "the document"
            } else {
                leaf(path)
            };
            self.problem(
                "W003",
                path,
                pos,
                format!("`{what}` must be a mapping (key: value lines), found {found}"),
            );
            return None;
        };
        let props = schema.get("properties").and_then(Value::as_object);
        let variants = tagged_variants(schema).unwrap_or_default();
        let extra = schema.get("additionalProperties");
        let closed = matches!(extra, Some(Value::Bool(false)))
            || matches!(
                schema.get("unevaluatedProperties"),
                Some(Value::Bool(false))
            )
            || !variants.is_empty();
        let allowed: Vec<&str> = props
            .into_iter()
            .flat_map(|p| p.keys())
            .map(String::as_str)
            .chain(variants.iter().map(|(k, _)| *k))
            .collect();

        let mut out = Map::new();
        let mut tags_seen: Vec<&str> = Vec::new();
        for (key, value) in map.iter() {
            let k = key.as_str();
            let kpath = child(path, k);
            let kpos = pos_of(key.span().start());
            self.spans.keys.insert(kpath.clone(), kpos);
            let sub = if let Some(s) = props.and_then(|p| p.get(k)) {
                Some(s)
            } else if let Some((tag, s)) = variants.iter().find(|(t, _)| *t == k) {
                tags_seen.push(tag);
                if tags_seen.len() > 1 {
                    let first = tags_seen[0];
                    self.problem(
                        "W017",
                        &kpath,
                        kpos,
                        format!("`{}` has both `{first}` and `{k}`", display(path)),
                    )
                    .hint = Some(format!("give exactly one of: {}", tag_list(&variants)));
                    continue;
                }
                Some(*s)
            } else if closed {
                None
            } else {
                extra
            };
            match sub {
                Some(s) => {
                    if let Some(v) = self.walk(value, s, &kpath) {
                        out.insert(k.to_owned(), v);
                    }
                }
                None => {
                    let mut hint = format!("allowed keys here: {}", allowed.join(", "));
                    if let Some(c) = suggest(k, allowed.iter().copied()) {
                        hint = format!("did you mean `{c}`? {hint}");
                    }
                    self.problem(
                        "W002",
                        &kpath,
                        kpos,
                        format!("unknown key `{k}` in `{}`", display(path)),
                    )
                    .hint = Some(hint);
                }
            }
        }

        let parent_pos = self.spans.key(path);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    let description = props
                        .and_then(|p| p.get(r))
                        .map(|s| resolve(self.defs, s))
                        .and_then(|s| s.get("description"))
                        .and_then(Value::as_str)
                        .and_then(|d| d.split(['.', '\n']).next())
                        .map(str::to_owned);
                    let p = self.problem(
                        "W004",
                        &child(path, r),
                        parent_pos,
                        format!("`{}` is missing required key `{r}`", display(path)),
                    );
                    if let Some(d) = description {
                        p.hint = Some(format!("add `{r}:` ({d})"));
                    }
                }
            }
        }
        if !variants.is_empty() && tags_seen.is_empty() {
            self.problem(
                "W017",
                path,
                parent_pos,
                format!(
                    "`{}` needs exactly one of: {}",
                    display(path),
                    tag_list(&variants)
                ),
            );
        }
        Some(Value::Object(out))
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() {
        "the document"
    } else {
        path
    }
}

fn tag_list(variants: &[(&str, &Value)]) -> String {
    variants
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}
