//! Adapters from Docket to outside systems: the back-office sinks (SQLite, PostgreSQL,
//! MySQL/MariaDB, REST, file drop) that write extracted records so that each record lands exactly
//! once, however often a run is resumed, and the [`Notifier`] that tells people when a flow keeps
//! failing (webhook, e-mail).
//!
//! The contract every sink keeps: a batch is written all-or-nothing; a record whose idempotency key
//! is already in the target is skipped and counted as a duplicate; failures are a [`SinkError`]
//! classified retry ([`docket_core::ErrorCode::SinkUnavailable`]), reject
//! ([`docket_core::ErrorCode::SinkRejected`]) or fix the settings
//! ([`docket_core::ErrorCode::SinkMisconfigured`]). The REST sink is the one exception to
//! all-or-nothing: HTTP has no transaction, so it sends one idempotent request per record and lists
//! records the server refused in [`WriteOutcome::rejected`]. Sinks must never put a password or
//! token in a message, in `Debug` output or in [`Sink::describe`], never splice untrusted text into
//! SQL, and never alter an existing table.
//!
//! [`open`] is the one registry of sink kinds: adding a kind means adding a [`SinkSpec`] variant
//! and one match arm there.

mod error;
mod filedrop;
mod ident;
mod mysql;
mod notify;
mod pg;
mod record;
mod rest;
mod sqlite;

use std::path::PathBuf;
use std::time::Duration;

pub use error::SinkError;
pub use filedrop::{FileDropSink, FileFormat};
pub use ident::Ident;
pub use mysql::MysqlSink;
pub use notify::{Alert, EmailTarget, Notifier, NotifyError, SmtpTls, WebhookTarget};
pub use pg::PostgresSink;
pub use record::{
    KEY_COLUMN, OutRecord, Rejected, Value, ValueKind, WRITTEN_AT_COLUMN, WriteOutcome,
};
pub use rest::{Backoff, HttpMethod, RestAuth, RestSink};
pub use sqlite::SqliteSink;

/// A back-office target that stores records idempotently.
pub trait Sink: Send {
    /// Where this sink writes, for logs and the run ledger (e.g. `postgresql://docket@db:5432/bo`);
    /// never includes a password.
    fn describe(&self) -> String;

    /// Writes `records` into `table` in one transaction (or one atomic file). Records whose key is
    /// already present, or repeated earlier in the batch, are skipped and counted as duplicates.
    /// An empty batch writes nothing and creates nothing.
    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError>;

    /// The subset of `keys` already stored in `table`, in the order given; empty when the table
    /// does not exist yet.
    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError>;
}

/// Which sink to open, as configured in a workflow.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkSpec {
    /// A SQLite database file (created if missing).
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// Connection string: `postgres://user[:password]@host[:port]/db` or
        /// `host=… user=… dbname=…`. Prefer a password file or trust/peer auth over a password in
        /// the string; it is never logged either way.
        url: String,
    },
    /// One file per batch dropped into a folder that the back office picks up.
    FileDrop {
        /// The folder (created if missing).
        dir: PathBuf,
        /// File format of each batch.
        format: FileFormat,
    },
    /// An HTTP endpoint of the back office: one JSON request per record, deduplicated by the
    /// server through the `Idempotency-Key` header.
    Rest {
        /// `http://` or `https://` URL the records are sent to.
        url: String,
        /// `POST` (default) or `PUT`.
        #[serde(default)]
        method: HttpMethod,
        /// Credentials, already resolved from the secret store; never logged.
        #[serde(default)]
        auth: Option<RestAuth>,
        /// Limit for one request (connect, send, answer); serde: `timeout_ms`, default 30 s.
        #[serde(
            rename = "timeout_ms",
            with = "rest::duration_ms",
            default = "rest::default_timeout"
        )]
        timeout: Duration,
        /// Tries per record before the batch is reported `SinkUnavailable`; default 5.
        #[serde(default = "rest::default_max_attempts")]
        max_attempts: u32,
    },
    /// A MySQL or MariaDB database.
    Mysql {
        /// `mysql://user[:password]@host[:port]/db`; never logged with its password.
        url: String,
    },
    /// A desktop application: each record typed into its form by a UI script. The agent opens
    /// this kind itself (it owns the display, the OCR engine, the secret store and the journal of
    /// entered records); [`open`] refuses it.
    Ui {
        /// The UI script file.
        script: PathBuf,
        /// Command started through `sh -c` on the display before the first record.
        #[serde(default)]
        app: Option<String>,
        /// Working folder of `app`.
        workdir: PathBuf,
        /// X display to drive; `None`: a headless one when `headless`, else `$DISPLAY` or
        /// headless when unset.
        #[serde(default)]
        display: Option<String>,
        /// Start and own a virtual display.
        #[serde(default)]
        headless: bool,
        /// Size of a headless display.
        screen: [u32; 2],
        /// Tesseract languages joined with `+`.
        ocr_languages: String,
        /// Longest one batch may take, in seconds (checked between records).
        timeout_secs: u64,
        /// A record an earlier run started entering but never finished is entered again
        /// (`true`) or rejected for review (`false`).
        #[serde(default)]
        reenter_in_doubt: bool,
    },
}

