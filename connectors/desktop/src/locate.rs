//! Anchor location: multi-scale zero-mean normalised cross-correlation (ZNCC) on grayscale.
//!
//! A coarse pass runs on the screen and the template both reduced by a pyramid factor `d`
//! (1–8: the finest level within a fixed multiply-add budget that keeps the reduced template at
//! least 4 px) at scales 0.75, 1, 1.25, 1.5, in parallel over scales. The best candidates are then
//! refined level by level down to full resolution, each time around their position at the scale
//! found and its two neighbours, the scale step halving from ±0.125 to ±0.03125. Scores are in −1..1; 1 is a perfect match up to brightness and
//! contrast, which is what makes small theme changes tolerable.

use image::imageops::{FilterType, resize};
use image::{ImageBuffer, Luma, RgbaImage};
use rayon::prelude::*;

type GrayF = ImageBuffer<Luma<f32>, Vec<f32>>;

/// Scales tried by the coarse pass; refinement then narrows the scale down in halving steps
/// (±0.125, ±0.0625, ±0.03125), so any scale in 0.75–1.5 is reached.
pub const SCALES: [f32; 4] = [0.75, 1.0, 1.25, 1.5];
const COARSE_CANDIDATES_PER_SCALE: usize = 3;
const REFINED_CANDIDATES: usize = 8;

/// Luma in 0..1 (`image`'s resize clamps `f32` pixels to 0..1).
fn gray(img: &RgbaImage) -> GrayF {
    let (w, h) = img.dimensions();
    let px = img
        .pixels()
        .map(|p| {
            (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0
        })
        .collect();
    GrayF::from_raw(w, h, px).unwrap_or_else(|| GrayF::new(w, h))
}

/// 3×3 box blur (separable, edges clamped): makes scores tolerant of the pixel-level differences of
/// text and lines rendered at another size (hinting, anti-aliasing).
fn blur3(g: &GrayF) -> GrayF {
    let (w, h) = (g.width() as usize, g.height() as usize);
    if w < 3 || h < 3 {
        return g.clone();
    }
    let src = g.as_raw();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        let out = &mut tmp[y * w..(y + 1) * w];
        out[0] = (2.0 * row[0] + row[1]) / 3.0;
        for x in 1..w - 1 {
            out[x] = (row[x - 1] + row[x] + row[x + 1]) / 3.0;
        }
        out[w - 1] = (row[w - 2] + 2.0 * row[w - 1]) / 3.0;
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let up = &tmp[y.saturating_sub(1) * w..][..w];
        let mid = &tmp[y * w..][..w];
        let down = &tmp[(y + 1).min(h - 1) * w..][..w];
        for (((o, a), b), c) in out[y * w..(y + 1) * w]
            .iter_mut()
            .zip(up)
            .zip(mid)
            .zip(down)
        {
            *o = (a + b + c) / 3.0;
        }
    }
    GrayF::from_raw(g.width(), g.height(), out).unwrap_or_else(|| g.clone())
}

fn box_down(g: &GrayF, d: u32) -> GrayF {
    if d == 1 {
        return g.clone();
    }
    let (w, h) = (g.width() / d, g.height() / d);
    let src = g.as_raw();
    let sw = g.width() as usize;
    let mut out = vec![0f32; w as usize * h as usize];
    let inv = 1.0 / (d * d) as f32;
    for y in 0..h as usize {
        for dy in 0..d as usize {
            let row = &src[(y * d as usize + dy) * sw..];
            let orow = &mut out[y * w as usize..(y + 1) * w as usize];
            for (x, o) in orow.iter_mut().enumerate() {
                let s: f32 = row[x * d as usize..(x + 1) * d as usize].iter().sum();
                *o += s;
            }
        }
    }
    out.iter_mut().for_each(|v| *v *= inv);
    GrayF::from_raw(w, h, out).unwrap_or_else(|| GrayF::new(w, h))
}

/// A template prepared as zero-mean values.
#[derive(Debug, Clone)]
struct Kernel {
    w: usize,
    h: usize,
    zm: Vec<f32>,
    norm: f32,
}

impl Kernel {
    fn new(g: &GrayF) -> Option<Self> {
        let n = g.as_raw().len();
        if n == 0 {
            return None;
        }
        let mean = g.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let zm: Vec<f32> = g
            .as_raw()
            .iter()
            .map(|&v| (f64::from(v) - mean) as f32)
            .collect();
        let norm = zm
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            .sqrt() as f32;
        (norm > 1e-3).then_some(Kernel {
            w: g.width() as usize,
            h: g.height() as usize,
            zm,
            norm,
        })
    }
}

