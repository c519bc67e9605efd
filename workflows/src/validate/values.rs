//! Shape checks of single values the new sections use: durations, `http(s)` URLs, database URLs,
//! `host:port`, e-mail addresses, secret names and HTTP header names.
//!
//! Pure string work: nothing is resolved or connected to. Messages never repeat a password: a
//! URL that carries credentials is described, not quoted.

use std::time::Duration;

use super::{Complaint, is_slug};

/// Parse a duration written as a whole number and one unit: `30s`, `15m`, `2h`. Zero is refused
/// (a zero timeout or delay is never what is meant).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, Complaint> {
    let example = "write a whole number and one unit: `30s`, `15m` or `2h`";
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    let n = match digits.parse::<u64>() {
        Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            let hint = if s.chars().filter(char::is_ascii_alphabetic).count() > 1
                && s.chars().any(|c| c.is_ascii_digit())
            {
                "use a single unit, e.g. `90m` rather than `1h30m`".to_owned()
            } else {
                example.to_owned()
            };
            return Err((format!("`{s}` is not a duration"), hint));
        }
    };
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "" => {
            return Err((
                format!("duration `{s}` has no unit"),
                format!("did you mean `{s}s`? {example}"),
            ));
        }
        other => {
            return Err((
                format!("`{other}` in `{s}` is not a duration unit"),
                format!("units are `s`, `m` and `h`; {example}"),
            ));
        }
    };
    if n == 0 {
        return Err((
            format!("duration `{s}` is zero"),
            "give a duration longer than zero, or leave the key out".to_owned(),
        ));
    }
    match n.checked_mul(factor) {
        Some(secs) if secs <= 366 * 24 * 3600 => Ok(Duration::from_secs(secs)),
        _ => Err((
            format!("duration `{s}` is longer than a year"),
            "use a shorter duration".to_owned(),
        )),
    }
}

/// The problem with a URL, sorted by the code it is reported under.
#[derive(Debug)]
pub(crate) enum UrlProblem {
    /// Malformed, or the wrong scheme (`W028`).
    Shape(Complaint),
    /// A user name or password is written into it (`W029`).
    Credentials(Complaint),
}

/// The parts of an `http(s)` URL the rules need.
#[derive(Debug)]
pub(crate) struct HttpUrl {
    /// `http` or `https` (lowercase).
    pub scheme: String,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
}

impl HttpUrl {
    /// Whether the host is this machine, where plain `http` cannot be overheard.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.starts_with("127.")
            || self.host == "::1"
    }
}

/// Split `scheme://authority/rest`, returning the scheme, the authority and everything after
/// the `://`.
fn split_url(s: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], rest))
}

/// Where a user name and password would be: the text after `://` up to the last `@` before any
/// `?` or `#`. Lenient on purpose, so a password holding a raw `/` is still caught.
fn userinfo(after_scheme: &str) -> Option<&str> {
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    after_scheme[..end].rfind('@').map(|i| &after_scheme[..i])
}

/// Whether a URL (the part after `://`) carries a password, or, with `any_user`, a user name.
fn has_credentials(after_scheme: &str, any_user: bool) -> bool {
    userinfo(after_scheme).is_some_and(|u| u.contains(':') || (any_user && !u.contains('/')))
}

/// Check an `http://` or `https://` URL of `what` (e.g. "the webhook"): well formed, with a
/// host, and without a user name or password.
pub(crate) fn http_url(s: &str, what: &str, secret_key: &str) -> Result<HttpUrl, UrlProblem> {
    let shape = |m: String| {
        UrlProblem::Shape((
            m,
            "write the full address, e.g. `https://host.example/path`".to_owned(),
        ))
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(shape(format!(
            "{what} URL contains spaces or control characters"
        )));
    }
    // The text is not repeated before the credentials check: it may hold a password.
    let Some((scheme, authority, rest)) = split_url(s) else {
        return Err(shape(format!("{what} URL has no `http://` or `https://`")));
    };
    if has_credentials(rest, true) {
        return Err(UrlProblem::Credentials((
            format!("{what} URL carries a user name or password"),
            format!(
                "put the token in the secret store and name it in {secret_key}: `docket secret set NAME`"
            ),
        )));
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(shape(format!(
            "{what} URL must start with `http://` or `https://`, not `{scheme}://`"
        )));
    }
    let host = host_port(authority, false)
        .map_err(|(m, _)| shape(format!("{what} URL `{s}`: {m}")))?
        .0;
    Ok(HttpUrl { scheme, host })
}

