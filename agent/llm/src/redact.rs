//! Redaction before text leaves the process: e-mail addresses, 18-digit PRC resident ID numbers
//! (checksum verified), phone numbers, account and card numbers, and configured names are
//! replaced by stable placeholders (`[ACCT_1]`, `[ID_1]`, `[PHONE_1]`, `[EMAIL_1]`, `[NAME_1]`);
//! the same value always gets the same placeholder within one [`Redactor`], so a model can still
//! relate two mentions. [`Redactor::restore`] puts the originals back into the model's answer.

use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").ok());
/// 18-character candidates for PRC resident IDs (17 digits and a check digit or X).
static PRC_ID: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9])([1-9][0-9]{16}[0-9Xx])(?:[^0-9]|$)").ok());
/// Phone numbers: mainland mobiles (with optional +86), landlines with area code, and
/// international numbers written with `+`.
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:\+86[ -]?)?(?:^|[^0-9])(1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})(?:[^0-9]|$)|(\+[1-9][0-9]{0,2}[ -]?(?:\(?[0-9]{1,4}\)?[ -]?){2,4}[0-9]{2,4})|(?:^|[^0-9])(0[1-9][0-9]{1,2}-[0-9]{7,8})(?:[^0-9]|$)",
    )
    .ok()
});
/// Account and card numbers: runs of at least 9 digits, optionally grouped by single spaces or
/// dashes (`6222 0212 3456 7890`), that are not amounts (no decimal separator).
static ACCOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9.,])([0-9](?:[ -]?[0-9]){8,29})(?:[^0-9.,]|$|[.,](?:[^0-9]|$))").ok()
});

/// True when `id` is an 18-character PRC resident ID whose ISO 7064 MOD 11-2 check digit holds.
pub fn prc_id_valid(id: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

/// What to redact.
#[derive(Debug, Clone)]
pub struct RedactOptions {
    /// Names to replace wherever they appear (account holders, signatories from configured
    /// positions of the document).
    pub names: Vec<String>,
}

/// Replaces personal data by placeholders and restores them; keeps the mapping in memory only.
#[derive(Debug, Default)]
pub struct Redactor {
    names: Vec<String>,
    to_placeholder: HashMap<String, String>,
    to_original: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
}

impl Redactor {
    /// A redactor that also replaces the given names.
    pub fn new(opts: &RedactOptions) -> Self {
        let mut names: Vec<String> = opts
            .names
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| n.chars().count() >= 2)
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Redactor {
            names,
            ..Redactor::default()
        }
    }

    fn placeholder(&mut self, kind: &'static str, original: &str) -> String {
        if let Some(p) = self.to_placeholder.get(original) {
            return p.clone();
        }
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("[{kind}_{n}]");
        self.to_placeholder.insert(original.to_string(), p.clone());
        self.to_original.insert(p.clone(), original.to_string());
        p
    }

    /// Replaces every match of capture group `group` (or the whole match) of `re`.
    fn replace(
        &mut self,
        text: &str,
        re: &Regex,
        kind: &'static str,
        keep: fn(&str) -> bool,
    ) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let Some(m) = caps.iter().skip(1).flatten().next().or_else(|| caps.get(0)) else {
                continue;
            };
            if m.start() < last || !keep(m.as_str()) {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            let p = self.placeholder(kind, m.as_str());
            out.push_str(&p);
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }

    /// The text with personal data replaced by placeholders.
    pub fn redact(&mut self, text: &str) -> String {
        let mut t = text.to_string();
        for name in self.names.clone() {
            if t.contains(&name) {
                let p = self.placeholder("NAME", &name);
                t = t.replace(&name, &p);
            }
        }
        if let Some(re) = EMAIL.as_ref() {
            t = self.replace(&t, re, "EMAIL", |_| true);
        }
        if let Some(re) = PRC_ID.as_ref() {
            // Run twice: adjacent IDs share the separator the pattern consumes.
            for _ in 0..2 {
                t = self.replace(&t, re, "ID", prc_id_valid);
            }
        }
        if let Some(re) = PHONE.as_ref() {
            for _ in 0..2 {
                t = self.replace(&t, re, "PHONE", |_| true);
            }
        }
        if let Some(re) = ACCOUNT.as_ref() {
            for _ in 0..2 {
                t = self.replace(&t, re, "ACCT", |m| {
                    m.chars().filter(char::is_ascii_digit).count() >= 9
                });
            }
        }
        t
    }

    /// Puts the originals back into every string of `value`.
    pub fn restore(&self, value: &mut Value) {
        match value {
            Value::String(s) if s.contains('[') => {
                let mut out = s.clone();
                for (p, o) in &self.to_original {
                    if out.contains(p.as_str()) {
                        out = out.replace(p.as_str(), o);
                    }
                }
                *s = out;
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.restore(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.restore(v)),
            _ => {}
        }
    }

    /// Puts the originals back into a text.
    pub fn restore_text(&self, text: &str) -> String {
        let mut v = Value::String(text.to_string());
        self.restore(&mut v);
        v.as_str().unwrap_or(text).to_string()
    }

    /// How many distinct values were replaced.
    pub fn count(&self) -> usize {
        self.to_original.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prc_checksum() {
        assert!(prc_id_valid("11010519491231002X"));
        assert!(!prc_id_valid("110105194912310021"));
    }

    #[test]
    fn redacts_and_restores_stably() {
        let mut r = Redactor::new(&RedactOptions {
            names: vec!["张三".into()],
        });
        let text = "户名 张三 账号 6222 0212 3456 7890 身份证 11010519491231002X 电话 138-1234-5678 邮件 zs@example.com 金额 1,234,567.89 日期 20260301 又见 6222 0212 3456 7890";
        let red = r.redact(text);
        for secret in [
            "张三",
            "6222",
            "11010519491231002X",
            "1234-5678",
            "zs@example.com",
        ] {
            assert!(!red.contains(secret), "{secret} leaked: {red}");
        }
        assert!(red.contains("1,234,567.89"), "amount kept: {red}");
        assert!(red.contains("20260301"), "date kept: {red}");
        assert_eq!(red.matches("[ACCT_1]").count(), 2, "{red}");
        let mut v = serde_json::json!({"holder": "[NAME_1]", "acct": "[ACCT_1]"});
        r.restore(&mut v);
        assert_eq!(v["holder"], "张三");
        assert_eq!(v["acct"], "6222 0212 3456 7890");
    }
}
