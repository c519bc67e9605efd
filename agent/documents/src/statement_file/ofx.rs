//! OFX bank and credit-card statements, 1.x (SGML: a `KEY:VALUE` header, then tags whose leaf
//! elements are never closed) and 2.x (XML with closed tags, CDATA and entities), read by one
//! tolerant tree builder: a leaf is closed by the next tag once it holds text, an aggregate only
//! by its end tag, so a file that ends with aggregates still open was cut off.
//!
//! Each `STMTRS` / `CCSTMTRS` is one statement: `BANKACCTFROM/ACCTID` (or `CCACCTFROM/ACCTID`)
//! the account, `CURDEF` the currency, `BANKTRANLIST/DTSTART..DTEND` the period, `LEDGERBAL` the
//! closing balance at its `DTASOF` (OFX has no opening balance), and each `STMTTRN` a transaction
//! dated by `DTPOSTED` with the signed `TRNAMT`, `NAME` (and `MEMO` when it adds to the name) as
//! its description, `PAYEE/NAME` its counterparty and `FITID` its reference.

use super::{At, EXPORT_AGAIN, Entry, LineIndex, Statement, Tree, collapse, corrupt, decode};
use crate::DigitiseError;
use chrono::NaiveDate;

/// An element of the OFX tree.
#[derive(Debug, Default)]
struct Node {
    /// Upper-case tag name.
    name: String,
    /// Text of a leaf element (entities and CDATA resolved), `None` for aggregates.
    text: Option<String>,
    children: Vec<Node>,
    line: usize,
}

impl Tree for Node {
    fn name(&self) -> &str {
        &self.name
    }

    fn children(&self) -> &[Node] {
        &self.children
    }
}

impl Node {
    /// Trimmed, non-empty text of the leaf at `path`.
    fn text_at(&self, path: &str) -> Option<At<String>> {
        let n = self.at(path)?;
        let t = n.text.as_deref()?.trim();
        (!t.is_empty()).then(|| At::new(t.to_string(), n.line))
    }
}

/// Parses an OFX file into its statements.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Statement>, DigitiseError> {
    let text = decode(bytes, declared_charset(bytes).as_deref());
    let root = tree(&text)?;
    let mut stmts = Vec::new();
    root.find_all("STMTRS", &mut stmts);
    root.find_all("CCSTMTRS", &mut stmts);
    stmts.sort_by_key(|s| s.line);
    if stmts.is_empty() {
        let mut statuses = Vec::new();
        root.find_all("STATUS", &mut statuses);
        let refused = statuses.iter().find_map(|s| {
            let code = s.text_at("CODE")?;
            (code.value != "0").then(|| {
                let msg = s.text_at("MESSAGE").map(|m| m.value).unwrap_or_default();
                format!(
                    "the bank's server answered with error STATUS CODE {} on line {} {msg}",
                    code.value, code.line
                )
            })
        });
        return Err(corrupt(match refused {
            Some(why) => format!(
                "OFX file holds no statement: {}; request the statement again",
                why.trim_end()
            ),
            None => format!(
                "OFX file holds no bank or credit-card statement (no <STMTRS> or <CCSTMTRS>); \
                 investment and other OFX messages are not read; {EXPORT_AGAIN} as a bank \
                 statement download"
            ),
        }));
    }
    stmts.iter().map(|s| statement(s)).collect()
}

/// `CHARSET:`/`ENCODING:` of an OFX 1.x header, or the `encoding` of an XML declaration.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned();
    for line in head.lines() {
        let l = line.trim();
        if let Some(cs) = l.strip_prefix("CHARSET:") {
            let cs = cs.trim();
            return Some(if cs.chars().all(|c| c.is_ascii_digit()) {
                format!("windows-{cs}")
            } else {
                cs.to_string()
            });
        }
    }
    if let Some(at) = head.find("encoding=") {
        let rest = &head[at + "encoding=".len()..];
        let q = rest.chars().next()?;
        let rest = &rest[q.len_utf8()..];
        return rest.find(q).map(|end| rest[..end].to_string());
    }
    None
}

