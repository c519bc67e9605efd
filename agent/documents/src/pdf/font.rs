//! Fonts as the text interpreter needs them: how a shown string splits into character codes,
//! what Unicode text each code stands for, and how far each glyph advances. Covers simple fonts
//! (Type1, TrueType, Type3; `/Widths`, built-in encodings, `/Differences`, standard 14 metrics)
//! and Type0 fonts (Identity-H, predefined Unicode CMaps such as `UniGB-UCS2-H`, legacy CJK
//! CMaps such as `GBK-EUC-H`, embedded CMaps; `/W` and `/DW`). A font that cannot be understood
//! degrades to Helvetica-like metrics and Latin-1 text; it never fails the page.

use super::cmap::CMap;
use super::metrics::{self, StdMetrics};
use super::{as_num, get, resolve, stream_bytes};
use lopdf::{Dictionary, Document, Object, dictionary};
use std::sync::OnceLock;

/// How codes of a Type0 font map to text (and CIDs).
#[derive(Debug)]
enum Decoding {
    /// One byte per code through a 256-entry table.
    Simple(Box<[char; 256]>),
    /// Identity-H/V: two-byte codes that are CIDs.
    Identity,
    /// Predefined `Uni*-UCS2-*` / `Uni*-UTF16-*` CMaps: codes are UTF-16BE units.
    Utf16,
    /// Predefined legacy CJK CMaps (`GBK-EUC-H`, `B5pc-H`, `90ms-RKSJ-H`, …): one- or two-byte
    /// codes in a national encoding.
    Legacy(&'static encoding_rs::Encoding),
    /// An embedded CMap stream.
    Embedded(CMap),
}

/// Advance widths in 1/1000 em (before `width_scale`).
#[derive(Debug)]
enum Widths {
    /// `/FirstChar` and `/Widths`.
    Simple { first: u32, widths: Vec<f32> },
    /// `/W` as sorted `(first CID, last CID, width)` runs, and `/DW`.
    Cid { dw: f32, runs: Vec<(u32, u32, f32)> },
    /// No table in the PDF.
    None,
}

/// A font ready for text extraction.
#[derive(Debug)]
pub(super) struct Font {
    decoding: Decoding,
    to_unicode: Option<CMap>,
    widths: Widths,
    std: StdMetrics,
    missing_width: f32,
    /// Glyph-space units to text-space units (1/1000, or `/FontMatrix` for Type3).
    width_scale: f32,
    /// Ascent and descent as fractions of the font size.
    pub(super) ascent: f32,
    /// Negative for glyph parts below the baseline.
    pub(super) descent: f32,
}

/// Decodes each single byte through lopdf's encoding tables (they are not public, but its
/// font-encoding resolver is), for a synthetic font with the given `/Encoding`.
fn table_via_lopdf(encoding: Object) -> [char; 256] {
    let doc = Document::new();
    let font = dictionary! { "Type" => "Font", "Encoding" => encoding };
    let mut out = ['\0'; 256];
    if let Ok(enc) = font.get_font_encoding(&doc) {
        for (b, slot) in out.iter_mut().enumerate() {
            if let Ok(s) = enc.bytes_to_string(&[b as u8])
                && let Some(c) = s.chars().next()
            {
                *slot = c;
            }
        }
    }
    out
}

fn base_table(name: &[u8]) -> Option<Box<[char; 256]>> {
    static BASES: OnceLock<[[char; 256]; 3]> = OnceLock::new();
    let bases = BASES.get_or_init(|| {
        [
            table_via_lopdf(Object::Name(b"WinAnsiEncoding".to_vec())),
            table_via_lopdf(Object::Name(b"MacRomanEncoding".to_vec())),
            table_via_lopdf(Object::Name(b"StandardEncoding".to_vec())),
        ]
    });
    let i = match name {
        b"WinAnsiEncoding" => 0,
        b"MacRomanEncoding" => 1,
        b"StandardEncoding" => 2,
        _ => return None,
    };
    Some(Box::new(bases[i]))
}

/// Unicode for an Adobe Glyph List name, through lopdf's `/Differences` support.
fn agl_char(name: &[u8]) -> Option<char> {
    // Code 0 is unassigned in StandardEncoding, so whatever it decodes to comes from the name.
    let diffs = Object::Array(vec![Object::Integer(0), Object::Name(name.to_vec())]);
    let enc = dictionary! { "BaseEncoding" => "StandardEncoding", "Differences" => diffs };
    let c = table_via_lopdf(Object::Dictionary(enc))[0];
    (c != '\0').then_some(c)
}

/// Unicode for a glyph name: the Adobe Glyph List, `uniXXXX`, `uXXXX[XX]`, and names with a
/// `.suffix` (`one.oldstyle`).
pub(super) fn glyph_name_char(name: &[u8]) -> Option<char> {
    let name = match name.iter().position(|&b| b == b'.') {
        Some(0) | None => name,
        Some(i) => &name[..i],
    };
    let text = std::str::from_utf8(name).ok()?;
    if !(text.starts_with("uni") || text.starts_with('u') && text.len() >= 5) {
        return agl_char(name);
    }
    let hex = text
        .strip_prefix("uni")
        .map(|h| h.get(..4).unwrap_or(h))
        .or_else(|| text.strip_prefix('u'))?;
    if !(4..=6).contains(&hex.len()) {
        return agl_char(name);
    }
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(char::from_u32)
        .or_else(|| agl_char(name))
}

fn legacy_encoding(name: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let n = std::str::from_utf8(name).ok()?;
    if n.starts_with("GBK2K") {
        Some(encoding_rs::GB18030)
    } else if n.starts_with("GBK") || n.starts_with("GB-EUC") || n.starts_with("GBpc-EUC") {
        Some(encoding_rs::GBK)
    } else if n.contains("B5") {
        Some(encoding_rs::BIG5)
    } else if n.contains("RKSJ") {
        Some(encoding_rs::SHIFT_JIS)
    } else if n.starts_with("KSC") {
        Some(encoding_rs::EUC_KR)
    } else if n.contains("EUC") && n.starts_with("EUC") {
        Some(encoding_rs::EUC_JP)
    } else {
        None
    }
}

fn descriptor_metrics(doc: &Document, font: &Dictionary) -> (f32, f32, Option<f32>) {
    let Some(fd) = get(doc, font, b"FontDescriptor").and_then(|o| o.as_dict().ok()) else {
        return (0.8, -0.2, None);
    };
    let num = |k: &[u8]| get(doc, fd, k).and_then(as_num);
    let ascent = num(b"Ascent")
        .map(|a| a / 1000.0)
        .filter(|a| *a > 0.2 && *a < 1.5)
        .unwrap_or(0.8);
    let descent = num(b"Descent")
        .map(|d| d / 1000.0)
        .filter(|d| *d < 0.0 && *d > -1.0)
        .unwrap_or(-0.2);
    (ascent, descent, num(b"MissingWidth").filter(|w| *w > 0.0))
}

fn to_unicode(doc: &Document, font: &Dictionary) -> Option<CMap> {
    let stream = get(doc, font, b"ToUnicode")?.as_stream().ok()?;
    let cmap = CMap::parse(&stream_bytes(stream)?);
    cmap.has_unicode().then_some(cmap)
}

impl Font {
    /// Builds the font from its dictionary; unknown parts fall back to defaults.
    pub(super) fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = get(doc, dict, b"Subtype").and_then(|o| o.as_name().ok());
        if subtype == Some(b"Type0") {
            return Self::load_type0(doc, dict);
        }
        let base_font = get(doc, dict, b"BaseFont")
            .and_then(|o| o.as_name().ok())
            .unwrap_or(b"");
        let std = metrics::for_name(base_font);
        let (ascent, descent, missing_width) = descriptor_metrics(doc, dict);
        let is_type3 = subtype == Some(b"Type3");
        let mut width_scale = 0.001;
        let (mut asc, mut desc) = (ascent, descent);
        if is_type3
            && let Some(m) = get(doc, dict, b"FontMatrix").and_then(|o| o.as_array().ok())
            && m.len() == 6
        {
            let a = as_num(&m[0]).unwrap_or(0.001);
            if a.is_finite() && a != 0.0 {
                width_scale = a.abs();
            }
            (asc, desc) = (0.8, -0.2);
        }
        // Without an /Encoding, Type1 fonts use their built-in (usually Standard) encoding and
        // TrueType fonts are read as WinAnsi, as viewers do.
        let default_base: &[u8] = if subtype == Some(b"TrueType") {
            b"WinAnsiEncoding"
        } else {
            b"StandardEncoding"
        };
        let mut table = None;
        match get(doc, dict, b"Encoding") {
            Some(Object::Name(n)) => table = base_table(n),
            Some(Object::Dictionary(enc)) => {
                let base = get(doc, enc, b"BaseEncoding")
                    .and_then(|o| o.as_name().ok())
                    .unwrap_or(default_base);
                let mut t = base_table(base).or_else(|| base_table(default_base));
                if let (Some(t), Some(Object::Array(diffs))) =
                    (t.as_mut(), get(doc, enc, b"Differences"))
                {
                    let mut code = 0usize;
                    for d in diffs {
                        match d {
                            Object::Integer(i) => code = (*i).clamp(0, 256) as usize,
                            Object::Name(n) => {
                                if code < 256 {
                                    t[code] = glyph_name_char(n).unwrap_or('\0');
                                }
                                code += 1;
                            }
                            _ => {}
                        }
                    }
                }
                table = t;
            }
            _ => {}
        }
        let table = table
            .or_else(|| base_table(default_base))
            .unwrap_or_else(|| Box::new(['\0'; 256]));
        let first = get(doc, dict, b"FirstChar")
            .and_then(as_num)
            .unwrap_or(0.0)
            .clamp(0.0, 255.0) as u32;
        let widths = match get(doc, dict, b"Widths").and_then(|o| o.as_array().ok()) {
            Some(arr) => Widths::Simple {
                first,
                widths: arr
                    .iter()
                    .take(256)
                    .map(|o| resolve(doc, o).and_then(as_num).unwrap_or(0.0))
                    .collect(),
            },
            None => Widths::None,
        };
        Font {
            decoding: Decoding::Simple(table),
            to_unicode: to_unicode(doc, dict),
            widths,
            std,
            missing_width: missing_width.unwrap_or(0.0),
            width_scale,
            ascent: asc,
            descent: desc,
        }
    }

