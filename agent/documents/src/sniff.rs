//! Tells a file's real type from its first bytes (and, only to tell CSV from TSV or an old xls
//! from other OLE files, from its name). Owned by the digitiser dispatcher.

use crate::DigitiseError;
use docket_core::ErrorCode;

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
    /// Office Open XML workbook.
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
        }
    }
}

/// Sniffs the type. Placeholder until the dispatcher owner fills it in.
pub fn sniff(path: &str, bytes: &[u8]) -> Result<Kind, DigitiseError> {
    let _ = (path, bytes);
    Err(DigitiseError::new(ErrorCode::UnsupportedFile, "not yet"))
}
