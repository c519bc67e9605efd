//! "Scanned" statements: laid-out pages rasterised at 200 dpi in greyscale with real system fonts
//! (Liberation Sans, metric-compatible with the Helvetica of the digital PDFs, and Noto Sans CJK
//! SC), then made to look scanned — a slight seeded rotation, paper
//! tone, speckles — and written as a JPEG-per-page PDF or a PNG carrying its dpi. Nothing here
//! draws a text layer: a scan's only text is in its pixels, as with a real scanner.

use super::layout::{Align, Face, PageLayout, text_width};
use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use anyhow::{Context, Result};
use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
use lopdf::{Document, Object, Stream, dictionary};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Scan resolution.
pub const DPI: f32 = 200.0;

const LATIN: &str = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf";
const LATIN_BOLD: &str = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf";
const CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// Face index of "Noto Sans CJK SC" in the collection (JP, KR, SC, TC, HK).
const CJK_SC_INDEX: u32 = 2;

/// The three fonts a scan is drawn with, loaded once.
pub struct ScanFonts {
    latin: FontVec,
    latin_bold: FontVec,
    cjk: FontVec,
}

impl ScanFonts {
    /// Load the system fonts (Debian `fonts-liberation2`, `fonts-noto-cjk`).
    pub fn load() -> Result<ScanFonts> {
        let load = |path: &str, index: u32| -> Result<FontVec> {
            let bytes = std::fs::read(path).with_context(|| {
                format!("reading font {path} (install fonts-liberation2 and fonts-noto-cjk)")
            })?;
            FontVec::try_from_vec_and_index(bytes, index)
                .with_context(|| format!("parsing font {path} (face {index})"))
        };
        Ok(ScanFonts {
            latin: load(LATIN, 0)?,
            latin_bold: load(LATIN_BOLD, 0)?,
            cjk: load(CJK, CJK_SC_INDEX)?,
        })
    }

    fn font(&self, face: Face) -> &FontVec {
        match face {
            Face::Latin => &self.latin,
            Face::LatinBold => &self.latin_bold,
            Face::Cjk => &self.cjk,
        }
    }
}

/// Rasterise one page, clean (no rotation or noise).
pub fn rasterise(page: &PageLayout, fonts: &ScanFonts) -> GrayImage {
    let k = DPI / 72.0;
    let w = (page.width * k).round() as u32;
    let h = (page.height * k).round() as u32;
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    for r in &page.rules {
        let t = (r.width * k).max(1.0);
        let (x0, x1) = (r.x0.min(r.x1) * k, r.x0.max(r.x1) * k);
        let (y0, y1) = (r.y0.min(r.y1) * k - t / 2.0, r.y0.max(r.y1) * k + t / 2.0);
        for y in (y0.max(0.0) as u32)..(y1.ceil() as u32).min(h) {
            for x in (x0.max(0.0) as u32)..(x1.ceil() as u32).min(w) {
                img.put_pixel(x, y, Luma([40]));
            }
        }
    }
    for t in &page.texts {
        let font = fonts.font(t.face);
        let em = t.size * k;
        let base = match font.units_per_em() {
            Some(upem) => PxScale::from(em * font.height_unscaled() / upem),
            None => PxScale::from(em),
        };
        // Squeeze glyphs horizontally to the layout's metrics (Helvetica / ½-em ASCII) where a font
        // is wider (Noto CJK), so text never runs into the next column.
        let natural = advance(font, base, &t.text);
        let target = text_width(&t.text, t.face, t.size) * k;
        let scale = if natural > target && natural > 0.0 {
            PxScale {
                x: base.x * target / natural,
                y: base.y,
            }
        } else {
            base
        };
        let sf = font.as_scaled(scale);
        let ids: Vec<_> = t.text.chars().map(|c| sf.glyph_id(c)).collect();
        let width = advance(font, scale, &t.text);
        let mut x = match t.align {
            Align::Left => t.x * k,
            Align::Right => t.x * k - width,
            Align::Center => t.x * k - width / 2.0,
        };
        let baseline = t.baseline * k;
        for (i, id) in ids.iter().enumerate() {
            let glyph = id.with_scale_and_position(scale, point(x, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cov| {
                    let px = b.min.x as i64 + i64::from(gx);
                    let py = b.min.y as i64 + i64::from(gy);
                    if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                        let p = img.get_pixel_mut(px as u32, py as u32);
                        let ink = (255.0 * (1.0 - cov.clamp(0.0, 1.0))) as u8;
                        p.0[0] = p.0[0].min(ink.max(25));
                    }
                });
            }
            x += sf.h_advance(*id);
            if let Some(next) = ids.get(i + 1) {
                x += sf.kern(*id, *next);
            }
        }
    }
    img
}