/// Reduction factors of the pyramid.
const LEVELS: [u32; 6] = [1, 2, 3, 4, 6, 8];
/// Multiply-adds the coarse pass may spend (all scales): the level is the finest within it.
const COARSE_BUDGET: f64 = 1.2e8;
/// Smallest side of a coarse kernel (at scale 0.75) worth correlating.
const MIN_COARSE_SIDE: f32 = 4.0;

/// An anchor image ready for location at every scale.
#[derive(Debug, Clone)]
pub struct Template {
    width: u32,
    height: u32,
    full: GrayF,
    /// Per pyramid level (ascending): the kernel at each of [`SCALES`].
    coarse: Vec<(u32, Vec<(f32, Kernel)>)>,
}

impl Template {
    /// Prepares a template; `None` if it is empty or flat (no contrast: it would match anything).
    pub fn new(img: &RgbaImage) -> Option<Self> {
        let full = blur3(&gray(img));
        let (w, h) = full.dimensions();
        if w < 4 || h < 4 {
            return None;
        }
        Kernel::new(&full)?;
        let min_side = w.min(h) as f32 * SCALES[0];
        let coarse = LEVELS
            .iter()
            .filter(|&&d| d == 1 || min_side / d as f32 >= MIN_COARSE_SIDE)
            .map(|&d| {
                let kernels = SCALES
                    .iter()
                    .filter_map(|&s| kernel_at(&full, s, d).map(|k| (s, k)))
                    .collect();
                (d, kernels)
            })
            .collect();
        Some(Template {
            width: w,
            height: h,
            full,
            coarse,
        })
    }

    /// Size of the template at scale 1.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// The template at `scale`, reduced by `d`.
fn kernel_at(full: &GrayF, scale: f32, d: u32) -> Option<Kernel> {
    let kw = ((full.width() as f32 * scale) / d as f32).round().max(2.0) as u32;
    let kh = ((full.height() as f32 * scale) / d as f32).round().max(2.0) as u32;
    Kernel::new(&resize(full, kw, kh, FilterType::Triangle))
}

/// A screenshot prepared for location: grayscale at every pyramid level.
#[derive(Debug, Clone)]
pub struct Screen {
    levels: Vec<(u32, GrayF)>,
}

impl Screen {
    /// Prepares a screenshot.
    pub fn new(img: &RgbaImage) -> Self {
        let full = blur3(&gray(img));
        let l2 = box_down(&full, 2);
        let l3 = box_down(&full, 3);
        let l4 = box_down(&l2, 2);
        let l6 = box_down(&l3, 2);
        let l8 = box_down(&l4, 2);
        Screen {
            levels: vec![(1, full), (2, l2), (3, l3), (4, l4), (6, l6), (8, l8)],
        }
    }

    fn at(&self, d: u32) -> &GrayF {
        self.levels
            .iter()
            .find(|(f, _)| *f == d)
            .map_or(&self.levels[0].1, |(_, g)| g)
    }

    fn full(&self) -> &GrayF {
        &self.levels[0].1
    }
}

/// The best place a template was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Left edge of the matched box in screen pixels.
    pub x: u32,
    /// Top edge of the matched box.
    pub y: u32,
    /// Width of the matched box (template width × scale).
    pub width: u32,
    /// Height of the matched box.
    pub height: u32,
    /// The scale at which it matched.
    pub scale: f32,
    /// ZNCC score, −1..1.
    pub score: f32,
}

impl Match {
    /// Centre of the matched box.
    pub fn centre(&self) -> (i32, i32) {
        (
            (self.x + self.width / 2) as i32,
            (self.y + self.height / 2) as i32,
        )
    }
}

