//! Turns Docket documents into schema records: the deterministic bank-statement reader (page
//! layouts and spreadsheets, English and Chinese vocabularies) and the arithmetic checks that
//! decide whether a person must look. Pure: no I/O, no clock, no floats for money; the same
//! document always gives the same extraction.

pub mod checks;
pub mod fields;
pub mod headerless;
pub mod layout;
pub mod parse;
pub mod reading;
pub mod schema;
pub mod sheet;
pub mod table;
pub mod vocab;

use docket_core::statement::ExtractionSource;
use docket_core::{CheckStatus, Document, ErrorCode, Extraction};
use parse::DateOrder;
use reading::Hypothesis;
use rust_decimal::Decimal;
use table::{Piece, RowIn};
use vocab::Role;

pub use schema::builtin_schemas;

/// Which schema to extract.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaRef {
    /// The built-in `bank_statement` schema, read by the deterministic reader.
    BankStatement,
    /// A user JSON Schema (filled by the LLM step, which is not part of this crate).
    Custom {
        /// Path of the schema file as given.
        path: String,
        /// The schema.
        schema: serde_json::Value,
    },
}

/// Why a document could not be extracted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ExtractError {
    /// Stable code.
    pub code: ErrorCode,
    /// What went wrong and what to do, naming the file.
    pub message: String,
}

/// Extracts `doc` to `schema`.
pub fn extract(doc: &Document, schema: &SchemaRef) -> Result<Extraction, ExtractError> {
    match schema {
        SchemaRef::BankStatement => extract_bank_statement(doc),
        SchemaRef::Custom { path, .. } => Err(ExtractError {
            code: ErrorCode::NoReaderForSchema,
            message: format!(
                "{}: schema {path} is a custom JSON Schema; only the LLM extraction step fills custom schemas. Configure an LLM endpoint or use --schema bank_statement",
                doc.source.path
            ),
        }),
    }
}

/// A table area from either reader.
struct Area {
    roles: Vec<Role>,
    rows: Vec<RowIn>,
    row_pieces: Vec<Vec<Piece>>,
    inferred: bool,
    from_content: Vec<String>,
}

