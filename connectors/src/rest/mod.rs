//! The REST sink: one JSON request per record to a back-office HTTP endpoint, made idempotent by
//! the `Idempotency-Key` header (the record's `docket_key`), which the server uses to store each
//! record once however often it is re-sent.
//!
//! Answers are classified per record: 2xx written, 409 already there (duplicate), 408/429/5xx and
//! transport failures retried with capped exponential backoff and full jitter (429 and 503 honour
//! `Retry-After`), 401/403 stop the batch as `SinkUnavailable` (fix the secret, nothing is lost),
//! 404/405 and redirects stop it as `SinkMisconfigured` (wrong URL or method), and any other 4xx
//! rejects that record alone ([`crate::WriteOutcome::rejected`]) while the batch goes on. When a
//! record still fails after `max_attempts`, the batch fails `SinkUnavailable`: the runner keeps
//! every record of it in the outbox and re-sends them later, and the server deduplicates those it
//! already stored.
//!
//! This module must never put a credential, the URL's user info or its query string (which may
//! carry an API key) into a message, `Debug` output or [`Sink::describe`], and must never follow
//! a redirect (a redirected POST silently becomes a GET).

mod wire;

use std::time::{Duration, SystemTime};

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};

use crate::ident::Ident;
use crate::record::{check_batch, check_keys};
use crate::{OutRecord, Rejected, Sink, SinkError, WriteOutcome};
use wire::{body, drain, retry_after, snippet, transport_error};

/// Longest wait for establishing a connection, whatever the request timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP method of the per-record request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `POST` (the default).
    #[default]
    Post,
    /// `PUT`.
    Put,
}

impl HttpMethod {
    fn as_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
        }
    }

    fn name(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// Credentials sent with every request; values come from the secret store and are never shown.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RestAuth {
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// A custom header, e.g. `X-Api-Key: VALUE`.
    Header {
        /// Header name (not secret).
        name: String,
        /// Header value (secret).
        value: String,
    },
}

impl RestAuth {
    fn kind(&self) -> String {
        match self {
            RestAuth::Bearer(_) => "bearer token".to_owned(),
            RestAuth::Basic { .. } => "basic auth".to_owned(),
            RestAuth::Header { name, .. } => format!("{name} header"),
        }
    }

    /// The secret texts, to scrub from anything the server echoes back.
    fn secrets(&self) -> Vec<String> {
        let all = match self {
            RestAuth::Bearer(t) => vec![t.clone()],
            RestAuth::Basic { password, .. } => vec![password.clone()],
            RestAuth::Header { value, .. } => vec![value.clone()],
        };
        // Very short "secrets" would blank out ordinary words; they are not scrubbed.
        all.into_iter().filter(|s| s.len() >= 4).collect()
    }
}

impl std::fmt::Debug for RestAuth {
    // Hand-written: names the kind of credential, never its value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestAuth::Bearer(_) => f.write_str("Bearer(***)"),
            RestAuth::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &"***")
                .finish(),
            RestAuth::Header { name, .. } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", &"***")
                .finish(),
        }
    }
}

/// Waits between tries of one record: full jitter, i.e. a uniformly random wait between zero and
/// `min(cap, base × 2^retry)`; the `Retry-After` of a 429 or 503 answer is honoured up to
/// `retry_after_cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first wait (default 100 ms).
    pub base: Duration,
    /// Largest ceiling of any wait (default 5 s).
    pub cap: Duration,
    /// Longest `Retry-After` obeyed (default 60 s); a longer one is cut to this.
    pub retry_after_cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

pub(crate) fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

pub(crate) fn default_max_attempts() -> u32 {
    5
}

/// Serde form of the timeout: whole milliseconds.
pub(crate) mod duration_ms {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms: u64 = serde::Deserialize::deserialize(d)?;
        Ok(Duration::from_millis(ms))
    }
}

/// `scheme://host[:port]/path`, with `?…` standing for a query: never user info or query values.
pub(crate) fn redacted_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => {
            let mut s = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
            if let Some(p) = u.port() {
                s.push_str(&format!(":{p}"));
            }
            s.push_str(u.path());
            if u.query().is_some() {
                s.push_str("?…");
            }
            s
        }
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

/// The description [`RestSink::describe`] and `SinkSpec::describe` give.
pub(crate) fn describe(url: &str, method: HttpMethod, auth: Option<&RestAuth>) -> String {
    let mut s = format!("rest:{} {}", method.name(), redacted_url(url));
    if let Some(a) = auth {
        s.push_str(&format!(" ({})", a.kind()));
    }
    s
}

