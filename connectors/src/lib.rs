//! Adapters from Docket to outside systems. Today: the back-office sinks (SQLite, PostgreSQL,
//! file drop) that write extracted records so that each record lands exactly once, however often a
//! run is resumed.
//!
//! The contract every sink keeps: a batch is written all-or-nothing; a record whose idempotency key
//! is already in the target is skipped and counted as a duplicate; failures are a [`SinkError`]
//! classified retry ([`docket_core::ErrorCode::SinkUnavailable`]) or reject
//! ([`docket_core::ErrorCode::SinkRejected`]). Sinks must never put a password in a message or in
//! [`Sink::describe`], never splice untrusted text into SQL, and never alter an existing table.
//!
//! [`open`] is the one registry of sink kinds: adding a kind means adding a [`SinkSpec`] variant
//! and one match arm there.

mod error;
mod filedrop;
mod ident;
mod pg;
mod record;
mod sqlite;

use std::path::PathBuf;

pub use error::SinkError;
pub use filedrop::{FileDropSink, FileFormat};
pub use ident::Ident;
pub use pg::PostgresSink;
pub use record::{KEY_COLUMN, OutRecord, Value, ValueKind, WRITTEN_AT_COLUMN, WriteOutcome};
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
}

impl std::fmt::Debug for SinkSpec {
    // Hand-written so that a logged spec never shows the password inside a PostgreSQL URL.
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
        }
    }
}

/// Opens the sink described by `spec`; a target that cannot be reached yields
/// [`docket_core::ErrorCode::SinkUnavailable`].
pub fn open(spec: &SinkSpec) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match spec {
        SinkSpec::Sqlite { path } => Box::new(SqliteSink::open(path)?),
        SinkSpec::Postgres { url } => Box::new(PostgresSink::connect(url)?),
        SinkSpec::FileDrop { dir, format } => Box::new(FileDropSink::open(dir, *format)?),
    })
}
