//! Rules the schema cannot express (version, names, step references, column sources, schedule,
//! paths); resolution into a plan is in `resolve`.
//!
//! The checks read the JSON form of the document leniently so they also run on a document with
//! shape problems: every problem is reported in one pass. This module must never do I/O: paths
//! are joined onto the base folder, never looked up.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cron::check_timezone;
use crate::plan::Source;
use crate::problem::Problem;
use crate::tree::{Spans, child, suggest};

/// Built-in extraction schemas.
pub const BUILTIN_SCHEMAS: &[&str] = &["bank_statement", "transfer_slip", "invoice", "kyc_form"];

/// Record fields of `bank_statement` (the `docket extract` contract).
pub(crate) const BANK_RECORD_FIELDS: &[&str] = &[
    "date",
    "time",
    "description",
    "counterparty",
    "counterparty_account",
    "amount",
    "balance",
    "currency",
];

/// Document-level fields of `bank_statement`.
pub(crate) const BANK_DOCUMENT_FIELDS: &[&str] = &[
    "account_holder",
    "account_number",
    "currency",
    "period_start",
    "period_end",
    "opening_balance",
    "closing_balance",
];

const KINDS: [&str; 5] = ["ingest", "extract", "write", "screen", "report"];

/// Time zone of a `screen` step that names none (the statements Docket reads are mostly Chinese).
pub(crate) const DEFAULT_SCREEN_ZONE: &str = "Asia/Shanghai";

mod llm;
pub(crate) mod schedule;
mod sinks;
pub(crate) mod ui;
pub(crate) mod values;

type Complaint = (String, String);

fn is_slug(s: &str, extra: &[char]) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse a column source expression. `known` lists the record and document fields when the
/// schema is built in, so typos are caught; custom schemas accept any identifier.
pub fn parse_source(expr: &str, known: Option<(&[&str], &[&str])>) -> Result<Source, Complaint> {
    let allowed = "sources are `record.<field>`, `fields.<field>`, `source.path`, `source.sha256`, `source.pages`, `run.id`, `const:<text>`";
    if let Some(text) = expr.strip_prefix("const:") {
        return Ok(Source::Const(text.to_owned()));
    }
    let named = |prefix: &str, field: &str, list: Option<&[&str]>| -> Result<String, Complaint> {
        if !is_identifier(field) {
            return Err((
                format!("`{expr}`: `{field}` is not a field name"),
                format!("field names are letters, digits and `_`; {allowed}"),
            ));
        }
        match list {
            Some(list) if !list.contains(&field) => {
                let hint = match suggest(field, list.iter().copied()) {
                    Some(s) => format!("did you mean `{prefix}.{s}`?"),
                    None => format!("known `{prefix}` fields: {}", list.join(", ")),
                };
                Err((
                    format!("`{expr}`: the schema has no {prefix} field `{field}`"),
                    hint,
                ))
            }
            _ => Ok(field.to_owned()),
        }
    };
    match expr.split_once('.') {
        Some(("record", f)) => named("record", f, known.map(|k| k.0)).map(Source::Record),
        Some(("fields", f)) => named("fields", f, known.map(|k| k.1)).map(Source::Field),
        Some(("source", "path")) => Ok(Source::SourcePath),
        Some(("source", "sha256")) => Ok(Source::SourceSha256),
        Some(("source", "pages")) => Ok(Source::SourcePages),
        Some(("run", "id")) => Ok(Source::RunId),
        _ => {
            let hint = match suggest(
                expr,
                ["source.path", "source.sha256", "source.pages", "run.id"],
            ) {
                Some(s) => format!("did you mean `{s}`? {allowed}"),
                None => allowed.to_owned(),
            };
            Err((format!("unknown column source `{expr}`"), hint))
        }
    }
}

/// Check a path as written in the file. Relative paths are joined onto the workflow's folder;
/// absolute paths are taken as they are (watch folders often live on shares).
fn check_path(s: &str) -> Result<(), Complaint> {
    if s.trim().is_empty() {
        return Err((
            "path is empty".to_owned(),
            "give a folder or file name".to_owned(),
        ));
    }
    if s.starts_with('~') {
        return Err((
            format!("path `{s}` starts with `~`, which is not expanded"),
            "write it relative to the workflow file's folder, or as a full absolute path"
                .to_owned(),
        ));
    }
    if s.contains('$') || s.contains('%') {
        return Err((
            format!("path `{s}` contains a variable; variables are not expanded"),
            "write the path out in full".to_owned(),
        ));
    }
    if s.contains('\0') {
        return Err((
            "path contains a NUL character".to_owned(),
            "remove it".to_owned(),
        ));
    }
    Ok(())
}

