//! The file-drop sink: each batch becomes one CSV or JSON Lines file in a folder that a back
//! office polls. A file appears whole or not at all (written to a dot-named temp file in the same
//! folder, fsynced, renamed, folder fsynced), its name is a hash of the batch's keys so a re-run
//! finds it, and every written key is appended to `.docket-keys` so that `already_written` still
//! works after the back office has taken the files away.
//!
//! This module must never write a partial file under a final name, never rewrite or delete a file
//! it dropped earlier, and never write a key that the index already holds.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use docket_core::hash::sha256_parts;

use crate::ident::Ident;
use crate::record::{KEY_COLUMN, check_batch, check_keys, is_key};
use crate::{OutRecord, Sink, SinkError, Value, WriteOutcome};

/// Append-only index of written keys, one `table key` per line.
pub const INDEX_FILE: &str = ".docket-keys";
/// Held (exclusive `flock`) while a batch is written, so two writers on one folder take turns.
const LOCK_FILE: &str = ".docket-lock";

/// Format of the dropped files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// RFC 4180 CSV with a header row; `docket_key` first, nulls as empty fields.
    Csv,
    /// One JSON object per line; decimals, dates and times as strings (exact), nulls as null.
    Jsonl,
}

impl FileFormat {
    fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Jsonl => "jsonl",
        }
    }
}

/// The keys already in the index, read incrementally (the file only grows).
#[derive(Debug, Default)]
struct KeyIndex {
    read_to: u64,
    keys: HashMap<String, HashSet<String>>,
}

impl KeyIndex {
    fn refresh(&mut self, path: &Path) -> std::io::Result<()> {
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if f.metadata()?.len() < self.read_to {
            // Someone replaced the index (it only ever grows): start over from the new file.
            *self = KeyIndex::default();
        }
        f.seek(SeekFrom::Start(self.read_to))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        // Only whole lines: a writer may be appending right now, or may have died mid-line.
        let Some(end) = buf.iter().rposition(|b| *b == b'\n') else {
            return Ok(());
        };
        for line in String::from_utf8_lossy(&buf[..end]).lines() {
            match line.split_once(' ') {
                Some((table, key)) if is_key(key) => {
                    self.keys
                        .entry(table.to_owned())
                        .or_default()
                        .insert(key.to_owned());
                }
                _ if line.is_empty() => {}
                _ => tracing::warn!(path = %path.display(), line, "ignoring a damaged index line"),
            }
        }
        self.read_to += end as u64 + 1;
        Ok(())
    }

    fn contains(&self, table: &str, key: &str) -> bool {
        self.keys.get(table).is_some_and(|k| k.contains(key))
    }
}

/// A sink dropping one file per batch into a folder.
pub struct FileDropSink {
    dir: PathBuf,
    format: FileFormat,
    index: KeyIndex,
}

impl FileDropSink {
    /// Uses `dir` (created if missing) for files of `format`.
    pub fn open(dir: &Path, format: FileFormat) -> Result<FileDropSink, SinkError> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create the drop folder", &e))?;
        Ok(FileDropSink {
            dir: dir.to_owned(),
            format,
            index: KeyIndex::default(),
        })
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join(INDEX_FILE)
    }

    fn refresh(&mut self) -> Result<(), SinkError> {
        let path = self.index_path();
        self.index
            .refresh(&path)
            .map_err(|e| io_error(&path, "read the key index", &e))
    }

    fn append_index(&self, table: &Ident, keys: &[&str]) -> Result<(), SinkError> {
        let path = self.index_path();
        let fail = |e: std::io::Error| io_error(&path, "append to the key index", &e);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(fail)?;
        let mut text = String::new();
        // A writer that died mid-line left no newline: start on a fresh line so ours stays whole.
        let len = f.metadata().map_err(fail)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            f.seek(SeekFrom::Start(len - 1)).map_err(fail)?;
            f.read_exact(&mut last).map_err(fail)?;
            if last[0] != b'\n' {
                text.push('\n');
            }
        }
        for k in keys {
            text.push_str(&format!("{table} {k}\n"));
        }
        f.write_all(text.as_bytes()).map_err(fail)?;
        f.sync_data().map_err(fail)
    }
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> SinkError {
    SinkError::unavailable(format!(
        "file drop: cannot {what} at {}: {e}; check that the folder exists, is writable and has \
         free space",
        path.display()
    ))
}

