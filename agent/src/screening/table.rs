//! Streaming transfer tables: a UTF-8 CSV/TSV file is read record by record (no file-size cap),
//! each row mapped by the same [`row_txn`] as the whole-file path, and handed to the rules in
//! time order. Rows with the same timestamp are ordered by id, and several files are merged, so
//! the rules see exactly the order the whole-file path sorts into; a file that is not in time
//! order is reported as such ([`Sorted::unsorted`]) so the caller can sort it within its memory
//! budget instead.

use super::{Columns, bad, no_header, row_txn};
use crate::failure::Failure;
use anyhow::Result;
use chrono_tz::Tz;
use docket_documents::text_table::{clean_cell, guess_delimiter};
use docket_rules::Txn;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes looked at to decide whether a file can be streamed and to guess its delimiter.
const PREFIX: usize = 64 * 1024;
/// Rows searched for the header, as in the whole-file path.
const HEADER_ROWS: usize = 20;

/// A transfer table that can be streamed.
#[derive(Debug, Clone)]
pub struct TableFile {
    /// The file.
    pub path: PathBuf,
    delimiter: u8,
    /// Length of a UTF-8 byte-order mark to skip (0 or 3).
    bom: u64,
    /// Size in bytes.
    pub size: u64,
}

impl TableFile {
    /// The file as a streamable table when it is CSV/TSV text in UTF-8 and not an HTML/XML
    /// export in disguise; `None` sends it through the digitiser instead.
    pub fn probe(path: &Path) -> Result<Option<TableFile>> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("csv" | "tsv" | "txt")) {
            return Ok(None);
        }
        let mut f = File::open(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut head = vec![0u8; PREFIX];
        let mut n = 0;
        while n < head.len() {
            let got = f
                .read(&mut head[n..])
                .map_err(|e| bad(path, format!("cannot read: {e}")))?;
            if got == 0 {
                break;
            }
            n += got;
        }
        head.truncate(n);
        let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        let body = &head[bom..];
        let text = match std::str::from_utf8(body) {
            Ok(t) => t,
            // A character cut by the prefix's end is still UTF-8.
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(_) => return Ok(None),
        };
        if text.trim().is_empty() || text.trim_start().starts_with('<') || text.contains('\0') {
            return Ok(None);
        }
        let delimiter = if ext.as_deref() == Some("tsv") {
            b'\t'
        } else {
            guess_delimiter(text)
        };
        Ok(Some(TableFile {
            path: path.to_path_buf(),
            delimiter,
            bom: bom as u64,
            size,
        }))
    }
}

/// The rows of one table, mapped to transactions in file order.
pub struct Rows {
    file: TableFile,
    reader: csv::Reader<Box<dyn Read>>,
    record: csv::StringRecord,
    cols: Columns,
    /// 0-based index of the last record read (the header counts, as in the whole-file path).
    index: usize,
    doc12: String,
    zone: Tz,
}

impl Rows {
    /// Opens `file` and finds its header; `wrap` may wrap the file reader (progress).
    /// `doc12` names rows without a `txn_id` (see [`Rows::needs_hash`]).
    pub fn open(
        file: &TableFile,
        maps: &HashMap<String, String>,
        zone: Tz,
        doc12: &str,
        wrap: &dyn Fn(Box<dyn Read>) -> Box<dyn Read>,
    ) -> Result<Rows> {
        let path = &file.path;
        let mut f = File::open(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
        f.seek(SeekFrom::Start(file.bom))
            .map_err(|e| bad(path, format!("cannot read: {e}")))?;
        let inner: Box<dyn Read> = Box::new(BufReader::with_capacity(1 << 20, f));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(file.delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(wrap(inner));
        let mut record = csv::StringRecord::new();
        for index in 0..HEADER_ROWS {
            if !read_record(&mut reader, &mut record, path)? {
                break;
            }
            let names: Vec<String> = record
                .iter()
                .map(|c| clean_cell(c).as_text().trim().to_string())
                .collect();
            if let Some(cols) = Columns::find(&names, maps) {
                return Ok(Rows {
                    file: file.clone(),
                    reader,
                    record,
                    cols,
                    index,
                    doc12: doc12.to_string(),
                    zone,
                });
            }
        }
        Err(no_header(path).into())
    }

    /// Whether row ids depend on the file's hash (the table has no `txn_id` column).
    pub fn needs_hash(&self) -> bool {
        !self.cols.has_ids()
    }

    /// Reads the next non-blank record; `false` at the end.
    fn advance(&mut self) -> Result<bool> {
        loop {
            if !read_record(&mut self.reader, &mut self.record, &self.file.path)? {
                return Ok(false);
            }
            self.index += 1;
            if !self.record.iter().all(cell_blank) {
                return Ok(true);
            }
        }
    }

    fn current(&self) -> Result<Txn> {
        let record = &self.record;
        let cell = |c: usize| record.get(c).map(cell_text).unwrap_or_default();
        Ok(row_txn(
            &self.cols,
            &cell,
            self.index + 1,
            &self.doc12,
            &self.file.path,
            self.zone,
        )?)
    }

    /// The next row as a transaction, `None` at the end.
    pub fn next_txn(&mut self) -> Result<Option<Txn>> {
        if !self.advance()? {
            return Ok(None);
        }
        self.current().map(Some)
    }

    /// The rows whose id is in `ids`, in file order. Only those rows are parsed in full.
    pub fn collect_ids(&mut self, ids: &HashSet<&str>) -> Result<Vec<Txn>> {
        let mut out = Vec::new();
        let id_col = self.cols.get("txn_id");
        while self.advance()? {
            let wanted = match id_col.and_then(|c| self.record.get(c)).map(cell_text) {
                Some(id) if !id.is_empty() => ids.contains(id.as_str()),
                _ => ids.contains(format!("{}:{}", self.doc12, self.index + 1).as_str()),
            };
            if wanted {
                out.push(self.current()?);
            }
        }
        Ok(out)
    }
}

/// A cell's text as the digitiser would give it (`clean_cell`), without allocating twice for
/// the common plain cell.
fn cell_text(field: &str) -> String {
    let t = field.trim();
    if t.starts_with(['=', '\'']) {
        clean_cell(field).as_text().trim().to_string()
    } else {
        t.to_string()
    }
}

fn cell_blank(field: &str) -> bool {
    let t = field.trim();
    t.is_empty() || (t.starts_with('=') && cell_text(field).is_empty())
}

fn read_record(
    reader: &mut csv::Reader<Box<dyn Read>>,
    record: &mut csv::StringRecord,
    path: &Path,
) -> Result<bool> {
    reader.read_record(record).map_err(|e| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        Failure::new(
            docket_core::ErrorCode::BadEncoding,
            format!(
                "{}: cannot split line {line} into fields: {e}; re-export the file as UTF-8 CSV",
                path.display()
            ),
        )
        .into()
    })
}

fn key(t: &Txn) -> (i64, u32) {
    (
        t.timestamp.timestamp(),
        t.timestamp.timestamp_subsec_nanos(),
    )
}

/// One table's transactions in (timestamp, id) order, as long as the file is in time order.
pub struct Sorted {
    rows: Rows,
    ready: VecDeque<Txn>,
    pending: Option<Txn>,
    last: Option<(i64, u32)>,
    done: bool,
    /// Why the stream ended early: a read or mapping error.
    pub error: Option<anyhow::Error>,
    /// Set when a row is earlier than the rows before it: `(row, its id)`.
    pub unsorted: Option<(usize, String)>,
    /// Rows handed out.
    pub count: usize,
}

impl Sorted {
    /// Streams `rows` in time order.
    pub fn new(rows: Rows) -> Sorted {
        Sorted {
            rows,
            ready: VecDeque::new(),
            pending: None,
            last: None,
            done: false,
            error: None,
            unsorted: None,
            count: 0,
        }
    }

