//! CMaps embedded in PDFs: `/ToUnicode` maps (character code → Unicode text, `bfchar` and
//! `bfrange` in both forms) and embedded encoding CMaps of Type0 fonts (code → CID, `cidchar` and
//! `cidrange`), with their codespace ranges so that multi-byte strings split into codes correctly.
//! Parsing is lenient and bounded: a malformed entry is skipped, never fatal, and ranges are
//! stored unexpanded so a hostile `<0000> <FFFFFFFF>` costs nothing.

use super::lexer::{Lexer, Tok};
use std::collections::HashMap;

/// Most entries a CMap may hold before the rest is ignored.
const MAX_ENTRIES: usize = 200_000;

/// A parsed CMap.
#[derive(Debug, Default)]
pub(super) struct CMap {
    /// `(byte length, low bytes, high bytes)` per codespace range.
    codespaces: Vec<(u8, [u8; 4], [u8; 4])>,
    uni_single: HashMap<u64, Box<str>>,
    uni_ranges: Vec<(u64, u64, Vec<u16>)>,
    cid_single: HashMap<u64, u32>,
    cid_ranges: Vec<(u64, u64, u32)>,
}

/// A code with its byte length, so that `<20>` and `<0020>` stay distinct.
fn key(code: u32, len: u8) -> u64 {
    (u64::from(len) << 32) | u64::from(code)
}

fn code_of(bytes: &[u8]) -> Option<(u32, u8)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let mut v = 0u32;
    for &b in bytes {
        v = (v << 8) | u32::from(b);
    }
    Some((v, bytes.len() as u8))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0])
            }
        })
        .collect()
}