/// What the server made of one record.
enum Answer {
    Written,
    Duplicate,
    Rejected(String),
}

/// A sink sending each record as one HTTP request; one client, so connections are kept alive.
pub struct RestSink {
    client: Client,
    url: Url,
    method: HttpMethod,
    auth: Option<RestAuth>,
    max_attempts: u32,
    backoff: Backoff,
    described: String,
}

impl RestSink {
    /// Checks the settings and builds the client; contacts nothing. A malformed URL, a URL
    /// with user info, a zero timeout or attempt count, or an unusable auth header name or value
    /// is [`docket_core::ErrorCode::SinkMisconfigured`].
    pub fn new(
        url: &str,
        method: HttpMethod,
        auth: Option<RestAuth>,
        timeout: Duration,
        max_attempts: u32,
    ) -> Result<RestSink, SinkError> {
        let shown = redacted_url(url);
        let parsed = Url::parse(url).map_err(|e| {
            SinkError::misconfigured(format!(
                "the REST sink URL {shown} is not a valid URL ({e}); expected \
                 https://host[:port]/path"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(SinkError::misconfigured(format!(
                "the REST sink URL {shown} must be http:// or https:// with a host"
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(SinkError::misconfigured(format!(
                "the REST sink URL {shown} carries user info; put credentials into the sink's \
                 auth (from the secret store) instead"
            )));
        }
        if max_attempts == 0 || timeout.is_zero() {
            return Err(SinkError::misconfigured(format!(
                "the REST sink {shown} needs max_attempts ≥ 1 and a timeout above zero"
            )));
        }
        if let Some(RestAuth::Header { name, value }) = &auth {
            let bad_name = HeaderName::from_bytes(name.as_bytes()).is_err();
            if bad_name || HeaderValue::from_str(value).is_err() {
                return Err(SinkError::misconfigured(format!(
                    "the REST sink {shown}: auth header {} is not a valid HTTP header name and \
                     value (visible ASCII only); fix the workflow or the secret",
                    if bad_name { "name" } else { "value" }
                )));
            }
        }
        if let Some(RestAuth::Bearer(token)) = &auth
            && HeaderValue::from_str(&format!("Bearer {token}")).is_err()
        {
            return Err(SinkError::misconfigured(format!(
                "the REST sink {shown}: the bearer token contains characters not allowed in a \
                 header; check the secret"
            )));
        }
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("docket/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                SinkError::misconfigured(format!(
                    "the REST sink {shown}: cannot build the HTTP client: {}",
                    e.without_url()
                ))
            })?;
        Ok(RestSink {
            client,
            described: describe(url, method, auth.as_ref()),
            url: parsed,
            method,
            auth,
            max_attempts,
            backoff: Backoff::default(),
        })
    }

    /// Replaces the waits between tries (tests and benchmarks use short ones).
    pub fn with_backoff(mut self, backoff: Backoff) -> RestSink {
        self.backoff = backoff;
        self
    }

    fn secrets(&self) -> Vec<String> {
        self.auth
            .as_ref()
            .map(RestAuth::secrets)
            .unwrap_or_default()
    }

    fn scrub(&self, mut text: String) -> String {
        for s in self.secrets() {
            text = text.replace(&s, "***");
        }
        text
    }

    fn request(&self, table: &Ident, key: &str, body: &[u8]) -> reqwest::Result<Response> {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        // Keys and table names are validated (hex, identifier), so these never fail.
        if let Ok(v) = HeaderValue::from_str(key) {
            headers.insert("idempotency-key", v);
        }
        if let Ok(v) = HeaderValue::from_str(table.as_str()) {
            headers.insert("docket-table", v);
        }
        let mut req = self
            .client
            .request(self.method.as_reqwest(), self.url.clone())
            .headers(headers)
            .body(body.to_vec());
        req = match &self.auth {
            None => req,
            Some(RestAuth::Bearer(t)) => req.bearer_auth(t),
            Some(RestAuth::Basic { user, password }) => req.basic_auth(user, Some(password)),
            Some(RestAuth::Header { name, value }) => match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(mut v)) => {
                    v.set_sensitive(true);
                    req.header(n, v)
                }
                // Checked in `new`.
                _ => req,
            },
        };
        req.send()
    }

    /// Sends one record until the server answers for it or the attempts run out.
    fn deliver(&self, table: &Ident, key: &str, body: &[u8]) -> Result<Answer, SinkError> {
        let mut last = String::new();
        for attempt in 1..=self.max_attempts {
            let mut wait = self.backoff.delay(attempt - 1);
            match self.request(table, key, body) {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        drain(resp);
                        return Ok(Answer::Written);
                    }
                    if status == StatusCode::CONFLICT {
                        drain(resp);
                        return Ok(Answer::Duplicate);
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::SERVICE_UNAVAILABLE
                    {
                        // Both may say when to come back; without Retry-After, the backoff.
                        if let Some(after) = retry_after(resp.headers(), SystemTime::now()) {
                            wait = after.min(self.backoff.retry_after_cap);
                        }
                        last = format!("HTTP {status}: {}", self.scrub(snippet(resp)));
                    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                        last = format!("HTTP {status}: {}", self.scrub(snippet(resp)));
                    } else if matches!(status.as_u16(), 401 | 403) {
                        return Err(SinkError::unavailable(format!(
                            "REST {} refused the credentials for table {table} (HTTP {status}: \
                             {}); check the secret the workflow names; pending records stay in \
                             the outbox",
                            self.described,
                            self.scrub(snippet(resp))
                        )));
                    } else if matches!(status.as_u16(), 404 | 405) || status.is_redirection() {
                        return Err(SinkError::misconfigured(format!(
                            "REST {} answered HTTP {status} for table {table}: wrong URL or method \
                             (redirects are not followed); put the endpoint's final URL and \
                             method into the workflow",
                            self.described
                        )));
                    } else if status.is_client_error() {
                        return Ok(Answer::Rejected(format!(
                            "HTTP {status}: {}",
                            self.scrub(snippet(resp))
                        )));
                    } else {
                        last = format!("unexpected HTTP {status}");
                        drain(resp);
                    }
                }
                Err(e) => last = self.scrub(transport_error(e)),
            }
            tracing::debug!(target = %self.described, key, attempt, %last, "REST request failed; retrying");
            if attempt < self.max_attempts {
                std::thread::sleep(wait);
            }
        }
        Err(SinkError::unavailable(format!(
            "REST {} did not accept record {key} for table {table} after {} attempts (last: \
             {last}); pending records stay in the outbox and are re-sent later, the server \
             deduplicates them by Idempotency-Key",
            self.described, self.max_attempts
        )))
    }
}

