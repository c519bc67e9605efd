//! The STR narrative drafted by the LLM step, with a fact checker. The model gets the
//! case's facts (redacted: account numbers, ID numbers and phones become placeholders) and writes
//! sentences; every amount, date and account-like name in a sentence must be one of the case's
//! facts, or the sentence is removed and reported. Without a usable answer (no endpoint, timeout,
//! garbage) the template narrative stands.

use anyhow::Result;
use chrono_tz::Tz;
use docket_llm::client::{ClientConfig, LlmClient, Message};
use docket_llm::redact::{RedactOptions, Redactor};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use super::str_report::{CaseData, date, payer_payee, sentences};
use docket_core::ErrorCode;

use crate::failure::Failure;

/// Who drafts the narrative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NarrativeMode {
    /// The LLM when `DOCKET_LLM_URL` is set, else the template.
    Auto,
    /// The LLM; fails when none is configured.
    Llm,
    /// The template built from case data only.
    Template,
}

/// The checked LLM narrative to put in the report.
#[derive(Debug, Clone)]
pub struct LlmNarrative {
    /// The kept sentences, joined.
    pub text: String,
    /// Removed sentences with the reason.
    pub removed: Vec<(String, String)>,
}

/// The case as facts for the prompt: one line per transaction and the template's sentences.
pub(super) fn facts_text(case: &CaseData, tz: Tz) -> String {
    let mut out = format!(
        "Case {} on account {} ({} alert(s)).\n",
        case.id,
        case.subject,
        case.alerts.len()
    );
    for a in &case.alerts {
        out.push_str(&format!(
            "Alert {}: {}\n",
            a.rule.as_str(),
            a.explanation_en
        ));
    }
    for s in sentences(case, tz) {
        out.push_str(&s.text);
        out.push('\n');
    }
    out.push_str("Transactions (id, time, payer, payee, amount, currency):\n");
    for t in &case.txns {
        let (payer, payee) = payer_payee(t);
        out.push_str(&format!(
            "{} {} {} {} {} {}\n",
            t.id,
            date(&t.timestamp, tz),
            payer.unwrap_or("unknown"),
            payee.unwrap_or("unknown"),
            t.amount.abs(),
            t.currency
        ));
    }
    out
}

/// Drafts and checks the narrative according to `mode`; warns and returns `None` (template)
/// when the LLM cannot answer in `auto` mode.
pub(super) fn narrative_for(
    case: &CaseData,
    tz: Tz,
    mode: NarrativeMode,
) -> Result<Option<LlmNarrative>> {
    if mode == NarrativeMode::Template {
        return Ok(None);
    }
    let configured = std::env::var("DOCKET_LLM_URL").is_ok_and(|u| !u.trim().is_empty());
    if !configured {
        if mode == NarrativeMode::Llm {
            return Err(Failure::new(
                ErrorCode::BadUsage,
                "--narrative llm needs an LLM endpoint: set DOCKET_LLM_URL (and DOCKET_LLM_MODEL)",
            )
            .into());
        }
        return Ok(None);
    }
    match draft(case, tz, &facts_text(case, tz)) {
        Ok(Some(c)) if !c.kept.is_empty() => {
            for (s, why) in &c.removed {
                eprintln!("warning: narrative sentence removed ({why}): {s}");
            }
            Ok(Some(LlmNarrative {
                text: c.kept.join(" "),
                removed: c.removed,
            }))
        }
        Ok(_) => {
            eprintln!(
                "warning: the LLM narrative stated nothing that checks against the case; using the template narrative"
            );
            Ok(None)
        }
        Err(e) => {
            if mode == NarrativeMode::Llm {
                return Err(e);
            }
            eprintln!("warning: the LLM narrative failed ({e:#}); using the template narrative");
            Ok(None)
        }
    }
}