    fn load_type0(doc: &Document, dict: &Dictionary) -> Font {
        let decoding = match get(doc, dict, b"Encoding") {
            Some(Object::Name(n)) if n.starts_with(b"Identity") => Decoding::Identity,
            Some(Object::Name(n))
                if n.starts_with(b"Uni")
                    && (n.windows(4).any(|w| w == b"UCS2")
                        || n.windows(5).any(|w| w == b"UTF16")) =>
            {
                Decoding::Utf16
            }
            Some(Object::Name(n)) => {
                legacy_encoding(n).map_or(Decoding::Identity, Decoding::Legacy)
            }
            Some(Object::Stream(s)) => match stream_bytes(s).map(|b| CMap::parse(&b)) {
                Some(c) if c.has_codespaces() => Decoding::Embedded(c),
                _ => Decoding::Identity,
            },
            _ => Decoding::Identity,
        };
        let cid_font = get(doc, dict, b"DescendantFonts")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .and_then(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok());
        let (mut ascent, mut descent, mut dw) = (0.88, -0.12, 1000.0);
        let mut runs = Vec::new();
        if let Some(cf) = cid_font {
            let (a, d, _) = descriptor_metrics(doc, cf);
            (ascent, descent) = (a, d);
            if let Some(w) = get(doc, cf, b"DW").and_then(as_num) {
                dw = w;
            }
            if let Some(Object::Array(w)) = get(doc, cf, b"W") {
                runs = parse_w(doc, w);
            }
        }
        Font {
            decoding,
            to_unicode: to_unicode(doc, dict),
            widths: Widths::Cid { dw, runs },
            std: StdMetrics::None,
            missing_width: 0.0,
            width_scale: 0.001,
            ascent,
            descent,
        }
    }