fn push_utf16(units: &[u16], out: &mut String) {
    for r in char::decode_utf16(units.iter().copied()) {
        out.push(r.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
}

impl CMap {
    /// Parses CMap text; never fails (an unreadable CMap is simply empty).
    pub(super) fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lx = Lexer::new(data);
        let mut scratch = Vec::new();
        let mut toks: Vec<Tok> = Vec::new();
        let mut entries = 0usize;
        while let Some(t) = lx.next_tok(&mut scratch) {
            let Tok::Op(op) = t else {
                toks.push(t);
                if toks.len() > 3 * MAX_ENTRIES {
                    toks.clear();
                }
                continue;
            };
            match op {
                b"endcodespacerange" => {
                    for pair in toks.chunks(2) {
                        if let [Tok::Str(a, b), Tok::Str(c, d)] = pair {
                            let (lo, hi) = (&scratch[*a..*b], &scratch[*c..*d]);
                            if lo.len() == hi.len() && (1..=4).contains(&lo.len()) {
                                let mut l = [0u8; 4];
                                let mut h = [0u8; 4];
                                l[..lo.len()].copy_from_slice(lo);
                                h[..hi.len()].copy_from_slice(hi);
                                cmap.codespaces.push((lo.len() as u8, l, h));
                            }
                        }
                    }
                }
                b"endbfchar" => {
                    for pair in toks.chunks(2) {
                        if let [Tok::Str(a, b), Tok::Str(c, d)] = pair
                            && let Some((code, len)) = code_of(&scratch[*a..*b])
                        {
                            let mut s = String::new();
                            push_utf16(&utf16_units(&scratch[*c..*d]), &mut s);
                            cmap.uni_single.insert(key(code, len), s.into_boxed_str());
                            entries += 1;
                        }
                    }
                }
                b"endbfrange" => cmap.bf_ranges(&toks, &scratch, &mut entries),
                b"endcidchar" => {
                    for pair in toks.chunks(2) {
                        if let [Tok::Str(a, b), Tok::Num(cid)] = pair
                            && let Some((code, len)) = code_of(&scratch[*a..*b])
                        {
                            cmap.cid_single.insert(key(code, len), cid.max(0.0) as u32);
                            entries += 1;
                        }
                    }
                }
                b"endcidrange" => {
                    for tri in toks.chunks(3) {
                        if let [Tok::Str(a, b), Tok::Str(c, d), Tok::Num(cid)] = tri
                            && let (Some((lo, ll)), Some((hi, hl))) =
                                (code_of(&scratch[*a..*b]), code_of(&scratch[*c..*d]))
                            && ll == hl
                            && lo <= hi
                        {
                            cmap.cid_ranges
                                .push((key(lo, ll), key(hi, hl), cid.max(0.0) as u32));
                            entries += 1;
                        }
                    }
                }
                _ => {}
            }
            toks.clear();
            scratch.clear();
            if entries > MAX_ENTRIES {
                break;
            }
        }
        cmap
    }

    fn bf_ranges(&mut self, toks: &[Tok], scratch: &[u8], entries: &mut usize) {
        let mut i = 0;
        while i + 2 < toks.len() {
            let (Tok::Str(a, b), Tok::Str(c, d)) = (toks[i], toks[i + 1]) else {
                i += 1;
                continue;
            };
            let (Some((lo, ll)), Some((hi, hl))) =
                (code_of(&scratch[a..b]), code_of(&scratch[c..d]))
            else {
                i += 1;
                continue;
            };
            match toks[i + 2] {
                Tok::Str(e, f) if ll == hl && lo <= hi => {
                    self.uni_ranges
                        .push((key(lo, ll), key(hi, hl), utf16_units(&scratch[e..f])));
                    *entries += 1;
                    i += 3;
                }
                Tok::ArrOpen => {
                    let mut j = i + 3;
                    let mut code = lo;
                    while j < toks.len() && toks[j] != Tok::ArrClose {
                        if let Tok::Str(e, f) = toks[j]
                            && code <= hi
                        {
                            let mut s = String::new();
                            push_utf16(&utf16_units(&scratch[e..f]), &mut s);
                            self.uni_single.insert(key(code, ll), s.into_boxed_str());
                            *entries += 1;
                            code = code.saturating_add(1);
                        }
                        j += 1;
                    }
                    i = j + 1;
                }
                _ => i += 3,
            }
        }
    }

    /// True when the CMap declares codespace ranges.
    pub(super) fn has_codespaces(&self) -> bool {
        !self.codespaces.is_empty()
    }

    /// True when the CMap maps at least one code to Unicode.
    pub(super) fn has_unicode(&self) -> bool {
        !self.uni_single.is_empty() || !self.uni_ranges.is_empty()
    }

    /// Length in bytes of the code starting at `bytes[0]` by the codespace ranges; `None` when no
    /// range matches (the caller then falls back to its default width).
    pub(super) fn code_len(&self, bytes: &[u8]) -> Option<usize> {
        for n in 1..=4usize.min(bytes.len()) {
            let hit = self.codespaces.iter().any(|(len, lo, hi)| {
                usize::from(*len) == n && (0..n).all(|i| lo[i] <= bytes[i] && bytes[i] <= hi[i])
            });
            if hit {
                return Some(n);
            }
        }
        None
    }

    /// Appends the Unicode text of `code` to `out`; false when the CMap does not map it.
    pub(super) fn unicode_into(&self, code: u32, len: u8, out: &mut String) -> bool {
        let k = key(code, len);
        if let Some(s) = self.uni_single.get(&k) {
            out.push_str(s);
            return true;
        }
        for (lo, hi, dst) in &self.uni_ranges {
            if *lo <= k && k <= *hi {
                let offset = (k - lo) as u32;
                let Some((last, head)) = dst.split_last() else {
                    return false;
                };
                // Incrementing the last unit across a BMP scalar is what writers mean; a result
                // that is not a valid scalar becomes U+FFFD.
                let mut units: [u16; 8] = [0; 8];
                let n = head.len().min(7);
                units[..n].copy_from_slice(&head[..n]);
                let bumped = u32::from(*last) + offset;
                if head.is_empty()
                    && let Some(c) = char::from_u32(bumped)
                {
                    out.push(c);
                    return true;
                }
                units[n] = (bumped & 0xffff) as u16;
                push_utf16(&units[..=n], out);
                return true;
            }
        }
        false
    }

    /// The CID of `code` by `cidchar`/`cidrange`, if mapped.
    pub(super) fn cid(&self, code: u32, len: u8) -> Option<u32> {
        let k = key(code, len);
        if let Some(c) = self.cid_single.get(&k) {
            return Some(*c);
        }
        self.cid_ranges
            .iter()
            .find(|(lo, hi, _)| *lo <= k && k <= *hi)
            .map(|(lo, _, cid)| cid.saturating_add((k - lo) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfchar_bfrange_and_array_form() {
        let src = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0003> <0020> <0024> <00410042> endbfchar
            2 beginbfrange <0010> <0012> <4E00> <0020> <0021> [<94F6> <884C>] endbfrange
            endcmap";
        let c = CMap::parse(src);
        let mut s = String::new();
        for code in [0x3, 0x24, 0x10, 0x12, 0x20, 0x21] {
            assert!(c.unicode_into(code, 2, &mut s));
        }
        assert_eq!(s, " AB一丂银行");
        assert!(!c.unicode_into(0x99, 2, &mut s));
        assert_eq!(c.code_len(&[0, 3]), Some(2));
    }
}
