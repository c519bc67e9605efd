//! A small, allocation-light tokenizer for PDF content streams. It exists because the text
//! interpreter needs speed (hundreds of pages a second) and must survive any byte sequence: it
//! never panics, never recurses, and skips what it does not understand (inline image data,
//! procedure braces, stray delimiters) instead of failing the whole stream.

/// One token of a content stream. Strings are decoded into the caller's scratch buffer and
/// referenced by range, so a page of text costs no allocation per string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok<'a> {
    /// A number (integers and reals alike).
    Num(f32),
    /// A name without its slash; `#xx` escapes are left as written.
    Name(&'a [u8]),
    /// A string: `start..end` in the scratch buffer.
    Str(usize, usize),
    /// `[`
    ArrOpen,
    /// `]`
    ArrClose,
    /// `<<` or `>>` or any other operand the interpreter ignores (booleans, null, braces).
    Other,
    /// An operator keyword.
    Op(&'a [u8]),
}

/// Cursor over a content stream.
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The next token, or `None` at the end. String bytes are appended to `scratch`.
    pub(super) fn next_tok(&mut self, scratch: &mut Vec<u8>) -> Option<Tok<'a>> {
        loop {
            let b = self.peek()?;
            if is_ws(b) {
                self.pos += 1;
                continue;
            }
            if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
                continue;
            }
            return Some(match b {
                b'(' => {
                    self.pos += 1;
                    let start = scratch.len();
                    self.literal_string(scratch);
                    Tok::Str(start, scratch.len())
                }
                b'<' => {
                    if self.data.get(self.pos + 1) == Some(&b'<') {
                        self.pos += 2;
                        Tok::Other
                    } else {
                        self.pos += 1;
                        let start = scratch.len();
                        self.hex_string(scratch);
                        Tok::Str(start, scratch.len())
                    }
                }
                b'>' => {
                    self.pos += if self.data.get(self.pos + 1) == Some(&b'>') {
                        2
                    } else {
                        1
                    };
                    Tok::Other
                }
                b'[' => {
                    self.pos += 1;
                    Tok::ArrOpen
                }
                b']' => {
                    self.pos += 1;
                    Tok::ArrClose
                }
                b'{' | b'}' | b')' => {
                    self.pos += 1;
                    Tok::Other
                }
                b'/' => {
                    self.pos += 1;
                    let start = self.pos;
                    while let Some(c) = self.peek() {
                        if is_ws(c) || is_delim(c) {
                            break;
                        }
                        self.pos += 1;
                    }
                    Tok::Name(&self.data[start..self.pos])
                }
                b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(),
                _ => {
                    let start = self.pos;
                    while let Some(c) = self.peek() {
                        if is_ws(c) || is_delim(c) {
                            break;
                        }
                        self.pos += 1;
                    }
                    let word = &self.data[start..self.pos];
                    match word {
                        b"true" | b"false" | b"null" => Tok::Other,
                        b"ID" => {
                            self.skip_inline_image();
                            Tok::Op(word)
                        }
                        _ => Tok::Op(word),
                    }
                }
            });
        }
    }

    fn number(&mut self) -> Tok<'a> {
        let mut neg = false;
        let mut int: f64 = 0.0;
        let mut frac: f64 = 0.0;
        let mut scale: f64 = 1.0;
        let mut seen_dot = false;
        let mut digits = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'-' if digits == 0 && !seen_dot => neg = !neg,
                b'+' if digits == 0 && !seen_dot => {}
                b'.' if !seen_dot => seen_dot = true,
                b'0'..=b'9' => {
                    digits += 1;
                    if seen_dot {
                        scale /= 10.0;
                        frac += f64::from(c - b'0') * scale;
                    } else {
                        int = int * 10.0 + f64::from(c - b'0');
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        let v = int + frac;
        let v = if neg { -v } else { v };
        Tok::Num(if v.is_finite() { v as f32 } else { 0.0 })
    }

    fn literal_string(&mut self, out: &mut Vec<u8>) {
        let mut depth = 1u32;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { return };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex_string(&mut self, out: &mut Vec<u8>) {
        let mut hi: Option<u8> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if let Some(v) = hex_val(c) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
    }

    /// Skips inline image data after `ID`: one whitespace byte, then everything up to an `EI`
    /// that stands alone between whitespace (or the end of the stream).
    fn skip_inline_image(&mut self) {
        self.pos += 1;
        let d = self.data;
        let mut i = self.pos;
        while i + 1 < d.len() {
            if d[i] == b'E'
                && d[i + 1] == b'I'
                && i > 0
                && is_ws(d[i - 1])
                && d.get(i + 2).is_none_or(|&c| is_ws(c))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = d.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_strings_and_inline_images() {
        let src = b"BT /F1 12 Tf (a\\(b\\)\\101) Tj <48 65 6> Tj [(x) -250 (y)] TJ ET BI /W 1 ID \x00EI\xff EI Q";
        let mut scratch = Vec::new();
        let mut lx = Lexer::new(src);
        let mut toks = Vec::new();
        while let Some(t) = lx.next_tok(&mut scratch) {
            toks.push(t);
        }
        assert_eq!(toks[1], Tok::Name(b"F1"));
        assert_eq!(toks[2], Tok::Num(12.0));
        let Tok::Str(s, e) = toks[4] else { panic!() };
        assert_eq!(&scratch[s..e], b"a(b)A");
        let Tok::Str(s, e) = toks[6] else { panic!() };
        assert_eq!(&scratch[s..e], b"He`");
        assert_eq!(toks[10], Tok::Num(-250.0));
        assert_eq!(toks.last(), Some(&Tok::Op(b"Q")));
    }
}
