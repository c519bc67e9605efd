//! Problems found in a workflow file: a stable code, where (path, line, column), what is wrong
//! and what to do; and their compiler-style rendering for people.
//!
//! Codes are stable: once published, a code keeps its meaning (tools and docs refer to them).
//! This module must never decide what is a problem; it only describes and renders them.

use serde::Serialize;

/// One thing wrong with a workflow file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code of the kind of problem, e.g. `W002` (see [`CODES`]).
    pub code: &'static str,
    /// Where in the document, e.g. `steps[2].write.table` (empty for the whole document).
    pub path: String,
    /// 1-based line in the YAML source; 0 when the workflow did not come from text.
    pub line: usize,
    /// 1-based column (in characters) in the YAML source; 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

/// A position in the YAML source (1-based line and column; 0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Problem {
    /// A problem at `pos` without a hint.
    pub fn new(code: &'static str, path: &str, pos: Pos, message: impl Into<String>) -> Self {
        Problem {
            code,
            path: path.to_owned(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            hint: None,
        }
    }

    /// The same problem with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every problem code with a one-line title: the registry tools and `docket explain` read.
pub const CODES: &[(&str, &str)] = &[
    (
        "W000",
        "internal: the checked document could not be deserialised (a Docket bug)",
    ),
    (
        "W001",
        "the file is not valid YAML (or uses anchors/tags, which workflows do not allow)",
    ),
    ("W002", "unknown key"),
    ("W003", "wrong type of value"),
    ("W004", "missing required key"),
    ("W005", "value is not one of the allowed choices"),
    ("W006", "unsupported format version"),
    ("W007", "invalid flow name"),
    ("W008", "the workflow has no steps"),
    ("W009", "duplicate step id"),
    ("W010", "`from` names a step that does not exist"),
    ("W011", "`from` names a later step (or the step itself)"),
    ("W012", "`from` names a step of the wrong kind"),
    ("W013", "unknown column source expression"),
    ("W014", "invalid cron expression"),
    ("W015", "unknown time zone"),
    ("W016", "invalid path"),
    ("W017", "a step must have exactly one kind"),
    ("W018", "invalid step id"),
    (
        "W019",
        "database sink (postgres, mysql) needs exactly one of `url` and `url_secret`",
    ),
    ("W020", "unknown built-in schema"),
    ("W021", "invalid OCR languages"),
    ("W022", "invalid file pattern"),
    ("W023", "number out of range"),
    ("W024", "invalid table or column name"),
    (
        "W025",
        "empty or malformed value (empty `columns`, bad secret name, bad header or user name)",
    ),
    ("W026", "invalid duration (write `30s`, `15m` or `2h`)"),
    (
        "W027",
        "schedule options that do not go together (`days` with the cron's day fields, `shift`, `catch_up_max`)",
    ),
    (
        "W028",
        "invalid URL or server address (webhook, REST endpoint, MySQL URL, SMTP `host:port`)",
    ),
    (
        "W029",
        "credentials written into a URL: name a secret instead",
    ),
    ("W030", "invalid e-mail address"),
    (
        "W031",
        "incomplete alert settings (nobody to tell, a secret or user without its partner)",
    ),
    (
        "W032",
        "a credential would be sent unencrypted (`http://` to another machine, SMTP password with `tls: none`)",
    ),
    (
        "W033",
        "`redact: false` with an LLM endpoint that is not on this machine (or not named)",
    ),
    (
        "W034",
        "`ui` target settings that do not go together or are malformed (`display` with `headless: true`, display name, screen size)",
    ),
    (
        "W035",
        "a `ui` target's `app` command carries a literal password or token: type a secret in the script instead",
    ),
    (
        "W036",
        "the `ui` target's script cannot be used (missing, does not load, not exactly one top-level `for_each`)",
    ),
    (
        "W037",
        "the schedule's calendar file cannot be used (missing or does not load)",
    ),
];

/// Render problems like a compiler does: `file:line:col`, the source line, a caret under the
/// offending token, and the hint.
pub fn render_problems(file: &str, yaml: &str, problems: &[Problem]) -> String {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = String::new();
    for p in problems {
        out.push_str(&format!("error[{}]: {}\n", p.code, p.message));
        let num = p.line.to_string();
        let pad = " ".repeat(num.len());
        if p.line == 0 {
            out.push_str(&format!("{pad}--> {file}\n"));
        } else {
            out.push_str(&format!("{pad}--> {file}:{}:{}\n", p.line, p.column));
        }
        if let Some(src) = p.line.checked_sub(1).and_then(|i| lines.get(i)) {
            // A password written into a URL is shown as `***`, and so is a malformed value of a
            // `*_secret` key (it may be the secret itself, pasted by mistake), so the rendering
            // can go to logs.
            let mut src = crate::validate::values::redact(src);
            let col = p.column.max(1);
            let width = token_width(&src, col);
            if p.code == "W025" && p.path.ends_with("_secret") {
                src = src
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if (col - 1..col - 1 + width).contains(&i) {
                            '*'
                        } else {
                            c
                        }
                    })
                    .collect();
            }
            let indent: String = src
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "{pad} |\n{num} | {src}\n{pad} | {indent}{}\n",
                "^".repeat(width)
            ));
        }
        if !p.path.is_empty() {
            out.push_str(&format!("{pad} = at: {}\n", p.path));
        }
        if let Some(h) = &p.hint {
            out.push_str(&format!("{pad} = hint: {h}\n"));
        }
        out.push('\n');
    }
    out
}

/// Width of the token starting at 1-based `col`: a quoted string up to its closing quote, else
/// up to whitespace or YAML punctuation. At least 1 so there is always a caret.
fn token_width(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col - 1).collect();
    let width = match rest.first() {
        Some(q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == q)
            .map_or(rest.len(), |i| i + 2),
        _ => rest
            .iter()
            .position(|c| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
            .unwrap_or(rest.len()),
    };
    // A key's token ends before its colon.
    let token: String = rest.iter().take(width).collect();
    let width = match token.strip_suffix(':') {
        Some(t) if !t.is_empty() => t.chars().count(),
        _ => width,
    };
    width.max(1)
}
