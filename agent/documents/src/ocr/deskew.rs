//! Skew estimation and correction for scanned pages. A statement fed crooked through a scanner
//! is rotated by a degree or so; Tesseract copes with the text but its boxes then drift across
//! table columns, so the page is straightened first.
//!
//! The estimate is the projection-profile method: for each candidate angle the dark pixels are
//! projected onto the rotated vertical axis, and the angle whose row histogram is sharpest (the
//! largest sum of squared bin counts) wins, searched coarse then fine within ±[`MAX_DEGREES`].
//! This module never changes the image size (content rotated past the edges is cut, the uncovered
//! corners are filled white) so pixel boxes still map to the page by plain scaling.
//!
//! Angles are in degrees, positive when the content is turned clockwise as displayed (y down).

use docket_core::ocr::PageImage;
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};

/// Skews smaller than this are left alone: rotating resamples (blurs) the page and Tesseract
/// handles such small angles itself.
pub const MIN_DEGREES: f32 = 0.2;
/// The search range; scans skewed more than this are outside what a feeder produces.
pub const MAX_DEGREES: f32 = 5.0;
/// Dark pixels used for the estimate; denser pages are sampled evenly.
const MAX_POINTS: usize = 250_000;

/// Estimates the skew of a one-channel image in degrees (0 for blank or tiny images).
pub fn estimate(image: &PageImage) -> f32 {
    if image.channels != 1 || image.width < 32 || image.height < 32 {
        return 0.0;
    }
    let threshold = otsu(&image.pixels);
    let w = image.width as usize;
    let mut points: Vec<(f32, f32)> = Vec::new();
    for (i, &p) in image.pixels.iter().enumerate() {
        if p < threshold {
            points.push(((i % w) as f32, (i / w) as f32));
        }
    }
    if points.len() < 100 {
        return 0.0;
    }
    if points.len() > MAX_POINTS {
        let step = points.len().div_ceil(MAX_POINTS);
        points = points.into_iter().step_by(step).collect();
    }
    let (w, h) = (image.width as f32, image.height as f32);
    let score = |deg: f32| profile_sharpness(&points, deg, w, h);
    let best = search(&score, -MAX_DEGREES, MAX_DEGREES, 0.2);
    search(&score, best - 0.2, best + 0.2, 0.02)
}

/// The angle in `[lo, hi]` (step `step`) with the highest score; ties go to the smaller |angle|.
fn search(score: &dyn Fn(f32) -> f64, lo: f32, hi: f32, step: f32) -> f32 {
    let n = ((hi - lo) / step).round() as i32;
    let mut best = (f64::MIN, 0.0f32);
    for k in 0..=n {
        let deg = lo + k as f32 * step;
        let s = score(deg);
        if s > best.0 || (s == best.0 && deg.abs() < best.1.abs()) {
            best = (s, deg);
        }
    }
    best.1
}

/// Sum of squared row counts of the points projected after undoing a rotation by `deg`.
fn profile_sharpness(points: &[(f32, f32)], deg: f32, w: f32, h: f32) -> f64 {
    let (s, c) = deg.to_radians().sin_cos();
    let margin = w * s.abs() + 2.0;
    let mut bins = vec![0u32; (h * c.abs() + 2.0 * margin) as usize + 2];
    for &(x, y) in points {
        let yr = y * c - x * s + margin;
        if let Some(b) = bins.get_mut(yr.max(0.0) as usize) {
            *b += 1;
        }
    }
    bins.iter().map(|&b| f64::from(b) * f64::from(b)).sum()
}

/// Otsu's threshold of a grey histogram; pixels below it are ink.
pub(crate) fn otsu(pixels: &[u8]) -> u8 {
    let mut hist = [0u64; 256];
    for &p in pixels {
        hist[p as usize] += 1;
    }
    let total = pixels.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut level) = (0f64, 0f64, 0f64, 128u8);
    for (t, &n) in hist.iter().enumerate() {
        w_b += n as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * n as f64;
        let (m_b, m_f) = (sum_b / w_b, (sum_all - sum_b) / w_f);
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            level = t as u8;
        }
    }
    // `level` is the last value of the dark class.
    level.saturating_add(1)
}

/// Rotates a one-channel image by `-degrees` about its centre (undoing a skew of `degrees`),
/// same size, white fill.
pub fn rotate(image: &PageImage, degrees: f32) -> Option<PageImage> {
    let grey = GrayImage::from_raw(image.width, image.height, image.pixels.clone())?;
    let out = rotate_about_center(
        &grey,
        -degrees.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(Luma([255u8])),
    );
    Some(PageImage {
        width: image.width,
        height: image.height,
        channels: 1,
        pixels: out.into_raw(),
        dpi: image.dpi,
    })
}

/// Straightens a one-channel page when its skew is at least [`MIN_DEGREES`]; returns the image
/// to recognise and the angle removed (0 when left alone).
pub fn deskew(image: PageImage) -> (PageImage, f32) {
    let angle = estimate(&image);
    if angle.abs() < MIN_DEGREES {
        return (image, 0.0);
    }
    match rotate(&image, angle) {
        Some(rotated) => (rotated, angle),
        None => (image, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Horizontal bars, then turned by `deg` with the same rotation the deskew uses.
    fn bars(deg: f32) -> PageImage {
        let (w, h) = (800u32, 600u32);
        let mut img = GrayImage::from_pixel(w, h, Luma([255]));
        for band in 0..12 {
            let y0 = 60 + band * 40;
            for y in y0..y0 + 12 {
                for x in 100..700 {
                    img.put_pixel(x, y, Luma([0]));
                }
            }
        }
        let turned = rotate_about_center(
            &img,
            deg.to_radians(),
            Interpolation::Bilinear,
            Border::Constant(Luma([255u8])),
        );
        PageImage {
            width: w,
            height: h,
            channels: 1,
            pixels: turned.into_raw(),
            dpi: 200.0,
        }
    }

    #[test]
    fn estimates_the_applied_rotation_with_its_sign() {
        for deg in [-1.5f32, 0.0, 0.7, 2.5] {
            let est = estimate(&bars(deg));
            assert!((est - deg).abs() < 0.1, "applied {deg}, estimated {est}");
        }
    }

    #[test]
    fn deskew_straightens_and_reports_the_angle() {
        let (straight, removed) = deskew(bars(1.2));
        assert!((removed - 1.2).abs() < 0.1, "removed {removed}");
        assert!(estimate(&straight).abs() < 0.1);
        let (_, none) = deskew(bars(0.0));
        assert_eq!(none, 0.0);
    }

    #[test]
    fn blank_page_has_no_skew() {
        let blank = PageImage {
            width: 100,
            height: 100,
            channels: 1,
            pixels: vec![255; 10_000],
            dpi: 300.0,
        };
        assert_eq!(estimate(&blank), 0.0);
    }
}
