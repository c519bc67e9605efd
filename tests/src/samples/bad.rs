//! Deliberately broken inputs, each paired with the `DK-E…` code Docket must answer with. The zip
//! bomb is assembled by hand (stored entries plus one hand-written fixed-Huffman deflate stream of
//! zeros) so making it costs milliseconds and ~2 MB; nothing here ever inflates it.

use super::model::{Flavour, Spec, Statement};
use super::{layout, pdf, sheet};
use anyhow::{Context, Result};
use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
use lopdf::{Document, Object, dictionary};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// Uncompressed size of the bomb's one large entry (300 MiB).
pub const BOMB_BYTES: u64 = 300 * 1024 * 1024;

/// Password of the encrypted PDF (never given to Docket in the bad-input scenario).
pub const ENCRYPTED_PDF_PASSWORD: &str = "docket-secret";

/// Write every bad file into `dir` and return each path with the error code Docket must report.
pub fn bad_files(dir: &Path) -> Result<Vec<(PathBuf, &'static str)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let statement = Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 99, 12));
    let good_pdf = pdf::write_pdf(&layout::layout(&statement))?;
    let good_xlsx = sheet::xlsx(&statement)?;

    let mut garbage = vec![0u8; 4096];
    ChaCha8Rng::seed_from_u64(0xBAD).fill_bytes(&mut garbage);
    let mut corrupt = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    corrupt.extend_from_slice(&garbage);

    let files: Vec<(&str, Vec<u8>, &'static str)> = vec![
        ("corrupt.pdf", corrupt, "DK-E0103"),
        (
            "truncated.xlsx",
            good_xlsx[..good_xlsx.len() / 2].to_vec(),
            "DK-E0107",
        ),
        ("encrypted.pdf", encrypted_pdf(&good_pdf)?, "DK-E0104"),
        ("empty.pdf", Vec::new(), "DK-E0102"),
        ("no-pages.pdf", zero_page_pdf()?, "DK-E0106"),
        (
            "meeting-notes.pdf",
            b"Meeting notes, 3 March\n- statements arrive on Mondays\n- ask about the new portal\n"
                .to_vec(),
            "DK-E0101",
        ),
        ("statement-bomb.xlsx", zip_bomb(), "DK-E0108"),
    ];
    let mut out = Vec::with_capacity(files.len());
    for (name, bytes, code) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        out.push((path, code));
    }
    Ok(out)
}

/// Encrypt a PDF with the standard security handler (RC4, 40-bit, revision 2) and a user
/// password, so it cannot be opened without one.
pub fn encrypted_pdf(plain: &[u8]) -> Result<Vec<u8>> {
    let mut doc = Document::load_mem(plain).context("reloading the sample PDF")?;
    // The file ID feeds the key derivation; a fixed one keeps the output deterministic.
    let id = Object::String(
        b"docket-sample-id".to_vec(),
        lopdf::StringFormat::Hexadecimal,
    );
    doc.trailer.set("ID", vec![id.clone(), id]);
    let state = EncryptionState::try_from(EncryptionVersion::V1 {
        document: &doc,
        owner_password: "docket-owner",
        user_password: ENCRYPTED_PDF_PASSWORD,
        permissions: Permissions::PRINTABLE,
    })
    .context("preparing RC4 encryption")?;
    doc.encrypt(&state).context("encrypting the PDF")?;
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .context("serialising the encrypted PDF")?;
    Ok(out)
}

/// A well-formed PDF whose page tree is empty.
pub fn zero_page_pdf() -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.7");
    let pages = doc.add_object(dictionary! {
        "Type" => "Pages", "Kids" => Vec::<Object>::new(), "Count" => 0,
    });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).context("serialising the empty PDF")?;
    Ok(out)
}

/// A zip that looks like an xlsx (`[Content_Types].xml`, `xl/workbook.xml`) with one worksheet
/// entry that inflates to [`BOMB_BYTES`] zeros; all sizes and CRCs are genuine.
pub fn zip_bomb() -> Vec<u8> {
    let content_types = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
    let workbook = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Statement" sheetId="1"/></sheets></workbook>"#;
    let entries = [
        ZipEntry::stored("[Content_Types].xml", content_types),
        ZipEntry::stored("xl/workbook.xml", workbook),
        ZipEntry {
            name: "xl/worksheets/sheet1.xml",
            method: 8,
            crc: crc32_of_zeros(BOMB_BYTES),
            size: BOMB_BYTES as u32,
            data: deflate_zeros(BOMB_BYTES),
        },
    ];
    write_zip(&entries)
}

