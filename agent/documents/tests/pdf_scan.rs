//! Scanned and mixed PDFs: pages without a text layer but with an image are decoded (JPEG,
//! Flate raw samples) and sent to OCR at the image's own resolution, then merged back in page
//! order with the text-layer pages. Uses real Tesseract when it is available; without it the
//! reader must still have asked for OCR (DK-E0112).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pdf_common;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use docket_core::{ErrorCode, Page, TextOrigin};
use docket_documents::{DigitiseOptions, pdf};
use image::{GrayImage, Luma};
use lopdf::{Stream, dictionary};
use pdf_common::*;

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A white page image at `dpi` with `lines` of (x pt, baseline pt, text) in 20 pt DejaVu Sans.
fn render(w_pt: f32, h_pt: f32, dpi: f32, lines: &[(f32, f32, &str)]) -> GrayImage {
    let font = FontVec::try_from_vec(std::fs::read(DEJAVU).unwrap()).unwrap();
    let px = |pt: f32| pt * dpi / 72.0;
    let mut img = GrayImage::from_pixel(px(w_pt) as u32, px(h_pt) as u32, Luma([255]));
    let sf = font.as_scaled(PxScale::from(px(20.0)));
    for &(x, y, text) in lines {
        let mut caret = px(x);
        for ch in text.chars() {
            let mut g = sf.scaled_glyph(ch);
            g.position = point(caret, px(y));
            caret += sf.h_advance(g.id);
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, c| {
                    let (ix, iy) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    if ix >= 0 && iy >= 0 && (ix as u32) < img.width() && (iy as u32) < img.height()
                    {
                        let v = (255.0 * (1.0 - c.clamp(0.0, 1.0))) as u8;
                        let p = img.get_pixel_mut(ix as u32, iy as u32);
                        p.0[0] = p.0[0].min(v);
                    }
                });
            }
        }
    }
    img
}

fn jpeg(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .unwrap();
    out
}

fn image_stream(img: &GrayImage, filter: &str, data: Vec<u8>) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image",
            "Width" => img.width() as i64, "Height" => img.height() as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => filter,
        },
        data,
    )
}

fn scan_page(stream: Stream) -> PageSpec {
    let mut p = PageSpec::new(b"q 612 0 0 792 0 0 cm /Im1 Do Q");
    p.xobjects.push(("Im1", stream));
    p
}

/// The pages, or `None` when OCR is not installed (after checking that it was asked for).
fn read_or_ocr_unavailable(bytes: &[u8]) -> Option<Vec<Page>> {
    let opts = DigitiseOptions {
        languages: "eng".into(),
        ..DigitiseOptions::default()
    };
    match pdf::read(bytes, &opts) {
        Ok(pages) => Some(pages),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::OcrUnavailable, "{e}");
            eprintln!("OCR unavailable ({e}); only checked that OCR was requested");
            None
        }
    }
}

fn find<'a>(page: &'a Page, text: &str) -> &'a docket_core::Word {
    page.words
        .iter()
        .find(|w| w.text.contains(text))
        .unwrap_or_else(|| panic!("OCR did not find {text:?}: {}", page.text()))
}

#[test]
fn scanned_jpeg_page_goes_to_ocr_with_boxes_in_points() {
    let img = render(
        612.0,
        792.0,
        150.0,
        &[(72.0, 100.0, "INVOICE 12345"), (72.0, 400.0, "Total 99.50")],
    );
    let bytes = build(vec![scan_page(image_stream(&img, "DCTDecode", jpeg(&img)))]);
    let Some(pages) = read_or_ocr_unavailable(&bytes) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    let p = &pages[0];
    assert_eq!(p.origin, TextOrigin::Ocr);
    assert_eq!((p.number, p.width, p.height), (1, 612.0, 792.0));
    // 150 dpi pixels mapped back to points: the word sits where it was drawn.
    let w = find(p, "12345");
    assert!(w.bbox.x0 > 120.0 && w.bbox.x0 < 200.0, "{:?}", w.bbox);
    assert!(w.bbox.y1 > 90.0 && w.bbox.y1 < 110.0, "{:?}", w.bbox);
    let t = find(p, "99.50");
    assert!(t.bbox.y1 > 390.0 && t.bbox.y1 < 410.0, "{:?}", t.bbox);
}

#[test]
fn mixed_document_merges_text_and_ocr_pages_in_order() {
    let img = render(612.0, 792.0, 120.0, &[(72.0, 200.0, "SCANNED 777")]);
    let flate = zlib(img.as_raw());
    let text1 = PageSpec::new(b"BT /F1 12 Tf 72 700 Td (Page one text) Tj ET")
        .font("F1", helvetica("Helvetica"));
    let text3 = PageSpec::new(b"BT /F1 12 Tf 72 700 Td (Page three text) Tj ET")
        .font("F1", helvetica("Helvetica"));
    let bytes = build(vec![
        text1,
        scan_page(image_stream(&img, "FlateDecode", flate)),
        text3,
    ]);
    let Some(pages) = read_or_ocr_unavailable(&bytes) else {
        return;
    };
    let summary: Vec<(u32, TextOrigin)> = pages.iter().map(|p| (p.number, p.origin)).collect();
    assert_eq!(
        summary,
        [
            (1, TextOrigin::TextLayer),
            (2, TextOrigin::Ocr),
            (3, TextOrigin::TextLayer)
        ]
    );
    assert_eq!(pages[0].text(), "Page one text");
    find(&pages[1], "777");
    assert_eq!(pages[2].text(), "Page three text");
}

/// zlib-compresses with lopdf's own encoder, for a FlateDecode image.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut s = Stream::new(dictionary! {}, data.to_vec());
    s.compress().unwrap();
    s.content
}

#[test]
fn jbig2_scan_is_image_unreadable_naming_page_and_filter() {
    let img = GrayImage::from_pixel(100, 100, Luma([255]));
    let text =
        PageSpec::new(b"BT /F1 12 Tf 72 700 Td (cover) Tj ET").font("F1", helvetica("Helvetica"));
    let bytes = build(vec![
        text,
        scan_page(image_stream(&img, "JBIG2Decode", vec![0; 64])),
    ]);
    let err = pdf::read(&bytes, &DigitiseOptions::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(
        err.message.contains("page 2") && err.message.contains("JBIG2"),
        "{err}"
    );
}

#[test]
fn small_logo_without_text_is_an_empty_page_not_a_scan() {
    let img = GrayImage::from_pixel(50, 50, Luma([0]));
    let mut p = PageSpec::new(b"q 40 0 0 40 20 720 cm /Im1 Do Q");
    p.xobjects
        .push(("Im1", image_stream(&img, "FlateDecode", zlib(img.as_raw()))));
    let pages = pdf::read(&build(vec![p]), &DigitiseOptions::default()).unwrap();
    assert_eq!(pages[0].origin, TextOrigin::TextLayer);
    assert!(pages[0].words.is_empty());
}