/// ZNCC of `k` over every position of `img`: (scores, out width, out height).
fn zncc_map(img: &GrayF, k: &Kernel) -> (Vec<f32>, usize, usize) {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    if k.w > iw || k.h > ih {
        return (Vec::new(), 0, 0);
    }
    let (ow, oh) = (iw - k.w + 1, ih - k.h + 1);
    let src = img.as_raw();
    let mut acc = vec![0f32; ow * oh];
    // Output row by output row (the row stays in L1), one multiply-add sweep per kernel pixel.
    for (y, out) in acc.chunks_exact_mut(ow).enumerate() {
        for ty in 0..k.h {
            let src_row = &src[(y + ty) * iw..(y + ty + 1) * iw];
            let krow = &k.zm[ty * k.w..(ty + 1) * k.w];
            for (tx, &wt) in krow.iter().enumerate() {
                for (o, &i) in out.iter_mut().zip(&src_row[tx..tx + ow]) {
                    *o += wt * i;
                }
            }
        }
    }
    // Window sums from integral images (f64 for the sums of squares).
    let stride = iw + 1;
    let mut s1 = vec![0f64; stride * (ih + 1)];
    let mut s2 = vec![0f64; stride * (ih + 1)];
    for y in 0..ih {
        let (mut r1, mut r2) = (0f64, 0f64);
        for x in 0..iw {
            let v = f64::from(src[y * iw + x]);
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * stride + x + 1] = s1[y * stride + x + 1] + r1;
            s2[(y + 1) * stride + x + 1] = s2[y * stride + x + 1] + r2;
        }
    }
    let n = (k.w * k.h) as f64;
    for y in 0..oh {
        for x in 0..ow {
            let rect = |s: &[f64]| {
                s[(y + k.h) * stride + x + k.w]
                    - s[y * stride + x + k.w]
                    - s[(y + k.h) * stride + x]
                    + s[y * stride + x]
            };
            let sum = rect(&s1);
            let var = rect(&s2) - sum * sum / n;
            let o = &mut acc[y * ow + x];
            *o = if var > 1e-6 {
                (f64::from(*o) / (f64::from(k.norm) * var.sqrt())) as f32
            } else {
                0.0
            };
        }
    }
    (acc, ow, oh)
}

/// ZNCC of `k` at one position of `img`.
fn zncc_at(img: &GrayF, k: &Kernel, x: usize, y: usize) -> f32 {
    let iw = img.width() as usize;
    let src = img.as_raw();
    let n = (k.w * k.h) as f64;
    let (mut num, mut s1, mut s2) = (0f64, 0f64, 0f64);
    for ty in 0..k.h {
        let row = &src[(y + ty) * iw + x..(y + ty) * iw + x + k.w];
        let krow = &k.zm[ty * k.w..(ty + 1) * k.w];
        for (&i, &t) in row.iter().zip(krow) {
            let i = f64::from(i);
            num += f64::from(t) * i;
            s1 += i;
            s2 += i * i;
        }
    }
    let var = s2 - s1 * s1 / n;
    if var > 1e-6 {
        (num / (f64::from(k.norm) * var.sqrt())) as f32
    } else {
        0.0
    }
}

/// Top `count` peaks of a score map, each at least a kernel apart: (score, x, y).
fn peaks(map: &[f32], ow: usize, kw: usize, kh: usize, count: usize) -> Vec<(f32, usize, usize)> {
    let mut out: Vec<(f32, usize, usize)> = Vec::with_capacity(count);
    for _ in 0..count {
        let mut best: Option<(f32, usize, usize)> = None;
        for (i, &v) in map.iter().enumerate() {
            if best.is_some_and(|b| v <= b.0) || v.is_nan() {
                continue;
            }
            let (x, y) = (i % ow, i / ow);
            if out
                .iter()
                .all(|&(_, px, py)| px.abs_diff(x) >= kw || py.abs_diff(y) >= kh)
            {
                best = Some((v, x, y));
            }
        }
        match best {
            Some(b) => out.push(b),
            None => break,
        }
    }
    out
}

/// Best position of `k` on `img` within `radius` of (`x0`, `y0`): (score, x, y).
fn search_near(
    img: &GrayF,
    k: &Kernel,
    x0: usize,
    y0: usize,
    radius: usize,
) -> Option<(f32, usize, usize)> {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    if k.w > iw || k.h > ih {
        return None;
    }
    let mut best: Option<(f32, usize, usize)> = None;
    for y in y0.saturating_sub(radius)..=(y0 + radius).min(ih - k.h) {
        for x in x0.saturating_sub(radius)..=(x0 + radius).min(iw - k.w) {
            let score = zncc_at(img, k, x, y);
            if best.is_none_or(|b| score > b.0) {
                best = Some((score, x, y));
            }
        }
    }
    best
}

