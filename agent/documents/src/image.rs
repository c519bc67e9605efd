//! Image files (PNG, JPEG, TIFF including multi-page) decoded to grey page images and sent to OCR.
//! The resolution comes from the file (PNG `pHYs`, JPEG JFIF density, TIFF `XResolution`) and
//! sets the page size in points; files without one are taken as 300 dpi scans.
//!
//! EXIF orientation is applied. Decoding is bounded: the pixel count is read from the header and
//! checked against the caller's budget (`DigitiseOptions::max_image_pixels`) before anything is
//! allocated, so a 20000 x 20000 scan fails with `DK-E0115` instead of taking gigabytes; the
//! decoder's own limits (sides, allocation, total TIFF pixels) stop a decompression bomb with
//! `DK-E0113`. This module never writes anything.

use crate::ocr::{OcrJob, ocr_pages};
use crate::{DigitiseError, DigitiseOptions};
use docket_core::ocr::PageImage;
use docket_core::{ErrorCode, Page};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Resolution assumed when the file does not state a plausible one.
pub const DEFAULT_DPI: f32 = 300.0;
/// Largest accepted width or height in pixels (A4 at 2400 dpi is ~20 000 × 28 000 … we accept
/// a little less: no real statement scan is that large).
pub const MAX_SIDE: u32 = 20_000;
/// Largest decoder allocation in bytes.
pub const MAX_ALLOC: u64 = 1024 * 1024 * 1024;
/// Most pages read from one multi-page TIFF.
pub const MAX_TIFF_PAGES: usize = 500;
/// Default pixel budget of one image: 100 million pixels (A4 at 600 dpi is 35 million, at 300 dpi
/// 8.7 million). Decoding and preparing a page for OCR takes about 4.5 bytes per pixel, so the
/// default keeps one page under ~450 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// Refuses an image of `w` x `h` pixels over `budget`, naming its size, the budget and the fix.
/// `what` says which image ("the image", "TIFF page 3", "the scanned image of page 2").
pub fn check_budget(what: &str, w: u32, h: u32, budget: u64) -> Result<(), DigitiseError> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels <= budget {
        return Ok(());
    }
    Err(DigitiseError::new(
        ErrorCode::ImageTooLarge,
        format!(
            "{what} is {w} x {h} pixels ({:.1} million), over the image budget of {:.1} million \
             pixels; it was not decoded. Scan it again at 300 dpi or reduce it, or raise the \
             budget if the machine has the memory, about 4.5 bytes per pixel (`max_image_mpx` \
             in the ingest step, `docket extract --max-image-mpx`)",
            pixels as f64 / 1e6,
            budget as f64 / 1e6
        ),
    ))
}

/// Reads an image file into one page (or several for multi-page TIFF) by OCR.
pub fn read(bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    let jobs = decode(bytes, opts.max_image_pixels)?
        .into_iter()
        .enumerate()
        .map(|(i, image)| {
            let (width_pt, height_pt) = page_size_pt(&image);
            OcrJob {
                number: i as u32 + 1,
                image,
                width_pt,
                height_pt,
            }
        })
        .collect();
    ocr_pages(jobs, opts)
}

/// The page size in points of an image at its resolution (`pixels × 72 / dpi`).
pub fn page_size_pt(image: &PageImage) -> (f32, f32) {
    let dpi = if image.dpi > 0.0 {
        image.dpi
    } else {
        DEFAULT_DPI
    };
    (
        image.width as f32 * 72.0 / dpi,
        image.height as f32 * 72.0 / dpi,
    )
}

/// Decodes a PNG, JPEG or TIFF file into one-channel page images (one per TIFF page) with their
/// resolution. Undecodable files are `DK-E0113`; an image over `max_pixels` is `DK-E0115`, refused
/// from its header before its pixels are allocated.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<Vec<PageImage>, DigitiseError> {
    let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageFormat::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageFormat::Jpeg
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        ImageFormat::Tiff
    } else {
        return Err(unreadable(
            "not a PNG, JPEG or TIFF image (unknown signature)".into(),
        ));
    };
    if format == ImageFormat::Tiff {
        return tiff_pages(bytes, max_pixels);
    }
    let dpi = match format {
        ImageFormat::Png => png_dpi(bytes),
        _ => jpeg_dpi(bytes),
    };
    let image = decode_one(bytes, format, max_pixels)?;
    Ok(vec![grey_page(image, dpi)])
}

