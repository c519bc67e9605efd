//! Rules of the `ui` write target the schema cannot express: display choice, screen size,
//! durations, OCR languages, no literal secret in the `app` command, and — through a loader the
//! caller passes in, since this crate never reads files — the UI script itself (it loads, it has
//! one top-level `for_each`, the secrets it types have valid names).
//!
//! Messages never repeat what looks like a secret in `app`.

use std::path::Path;

use serde_json::Value;

use super::values::{self, parse_duration};
use super::{Push, check_path, resolve as join, split_languages};
use crate::config::{UiInDoubt, UiSink};
use crate::plan::{DEFAULT_UI_SCREEN, DEFAULT_UI_TIMEOUT, UiDisplay, UiPlan, parse_screen};
use crate::problem::Problem;
use crate::tree::child;

/// Check the `ui` value of a write sink at `base` (e.g. `steps[2].write.sink.ui`).
pub(super) fn check(ui: &Value, base: &str, push: &mut Push<'_>) {
    let str_of = |k: &str| ui.get(k).and_then(Value::as_str);
    if let Some(s) = str_of("script")
        && let Err(c) = check_path(s)
    {
        push("W016", &child(base, "script"), false, c);
    }
    let headless = ui.get("headless").and_then(Value::as_bool);
    if let Some(d) = str_of("display") {
        if headless == Some(true) {
            push(
                "W034",
                &child(base, "headless"),
                true,
                (
                    "`ui` target has both `display` and `headless: true`".to_owned(),
                    "keep one: `display: \":5\"` drives that display, `headless: true` starts a \
                     virtual one"
                        .to_owned(),
                ),
            );
        }
        if !is_display(d) {
            push(
                "W034",
                &child(base, "display"),
                false,
                (
                    format!("`{d}` is not an X display name"),
                    "write `:N` or `:N.S`, e.g. `:5` (or `host:N`)".to_owned(),
                ),
            );
        }
    }
    if let Some(s) = str_of("screen") {
        if parse_screen(s).is_none() {
            push(
                "W034",
                &child(base, "screen"),
                false,
                (
                    format!("`{s}` is not a screen size"),
                    "write WIDTHxHEIGHT in pixels (200 to 16384 each), e.g. `1920x1080`".to_owned(),
                ),
            );
        } else if headless != Some(true) && str_of("display").is_some() {
            push(
                "W034",
                &child(base, "screen"),
                true,
                (
                    "`screen` sets the size of a headless display, but this target drives `display`"
                        .to_owned(),
                    "leave `screen` out, or use `headless: true`".to_owned(),
                ),
            );
        }
    }
    if let Some(t) = str_of("timeout")
        && let Err(c) = parse_duration(t)
    {
        push("W026", &child(base, "timeout"), false, c);
    }
    if let Some(l) = str_of("ocr_languages")
        && let Err(c) = split_languages(l)
    {
        push("W021", &child(base, "ocr_languages"), false, c);
    }
    if let Some(app) = str_of("app") {
        if app.trim().is_empty() {
            push(
                "W025",
                &child(base, "app"),
                false,
                (
                    "`app` is empty".to_owned(),
                    "give the command that starts the application, or leave `app` out".to_owned(),
                ),
            );
        } else if let Some(what) = literal_secret(app) {
            push(
                "W035",
                &child(base, "app"),
                false,
                (
                    format!("the `app` command carries {what}"),
                    "never write passwords or tokens into the workflow: store them with `docket \
                     secret set NAME` and type them in the script with `type: {secret: NAME}`"
                        .to_owned(),
                ),
            );
        }
    }
}

fn is_display(d: &str) -> bool {
    let Some((host, rest)) = d.rsplit_once(':') else {
        return false;
    };
    let (num, screen) = rest.split_once('.').unwrap_or((rest, "0"));
    !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit())
        && !screen.is_empty()
        && screen.bytes().all(|b| b.is_ascii_digit())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
}

/// What in `cmd` looks like a literal credential, described without quoting it.
fn literal_secret(cmd: &str) -> Option<&'static str> {
    const WORDS: [&str; 8] = [
        "password", "passwd", "pwd", "token", "secret", "apikey", "api_key", "api-key",
    ];
    let words: Vec<&str> = cmd.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let lower = w.to_ascii_lowercase();
        if let Some(at) = lower.find("://")
            && lower[at + 3..]
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|auth| auth.contains('@') && auth.contains(':'))
        {
            return Some("a URL with a user name and password");
        }
        let name = lower.trim_start_matches('-');
        for key in WORDS {
            if let Some(rest) = name.strip_prefix(key) {
                // `--password=x`, `PASSWORD=x`, `token:x`
                if let Some(v) = rest.strip_prefix(['=', ':'])
                    && !v.is_empty()
                {
                    return Some("a password, token or key");
                }
                // `--password x`, `-pwd x`
                if rest.is_empty() && w.starts_with('-') && i + 1 < words.len() {
                    return Some("a password, token or key");
                }
            }
        }
    }
    None
}