/// Reads a bank statement: header fields, transactions, provenance and checks.
pub fn extract_bank_statement(doc: &Document) -> Result<Extraction, ExtractError> {
    let from_pages = !doc.pages.is_empty();
    let extractor = if from_pages { "layout" } else { "sheet" };
    let (areas, outside): (Vec<Area>, Vec<Vec<Piece>>) = if from_pages {
        let (a, o) = layout::areas(doc);
        // No header anywhere: the columns may still be read from the value lines.
        let (a, o, inferred) = match (a.is_empty(), headerless::areas(doc)) {
            (true, Some((a, o))) => (a, o, true),
            _ => (a, o, false),
        };
        let a = a
            .into_iter()
            .map(|a| {
                let mut roles = a.roles;
                // A statement in sections (`Deposits & Other Credits`, `Checks Paid`) prints
                // unsigned amounts whose side the section title gives.
                let sided = roles
                    .iter()
                    .any(|r| matches!(r, Role::Debit | Role::Credit | Role::Direction));
                if let (false, Some(side)) =
                    (sided, a.title.as_deref().and_then(vocab::section_side))
                {
                    for r in &mut roles {
                        if *r == Role::Amount {
                            *r = if side { Role::Credit } else { Role::Debit };
                        }
                    }
                }
                Area {
                    roles,
                    rows: a.rows,
                    row_pieces: a.row_pieces,
                    inferred,
                    from_content: Vec::new(),
                }
            })
            .collect();
        (a, o)
    } else {
        let (a, o) = sheet::areas(doc);
        let a = a
            .into_iter()
            .map(|a| Area {
                roles: a.roles,
                rows: a.rows,
                row_pieces: a.row_pieces,
                inferred: a.inferred,
                from_content: a.from_content,
            })
            .collect();
        (a, o)
    };
    let mut areas = areas;
    for a in &mut areas {
        settle_by_content(a);
    }
    if areas.is_empty() {
        return Err(ExtractError {
            code: ErrorCode::NoStatementFound,
            message: format!(
                "{}: no transaction table found in {} {}: looked for a header row with a date column (Date, Transaction Date, 日期, 交易日期, 记账日期, 交易时间 …) and an amount column (Debit/Credit, Paid In/Paid Out, Amount, 收入/支出, 借方/贷方发生额, 金额 …)",
                doc.source.path,
                doc.page_count(),
                if from_pages { "page(s)" } else { "sheet(s)" }
            ),
        });
    }
    let to_segments = |lines: &[Vec<Piece>]| -> Vec<Vec<Piece>> {
        if from_pages {
            lines.iter().flat_map(|l| layout::segments(l)).collect()
        } else {
            lines.iter().flatten().map(|p| vec![p.clone()]).collect()
        }
    };

    // Date order first: it is a property of the document, not of one row.
    let date_texts: Vec<String> = areas
        .iter()
        .flat_map(|a| {
            let cols: Vec<usize> = a
                .roles
                .iter()
                .enumerate()
                .filter(|(_, r)| matches!(r, Role::Date | Role::BookingDate))
                .map(|(i, _)| i)
                .collect();
            a.rows.iter().flat_map(move |r| {
                cols.iter()
                    .map(|c| table::cell_text(&r.cells[*c]))
                    .collect::<Vec<_>>()
            })
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut found = fields::Found::default();
    found.read(&to_segments(&outside), DateOrder::DayFirst, extractor);
    let default_order = if found.fields.currency.as_deref() == Some("USD") {
        DateOrder::MonthFirst
    } else {
        DateOrder::DayFirst
    };
    // Dates of the header block (`Period 01/01/2026 to 31/01/2026`) are evidence too: a table of
    // typed or ISO dates says nothing about the order of the period printed above it.
    let header_words: Vec<String> = outside
        .iter()
        .flat_map(|l| l.iter().flat_map(|p| p.text.split_whitespace()))
        .map(str::to_string)
        .collect();
    let order = parse::detect_order(
        date_texts
            .iter()
            .chain(header_words.iter())
            .map(String::as_str),
        default_order,
    );
    if order != DateOrder::DayFirst {
        found = fields::Found::default();
        found.read(&to_segments(&outside), order, extractor);
    }

    let anchor = year_anchor(&found, &outside, &date_texts, order);
    let setting = Setting {
        order,
        currency: found.fields.currency.clone(),
        extractor,
        year_anchor: anchor.as_ref().map(|x| x.0),
    };
    // The header's reading first; when the arithmetic does not confirm it, every other reading
    // of the money columns, and the one the balances confirm best wins.
    let ends = |t: &Tables| {
        let opening = found
            .fields
            .opening_balance
            .or(t.opening.as_ref().map(|o| o.0));
        let closing = found
            .fields
            .closing_balance
            .or(t.closing.as_ref().map(|c| c.0));
        reading::equation_holds(opening, closing, &t.records)
    };
    let key = |t: &Tables| {
        let (ok, total) = reading::running_score(&t.records);
        (ok, ends(t) == Some(true), total)
    };
    let base = read_tables(&areas, Hypothesis::AsNamed, &setting);
    let base_key = key(&base);
    let confirmed_as_named =
        (base_key.2 > 0 && base_key.0 == base_key.2 && ends(&base) != Some(false))
            || (base_key.2 == 0 && base_key.1);
    let mut chosen = (Hypothesis::AsNamed, base, base_key);
    let mut tie = false;
    if !confirmed_as_named {
        let mut others = Vec::new();
        for h in Hypothesis::ALL.into_iter().skip(1) {
            if areas.iter().any(|a| h.apply(&a.roles).is_some()) {
                let t = read_tables(&areas, h, &setting);
                let k = key(&t);
                others.push((h, t, k));
            }
        }
        for o in others {
            let better = (o.2.0, o.2.1) > (chosen.2.0, chosen.2.1);
            let same = (o.2.0, o.2.1) == (chosen.2.0, chosen.2.1);
            let differs = o.1.records.len() != chosen.1.records.len()
                || o.1
                    .records
                    .iter()
                    .zip(&chosen.1.records)
                    .any(|(a, b)| a.tx.amount != b.tx.amount);
            if better {
                tie = false;
                chosen = o;
            } else if same && differs && (o.2.0 > 0 || o.2.1) {
                tie = true;
            }
        }
    }
    let (hypothesis, tables, _) = chosen;
    let Tables {
        mut records,
        mut totals,
        opening,
        closing,
        leftovers,
        duplicates,
        undated,
    } = tables;
    found.read(&to_segments(&leftovers), order, extractor);
    // A statement file that holds several statements in a row (MT940, camt.053, OFX) closes
    // with its last statement's closing balance, not its first's.
    let structured = matches!(doc.source.kind.as_str(), "ofx" | "mt940" | "camt053");
    if structured
        && doc.sheets.len() > 1
        && let Some(last) = doc.sheets.last()
    {
        let last_lines: Vec<Vec<Piece>> = outside
            .iter()
            .filter(|l| l.first().is_some_and(|p| p.page == last.index))
            .cloned()
            .collect();
        let mut tail = fields::Found::default();
        tail.read(&to_segments(&last_lines), order, extractor);
        if let Some(c) = tail.fields.closing_balance {
            found.fields.closing_balance = Some(c);
            if let Some(p) = tail.prov.remove("fields.closing_balance") {
                found.prov.insert("fields.closing_balance".into(), p);
            }
        }
    }
    if found.fields.opening_balance.is_none()
        && let Some((v, p)) = opening
    {
        found.fields.opening_balance = Some(v);
        found.prov.insert("fields.opening_balance".into(), p);
    }
    if found.fields.closing_balance.is_none()
        && let Some((v, p)) = closing
    {
        found.fields.closing_balance = Some(v);
        found.prov.insert("fields.closing_balance".into(), p);
    }

    let currency = found.fields.currency.clone();
    for b in [
        &mut found.fields.opening_balance,
        &mut found.fields.closing_balance,
    ] {
        *b = b.map(|v| parse::with_minor_units(v, currency.as_deref()));
    }
    let repair = reading::repair_from_balances(&mut records, &mut totals);
    let mut checks = checks::run(&found.fields, &records, &totals);
    checks.extend(repair);
    let loose: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].loose.is_some())
        .collect();
    if !loose.is_empty() {
        let confirmed = checks
            .iter()
            .any(|c| c.name == "running_balance" && c.status == CheckStatus::Pass);
        let texts: Vec<String> = loose
            .iter()
            .take(10)
            .map(|i| {
                format!(
                    "record {i} \"{}\"",
                    records[*i].loose.clone().unwrap_or_default()
                )
            })
            .collect();
        checks.push(docket_core::Check {
            name: "ocr_amounts".into(),
            status: if confirmed {
                CheckStatus::Pass
            } else {
                CheckStatus::Fail
            },
            message: if confirmed {
                format!(
                    "{} amounts OCR misprinted were read by their digit grouping and confirmed by the running balances: {}",
                    loose.len(),
                    texts.join(", ")
                )
            } else {
                format!(
                    "{} amounts OCR misprinted were read by their digit grouping and nothing confirms them: {}. Check them against the document",
                    loose.len(),
                    texts.join(", ")
                )
            },
            records: loose,
        });
    }
    if !undated.is_empty() {
        checks.push(docket_core::Check {
            name: "undated_rows".into(),
            status: CheckStatus::Fail,
            message: format!(
                "{} row(s) print an amount but no date the reader can read, so they were not taken as transactions: {}. Pending transactions or a misread date: check them against the document",
                undated.len(),
                undated
                    .iter()
                    .take(10)
                    .map(|(d, a)| format!("\"{d}\" {a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            records: vec![],
        });
    }
    checks.push(reading_check(&ReadingFacts {
        hypothesis,
        tie,
        areas: &areas,
        records: &records,
        checks: &checks,
    }));
    let warnings: Vec<String> = doc
        .sheets
        .iter()
        .flat_map(|s| s.warnings.iter().map(move |w| format!("{}: {w}", s.name)))
        .collect();
    if !warnings.is_empty() {
        checks.push(docket_core::Check {
            name: "source_notes".into(),
            status: CheckStatus::Pass,
            message: warnings.join("; "),
            records: vec![],
        });
    }
    let carried: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].date_carried)
        .collect();
    if !carried.is_empty() {
        checks.push(docket_core::Check {
            name: "date_carried".into(),
            status: CheckStatus::Pass,
            message: format!(
                "{} rows print no date of their own; each is dated by the row above it",
                carried.len()
            ),
            records: carried,
        });
    }
    let inferred: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].year_inferred)
        .collect();
    if let (false, Some((d, source))) = (inferred.is_empty(), &anchor) {
        checks.push(docket_core::Check {
            name: "date_year".into(),
            status: CheckStatus::Pass,
            message: format!(
                "{} dates are printed without a year; the year was inferred from {source} (statement ends {d}): each such date is the latest one on or before it",
                inferred.len()
            ),
            records: inferred,
        });
    }
    for (ai, a) in areas.iter().enumerate().filter(|(_, a)| a.inferred) {
        checks.push(docket_core::Check {
            name: "header_inferred".into(),
            status: CheckStatus::Pass,
            message: format!(
                "table {} has no header the reader can name; column roles were inferred from the cells (the balance column by running-balance consistency): {:?}",
                ai + 1,
                a.roles
            ),
            records: vec![],
        });
    }
    for (ai, start) in &duplicates {
        checks.push(docket_core::Check {
            name: "duplicate_table".into(),
            status: CheckStatus::Pass,
            message: format!(
                "the table of {} {} repeats the transactions read from record {start} on; read once",
                if from_pages { "area" } else { "sheet" },
                ai + 1
            ),
            records: vec![],
        });
    }
    let mut provenance = found.prov;
    for (i, r) in records.iter().enumerate() {
        for (name, p) in &r.prov {
            provenance.insert(format!("records[{i}].{name}"), p.clone());
        }
    }
    let record_values = records
        .iter()
        .map(|r| serde_json::to_value(&r.tx))
        .collect::<Result<Vec<_>, _>>()
        .map_err(serialise_error)?;
    let needs_review = checks.iter().any(|c| c.status == CheckStatus::Fail);
    Ok(Extraction {
        source: ExtractionSource {
            path: doc.source.path.clone(),
            sha256: doc.source.sha256.clone(),
            pages: doc.page_count(),
        },
        schema: "bank_statement".into(),
        fields: serde_json::to_value(&found.fields).map_err(serialise_error)?,
        records: record_values,
        checks,
        provenance,
        needs_review,
    })
}