struct ZipEntry {
    name: &'static str,
    method: u16,
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

impl ZipEntry {
    fn stored(name: &'static str, data: &[u8]) -> ZipEntry {
        ZipEntry {
            name,
            method: 0,
            crc: crc32(data),
            size: data.len() as u32,
            data: data.to_vec(),
        }
    }
}

fn write_zip(entries: &[ZipEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let put16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let put32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for e in entries {
        let offset = out.len() as u32;
        // Shared fields: version 2.0, no flags, method, DOS time 00:00 1980-01-01, crc, sizes.
        let common = |v: &mut Vec<u8>| {
            put16(v, 20);
            put16(v, 0);
            put16(v, e.method);
            put16(v, 0);
            put16(v, 0x21);
            put32(v, e.crc);
            put32(v, e.data.len() as u32);
            put32(v, e.size);
            put16(v, e.name.len() as u16);
            put16(v, 0);
        };
        put32(&mut out, 0x0403_4b50);
        common(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);

        put32(&mut central, 0x0201_4b50);
        put16(&mut central, 20);
        common(&mut central);
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, offset);
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, entries.len() as u16);
    put16(&mut out, entries.len() as u16);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    out
}

/// LSB-first bit packer for a deflate stream.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Huffman codes are defined MSB-first, so they go in bit-reversed.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }
}

/// A single fixed-Huffman block: one literal zero, then (length 258, distance 1) copies.
pub fn deflate_zeros(n: u64) -> Vec<u8> {
    let mut b = Bits {
        out: Vec::with_capacity((n / 258 * 13 / 8 + 16) as usize),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // BTYPE = 01, fixed Huffman
    if n > 0 {
        b.code(0x30, 8); // literal 0
        let rest = n - 1;
        for _ in 0..rest / 258 {
            b.code(0xC5, 8); // length code 285 = 258
            b.code(0, 5); // distance code 0 = 1
        }
        for _ in 0..rest % 258 {
            b.code(0x30, 8);
        }
    }
    b.code(0, 7); // end of block (256)
    if b.n > 0 {
        b.put(0, 8 - b.n);
    }
    b.out
}

fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, slot) in t.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    t
}

/// CRC-32 (ISO-HDLC, as in zip).
pub fn crc32(data: &[u8]) -> u32 {
    let t = crc_table();
    let mut c = !0u32;
    for &byte in data {
        c = t[((c ^ u32::from(byte)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// CRC-32 of `n` zero bytes in O(log n): feeding a zero byte is linear over GF(2), so raise
/// that 32×32 bit matrix to the n-th power by squaring.
pub fn crc32_of_zeros(n: u64) -> u32 {
    let t = crc_table();
    let apply = |m: &[u32; 32], v: u32| -> u32 {
        (0..32)
            .filter(|i| v >> i & 1 == 1)
            .fold(0, |acc, i| acc ^ m[i])
    };
    let mut step = [0u32; 32];
    for (i, col) in step.iter_mut().enumerate() {
        let v = 1u32 << i;
        *col = t[(v & 0xFF) as usize] ^ (v >> 8);
    }
    let mut result: [u32; 32] = std::array::from_fn(|i| 1u32 << i);
    let mut power = step;
    let mut k = n;
    while k > 0 {
        if k & 1 == 1 {
            result = std::array::from_fn(|i| apply(&power, result[i]));
        }
        power = std::array::from_fn(|i| apply(&power, power[i]));
        k >>= 1;
    }
    !apply(&result, !0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;

    #[test]
    fn crc_of_zeros_matches_the_direct_crc() {
        for n in [0u64, 1, 7, 258, 1000, 65_537] {
            assert_eq!(crc32_of_zeros(n), crc32(&vec![0u8; n as usize]), "n = {n}");
        }
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
