//! File-type sniffing on generated files (always run): magic bytes win over names, names that
//! contradict the bytes are refused, empty files are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_core::ErrorCode;
use docket_documents::{Kind, sniff::sniff};
use std::io::Write;

fn xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "x").unwrap();
    wb.save_to_buffer().unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A minimal OLE2 compound file: header plus one directory sector naming `streams`.
fn ole_with(streams: &[&str]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let mut sector = vec![0u8; 512];
    for (i, name) in std::iter::once(&"Root Entry").chain(streams).enumerate() {
        let e = &mut sector[i * 128..(i + 1) * 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (j, u) in units.iter().enumerate() {
            e[j * 2..j * 2 + 2].copy_from_slice(&u.to_le_bytes());
        }
        let len = ((units.len() + 1) * 2) as u16;
        e[64..66].copy_from_slice(&len.to_le_bytes());
        e[66] = if i == 0 { 5 } else { 2 };
        e[67] = 1;
    }
    b.extend_from_slice(&sector);
    b
}

#[test]
fn magic_bytes_decide() {
    assert_eq!(sniff("a.bin", b"%PDF-1.7\n...").unwrap(), Kind::Pdf);
    let mut junk_then_pdf = vec![b' '; 600];
    junk_then_pdf.extend_from_slice(b"%PDF-1.4\n");
    assert_eq!(sniff("scan.pdf", &junk_then_pdf).unwrap(), Kind::Pdf);
    assert_eq!(sniff("p", b"\x89PNG\r\n\x1a\n\0\0").unwrap(), Kind::Png);
    assert_eq!(
        sniff("p.jpg", &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
        Kind::Jpeg
    );
    assert_eq!(sniff("p.jpg", b"II*\0\x08\0\0\0").unwrap(), Kind::Tiff);
    assert_eq!(sniff("p.tiff", b"MM\0*\0\0\0\x08").unwrap(), Kind::Tiff);
    assert_eq!(sniff("s.xlsx", &xlsx()).unwrap(), Kind::Xlsx);
    let ods = zip_of(&[(
        "mimetype",
        b"application/vnd.oasis.opendocument.spreadsheet",
    )]);
    assert_eq!(sniff("s.ods", &ods).unwrap(), Kind::Ods);
    let xlsb = zip_of(&[("xl/workbook.bin", b"\0")]);
    assert_eq!(sniff("s.xlsb", &xlsb).unwrap(), Kind::Xlsb);
    assert_eq!(
        sniff("old.xls", &ole_with(&["Workbook"])).unwrap(),
        Kind::Xls
    );
}

#[test]
fn spreadsheet_mislabels_within_the_family_are_accepted() {
    assert_eq!(sniff("export.xls", &xlsx()).unwrap(), Kind::Xlsx);
    // Bank portals serve workbooks as .csv: the bytes win.
    assert_eq!(sniff("export.csv", &xlsx()).unwrap(), Kind::Xlsx);
}

#[test]
fn names_contradicting_the_bytes_are_refused() {
    let err = sniff("statement.pdf", b"date,amount\n2026-01-05,1.00\n").unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedFile);
    assert!(
        err.message.contains("named .pdf but contains plain text"),
        "{err}"
    );
    // Text under a workbook name is an export in disguise, read as text (tests/disguise.rs).
    assert_eq!(
        sniff("statement.xlsx", "日期,金额\n".as_bytes()).unwrap(),
        Kind::Csv
    );
    let err = sniff("statement.xlsx", b"%PDF-1.7\n").unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedFile);
    assert!(err.message.contains("contains a PDF document"), "{err}");
}

#[test]
fn other_containers_and_binary_are_refused() {
    let docx = zip_of(&[("word/document.xml", b"<w:document/>")]);
    assert_eq!(
        sniff("a.docx", &docx).unwrap_err().code,
        ErrorCode::UnsupportedFile
    );
    let doc = ole_with(&["WordDocument"]);
    assert_eq!(
        sniff("a.doc", &doc).unwrap_err().code,
        ErrorCode::UnsupportedFile
    );
    let binary = [0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xFF, 0xFE];
    let err = sniff("a.out", &binary).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedFile);
    assert!(err.message.contains("7F 45 4C 46"), "{err}");
}

#[test]
fn empty_file() {
    assert_eq!(sniff("x.csv", b"").unwrap_err().code, ErrorCode::EmptyFile);
}

#[test]
fn truncated_workbook_is_corrupt_not_unsupported() {
    let bytes = xlsx();
    let err = sniff("x.xlsx", &bytes[..bytes.len() / 2]).unwrap_err();
    assert_eq!(err.code, ErrorCode::CorruptWorkbook, "{err}");
}

#[test]
fn text_kinds() {
    assert_eq!(sniff("a.csv", b"a\tb\n1\t2\n").unwrap(), Kind::Csv);
    assert_eq!(sniff("a.tsv", b"a,b\n").unwrap(), Kind::Tsv);
    assert_eq!(sniff("a.txt", b"a\tb\tc\n1\t2\t3\n").unwrap(), Kind::Tsv);
    assert_eq!(sniff("noext", b"a,b,c\n1,2,3\n").unwrap(), Kind::Csv);
    let (gb, _, _) = encoding_rs::GB18030.encode("交易时间,金额\n2026-01-05,1.00\n");
    assert_eq!(sniff("alipay.csv", &gb).unwrap(), Kind::Csv);
}

#[test]
fn encrypted_ooxml_envelope_is_routed_to_the_workbook_reader() {
    let enc = ole_with(&["EncryptionInfo", "EncryptedPackage"]);
    assert_eq!(sniff("locked.xlsx", &enc).unwrap(), Kind::Xlsx);
    let err = docket_documents::sheet::read(Kind::Xlsx, &enc, &Default::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::Encrypted, "{err}");
    assert!(err.message.contains("password-protected workbook"), "{err}");
}
