//! Workbooks (placeholder).
use crate::{DigitiseError, DigitiseOptions, Kind};
use docket_core::Sheet;
/// Reads every sheet of a workbook.
pub fn read(kind: Kind, bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Sheet>, DigitiseError> {
    let _ = (kind, bytes, opts);
    Err(DigitiseError::new(
        docket_core::ErrorCode::CorruptWorkbook,
        "not yet",
    ))
}
