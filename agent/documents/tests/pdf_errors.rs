//! Every way a PDF can fail to read gives its own stable error code, and hostile bytes never
//! panic the reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pdf_common;

use docket_core::ErrorCode;
use docket_documents::{DigitiseOptions, pdf};
use lopdf::{EncryptionState, EncryptionVersion, Object, Permissions, dictionary};
use pdf_common::*;

fn simple_doc() -> lopdf::Document {
    document(vec![
        PageSpec::new(b"BT /F1 12 Tf 72 700 Td (Closing balance 42.00) Tj ET")
            .font("F1", helvetica("Helvetica")),
    ])
}

fn code(bytes: &[u8], password: Option<&str>) -> ErrorCode {
    let opts = DigitiseOptions {
        password: password.map(str::to_string),
        ..DigitiseOptions::default()
    };
    pdf::read(bytes, &opts).unwrap_err().code
}

fn encrypted(owner: &str, user: &str) -> Vec<u8> {
    let mut doc = simple_doc();
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(b"0123456789abcdef".to_vec()),
            Object::string_literal(b"0123456789abcdef".to_vec()),
        ],
    );
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: owner,
        user_password: user,
        key_length: 128,
        permissions: Permissions::PRINTABLE,
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    save(doc)
}

#[test]
fn garbage_after_header_is_corrupt() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    bytes.extend_from_slice(b"\n%%EOF\n");
    assert_eq!(code(&bytes, None), ErrorCode::CorruptPdf);
    assert_eq!(code(b"not a pdf at all", None), ErrorCode::CorruptPdf);
    assert_eq!(code(b"", None), ErrorCode::CorruptPdf);
}

#[test]
fn truncated_download_is_corrupt() {
    let bytes = save(simple_doc());
    for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 10] {
        let err = pdf::read(&bytes[..cut], &DigitiseOptions::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::CorruptPdf, "cut at {cut}: {err}");
        assert!(err.message.contains("truncated"), "{err}");
    }
}

#[test]
fn encrypted_without_password() {
    let bytes = encrypted("owner-pw", "s3cret");
    assert_eq!(code(&bytes, None), ErrorCode::Encrypted);
}

#[test]
fn encrypted_with_wrong_password() {
    let bytes = encrypted("owner-pw", "s3cret");
    assert_eq!(code(&bytes, Some("guess")), ErrorCode::WrongPassword);
}

#[test]
fn encrypted_with_right_password_decrypts() {
    let bytes = encrypted("owner-pw", "s3cret");
    for pw in ["s3cret", "owner-pw"] {
        let opts = DigitiseOptions {
            password: Some(pw.into()),
            ..DigitiseOptions::default()
        };
        let pages = pdf::read(&bytes, &opts).unwrap();
        assert_eq!(pages[0].text(), "Closing balance 42.00");
    }
    // Owner-only protection (empty user password) opens without asking.
    let bytes = encrypted("owner-pw", "");
    let pages = pdf::read(&bytes, &DigitiseOptions::default()).unwrap();
    assert_eq!(pages[0].text(), "Closing balance 42.00");
}

#[test]
fn empty_page_tree_has_no_pages() {
    let bytes = build(vec![]);
    assert_eq!(code(&bytes, None), ErrorCode::NoPages);
}

#[test]
fn missing_content_stream_is_corrupt() {
    let mut doc = simple_doc();
    let content_id = doc
        .objects
        .iter()
        .find(|(_, o)| matches!(o, Object::Stream(s) if s.content.starts_with(b"BT")))
        .map(|(id, _)| *id)
        .unwrap();
    doc.objects.remove(&content_id);
    let err = pdf::read(&save(doc), &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::CorruptPdf);
    assert!(err.message.contains("page 1"), "{err}");
}

#[test]
fn self_referencing_form_terminates() {
    // A form that draws itself: the depth limit must stop it.
    let mut doc = simple_doc();
    let form_id = doc.new_object_id();
    let form = lopdf::Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Me" => form_id } },
        },
        // Eight self-draws per level: 8^12 runs without a budget.
        b"/Me Do /Me Do /Me Do /Me Do /Me Do /Me Do /Me Do /Me Do".to_vec(),
    );
    doc.objects.insert(form_id, Object::Stream(form));
    let page_id = *doc.get_pages().get(&1).unwrap();
    let content_id = doc.get_page_contents(page_id)[0];
    if let Ok(Object::Stream(s)) = doc.get_object_mut(content_id) {
        s.set_plain_content(b"/Me Do BT /F1 12 Tf 72 700 Td (after) Tj ET".to_vec());
    }
    let page = doc.get_dictionary_mut(page_id).unwrap();
    let res = page.get_mut(b"Resources").unwrap().as_dict_mut().unwrap();
    res.set("XObject", dictionary! { "Me" => form_id });
    let pages = pdf::read(&save(doc), &DigitiseOptions::default()).unwrap();
    assert_eq!(pages[0].text(), "after");
}

#[test]
fn mutated_bytes_never_panic() {
    let bytes = save(simple_doc());
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 8 {
            let i = (next() % b.len() as u64) as usize;
            b[i] = next() as u8;
        }
        // Any outcome but a panic is acceptable; errors must carry a PDF-ish code.
        if let Err(e) = pdf::read(&b, &DigitiseOptions::default()) {
            assert!(
                matches!(
                    e.code,
                    ErrorCode::CorruptPdf
                        | ErrorCode::NoPages
                        | ErrorCode::Encrypted
                        | ErrorCode::ImageUnreadable
                ),
                "{e}"
            );
        }
    }
}