fn render(
    format: FileFormat,
    columns: &[Ident],
    rows: &[&OutRecord],
) -> Result<Vec<u8>, SinkError> {
    match format {
        FileFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let header = std::iter::once(KEY_COLUMN).chain(columns.iter().map(Ident::as_str));
            let fail =
                |e: csv::Error| SinkError::rejected(format!("file drop: cannot encode CSV: {e}"));
            w.write_record(header).map_err(fail)?;
            for rec in rows {
                let fields = std::iter::once(rec.key.clone()).chain(
                    rec.values
                        .iter()
                        .map(|(_, v)| v.to_text().unwrap_or_default()),
                );
                w.write_record(fields).map_err(fail)?;
            }
            w.into_inner()
                .map_err(|e| SinkError::rejected(format!("file drop: cannot encode CSV: {e}")))
        }
        FileFormat::Jsonl => {
            let mut out = Vec::new();
            for rec in rows {
                let mut obj = serde_json::Map::new();
                obj.insert(KEY_COLUMN.to_owned(), rec.key.clone().into());
                for (name, v) in &rec.values {
                    let json = match v {
                        Value::Null => serde_json::Value::Null,
                        Value::Int(i) => (*i).into(),
                        other => other.to_text().unwrap_or_default().into(),
                    };
                    obj.insert(name.clone(), json);
                }
                let line = serde_json::to_string(&obj).map_err(|e| {
                    SinkError::rejected(format!("file drop: cannot encode JSON: {e}"))
                })?;
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

/// Writes `bytes` to `path` so that `path` is either absent or complete, even across a crash.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Dot-named so folder pollers skip it; same folder so the rename cannot cross filesystems.
    let tmp = dir.join(format!(".{name}.tmp"));
    let fail = |what: &str, e: std::io::Error| io_error(path, what, &e);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(|e| fail("create a temp file", e))?;
        f.write_all(bytes).map_err(|e| fail("write", e))?;
        f.sync_all().map_err(|e| fail("fsync", e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail("rename the temp file", e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    // Persist the rename itself; opening a folder for fsync works on Unix only.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("fsync the folder", e))?;
    Ok(())
}

impl Sink for FileDropSink {
    fn describe(&self) -> String {
        format!(
            "file-drop:{} ({})",
            self.dir.display(),
            self.format.extension()
        )
    }

    fn write_batch(
        &mut self,
        table: &str,
        records: &[OutRecord],
    ) -> Result<WriteOutcome, SinkError> {
        let table = Ident::parse(table, "file name prefix (table)")?;
        let batch = check_batch(table.as_str(), records)?;
        if batch.rows.is_empty() {
            return Ok(WriteOutcome::new(0, batch.repeated));
        }
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, "open the lock file", &e))?;
        lock.lock()
            .map_err(|e| io_error(&lock_path, "lock the drop folder", &e))?;
        self.refresh()?;
        let fresh: Vec<&OutRecord> = batch
            .rows
            .iter()
            .copied()
            .filter(|r| !self.index.contains(table.as_str(), &r.key))
            .collect();
        if fresh.is_empty() {
            return Ok(WriteOutcome::new(0, records.len()));
        }
        let keys: Vec<&str> = fresh.iter().map(|r| r.key.as_str()).collect();
        let parts: Vec<&[u8]> = std::iter::once(table.as_str().as_bytes())
            .chain(keys.iter().map(|k| k.as_bytes()))
            .collect();
        let hash = sha256_parts(&parts);
        let path = self.dir.join(format!(
            "{table}-{}.{}",
            &hash[..32],
            self.format.extension()
        ));
        let inserted = if path.exists() {
            // A previous run dropped this very file and died before indexing its keys.
            tracing::info!(path = %path.display(), "batch file already present; indexing its keys");
            0
        } else {
            let bytes = render(self.format, &batch.columns, &fresh)?;
            write_atomically(&self.dir, &path, &bytes)?;
            fresh.len()
        };
        self.append_index(&table, &keys)?;
        self.refresh()?;
        drop(lock);
        Ok(WriteOutcome::new(inserted, records.len() - inserted))
    }

    fn already_written(&mut self, table: &str, keys: &[String]) -> Result<Vec<String>, SinkError> {
        let table = Ident::parse(table, "file name prefix (table)")?;
        check_keys(keys)?;
        self.refresh()?;
        Ok(keys
            .iter()
            .filter(|k| self.index.contains(table.as_str(), k))
            .cloned()
            .collect())
    }
}
