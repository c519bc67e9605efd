//! `docket report str CASE_ID --format goaml|camlmac|html --output FILE`: drafts a
//! suspicious-transaction report for a case raised by `docket screen`, from the case, its alerts
//! and the transactions behind them as stored in the run store, and records the report in the
//! ledger.
//!
//! Everything in the draft comes from the store or from the operator's flags: the narrative is a
//! template filled only with case data (rules fired, dates, counts and amounts computed from the
//! stored transactions). This module must never invent a customer fact: a name the data does not
//! carry is written as "Holder of account …", and a format rule the data cannot meet is reported
//! as DK-E0701 with the field path and what to supply, never papered over.

use crate::cli::Global;
use crate::failure::Failure;
use crate::ledger;
use crate::runner::atomic_write;
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use docket_core::ErrorCode;
use docket_core::hash::sha256_hex;
use docket_filings::camlmac::CamlmacParams;
use docket_filings::{
    Account, AccountKind, Channel, FilingError, InstitutionCode, Issue, Party, PartyKind,
    ReportingEntity, Side, StrDraft, Submission, Transaction,
};
use docket_rules::{Alert, RuleId, Txn};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;

/// Report formats `docket report str` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrFormat {
    /// goAML 5.0.2 STR XML.
    Goaml,
    /// PBOC/CAMLMAC banking STR message (BSTR XML, `NBS…` file name).
    Camlmac,
    /// A standalone HTML page for reviewers.
    Html,
}

impl StrFormat {
    fn as_str(self) -> &'static str {
        match self {
            StrFormat::Goaml => "goaml",
            StrFormat::Camlmac => "camlmac",
            StrFormat::Html => "html",
        }
    }
}

/// Arguments of `docket report str`.
#[derive(Debug, Args)]
pub struct StrArgs {
    /// The case id printed by `docket screen`, e.g. `C-MULE`.
    #[arg(value_name = "CASE_ID")]
    pub case_id: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: StrFormat,
    /// Who drafts the narrative of goAML/CAMLMAC reports: the LLM step (sentences whose amounts,
    /// dates or accounts are not the case's are removed and listed), the template, or `auto` (the
    /// LLM when DOCKET_LLM_URL is set).
    #[arg(long, value_enum, default_value = "auto")]
    pub narrative: super::str_llm::NarrativeMode,
    /// Output file. For `camlmac`, an existing directory receives the file under the
    /// spec's `NBS<RICD>-<date>-<seq>.XML` name.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// goAML `rentity_id`: the reporting-entity number the FIU assigned.
    #[arg(long, env = "DOCKET_RENTITY_ID")]
    pub entity_id: Option<u32>,
    /// The reporting bank's name.
    #[arg(long, env = "DOCKET_RENTITY_NAME")]
    pub entity_name: Option<String>,
    /// goAML `rentity_branch`: the reporting branch, if the FIU wants one.
    #[arg(long, env = "DOCKET_RENTITY_BRANCH")]
    pub entity_branch: Option<String>,
    /// ISO 3166-1 alpha-2 country of the bank; also used for accounts whose country the
    /// screened data does not give (the bank's domestic business).
    #[arg(long, env = "DOCKET_RENTITY_COUNTRY", default_value = "CN")]
    pub entity_country: String,
    /// SWIFT/BIC of the bank (institution code of accounts held at the bank); without it the
    /// entity id is used as a national code.
    #[arg(long, env = "DOCKET_RENTITY_SWIFT")]
    pub entity_swift: Option<String>,
    /// ISO 4217 local currency of the submission.
    #[arg(long, env = "DOCKET_LOCAL_CURRENCY", default_value = "CNY")]
    pub local_currency: String,
    /// Exchange rates for transactions in other currencies: CSV `date,currency,rate` (one unit of
    /// the currency in the local currency, valid from that date), e.g. the day's PBOC central
    /// parity rates.
    #[arg(long, env = "DOCKET_RATES_FILE", value_name = "FILE")]
    pub rates: Option<std::path::PathBuf>,
    /// Zone the report's dates are written in.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub zone: String,
    /// The bank's reference for the report (default `STR-<case id>`).
    #[arg(long)]
    pub reference: Option<String>,
    /// CAMLMAC `RICD`: 14-character financial-institution code.
    #[arg(long, env = "DOCKET_CAMLMAC_RICD")]
    pub camlmac_ricd: Option<String>,
    /// CAMLMAC `RPNC`: reporting branch code (default: the `RICD`).
    #[arg(long, env = "DOCKET_CAMLMAC_BRANCH")]
    pub camlmac_branch: Option<String>,
    /// CAMLMAC `DETR` urgency: 01 normal, 02 especially urgent.
    #[arg(long, env = "DOCKET_CAMLMAC_URGENCY", default_value = "01")]
    pub camlmac_urgency: String,
    /// CAMLMAC `DORP` report direction.
    #[arg(long, env = "DOCKET_CAMLMAC_DIRECTION", default_value = "01")]
    pub camlmac_direction: String,
    /// CAMLMAC `TPTR` trigger (01: model screening, which is what `docket screen` is).
    #[arg(long, env = "DOCKET_CAMLMAC_TRIGGER", default_value = "01")]
    pub camlmac_trigger: String,
    /// CAMLMAC `TOSC` suspected-crime type (table 10.6); repeat for several. No default: the
    /// bank must name it.
    #[arg(
        long = "crime-type",
        env = "DOCKET_CAMLMAC_TOSC",
        value_delimiter = ','
    )]
    pub crime_types: Vec<String>,
    /// CAMLMAC `RPNM`: who prepared the report.
    #[arg(long, env = "DOCKET_CAMLMAC_PREPARER")]
    pub preparer: Option<String>,
    /// CAMLMAC per-day message sequence number used in the file name.
    #[arg(long, default_value_t = 1)]
    pub sequence: u32,
    /// Who prepares the draft (recorded as its preparer; approval needs someone else).
    #[command(flatten)]
    pub user: crate::commands::str_state::UserArg,
}