    fn read(&mut self) -> Option<Txn> {
        match self.rows.next_txn() {
            Ok(t) => t,
            Err(e) => {
                self.error = Some(e);
                self.done = true;
                None
            }
        }
    }

    /// The table's rows, for a second pass over the same file.
    pub fn into_rows(self) -> Rows {
        self.rows
    }
}

impl Iterator for Sorted {
    type Item = Txn;

    fn next(&mut self) -> Option<Txn> {
        loop {
            if let Some(t) = self.ready.pop_front() {
                self.count += 1;
                return Some(t);
            }
            if self.done {
                return None;
            }
            let first = match self.pending.take().or_else(|| self.read()) {
                Some(t) => t,
                None => {
                    self.done = true;
                    continue;
                }
            };
            let k = key(&first);
            if self.last.is_some_and(|last| k < last) {
                self.unsorted = Some((self.rows.index + 1, first.id));
                self.done = true;
                return None;
            }
            // `ready` is empty here: it collects the group of rows with this timestamp.
            self.ready.push_back(first);
            loop {
                match self.read() {
                    Some(t) if key(&t) == k => self.ready.push_back(t),
                    Some(t) => {
                        self.pending = Some(t);
                        break;
                    }
                    None => break,
                }
            }
            // The whole-file path sorts by (timestamp, id), stably.
            if self.ready.len() > 1 {
                self.ready.make_contiguous().sort_by(|a, b| a.id.cmp(&b.id));
            }
            self.last = Some(k);
        }
    }
}

/// Several sorted streams merged in (timestamp, id) order; ties go to the earlier input, as in
/// the whole-file path's stable sort of the inputs one after the other.
pub struct Merge<'a> {
    streams: Vec<std::iter::Peekable<&'a mut Sorted>>,
}

impl<'a> Merge<'a> {
    /// Merges `streams`.
    pub fn new(streams: &'a mut [Sorted]) -> Merge<'a> {
        Merge {
            streams: streams.iter_mut().map(|s| s.peekable()).collect(),
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = Txn;

    fn next(&mut self) -> Option<Txn> {
        if self.streams.len() == 1 {
            return self.streams.first_mut().and_then(|s| s.next());
        }
        let mut best: Option<(usize, (i64, u32), String)> = None;
        for (i, s) in self.streams.iter_mut().enumerate() {
            if let Some(t) = s.peek() {
                let k = key(t);
                if best
                    .as_ref()
                    .is_none_or(|(_, bk, bid)| (k, t.id.as_str()) < (*bk, bid.as_str()))
                {
                    best = Some((i, k, t.id.clone()));
                }
            }
        }
        let (i, _, _) = best?;
        self.streams.get_mut(i).and_then(|s| s.next())
    }
}

/// Approximate heap and inline bytes one transaction takes when held in memory.
pub fn txn_bytes(t: &Txn) -> usize {
    let s = |o: &Option<String>| o.as_ref().map_or(0, |s| s.len() + 16);
    std::mem::size_of::<Txn>()
        + t.id.len()
        + t.account.len()
        + t.currency.len()
        + 48
        + s(&t.counterparty_account)
        + s(&t.counterparty_name)
        + s(&t.country)
        + s(&t.counterparty_country)
}