/// Builds the element tree of the `<OFX>` body.
fn tree(text: &str) -> Result<Node, DigitiseError> {
    let lines = LineIndex::new(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut pos = match text.find('<') {
        Some(p) => p,
        None => {
            return Err(corrupt(format!(
                "OFX file has a header but no <OFX> body: it was cut off; {EXPORT_AGAIN}"
            )));
        }
    };
    // Appends the top node to its parent.
    fn close_top(stack: &mut Vec<Node>) {
        if stack.len() > 1
            && let Some(n) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(n);
        }
    }
    while pos < text.len() {
        let rest = &text[pos..];
        let line = lines.line(pos);
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").ok_or_else(|| {
                corrupt(format!(
                    "OFX line {line}: a CDATA section is never closed (no \"]]>\"): the file was \
                     cut off; {EXPORT_AGAIN}"
                ))
            })?;
            add_text(&mut stack, &after[..end], false);
            pos += "<![CDATA[".len() + end + 3;
            continue;
        }
        if rest.starts_with("<!--") {
            pos += rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with('<') {
            let end = rest.find('>').ok_or_else(|| {
                corrupt(format!(
                    "OFX line {line}: a tag is never closed (no \">\"): the file was cut off; \
                     {EXPORT_AGAIN}"
                ))
            })?;
            let inner = rest[1..end].trim();
            pos += end + 1;
            if inner.starts_with('?') || inner.starts_with('!') {
                continue; // `<?xml …?>`, `<?OFX …?>`, `<!DOCTYPE …>`
            }
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_uppercase();
                match stack.iter().rposition(|n| n.name == name) {
                    Some(i) if i > 0 => {
                        while stack.len() > i {
                            close_top(&mut stack);
                        }
                    }
                    _ => {
                        return Err(corrupt(format!(
                            "OFX line {line}: closing tag </{name}> has no matching opening tag; \
                             the file is damaged; {EXPORT_AGAIN}"
                        )));
                    }
                }
                continue;
            }
            let (inner, empty) = match inner.strip_suffix('/') {
                Some(i) => (i.trim(), true),
                None => (inner, false),
            };
            let name = inner
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if name.is_empty() {
                return Err(corrupt(format!(
                    "OFX line {line}: an empty tag \"<>\"; the file is damaged; {EXPORT_AGAIN}"
                )));
            }
            // A leaf that holds text ends where the next tag starts (SGML leaves are unclosed).
            if stack.len() > 1 && stack.last().is_some_and(|n| n.text.is_some()) {
                close_top(&mut stack);
            }
            stack.push(Node {
                name,
                text: None,
                children: Vec::new(),
                line,
            });
            if empty {
                close_top(&mut stack);
            }
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        add_text(&mut stack, &rest[..end], true);
        pos += end;
    }
    // Leaves may stay open at the end (SGML); an aggregate may not.
    while stack.len() > 1 && stack.last().is_some_and(|n| n.text.is_some()) {
        close_top(&mut stack);
    }
    if stack.len() > 1 {
        let open: Vec<String> = stack[1..]
            .iter()
            .map(|n| format!("<{}> (line {})", n.name, n.line))
            .collect();
        return Err(corrupt(format!(
            "OFX file ends before its elements are closed: {} never closed; the file was cut \
             off; {EXPORT_AGAIN}",
            open.join(", ")
        )));
    }
    let mut root = stack.pop().unwrap_or_default();
    match root.children.iter().position(|c| c.name == "OFX") {
        Some(i) => Ok(root.children.swap_remove(i)),
        None => Err(corrupt(format!(
            "OFX file has no <OFX> element; {EXPORT_AGAIN}"
        ))),
    }
}

/// Adds text to the open element; `escaped` text has its entities resolved. Whitespace between
/// tags is dropped.
fn add_text(stack: &mut [Node], raw: &str, escaped: bool) {
    let t = if escaped {
        unescape(raw)
    } else {
        raw.to_string()
    };
    if t.trim().is_empty() && escaped {
        return;
    }
    if let Some(top) = stack.last_mut() {
        top.text.get_or_insert_default().push_str(&t);
    }
}

/// Resolves the XML/SGML character entities OFX files use; unknown ones stay as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An OFX date-time (`20110331120000.000[-5:EST]`): its first eight digits.
fn date(n: &At<String>, tag: &str) -> Result<NaiveDate, DigitiseError> {
    let v = &n.value;
    let d = v
        .get(..8)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok());
    d.ok_or_else(|| {
        corrupt(format!(
            "OFX line {}: <{tag}> \"{v}\" is not a date (OFX dates are YYYYMMDD…); {EXPORT_AGAIN}",
            n.line
        ))
    })
}

fn amount(n: &At<String>, tag: &str) -> Result<rust_decimal::Decimal, DigitiseError> {
    super::parse_decimal(&n.value).ok_or_else(|| {
        corrupt(format!(
            "OFX line {}: <{tag}> \"{}\" is not an amount (a signed decimal such as -12.50); \
             {EXPORT_AGAIN}",
            n.line, n.value
        ))
    })
}

