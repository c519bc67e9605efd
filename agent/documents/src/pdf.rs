//! PDF reading (placeholder; see the module owner's work).
use crate::{DigitiseError, DigitiseOptions};
use docket_core::Page;
/// Reads a PDF into pages.
pub fn read(bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    let _ = (bytes, opts);
    Err(DigitiseError::new(
        docket_core::ErrorCode::CorruptPdf,
        "not yet",
    ))
}