/// Rule → goAML `report_indicator_type` code (goAML UAE 5.0.2 code list,
/// `shared/fixtures/specs/goaml/goaml_uae_5.0.2_enums.csv`). Where no code matches exactly, the
/// closest described behaviour was chosen.
///
/// | rule              | code  | code-list description (abridged)                                   |
/// |-------------------|-------|--------------------------------------------------------------------|
/// | large_value       | FRQDW | deposits/withdrawals of large amounts for no apparent reason       |
/// | structuring       | ML002 | structures transactions to avoid reporting                          |
/// | pass_through      | ARIET | receives transfers, then shortly afterwards sends them out         |
/// | fan_in            | FRDMR | transfers from multiple remitters to a single beneficiary          |
/// | fan_out           | MACMN | many inter-account or third-party transfers for no reason          |
/// | late_night        | CTRGB | transactions related to gambling/betting (night collection)        |
/// | round_amount      | FTRWA | frequent transactions in rounded-off amounts                       |
/// | dormant           | CSEWA | sudden extensive wire activity in a previously inactive account    |
/// | velocity          | FTIEA | frequent transactions inconsistent with expected activity          |
/// | high_risk_country | HRCTR | transactions related to high-risk countries                        |
/// | cycle             | MACMN | many inter-account transfers (funds returning to their origin)     |
/// | collection        | FRDMR | transfers from multiple remitters to a single beneficiary          |
pub fn indicator(rule: RuleId) -> &'static str {
    match rule {
        RuleId::LargeValue => "FRQDW",
        RuleId::Structuring => "ML002",
        RuleId::PassThrough => "ARIET",
        RuleId::FanIn | RuleId::Collection => "FRDMR",
        RuleId::FanOut | RuleId::Cycle => "MACMN",
        RuleId::LateNight => "CTRGB",
        RuleId::RoundAmount => "FTRWA",
        RuleId::Dormant => "CSEWA",
        RuleId::Velocity => "FTIEA",
        RuleId::HighRiskCountry => "HRCTR",
    }
}

/// A case as stored, with its alerts and the transactions behind them (time order).
pub(super) struct CaseData {
    pub(super) id: String,
    pub(super) subject: String,
    pub(super) status: String,
    pub(super) alerts: Vec<Alert>,
    pub(super) txns: Vec<Txn>,
    /// Where each transaction was read, for those that came from documents.
    pub(super) sources: crate::sources::Sources,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    Failure::new(ErrorCode::BadUsage, msg).into()
}

fn invalid(case: &str, format: &str, issues: &[Issue]) -> anyhow::Error {
    let lines: Vec<String> = issues.iter().map(|i| format!("  {i}")).collect();
    Failure::new(
        ErrorCode::FilingInvalid,
        format!(
            "case {case}: the {format} report cannot be written, {} problem(s):\n{}",
            issues.len(),
            lines.join("\n")
        ),
    )
    .into()
}