    /// A Helvetica stand-in for a missing or broken font resource.
    pub(super) fn fallback() -> Font {
        Font {
            decoding: Decoding::Simple(
                base_table(b"WinAnsiEncoding").unwrap_or_else(|| Box::new(['\0'; 256])),
            ),
            to_unicode: None,
            widths: Widths::None,
            std: metrics::for_name(b"Helvetica"),
            missing_width: 0.0,
            width_scale: 0.001,
            ascent: 0.8,
            descent: -0.2,
        }
    }

    /// The code at the start of `bytes` and its length in bytes (at least 1).
    pub(super) fn next_code(&self, bytes: &[u8]) -> (u32, usize) {
        let n = match &self.decoding {
            Decoding::Simple(_) => 1,
            Decoding::Identity => 2,
            Decoding::Utf16 => {
                let hi = bytes.first().copied().unwrap_or(0);
                if (0xD8..=0xDB).contains(&hi) && bytes.len() >= 4 {
                    4
                } else {
                    2
                }
            }
            Decoding::Legacy(enc) => {
                let b = bytes.first().copied().unwrap_or(0);
                let sjis = *enc == encoding_rs::SHIFT_JIS;
                let lead = if sjis {
                    (0x81..=0x9F).contains(&b) || (0xE0..=0xFC).contains(&b)
                } else {
                    (0x81..=0xFE).contains(&b)
                };
                if lead { 2 } else { 1 }
            }
            Decoding::Embedded(c) => c.code_len(bytes).unwrap_or(1),
        };
        let n = n.min(bytes.len()).max(1);
        let mut code = 0u32;
        for &b in bytes.iter().take(n) {
            code = (code << 8) | u32::from(b);
        }
        (code, n)
    }