impl Sink for RestSink {
    fn describe(&self) -> String {
        self.described.clone()
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let table = Ident::parse(table, "table")?;
        let batch = check_batch(table.as_str(), records)?;
        if let Some(c) = batch.columns.iter().find(|c| c.as_str() == "table") {
            return Err(SinkError::rejected(format!(
                "REST {}: column {c} clashes with the \"table\" field Docket adds to every \
                 request body; rename the mapped column in the workflow",
                self.described
            )));
        }
        let mut outcome = WriteOutcome::new(0, batch.repeated);
        for rec in &batch.rows {
            match self.deliver(&table, &rec.key, &body(&table, rec))? {
                Answer::Written => outcome.inserted += 1,
                Answer::Duplicate => outcome.duplicates += 1,
                Answer::Rejected(message) => {
                    tracing::warn!(target = %self.described, key = %rec.key, %message, "record rejected");
                    outcome.rejected.push(Rejected {
                        key: rec.key.clone(),
                        message,
                    });
                }
            }
        }
        Ok(outcome)
    }

    /// Always empty: the server deduplicates by `Idempotency-Key`, so re-sending a record that
    /// is already there is harmless (it answers 409 or 2xx) and there is nothing to ask first.
    fn already_written(&mut self, _table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        check_keys(keys)?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
            retry_after_cap: Duration::from_secs(1),
        };
        for retry in 0..40 {
            let ceiling = Duration::from_millis((10u64 << retry.min(10)).min(50));
            for _ in 0..20 {
                assert!(b.delay(retry) <= ceiling, "retry {retry}");
            }
        }
    }

    #[test]
    fn descriptions_hide_user_info_query_and_credentials() {
        let d = describe(
            "https://svc.example:8443/api/records?api_key=S3cret",
            HttpMethod::Put,
            Some(&RestAuth::Bearer("tok-S3cret".into())),
        );
        assert_eq!(
            d,
            "rest:PUT https://svc.example:8443/api/records?… (bearer token)"
        );
        let a = RestAuth::Header {
            name: "X-Api-Key".into(),
            value: "S3cret".into(),
        };
        assert!(!format!("{a:?}").contains("S3cret"));
        assert!(!redacted_url("https://u:S3cret@h/p").contains("S3cret"));
    }
}
