//! Strict decoding of delimited text: a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE),
//! otherwise the NUL-byte pattern of the first KiB tells UTF-16 without a mark (ASCII in UTF-16
//! leaves every other byte zero), otherwise strict UTF-8, otherwise GB18030 (a superset of GBK
//! and GB2312, what Chinese bank and Alipay exports use). Never replaces bad bytes with U+FFFD:
//! a silently mangled amount or name is worse than a clear refusal naming the byte offset.

use crate::DigitiseError;
use docket_core::ErrorCode;
use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE};
use std::borrow::Cow;

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16BE_BOM: &[u8] = &[0xFE, 0xFF];

/// Decodes a whole file; the error names the encoding tried and the first bad byte's offset.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DigitiseError> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| {
            bad(format!(
                "starts with a UTF-8 byte-order mark but is not valid UTF-8 at byte offset {}",
                e.valid_up_to() + UTF8_BOM.len()
            ))
        });
    }
    for (bom, enc) in [(UTF16LE_BOM, UTF_16LE), (UTF16BE_BOM, UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return decode_strict(enc, rest, true)
                .map(Cow::Owned)
                .map_err(|off| {
                    bad(format!(
                        "starts with a {} byte-order mark but is not valid {} at byte offset {}",
                        enc.name(),
                        enc.name(),
                        off + bom.len()
                    ))
                });
        }
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        return decode_strict(enc, bytes, true)
            .map(Cow::Owned)
            .map_err(|off| {
                bad(format!(
                    "looks like {} without a byte-order mark (every other byte of the first KiB \
                     is zero) but is not valid {} at byte offset {off}",
                    enc.name(),
                    enc.name()
                ))
            });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(utf8) => decode_strict(GB18030, bytes, true)
            .map(Cow::Owned)
            .map_err(|off| {
                bad(format!(
                    "is neither UTF-8 (first bad byte at offset {}) nor GB18030/GBK (first bad \
                     byte at offset {off})",
                    utf8.valid_up_to()
                ))
            }),
    }
}

/// Decodes the start of a file the same way as [`decode`], tolerating a multi-byte sequence cut
/// off at the end of the prefix. `None` when the prefix is not text in any supported encoding.
pub(crate) fn decode_prefix(bytes: &[u8]) -> Option<String> {
    const PREFIX: usize = 64 * 1024;
    let whole = bytes.len() <= PREFIX;
    let head = &bytes[..bytes.len().min(PREFIX)];
    if let Some(rest) = head.strip_prefix(UTF8_BOM) {
        return utf8_prefix(rest, whole);
    }
    if let Some(rest) = head.strip_prefix(UTF16LE_BOM) {
        return decode_strict(UTF_16LE, rest, whole).ok();
    }
    if let Some(rest) = head.strip_prefix(UTF16BE_BOM) {
        return decode_strict(UTF_16BE, rest, whole).ok();
    }
    if let Some(enc) = utf16_without_bom(head) {
        return decode_strict(enc, head, whole).ok();
    }
    utf8_prefix(head, whole).or_else(|| decode_strict(GB18030, head, whole).ok())
}

/// Whether `bytes` start like UTF-16 text, with or without a byte-order mark (sniffing sends
/// such a file to the text reader even when it does not decode, so the refusal names the bad
/// code unit's offset instead of calling it an unknown binary format).
pub(crate) fn looks_like_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(UTF16LE_BOM)
        || bytes.starts_with(UTF16BE_BOM)
        || utf16_without_bom(bytes).is_some()
}

/// UTF-16 without a byte-order mark, told by where the zero bytes of the first KiB fall: text
/// with any ASCII in it (digits, commas, tabs, line ends) has a zero high byte in those code
/// units, so one parity holds many zeros and the other almost none. UTF-8 and GB18030 text has
/// no zero bytes at all.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let units = head.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // A quarter of the code units ASCII is plenty for any delimited export (every field has a
    // delimiter, every line an end); the other parity may hold a few zeros from characters
    // such as U+4E00 whose low byte is zero.
    let many = (units / 4).max(2);
    let few = units / 16;
    if odd >= many && even <= few {
        Some(UTF_16LE)
    } else if even >= many && odd <= few {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn utf8_prefix(bytes: &[u8], whole: bool) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.to_string()),
        // `error_len() == None` means the input ended inside a sequence: fine for a prefix.
        Err(e) if !whole && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()])
                .ok()
                .map(str::to_string)
        }
        Err(_) => None,
    }
}

/// Whether decoded text looks like text rather than binary that happened to decode: no NUL
/// and at most 1% other control characters (tab, CR, LF, form feed and DOS EOF are fine).
pub(crate) fn looks_like_text(text: &str) -> bool {
    let mut chars = 0usize;
    let mut controls = 0usize;
    for c in text.chars() {
        chars += 1;
        if c == '\0' {
            return false;
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a') {
            controls += 1;
        }
    }
    chars > 0 && controls * 100 <= chars
}

/// Decodes without replacement; `Err` carries the offset of the first malformed byte. With
/// `last == false` a sequence cut off at the end is not an error.
fn decode_strict(enc: &'static Encoding, bytes: &[u8], last: bool) -> Result<String, usize> {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(cap);
    let mut pos = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[pos..], &mut out, last);
        pos += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(bytes.len() - pos + 16),
            DecoderResult::Malformed(bad_len, after) => {
                return Err(pos.saturating_sub(after as usize + bad_len as usize));
            }
        }
    }
}

fn bad(msg: String) -> DigitiseError {
    DigitiseError::new(
        ErrorCode::BadEncoding,
        format!("text {msg}; re-export the file as UTF-8"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_error_names_offset() {
        // "交易" in GB18030, then 0xFF which no GB18030 sequence starts with.
        let (bytes, _, _) = GB18030.encode("交易");
        let mut bytes = bytes.into_owned();
        bytes.push(b',');
        bytes.push(0xFF);
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadEncoding);
        assert!(err.message.contains("offset 5"), "{}", err.message);
    }

    #[test]
    fn prefix_tolerates_cut_sequence() {
        // 7 bytes per repetition: the 64 KiB prefix ends two bytes into a "交".
        let text = "交易,".repeat(10_000);
        let prefix = decode_prefix(text.as_bytes()).unwrap();
        assert!(prefix.starts_with("交易,交易"));
        assert!(text.starts_with(&prefix));
    }
}
