//! Password-protected OOXML workbooks arrive as an OLE2 container holding `EncryptionInfo` and
//! `EncryptedPackage`. Without a password they are refused with `DK-E0104`; with one they are
//! decrypted in memory by the `office-crypto` crate (ECMA-376 agile and standard encryption) and
//! the plain zip goes through the same bomb guard and reader as any workbook. The password is
//! never logged or put in a message.

use crate::sniff::{OLE_MAGIC, ole_stream_names};
use crate::{DigitiseError, DigitiseOptions};
use docket_core::ErrorCode;

/// `Ok(None)` when `bytes` is not an encrypted OOXML workbook; the plain zip when it is and the
/// password opens it.
pub(crate) fn decrypt_if_needed(
    bytes: &[u8],
    opts: &DigitiseOptions,
) -> Result<Option<Vec<u8>>, DigitiseError> {
    if !bytes.starts_with(OLE_MAGIC) {
        return Ok(None);
    }
    let names = ole_stream_names(bytes);
    if !names
        .iter()
        .any(|n| n == "EncryptedPackage" || n == "EncryptionInfo")
    {
        return Ok(None);
    }
    let Some(password) = opts.password.as_deref() else {
        return Err(DigitiseError::new(
            ErrorCode::Encrypted,
            "password-protected workbook and no password was given; store the password as a \
             secret and name it in the workflow's ingest step (`password_secret`), or set \
             DOCKET_DOCUMENT_PASSWORD for a one-off `docket extract`",
        ));
    };
    let owned = bytes.to_vec();
    // office-crypto indexes into header fields; a hostile header must not abort the batch.
    let outcome =
        std::panic::catch_unwind(move || office_crypto::decrypt_from_bytes(owned, password));
    match outcome {
        Err(_) => Err(DigitiseError::new(
            ErrorCode::CorruptWorkbook,
            "the encryption header of this password-protected workbook is damaged; ask the \
             sender for a new copy",
        )),
        Ok(Err(office_crypto::DecryptError::Unimplemented(what))) => Err(DigitiseError::new(
            ErrorCode::Encrypted,
            format!(
                "password-protected workbook uses an encryption Docket cannot decrypt yet \
                 ({what}); open it in Excel or LibreOffice with its password, remove the \
                 password (File > Info > Protect Workbook > Encrypt with Password, clear it) \
                 and save an unprotected copy"
            ),
        )),
        Ok(Err(e)) => Err(DigitiseError::new(
            ErrorCode::CorruptWorkbook,
            format!("password-protected workbook cannot be decrypted: {e}"),
        )),
        // Agile encryption is not verified by office-crypto: a wrong password yields noise,
        // which is recognised by the missing zip signature.
        Ok(Ok(plain)) if plain.starts_with(b"PK\x03\x04") => Ok(Some(plain)),
        Ok(Ok(_)) => Err(DigitiseError::new(
            ErrorCode::WrongPassword,
            "the password given does not open this password-protected workbook; check the \
             secret named in the workflow's ingest step",
        )),
    }
}
