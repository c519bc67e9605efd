//! OCR of page images: speckle removal, deskew, Tesseract with word boxes and confidences, CJK clean-up, and the
//! conversion of pixel boxes to page points. Pages run in parallel, one single-threaded engine per
//! worker; engines are pooled because starting one costs ~100 ms.
//!
//! A page that is mostly CJK while other languages are loaded too is read a second time with the
//! CJK language alone, and the two readings are combined word by word ([`script`]).
//!
//! This module must never guess text: a word comes back exactly as Tesseract read it (apart from
//! the CJK spacing and colon fixes in [`cjk`]), with Tesseract's own confidence, so that the
//! extractor can decide what to trust.

pub mod cjk;
pub mod clean;
pub mod deskew;
pub mod script;
pub mod tesseract;

use crate::{DigitiseError, DigitiseOptions};
use docket_core::geometry::BBox;
use docket_core::ocr::{OcrError, PageImage};
use docket_core::{ErrorCode, Page, TextOrigin, Word};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use self::tesseract::{TesseractEngine, available_languages, tessdata_dir};

/// A page image to recognise, with the page size in points it must be mapped to.
#[derive(Debug, Clone)]
pub struct OcrJob {
    /// 1-based page number.
    pub number: u32,
    /// The image.
    pub image: PageImage,
    /// Page width in points.
    pub width_pt: f32,
    /// Page height in points.
    pub height_pt: f32,
}

/// Idle engines kept between calls. Bounded so that a one-off burst of threads does not pin
/// hundreds of megabytes of language models for the life of the process.
static POOL: Mutex<Vec<TesseractEngine>> = Mutex::new(Vec::new());
const POOL_MAX: usize = 8;

/// Takes an idle engine for `languages` from the pool, or starts a new one.
fn checkout(languages: &str) -> Result<TesseractEngine, DigitiseError> {
    if let Ok(mut pool) = POOL.lock()
        && let Some(i) = pool.iter().position(|e| e.languages() == languages)
    {
        return Ok(pool.swap_remove(i));
    }
    TesseractEngine::new(languages)
}

/// Drops the pooled idle engines, freeing their language models. Call before process exit:
/// libtesseract warns about "leaked" cached models when engines outlive `main`.
pub fn release_engines() {
    if let Ok(mut pool) = POOL.lock() {
        pool.clear();
    }
}

/// Returns a healthy engine to the pool.
fn checkin(engine: TesseractEngine) {
    if let Ok(mut pool) = POOL.lock()
        && pool.len() < POOL_MAX
    {
        pool.push(engine);
    }
}

/// Recognises the pages in parallel, one single-threaded engine per thread; pages come back in
/// page order with word boxes in points.
///
/// Each page is deskewed first when its estimated skew exceeds [`deskew::MIN_DEGREES`]; the
/// removed angle is recorded in [`Page::deskew_degrees`]. Engine start failures (missing
/// language data, missing library) are `DK-E0112`; a page the engine fails on is `DK-E0112` too,
/// naming the page.
pub fn ocr_pages(jobs: Vec<OcrJob>, opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let threads = opts.ocr_threads.clamp(1, jobs.len());
    // Start one engine up front so a missing language fails once, clearly, before any work.
    let first = checkout(&opts.languages)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Page, DigitiseError>>>> =
        Mutex::new(jobs.iter().map(|_| None).collect());
    let first = Mutex::new(Some(first));

    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let taken = first.lock().ok().and_then(|mut f| f.take());
                let mut engine = match taken {
                    Some(e) => e,
                    None => match checkout(&opts.languages) {
                        Ok(e) => e,
                        Err(err) => {
                            // Leave the remaining pages to the other workers; if every worker
                            // fails, the missing results below report this error.
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            if i < jobs.len()
                                && let Ok(mut r) = results.lock()
                            {
                                r[i] = Some(Err(err));
                            }
                            return;
                        }
                    },
                };
                // The CJK-only engine is started on the first page that needs it.
                let mut cjk_engine: Option<TesseractEngine> = None;
                let mut healthy = true;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    let page = recognise_job(&mut engine, &mut cjk_engine, job, &opts.languages);
                    healthy &= page.is_ok();
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(page);
                    }
                }
                if healthy {
                    checkin(engine);
                    if let Some(e) = cjk_engine {
                        checkin(e);
                    }
                }
            });
        }
    });

    let results = results.into_inner().map_err(|_| {
        DigitiseError::new(ErrorCode::OcrUnavailable, "an OCR worker thread panicked")
    })?;
    let mut pages = Vec::with_capacity(results.len());
    for (job, r) in jobs.iter().zip(results) {
        match r {
            Some(page) => pages.push(page?),
            None => {
                return Err(DigitiseError::new(
                    ErrorCode::OcrUnavailable,
                    format!("page {}: no OCR engine could be started", job.number),
                ));
            }
        }
    }
    Ok(pages)
}

