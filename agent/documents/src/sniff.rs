//! Tells a file's real type from its bytes: magic numbers for PDF and images, the entry names
//! inside a zip for OOXML/ODS workbooks, the stream names inside an OLE2 container for old `.xls`
//! and encrypted workbooks, and a strict decode for CSV/TSV. The name is used only to tell CSV
//! from TSV and to refuse files whose bytes contradict their extension (a text file named `.pdf`).
//!
//! Sniffing must never trust the extension alone, never decompress more than a few bytes (the
//! zip-bomb guard runs later, in [`crate::sheet`], and needs the caller's limits), and never
//! panic on hostile input.

use crate::DigitiseError;
use crate::text_table::{
    decode::decode_prefix, decode::looks_like_text, decode::looks_like_utf16,
    delimiter::guess_delimiter,
};
use docket_core::ErrorCode;
use std::io::{Cursor, Read};

/// A file type Docket reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PDF.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// TIFF image.
    Tiff,
    /// Office Open XML workbook (also an encrypted OOXML workbook in its OLE2 envelope, which
    /// [`crate::sheet::read`] refuses or decrypts).
    Xlsx,
    /// Excel 97-2003 workbook (OLE).
    Xls,
    /// Excel binary workbook.
    Xlsb,
    /// OpenDocument spreadsheet.
    Ods,
    /// Comma-separated text.
    Csv,
    /// Tab-separated text.
    Tsv,
    /// OFX bank or credit-card statement (1.x SGML or 2.x XML).
    Ofx,
    /// SWIFT MT940 customer statement.
    Mt940,
    /// ISO 20022 camt.053 bank-to-customer statement (XML).
    Camt053,
}

impl Kind {
    /// Lower-case short name, as stored in `SourceInfo::kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Png => "png",
            Kind::Jpeg => "jpeg",
            Kind::Tiff => "tiff",
            Kind::Xlsx => "xlsx",
            Kind::Xls => "xls",
            Kind::Xlsb => "xlsb",
            Kind::Ods => "ods",
            Kind::Csv => "csv",
            Kind::Tsv => "tsv",
            Kind::Ofx => "ofx",
            Kind::Mt940 => "mt940",
            Kind::Camt053 => "camt053",
        }
    }

    fn family(self) -> Family {
        match self {
            Kind::Pdf => Family::Pdf,
            Kind::Png | Kind::Jpeg | Kind::Tiff => Family::Image,
            Kind::Xlsx | Kind::Xls | Kind::Xlsb | Kind::Ods => Family::Workbook,
            Kind::Csv | Kind::Tsv => Family::Text,
            Kind::Ofx | Kind::Mt940 | Kind::Camt053 => Family::Statement,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::Pdf => "a PDF document",
            Kind::Png => "a PNG image",
            Kind::Jpeg => "a JPEG image",
            Kind::Tiff => "a TIFF image",
            Kind::Xlsx => "an Excel .xlsx workbook",
            Kind::Xls => "an Excel 97-2003 .xls workbook",
            Kind::Xlsb => "an Excel .xlsb workbook",
            Kind::Ods => "an OpenDocument spreadsheet",
            Kind::Csv | Kind::Tsv => "plain text",
            Kind::Ofx => "an OFX statement",
            Kind::Mt940 => "a SWIFT MT940 statement",
            Kind::Camt053 => "an ISO 20022 camt.053 statement",
        }
    }
}

/// Groups of kinds that are routinely mislabelled as each other (an `.xls` that is really an
/// `.xlsx`, a `.jpg` that is a PNG): within a family the bytes win silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Pdf,
    Image,
    Workbook,
    Text,
    Statement,
}

