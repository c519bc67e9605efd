//! Scanned pages: finds the largest image placed on a page without text, decodes it (JPEG,
//! Flate/LZW/RLE raw samples in gray, RGB, CMYK, indexed or separation colour at 1–16 bits,
//! CCITT G3/G4 fax) and turns it into an upright page image at its own resolution for OCR. It
//! never renders vector content, and refuses an image whose `/Width` x `/Height` exceeds the
//! caller's pixel budget (`DK-E0115`) before decoding it, instead of allocating without bound. JPEG 2000 and JBIG2 have no decoder here: they fail with
//! `DK-E0113` naming the page and the filter.

use super::content::{Placed, apply};
use super::{PageGeom, as_num, get, resolve, stream_bytes};
use crate::DigitiseError;
use crate::ocr::OcrJob;
use docket_core::ErrorCode;
use docket_core::ocr::PageImage;
use image::{DynamicImage, GrayImage, RgbImage, imageops};
use lopdf::{Dictionary, Document, Object, Stream};

/// An image covering less of the page than this is a logo, not a scan.
const MIN_COVER: f32 = 0.05;

fn unreadable(number: u32, what: impl std::fmt::Display) -> DigitiseError {
    DigitiseError::new(
        ErrorCode::ImageUnreadable,
        format!(
            "page {number}: the scanned image cannot be decoded ({what}); scan the document again as PNG, JPEG or TIFF"
        ),
    )
}

/// The OCR job for a page whose only content is images, or `None` when the images are too
/// small to be a scan of the page.
pub(super) fn ocr_job(
    doc: &Document,
    number: u32,
    geom: &PageGeom,
    images: &[Placed],
    max_pixels: u64,
) -> Result<Option<OcrJob>, DigitiseError> {
    let corners = |p: &Placed| {
        let m = &p.ctm;
        let tl = geom.map_pt(apply(m, 0.0, 1.0));
        let tr = geom.map_pt(apply(m, 1.0, 1.0));
        let bl = geom.map_pt(apply(m, 0.0, 0.0));
        let br = geom.map_pt(apply(m, 1.0, 0.0));
        (tl, tr, bl, br)
    };
    let area = |p: &Placed| {
        let (tl, tr, bl, br) = corners(p);
        let xs = [tl.0, tr.0, bl.0, br.0];
        let ys = [tl.1, tr.1, bl.1, br.1];
        let x0 = xs.iter().copied().fold(f32::MAX, f32::min).max(0.0);
        let x1 = xs.iter().copied().fold(f32::MIN, f32::max).min(geom.width);
        let y0 = ys.iter().copied().fold(f32::MAX, f32::min).max(0.0);
        let y1 = ys.iter().copied().fold(f32::MIN, f32::max).min(geom.height);
        ((x1 - x0).max(0.0) * (y1 - y0).max(0.0), [x0, y0, x1, y1])
    };
    let Some(best) = images.iter().max_by(|a, b| area(a).0.total_cmp(&area(b).0)) else {
        return Ok(None);
    };
    let (cover, bbox) = area(best);
    if cover < MIN_COVER * geom.width * geom.height {
        return Ok(None);
    }
    let mut img = decode(doc, best.stream, number, max_pixels)?;

    // Turn the image upright as the page shows it: find where its x and y axes point.
    let (tl, tr, bl, _) = corners(best);
    let dx = (tr.0 - tl.0, tr.1 - tl.1);
    let dy = (bl.0 - tl.0, bl.1 - tl.1);
    let quarter = if dx.0.abs() >= dx.1.abs() {
        if dx.0 >= 0.0 { 0 } else { 2 }
    } else if dx.1 >= 0.0 {
        1
    } else {
        3
    };
    let expected_down = match quarter {
        0 => (0.0, 1.0),
        1 => (-1.0, 0.0),
        2 => (0.0, -1.0),
        _ => (1.0, 0.0),
    };
    if dy.0 * expected_down.0 + dy.1 * expected_down.1 < 0.0 {
        img = img.flipv();
    }
    img = match quarter {
        1 => img.rotate90(),
        2 => img.rotate180(),
        3 => img.rotate270(),
        _ => img,
    };

    let (bw, bh) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
    let dpi = (img.width() as f32 / (bw / 72.0)).clamp(30.0, 1200.0);
    let fills_page =
        bbox[0] < 2.0 && bbox[1] < 2.0 && bbox[2] > geom.width - 2.0 && bbox[3] > geom.height - 2.0;
    if !fills_page {
        let cw = (geom.width / 72.0 * dpi).round() as u32;
        let ch = (geom.height / 72.0 * dpi).round() as u32;
        if cw > 0 && ch > 0 && u64::from(cw) * u64::from(ch) <= max_pixels {
            let tw = ((bw / 72.0 * dpi).round() as u32).max(1);
            let th = ((bh / 72.0 * dpi).round() as u32).max(1);
            if tw.abs_diff(img.width()) > img.width() / 50
                || th.abs_diff(img.height()) > img.height() / 50
            {
                img = img.resize_exact(tw, th, imageops::FilterType::Triangle);
            }
            let (ox, oy) = (
                (bbox[0] / 72.0 * dpi).round() as i64,
                (bbox[1] / 72.0 * dpi).round() as i64,
            );
            img = match img {
                DynamicImage::ImageLuma8(g) => {
                    let mut canvas = GrayImage::from_pixel(cw, ch, image::Luma([255]));
                    imageops::replace(&mut canvas, &g, ox, oy);
                    DynamicImage::ImageLuma8(canvas)
                }
                other => {
                    let mut canvas = RgbImage::from_pixel(cw, ch, image::Rgb([255, 255, 255]));
                    imageops::replace(&mut canvas, &other.to_rgb8(), ox, oy);
                    DynamicImage::ImageRgb8(canvas)
                }
            };
        }
    }
    let (width, height) = (img.width(), img.height());
    let (channels, pixels) = match img {
        DynamicImage::ImageLuma8(g) => (1, g.into_raw()),
        other => (3, other.to_rgb8().into_raw()),
    };
    Ok(Some(OcrJob {
        number,
        image: PageImage {
            width,
            height,
            channels,
            pixels,
            dpi,
        },
        width_pt: geom.width,
        height_pt: geom.height,
    }))
}