/// Deskews, recognises and maps one page; a mostly-CJK page is read a second time with the
/// CJK language alone (engine in `cjk_engine`, started on first use) and the readings combined.
fn recognise_job(
    engine: &mut TesseractEngine,
    cjk_engine: &mut Option<TesseractEngine>,
    job: &OcrJob,
    languages: &str,
) -> Result<Page, DigitiseError> {
    let mut grey = to_grey(&job.image);
    clean::despeckle(&mut grey);
    let (image, angle) = deskew::deskew(grey);
    let failed = |e: OcrError| {
        let code = match e {
            OcrError::Unavailable(_) => ErrorCode::OcrUnavailable,
            OcrError::Failed(_) => ErrorCode::OcrUnavailable,
        };
        DigitiseError::new(code, format!("page {}: {e}", job.number))
    };
    if engine.languages() != languages {
        *engine = TesseractEngine::new(languages)?;
    }
    let mut rows = engine.recognise_rows(&image).map_err(failed)?;
    if let Some(cjk) = script::cjk_language(languages)
        && script::cjk_share(&rows) >= script::CJK_PAGE_SHARE
    {
        if cjk_engine.is_none() {
            // Its data is installed (the mixed engine loaded it), so a failure here is a broken
            // library: keep the mixed reading rather than fail a page that was read.
            *cjk_engine = checkout(cjk).ok();
        }
        if let Some(e) = cjk_engine.as_mut()
            && let Ok(cjk_rows) = e.recognise_rows(&image)
        {
            rows = script::combine(&rows, cjk_rows);
        }
    }
    let words = cjk::merge_lines(rows);
    Ok(Page {
        number: job.number,
        width: job.width_pt,
        height: job.height_pt,
        origin: TextOrigin::Ocr,
        words: to_points(
            words,
            image.width,
            image.height,
            job.width_pt,
            job.height_pt,
        ),
        deskew_degrees: angle,
    })
}

/// Scales pixel boxes of a `w_px` × `h_px` image to a `w_pt` × `h_pt` page.
pub fn to_points(words: Vec<Word>, w_px: u32, h_px: u32, w_pt: f32, h_pt: f32) -> Vec<Word> {
    let sx = w_pt / w_px.max(1) as f32;
    let sy = h_pt / h_px.max(1) as f32;
    words
        .into_iter()
        .map(|w| Word {
            bbox: BBox::new(
                w.bbox.x0 * sx,
                w.bbox.y0 * sy,
                w.bbox.x1 * sx,
                w.bbox.y1 * sy,
            ),
            ..w
        })
        .collect()
}

/// A one-channel copy of the image (ITU-R 601 luma for RGB), which is what both deskew and
/// Tesseract's own thresholding work on.
pub fn to_grey(image: &PageImage) -> PageImage {
    if image.channels != 3 {
        return image.clone();
    }
    let pixels = image
        .pixels
        .chunks_exact(3)
        .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8)
        .collect();
    PageImage {
        width: image.width,
        height: image.height,
        channels: 1,
        pixels,
        dpi: image.dpi,
    }
}