/// The OLE2 compound-file signature (old `.xls`, and the envelope of encrypted OOXML).
pub(crate) const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Sniffs the type of `bytes`; `path` is only used for its extension.
pub fn sniff(path: &str, bytes: &[u8]) -> Result<Kind, DigitiseError> {
    if bytes.is_empty() {
        return Err(DigitiseError::new(
            ErrorCode::EmptyFile,
            "file is empty (0 bytes); fetch the document again",
        ));
    }
    let ext = extension(path);
    let claimed = ext.as_deref().and_then(kind_of_extension);
    let kind = match sniff_binary(bytes, ext.as_deref())? {
        Some(kind) => kind,
        None => {
            if decode_prefix(bytes).is_some_and(|t| looks_like_text(&t)) {
                text_kind(ext.as_deref(), bytes)
            } else if (claimed.is_some_and(|k| k.family() == Family::Text)
                && !bytes[..bytes.len().min(64 * 1024)].contains(&0))
                || (claimed.is_some_and(|k| matches!(k.family(), Family::Text | Family::Workbook))
                    && looks_like_utf16(bytes))
            {
                // Text in an encoding we cannot decode (or UTF-16 with a bad code unit): the
                // reader names the bad byte.
                text_kind(ext.as_deref(), bytes)
            } else {
                return Err(DigitiseError::new(
                    ErrorCode::UnsupportedFile,
                    format!(
                        "unknown binary format (first bytes {}); Docket reads PDF, PNG, JPEG, \
                         TIFF, XLSX, XLS, XLSB, ODS, CSV, TSV, OFX, MT940 and camt.053",
                        hex_prefix(bytes)
                    ),
                ));
            }
        }
    };
    // A binary extension on other content is refused; a text extension on a recognised binary
    // format is not, because bank portals routinely serve workbooks as `.csv`, and neither is
    // text under a workbook name, because brokers, Chinese banks and web banking routinely save
    // CSV/TSV, HTML tables and Excel 2003 XML as `.xls`: the text reader reads what it is and
    // records a warning on the sheet.
    if let Some(claimed) = claimed
        && claimed.family() != kind.family()
        && claimed.family() != Family::Text
        && !(claimed.family() == Family::Workbook && kind.family() == Family::Text)
    {
        let ext = ext.unwrap_or_default();
        let hint = if kind.family() == Family::Text {
            "if it is a CSV export, rename it to .csv".to_string()
        } else {
            format!("rename it to .{}", kind.name())
        };
        return Err(DigitiseError::new(
            ErrorCode::UnsupportedFile,
            format!("named .{ext} but contains {}; {hint}", kind.description()),
        ));
    }
    Ok(kind)
}

/// Recognises the binary formats; `Ok(None)` means "not one of them" (maybe text).
fn sniff_binary(bytes: &[u8], ext: Option<&str>) -> Result<Option<Kind>, DigitiseError> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Some(Kind::Pdf));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Some(Kind::Png));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Some(Kind::Jpeg));
    }
    // Classic TIFF (42) and BigTIFF (43), both byte orders.
    if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        return Ok(Some(Kind::Tiff));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return sniff_zip(bytes, ext).map(Some);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return sniff_ole(bytes).map(Some);
    }
    // Statement files are text, but recognised by their markers before any text decoding: an
    // OFX or MT940 file in Windows-1252 need not decode as UTF-8 or GB18030.
    Ok(crate::statement_file::sniff(bytes))
}

