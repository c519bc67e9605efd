//! A tiny deterministic XML writer: fixed element order, two-space indentation, `\n` line ends,
//! escaped text. It must never reorder, drop or normalise content; the writers decide the order.

/// Builds an XML document into a string.
pub(crate) struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    /// Starts a document with the given XML declaration line.
    pub(crate) fn new(declaration: &str) -> Self {
        let mut out = String::with_capacity(8 * 1024);
        out.push_str(declaration);
        out.push('\n');
        XmlWriter { out, depth: 0 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Opens `<name>` on its own line.
    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    /// Opens `<name seqno="n">` on its own line.
    pub(crate) fn open_seq(&mut self, name: &str, seqno: usize) {
        self.indent();
        self.out.push_str(&format!("<{name} seqno=\"{seqno}\">\n"));
        self.depth += 1;
    }

    /// Closes `</name>`.
    pub(crate) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// Writes `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
    }

    /// Writes `<name seqno="n">text</name>`.
    pub(crate) fn leaf_seq(&mut self, name: &str, seqno: usize, text: &str) {
        self.indent();
        self.out.push_str(&format!(
            "<{name} seqno=\"{seqno}\">{}</{name}>\n",
            escape(text)
        ));
    }

    /// Writes the leaf only when there is a value.
    pub(crate) fn opt_leaf(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }

    /// The finished document.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Escapes text for element content and attribute values. Characters XML 1.0 forbids (control
/// characters other than tab, newline, carriage return) are rejected by the validators before
/// writing, so they are not expected here; if one slips through it is dropped rather than
/// producing a document no parser accepts.
pub(crate) fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' | '\n' | '\r' => s.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => s.push(c),
        }
    }
    s
}

/// Whether the text holds a character XML 1.0 cannot carry.
pub(crate) fn has_forbidden_char(text: &str) -> bool {
    text.chars().any(|c| {
        ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
            || c == '\u{FFFE}'
            || c == '\u{FFFF}'
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("A&B <c> \"d\" 'e'"),
            "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(escape("张伟\u{1}"), "张伟");
        assert!(has_forbidden_char("a\u{7}"));
        assert!(!has_forbidden_char("a\tb\n"));
    }
}
