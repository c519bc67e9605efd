//! Rules of `write: sink:` the schema cannot express: database URLs and their secrets, paths of
//! file-based sinks, the REST sink's URL, authentication and timeout, and the `ui` target
//! (`ui.rs`).
//!
//! Credentials never live in the workflow file: URLs that carry them are refused with a pointer
//! to the secret store, and messages never repeat a password.

use serde_json::Value;

use super::values::{self, UrlProblem};
use super::{Push, check_path};
use crate::tree::child;

/// Check the `sink` value of a write step at `sbase` (e.g. `steps[2].write.sink`).
pub(super) fn check(sink: &Value, sbase: &str, push: &mut Push<'_>) {
    if let Some(pg) = sink.get("postgres") {
        let path = child(sbase, "postgres");
        check_db(pg, &path, "postgres", push, |u, push| {
            match values::db_url(
                u,
                &["postgres", "postgresql"],
                "postgres://user@host:5432/database",
            ) {
                // Kept as W016, the code this rule had before W028 existed.
                Err(UrlProblem::Shape((_, h))) => push(
                    "W016",
                    &child(&path, "url"),
                    false,
                    (
                        format!("`{}` is not a PostgreSQL URL", values::redact(u)),
                        h,
                    ),
                ),
                Err(UrlProblem::Credentials(c)) => push("W029", &child(&path, "url"), false, c),
                Ok(()) => {}
            }
        });
    }
    if let Some(my) = sink.get("mysql") {
        let path = child(sbase, "mysql");
        check_db(my, &path, "mysql", push, |u, push| {
            match values::db_url(u, &["mysql"], "mysql://user@host:3306/database") {
                Err(UrlProblem::Shape(c)) => push("W028", &child(&path, "url"), false, c),
                Err(UrlProblem::Credentials(c)) => push("W029", &child(&path, "url"), false, c),
                Ok(()) => {}
            }
        });
    }
    for (kind, key) in [("sqlite", "path"), ("file", "dir")] {
        if let Some(p) = sink
            .get(kind)
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            && let Err(c) = check_path(p)
        {
            push("W016", &format!("{sbase}.{kind}.{key}"), false, c);
        }
    }
    if let Some(rest) = sink.get("rest") {
        check_rest(rest, &child(sbase, "rest"), push);
    }
    if let Some(ui) = sink.get("ui") {
        super::ui::check(ui, &child(sbase, "ui"), push);
    }
}

/// A database sink: exactly one of `url` and `url_secret`; the URL checked by `url_rule`.
fn check_db(
    db: &Value,
    path: &str,
    label: &str,
    push: &mut Push<'_>,
    url_rule: impl FnOnce(&str, &mut Push<'_>),
) {
    let url = db.get("url").and_then(Value::as_str);
    let secret = db.get("url_secret").and_then(Value::as_str);
    match (url, secret) {
        (Some(_), Some(_)) => push(
            "W019",
            path,
            true,
            (
                format!("{label} sink has both `url` and `url_secret`"),
                "keep one: `url_secret` when the URL carries a password".to_owned(),
            ),
        ),
        (None, None) => push(
            "W019",
            path,
            true,
            (
                format!("{label} sink needs `url` or `url_secret`"),
                "e.g. `url_secret: backoffice-db`".to_owned(),
            ),
        ),
        _ => {}
    }
    if let Some(u) = url {
        url_rule(u, push);
    }
    if let Some(s) = secret
        && let Err(c) = values::secret_name(s)
    {
        push("W025", &child(path, "url_secret"), false, c);
    }
}

fn check_rest(rest: &Value, base: &str, push: &mut Push<'_>) {
    let auth = rest.get("auth");
    if let Some(url) = rest.get("url").and_then(Value::as_str) {
        let path = child(base, "url");
        match values::http_url(url, "the REST", "`auth`") {
            Err(UrlProblem::Shape(c)) => push("W028", &path, false, c),
            Err(UrlProblem::Credentials(c)) => push("W029", &path, false, c),
            Ok(u) if u.scheme == "http" && !u.is_loopback() && auth.is_some() => push(
                "W032",
                &path,
                false,
                (
                    "the REST credentials would be sent unencrypted over `http://`".to_owned(),
                    "use `https://` (plain `http` is only allowed to this machine: localhost, 127.0.0.1, ::1)"
                        .to_owned(),
                ),
            ),
            Ok(_) => {}
        }
    }
    if let Some(t) = rest.get("timeout").and_then(Value::as_str)
        && let Err(c) = values::parse_duration(t)
    {
        push("W026", &child(base, "timeout"), false, c);
    }
    let Some(auth) = auth else { return };
    let abase = child(base, "auth");
    let secret = |push: &mut Push<'_>, key: &str, v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str)
            && let Err(c) = values::secret_name(s)
        {
            push("W025", &child(&abase, key), false, c);
        }
    };
    secret(push, "bearer_secret", auth.get("bearer_secret"));
    if let Some(basic) = auth.get("basic") {
        secret(push, "basic.password_secret", basic.get("password_secret"));
        if let Some(user) = basic.get("user").and_then(Value::as_str)
            && (user.is_empty() || user.contains(':') || user.chars().any(char::is_control))
        {
            push(
                "W025",
                &format!("{abase}.basic.user"),
                false,
                (
                    "a basic-authentication user name must be non-empty and without `:`".to_owned(),
                    "the password goes in the secret named by `password_secret`".to_owned(),
                ),
            );
        }
    }
    if let Some(header) = auth.get("header") {
        secret(push, "header.value_secret", header.get("value_secret"));
        if let Some(name) = header.get("name").and_then(Value::as_str)
            && let Err(c) = values::header_name(name)
        {
            push("W025", &format!("{abase}.header.name"), false, c);
        }
    }
}