/// Corrects a header's word by its column's content: a column named like a direction
/// (`Withdrawals / Deposits`) whose cells are signed amounts is the amount column when the
/// table has no other money column. Recorded in `from_content`, so that without arithmetic to
/// confirm it the reading goes to review.
fn settle_by_content(a: &mut Area) {
    let cells_of = |a: &Area, c: usize| -> Vec<String> {
        a.rows
            .iter()
            .filter_map(|r| r.cells.get(c).map(|x| table::cell_text(x)))
            .filter(|t| !t.is_empty() && !parse::is_placeholder(t))
            .collect()
    };
    let most = |n: usize, of: usize| of >= 2 && n * 5 >= of * 4;
    let sided = a
        .roles
        .iter()
        .any(|r| matches!(r, Role::Debit | Role::Credit | Role::Direction));
    if !a.roles.iter().any(|r| r.is_money()) {
        for c in 0..a.roles.len() {
            if a.roles[c] != Role::Direction {
                continue;
            }
            let cells = cells_of(a, c);
            let amounts = cells
                .iter()
                .filter(|t| parse::parse_amount(t).is_some() && !parse::is_date(t))
                .count();
            if most(amounts, cells.len()) {
                a.roles[c] = Role::Amount;
                a.from_content
                    .push("a direction header over signed amounts → Amount".to_string());
                return;
            }
        }
    } else if a.roles.contains(&Role::Amount) && !sided {
        // An unnamed column of direction words (`Type` holding C/D) beside unsigned amounts.
        for c in 0..a.roles.len() {
            if a.roles[c] != Role::Other {
                continue;
            }
            let cells = cells_of(a, c);
            let words = cells
                .iter()
                .filter(|t| table::direction_word(&vocab::normalise(t)).is_some())
                .count();
            if most(words, cells.len()) {
                a.roles[c] = Role::Direction;
                a.from_content
                    .push("a column of direction words (C/D, 收/支) → Direction".to_string());
                return;
            }
        }
    }
}