pub(crate) fn resolve(base: &Path, s: &str) -> PathBuf {
    // `join` keeps absolute paths as they are, which is the documented rule.
    base.join(s)
}

/// Whether `schema:` names a file (rather than a built-in).
pub(crate) fn is_schema_file(s: &str) -> bool {
    s.ends_with(".json") || s.contains('/') || s.contains('\\')
}

pub(crate) fn split_languages(s: &str) -> Result<Vec<String>, Complaint> {
    let langs: Vec<String> = s.split('+').map(str::to_owned).collect();
    if langs.iter().all(|l| is_slug(l, &['_']) && !l.is_empty()) {
        Ok(langs)
    } else {
        Err((
            format!("`{s}` is not a list of Tesseract languages"),
            "join language codes with `+`, e.g. `eng+chi_sim`".to_owned(),
        ))
    }
}

fn check_pattern(p: &str) -> Result<(), Complaint> {
    if p.is_empty() || p.contains('/') || p.contains('\\') {
        return Err((
            format!("pattern `{p}` must be a non-empty file name pattern"),
            "patterns match file names inside the watched folder, e.g. `*.pdf`".to_owned(),
        ));
    }
    Ok(())
}

fn check_table(t: &str) -> bool {
    match t.split_once('.') {
        Some((schema, table)) => is_identifier(schema) && is_identifier(table),
        None => is_identifier(t),
    }
}

/// One step as far as cross-step rules need it.
struct StepInfo<'v> {
    id: Option<&'v str>,
    kind: Option<&'static str>,
}

