//! Image files (placeholder).
use crate::{DigitiseError, DigitiseOptions};
use docket_core::Page;
/// Reads an image file into one page (or several for multi-page TIFF) by OCR.
pub fn read(bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    let _ = (bytes, opts);
    Err(DigitiseError::new(
        docket_core::ErrorCode::ImageUnreadable,
        "not yet",
    ))
}
