//! The Tesseract engine behind [`docket_core::ocr::Ocr`], through the `tesseract` crate's safe
//! plumbing over Debian's libtesseract. Words and confidences come from the TSV renderer
//! (level-5 rows), which carries the block/paragraph/line ids needed to merge CJK runs.
//!
//! One engine is single-threaded and must never be shared between threads at once; parallelism
//! comes from one engine per worker (see [`super::ocr_pages`]). OpenMP inside libtesseract must be
//! limited by `OMP_THREAD_LIMIT=1` in the process environment before the library loads; this
//! module never sets it, because by the time it runs it is too late.

use super::cjk;
use crate::DigitiseError;
use docket_core::ErrorCode;
use docket_core::Word;
use docket_core::geometry::BBox;
use docket_core::ocr::{Ocr, OcrError, PageImage};
use std::ffi::CString;
use std::path::PathBuf;
use tesseract::PageSegMode;
use tesseract::plumbing::TessBaseApi;

/// Where Debian and common source builds put the language data, newest first.
const TESSDATA_CANDIDATES: &[&str] = &[
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
];

/// The directory holding `*.traineddata`: `TESSDATA_PREFIX` when set (Tesseract 4/5 read it as
/// the tessdata directory itself), else the first Debian/default location that exists.
pub fn tessdata_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TESSDATA_PREFIX") {
        let p = PathBuf::from(p);
        if p.join("eng.traineddata").exists() || p.is_dir() && has_traineddata(&p) {
            return Some(p);
        }
        let nested = p.join("tessdata");
        if nested.is_dir() {
            return Some(nested);
        }
    }
    TESSDATA_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir() && has_traineddata(p))
}

fn has_traineddata(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "traineddata"))
        })
        .unwrap_or(false)
}

/// The recognition languages installed (`eng`, `chi_sim`, …), sorted; `osd` (orientation
/// detection, not a language) is left out. For `docket doctor`.
pub fn available_languages() -> Result<Vec<String>, DigitiseError> {
    let dir = tessdata_dir().ok_or_else(|| {
        DigitiseError::new(
            ErrorCode::OcrUnavailable,
            "no Tesseract language data found (looked in TESSDATA_PREFIX and \
             /usr/share/tesseract-ocr/5/tessdata): install tesseract-ocr-eng \
             (and tesseract-ocr-chi-sim for Chinese)",
        )
    })?;
    let rd = std::fs::read_dir(&dir).map_err(|e| {
        DigitiseError::new(
            ErrorCode::OcrUnavailable,
            format!(
                "cannot list Tesseract language data in {}: {e}",
                dir.display()
            ),
        )
    })?;
    let mut langs: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            if p.extension()? != "traineddata" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .filter(|l| l != "osd")
        .collect();
    langs.sort();
    Ok(langs)
}

/// The Debian package that ships a language's data (`chi_sim` → `tesseract-ocr-chi-sim`).
pub fn debian_package(lang: &str) -> String {
    format!("tesseract-ocr-{}", lang.to_lowercase().replace('_', "-"))
}

/// One initialised Tesseract engine for a fixed language list.
#[derive(Debug)]
pub struct TesseractEngine {
    api: TessBaseApi,
    languages: String,
}