/// Check every rule the schema cannot express on the (possibly partial) JSON document.
pub fn check(doc: &Value, spans: &Spans, problems: &mut Vec<Problem>) {
    let mut push = |code: &'static str, path: &str, key: bool, (message, hint): Complaint| {
        let pos = if key {
            spans.key(path)
        } else {
            spans.value(path)
        };
        let p = Problem::new(code, path, pos, message);
        problems.push(if hint.is_empty() { p } else { p.hint(hint) });
    };
    let str_at = |v: &'_ Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);

    if let Some(v) = doc.get("version").and_then(Value::as_i64)
        && v != 1
    {
        push(
            "W006",
            "version",
            false,
            (
                format!("workflow format version {v} is not supported"),
                "this Docket reads `version: 1`".to_owned(),
            ),
        );
    }
    if let Some(name) = str_at(doc, "name")
        && !is_slug(&name, &['-'])
    {
        push(
            "W007",
            "name",
            false,
            (
                format!("flow name `{name}` may only hold lowercase letters, digits and `-`"),
                format!("e.g. `{}`", slugify(&name)),
            ),
        );
    }
    if let Some(schedule) = doc.get("schedule") {
        schedule::check(schedule, &mut push);
    }
    if let Some(langs) = doc
        .get("requires")
        .and_then(|r| r.get("ocr_languages"))
        .and_then(Value::as_array)
    {
        for (i, lang) in langs.iter().enumerate() {
            if let Some(l) = lang.as_str()
                && (l.is_empty() || !l.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            {
                let hint = if l.contains('+') {
                    format!(
                        "list the languages one per item: `[{}]`",
                        l.replace('+', ", ")
                    )
                } else {
                    "Tesseract language names are lowercase letters and `_`, e.g. `chi_sim`"
                        .to_owned()
                };
                push(
                    "W021",
                    &format!("requires.ocr_languages[{i}]"),
                    false,
                    (format!("`{l}` is not a Tesseract language name"), hint),
                );
            }
        }
    }

    let Some(steps) = doc.get("steps").and_then(Value::as_array) else {
        return;
    };
    if steps.is_empty() {
        push(
            "W008",
            "steps",
            true,
            (
                "the workflow has no steps".to_owned(),
                "add at least an `ingest` step".to_owned(),
            ),
        );
    }
    let infos: Vec<StepInfo> = steps
        .iter()
        .map(|s| StepInfo {
            id: s.get("id").and_then(Value::as_str),
            kind: KINDS.iter().copied().find(|k| s.get(*k).is_some()),
        })
        .collect();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, info) in infos.iter().enumerate() {
        let Some(id) = info.id else { continue };
        let path = format!("steps[{i}].id");
        if !is_slug(id, &['-', '_']) {
            push(
                "W018",
                &path,
                false,
                (
                    format!("step id `{id}` may only hold lowercase letters, digits, `-` and `_`"),
                    format!("e.g. `{}`", slugify(id)),
                ),
            );
        }
        if let Some(&j) = first_seen.get(id) {
            let first_line = spans.value(&format!("steps[{j}].id")).line;
            push(
                "W009",
                &path,
                false,
                (
                    format!("step id `{id}` is already used by steps[{j}] (line {first_line})"),
                    "give each step its own id".to_owned(),
                ),
            );
        } else {
            first_seen.insert(id, i);
        }
    }

    for (i, step) in steps.iter().enumerate() {
        let Some(kind) = infos[i].kind else { continue };
        let Some(body) = step.get(kind) else { continue };
        let base = format!("steps[{i}].{kind}");
        let wanted = match kind {
            "extract" => Some("ingest"),
            "write" | "screen" => Some("extract"),
            _ => None,
        };
        if let (Some(wanted), Some(from)) = (wanted, str_at(body, "from")) {
            let path = child(&base, "from");
            match infos.iter().position(|s| s.id == Some(from.as_str())) {
                None => {
                    let ids = infos.iter().filter_map(|s| s.id);
                    let hint = match suggest(&from, ids) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("name an earlier `{wanted}` step"),
                    };
                    push(
                        "W010",
                        &path,
                        false,
                        (
                            format!("`from: {from}` names no step in this workflow"),
                            hint,
                        ),
                    );
                }
                Some(j) if j >= i => push(
                    "W011",
                    &path,
                    false,
                    (
                        format!(
                            "`from: {from}` names {}; a step can only read an earlier step",
                            if j == i {
                                "this step itself".to_owned()
                            } else {
                                format!("a later step (steps[{j}])")
                            }
                        ),
                        "move the step after the one it reads".to_owned(),
                    ),
                ),
                Some(j) => {
                    if let Some(k) = infos[j].kind
                        && k != wanted
                    {
                        push(
                            "W012",
                            &path,
                            false,
                            (
                                format!(
                                    "`from: {from}` names {} {k} step; {} {kind} step reads {} {wanted} step",
                                    article(k),
                                    article(kind),
                                    article(wanted)
                                ),
                                format!("name an earlier `{wanted}` step"),
                            ),
                        );
                    }
                }
            }
        }
        match kind {
            "ingest" => check_ingest(body, &base, &mut push),
            "extract" => check_extract(body, &base, &mut push),
            "write" => {
                let known = str_at(body, "from")
                    .and_then(|f| {
                        steps
                            .iter()
                            .find(|s| s.get("id").and_then(Value::as_str) == Some(f.as_str()))
                    })
                    .and_then(|s| s.get("extract"))
                    .and_then(|e| e.get("schema"))
                    .and_then(Value::as_str)
                    .filter(|s| *s == "bank_statement")
                    .map(|_| (BANK_RECORD_FIELDS, BANK_DOCUMENT_FIELDS));
                check_write(body, &base, known, &mut push);
            }
            "screen" => check_screen(body, &base, &mut push),
            _ => {
                if let Some(html) = str_at(body, "html") {
                    let path = child(&base, "html");
                    if let Err(c) = check_path(&html) {
                        push("W016", &path, false, c);
                    } else if !html.to_ascii_lowercase().ends_with(".html") {
                        push(
                            "W016",
                            &path,
                            false,
                            (
                                format!("report file `{html}` must end in `.html`"),
                                format!(
                                    "e.g. `{}.html`",
                                    html.rsplit_once('.')
                                        .map_or(html.as_str(), |(stem, _)| stem)
                                ),
                            ),
                        );
                    }
                }
            }
        }
    }
}

type Push<'a> = dyn FnMut(&'static str, &str, bool, Complaint) + 'a;

