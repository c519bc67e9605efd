//! OCR of page images (placeholder).
use crate::{DigitiseError, DigitiseOptions};
use docket_core::{Page, ocr::PageImage};

/// A page image to recognise, with the page size in points it must be mapped to.
#[derive(Debug, Clone)]
pub struct OcrJob {
    /// 1-based page number.
    pub number: u32,
    /// The image.
    pub image: PageImage,
    /// Page width in points.
    pub width_pt: f32,
    /// Page height in points.
    pub height_pt: f32,
}

/// Recognises the pages in parallel, one single-threaded engine per thread; pages come back in
/// page order with word boxes in points.
pub fn ocr_pages(jobs: Vec<OcrJob>, opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    let _ = (jobs, opts);
    Err(DigitiseError::new(
        docket_core::ErrorCode::OcrUnavailable,
        "not yet",
    ))
}