fn statement(s: &Node) -> Result<Statement, DigitiseError> {
    let mut st = Statement::default();
    let acct = s.child("BANKACCTFROM").or_else(|| s.child("CCACCTFROM"));
    st.account = acct.and_then(|a| a.text_at("ACCTID"));
    st.currency = s.text_at("CURDEF");
    let list = s.child("BANKTRANLIST");
    if let Some(list) = list
        && let (Some(a), Some(b)) = (list.text_at("DTSTART"), list.text_at("DTEND"))
    {
        st.period = Some(At::new((date(&a, "DTSTART")?, date(&b, "DTEND")?), a.line));
    }
    if let Some(bal) = s.text_at("LEDGERBAL/BALAMT") {
        st.closing = Some(At::new(amount(&bal, "BALAMT")?, bal.line));
    } else {
        st.warnings.push(format!(
            "OFX statement on line {} has no <LEDGERBAL>: no closing balance",
            s.line
        ));
    }
    let default_ccy = st.currency.as_ref().map(|c| c.value.clone());
    for t in list.iter().flat_map(|l| l.children.iter()) {
        if t.name != "STMTTRN" {
            continue;
        }
        let missing = |tag: &str| {
            corrupt(format!(
                "OFX line {}: the <STMTTRN> transaction has no <{tag}>; {EXPORT_AGAIN}",
                t.line
            ))
        };
        let posted = t.text_at("DTPOSTED").ok_or_else(|| missing("DTPOSTED"))?;
        let amt = t.text_at("TRNAMT").ok_or_else(|| missing("TRNAMT"))?;
        let name = t.text_at("NAME").map(|n| collapse(&n.value));
        let memo = t.text_at("MEMO").map(|n| collapse(&n.value));
        let description = match (name, memo) {
            (Some(n), Some(m)) if m.starts_with(&n) => m,
            (Some(n), Some(m)) if n.starts_with(&m) => n,
            (Some(n), Some(m)) => format!("{n} | {m}"),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => t.text_at("TRNTYPE").map(|x| x.value).unwrap_or_default(),
        };
        let counterparty_account = t
            .child("BANKACCTTO")
            .or_else(|| t.child("CCACCTTO"))
            .and_then(|a| a.text_at("ACCTID"))
            .map(|a| a.value);
        let currency = t
            .text_at("CURRENCY/CURSYM")
            .map(|c| c.value)
            .or_else(|| default_ccy.clone());
        st.entries.push(Entry {
            line: t.line,
            date: date(&posted, "DTPOSTED")?,
            second_date: None,
            description,
            counterparty: t.text_at("PAYEE/NAME").map(|n| collapse(&n.value)),
            counterparty_account,
            amount: amount(&amt, "TRNAMT")?,
            balance: None,
            currency,
            reference: t.text_at("FITID").map(|f| f.value),
        });
    }
    Ok(st)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entities_resolve() {
        assert_eq!(
            unescape("A &amp; B &lt;x&gt; &#233;&#xE9; & c"),
            "A & B <x> éé & c"
        );
    }

    #[test]
    fn sgml_leaves_close_at_the_next_tag() {
        let root = tree("<OFX><A><B>1\n<C>two words\n</A><D>x</D></OFX>").unwrap();
        assert_eq!(root.text_at("A/B").unwrap().value, "1");
        assert_eq!(root.text_at("A/C").unwrap().value, "two words");
        assert_eq!(root.text_at("D").unwrap().value, "x");
    }

    #[test]
    fn truncated_and_mismatched_files_are_refused() {
        let e =
            tree("OFXHEADER:100\n\n<OFX>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n").unwrap_err();
        assert!(e.message.contains("<BANKMSGSRSV1> (line 4)"), "{e}");
        assert!(e.message.contains("cut off"), "{e}");
        let e = tree("<OFX>\n<A>\n</B>\n</OFX>").unwrap_err();
        assert!(
            e.message.contains("line 3") && e.message.contains("</B>"),
            "{e}"
        );
        let e = tree("<OFX><A><![CDATA[abc").unwrap_err();
        assert!(e.message.contains("CDATA"), "{e}");
    }

    #[test]
    fn charset_from_the_header() {
        assert_eq!(
            declared_charset(b"OFXHEADER:100\nCHARSET:1252\n").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(
            declared_charset(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>").as_deref(),
            Some("ISO-8859-1")
        );
    }
}
