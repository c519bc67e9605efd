//! Rules of an `extract` step's `llm:` block the schema cannot express: the endpoint URL (no
//! credentials, no key over plain `http` to another machine), the API key's secret name, the
//! request timeout, and `redact: false` only towards this machine.
//!
//! Pure string work like the rest of `validate`: the endpoint is never contacted.

use serde_json::Value;

use super::Push;
use super::values::{self, UrlProblem};
use crate::tree::child;

/// Check `llm` (the JSON value of an extract step's `llm:` block) at `base`.
pub(super) fn check(llm: &Value, base: &str, push: &mut Push<'_>) {
    let s = |k: &str| llm.get(k).and_then(Value::as_str);
    let secret = s("api_key_secret");
    let mut loopback = None;
    if let Some(url) = s("url") {
        let path = child(base, "url");
        match values::http_url(url, "the LLM endpoint", "`api_key_secret`") {
            Err(UrlProblem::Shape(c)) => push("W028", &path, false, c),
            Err(UrlProblem::Credentials(c)) => push("W029", &path, false, c),
            Ok(u) => {
                if u.scheme == "http" && !u.is_loopback() && secret.is_some() {
                    push(
                        "W032",
                        &path,
                        false,
                        (
                            "the LLM API key would be sent unencrypted over `http://`".to_owned(),
                            "use `https://` (plain `http` is only allowed to this machine: localhost, 127.0.0.1, ::1)"
                                .to_owned(),
                        ),
                    );
                }
                loopback = Some(u.is_loopback());
            }
        }
    }
    if let Some(model) = s("model")
        && model.trim().is_empty()
    {
        push(
            "W025",
            &child(base, "model"),
            false,
            (
                "`model` is empty".to_owned(),
                "name the model the endpoint serves, or leave `model` out to use `DOCKET_LLM_MODEL`"
                    .to_owned(),
            ),
        );
    }
    if let Some(name) = secret
        && let Err(c) = values::secret_name(name)
    {
        push("W025", &child(base, "api_key_secret"), false, c);
    }
    if let Some(t) = s("timeout")
        && let Err(c) = values::parse_duration(t)
    {
        push("W026", &child(base, "timeout"), false, c);
    }
    if llm.get("redact").and_then(Value::as_bool) == Some(false) {
        let complaint = match (s("url"), loopback) {
            (None, _) => Some((
                "`redact: false` without a `url`: the endpoint the agent is given may be on another machine"
                    .to_owned(),
                "give a `url` on this machine (localhost, 127.0.0.1, ::1), or remove `redact: false`"
                    .to_owned(),
            )),
            (Some(_), Some(false)) => Some((
                "`redact: false` would send account numbers, IDs and phone numbers to another machine"
                    .to_owned(),
                "unredacted text may only go to an endpoint on this machine (localhost, 127.0.0.1, ::1): remove `redact: false`"
                    .to_owned(),
            )),
            // A malformed URL is reported on its own.
            _ => None,
        };
        if let Some(c) = complaint {
            push("W033", &child(base, "redact"), false, c);
        }
    }
}