/// Finds the best match of `template` on `screen` at any scale in 0.75–1.5.
/// Returns `None` only if the template is larger than the screen at every scale.
///
/// Coarse pass at the finest pyramid level within [`COARSE_BUDGET`]; the best candidates are
/// then refined level by level down to full resolution, halving the scale step each time.
pub fn locate(screen: &Screen, template: &Template) -> Option<Match> {
    let (sw, sh) = screen.full().dimensions();
    let area =
        f64::from(sw) * f64::from(sh) * f64::from(template.width) * f64::from(template.height);
    let scale_sum: f64 = SCALES.iter().map(|&s| f64::from(s * s)).sum();
    let (d, kernels) = template
        .coarse
        .iter()
        .find(|(d, _)| area * scale_sum / f64::from(d.pow(4)) <= COARSE_BUDGET)
        .or(template.coarse.last())?;
    let mut d = *d;
    let coarse_img = screen.at(d);
    let mut cands: Vec<(f32, f32, usize, usize)> = kernels
        .par_iter()
        .flat_map_iter(|(s, k)| {
            let (map, ow, _) = zncc_map(coarse_img, k);
            peaks(&map, ow.max(1), k.w, k.h, COARSE_CANDIDATES_PER_SCALE)
                .into_iter()
                .map(move |(score, x, y)| (score, *s, x, y))
        })
        .collect();
    cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    cands.truncate(REFINED_CANDIDATES);
    let mut step = 0.125f32;
    while d > 1 || step > 0.02 {
        let next = LEVELS
            .iter()
            .rev()
            .copied()
            .find(|&l| l * 2 <= d)
            .unwrap_or(1);
        let img = screen.at(next);
        let radius = if d > 1 { (d / next) as usize + 1 } else { 2 };
        let mut refined: Vec<(f32, f32, usize, usize)> = cands
            .par_iter()
            .filter_map(|&(_, s, x, y)| {
                [s - step, s, s + step]
                    .into_iter()
                    .filter(|sc| (0.74..=1.51).contains(sc))
                    .filter_map(|sc| {
                        let k = kernel_at(&template.full, sc, next)?;
                        let (x0, y0) = (
                            x * d as usize / next as usize,
                            y * d as usize / next as usize,
                        );
                        search_near(img, &k, x0, y0, radius).map(|(score, x, y)| (score, sc, x, y))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0))
            })
            .collect();
        refined.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        refined.truncate(2.max(cands.len() / 2));
        cands = refined;
        d = next;
        step /= 2.0;
    }
    cands
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(score, scale, x, y)| Match {
            x: x as u32,
            y: y as u32,
            width: (template.width as f32 * scale).round() as u32,
            height: (template.height as f32 * scale).round() as u32,
            scale,
            score,
        })
}
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A screen of smooth noise with distinct structure everywhere (deterministic).
    fn noise(w: u32, h: u32, seed: u32) -> RgbaImage {
        let mut s = seed;
        let mut cells = vec![0u8; ((w / 6 + 2) * (h / 6 + 2)) as usize];
        for c in cells.iter_mut() {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *c = (s >> 24) as u8;
        }
        RgbaImage::from_fn(w, h, |x, y| {
            let v = cells[((y / 6) * (w / 6 + 2) + x / 6) as usize];
            Rgba([v, v / 2 + 60, 255 - v, 255])
        })
    }

    #[test]
    fn finds_a_crop_at_scale_one_and_scaled() {
        let screen_img = noise(640, 400, 7);
        let crop = image::imageops::crop_imm(&screen_img, 300, 200, 60, 24).to_image();
        let t = Template::new(&crop).unwrap();
        let m = locate(&Screen::new(&screen_img), &t).unwrap();
        assert_eq!((m.x, m.y), (300, 200), "{m:?}");
        assert!(m.score > 0.99 && (m.scale - 1.0).abs() < 1e-6, "{m:?}");

        // The same screen at 1.25×: the anchor is found at 1.25 near (375, 250).
        let big = resize(&screen_img, 800, 500, FilterType::Triangle);
        let m = locate(&Screen::new(&big), &t).unwrap();
        assert!((m.scale - 1.25).abs() < 0.07, "{m:?}");
        assert!(m.x.abs_diff(375) <= 3 && m.y.abs_diff(250) <= 3, "{m:?}");
        assert!(m.score > 0.85, "{m:?}");

        // An in-between scale (1.125) is reached by refinement.
        let mid = resize(&screen_img, 720, 450, FilterType::Triangle);
        let m = locate(&Screen::new(&mid), &t).unwrap();
        assert!((m.scale - 1.125).abs() < 0.04, "{m:?}");
        assert!(m.x.abs_diff(337) <= 3 && m.y.abs_diff(225) <= 3, "{m:?}");
        assert!(m.score > 0.85, "{m:?}");

        // A crop of a different screen is not found with a high score.
        let other = noise(640, 400, 99);
        let m = locate(&Screen::new(&other), &t).unwrap();
        assert!(m.score < 0.85, "{m:?}");
    }

    #[test]
    fn flat_templates_are_refused() {
        let flat = RgbaImage::from_pixel(30, 20, Rgba([200, 200, 200, 255]));
        assert!(Template::new(&flat).is_none());
    }
}
