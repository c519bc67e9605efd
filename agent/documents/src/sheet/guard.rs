//! Zip-bomb guard for OOXML and ODS workbooks, run before calamine opens them. First the
//! central directory's declared sizes are checked (total, and ratio of large entries), then
//! every entry is inflated into a counter that stops one byte past its declared size, so an
//! archive that lies about its sizes is caught too. Nothing is kept in memory; the guard never
//! writes anywhere.

use crate::DigitiseError;
use docket_core::ErrorCode;
use std::io::{Cursor, Read, Write};

/// Declared uncompressed total above which a workbook is refused (statements are a few MB).
pub(crate) const MAX_UNCOMPRESSED_BYTES: u64 = 500 * 1024 * 1024;
/// Compression ratio above which a large entry is refused.
pub(crate) const MAX_RATIO: u64 = 100;
/// Entries smaller than this are never refused for their ratio: tiny XML parts compress very
/// well and are harmless.
pub(crate) const RATIO_MIN_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

/// The total allowed for a caller whose file limit is `max_file_bytes`: never below
/// [`MAX_UNCOMPRESSED_BYTES`], and 2.5 times the file limit when that was raised.
pub(crate) fn uncompressed_limit(max_file_bytes: u64) -> u64 {
    MAX_UNCOMPRESSED_BYTES.max(max_file_bytes.saturating_mul(5) / 2)
}

/// What the guard noticed while inflating, so the reader can skip work.
#[derive(Debug, Default)]
pub(crate) struct Inspection {
    /// Whether any `xl/worksheets/` part mentions `<mergeCell`: calamine's merged-range lookup
    /// re-parses a whole worksheet, a third of the reading time on a large sheet.
    pub(crate) has_merged_cells: bool,
}

const MERGE_NEEDLE: &[u8] = b"<mergeCell";

/// Refuses archives that would expand beyond `limit` bytes or that lie about their sizes.
pub(crate) fn check_zip(bytes: &[u8], limit: u64) -> Result<Inspection, DigitiseError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(&e))?;
    let mut declared_total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| corrupt(&e))?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        declared_total = declared_total.saturating_add(size);
        if size > RATIO_MIN_ENTRY_BYTES && size / packed.max(1) > MAX_RATIO {
            return Err(bomb(format!(
                "entry '{}' expands {} bytes to {size} bytes (ratio over {MAX_RATIO}:1)",
                entry.name(),
                packed
            )));
        }
    }
    if declared_total > limit {
        return Err(bomb(format!(
            "entries declare {declared_total} bytes uncompressed, over the limit of {limit} bytes"
        )));
    }
    let mut actual_total: u64 = 0;
    let mut inspection = Inspection::default();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| corrupt(&e))?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let name = entry.name().to_string();
        let mut counter = Counter {
            count: 0,
            search: name.starts_with("xl/worksheets/") && !inspection.has_merged_cells,
            found: false,
            tail: Vec::new(),
        };
        std::io::copy(&mut entry.take(declared.saturating_add(1)), &mut counter)
            .map_err(|e| corrupt(&format!("entry '{name}': {e}")))?;
        inspection.has_merged_cells |= counter.found;
        if counter.count > declared {
            return Err(bomb(format!(
                "entry '{name}' declares {declared} bytes but expands to more"
            )));
        }
        actual_total = actual_total.saturating_add(counter.count);
        if actual_total > limit {
            return Err(bomb(format!(
                "entries expand to more than the limit of {limit} bytes"
            )));
        }
    }
    Ok(inspection)
}

/// Counts bytes written and drops them, optionally looking for [`MERGE_NEEDLE`] (across
/// buffer boundaries, hence the tail of the previous buffer).
struct Counter {
    count: u64,
    search: bool,
    found: bool,
    tail: Vec<u8>,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.count += buf.len() as u64;
        if self.search && !self.found {
            self.tail
                .extend_from_slice(&buf[..buf.len().min(MERGE_NEEDLE.len())]);
            self.found = contains(&self.tail, MERGE_NEEDLE) || contains(buf, MERGE_NEEDLE);
            let keep = buf.len().saturating_sub(MERGE_NEEDLE.len());
            self.tail.clear();
            self.tail.extend_from_slice(&buf[keep..]);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn bomb(detail: String) -> DigitiseError {
    DigitiseError::new(
        ErrorCode::ArchiveBomb,
        format!("workbook refused as a possible zip bomb: {detail}; it was not opened"),
    )
}

fn corrupt(e: &dyn std::fmt::Display) -> DigitiseError {
    DigitiseError::new(
        ErrorCode::CorruptWorkbook,
        format!(
            "workbook's zip container is damaged or truncated ({e}); open and re-save it in a \
             spreadsheet program or export it again"
        ),
    )
}