/// Resolve a checked `ui` target.
pub(crate) fn resolve(u: &UiSink, base_dir: &Path) -> Option<UiPlan> {
    let display = match (&u.display, u.headless) {
        (Some(_), Some(true)) => return None,
        (Some(d), _) => UiDisplay::Named(d.clone()),
        (None, Some(true)) => UiDisplay::Headless,
        (None, _) => UiDisplay::Default,
    };
    Some(UiPlan {
        script: join(base_dir, &u.script),
        app: u.app.clone(),
        workdir: base_dir.to_path_buf(),
        display,
        screen: match &u.screen {
            Some(s) => parse_screen(s)?,
            None => DEFAULT_UI_SCREEN,
        },
        ocr_languages: match &u.ocr_languages {
            Some(l) => split_languages(l).ok()?.join("+"),
            None => "eng".to_owned(),
        },
        timeout: match &u.timeout {
            Some(t) => parse_duration(t).ok()?,
            None => DEFAULT_UI_TIMEOUT,
        },
        reenter_in_doubt: u.in_doubt == Some(UiInDoubt::Reenter),
    })
}

/// What the agent learned by loading a `ui` target's script (see [`check_ui_scripts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiScriptFacts {
    /// How many `for_each` steps the script has at its top level.
    pub top_level_for_each: usize,
    /// Whether a `for_each` sits inside another step (`if`, another `for_each`).
    pub nested_for_each: bool,
    /// Names of the secrets the script types.
    pub secrets: Vec<String>,
}

/// Check the script of every `ui` target of a workflow that [`crate::load`] accepted. `load`
/// reads and parses one script (the agent passes `docket_desktop::Script::load`); its error text
/// names the file and what is wrong. Problems carry the position of the target's `script` key:
/// W036 for a script that is missing, does not load or has no single top-level `for_each`, W025
/// for a secret name the secret store would refuse.
pub fn check_ui_scripts(
    yaml: &str,
    base_dir: &Path,
    load: &mut dyn FnMut(&Path) -> Result<UiScriptFacts, String>,
) -> Vec<Problem> {
    let checked = crate::tree::check(yaml, &crate::json_schema());
    let Some(doc) = checked.value else {
        return Vec::new();
    };
    let spans = checked.spans;
    let mut problems = Vec::new();
    let steps = doc.get("steps").and_then(Value::as_array);
    for (i, step) in steps.into_iter().flatten().enumerate() {
        let Some(script) = step
            .pointer("/write/sink/ui/script")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let path = format!("steps[{i}].write.sink.ui.script");
        let pos = spans.value(&path);
        let file = join(base_dir, script);
        let mut problem = |code: &'static str, message: String, hint: &str| {
            problems.push(Problem::new(code, &path, pos, message).hint(hint));
        };
        match load(&file) {
            Err(message) => problem(
                "W036",
                format!("the UI script cannot be used: {message}"),
                "check the path (relative to the workflow file's folder); a script that does not \
                 load says which step is wrong",
            ),
            Ok(facts) => {
                if facts.top_level_for_each != 1 {
                    let message = if facts.top_level_for_each == 0 && facts.nested_for_each {
                        format!(
                            "{}: the `for_each` is nested inside another step; a `ui` target \
                             needs it at the top level",
                            file.display()
                        )
                    } else {
                        format!(
                            "{}: has {} top-level `for_each` steps; a `ui` target needs exactly \
                             one (the records are entered there)",
                            file.display(),
                            facts.top_level_for_each
                        )
                    };
                    problem(
                        "W036",
                        message,
                        "put the per-record steps under one top-level `for_each: {steps: [...]}`; \
                         steps before it run once per batch, steps after it once at the end",
                    );
                }
                for s in &facts.secrets {
                    if values::secret_name(s).is_err() {
                        problem(
                            "W025",
                            format!(
                                "{}: a secret typed by the script has a name the secret store \
                                 refuses",
                                file.display()
                            ),
                            "secret names hold lowercase letters, digits, `-`, `_` and `.`; \
                             `type: {secret: NAME}` names the secret, not its value",
                        );
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literal_secrets_in_commands() {
        assert!(literal_secret("python3 form.py --out x.csv").is_none());
        assert!(literal_secret("app --password hunter2").is_some());
        assert!(literal_secret("app --token=abc").is_some());
        assert!(literal_secret("PASSWORD=abc app").is_some());
        assert!(literal_secret("app --url https://u:p@host/x").is_some());
        assert!(literal_secret("app --url https://host/x").is_none());
        assert!(literal_secret("app --password-file /etc/pw").is_none());
        assert!(literal_secret("app --secrets-dir /x").is_none());
    }

    #[test]
    fn display_names() {
        for ok in [":5", ":5.0", "localhost:10", "unix:0"] {
            assert!(is_display(ok), "{ok}");
        }
        for bad in ["5", ":", ":a", ":5.", ""] {
            assert!(!is_display(bad), "{bad}");
        }
    }
}