fn check_ingest(body: &Value, base: &str, push: &mut Push<'_>) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for key in ["path", "done", "quarantine"] {
        if let Some(p) = body.get(key).and_then(Value::as_str) {
            if let Err(c) = check_path(p) {
                push("W016", &child(base, key), false, c);
            } else if let Some((other, _)) = seen
                .iter()
                .find(|(_, q)| q.trim_end_matches('/') == p.trim_end_matches('/'))
            {
                push("W016", &child(base, key), false, (
                    format!("`{key}` is the same folder as `{other}`"),
                    "processed and quarantined files must leave the watched folder: use separate folders".to_owned(),
                ));
            } else {
                seen.push((key, p));
            }
        }
    }
    if let Some(patterns) = body.get("patterns").and_then(Value::as_array) {
        if patterns.is_empty() {
            push(
                "W022",
                &child(base, "patterns"),
                false,
                (
                    "`patterns` is empty, so no file would ever be picked up".to_owned(),
                    "leave `patterns` out to accept every supported type".to_owned(),
                ),
            );
        }
        for (i, p) in patterns.iter().enumerate() {
            if let Some(p) = p.as_str()
                && let Err(c) = check_pattern(p)
            {
                push("W022", &format!("{base}.patterns[{i}]"), false, c);
            }
        }
    }
    if body.get("max_file_mb").and_then(Value::as_i64) == Some(0) {
        push(
            "W023",
            &child(base, "max_file_mb"),
            false,
            (
                "`max_file_mb` is 0, so every file would be quarantined".to_owned(),
                "use a limit such as 200".to_owned(),
            ),
        );
    }
    if body.get("max_image_mpx").and_then(Value::as_i64) == Some(0) {
        push(
            "W023",
            &child(base, "max_image_mpx"),
            false,
            (
                "`max_image_mpx` is 0, so every image and scanned page would be quarantined"
                    .to_owned(),
                "use a budget such as 100 (million pixels)".to_owned(),
            ),
        );
    }
    if let Some(s) = body.get("password_secret").and_then(Value::as_str)
        && let Err(c) = values::secret_name(s)
    {
        push("W025", &child(base, "password_secret"), false, c);
    }
}

fn check_extract(body: &Value, base: &str, push: &mut Push<'_>) {
    if let Some(schema) = body.get("schema").and_then(Value::as_str) {
        let path = child(base, "schema");
        if is_schema_file(schema) {
            if let Err(c) = check_path(schema) {
                push("W016", &path, false, c);
            }
        } else if !BUILTIN_SCHEMAS.contains(&schema) {
            let list = BUILTIN_SCHEMAS.join(", ");
            let hint = match suggest(schema, BUILTIN_SCHEMAS.iter().copied()) {
                Some(s) => format!(
                    "did you mean `{s}`? built-in schemas: {list}; or give a path to a `.json` JSON Schema file"
                ),
                None => format!(
                    "built-in schemas: {list}; or give a path to a `.json` JSON Schema file"
                ),
            };
            push(
                "W020",
                &path,
                false,
                (format!("unknown schema `{schema}`"), hint),
            );
        }
    }
    if let Some(l) = body.get("languages").and_then(Value::as_str)
        && let Err(c) = split_languages(l)
    {
        push("W021", &child(base, "languages"), false, c);
    }
    if let Some(llm) = body.get("llm") {
        llm::check(llm, &child(base, "llm"), push);
    }
}

fn check_screen(body: &Value, base: &str, push: &mut Push<'_>) {
    if let Some(p) = body.get("pack").and_then(Value::as_str)
        && let Err(c) = check_path(p)
    {
        push("W016", &child(base, "pack"), false, c);
    }
    if let Some(tz) = body.get("zone").and_then(Value::as_str)
        && let Err(c) = check_timezone(tz)
    {
        push("W015", &child(base, "zone"), false, c);
    }
}

fn check_write(body: &Value, base: &str, known: Option<(&[&str], &[&str])>, push: &mut Push<'_>) {
    if let Some(table) = body.get("table").and_then(Value::as_str)
        && !check_table(table)
    {
        push(
            "W024",
            &child(base, "table"),
            false,
            (
                format!(
                    "table name `{table}` must be letters, digits and `_` (optionally `schema.table`)"
                ),
                "names are used unquoted in SQL and as file names".to_owned(),
            ),
        );
    }
    if let Some(sink) = body.get("sink") {
        sinks::check(sink, &child(base, "sink"), push);
    }
    if let Some(columns) = body.get("columns").and_then(Value::as_object) {
        let cbase = child(base, "columns");
        if columns.is_empty() {
            push(
                "W025",
                &cbase,
                true,
                (
                    "`columns` is empty, so nothing would be written".to_owned(),
                    "map target columns to sources, e.g. `amount: record.amount`".to_owned(),
                ),
            );
        }
        for (name, expr) in columns {
            let path = child(&cbase, name);
            if !is_identifier(name) {
                push(
                    "W024",
                    &path,
                    true,
                    (
                        format!("column name `{name}` must be letters, digits and `_`"),
                        "names are used unquoted in SQL and as CSV headers".to_owned(),
                    ),
                );
            }
            if let Some(expr) = expr.as_str()
                && let Err(c) = parse_source(expr, known)
            {
                push("W013", &path, false, c);
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}