    /// Appends the text of one code to `out` (U+FFFD when the font gives no way to know it).
    pub(super) fn decode_into(&self, code: u32, len: usize, out: &mut String) {
        if let Some(tu) = &self.to_unicode
            && tu.unicode_into(code, len as u8, out)
        {
            return;
        }
        match &self.decoding {
            Decoding::Simple(t) => {
                let c = t.get(code as usize).copied().unwrap_or('\0');
                if c != '\0' {
                    out.push(c);
                } else if (0x20..0x7f).contains(&code) {
                    out.push(char::from(code as u8));
                } else if code >= 0xa0 {
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
            Decoding::Utf16 => {
                let units = if len == 4 {
                    [(code >> 16) as u16, (code & 0xffff) as u16]
                } else {
                    [code as u16, 0]
                };
                let n = if len == 4 { 2 } else { 1 };
                for r in char::decode_utf16(units[..n].iter().copied()) {
                    out.push(r.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
            Decoding::Legacy(enc) => {
                let bytes = code.to_be_bytes();
                let (text, _) = enc.decode_without_bom_handling(&bytes[4 - len.min(4)..]);
                out.push_str(&text);
            }
            Decoding::Identity | Decoding::Embedded(_) => out.push(char::REPLACEMENT_CHARACTER),
        }
    }

    /// Advance of one glyph in text space per unit of font size. `text` is what the code
    /// decoded to, used for standard-14 metrics and for CIDs of predefined Unicode CMaps.
    pub(super) fn width(&self, code: u32, len: usize, text: &str) -> f32 {
        let w = match &self.widths {
            Widths::Simple { first, widths } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize))
                .copied()
                .or_else(|| self.std_width(text))
                .unwrap_or(self.missing_width),
            Widths::None => self.std_width(text).unwrap_or(if self.missing_width > 0.0 {
                self.missing_width
            } else {
                500.0
            }),
            Widths::Cid { dw, runs } => {
                let cid = match &self.decoding {
                    Decoding::Identity => Some(code),
                    Decoding::Embedded(c) => c.cid(code, len as u8),
                    // Every Adobe CJK collection puts proportional ASCII at CIDs 1..=95.
                    Decoding::Utf16 | Decoding::Legacy(_) if (0x20..0x7f).contains(&code) => {
                        Some(code - 31)
                    }
                    _ => None,
                };
                cid.and_then(|cid| lookup_run(runs, cid)).unwrap_or(*dw)
            }
        };
        w * self.width_scale
    }

    fn std_width(&self, text: &str) -> Option<f32> {
        let c = text.chars().next()?;
        self.std.width(c)
    }
}

fn lookup_run(runs: &[(u32, u32, f32)], cid: u32) -> Option<f32> {
    let i = runs.partition_point(|r| r.1 < cid);
    runs.get(i).filter(|r| r.0 <= cid).map(|r| r.2)
}

/// Parses `/W [c [w1 w2 …] cfirst clast w …]` into sorted, non-overlapping runs.
fn parse_w(doc: &Document, w: &[Object]) -> Vec<(u32, u32, f32)> {
    const MAX_RUNS: usize = 100_000;
    let mut runs = Vec::new();
    let mut i = 0;
    while i < w.len() && runs.len() < MAX_RUNS {
        let Some(first) = resolve(doc, &w[i]).and_then(as_num) else {
            i += 1;
            continue;
        };
        let first = first.max(0.0) as u32;
        match w.get(i + 1).and_then(|o| resolve(doc, o)) {
            Some(Object::Array(ws)) => {
                for (k, o) in ws.iter().enumerate().take(MAX_RUNS) {
                    if let Some(v) = resolve(doc, o).and_then(as_num) {
                        let cid = first.saturating_add(k as u32);
                        runs.push((cid, cid, v));
                    }
                }
                i += 2;
            }
            Some(o) => {
                let last = as_num(o).map(|l| l.max(0.0) as u32);
                let width = w.get(i + 2).and_then(|o| resolve(doc, o)).and_then(as_num);
                if let (Some(last), Some(width)) = (last, width)
                    && last >= first
                {
                    runs.push((first, last, width));
                }
                i += 3;
            }
            None => break,
        }
    }
    runs.sort_by_key(|r| r.0);
    // Overlaps are malformed; keep the first run that claims a CID.
    let mut out: Vec<(u32, u32, f32)> = Vec::with_capacity(runs.len());
    for r in runs {
        match out.last() {
            Some(prev) if r.0 <= prev.1 => {}
            _ => out.push(r),
        }
    }
    out
}
