//! Image files end to end: resolution from PNG pHYs / JPEG JFIF / TIFF tags sets the page size,
//! multi-page TIFFs give one page each, broken files are DK-E0113 naming what failed, images over
//! the pixel budget are DK-E0115 before their pixels are allocated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ocr_support;

use docket_core::ErrorCode;
use docket_documents::DigitiseOptions;
use docket_documents::image::{DEFAULT_MAX_PIXELS, decode, page_size_pt, read};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use ocr_support::english_statement;

fn opts() -> DigitiseOptions {
    DigitiseOptions {
        ocr_threads: 2,
        ..DigitiseOptions::default()
    }
}

/// PNG with a pHYs chunk of `dpi` (stored as pixels per metre, as scanners do).
fn png_with_dpi(img: &image::GrayImage, dpi: Option<f32>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, img.width(), img.height());
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    if let Some(dpi) = dpi {
        let ppm = (dpi / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
    }
    let mut w = enc.write_header().unwrap();
    w.write_image_data(img.as_raw()).unwrap();
    w.finish().unwrap();
    out
}

#[test]
fn png_phys_sets_page_size_and_words_land_in_points() {
    let canvas = english_statement(200.0);
    let bytes = png_with_dpi(&canvas.img, Some(200.0));
    let images = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!(images.len(), 1);
    assert!((images[0].dpi - 200.0).abs() < 0.05, "{}", images[0].dpi);
    let (w, h) = page_size_pt(&images[0]);
    assert!(
        (w - 595.0).abs() < 0.5 && (h - 842.0).abs() < 0.5,
        "{w}x{h}"
    );

    let pages = read(&bytes, &opts()).unwrap();
    assert_eq!(pages.len(), 1);
    let amount = pages[0]
        .words
        .iter()
        .find(|w| w.text == "1,234.56")
        .unwrap();
    let (dx, dy) = canvas.find("1,234.56").centre();
    assert!((amount.bbox.cx() - dx).abs() < 3.0 && (amount.bbox.cy() - dy).abs() < 3.0);
}

#[test]
fn png_without_phys_is_taken_as_300_dpi() {
    let img = image::GrayImage::from_pixel(600, 300, image::Luma([255]));
    let images = decode(&png_with_dpi(&img, None), DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!(images[0].dpi, 300.0);
    assert_eq!(page_size_pt(&images[0]), (144.0, 72.0));
}

#[test]
fn jpeg_jfif_density_is_read_in_dpi_and_dots_per_cm() {
    let img = image::GrayImage::from_pixel(400, 200, image::Luma([200]));
    for (density, want) in [
        (PixelDensity::dpi(150), 150.0),
        (
            PixelDensity {
                density: (118, 118),
                unit: image::codecs::jpeg::PixelDensityUnit::Centimeters,
            },
            299.72,
        ),
    ] {
        let mut bytes = Vec::new();
        let mut enc = JpegEncoder::new_with_quality(&mut bytes, 90);
        enc.set_pixel_density(density);
        enc.encode_image(&img).unwrap();
        let images = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap();
        assert!((images[0].dpi - want).abs() < 0.01, "{}", images[0].dpi);
        assert_eq!((images[0].width, images[0].height), (400, 200));
    }
}

#[test]
fn multi_page_tiff_gives_one_page_each_with_its_resolution() {
    use tiff::encoder::{Rational, TiffEncoder, colortype};
    let en = english_statement(150.0);
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut bytes).unwrap();
        for _ in 0..2 {
            let mut page = enc
                .new_image::<colortype::Gray8>(en.img.width(), en.img.height())
                .unwrap();
            page.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: 150, d: 1 });
            page.write_data(en.img.as_raw()).unwrap();
        }
        let rgb = image::RgbImage::from_pixel(30, 20, image::Rgb([10, 200, 10]));
        enc.write_image::<colortype::RGB8>(30, 20, rgb.as_raw())
            .unwrap();
    }
    let bytes = bytes.into_inner();
    let images = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!(images.len(), 3);
    assert!((images[0].dpi - 150.0).abs() < 0.01);
    assert_eq!(images[2].dpi, 300.0); // no resolution tag on page 3
    assert_eq!(images[2].pixels.len(), 600);
    assert_eq!(images[2].pixels[0], 121); // 0.299*10 + 0.587*200 + 0.114*10 = 121.5

    let pages = read(&bytes, &opts()).unwrap();
    assert_eq!(
        pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for p in &pages[..2] {
        assert!((p.width - 595.0).abs() < 0.5);
        assert!(p.words.iter().any(|w| w.text == "17,277.78"));
    }
}