impl TesseractEngine {
    /// Starts an engine for `languages` (`eng+chi_sim`). Missing language data or a failing
    /// library is `DK-E0112` naming the Debian package to install.
    pub fn new(languages: &str) -> Result<Self, DigitiseError> {
        let dir = tessdata_dir().ok_or_else(|| {
            DigitiseError::new(
                ErrorCode::OcrUnavailable,
                format!(
                    "no Tesseract language data directory found: install {}",
                    packages_for(languages)
                ),
            )
        })?;
        let missing: Vec<&str> = languages
            .split('+')
            .filter(|l| !l.is_empty() && !dir.join(format!("{l}.traineddata")).exists())
            .collect();
        if !missing.is_empty() {
            return Err(DigitiseError::new(
                ErrorCode::OcrUnavailable,
                format!(
                    "Tesseract language data for {} is missing in {}: install {}",
                    missing.join(", "),
                    dir.display(),
                    missing
                        .iter()
                        .map(|l| debian_package(l))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        let unavailable = |what: &str| {
            DigitiseError::new(
                ErrorCode::OcrUnavailable,
                format!(
                    "Tesseract engine for '{languages}' failed to start ({what}): check that \
                     libtesseract5 and {} are installed and intact",
                    packages_for(languages)
                ),
            )
        };
        let c_dir = CString::new(dir.to_string_lossy().as_bytes())
            .map_err(|_| unavailable("data path contains a NUL byte"))?;
        let c_lang = CString::new(languages).map_err(|_| unavailable("bad language list"))?;
        let mut api = TessBaseApi::create();
        api.init_2(Some(&c_dir), Some(&c_lang))
            .map_err(|_| unavailable("Init failed"))?;
        Ok(Self {
            api,
            languages: languages.to_string(),
        })
    }

    /// The language list this engine was started with.
    pub fn languages(&self) -> &str {
        &self.languages
    }

    /// Runs recognition and returns the raw TSV (no header row).
    fn tsv(&mut self, image: &PageImage) -> Result<String, OcrError> {
        let bpp = i32::from(image.channels);
        let w =
            i32::try_from(image.width).map_err(|_| OcrError::Failed("image too wide".into()))?;
        let h =
            i32::try_from(image.height).map_err(|_| OcrError::Failed("image too tall".into()))?;
        self.api
            .set_image(&image.pixels, w, h, bpp, w * bpp)
            .map_err(|e| OcrError::Failed(format!("image rejected: {e}")))?;
        // Without a resolution Tesseract assumes 70 dpi and mis-sizes its noise filters.
        self.api
            .set_source_resolution(image.dpi.round().clamp(70.0, 2400.0) as i32);
        // Set explicitly: the library's default (one uniform block) differs from the `tesseract`
        // CLI's (automatic layout analysis, PSM 3), and on statements the block mode is the better
        // one: measured on the generated scans, PSM 3 cuts each table column into its own block
        // and loses short CJK descriptions (`代发工资` → `RIF`, `房租` → `fH`) and joins a
        // description to the next column, while the block mode reads whole table rows as lines.
        self.api
            .set_page_seg_mode(PageSegMode::PsmSingleBlock.as_tess_page_seg_mode());
        self.api
            .recognize()
            .map_err(|_| OcrError::Failed("recognition failed".into()))?;
        let text = self
            .api
            .get_tsv_text(0)
            .map_err(|_| OcrError::Failed("no TSV output".into()))?;
        Ok(text.as_ref().to_string_lossy().into_owned())
    }
}

fn packages_for(languages: &str) -> String {
    languages
        .split('+')
        .filter(|l| !l.is_empty())
        .map(debian_package)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Ocr for TesseractEngine {
    /// Words in pixels of `image`, CJK runs merged. Restarts the engine when asked for other
    /// languages than it was started with.
    fn recognise(&mut self, image: &PageImage, languages: &str) -> Result<Vec<Word>, OcrError> {
        if languages != self.languages {
            *self =
                TesseractEngine::new(languages).map_err(|e| OcrError::Unavailable(e.message))?;
        }
        Ok(cjk::merge_lines(self.recognise_rows(image)?))
    }
}

impl TesseractEngine {
    /// Words in pixels of `image` with their line identity, as Tesseract read them (no CJK
    /// merge), for callers that compare two readings word by word before merging.
    pub fn recognise_rows(&mut self, image: &PageImage) -> Result<Vec<TsvWord>, OcrError> {
        if image.channels != 1 && image.channels != 3 {
            return Err(OcrError::Failed(format!(
                "{} channels per pixel (expected 1 or 3)",
                image.channels
            )));
        }
        let expected = image.width as usize * image.height as usize * image.channels as usize;
        if image.pixels.len() < expected {
            return Err(OcrError::Failed(format!(
                "{} pixel bytes for a {}x{}x{} image",
                image.pixels.len(),
                image.width,
                image.height,
                image.channels
            )));
        }
        if image.width == 0 || image.height == 0 {
            return Ok(Vec::new());
        }
        let tsv = self.tsv(image)?;
        Ok(parse_tsv(&tsv))
    }
}

/// A level-5 TSV row: a word with its line identity.
#[derive(Debug, Clone, PartialEq)]
pub struct TsvWord {
    /// (block, paragraph, line) ids: words with equal keys are on one text line.
    pub line: (u32, u32, u32),
    /// The word, in pixels.
    pub word: Word,
}

/// Parses Tesseract TSV; keeps level-5 rows with text and a confidence ≥ 0, confidence scaled
/// to 0..=1. Malformed rows are skipped rather than failing the page.
pub fn parse_tsv(tsv: &str) -> Vec<TsvWord> {
    let mut out = Vec::new();
    for row in tsv.lines() {
        let f: Vec<&str> = row.splitn(12, '\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<i64>().ok();
        let (Some(block), Some(par), Some(line), Some(l), Some(t), Some(w), Some(h)) =
            (num(2), num(3), num(4), num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        let Ok(conf) = f[10].trim().parse::<f32>() else {
            continue;
        };
        let text = f[11].trim();
        if conf < 0.0 || text.is_empty() || w <= 0 || h <= 0 {
            continue;
        }
        out.push(TsvWord {
            line: (block as u32, par as u32, line as u32),
            word: Word {
                text: text.to_string(),
                bbox: BBox::new(l as f32, t as f32, (l + w) as f32, (t + h) as f32),
                confidence: (conf / 100.0).clamp(0.0, 1.0),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_rows_become_words_in_pixels_with_unit_confidence() {
        let tsv = "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tHello\n\
                   5\t1\t1\t1\t1\t2\t50\t20\t30\t12\t-1\t\n\
                   5\t1\t1\t1\t1\t3\t90\t20\t30\t12\t12.0\t \n\
                   5\t1\t1\t1\t2\t1\t10\t40\t30\t12\t100\tworld\n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].word.text, "Hello");
        assert_eq!(words[0].word.bbox, BBox::new(10.0, 20.0, 40.0, 32.0));
        assert!((words[0].word.confidence - 0.965).abs() < 1e-6);
        assert_eq!(words[1].line, (1, 1, 2));
        assert_eq!(words[1].word.confidence, 1.0);
    }

    #[test]
    fn debian_package_names_use_dashes() {
        assert_eq!(debian_package("chi_sim"), "tesseract-ocr-chi-sim");
        assert_eq!(debian_package("eng"), "tesseract-ocr-eng");
    }
}
