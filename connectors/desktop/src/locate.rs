//! Anchor location: multi-scale zero-mean normalised cross-correlation (ZNCC) on grayscale.
//!
//! A coarse pass runs on the screen and the template both reduced by a factor `d` (1–4, chosen from
//! the template's size) at scales 0.75–1.5 in steps of 0.125, in parallel over scales. The best
//! candidates are then refined at full resolution around their position at the scale found and
//! its two neighbours (±0.0625). Scores are in −1..1; 1 is a perfect match up to brightness and
//! contrast, which is what makes small theme changes tolerable.

use image::imageops::{FilterType, resize};
use image::{ImageBuffer, Luma, RgbaImage};
use rayon::prelude::*;

type GrayF = ImageBuffer<Luma<f32>, Vec<f32>>;

/// Scales tried by the coarse pass.
pub const SCALES: [f32; 7] = [0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5];
const COARSE_CANDIDATES_PER_SCALE: usize = 2;
const REFINED_CANDIDATES: usize = 4;

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

/// An anchor image ready for location at every scale.
#[derive(Debug, Clone)]
pub struct Template {
    width: u32,
    height: u32,
    full: GrayF,
    factor: u32,
    coarse: Vec<(f32, Kernel)>,
}

impl Template {
    /// Prepares a template; `None` if it is empty or flat (no contrast: it would match anything).
    pub fn new(img: &RgbaImage) -> Option<Self> {
        let full = gray(img);
        let (w, h) = full.dimensions();
        if w < 4 || h < 4 {
            return None;
        }
        Kernel::new(&full)?;
        let min_side = w.min(h) as f32 * SCALES[0];
        let factor = ((min_side / 5.0).floor() as u32).clamp(1, 4);
        let coarse = SCALES
            .iter()
            .filter_map(|&s| {
                let cw = ((w as f32 * s) / factor as f32).round().max(2.0) as u32;
                let ch = ((h as f32 * s) / factor as f32).round().max(2.0) as u32;
                Kernel::new(&resize(&full, cw, ch, FilterType::Triangle)).map(|k| (s, k))
            })
            .collect();
        Some(Template {
            width: w,
            height: h,
            full,
            factor,
            coarse,
        })
    }

    /// Size of the template at scale 1.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// A screenshot prepared for location (grayscale at full and reduced resolutions, cached).
#[derive(Debug, Clone)]
pub struct Screen {
    full: GrayF,
    reduced: Vec<(u32, GrayF)>,
}

impl Screen {
    /// Prepares a screenshot.
    pub fn new(img: &RgbaImage) -> Self {
        let full = gray(img);
        let reduced = (2..=4).map(|d| (d, box_down(&full, d))).collect();
        Screen { full, reduced }
    }

    fn at(&self, d: u32) -> &GrayF {
        self.reduced
            .iter()
            .find(|(f, _)| *f == d)
            .map_or(&self.full, |(_, g)| g)
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
    for ty in 0..k.h {
        for tx in 0..k.w {
            let wt = k.zm[ty * k.w + tx];
            if wt == 0.0 {
                continue;
            }
            for y in 0..oh {
                let row = &src[(y + ty) * iw + tx..(y + ty) * iw + tx + ow];
                let out = &mut acc[y * ow..(y + 1) * ow];
                for (o, &i) in out.iter_mut().zip(row) {
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
    let mut out: Vec<(f32, usize, usize)> = Vec::new();
    let mut order: Vec<usize> = (0..map.len()).collect();
    order.sort_unstable_by(|&a, &b| map[b].total_cmp(&map[a]));
    for i in order {
        let (x, y) = (i % ow, i / ow);
        if out
            .iter()
            .all(|&(_, px, py)| px.abs_diff(x) >= kw || py.abs_diff(y) >= kh)
        {
            out.push((map[i], x, y));
            if out.len() == count {
                break;
            }
        }
    }
    out
}

/// Finds the best match of `template` on `screen` at any scale in 0.75–1.5.
/// Returns `None` only if the template is larger than the screen at every scale.
pub fn locate(screen: &Screen, template: &Template) -> Option<Match> {
    let d = template.factor;
    let coarse_img = screen.at(d);
    let mut candidates: Vec<(f32, f32, usize, usize)> = template
        .coarse
        .par_iter()
        .flat_map_iter(|(s, k)| {
            let (map, ow, _) = zncc_map(coarse_img, k);
            peaks(&map, ow.max(1), k.w, k.h, COARSE_CANDIDATES_PER_SCALE)
                .into_iter()
                .map(move |(score, x, y)| (score, *s, x, y))
        })
        .collect();
    candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    candidates.truncate(REFINED_CANDIDATES);
    let (sw, sh) = (screen.full.width() as usize, screen.full.height() as usize);
    let radius = d as usize + 1;
    candidates
        .par_iter()
        .flat_map_iter(|&(_, s, cx, cy)| {
            [s - 0.0625, s, s + 0.0625]
                .into_iter()
                .map(move |scale| (scale, cx, cy))
        })
        .filter_map(|(scale, cx, cy)| {
            let kw = (template.width as f32 * scale).round() as u32;
            let kh = (template.height as f32 * scale).round() as u32;
            if kw as usize > sw || kh as usize > sh || kw < 2 || kh < 2 {
                return None;
            }
            let k = Kernel::new(&resize(&template.full, kw, kh, FilterType::Triangle))?;
            let (x0, y0) = (cx * d as usize, cy * d as usize);
            let mut best: Option<Match> = None;
            for y in y0.saturating_sub(radius)..=(y0 + radius).min(sh - k.h) {
                for x in x0.saturating_sub(radius)..=(x0 + radius).min(sw - k.w) {
                    let score = zncc_at(&screen.full, &k, x, y);
                    if best.is_none_or(|b| score > b.score) {
                        best = Some(Match {
                            x: x as u32,
                            y: y as u32,
                            width: kw,
                            height: kh,
                            scale,
                            score,
                        });
                    }
                }
            }
            best
        })
        .max_by(|a, b| a.score.total_cmp(&b.score))
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