/// What the case lets a narrative state.
#[derive(Debug, Default)]
pub struct Facts {
    /// Amounts: every transaction's, and the totals per direction, alert and currency.
    pub amounts: BTreeSet<Decimal>,
    /// Days (YYYY-MM-DD in the report's zone) of the transactions.
    pub dates: BTreeSet<String>,
    /// Accounts and counterparty names of the case.
    pub names: BTreeSet<String>,
    /// Counts that may be stated (transactions, alerts, counterparties, per direction).
    pub counts: BTreeSet<u64>,
}

/// A drafted narrative after checking.
#[derive(Debug, Default)]
pub struct Checked {
    /// Sentences that state only case facts, in the model's order.
    pub kept: Vec<String>,
    /// Sentences removed, with the fact that failed.
    pub removed: Vec<(String, String)>,
}

/// The facts of a case.
pub(super) fn facts(case: &CaseData, tz: Tz) -> Facts {
    let mut f = Facts::default();
    let mut totals: BTreeMap<(&str, &str), (Decimal, u64)> = BTreeMap::new();
    let mut parties = BTreeSet::new();
    f.names.insert(case.subject.clone());
    for t in &case.txns {
        f.amounts.insert(t.amount.abs().normalize());
        f.dates
            .insert(date(&t.timestamp, tz).chars().take(10).collect());
        let (payer, payee) = payer_payee(t);
        let dir = if payee == Some(case.subject.as_str()) {
            "in"
        } else {
            "out"
        };
        let e = totals.entry((dir, t.currency.as_str())).or_default();
        e.0 += t.amount.abs();
        e.1 += 1;
        for p in [payer, payee].into_iter().flatten() {
            f.names.insert(p.to_owned());
            parties.insert(p.to_owned());
        }
        if let Some(n) = &t.counterparty_name {
            f.names.insert(n.clone());
        }
        f.names.insert(t.account.clone());
    }
    for (total, n) in totals.values() {
        f.amounts.insert(total.normalize());
        f.counts.insert(*n);
    }
    for a in &case.alerts {
        let sum: Decimal = case
            .txns
            .iter()
            .filter(|t| a.transactions.contains(&t.id))
            .map(|t| t.amount.abs())
            .sum();
        f.amounts.insert(sum.normalize());
        f.counts.insert(a.transactions.len() as u64);
    }
    f.counts.insert(case.txns.len() as u64);
    f.counts.insert(case.alerts.len() as u64);
    f.counts.insert(parties.len().saturating_sub(1) as u64);
    f
}

/// Numbers written in a sentence (`96,000.00`, `8000`, `12`), with their text.
fn numbers(s: &str) -> Vec<(String, Decimal)> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let plain = text.replace(',', "");
            if let Ok(d) = Decimal::from_str(&plain) {
                out.push((text, d));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Checks one sentence against the facts; `Err` names the first fact that is not the case's.
pub fn check_sentence(s: &str, f: &Facts) -> Result<(), String> {
    // Dates first, so their digits are not read as amounts.
    let mut rest = s.to_owned();
    for (i, _) in s.match_indices('-') {
        if i >= 4 && s.len() >= i + 6 {
            let cand = &s[i - 4..(i + 6).min(s.len())];
            if cand.len() == 10
                && chrono::NaiveDate::parse_from_str(cand, "%Y-%m-%d").is_ok()
                && s[i + 1..].starts_with(|c: char| c.is_ascii_digit())
            {
                if !f.dates.contains(cand) {
                    return Err(format!("date {cand} is not a day of the case"));
                }
                rest = rest.replace(cand, " ");
            }
        }
    }
    for word in rest.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let account_like = word.len() >= 3
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_uppercase());
        if account_like && !f.names.contains(word) {
            return Err(format!("account {word} is not in the case"));
        }
    }
    for name in f.names.iter() {
        rest = rest.replace(name.as_str(), " ");
    }
    for (text, n) in numbers(&rest) {
        let n = n.normalize();
        let is_count = n.fract().is_zero() && n <= Decimal::from(100_000);
        if f.amounts.contains(&n) {
            continue;
        }
        if is_count
            && n.to_string()
                .parse::<u64>()
                .is_ok_and(|c| f.counts.contains(&c))
        {
            continue;
        }
        return Err(format!(
            "{text} is not an amount, total or count of the case"
        ));
    }
    Ok(())
}

