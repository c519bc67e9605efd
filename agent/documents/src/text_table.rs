//! CSV/TSV (placeholder).
use crate::{DigitiseError, Kind};
use docket_core::Sheet;
/// Reads a delimited text file into one sheet.
pub fn read(name: &str, kind: Kind, bytes: &[u8]) -> Result<Sheet, DigitiseError> {
    let _ = (name, kind, bytes);
    Err(DigitiseError::new(
        docket_core::ErrorCode::BadEncoding,
        "not yet",
    ))
}