#[test]
fn garbage_and_truncated_images_are_image_unreadable() {
    let err = decode(b"this is not an image at all", DEFAULT_MAX_PIXELS).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(err.message.contains("PNG, JPEG or TIFF"), "{}", err.message);

    let img = image::GrayImage::from_pixel(300, 300, image::Luma([128]));
    let png = png_with_dpi(&img, Some(200.0));
    let err = decode(&png[..png.len() / 2], DEFAULT_MAX_PIXELS).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(
        err.message.contains("PNG image cannot be decoded"),
        "{}",
        err.message
    );

    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg).encode_image(&img).unwrap();
    let err = read(&jpeg[..40], &opts()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(err.message.contains("JPEG"), "{}", err.message);

    let err = decode(b"II*\0\x08\0\0\0garbage", DEFAULT_MAX_PIXELS).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(err.message.contains("TIFF page 1"), "{}", err.message);
}

#[test]
fn decompression_bomb_is_refused_before_allocating() {
    // A valid 30000 x 30000 header: 900 MB of pixels, rejected from the header alone (by the
    // pixel budget; with the budget lifted, by the decoder's own side limit).
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, 30_000, 30_000);
    enc.set_color(png::ColorType::Grayscale);
    let w = enc.write_header().unwrap();
    drop(w);
    let err = decode(&out, DEFAULT_MAX_PIXELS).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageTooLarge);
    assert!(err.message.contains("PNG"), "{}", err.message);
    let err = decode(&out, u64::MAX).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageUnreadable);
    assert!(err.message.contains("PNG"), "{}", err.message);
}

#[test]
fn an_image_over_the_pixel_budget_is_refused_from_its_header() {
    // A valid 20000 x 20000 header (within the decoder's side limit) and no pixel data: the
    // budget refuses it before the decoder reads, let alone allocates, a row.
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, 20_000, 20_000);
    enc.set_color(png::ColorType::Grayscale);
    drop(enc.write_header().unwrap());
    let err = decode(&out, DEFAULT_MAX_PIXELS).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageTooLarge);
    for want in [
        "20000 x 20000 pixels (400.0 million)",
        "budget of 100.0 million",
        "300 dpi",
        "max_image_mpx",
    ] {
        assert!(err.message.contains(want), "{want}: {}", err.message);
    }

    // The budget is the caller's: a small one refuses an ordinary page, through `read` too.
    let img = image::GrayImage::from_pixel(300, 200, image::Luma([200]));
    let png = png_with_dpi(&img, Some(200.0));
    assert!(decode(&png, 60_000).is_ok());
    let err = decode(&png, 59_999).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageTooLarge);
    let small = DigitiseOptions {
        max_image_pixels: 10_000,
        ..opts()
    };
    let err = read(&png, &small).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageTooLarge);
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg).encode_image(&img).unwrap();
    assert_eq!(
        decode(&jpeg, 10_000).unwrap_err().code,
        ErrorCode::ImageTooLarge
    );
    let mut tiff = std::io::Cursor::new(Vec::new());
    img.write_to(&mut tiff, image::ImageFormat::Tiff).unwrap();
    let err = decode(tiff.get_ref(), 10_000).unwrap_err();
    assert_eq!(err.code, ErrorCode::ImageTooLarge);
    assert!(
        err.message.contains("TIFF page 1 is 300 x 200"),
        "{}",
        err.message
    );
}

#[test]
fn jpeg_exif_orientation_turns_the_page_upright() {
    use image::ImageEncoder;
    // 300 wide x 100 tall, stored with orientation 6 ("rotate 90° clockwise to display").
    let img =
        image::GrayImage::from_fn(300, 100, |x, _| image::Luma([if x < 10 { 0 } else { 255 }]));
    // Big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
    let exif: Vec<u8> = [
        &b"MM\0*\0\0\0\x08\0\x01"[..],
        &[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0],
        &[0, 0, 0, 0],
    ]
    .concat();
    let mut bytes = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut bytes, 95);
    enc.set_exif_metadata(exif).unwrap();
    enc.write_image(img.as_raw(), 300, 100, image::ExtendedColorType::L8)
        .unwrap();
    let page = &decode(&bytes, DEFAULT_MAX_PIXELS).unwrap()[0];
    assert_eq!((page.width, page.height), (100, 300));
    // The dark left edge is now the top edge.
    assert!(page.pixels[50] < 64, "{}", page.pixels[50]);
    assert!(page.pixels[(page.height as usize - 5) * 100 + 50] > 192);
}