impl SinkSpec {
    /// Where this spec writes, for logs, `run --check` and the outbox; never contains a
    /// password, token or URL query (which may carry an API key).
    pub fn describe(&self) -> String {
        match self {
            SinkSpec::Sqlite { path } => format!("sqlite:{}", path.display()),
            SinkSpec::Postgres { url } => pg::redacted_url(url),
            SinkSpec::FileDrop { dir, format } => format!("file:{} ({format:?})", dir.display()),
            SinkSpec::Rest {
                url, method, auth, ..
            } => rest::describe(url, *method, auth.as_ref()),
            SinkSpec::Mysql { url } => mysql::redacted_url(url),
            SinkSpec::Ui { script, .. } => format!("ui:{}", script.display()),
        }
    }
}

impl std::fmt::Debug for SinkSpec {
    // Hand-written so that a logged spec never shows a password inside a database URL or a REST
    // credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkSpec::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            SinkSpec::Postgres { url } => f
                .debug_struct("Postgres")
                .field("url", &pg::redacted_url(url))
                .finish(),
            SinkSpec::FileDrop { dir, format } => f
                .debug_struct("FileDrop")
                .field("dir", dir)
                .field("format", format)
                .finish(),
            SinkSpec::Rest {
                url,
                method,
                auth,
                timeout,
                max_attempts,
            } => f
                .debug_struct("Rest")
                .field("url", &rest::redacted_url(url))
                .field("method", method)
                .field("auth", auth)
                .field("timeout", timeout)
                .field("max_attempts", max_attempts)
                .finish(),
            SinkSpec::Mysql { url } => f
                .debug_struct("Mysql")
                .field("url", &mysql::redacted_url(url))
                .finish(),
            SinkSpec::Ui {
                script,
                app,
                workdir,
                display,
                headless,
                screen,
                ocr_languages,
                timeout_secs,
                reenter_in_doubt,
            } => f
                .debug_struct("Ui")
                .field("script", script)
                .field("app", app)
                .field("workdir", workdir)
                .field("display", display)
                .field("headless", headless)
                .field("screen", screen)
                .field("ocr_languages", ocr_languages)
                .field("timeout_secs", timeout_secs)
                .field("reenter_in_doubt", reenter_in_doubt)
                .finish(),
        }
    }
}

/// Opens the sink described by `spec`; a target that cannot be reached yields
/// [`docket_core::ErrorCode::SinkUnavailable`], settings that cannot work (malformed URL)
/// [`docket_core::ErrorCode::SinkMisconfigured`]. The REST sink does not contact the server here.
pub fn open(spec: &SinkSpec) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match spec {
        SinkSpec::Sqlite { path } => Box::new(SqliteSink::open(path)?),
        SinkSpec::Postgres { url } => Box::new(PostgresSink::connect(url)?),
        SinkSpec::FileDrop { dir, format } => Box::new(FileDropSink::open(dir, *format)?),
        SinkSpec::Rest {
            url,
            method,
            auth,
            timeout,
            max_attempts,
        } => Box::new(RestSink::new(
            url,
            *method,
            auth.clone(),
            *timeout,
            *max_attempts,
        )?),
        SinkSpec::Mysql { url } => Box::new(MysqlSink::connect(url)?),
        SinkSpec::Ui { .. } => {
            return Err(SinkError::misconfigured(
                "a `ui` target is opened by the agent (it owns the display and the journal of \
                 entered records), not by docket_connectors::open",
            ));
        }
    })
}