/// What decides whether a document's reading can be trusted.
struct ReadingFacts<'a> {
    hypothesis: Hypothesis,
    tie: bool,
    areas: &'a [Area],
    records: &'a [table::Record],
    checks: &'a [docket_core::Check],
}

/// The honest confidence gate: which evidence confirmed the reading of the money columns
/// (balances reconciled, totals matched, a direction column, the header alone), and a failure —
/// the document goes to review — when nothing arithmetic confirms a reading that was ambiguous:
/// money columns named by content instead of the header, unsigned amounts with nothing to say
/// which side they are on, or two readings the arithmetic cannot tell apart.
fn reading_check(f: &ReadingFacts<'_>) -> docket_core::Check {
    let passed = |name: &str| {
        f.checks
            .iter()
            .any(|c| c.name == name && c.status == CheckStatus::Pass)
    };
    let mut evidence = Vec::new();
    if passed("running_balance") {
        evidence.push("running balances reconciled");
    }
    if passed("balance_equation") {
        evidence.push("opening + amounts = closing balance");
    }
    if passed("totals_row") {
        evidence.push("printed totals matched");
    }
    let arithmetic = !evidence.is_empty();
    let roles = |r: Role| f.areas.iter().any(|a| a.roles.contains(&r));
    if roles(Role::Direction) {
        evidence.push("a direction column");
    }
    let sided = roles(Role::Debit) || roles(Role::Credit);
    if sided && f.hypothesis == Hypothesis::AsNamed {
        evidence.push("header names the debit and credit columns");
    }
    let signed = f.records.iter().any(|r| r.tx.amount.is_sign_negative())
        && f.records.iter().any(|r| r.tx.amount.is_sign_positive());
    if !sided && signed {
        evidence.push("amounts carry their signs");
    }
    let mut doubts = Vec::new();
    if f.areas.iter().any(|a| a.inferred) {
        doubts.push("column roles were inferred from the cells, not named by a header".to_string());
    }
    let named: Vec<&String> = f.areas.iter().flat_map(|a| &a.from_content).collect();
    if !named.is_empty() {
        doubts.push(format!(
            "columns were read from their content where the header word is unknown ({})",
            named
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if f.tie {
        doubts.push(
            "another reading of the money columns fits the balances equally well".to_string(),
        );
    }
    if f.hypothesis != Hypothesis::AsNamed && !arithmetic {
        doubts.push(format!(
            "the reading \"{}\" is not confirmed",
            f.hypothesis.label()
        ));
    }
    if !sided && !roles(Role::Direction) && !signed && f.records.len() > 1 {
        doubts.push(
            "every amount is printed unsigned and nothing says which are money in and which money out"
                .to_string(),
        );
    }
    let reading = f.hypothesis.label();
    if !arithmetic && !doubts.is_empty() {
        docket_core::Check {
            name: "reading".into(),
            status: CheckStatus::Fail,
            message: format!(
                "the transactions could not be confirmed by arithmetic (no running balance, balance equation or totals held) and {}; reading: {reading}. Review the amounts against the document",
                doubts.join("; ")
            ),
            records: vec![],
        }
    } else {
        let how = if evidence.is_empty() {
            "the header alone".to_string()
        } else {
            evidence.join(", ")
        };
        let status = if arithmetic || doubts.is_empty() {
            CheckStatus::Pass
        } else {
            CheckStatus::Fail
        };
        docket_core::Check {
            name: "reading".into(),
            status,
            message: format!("reading: {reading}; confirmed by: {how}"),
            records: vec![],
        }
    }
}

/// What the reader settled for the whole document before reading any table.
struct Setting<'a> {
    order: DateOrder,
    currency: Option<String>,
    extractor: &'a str,
    year_anchor: Option<chrono::NaiveDate>,
}

/// Every table of a document read under one hypothesis.
struct Tables {
    records: Vec<table::Record>,
    totals: Vec<table::Totals>,
    opening: Option<(Decimal, docket_core::Provenance)>,
    closing: Option<(Decimal, docket_core::Provenance)>,
    leftovers: Vec<Vec<Piece>>,
    duplicates: Vec<(usize, usize)>,
    undated: Vec<(String, String)>,
}

/// Reads every table area under hypothesis `h` (areas it does not apply to are read as named).
fn read_tables(areas: &[Area], h: Hypothesis, setting: &Setting<'_>) -> Tables {
    let mut out = Tables {
        records: Vec::new(),
        totals: Vec::new(),
        opening: None,
        closing: None,
        leftovers: Vec::new(),
        duplicates: Vec::new(),
        undated: Vec::new(),
    };
    let mut kept_tables: Vec<(usize, usize)> = Vec::new();
    // Marks (`CR`, `+`) printed on one side only are a property of the document, not of one
    // page's table: a page whose rows happen to be all debits reads them the same way.
    let (cr, dr) = areas.iter().fold((0, 0), |(c, d), a| {
        let roles = h.apply(&a.roles).unwrap_or_else(|| a.roles.clone());
        let (x, y) = table::marker_counts(&roles, &a.rows);
        (c + x, d + y)
    });
    let unmarked = table::unmarked_side(cr, dr);
    for (ai, a) in areas.iter().enumerate() {
        let ctx = table::Context {
            order: setting.order,
            currency: setting.currency.clone(),
            extractor: setting.extractor,
            records_before: out.records.len(),
            year_anchor: setting.year_anchor,
            unmarked,
        };
        let (roles, negate) = match h.apply(&a.roles) {
            Some(r) => (r, h == Hypothesis::Negated),
            None => (a.roles.clone(), false),
        };
        let mut built = table::build(&roles, &a.rows, &ctx);
        if negate {
            for r in &mut built.records {
                r.tx.amount = -r.tx.amount;
            }
        }
        // A workbook that repeats its table on a second sheet (a formatted copy, amounts as
        // numbers instead of `¥` text) holds the same transactions once: the copy is dropped.
        let records = &out.records;
        if let Some(&(start, _)) = kept_tables.iter().find(|(start, len)| {
            *len == built.records.len()
                && !built.records.is_empty()
                && records[*start..start + len]
                    .iter()
                    .zip(&built.records)
                    .all(|(x, y)| x.tx == y.tx)
        }) {
            out.duplicates.push((ai, start));
            continue;
        }
        kept_tables.push((out.records.len(), built.records.len()));
        for (i, used) in built.consumed.iter().enumerate() {
            if !used {
                out.leftovers.push(a.row_pieces[i].clone());
            }
        }
        out.undated.extend(built.undated);
        out.records.extend(built.records);
        out.totals.extend(built.totals);
        if out.opening.is_none() {
            out.opening = built.opening;
        }
        if built.closing.is_some() {
            out.closing = built.closing;
        }
    }
    out
}

/// The last day the statement covers, for dates printed without a year, and where it was found:
/// the printed period, else a heading month (`对账单 2024年01月`), else the latest full date in
/// the table.
fn year_anchor(
    found: &fields::Found,
    outside: &[Vec<table::Piece>],
    date_texts: &[String],
    order: DateOrder,
) -> Option<(chrono::NaiveDate, String)> {
    if let Some(d) = found.fields.period_end {
        return Some((d, "the statement period".into()));
    }
    for line in outside {
        let text = table::join_texts(line.iter().map(|p| p.text.as_str()));
        if let Some(d) = parse::heading_month_end(&text) {
            return Some((d, format!("the heading \"{text}\"")));
        }
    }
    if let Some(d) = date_texts
        .iter()
        .filter_map(|t| parse::parse_datetime(t, order).map(|x| x.0))
        .max()
    {
        return Some((d, "the latest full date in the table".into()));
    }
    // The statement date printed in the header block (`Statement Date: June 5, 2003`,
    // `Ending Balance on June 5, 2003`): the latest full date outside the tables.
    let mut texts = Vec::new();
    for line in outside {
        let words: Vec<&str> = line.iter().map(|p| p.text.as_str()).collect();
        for i in 0..words.len() {
            for n in 1..=3 {
                if let Some(w) = words.get(i..i + n) {
                    texts.push(w.join(" "));
                }
            }
        }
    }
    texts
        .iter()
        .filter_map(|t| parse::parse_datetime(t, order).map(|x| x.0))
        .max()
        .map(|d| (d, "the latest date printed above the tables".into()))
}

fn serialise_error(e: serde_json::Error) -> ExtractError {
    // Serialising plain structs of strings and decimals cannot fail; kept typed all the same.
    ExtractError {
        code: ErrorCode::NoStatementFound,
        message: format!("could not serialise the extraction: {e}"),
    }
}