fn unreadable(what: String) -> DigitiseError {
    DigitiseError::new(ErrorCode::ImageUnreadable, what)
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

/// Decodes the (first) image of a file with the `image` crate under [`limits`].
fn decode_one(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<DynamicImage, DigitiseError> {
    let name = format!("{format:?}").to_uppercase();
    let fail = |e: image::ImageError| unreadable(format!("{name} image cannot be decoded: {e}"));
    // PNG: the IHDR chunk alone gives the size, even when the rest of the file is cut off or a
    // decompression bomb.
    if format == ImageFormat::Png
        && bytes.get(12..16) == Some(b"IHDR".as_slice())
        && let (Some(w), Some(h)) = (be_u32(bytes, 16), be_u32(bytes, 20))
    {
        check_budget(&format!("the {name} image"), w, h, max_pixels)?;
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(fail)?;
    // The decoder has read the header only: refuse before a pixel buffer exists.
    let (w, h) = decoder.dimensions();
    check_budget(&format!("the {name} image"), w, h, max_pixels)?;
    // Phone photos and some scanners store the page sideways plus an EXIF orientation tag.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Flattens onto white (transparent areas of a screenshot are paper, not ink) and converts to
/// one 8-bit grey channel.
fn grey_page(image: DynamicImage, dpi: Option<f32>) -> PageImage {
    let dpi = dpi.unwrap_or(DEFAULT_DPI);
    let grey = if image.color().has_alpha() {
        let la = image.to_luma_alpha8();
        let (w, h) = la.dimensions();
        let pixels = la
            .pixels()
            .map(|p| {
                let [l, a] = p.0;
                ((u32::from(l) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
            })
            .collect();
        return PageImage {
            width: w,
            height: h,
            channels: 1,
            pixels,
            dpi,
        };
    } else {
        image.into_luma8()
    };
    PageImage {
        width: grey.width(),
        height: grey.height(),
        channels: 1,
        pixels: grey.into_raw(),
        dpi,
    }
}

/// Keeps resolutions a scanner or renderer could have produced; others (0, 1, 72-dpi camera
/// defaults are kept, absurd values are not) fall back to the default.
fn plausible(dpi: f32) -> Option<f32> {
    (50.0..=2400.0).contains(&dpi).then_some(dpi)
}

/// Horizontal resolution from a PNG `pHYs` chunk (unit 1 = pixels per metre).
pub fn png_dpi(bytes: &[u8]) -> Option<f32> {
    let mut pos = 8;
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().ok()?) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = bytes.get(pos + 8..pos + 8 + len)?;
        match kind {
            b"pHYs" if len >= 9 => {
                let ppu = u32::from_be_bytes(data[0..4].try_into().ok()?);
                return if data[8] == 1 {
                    plausible(ppu as f32 * 0.0254)
                } else {
                    None
                };
            }
            b"IDAT" | b"IEND" => return None,
            _ => {}
        }
        pos += 12 + len;
    }
    None
}

/// Horizontal resolution from a JPEG JFIF `APP0` segment (units 1 = dpi, 2 = dots per cm).
pub fn jpeg_dpi(bytes: &[u8]) -> Option<f32> {
    let mut pos = 2;
    while pos + 4 <= bytes.len() {
        if bytes[pos] != 0xFF {
            return None;
        }
        let marker = bytes[pos + 1];
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            pos += 2;
            continue;
        }
        // Start of scan: no more headers.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]) as usize;
        let seg = bytes.get(pos + 4..pos + 2 + len)?;
        if marker == 0xE0 && seg.len() >= 12 && seg.starts_with(b"JFIF\0") {
            let units = seg[7];
            let x = u16::from_be_bytes([seg[8], seg[9]]) as f32;
            return match units {
                1 => plausible(x),
                2 => plausible(x * 2.54),
                _ => None,
            };
        }
        pos += 2 + len;
    }
    None
}

/// All pages of a TIFF through the `tiff` crate (the `image` crate reads only the first).
fn tiff_pages(bytes: &[u8], max_pixels: u64) -> Result<Vec<PageImage>, DigitiseError> {
    use tiff::decoder::{Decoder, DecodingResult, Limits as TiffLimits};

    let fail = |page: usize, e: &dyn std::fmt::Display| {
        unreadable(format!("TIFF page {page} cannot be decoded: {e}"))
    };
    let mut tl = TiffLimits::default();
    tl.decoding_buffer_size = MAX_ALLOC as usize;
    tl.intermediate_buffer_size = MAX_ALLOC as usize;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|e| fail(1, &e))?
        .with_limits(tl);
    let mut pages = Vec::new();
    let mut total_bytes = 0u64;
    loop {
        let n = pages.len() + 1;
        let (w, h) = dec.dimensions().map_err(|e| fail(n, &e))?;
        check_budget(&format!("TIFF page {n}"), w, h, max_pixels)?;
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(unreadable(format!(
                "TIFF page {n} is {w}x{h} pixels, over the limit of {MAX_SIDE} per side"
            )));
        }
        let dpi = tiff_dpi(&mut dec);
        let color = dec.colortype().map_err(|e| fail(n, &e))?;
        let data = dec.read_image().map_err(|e| fail(n, &e))?;
        let grey = match (color, data) {
            (tiff::ColorType::Gray(1), DecodingResult::U8(d)) => unpack_bits(&d, w, h),
            (tiff::ColorType::Gray(8), DecodingResult::U8(d)) => Some(d),
            (tiff::ColorType::Gray(16), DecodingResult::U16(d)) => {
                Some(d.iter().map(|v| (v >> 8) as u8).collect())
            }
            (tiff::ColorType::GrayA(8), DecodingResult::U8(d)) => {
                Some(d.chunks_exact(2).map(|p| flatten(p[0], p[1])).collect())
            }
            (tiff::ColorType::RGB(8), DecodingResult::U8(d)) => {
                Some(d.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect())
            }
            (tiff::ColorType::RGBA(8), DecodingResult::U8(d)) => Some(
                d.chunks_exact(4)
                    .map(|p| flatten(luma(p[0], p[1], p[2]), p[3]))
                    .collect(),
            ),
            (tiff::ColorType::RGB(16), DecodingResult::U16(d)) => Some(
                d.chunks_exact(3)
                    .map(|p| luma((p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8))
                    .collect(),
            ),
            _ => None,
        };
        let image = match grey {
            Some(pixels) if pixels.len() == w as usize * h as usize => PageImage {
                width: w,
                height: h,
                channels: 1,
                pixels,
                dpi: dpi.unwrap_or(DEFAULT_DPI),
            },
            // Colour models the tiff crate leaves raw (palette, CMYK, YCbCr…): the image crate
            // converts those, but only for the first page.
            _ if n == 1 => grey_page(decode_one(bytes, ImageFormat::Tiff, max_pixels)?, dpi),
            _ => {
                return Err(unreadable(format!(
                    "TIFF page {n} uses colour type {color:?}, which is not supported: \
                     convert the file to greyscale or RGB"
                )));
            }
        };
        total_bytes += image.pixels.len() as u64;
        if total_bytes > MAX_ALLOC {
            return Err(unreadable(format!(
                "TIFF pages 1-{n} already hold over {MAX_ALLOC} bytes of pixels: split the file"
            )));
        }
        pages.push(image);
        if !dec.more_images() {
            break;
        }
        if pages.len() >= MAX_TIFF_PAGES {
            return Err(unreadable(format!(
                "TIFF has more than {MAX_TIFF_PAGES} pages: split it"
            )));
        }
        dec.next_image().map_err(|e| fail(pages.len() + 1, &e))?;
    }
    Ok(pages)
}

fn tiff_dpi<R: std::io::Read + std::io::Seek>(dec: &mut tiff::decoder::Decoder<R>) -> Option<f32> {
    use tiff::decoder::ifd::Value;
    use tiff::tags::Tag;
    let x = match dec.find_tag(Tag::XResolution).ok()?? {
        Value::Rational(n, d) if d != 0 => n as f32 / d as f32,
        Value::Float(f) => f,
        _ => return None,
    };
    let unit = dec
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    match unit {
        2 => plausible(x),
        3 => plausible(x * 2.54),
        _ => None,
    }
}

/// Expands 1-bit rows (padded to whole bytes, 1 = white after the decoder's WhiteIsZero fix).
fn unpack_bits(data: &[u8], w: u32, h: u32) -> Option<Vec<u8>> {
    let stride = (w as usize).div_ceil(8);
    if data.len() < stride * h as usize {
        return None;
    }
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for row in data.chunks_exact(stride).take(h as usize) {
        for x in 0..w as usize {
            let bit = (row[x / 8] >> (7 - x % 8)) & 1;
            out.push(if bit == 1 { 255 } else { 0 });
        }
    }
    Some(out)
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

fn flatten(l: u8, a: u8) -> u8 {
    ((u32::from(l) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
}
