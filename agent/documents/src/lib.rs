//! Digitises files into [`docket_core::Document`]s: PDF text layers with glyph positions, OCR of
//! scanned pages and images through Tesseract, spreadsheets through calamine and CSV/TSV in UTF-8,
//! UTF-16 and GB18030, and the structured statement files banks deliver (OFX, SWIFT MT940, ISO
//! 20022 camt.053) as one sheet per statement. [`digitise`] sniffs the real type from the bytes
//! (never trusting the extension alone) and dispatches to one reader.
//!
//! Every failure is a [`DigitiseError`] carrying a stable [`ErrorCode`] and a message that names
//! what is wrong and what to do; nothing here panics on hostile input, and nothing here writes
//! anywhere.

pub mod error;
pub mod image;
pub mod ocr;
pub mod pdf;
pub mod sheet;
pub mod sniff;
pub mod statement_file;
pub mod text_table;

pub use error::DigitiseError;
pub use sniff::Kind;

use docket_core::{Document, ErrorCode, SourceInfo, hash::sha256_hex};
use std::path::Path;

/// How to digitise.
#[derive(Debug, Clone)]
pub struct DigitiseOptions {
    /// Password for encrypted PDFs and workbooks (from the secret store; never logged).
    pub password: Option<String>,
    /// Tesseract languages, `eng+chi_sim` by default.
    pub languages: String,
    /// Files larger than this are rejected with `DK-E0110`.
    pub max_file_bytes: u64,
    /// OCR engines to run in parallel (one single-threaded Tesseract per core).
    pub ocr_threads: usize,
    /// Pixel budget of one decoded image (a PNG/JPEG/TIFF page or the scan inside a PDF page):
    /// larger images are refused from their header, before any pixel is allocated, with
    /// `DK-E0115`. Default [`image::DEFAULT_MAX_PIXELS`].
    pub max_image_pixels: u64,
}

impl Default for DigitiseOptions {
    fn default() -> Self {
        Self {
            password: None,
            languages: "eng+chi_sim".into(),
            max_file_bytes: 200 * 1024 * 1024,
            ocr_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            max_image_pixels: image::DEFAULT_MAX_PIXELS,
        }
    }
}

/// Reads and digitises one file.
pub fn digitise(path: &Path, opts: &DigitiseOptions) -> Result<Document, DigitiseError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        DigitiseError::new(
            ErrorCode::UnsupportedFile,
            format!("{}: cannot read file: {e}", path.display()),
        )
    })?;
    if meta.len() > opts.max_file_bytes {
        return Err(DigitiseError::new(
            ErrorCode::FileTooLarge,
            format!(
                "{}: {} bytes is over the limit of {} bytes",
                path.display(),
                meta.len(),
                opts.max_file_bytes
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        DigitiseError::new(
            ErrorCode::UnsupportedFile,
            format!("{}: cannot read file: {e}", path.display()),
        )
    })?;
    digitise_bytes(&path.display().to_string(), &bytes, opts)
}

/// Digitises bytes already in memory; `path` is used for messages, provenance and to tell CSV
/// from TSV.
pub fn digitise_bytes(
    path: &str,
    bytes: &[u8],
    opts: &DigitiseOptions,
) -> Result<Document, DigitiseError> {
    let kind = sniff::sniff(path, bytes).map_err(|e| e.in_file(path))?;
    let source = SourceInfo {
        path: path.to_string(),
        sha256: sha256_hex(bytes),
        kind: kind.name().to_string(),
    };
    let mut doc = Document {
        source,
        pages: Vec::new(),
        sheets: Vec::new(),
    };
    match kind {
        Kind::Pdf => doc.pages = pdf::read(bytes, opts).map_err(|e| e.in_file(path))?,
        Kind::Png | Kind::Jpeg | Kind::Tiff => {
            doc.pages = image::read(bytes, opts).map_err(|e| e.in_file(path))?
        }
        Kind::Xlsx | Kind::Xls | Kind::Xlsb | Kind::Ods => {
            doc.sheets = sheet::read(kind, bytes, opts).map_err(|e| e.in_file(path))?
        }
        Kind::Csv | Kind::Tsv => {
            let name = Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.to_string());
            doc.sheets = vec![text_table::read(&name, kind, bytes).map_err(|e| e.in_file(path))?]
        }
        Kind::Ofx | Kind::Mt940 | Kind::Camt053 => {
            doc.sheets = statement_file::read(kind, bytes).map_err(|e| e.in_file(path))?
        }
    }
    Ok(doc)
}
