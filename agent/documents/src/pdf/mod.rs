//! PDF digitisation: the text layer of every page as words with boxes (points, top-left origin),
//! and, for pages that carry no text but a scanned image, that image handed to OCR. Text comes
//! from interpreting the content streams (text state, matrices, Form XObjects, font widths and
//! ToUnicode/CJK CMaps), because statements need positions to rebuild their columns.
//!
//! This module never panics on hostile input (lopdf's parser runs behind `catch_unwind`,
//! recursion and allocations are bounded) and never writes anything. Every failure is a
//! [`DigitiseError`] with a stable code: damaged files, passwords, empty page trees, unreadable
//! scans.

mod cmap;
mod content;
mod font;
mod images;
mod lexer;
mod metrics;
mod words;

use crate::{DigitiseError, DigitiseOptions};
use docket_core::{ErrorCode, Page, TextOrigin};
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream};

/// Largest decoded stream (content, font program, CMap or image) accepted, against bombs.
const MAX_STREAM_BYTES: usize = 256 * 1024 * 1024;

/// Reads a PDF into pages, in page order. Pages with a text layer come out with
/// `TextOrigin::TextLayer` words; pages that only hold images are sent, all at once, to
/// [`crate::ocr::ocr_pages`].
pub fn read(bytes: &[u8], opts: &DigitiseOptions) -> Result<Vec<Page>, DigitiseError> {
    let doc = load(bytes, opts)?;
    let page_ids = doc.get_pages();
    if page_ids.is_empty() {
        return Err(DigitiseError::new(
            ErrorCode::NoPages,
            "the PDF parses but its page tree holds no pages; ask the sender for a complete copy",
        ));
    }
    let mut fonts = content::FontCache::default();
    let mut pages = Vec::with_capacity(page_ids.len());
    let mut jobs = Vec::new();
    for (&number, &id) in &page_ids {
        let geom = PageGeom::of(&doc, id);
        // lopdf's decoders and the image codecs are third-party code fed hostile bytes: a
        // panic in them becomes this page's error instead of taking the process down.
        let page = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let drawn = content::interpret_page(&doc, id, number, &geom, &mut fonts)?;
            let words = words::build(&drawn, &geom);
            let job = if words.is_empty() && !drawn.images.is_empty() {
                images::ocr_job(&doc, number, &geom, &drawn.images, opts.max_image_pixels)?
            } else {
                None
            };
            Ok::<_, DigitiseError>((words, job))
        }))
        .map_err(|_| corrupt(format!("page {number} could not be interpreted")))?;
        let (words, job) = page?;
        if let Some(job) = job {
            jobs.push(job);
            continue;
        }
        pages.push(Page {
            number,
            width: geom.width,
            height: geom.height,
            origin: TextOrigin::TextLayer,
            words,
            deskew_degrees: 0.0,
        });
    }
    if !jobs.is_empty() {
        pages.extend(crate::ocr::ocr_pages(jobs, opts)?);
        pages.sort_by_key(|p| p.number);
    }
    Ok(pages)
}

fn corrupt(what: impl std::fmt::Display) -> DigitiseError {
    DigitiseError::new(
        ErrorCode::CorruptPdf,
        format!(
            "the PDF is damaged ({what}); open it in a viewer and, if it opens, print it to a new PDF, otherwise ask the sender for a new copy"
        ),
    )
}

/// Parses the file and deals with encryption.
fn load(bytes: &[u8], opts: &DigitiseOptions) -> Result<Document, DigitiseError> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(corrupt("no %PDF- header"));
    }
    // A download cut short loses its trailer; lopdf would rebuild a partial document from the
    // objects that survived, and a statement with missing pages must not pass as complete.
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") && !bytes.windows(5).any(|w| w == b"%%EOF") {
        return Err(corrupt("the file is truncated: no %%EOF end marker"));
    }
    let options = LoadOptions {
        password: opts.password.clone(),
        ..LoadOptions::default()
    };
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Document::load_mem_with_options(bytes, options)
    }));
    let doc = match loaded {
        Err(_) => return Err(corrupt("the PDF parser gave up on its structure")),
        Ok(Err(lopdf::Error::InvalidPassword)) => return Err(password_error(opts)),
        Ok(Err(lopdf::Error::Decryption(e))) => {
            return Err(DigitiseError::new(
                ErrorCode::Encrypted,
                format!("the PDF is encrypted with a scheme that cannot be opened ({e})"),
            ));
        }
        Ok(Err(e)) => return Err(corrupt(e)),
        Ok(Ok(doc)) => doc,
    };
    if doc.trailer.has(b"Encrypt") {
        return Err(password_error(opts));
    }
    if doc.catalog().is_err() {
        return Err(corrupt("no document catalog"));
    }
    Ok(doc)
}

