//! Finding a [`Target`] on a screenshot by combining its signals.
//!
//! The signals a recording keeps for one element, strongest first:
//! - **template**: the anchor crop, found by multi-scale ZNCC ([`crate::locate`]); strong when its
//!   score reaches the step's threshold (default 0.85);
//! - **text** / **label**: the element's own OCR text (click at its centre) or its label's (click at
//!   the label's centre plus `label_offset`), read with the OCR engine on the window (or the
//!   screen) upscaled 2×; strong when the words match the recorded text with a similarity of at
//!   least [`TEXT_MIN`];
//! - **position**: where the element was relative to its window (`window` + `rel`), or on the
//!   screen (`at`, only while the screen size is the recorded one); never enough on its own.
//!
//! A target is accepted on one strong signal; weaker ones that agree with it are recorded too
//! (`matched_by`). Text is only read when the template is absent or not strong, so the common path
//! costs one template search. When only weak signals agree (a template scoring 0.6–threshold, a
//! position) the step fails with the best scores rather than clicking somewhere wrong. Where OCR
//! finds the text at several places, the one nearest the expected position (or the template's
//! weak match) wins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use docket_core::Word;
use docket_core::ocr::{Ocr, OcrError, PageImage};
use image::RgbaImage;
use image::imageops::{FilterType, crop_imm, resize};

use crate::desktop::{Point, WindowInfo};
use crate::locate::{Match, Screen, Template, locate};
use crate::script::Target;

/// Minimum similarity (0..1, edit distance on normalised text) for a text signal to be strong.
pub const TEXT_MIN: f32 = 0.8;
/// Template scores from here up to the threshold are a weak signal.
pub const TEMPLATE_WEAK: f32 = 0.6;
/// How far (px) a weak signal may be from the strong one and still count as agreeing.
const AGREE_PX: f64 = 40.0;

/// One kind of evidence that located a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The anchor crop.
    Template,
    /// The element's OCR text.
    Text,
    /// The label's OCR text.
    Label,
    /// The recorded position (window-relative or absolute).
    Position,
}

/// A target found on a screenshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Where to act.
    pub point: Point,
    /// The box of the deciding signal (template match; for text, the words' box with the
    /// similarity as score and scale 1).
    pub found: Match,
    /// The signals that agree, the deciding one first.
    pub matched_by: Vec<Signal>,
    /// The template's best score, when it has an anchor.
    pub template_score: Option<f32>,
    /// The best text similarity, when text was read.
    pub text_score: Option<f32>,
}

/// Why a target was not accepted on one screenshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Miss {
    /// The template's best score anywhere (None: no anchor).
    pub template_score: Option<f32>,
    /// The best text similarity (None: no text read).
    pub text_score: Option<f32>,
    /// Weak signals that did point somewhere.
    pub weak: Vec<Signal>,
}