/// Check a database URL literal: the scheme is one of `schemes`, and no password is written
/// into it (a user name alone is fine).
pub(crate) fn db_url(s: &str, schemes: &[&str], example: &str) -> Result<(), UrlProblem> {
    let Some((scheme, _, rest)) = split_url(s) else {
        return Err(UrlProblem::Shape((
            format!("`{}` is not a database URL", redact(s)),
            format!("write `{example}`"),
        )));
    };
    if has_credentials(rest, false) {
        return Err(UrlProblem::Credentials((
            "the connection URL carries a password".to_owned(),
            "store the whole URL with `docket secret set NAME` and write `url_secret: NAME` instead of `url`"
                .to_owned(),
        )));
    }
    if !schemes.iter().any(|w| scheme.eq_ignore_ascii_case(w)) {
        return Err(UrlProblem::Shape((
            format!("`{}` is not a {} URL", redact(s), schemes[0]),
            format!("write `{example}`"),
        )));
    }
    Ok(())
}

/// `s` with the password of a `scheme://user:password@host` URL replaced by `***`, for messages
/// and rendered source lines.
pub(crate) fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ']'))
            .unwrap_or(tail.len());
        let url = &tail[..end];
        match userinfo(url).and_then(|u| u.split_once(':')) {
            Some((user, _)) => {
                let at = userinfo(url).map_or(0, str::len);
                out.push_str(user);
                out.push_str(":***");
                out.push_str(&url[at..]);
            }
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Split and check `host:port` (the port is required when `need_port`). IPv6 addresses are
/// written in brackets, `[::1]:25`, and returned without them.
pub(crate) fn host_port(s: &str, need_port: bool) -> Result<(String, Option<u16>), Complaint> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((h, after)) = rest.split_once(']') else {
            return Err((
                "`[` without `]`".to_owned(),
                "write IPv6 addresses as `[::1]:25`".to_owned(),
            ));
        };
        if !h
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            || h.is_empty()
        {
            return Err((format!("`{h}` is not an IPv6 address"), String::new()));
        }
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => {
                return Err((
                    format!("unexpected `{after}` after the address"),
                    String::new(),
                ));
            }
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let name_ok = !host.is_empty()
        && (s.starts_with('[')
            || host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }));
    if !name_ok {
        return Err((
            format!("`{host}` is not a host name"),
            "host names are letters, digits, `-` and `.`".to_owned(),
        ));
    }
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err((
                    format!("port `{p}` must be a number from 1 to 65535"),
                    String::new(),
                ));
            }
        },
        None if need_port => {
            return Err((
                format!("`{s}` has no port"),
                "write `host:port`, e.g. `mail.bank.example:587` (STARTTLS) or `:465` (TLS)"
                    .to_owned(),
            ));
        }
        None => None,
    };
    Ok((host.to_owned(), port))
}

/// Check the shape of an e-mail address: `local@domain`, no display name, no spaces.
pub(crate) fn email(s: &str) -> Result<(), Complaint> {
    let bad = || {
        let hint = if s.contains('<') {
            "write the bare address, without a display name: `ops@bank.example`"
        } else {
            "write an address such as `ops@bank.example`"
        };
        Err((format!("`{s}` is not an e-mail address"), hint.to_owned()))
    };
    let Some((local, domain)) = s.split_once('@') else {
        return bad();
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
        });
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok { Ok(()) } else { bad() }
}

/// Check a secret name: the rule `docket secret set` applies.
pub(crate) fn secret_name(s: &str) -> Result<(), Complaint> {
    if is_slug(s, &['-', '_', '.']) {
        Ok(())
    } else {
        // The value is not repeated: it may be the secret itself, pasted by mistake.
        Err((
            "a secret name may only hold lowercase letters, digits, `-`, `_` and `.`".to_owned(),
            "name the secret, not its value: `docket secret set NAME` stores the value".to_owned(),
        ))
    }
}

/// Check an HTTP header name (an RFC 9110 token).
pub(crate) fn header_name(s: &str) -> Result<(), Complaint> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
    {
        Ok(())
    } else {
        Err((
            format!("`{s}` is not an HTTP header name"),
            "header names are letters, digits and `-`, e.g. `X-Api-Key`".to_owned(),
        ))
    }
}