fn password_error(opts: &DigitiseOptions) -> DigitiseError {
    match opts.password {
        Some(_) => DigitiseError::new(
            ErrorCode::WrongPassword,
            "the PDF is encrypted and the password supplied does not open it; check the secret named in the workflow's ingest step",
        ),
        None => DigitiseError::new(
            ErrorCode::Encrypted,
            "the PDF is password-protected and no password was given; store it with `docket secret set NAME` and reference it as `password_secret` in the ingest step",
        ),
    }
}

/// Follows references (a bounded number of times) to the object itself.
pub(super) fn resolve<'a>(doc: &'a Document, mut obj: &'a Object) -> Option<&'a Object> {
    for _ in 0..16 {
        match obj {
            Object::Reference(id) => obj = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

/// `dict[key]`, dereferenced.
pub(super) fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    resolve(doc, dict.get(key).ok()?)
}

/// A number from an integer or real object.
pub(super) fn as_num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

/// A stream's decoded bytes, bounded.
pub(super) fn stream_bytes(s: &Stream) -> Option<Vec<u8>> {
    s.decompressed_content_with_limit(MAX_STREAM_BYTES).ok()
}

/// An inheritable page attribute (`/MediaBox`, `/Resources`, …), looked up the page tree.
pub(super) fn inherited<'a>(
    doc: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..32 {
        if let Some(v) = get(doc, node, key) {
            return Some(v);
        }
        node = get(doc, node, b"Parent")?.as_dict().ok()?;
    }
    None
}

/// The visible page area and its rotation, mapping user space to top-left-origin points.
#[derive(Debug, Clone, Copy)]
pub(super) struct PageGeom {
    llx: f32,
    lly: f32,
    urx: f32,
    ury: f32,
    /// Clockwise rotation when displayed: 0, 90, 180 or 270.
    rotate: u32,
    /// Displayed width in points.
    pub(super) width: f32,
    /// Displayed height in points.
    pub(super) height: f32,
}

impl PageGeom {
    fn of(doc: &Document, id: ObjectId) -> PageGeom {
        let page = doc.get_dictionary(id).ok();
        let rect = |key: &[u8]| -> Option<[f32; 4]> {
            let arr = inherited(doc, page?, key)?.as_array().ok()?;
            let v: Vec<f32> = arr
                .iter()
                .filter_map(|o| resolve(doc, o).and_then(as_num))
                .collect();
            let [a, b, c, d] = v[..] else { return None };
            let r = [a.min(c), b.min(d), a.max(c), b.max(d)];
            (r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0).then_some(r)
        };
        let media = rect(b"MediaBox").unwrap_or([0.0, 0.0, 612.0, 792.0]);
        let area = match rect(b"CropBox") {
            Some(c) => {
                let i = [
                    c[0].max(media[0]),
                    c[1].max(media[1]),
                    c[2].min(media[2]),
                    c[3].min(media[3]),
                ];
                if i[2] - i[0] > 1.0 && i[3] - i[1] > 1.0 {
                    i
                } else {
                    media
                }
            }
            None => media,
        };
        let rotate = page
            .and_then(|p| inherited(doc, p, b"Rotate"))
            .and_then(as_num)
            .map(|r| ((r as i64).rem_euclid(360) / 90 * 90) as u32)
            .unwrap_or(0);
        let (w, h) = (area[2] - area[0], area[3] - area[1]);
        let (width, height) = if rotate.is_multiple_of(180) {
            (w, h)
        } else {
            (h, w)
        };
        PageGeom {
            llx: area[0],
            lly: area[1],
            urx: area[2],
            ury: area[3],
            rotate,
            width,
            height,
        }
    }

    /// [`PageGeom::map`] for a point as a tuple.
    pub(super) fn map_pt(&self, p: (f32, f32)) -> (f32, f32) {
        self.map(p.0, p.1)
    }

    /// User-space point (after the CTM) to displayed top-left-origin points.
    pub(super) fn map(&self, x: f32, y: f32) -> (f32, f32) {
        match self.rotate {
            90 => (y - self.lly, x - self.llx),
            180 => (self.urx - x, y - self.lly),
            270 => (self.ury - y, self.urx - x),
            _ => (x - self.llx, self.ury - y),
        }
    }
}