impl Miss {
    /// "template 0.62 < 0.85, text "Save" 0.40 < 0.80, position only" for error messages.
    pub fn describe(&self, threshold: f32) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.template_score {
            parts.push(format!("template best {s:.3} < {threshold:.2}"));
        }
        if let Some(s) = self.text_score {
            parts.push(format!("text best {s:.2} < {TEXT_MIN:.2}"));
        }
        if !self.weak.is_empty() {
            let weak: Vec<String> = self.weak.iter().map(|s| format!("{s:?}")).collect();
            parts.push(format!("only weak signals agreed ({})", weak.join(", ")));
        }
        if parts.is_empty() {
            "nothing matched".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// Lower-cased letters and digits only (OCR of UI text varies in spacing and punctuation).
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// 1 − edit distance / longer length, on normalised text.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (normalise(a), normalise(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    strsim::normalized_levenshtein(&a, &b) as f32
}

/// Runs of consecutive words on one line that read like `phrase`: (box, similarity), best first.
/// Words are in reading order as the engine returns them.
pub fn find_phrase(words: &[Word], phrase: &str) -> Vec<(docket_core::BBox, f32)> {
    let n = phrase.split_whitespace().count().max(1);
    let mut out = Vec::new();
    for len in n.saturating_sub(1).max(1)..=n + 1 {
        for start in 0..words.len() {
            let run = &words[start..(start + len).min(words.len())];
            if run.len() < len || !same_line(run) {
                continue;
            }
            let joined: Vec<&str> = run.iter().map(|w| w.text.as_str()).collect();
            let sim = similarity(&joined.join(" "), phrase);
            let mut b = run[0].bbox;
            for w in &run[1..] {
                b = docket_core::BBox::new(
                    b.x0.min(w.bbox.x0),
                    b.y0.min(w.bbox.y0),
                    b.x1.max(w.bbox.x1),
                    b.y1.max(w.bbox.y1),
                );
            }
            out.push((b, sim));
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

fn same_line(run: &[Word]) -> bool {
    run.windows(2).all(|p| {
        let (a, b) = (&p[0].bbox, &p[1].bbox);
        let overlap = a.y1.min(b.y1) - a.y0.max(b.y0);
        overlap > 0.5 * (a.y1 - a.y0).min(b.y1 - b.y0) && b.x0 >= a.x0
    })
}

/// OCR of `rect` (x, y, w, h) of `shot`, upscaled 2× for the small fonts of UIs; word boxes in
/// screen pixels.
pub fn read_words(
    ocr: &mut dyn Ocr,
    languages: &str,
    shot: &RgbaImage,
    rect: [u32; 4],
) -> Result<Vec<Word>, OcrError> {
    let [x, y, w, h] = clamp_rect(shot, rect);
    if w < 4 || h < 4 {
        return Ok(Vec::new());
    }
    let mut region = crop_imm(shot, x, y, w, h).to_image();
    prepare_for_ocr(&mut region);
    let big = resize(&region, w * 2, h * 2, FilterType::CatmullRom);
    let pixels: Vec<u8> = big.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect();
    let page = PageImage {
        width: big.width(),
        height: big.height(),
        channels: 3,
        pixels,
        dpi: 192.0,
    };
    let mut words = ocr.recognise(&page, languages)?;
    for w in &mut words {
        w.bbox = docket_core::BBox::new(
            x as f32 + w.bbox.x0 / 2.0,
            y as f32 + w.bbox.y0 / 2.0,
            x as f32 + w.bbox.x1 / 2.0,
            y as f32 + w.bbox.y1 / 2.0,
        );
    }
    Ok(words)
}

/// Prepares screen pixels for Tesseract (replay's text signals and `read_text` go through this):
/// thin rules and frames are erased and light backgrounds made white, so dark UI text stands
/// alone on a white page.
fn prepare_for_ocr(img: &mut RgbaImage) {
    erase_rules(img);
    whiten_light(img);
}

/// Dark horizontal runs of at least this many pixels are rules or borders, not text.
const RULE_H: usize = 40;
/// Dark vertical runs of at least this many pixels (taller than UI capitals) are borders.
const RULE_V: usize = 20;
/// A rule is at most this thick; thicker dark runs are areas, not lines.
const RULE_THICK: u32 = 4;

/// Paints thin long dark horizontal and vertical runs (entry borders, focus rings, table rules) in
/// the colour around them. Tesseract drops text that touches such lines: a label next to a
/// focused entry's black frame is not read at all without this. Only *thin* runs (at most
/// [`RULE_THICK`] px across) are rules: a dark area (the bare root window, a dark panel) is left
/// alone, or Tesseract would see a page of grey with fragments of text.
fn erase_rules(img: &mut RgbaImage) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let dark: Vec<bool> = img.pixels().map(|p| luma(p) < 100).collect();
    // Length of the horizontal and of the vertical dark run through each pixel.
    let mut hrun = vec![0u32; w * h];
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let start = x;
            while x < w && dark[y * w + x] {
                x += 1;
            }
            let len = (x - start) as u32;
            hrun[y * w + start..y * w + x]
                .iter_mut()
                .for_each(|r| *r = len);
            x += 1;
        }
    }
    let mut vrun = vec![0u32; w * h];
    for x in 0..w {
        let mut y = 0;
        while y < h {
            let start = y;
            while y < h && dark[y * w + x] {
                y += 1;
            }
            let len = (y - start) as u32;
            (start..y).for_each(|yy| vrun[yy * w + x] = len);
            y += 1;
        }
    }
    let erase: Vec<bool> = (0..w * h)
        .map(|i| {
            (hrun[i] as usize >= RULE_H && vrun[i] <= RULE_THICK)
                || (vrun[i] as usize >= RULE_V && hrun[i] <= RULE_THICK)
        })
        .collect();
    // The colour of the most common light pixel stands in for the background.
    let mut counts: HashMap<[u8; 3], u32> = HashMap::new();
    for (p, d) in img.pixels().zip(&dark) {
        if !d {
            *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
        }
    }
    let bg = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or([255, 255, 255], |(c, _)| c);
    for (i, e) in erase.iter().enumerate() {
        if *e {
            img.put_pixel(
                (i % w) as u32,
                (i / w) as u32,
                image::Rgba([bg[0], bg[1], bg[2], 255]),
            );
        }
    }
}

/// Rec. 601 luma of a pixel, 0–255 (rounded down).
fn luma(p: &image::Rgba<u8>) -> u32 {
    (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000
}

/// Pixels at least this light (luma, 0–255) are backgrounds, frames and fields, never text ink.
const LIGHT: u32 = 170;

/// Paints every light pixel (luma ≥ [`LIGHT`]) white, so that dark text stands on one white page.
/// A window region of a form is light grey around white fields: Tesseract's global (Otsu)
/// threshold then falls between the grey and the white, the grey background turns black and the
/// labels on it vanish (the window of the Tk test form read as "ee CT", not one label). The whole
/// screen read well only because the black root window moved the threshold down. Dark areas and
/// light text on them are left as they are.
fn whiten_light(img: &mut RgbaImage) {
    for p in img.pixels_mut() {
        if luma(p) >= LIGHT {
            *p = image::Rgba([255, 255, 255, 255]);
        }
    }
}

/// The words of `words` inside `rect`, joined in reading order with single spaces.
pub fn text_in(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `rect` clipped to the screenshot.
pub fn clamp_rect(shot: &RgbaImage, rect: [u32; 4]) -> [u32; 4] {
    let [x, y, w, h] = rect;
    let x = x.min(shot.width());
    let y = y.min(shot.height());
    [x, y, w.min(shot.width() - x), h.min(shot.height() - y)]
}

fn dist(a: Point, b: Point) -> f64 {
    f64::from(a.x - b.x).hypot(f64::from(a.y - b.y))
}

/// Locates targets on screenshots; keeps prepared templates between steps.
pub struct Finder<'a> {
    base_dir: PathBuf,
    templates: HashMap<PathBuf, Template>,
    ocr: Option<&'a mut dyn Ocr>,
    languages: String,
}

impl std::fmt::Debug for Finder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finder")
            .field("base_dir", &self.base_dir)
            .field("ocr", &self.ocr.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Finder<'a> {
    /// A finder for anchors relative to `base_dir`, with an optional OCR engine.
    pub fn new(base_dir: &Path, ocr: Option<&'a mut dyn Ocr>, languages: &str) -> Self {
        Finder {
            base_dir: base_dir.to_path_buf(),
            templates: HashMap::new(),
            ocr,
            languages: languages.to_string(),
        }
    }

    /// Whether text signals can be read.
    pub fn has_ocr(&self) -> bool {
        self.ocr.is_some()
    }

    /// OCR of a region (error text when no engine is configured or it fails).
    pub fn read(&mut self, shot: &RgbaImage, rect: [u32; 4]) -> Result<Vec<Word>, String> {
        let languages = self.languages.clone();
        let ocr = self
            .ocr
            .as_deref_mut()
            .ok_or("no OCR engine: text steps need Tesseract (install tesseract-ocr-eng)")?;
        read_words(ocr, &languages, shot, rect).map_err(|e| e.to_string())
    }

    /// The prepared template of an anchor file.
    pub fn template(&mut self, anchor: &Path) -> Result<Template, String> {
        if let Some(t) = self.templates.get(anchor) {
            return Ok(t.clone());
        }
        let path = self.base_dir.join(anchor);
        let img = image::open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .to_rgba8();
        let t = Template::new(&img).ok_or("too small (< 4 px) or without contrast")?;
        self.templates.insert(anchor.to_path_buf(), t.clone());
        Ok(t)
    }

    /// Where the recorded position puts the click point on this screen, if anywhere.
    fn expected(t: &Target, shot: &RgbaImage, windows: &[WindowInfo]) -> Option<Point> {
        if let (Some(title), Some([rx, ry])) = (&t.window, t.rel)
            && let Some(w) = windows.iter().rev().find(|w| w.matches(Some(title), None))
        {
            return Some(Point {
                x: w.x + rx,
                y: w.y + ry,
            });
        }
        match (t.at, t.screen) {
            (Some([x, y]), Some([sw, sh])) if (sw, sh) == shot.dimensions() => Some(Point { x, y }),
            _ => None,
        }
    }

    /// The region text is read from: the target's window when it is known, else the screen.
    fn text_region(t: &Target, shot: &RgbaImage, windows: &[WindowInfo]) -> [u32; 4] {
        if let Some(title) = &t.window
            && let Some(w) = windows.iter().rev().find(|w| w.matches(Some(title), None))
        {
            return clamp_rect(
                shot,
                [w.x.max(0) as u32, w.y.max(0) as u32, w.width, w.height],
            );
        }
        [0, 0, shot.width(), shot.height()]
    }

    /// Looks for `t` on `shot` once. `Err` is a problem with the target itself (an anchor file
    /// that cannot be used, text without an OCR engine).
    pub fn evaluate(
        &mut self,
        t: &Target,
        shot: &RgbaImage,
        screen: &Screen,
        windows: &[WindowInfo],
        threshold: f32,
    ) -> Result<Result<Located, Miss>, String> {
        let expected = Self::expected(t, shot, windows);
        let near_expected = |p: Point| expected.is_some_and(|e| dist(p, e) <= AGREE_PX);
        let mut miss = Miss::default();

        // 1. The template.
        let mut weak_template: Option<(Match, Point)> = None;
        if let Some(anchor) = &t.anchor {
            let template = self.template(anchor)?;
            let found = locate(screen, &template);
            miss.template_score = Some(found.map_or(-1.0, |m| m.score));
            if let Some(m) = found {
                let (cx, cy) = m.centre();
                let [ox, oy] = t.offset.unwrap_or([0, 0]);
                let point = Point {
                    x: cx + (ox as f32 * m.scale).round() as i32,
                    y: cy + (oy as f32 * m.scale).round() as i32,
                };
                if m.score >= threshold {
                    let mut matched_by = vec![Signal::Template];
                    if near_expected(point) {
                        matched_by.push(Signal::Position);
                    }
                    return Ok(Ok(Located {
                        point,
                        found: m,
                        matched_by,
                        template_score: Some(m.score),
                        text_score: None,
                    }));
                }
                if m.score >= TEMPLATE_WEAK {
                    weak_template = Some((m, point));
                    miss.weak.push(Signal::Template);
                }
            }
        }

        // 2. The text or the label.
        let phrases: Vec<(Signal, &str)> = [
            (Signal::Text, t.text.as_deref()),
            (Signal::Label, t.label.as_deref()),
        ]
        .into_iter()
        .filter_map(|(s, p)| p.map(|p| (s, p)))
        .collect();
        if !phrases.is_empty() {
            let region = Self::text_region(t, shot, windows);
            let words = self.read(shot, region)?;
            let scale = weak_template.map_or(1.0, |(m, _)| m.scale);
            for (signal, phrase) in phrases {
                let hits = find_phrase(&words, phrase);
                let best = hits.first().map_or(0.0, |h| h.1);
                miss.text_score = Some(miss.text_score.map_or(best, |s: f32| s.max(best)));
                let strong: Vec<(Point, docket_core::BBox, f32)> = hits
                    .iter()
                    .filter(|h| h.1 >= TEXT_MIN)
                    .map(|&(b, sim)| {
                        let centre = Point {
                            x: ((b.x0 + b.x1) / 2.0).round() as i32,
                            y: ((b.y0 + b.y1) / 2.0).round() as i32,
                        };
                        let point = match (signal, t.label_offset) {
                            (Signal::Label, Some([dx, dy])) => Point {
                                x: centre.x + (dx as f32 * scale).round() as i32,
                                y: centre.y + (dy as f32 * scale).round() as i32,
                            },
                            _ => centre,
                        };
                        (point, b, sim)
                    })
                    .collect();
                // Several places read alike: the one the other signals point at.
                let reference = expected.or(weak_template.map(|(_, p)| p));
                let chosen = match reference {
                    Some(r) => strong
                        .iter()
                        .min_by(|a, b| dist(a.0, r).total_cmp(&dist(b.0, r))),
                    None => strong.first(),
                };
                if let Some(&(point, b, sim)) = chosen {
                    let mut matched_by = vec![signal];
                    if weak_template.is_some_and(|(_, p)| dist(p, point) <= AGREE_PX) {
                        matched_by.push(Signal::Template);
                    }
                    if near_expected(point) {
                        matched_by.push(Signal::Position);
                    }
                    return Ok(Ok(Located {
                        point,
                        found: Match {
                            x: b.x0.max(0.0) as u32,
                            y: b.y0.max(0.0) as u32,
                            width: (b.x1 - b.x0).max(1.0) as u32,
                            height: (b.y1 - b.y0).max(1.0) as u32,
                            scale: 1.0,
                            score: sim,
                        },
                        matched_by,
                        template_score: miss.template_score,
                        text_score: Some(sim),
                    }));
                }
            }
        }
        if expected.is_some() {
            miss.weak.push(Signal::Position);
        }
        Ok(Err(miss))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use docket_core::BBox;

    fn word(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> Word {
        Word {
            text: text.to_string(),
            bbox: BBox::new(x0, y0, x1, y1),
            confidence: 0.9,
        }
    }

    #[test]
    fn phrases_match_across_words_on_one_line_only() {
        let words = vec![
            word("Counter", 10.0, 10.0, 60.0, 22.0),
            word("party", 62.0, 10.0, 100.0, 22.0),
            word("Save", 10.0, 50.0, 40.0, 62.0),
            word("Saved", 200.0, 90.0, 240.0, 102.0),
        ];
        let hits = find_phrase(&words, "Counterparty");
        assert!(hits[0].1 >= TEXT_MIN, "{hits:?}");
        assert_eq!(hits[0].0, BBox::new(10.0, 10.0, 100.0, 22.0));
        let save = find_phrase(&words, "Save");
        assert_eq!(save[0].1, 1.0);
        assert_eq!(save[0].0, BBox::new(10.0, 50.0, 40.0, 62.0));
        // "party Save" spans two lines: never one phrase.
        assert!(
            find_phrase(&words, "party Save")
                .iter()
                .all(|h| h.1 < TEXT_MIN)
        );
    }

    #[test]
    fn long_dark_rules_are_erased_and_glyph_strokes_kept() {
        let mut img = RgbaImage::from_pixel(100, 40, image::Rgba([220, 220, 220, 255]));
        for x in 5..95 {
            img.put_pixel(x, 30, image::Rgba([0, 0, 0, 255])); // an entry's border
        }
        for y in 2..38 {
            img.put_pixel(97, y, image::Rgba([0, 0, 0, 255])); // a frame's side
        }
        for y in 5..15 {
            img.put_pixel(10, y, image::Rgba([0, 0, 0, 255])); // a letter's stem
        }
        // A dark area (the bare root window beside a form) stays as it is.
        for y in 0..40 {
            for x in 60..75 {
                img.put_pixel(x, y, image::Rgba([0, 0, 0, 255]));
            }
        }
        erase_rules(&mut img);
        assert_eq!(img.get_pixel(50, 30).0, [220, 220, 220, 255]);
        assert_eq!(img.get_pixel(65, 20).0, [0, 0, 0, 255]);
        assert_eq!(img.get_pixel(97, 20).0, [220, 220, 220, 255]);
        assert_eq!(img.get_pixel(10, 10).0, [0, 0, 0, 255]);
    }

    #[test]
    fn similarity_ignores_case_space_and_punctuation() {
        assert_eq!(similarity("Save", "save"), 1.0);
        assert_eq!(similarity("O K", "OK:"), 1.0);
        assert!(similarity("Amount", "Amounl") >= TEXT_MIN);
        assert!(similarity("Save", "Cancel") < 0.5);
    }

    #[test]
    fn misses_describe_their_best_scores() {
        let m = Miss {
            template_score: Some(0.62),
            text_score: Some(0.4),
            weak: vec![Signal::Template, Signal::Position],
        };
        let d = m.describe(0.85);
        assert!(d.contains("template best 0.620 < 0.85"), "{d}");
        assert!(d.contains("text best 0.40 < 0.80"), "{d}");
        assert!(
            d.contains("only weak signals agreed (Template, Position)"),
            "{d}"
        );
    }
}