/// Advance width of `text` in pixels at `scale`, kerning included.
fn advance(font: &FontVec, scale: PxScale, text: &str) -> f32 {
    let sf = font.as_scaled(scale);
    let ids: Vec<_> = text.chars().map(|c| sf.glyph_id(c)).collect();
    let mut width = 0.0;
    for (i, id) in ids.iter().enumerate() {
        width += sf.h_advance(*id);
        if let Some(next) = ids.get(i + 1) {
            width += sf.kern(*id, *next);
        }
    }
    width
}

/// Make a clean raster look scanned: rotate by 0.5–1.0° (either way; more makes the far end of
/// a landscape row drift into the next one), tint the paper, add
/// speckles and, when `grain` is set, fine per-pixel grain (cheap under JPEG, costly in PNG).
pub fn degrade(img: &GrayImage, seed: u64, grain: bool) -> GrayImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let degrees: f32 = rng.random_range(0.5..1.0) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    let mut out = rotate_about_center(
        img,
        degrees.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(Luma([255])),
    );
    let (w, h) = out.dimensions();
    for (x, y, p) in out.enumerate_pixels_mut() {
        // Paper is never pure white, and a flatbed lights one side a little more than the other.
        let tone = 244.0 - 8.0 * (x as f32 / w as f32) - 4.0 * (y as f32 / h as f32);
        let v = f32::from(p.0[0]) * tone / 255.0;
        p.0[0] = v as u8;
    }
    let speckles = (w as usize * h as usize) / 2500;
    for _ in 0..speckles {
        let x = rng.random_range(0..w);
        let y = rng.random_range(0..h);
        out.put_pixel(x, y, Luma([rng.random_range(60..180)]));
    }
    if grain {
        for p in out.pixels_mut() {
            let n: i16 = rng.random_range(-6..=6);
            p.0[0] = (i16::from(p.0[0]) + n).clamp(0, 255) as u8;
        }
    }
    out
}

/// Encode a greyscale page as baseline JPEG at quality 85.
pub fn jpeg(img: &GrayImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(img)
        .context("encoding the scanned page as JPEG")?;
    Ok(out)
}

/// Encode a greyscale page as PNG with a pHYs chunk saying [`DPI`].
pub fn png_with_dpi(img: &GrayImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, img.width(), img.height());
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let ppm = (DPI / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().context("writing the PNG header")?;
        writer
            .write_image_data(img.as_raw())
            .context("writing the PNG pixels")?;
        writer.finish().context("finishing the PNG")?;
    }
    Ok(out)
}

/// A PDF with one full-page DCTDecode image per JPEG; page size follows the image at [`DPI`].
pub fn pdf_of_jpegs(pages: &[(u32, u32, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::with_capacity(pages.len());
    for (w, h, data) in pages {
        let image = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image",
                "Width" => i64::from(*w), "Height" => i64::from(*h),
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            data.clone(),
        ));
        let (pw, ph) = (*w as f32 * 72.0 / DPI, *h as f32 * 72.0 / DPI);
        let content = format!("q {pw:.2} 0 0 {ph:.2} 0 0 cm /Im1 Do Q\n");
        let content_id =
            doc.add_object(Stream::new(lopdf::Dictionary::new(), content.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(pw), Object::Real(ph)],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => image } },
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .context("serialising the scanned PDF")?;
    Ok(out)
}