fn load(store: &Store, case_id: &str) -> Result<CaseData> {
    let row: Option<(String, String, String)> = store
        .conn()
        .query_row(
            "SELECT subject, alerts, status FROM cases WHERE id = ?1",
            params![case_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((subject, alert_ids, status)) = row else {
        return Err(usage(format!(
            "no case '{case_id}' in the run store {}: run `docket screen` on the transactions first (it prints case ids such as C-<account>)",
            store.path().display()
        )));
    };
    let alert_ids: Vec<String> = serde_json::from_str(&alert_ids)?;
    let mut alerts = Vec::new();
    for id in &alert_ids {
        let body: Option<String> = store
            .conn()
            .query_row("SELECT body FROM alerts WHERE id = ?1", params![id], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(body) = body {
            alerts.push(serde_json::from_str::<Alert>(&body)?);
        }
    }
    let mut txns: BTreeMap<String, Txn> = BTreeMap::new();
    let mut missing = Vec::new();
    for a in &alerts {
        for t in &a.transactions {
            if txns.contains_key(t) {
                continue;
            }
            let body: Option<String> = store
                .conn()
                .query_row(
                    "SELECT body FROM screened_txns WHERE id = ?1",
                    params![t],
                    |r| r.get(0),
                )
                .optional()?;
            match body {
                Some(b) => {
                    txns.insert(t.clone(), serde_json::from_str(&b)?);
                }
                None => missing.push(Issue {
                    path: format!("alerts[{}].transactions", a.id),
                    problem: format!("transaction {t} is not in the run store"),
                    fix: "screen the input again with this version of `docket screen`, which keeps the transactions behind alerts".into(),
                }),
            }
        }
    }
    if !missing.is_empty() {
        return Err(invalid(case_id, "STR", &missing));
    }
    let mut txns: Vec<Txn> = txns.into_values().collect();
    txns.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id)));
    let sources = crate::sources::load(store.conn(), txns.iter().map(|t| t.id.as_str()))?;
    Ok(CaseData {
        id: case_id.to_string(),
        subject,
        status,
        alerts,
        txns,
        sources,
    })
}

/// Payer and payee accounts of a transaction (amounts are signed on the booking account).
pub(super) fn payer_payee(t: &Txn) -> (Option<&str>, Option<&str>) {
    let me = Some(t.account.as_str());
    let other = t.counterparty_account.as_deref();
    if t.amount < Decimal::ZERO {
        (me, other)
    } else {
        (other, me)
    }
}

/// goAML's Latin name pattern `[a-zA-Z0-9 .'-]`.
fn is_latin(s: &str) -> bool {
    !s.trim().is_empty()
        && s.chars().count() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '-'))
}