fn filters(doc: &Document, dict: &Dictionary) -> Vec<Vec<u8>> {
    match get(doc, dict, b"Filter") {
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|o| {
                resolve(doc, o)
                    .and_then(|o| o.as_name().ok())
                    .map(<[u8]>::to_vec)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Decodes the filters before the last one (a `[/FlateDecode /DCTDecode]` chain).
fn undo_leading(
    stream: &Stream,
    leading: &[Vec<u8>],
    number: u32,
) -> Result<Vec<u8>, DigitiseError> {
    if leading.is_empty() {
        return Ok(stream.content.clone());
    }
    let mut s = stream.clone();
    s.dict.set(
        "Filter",
        Object::Array(leading.iter().map(|n| Object::Name(n.clone())).collect()),
    );
    s.dict.remove(b"DecodeParms");
    stream_bytes(&s).ok_or_else(|| unreadable(number, "its compressed data is damaged"))
}

fn decode(
    doc: &Document,
    stream: &Stream,
    number: u32,
    max_pixels: u64,
) -> Result<DynamicImage, DigitiseError> {
    let dict = &stream.dict;
    let num = |k: &[u8]| get(doc, dict, k).and_then(as_num);
    let w = num(b"Width").unwrap_or(0.0);
    let h = num(b"Height").unwrap_or(0.0);
    if !(w >= 1.0 && h >= 1.0 && w <= u32::MAX as f32 && h <= u32::MAX as f32) {
        return Err(unreadable(number, format!("implausible size {w} x {h}")));
    }
    let (w, h) = (w as u32, h as u32);
    crate::image::check_budget(
        &format!("page {number}: the scanned image"),
        w,
        h,
        max_pixels,
    )?;
    let fl = filters(doc, dict);
    let (last, leading) = match fl.split_last() {
        Some((l, rest)) => (l.as_slice(), rest),
        None => (&b""[..], &[][..]),
    };
    let params = match get(doc, dict, b"DecodeParms") {
        Some(Object::Dictionary(d)) => Some(d),
        Some(Object::Array(a)) => a
            .get(fl.len().saturating_sub(1))
            .and_then(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok()),
        _ => None,
    };
    let invert = get(doc, dict, b"Decode")
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(as_num)
        .is_some_and(|v| v > 0.5);
    match last {
        b"DCTDecode" | b"DCT" => {
            let data = undo_leading(stream, leading, number)?;
            let img = image::load_from_memory_with_format(&data, image::ImageFormat::Jpeg)
                .map_err(|e| unreadable(number, format!("JPEG: {e}")))?;
            Ok(if img.color().has_color() {
                DynamicImage::ImageRgb8(img.to_rgb8())
            } else {
                DynamicImage::ImageLuma8(img.to_luma8())
            })
        }
        b"CCITTFaxDecode" | b"CCF" => {
            let data = undo_leading(stream, leading, number)?;
            let p = |k: &[u8]| params.and_then(|d| get(doc, d, k));
            let k = p(b"K").and_then(as_num).unwrap_or(0.0);
            let cols = p(b"Columns")
                .and_then(as_num)
                .unwrap_or(1728.0)
                .clamp(1.0, 65535.0) as u16;
            let black_is_1 = matches!(p(b"BlackIs1"), Some(Object::Boolean(true)));
            let rows = u16::try_from(h).unwrap_or(u16::MAX);
            let mut pixels: Vec<u8> = Vec::with_capacity(usize::from(cols) * usize::from(rows));
            let mut lines = 0u16;
            let mut on_line = |transitions: &[u16]| {
                if lines >= rows {
                    return;
                }
                lines += 1;
                for c in fax::decoder::pels(transitions, cols) {
                    let black = c == fax::Color::Black;
                    let bit = black == black_is_1;
                    pixels.push(if bit != invert { 255 } else { 0 });
                }
            };
            let ok = if k < 0.0 {
                fax::decoder::decode_g4(data.iter().copied(), cols, Some(rows), &mut on_line)
            } else {
                fax::decoder::decode_g3(data.iter().copied(), &mut on_line)
            };
            if ok.is_none() && lines == 0 {
                return Err(unreadable(
                    number,
                    "CCITT fax data is damaged or uses an unsupported mode",
                ));
            }
            pixels.resize(usize::from(cols) * usize::from(rows), 255);
            GrayImage::from_raw(u32::from(cols), u32::from(rows), pixels)
                .map(DynamicImage::ImageLuma8)
                .ok_or_else(|| unreadable(number, "CCITT image size mismatch"))
        }
        b"JPXDecode" => Err(unreadable(
            number,
            "JPEG 2000 (/JPXDecode) is not supported",
        )),
        b"JBIG2Decode" => Err(unreadable(number, "JBIG2 (/JBIG2Decode) is not supported")),
        _ => {
            let data = stream_bytes(stream).ok_or_else(|| {
                unreadable(
                    number,
                    format!("filter {} failed", String::from_utf8_lossy(last)),
                )
            })?;
            raw_samples(doc, dict, &data, w, h, invert, number)
        }
    }
}

/// Colour model of raw samples.
enum Space {
    Gray,
    Rgb,
    Cmyk,
    /// Ink tints: 1 is full ink, so darker.
    Tint,
    Indexed(Box<Space>, Vec<u8>),
}

impl Space {
    fn components(&self) -> usize {
        match self {
            Space::Gray | Space::Tint | Space::Indexed(..) => 1,
            Space::Rgb => 3,
            Space::Cmyk => 4,
        }
    }
}

fn color_space(doc: &Document, obj: Option<&Object>, depth: u32) -> Space {
    let Some(obj) = obj.and_then(|o| resolve(doc, o)) else {
        return Space::Gray;
    };
    let name_space = |n: &[u8]| match n {
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Space::Rgb,
        b"DeviceCMYK" | b"CMYK" => Space::Cmyk,
        _ => Space::Gray,
    };
    match obj {
        Object::Name(n) => name_space(n),
        Object::Array(a) if depth < 4 => {
            let family = a.first().and_then(|o| o.as_name().ok()).unwrap_or(b"");
            match family {
                b"ICCBased" => {
                    let n = a
                        .get(1)
                        .and_then(|o| resolve(doc, o))
                        .and_then(|o| o.as_stream().ok())
                        .and_then(|s| get(doc, &s.dict, b"N"))
                        .and_then(as_num)
                        .unwrap_or(1.0);
                    match n as i64 {
                        3 => Space::Rgb,
                        4 => Space::Cmyk,
                        _ => Space::Gray,
                    }
                }
                b"Indexed" | b"I" => {
                    let base = color_space(doc, a.get(1), depth + 1);
                    let lookup = match a.get(3).and_then(|o| resolve(doc, o)) {
                        Some(Object::String(s, _)) => s.clone(),
                        Some(Object::Stream(s)) => stream_bytes(s).unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    Space::Indexed(Box::new(base), lookup)
                }
                b"Separation" | b"DeviceN" => Space::Tint,
                other => name_space(other),
            }
        }
        _ => Space::Gray,
    }
}

fn raw_samples(
    doc: &Document,
    dict: &Dictionary,
    data: &[u8],
    w: u32,
    h: u32,
    invert: bool,
    number: u32,
) -> Result<DynamicImage, DigitiseError> {
    let mask = matches!(get(doc, dict, b"ImageMask"), Some(Object::Boolean(true)));
    let space = if mask {
        Space::Gray
    } else {
        color_space(doc, get(doc, dict, b"ColorSpace"), 0)
    };
    let bpc = if mask {
        1
    } else {
        get(doc, dict, b"BitsPerComponent")
            .and_then(as_num)
            .unwrap_or(8.0) as u32
    };
    if ![1, 2, 4, 8, 16].contains(&bpc) {
        return Err(unreadable(number, format!("{bpc} bits per component")));
    }
    let comps = space.components();
    let row_bytes = (w as usize * comps * bpc as usize).div_ceil(8);
    let need = row_bytes * h as usize;
    if data.len() < need / 2 {
        return Err(unreadable(
            number,
            "the image data is shorter than its size says",
        ));
    }
    let max = (1u32 << bpc.min(8)) - 1;
    let sample = |row: &[u8], i: usize| -> u8 {
        let v = match bpc {
            8 => u32::from(row.get(i).copied().unwrap_or(255)),
            16 => u32::from(row.get(2 * i).copied().unwrap_or(255)),
            b => {
                let bit = i * b as usize;
                let byte = row.get(bit / 8).copied().unwrap_or(255);
                (u32::from(byte) >> (8 - b as usize - bit % 8)) & max
            }
        };
        if matches!(space, Space::Indexed(..)) {
            v as u8
        } else {
            let scaled = if bpc == 16 { v } else { v * 255 / max };
            if invert {
                255 - scaled as u8
            } else {
                scaled as u8
            }
        }
    };
    let color = match &space {
        Space::Rgb | Space::Cmyk => true,
        Space::Indexed(base, _) => matches!(**base, Space::Rgb | Space::Cmyk),
        _ => false,
    };
    let mut out = Vec::with_capacity(w as usize * h as usize * if color { 3 } else { 1 });
    let empty: &[u8] = &[];
    for y in 0..h as usize {
        let row = data
            .get(y * row_bytes..(y + 1) * row_bytes)
            .unwrap_or(empty);
        for x in 0..w as usize {
            let px: [u8; 3] = match &space {
                Space::Gray => {
                    let g = sample(row, x);
                    [g, g, g]
                }
                Space::Tint => {
                    let g = 255 - sample(row, x);
                    [g, g, g]
                }
                Space::Rgb => [
                    sample(row, 3 * x),
                    sample(row, 3 * x + 1),
                    sample(row, 3 * x + 2),
                ],
                Space::Cmyk => cmyk(&[
                    sample(row, 4 * x),
                    sample(row, 4 * x + 1),
                    sample(row, 4 * x + 2),
                    sample(row, 4 * x + 3),
                ]),
                Space::Indexed(base, lut) => {
                    let i = usize::from(sample(row, x));
                    let n = base.components();
                    let e = |k: usize| lut.get(i * n + k).copied().unwrap_or(255);
                    match **base {
                        Space::Rgb => [e(0), e(1), e(2)],
                        Space::Cmyk => cmyk(&[e(0), e(1), e(2), e(3)]),
                        _ => [e(0), e(0), e(0)],
                    }
                }
            };
            if color {
                out.extend_from_slice(&px);
            } else {
                out.push(px[0]);
            }
        }
    }
    let img = if color {
        RgbImage::from_raw(w, h, out).map(DynamicImage::ImageRgb8)
    } else {
        GrayImage::from_raw(w, h, out).map(DynamicImage::ImageLuma8)
    };
    img.ok_or_else(|| unreadable(number, "image size mismatch"))
}

fn cmyk(v: &[u8; 4]) -> [u8; 3] {
    let k = 255 - u32::from(v[3]);
    let f = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
    [f(v[0]), f(v[1]), f(v[2])]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    /// A 64×16 bitmap with a black block at columns 8..24, rows 4..12.
    fn black_block(x: u32, y: u32) -> bool {
        (8..24).contains(&x) && (4..12).contains(&y)
    }

    fn gray(img: &DynamicImage) -> GrayImage {
        img.to_luma8()
    }

    #[test]
    fn ccitt_g4_decodes_with_black_as_zero() {
        let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
        for y in 0..16 {
            let pels = (0..64).map(|x| {
                if black_block(x, y) {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            });
            enc.encode_line(pels, 64).unwrap();
        }
        let data = enc.finish().unwrap().finish();
        let stream = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 64, "Height" => 16,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1,
                "Filter" => "CCITTFaxDecode",
                "DecodeParms" => dictionary! { "K" => -1, "Columns" => 64, "Rows" => 16 },
            },
            data,
        );
        let img = gray(&decode(&Document::new(), &stream, 3, u64::MAX).unwrap());
        assert_eq!(img.dimensions(), (64, 16));
        for (x, y, p) in img.enumerate_pixels() {
            assert_eq!(
                p.0[0],
                if black_block(x, y) { 0 } else { 255 },
                "at {x},{y}"
            );
        }
    }

    #[test]
    fn one_bit_raw_samples_and_image_masks() {
        let mut data = Vec::new();
        for y in 0..16 {
            let mut row = [0u8; 8];
            for x in 0..64u32 {
                if !black_block(x, y) {
                    row[(x / 8) as usize] |= 0x80 >> (x % 8);
                }
            }
            data.extend_from_slice(&row);
        }
        let dict = dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 64, "Height" => 16,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1,
        };
        let img = gray(
            &decode(
                &Document::new(),
                &Stream::new(dict, data.clone()),
                1,
                u64::MAX,
            )
            .unwrap(),
        );
        assert_eq!(img.get_pixel(10, 5).0[0], 0);
        assert_eq!(img.get_pixel(40, 5).0[0], 255);
        // /Decode [1 0] inverts.
        let dict = dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 64, "Height" => 16,
            "ImageMask" => true, "Decode" => vec![1.into(), 0.into()],
        };
        let img = gray(&decode(&Document::new(), &Stream::new(dict, data), 1, u64::MAX).unwrap());
        assert_eq!(img.get_pixel(10, 5).0[0], 255);
        assert_eq!(img.get_pixel(40, 5).0[0], 0);
    }

    #[test]
    fn unsupported_and_oversized_images_are_unreadable() {
        let dict = dictionary! {
            "Subtype" => "Image", "Width" => 100000, "Height" => 100000,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        };
        let err = decode(&Document::new(), &Stream::new(dict, vec![]), 4, 100_000_000).unwrap_err();
        assert_eq!(err.code, ErrorCode::ImageTooLarge);
        assert!(err.message.contains("page 4"), "{err}");
        assert!(
            err.message
                .contains("100000 x 100000 pixels (10000.0 million)"),
            "{err}"
        );
        assert!(err.message.contains("budget of 100.0 million"), "{err}");
        let dict = dictionary! {
            "Subtype" => "Image", "Width" => 10, "Height" => 10, "Filter" => "JPXDecode",
        };
        let err = decode(
            &Document::new(),
            &Stream::new(dict, vec![0; 10]),
            2,
            u64::MAX,
        )
        .unwrap_err();
        assert!(err.message.contains("JPEG 2000"), "{err}");
    }
}
