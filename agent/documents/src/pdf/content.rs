//! The content-stream interpreter: runs a page's operators (graphics state, text state and
//! positioning, text showing, Form XObjects) and records every glyph drawn — its text, box in
//! displayed points and size — plus every image placed, for the word builder and the scan
//! detector. It only follows what affects text position; painting is ignored. Form recursion is
//! depth-limited and the glyph count is capped, so no stream can make it loop or exhaust memory.

use super::font::Font;
use super::lexer::{Lexer, Tok};
use super::{PageGeom, corrupt, get, inherited, resolve, stream_bytes};
use crate::DigitiseError;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use std::collections::HashMap;
use std::rc::Rc;

/// Form XObjects nested deeper than this are skipped.
const MAX_FORM_DEPTH: u32 = 12;
/// Form XObjects run per page at most: a form that draws itself many times per level would
/// otherwise cost its fan-out to the power of the depth limit.
const MAX_FORMS_PER_PAGE: u32 = 5_000;
/// Glyphs recorded per page at most.
const MAX_GLYPHS: usize = 2_000_000;
/// `q` nesting kept at most; deeper saves are ignored along with their restores.
const MAX_SAVE_DEPTH: usize = 256;

/// An affine matrix `[a b c d e f]` (PDF row-vector convention).
pub(super) type Matrix = [f32; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`: apply `m` first, then `n`.
pub(super) fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// Applies `m` to the point.
pub(super) fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// Fonts decoded so far, shared by all pages of a document.
#[derive(Default)]
pub(super) struct FontCache {
    by_key: HashMap<usize, Rc<Font>>,
    by_ref: HashMap<ObjectId, Rc<Font>>,
    fallback: Option<Rc<Font>>,
}

/// One glyph as drawn.
#[derive(Debug, Clone, Copy)]
pub(super) struct Glyph {
    /// Range of its text in [`Drawn::text`].
    pub(super) start: u32,
    /// End of that range.
    pub(super) end: u32,
    /// Box in displayed points: `x0, y0, x1, y1`.
    pub(super) bbox: [f32; 4],
    /// Displayed position of the glyph origin (on the baseline).
    pub(super) origin: (f32, f32),
    /// Font size in displayed points.
    pub(super) em: f32,
    /// Writing direction on the displayed page: 0 right, 1 down, 2 left, 3 up.
    pub(super) dir: u8,
    /// The code decoded to whitespace only: a word break, not a word.
    pub(super) space: bool,
    /// Extra displayed distance after the glyph from positive character spacing (`Tc`): letter-
    /// spaced words (common in Chinese statements) must not fall apart into characters.
    pub(super) slack: f32,
}

/// An image XObject placed on the page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Placed<'a> {
    /// The image stream.
    pub(super) stream: &'a Stream,
    /// Image space (unit square) to user space.
    pub(super) ctm: Matrix,
}

/// Everything drawn on a page that the reader cares about.
#[derive(Default)]
pub(super) struct Drawn<'a> {
    /// All glyph text, back to back.
    pub(super) text: String,
    /// Glyphs in drawing order.
    pub(super) glyphs: Vec<Glyph>,
    /// Images in drawing order.
    pub(super) images: Vec<Placed<'a>>,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    tc: f32,
    tw: f32,
    th: f32,
    tl: f32,
    rise: f32,
}

struct Interp<'a, 'c> {
    doc: &'a Document,
    geom: &'c PageGeom,
    fonts: &'c mut FontCache,
    out: Drawn<'a>,
    gs: GState,
    stack: Vec<GState>,
    tm: Matrix,
    tlm: Matrix,
    forms_run: u32,
}

/// Runs the page's content streams. Fails only when a content stream the page names is missing
/// (a truncated or damaged file).
pub(super) fn interpret_page<'a>(
    doc: &'a Document,
    id: ObjectId,
    number: u32,
    geom: &PageGeom,
    fonts: &mut FontCache,
) -> Result<Drawn<'a>, DigitiseError> {
    let page = doc
        .get_dictionary(id)
        .map_err(|e| corrupt(format!("page {number} cannot be read: {e}")))?;
    let mut data = Vec::new();
    for cid in doc.get_page_contents(id) {
        let stream = doc
            .get_object(cid)
            .ok()
            .and_then(|o| o.as_stream().ok())
            .ok_or_else(|| {
                corrupt(format!(
                    "page {number}: content stream {} {} R is missing",
                    cid.0, cid.1
                ))
            })?;
        let bytes = stream_bytes(stream).ok_or_else(|| {
            corrupt(format!(
                "page {number}: content stream {} {} R cannot be decompressed",
                cid.0, cid.1
            ))
        })?;
        data.extend_from_slice(&bytes);
        data.push(b'\n');
    }
    let resources = inherited(doc, page, b"Resources").and_then(|o| o.as_dict().ok());
    let mut it = Interp {
        doc,
        geom,
        fonts,
        out: Drawn::default(),
        gs: GState {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            tc: 0.0,
            tw: 0.0,
            th: 1.0,
            tl: 0.0,
            rise: 0.0,
        },
        stack: Vec::new(),
        tm: IDENTITY,
        tlm: IDENTITY,
        forms_run: 0,
    };
    it.run(&data, resources, 0);
    Ok(it.out)
}

fn num(t: &Tok) -> f32 {
    match t {
        Tok::Num(v) => *v,
        _ => 0.0,
    }
}

impl<'a> Interp<'a, '_> {
    fn run(&mut self, data: &[u8], res: Option<&'a Dictionary>, depth: u32) {
        let mut lx = Lexer::new(data);
        let mut scratch: Vec<u8> = Vec::new();
        let mut ops: Vec<Tok> = Vec::new();
        let base_depth = self.stack.len();
        while let Some(t) = lx.next_tok(&mut scratch) {
            let Tok::Op(op) = t else {
                if ops.len() < 100_000 {
                    ops.push(t);
                }
                continue;
            };
            let n = ops.len();
            let arg = |i: usize| -> f32 { if n >= i { num(&ops[n - i]) } else { 0.0 } };
            match op {
                b"q" if self.stack.len() < MAX_SAVE_DEPTH => self.stack.push(self.gs.clone()),
                b"Q" => {
                    if self.stack.len() > base_depth
                        && let Some(g) = self.stack.pop()
                    {
                        self.gs = g;
                    }
                }
                b"cm" if n >= 6 => {
                    let m = [arg(6), arg(5), arg(4), arg(3), arg(2), arg(1)];
                    self.gs.ctm = mul(&m, &self.gs.ctm);
                }
                b"BT" => {
                    self.tm = IDENTITY;
                    self.tlm = IDENTITY;
                }
                b"Tf" if n >= 2 => {
                    self.gs.size = arg(1);
                    if let Tok::Name(name) = ops[n - 2] {
                        self.gs.font = Some(self.font(res, name));
                    }
                }
                b"Td" if n >= 2 => self.td(arg(2), arg(1)),
                b"TD" if n >= 2 => {
                    self.gs.tl = -arg(1);
                    self.td(arg(2), arg(1));
                }
                b"Tm" if n >= 6 => {
                    self.tlm = [arg(6), arg(5), arg(4), arg(3), arg(2), arg(1)];
                    self.tm = self.tlm;
                }
                b"T*" => self.td(0.0, -self.gs.tl),
                b"Tc" if n >= 1 => self.gs.tc = arg(1),
                b"Tw" if n >= 1 => self.gs.tw = arg(1),
                b"Tz" if n >= 1 => self.gs.th = arg(1) / 100.0,
                b"TL" if n >= 1 => self.gs.tl = arg(1),
                b"Ts" if n >= 1 => self.gs.rise = arg(1),
                b"Tj" => {
                    if let Some(Tok::Str(s, e)) = ops.last() {
                        self.show(&scratch[*s..*e]);
                    }
                }
                b"'" => {
                    self.td(0.0, -self.gs.tl);
                    if let Some(Tok::Str(s, e)) = ops.last() {
                        self.show(&scratch[*s..*e]);
                    }
                }
                b"\"" if n >= 3 => {
                    self.gs.tw = arg(3);
                    self.gs.tc = arg(2);
                    self.td(0.0, -self.gs.tl);
                    if let Tok::Str(s, e) = ops[n - 1] {
                        self.show(&scratch[s..e]);
                    }
                }
                b"TJ" => {
                    let start = ops.iter().rposition(|t| *t == Tok::ArrOpen).unwrap_or(0);
                    for t in &ops[start..] {
                        match t {
                            Tok::Str(s, e) => self.show(&scratch[*s..*e]),
                            Tok::Num(k) => {
                                let tx = -k / 1000.0 * self.gs.size * self.gs.th;
                                self.advance(tx);
                            }
                            _ => {}
                        }
                    }
                }
                b"Do" => {
                    if let Some(Tok::Name(name)) = ops.last() {
                        self.xobject(res, name, depth);
                    }
                }
                _ => {}
            }
            ops.clear();
            scratch.clear();
        }
        // A form must not leak its unbalanced saves into the caller.
        self.stack.truncate(base_depth);
    }

    fn td(&mut self, tx: f32, ty: f32) {
        self.tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
    }

    fn advance(&mut self, tx: f32) {
        self.tm[4] += tx * self.tm[0];
        self.tm[5] += tx * self.tm[1];
    }

    fn font(&mut self, res: Option<&'a Dictionary>, name: &[u8]) -> Rc<Font> {
        let doc = self.doc;
        let entry = res
            .and_then(|r| get(doc, r, b"Font"))
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| d.get(name).ok());
        match entry {
            Some(Object::Reference(id)) => {
                if let Some(f) = self.fonts.by_ref.get(id) {
                    return f.clone();
                }
                let font = match doc.get_dictionary(*id) {
                    Ok(d) => Rc::new(Font::load(doc, d)),
                    Err(_) => self.fallback(),
                };
                self.fonts.by_ref.insert(*id, font.clone());
                font
            }
            Some(Object::Dictionary(d)) => {
                // Inline font dictionaries live as long as the document: their address is a key.
                let key = d as *const Dictionary as usize;
                self.fonts
                    .by_key
                    .entry(key)
                    .or_insert_with(|| Rc::new(Font::load(doc, d)))
                    .clone()
            }
            _ => self.fallback(),
        }
    }

    fn fallback(&mut self) -> Rc<Font> {
        self.fonts
            .fallback
            .get_or_insert_with(|| Rc::new(Font::fallback()))
            .clone()
    }

    fn xobject(&mut self, res: Option<&'a Dictionary>, name: &[u8], depth: u32) {
        let doc = self.doc;
        let Some(stream) = res
            .and_then(|r| get(doc, r, b"XObject"))
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| get(doc, d, name))
            .and_then(|o| o.as_stream().ok())
        else {
            return;
        };
        let subtype = stream.dict.get(b"Subtype").and_then(|o| o.as_name()).ok();
        match subtype {
            Some(b"Image") => self.out.images.push(Placed {
                stream,
                ctm: self.gs.ctm,
            }),
            Some(b"Form") if depth < MAX_FORM_DEPTH && self.forms_run < MAX_FORMS_PER_PAGE => {
                self.forms_run += 1;
                let Some(data) = stream_bytes(stream) else {
                    return;
                };
                let saved = self.gs.clone();
                let (tm, tlm) = (self.tm, self.tlm);
                if let Some(m) = get(doc, &stream.dict, b"Matrix").and_then(|o| o.as_array().ok())
                    && m.len() == 6
                {
                    let v: Vec<f32> = m
                        .iter()
                        .map(|o| resolve(doc, o).and_then(super::as_num).unwrap_or(0.0))
                        .collect();
                    let fm = [v[0], v[1], v[2], v[3], v[4], v[5]];
                    self.gs.ctm = mul(&fm, &self.gs.ctm);
                }
                let form_res = get(doc, &stream.dict, b"Resources")
                    .and_then(|o| o.as_dict().ok())
                    .or(res);
                self.run(&data, form_res, depth + 1);
                self.gs = saved;
                (self.tm, self.tlm) = (tm, tlm);
            }
            _ => {}
        }
    }

    fn show(&mut self, bytes: &[u8]) {
        let font = match &self.gs.font {
            Some(f) => f.clone(),
            None => self.fallback(),
        };
        let (fs, th) = (self.gs.size, self.gs.th);
        let mut i = 0;
        while i < bytes.len() {
            let (code, n) = font.next_code(&bytes[i..]);
            let start = self.out.text.len();
            font.decode_into(code, n, &mut self.out.text);
            let w0 = font.width(code, n, &self.out.text[start..]);
            let space = self.out.text[start..].chars().all(char::is_whitespace);
            if self.out.glyphs.len() < MAX_GLYPHS {
                self.record(&font, start, w0, space);
            }
            if space {
                self.out.text.truncate(start);
            }
            let word_space = if n == 1 && code == 32 {
                self.gs.tw
            } else {
                0.0
            };
            self.advance((w0 * fs + self.gs.tc + word_space) * th);
            i += n;
        }
    }

    fn record(&mut self, font: &Font, start: usize, w0: f32, space: bool) {
        let g = &self.gs;
        let trm = mul(
            &mul(&[g.size * g.th, 0.0, 0.0, g.size, 0.0, g.rise], &self.tm),
            &g.ctm,
        );
        let geom = self.geom;
        let corner = |x: f32, y: f32| {
            let (ux, uy) = apply(&trm, x, y);
            geom.map(ux, uy)
        };
        let (ox, oy) = corner(0.0, 0.0);
        let pts = [
            corner(0.0, font.descent),
            corner(w0, font.descent),
            corner(0.0, font.ascent),
            corner(w0, font.ascent),
        ];
        let mut bbox = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for (x, y) in pts {
            bbox = [
                bbox[0].min(x),
                bbox[1].min(y),
                bbox[2].max(x),
                bbox[3].max(y),
            ];
        }
        let (ax, ay) = corner(1.0, 0.0);
        let (dx, dy) = (ax - ox, ay - oy);
        let dir = if dx.abs() >= dy.abs() {
            if dx >= 0.0 { 0 } else { 2 }
        } else if dy >= 0.0 {
            1
        } else {
            3
        };
        let em = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
        let slack = if g.size != 0.0 && g.tc > 0.0 {
            g.tc * (trm[0] * trm[0] + trm[1] * trm[1]).sqrt() / g.size.abs()
        } else {
            0.0
        };
        if !bbox.iter().all(|v| v.is_finite()) || !em.is_finite() {
            return;
        }
        self.out.glyphs.push(Glyph {
            start: start as u32,
            end: self.out.text.len() as u32,
            bbox,
            origin: (ox, oy),
            em,
            dir,
            space,
            slack,
        });
    }
}