/// Checks every sentence.
pub fn check(sentences: &[String], f: &Facts) -> Checked {
    let mut out = Checked::default();
    for s in sentences {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        match check_sentence(s, f) {
            Ok(()) => out.kept.push(s.to_owned()),
            Err(why) => out.removed.push((s.to_owned(), why)),
        }
    }
    out
}

/// Asks the model for a narrative of the case and checks it. `None` when no endpoint is
/// configured; `Err` when the model could not answer usably.
pub(super) fn draft(case: &CaseData, tz: Tz, facts_text: &str) -> Result<Option<Checked>> {
    let Some(url) = std::env::var("DOCKET_LLM_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        return Ok(None);
    };
    let model = std::env::var("DOCKET_LLM_MODEL").unwrap_or_else(|_| "default".into());
    let mut cfg = ClientConfig::new(url, model);
    cfg.timeout = std::time::Duration::from_secs(60);
    cfg.max_retries = 2;
    if let Ok(k) = std::env::var("DOCKET_LLM_API_KEY") {
        cfg.api_key = Some(docket_llm::client::ApiKey::new(k));
    }
    let client = LlmClient::new(cfg)?;
    // Names of people and firms leave the process as placeholders too.
    let names: BTreeSet<String> = case
        .txns
        .iter()
        .filter_map(|t| t.counterparty_name.clone())
        .filter(|n| !n.trim().is_empty())
        .collect();
    let mut redactor = Redactor::new(&RedactOptions {
        names: names.into_iter().collect(),
    });
    let prompt = redactor.redact(facts_text);
    let schema = json!({
        "type": "object",
        "properties": { "sentences": { "type": "array", "items": { "type": "string" } } },
        "required": ["sentences"]
    });
    let messages = [
        Message::new(
            "system",
            "You draft the narrative of a suspicious-transaction report for a bank's compliance officer. Use only the facts given; state amounts, dates and accounts exactly as written there. Reply with JSON {\"sentences\": [...]}: short factual sentences, no speculation.",
        ),
        Message::new("user", prompt),
    ];
    let mut answer = client.chat_json(&messages, "str_narrative", &schema)?;
    redactor.restore(&mut answer.value);
    let sentences: Vec<String> = answer.value["sentences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    Ok(Some(check(&sentences, &facts(case, tz))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> Facts {
        let mut f = Facts::default();
        f.amounts.insert(Decimal::new(9600000, 2).normalize());
        f.amounts.insert(Decimal::new(800000, 2).normalize());
        f.dates.insert("2026-03-10".into());
        f.names.insert("MULE".into());
        f.names.insert("PAYER01".into());
        f.counts.insert(12);
        f
    }

    #[test]
    fn sentences_state_only_case_facts() {
        let f = f();
        assert_eq!(
            check_sentence(
                "On 2026-03-10 account MULE received 96,000.00 CNY from 12 payers.",
                &f
            ),
            Ok(())
        );
        assert_eq!(check_sentence("PAYER01 paid 8000.00 CNY.", &f), Ok(()));
        assert!(
            check_sentence("MULE received 123,456.78 CNY.", &f)
                .is_err_and(|e| e.contains("123,456.78"))
        );
        assert!(
            check_sentence("On 2026-03-12 MULE paid out.", &f)
                .is_err_and(|e| e.contains("2026-03-12"))
        );
        assert!(
            check_sentence("PAYER99 paid 8000.00 CNY.", &f).is_err_and(|e| e.contains("PAYER99"))
        );
        assert!(check_sentence("MULE received money from 13 payers.", &f).is_err());
        let c = check(
            &[
                "MULE received 96,000.00 CNY.".into(),
                "It then sent 5.00 onward.".into(),
            ],
            &f,
        );
        assert_eq!(c.kept.len(), 1);
        assert_eq!(c.removed.len(), 1);
    }
}