fn latin_account(acct: &str) -> String {
    acct.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Names the data gives for accounts (counterparty names on other accounts' bookings).
fn known_names(txns: &[Txn]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for t in txns {
        if let (Some(a), Some(n)) = (&t.counterparty_account, &t.counterparty_name) {
            names.entry(a.clone()).or_insert_with(|| n.clone());
        }
    }
    names
}

fn party(acct: &str, names: &HashMap<String, String>, country: &str) -> Party {
    let fallback = format!("Holder of account {}", latin_account(acct));
    let name = names.get(acct).cloned().unwrap_or_else(|| fallback.clone());
    let name_latin = Some(if is_latin(&name) {
        name.clone()
    } else {
        fallback
    });
    Party {
        id: acct.to_string(),
        kind: PartyKind::Entity {
            name,
            name_latin,
            legal_representative: None,
        },
        country: country.to_string(),
        identification: None,
        occupation: None,
        addresses: Vec::new(),
        phones: Vec::new(),
    }
}

fn channel(c: docket_rules::Channel) -> Channel {
    match c {
        docket_rules::Channel::Cash => Channel::Cash,
        docket_rules::Channel::Transfer => Channel::Transfer,
        docket_rules::Channel::Card => Channel::Card,
        docket_rules::Channel::CrossBorder => Channel::CrossBorder,
    }
}

pub(super) fn date(t: &DateTime<FixedOffset>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// One narrative sentence and the transactions it states (the HTML page links them).
pub(super) struct Sentence {
    /// The sentence text, filled only with case data.
    pub(super) text: String,
    /// Ids of the case transactions the sentence states.
    pub(super) txns: Vec<String>,
}

/// The narrative as sentences: the period, the flows in, the flows out, then one per alert.
pub(super) fn sentences(case: &CaseData, tz: Tz) -> Vec<Sentence> {
    let mut inflow: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
    let mut outflow: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
    let (mut in_ids, mut out_ids) = (Vec::new(), Vec::new());
    for t in &case.txns {
        let (payer, payee) = payer_payee(t);
        let bucket = if payee == Some(case.subject.as_str()) {
            in_ids.push(t.id.clone());
            Some(&mut inflow)
        } else if payer == Some(case.subject.as_str()) {
            out_ids.push(t.id.clone());
            Some(&mut outflow)
        } else {
            None
        };
        if let Some(b) = bucket {
            let e = b.entry(t.currency.as_str()).or_default();
            e.0 += 1;
            e.1 += t.amount.abs();
        }
    }
    let flows = |m: &BTreeMap<&str, (usize, Decimal)>| {
        if m.is_empty() {
            return "none".to_string();
        }
        m.iter()
            .map(|(cur, (n, sum))| format!("{n} transaction(s) totalling {sum} {cur}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = match (case.txns.first(), case.txns.last()) {
        (Some(first), Some(last)) => vec![
            Sentence {
                text: format!(
                    "Between {} and {} ({}), account {} took part in {} reported transaction(s).",
                    date(&first.timestamp, tz),
                    date(&last.timestamp, tz),
                    tz,
                    case.subject,
                    case.txns.len(),
                ),
                txns: case.txns.iter().map(|t| t.id.clone()).collect(),
            },
            Sentence {
                text: format!("Into the account: {}.", flows(&inflow)),
                txns: in_ids,
            },
            Sentence {
                text: format!("Out of the account: {}.", flows(&outflow)),
                txns: out_ids,
            },
        ],
        _ => vec![Sentence {
            text: format!(
                "Account {} has no stored transactions behind its alerts.",
                case.subject
            ),
            txns: Vec::new(),
        }],
    };
    for a in &case.alerts {
        out.push(Sentence {
            text: format!(
                "Rule {} ({} transaction(s)): {}",
                a.rule,
                a.transactions.len(),
                a.explanation_en
            ),
            // Only rows the page has: an alert id missing from the store was refused in `load`.
            txns: a
                .transactions
                .iter()
                .filter(|id| case.txns.iter().any(|t| &&t.id == id))
                .cloned()
                .collect(),
        });
    }
    out
}

/// The reason and narrative: a template filled only with case data.
fn narrative(case: &CaseData, tz: Tz) -> (String, String) {
    let mut rules: Vec<&str> = case.alerts.iter().map(|a| a.rule.as_str()).collect();
    rules.dedup();
    let reason = format!(
        "Automated screening raised {} alert(s) on account {} (rules: {}).",
        case.alerts.len(),
        case.subject,
        rules.join(", ")
    );
    // The period and flow sentences share the first line; each alert gets its own.
    let s = sentences(case, tz);
    let head = if case.txns.is_empty() { 1 } else { 3 };
    let mut text = s
        .iter()
        .take(head)
        .map(|x| x.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for x in s.iter().skip(head) {
        text.push('\n');
        text.push_str(&x.text);
    }
    (reason, text)
}

fn draft(
    case: &CaseData,
    args: &StrArgs,
    tz: Tz,
    rates: &super::rates::Rates,
    llm_narrative: Option<&str>,
) -> (StrDraft, Vec<Issue>) {
    let mut issues = Vec::new();
    if args.entity_id.is_none() {
        issues.push(Issue {
            path: "reporting_entity.id".into(),
            problem: "no reporting-entity id".into(),
            fix: "pass --entity-id or set DOCKET_RENTITY_ID to the id the FIU assigned".into(),
        });
    }
    let entity_name = args.entity_name.clone().unwrap_or_default();
    if entity_name.trim().is_empty() {
        issues.push(Issue {
            path: "reporting_entity.name".into(),
            problem: "no reporting-entity name".into(),
            fix: "pass --entity-name or set DOCKET_RENTITY_NAME to the bank's name".into(),
        });
    }
    let entity_id = args.entity_id.unwrap_or(0);
    let names = known_names(&case.txns);
    let country = args.entity_country.to_uppercase();
    let mut transactions = Vec::new();
    for (i, t) in case.txns.iter().enumerate() {
        let day = t.timestamp.with_timezone(&tz).date_naive();
        let amount_local = if t.currency == args.local_currency {
            t.amount.abs()
        } else if let Some(local) = rates.convert(t.amount.abs(), &t.currency, day) {
            local
        } else {
            issues.push(Issue {
                path: format!("transactions[{i}].amount_local"),
                problem: format!(
                    "transaction {} is in {}, and no {}→{} exchange rate is dated on or before {day}",
                    t.id, t.currency, t.currency, args.local_currency
                ),
                fix: format!(
                    "add a line `{day},{},RATE` to the file given with --rates (one {} in {}), or report it in a separate filing with --local-currency {}",
                    t.currency, t.currency, args.local_currency, t.currency
                ),
            });
            t.amount.abs()
        };
        // The booking account is held at the reporting bank; the counterparty's bank is unknown,
        // so that side carries the party only.
        let booking = Side {
            party: Some(party(
                &t.account,
                &names,
                t.country.as_deref().unwrap_or(&country),
            )),
            account: Some(Account {
                institution_name: entity_name.clone(),
                institution_code: match &args.entity_swift {
                    Some(s) => InstitutionCode::Swift(s.clone()),
                    None => InstitutionCode::National(entity_id.to_string()),
                },
                branch: args.entity_branch.clone(),
                number: t.account.clone(),
                currency: t.currency.clone(),
                name_latin: None,
                kind: AccountKind::Other,
            }),
            country: t.country.clone().unwrap_or_else(|| country.clone()),
        };
        let cp_country = t
            .counterparty_country
            .clone()
            .unwrap_or_else(|| country.clone());
        let other = Side {
            party: t
                .counterparty_account
                .as_deref()
                .map(|a| party(a, &names, &cp_country)),
            account: None,
            country: cp_country,
        };
        let (from, to) = if t.amount < Decimal::ZERO {
            (booking, other)
        } else {
            (other, booking)
        };
        let (payer, payee) = payer_payee(t);
        transactions.push(Transaction {
            number: t.id.clone(),
            date_time: t.timestamp,
            description: format!(
                "{:?} from {} to {}",
                t.channel,
                payer.unwrap_or("unknown account"),
                payee.unwrap_or("unknown account")
            ),
            location: args
                .entity_branch
                .clone()
                .unwrap_or_else(|| entity_name.clone()),
            location_code: None,
            channel: channel(t.channel),
            transmode_code: None,
            amount: t.amount.abs(),
            currency: t.currency.clone(),
            amount_local,
            from,
            to,
        });
    }
    let mut indicators: Vec<String> = case
        .alerts
        .iter()
        .map(|a| indicator(a.rule).to_string())
        .collect();
    indicators.sort();
    indicators.dedup();
    let (reason, template) = narrative(case, tz);
    let narrative = llm_narrative.map(str::to_owned).unwrap_or(template);
    let draft = StrDraft {
        reporting_entity: ReportingEntity {
            id: entity_id,
            name: entity_name,
            branch: args.entity_branch.clone(),
            country: country.clone(),
            swift: args.entity_swift.clone(),
        },
        submission: Submission {
            code: "E".into(),
            date: chrono::Utc::now().fixed_offset(),
            reference: args
                .reference
                .clone()
                .unwrap_or_else(|| format!("STR-{}", case.id)),
            local_currency: args.local_currency.clone(),
            time_zone: tz,
        },
        reason,
        action: None,
        indicators,
        narrative,
        subjects: vec![party(&case.subject, &names, &country)],
        transactions,
    };
    (draft, issues)
}

fn filing_issues(e: FilingError) -> Vec<Issue> {
    e.issues().to_vec()
}

/// Runs `docket report str`.
pub fn run(g: &Global, args: &StrArgs) -> Result<i32> {
    let tz: Tz = args.zone.parse().map_err(|_| {
        usage(format!(
            "--zone '{}' is not an IANA time zone (e.g. Asia/Shanghai)",
            args.zone
        ))
    })?;
    let preparer = args.user.resolve()?;
    let rates = match &args.rates {
        Some(p) => super::rates::Rates::load(p)?,
        None => super::rates::Rates::default(),
    };
    let mut store = Store::open(&g.data_dir())?;
    let case = load(&store, &args.case_id)?;
    let llm = match args.format {
        StrFormat::Html => None,
        _ => super::str_llm::narrative_for(&case, tz, args.narrative)?,
    };
    let (bytes, path) = match args.format {
        StrFormat::Html => (
            super::str_html::page(&case, tz).into_bytes(),
            args.output.clone(),
        ),
        StrFormat::Goaml => {
            let (d, mut issues) = draft(
                &case,
                args,
                tz,
                &rates,
                llm.as_ref().map(|c| c.text.as_str()),
            );
            // Missing operator facts first: the writer would repeat them once per transaction.
            if !issues.is_empty() {
                return Err(invalid(&case.id, "goAML", &issues));
            }
            match docket_filings::goaml::write(&d) {
                Ok(xml) if issues.is_empty() => (xml.into_bytes(), args.output.clone()),
                Ok(_) => return Err(invalid(&case.id, "goAML", &issues)),
                Err(e) => {
                    issues.extend(filing_issues(e));
                    return Err(invalid(&case.id, "goAML", &issues));
                }
            }
        }
        StrFormat::Camlmac => {
            let (d, mut issues) = draft(
                &case,
                args,
                tz,
                &rates,
                llm.as_ref().map(|c| c.text.as_str()),
            );
            if !issues.is_empty() {
                return Err(invalid(&case.id, "CAMLMAC", &issues));
            }
            let ricd = args.camlmac_ricd.clone().unwrap_or_default();
            let params = CamlmacParams {
                reporting_branch_code: args.camlmac_branch.clone().unwrap_or_else(|| ricd.clone()),
                institution_code: ricd,
                urgency: args.camlmac_urgency.clone(),
                submission_count: 1,
                original_file: None,
                direction: args.camlmac_direction.clone(),
                other_direction: None,
                trigger: args.camlmac_trigger.clone(),
                other_trigger: None,
                crime_types: args.crime_types.clone(),
                criteria_codes: Vec::new(),
                preparer: args.preparer.clone(),
                file_sequence: args.sequence,
            };
            match docket_filings::camlmac::write(&d, &params) {
                Ok(r) if issues.is_empty() => {
                    let path = if args.output.is_dir() {
                        args.output.join(&r.file_name)
                    } else {
                        args.output.clone()
                    };
                    (r.xml.into_bytes(), path)
                }
                Ok(_) => return Err(invalid(&case.id, "CAMLMAC", &issues)),
                Err(e) => {
                    issues.extend(filing_issues(e));
                    return Err(invalid(&case.id, "CAMLMAC", &issues));
                }
            }
        }
    };
    atomic_write(&path, &bytes)?;
    let sha = sha256_hex(&bytes);
    // Approval re-reads the file later, maybe from another directory.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let file = path.display().to_string();
    let tx = store.conn_mut().transaction()?;
    let report = crate::commands::str_state::record_draft(
        &tx,
        &case.id,
        args.format.as_str(),
        &file,
        &sha,
        &preparer,
    )?;
    ledger::append(
        &tx,
        None,
        "str_drafted",
        &json!({"case": case.id, "format": args.format.as_str(), "sha256": sha,
                "file": file, "transactions": case.txns.len(),
                "report": report, "user": preparer,
                "narrative": if llm.is_some() { "llm" } else { "template" },
                "narrative_removed": llm.as_ref().map(|c| c.removed.clone()).unwrap_or_default()}),
    )?;
    tx.commit()?;
    ledger::write_head(&store)?;
    if g.json {
        println!(
            "{}",
            json!({"report": report, "preparer": preparer, "case": case.id, "format": args.format.as_str(), "file": file,
                   "sha256": sha, "alerts": case.alerts.len(), "transactions": case.txns.len()})
        );
    } else {
        println!(
            "wrote {} report {report} (draft, prepared by {preparer}) for case {} ({} alert(s), {} transaction(s)) to {}",
            args.format.as_str(),
            case.id,
            case.alerts.len(),
            case.txns.len(),
            path.display()
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_maps_to_a_code_in_the_goaml_list() {
        let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/specs/goaml/goaml_uae_5.0.2_enums.csv");
        let Ok(text) = std::fs::read_to_string(&csv) else {
            eprintln!("SKIP: {} is absent", csv.display());
            return;
        };
        let codes = docket_filings::codes::codes_from_enums_csv(&text, "report_indicator_type");
        for r in RuleId::ALL {
            assert!(
                codes.iter().any(|c| c == indicator(r)),
                "{r} → {}",
                indicator(r)
            );
        }
    }
}
