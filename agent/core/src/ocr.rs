//! The OCR port. The engine (Tesseract through its C API) lives in `docket-documents`; the layout
//! reader and tests only see this trait, so a page image can be recognised by any engine that
//! returns words with boxes and confidences.

use crate::document::Word;

/// A greyscale or RGB page image handed to an OCR engine.
#[derive(Debug, Clone)]
pub struct PageImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per pixel: 1 (grey) or 3 (RGB).
    pub channels: u8,
    /// Row-major pixel data, `width * height * channels` bytes.
    pub pixels: Vec<u8>,
    /// Resolution in dots per inch, used to convert pixel boxes to points.
    pub dpi: f32,
}

/// Errors an OCR engine can report.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The engine could not start (missing library or language data).
    #[error("OCR engine unavailable: {0}")]
    Unavailable(String),
    /// The engine failed on this image.
    #[error("OCR failed: {0}")]
    Failed(String),
}

/// Recognises words on a page image. Boxes are returned in **pixels** of the given image; the
/// caller converts them to points.
pub trait Ocr: Send {
    /// Recognise the image with the given Tesseract-style language list (`eng+chi_sim`).
    fn recognise(&mut self, image: &PageImage, languages: &str) -> Result<Vec<Word>, OcrError>;
}