fn sniff_zip(bytes: &[u8], ext: Option<&str>) -> Result<Kind, DigitiseError> {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            // Without a central directory we cannot see inside; a truncated workbook download
            // is by far the likeliest cause when the name or the first entries say "workbook".
            let looks_like_workbook = matches!(ext, Some("xlsx" | "xlsm" | "xlsb" | "ods"))
                || bytes.windows(3).take(4096).any(|w| w == b"xl/")
                || bytes.windows(8).take(4096).any(|w| w == b"mimetype");
            let code = if looks_like_workbook {
                ErrorCode::CorruptWorkbook
            } else {
                ErrorCode::UnsupportedFile
            };
            return Err(DigitiseError::new(
                code,
                format!(
                    "zip container is damaged or truncated ({e}); download or export the \
                     workbook again"
                ),
            ));
        }
    };
    if archive.index_for_name("xl/workbook.xml").is_some() {
        return Ok(Kind::Xlsx);
    }
    if archive.index_for_name("xl/workbook.bin").is_some() {
        return Ok(Kind::Xlsb);
    }
    if let Ok(entry) = archive.by_name("mimetype") {
        // Only the first bytes are read, so a hostile `mimetype` entry cannot expand here.
        let mut buf = Vec::with_capacity(ODS_MIMETYPE.len() + 1);
        let read = entry
            .take(ODS_MIMETYPE.len() as u64 + 16)
            .read_to_end(&mut buf);
        if read.is_ok() && buf.trim_ascii() == ODS_MIMETYPE {
            return Ok(Kind::Ods);
        }
    }
    Err(DigitiseError::new(
        ErrorCode::UnsupportedFile,
        "a zip archive that is not a spreadsheet (no xl/workbook.xml, xl/workbook.bin or \
         OpenDocument spreadsheet mimetype); Word, PowerPoint and plain zip files are not read",
    ))
}

fn sniff_ole(bytes: &[u8]) -> Result<Kind, DigitiseError> {
    let names = ole_stream_names(bytes);
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("EncryptedPackage") || has("EncryptionInfo") {
        // An encrypted OOXML workbook: `sheet::read` refuses it without a password and
        // decrypts it with one, so it is reported as the kind it will become.
        return Ok(Kind::Xlsx);
    }
    if has("Workbook") || has("Book") || names.is_empty() {
        // An empty list means the directory could not be scanned; let calamine judge.
        return Ok(Kind::Xls);
    }
    Err(DigitiseError::new(
        ErrorCode::UnsupportedFile,
        "an OLE2 file without a workbook stream (perhaps a Word .doc or Outlook .msg); save \
         the document as PDF",
    ))
}

/// Names in the OLE2 directory. Directory entries are 128-byte records aligned on 128 bytes
/// after the 512-byte header (for both 512- and 4096-byte sectors), so every aligned slot is
/// checked for the shape of an entry instead of following the FAT chain: that is enough to
/// find stream names, and a damaged FAT cannot make it loop or panic.
pub(crate) fn ole_stream_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut off = 512;
    while off + 128 <= bytes.len() {
        let entry = &bytes[off..off + 128];
        off += 128;
        let name_len = u16::from_le_bytes([entry[64], entry[65]]) as usize;
        let kind = entry[66];
        let colour = entry[67];
        if !(4..=64).contains(&name_len)
            || !name_len.is_multiple_of(2)
            || !matches!(kind, 1 | 2 | 5)
        {
            continue;
        }
        if colour > 1 || entry[name_len - 2] != 0 || entry[name_len - 1] != 0 {
            continue;
        }
        let units: Vec<u16> = entry[..name_len - 2]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if units.contains(&0) {
            continue;
        }
        if let Ok(name) = String::from_utf16(&units) {
            names.push(name);
        }
    }
    names
}

fn text_kind(ext: Option<&str>, bytes: &[u8]) -> Kind {
    match ext {
        Some("tsv" | "tab") => Kind::Tsv,
        Some("csv") => Kind::Csv,
        _ => {
            let head = &bytes[..bytes.len().min(64 * 1024)];
            match decode_prefix(head) {
                Some(text) if guess_delimiter(&text) == b'\t' => Kind::Tsv,
                _ => Kind::Csv,
            }
        }
    }
}

fn extension(path: &str) -> Option<String> {
    std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn kind_of_extension(ext: &str) -> Option<Kind> {
    Some(match ext {
        "pdf" => Kind::Pdf,
        "png" => Kind::Png,
        "jpg" | "jpeg" => Kind::Jpeg,
        "tif" | "tiff" => Kind::Tiff,
        "xlsx" | "xlsm" => Kind::Xlsx,
        "xls" => Kind::Xls,
        "xlsb" => Kind::Xlsb,
        "ods" => Kind::Ods,
        "csv" | "txt" => Kind::Csv,
        "tsv" | "tab" => Kind::Tsv,
        _ => return None,
    })
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
