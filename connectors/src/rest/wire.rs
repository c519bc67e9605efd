//! The REST sink's wire format and answer handling: the JSON body of a record, `Retry-After`,
//! and the short, printable excerpt of an error answer that goes into messages. Nothing here may
//! panic on what a server sends: bodies are read bounded, lossily, and cut to a fixed length.

use std::io::Read;
use std::time::{Duration, SystemTime};

use reqwest::blocking::Response;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::ident::Ident;
use crate::{OutRecord, Value};

/// Longest excerpt of a server's answer kept in a message.
const SNIPPET_CHARS: usize = 200;
/// Bytes read from an error answer to make the excerpt; the rest is ignored.
const SNIPPET_READ: u64 = 4 * 1024;
/// Bytes of a success answer read (and dropped) so the connection can be reused.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The error with its cause chain, without the URL (its query may hold an API key).
pub(super) fn transport_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut s = format!("{kind}: {e}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Reads and drops (a bounded part of) a body so the connection can be reused.
pub(super) fn drain(resp: Response) {
    let _ = std::io::copy(&mut resp.take(DRAIN_LIMIT), &mut std::io::sink());
}

/// A short, printable excerpt of an answer: control characters and runs of white space folded
/// into one space, at most [`SNIPPET_CHARS`] characters. Never fails: an unreadable or truncated
/// body yields what arrived.
pub(super) fn snippet(resp: Response) -> String {
    let mut bytes = Vec::new();
    let read = resp.take(SNIPPET_READ).read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let folded = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if folded.is_empty() {
        return match read {
            Err(e) => format!("(body unreadable: {e})"),
            Ok(_) => "(empty body)".to_owned(),
        };
    }
    shorten(&folded)
}

/// `text` cut to [`SNIPPET_CHARS`] characters, the last one `…` when cut.
fn shorten(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(SNIPPET_CHARS - 1).collect();
    out.push('…');
    out
}

/// `Retry-After` as delta seconds or an HTTP date, relative to `now`.
pub(super) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The JSON body of one record: its columns (decimals, dates and times as exact strings), then
/// `docket_key` and `table`.
pub(super) fn body(table: &Ident, rec: &OutRecord) -> Vec<u8> {
    let mut obj = serde_json::Map::with_capacity(rec.values.len() + 2);
    for (name, v) in &rec.values {
        let j = match v {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => serde_json::Value::from(*i),
            other => other
                .to_text()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        };
        obj.insert(name.clone(), j);
    }
    obj.insert(
        crate::KEY_COLUMN.to_owned(),
        serde_json::Value::String(rec.key.clone()),
    );
    obj.insert(
        "table".to_owned(),
        serde_json::Value::String(table.as_str().to_owned()),
    );
    serde_json::to_vec(&serde_json::Value::Object(obj)).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(42)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&past).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn excerpts_are_cut_to_200_characters() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(500);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with('…'));
    }
}
