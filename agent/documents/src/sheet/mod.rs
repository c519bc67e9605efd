//! Reads workbooks (xlsx, xls, xlsb, ods) with calamine into dense [`Sheet`]s, one per
//! worksheet, with merged ranges and warnings for numbers that lost digits. Zip containers pass
//! the bomb guard ([`guard`]) before calamine sees them; encrypted OOXML is refused or
//! decrypted ([`decrypt`]). Formulas are not evaluated: the cached values are what is read.
//!
//! Never converts a cell through arithmetic, never reads a workbook that failed the guard, and
//! never panics on a broken file (calamine's errors become `DK-E0107`).

mod cells;
mod decrypt;
mod guard;

use crate::{DigitiseError, DigitiseOptions, Kind};
use calamine::{Dimensions, Ods, Reader, ReaderRef, SheetType, Xls, Xlsb, Xlsx};
use docket_core::{ErrorCode, Sheet};
use std::io::Cursor;

/// Reads every worksheet of a workbook (chart and macro sheets are skipped; hidden worksheets
/// are read). `Sheet::index` is the sheet's 1-based position among all the workbook's tabs.
pub fn read(kind: Kind, bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Sheet>, DigitiseError> {
    let decrypted = decrypt::decrypt_if_needed(bytes, opts)?;
    let (kind, bytes) = match &decrypted {
        Some(plain) => (
            crate::sniff::sniff("decrypted.xlsx", plain)?,
            plain.as_slice(),
        ),
        None => (kind, bytes),
    };
    let mut inspection = guard::Inspection {
        has_merged_cells: true,
    };
    match kind {
        Kind::Xlsx | Kind::Xlsb | Kind::Ods => {
            inspection = guard::check_zip(bytes, guard::uncompressed_limit(opts.max_file_bytes))?
        }
        Kind::Xls => {}
        other => {
            return Err(DigitiseError::new(
                ErrorCode::UnsupportedFile,
                format!("{} is not a workbook", other.name()),
            ));
        }
    }
    match kind {
        Kind::Xlsx => read_xlsx(bytes, inspection.has_merged_cells),
        Kind::Xlsb => read_xlsb(bytes),
        Kind::Xls => read_xls(bytes),
        _ => read_ods(bytes),
    }
}

fn read_xlsx(bytes: &[u8], has_merged_cells: bool) -> Result<Vec<Sheet>, DigitiseError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| open_error("xlsx", &e))?;
    let metas = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for (i, meta) in metas.iter().enumerate() {
        if meta.typ != SheetType::WorkSheet {
            continue;
        }
        let merged = if has_merged_cells {
            wb.merge_cells_by_sheet_name(&meta.name)
                .map_err(|e| sheet_error("xlsx", &meta.name, &e))?
        } else {
            Vec::new()
        };
        let range = wb
            .worksheet_range_ref(&meta.name)
            .map_err(|e| sheet_error("xlsx", &meta.name, &e))?;
        sheets.push(cells::build_sheet(
            &meta.name,
            position(i),
            &range,
            ranges(&merged),
        )?);
    }
    Ok(sheets)
}

fn read_xlsb(bytes: &[u8]) -> Result<Vec<Sheet>, DigitiseError> {
    let mut wb: Xlsb<_> = Xlsb::new(Cursor::new(bytes)).map_err(|e| open_error("xlsb", &e))?;
    let metas = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for (i, meta) in metas.iter().enumerate() {
        if meta.typ != SheetType::WorkSheet {
            continue;
        }
        // calamine exposes no merged ranges for xlsb.
        let range = wb
            .worksheet_range_ref(&meta.name)
            .map_err(|e| sheet_error("xlsb", &meta.name, &e))?;
        sheets.push(cells::build_sheet(
            &meta.name,
            position(i),
            &range,
            Vec::new(),
        )?);
    }
    Ok(sheets)
}

fn read_xls(bytes: &[u8]) -> Result<Vec<Sheet>, DigitiseError> {
    let mut wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| open_error("xls", &e))?;
    let metas = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for (i, meta) in metas.iter().enumerate() {
        if meta.typ != SheetType::WorkSheet {
            continue;
        }
        let merged = wb
            .merge_cells_by_sheet_name(&meta.name)
            .map_err(|e| sheet_error("xls", &meta.name, &e))?;
        let range = wb
            .worksheet_range(&meta.name)
            .map_err(|e| sheet_error("xls", &meta.name, &e))?;
        sheets.push(cells::build_sheet(
            &meta.name,
            position(i),
            &range,
            ranges(&merged),
        )?);
    }
    Ok(sheets)
}

fn read_ods(bytes: &[u8]) -> Result<Vec<Sheet>, DigitiseError> {
    let mut wb: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(|e| open_error("ods", &e))?;
    let names = wb.sheet_names();
    let mut sheets = Vec::new();
    for (i, name) in names.iter().enumerate() {
        // calamine exposes no merged ranges for ods.
        let range = wb
            .worksheet_range(name)
            .map_err(|e| sheet_error("ods", name, &e))?;
        sheets.push(cells::build_sheet(name, position(i), &range, Vec::new())?);
    }
    Ok(sheets)
}

fn position(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

fn ranges(dims: &[Dimensions]) -> Vec<(u32, u32, u32, u32)> {
    dims.iter()
        .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
        .collect()
}

/// calamine reports a password-protected file the same way for every format: its error's
/// `Display` says so. Matching the text keeps one mapping for four error types.
fn is_password_error(e: &dyn std::fmt::Display) -> bool {
    e.to_string().to_ascii_lowercase().contains("password")
}

fn open_error(format: &str, e: &dyn std::fmt::Display) -> DigitiseError {
    if is_password_error(e) {
        return DigitiseError::new(
            ErrorCode::Encrypted,
            format!(
                "password-protected {format} workbook; Docket decrypts only password-protected \
                 .xlsx files: open it in Excel or LibreOffice with its password, remove the \
                 password (File > Info > Protect Workbook > Encrypt with Password, clear it) \
                 and save an unprotected copy"
            ),
        );
    }
    DigitiseError::new(
        ErrorCode::CorruptWorkbook,
        format!(
            "{format} workbook is damaged or truncated ({e}); open and re-save it in a \
             spreadsheet program or export it again"
        ),
    )
}

fn sheet_error(format: &str, sheet: &str, e: &dyn std::fmt::Display) -> DigitiseError {
    let mut err = open_error(format, e);
    err.message = format!("sheet '{sheet}': {}", err.message);
    err
}
